//! The PostgreSQL functions registered on every SQLite connection: session information
//! (`version()`, `current_user()`, `current_database()`...), the catalog helpers clients call
//! (`format_type`, `pg_get_userbyid`, `pg_table_is_visible`, `to_regtype`, `has_*_privilege`...),
//! `regexp` behind `~`, `pg_bool` behind `::boolean`, `now()`, settings, and the OID helpers the
//! catalog views and the translator's `::regclass`/`::regtype` rewrites use.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use regex::Regex;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Error, Result};

use super::super::types;
use super::settings::setting_default;
use super::{InstallContext, NAMESPACES};

/// First OID handed to user objects, as in PostgreSQL.
const FIRST_USER_OID: u64 = 16384;

/// A stable OID for a named object of the `main` database (FNV-1a of the name, folded into
/// `16384..2^31`), so every connection and restart agrees without a lookup table.
pub fn object_oid(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (FIRST_USER_OID + 1 + h % ((1u64 << 31) - FIRST_USER_OID - 1)) as i64
}

/// The part after the last `.` of a possibly qualified, possibly quoted name.
fn unqualified(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.trim_matches('"').to_owned()
}

fn text_arg(ctx: &Context<'_>, i: usize) -> Option<String> {
    match ctx.get_raw(i) {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(r) => Some(r.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

fn int_arg(ctx: &Context<'_>, i: usize) -> Option<i64> {
    match ctx.get_raw(i) {
        ValueRef::Integer(n) => Some(n),
        ValueRef::Real(r) => Some(r as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// PostgreSQL's boolean input: `t`, `true`, `yes`, `on`, `1` (any case, prefixes allowed) and
/// non-zero numbers are true.
pub(crate) fn pg_bool(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(i64::from(n != 0)),
        ValueRef::Real(r) => Some(i64::from(r != 0.0)),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            let s = String::from_utf8_lossy(t).trim().to_ascii_lowercase();
            if s == "o" {
                return None;
            }
            let truthy = ["t", "true", "y", "yes", "on", "1"];
            let falsy = ["f", "false", "n", "no", "off", "0"];
            if truthy.iter().any(|w| !s.is_empty() && w.starts_with(&s)) {
                Some(1)
            } else if falsy.iter().any(|w| !s.is_empty() && w.starts_with(&s)) {
                Some(0)
            } else {
                s.parse::<f64>().ok().map(|f| i64::from(f != 0.0))
            }
        }
    }
}

/// Current UTC time as `YYYY-MM-DD HH:MM:SS.ffffff+00` (the `timestamptz` text form).
fn now_text() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // civil-from-days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:06}+00",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_micros()
    )
}

fn random_uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

static NEXT_PID: AtomicI64 = AtomicI64::new(1);

/// Registers the functions on `conn`.
pub(crate) fn register(conn: &Connection, cx: &InstallContext) -> Result<()> {
    let det = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let volatile = FunctionFlags::SQLITE_UTF8;

    let version = format!(
        "PostgreSQL 15.0 (ArticDBM {}, SQLite {}) on x86_64-pc-linux-gnu",
        env!("CARGO_PKG_VERSION"),
        rusqlite::version()
    );
    conn.create_scalar_function("version", 0, det, move |_| Ok(version.clone()))?;
    conn.create_scalar_function("current_schema", 0, det, |_| Ok("public"))?;
    conn.create_scalar_function("current_schemas", 1, det, |ctx| {
        Ok(if pg_bool(ctx.get_raw(0)) == Some(1) {
            "{pg_catalog,public}"
        } else {
            "{public}"
        })
    })?;
    let database = cx.database.clone();
    conn.create_scalar_function("current_database", 0, det, move |_| Ok(database.clone()))?;
    for name in ["current_user", "session_user", "user", "current_role"] {
        let user = cx.user.clone();
        conn.create_scalar_function(name, 0, det, move |_| Ok(user.clone()))?;
    }
    let user = cx.user.clone();
    conn.create_scalar_function("pg_get_userbyid", 1, det, move |_| Ok(user.clone()))?;
    let pid = NEXT_PID.fetch_add(1, Ordering::Relaxed);
    conn.create_scalar_function("pg_backend_pid", 0, det, move |_| Ok(pid))?;

    for name in [
        "pg_table_is_visible",
        "pg_type_is_visible",
        "pg_function_is_visible",
        "pg_collation_is_visible",
        "pg_opclass_is_visible",
        "pg_conversion_is_visible",
        "pg_operator_is_visible",
        "has_table_privilege",
        "has_schema_privilege",
        "has_database_privilege",
        "has_column_privilege",
        "has_sequence_privilege",
        "has_function_privilege",
        "has_any_column_privilege",
        "pg_has_role",
    ] {
        conn.create_scalar_function(name, -1, det, |_| Ok(1))?;
    }
    for (name, n) in [
        ("obj_description", -1),
        ("col_description", 2),
        ("shobj_description", 2),
        ("pg_get_serial_sequence", 2),
        ("pg_get_statisticsobjdef_columns", 1),
        ("pg_get_triggerdef", -1),
        ("pg_tablespace_location", 1),
    ] {
        conn.create_scalar_function(name, n, det, |_| Ok(None::<String>))?;
    }
    conn.create_scalar_function("pg_relation_is_publishable", 1, det, |_| Ok(0))?;
    conn.create_scalar_function("pg_is_in_recovery", 0, det, |_| Ok(0))?;
    conn.create_scalar_function("pg_partition_ancestors", 1, det, |ctx| Ok(int_arg(ctx, 0)))?;
    conn.create_scalar_function("pg_get_expr", -1, det, |ctx| Ok(text_arg(ctx, 0)))?;
    conn.create_scalar_function("pg_encoding_to_char", 1, det, |ctx| {
        Ok(match int_arg(ctx, 0) {
            Some(0) => "SQL_ASCII",
            Some(6) => "UTF8",
            _ => "",
        })
    })?;
    conn.create_scalar_function("format_type", 2, det, |ctx| {
        Ok(int_arg(ctx, 0).map(|oid| {
            types::format_type(
                u32::try_from(oid).unwrap_or(0),
                int_arg(ctx, 1).unwrap_or(-1),
            )
        }))
    })?;
    conn.create_scalar_function("to_regtype", 1, det, |ctx| {
        Ok(text_arg(ctx, 0).and_then(|n| types::oid_by_name(&n)))
    })?;
    // `x::regtype`: an OID stays, a name is resolved (unknown: NULL).
    conn.create_scalar_function("pg_regtype_oid", 1, det, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Integer(n) => Some(n),
            _ => text_arg(ctx, 0).and_then(|n| {
                n.trim()
                    .parse()
                    .ok()
                    .or_else(|| types::oid_by_name(&n).map(i64::from))
            }),
        })
    })?;
    // `x::regtype::text`: the SQL name of a type OID.
    conn.create_scalar_function("pg_regtype_name", 1, det, |ctx| {
        Ok(match int_arg(ctx, 0) {
            Some(0) => Some("-".to_owned()),
            Some(oid) => Some(types::format_type(u32::try_from(oid).unwrap_or(0), -1)),
            None => text_arg(ctx, 0),
        })
    })?;
    // `x::regclass` where x is a name: the object's OID.
    conn.create_scalar_function("pg_regclass_oid", 1, det, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Integer(n) => Some(n),
            _ => text_arg(ctx, 0).map(|n| {
                n.trim()
                    .parse()
                    .unwrap_or_else(|_| catalog_oid(&unqualified(&n)))
            }),
        })
    })?;
    conn.create_scalar_function("pg_regnamespace_name", 1, det, |ctx| {
        let oid = int_arg(ctx, 0);
        Ok(NAMESPACES
            .iter()
            .find(|(o, _)| Some(*o) == oid)
            .map(|(_, n)| (*n).to_owned())
            .or_else(|| oid.map(|o| o.to_string())))
    })?;
    conn.create_scalar_function("pg_object_oid", 1, det, |ctx| {
        Ok(text_arg(ctx, 0).map(|n| object_oid(&n)))
    })?;
    conn.create_scalar_function("pg_decltype_oid", 1, det, |ctx| {
        Ok(i64::from(types::decltype_oid(text_arg(ctx, 0).as_deref())))
    })?;
    conn.create_scalar_function("pg_decltype_typmod", 1, det, |ctx| {
        Ok(types::decltype_typmod(text_arg(ctx, 0).as_deref()))
    })?;
    conn.create_scalar_function("quote_ident", 1, det, |ctx| {
        Ok(text_arg(ctx, 0).map(|s| {
            let plain = s
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if plain {
                s
            } else {
                format!("\"{}\"", s.replace('"', "\"\""))
            }
        }))
    })?;
    conn.create_scalar_function("pg_bool", 1, det, |ctx| Ok(pg_bool(ctx.get_raw(0))))?;
    conn.create_scalar_function("regexp", 2, det, |ctx| {
        let (Some(text), Some(_)) = (text_arg(ctx, 1), text_arg(ctx, 0)) else {
            return Ok(None);
        };
        let re = ctx.get_or_create_aux(0, |v| -> std::result::Result<Regex, Error> {
            let pattern = v.as_str().map_err(|e| Error::UserFunctionError(e.into()))?;
            Regex::new(pattern).map_err(|e| Error::UserFunctionError(e.into()))
        })?;
        Ok(Some(i64::from(re.is_match(&text))))
    })?;
    for name in [
        "now",
        "statement_timestamp",
        "transaction_timestamp",
        "clock_timestamp",
    ] {
        conn.create_scalar_function(name, 0, volatile, |_| Ok(now_text()))?;
    }
    conn.create_scalar_function("gen_random_uuid", 0, volatile, |_| Ok(random_uuid()))?;
    for n in [1, 2] {
        conn.create_scalar_function("current_setting", n, det, |ctx| {
            let name = text_arg(ctx, 0).unwrap_or_default();
            match setting_default(&name) {
                Some(v) => Ok(Some(v.to_owned())),
                None if ctx.len() > 1 && pg_bool(ctx.get_raw(1)) == Some(1) => Ok(None),
                None => Err(Error::UserFunctionError(
                    format!("unrecognized configuration parameter \"{name}\"").into(),
                )),
            }
        })?;
    }
    conn.create_scalar_function("set_config", 3, volatile, |ctx| Ok(text_arg(ctx, 1)))?;
    conn.create_scalar_function("pg_size_pretty", 1, det, |ctx| {
        Ok(int_arg(ctx, 0).map(|n| {
            if n.abs() < 10 * 1024 {
                format!("{n} bytes")
            } else if n.abs() < 10 * 1024 * 1024 {
                format!("{} kB", (n + 512) / 1024)
            } else {
                format!("{} MB", (n + 512 * 1024) / (1024 * 1024))
            }
        }))
    })?;
    Ok(())
}

