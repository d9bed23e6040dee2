//! `Query` ('Q'): one simple-protocol query string, possibly several statements.

use bytes::{Bytes, BytesMut};

use crate::builder::MessageBuilder;
use crate::error::WireError;
use crate::frame::Frame;
use crate::reader::Reader;

use super::tag;

#[derive(Debug, Clone)]
pub struct Query {
    sql: Bytes,
}

impl Query {
    pub fn decode(frame: &Frame) -> Result<Self, WireError> {
        let mut r = Reader::new(frame.body(), "Query");
        let sql = r.cstr()?;
        r.finish()?;
        Ok(Query { sql })
    }

    /// The query text as sent (not necessarily valid UTF-8 in a hostile stream).
    pub fn sql_bytes(&self) -> &Bytes {
        &self.sql
    }

    /// The query text, when it is valid UTF-8.
    pub fn sql(&self) -> Result<&str, WireError> {
        std::str::from_utf8(&self.sql).map_err(|_| WireError::NotUtf8 { message: "Query" })
    }

    pub fn write(buf: &mut BytesMut, sql: &str) {
        let mut m = MessageBuilder::new(buf, tag::QUERY);
        m.cstr(sql.as_bytes());
        m.finish();
    }
}
