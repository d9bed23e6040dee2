//! The Debian `mysql` command-line client (MariaDB's, libmariadb) through the proxy:
//! `mysql_native_password`, `caching_sha2_password` fast auth, and full authentication over
//! RSA without TLS. Each runs one statement, so these need the session loop.

mod common;

use std::process::Command;

use common::mysql::{MyDb, NAT_PW, SHA_PW, mysql_toml, start};
use common::{ALICE_PW, Setup};

/// Runs `mysql ... -e sql` in a blocking thread; returns (success, stdout, stderr).
async fn mysql_cli(
    port: u16,
    user: &str,
    password: &str,
    db: &str,
    sql: &str,
) -> (bool, String, String) {
    let args = vec![
        "--protocol=TCP".to_owned(),
        "-h".to_owned(),
        "127.0.0.1".to_owned(),
        "-P".to_owned(),
        port.to_string(),
        "-u".to_owned(),
        user.to_owned(),
        format!("-p{password}"),
        "--skip-ssl".to_owned(),
        "--batch".to_owned(),
        "--skip-column-names".to_owned(),
        "--connect-timeout=10".to_owned(),
        "-D".to_owned(),
        db.to_owned(),
        "-e".to_owned(),
        sql.to_owned(),
    ];
    let out = tokio::task::spawn_blocking(move || Command::new("mysql").args(&args).output())
        .await
        .expect("join")
        .expect("the mysql client (Debian package mariadb-client) runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn mysql_cli_logs_in_with_each_method_needs_session() {
    let db = MyDb::create().await;
    let p = start(Setup::new("session").toml(&mysql_toml(&db))).await;
    for (user, pw) in [("nat", NAT_PW), ("sha", SHA_PW), ("alice", ALICE_PW)] {
        let (ok, out, err) = mysql_cli(p.port, user, pw, &db.name, "SELECT 40 + 2").await;
        assert!(ok, "{user}: {err}");
        assert_eq!(out.trim(), "42", "{user}");
    }
    let (ok, _, err) = mysql_cli(p.port, "nat", "wrong", &db.name, "SELECT 1").await;
    assert!(!ok);
    assert!(
        err.contains(
            "ERROR 1045 (28000): Access denied for user 'nat'@'127.0.0.1' (using password: YES)"
        ),
        "{err}"
    );
}
