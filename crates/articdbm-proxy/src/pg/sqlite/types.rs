//! PostgreSQL types for SQLite values: which OID a result column is described with (from its
//! declared type, else from the first row's storage class), and how values cross the wire in
//! text and binary format, in both directions (results out, parameters in).
//!
//! Only types this module can encode in both formats are ever described; any other declared
//! type (arrays, intervals, geometry...) is described as `text`.

use crate::sqlite::ErrorClass;
use crate::sqlite::{SqliteError, Value};

pub const BOOL: u32 = 16;
pub const BYTEA: u32 = 17;
pub const NAME: u32 = 19;
pub const INT8: u32 = 20;
pub const INT2: u32 = 21;
pub const INT4: u32 = 23;
pub const TEXT: u32 = 25;
pub const OID: u32 = 26;
pub const JSON: u32 = 114;
pub const FLOAT4: u32 = 700;
pub const FLOAT8: u32 = 701;
pub const UNKNOWN: u32 = 705;
pub const BPCHAR: u32 = 1042;
pub const VARCHAR: u32 = 1043;
pub const DATE: u32 = 1082;
pub const TIME: u32 = 1083;
pub const TIMESTAMP: u32 = 1114;
pub const TIMESTAMPTZ: u32 = 1184;
pub const NUMERIC: u32 = 1700;
pub const VOID: u32 = 2278;
pub const UUID: u32 = 2950;
pub const JSONB: u32 = 3802;

/// Days from 1970-01-01 to 2000-01-01 (PostgreSQL's epoch for dates and timestamps).
const PG_EPOCH_DAYS: i64 = 10_957;
const USECS_PER_DAY: i64 = 86_400_000_000;

/// The OIDs this module encodes and decodes.
fn supported(oid: u32) -> bool {
    matches!(
        oid,
        BOOL | BYTEA
            | NAME
            | INT8
            | INT2
            | INT4
            | TEXT
            | OID
            | JSON
            | FLOAT4
            | FLOAT8
            | BPCHAR
            | VARCHAR
            | DATE
            | TIME
            | TIMESTAMP
            | TIMESTAMPTZ
            | NUMERIC
            | UUID
            | JSONB
            | VOID
    )
}

/// The OID of a column declared `decl` (`None` for expressions: then `None`, to be inferred).
pub fn decl_oid(decl: Option<&str>) -> Option<u32> {
    let decl = decl.filter(|d| !d.trim().is_empty())?;
    let oid = crate::sqlite::translate::types::decltype_oid(Some(decl));
    Some(if supported(oid) { oid } else { TEXT })
}

/// How a column with a translation hint of type `oid` is described: that type when this
/// module handles it, else text.
pub fn describable(oid: u32) -> Option<u32> {
    (oid != 0).then(|| if supported(oid) { oid } else { TEXT })
}

/// The OID for a value of unknown declared type: by storage class (NULL: text).
pub fn value_oid(value: &Value) -> u32 {
    match value {
        Value::Integer(_) => INT8,
        Value::Real(_) => FLOAT8,
        Value::Blob(_) => BYTEA,
        Value::Null | Value::Text(_) => TEXT,
    }
}

/// The OID of a parameter as the client sent it in Parse, made one this module handles
/// (`0`/unknown stay `0`).
pub fn param_oid(oid: u32) -> u32 {
    if oid == 0 || oid == UNKNOWN || supported(oid) {
        oid
    } else {
        TEXT
    }
}

/// A harmless value of type `oid`, bound to parameters when a read-only statement is run
/// only to learn its result types.
pub fn stand_in(oid: u32) -> Value {
    match oid {
        BOOL | INT2 | INT4 | INT8 | OID | NUMERIC => Value::Integer(1),
        VOID => Value::Text(String::new()),
        FLOAT4 | FLOAT8 => Value::Real(1.0),
        BYTEA => Value::Blob(Vec::new()),
        DATE => Value::Text("2000-01-01".into()),
        TIME => Value::Text("00:00:00".into()),
        TIMESTAMP | TIMESTAMPTZ => Value::Text("2000-01-01 00:00:00".into()),
        UUID => Value::Text("00000000-0000-0000-0000-000000000000".into()),
        _ => Value::Text(String::new()),
    }
}

