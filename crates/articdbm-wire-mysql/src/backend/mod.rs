//! Packets a server sends: the initial handshake, OK / ERR / EOF, authentication switch and
//! extra data, and the session-state information inside OK. The proxy forwards most server
//! packets untouched; these decode what it must understand and build what it answers itself.

pub mod auth_switch;
pub mod eof;
pub mod err;
pub mod handshake;
pub mod ok;
pub mod session_state;

pub use auth_switch::{AuthMoreData, AuthSwitchRequest};
pub use eof::EofPacket;
pub use err::ErrPacket;
pub use handshake::HandshakeV10;
pub use ok::OkPacket;
pub use session_state::{SessionStateChange, SessionStateChanges};

/// First payload byte of an OK packet.
pub const OK_HEADER: u8 = 0x00;
/// First payload byte of an EOF packet (and of an OK packet ending a result set with
/// `CLIENT_DEPRECATE_EOF`, and of AuthSwitchRequest).
pub const EOF_HEADER: u8 = 0xFE;
/// First payload byte of an ERR packet.
pub const ERR_HEADER: u8 = 0xFF;
/// First payload byte of AuthMoreData.
pub const AUTH_MORE_DATA_HEADER: u8 = 0x01;
/// First payload byte of a LOCAL INFILE request.
pub const LOCAL_INFILE_HEADER: u8 = 0xFB;

/// Whether `payload` is an EOF packet (and not a row starting with an 8-byte length).
pub fn is_eof(payload: &[u8]) -> bool {
    payload.first() == Some(&EOF_HEADER) && payload.len() < 9
}
