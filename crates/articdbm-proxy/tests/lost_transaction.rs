//! A server lost inside a client's transaction (its session terminated with
//! pg_terminate_backend) must never let the client go on outside that transaction: in
//! transaction mode the client is told 08006 with ReadyForQuery 'E', everything but ROLLBACK is
//! refused (25P02), and COMMIT answers ROLLBACK, as a server does for a failed transaction; in
//! session mode the connection ends. Nothing of the half transaction is ever committed. Simple
//! and extended protocol, lost while a query runs and while the client is idle in the
//! transaction.

mod common;

use std::time::Duration;

use articdbm_wire_pg::Frame;
use common::raw::{self, Raw};
use common::{BOB_PW, DB, Setup, Table, direct, wait_backend_gone, within};

const ABORTED: &str =
    "current transaction is aborted, commands ignored until end of transaction block";

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

async fn login(port: u16) -> Raw {
    Raw::login(port, "bob", BOB_PW, DB, &[])
        .await
        .expect("login through the proxy")
}

async fn backend_pid(c: &mut Raw) -> i32 {
    let frames = c.exchange(&raw::query("SELECT pg_backend_pid()")).await;
    raw::rows(&frames)[0][0]
        .as_deref()
        .expect("pid")
        .parse()
        .expect("number")
}

/// The extended-protocol run of `sql` (unnamed statement and portal) up to ReadyForQuery.
fn extended(sql: &str) -> Vec<u8> {
    [
        raw::parse("", sql),
        raw::bind("", ""),
        raw::execute(""),
        raw::sync(),
    ]
    .concat()
}

/// The command tag of the first CommandComplete among `frames`.
fn command_tag(frames: &[Frame]) -> Option<String> {
    let f = frames.iter().find(|f| f.tag() == b'C')?;
    let body = f.body();
    let end = body.iter().position(|&b| b == 0).unwrap_or(body.len());
    Some(String::from_utf8_lossy(&body[..end]).into_owned())
}

/// `frames` end in ReadyForQuery `status` after an error `code` (or no error for "").
fn expect(frames: &[Frame], code: &str, status: u8, what: &str) {
    assert_eq!(raw::error_code(frames), code, "{what}: {frames:?}");
    assert_eq!(
        raw::status(frames) as char,
        status as char,
        "{what}: {frames:?}"
    );
}

