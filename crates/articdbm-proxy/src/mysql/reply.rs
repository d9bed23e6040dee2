//! Replies of the MySQL front end during login: ERR packets with MySQL's own error codes,
//! SQLSTATEs and message texts (so clients and their users see what a MySQL server would
//! say), the final OK, and the error sent in place of the handshake when the proxy is full.

use articdbm_wire_mysql::backend::{ErrPacket, OkPacket};
use articdbm_wire_mysql::writer::write_packet;
use articdbm_wire_mysql::{Capabilities, PacketWriter, ServerStatus};
use bytes::{Bytes, BytesMut};

use crate::stream::ClientStream;

/// MySQL error codes the front end sends, with their SQLSTATEs.
pub mod code {
    /// `ER_CON_COUNT_ERROR` "Too many connections" (SQLSTATE 08004).
    pub const TOO_MANY_CONNECTIONS: u16 = 1040;
    /// `ER_DBACCESS_DENIED_ERROR` (SQLSTATE 42000).
    pub const DB_ACCESS_DENIED: u16 = 1044;
    /// `ER_ACCESS_DENIED_ERROR` (SQLSTATE 28000).
    pub const ACCESS_DENIED: u16 = 1045;
    /// `ER_HANDSHAKE_ERROR` "Bad handshake" (SQLSTATE 08S01).
    pub const HANDSHAKE_ERROR: u16 = 1043;
    /// `ER_NET_PACKET_TOO_LARGE` (SQLSTATE 08S01).
    pub const NET_PACKET_TOO_LARGE: u16 = 1153;
    /// `ER_NET_PACKETS_OUT_OF_ORDER` "Got packets out of order" (SQLSTATE 08S01).
    pub const NET_PACKETS_OUT_OF_ORDER: u16 = 1156;
    /// `ER_TOO_MANY_USER_CONNECTIONS` (SQLSTATE 42000).
    pub const TOO_MANY_USER_CONNECTIONS: u16 = 1203;
    /// `ER_SECURE_TRANSPORT_REQUIRED` (SQLSTATE HY000).
    pub const SECURE_TRANSPORT_REQUIRED: u16 = 3159;
    /// `ER_NOT_SUPPORTED_AUTH_MODE` (SQLSTATE 08004).
    pub const NOT_SUPPORTED_AUTH_MODE: u16 = 1251;
}

/// An error to report to the client: code, SQLSTATE and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub sqlstate: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(code: u16, sqlstate: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            code,
            sqlstate,
            message: message.into(),
        }
    }

    /// `Access denied for user 'u'@'host' (using password: YES|NO)`, exactly as MySQL says it.
    pub fn access_denied(user: &str, host: &str, used_password: bool) -> Self {
        let yes_no = if used_password { "YES" } else { "NO" };
        Refusal::new(
            code::ACCESS_DENIED,
            "28000",
            format!("Access denied for user '{user}'@'{host}' (using password: {yes_no})"),
        )
    }

    fn packet(&self) -> ErrPacket {
        ErrPacket::new(
            self.code,
            self.sqlstate,
            Bytes::copy_from_slice(self.message.as_bytes()),
        )
    }
}

/// Sends `refusal` as an ERR packet with sequence id `seq` (errors are ignored: the
/// connection is closed next anyway).
pub async fn send_err(stream: &mut ClientStream, seq: u8, refusal: &Refusal) {
    let mut out = BytesMut::with_capacity(64 + refusal.message.len());
    let mut seq = seq;
    let mut w = PacketWriter::new(&mut out, &mut seq);
    refusal.packet().write(&mut w);
    w.finish();
    let _ = stream.send(&out).await;
}

/// The ERR a server sends instead of its handshake (sequence 0, no SQLSTATE marker: the
/// client has not said it speaks protocol 4.1 yet), as MySQL does for "Too many connections".
pub fn pre_handshake_err(code: u16, message: &str) -> BytesMut {
    let mut out = BytesMut::with_capacity(16 + message.len());
    let err = ErrPacket {
        code,
        sqlstate: None,
        message: Bytes::copy_from_slice(message.as_bytes()),
    };
    let mut payload = BytesMut::with_capacity(8 + message.len());
    err.write(&mut payload);
    let mut seq = 0;
    write_packet(&mut out, &mut seq, &payload);
    out
}

/// Appends the OK that ends a successful login (autocommit on, as a fresh server session).
pub fn write_login_ok(out: &mut BytesMut, seq: &mut u8, caps: Capabilities) {
    let ok = OkPacket {
        status: ServerStatus::AUTOCOMMIT,
        ..OkPacket::default()
    };
    let mut w = PacketWriter::new(out, seq);
    ok.write(&mut w, caps);
    w.finish();
}
