//! The shared body of `Describe` and `Close`: a kind byte ('S' statement, 'P' portal) and a name.

use bytes::{Bytes, BytesMut};

use crate::builder::MessageBuilder;
use crate::error::WireError;
use crate::frame::Frame;
use crate::reader::Reader;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Statement,
    Portal,
}

/// What a Describe or Close names.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: TargetKind,
    pub name: Bytes,
}

impl Target {
    pub(crate) fn decode(frame: &Frame, message: &'static str) -> Result<Self, WireError> {
        let mut r = Reader::new(frame.body(), message);
        let kind = match r.u8()? {
            b'S' => TargetKind::Statement,
            b'P' => TargetKind::Portal,
            _ => return Err(WireError::malformed(message, "kind must be 'S' or 'P'")),
        };
        let name = r.cstr()?;
        r.finish()?;
        Ok(Target { kind, name })
    }

    pub(crate) fn write(buf: &mut BytesMut, tag: u8, kind: TargetKind, name: &[u8]) {
        let mut m = MessageBuilder::new(buf, tag);
        m.u8(match kind {
            TargetKind::Statement => b'S',
            TargetKind::Portal => b'P',
        });
        m.cstr(name);
        m.finish();
    }
}
