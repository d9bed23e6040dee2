//! The command line as a user meets it, through the real binary: `proxy --help`, the listen
//! flags and their errors, `config validate` loading TLS files as start-up does, and
//! `config show` printing the effective configuration with verifiers masked.

mod common;

use common::{run, scratch, text, write};
use rcgen::{CertificateParams, KeyPair};

#[test]
fn proxy_help_names_both_protocols_and_the_flags() {
    let out = run(&["proxy", "--help"], &[]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for wanted in [
        "PostgreSQL",
        "MySQL",
        "--pg-listen",
        "--mysql-listen",
        "--data-dir",
    ] {
        assert!(help.contains(wanted), "`{wanted}` missing from:\n{help}");
    }
    let top = text(&run(&["--help"], &[]).stdout);
    assert!(top.contains("MySQL"), "{top}");
}

#[test]
fn a_bare_port_gets_the_expected_form() {
    let dir = scratch("bare-port");
    let file = write(&dir.join("c.toml"), "");
    let out = run(&["proxy", "-c", &file, "--pg-listen", "6432"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("proxy.pg_listen (from --pg-listen)"), "{err}");
    assert!(
        err.contains("`6432`") && err.contains("\"127.0.0.1:6432\""),
        "{err}"
    );
    // The same value from the environment.
    let out = run(
        &["config", "validate", &file],
        &[("ARTICDBM_PROXY__MYSQL_LISTEN", "nonsense")],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("`nonsense`") && err.contains("\"ip:port\""),
        "{err}"
    );
}

fn identity() -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    (cert.pem(), key.serialize_pem())
}

/// `config validate` and start-up on one TLS setup: both refuse it with the same single line.
fn validate_and_start(name: &str, cert: &str, key: &str) -> (String, String) {
    let dir = scratch(name);
    let cert_file = write(&dir.join("server.crt"), cert);
    let key_file = write(&dir.join("server.key"), key);
    let file = write(
        &dir.join("c.toml"),
        &format!(
            "[proxy]\npg_listen = \"127.0.0.1:0\"\nmysql_listen = \"\"\n\n[tls]\ncert = {cert_file:?}\nkey = {key_file:?}\n"
        ),
    );
    let validate = run(&["config", "validate", &file], &[]);
    assert_eq!(
        validate.status.code(),
        Some(2),
        "{}",
        text(&validate.stdout)
    );
    let start = run(&["proxy", "-c", &file], &[]);
    assert_eq!(start.status.code(), Some(2), "{}", text(&start.stdout));
    (text(&validate.stderr), text(&start.stderr))
}

#[test]
fn validate_loads_tls_files_as_start_up_does() {
    let (cert, key) = identity();
    let garbage =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    let (validate, start) = validate_and_start("tls-garbage", garbage, &key);
    for out in [&validate, &start] {
        assert_eq!(out.matches("tls.cert (line 6): ").count(), 1, "{out}");
        assert_eq!(out.matches("tls.").count(), 1, "one problem, once: {out}");
    }
    let (validate, start) = validate_and_start("tls-swapped", &key, &cert);
    for out in [&validate, &start] {
        assert_eq!(out.matches("tls.cert (line 6): ").count(), 1, "{out}");
        assert_eq!(out.matches("tls.key (line 7): ").count(), 1, "{out}");
        assert!(out.contains("swapped"), "{out}");
    }
    let (_, other_key) = identity();
    let (validate, _) = validate_and_start("tls-mismatch", &cert, &other_key);
    assert_eq!(
        validate.matches("tls.key (line 7): ").count(),
        1,
        "{validate}"
    );
}

#[test]
fn config_show_prints_the_effective_configuration_masked() {
    let dir = scratch("show");
    let verifier = "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy";
    let file = write(
        &dir.join("c.toml"),
        &format!(
            "[users.app]\npassword = \"{verifier}\"\n\n[databases.main]\ndbname = \"test\"\npassword_env = \"MAIN_PW\"\n"
        ),
    );
    let out = run(
        &["config", "show", &file],
        &[
            ("ARTICDBM_POOL__SIZE", "77"),
            ("MAIN_PW", "backend-secret"),
            ("ARTICDBM_PROXY__PG_LISTEN", "localhost:7432"),
        ],
    );
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(shown.contains("size = 77"), "{shown}");
    assert!(shown.contains("pg_listen = \"127.0.0.1:7432\""), "{shown}");
    assert!(shown.contains("password = \"********\""), "{shown}");
    assert!(shown.contains("password_env = \"MAIN_PW\""), "{shown}");
    assert!(
        !shown.contains(verifier) && !shown.contains("backend-secret"),
        "{shown}"
    );
    // What it prints is a configuration the proxy accepts (masks aside).
    let out = run(
        &["config", "show"],
        &[("ARTICDBM_DATA_DIR", "/nonexistent/x")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("built-in defaults"),
        "{}",
        text(&out.stdout)
    );
}
