//! COM_QUERY (SQL text, after the query-attributes prefix when `CLIENT_QUERY_ATTRIBUTES` was
//! negotiated) and COM_STMT_PREPARE (SQL text): views over the request's bytes.

use bytes::{BufMut, Bytes, BytesMut};

use crate::capabilities::Capabilities;
use crate::error::WireError;
use crate::lenenc::BufMutExt;
use crate::reader::{Reader, share};
use crate::resultset::ColumnType;
use crate::resultset::value;

use super::command::Command;

/// COM_QUERY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComQuery {
    sql: Bytes,
    /// Number of query attributes sent (0 without `CLIENT_QUERY_ATTRIBUTES`).
    pub attribute_count: u64,
}

impl ComQuery {
    /// Decodes the payload (command byte included); `caps` are the negotiated capabilities.
    pub fn decode(payload: &Bytes, caps: Capabilities) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, "COM_QUERY");
        if r.u8()? != Command::Query.as_u8() {
            return Err(WireError::malformed("COM_QUERY", "not a COM_QUERY"));
        }
        let mut attribute_count = 0;
        if caps.contains(Capabilities::QUERY_ATTRIBUTES) {
            attribute_count = r.lenenc_int()?;
            let _parameter_sets = r.lenenc_int()?;
            if attribute_count > 0 {
                skip_attributes(&mut r, attribute_count)?;
            }
        }
        Ok(ComQuery {
            sql: share(payload, r.rest()),
            attribute_count,
        })
    }

    /// The SQL text as sent (not necessarily UTF-8 in a hostile stream).
    pub fn sql_bytes(&self) -> &Bytes {
        &self.sql
    }

    /// The SQL text, when it is valid UTF-8.
    pub fn sql(&self) -> Result<&str, WireError> {
        std::str::from_utf8(&self.sql).map_err(|_| WireError::NotUtf8 {
            message: "COM_QUERY",
        })
    }

    /// Appends a COM_QUERY payload without attributes (with `QUERY_ATTRIBUTES`, a zero count).
    pub fn write(out: &mut BytesMut, sql: &str, caps: Capabilities) {
        out.put_u8(Command::Query.as_u8());
        if caps.contains(Capabilities::QUERY_ATTRIBUTES) {
            out.put_lenenc_int(0);
            out.put_lenenc_int(1);
        }
        out.put_slice(sql.as_bytes());
    }
}

/// Skips `count` query attributes: NULL bitmap, bind flag, types with names, values.
fn skip_attributes(r: &mut Reader<'_>, count: u64) -> Result<(), WireError> {
    let n = usize::try_from(count)
        .ok()
        .filter(|&n| n <= r.remaining())
        .ok_or(WireError::malformed(
            "COM_QUERY",
            "attribute count too large",
        ))?;
    let bitmap = r.take(n.div_ceil(8))?;
    if r.u8()? != 1 {
        return Err(WireError::malformed(
            "COM_QUERY",
            "query attributes without their types",
        ));
    }
    // Types and names come first, values after all of them: walk the types twice.
    let types_start = r.clone();
    for _ in 0..n {
        r.take(2)?;
        r.lenenc_bytes()?; // name
    }
    let mut types = types_start;
    for i in 0..n {
        let ty = ColumnType(types.u8()?);
        types.u8()?;
        types.lenenc_bytes()?;
        if bitmap[i / 8] & (1 << (i % 8)) == 0 {
            let used = value::binary_len(ty, r.clone().rest())?;
            r.take(used)?;
        }
    }
    Ok(())
}

/// COM_STMT_PREPARE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComStmtPrepare {
    sql: Bytes,
}

impl ComStmtPrepare {
    pub fn decode(payload: &Bytes) -> Result<Self, WireError> {
        match payload.first() {
            Some(0x16) => Ok(ComStmtPrepare {
                sql: payload.slice(1..),
            }),
            _ => Err(WireError::malformed(
                "COM_STMT_PREPARE",
                "not a COM_STMT_PREPARE",
            )),
        }
    }

    pub fn sql_bytes(&self) -> &Bytes {
        &self.sql
    }

    pub fn sql(&self) -> Result<&str, WireError> {
        std::str::from_utf8(&self.sql).map_err(|_| WireError::NotUtf8 {
            message: "COM_STMT_PREPARE",
        })
    }

    pub fn write(out: &mut BytesMut, sql: &str) {
        out.put_u8(Command::StmtPrepare.as_u8());
        out.put_slice(sql.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_with_attributes() {
        let q = ComQuery::decode(&Bytes::from_static(b"\x03SELECT 1"), Capabilities::NONE).unwrap();
        assert_eq!(q.sql().unwrap(), "SELECT 1");

        let mut out = BytesMut::new();
        ComQuery::write(&mut out, "SELECT 2", Capabilities::QUERY_ATTRIBUTES);
        let q = ComQuery::decode(&out.freeze(), Capabilities::QUERY_ATTRIBUTES).unwrap();
        assert_eq!((q.sql().unwrap(), q.attribute_count), ("SELECT 2", 0));

        // Two attributes: a NULL one and a string `trace` = "abc".
        let mut p = BytesMut::new();
        p.put_slice(b"\x03\x02\x01");
        p.put_u8(0b01); // first is NULL
        p.put_u8(1);
        p.put_slice(b"\x06\x00\x01n\xfd\x00\x05trace");
        p.put_slice(b"\x03abc");
        p.put_slice(b"SELECT 3");
        let q = ComQuery::decode(&p.freeze(), Capabilities::QUERY_ATTRIBUTES).unwrap();
        assert_eq!((q.sql().unwrap(), q.attribute_count), ("SELECT 3", 2));

        let bad = Bytes::from_static(b"\x03\x05\x01\x00\x01");
        assert!(ComQuery::decode(&bad, Capabilities::QUERY_ATTRIBUTES).is_err());
    }
}
