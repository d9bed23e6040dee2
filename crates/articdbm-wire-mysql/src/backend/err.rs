//! ERR packet (`0xFF`): error code, optional `#` + 5-character SQLSTATE, message. Also
//! MariaDB's progress reports, which use the ERR header with code 0xFFFF.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::WireError;
use crate::reader::{Reader, share};

const MSG: &str = "ERR";

/// Error code MariaDB uses for progress reports (not an error).
pub const PROGRESS_REPORT: u16 = 0xFFFF;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrPacket {
    pub code: u16,
    /// The SQLSTATE, when the `#` marker was present (protocol 4.1, after the handshake).
    pub sqlstate: Option<[u8; 5]>,
    pub message: Bytes,
}

impl ErrPacket {
    /// An error to send: `sqlstate` must be 5 ASCII characters (others are replaced by
    /// `HY000`, the general error).
    pub fn new(code: u16, sqlstate: &str, message: impl Into<Bytes>) -> Self {
        let state = <[u8; 5]>::try_from(sqlstate.as_bytes())
            .ok()
            .filter(|s| s.iter().all(u8::is_ascii_alphanumeric))
            .unwrap_or(*b"HY000");
        ErrPacket {
            code,
            sqlstate: Some(state),
            message: message.into(),
        }
    }

    pub fn decode(payload: &Bytes) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, MSG);
        if r.u8()? != 0xFF {
            return Err(WireError::malformed(MSG, "header is not 0xFF"));
        }
        let code = r.u16()?;
        let sqlstate = if r.peek() == Some(b'#') && r.remaining() >= 6 {
            r.u8()?;
            Some(r.array()?)
        } else {
            None
        };
        Ok(ErrPacket {
            code,
            sqlstate,
            message: share(payload, r.rest()),
        })
    }

    pub fn write(&self, out: &mut BytesMut) {
        out.put_u8(0xFF);
        out.put_u16_le(self.code);
        if let Some(state) = &self.sqlstate {
            out.put_u8(b'#');
            out.put_slice(state);
        }
        out.put_slice(&self.message);
    }

    /// The SQLSTATE as text (`HY000` when none was sent).
    pub fn sqlstate_str(&self) -> &str {
        self.sqlstate
            .as_ref()
            .and_then(|s| std::str::from_utf8(s).ok())
            .unwrap_or("HY000")
    }

    /// MariaDB progress report rather than an error.
    pub fn is_progress(&self) -> bool {
        self.code == PROGRESS_REPORT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_and_without_marker() {
        let e = ErrPacket::new(1045, "28000", "Access denied");
        let mut out = BytesMut::new();
        e.write(&mut out);
        assert_eq!(&out[..], b"\xff\x15\x04#28000Access denied");
        assert_eq!(ErrPacket::decode(&out.freeze()).unwrap(), e);
        let early = ErrPacket::decode(&Bytes::from_static(b"\xff\x69\x04Too many")).unwrap();
        assert_eq!((early.code, early.sqlstate), (1129, None));
        assert_eq!(early.sqlstate_str(), "HY000");
        assert_eq!(ErrPacket::new(1, "bad", "").sqlstate, Some(*b"HY000"));
        assert!(ErrPacket::decode(&Bytes::from_static(b"\xff\x01")).is_err());
    }
}
