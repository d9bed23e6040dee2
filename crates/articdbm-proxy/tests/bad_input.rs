//! Hostile and broken clients on raw sockets: garbage, an unsupported protocol version, absurd
//! length words before and after login, messages cut off mid-way, and thousands of idle
//! authenticated connections. Each gets an error or a closed socket, the proxy never panics
//! (a panic hook counts panics raised in the proxy's own source), and a normal client working
//! alongside keeps getting answers.

mod common;

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::raw::{self, Raw};
use common::{BOB_PW, DB, Proxy, Setup, within};

static PROXY_PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts panics located in the proxy's or the wire crate's `src/` (not in tests).
fn count_proxy_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Some(loc) = info.location() {
                let f = loc.file();
                if f.contains("/src/")
                    && (f.contains("articdbm-proxy") || f.contains("articdbm-wire-pg"))
                {
                    PROXY_PANICS.fetch_add(1, Ordering::SeqCst);
                }
            }
            previous(info);
        }));
    });
}

/// A normal client that must keep working while the proxy is being abused.
async fn assert_healthy(proxy: &Proxy) {
    let client = proxy.alice().await;
    let n: i32 = within(10, client.query_one("SELECT $1::int + 1", &[&41i32]))
        .await
        .expect("normal client answered")
        .get(0);
    assert_eq!(n, 42);
    assert_eq!(PROXY_PANICS.load(Ordering::SeqCst), 0, "the proxy panicked");
}

/// Sends `bytes` on a fresh connection and returns what came back until the proxy closed it.
async fn send_raw(port: u16, bytes: &[u8]) -> Vec<articdbm_wire_pg::Frame> {
    let mut c = Raw::tcp(port).await;
    let _ = c.send(bytes).await;
    within(15, c.until_closed()).await
}

