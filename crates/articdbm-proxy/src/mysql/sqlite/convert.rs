//! SQLite values in MySQL's encodings, per column [`Kind`]: the text protocol's spelling
//! (DECIMAL with its scale, dates normalized from any of SQLite's date representations), the
//! binary protocol's values (integers, doubles, packed dates), and COM_STMT_EXECUTE
//! parameters back into SQLite values. SQLite columns may hold any storage class whatever
//! their declared type; every combination has an encoding here.

use articdbm_wire_mysql::resultset::{ColumnType, DateTime, Time, Value as Wire};
use bytes::Bytes;

use super::coltype::{Kind, Shape};
use super::datetime::{
    format_datetime, from_julian, from_unix, param_datetime, param_time, parse_datetime, parse_time,
};
use crate::sqlite::Value;

/// A double as MySQL prints it: shortest round-trip digits, exponent for very large or
/// small magnitudes.
pub fn format_double(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-5..1e15).contains(&abs) {
        let s = format!("{f:e}");
        // Rust writes `1e20`, MySQL `1e20` too; `1.5e-7` likewise.
        return s;
    }
    format!("{f}")
}

fn integral(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64)
}

/// A value as DECIMAL text with `scale` digits after the point, or as stored when the column
/// declares no scale (SQLite keeps NUMERIC values as integers or doubles).
fn decimal_text(v: &Value, scale: Option<u8>) -> Option<String> {
    Some(match (v, scale.map(usize::from)) {
        (Value::Integer(i), None | Some(0)) => i.to_string(),
        (Value::Integer(i), Some(scale)) => format!("{i}.{}", "0".repeat(scale)),
        (Value::Real(f), Some(scale)) => format!("{f:.scale$}"),
        (Value::Real(f), None) => format_double(*f),
        (Value::Text(t), _) => t.clone(),
        (Value::Blob(b), _) => String::from_utf8_lossy(b).into_owned(),
        (Value::Null, _) => return None,
    })
}

/// A date/time value from any storage class.
fn datetime_of(v: &Value) -> Option<DateTime> {
    match v {
        Value::Text(t) => parse_datetime(t),
        Value::Integer(i) => from_unix(*i as f64),
        Value::Real(f) => from_julian(*f),
        Value::Blob(b) => std::str::from_utf8(b).ok().and_then(parse_datetime),
        Value::Null => None,
    }
}

fn time_of(v: &Value) -> Option<Time> {
    match v {
        Value::Text(t) => parse_time(t),
        Value::Blob(b) => std::str::from_utf8(b).ok().and_then(parse_time),
        Value::Integer(i) => {
            let negative = *i < 0;
            let s = i.unsigned_abs();
            let hours = s / 3600;
            Some(Time {
                negative,
                days: u32::try_from(hours / 24).ok()?,
                hours: (hours % 24) as u8,
                minutes: (s % 3600 / 60) as u8,
                seconds: (s % 60) as u8,
                micros: 0,
            })
        }
        _ => None,
    }
}

/// The text-protocol field of `v` in a column of shape `shape` (`None` = NULL).
pub fn text_field(v: &Value, shape: &Shape) -> Option<Vec<u8>> {
    if v.is_null() {
        return None;
    }
    let plain = |v: &Value| -> Vec<u8> {
        match v {
            Value::Integer(i) => i.to_string().into_bytes(),
            Value::Real(f) => match (shape.kind, integral(*f)) {
                (Kind::Int | Kind::Tiny | Kind::Year, Some(i)) => i.to_string().into_bytes(),
                _ => format_double(*f).into_bytes(),
            },
            Value::Text(t) => t.as_bytes().to_vec(),
            Value::Blob(b) => b.clone(),
            Value::Null => Vec::new(),
        }
    };
    Some(match shape.kind {
        Kind::Decimal { scale } => decimal_text(v, scale).map(String::into_bytes)?,
        Kind::Date | Kind::DateTime { .. } => match datetime_of(v) {
            Some(d) => {
                let fsp = match shape.kind {
                    Kind::DateTime { fsp: Some(fsp) } => fsp,
                    // No precision declared: the stored fraction, whole.
                    Kind::DateTime { fsp: None } if d.micros != 0 => 6,
                    _ => 0,
                };
                format_datetime(&d, shape.kind == Kind::Date, fsp).into_bytes()
            }
            None => plain(v),
        },
        _ => plain(v),
    })
}

fn int_of(v: &Value) -> i64 {
    match v {
        Value::Integer(i) => *i,
        Value::Real(f) => *f as i64,
        Value::Text(t) => t
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| t.trim().parse::<f64>().ok().map(|f| f as i64))
            .unwrap_or(0),
        Value::Blob(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0),
        Value::Null => 0,
    }
}

fn double_of(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Real(f) => *f,
        Value::Text(t) => t.trim().parse().unwrap_or(0.0),
        Value::Blob(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0.0),
        Value::Null => 0.0,
    }
}

