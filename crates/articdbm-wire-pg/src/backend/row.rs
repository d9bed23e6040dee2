//! `RowDescription` ('T') and `DataRow` ('D') for results the proxy produces itself (admin
//! console): text columns only.

use bytes::BytesMut;

use crate::builder::MessageBuilder;

use super::tag;

/// OID of `text`.
pub const TEXT_OID: u32 = 25;
/// OID of `int8`.
pub const INT8_OID: u32 = 20;

/// Describes columns, all in text format.
pub fn write_row_description(buf: &mut BytesMut, columns: &[(&str, u32)]) {
    let mut m = MessageBuilder::new(buf, tag::ROW_DESCRIPTION);
    m.i16(columns.len() as i16);
    for (name, oid) in columns {
        m.cstr(name.as_bytes())
            .u32(0)
            .i16(0)
            .u32(*oid)
            .i16(-1)
            .i32(-1)
            .i16(0);
    }
    m.finish();
}

/// One row of text values; `None` is SQL NULL.
pub fn write_data_row<S: AsRef<str>>(buf: &mut BytesMut, values: &[Option<S>]) {
    let mut m = MessageBuilder::new(buf, tag::DATA_ROW);
    m.i16(values.len() as i16);
    for v in values {
        match v {
            Some(s) => {
                let s = s.as_ref().as_bytes();
                m.i32(s.len() as i32).bytes(s);
            }
            None => {
                m.i32(-1);
            }
        }
    }
    m.finish();
}
