//! The inspection seam: a test `StatementInspector` blocks every statement that mentions
//! `forbidden_tbl`. A blocked statement gets the inspector's SQLSTATE (42501) and never reaches
//! the server, the session goes on, bound parameters are data (never inspected), and inside a
//! transaction a blocked statement fails the transaction exactly as a server error would.

mod common;

use std::sync::{Arc, Mutex};

use articdbm_proxy::inspect::{StatementContext, StatementSource};
use articdbm_proxy::{StatementInspector, Verdict};
use common::raw::{self, Raw};
use common::{BOB_PW, DB, Proxy, Setup, Table, code_of, message_of, within};
use tokio_postgres::error::SqlState;

/// Blocks statements mentioning `forbidden_tbl`; remembers everything it was shown.
#[derive(Default)]
struct Forbid {
    seen: Mutex<Vec<(StatementSource, String)>>,
}

impl StatementInspector for Forbid {
    fn inspect(&self, ctx: &StatementContext<'_>) -> Verdict {
        self.seen
            .lock()
            .expect("seen")
            .push((ctx.source, ctx.sql.to_string()));
        if ctx.sql.to_ascii_lowercase().contains("forbidden_tbl") {
            Verdict::Block {
                rule: "no-forbidden".into(),
                message: "access to forbidden_tbl is not allowed".into(),
                sqlstate: "42501",
            }
        } else {
            Verdict::Allow
        }
    }
}

async fn start(mode: &'static str) -> (Proxy, Arc<Forbid>) {
    let inspector = Arc::new(Forbid::default());
    let proxy = Setup::new(mode)
        .size(2)
        .inspector(inspector.clone())
        .start()
        .await;
    (proxy, inspector)
}

