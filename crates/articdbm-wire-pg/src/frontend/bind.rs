//! `Bind` ('B'): bind parameters to a prepared statement, creating a portal. Parameter values are
//! data, never SQL, so only the names are decoded; the rest is carried as received.

use bytes::{Bytes, BytesMut};

use crate::builder::MessageBuilder;
use crate::error::WireError;
use crate::frame::Frame;
use crate::reader::Reader;

use super::tag;

#[derive(Debug, Clone)]
pub struct Bind {
    portal: Bytes,
    statement: Bytes,
    rest: Bytes,
}

impl Bind {
    pub fn decode(frame: &Frame) -> Result<Self, WireError> {
        let mut r = Reader::new(frame.body(), "Bind");
        let portal = r.cstr()?;
        let statement = r.cstr()?;
        let rest = r.rest();
        Ok(Bind {
            portal,
            statement,
            rest,
        })
    }

    pub fn portal(&self) -> &[u8] {
        &self.portal
    }

    pub fn statement(&self) -> &[u8] {
        &self.statement
    }

    /// Writes this Bind against another statement name; formats and values are copied as bytes.
    pub fn write_renamed(&self, buf: &mut BytesMut, statement: &[u8]) {
        let mut m = MessageBuilder::new(buf, tag::BIND);
        m.cstr(&self.portal).cstr(statement).bytes(&self.rest);
        m.finish();
    }
}
