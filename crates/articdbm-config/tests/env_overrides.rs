//! `ARTICDBM_<SECTION>__<KEY>` overrides at every depth, with an injected environment.

use std::net::SocketAddr;
use std::path::Path;

use articdbm_config::{Env, Location, PoolMode, TlsVersion, load_str};

const FILE: &str = r#"
[pool]
size = 10

[databases.main]
host = "db1"

[databases.main.pool]
size = 30
"#;

fn env(pairs: &[(&str, &str)]) -> Env {
    pairs.iter().copied().collect()
}

#[test]
fn section_keys() {
    let config = load_str(
        FILE,
        &env(&[
            ("ARTICDBM_PROXY__PG_LISTEN", "0.0.0.0:7432"),
            ("ARTICDBM_PROXY__TCP_KEEPALIVE", "false"),
            ("ARTICDBM_POOL__SIZE", "50"),
            ("ARTICDBM_POOL__WARMUP_RATIO", "0.5"),
            ("ARTICDBM_POOL__MODE", "session"),
            ("ARTICDBM_LOGGING__LEVEL", "debug"),
            ("ARTICDBM_TLS__MIN_VERSION", "1.3"),
            ("ARTICDBM_ADMIN__USERS", "[]"),
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let listen: SocketAddr = "0.0.0.0:7432".parse().expect("addr");
    assert_eq!(config.proxy.pg_listen, Some(listen));
    assert!(!config.proxy.tcp_keepalive);
    assert_eq!(config.pool.size, 50);
    assert_eq!(config.pool.warmup_ratio, 0.5);
    assert_eq!(config.pool.mode, PoolMode::Session);
    assert_eq!(config.logging.level, "debug");
    assert_eq!(config.tls.min_version, TlsVersion::V1_3);
}

#[test]
fn top_level_key() {
    let config = load_str(FILE, &env(&[("ARTICDBM_DATA_DIR", "/x")])).expect("valid");
    assert_eq!(config.data_dir, Path::new("/x"));
}

#[test]
fn single_segment_names_that_are_not_top_level_keys_are_ignored() {
    let config = load_str(
        FILE,
        &env(&[
            ("ARTICDBM_CONFIG", "/etc/articdbm.toml"),
            ("ARTICDBM_POOL", "1"),
        ]),
    )
    .expect("valid");
    assert_eq!(config.pool.size, 10);
}

#[test]
fn nested_database_keys_existing_and_new() {
    let config = load_str(
        FILE,
        &env(&[
            ("ARTICDBM_DATABASES__MAIN__PORT", "5433"),
            ("ARTICDBM_DATABASES__MAIN__POOL__MIN_IDLE", "2"),
            ("ARTICDBM_DATABASES__MAIN__DBNAME", "12345"),
            ("ARTICDBM_DATABASES__REPORTS__HOST", "db2"),
            ("ARTICDBM_DATABASES__REPORTS__POOL__MODE", "session"),
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let main = &config.databases["main"];
    assert_eq!((main.host.as_str(), main.port), ("db1", 5433));
    // A value that parses as an integer is taken as a string where the key wants one.
    assert_eq!(main.dbname.as_deref(), Some("12345"));
    let main_pool = config.pool_for(main);
    assert_eq!((main_pool.size, main_pool.min_idle), (30, 2));
    let reports = &config.databases["reports"];
    assert_eq!(reports.host, "db2");
    assert_eq!(config.pool_for(reports).mode, PoolMode::Session);
    assert_eq!(config.pool_for(reports).size, 10);
}

#[test]
fn wildcard_database_by_empty_segment_or_star() {
    let file = "[databases.\"*\"]\nhost = \"db1\"\n";
    let config = load_str(
        file,
        &env(&[
            ("ARTICDBM_DATABASES____PORT", "6543"),
            ("ARTICDBM_DATABASES__*__POOL__SIZE", "7"),
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let any = config.database_for("whatever").expect("wildcard");
    assert!(any.is_wildcard());
    assert_eq!((any.config.host.as_str(), any.config.port), ("db1", 6543));
    assert_eq!(config.pool_for(any.config).size, 7);

    // Creates the wildcard entry when the file has none.
    let config = load_str("", &env(&[("ARTICDBM_DATABASES____HOST", "db9")])).expect("valid");
    assert_eq!(config.databases["*"].host, "db9");
}

#[test]
fn users_from_env() {
    let verifier = "md5d41d8cd98f00b204e9800998ecf8427e";
    let config = load_str(
        "",
        &env(&[
            ("ARTICDBM_USERS__ALICE__PASSWORD", verifier),
            ("ARTICDBM_USERS__ALICE__DATABASES", "[\"main\", \"other\"]"),
            ("ARTICDBM_DATABASES__MAIN__HOST", "db1"),
            ("ARTICDBM_DATABASES__OTHER__HOST", "db2"),
            ("ARTICDBM_ADMIN__USERS", "[\"alice\"]"),
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.users["alice"].password, verifier);
    assert_eq!(config.users["alice"].databases, ["main", "other"]);
}

#[test]
fn overrides_into_inline_and_dotted_tables() {
    let file = "databases.main.host = \"db1\"\n[databases.other]\npool = { size = 3 }\n";
    let config = load_str(
        file,
        &env(&[
            ("ARTICDBM_DATABASES__MAIN__POOL__SIZE", "4"),
            ("ARTICDBM_DATABASES__OTHER__POOL__MIN_IDLE", "1"),
            ("ARTICDBM_DATABASES__THIRD__PORT", "1234"),
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.databases["main"].pool.size, Some(4));
    assert_eq!(config.databases["other"].pool.size, Some(3));
    assert_eq!(config.databases["other"].pool.min_idle, Some(1));
    assert_eq!(config.databases["third"].port, 1234);
}

#[test]
fn bad_env_values_name_the_variable() {
    let err = load_str(
        FILE,
        &env(&[
            ("ARTICDBM_POOL__SIZE", "lots"),
            ("ARTICDBM_POOL__SIZ", "5"),
            ("ARTICDBM_DATABASES__MAIN__POOL__SIZE", "0"),
            ("ARTICDBM_PROXY__PG_LISTEN__PORT", "1"),
        ]),
    )
    .expect_err("invalid");
    let text = err.to_string();
    let by_key = |key: &str| {
        err.problems()
            .iter()
            .find(|p| p.key == key)
            .unwrap_or_else(|| panic!("no problem for {key} in:\n{text}"))
    };
    assert_eq!(
        by_key("pool.size").location,
        Location::Env("ARTICDBM_POOL__SIZE".into())
    );
    assert_eq!(
        by_key("pool.siz").location,
        Location::Env("ARTICDBM_POOL__SIZ".into())
    );
    assert_eq!(
        by_key("databases.main.pool.size").location,
        Location::Env("ARTICDBM_DATABASES__MAIN__POOL__SIZE".into())
    );
    assert!(
        text.contains("databases.main.pool.size (from env ARTICDBM_DATABASES__MAIN__POOL__SIZE): must be at least 1"),
        "{text}"
    );
    assert!(
        text.contains("(from env ARTICDBM_PROXY__PG_LISTEN__PORT)"),
        "{text}"
    );
    assert_eq!(err.problems().len(), 4, "{text}");
}
