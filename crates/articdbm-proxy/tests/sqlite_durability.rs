//! A proxy killed with SIGKILL loses no acknowledged commit of its SQLite database: the WAL
//! holds every committed transaction when COMMIT returns. The proxy runs in a child process
//! (this test binary again, running `child_proxy`), is killed mid-traffic, and the file is
//! then read directly.

mod common;
mod sqlite_common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{ALICE_PW, Setup, within};
use sqlite_common::{LITE, TempDir};

const DB_VAR: &str = "ARTICDBM_TEST_SQLITE_CHILD_DB";
const PORT_VAR: &str = "ARTICDBM_TEST_SQLITE_CHILD_PORT_FILE";

/// The child side: serves the database named by the environment until it is killed. Does
/// nothing when run on its own.
#[tokio::test]
#[ignore = "run by killed_proxy_loses_no_committed_transaction in a child process"]
async fn child_proxy() {
    let (Ok(db), Ok(port_file)) = (std::env::var(DB_VAR), std::env::var(PORT_VAR)) else {
        return;
    };
    let proxy = Setup::new("session")
        .toml(&format!(
            "[databases.{LITE}]\nkind = \"sqlite\"\npath = \"{db}\"\n"
        ))
        .start()
        .await;
    let tmp = format!("{port_file}.tmp");
    std::fs::write(&tmp, proxy.port.to_string()).expect("port file");
    std::fs::rename(&tmp, &port_file).expect("port file");
    tokio::time::sleep(Duration::from_secs(120)).await;
}

#[tokio::test]
async fn killed_proxy_loses_no_committed_transaction() {
    let dir = TempDir::new("sqlite_kill");
    let db: PathBuf = dir.file("durable.db");
    let port_file = dir.file("port");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--ignored", "--exact", "child_proxy", "--nocapture"])
        .env(DB_VAR, &db)
        .env(PORT_VAR, &port_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("child proxy");
    let port: u16 = within(30, async {
        loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                break text.trim().parse().expect("port");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(port)
        .user("alice")
        .password(ALICE_PW)
        .dbname(LITE);
    let conn = within(20, common::connect_with(&config))
        .await
        .expect("connects");
    let c = conn.client;
    c.batch_execute("CREATE TABLE d (id BIGINT PRIMARY KEY, payload TEXT)")
        .await
        .expect("schema");
    let mut acknowledged: Vec<i64> = Vec::new();
    for i in 0..300i64 {
        if i % 3 == 0 {
            c.batch_execute(&format!(
                "BEGIN; INSERT INTO d VALUES ({i}, 'tx'); INSERT INTO d VALUES ({}, 'tx'); COMMIT",
                i + 100_000
            ))
            .await
            .expect("transaction");
            acknowledged.extend([i, i + 100_000]);
        } else {
            c.execute("INSERT INTO d VALUES ($1, 'auto')", &[&i])
                .await
                .expect("insert");
            acknowledged.push(i);
        }
    }
    // Start a transaction that never commits, then kill the proxy.
    c.batch_execute("BEGIN; INSERT INTO d VALUES (-1, 'uncommitted')")
        .await
        .expect("open transaction");
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    drop(c);

    let file = rusqlite::Connection::open(&db).expect("open the file directly");
    let mut stmt = file
        .prepare("SELECT id FROM d ORDER BY id")
        .expect("prepare");
    let mut found: Vec<i64> = stmt
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    found.sort_unstable();
    acknowledged.sort_unstable();
    assert_eq!(
        found, acknowledged,
        "every acknowledged commit survives, nothing else"
    );
}
