//! The startup phase: answering SSLRequest (TLS upgrade) and GSSENCRequest (declined), routing a
//! CancelRequest, negotiating a newer protocol minor version down to 3.0 (as the server does),
//! closing silently on a Terminate, and returning the StartupMessage parameters of a real
//! session.

use std::net::SocketAddr;
use std::sync::Arc;

use articdbm_wire_pg::WireError;
use articdbm_wire_pg::backend::negotiate_protocol_version;
use articdbm_wire_pg::startup::{self, StartupPacket, StartupParams};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::reply::{fatal, sqlstate};
use crate::state::LiveState;
use crate::stream::ClientStream;

/// What the first packets of a connection turned out to be.
pub enum Opening {
    Session {
        stream: ClientStream,
        params: StartupParams,
        buf: BytesMut,
    },
    /// A CancelRequest was handled, or the client left: nothing more to do.
    Done,
}

/// Reads packets until a StartupMessage, upgrading to TLS on request.
pub async fn negotiate(tcp: TcpStream, peer: SocketAddr, state: &Arc<LiveState>) -> Opening {
    let runtime = state.runtime();
    let mut stream = ClientStream::Plain(tcp);
    let mut buf = BytesMut::with_capacity(1024);
    loop {
        let packet = match startup::decode(&mut buf) {
            Ok(Some(p)) => p,
            Ok(None) => {
                match stream.read_buf(&mut buf).await {
                    Ok(0) | Err(_) => return Opening::Done,
                    Ok(_) => {}
                }
                continue;
            }
            Err(e) => {
                let code = match e {
                    WireError::UnsupportedProtocol { .. } => sqlstate::FEATURE_NOT_SUPPORTED,
                    _ => sqlstate::PROTOCOL_VIOLATION,
                };
                tracing::debug!(%peer, error = %e, "bad startup packet");
                fatal(&mut stream, code, &e.to_string()).await;
                return Opening::Done;
            }
        };
        match packet {
            StartupPacket::SslRequest => {
                if !buf.is_empty() {
                    // Bytes sent after SSLRequest before the handshake could be injected by a
                    // man in the middle (CVE-2021-23214): refuse.
                    fatal(
                        &mut stream,
                        sqlstate::PROTOCOL_VIOLATION,
                        "received unencrypted data after SSL request",
                    )
                    .await;
                    return Opening::Done;
                }
                let ClientStream::Plain(tcp) = stream else {
                    fatal(
                        &mut stream,
                        sqlstate::PROTOCOL_VIOLATION,
                        "duplicate SSL request",
                    )
                    .await;
                    return Opening::Done;
                };
                match &runtime.tls {
                    Some(acceptor) => {
                        let mut tcp = tcp;
                        if tcp.write_all(b"S").await.is_err() {
                            return Opening::Done;
                        }
                        match acceptor.accept(tcp).await {
                            Ok(tls) => stream = ClientStream::Tls(Box::new(tls)),
                            Err(e) => {
                                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                return Opening::Done;
                            }
                        }
                    }
                    None => {
                        let mut tcp = tcp;
                        if tcp.write_all(b"N").await.is_err() {
                            return Opening::Done;
                        }
                        stream = ClientStream::Plain(tcp);
                    }
                }
            }
            StartupPacket::GssEncRequest => {
                if stream.send(b"N").await.is_err() {
                    return Opening::Done;
                }
            }
            StartupPacket::Cancel {
                process_id,
                secret_key,
            } => {
                forward_cancel(state, process_id, secret_key).await;
                // Close politely: over TLS (libpq 17 encrypts cancel requests) a missing
                // close_notify is reported by the client as an error.
                let _ = stream.shutdown().await;
                return Opening::Done;
            }
            StartupPacket::Startup(params) => {
                return Opening::Session {
                    stream,
                    params,
                    buf,
                };
            }
            StartupPacket::NewerStartup {
                params,
                minor,
                unrecognized,
            } => {
                // Like the server: announce 3.0 and the options not understood, then go on.
                tracing::debug!(%peer, minor, options = ?unrecognized, "protocol negotiated down to 3.0");
                let mut reply = BytesMut::with_capacity(32);
                negotiate_protocol_version::write(&mut reply, startup::PROTOCOL_3_0, &unrecognized);
                if stream.send(&reply).await.is_err() {
                    return Opening::Done;
                }
                return Opening::Session {
                    stream,
                    params,
                    buf,
                };
            }
            StartupPacket::Terminate => return Opening::Done,
        }
    }
}

/// Sends the backend's real CancelRequest if the key matches a client running a query.
async fn forward_cancel(state: &LiveState, process_id: i32, secret_key: i32) {
    // A session on an embedded database: interrupt its statement here.
    if state.cancels.cancel_local(process_id, secret_key) {
        return;
    }
    // The ticket keeps the cancel counted as in flight until this function returns.
    let Some(ticket) = state.cancels.lookup(process_id, secret_key) else {
        return;
    };
    crate::cancel::deliver(ticket.target).await;
}
