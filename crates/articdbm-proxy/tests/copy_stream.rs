//! Bulk data through the proxy: COPY FROM STDIN and COPY TO STDOUT with 10,000 rows, a failed
//! COPY that leaves the session usable, and a 100 MB result streamed row by row.

mod common;

use bytes::Bytes;
use common::{Setup, Table, code_of, within};
use futures_util::{SinkExt, StreamExt, TryStreamExt};
use tokio_postgres::error::SqlState;

const ROWS: usize = 10_000;

async fn copy_in_and_out(mode: &'static str) {
    let proxy = Setup::new(mode).size(2).start().await;
    let table = Table::create("copy", "id int PRIMARY KEY, v text").await;
    let t = &table.name;
    let client = proxy.alice().await;

    let mut data = String::new();
    for i in 0..ROWS {
        data.push_str(&format!("{i}\tvalue number {i}\n"));
    }
    let sink = client
        .copy_in::<_, Bytes>(&format!("COPY {t} (id, v) FROM STDIN"))
        .await
        .expect("COPY FROM STDIN starts");
    futures_util::pin_mut!(sink);
    // Several CopyData messages of different sizes.
    for chunk in data.as_bytes().chunks(7_919) {
        sink.send(Bytes::copy_from_slice(chunk))
            .await
            .expect("copy data");
    }
    let copied = within(30, sink.finish()).await.expect("COPY FROM finishes");
    assert_eq!(copied, ROWS as u64);
    assert_eq!(table.count().await, ROWS as i64);

    let stream = client
        .copy_out(&format!(
            "COPY (SELECT id, v FROM {t} ORDER BY id) TO STDOUT"
        ))
        .await
        .expect("COPY TO STDOUT starts");
    let chunks: Vec<Bytes> = within(30, stream.try_collect()).await.expect("copy out");
    let out: Vec<u8> = chunks.concat();
    assert_eq!(out.len(), data.len());
    assert_eq!(out, data.as_bytes(), "COPY TO returns exactly what went in");

    // A COPY the server rejects halfway (duplicate key) fails with the server's error and the
    // session carries on.
    let sink = client
        .copy_in::<_, Bytes>(&format!("COPY {t} (id, v) FROM STDIN"))
        .await
        .expect("second COPY starts");
    futures_util::pin_mut!(sink);
    sink.send(Bytes::from_static(b"20000\tnew\n0\tduplicate\n"))
        .await
        .expect("send");
    let failed = within(30, sink.finish()).await;
    assert_eq!(code_of(failed), SqlState::UNIQUE_VIOLATION);
    let n: i64 = client
        .query_one(&format!("SELECT count(*) FROM {t}"), &[])
        .await
        .expect("session usable after failed COPY")
        .get(0);
    assert_eq!(n, ROWS as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_in_and_out_in_transaction_mode() {
    copy_in_and_out("transaction").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_in_and_out_in_session_mode() {
    copy_in_and_out("session").await;
}

/// 100 MB of rows (100,000 × 1,000 bytes) streamed through the proxy arrive complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_megabyte_result_streams() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let client = proxy.alice().await;
    let rows = client
        .query_raw(
            "SELECT repeat(chr(65 + (i % 26)), 1000) FROM generate_series(1, 100000) AS i",
            std::iter::empty::<i32>(),
        )
        .await
        .expect("query starts");
    futures_util::pin_mut!(rows);
    let mut bytes = 0usize;
    let mut count = 0usize;
    within(120, async {
        while let Some(row) = rows.next().await {
            let row = row.expect("row");
            let v: &str = row.get(0);
            bytes += v.len();
            count += 1;
        }
    })
    .await;
    assert_eq!(count, 100_000);
    assert_eq!(bytes, 100_000_000);
    // The server connection went back to the pool in a usable state.
    let again = proxy.alice().await;
    let one: i32 = again
        .query_one("SELECT 1", &[])
        .await
        .expect("pool usable")
        .get(0);
    assert_eq!(one, 1);
}

/// A client that pipelines a lot (requests of 50 MB in total, answers as large) without waiting
/// for answers: the proxy must keep reading the server while it writes to it, or both sides
/// block on full socket buffers.
async fn deep_pipeline(mode: &'static str) {
    let proxy = Setup::new(mode).size(1).start().await;
    let client = proxy.alice().await;
    let echo = client.prepare("SELECT $1::text").await.expect("prepare");
    let payload = "p".repeat(10_000);
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&payload];
    let queries = (0..5_000).map(|_| client.query_one(&echo, &params));
    let rows = within(120, futures_util::future::join_all(queries)).await;
    let mut bytes = 0;
    for r in rows {
        let v: String = r.expect("pipelined query").get(0);
        bytes += v.len();
    }
    assert_eq!(bytes, 50_000_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_pipeline_in_transaction_mode() {
    deep_pipeline("transaction").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_pipeline_in_session_mode() {
    deep_pipeline("session").await;
}
