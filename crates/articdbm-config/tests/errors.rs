//! Every problem is reported at once, each with its full key path and its line.

use std::path::PathBuf;

use articdbm_config::{ConfigError, Env, Location, load, load_str};

const SCRAM: &str = "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy";

fn problems_of(err: &ConfigError) -> Vec<(String, Location)> {
    err.problems()
        .iter()
        .map(|p| (p.key.clone(), p.location.clone()))
        .collect()
}

fn line(n: usize) -> Location {
    Location::Line(n)
}

#[test]
fn several_errors_reported_together_with_lines() {
    let text = r#"data_dir = "/var/lib/articdbm"

[proxy]
max_client_message_bytes = 10
tcp_keepalive = "yes"

[pool]
size = 0
idle_ratio = 1.5

[admin]
users = ["ghost"]

[databases.main]
port = 70000

[databases.main.pool]
size = 0
min_idle = -1
"#;
    let err = load_str(text, &Env::empty()).expect_err("invalid");
    let shown = err.to_string();
    assert_eq!(
        problems_of(&err),
        vec![
            ("proxy.max_client_message_bytes".into(), line(4)),
            ("proxy.tcp_keepalive".into(), line(5)),
            ("pool.size".into(), line(8)),
            ("pool.idle_ratio".into(), line(9)),
            ("admin.users".into(), line(12)),
            ("databases.main.port".into(), line(15)),
            ("databases.main.pool.size".into(), line(18)),
            ("databases.main.pool.min_idle".into(), line(19)),
        ],
        "{shown}"
    );
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines.len(),
        9,
        "a header and one line per problem:\n{shown}"
    );
    assert!(lines[0].contains("8 problems"), "{shown}");
    assert!(
        lines.contains(&"  databases.main.pool.size (line 18): must be at least 1"),
        "{shown}"
    );
    assert!(
        lines.contains(&"  admin.users (line 12): unknown user `ghost` (not a key of [users])"),
        "{shown}"
    );
}

#[test]
fn unknown_keys_with_lines() {
    let text = "[proxy]\npg_listen = \"127.0.0.1:6432\"\npg_listne = \"x\"\n\n[poool]\nsize = 1\n\n[databases.main]\nprot = 5\n";
    let err = load_str(text, &Env::empty()).expect_err("unknown keys");
    assert_eq!(
        problems_of(&err),
        vec![
            ("proxy.pg_listne".into(), line(3)),
            ("poool".into(), line(5)),
            ("databases.main.prot".into(), line(9)),
        ]
    );
    let shown = err.to_string();
    assert!(
        shown.contains("proxy.pg_listne (line 3): unknown key `pg_listne`; expected one of"),
        "{shown}"
    );
}

