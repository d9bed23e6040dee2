//! Running out of things and losing servers: an exhausted pool (53300 after the checkout
//! timeout, then recovery), the client connection limit (53300), and server connections killed
//! with pg_terminate_backend while the client is idle, idle in a transaction, or running a query,
//! in transaction and in session mode. Nothing may hang.

mod common;

use std::time::{Duration, Instant};

use common::raw::{self, Raw};
use common::{BOB_PW, DB, Setup, backend_pid_of, code_of, direct, wait_backend_gone, within};
use tokio_postgres::error::SqlState;

async fn terminate(pid: i32) {
    let ok: bool = direct()
        .await
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .expect("pg_terminate_backend")
        .get(0);
    assert!(ok, "backend {pid} not terminated");
    wait_backend_gone(pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_exhausted_times_out_then_recovers() {
    let proxy = Setup::new("transaction")
        .size(1)
        .env("ARTICDBM_POOL__CHECKOUT_TIMEOUT_SECS", "1")
        .start()
        .await;
    let holder = proxy.alice().await;
    let waiter = proxy.alice().await;
    holder.batch_execute("BEGIN").await.expect("begin");
    holder.simple_query("SELECT 1").await.expect("in tx");
    let t = Instant::now();
    let r = within(10, waiter.simple_query("SELECT 1")).await;
    let waited = t.elapsed();
    assert_eq!(code_of(r), SqlState::TOO_MANY_CONNECTIONS);
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "waited {waited:?}"
    );
    // The extended protocol gets the same error and stays in sync.
    let r = within(10, waiter.query_one("SELECT $1::int", &[&1i32])).await;
    assert_eq!(code_of(r), SqlState::TOO_MANY_CONNECTIONS);
    holder.batch_execute("COMMIT").await.expect("commit");
    let n: i32 = within(10, waiter.query_one("SELECT $1::int", &[&5i32]))
        .await
        .expect("recovered")
        .get(0);
    assert_eq!(n, 5);
    let pool = &proxy.state.pools.all()[0].1;
    assert!(
        pool.stats
            .timeouts
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_connection_limit() {
    let proxy = Setup::new("transaction")
        .size(1)
        .env("ARTICDBM_PROXY__MAX_CLIENT_CONNECTIONS", "2")
        .start()
        .await;
    let a = proxy.alice_conn().await;
    let _b = proxy.alice().await;
    let r = within(10, proxy.try_connect("alice", common::ALICE_PW, DB))
        .await
        .map(|_| ());
    assert_eq!(code_of(r), SqlState::TOO_MANY_CONNECTIONS);
    // A slot frees when a client leaves.
    drop(a.client);
    let _ = within(5, a.task).await;
    let mut again = None;
    for _ in 0..100 {
        if let Ok(c) = proxy.try_connect("alice", common::ALICE_PW, DB).await {
            again = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let again = again.expect("a freed slot is reused");
    again.client.simple_query("SELECT 1").await.expect("query");
}

/// Transaction mode, client idle (no transaction): its server sits in the pool. Killed there,
/// the pool notices at checkout and the next query runs on a fresh server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_while_pooled_is_replaced() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let client = proxy.alice().await;
    let pid = backend_pid_of(&client).await;
    terminate(pid).await;
    let new_pid = within(10, backend_pid_of(&client)).await;
    assert_ne!(new_pid, pid);
    let n: i32 = client
        .query_one("SELECT $1::int", &[&3i32])
        .await
        .expect("extended")
        .get(0);
    assert_eq!(n, 3);
}

/// Transaction mode, client idle inside a transaction: the transaction is lost. The client's
/// next request gets 08006 and leaves it in a failed transaction (never outside it: see
/// tests/lost_transaction.rs), its connection stays open, and after ROLLBACK the next request
/// runs on a fresh server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_while_idle_in_transaction() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let conn = proxy.alice_conn().await;
    let client = &conn.client;
    client.batch_execute("BEGIN").await.expect("begin");
    let pid = backend_pid_of(client).await;
    terminate(pid).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!conn.task.is_finished(), "client connection was closed");
    let r = within(10, client.simple_query("SELECT 1")).await;
    assert_eq!(code_of(r), SqlState::CONNECTION_FAILURE);
    let r = within(10, client.simple_query("SELECT 1")).await;
    assert_eq!(code_of(r), SqlState::IN_FAILED_SQL_TRANSACTION);
    client.batch_execute("ROLLBACK").await.expect("rollback");
    let new_pid = within(10, backend_pid_of(client)).await;
    assert_ne!(new_pid, pid);
    // The same through the extended protocol.
    client.batch_execute("BEGIN").await.expect("begin");
    let pid = backend_pid_of(client).await;
    terminate(pid).await;
    let r = within(10, client.query_one("SELECT $1::int", &[&1i32])).await;
    assert_eq!(code_of(r), SqlState::CONNECTION_FAILURE);
    let r = within(10, client.query_one("SELECT $1::int", &[&1i32])).await;
    assert_eq!(code_of(r), SqlState::IN_FAILED_SQL_TRANSACTION);
    client.batch_execute("ROLLBACK").await.expect("rollback");
    let n: i32 = within(10, client.query_one("SELECT $1::int", &[&2i32]))
        .await
        .expect("usable")
        .get(0);
    assert_eq!(n, 2);
}

/// Transaction mode, server killed while running the client's query: the query fails with
/// 08006 and the session goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_during_query_in_transaction_mode() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let conn = proxy.alice_conn().await;
    let pid = backend_pid_of(&conn.client).await;
    let client = conn.client;
    let running = tokio::spawn(async move {
        let r = client.simple_query("SELECT pg_sleep(10)").await;
        (client, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(pid).await;
    let (client, r) = within(5, running).await.expect("task");
    assert_eq!(code_of(r), SqlState::CONNECTION_FAILURE);
    assert!(!conn.task.is_finished(), "client connection was closed");
    let n: i32 = within(10, client.query_one("SELECT $1::int", &[&4i32]))
        .await
        .expect("usable")
        .get(0);
    assert_eq!(n, 4);
}

/// Session mode: the client's server is its session; when it is killed the client gets the
/// server's own FATAL (57P01, and nothing after it) and is disconnected, whether idle or in the
/// middle of a query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_in_session_mode() {
    let proxy = Setup::new("session").size(2).start().await;
    for busy in [false, true] {
        let mut c = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
            .await
            .expect("login");
        let frames = c.exchange(&raw::query("SELECT pg_backend_pid()")).await;
        let pid: i32 = raw::rows(&frames)[0][0]
            .as_deref()
            .expect("pid")
            .parse()
            .expect("number");
        if busy {
            c.send(&raw::query("SELECT pg_sleep(10)"))
                .await
                .expect("send");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        terminate(pid).await;
        let frames = within(10, c.until_closed()).await;
        let last = frames.last().expect("a message before close");
        let e = articdbm_wire_pg::backend::ErrorFields::decode(last).expect("error");
        assert_eq!((e.severity.as_str(), e.code.as_str()), ("FATAL", "57P01"));
    }
    // The proxy and the pool are fine.
    let client = proxy.alice().await;
    client.simple_query("SELECT 1").await.expect("new session");
}

/// `checkout_timeout_secs = 0` means waiting as long as it takes, not failing at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_timeout_zero_waits() {
    let proxy = Setup::new("transaction")
        .size(1)
        .env("ARTICDBM_POOL__CHECKOUT_TIMEOUT_SECS", "0")
        .start()
        .await;
    let holder = proxy.alice().await;
    let waiter = proxy.alice().await;
    holder.batch_execute("BEGIN").await.expect("begin");
    let waiting = tokio::spawn(async move { waiter.simple_query("SELECT 1").await.map(|_| ()) });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!waiting.is_finished(), "the waiter gave up: {waiting:?}");
    holder.batch_execute("COMMIT").await.expect("commit");
    within(10, waiting)
        .await
        .expect("task")
        .expect("the waiter got the server");
}

/// `client_idle_timeout_secs`: a client idle outside a transaction is closed with 57P05; one
/// inside a transaction is left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_clients_time_out() {
    let proxy = Setup::new("transaction")
        .size(2)
        .env("ARTICDBM_PROXY__CLIENT_IDLE_TIMEOUT_SECS", "1")
        .start()
        .await;
    let idle = proxy.alice_conn().await;
    let busy = proxy.alice_conn().await;
    busy.client.batch_execute("BEGIN").await.expect("begin");
    let started = Instant::now();
    let r = within(10, idle.task).await.expect("task");
    let e = r.expect_err("idle client closed with an error");
    assert_eq!(e.code(), Some(&SqlState::IDLE_SESSION_TIMEOUT), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(500)).await;
    busy.client
        .simple_query("SELECT 1")
        .await
        .expect("in a transaction the idle timeout does not apply");
    busy.client.batch_execute("COMMIT").await.expect("commit");
}

/// `users.<name>.max_connections` limits one user's concurrent sessions (53300).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_user_connection_limit() {
    let v = articdbm_wire_pg::auth::ScramVerifier::generate("dave-pw", 4096).to_string();
    let proxy = Setup::new("transaction")
        .size(1)
        .toml(&format!(
            "[users.dave]\npassword = \"{v}\"\nmax_connections = 1\n"
        ))
        .start()
        .await;
    let first = within(10, proxy.try_connect("dave", "dave-pw", DB))
        .await
        .expect("first session");
    let r = within(10, proxy.try_connect("dave", "dave-pw", DB))
        .await
        .map(|_| ());
    assert_eq!(code_of(r), SqlState::TOO_MANY_CONNECTIONS);
    // Other users are not limited by dave's quota.
    proxy
        .alice()
        .await
        .simple_query("SELECT 1")
        .await
        .expect("alice");
    drop(first.client);
    let _ = within(5, first.task).await;
    let mut ok = false;
    for _ in 0..100 {
        if proxy.try_connect("dave", "dave-pw", DB).await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok, "dave's slot was not given back");
}

/// `health_check_interval_secs = 0` disables health checks: an idle pooled connection is not
/// touched (its last statement stays the client's). Also: a pool of one keeps its idle
/// connection (`idle_ratio` 0.8 of 1 rounds to 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_can_be_disabled() {
    for (interval, checked) in [("0", false), ("1", true)] {
        let proxy = Setup::new("transaction")
            .size(1)
            .env("ARTICDBM_POOL__HEALTH_CHECK_INTERVAL_SECS", interval)
            .start()
            .await;
        let client = proxy.alice().await;
        let pid = backend_pid_of(&client).await;
        let marker = common::unique("marker");
        client
            .simple_query(&format!("SELECT '{marker}'"))
            .await
            .expect("marker");
        tokio::time::sleep(Duration::from_millis(2600)).await;
        let last: String = direct()
            .await
            .query_opt("SELECT query FROM pg_stat_activity WHERE pid = $1", &[&pid])
            .await
            .expect("pg_stat_activity")
            .expect("the idle connection was closed: a pool of 1 keeps round(0.8) = 1 idle")
            .get(0);
        assert_eq!(
            !last.contains(&marker),
            checked,
            "interval {interval}: last statement {last:?}"
        );
    }
}
