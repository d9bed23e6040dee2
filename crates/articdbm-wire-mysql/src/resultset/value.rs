//! Values of the binary protocol (COM_STMT_EXECUTE parameters, binary result rows): decoding,
//! encoding and skipping by column type, plus their text-protocol spelling. DECIMAL travels as
//! text, dates and times as packed fields with optional microseconds, TIME with a sign and a
//! day count, everything string-like (BLOB, JSON, BIT, ENUM, SET, GEOMETRY) length-encoded.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::WireError;
use crate::lenenc::{self, BufMutExt};
use crate::reader::Reader;

use super::types::{BinaryLayout, ColumnFlags, ColumnType};

const MSG: &str = "binary value";

/// A DATE, DATETIME or TIMESTAMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct DateTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub micros: u32,
}

/// A TIME: a signed duration of days, hours, minutes, seconds and microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Time {
    pub negative: bool,
    pub days: u32,
    pub hours: u8,
    pub minutes: u8,
    pub seconds: u8,
    pub micros: u32,
}

/// One value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// Signed integers of every width (and YEAR).
    Int(i64),
    /// Integers of columns with the UNSIGNED flag.
    UInt(u64),
    Float(f32),
    Double(f64),
    /// Strings, DECIMAL (as text), BLOBs, JSON, BIT, ENUM, SET, GEOMETRY.
    Bytes(Bytes),
    DateTime(DateTime),
    Time(Time),
}

impl Value {
    /// The type a client would bind this value as: `(type, unsigned)`.
    pub fn natural_type(&self) -> (ColumnType, bool) {
        match self {
            Value::Null => (ColumnType::NULL, false),
            Value::Int(_) => (ColumnType::LONGLONG, false),
            Value::UInt(_) => (ColumnType::LONGLONG, true),
            Value::Float(_) => (ColumnType::FLOAT, false),
            Value::Double(_) => (ColumnType::DOUBLE, false),
            Value::Bytes(_) => (ColumnType::VAR_STRING, false),
            Value::DateTime(_) => (ColumnType::DATETIME, false),
            Value::Time(_) => (ColumnType::TIME, false),
        }
    }

    /// Appends the text-protocol spelling (what a text result row carries); `ty` decides
    /// whether a DateTime is printed as a DATE. `None` is returned for NULL (the row writes
    /// the NULL marker instead).
    pub fn write_text(&self, out: &mut BytesMut, ty: ColumnType) -> Option<()> {
        use std::fmt::Write;
        let mut w = FmtBytes(out);
        let r = match self {
            Value::Null => return None,
            Value::Int(v) => write!(w, "{v}"),
            Value::UInt(v) => write!(w, "{v}"),
            Value::Float(v) => write!(w, "{v}"),
            Value::Double(v) => write!(w, "{v}"),
            Value::Bytes(b) => {
                w.0.put_slice(b);
                Ok(())
            }
            Value::DateTime(d) => {
                let r = write!(w, "{:04}-{:02}-{:02}", d.year, d.month, d.day);
                if ty == ColumnType::DATE || ty == ColumnType::NEWDATE {
                    r
                } else {
                    let r = r.and(write!(w, " {:02}:{:02}:{:02}", d.hour, d.minute, d.second));
                    if d.micros != 0 {
                        r.and(write!(w, ".{:06}", d.micros))
                    } else {
                        r
                    }
                }
            }
            Value::Time(t) => {
                let hours = u64::from(t.days) * 24 + u64::from(t.hours);
                let sign = if t.negative { "-" } else { "" };
                let r = write!(w, "{sign}{hours:02}:{:02}:{:02}", t.minutes, t.seconds);
                if t.micros != 0 {
                    r.and(write!(w, ".{:06}", t.micros))
                } else {
                    r
                }
            }
        };
        r.ok()
    }
}

struct FmtBytes<'a>(&'a mut BytesMut);

impl std::fmt::Write for FmtBytes<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.put_slice(s.as_bytes());
        Ok(())
    }
}

fn layout(ty: ColumnType) -> Result<BinaryLayout, WireError> {
    ty.binary_layout().ok_or(WireError::Unsupported(
        "unknown column type in binary value",
    ))
}

