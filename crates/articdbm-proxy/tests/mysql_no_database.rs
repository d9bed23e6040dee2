//! MySQL logins without a database when several MySQL databases are configured, through a
//! real proxy in front of the real MariaDB: accepted as MySQL and ProxySQL accept them;
//! `SELECT 1`, `SET`, `SHOW DATABASES`, `KILL` and `USE` work without a server, a statement
//! that needs a database gets 1046, `users.<name>.default_database` puts such a login in its
//! database, and the mysql CLI's Ctrl-C (a database-less connection sending `KILL QUERY`)
//! stops the running query.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use articdbm_wire_mysql::auth::NativeVerifier;
use common::mysql::{MyDb, MyProxy, NAT_PW, direct, mysql_toml, server_error, start};
use common::{Setup, unique, within};
use mysql_async::prelude::Queryable;

/// Two MySQL databases (`db`, `other`); user `defaulted` lands in `other`.
async fn proxy(mode: &'static str, db: &MyDb, other: &MyDb) -> MyProxy {
    let nat = NativeVerifier::from_password(NAT_PW.as_bytes());
    let extra = format!(
        r#"
[databases.{o}]
kind = "mysql"
port = 3306
user = "root"

[users.defaulted]
mysql_password = "{nat}"
default_database = "{o}"
"#,
        o = other.name,
    );
    start(Setup::new(mode).toml(&mysql_toml(db)).toml(&extra)).await
}

async fn login_without_database(mode: &'static str) {
    let db = MyDb::create().await;
    let other = MyDb::create().await;
    let p = proxy(mode, &db, &other).await;
    let mut c = p
        .connect("nat", NAT_PW, None)
        .await
        .expect("login without a database");
    let one: Option<i64> = c.query_first("SELECT 1").await.expect("SELECT 1");
    assert_eq!(one, Some(1));
    let none: Option<Option<String>> = c.query_first("SELECT DATABASE()").await.expect("db");
    assert_eq!(none, Some(None));
    let mut names: Vec<String> = c.query("SHOW DATABASES").await.expect("SHOW DATABASES");
    names.sort();
    let mut expected = vec![db.name.clone(), other.name.clone()];
    expected.sort();
    assert_eq!(names, expected);
    c.query_drop("SET time_zone = '+03:00'").await.expect("SET");
    let (code, state, message) = server_error(c.query_drop("SELECT * FROM t").await);
    assert_eq!((code, state.as_str()), (1046, "3D000"), "{message}");
    let (code, _, message) = server_error(c.query_drop("USE mysql").await);
    assert_eq!(code, 1049, "{message}");
    c.query_drop(format!("USE {}", db.name)).await.expect("USE");
    let row: Option<(String, String)> = c
        .query_first("SELECT @@session.time_zone, DATABASE()")
        .await
        .expect("state after USE");
    assert_eq!(row, Some(("+03:00".into(), db.name.clone())));

    let mut d = p
        .connect("defaulted", NAT_PW, None)
        .await
        .expect("login with a default database");
    let name: Option<String> = d.query_first("SELECT DATABASE()").await.expect("db");
    assert_eq!(name.as_deref(), Some(other.name.as_str()));
}

#[tokio::test]
async fn login_without_database_session_mode() {
    login_without_database("session").await;
}

#[tokio::test]
async fn login_without_database_transaction_mode() {
    login_without_database("transaction").await;
}

/// Whether a server thread still runs a statement containing `marker`.
async fn still_running(marker: &str) -> bool {
    let mut root = direct().await;
    let n: Option<i64> = root
        .query_first(format!(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
             WHERE INFO LIKE '%{marker}%' AND INFO NOT LIKE '%PROCESSLIST%'"
        ))
        .await
        .expect("processlist");
    n.unwrap_or(0) > 0
}

async fn mysql_cli_ctrl_c(mode: &'static str) {
    let db = MyDb::create().await;
    let other = MyDb::create().await;
    let p = proxy(mode, &db, &other).await;
    let marker = unique("ctrlc");
    let mut child = Command::new("mysql")
        .args([
            "--protocol=TCP",
            "-h",
            "127.0.0.1",
            "-P",
            &p.port.to_string(),
            "-u",
            "nat",
            &format!("-p{NAT_PW}"),
            "--skip-ssl",
            "--connect-timeout=10",
            "-D",
            &db.name,
            "-e",
            &format!("SELECT SLEEP(30) AS {marker}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mysql client runs");
    let started = Instant::now();
    let mut seen = false;
    for _ in 0..50 {
        if still_running(&marker).await {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "the query reached the server");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let output = within(
        20,
        tokio::task::spawn_blocking(move || {
            // A second Ctrl-C would make the CLI give up; wait for it to finish on its own.
            let _ = child.stdin.take();
            child.wait_with_output()
        }),
    )
    .await
    .expect("join")
    .expect("the mysql client ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout.contains("query killed"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        !stdout.contains("cannot connect"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    // The server's statement stopped too (no orphan holding a server).
    let mut stopped = false;
    for _ in 0..30 {
        if !still_running(&marker).await {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stopped, "the server thread still runs the query");
}

#[tokio::test]
async fn mysql_cli_ctrl_c_session_mode() {
    mysql_cli_ctrl_c("session").await;
}

#[tokio::test]
async fn mysql_cli_ctrl_c_transaction_mode() {
    mysql_cli_ctrl_c("transaction").await;
}
