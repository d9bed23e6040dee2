//! Named prepared statements in transaction mode: a statement prepared once works in every later
//! transaction whichever server connection it lands on; two clients may use the same statement
//! names for different SQL; and a prepared COMMIT (or BEGIN) really commits (begins).

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use common::raw::{self, Raw};
use common::{ALICE_PW, BOB_PW, DB, Setup, Table, direct, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_survive_across_transactions_and_servers() {
    let proxy = Setup::new("transaction").size(2).start().await;
    let table = Table::create("ps", "client int, n int").await;
    let pids = Arc::new(Mutex::new(HashSet::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..4i32 {
        let client = proxy.alice().await;
        let t = table.name.clone();
        let pids = Arc::clone(&pids);
        tasks.spawn(async move {
            let insert = client
                .prepare(&format!("INSERT INTO {t} VALUES ($1, $2)"))
                .await
                .expect("prepare insert");
            let count = client
                .prepare(&format!("SELECT count(*) FROM {t} WHERE client = $1"))
                .await
                .expect("prepare count");
            let pid = client
                .prepare("SELECT pg_backend_pid()")
                .await
                .expect("prepare pid");
            let mut client = client;
            for n in 0..50i32 {
                let tx = client.transaction().await.expect("begin");
                tx.execute(&insert, &[&c, &n]).await.expect("insert");
                let seen: i64 = tx.query_one(&count, &[&c]).await.expect("count").get(0);
                assert_eq!(seen, i64::from(n) + 1);
                let p: i32 = tx.query_one(&pid, &[]).await.expect("pid").get(0);
                pids.lock().expect("pids").insert(p);
                tx.commit().await.expect("commit");
            }
        });
    }
    within(120, async {
        while let Some(r) = tasks.join_next().await {
            r.expect("client task");
        }
    })
    .await;
    assert_eq!(table.count().await, 200);
    let used = pids.lock().expect("pids").len();
    assert_eq!(
        used, 2,
        "transactions must have run on both server connections"
    );
}

/// Two raw clients prepare statement "s1" with different SQL and "s2" with the same SQL, on a
/// pool of one server connection; each always gets its own statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_statement_names_in_two_clients() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let mut a = Raw::login(proxy.port, "alice", ALICE_PW, DB, &[])
        .await
        .expect("a logs in");
    let mut b = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
        .await
        .expect("b logs in");
    let prep_a = [
        raw::parse("s1", "SELECT 'from a'::text"),
        raw::parse("s2", "SELECT 42"),
        raw::sync(),
    ]
    .concat();
    let prep_b = [
        raw::parse("s1", "SELECT 'from b'::text"),
        raw::parse("s2", "SELECT 42"),
        raw::sync(),
    ]
    .concat();
    assert_eq!(raw::tags(&a.exchange(&prep_a).await), "11Z");
    assert_eq!(raw::tags(&b.exchange(&prep_b).await), "11Z");
    for _ in 0..5 {
        for (client, want) in [(&mut a, "from a"), (&mut b, "from b")] {
            let frames = client.exchange(&raw::run_statement("s1")).await;
            assert_eq!(raw::error(&frames), None);
            assert_eq!(raw::rows(&frames), [[Some(want.to_string())]]);
            let frames = client.exchange(&raw::run_statement("s2")).await;
            assert_eq!(raw::rows(&frames), [[Some("42".to_string())]]);
        }
    }
    // Preparing a name twice is an error (42P05), like on PostgreSQL; the session goes on.
    let frames = a
        .exchange(&[raw::parse("s1", "SELECT 1"), raw::sync()].concat())
        .await;
    assert_eq!(raw::error_code(&frames), "42P05");
    assert_eq!(raw::status(&frames), b'I');
    // Closing a's s2 does not take b's away, even though they share the server statement.
    let frames = a
        .exchange(&[raw::close_statement("s2"), raw::sync()].concat())
        .await;
    assert_eq!(raw::tags(&frames), "3Z");
    let frames = b.exchange(&raw::run_statement("s2")).await;
    assert_eq!(raw::rows(&frames), [[Some("42".to_string())]]);
    let frames = a.exchange(&raw::run_statement("s2")).await;
    assert_eq!(raw::error_code(&frames), "26000", "a's s2 is gone");
    // Inside a transaction the statements work as well.
    let frames = a.exchange(&raw::query("BEGIN")).await;
    assert_eq!(raw::status(&frames), b'T');
    let frames = a.exchange(&raw::run_statement("s1")).await;
    assert_eq!(raw::rows(&frames), [[Some("from a".to_string())]]);
    assert_eq!(raw::status(&frames), b'T');
    let frames = a.exchange(&raw::query("COMMIT")).await;
    assert_eq!(raw::status(&frames), b'I');
}

/// `prepare("COMMIT")` and `prepare("BEGIN")` through the extended protocol: the transaction
/// really commits (seen from another connection), also when the statements were prepared on
/// another server connection than the one that runs them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_begin_and_commit_commit() {
    let proxy = Setup::new("transaction").size(2).start().await;
    let table = Table::create("pc", "n int").await;
    let t = &table.name;
    let client = proxy.alice().await;
    // Another client keeps one server connection busy now and then, so the two clients'
    // transactions move between the two server connections.
    let other = proxy.alice().await;
    let begin = client.prepare("BEGIN").await.expect("prepare BEGIN");
    let commit = client.prepare("COMMIT").await.expect("prepare COMMIT");
    let rollback = client.prepare("ROLLBACK").await.expect("prepare ROLLBACK");
    let insert = client
        .prepare(&format!("INSERT INTO {t} VALUES ($1)"))
        .await
        .expect("prepare insert");
    let observer = direct().await;
    for n in 0..10i32 {
        let hold = n % 2 == 0;
        if hold {
            other.batch_execute("BEGIN").await.expect("other begins");
        }
        client.execute(&begin, &[]).await.expect("prepared BEGIN");
        client.execute(&insert, &[&n]).await.expect("insert");
        let before: i64 = observer
            .query_one(&format!("SELECT count(*) FROM {t} WHERE n = $1"), &[&n])
            .await
            .expect("count")
            .get(0);
        assert_eq!(
            before, 0,
            "row {n} visible before COMMIT: BEGIN did not begin"
        );
        client.execute(&commit, &[]).await.expect("prepared COMMIT");
        let after: i64 = observer
            .query_one(&format!("SELECT count(*) FROM {t} WHERE n = $1"), &[&n])
            .await
            .expect("count")
            .get(0);
        assert_eq!(after, 1, "row {n} not committed by the prepared COMMIT");
        if hold {
            other.batch_execute("COMMIT").await.expect("other commits");
        }
    }
    // A prepared ROLLBACK rolls back.
    client.execute(&begin, &[]).await.expect("BEGIN");
    client.execute(&insert, &[&100i32]).await.expect("insert");
    client.execute(&rollback, &[]).await.expect("ROLLBACK");
    assert_eq!(table.count().await, 10);
    // The client is not left holding a server: a pool of two serves two other transactions.
    let third = proxy.alice().await;
    other.batch_execute("BEGIN").await.expect("begin");
    within(5, third.simple_query("SELECT 1"))
        .await
        .expect("a server is free");
    other.batch_execute("COMMIT").await.expect("commit");
}

/// `DEALLOCATE ALL` and `DISCARD ALL` drop the client's protocol-level statements, as on
/// PostgreSQL: the names can be prepared again (drivers do this after a reset), and the old
/// names are gone (26000).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deallocate_all_and_discard_all_forget_statements() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let mut c = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
        .await
        .expect("login");
    for reset in ["DEALLOCATE ALL", "discard all", "DEALLOCATE PREPARE ALL"] {
        let frames = c
            .exchange(&[raw::parse("s1", "SELECT 1"), raw::sync()].concat())
            .await;
        assert_eq!(raw::tags(&frames), "1Z", "prepare before {reset}");
        let frames = c.exchange(&raw::query(reset)).await;
        assert_eq!(raw::error(&frames), None, "{reset}");
        let frames = c.exchange(&raw::run_statement("s1")).await;
        assert_eq!(raw::error_code(&frames), "26000", "s1 after {reset}");
        let frames = c
            .exchange(&[raw::parse("s1", "SELECT 2"), raw::sync()].concat())
            .await;
        assert_eq!(raw::tags(&frames), "1Z", "prepare again after {reset}");
        let frames = c.exchange(&raw::run_statement("s1")).await;
        assert_eq!(raw::rows(&frames), [[Some("2".to_string())]]);
        let frames = c
            .exchange(&[raw::close_statement("s1"), raw::sync()].concat())
            .await;
        assert_eq!(raw::tags(&frames), "3Z");
    }
}

