//! The embedded SQLite backend answers MySQL clients as MySQL/MariaDB would where a client
//! notices (mysql_async against an in-process proxy): `SLEEP(n)` sleeps and returns 0, and
//! `KILL QUERY` from another connection ends it with ERR 1317 as on MariaDB.

mod common;
mod mysql_sqlite_common;

use std::time::{Duration, Instant};

use common::mysql::server_error;
use common::within;
use mysql_async::prelude::Queryable;
use mysql_sqlite_common::LiteMy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleep_returns_zero_and_kill_query_ends_it() {
    let p = LiteMy::start().await;
    let mut a = p.conn().await;
    let mut b = p.conn().await;
    let started = Instant::now();
    let slept: Option<i64> = a.query_first("SELECT SLEEP(0.3)").await.expect("SLEEP");
    assert_eq!(slept, Some(0));
    assert!(started.elapsed() >= Duration::from_millis(300));
    let id = a.id();
    let started = Instant::now();
    let sleeper = tokio::spawn(async move {
        let r: Result<Option<i64>, _> = a.query_first("SELECT SLEEP(60)").await;
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
    // The session goes on, and the next sleep is not cut short by the old KILL.
    let again = Instant::now();
    let slept: Option<i64> = a.query_first("SELECT SLEEP(0.2)").await.expect("again");
    assert_eq!(slept, Some(0));
    assert!(again.elapsed() >= Duration::from_millis(200));
    a.disconnect().await.expect("disconnect");
    b.disconnect().await.expect("disconnect");
}
