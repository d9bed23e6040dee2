//! Out-of-band traffic: a CancelRequest sent to the proxy with the key it issued reaches the
//! server process running the client's query (both pool modes), and LISTEN/NOTIFY delivers
//! notifications in session mode.

mod common;

use std::time::{Duration, Instant};

use common::raw::{self, Raw};
use common::{Setup, code_of, direct, within};
use tokio_postgres::error::SqlState;
use tokio_postgres::{AsyncMessage, NoTls};

async fn cancel_running_query(mode: &'static str) {
    let proxy = Setup::new(mode).size(2).start().await;
    let client = proxy.alice().await;
    client.simple_query("SELECT 1").await.expect("warm up");
    let token = client.cancel_token();
    let started = Instant::now();
    let sleeper = tokio::spawn(async move {
        let r = client.simple_query("SELECT pg_sleep(10)").await;
        (client, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    within(5, token.cancel_query(NoTls))
        .await
        .expect("cancel request sent");
    let (client, result) = within(5, sleeper).await.expect("query task");
    assert_eq!(code_of(result), SqlState::QUERY_CANCELED);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "cancel took {:?}",
        started.elapsed()
    );
    // The session is usable afterwards, through both protocols.
    let n: i32 = client
        .query_one("SELECT 7", &[])
        .await
        .expect("usable after cancel")
        .get(0);
    assert_eq!(n, 7);
    client.simple_query("SELECT 1").await.expect("simple after");
    // A cancel while nothing runs is harmless.
    within(5, token.cancel_query(NoTls))
        .await
        .expect("idle cancel");
    client.simple_query("SELECT 1").await.expect("still usable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_in_session_mode() {
    cancel_running_query("session").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_in_transaction_mode() {
    cancel_running_query("transaction").await;
}

/// A CancelRequest with the right process id but a wrong secret is ignored; the right one works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_with_wrong_secret_is_ignored() {
    let proxy = Setup::new("transaction").size(2).start().await;
    let mut a = Raw::login(proxy.port, "bob", common::BOB_PW, common::DB, &[])
        .await
        .expect("login");
    let (pid, secret) = a.key.expect("BackendKeyData");
    a.send(&raw::query("SELECT pg_sleep(1.5)"))
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut c = Raw::tcp(proxy.port).await;
    c.send(&raw::cancel_request(pid, secret.wrapping_add(1)))
        .await
        .expect("send cancel");
    assert!(c.until_closed().await.is_empty(), "cancel gets no reply");
    let frames = a.until_ready().await;
    assert_eq!(
        raw::error(&frames),
        None,
        "a wrong secret cancelled the query"
    );
    a.send(&raw::query("SELECT pg_sleep(10)"))
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut c = Raw::tcp(proxy.port).await;
    c.send(&raw::cancel_request(pid, secret))
        .await
        .expect("send cancel");
    c.until_closed().await;
    let frames = within(3, a.until_ready()).await;
    assert_eq!(raw::error_code(&frames), "57014");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_notify_in_session_mode() {
    let proxy = Setup::new("session").size(2).start().await;
    let (client, mut connection) = proxy
        .pg_config("alice", common::ALICE_PW, common::DB)
        .connect(NoTls)
        .await
        .expect("connect");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(m) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    let _ = tx.send(n);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    let channel = common::unique("chan");
    client
        .batch_execute(&format!("LISTEN {channel}"))
        .await
        .expect("listen");
    // Notify from outside the proxy, and from another proxy client.
    direct()
        .await
        .batch_execute(&format!("NOTIFY {channel}, 'hello'"))
        .await
        .expect("notify");
    let n = within(5, rx.recv()).await.expect("notification");
    assert_eq!(n.channel(), channel);
    assert_eq!(n.payload(), "hello");
    let other = proxy.alice().await;
    other
        .query("SELECT pg_notify($1, $2)", &[&channel, &"second"])
        .await
        .expect("pg_notify");
    let n = within(5, rx.recv()).await.expect("second notification");
    assert_eq!(n.payload(), "second");
    // A notification that arrives while the client is idle is delivered without a query.
    tokio::time::sleep(Duration::from_millis(100)).await;
    direct()
        .await
        .batch_execute(&format!("NOTIFY {channel}, 'idle'"))
        .await
        .expect("notify");
    let n = within(5, rx.recv()).await.expect("notification while idle");
    assert_eq!(n.payload(), "idle");
}

/// One client spams cancels while it runs short queries; another client shares the single
/// server connection. A cancel that arrives just as the first client's transaction ends must
/// never hit the second client's query on the same server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_never_hits_another_client() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let a = proxy.alice().await;
    let b = proxy.alice().await;
    let token = a.cancel_token();
    let stop = Instant::now() + Duration::from_secs(3);
    let canceller = tokio::spawn(async move {
        let mut sent = 0u32;
        while Instant::now() < stop {
            let _ = token.cancel_query(NoTls).await;
            sent += 1;
        }
        sent
    });
    let a_task = tokio::spawn(async move {
        while Instant::now() < stop {
            let _ = a.simple_query("SELECT pg_sleep(0.002)").await;
        }
    });
    let (mut ok, mut hit) = (0u32, Vec::new());
    while Instant::now() < stop {
        match b.simple_query("SELECT pg_sleep(0.002)").await {
            Ok(_) => ok += 1,
            Err(e) => hit.push(e),
        }
    }
    let sent = within(10, canceller).await.expect("canceller");
    within(10, a_task).await.expect("a");
    assert!(
        sent > 100 && ok > 100,
        "too little traffic: {sent} cancels, {ok} queries"
    );
    assert!(
        hit.is_empty(),
        "{} of b's queries failed, first: {:?}",
        hit.len(),
        hit.first()
    );
}