#[test]
fn plaintext_user_password_rejected_without_echoing_it() {
    let text = format!(
        "[users.alice]\npassword = \"hunter2\"\n\n[users.bob]\npassword = \"{SCRAM}\"\n\n[users.carol]\npassword = 1234567\n"
    );
    let err = load_str(&text, &Env::empty()).expect_err("plaintext");
    assert_eq!(
        problems_of(&err),
        vec![
            ("users.alice.password".into(), line(2)),
            ("users.carol.password".into(), line(8)),
        ]
    );
    let shown = err.to_string();
    assert!(shown.contains("articdbm hash-password"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains("1234567"), "{shown}");
}

#[test]
fn malformed_verifiers_and_method_mismatch() {
    let text = format!(
        "[users.a]\npassword = \"md5ABC\"\n[users.b]\npassword = \"{SCRAM}\"\nmethod = \"md5\"\n[users.c]\n"
    );
    let err = load_str(&text, &Env::empty()).expect_err("bad verifiers");
    assert_eq!(
        problems_of(&err),
        vec![
            ("users.a.password".into(), line(2)),
            ("users.b.method".into(), line(5)),
            ("users.c.password".into(), line(6)),
        ]
    );
}

#[test]
fn plaintext_backend_password_rejected() {
    let text = "[databases.main]\nhost = \"db\"\npassword = \"s3cret-backend\"\n";
    let err = load_str(text, &Env::empty()).expect_err("plaintext backend password");
    assert_eq!(
        problems_of(&err),
        vec![("databases.main.password".into(), line(3))]
    );
    let shown = err.to_string();
    assert!(shown.contains("password_env"), "{shown}");
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[test]
fn tls_required_without_cert() {
    let err = load_str("[tls]\nmode = \"required\"\n", &Env::empty()).expect_err("no cert");
    assert_eq!(problems_of(&err), vec![("tls.mode".into(), line(2))]);

    let err = load_str(
        "[tls]\nmode = \"required\"\ncert = \"/nonexistent/server.crt\"\n",
        &Env::empty(),
    )
    .expect_err("cert without key, missing file");
    assert_eq!(
        problems_of(&err),
        vec![("tls.cert".into(), line(3)), ("tls.cert".into(), line(3))],
        "{err}"
    );
}

#[test]
fn tls_versions_below_1_2_rejected() {
    let err = load_str("[tls]\nmin_version = \"1.1\"\n", &Env::empty()).expect_err("old TLS");
    assert_eq!(problems_of(&err), vec![("tls.min_version".into(), line(2))]);
    assert!(err.to_string().contains("minimum is \"1.2\""), "{err}");
}

#[test]
fn tls_files_are_checked() {
    let dir = scratch_dir("tls");
    let cert = dir.join("server.crt");
    let key = dir.join("server.key");
    std::fs::write(&cert, "cert").expect("write");
    std::fs::write(&key, "key").expect("write");
    let text = format!(
        "[tls]\nmode = \"required\"\ncert = {:?}\nkey = {:?}\n",
        cert.display().to_string(),
        key.display().to_string()
    );
    // Files that are not PEM are refused as start-up would refuse them (tls_files.rs has the
    // other cases).
    let err = load_str(&text, &Env::empty()).expect_err("not PEM");
    assert_eq!(
        problems_of(&err),
        vec![("tls.cert".into(), line(3)), ("tls.key".into(), line(4))],
        "{err}"
    );
}

#[test]
fn parse_error_has_line_and_column() {
    let err =
        load_str("[proxy]\ntcp_keepalive = true\nsize = = 3\n", &Env::empty()).expect_err("syntax");
    match err {
        ConfigError::Parse { line, column, .. } => assert_eq!((line, column), (3, 8)),
        other => panic!("expected a parse error, got {other}"),
    }
    let err = load_str("[pool]\nsize = 1\nsize = 2\n", &Env::empty()).expect_err("duplicate");
    assert!(matches!(err, ConfigError::Parse { line: 3, .. }), "{err}");
}

#[test]
fn backend_secrets_from_env_and_file() {
    let dir = scratch_dir("secrets");
    let file = dir.join("backend.pw");
    std::fs::write(&file, "from-file\n").expect("write");
    let text = format!(
        "[databases.a]\npassword_env = \"A_PW\"\n\n[databases.b]\npassword_file = {:?}\n\n[databases.c]\npassword_env = \"C_PW\"\n\n[databases.d]\npassword_file = \"/nonexistent/pw\"\n\n[databases.e]\npassword_env = \"E_PW\"\npassword_file = {:?}\n",
        file.display().to_string(),
        file.display().to_string()
    );
    let env = Env::from_iter([("A_PW", "from-env")]);
    let err = load_str(&text, &env).expect_err("c and d unresolved, e ambiguous");
    assert_eq!(
        problems_of(&err),
        vec![
            ("databases.c.password_env".into(), line(8)),
            ("databases.d.password_file".into(), line(11)),
            ("databases.e.password_file".into(), line(15)),
        ],
        "{err}"
    );
    assert!(!err.to_string().contains("from-env"));

    let ok_text = text.split("[databases.c]").next().expect("prefix");
    let config = load_str(ok_text, &env).unwrap_or_else(|e| panic!("{e}"));
    let pw = |db: &str| {
        config.databases[db]
            .password
            .as_ref()
            .map(|s| s.expose().to_owned())
    };
    assert_eq!(pw("a").as_deref(), Some("from-env"));
    assert_eq!(pw("b").as_deref(), Some("from-file"));
}

#[test]
fn missing_file_is_a_read_error() {
    let err = load(
        Some(&PathBuf::from("/nonexistent/articdbm.toml")),
        &Env::empty(),
    )
    .expect_err("no such file");
    assert!(matches!(err, ConfigError::Read { .. }), "{err}");
}

#[test]
fn wrong_section_types() {
    let err = load_str("pool = 5\n[[users]]\nname = \"x\"\n", &Env::empty()).expect_err("types");
    assert_eq!(
        problems_of(&err),
        vec![("pool".into(), line(1)), ("users".into(), line(2))],
        "{err}"
    );
    assert!(err.to_string().contains("expected a table"), "{err}");
}

/// A fresh directory under cargo's per-test scratch space.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("articdbm-config")
        .join(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

#[test]
fn cross_section_rules() {
    let text = format!(
        "[admin]\ndatabase = \"main\"\nusers = [\"ops\"]\n\n[users.ops]\npassword = \"{SCRAM}\"\nmax_connections = 0\n\n[databases.main]\n\n[databases.\"*\"]\ndbname = \"x\"\n\n[auth]\nscram_iterations = 1000\n\n[logging]\nlevel = \"info,articdbm_proxy=loud\"\n"
    );
    let err = load_str(&text, &Env::empty()).expect_err("invalid");
    assert_eq!(
        problems_of(&err),
        vec![
            ("admin.database".into(), line(2)),
            ("users.ops.max_connections".into(), line(7)),
            ("databases.\"*\".dbname".into(), line(12)),
            ("auth.scram_iterations".into(), line(15)),
            ("logging.level".into(), line(18)),
        ],
        "{err}"
    );
}

#[test]
fn integers_are_accepted_for_ratios() {
    let config = load_str(
        "[pool]\nwarmup_ratio = 1\n",
        &Env::from_iter([("ARTICDBM_POOL__IDLE_RATIO", "0")]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (config.pool.warmup_ratio, config.pool.idle_ratio),
        (1.0, 0.0)
    );
}