/// A Parse the server rejects creates no statement, as on PostgreSQL: the name can be prepared
/// again, and one skipped after an earlier error in its batch does not exist either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_parse_leaves_no_statement() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let mut c = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
        .await
        .expect("login");
    let frames = c
        .exchange(&[raw::parse("s1", "SELEC 1"), raw::sync()].concat())
        .await;
    assert_eq!(raw::error_code(&frames), "42601");
    let frames = c.exchange(&raw::run_statement("s1")).await;
    assert_eq!(raw::error_code(&frames), "26000", "s1 must not exist");
    let frames = c
        .exchange(&[raw::parse("s1", "SELECT 1"), raw::sync()].concat())
        .await;
    assert_eq!(
        raw::tags(&frames),
        "1Z",
        "s1 can be prepared after a failed Parse"
    );
    // s3 comes after a failing Execute in the same batch: the server skips its Parse.
    let frames = c
        .exchange(
            &[
                raw::parse("s2", "SELECT 1/0"),
                raw::bind("", "s2"),
                raw::execute(""),
                raw::parse("s3", "SELECT 3"),
                raw::sync(),
            ]
            .concat(),
        )
        .await;
    assert_eq!(raw::error_code(&frames), "22012");
    let frames = c.exchange(&raw::run_statement("s3")).await;
    assert_eq!(raw::error_code(&frames), "26000", "s3 was never prepared");
    let frames = c
        .exchange(&[raw::parse("s3", "SELECT 3"), raw::sync()].concat())
        .await;
    assert_eq!(raw::tags(&frames), "1Z");
    let frames = c.exchange(&raw::run_statement("s3")).await;
    assert_eq!(raw::rows(&frames), [[Some("3".to_string())]]);
    // s2 did parse: it exists.
    let frames = c
        .exchange(&[raw::parse("s2", "SELECT 2"), raw::sync()].concat())
        .await;
    assert_eq!(raw::error_code(&frames), "42P05");
}

/// A portal fetched in chunks across several Syncs inside a transaction (how pgjdbc's fetch size
/// and tokio-postgres' `query_portal` work) keeps its server connection, while other clients'
/// transactions run on the other one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_fetched_in_chunks_inside_a_transaction() {
    let proxy = Setup::new("transaction").size(2).start().await;
    let mut client = proxy.alice().await;
    let other = proxy.alice().await;
    let stmt = client
        .prepare("SELECT i FROM generate_series(1, 1000) AS i")
        .await
        .expect("prepare");
    let tx = client.transaction().await.expect("begin");
    let portal = tx.bind(&stmt, &[]).await.expect("bind");
    let mut seen = Vec::new();
    loop {
        let rows = tx.query_portal(&portal, 150).await.expect("fetch");
        if rows.is_empty() {
            break;
        }
        seen.extend(rows.iter().map(|r| r.get::<_, i32>(0)));
        // Another client works in between.
        other.simple_query("SELECT 1").await.expect("other client");
    }
    tx.commit().await.expect("commit");
    assert_eq!(seen, (1..=1000).collect::<Vec<i32>>());
}
