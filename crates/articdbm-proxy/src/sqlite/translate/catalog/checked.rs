//! The functions behind PostgreSQL's checked division and casts, where SQLite quietly answers
//! NULL or 0: `pg_divisor(b [, a])` (the divisor of `a / b` and `a % b`: 22012 `division by
//! zero` for a zero), `pg_int2`/`pg_int4`/`pg_int8` (`::smallint`/`::int`/`::bigint`:
//! 22P02 for a text that is not an integer, 22003 out of range, a fraction rounded half away
//! from zero as PostgreSQL rounds numerics), `pg_float4`/`pg_float8`, `pg_numeric`,
//! `pg_bool_in` (`::boolean`) and `pg_date(date(x), x)` (`::date`: 22007 / 22008). Their error
//! messages are PostgreSQL's; `sqlite::error` classifies them by those messages.

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, Error, Result, ffi};

/// An error with PostgreSQL's message (SQLITE_ERROR, so the message decides its class).
fn fail(message: String) -> Error {
    Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_ERROR), Some(message))
}

fn text_of(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => String::new(),
        ValueRef::Integer(n) => n.to_string(),
        ValueRef::Real(r) => r.to_string(),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
    }
}

fn owned(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Integer(n),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn invalid(type_name: &str, v: ValueRef<'_>) -> Error {
    fail(format!(
        "invalid input syntax for type {type_name}: \"{}\"",
        text_of(v)
    ))
}

/// Whether a divisor is zero (a text divisor counts as the number SQLite makes of it).
fn is_zero(v: ValueRef<'_>) -> bool {
    match v {
        ValueRef::Integer(n) => n == 0,
        ValueRef::Real(r) => r == 0.0,
        ValueRef::Text(t) => std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .is_some_and(|f| f == 0.0),
        ValueRef::Null | ValueRef::Blob(_) => false,
    }
}

fn divisor(ctx: &Context<'_>) -> Result<Value> {
    let b = ctx.get_raw(0);
    // PostgreSQL's division is strict: a NULL dividend gives NULL, not an error.
    let dividend_null = ctx.len() > 1 && matches!(ctx.get_raw(1), ValueRef::Null);
    if !dividend_null && is_zero(b) {
        return Err(fail("division by zero".into()));
    }
    Ok(owned(b))
}

/// An integer type: its SQL name, and its range.
struct IntType {
    name: &'static str,
    min: i64,
    max: i64,
}

const INT2: IntType = IntType {
    name: "smallint",
    min: i16::MIN as i64,
    max: i16::MAX as i64,
};
const INT4: IntType = IntType {
    name: "integer",
    min: i32::MIN as i64,
    max: i32::MAX as i64,
};
const INT8: IntType = IntType {
    name: "bigint",
    min: i64::MIN,
    max: i64::MAX,
};

/// PostgreSQL's integer input: optional blanks and sign, decimal digits.
fn parse_int(s: &str) -> Option<std::result::Result<i64, ()>> {
    let t = s.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(t.parse::<i64>().map_err(|_| ()))
}

fn to_int(ty: &IntType, v: ValueRef<'_>) -> Result<Option<i64>> {
    let out_of_range = || fail(format!("{} out of range", ty.name));
    let n = match v {
        ValueRef::Null => return Ok(None),
        ValueRef::Integer(n) => n,
        ValueRef::Real(r) => {
            let r = r.round();
            if !r.is_finite() || r < ty.min as f64 || r >= -(ty.min as f64) {
                return Err(out_of_range());
            }
            r as i64
        }
        ValueRef::Text(t) => {
            let s = std::str::from_utf8(t).map_err(|_| invalid(ty.name, v))?;
            match parse_int(s) {
                None => return Err(invalid(ty.name, v)),
                Some(Ok(n)) => n,
                Some(Err(())) => {
                    return Err(fail(format!(
                        "value \"{}\" is out of range for type {}",
                        s.trim(),
                        ty.name
                    )));
                }
            }
        }
        ValueRef::Blob(_) => return Err(invalid(ty.name, v)),
    };
    if n < ty.min || n > ty.max {
        if let ValueRef::Text(_) = v {
            return Err(fail(format!(
                "value \"{}\" is out of range for type {}",
                text_of(v).trim(),
                ty.name
            )));
        }
        return Err(out_of_range());
    }
    Ok(Some(n))
}

/// PostgreSQL's float input: a decimal or exponent number, `NaN`, `[+-]Infinity`.
fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" => return Some(f64::NAN),
        "infinity" | "+infinity" | "inf" | "+inf" => return Some(f64::INFINITY),
        "-infinity" | "-inf" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let plain = t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    if plain { t.parse().ok() } else { None }
}

