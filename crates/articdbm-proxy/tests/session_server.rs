//! Session mode gives a client its own server for its whole life, and the proxy must then be
//! indistinguishable from that server: the client is told the server's real process id and
//! secret (BackendKeyData), a cancel sent through the proxy with them still works, the server's
//! own FATAL is the last thing the client hears when its server session ends, and a client that
//! leaves in the middle of a query does not leave that query running on the server.

mod common;

use std::time::{Duration, Instant};

use common::raw::{self, Raw};
use common::{BOB_PW, DB, Setup, direct, wait_backend_gone, within};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

async fn backend_pid(c: &mut Raw) -> i32 {
    let frames = c.exchange(&raw::query("SELECT pg_backend_pid()")).await;
    raw::rows(&frames)[0][0]
        .as_deref()
        .expect("pid")
        .parse()
        .expect("number")
}

async fn terminate(pid: i32) {
    let ok: bool = direct()
        .await
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .expect("pg_terminate_backend")
        .get(0);
    assert!(ok, "backend {pid} not terminated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_key_is_the_servers() {
    let proxy = Setup::new("session").size(2).start().await;
    let mut c = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
        .await
        .expect("login");
    let (pid, _) = c.key.expect("BackendKeyData");
    assert_eq!(
        pid,
        backend_pid(&mut c).await,
        "the pid the client was given"
    );
    // Seen from the server too: the client's pid is a live session of the backend role.
    let user: String = direct()
        .await
        .query_one(
            "SELECT usename::text FROM pg_stat_activity WHERE pid = $1",
            &[&pid],
        )
        .await
        .expect("the pid is a server session")
        .get(0);
    assert_eq!(user, "postgres");

    // A cancel through the proxy with that key still reaches the query.
    let conn = proxy.alice_conn().await;
    let client = conn.client;
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0);
    let token = client.cancel_token();
    // The client comes back from the task: dropping it would end the session (and, in session
    // mode, its server) before the check below.
    let running = tokio::spawn(async move {
        let r = client.simple_query("SELECT pg_sleep(10)").await;
        (client, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = Instant::now();
    within(5, token.cancel_query(NoTls))
        .await
        .expect("cancel sent");
    let (_client, r) = within(5, running).await.expect("task");
    assert_eq!(common::code_of(r), SqlState::QUERY_CANCELED);
    assert!(t.elapsed() < Duration::from_secs(3));
    let still: i64 = direct()
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
            &[&pid],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(still, 1, "the cancel did not end the session");
}

/// Transaction mode keeps proxy-issued keys: a client's server changes between transactions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_mode_key_still_cancels() {
    let proxy = Setup::new("transaction").size(2).start().await;
    let conn = proxy.alice_conn().await;
    let client = conn.client;
    let token = client.cancel_token();
    let running = tokio::spawn(async move { client.simple_query("SELECT pg_sleep(10)").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    within(5, token.cancel_query(NoTls))
        .await
        .expect("cancel sent");
    let r = within(5, running).await.expect("task");
    assert_eq!(common::code_of(r), SqlState::QUERY_CANCELED);
}

/// The server's FATAL (57P01 after pg_terminate_backend) is forwarded, and no second FATAL
/// of the proxy's follows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_fatal_is_the_only_one() {
    let proxy = Setup::new("session").size(2).start().await;
    for busy in [false, true] {
        let mut c = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
            .await
            .expect("login");
        let pid = backend_pid(&mut c).await;
        if busy {
            c.send(&raw::query("SELECT pg_sleep(10)"))
                .await
                .expect("send");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        terminate(pid).await;
        let frames = within(10, c.until_closed()).await;
        let errors: Vec<_> = frames
            .iter()
            .filter(|f| f.tag() == b'E')
            .map(|f| articdbm_wire_pg::backend::ErrorFields::decode(f).expect("error"))
            .collect();
        assert_eq!(errors.len(), 1, "busy={busy}: {errors:?}");
        assert_eq!(
            (errors[0].severity.as_str(), errors[0].code.as_str()),
            ("FATAL", "57P01"),
            "busy={busy}"
        );
        assert_eq!(
            errors[0].message,
            "terminating connection due to administrator command"
        );
    }
    // The proxy and the pool are fine.
    let client = proxy.alice().await;
    client.simple_query("SELECT 1").await.expect("new session");
}

/// A client leaving in the middle of a query: its server is closed, not pooled, and the query
/// does not run on to its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_leaving_mid_query_does_not_leave_it_running() {
    for mode in ["session", "transaction"] {
        let proxy = Setup::new(mode).size(1).start().await;
        let mut c = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
            .await
            .expect("login");
        let pid = backend_pid(&mut c).await;
        c.send(&raw::query("SELECT pg_sleep(30)"))
            .await
            .expect("send");
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(c);
        let t = Instant::now();
        within(10, wait_backend_gone(pid)).await;
        assert!(t.elapsed() < Duration::from_secs(3), "{mode}: query ran on");
        let client = proxy.alice().await;
        let next: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .expect("next client")
            .get(0);
        assert_ne!(next, pid, "{mode}");
    }
}