/// The binary-protocol value of `v` in a column of shape `shape`. Values that do not fit
/// the column's type are converted as MySQL would store them (numbers parsed from text,
/// out-of-range integers clamped, unreadable dates as the zero date).
pub fn binary_value(v: &Value, shape: &Shape) -> Wire {
    if v.is_null() {
        return Wire::Null;
    }
    match shape.kind {
        Kind::Int | Kind::Year => {
            let i = int_of(v);
            if shape.unsigned() || shape.kind == Kind::Year {
                Wire::UInt(i.max(0) as u64)
            } else {
                Wire::Int(i)
            }
        }
        Kind::Tiny => {
            let i = int_of(v);
            if shape.unsigned() {
                Wire::UInt(i.clamp(0, 255) as u64)
            } else {
                Wire::Int(i.clamp(-128, 127))
            }
        }
        Kind::Double => Wire::Double(double_of(v)),
        Kind::Date | Kind::DateTime { .. } => {
            let mut d = datetime_of(v).unwrap_or_default();
            if shape.kind == Kind::Date {
                (d.hour, d.minute, d.second, d.micros) = (0, 0, 0, 0);
            }
            Wire::DateTime(d)
        }
        Kind::Time => Wire::Time(time_of(v).unwrap_or_default()),
        Kind::Decimal { .. } | Kind::Text | Kind::Blob | Kind::Json => {
            Wire::Bytes(Bytes::from(text_field(v, shape).unwrap_or_default()))
        }
    }
}

/// A COM_STMT_EXECUTE parameter (sent as type `ty`) as a SQLite value. Strings that are
/// UTF-8 bind as text, everything sent as a BLOB type (or not UTF-8) as a blob; dates and
/// times as the ISO text SQLite's date functions read.
pub fn param_value(v: &Wire, ty: ColumnType) -> Value {
    match v {
        Wire::Null => Value::Null,
        Wire::Int(i) => Value::Integer(*i),
        Wire::UInt(u) => match i64::try_from(*u) {
            Ok(i) => Value::Integer(i),
            Err(_) => Value::Real(*u as f64),
        },
        Wire::Float(f) => Value::Real(f64::from(*f)),
        Wire::Double(f) => Value::Real(*f),
        Wire::Bytes(b) => bytes_param(b.to_vec(), ty),
        Wire::DateTime(d) => Value::Text(param_datetime(
            d,
            ty == ColumnType::DATE || ty == ColumnType::NEWDATE,
        )),
        Wire::Time(t) => Value::Text(param_time(t)),
    }
}

/// Bytes of a parameter (also from COM_STMT_SEND_LONG_DATA) of type `ty`.
pub fn bytes_param(b: Vec<u8>, ty: ColumnType) -> Value {
    let blob_type = matches!(
        ty,
        ColumnType::TINY_BLOB
            | ColumnType::MEDIUM_BLOB
            | ColumnType::LONG_BLOB
            | ColumnType::BLOB
            | ColumnType::GEOMETRY
            | ColumnType::BIT
    );
    if blob_type {
        return Value::Blob(b);
    }
    match String::from_utf8(b) {
        Ok(s) => Value::Text(s),
        Err(e) => Value::Blob(e.into_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::coltype::{from_decl, from_value};
    use super::*;

    #[test]
    fn text_spellings() {
        let dec = from_decl("DECIMAL(10,2)", 45).unwrap();
        assert_eq!(text_field(&Value::Real(12.5), &dec).unwrap(), b"12.50");
        assert_eq!(text_field(&Value::Integer(3), &dec).unwrap(), b"3.00");
        let date = from_decl("DATE", 45).unwrap();
        assert_eq!(
            text_field(&Value::Text("2024-01-02 03:04:05".into()), &date).unwrap(),
            b"2024-01-02"
        );
        let dt = from_decl("DATETIME", 45).unwrap();
        assert_eq!(
            text_field(&Value::Integer(0), &dt).unwrap(),
            b"1970-01-01 00:00:00"
        );
        assert_eq!(
            text_field(&Value::Text("nonsense".into()), &dt).unwrap(),
            b"nonsense"
        );
        let dbl = from_value(Some(&Value::Real(0.0)), 45);
        assert_eq!(text_field(&Value::Real(0.1), &dbl).unwrap(), b"0.1");
        assert_eq!(text_field(&Value::Real(1e20), &dbl).unwrap(), b"1e20");
        assert!(text_field(&Value::Null, &dbl).is_none());
    }

    #[test]
    fn binary_values() {
        let tiny = from_decl("BOOLEAN", 45).unwrap();
        assert_eq!(binary_value(&Value::Integer(300), &tiny), Wire::Int(127));
        let int = from_decl("INT", 45).unwrap();
        assert_eq!(
            binary_value(&Value::Text(" 42 ".into()), &int),
            Wire::Int(42)
        );
        let dt = from_decl("DATETIME(6)", 45).unwrap();
        let Wire::DateTime(d) = binary_value(&Value::Text("2024-02-29 12:00:00.25".into()), &dt)
        else {
            panic!()
        };
        assert_eq!((d.day, d.micros), (29, 250_000));
        assert_eq!(
            param_value(
                &Wire::Bytes(Bytes::from_static(b"\xff")),
                ColumnType::VAR_STRING
            ),
            Value::Blob(vec![0xff])
        );
        assert_eq!(
            param_value(&Wire::Bytes(Bytes::from_static(b"ok")), ColumnType::BLOB),
            Value::Blob(b"ok".to_vec())
        );
        assert_eq!(
            param_value(&Wire::UInt(u64::MAX), ColumnType::LONGLONG),
            Value::Real(u64::MAX as f64)
        );
    }
}
