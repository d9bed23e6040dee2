//! `Parse` ('P'): prepare a statement (name, SQL text, parameter type OIDs).

use bytes::{Bytes, BytesMut};

use crate::builder::MessageBuilder;
use crate::error::WireError;
use crate::frame::Frame;
use crate::reader::Reader;

use super::tag;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Parse {
    statement: Bytes,
    query: Bytes,
    /// Parameter count and OIDs exactly as sent, so a renamed copy is a byte copy.
    param_types: Bytes,
}

impl Parse {
    pub fn decode(frame: &Frame) -> Result<Self, WireError> {
        let mut r = Reader::new(frame.body(), "Parse");
        let statement = r.cstr()?;
        let query = r.cstr()?;
        let param_types = r.rest();
        let mut check = Reader::new(param_types.clone(), "Parse");
        // Unsigned, as the server reads it: up to 65,535 parameter types.
        let n = check.u16()?;
        check.take(usize::from(n) * 4)?;
        check.finish()?;
        Ok(Parse {
            statement,
            query,
            param_types,
        })
    }

    /// The statement name; empty for the unnamed statement.
    pub fn statement(&self) -> &[u8] {
        &self.statement
    }

    pub fn query_bytes(&self) -> &Bytes {
        &self.query
    }

    pub fn query(&self) -> Result<&str, WireError> {
        std::str::from_utf8(&self.query).map_err(|_| WireError::NotUtf8 { message: "Parse" })
    }

    /// The raw parameter-type section (count + OIDs).
    pub fn param_types(&self) -> &Bytes {
        &self.param_types
    }

    /// Writes this Parse under another statement name.
    pub fn write_renamed(&self, buf: &mut BytesMut, statement: &[u8]) {
        let mut m = MessageBuilder::new(buf, tag::PARSE);
        m.cstr(statement).cstr(&self.query).bytes(&self.param_types);
        m.finish();
    }

    pub fn write(buf: &mut BytesMut, statement: &[u8], query: &str, param_types: &[u32]) {
        let mut m = MessageBuilder::new(buf, tag::PARSE);
        m.cstr(statement).cstr(query.as_bytes());
        // The count is 16 bits: no statement declares more types than that.
        let types = &param_types[..param_types.len().min(usize::from(u16::MAX))];
        m.u16(types.len() as u16);
        for t in types {
            m.u32(*t);
        }
        m.finish();
    }
}
