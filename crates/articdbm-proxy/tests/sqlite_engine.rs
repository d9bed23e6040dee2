//! The SQLite engine API that both front ends use, on a real file: sessions share a bounded
//! set of connections, writers queue on the writer lock (and time out with `Busy`), rows come
//! in bounded batches, a cursor survives another statement in between, transactions and
//! savepoints, interrupts, and error classes.

mod common;
mod sqlite_common;

use std::sync::Arc;
use std::time::Duration;

use articdbm_config::SqliteSettings;
use articdbm_proxy::sqlite::{ErrorClass, SqliteDatabase, Value};
use common::within;
use sqlite_common::TempDir;

fn open(dir: &TempDir, busy_ms: u64, max_connections: u32) -> Arc<SqliteDatabase> {
    SqliteDatabase::open(
        "engine",
        &SqliteSettings {
            path: dir.file("engine.db"),
            busy_timeout: Duration::from_millis(busy_ms),
            max_connections,
        },
    )
    .expect("open")
}

async fn exec(
    s: &mut articdbm_proxy::sqlite::SqliteSession,
    sql: &str,
) -> Result<Vec<Vec<Value>>, articdbm_proxy::sqlite::SqliteError> {
    let mut e = s.execute(sql, Vec::new()).await?;
    let mut rows = Vec::new();
    while let Some(batch) = e.next_batch().await {
        rows.extend(batch?);
    }
    Ok(rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_queue_behind_an_open_transaction_and_time_out() {
    let dir = TempDir::new("engine");
    let db = open(&dir, 3000, 4);
    let mut a = db.session();
    exec(&mut a, "CREATE TABLE t (x INTEGER)")
        .await
        .expect("create");
    exec(&mut a, "BEGIN").await.expect("begin");
    assert!(a.in_transaction());
    exec(&mut a, "INSERT INTO t VALUES (1)")
        .await
        .expect("insert");
    let db2 = Arc::clone(&db);
    let waiter = tokio::spawn(async move {
        let mut b = db2.session();
        exec(&mut b, "INSERT INTO t VALUES (2)").await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "the second writer waits for the lock"
    );
    // Readers are not blocked by the writer.
    let mut r = db.session();
    let rows = exec(&mut r, "SELECT count(*) FROM t").await.expect("read");
    assert_eq!(rows, vec![vec![Value::Integer(0)]]);
    exec(&mut a, "COMMIT").await.expect("commit");
    within(10, waiter)
        .await
        .expect("joined")
        .expect("queued write ran");
    let rows = exec(&mut r, "SELECT count(*) FROM t").await.expect("read");
    assert_eq!(rows, vec![vec![Value::Integer(2)]]);

    // A writer that waits longer than the busy timeout gets Busy (55P03).
    let short_dir = TempDir::new("engine_short");
    let short = open(&short_dir, 200, 4);
    let mut a = short.session();
    exec(&mut a, "CREATE TABLE t (x INTEGER)")
        .await
        .expect("create");
    exec(&mut a, "BEGIN IMMEDIATE").await.expect("begin");
    let mut b = short.session();
    let e = exec(&mut b, "INSERT INTO t VALUES (1)")
        .await
        .expect_err("busy");
    assert_eq!((e.class, e.sqlstate()), (ErrorClass::Busy, "55P03"));
    assert_eq!(e.mysql_code(), (1205, "HY000"));
    exec(&mut a, "ROLLBACK").await.expect("rollback");
    exec(&mut b, "INSERT INTO t VALUES (1)")
        .await
        .expect("now free");
}

#[tokio::test]
async fn rows_stream_in_batches_and_cursors_survive_other_statements() {
    let dir = TempDir::new("engine");
    let db = open(&dir, 1000, 1);
    let mut s = db.session();
    exec(
        &mut s,
        "CREATE TABLE n AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r \
         WHERE i < 5000) SELECT i FROM r",
    )
    .await
    .expect("create");
    let mut e = s
        .execute(
            "SELECT i FROM n WHERE i > ?1 ORDER BY i",
            vec![Value::Integer(0)],
        )
        .await
        .expect("select");
    assert_eq!(e.columns()[0].name, "i");
    let first = e.next_batch().await.expect("rows").expect("ok");
    assert!(first.len() < 5000, "a batch is bounded");
    // Another statement while the cursor is open (the only connection).
    let other = exec(&mut s, "SELECT count(*) FROM n").await.expect("other");
    assert_eq!(other, vec![vec![Value::Integer(5000)]]);
    let mut total = first.len();
    while let Some(batch) = e.next_batch().await {
        total += batch.expect("ok").len();
    }
    assert_eq!(total, 5000);
    assert_eq!(e.done().expect("done").rows, 5000);
    drop(e);
    s.release_idle();
    // With max_connections = 1 a second session gets the connection once the first is idle.
    let mut t = db.session();
    let rows = within(5, exec(&mut t, "SELECT 1"))
        .await
        .expect("second session");
    assert_eq!(rows, vec![vec![Value::Integer(1)]]);
}

#[tokio::test]
async fn transactions_savepoints_changes_and_errors() {
    let dir = TempDir::new("engine");
    let db = open(&dir, 1000, 2);
    let mut s = db.session();
    exec(
        &mut s,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)",
    )
    .await
    .expect("create");
    let mut e = s
        .execute(
            "INSERT INTO t (v) VALUES (?1), (?2)",
            vec![Value::Text("a".into()), Value::Text("b".into())],
        )
        .await
        .expect("insert");
    let done = e.finish().await.expect("done");
    assert_eq!((done.changes, done.last_insert_rowid), (2, 2));
    let done = s
        .execute("CREATE TABLE u (x)", Vec::new())
        .await
        .expect("ddl")
        .finish()
        .await
        .expect("done");
    assert_eq!(done.changes, 0, "DDL reports no changed rows");
    exec(&mut s, "BEGIN").await.expect("begin");
    exec(&mut s, "INSERT INTO t (v) VALUES ('c')")
        .await
        .expect("insert");
    exec(&mut s, "SAVEPOINT p").await.expect("savepoint");
    exec(&mut s, "INSERT INTO t (v) VALUES ('d')")
        .await
        .expect("insert");
    exec(&mut s, "ROLLBACK TO p").await.expect("rollback to");
    exec(&mut s, "RELEASE p").await.expect("release");
    exec(&mut s, "COMMIT").await.expect("commit");
    assert!(!s.in_transaction());
    let rows = exec(&mut s, "SELECT v FROM t ORDER BY id")
        .await
        .expect("select");
    assert_eq!(rows.len(), 3);
    // COMMIT without a transaction and BEGIN inside one do nothing.
    exec(&mut s, "COMMIT").await.expect("no-op commit");
    for (sql, class) in [
        (
            "INSERT INTO t (id, v) VALUES (1, 'x')",
            ErrorClass::UniqueViolation,
        ),
        (
            "INSERT INTO t (v) VALUES (NULL)",
            ErrorClass::NotNullViolation,
        ),
        ("SELEC 1", ErrorClass::Syntax),
        ("SELECT * FROM missing", ErrorClass::UndefinedTable),
    ] {
        assert_eq!(
            exec(&mut s, sql).await.expect_err(sql).class,
            class,
            "{sql}"
        );
    }
    let e = s
        .execute("SELECT ?1, ?2", vec![Value::Integer(1)])
        .await
        .expect_err("parameter count");
    assert_eq!(e.class, ErrorClass::ParameterCount);
    // A session that ends inside a transaction is rolled back.
    exec(&mut s, "BEGIN").await.expect("begin");
    exec(&mut s, "INSERT INTO t (v) VALUES ('gone')")
        .await
        .expect("insert");
    drop(s);
    let mut fresh = db.session();
    let rows = exec(&mut fresh, "SELECT count(*) FROM t WHERE v = 'gone'")
        .await
        .expect("count");
    assert_eq!(rows, vec![vec![Value::Integer(0)]]);
}

#[tokio::test]
async fn a_canceller_interrupts_the_running_statement() {
    let dir = TempDir::new("engine");
    let db = open(&dir, 1000, 2);
    let mut s = db.session();
    exec(&mut s, "SELECT 1").await.expect("warm");
    let canceller = s.canceller();
    let stop = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        canceller.cancel();
    });
    let e = within(
        10,
        exec(
            &mut s,
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        ),
    )
    .await
    .expect_err("interrupted");
    assert_eq!(
        (e.class, e.sqlstate()),
        (ErrorClass::QueryCanceled, "57014")
    );
    stop.await.expect("joined");
    assert_eq!(
        exec(&mut s, "SELECT 2").await.expect("usable"),
        vec![vec![Value::Integer(2)]]
    );
}