/// In the failed transaction the client was left in, everything but ROLLBACK is refused, over
/// both protocols, and COMMIT (`finish`) answers ROLLBACK; afterwards the session works again.
async fn refused_until_rollback(c: &mut Raw, table: &Table, finish: &str) {
    let frames = c
        .exchange(&raw::query(&format!(
            "INSERT INTO {} VALUES (-102)",
            table.name
        )))
        .await;
    expect(&frames, "25P02", b'E', "simple statement after the loss");
    assert_eq!(
        raw::error(&frames).map(|e| e.message),
        Some(ABORTED.to_string())
    );
    let frames = c
        .exchange(&extended(&format!(
            "INSERT INTO {} VALUES (-103)",
            table.name
        )))
        .await;
    expect(&frames, "25P02", b'E', "extended statement after the loss");
    let frames = c.exchange(&raw::query("SELECT 1; SELECT 2")).await;
    expect(
        &frames,
        "25P02",
        b'E',
        "multi-statement query after the loss",
    );
    let frames = c.exchange(&raw::query(finish)).await;
    expect(&frames, "", b'I', finish);
    assert_eq!(
        command_tag(&frames).as_deref(),
        Some("ROLLBACK"),
        "{finish}"
    );
    assert_eq!(
        table.count().await,
        0,
        "nothing of the transaction was committed"
    );
    let frames = c
        .exchange(&raw::query(&format!(
            "INSERT INTO {} VALUES (1)",
            table.name
        )))
        .await;
    expect(&frames, "", b'I', "autocommit statement after ROLLBACK");
    assert_eq!(table.count().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_during_query_in_transaction_simple_protocol() {
    let proxy = Setup::new("transaction").size(2).start().await;
    for finish in ["COMMIT", "ROLLBACK", "END", "abort"] {
        let table = Table::create("lost_q", "v int").await;
        let mut c = login(proxy.port).await;
        expect(&c.exchange(&raw::query("BEGIN")).await, "", b'T', "BEGIN");
        let insert = format!("INSERT INTO {} VALUES (-101)", table.name);
        expect(&c.exchange(&raw::query(&insert)).await, "", b'T', "INSERT");
        let pid = backend_pid(&mut c).await;
        c.send(&raw::query("SELECT pg_sleep(5)"))
            .await
            .expect("send");
        tokio::time::sleep(Duration::from_millis(300)).await;
        terminate(pid).await;
        let frames = within(10, c.until_ready()).await;
        expect(
            &frames,
            "08006",
            b'E',
            "the query running when the server was lost",
        );
        refused_until_rollback(&mut c, &table, finish).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_during_query_in_transaction_extended_protocol() {
    let proxy = Setup::new("transaction").size(2).start().await;
    let table = Table::create("lost_x", "v int").await;
    let mut c = login(proxy.port).await;
    expect(&c.exchange(&extended("BEGIN")).await, "", b'T', "BEGIN");
    let insert = format!("INSERT INTO {} VALUES (-101)", table.name);
    expect(&c.exchange(&extended(&insert)).await, "", b'T', "INSERT");
    let pid = backend_pid(&mut c).await;
    c.send(&extended("SELECT pg_sleep(5)")).await.expect("send");
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(pid).await;
    let frames = within(10, c.until_ready()).await;
    expect(
        &frames,
        "08006",
        b'E',
        "the query running when the server was lost",
    );
    // COMMIT over the extended protocol answers ROLLBACK too.
    let frames = c
        .exchange(&extended(&format!(
            "INSERT INTO {} VALUES (-102)",
            table.name
        )))
        .await;
    expect(&frames, "25P02", b'E', "extended statement after the loss");
    let frames = c.exchange(&extended("COMMIT")).await;
    expect(&frames, "", b'I', "extended COMMIT");
    assert_eq!(command_tag(&frames).as_deref(), Some("ROLLBACK"));
    assert_eq!(table.count().await, 0);
    expect(
        &c.exchange(&extended("SELECT 1")).await,
        "",
        b'I',
        "usable again",
    );
}

/// The query that was running opened the transaction itself: the client may believe it is in
/// it, so it is treated as one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_in_the_query_that_began_the_transaction() {
    let proxy = Setup::new("transaction").size(2).start().await;
    let table = Table::create("lost_b", "v int").await;
    let mut c = login(proxy.port).await;
    let pid = backend_pid(&mut c).await;
    // The next query runs on the server just used (the pool keeps it, LIFO).
    c.send(&raw::query(&format!(
        "BEGIN; INSERT INTO {} VALUES (-101); SELECT pg_sleep(5)",
        table.name
    )))
    .await
    .expect("send");
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(pid).await;
    let frames = within(10, c.until_ready()).await;
    expect(&frames, "08006", b'E', "lost in the query with BEGIN");
    refused_until_rollback(&mut c, &table, "COMMIT").await;
}

/// An autocommit statement lost with its server: 08006, still outside a transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_outside_a_transaction_stays_idle() {
    let proxy = Setup::new("transaction").size(2).start().await;
    let mut c = login(proxy.port).await;
    let pid = backend_pid(&mut c).await;
    c.send(&raw::query("SELECT pg_sleep(5)"))
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(pid).await;
    let frames = within(10, c.until_ready()).await;
    expect(&frames, "08006", b'I', "autocommit statement lost");
    expect(
        &c.exchange(&raw::query("SELECT 1")).await,
        "",
        b'I',
        "next statement",
    );
}

/// The server is lost while the client sits idle in its transaction: the client learns it at
/// its next request, and never outside the transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_while_idle_in_transaction() {
    let proxy = Setup::new("transaction").size(2).start().await;
    // (next request, error it gets, status after it, the request that ends the transaction)
    let cases: [(&str, bool, &str, u8, &str); 5] = [
        (
            "INSERT INTO {t} VALUES (-102)",
            false,
            "08006",
            b'E',
            "COMMIT",
        ),
        (
            "INSERT INTO {t} VALUES (-102)",
            true,
            "08006",
            b'E',
            "COMMIT",
        ),
        ("SELECT 1", true, "08006", b'E', "ROLLBACK"),
        // COMMIT of a transaction that is gone fails (as a failed COMMIT does: back to idle).
        ("COMMIT", false, "08006", b'I', ""),
        ("ROLLBACK", false, "", b'I', ""),
    ];
    for (next, use_extended, code, status, finish) in cases {
        let table = Table::create("lost_idle", "v int").await;
        let mut c = login(proxy.port).await;
        expect(&c.exchange(&raw::query("BEGIN")).await, "", b'T', "BEGIN");
        let insert = format!("INSERT INTO {} VALUES (-101)", table.name);
        expect(&c.exchange(&raw::query(&insert)).await, "", b'T', "INSERT");
        let pid = backend_pid(&mut c).await;
        terminate(pid).await;
        let next = next.replace("{t}", &table.name);
        let request = if use_extended {
            extended(&next)
        } else {
            raw::query(&next)
        };
        let frames = within(10, c.exchange(&request)).await;
        expect(&frames, code, status, &next);
        if next == "ROLLBACK" {
            assert_eq!(command_tag(&frames).as_deref(), Some("ROLLBACK"));
        }
        if !finish.is_empty() {
            refused_until_rollback(&mut c, &table, finish).await;
        } else {
            assert_eq!(table.count().await, 0);
            expect(
                &c.exchange(&raw::query("SELECT 1")).await,
                "",
                b'I',
                "usable again",
            );
        }
    }
}

/// Session mode: the client's server is its session; losing it mid-transaction ends the
/// client's connection, and nothing is committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_mode_ends_the_connection() {
    let proxy = Setup::new("session").size(2).start().await;
    for busy in [true, false] {
        let table = Table::create("lost_s", "v int").await;
        let mut c = login(proxy.port).await;
        expect(&c.exchange(&raw::query("BEGIN")).await, "", b'T', "BEGIN");
        let insert = format!("INSERT INTO {} VALUES (-101)", table.name);
        expect(&c.exchange(&raw::query(&insert)).await, "", b'T', "INSERT");
        let pid = backend_pid(&mut c).await;
        if busy {
            c.send(&raw::query("SELECT pg_sleep(5)"))
                .await
                .expect("send");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        terminate(pid).await;
        let frames = within(10, c.until_closed()).await;
        let fatal = raw::error(&frames).expect("an error before the close");
        assert_eq!(fatal.severity, "FATAL", "{frames:?}");
        assert!(
            !frames.iter().any(|f| f.tag() == b'Z'),
            "no ReadyForQuery after the loss: {frames:?}"
        );
        assert_eq!(table.count().await, 0);
    }
}
