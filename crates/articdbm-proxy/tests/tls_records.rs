//! The proxy's TLS records are no larger than the database servers' own: PostgreSQL writes at
//! most 8 KB per TLS record, and libpq 18.0 (psycopg 3.3.4's bundled one) stalls for ever when a
//! record is larger than the room it left in its input buffer (the rest waits inside OpenSSL
//! while libpq waits on an empty socket). A relay between the client and the proxy records what
//! the proxy sends; rows of 50-9,000 bytes and a large result are fetched over TLS on both
//! listeners, in both pool modes, and every record's length is checked.

mod common;

use std::sync::{Arc, Mutex};

use common::mysql::{MyDb, mysql_toml, ssl_opts};
use common::pki::Pki;
use common::{ALICE_PW, DB, Setup, within};
use mysql_async::prelude::Queryable;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_postgres::config::SslMode;

/// Plaintext bytes PostgreSQL puts in one TLS record at most (its send buffer).
const SERVER_RECORD_PLAINTEXT: usize = 8192;
/// What encryption may add to a record's plaintext (RFC 8446 §5.2; TLS 1.2 AEAD adds less).
const RECORD_EXPANSION: usize = 256;

/// Row sizes of the reproduction: 20 rows of 50-9,000 bytes.
const ROW_SIZES: [usize; 20] = [
    50, 9000, 4100, 8191, 8192, 8193, 120, 7000, 3000, 8999, 60, 5000, 8500, 2048, 16, 9000, 4096,
    6000, 1024, 8800,
];

/// Accepts one connection, connects it to `target` and relays both ways; everything the proxy
/// sends is appended to the returned buffer.
async fn recording_relay(target: u16) -> (u16, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
    let port = listener.local_addr().expect("relay addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        let Ok((client, _)) = listener.accept().await else {
            return;
        };
        let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await else {
            return;
        };
        let (mut client_rd, mut client_wr) = client.into_split();
        let (mut server_rd, mut server_wr) = server.into_split();
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut client_rd, &mut server_wr).await;
            let _ = server_wr.shutdown().await;
        });
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match server_rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    record
                        .lock()
                        .expect("relay buffer")
                        .extend_from_slice(&buf[..n]);
                    if client_wr.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = client_wr.shutdown().await;
    });
    (port, seen)
}

/// The lengths of the TLS records in `bytes`, which start with `prefix_len` plaintext bytes
/// (PostgreSQL's `S`, MySQL's greeting packet).
fn record_lengths(bytes: &[u8], prefix_len: usize) -> Vec<usize> {
    let mut lengths = Vec::new();
    let mut at = prefix_len;
    while at + 5 <= bytes.len() {
        let content_type = bytes[at];
        assert!(
            (20..=24).contains(&content_type) && bytes[at + 1] == 3,
            "not a TLS record header at offset {at}: {:?}",
            &bytes[at..at + 5]
        );
        let len = usize::from(u16::from_be_bytes([bytes[at + 3], bytes[at + 4]]));
        lengths.push(len);
        at += 5 + len;
    }
    lengths
}

fn assert_server_sized(lengths: &[usize]) {
    let largest = lengths.iter().copied().max().unwrap_or(0);
    assert!(
        largest > SERVER_RECORD_PLAINTEXT / 2,
        "the replies should have filled large records (largest {largest} bytes)"
    );
    assert!(
        largest <= SERVER_RECORD_PLAINTEXT + RECORD_EXPANSION,
        "a TLS record of {largest} bytes: PostgreSQL never sends more than \
         {SERVER_RECORD_PLAINTEXT} bytes of plaintext in one, and libpq 18.0 stalls on larger ones"
    );
}

fn sizes_sql() -> String {
    let sizes: Vec<String> = ROW_SIZES.iter().map(|n| n.to_string()).collect();
    sizes.join(",")
}

