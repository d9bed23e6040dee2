//! `Protocol::SSLRequest`: the first 32 bytes of a HandshakeResponse41 with `CLIENT_SSL` set,
//! sent alone before the TLS handshake.

use bytes::{BufMut, BytesMut};

use crate::capabilities::Capabilities;
use crate::error::WireError;
use crate::reader::Reader;

/// Payload size of an SSLRequest.
pub const SSL_REQUEST_LEN: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SslRequest {
    pub capabilities: Capabilities,
    pub max_packet_size: u32,
    pub charset: u8,
}

impl SslRequest {
    /// Whether `payload` is an SSLRequest (32 bytes with `CLIENT_SSL`).
    pub fn matches(payload: &[u8]) -> bool {
        payload.len() == SSL_REQUEST_LEN && payload[1] & (Capabilities::SSL.lower() >> 8) as u8 != 0
    }

    pub fn decode(payload: &[u8]) -> Result<Self, WireError> {
        if !Self::matches(payload) {
            return Err(WireError::malformed("SSLRequest", "not an SSLRequest"));
        }
        let mut r = Reader::new(payload, "SSLRequest");
        let lower = r.u32()?;
        let max_packet_size = r.u32()?;
        let charset = r.u8()?;
        let filler = r.take(23)?;
        let mariadb = if lower & Capabilities::LONG_PASSWORD.lower() == 0 {
            u32::from_le_bytes([filler[19], filler[20], filler[21], filler[22]])
        } else {
            0
        };
        Ok(SslRequest {
            capabilities: Capabilities::from_parts(lower, mariadb),
            max_packet_size,
            charset,
        })
    }

    /// Appends the payload (`CLIENT_SSL` is added to the capabilities).
    pub fn write(&self, out: &mut BytesMut) {
        write_prefix(
            out,
            self.capabilities | Capabilities::SSL,
            self.max_packet_size,
            self.charset,
        );
    }
}

/// The 32-byte prefix shared with HandshakeResponse41.
pub(crate) fn write_prefix(out: &mut BytesMut, caps: Capabilities, max_packet: u32, charset: u8) {
    out.put_u32_le(caps.lower());
    out.put_u32_le(max_packet);
    out.put_u8(charset);
    if caps.contains(Capabilities::LONG_PASSWORD) || caps.mariadb() == 0 {
        out.put_bytes(0, 23);
    } else {
        out.put_bytes(0, 19);
        out.put_u32_le(caps.mariadb());
    }
}
