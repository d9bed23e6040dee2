//! COM_STMT_EXECUTE: statement id, cursor flags, and the bound parameters (NULL bitmap,
//! types when newly bound, binary values). Parameters are data, never SQL; they are decoded
//! for backends that execute statements themselves (embedded SQLite) and for tests.

use bytes::{BufMut, Bytes, BytesMut};

use crate::capabilities::Capabilities;
use crate::error::WireError;
use crate::reader::{Reader, share};
use crate::resultset::value::{self, Value};
use crate::resultset::{ColumnFlags, ColumnType};

const MSG: &str = "COM_STMT_EXECUTE";

/// The cursor flags byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CursorType(pub u8);

impl CursorType {
    pub const NO_CURSOR: CursorType = CursorType(0);
    pub const READ_ONLY: CursorType = CursorType(1);
    pub const FOR_UPDATE: CursorType = CursorType(2);
    pub const SCROLLABLE: CursorType = CursorType(4);
    /// MySQL 8 with `QUERY_ATTRIBUTES`: the parameter count is sent explicitly.
    pub const PARAMETER_COUNT_AVAILABLE: CursorType = CursorType(8);

    pub fn opens_cursor(self) -> bool {
        self.0 & 0x07 != 0
    }
}

/// A parameter's type as sent: column type and the unsigned flag (0x80 in the second byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamType {
    pub ty: ColumnType,
    pub unsigned: bool,
}

impl ParamType {
    fn flags(self) -> ColumnFlags {
        if self.unsigned {
            ColumnFlags::UNSIGNED
        } else {
            ColumnFlags(0)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StmtExecute {
    pub statement_id: u32,
    pub flags: CursorType,
    pub iteration_count: u32,
    /// Everything after the iteration count (NULL bitmap, types, values), undecoded.
    pub params: Bytes,
}

/// Decoded parameters of one execution.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecuteParams {
    /// The types in force (sent now, or the previous ones when the client did not rebind).
    pub types: Vec<ParamType>,
    /// Whether the client sent types with this execution.
    pub new_types: bool,
    pub values: Vec<Value>,
}

impl StmtExecute {
    pub fn decode(payload: &Bytes) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, MSG);
        if r.u8()? != 0x17 {
            return Err(WireError::malformed(MSG, "not a COM_STMT_EXECUTE"));
        }
        Ok(StmtExecute {
            statement_id: r.u32()?,
            flags: CursorType(r.u8()?),
            iteration_count: r.u32()?,
            params: share(payload, r.rest()),
        })
    }

    /// Decodes the parameters of a statement prepared with `num_params` placeholders.
    /// `previous` are the types of the last execution, used when the client does not resend
    /// them. With `QUERY_ATTRIBUTES`, named attributes may follow the placeholders.
    pub fn decode_params(
        &self,
        num_params: usize,
        previous: Option<&[ParamType]>,
        caps: Capabilities,
    ) -> Result<ExecuteParams, WireError> {
        self.decode_params_with_long_data(num_params, previous, caps, |_| false)
    }

    /// [`StmtExecute::decode_params`] for a statement some of whose parameters (those for
    /// which `long_data(index)` is true) were sent with COM_STMT_SEND_LONG_DATA: clients
    /// leave their values out of COM_STMT_EXECUTE, so they are returned as `Value::Null`
    /// for the caller to replace with the data it collected.
    pub fn decode_params_with_long_data(
        &self,
        num_params: usize,
        previous: Option<&[ParamType]>,
        caps: Capabilities,
        long_data: impl Fn(usize) -> bool,
    ) -> Result<ExecuteParams, WireError> {
        let mut r = Reader::new(&self.params, MSG);
        let mut n = num_params;
        if caps.contains(Capabilities::QUERY_ATTRIBUTES)
            && self.flags.0 & CursorType::PARAMETER_COUNT_AVAILABLE.0 != 0
        {
            n = usize::try_from(r.lenenc_int()?)
                .map_err(|_| WireError::malformed(MSG, "parameter count"))?;
        }
        if n == 0 {
            return Ok(ExecuteParams {
                types: Vec::new(),
                new_types: false,
                values: Vec::new(),
            });
        }
        if n > self.params.len() * 8 {
            return Err(WireError::malformed(MSG, "parameter count too large"));
        }
        let bitmap = r.take(n.div_ceil(8))?;
        let new_types = r.u8()? == 1;
        let types = if new_types {
            let mut types = Vec::with_capacity(n);
            for _ in 0..n {
                let ty = ColumnType(r.u8()?);
                let unsigned = r.u8()? & 0x80 != 0;
                if caps.contains(Capabilities::QUERY_ATTRIBUTES) {
                    r.lenenc_bytes()?; // name
                }
                types.push(ParamType { ty, unsigned });
            }
            types
        } else {
            match previous {
                Some(p) if p.len() == n => p.to_vec(),
                _ => {
                    return Err(WireError::malformed(
                        MSG,
                        "parameters without types and none bound before",
                    ));
                }
            }
        };
        let mut values = Vec::with_capacity(n);
        for (i, t) in types.iter().enumerate() {
            if long_data(i) || bitmap[i / 8] & (1 << (i % 8)) != 0 {
                values.push(Value::Null);
                continue;
            }
            let at = self.params.slice(r.position()..);
            let (v, used) = value::decode_binary(t.ty, t.flags(), &at)?;
            r.take(used)?;
            values.push(v);
        }
        Ok(ExecuteParams {
            types,
            new_types,
            values,
        })
    }