/// Fixed size of the type in RowDescription (`-1`: variable).
pub fn type_size(oid: u32) -> i16 {
    match oid {
        BOOL => 1,
        INT2 => 2,
        INT4 | OID | FLOAT4 | DATE => 4,
        INT8 | FLOAT8 | TIME | TIMESTAMP | TIMESTAMPTZ => 8,
        UUID => 16,
        NAME => 64,
        _ => -1,
    }
}

fn bad(oid: u32, what: &str) -> SqliteError {
    SqliteError::new(
        ErrorClass::DatatypeMismatch,
        format!("cannot represent {what} as type oid {oid}"),
    )
}

/// A stored integer outside the range of the type its column is described with (a value
/// written by a MySQL or SQLite client into an `INT` column): 22003, as PostgreSQL says.
fn out_of_range(type_name: &str) -> SqliteError {
    SqliteError::new(
        ErrorClass::NumericOutOfRange,
        format!("{type_name} out of range"),
    )
}

/// Appends `value` (not NULL) in text format for a column of type `oid`.
pub fn encode_text(oid: u32, value: &Value, out: &mut Vec<u8>) {
    use std::io::Write;
    match (oid, value) {
        (_, Value::Null) => {}
        (BOOL, v) => out.push(if truthy(v) { b't' } else { b'f' }),
        (_, Value::Integer(i)) => {
            let _ = write!(out, "{i}");
        }
        (_, Value::Real(f)) => out.extend_from_slice(float_text(*f).as_bytes()),
        (TIMESTAMPTZ, Value::Text(s)) => match parse_timestamp(s.trim()) {
            // In UTC with its offset, as PostgreSQL shows a timestamptz (TimeZone is UTC).
            Some(usecs) => {
                out.extend_from_slice(format_timestamp(usecs).as_bytes());
                out.extend_from_slice(b"+00");
            }
            None => out.extend_from_slice(s.as_bytes()),
        },
        (TIMESTAMP, Value::Text(s)) => {
            out.extend(s.bytes().map(|b| if b == b'T' { b' ' } else { b }));
        }
        (_, Value::Text(s)) => out.extend_from_slice(s.as_bytes()),
        (BYTEA, Value::Blob(b)) | (_, Value::Blob(b)) => hex_bytea(b, out),
    }
}

