//! Graceful shutdown: after `drain()` new connections are refused, idle clients are told
//! 57P01 at once, a client inside a transaction may still COMMIT and is then told 57P01; when
//! the grace period runs out, a transaction still open is cut off (57P01) and rolled back.

mod common;

use std::time::{Duration, Instant};

use common::{Setup, Table, within};
use tokio_postgres::error::SqlState;

/// The SQLSTATE with which the server ended a connection (its task's error).
async fn ended_with(task: tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>) -> SqlState {
    let r = within(10, task).await.expect("connection task");
    let e = r.expect_err("connection ended by the proxy with an error");
    e.code()
        .cloned()
        .unwrap_or_else(|| panic!("no SQLSTATE: {e:?}"))
}

async fn refuses_new_connections(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the proxy still accepts connections after drain");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_lets_transactions_finish() {
    let mut proxy = Setup::new("transaction").size(2).start().await;
    let table = Table::create("drain", "n int").await;
    let t = &table.name;
    let busy = proxy.alice_conn().await;
    let idle = proxy.alice_conn().await;
    idle.client
        .simple_query("SELECT 1")
        .await
        .expect("idle works");
    busy.client.batch_execute("BEGIN").await.expect("begin");
    busy.client
        .execute(&format!("INSERT INTO {t} VALUES (1)"), &[])
        .await
        .expect("insert");

    let started = Instant::now();
    proxy.trigger.drain();

    assert_eq!(ended_with(idle.task).await, SqlState::ADMIN_SHUTDOWN);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "idle client told after {:?}",
        started.elapsed()
    );
    refuses_new_connections(proxy.port).await;

    // The transaction goes on and commits.
    busy.client
        .execute(&format!("INSERT INTO {t} VALUES (2)"), &[])
        .await
        .expect("insert during drain");
    busy.client
        .batch_execute("COMMIT")
        .await
        .expect("commit during drain");
    assert_eq!(ended_with(busy.task).await, SqlState::ADMIN_SHUTDOWN);
    assert_eq!(table.count().await, 2);

    // With every session gone the proxy stops well within the grace period.
    within(10, &mut proxy.task).await.expect("proxy task ends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_in_session_mode() {
    let proxy = Setup::new("session").size(2).start().await;
    let busy = proxy.alice_conn().await;
    let idle = proxy.alice_conn().await;
    busy.client.batch_execute("BEGIN").await.expect("begin");
    proxy.trigger.drain();
    assert_eq!(ended_with(idle.task).await, SqlState::ADMIN_SHUTDOWN);
    let n: i32 = busy
        .client
        .query_one("SELECT $1::int", &[&1i32])
        .await
        .expect("query during drain")
        .get(0);
    assert_eq!(n, 1);
    busy.client.batch_execute("COMMIT").await.expect("commit");
    assert_eq!(ended_with(busy.task).await, SqlState::ADMIN_SHUTDOWN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grace_period_cuts_off_open_transactions() {
    let mut proxy = Setup::new("transaction")
        .size(1)
        .env("ARTICDBM_PROXY__SHUTDOWN_GRACE_SECS", "1")
        .start()
        .await;
    let table = Table::create("grace", "n int").await;
    let stuck = proxy.alice_conn().await;
    stuck.client.batch_execute("BEGIN").await.expect("begin");
    stuck
        .client
        .execute(&format!("INSERT INTO {} VALUES (1)", table.name), &[])
        .await
        .expect("insert");
    let started = Instant::now();
    proxy.trigger.drain();
    assert_eq!(ended_with(stuck.task).await, SqlState::ADMIN_SHUTDOWN);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "cut off after {took:?}"
    );
    within(10, &mut proxy.task).await.expect("proxy task ends");
    // The open transaction was rolled back with its server connection.
    for _ in 0..100 {
        if table.count().await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(table.count().await, 0);
}