fn to_float(name: &str, single: bool, v: ValueRef<'_>) -> Result<Option<f64>> {
    let f = match v {
        ValueRef::Null => return Ok(None),
        ValueRef::Integer(n) => n as f64,
        ValueRef::Real(r) => r,
        ValueRef::Text(t) => std::str::from_utf8(t)
            .ok()
            .and_then(parse_float)
            .ok_or_else(|| invalid(name, v))?,
        ValueRef::Blob(_) => return Err(invalid(name, v)),
    };
    if single && f.is_finite() && f.abs() > f64::from(f32::MAX) {
        return Err(fail(format!(
            "\"{}\" is out of range for type real",
            text_of(v).trim()
        )));
    }
    Ok(Some(if single { f64::from(f as f32) } else { f }))
}

/// `::numeric`: an integer stays one, other numbers are doubles (SQLite has no decimal).
fn to_numeric(v: ValueRef<'_>) -> Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Integer(n),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => {
            let s = std::str::from_utf8(t).map_err(|_| invalid("numeric", v))?;
            match parse_int(s) {
                Some(Ok(n)) => Value::Integer(n),
                _ => {
                    let f = parse_float(s)
                        .filter(|f| !f.is_infinite())
                        .ok_or_else(|| invalid("numeric", v))?;
                    Value::Real(f)
                }
            }
        }
        ValueRef::Blob(_) => return Err(invalid("numeric", v)),
    })
}

/// PostgreSQL's boolean input, strictly: `t`/`true`/`yes`/`on`/`1` and their prefixes (any
/// case, blanks around), the opposites, numbers (non-zero is true); anything else is 22P02.
pub(crate) fn bool_in(v: ValueRef<'_>) -> Result<Option<i64>> {
    match super::functions::pg_bool(v) {
        Some(b) => Ok(Some(b)),
        None if matches!(v, ValueRef::Null) => Ok(None),
        None => Err(invalid("boolean", v)),
    }
}

/// The days of a month (leap years as in the proleptic Gregorian calendar).
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Whether `t` starts with a valid `YYYY-MM-DD` followed by a blank or `T`.
fn parse_date_prefix(t: &str) -> bool {
    let b = t.as_bytes();
    let field = |r: std::ops::Range<usize>| t.get(r).and_then(|s| s.parse::<i64>().ok());
    b.len() > 10
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b' ' | b'T')
        && matches!(
            (field(0..4), field(5..7), field(8..10)),
            (Some(y), Some(m), Some(d)) if (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
        )
}

/// `pg_date(date(x), x)`: SQLite's `date(x)` when `x` is a valid date; 22007 when SQLite
/// cannot read it, 22008 when a `YYYY-MM-DD` field is out of range (SQLite would roll
/// `2024-02-30` over into March).
fn date_checked(converted: ValueRef<'_>, original: ValueRef<'_>) -> Result<Value> {
    if matches!(original, ValueRef::Null) {
        return Ok(Value::Null);
    }
    let text = text_of(original);
    let t = text.trim();
    let field = |range: std::ops::Range<usize>| t.get(range).and_then(|s| s.parse::<i64>().ok());
    if t.len() >= 10
        && t.as_bytes()[4] == b'-'
        && t.as_bytes()[7] == b'-'
        && let (Some(y), Some(m), Some(d)) = (field(0..4), field(5..7), field(8..10))
        && (!(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m))
    {
        return Err(fail(format!("date/time field value out of range: \"{t}\"")));
    }
    match converted {
        // A timestamp with an offset SQLite does not read (`+00`, as `now()` gives): its date
        // part (timestamps are in UTC, the session's time zone).
        ValueRef::Null if t.len() > 10 && parse_date_prefix(t) => {
            Ok(Value::Text(t[..10].to_owned()))
        }
        ValueRef::Null => Err(fail(format!("invalid input syntax for type date: \"{t}\""))),
        other => Ok(owned(other)),
    }
}

