//! `ParameterStatus` ('S'): a run-time parameter's current value (server_version, TimeZone...).

use bytes::BytesMut;

use crate::builder::MessageBuilder;
use crate::error::WireError;
use crate::frame::Frame;
use crate::reader::Reader;

use super::tag;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterStatus {
    pub name: String,
    pub value: String,
}

impl ParameterStatus {
    pub fn decode(frame: &Frame) -> Result<Self, WireError> {
        let mut r = Reader::new(frame.body(), "ParameterStatus");
        let name = r.string()?;
        let value = r.string()?;
        Ok(ParameterStatus { name, value })
    }

    pub fn write(buf: &mut BytesMut, name: &str, value: &str) {
        let mut m = MessageBuilder::new(buf, tag::PARAMETER_STATUS);
        m.cstr(name.as_bytes()).cstr(value.as_bytes());
        m.finish();
    }
}
