//! EOF packet (`0xFE`, under 9 bytes): ends column definitions and rows when
//! `CLIENT_DEPRECATE_EOF` was not negotiated; carries warnings and status flags.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::WireError;
use crate::reader::Reader;
use crate::status::ServerStatus;

const MSG: &str = "EOF";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EofPacket {
    pub warnings: u16,
    pub status: ServerStatus,
}

impl EofPacket {
    /// Decodes a protocol-4.1 EOF packet (a bare `0xFE` from a pre-4.1 server gives zeros).
    pub fn decode(payload: &Bytes) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, MSG);
        if r.u8()? != 0xFE || payload.len() >= 9 {
            return Err(WireError::malformed(MSG, "not an EOF packet"));
        }
        if r.remaining() == 0 {
            return Ok(EofPacket::default());
        }
        Ok(EofPacket {
            warnings: r.u16()?,
            status: ServerStatus(r.u16()?),
        })
    }

    pub fn write(&self, out: &mut BytesMut) {
        out.put_u8(0xFE);
        out.put_u16_le(self.warnings);
        out.put_u16_le(self.status.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let e = EofPacket {
            warnings: 1,
            status: ServerStatus::AUTOCOMMIT | ServerStatus::MORE_RESULTS_EXISTS,
        };
        let mut out = BytesMut::new();
        e.write(&mut out);
        assert_eq!(&out[..], b"\xfe\x01\x00\x0a\x00");
        assert_eq!(EofPacket::decode(&out.freeze()).unwrap(), e);
        assert!(EofPacket::decode(&Bytes::from_static(b"\xfe\x01")).is_err());
    }
}