/// Registers the checked functions on `conn`.
pub(crate) fn register(conn: &Connection) -> Result<()> {
    let det = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("pg_divisor", 1, det, divisor)?;
    conn.create_scalar_function("pg_divisor", 2, det, divisor)?;
    for (name, ty) in [("pg_int2", INT2), ("pg_int4", INT4), ("pg_int8", INT8)] {
        conn.create_scalar_function(name, 1, det, move |ctx| to_int(&ty, ctx.get_raw(0)))?;
    }
    conn.create_scalar_function("pg_float8", 1, det, |ctx| {
        to_float("double precision", false, ctx.get_raw(0))
    })?;
    conn.create_scalar_function("pg_float4", 1, det, |ctx| {
        to_float("real", true, ctx.get_raw(0))
    })?;
    conn.create_scalar_function("pg_numeric", 1, det, |ctx| to_numeric(ctx.get_raw(0)))?;
    conn.create_scalar_function("pg_bool_in", 1, det, |ctx| bool_in(ctx.get_raw(0)))?;
    conn.create_scalar_function("pg_date", 2, det, |ctx| {
        date_checked(ctx.get_raw(0), ctx.get_raw(1))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int4(v: ValueRef<'_>) -> std::result::Result<Option<i64>, String> {
        to_int(&INT4, v).map_err(|e| e.to_string())
    }

    #[test]
    fn integer_casts_check_syntax_and_range() {
        assert_eq!(int4(ValueRef::Text(b" 12 ")), Ok(Some(12)));
        assert_eq!(int4(ValueRef::Text(b"-7")), Ok(Some(-7)));
        assert_eq!(int4(ValueRef::Real(2.5)), Ok(Some(3)));
        assert_eq!(int4(ValueRef::Real(-2.5)), Ok(Some(-3)));
        assert_eq!(int4(ValueRef::Null), Ok(None));
        let e = int4(ValueRef::Text(b"abc")).expect_err("abc");
        assert!(
            e.contains("invalid input syntax for type integer: \"abc\""),
            "{e}"
        );
        assert!(int4(ValueRef::Text(b"12.5")).is_err());
        let e = int4(ValueRef::Text(b"3000000000")).expect_err("range");
        assert!(e.contains("is out of range for type integer"), "{e}");
        let e = int4(ValueRef::Integer(3_000_000_000)).expect_err("range");
        assert!(e.contains("integer out of range"), "{e}");
        assert!(to_int(&INT2, ValueRef::Integer(40_000)).is_err());
        assert_eq!(
            to_int(&INT8, ValueRef::Text(b"9223372036854775807")).ok(),
            Some(Some(i64::MAX))
        );
        assert!(to_int(&INT8, ValueRef::Text(b"9223372036854775808")).is_err());
        assert!(to_int(&INT8, ValueRef::Real(1e19)).is_err());
    }

    #[test]
    fn floats_numerics_booleans_and_dates() {
        assert_eq!(
            to_float("double precision", false, ValueRef::Text(b"1.5e3")).ok(),
            Some(Some(1500.0))
        );
        assert!(to_float("double precision", false, ValueRef::Text(b"abc")).is_err());
        assert!(to_float("real", true, ValueRef::Real(1e39)).is_err());
        assert_eq!(
            to_numeric(ValueRef::Text(b"12")).ok(),
            Some(Value::Integer(12))
        );
        assert!(to_numeric(ValueRef::Text(b"1x")).is_err());
        assert!(bool_in(ValueRef::Text(b"maybe")).is_err());
        assert_eq!(bool_in(ValueRef::Text(b"on")).ok(), Some(Some(1)));
        let e = date_checked(ValueRef::Text(b"2024-03-01"), ValueRef::Text(b"2024-02-30"))
            .expect_err("30 February");
        assert!(e.to_string().contains("date/time field value out of range"));
        assert!(date_checked(ValueRef::Null, ValueRef::Text(b"abc")).is_err());
        assert_eq!(
            date_checked(ValueRef::Text(b"2024-02-29"), ValueRef::Text(b"2024-02-29")).ok(),
            Some(Value::Text("2024-02-29".into()))
        );
    }

    #[test]
    fn zero_divisors() {
        assert!(is_zero(ValueRef::Integer(0)));
        assert!(is_zero(ValueRef::Real(0.0)));
        assert!(is_zero(ValueRef::Text(b" 0.0")));
        assert!(!is_zero(ValueRef::Text(b"x")));
        assert!(!is_zero(ValueRef::Null));
    }
}
