//! A minimal MySQL client built on the wire crate, for protocol details no driver exposes
//! (COM_FIELD_LIST, cursors and COM_STMT_FETCH, COM_SET_OPTION, status flags, EOF versus
//! DEPRECATE_EOF): it logs in with mysql_native_password (capabilities of the test's
//! choosing), sends one command at a time, and collects the reply's packets with the wire
//! crate's `ResponseTracker`, which also checks that the reply is well-formed and complete.

use articdbm_wire_mysql::auth::{AuthClient, ClientStep};
use articdbm_wire_mysql::backend::{EofPacket, HandshakeV10, OkPacket};
use articdbm_wire_mysql::frontend::HandshakeResponse41;
use articdbm_wire_mysql::writer::write_packet;
use articdbm_wire_mysql::{
    Capabilities, Packet, PacketDecoder, Progress, ResponseTracker, ServerStatus,
};
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Capabilities every test client asks for.
pub const BASE: Capabilities = Capabilities(
    Capabilities::PROTOCOL_41.0
        | Capabilities::SECURE_CONNECTION.0
        | Capabilities::PLUGIN_AUTH.0
        | Capabilities::CONNECT_WITH_DB.0
        | Capabilities::TRANSACTIONS.0
        | Capabilities::LONG_PASSWORD.0,
);

pub struct WireClient {
    tcp: TcpStream,
    buf: BytesMut,
    decoder: PacketDecoder,
    pub caps: Capabilities,
    pub status: ServerStatus,
}

/// A reply: its packets' payloads and what the tracker made of them.
pub struct Reply {
    pub packets: Vec<Bytes>,
    pub tracker: ResponseTracker,
}

impl Reply {
    /// The status flags of the reply's last OK or EOF.
    pub fn status(&self) -> ServerStatus {
        self.tracker.status()
    }

    /// `(code, message)` of the reply's ERR.
    pub fn error(&self) -> Option<(u16, String)> {
        self.tracker
            .error()
            .map(|e| (e.code, String::from_utf8_lossy(&e.message).into_owned()))
    }
}

impl WireClient {
    pub async fn login(
        port: u16,
        user: &str,
        password: &str,
        db: &str,
        caps: Capabilities,
    ) -> Self {
        let tcp = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        let mut c = WireClient {
            tcp,
            buf: BytesMut::new(),
            decoder: PacketDecoder::new(1 << 26),
            caps,
            status: ServerStatus::AUTOCOMMIT,
        };
        let hello = c.packet().await;
        let handshake = HandshakeV10::decode(hello.payload()).expect("handshake");
        c.caps = caps & handshake.capabilities;
        let mut auth = AuthClient::new(password.as_bytes(), false);
        let (plugin, data) = auth
            .initial_response(&handshake.auth_plugin, &handshake.auth_plugin_data)
            .expect("auth response");
        let response = HandshakeResponse41 {
            capabilities: c.caps,
            max_packet_size: 1 << 24,
            charset: 45,
            username: Bytes::copy_from_slice(user.as_bytes()),
            auth_response: Bytes::from(data),
            database: Some(Bytes::copy_from_slice(db.as_bytes())),
            auth_plugin: Some(Bytes::from_static(plugin.as_bytes())),
            connect_attrs: None,
            zstd_level: None,
        };
        let mut payload = BytesMut::new();
        response.write(&mut payload);
        let mut seq = hello.last_seq().wrapping_add(1);
        c.send_packet(&payload, &mut seq).await;
        loop {
            let p = c.packet().await;
            match auth.handle(p.payload()).expect("authentication") {
                ClientStep::Done => break,
                ClientStep::Wait => {}
                ClientStep::Send(data) => {
                    let mut seq = p.last_seq().wrapping_add(1);
                    c.send_packet(&data, &mut seq).await;
                }
            }
        }
        c
    }

    async fn send_packet(&mut self, payload: &[u8], seq: &mut u8) {
        let mut out = BytesMut::new();
        write_packet(&mut out, seq, payload);
        self.tcp.write_all(&out).await.expect("send");
    }

    async fn packet(&mut self) -> Packet {
        loop {
            if let Some(p) = self.decoder.decode(&mut self.buf).expect("framing") {
                return p;
            }
            let n = tokio::time::timeout(
                std::time::Duration::from_secs(20),
                self.tcp.read_buf(&mut self.buf),
            )
            .await
            .expect("reply within 20 s")
            .expect("read");
            assert!(n > 0, "connection closed");
        }
    }

    /// Sends a command without reply (COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA).
    pub async fn send(&mut self, command: &[u8]) {
        let mut seq = 0;
        self.send_packet(command, &mut seq).await;
    }

    /// Sends `command` (payload, command byte first) and reads its whole reply, checking
    /// sequence ids.
    pub async fn command(&mut self, command: &[u8]) -> Reply {
        self.send(command).await;
        let mut tracker =
            ResponseTracker::new(command, self.caps, self.status).expect("trackable command");
        let mut packets = Vec::new();
        let mut expected: u8 = 1;
        loop {
            let p = self.packet().await;
            assert_eq!(p.seq(), expected, "sequence id");
            expected = p.last_seq().wrapping_add(1);
            let progress = tracker.feed(p.payload()).unwrap_or_else(|e| {
                panic!(
                    "reply to command {:#04x} not well-formed after {} packets: {e} ({:?})",
                    command[0],
                    packets.len(),
                    p.payload()
                )
            });
            packets.push(p.payload().clone());
            if let Progress::Done = progress {
                break;
            }
        }
        self.status = tracker.status();
        Reply { packets, tracker }
    }

    /// COM_QUERY.
    pub async fn query(&mut self, sql: &str) -> Reply {
        let mut c = vec![0x03];
        c.extend_from_slice(sql.as_bytes());
        self.command(&c).await
    }
}

/// The status flags of an OK or EOF payload.
pub fn status_of(payload: &Bytes, caps: Capabilities) -> ServerStatus {
    match payload.first() {
        Some(0xFE) if payload.len() < 9 => EofPacket::decode(payload).expect("EOF").status,
        _ => OkPacket::decode(payload, caps).expect("OK").status,
    }
}
