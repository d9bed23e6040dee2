//! The opening of a MySQL connection: the proxy's HandshakeV10 (fresh nonce, the offered
//! capabilities, the server version and collation mirrored from the backend), the client's
//! answer (SSLRequest → TLS upgrade, then HandshakeResponse41), and reading login packets
//! with their sequence ids checked. Protocol faults become [`LoginError::Refused`] with the
//! ERR a MySQL server would send (1153, 1156, 1043) before the connection is closed.

use std::sync::Arc;
use std::time::Duration;

use articdbm_wire_mysql::backend::HandshakeV10;
use articdbm_wire_mysql::frontend::{ClientHello, HandshakeResponse41};
use articdbm_wire_mysql::packet::HEADER_LEN;
use articdbm_wire_mysql::{
    Capabilities, Packet, PacketDecoder, PacketHeader, PacketWriter, ServerStatus, WireError,
};
use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::reply::{Refusal, code, send_err};
use crate::runtime::RuntimeConfig;
use crate::stream::ClientStream;

/// Login packets are small (a handshake response with connection attributes is at most a few
/// KiB); a larger one is refused before memory is reserved for it, even when
/// `proxy.max_client_message_bytes` (the session's limit) is larger.
pub const MAX_LOGIN_PACKET: usize = 64 * 1024;

/// Version announced when no backend greeting could be read (no MySQL database configured,
/// or its server unreachable); real backends' versions are mirrored (see [`Greeting`]).
pub const FALLBACK_VERSION: &str = concat!("8.0.99-ArticDBM-", env!("CARGO_PKG_VERSION"));
/// Suffix appended to a mirrored backend version.
pub const VERSION_SUFFIX: &str = concat!("-ArticDBM-", env!("CARGO_PKG_VERSION"));
/// utf8mb4_general_ci: exists on MySQL 5.5+ and every MariaDB.
const FALLBACK_COLLATION: u8 = 45;

/// Capabilities the proxy offers, with SSL when TLS is configured. Never COMPRESS;
/// LOCAL_FILES is offered so clients can ask, and LOAD DATA LOCAL is refused by the session
/// unless a policy allows it.
pub fn offered(tls: bool, local_infile: bool) -> Capabilities {
    let mut caps = Capabilities::LONG_PASSWORD
        | Capabilities::FOUND_ROWS
        | Capabilities::LONG_FLAG
        | Capabilities::CONNECT_WITH_DB
        | Capabilities::PROTOCOL_41
        | Capabilities::INTERACTIVE
        | Capabilities::IGNORE_SIGPIPE
        | Capabilities::TRANSACTIONS
        | Capabilities::SECURE_CONNECTION
        | Capabilities::MULTI_STATEMENTS
        | Capabilities::MULTI_RESULTS
        | Capabilities::PS_MULTI_RESULTS
        | Capabilities::PLUGIN_AUTH
        | Capabilities::CONNECT_ATTRS
        | Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA
        | Capabilities::SESSION_TRACK
        | Capabilities::DEPRECATE_EOF;
    if tls {
        caps.insert(Capabilities::SSL);
    }
    // `LOAD DATA LOCAL INFILE` only where `proxy.mysql_local_infile` allows it.
    if local_infile {
        caps.insert(Capabilities::LOCAL_FILES);
    }
    caps
}

/// Why a login ended before the session.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The client closed the connection, or the socket failed: nothing to say.
    #[error("client disconnected during login")]
    Gone,
    /// Refused: send this ERR (with sequence id `seq`) and close.
    #[error("{}", .refusal.message)]
    Refused { seq: u8, refusal: Refusal },
}

impl LoginError {
    pub fn refused(seq: u8, code: u16, sqlstate: &'static str, message: impl Into<String>) -> Self {
        LoginError::Refused {
            seq,
            refusal: Refusal::new(code, sqlstate, message),
        }
    }

    /// The ERR for a framing fault (`seq` is the id our reply would carry).
    pub fn from_wire(seq: u8, e: &WireError) -> Self {
        match e {
            WireError::PacketTooLarge { .. } => LoginError::refused(
                seq,
                code::NET_PACKET_TOO_LARGE,
                "08S01",
                "Got a packet bigger than 'max_allowed_packet' bytes",
            ),
            WireError::BadSequence { .. } => LoginError::refused(
                seq,
                code::NET_PACKETS_OUT_OF_ORDER,
                "08S01",
                "Got packets out of order",
            ),
            _ => LoginError::refused(seq, code::HANDSHAKE_ERROR, "08S01", "Bad handshake"),
        }
    }

    /// Sends the ERR of a refusal (nothing for `Gone`).
    pub async fn report(&self, stream: &mut ClientStream) {
        if let LoginError::Refused { seq, refusal } = self {
            send_err(stream, *seq, refusal).await;
        }
    }
}

/// What the proxy's handshake announces about the server: the backend's own version (with
/// [`VERSION_SUFFIX`]) and default collation, so clients pick the same dialect features
/// (`transaction_isolation` vs `tx_isolation`, MariaDB detection, ...) as if they talked to
/// it directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    pub version: Bytes,
    pub collation: u8,
    /// The MariaDB extended capabilities of [`RELAYED_MARIADB_CAPS`] the backend offers.
    pub mariadb_caps: Capabilities,
}