fn fatal_code(frames: &[articdbm_wire_pg::Frame]) -> String {
    let e = raw::error(frames).unwrap_or_else(|| panic!("no ErrorResponse in {frames:?}"));
    assert_eq!(e.severity, "FATAL");
    e.code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_startup_packets() {
    count_proxy_panics();
    let proxy = Setup::new("transaction").size(2).start().await;
    let keeper = proxy.alice().await;

    // Garbage (an HTTP request): its first four bytes are an impossible length.
    let frames = send_raw(proxy.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(fatal_code(&frames), "08P01");

    // Protocol 2.0.
    let mut v2 = Vec::new();
    v2.extend_from_slice(&8u32.to_be_bytes());
    v2.extend_from_slice(&0x0002_0000u32.to_be_bytes());
    let frames = send_raw(proxy.port, &v2).await;
    assert_eq!(fatal_code(&frames), "0A000");
    // Protocol 3.99 (a future minor version we do not speak) and 4.0.
    for version in [0x0003_0063u32, 0x0004_0000] {
        let mut p = Vec::new();
        p.extend_from_slice(&8u32.to_be_bytes());
        p.extend_from_slice(&version.to_be_bytes());
        let frames = send_raw(proxy.port, &p).await;
        assert!(
            raw::error(&frames).is_some() || frames.is_empty(),
            "version {version:x}: {frames:?}"
        );
    }

    // A startup length of 2 GiB: refused before anything is buffered.
    let mut huge = Vec::new();
    huge.extend_from_slice(&0x8000_0000u32.to_be_bytes());
    huge.extend_from_slice(&196_608u32.to_be_bytes());
    let frames = send_raw(proxy.port, &huge).await;
    assert_eq!(fatal_code(&frames), "08P01");

    // Too short to be anything, then nothing more: the auth timeout (5 s) ends it; do not wait,
    // just disconnect.
    let mut c = Raw::tcp(proxy.port).await;
    c.send(&[0, 0]).await.expect("send");
    drop(c);

    // A startup packet without a user name.
    let mut c = Raw::tcp(proxy.port).await;
    c.startup(&[("database", DB)]).await;
    let frames = within(15, c.until_closed()).await;
    assert_eq!(fatal_code(&frames), "28000");

    // A startup packet with an unterminated parameter list.
    let mut bad = Vec::new();
    let body = b"user\0bob";
    bad.extend_from_slice(&((8 + body.len()) as u32).to_be_bytes());
    bad.extend_from_slice(&196_608u32.to_be_bytes());
    bad.extend_from_slice(body);
    let frames = send_raw(proxy.port, &bad).await;
    assert_eq!(fatal_code(&frames), "08P01");

    // Plaintext bytes right after an SSLRequest are refused (CVE-2021-23214 pattern); with no
    // certificate configured the proxy answers 'N' first.
    let mut ssl = Vec::new();
    ssl.extend_from_slice(&8u32.to_be_bytes());
    ssl.extend_from_slice(&80_877_103u32.to_be_bytes());
    let mut c = Raw::tcp(proxy.port).await;
    c.send(&ssl).await.expect("send");
    let mut answer = [0u8; 1];
    within(
        5,
        tokio::io::AsyncReadExt::read_exact(&mut c.stream, &mut answer),
    )
    .await
    .expect("SSL answer");
    assert_eq!(&answer, b"N");

    keeper.simple_query("SELECT 1").await.expect("keeper");
    assert_healthy(&proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_after_login() {
    count_proxy_panics();
    let proxy = Setup::new("transaction").size(2).start().await;
    let keeper = proxy.alice().await;
    let login = || Raw::login(proxy.port, "bob", BOB_PW, DB, &[]);

    // A typed message announcing 2 GiB: FATAL 08P01, connection closed.
    let mut c = login().await.expect("login");
    let mut m = vec![b'Q'];
    m.extend_from_slice(&0x8000_0000u32.to_be_bytes());
    m.extend_from_slice(b"SELECT 1");
    c.send(&m).await.expect("send");
    let frames = within(15, c.until_closed()).await;
    assert_eq!(fatal_code(&frames), "08P01");

    // A length word below 4.
    let mut c = login().await.expect("login");
    c.send(&[b'Q', 0, 0, 0, 2]).await.expect("send");
    let frames = within(15, c.until_closed()).await;
    assert_eq!(fatal_code(&frames), "08P01");

    // An unknown message type.
    let mut c = login().await.expect("login");
    c.send(&raw::msg(b'!', b"what")).await.expect("send");
    let frames = within(15, c.until_closed()).await;
    assert_eq!(fatal_code(&frames), "08P01");

    // A Query without its terminating NUL, and a Parse whose body is truncated.
    for m in [raw::msg(b'Q', b"SELECT 1"), raw::msg(b'P', b"s\0SELECT")] {
        let mut c = login().await.expect("login");
        c.send(&m).await.expect("send");
        let mut s = raw::sync();
        s.extend(raw::query("SELECT 1"));
        let _ = c.send(&s).await;
        let frames = within(15, c.until_closed()).await;
        assert_eq!(fatal_code(&frames), "08P01", "{m:?}");
    }

    // A message cut mid-way, then the client disappears: with and without a transaction open.
    for prefix in [&b""[..], b"BEGIN"] {
        let mut c = login().await.expect("login");
        if !prefix.is_empty() {
            c.exchange(&raw::query("BEGIN")).await;
        }
        let full = raw::query("SELECT 'this message never arrives whole'");
        c.send(&full[..12]).await.expect("send");
        drop(c);
    }

    // Invalid UTF-8 in a query is an error, not a disconnect.
    let mut c = login().await.expect("login");
    let mut q = b"SELECT '".to_vec();
    q.extend_from_slice(&[0xff, 0xfe]);
    q.extend_from_slice(b"'\0");
    let frames = c.exchange(&raw::msg(b'Q', &q)).await;
    assert_eq!(raw::error_code(&frames), "22021");
    let frames = c.exchange(&raw::query("SELECT 1")).await;
    assert_eq!(raw::rows(&frames), [[Some("1".to_string())]]);

    keeper.simple_query("SELECT 1").await.expect("keeper");
    assert_healthy(&proxy).await;
    // The abandoned sessions returned (or dropped) their server connections.
    let pool = &proxy.state.pools.all()[0].1;
    for _ in 0..100 {
        if pool.active_count() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(pool.active_count(), 0, "a server connection leaked");
}

/// 2,000 authenticated idle clients (md5, raw sockets) are all accepted in transaction mode
/// with a pool of 2, and the proxy still answers quickly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_clients() {
    count_proxy_panics();
    let proxy = Setup::new("transaction").size(2).start().await;
    // One login first, so the pool knows the server's parameters.
    let _first = proxy.alice().await;
    let started = Instant::now();
    let mut idle = Vec::with_capacity(2000);
    let port = proxy.port;
    for _ in 0..20 {
        let mut batch = tokio::task::JoinSet::new();
        for _ in 0..100 {
            batch.spawn(async move { Raw::login(port, "bob", BOB_PW, DB, &[]).await });
        }
        while let Some(r) = batch.join_next().await {
            idle.push(r.expect("task").expect("idle client logs in"));
        }
    }
    let login_time = started.elapsed();
    assert_eq!(idle.len(), 2000);
    assert!(proxy.state.clients().len() >= 2000);
    let t = Instant::now();
    assert_healthy(&proxy).await;
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "answer took {:?}",
        t.elapsed()
    );
    // Some of the idle clients wake up and query.
    for c in idle.iter_mut().step_by(200) {
        let frames = c.exchange(&raw::query("SELECT 2")).await;
        assert_eq!(raw::rows(&frames), [[Some("2".to_string())]]);
    }
    eprintln!("2000 logins took {login_time:?}");
    drop(idle);
}

/// Clients that stall during startup or authentication are cut off after `auth_timeout_secs`,
/// and a TLS handshake made of garbage ends the connection without harm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_logins_and_broken_tls() {
    count_proxy_panics();
    let proxy = Setup::new("transaction")
        .size(1)
        .env("ARTICDBM_PROXY__AUTH_TIMEOUT_SECS", "1")
        .start()
        .await;
    let started = Instant::now();
    // Connects and says nothing.
    let mut silent = Raw::tcp(proxy.port).await;
    // Sends a startup packet and never answers the SASL challenge.
    let mut stalled = Raw::tcp(proxy.port).await;
    stalled
        .startup(&[("user", "alice"), ("database", DB)])
        .await;
    let frames = within(10, silent.until_closed()).await;
    assert!(frames.is_empty(), "{frames:?}");
    let frames = within(10, stalled.until_closed()).await;
    assert_eq!(raw::tags(&frames[..1]), "R", "SASL challenge first");
    assert_eq!(fatal_code(&frames), "28P01");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "cut off after {:?}",
        started.elapsed()
    );

    // SSLRequest answered 'N' without a certificate; garbage instead of a startup packet then.
    let mut ssl = Vec::new();
    ssl.extend_from_slice(&8u32.to_be_bytes());
    ssl.extend_from_slice(&80_877_103u32.to_be_bytes());
    let mut c = Raw::tcp(proxy.port).await;
    c.send(&ssl).await.expect("send");
    let mut answer = [0u8; 1];
    within(
        5,
        tokio::io::AsyncReadExt::read_exact(&mut c.stream, &mut answer),
    )
    .await
    .expect("answer");
    assert_eq!(&answer, b"N");
    // A TLS ClientHello-looking record where the startup packet belongs.
    c.send(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc])
        .await
        .expect("send");
    let frames = within(10, c.until_closed()).await;
    assert_eq!(fatal_code(&frames), "08P01");
    assert_healthy(&proxy).await;
}
