//! `Close` ('C'): close a prepared statement or portal.

use bytes::BytesMut;

use crate::error::WireError;
use crate::frame::Frame;

use super::tag;
use super::target::{Target, TargetKind};

#[derive(Debug, Clone)]
pub struct Close(pub Target);

impl Close {
    pub fn decode(frame: &Frame) -> Result<Self, WireError> {
        Target::decode(frame, "Close").map(Close)
    }

    pub fn write(buf: &mut BytesMut, kind: TargetKind, name: &[u8]) {
        Target::write(buf, tag::CLOSE, kind, name);
    }
}