impl Greeting {
    pub fn fallback() -> Self {
        Greeting {
            version: Bytes::from_static(FALLBACK_VERSION.as_bytes()),
            collation: FALLBACK_COLLATION,
            mariadb_caps: Capabilities::NONE,
        }
    }
}

/// MariaDB extended capabilities the proxy offers when the backend does: extended type
/// information in column definitions (`format=json`, `type=uuid`, ...), which is relayed
/// inside the column definition packets as received. Not PROGRESS (progress packets inside
/// responses), STMT_BULK_OPERATIONS (COM_STMT_BULK_EXECUTE is not relayed) or CACHE_METADATA
/// (an execution's metadata would depend on which server prepared the statement).
pub const RELAYED_MARIADB_CAPS: Capabilities = Capabilities::MARIADB_EXTENDED_METADATA;

/// `offered` with the backend's relayed MariaDB extended capabilities: announced, as a
/// MariaDB server does, with `CLIENT_MYSQL` (`LONG_PASSWORD`) cleared.
pub fn with_mariadb_caps(offered: Capabilities, greeting: &Greeting) -> Capabilities {
    let extended = greeting.mariadb_caps & RELAYED_MARIADB_CAPS;
    if extended == Capabilities::NONE {
        return offered;
    }
    let mut caps = offered | extended;
    caps.remove(Capabilities::LONG_PASSWORD);
    caps
}

/// The greeting to mirror: read once per configuration snapshot from the first MySQL-kind
/// database's backend (its HandshakeV10 arrives without logging in; the probe connection is
/// then closed). Not cached when the backend cannot be reached, so the next client retries.
pub async fn greeting(runtime: &Arc<RuntimeConfig>) -> Greeting {
    if let Some(g) = runtime.mysql_greeting.get() {
        return g.clone();
    }
    let Some((host, port)) = runtime.mysql_probe_address() else {
        return Greeting::fallback();
    };
    match tokio::time::timeout(Duration::from_secs(2), probe(&host, port)).await {
        Ok(Some(g)) => runtime.mysql_greeting.get_or_init(|| g).clone(),
        _ => Greeting::fallback(),
    }
}

async fn probe(host: &str, port: u16) -> Option<Greeting> {
    let mut tcp = TcpStream::connect((host, port)).await.ok()?;
    let mut buf = BytesMut::with_capacity(256);
    let decoder = PacketDecoder::new(4096);
    loop {
        if let Some(p) = decoder.decode(&mut buf).ok()? {
            let hs = HandshakeV10::decode(p.payload()).ok()?;
            let mut version = BytesMut::from(&hs.server_version[..]);
            version.extend_from_slice(VERSION_SUFFIX.as_bytes());
            let mariadb_caps = if hs.capabilities.contains(Capabilities::LONG_PASSWORD) {
                Capabilities::NONE
            } else {
                hs.capabilities & RELAYED_MARIADB_CAPS
            };
            return Some(Greeting {
                mariadb_caps,
                version: version.freeze(),
                collation: if hs.charset == 0 {
                    FALLBACK_COLLATION
                } else {
                    hs.charset
                },
            });
        }
        if tcp.read_buf(&mut buf).await.ok()? == 0 {
            return None;
        }
    }
}

/// Appends the HandshakeV10 (sequence 0).
pub fn write_handshake(
    out: &mut BytesMut,
    greeting: &Greeting,
    connection_id: u32,
    nonce: &[u8; 20],
    offered: Capabilities,
    plugin: &str,
) {
    let hs = HandshakeV10 {
        server_version: greeting.version.clone(),
        connection_id,
        auth_plugin_data: Bytes::copy_from_slice(nonce),
        capabilities: offered,
        charset: greeting.collation,
        status: ServerStatus::AUTOCOMMIT,
        auth_plugin: Bytes::copy_from_slice(plugin.as_bytes()),
    };
    let mut seq = 0;
    let mut w = PacketWriter::new(out, &mut seq);
    hs.write(&mut w);
    w.finish();
}

