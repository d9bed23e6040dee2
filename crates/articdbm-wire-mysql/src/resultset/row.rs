//! Result rows. Text rows: one `string<lenenc>` per column, `0xFB` for NULL. Binary rows
//! (COM_STMT_EXECUTE / FETCH): `0x00`, a NULL bitmap offset by two bits, then the non-NULL
//! values in their binary layouts.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::WireError;
use crate::lenenc::{self, BufMutExt};

use super::column::ColumnMeta;
use super::value::{self, Value};

/// A text-protocol row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRow {
    payload: Bytes,
}

impl TextRow {
    pub fn new(payload: Bytes) -> Self {
        TextRow { payload }
    }

    /// The fields, borrowed (`None` = NULL); an error for a truncated field.
    pub fn fields(&self) -> impl Iterator<Item = Result<Option<&[u8]>, WireError>> + '_ {
        let mut rest = &self.payload[..];
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            match lenenc::decode_nullable(rest) {
                Ok((v, n)) => {
                    rest = &rest[n..];
                    Some(Ok(v))
                }
                Err(e) => {
                    rest = &[];
                    Some(Err(e))
                }
            }
        })
    }

    /// Decodes exactly `columns` fields sharing the payload's memory.
    pub fn decode(&self, columns: usize) -> Result<Vec<Option<Bytes>>, WireError> {
        let mut out = Vec::with_capacity(columns.min(self.payload.len()));
        for f in self.fields() {
            out.push(f?.map(|s| crate::reader::share(&self.payload, s)));
        }
        if out.len() != columns {
            return Err(WireError::malformed("text row", "wrong number of fields"));
        }
        Ok(out)
    }

    /// Appends a text row payload.
    pub fn write<'a>(out: &mut BytesMut, fields: impl IntoIterator<Item = Option<&'a [u8]>>) {
        for f in fields {
            out.put_lenenc_nullable(f);
        }
    }
}

/// A binary-protocol row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryRow {
    payload: Bytes,
}

impl BinaryRow {
    pub fn new(payload: Bytes) -> Self {
        BinaryRow { payload }
    }

    /// Decodes the values for `columns`.
    pub fn decode(&self, columns: &[ColumnMeta]) -> Result<Vec<Value>, WireError> {
        let p = &self.payload;
        if p.first() != Some(&0x00) {
            return Err(WireError::malformed("binary row", "header is not 0x00"));
        }
        let bitmap_len = (columns.len() + 7 + 2) / 8;
        let bitmap = p
            .get(1..1 + bitmap_len)
            .ok_or(WireError::truncated("binary row"))?;
        let mut pos = 1 + bitmap_len;
        let mut out = Vec::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            let bit = i + 2;
            if bitmap[bit / 8] & (1 << (bit % 8)) != 0 {
                out.push(Value::Null);
                continue;
            }
            let (v, used) = value::decode_binary(c.ty, c.flags, &p.slice(pos..))?;
            pos += used;
            out.push(v);
        }
        if pos != p.len() {
            return Err(WireError::malformed("binary row", "trailing bytes"));
        }
        Ok(out)
    }

    /// Appends a binary row payload of `values` for `columns`.
    pub fn write(
        out: &mut BytesMut,
        columns: &[ColumnMeta],
        values: &[Value],
    ) -> Result<(), WireError> {
        if columns.len() != values.len() {
            return Err(WireError::Unsupported("row and column counts differ"));
        }
        out.put_u8(0x00);
        let start = out.len();
        out.put_bytes(0, (columns.len() + 7 + 2) / 8);
        for (i, (c, v)) in columns.iter().zip(values).enumerate() {
            if matches!(v, Value::Null) {
                let bit = i + 2;
                out[start + bit / 8] |= 1 << (bit % 8);
            } else {
                value::write_binary(out, c.ty, v)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resultset::types::{ColumnFlags, ColumnType};

    #[test]
    fn text_rows() {
        let mut out = BytesMut::new();
        TextRow::write(&mut out, [Some(&b"1"[..]), None, Some(b"")]);
        let row = TextRow::new(out.freeze());
        let f = row.decode(3).unwrap();
        assert_eq!(f[0].as_deref(), Some(&b"1"[..]));
        assert_eq!(f[1], None);
        assert!(row.decode(2).is_err());
        assert!(
            TextRow::new(Bytes::from_static(b"\x05ab"))
                .decode(1)
                .is_err()
        );
    }

    #[test]
    fn binary_rows_with_nulls() {
        let cols: Vec<ColumnMeta> = [ColumnType::LONG, ColumnType::VAR_STRING, ColumnType::DOUBLE]
            .iter()
            .cycle()
            .take(9)
            .map(|&ty| ColumnMeta {
                ty,
                flags: ColumnFlags(0),
            })
            .collect();
        let values: Vec<Value> = (0..9)
            .map(|i| match (i % 3, i % 4) {
                (_, 0) => Value::Null,
                (0, _) => Value::Int(i),
                (1, _) => Value::Bytes(Bytes::from(format!("s{i}"))),
                _ => Value::Double(i as f64),
            })
            .collect();
        let mut out = BytesMut::new();
        BinaryRow::write(&mut out, &cols, &values).unwrap();
        assert_eq!(out[1], 0b0000_0100 | 0b0100_0000); // columns 0 and 4 NULL
        let row = BinaryRow::new(out.freeze());
        assert_eq!(row.decode(&cols).unwrap(), values);
        assert!(row.decode(&cols[..7]).is_err());
    }
}
