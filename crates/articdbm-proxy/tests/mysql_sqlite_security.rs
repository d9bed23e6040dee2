//! The embedded SQLite backend behind the same security seam as the other backends, seen
//! from a real MySQL client: every COM_QUERY and COM_STMT_PREPARE text is shown to the
//! inspector with the session's user and database (a `Block` is ERR 1142 and the session
//! goes on; an `Alert` runs and is counted), bound parameters are never shown, `KILL QUERY`
//! from another connection interrupts a running SQLite statement (ERR 1317), and
//! `KILL <id>` ends that session.

mod common;
mod mysql_sqlite_common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use articdbm_proxy::StatementInspector;
use articdbm_proxy::inspect::{Protocol, StatementContext, StatementSource, Verdict};
use common::mysql::server_error;
use common::within;
use mysql_async::prelude::Queryable;
use mysql_sqlite_common::{LITE, LiteMy};

/// Records what it sees; blocks `forbidden_tbl`, alerts on `suspicious`.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<(String, String, StatementSource, String)>>,
}

impl StatementInspector for Recorder {
    fn inspect(&self, ctx: &StatementContext<'_>) -> Verdict {
        assert_eq!(ctx.protocol, Protocol::MySql);
        self.seen.lock().expect("lock").push((
            ctx.user.to_string(),
            ctx.database.to_string(),
            ctx.source,
            ctx.sql.to_string(),
        ));
        let sql = ctx.sql.to_ascii_lowercase();
        if sql.contains("forbidden_tbl") {
            Verdict::Block {
                rule: "no-forbidden".into(),
                message: "access to forbidden_tbl is not allowed".into(),
                sqlstate: "42501",
            }
        } else if sql.contains("suspicious") {
            Verdict::Alert {
                rule: "watch".into(),
                reason: "suspicious name".into(),
            }
        } else {
            Verdict::Allow
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspection_verdicts() {
    let recorder = Arc::new(Recorder::default());
    let p = LiteMy::start_inspected(recorder.clone()).await;
    let mut c = p.conn().await;
    c.query_drop("CREATE TABLE forbidden_tbl (secret TEXT)")
        .await
        .expect_err("blocked");
    let (code, state, msg) = server_error(c.query_drop("SELECT * FROM forbidden_tbl").await);
    assert_eq!((code, state.as_str()), (1142, "42000"));
    assert!(msg.contains("no-forbidden"), "{msg}");
    let (code, _, _) = server_error(
        c.exec_drop("SELECT * FROM Forbidden_Tbl WHERE a = ?", (1,))
            .await,
    );
    assert_eq!(code, 1142, "prepared statements are inspected too");
    // Nothing of the blocked statements ran.
    let tables: Vec<String> = c.query("SHOW TABLES").await.expect("session goes on");
    assert!(tables.is_empty(), "{tables:?}");
    // Alerts run and are counted.
    c.query_drop("CREATE TABLE suspicious (a INT)")
        .await
        .expect("alerted runs");
    assert!(
        p.proxy
            .state
            .counters
            .statements_alerted
            .load(Ordering::Relaxed)
            >= 1
    );
    assert!(
        p.proxy
            .state
            .counters
            .statements_blocked
            .load(Ordering::Relaxed)
            >= 3
    );
    // Parameters are data: the inspector sees the text with its placeholder only.
    c.exec_drop("INSERT INTO suspicious (a) VALUES (?)", (424_242,))
        .await
        .expect("insert");
    let seen = recorder.seen.lock().expect("lock").clone();
    assert!(
        seen.iter()
            .all(|(user, db, _, _)| user == "nat" && db == LITE)
    );
    assert!(
        seen.iter()
            .any(|(_, _, source, sql)| *source == StatementSource::Prepare
                && sql == "INSERT INTO suspicious (a) VALUES (?)")
    );
    assert!(!seen.iter().any(|(_, _, _, sql)| sql.contains("424242")));
    c.disconnect().await.expect("disconnect");
}

/// A statement that runs for a long time inside SQLite.
const SLOW: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000000) SELECT count(*) FROM n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_query_interrupts_sqlite() {
    let p = LiteMy::start().await;
    let mut a = p.conn().await;
    let mut b = p.conn().await;
    let id = a.id();
    let started = Instant::now();
    let sleeper = tokio::spawn(async move {
        let r: Result<Option<i64>, _> = a.query_first(SLOW).await;
        (a, r)
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.query_drop(format!("KILL QUERY {id}"))
        .await
        .expect("KILL QUERY");
    let (mut a, r) = within(20, sleeper).await.expect("sleeper");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server_error(r).0, 1317);
    let one: Option<i64> = a.query_first("SELECT 1").await.expect("a goes on");
    assert_eq!(one, Some(1));
    // KILL <id>: the statement stops and the session ends.
    let id = a.id();
    let runner = tokio::spawn(async move {
        let r: Result<Option<i64>, _> = a.query_first(SLOW).await;
        (a, r)
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.query_drop(format!("KILL {id}")).await.expect("KILL");
    let (mut a, r) = within(20, runner).await.expect("runner");
    assert_eq!(server_error(r).0, 1317);
    assert!(
        a.query_drop("SELECT 1").await.is_err(),
        "killed session ends"
    );
    let (code, _, _) = server_error(b.query_drop("KILL QUERY 999999").await);
    assert_eq!(code, 1094);
    b.disconnect().await.expect("disconnect");
}
