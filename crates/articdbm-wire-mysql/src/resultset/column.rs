//! `Protocol::ColumnDefinition41`: one column of a result set or of a prepared statement's
//! parameters/columns (with default values in COM_FIELD_LIST replies, and MariaDB's extended
//! type information when negotiated).

use bytes::{BufMut, Bytes, BytesMut};

use crate::capabilities::Capabilities;
use crate::error::WireError;
use crate::lenenc::BufMutExt;
use crate::reader::{Reader, share};

use super::types::{ColumnFlags, ColumnType};

const MSG: &str = "ColumnDefinition41";

/// What row decoding needs to know of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnMeta {
    pub ty: ColumnType,
    pub flags: ColumnFlags,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDefinition41 {
    pub catalog: Bytes,
    pub schema: Bytes,
    /// Table alias.
    pub table: Bytes,
    pub org_table: Bytes,
    /// Column alias.
    pub name: Bytes,
    pub org_name: Bytes,
    /// MariaDB extended type info (`MARIADB_CLIENT_EXTENDED_METADATA`), raw.
    pub extended_metadata: Option<Bytes>,
    /// Collation id (63 = binary).
    pub charset: u16,
    pub column_length: u32,
    pub column_type: ColumnType,
    pub flags: ColumnFlags,
    pub decimals: u8,
    /// Default value (COM_FIELD_LIST replies only).
    pub default_value: Option<Bytes>,
}

impl ColumnDefinition41 {
    /// A column named `name` of type `ty` (catalog `def`, other names empty), for result sets
    /// the proxy produces itself.
    pub fn new(name: &str, ty: ColumnType, flags: ColumnFlags, charset: u16, length: u32) -> Self {
        ColumnDefinition41 {
            catalog: Bytes::from_static(b"def"),
            schema: Bytes::new(),
            table: Bytes::new(),
            org_table: Bytes::new(),
            name: Bytes::copy_from_slice(name.as_bytes()),
            org_name: Bytes::copy_from_slice(name.as_bytes()),
            extended_metadata: None,
            charset,
            column_length: length,
            column_type: ty,
            flags,
            decimals: 0,
            default_value: None,
        }
    }

    pub fn decode(payload: &Bytes, caps: Capabilities) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, MSG);
        let mut s = || r.lenenc_bytes().map(|b| share(payload, b));
        let (catalog, schema, table, org_table, name, org_name) =
            (s()?, s()?, s()?, s()?, s()?, s()?);
        let extended_metadata = if caps.contains(Capabilities::MARIADB_EXTENDED_METADATA) {
            Some(share(payload, r.lenenc_bytes()?))
        } else {
            None
        };
        let fixed = r.lenenc_int()?;
        if fixed < 0x0C {
            return Err(WireError::malformed(MSG, "fixed-length fields too short"));
        }
        let charset = r.u16()?;
        let column_length = r.u32()?;
        let column_type = ColumnType(r.u8()?);
        let flags = ColumnFlags(r.u16()?);
        let decimals = r.u8()?;
        r.take(fixed as usize - 10)?;
        let default_value = if r.remaining() > 0 {
            Some(share(payload, r.lenenc_bytes()?))
        } else {
            None
        };
        Ok(ColumnDefinition41 {
            catalog,
            schema,
            table,
            org_table,
            name,
            org_name,
            extended_metadata,
            charset,
            column_length,
            column_type,
            flags,
            decimals,
            default_value,
        })
    }

    pub fn write(&self, out: &mut BytesMut, caps: Capabilities) {
        for s in [
            &self.catalog,
            &self.schema,
            &self.table,
            &self.org_table,
            &self.name,
            &self.org_name,
        ] {
            out.put_lenenc_bytes(s);
        }
        if caps.contains(Capabilities::MARIADB_EXTENDED_METADATA) {
            out.put_lenenc_bytes(self.extended_metadata.as_deref().unwrap_or(b""));
        }
        out.put_u8(0x0C);
        out.put_u16_le(self.charset);
        out.put_u32_le(self.column_length);
        out.put_u8(self.column_type.0);
        out.put_u16_le(self.flags.0);
        out.put_u8(self.decimals);
        out.put_u16_le(0);
        if let Some(d) = &self.default_value {
            out.put_lenenc_bytes(d);
        }
    }

    pub fn meta(&self) -> ColumnMeta {
        ColumnMeta {
            ty: self.column_type,
            flags: self.flags,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_captured_and_round_trips() {
        // `SELECT 1` from MariaDB: name "1", LONGLONG, NOT_NULL|BINARY|NUM, length 1.
        let wire = Bytes::from_static(
            b"\x03def\x00\x00\x00\x011\x00\x0c\x3f\x00\x01\x00\x00\x00\x08\x81\x80\x00\x00\x00",
        );
        let c = ColumnDefinition41::decode(&wire, Capabilities::PROTOCOL_41).unwrap();
        assert_eq!(&c.name[..], b"1");
        assert_eq!(c.column_type, ColumnType::LONGLONG);
        assert!(c.flags.contains(ColumnFlags::NOT_NULL));
        let mut out = BytesMut::new();
        c.write(&mut out, Capabilities::PROTOCOL_41);
        assert_eq!(&out[..], &wire[..]);
        for cut in 0..wire.len() {
            assert!(ColumnDefinition41::decode(&wire.slice(..cut), Capabilities::NONE).is_err());
        }
        let mut ext = ColumnDefinition41::new("j", ColumnType::BLOB, ColumnFlags::BLOB, 45, 10);
        ext.extended_metadata = Some(Bytes::from_static(b"\x00\x04json"));
        ext.default_value = Some(Bytes::from_static(b"{}"));
        let caps = Capabilities::MARIADB_EXTENDED_METADATA;
        let mut out = BytesMut::new();
        ext.write(&mut out, caps);
        assert_eq!(
            ColumnDefinition41::decode(&out.freeze(), caps).unwrap(),
            ext
        );
    }
}