    /// Appends a COM_STMT_EXECUTE payload binding `params` (types derived from the values,
    /// always sent), iteration count 1.
    pub fn write(out: &mut BytesMut, statement_id: u32, flags: CursorType, params: &[Value]) {
        out.put_u8(0x17);
        out.put_u32_le(statement_id);
        out.put_u8(flags.0);
        out.put_u32_le(1);
        if params.is_empty() {
            return;
        }
        let start = out.len();
        out.put_bytes(0, params.len().div_ceil(8));
        for (i, p) in params.iter().enumerate() {
            if matches!(p, Value::Null) {
                out[start + i / 8] |= 1 << (i % 8);
            }
        }
        out.put_u8(1);
        for p in params {
            let (ty, unsigned) = p.natural_type();
            out.put_u8(ty.0);
            out.put_u8(if unsigned { 0x80 } else { 0 });
        }
        for p in params {
            let (ty, _) = p.natural_type();
            // A value always fits its natural type.
            let _ = value::write_binary(out, ty, p);
        }
    }
}

/// Appends a COM_STMT_SEND_LONG_DATA payload.
pub fn write_send_long_data(out: &mut BytesMut, statement_id: u32, param: u16, data: &[u8]) {
    out.put_u8(0x18);
    out.put_u32_le(statement_id);
    out.put_u16_le(param);
    out.put_slice(data);
}

/// Appends the payload of a command that only carries a statement id
/// (COM_STMT_CLOSE = 0x19, COM_STMT_RESET = 0x1A).
pub fn write_statement_command(out: &mut BytesMut, command: u8, statement_id: u32) {
    out.put_u8(command);
    out.put_u32_le(statement_id);
}

/// Appends a COM_STMT_FETCH payload.
pub fn write_fetch(out: &mut BytesMut, statement_id: u32, rows: u32) {
    out.put_u8(0x1C);
    out.put_u32_le(statement_id);
    out.put_u32_le(rows);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resultset::value::{DateTime, Time};

    #[test]
    fn params_round_trip() {
        let params = vec![
            Value::Int(-5),
            Value::Null,
            Value::UInt(u64::MAX),
            Value::Double(1.5),
            Value::Bytes(Bytes::from_static(b"hello")),
            Value::DateTime(DateTime {
                year: 2024,
                month: 2,
                day: 29,
                hour: 23,
                minute: 59,
                second: 58,
                micros: 123_456,
            }),
            Value::Time(Time {
                negative: true,
                days: 1,
                hours: 2,
                minutes: 3,
                seconds: 4,
                micros: 5,
            }),
        ];
        let mut out = BytesMut::new();
        StmtExecute::write(&mut out, 7, CursorType::NO_CURSOR, &params);
        let e = StmtExecute::decode(&out.freeze()).unwrap();
        assert_eq!(e.statement_id, 7);
        let p = e
            .decode_params(params.len(), None, Capabilities::NONE)
            .unwrap();
        assert!(p.new_types);
        assert_eq!(p.values, params);
        assert!(e.decode_params(99, None, Capabilities::NONE).is_err());
    }

    #[test]
    fn long_data_parameters_carry_no_value() {
        // Parameter 0 went as long data: its type is sent, its value is not.
        let mut out = BytesMut::new();
        out.put_u8(0x17);
        out.put_u32_le(1);
        out.put_u8(0);
        out.put_u32_le(1);
        out.put_u8(0); // NULL bitmap
        out.put_u8(1); // new types
        out.put_slice(&[ColumnType::BLOB.0, 0, ColumnType::LONGLONG.0, 0]);
        out.put_slice(&7i64.to_le_bytes());
        let e = StmtExecute::decode(&out.freeze()).unwrap();
        let p = e
            .decode_params_with_long_data(2, None, Capabilities::NONE, |i| i == 0)
            .unwrap();
        assert_eq!(p.values, vec![Value::Null, Value::Int(7)]);
        assert!(e.decode_params(2, None, Capabilities::NONE).is_err());
    }
}