/// The OID of a relation given by name: a catalog view's fixed OID, else the user object OID.
fn catalog_oid(name: &str) -> i64 {
    match name {
        "pg_class" => 1259,
        "pg_type" => 1247,
        "pg_attribute" => 1249,
        "pg_proc" => 1255,
        "pg_constraint" => 2606,
        "pg_namespace" => 2615,
        "pg_index" => 2610,
        "pg_database" => 1262,
        "pg_description" => 2609,
        other => object_oid(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_are_stable_and_in_range() {
        let a = object_oid("users");
        assert_eq!(a, object_oid("users"));
        assert_ne!(a, object_oid("posts"));
        assert!(a > 16384 && a < i64::from(i32::MAX));
    }

    #[test]
    fn bool_input() {
        for t in ["t", "TRUE", "yes", "on", "1", "y"] {
            assert_eq!(pg_bool(ValueRef::Text(t.as_bytes())), Some(1), "{t}");
        }
        for f in ["f", "false", "no", "off", "0"] {
            assert_eq!(pg_bool(ValueRef::Text(f.as_bytes())), Some(0), "{f}");
        }
        assert_eq!(pg_bool(ValueRef::Integer(5)), Some(1));
        assert_eq!(pg_bool(ValueRef::Null), None);
        assert_eq!(pg_bool(ValueRef::Text(b"o")), None);
    }

    #[test]
    fn now_looks_like_a_timestamp() {
        let n = now_text();
        assert_eq!(n.len(), "2026-01-01 00:00:00.000000+00".len(), "{n}");
        assert!(n.starts_with("20"));
    }
}