/// Size of the binary value of type `ty` at the start of `buf`.
pub fn binary_len(ty: ColumnType, buf: &[u8]) -> Result<usize, WireError> {
    let n = match layout(ty)? {
        BinaryLayout::Fixed(n) => n,
        BinaryLayout::DateTime | BinaryLayout::Time => {
            1 + usize::from(*buf.first().ok_or(WireError::truncated(MSG))?)
        }
        BinaryLayout::LengthEncoded => lenenc::decode_bytes(buf)?.1,
    };
    if n > buf.len() {
        return Err(WireError::truncated(MSG));
    }
    Ok(n)
}

/// Decodes the binary value of type `ty` at the start of `buf`: `(value, bytes used)`.
/// String-like values share `buf`'s memory.
pub fn decode_binary(
    ty: ColumnType,
    flags: ColumnFlags,
    buf: &Bytes,
) -> Result<(Value, usize), WireError> {
    let unsigned = flags.unsigned();
    let mut r = Reader::new(buf, MSG);
    let v = match layout(ty)? {
        BinaryLayout::Fixed(0) => Value::Null,
        BinaryLayout::Fixed(1) => {
            let b = r.u8()?;
            if unsigned {
                Value::UInt(u64::from(b))
            } else {
                Value::Int(i64::from(b as i8))
            }
        }
        BinaryLayout::Fixed(2) => {
            let v = r.u16()?;
            if unsigned || ty == ColumnType::YEAR {
                Value::UInt(u64::from(v))
            } else {
                Value::Int(i64::from(v as i16))
            }
        }
        BinaryLayout::Fixed(4) if ty == ColumnType::FLOAT => Value::Float(f32::from_bits(r.u32()?)),
        BinaryLayout::Fixed(4) => {
            let v = r.u32()?;
            if unsigned {
                Value::UInt(u64::from(v))
            } else {
                Value::Int(i64::from(v as i32))
            }
        }
        BinaryLayout::Fixed(_) if ty == ColumnType::DOUBLE => {
            Value::Double(f64::from_bits(r.u64()?))
        }
        BinaryLayout::Fixed(_) => {
            let v = r.u64()?;
            if unsigned {
                Value::UInt(v)
            } else {
                Value::Int(v as i64)
            }
        }
        BinaryLayout::DateTime => {
            let len = r.u8()?;
            let mut d = DateTime::default();
            if !matches!(len, 0 | 4 | 7 | 11) {
                return Err(WireError::malformed(MSG, "date length not 0, 4, 7 or 11"));
            }
            if len >= 4 {
                d.year = r.u16()?;
                d.month = r.u8()?;
                d.day = r.u8()?;
            }
            if len >= 7 {
                d.hour = r.u8()?;
                d.minute = r.u8()?;
                d.second = r.u8()?;
            }
            if len == 11 {
                d.micros = r.u32()?;
            }
            Value::DateTime(d)
        }
        BinaryLayout::Time => {
            let len = r.u8()?;
            let mut t = Time::default();
            if !matches!(len, 0 | 8 | 12) {
                return Err(WireError::malformed(MSG, "time length not 0, 8 or 12"));
            }
            if len >= 8 {
                t.negative = r.u8()? != 0;
                t.days = r.u32()?;
                t.hours = r.u8()?;
                t.minutes = r.u8()?;
                t.seconds = r.u8()?;
            }
            if len == 12 {
                t.micros = r.u32()?;
            }
            Value::Time(t)
        }
        BinaryLayout::LengthEncoded => {
            let s = r.lenenc_bytes()?;
            Value::Bytes(crate::reader::share(buf, s))
        }
    };
    Ok((v, r.position()))
}

