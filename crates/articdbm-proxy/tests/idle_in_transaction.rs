//! `idle_in_transaction_timeout_secs` (per pool, off by default): a client that leaves a
//! transaction open and sends nothing is ended as the server would end it, so that stalled
//! transactions cannot hold the pool's servers. PostgreSQL: FATAL 25P03 "terminating connection
//! due to idle-in-transaction timeout" (compared with the server's own answer under
//! idle_in_transaction_session_timeout). MySQL: the connection closes without a packet, as
//! MariaDB 10.11 does under idle_transaction_timeout. The transaction is rolled back, and a
//! client waiting for the pool gets the server.

mod common;

use std::time::{Duration, Instant};

use common::mysql::{MyDb, mysql_toml, start};
use common::raw::{self, Raw};
use common::{BOB_PW, DB, PG_PORT, Setup, Table, within};
use mysql_async::prelude::Queryable;

const KEY: &str = "ARTICDBM_POOL__IDLE_IN_TRANSACTION_TIMEOUT_SECS";

/// The FATAL a session idle in a transaction gets, as (code, message).
async fn fatal_after_idle(c: &mut Raw, begin: &str) -> (String, String) {
    let frames = c.exchange(&raw::query(begin)).await;
    assert_eq!(raw::status(&frames), b'T');
    let frames = within(10, c.until_closed()).await;
    let e = raw::error(&frames).unwrap_or_else(|| panic!("no error before close: {frames:?}"));
    assert_eq!(e.severity, "FATAL");
    (e.code, e.message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_idle_transaction_is_ended_like_the_server_does() {
    let mut direct = Raw::login(
        PG_PORT,
        "postgres",
        "",
        "test",
        &[("options", "-c idle_in_transaction_session_timeout=1000")],
    )
    .await
    .expect("direct login");
    let expected = fatal_after_idle(&mut direct, "BEGIN").await;
    assert_eq!(expected.0, "25P03");

    for mode in ["session", "transaction"] {
        let proxy = Setup::new(mode).size(1).env(KEY, "1").start().await;
        let table = Table::create("idle_tx", "v int").await;
        let mut c = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
            .await
            .expect("login");
        // A client waiting for the only server is served once the stalled one is ended.
        let waiter = tokio::spawn({
            let port = proxy.port;
            async move {
                let mut w = Raw::login(port, "bob", BOB_PW, DB, &[])
                    .await
                    .expect("login");
                let t = Instant::now();
                let frames = w.exchange(&raw::query("SELECT 1")).await;
                (raw::error_code(&frames), t.elapsed())
            }
        });
        let begin = format!("BEGIN; INSERT INTO {} VALUES (1)", table.name);
        let started = Instant::now();
        let got = fatal_after_idle(&mut c, &begin).await;
        let after = started.elapsed();
        assert_eq!(got, expected, "{mode} mode");
        assert!(
            after >= Duration::from_millis(900) && after < Duration::from_secs(4),
            "{mode}: ended after {after:?}"
        );
        assert_eq!(
            table.count().await,
            0,
            "{mode}: the transaction was rolled back"
        );
        let (code, waited) = within(15, waiter).await.expect("waiter");
        assert_eq!(code, "", "{mode}: the waiting client was served");
        assert!(waited < Duration::from_secs(5), "{mode}: waited {waited:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_timeout_spares_busy_and_idle_sessions() {
    let proxy = Setup::new("transaction")
        .size(2)
        .env(KEY, "1")
        .start()
        .await;
    let mut c = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
        .await
        .expect("login");
    // Idle outside a transaction: untouched.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(raw::status(&c.exchange(&raw::query("BEGIN")).await), b'T');
    // A statement running longer than the timeout is not idleness.
    let frames = c.exchange(&raw::query("SELECT pg_sleep(1.5)")).await;
    assert_eq!(raw::error_code(&frames), "");
    // Activity inside the transaction restarts the clock.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        let frames = c.exchange(&raw::query("SELECT 1")).await;
        assert_eq!(raw::status(&frames), b'T');
    }
    assert_eq!(raw::status(&c.exchange(&raw::query("COMMIT")).await), b'I');
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_timeout_is_per_pool_and_off_by_default() {
    let proxy = Setup::new("transaction")
        .size(2)
        .toml("[databases.db.pool]\nidle_in_transaction_timeout_secs = 1\n[databases.other]\ndbname = \"test\"\nuser = \"postgres\"\n")
        .start()
        .await;
    let mut timed = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
        .await
        .expect("login");
    let mut free = Raw::login(proxy.port, "bob", BOB_PW, "other", &[])
        .await
        .expect("login");
    assert_eq!(
        raw::status(&free.exchange(&raw::query("BEGIN")).await),
        b'T'
    );
    let (code, _) = fatal_after_idle(&mut timed, "BEGIN").await;
    assert_eq!(code, "25P03");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let frames = free.exchange(&raw::query("COMMIT")).await;
    assert_eq!(
        raw::status(&frames),
        b'I',
        "the pool without the key is not timed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_idle_transaction_closes_the_connection() {
    let db = MyDb::create().await;
    for mode in ["session", "transaction"] {
        let proxy = start(
            Setup::new(mode)
                .size(1)
                .env(KEY, "1")
                .toml(&mysql_toml(&db)),
        )
        .await;
        let mut a = proxy
            .connect("nat", common::mysql::NAT_PW, Some(&db.name))
            .await
            .expect("login");
        let table = format!("{}.t_{mode}", db.name);
        a.query_drop(format!("CREATE TABLE {table} (v int)"))
            .await
            .expect("create");
        a.query_drop("BEGIN").await.expect("begin");
        a.query_drop(format!("INSERT INTO {table} VALUES (1)"))
            .await
            .expect("insert");
        let waiter = tokio::spawn({
            let opts = proxy.opts("nat", common::mysql::NAT_PW, Some(&db.name));
            async move {
                let t = Instant::now();
                let mut b = mysql_async::Conn::new(opts).await.expect("second client");
                let one: Option<i64> = b.query_first("SELECT 1").await.expect("served");
                (one, t.elapsed())
            }
        });
        tokio::time::sleep(Duration::from_millis(2000)).await;
        // As under MariaDB's idle_transaction_timeout: the connection is gone, no server error.
        let r = a.query_drop("SELECT 1").await;
        match r {
            Ok(()) => panic!("{mode}: the idle transaction was not ended"),
            Err(mysql_async::Error::Server(e)) => panic!("{mode}: got a server error {e:?}"),
            Err(_) => {}
        }
        let (one, waited) = within(15, waiter).await.expect("waiter");
        assert_eq!(one, Some(1));
        assert!(waited < Duration::from_secs(5), "{mode}: waited {waited:?}");
        let mut d = common::mysql::direct().await;
        let n: Option<i64> = d
            .query_first(format!("SELECT count(*) FROM {table}"))
            .await
            .expect("count");
        assert_eq!(n, Some(0), "{mode}: rolled back");
        let _ = d.disconnect().await;
    }
}

/// What MariaDB itself does, so the test above checks the proxy against it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_itself_closes_without_an_error() {
    let mut d = common::mysql::direct().await;
    d.query_drop("SET SESSION idle_transaction_timeout = 1")
        .await
        .expect("set");
    d.query_drop("BEGIN").await.expect("begin");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    match d.query_drop("SELECT 1").await {
        Ok(()) => panic!("MariaDB kept the idle transaction"),
        Err(mysql_async::Error::Server(e)) => panic!("MariaDB sent a server error {e:?}"),
        Err(_) => {}
    }
}
