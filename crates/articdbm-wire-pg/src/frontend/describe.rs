//! `Describe` ('D'): ask for the description of a prepared statement or portal.

use bytes::BytesMut;

use crate::error::WireError;
use crate::frame::Frame;

use super::tag;
use super::target::{Target, TargetKind};

#[derive(Debug, Clone)]
pub struct Describe(pub Target);

impl Describe {
    pub fn decode(frame: &Frame) -> Result<Self, WireError> {
        Target::decode(frame, "Describe").map(Describe)
    }

    pub fn write(buf: &mut BytesMut, kind: TargetKind, name: &[u8]) {
        Target::write(buf, tag::DESCRIBE, kind, name);
    }
}
