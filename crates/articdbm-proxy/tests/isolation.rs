//! Session state never leaks from one client to the next on a shared server connection:
//! settings, temporary tables, advisory locks and SQL-level prepared statements of client A are
//! gone when client B gets the same server. In transaction mode settings follow A and are undone
//! for B at once, while state that cannot move (temporary tables, locks, SQL PREPARE) keeps A on
//! its server until A leaves or runs DISCARD ALL; in session mode everything is reset when A
//! leaves.

mod common;

use common::{Setup, backend_pid_of, code_of, direct, within};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

const LOCK_KEY: i64 = 0x0a71_cdb0;

async fn dirty(a: &Client, lock: i64) {
    a.batch_execute("SET work_mem = '7MB'").await.expect("set");
    a.batch_execute("CREATE TEMP TABLE leak_probe (a int)")
        .await
        .expect("temp table");
    a.query("SELECT pg_advisory_lock($1)", &[&lock])
        .await
        .expect("advisory lock");
    a.batch_execute("PREPARE leak_stmt AS SELECT 1")
        .await
        .expect("prepare");
}

async fn assert_clean(b: &Client, lock: i64) {
    let wm: String = b
        .query_one("SELECT current_setting('work_mem')", &[])
        .await
        .expect("work_mem")
        .get(0);
    assert_eq!(wm, "4MB", "work_mem leaked");
    let tmp: Option<String> = b
        .query_one("SELECT to_regclass('pg_temp.leak_probe')::text", &[])
        .await
        .expect("to_regclass")
        .get(0);
    assert_eq!(tmp, None, "temporary table leaked");
    let r = b.batch_execute("EXECUTE leak_stmt").await;
    assert_eq!(code_of(r), SqlState::UNDEFINED_PSTATEMENT);
    // Nobody holds the advisory lock any more.
    let d = direct().await;
    let got: bool = d
        .query_one("SELECT pg_try_advisory_lock($1)", &[&lock])
        .await
        .expect("try lock")
        .get(0);
    assert!(got, "advisory lock leaked");
    d.query("SELECT pg_advisory_unlock($1)", &[&lock])
        .await
        .expect("unlock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_leaks_in_transaction_mode() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let a = proxy.alice_conn().await;
    let b = proxy.alice().await;
    let pid = backend_pid_of(&a.client).await;
    // A setting alone: b shares the server at once and does not see it.
    a.client
        .batch_execute("SET work_mem = '7MB'")
        .await
        .expect("set");
    assert_eq!(
        backend_pid_of(&b).await,
        pid,
        "one shared server connection"
    );
    let wm: String = b
        .query_one("SELECT current_setting('work_mem')", &[])
        .await
        .expect("work_mem")
        .get(0);
    assert_eq!(wm, "4MB", "work_mem leaked");
    // State that cannot move keeps a on the server until it leaves.
    dirty(&a.client, LOCK_KEY).await;
    drop(a.client);
    let _ = within(5, a.task).await;
    let pid_b = within(15, backend_pid_of(&b)).await;
    assert_eq!(pid_b, pid, "one shared server connection");
    assert_clean(&b, LOCK_KEY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_leaks_in_session_mode() {
    let proxy = Setup::new("session").size(1).start().await;
    let a = proxy.alice_conn().await;
    let pid = backend_pid_of(&a.client).await;
    dirty(&a.client, LOCK_KEY + 1).await;
    drop(a.client);
    let _ = within(5, a.task).await;
    let b = within(15, async {
        // The server is reset in the background before it is handed out again.
        proxy.alice().await
    })
    .await;
    assert_eq!(
        backend_pid_of(&b).await,
        pid,
        "the server connection was reused"
    );
    assert_clean(&b, LOCK_KEY + 1).await;
}

/// The same through the extended protocol, where a statement is prepared in one transaction and
/// executed in a later one (tokio-postgres, pgx and pgjdbc work this way).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_leaks_through_prepared_statements() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let a = proxy.alice().await;
    let b = proxy.alice().await;
    let set = a
        .prepare("SET work_mem = '7MB'")
        .await
        .expect("prepare SET");
    let lock = a
        .prepare("SELECT pg_advisory_lock($1)")
        .await
        .expect("prepare lock");
    let temp = a
        .prepare("CREATE TEMP TABLE leak_probe (a int)")
        .await
        .expect("prepare temp");
    // SQL-level PREPARE, itself through the extended protocol.
    let prep = a
        .prepare("PREPARE leak_stmt AS SELECT 1")
        .await
        .expect("prepare PREPARE");
    // Every Parse above is over; now only Bind/Execute run, each in its own transaction.
    a.execute(&set, &[]).await.expect("SET");
    a.query(&lock, &[&(LOCK_KEY + 2)]).await.expect("lock");
    a.execute(&temp, &[]).await.expect("temp table");
    a.execute(&prep, &[]).await.expect("PREPARE");
    // a keeps its server: its state is there in its later transactions.
    let tmp: Option<String> = a
        .query_one("SELECT to_regclass('pg_temp.leak_probe')::text", &[])
        .await
        .expect("to_regclass")
        .get(0);
    assert!(tmp.is_some(), "a lost its temporary table");
    a.batch_execute("EXECUTE leak_stmt")
        .await
        .expect("a's SQL-level statement");
    // Preparing (not running) DISCARD ALL changes nothing: a's statements still work.
    let one = a.prepare("SELECT 1").await.expect("prepare");
    let discard = a.prepare("DISCARD ALL").await.expect("prepare DISCARD ALL");
    let n: i32 = a
        .query_one(&one, &[])
        .await
        .expect("statements survive a prepared DISCARD ALL")
        .get(0);
    assert_eq!(n, 1);
    a.execute(&discard, &[]).await.expect("DISCARD ALL");
    let r = a.query(&one, &[]).await;
    assert_eq!(
        code_of(r),
        SqlState::UNDEFINED_PSTATEMENT,
        "DISCARD ALL ran"
    );
    // DISCARD ALL left nothing to keep a on its server: b gets it, clean.
    within(15, assert_clean(&b, LOCK_KEY + 2)).await;
}
