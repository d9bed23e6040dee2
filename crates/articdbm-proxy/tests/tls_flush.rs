//! Replies over TLS reach the client completely even when it reads slowly: with a small receive
//! buffer and a pause before reading, the end of a 20 MB result (and its ReadyForQuery) must
//! arrive without any further request from the client, so the proxy's writes hit a full socket
//! and the TLS layer's buffering is exercised.

mod common;

use std::sync::Arc;
use std::time::Duration;

use articdbm_wire_pg::auth::ScramClient;
use articdbm_wire_pg::backend::Authentication;
use articdbm_wire_pg::frontend::Query;
use articdbm_wire_pg::frontend::password::{SaslInitialResponse, write_sasl_response};
use articdbm_wire_pg::startup::StartupParams;
use articdbm_wire_pg::{Frame, FrameDecoder};
use bytes::BytesMut;
use common::pki::Pki;
use common::{ALICE_PW, DB, Setup, within};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

async fn next_frame<S: AsyncRead + Unpin>(s: &mut S, buf: &mut BytesMut) -> Frame {
    let decoder = FrameDecoder::new(1 << 30);
    loop {
        if let Some(f) = decoder.decode(buf).expect("valid frame") {
            return f;
        }
        let n = s.read_buf(buf).await.expect("read");
        assert!(n > 0, "proxy closed the connection");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_tls_reader_gets_the_whole_reply() {
    let pki = Pki::new();
    let proxy = Setup::new("transaction")
        .size(1)
        .toml(&pki.tls_toml())
        .start()
        .await;

    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .set_recv_buffer_size(4096)
        .expect("small receive buffer");
    let mut tcp = socket
        .connect(([127, 0, 0, 1], proxy.port).into())
        .await
        .expect("connect");
    tcp.write_all(&[0, 0, 0, 8, 4, 210, 22, 47])
        .await
        .expect("SSLRequest");
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer).await.expect("SSL answer");
    assert_eq!(answer[0], b'S');

    let name = ServerName::try_from("localhost").expect("name");
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(pki.client_config()))
        .connect(name, tcp)
        .await
        .expect("TLS handshake");

    // Log in with SCRAM.
    let mut out = BytesMut::new();
    let mut buf = BytesMut::new();
    StartupParams {
        params: vec![
            ("user".into(), "alice".into()),
            ("database".into(), DB.into()),
        ],
    }
    .write(&mut out);
    tls.write_all(&out).await.expect("startup");
    out.clear();
    let mut scram: Option<ScramClient> = None;
    loop {
        let f = within(10, next_frame(&mut tls, &mut buf)).await;
        match f.tag() {
            b'R' => match Authentication::decode(&f).expect("auth") {
                Authentication::Sasl { .. } => {
                    let c = ScramClient::new(ALICE_PW);
                    SaslInitialResponse::write(&mut out, "SCRAM-SHA-256", &c.client_first());
                    scram = Some(c);
                }
                Authentication::SaslContinue(d) => {
                    let c = scram.as_mut().expect("started");
                    let reply = c.handle_server_first(&d).expect("server-first");
                    write_sasl_response(&mut out, &reply);
                }
                Authentication::SaslFinal(d) => {
                    scram
                        .as_mut()
                        .expect("started")
                        .handle_server_final(&d)
                        .expect("final");
                }
                Authentication::Ok => {}
                other => panic!("unexpected {other:?}"),
            },
            b'E' => panic!("login refused"),
            b'Z' => break,
            _ => {}
        }
        if !out.is_empty() {
            tls.write_all(&out).await.expect("auth reply");
            tls.flush().await.expect("flush");
            out.clear();
        }
    }

    // A 20 MB reply, not read for a while so that the proxy's writes hit a full socket.
    Query::write(
        &mut out,
        "SELECT repeat('x', 1000) FROM generate_series(1, 20000)",
    );
    tls.write_all(&out).await.expect("query");
    tls.flush().await.expect("flush");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (mut rows, mut done) = (0, false);
    let read_all = async {
        loop {
            let f = next_frame(&mut tls, &mut buf).await;
            match f.tag() {
                b'D' => rows += 1,
                b'Z' => {
                    done = true;
                    return;
                }
                b'E' => panic!("query failed"),
                _ => {}
            }
        }
    };
    let finished = tokio::time::timeout(Duration::from_secs(20), read_all).await;
    assert!(finished.is_ok() && done, "reply stalled after {rows} rows");
    assert_eq!(rows, 20000);
}