async fn blocked_simple_and_extended(mode: &'static str) {
    let (proxy, inspector) = start(mode).await;
    let client = proxy.alice().await;

    let r = client.simple_query("SELECT * FROM forbidden_tbl").await;
    assert_eq!(code_of(r), SqlState::INSUFFICIENT_PRIVILEGE);
    let r = client
        .simple_query("select 1; SELECT * FROM Forbidden_Tbl")
        .await;
    let msg = message_of(r);
    assert!(
        msg.contains("no-forbidden"),
        "message names the rule: {msg}"
    );
    client
        .simple_query("SELECT 1")
        .await
        .expect("session continues");

    let r = client
        .query("SELECT * FROM forbidden_tbl WHERE a = $1", &[&1i32])
        .await;
    assert_eq!(code_of(r), SqlState::INSUFFICIENT_PRIVILEGE);
    let n: i32 = client
        .query_one("SELECT $1::int * 2", &[&21i32])
        .await
        .expect("next statement works")
        .get(0);
    assert_eq!(n, 42);

    // Bound parameters are data: never inspected, never blocked.
    let v: String = client
        .query_one("SELECT $1::text", &[&"forbidden_tbl"])
        .await
        .expect("parameter value is not SQL")
        .get(0);
    assert_eq!(v, "forbidden_tbl");
    let seen = inspector.seen.lock().expect("seen").clone();
    assert!(
        seen.iter()
            .any(|(s, q)| *s == StatementSource::Prepare && q == "SELECT $1::text")
    );
    assert!(seen.iter().any(|(s, _)| *s == StatementSource::SimpleQuery));
    let blocked = proxy
        .state
        .counters
        .statements_blocked
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(blocked, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_statements_in_transaction_mode() {
    blocked_simple_and_extended("transaction").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_statements_in_session_mode() {
    blocked_simple_and_extended("session").await;
}

/// A blocked Parse in a pipeline: the rest of its batch is skipped up to Sync (one error, one
/// ReadyForQuery), and the batch that follows in the same write runs normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_parse_in_a_pipeline() {
    let (proxy, _) = start("transaction").await;
    let mut c = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
        .await
        .expect("login");
    let pipeline = [
        raw::parse("", "SELECT * FROM forbidden_tbl"),
        raw::bind("", ""),
        raw::execute(""),
        raw::sync(),
        raw::parse("", "SELECT 'after'::text"),
        raw::bind("", ""),
        raw::execute(""),
        raw::sync(),
    ]
    .concat();
    c.send(&pipeline).await.expect("send");
    let first = within(10, c.until_ready()).await;
    assert_eq!(raw::tags(&first), "EZ");
    assert_eq!(raw::error_code(&first), "42501");
    let second = within(10, c.until_ready()).await;
    assert_eq!(raw::tags(&second), "12DCZ");
    assert_eq!(raw::rows(&second), [[Some("after".to_string())]]);
}

/// Inside an explicit transaction a blocked statement fails the transaction like any error on
/// PostgreSQL: later statements get 25P02 and COMMIT rolls back, so no partial transaction is
/// ever committed. Checked for both protocols and both pool modes.
async fn blocked_inside_transaction(mode: &'static str) {
    let (proxy, _) = start(mode).await;
    let table = Table::create("insp", "n int").await;
    let t = &table.name;
    let client = proxy.alice().await;
    for extended in [false, true] {
        client.batch_execute("BEGIN").await.expect("begin");
        client
            .execute(&format!("INSERT INTO {t} VALUES (1)"), &[])
            .await
            .expect("insert");
        let r = if extended {
            client
                .query("SELECT * FROM forbidden_tbl WHERE a = $1", &[&1i32])
                .await
                .map(|_| ())
        } else {
            client
                .simple_query("SELECT * FROM forbidden_tbl")
                .await
                .map(|_| ())
        };
        assert_eq!(code_of(r), SqlState::INSUFFICIENT_PRIVILEGE);
        let r = client
            .execute(&format!("INSERT INTO {t} VALUES (2)"), &[])
            .await;
        assert_eq!(code_of(r), SqlState::IN_FAILED_SQL_TRANSACTION);
        let msgs = client.simple_query("COMMIT").await.expect("commit");
        let tag = msgs.iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::CommandComplete(_) => Some(()),
            _ => None,
        });
        assert!(tag.is_some());
        assert_eq!(
            table.count().await,
            0,
            "a failed transaction committed rows"
        );
        // The session is healthy and outside any transaction.
        client
            .execute(&format!("INSERT INTO {t} VALUES (3)"), &[])
            .await
            .expect("autocommit insert");
        assert_eq!(table.count().await, 1);
        client
            .execute(&format!("DELETE FROM {t}"), &[])
            .await
            .expect("cleanup");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_inside_transaction_in_transaction_mode() {
    blocked_inside_transaction("transaction").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_inside_transaction_in_session_mode() {
    blocked_inside_transaction("session").await;
}

/// A blocked Parse in the middle of an implicit-transaction batch (INSERT, then the blocked
/// statement, one Sync) rolls the INSERT back, as a server error there would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_parse_rolls_back_its_batch() {
    let (proxy, _) = start("transaction").await;
    let table = Table::create("inspb", "n int").await;
    let mut c = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
        .await
        .expect("login");
    let batch = [
        raw::parse("", &format!("INSERT INTO {} VALUES (1)", table.name)),
        raw::bind("", ""),
        raw::execute(""),
        raw::parse("", "SELECT * FROM forbidden_tbl"),
        raw::bind("", ""),
        raw::execute(""),
        raw::sync(),
    ]
    .concat();
    let frames = c.exchange(&batch).await;
    assert_eq!(raw::error_code(&frames), "42501");
    assert_eq!(raw::status(&frames), b'I');
    assert_eq!(table.count().await, 0, "the batch's INSERT was committed");
    let frames = c.exchange(&raw::query("SELECT 1")).await;
    assert_eq!(raw::rows(&frames), [[Some("1".to_string())]]);
}
