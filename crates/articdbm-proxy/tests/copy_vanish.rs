//! A client that vanishes in the middle of COPY FROM STDIN: the half-sent COPY must not commit,
//! the server connection (stuck in COPY state) must never be handed to another client, and other
//! clients keep working, in both pool modes.

mod common;

use common::raw::{Raw, msg, query, status};
use common::{ALICE_PW, DB, Setup, Table, within};

async fn client_vanishes_mid_copy(mode: &'static str) {
    // One server connection: the next client can only be served if the broken one was replaced.
    let proxy = Setup::new(mode).size(1).start().await;
    let table = Table::create("vanish", "id int, v text").await;
    let t = &table.name;

    let mut raw = within(20, Raw::login(proxy.port, "alice", ALICE_PW, DB, &[]))
        .await
        .expect("raw client logs in");
    raw.send(&query(&format!("COPY {t} (id, v) FROM STDIN")))
        .await
        .expect("send COPY");
    let start = within(10, raw.recv()).await.expect("CopyInResponse");
    assert_eq!(start.tag(), b'G', "expected CopyInResponse");
    let mut rows = Vec::new();
    for i in 0..1000 {
        rows.extend_from_slice(format!("{i}\trow {i}\n").as_bytes());
    }
    raw.send(&msg(b'd', &rows)).await.expect("send CopyData");
    // Half a CopyData message, then the client is gone (no CopyDone, no CopyFail, no Terminate).
    let partial = msg(b'd', b"1001\tcut");
    raw.send(&partial[..7]).await.expect("send a cut message");
    drop(raw);

    // The next client gets a working server promptly (not the one left in COPY state).
    let next = within(20, proxy.alice()).await;
    let n: i64 = within(
        20,
        next.query_one(&format!("SELECT count(*) FROM {t}"), &[]),
    )
    .await
    .expect("next client's query runs")
    .get(0);
    assert_eq!(n, 0, "rows of an unfinished COPY must not be committed");
    // In session mode `next` holds the only server: let it go, then another client comes.
    drop(next);
    let mut again = within(20, Raw::login(proxy.port, "alice", ALICE_PW, DB, &[]))
        .await
        .expect("another client logs in");
    let frames = within(20, again.exchange(&query("SELECT 1"))).await;
    assert_eq!(status(&frames), b'I');
    assert_eq!(table.count().await, 0);
}

#[tokio::test]
async fn client_vanishes_mid_copy_in_transaction_mode() {
    client_vanishes_mid_copy("transaction").await;
}

#[tokio::test]
async fn client_vanishes_mid_copy_in_session_mode() {
    client_vanishes_mid_copy("session").await;
}