/// Appends `value` (not NULL) in binary format for a column of type `oid`.
pub fn encode_binary(oid: u32, value: &Value, out: &mut Vec<u8>) -> Result<(), SqliteError> {
    match oid {
        BOOL => out.push(u8::from(truthy(value))),
        INT8 => out.extend_from_slice(&as_i64(oid, value)?.to_be_bytes()),
        INT4 => {
            let i = as_i64(oid, value)?;
            let v = i32::try_from(i).map_err(|_| out_of_range("integer"))?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        OID => {
            let i = as_i64(oid, value)?;
            let v = u32::try_from(i).map_err(|_| bad(oid, "an out-of-range integer"))?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        INT2 => {
            let i = as_i64(oid, value)?;
            let v = i16::try_from(i).map_err(|_| out_of_range("smallint"))?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        VOID => {}
        FLOAT8 => out.extend_from_slice(&as_f64(oid, value)?.to_be_bytes()),
        FLOAT4 => out.extend_from_slice(&(as_f64(oid, value)? as f32).to_be_bytes()),
        BYTEA => match value {
            Value::Blob(b) => out.extend_from_slice(b),
            other => encode_text(TEXT, other, out),
        },
        NUMERIC => {
            let mut text = Vec::new();
            encode_text(NUMERIC, value, &mut text);
            let text = String::from_utf8_lossy(&text);
            numeric_binary(&text, out).ok_or_else(|| bad(oid, "a non-numeric value"))?;
        }
        DATE => {
            let text = text_of(value);
            let days =
                parse_date(text.trim()).ok_or_else(|| bad(oid, "a value that is not a date"))?;
            let pg = i32::try_from(days - PG_EPOCH_DAYS).map_err(|_| bad(oid, "a far date"))?;
            out.extend_from_slice(&pg.to_be_bytes());
        }
        TIME => {
            let usecs = parse_time(text_of(value).trim())
                .ok_or_else(|| bad(oid, "a value that is not a time"))?;
            out.extend_from_slice(&usecs.to_be_bytes());
        }
        TIMESTAMP | TIMESTAMPTZ => {
            let usecs = parse_timestamp(text_of(value).trim())
                .ok_or_else(|| bad(oid, "a value that is not a timestamp"))?;
            out.extend_from_slice(&usecs.to_be_bytes());
        }
        UUID => {
            let bytes = match value {
                Value::Blob(b) if b.len() == 16 => Some(b.clone()),
                other => parse_uuid(&text_of(other)),
            }
            .ok_or_else(|| bad(oid, "a value that is not a uuid"))?;
            out.extend_from_slice(&bytes);
        }
        JSONB => {
            out.push(1);
            encode_text(TEXT, value, out);
        }
        _ => encode_text(oid, value, out),
    }
    Ok(())
}

/// Decodes a parameter of type `oid` (`0`: unknown) sent in text or binary format.
pub fn decode_param(oid: u32, binary: bool, raw: &[u8]) -> Result<Value, SqliteError> {
    let invalid = |what: &str| {
        SqliteError::new(
            ErrorClass::DatatypeMismatch,
            format!("invalid {what} parameter for type oid {oid}"),
        )
    };
    if binary {
        let fixed = |n: usize| -> Result<&[u8], SqliteError> {
            (raw.len() == n)
                .then_some(raw)
                .ok_or_else(|| invalid("binary"))
        };
        return Ok(match oid {
            BOOL => Value::Integer(i64::from(fixed(1)?[0] != 0)),
            INT2 => Value::Integer(i64::from(i16::from_be_bytes(arr(fixed(2)?)))),
            INT4 => Value::Integer(i64::from(i32::from_be_bytes(arr(fixed(4)?)))),
            OID => Value::Integer(i64::from(u32::from_be_bytes(arr(fixed(4)?)))),
            INT8 => Value::Integer(i64::from_be_bytes(arr(fixed(8)?))),
            FLOAT4 => Value::Real(f64::from(f32::from_be_bytes(arr(fixed(4)?)))),
            FLOAT8 => Value::Real(f64::from_be_bytes(arr(fixed(8)?))),
            BYTEA => Value::Blob(raw.to_vec()),
            DATE => {
                let days = i64::from(i32::from_be_bytes(arr(fixed(4)?)));
                Value::Text(format_date(days + PG_EPOCH_DAYS))
            }
            TIME => Value::Text(format_time(i64::from_be_bytes(arr(fixed(8)?)))),
            TIMESTAMP => Value::Text(format_timestamp(i64::from_be_bytes(arr(fixed(8)?)))),
            TIMESTAMPTZ => Value::Text(format!(
                "{}+00",
                format_timestamp(i64::from_be_bytes(arr(fixed(8)?)))
            )),
            UUID => Value::Text(format_uuid(fixed(16)?)),
            NUMERIC => numeric_from_binary(raw)
                .map(|s| number_value(&s))
                .ok_or_else(|| invalid("binary"))?,
            JSONB => match raw.split_first() {
                Some((1, rest)) => Value::Text(utf8(rest).map_err(|_| invalid("binary"))?),
                _ => return Err(invalid("binary")),
            },
            _ => Value::Text(utf8(raw).map_err(|_| invalid("text"))?),
        });
    }
    let text = utf8(raw).map_err(|_| invalid("text"))?;
    Ok(match oid {
        BOOL => match text.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" | "on" | "1" => Value::Integer(1),
            "f" | "false" | "n" | "no" | "off" | "0" => Value::Integer(0),
            _ => return Err(invalid("boolean")),
        },
        INT2 | INT4 | INT8 | OID => {
            Value::Integer(text.trim().parse::<i64>().map_err(|_| invalid("integer"))?)
        }
        FLOAT4 | FLOAT8 => Value::Real(parse_float(text.trim()).ok_or_else(|| invalid("float"))?),
        NUMERIC => number_value(text.trim()),
        BYTEA => Value::Blob(unhex_bytea(&text).ok_or_else(|| invalid("bytea"))?),
        TIMESTAMP | TIMESTAMPTZ => Value::Text(text.replacen('T', " ", 1)),
        _ => Value::Text(text),
    })
}

fn utf8(raw: &[u8]) -> Result<String, std::str::Utf8Error> {
    std::str::from_utf8(raw).map(str::to_owned)
}

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

/// A numeric parameter: an integer if it is one, a float if that keeps its digits, else
/// the text (SQLite's NUMERIC affinity converts it where it can).
fn number_value(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::Integer(i);
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() && same_number(text, f) => Value::Real(f),
        _ => Value::Text(text.to_owned()),
    }
}

fn same_number(text: &str, f: f64) -> bool {
    let digits = |s: &str| -> String {
        let s = s.trim_start_matches(['+', '-']);
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let all = format!("{int}{frac}");
        all.trim_start_matches('0').trim_end_matches('0').to_owned()
    };
    !text.contains(['e', 'E']) && digits(text) == digits(&format!("{f}"))
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Integer(i) => *i != 0,
        Value::Real(f) => *f != 0.0,
        Value::Text(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "t" | "true" | "y" | "yes" | "on" | "1"
        ),
        Value::Blob(b) => b.iter().any(|x| *x != 0),
    }
}