async fn postgres_records_are_server_sized(mode: &'static str) {
    let pki = Pki::new();
    let proxy = Setup::new(mode).size(2).toml(&pki.tls_toml()).start().await;
    let (relay, seen) = recording_relay(proxy.port).await;

    let mut config = tokio_postgres::Config::new();
    config
        .host("localhost")
        .hostaddr(std::net::IpAddr::from([127, 0, 0, 1]))
        .port(relay)
        .user("alice")
        .password(ALICE_PW)
        .dbname(DB)
        .ssl_mode(SslMode::Require)
        .connect_timeout(std::time::Duration::from_secs(10));
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(pki.client_config());
    let (client, connection) = within(20, config.connect(tls))
        .await
        .expect("TLS connection through the relay");
    tokio::spawn(connection);

    let sql = format!(
        "SELECT length(repeat('x', n)), repeat('x', n) FROM unnest(ARRAY[{}]) WITH ORDINALITY AS t(n, i) ORDER BY i",
        sizes_sql()
    );
    for _ in 0..3 {
        let rows = within(20, client.query(sql.as_str(), &[]))
            .await
            .expect("rows of varied sizes");
        let got: Vec<usize> = rows.iter().map(|r| r.get::<_, String>(1).len()).collect();
        assert_eq!(got, ROW_SIZES);
    }
    let big = within(
        20,
        client.query(
            "SELECT repeat('y', 1000) FROM generate_series(1, 2000)",
            &[],
        ),
    )
    .await
    .expect("a 2 MB result");
    assert_eq!(big.len(), 2000);
    drop(client);

    let bytes = seen.lock().expect("relay buffer").clone();
    assert_eq!(
        bytes.first(),
        Some(&b'S'),
        "the proxy accepted the SSLRequest"
    );
    assert_server_sized(&record_lengths(&bytes, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tls_records_are_server_sized_session_mode() {
    postgres_records_are_server_sized("session").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tls_records_are_server_sized_transaction_mode() {
    postgres_records_are_server_sized("transaction").await;
}

async fn mysql_records_are_server_sized(mode: &'static str) {
    let pki = Pki::new();
    let db = MyDb::create().await;
    let proxy = common::mysql::start(
        Setup::new(mode)
            .size(2)
            .toml(&pki.tls_toml())
            .toml(&mysql_toml(&db)),
    )
    .await;
    let (relay, seen) = recording_relay(proxy.port).await;

    let opts = proxy
        .opts("alice", ALICE_PW, Some(&db.name))
        .tcp_port(relay)
        .ssl_opts(Some(ssl_opts(&pki.ca_pem)));
    let mut conn = proxy
        .connect_opts(opts)
        .await
        .expect("TLS login through the relay");
    let unions: Vec<String> = ROW_SIZES
        .iter()
        .enumerate()
        .map(|(i, n)| format!("SELECT {i} AS i, REPEAT('x', {n}) AS v"))
        .collect();
    let sql = format!(
        "SELECT v FROM ({}) AS t ORDER BY i",
        unions.join(" UNION ALL ")
    );
    for _ in 0..3 {
        let rows: Vec<String> = within(20, conn.query(sql.as_str()))
            .await
            .expect("rows of varied sizes");
        let got: Vec<usize> = rows.iter().map(String::len).collect();
        assert_eq!(got, ROW_SIZES);
    }
    let big: Vec<String> = within(
        20,
        conn.query("SELECT REPEAT('y', 1000) FROM seq_1_to_2000"),
    )
    .await
    .expect("a 2 MB result");
    assert_eq!(big.len(), 2000);
    let _ = conn.disconnect().await;

    let bytes = seen.lock().expect("relay buffer").clone();
    assert!(bytes.len() > 4, "the proxy sent its greeting");
    let greeting =
        4 + usize::from(bytes[0]) + (usize::from(bytes[1]) << 8) + (usize::from(bytes[2]) << 16);
    assert_server_sized(&record_lengths(&bytes, greeting));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_tls_records_are_server_sized_session_mode() {
    mysql_records_are_server_sized("session").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_tls_records_are_server_sized_transaction_mode() {
    mysql_records_are_server_sized("transaction").await;
}