/// The next complete buffered packet, which must carry sequence id `expected`.
fn take_packet(
    buf: &mut BytesMut,
    decoder: &PacketDecoder,
    expected: u8,
) -> Result<Option<Packet>, LoginError> {
    match decoder.decode(buf) {
        Ok(Some(p)) if p.seq() == expected => Ok(Some(p)),
        Ok(Some(p)) => {
            let got = p.seq();
            Err(LoginError::from_wire(
                expected,
                &WireError::BadSequence { expected, got },
            ))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(LoginError::from_wire(expected, &e)),
    }
}

/// Reads one login packet, which must carry sequence id `expected`.
pub async fn read_packet(
    stream: &mut ClientStream,
    buf: &mut BytesMut,
    decoder: &PacketDecoder,
    expected: u8,
) -> Result<Packet, LoginError> {
    loop {
        if let Some(p) = take_packet(buf, decoder, expected)? {
            return Ok(p);
        }
        match stream.read_buf(buf).await {
            Ok(0) | Err(_) => return Err(LoginError::Gone),
            Ok(_) => {}
        }
    }
}

/// Reads the client's first packet without reading past its end: a client starts its TLS
/// handshake right behind its SSLRequest, without waiting for an answer, and those bytes
/// belong to the TLS layer.
async fn read_first_packet(
    stream: &mut ClientStream,
    buf: &mut BytesMut,
    decoder: &PacketDecoder,
    expected: u8,
) -> Result<Packet, LoginError> {
    use bytes::BufMut;
    loop {
        let want = match PacketHeader::peek(buf) {
            None => HEADER_LEN - buf.len(),
            Some(h) => {
                if let Some(p) = take_packet(buf, decoder, expected)? {
                    return Ok(p);
                }
                (h.total() - buf.len()).max(1)
            }
        };
        buf.reserve(want);
        let mut limited = (&mut *buf).limit(want);
        match stream.read_buf(&mut limited).await {
            Ok(0) | Err(_) => return Err(LoginError::Gone),
            Ok(_) => {}
        }
    }
}

/// The client's handshake response, after TLS if it asked for it.
#[derive(Debug)]
pub struct Hello {
    pub stream: ClientStream,
    pub response: HandshakeResponse41,
    /// The capabilities the proxy's handshake offered.
    pub offered: Capabilities,
    /// Sequence id of our next packet.
    pub seq: u8,
}

/// Sends the handshake, then reads the client's answer, upgrading to TLS on SSLRequest.
pub async fn open(
    tcp: TcpStream,
    buf: &mut BytesMut,
    runtime: &Arc<RuntimeConfig>,
    nonce: &[u8; 20],
    connection_id: u32,
) -> Result<Hello, (Option<ClientStream>, LoginError)> {
    let mut stream = ClientStream::Plain(tcp);
    let offered = offered(
        runtime.tls.is_some(),
        runtime.config.proxy.mysql_local_infile,
    );
    let greeting = greeting(runtime).await;
    let offered = with_mariadb_caps(offered, &greeting);
    let mut out = BytesMut::with_capacity(128);
    write_handshake(
        &mut out,
        &greeting,
        connection_id,
        nonce,
        offered,
        runtime.mysql_default_plugin.as_str(),
    );
    if stream.send(&out).await.is_err() {
        return Err((Some(stream), LoginError::Gone));
    }
    let decoder = PacketDecoder::new(login_packet_limit(runtime));
    let mut expected = 1u8;
    loop {
        let read = if stream.is_tls() {
            read_packet(&mut stream, buf, &decoder, expected).await
        } else {
            read_first_packet(&mut stream, buf, &decoder, expected).await
        };
        let packet = match read {
            Ok(p) => p,
            Err(e) => return Err((Some(stream), e)),
        };
        let reply_seq = packet.last_seq().wrapping_add(1);
        let hello = match ClientHello::decode(packet.payload()) {
            Ok(h) => h,
            Err(e) => return Err((Some(stream), LoginError::from_wire(reply_seq, &e))),
        };
        match hello {
            ClientHello::Response(response) => {
                if response.capabilities.contains(Capabilities::SSL) && !stream.is_tls() {
                    // The client asked for TLS, yet its answer came in plaintext (stripped
                    // by someone in between, or a broken client): refused as MariaDB does.
                    return Err((
                        Some(stream),
                        LoginError::refused(
                            reply_seq,
                            code::HANDSHAKE_ERROR,
                            "08S01",
                            "Bad handshake",
                        ),
                    ));
                }
                return Ok(Hello {
                    stream,
                    response,
                    offered,
                    seq: reply_seq,
                });
            }
            ClientHello::Ssl(_) => {
                let tcp = match stream {
                    ClientStream::Plain(tcp) if buf.is_empty() => tcp,
                    // A second SSLRequest, or plaintext queued behind the SSLRequest (which
                    // a man in the middle could have injected): refuse.
                    other => {
                        return Err((
                            Some(other),
                            LoginError::refused(
                                reply_seq,
                                code::HANDSHAKE_ERROR,
                                "08S01",
                                "Bad handshake",
                            ),
                        ));
                    }
                };
                let Some(acceptor) = &runtime.tls else {
                    // SSL was not offered: a client asking anyway gets a refusal.
                    return Err((
                        Some(ClientStream::Plain(tcp)),
                        LoginError::refused(
                            reply_seq,
                            code::HANDSHAKE_ERROR,
                            "08S01",
                            "Bad handshake: SSL is not enabled on this server",
                        ),
                    ));
                };
                match acceptor.accept(tcp).await {
                    Ok(tls) => stream = ClientStream::Tls(Box::new(tls)),
                    Err(e) => {
                        tracing::debug!(error = %e, "MySQL client TLS handshake failed");
                        return Err((None, LoginError::Gone));
                    }
                }
                expected = reply_seq;
            }
        }
    }
}

/// The decoder limit for login packets.
pub fn login_packet_limit(runtime: &RuntimeConfig) -> usize {
    (runtime.config.proxy.max_client_message_bytes as usize).min(MAX_LOGIN_PACKET)
}