fn text_of(v: &Value) -> String {
    let mut out = Vec::new();
    encode_text(TEXT, v, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn as_i64(oid: u32, v: &Value) -> Result<i64, SqliteError> {
    match v {
        Value::Integer(i) => Ok(*i),
        Value::Real(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(*f as i64),
        Value::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| bad(oid, "a non-integer value")),
        _ => Err(bad(oid, "a non-integer value")),
    }
}

fn as_f64(oid: u32, v: &Value) -> Result<f64, SqliteError> {
    match v {
        Value::Integer(i) => Ok(*i as f64),
        Value::Real(f) => Ok(*f),
        Value::Text(s) => parse_float(s.trim()).ok_or_else(|| bad(oid, "a non-numeric value")),
        _ => Err(bad(oid, "a non-numeric value")),
    }
}

fn parse_float(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "infinity" | "inf" | "+infinity" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

/// PostgreSQL's float8 output: shortest round-trip digits, `Infinity`, `NaN`.
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        let s = format!("{f}");
        if s.len() > 17 && (f.abs() >= 1e16 || (f != 0.0 && f.abs() < 1e-4)) {
            format!("{f:e}").replace('e', "e+").replace("e+-", "e-")
        } else {
            s
        }
    }
}

fn hex_bytea(b: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(2 + b.len() * 2);
    out.extend_from_slice(b"\\x");
    for byte in b {
        out.push(HEX[usize::from(byte >> 4)]);
        out.push(HEX[usize::from(byte & 15)]);
    }
}

/// bytea text input: `\x` hex, or the escape format (`\\`, `\ooo`).
fn unhex_bytea(s: &str) -> Option<Vec<u8>> {
    if let Some(hex) = s.strip_prefix("\\x") {
        let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        if !digits.len().is_multiple_of(2) {
            return None;
        }
        let val = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        return digits
            .chunks(2)
            .map(|p| Some(val(p[0])? << 4 | val(p[1])?))
            .collect();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
        } else if b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else {
            let oct = b.get(i + 1..i + 4)?;
            let v = std::str::from_utf8(oct).ok()?;
            out.push(u8::from_str_radix(v, 8).ok()?);
            i += 4;
        }
    }
    Some(out)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DD` → days since 1970-01-01.
fn parse_date(s: &str) -> Option<i64> {
    let s = s.get(..10)?;
    let mut parts = s.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| days_from_civil(y, m, d))
}

fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `HH:MM[:SS[.ffffff]]` → microseconds since midnight.
fn parse_time(s: &str) -> Option<i64> {
    let mut parts = s.splitn(3, ':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let (sec, frac) = match parts.next() {
        Some(rest) => {
            let rest = rest.trim_end_matches(|c: char| !c.is_ascii_digit() && c != '.');
            let (sec, frac) = rest.split_once('.').unwrap_or((rest, ""));
            (sec.parse::<i64>().ok()?, frac)
        }
        None => (0, ""),
    };
    let mut micros = 0i64;
    for (i, c) in frac.chars().take(6).enumerate() {
        micros += i64::from(c.to_digit(10)?) * 10i64.pow(5 - i as u32);
    }
    Some(((h * 60 + m) * 60 + sec) * 1_000_000 + micros)
}

fn format_time(usecs: i64) -> String {
    let secs = usecs.div_euclid(1_000_000);
    let micros = usecs.rem_euclid(1_000_000);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if micros == 0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        let frac = format!("{micros:06}");
        format!("{h:02}:{m:02}:{s:02}.{}", frac.trim_end_matches('0'))
    }
}

/// `YYYY-MM-DD[ T]HH:MM:SS[.f][Z|±HH[:MM]]` → microseconds since 2000-01-01 (UTC when an
/// offset is given).
fn parse_timestamp(s: &str) -> Option<i64> {
    let days = parse_date(s)?;
    let rest = s.get(10..).unwrap_or("").trim_start_matches([' ', 'T']);
    let (time, offset) = match rest.find(['+', 'Z']).or_else(|| rest.rfind('-')) {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let usecs = if time.is_empty() {
        0
    } else {
        parse_time(time.trim())?
    };
    let offset_secs = match offset.trim() {
        "" | "Z" => 0,
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let digits = &o[1..];
            let (h, m) = match digits.split_once(':') {
                Some((h, m)) => (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?),
                None if digits.len() == 4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
                None => (digits.parse::<i64>().ok()?, 0),
            };
            sign * (h * 3600 + m * 60)
        }
    };
    Some((days - PG_EPOCH_DAYS) * USECS_PER_DAY + usecs - offset_secs * 1_000_000)
}

fn format_timestamp(usecs: i64) -> String {
    let days = usecs.div_euclid(USECS_PER_DAY);
    let time = usecs.rem_euclid(USECS_PER_DAY);
    format!(
        "{} {}",
        format_date(days + PG_EPOCH_DAYS),
        format_time(time)
    )
}

fn parse_uuid(s: &str) -> Option<Vec<u8>> {
    let hex: String = s
        .trim()
        .trim_matches(['{', '}'])
        .chars()
        .filter(|c| *c != '-')
        .collect();
    if hex.len() != 32 {
        return None;
    }
    (0..16)
        .map(|i| u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok())
        .collect()
}

fn format_uuid(b: &[u8]) -> String {
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A decimal text (`-12.3400`, `NaN`) in PostgreSQL's binary numeric format.
fn numeric_binary(text: &str, out: &mut Vec<u8>) -> Option<()> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("nan") {
        out.extend_from_slice(&[0, 0, 0, 0, 0xC0, 0, 0, 0]);
        return Some(());
    }
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    // Expand exponent notation (from float output) into plain digits.
    let (mantissa, exp) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut digits: String = format!("{int}{frac}");
    let mut point = int.len() as i32 + exp; // position of the decimal point in `digits`
    let dscale = (frac.len() as i32 - exp).max(0);
    if point < 0 {
        digits = "0".repeat((-point) as usize) + &digits;
        point = 0;
    }
    if point as usize > digits.len() {
        digits.push_str(&"0".repeat(point as usize - digits.len()));
    }
    let (ipart, fpart) = digits.split_at(point as usize);
    // Group into base-10000 digits aligned on the decimal point.
    let pad_left = (4 - ipart.len() % 4) % 4;
    let ipart = "0".repeat(pad_left) + ipart;
    let pad_right = (4 - fpart.len() % 4) % 4;
    let fpart = fpart.to_owned() + &"0".repeat(pad_right);
    let mut groups: Vec<i16> = Vec::new();
    for chunk in ipart.as_bytes().chunks(4).chain(fpart.as_bytes().chunks(4)) {
        groups.push(std::str::from_utf8(chunk).ok()?.parse().ok()?);
    }
    let mut weight = (ipart.len() / 4) as i32 - 1;
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    let sign: u16 = if negative && !groups.is_empty() {
        0x4000
    } else {
        0
    };
    out.extend_from_slice(&(groups.len() as i16).to_be_bytes());
    out.extend_from_slice(&(weight as i16).to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&(dscale as i16).to_be_bytes());
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
    Some(())
}

/// PostgreSQL's binary numeric as decimal text.
fn numeric_from_binary(raw: &[u8]) -> Option<String> {
    let word = |i: usize| -> Option<i16> {
        Some(i16::from_be_bytes([*raw.get(i * 2)?, *raw.get(i * 2 + 1)?]))
    };
    let ndigits = word(0)? as usize;
    let weight = word(1)? as i32;
    let sign = word(2)? as u16;
    let dscale = word(3)?.max(0) as usize;
    if sign == 0xC000 {
        return Some("NaN".into());
    }
    let groups: Vec<i16> = (0..ndigits).map(|i| word(4 + i)).collect::<Option<_>>()?;
    let mut int = String::new();
    for w in 0..=weight.max(-1) {
        let g = groups.get(w as usize).copied().unwrap_or(0);
        if int.is_empty() {
            int = g.to_string();
        } else {
            int.push_str(&format!("{g:04}"));
        }
    }
    if int.is_empty() {
        int.push('0');
    }
    let mut frac = String::new();
    let mut w = weight + 1;
    while frac.len() < dscale {
        let g = if w < 0 {
            0
        } else {
            groups.get(w as usize).copied().unwrap_or(0)
        };
        frac.push_str(&format!("{g:04}"));
        w += 1;
    }
    frac.truncate(dscale);
    let minus = if sign == 0x4000 { "-" } else { "" };
    Some(if frac.is_empty() {
        format!("{minus}{int}")
    } else {
        format!("{minus}{int}.{frac}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(oid: u32, v: Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode_binary(oid, &v, &mut out).expect("encodes");
        out
    }

    #[test]
    fn binary_round_trips() {
        for (oid, v) in [
            (INT8, Value::Integer(-42)),
            (FLOAT8, Value::Real(1.5)),
            (BOOL, Value::Integer(1)),
            (BYTEA, Value::Blob(vec![0, 1, 255])),
            (TEXT, Value::Text("héllo".into())),
            (DATE, Value::Text("2024-02-29".into())),
            (TIMESTAMP, Value::Text("2024-02-29 13:14:15.5".into())),
            (TIME, Value::Text("13:14:15.25".into())),
            (
                UUID,
                Value::Text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into()),
            ),
        ] {
            let raw = bin(oid, v.clone());
            assert_eq!(decode_param(oid, true, &raw).expect("decodes"), v, "{oid}");
        }
    }

    #[test]
    fn numeric_binary_matches_postgres() {
        for text in [
            "0",
            "1",
            "-12.3400",
            "10000",
            "0.0001",
            "123456789.987654321",
            "1e3",
        ] {
            let mut out = Vec::new();
            numeric_binary(text, &mut out).expect("numeric");
            let back = numeric_from_binary(&out).expect("back");
            let want = match text {
                "1e3" => "1000",
                t => t,
            };
            assert_eq!(back, want);
        }
        let mut out = Vec::new();
        numeric_binary("10000", &mut out).expect("numeric");
        // ndigits 1, weight 1, sign 0, dscale 0, digit 1
        assert_eq!(out, vec![0, 1, 0, 1, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn text_forms() {
        let text = |oid, v: Value| {
            let mut out = Vec::new();
            encode_text(oid, &v, &mut out);
            String::from_utf8(out).expect("utf8")
        };
        assert_eq!(text(BYTEA, Value::Blob(vec![0xde, 0xad])), "\\xdead");
        assert_eq!(text(BOOL, Value::Integer(0)), "f");
        assert_eq!(text(FLOAT8, Value::Real(f64::INFINITY)), "Infinity");
        assert_eq!(
            text(TIMESTAMP, Value::Text("2024-01-01T10:00:00".into())),
            "2024-01-01 10:00:00"
        );
        assert_eq!(
            decode_param(BYTEA, false, b"\\x00ff").expect("bytea"),
            Value::Blob(vec![0, 255])
        );
        assert_eq!(
            decode_param(NUMERIC, false, b"1.25").expect("n"),
            Value::Real(1.25)
        );
        assert_eq!(
            decode_param(NUMERIC, false, b"12345678901234567890.12").expect("n"),
            Value::Text("12345678901234567890.12".into())
        );
        assert_eq!(format_date(days_from_civil(1999, 12, 31)), "1999-12-31");
    }
}
