//! OK packet (`0x00`, or `0xFE` when it ends a result set under `CLIENT_DEPRECATE_EOF`):
//! affected rows, last insert id, status flags, warnings, info text and, with
//! `CLIENT_SESSION_TRACK`, the session-state-change information.

use bytes::{BufMut, Bytes, BytesMut};

use crate::capabilities::Capabilities;
use crate::error::WireError;
use crate::lenenc::BufMutExt;
use crate::reader::{Reader, share};
use crate::status::ServerStatus;

use super::session_state::SessionStateChanges;

const MSG: &str = "OK";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OkPacket {
    /// `0x00`, or `0xFE` for the OK that replaces EOF (`CLIENT_DEPRECATE_EOF`).
    pub header: u8,
    pub affected_rows: u64,
    pub last_insert_id: u64,
    pub status: ServerStatus,
    pub warnings: u16,
    /// Human-readable info (e.g. `Rows matched: 1  Changed: 1  Warnings: 0`).
    pub info: Bytes,
    /// Raw session-state-change information (present when `SESSION_TRACK` was negotiated and
    /// the status has `SESSION_STATE_CHANGED`); see [`OkPacket::session_state_changes`].
    pub session_state: Option<Bytes>,
}

impl OkPacket {
    /// Decodes an OK packet; `caps` are the negotiated capabilities.
    pub fn decode(payload: &Bytes, caps: Capabilities) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, MSG);
        let header = r.u8()?;
        if header != 0x00 && header != 0xFE {
            return Err(WireError::malformed(MSG, "header is not 0x00 or 0xFE"));
        }
        let mut ok = OkPacket {
            header,
            affected_rows: r.lenenc_int()?,
            last_insert_id: r.lenenc_int()?,
            ..OkPacket::default()
        };
        if caps.contains(Capabilities::PROTOCOL_41) {
            ok.status = ServerStatus(r.u16()?);
            ok.warnings = r.u16()?;
        } else if caps.contains(Capabilities::TRANSACTIONS) {
            ok.status = ServerStatus(r.u16()?);
        }
        if caps.contains(Capabilities::SESSION_TRACK) {
            if r.remaining() > 0 {
                ok.info = share(payload, r.lenenc_bytes()?);
                if ok.status.contains(ServerStatus::SESSION_STATE_CHANGED) && r.remaining() > 0 {
                    ok.session_state = Some(share(payload, r.lenenc_bytes()?));
                }
            }
        } else {
            ok.info = share(payload, r.rest());
        }
        Ok(ok)
    }

    /// Appends the payload for a client with capabilities `caps`.
    pub fn write(&self, out: &mut BytesMut, caps: Capabilities) {
        out.put_u8(self.header);
        out.put_lenenc_int(self.affected_rows);
        out.put_lenenc_int(self.last_insert_id);
        let mut status = self.status;
        if caps.contains(Capabilities::SESSION_TRACK) && self.session_state.is_some() {
            status = status | ServerStatus::SESSION_STATE_CHANGED;
        }
        if caps.contains(Capabilities::PROTOCOL_41) {
            out.put_u16_le(status.0);
            out.put_u16_le(self.warnings);
        } else if caps.contains(Capabilities::TRANSACTIONS) {
            out.put_u16_le(status.0);
        }
        if caps.contains(Capabilities::SESSION_TRACK) {
            if let Some(state) = &self.session_state {
                out.put_lenenc_bytes(&self.info);
                out.put_lenenc_bytes(state);
            } else if !self.info.is_empty() {
                out.put_lenenc_bytes(&self.info);
            }
        } else {
            out.put_slice(&self.info);
        }
    }

    /// The session state changes, parsed lazily (empty when none were sent).
    pub fn session_state_changes(&self) -> SessionStateChanges<'_> {
        SessionStateChanges::new(self.session_state.as_deref().unwrap_or(&[]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_and_without_session_track() {
        let full = Capabilities::PROTOCOL_41 | Capabilities::SESSION_TRACK;
        // Captured from MySQL after `USE test`: schema change entry.
        let wire = Bytes::from_static(b"\x00\x00\x00\x02\x40\x00\x00\x00\x07\x01\x05\x04test");
        let ok = OkPacket::decode(&wire, full).unwrap();
        assert!(ok.status.contains(ServerStatus::AUTOCOMMIT));
        let change = ok.session_state_changes().next().unwrap().unwrap();
        assert_eq!(change.schema(), Some(&b"test"[..]));
        let mut out = BytesMut::new();
        ok.write(&mut out, full);
        assert_eq!(&out[..], &wire[..]);

        let plain = Bytes::from_static(b"\x00\x01\x05\x02\x00\x01\x00Rows matched: 1");
        let ok = OkPacket::decode(&plain, Capabilities::PROTOCOL_41).unwrap();
        assert_eq!(
            (ok.affected_rows, ok.last_insert_id, ok.warnings),
            (1, 5, 1)
        );
        assert_eq!(&ok.info[..], b"Rows matched: 1");
        let mut out = BytesMut::new();
        ok.write(&mut out, Capabilities::PROTOCOL_41);
        assert_eq!(&out[..], &plain[..]);
        assert!(OkPacket::decode(&Bytes::from_static(b"\x00\x01"), full).is_err());
    }
}