/// Appends `v` in the binary layout of `ty`. Integers are written in the column's width (the
/// caller picks a type the value fits); NULL has no binary form (it lives in the NULL bitmap)
/// and a value of the wrong kind for `ty` is refused.
pub fn write_binary(out: &mut BytesMut, ty: ColumnType, v: &Value) -> Result<(), WireError> {
    let mismatch = Err(WireError::Unsupported(
        "value does not match the column type",
    ));
    match (layout(ty)?, v) {
        (_, Value::Null) => return mismatch,
        (BinaryLayout::Fixed(4), Value::Float(f)) if ty == ColumnType::FLOAT => out.put_f32_le(*f),
        (BinaryLayout::Fixed(4), Value::Double(f)) if ty == ColumnType::FLOAT => {
            out.put_f32_le(*f as f32)
        }
        (BinaryLayout::Fixed(8), Value::Double(f)) if ty == ColumnType::DOUBLE => {
            out.put_f64_le(*f)
        }
        (BinaryLayout::Fixed(8), Value::Float(f)) if ty == ColumnType::DOUBLE => {
            out.put_f64_le(f64::from(*f))
        }
        (BinaryLayout::Fixed(n), Value::Int(i))
            if n > 0 && ty != ColumnType::FLOAT && ty != ColumnType::DOUBLE =>
        {
            out.put_slice(&i.to_le_bytes()[..n])
        }
        (BinaryLayout::Fixed(n), Value::UInt(u))
            if n > 0 && ty != ColumnType::FLOAT && ty != ColumnType::DOUBLE =>
        {
            out.put_slice(&u.to_le_bytes()[..n])
        }
        (BinaryLayout::DateTime, Value::DateTime(d)) => {
            let date_only = ty == ColumnType::DATE || ty == ColumnType::NEWDATE;
            let len = if d.micros != 0 && !date_only {
                11
            } else if (d.hour, d.minute, d.second) != (0, 0, 0) && !date_only {
                7
            } else if (d.year, d.month, d.day) != (0, 0, 0) {
                4
            } else {
                0
            };
            out.put_u8(len);
            if len >= 4 {
                out.put_u16_le(d.year);
                out.put_u8(d.month);
                out.put_u8(d.day);
            }
            if len >= 7 {
                out.put_slice(&[d.hour, d.minute, d.second]);
            }
            if len == 11 {
                out.put_u32_le(d.micros);
            }
        }
        (BinaryLayout::Time, Value::Time(t)) => {
            let zero = !t.negative && (t.days, t.hours, t.minutes, t.seconds) == (0, 0, 0, 0);
            let len = if t.micros != 0 {
                12
            } else if !zero {
                8
            } else {
                0
            };
            out.put_u8(len);
            if len >= 8 {
                out.put_u8(u8::from(t.negative));
                out.put_u32_le(t.days);
                out.put_slice(&[t.hours, t.minutes, t.seconds]);
            }
            if len == 12 {
                out.put_u32_le(t.micros);
            }
        }
        (BinaryLayout::LengthEncoded, Value::Bytes(b)) => out.put_lenenc_bytes(b),
        _ => return mismatch,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(ty: ColumnType, flags: ColumnFlags, v: Value) -> usize {
        let mut out = BytesMut::new();
        write_binary(&mut out, ty, &v).unwrap();
        let wire = out.freeze();
        let (back, used) = decode_binary(ty, flags, &wire).unwrap();
        assert_eq!(back, v, "type {ty:?}");
        assert_eq!(used, wire.len());
        assert_eq!(binary_len(ty, &wire).unwrap(), wire.len());
        for cut in 0..wire.len() {
            assert!(decode_binary(ty, flags, &wire.slice(..cut)).is_err());
        }
        wire.len()
    }

    #[test]
    fn every_type_round_trips() {
        let s = ColumnFlags(0);
        let u = ColumnFlags::UNSIGNED;
        round_trip(ColumnType::TINY, s, Value::Int(-128));
        round_trip(ColumnType::TINY, u, Value::UInt(255));
        round_trip(ColumnType::SHORT, s, Value::Int(-32768));
        round_trip(ColumnType::YEAR, u, Value::UInt(2024));
        round_trip(ColumnType::INT24, s, Value::Int(-8_388_608));
        round_trip(ColumnType::LONG, u, Value::UInt(u64::from(u32::MAX)));
        round_trip(ColumnType::LONGLONG, s, Value::Int(i64::MIN));
        round_trip(ColumnType::LONGLONG, u, Value::UInt(u64::MAX));
        round_trip(ColumnType::FLOAT, s, Value::Float(-1.25));
        round_trip(ColumnType::DOUBLE, s, Value::Double(6.02e23));
        for ty in [
            ColumnType::DECIMAL,
            ColumnType::NEWDECIMAL,
            ColumnType::VARCHAR,
            ColumnType::VAR_STRING,
            ColumnType::STRING,
            ColumnType::BLOB,
            ColumnType::LONG_BLOB,
            ColumnType::JSON,
            ColumnType::BIT,
            ColumnType::ENUM,
            ColumnType::SET,
            ColumnType::GEOMETRY,
        ] {
            round_trip(ty, s, Value::Bytes(Bytes::from_static(b"-12345.678")));
        }
        let big = Bytes::from(vec![0xAB; 70_000]);
        assert_eq!(round_trip(ColumnType::BLOB, s, Value::Bytes(big)), 70_004);
        let mut d = DateTime {
            year: 2024,
            month: 12,
            day: 31,
            ..DateTime::default()
        };
        assert_eq!(round_trip(ColumnType::DATE, s, Value::DateTime(d)), 5);
        assert_eq!(round_trip(ColumnType::DATETIME, s, Value::DateTime(d)), 5);
        d.hour = 23;
        d.second = 59;
        assert_eq!(round_trip(ColumnType::TIMESTAMP, s, Value::DateTime(d)), 8);
        d.micros = 999_999;
        assert_eq!(round_trip(ColumnType::DATETIME, s, Value::DateTime(d)), 12);
        assert_eq!(
            round_trip(
                ColumnType::DATETIME,
                s,
                Value::DateTime(DateTime::default())
            ),
            1
        );
        let mut t = Time {
            negative: true,
            days: 34,
            hours: 22,
            minutes: 59,
            seconds: 58,
            micros: 0,
        };
        assert_eq!(round_trip(ColumnType::TIME, s, Value::Time(t)), 9);
        t.micros = 1;
        assert_eq!(round_trip(ColumnType::TIME, s, Value::Time(t)), 13);
        assert_eq!(
            round_trip(ColumnType::TIME, s, Value::Time(Time::default())),
            1
        );
        assert_eq!(binary_len(ColumnType::NULL, b"").unwrap(), 0);
    }

    #[test]
    fn bad_lengths_and_mismatches() {
        let b = Bytes::from_static(b"\x05\0\0\0\0\0");
        assert!(decode_binary(ColumnType::DATETIME, ColumnFlags(0), &b).is_err());
        assert!(decode_binary(ColumnType::TIME, ColumnFlags(0), &b).is_err());
        assert!(decode_binary(ColumnType(100), ColumnFlags(0), &b).is_err());
        let mut out = BytesMut::new();
        assert!(write_binary(&mut out, ColumnType::LONG, &Value::Bytes(Bytes::new())).is_err());
        assert!(write_binary(&mut out, ColumnType::BLOB, &Value::Int(1)).is_err());
        assert!(write_binary(&mut out, ColumnType::LONG, &Value::Null).is_err());
    }

    #[test]
    fn text_spelling() {
        let mut out = BytesMut::new();
        let t = Time {
            negative: true,
            days: 1,
            hours: 2,
            minutes: 3,
            seconds: 4,
            micros: 50,
        };
        Value::Time(t).write_text(&mut out, ColumnType::TIME);
        assert_eq!(&out[..], b"-26:03:04.000050");
        out.clear();
        let d = DateTime {
            year: 2001,
            month: 2,
            day: 3,
            hour: 4,
            minute: 5,
            second: 6,
            micros: 0,
        };
        Value::DateTime(d).write_text(&mut out, ColumnType::DATE);
        assert_eq!(&out[..], b"2001-02-03");
        out.clear();
        Value::DateTime(d).write_text(&mut out, ColumnType::DATETIME);
        assert_eq!(&out[..], b"2001-02-03 04:05:06");
        assert!(Value::Null.write_text(&mut out, ColumnType::LONG).is_none());
    }
}
