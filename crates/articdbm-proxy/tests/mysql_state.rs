//! MySQL session state across transaction-mode checkouts, through a real proxy in front of the
//! real MariaDB: a `SET` run as a prepared statement stays with its client and never reaches
//! the next one, `KILL` inside a multi-statement query is refused (its id would reach the
//! server unmapped), and `SHOW WARNINGS` sees the previous statement's warnings although the
//! session's `SET NAMES` is replayed at checkout.

mod common;

use common::Setup;
use common::mysql::{MyDb, MyProxy, NAT_PW, SHA_PW, mysql_toml, server_error, start};
use mysql_async::prelude::Queryable;

async fn proxy(db: &MyDb, mode: &'static str, size: u32) -> MyProxy {
    start(Setup::new(mode).size(size).toml(&mysql_toml(db))).await
}

async fn time_zone(conn: &mut mysql_async::Conn) -> String {
    conn.query_first("SELECT @@session.time_zone")
        .await
        .expect("time zone")
        .expect("a row")
}

#[tokio::test]
async fn prepared_set_stays_with_its_client() {
    let db = MyDb::create().await;
    // One server: whatever a leaves on it, the next client gets.
    let p = proxy(&db, "transaction", 1).await;
    let mut a = p.connect("nat", NAT_PW, Some(&db.name)).await.expect("a");
    a.exec_drop("SET SESSION time_zone = ?", ("+09:00",))
        .await
        .expect("prepared SET");
    a.exec_drop("SET SESSION sql_mode = ?", ("ANSI_QUOTES",))
        .await
        .expect("prepared SET sql_mode");
    assert_eq!(time_zone(&mut a).await, "+09:00", "a keeps its own setting");
    a.disconnect().await.expect("a leaves");
    for i in 0..3 {
        let mut b = p.connect("sha", SHA_PW, Some(&db.name)).await.expect("b");
        assert_ne!(time_zone(&mut b).await, "+09:00", "client {i} after a");
        let mode: String = b
            .query_first("SELECT @@session.sql_mode")
            .await
            .expect("sql_mode")
            .expect("row");
        assert!(!mode.contains("ANSI_QUOTES"), "client {i}: {mode}");
        b.disconnect().await.expect("b leaves");
    }
}

async fn kill_in_multi_statement(mode: &'static str) {
    let db = MyDb::create().await;
    let p = proxy(&db, mode, 2).await;
    let mut a = p.connect("nat", NAT_PW, Some(&db.name)).await.expect("a");
    let mut b = p.connect("nat", NAT_PW, Some(&db.name)).await.expect("b");
    // A proxy connection id is not a server thread id: inside a multi-statement query it
    // must never reach the server as it is.
    let (code, state, message) = server_error(
        b.query_drop(format!("SELECT 1; KILL QUERY {}; SELECT 2", a.id()))
            .await,
    );
    assert_eq!((code, state.as_str()), (1235, "42000"), "{message}");
    assert!(message.contains("KILL"), "{message}");
    // Both sessions go on.
    let one: Option<i64> = b.query_first("SELECT 1").await.expect("b goes on");
    assert_eq!(one, Some(1));
    let two: Option<i64> = a.query_first("SELECT 2").await.expect("a goes on");
    assert_eq!(two, Some(2));
}

#[tokio::test]
async fn kill_in_multi_statement_session_mode() {
    kill_in_multi_statement("session").await;
}

#[tokio::test]
async fn kill_in_multi_statement_transaction_mode() {
    kill_in_multi_statement("transaction").await;
}

async fn warnings_survive_checkout(mode: &'static str) {
    let db = MyDb::create().await;
    let p = proxy(&db, mode, 2).await;
    let mut c = p.connect("nat", NAT_PW, Some(&db.name)).await.expect("c");
    // Drivers send this at connect; it is replayed on every server the session gets.
    c.query_drop("SET NAMES utf8mb4").await.expect("SET NAMES");
    c.query_drop("DROP TABLE IF EXISTS no_such_table_here")
        .await
        .expect("drop");
    assert_eq!(c.get_warnings(), 1, "the OK reports one warning");
    let warnings: Vec<(String, u32, String)> =
        c.query("SHOW WARNINGS").await.expect("SHOW WARNINGS");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].1, 1051, "{warnings:?}");
    // Errors too (SHOW ERRORS / SHOW WARNINGS list them).
    let r = c.query_drop("SELECT * FROM no_such_table_here").await;
    assert_eq!(server_error(r).0, 1146);
    let errors: Vec<(String, u32, String)> = c.query("SHOW ERRORS").await.expect("SHOW ERRORS");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].1, 1146, "{errors:?}");
}

#[tokio::test]
async fn warnings_survive_checkout_session_mode() {
    warnings_survive_checkout("session").await;
}

#[tokio::test]
async fn warnings_survive_checkout_transaction_mode() {
    warnings_survive_checkout("transaction").await;
}
