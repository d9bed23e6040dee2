//! What a MySQL client is told about a result column of SQLite: its type code, flags,
//! character set, length and decimals, from the column's declared type (`INT*` → LONGLONG,
//! `REAL`/`FLOA`/`DOUB` → DOUBLE, `CHAR`/`TEXT`/`CLOB` → VAR_STRING, `BLOB` → BLOB,
//! `DECIMAL`/`NUMERIC` → NEWDECIMAL, `BOOL`/`TINYINT` → TINY, `DATE`, `DATETIME`,
//! `TIMESTAMP`, `TIME`, `YEAR`, `JSON`), or for an expression without one, from the storage
//! class of its first non-NULL value.

use articdbm_wire_mysql::resultset::{ColumnDefinition41, ColumnFlags, ColumnType};

use crate::sqlite::Value;

/// Collation id of binary data.
pub const BINARY_CHARSET: u16 = 63;

/// How values of a column are spelled and encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    /// TINYINT / BOOL (one byte in the binary protocol).
    Tiny,
    Double,
    /// DECIMAL(p, s): `scale` digits after the point; `None` when the declared type gives
    /// none (`NUMERIC` from a PostgreSQL client or SQLite itself): values then go out as
    /// stored, never rounded.
    Decimal {
        scale: Option<u8>,
    },
    Date,
    /// DATETIME / TIMESTAMP with `fsp` fractional digits; `None` when the declared type
    /// gives none: a stored fraction of a second then goes out (6 digits), never cut.
    DateTime {
        fsp: Option<u8>,
    },
    Time,
    Year,
    Text,
    Blob,
    Json,
}

/// A result column as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub kind: Kind,
    pub ty: ColumnType,
    pub flags: ColumnFlags,
    pub charset: u16,
    pub length: u32,
    pub decimals: u8,
}

impl Shape {
    /// The column definition packet content for `name`.
    pub fn definition(&self, name: &str, schema: &str) -> ColumnDefinition41 {
        let mut def = ColumnDefinition41::new(name, self.ty, self.flags, self.charset, self.length);
        def.decimals = self.decimals;
        def.schema = bytes::Bytes::copy_from_slice(schema.as_bytes());
        def
    }

    pub fn unsigned(&self) -> bool {
        self.flags.unsigned()
    }
}

/// The numbers inside `(..)` of a declared type.
fn type_args(decl: &str) -> Vec<u32> {
    let Some(open) = decl.find('(') else {
        return Vec::new();
    };
    let inner = &decl[open + 1..];
    let inner = &inner[..inner.find(')').unwrap_or(inner.len())];
    inner
        .split(',')
        .filter_map(|a| a.trim().parse().ok())
        .collect()
}

fn numeric(kind: Kind, ty: ColumnType, length: u32, unsigned: bool) -> Shape {
    let mut flags = ColumnFlags::NUM | ColumnFlags::BINARY;
    if unsigned {
        flags = flags | ColumnFlags::UNSIGNED;
    }
    Shape {
        kind,
        ty,
        flags,
        charset: BINARY_CHARSET,
        length,
        decimals: 0,
    }
}

fn text(length: u32, charset: u16) -> Shape {
    Shape {
        kind: Kind::Text,
        ty: ColumnType::VAR_STRING,
        flags: ColumnFlags(0),
        charset,
        length,
        decimals: 0,
    }
}

fn blob(length: u32) -> Shape {
    Shape {
        kind: Kind::Blob,
        ty: ColumnType::BLOB,
        flags: ColumnFlags::BLOB | ColumnFlags::BINARY,
        charset: BINARY_CHARSET,
        length,
        decimals: 0,
    }
}

fn temporal(kind: Kind, ty: ColumnType, length: u32, decimals: u8) -> Shape {
    Shape {
        kind,
        ty,
        flags: ColumnFlags::BINARY,
        charset: BINARY_CHARSET,
        length,
        decimals,
    }
}

/// The shape of a column declared as `decl` (`None` when SQLite's affinity rules give no
/// useful hint: the values decide). `charset` is the collation id of text.
pub fn from_decl(decl: &str, charset: u16) -> Option<Shape> {
    let up = decl.to_ascii_uppercase();
    let base = up.split(['(', ' ']).next().unwrap_or("");
    let args = type_args(&up);
    let unsigned = up.contains("UNSIGNED");
    let chars = |default: u32| args.first().copied().unwrap_or(default).saturating_mul(4);
    let fsp = args.first().copied().unwrap_or(0).min(6) as u8;
    let declared_fsp = args.first().map(|&f| f.min(6) as u8);
    Some(match base {
        "BOOL" | "BOOLEAN" | "TINYINT" => numeric(Kind::Tiny, ColumnType::TINY, 4, unsigned),
        "YEAR" => {
            let mut s = numeric(Kind::Year, ColumnType::YEAR, 4, true);
            s.flags = s.flags | ColumnFlags::ZEROFILL;
            s
        }
        "DATE" => temporal(Kind::Date, ColumnType::DATE, 10, 0),
        "DATETIME" => temporal(
            Kind::DateTime { fsp: declared_fsp },
            ColumnType::DATETIME,
            19 + u32::from(fsp) + u32::from(fsp > 0),
            fsp,
        ),
        "TIMESTAMP" => temporal(
            Kind::DateTime { fsp: declared_fsp },
            ColumnType::TIMESTAMP,
            19 + u32::from(fsp) + u32::from(fsp > 0),
            fsp,
        ),
        "TIME" => temporal(Kind::Time, ColumnType::TIME, 10, fsp),
        "DECIMAL" | "NUMERIC" | "DEC" | "FIXED" => {
            let precision = args.first().copied().unwrap_or(10);
            // DECIMAL(p) has scale 0; a bare DECIMAL/NUMERIC has none (values as stored,
            // announced as "not fixed", 31).
            let scale = match args.len() {
                0 => None,
                1 => Some(0),
                _ => Some(args[1].min(30) as u8),
            };
            let mut s = numeric(
                Kind::Decimal { scale },
                ColumnType::NEWDECIMAL,
                precision + 2,
                unsigned,
            );
            s.decimals = scale.unwrap_or(31);
            s
        }
        "JSON" => Shape {
            kind: Kind::Json,
            ty: ColumnType::JSON,
            flags: ColumnFlags::BLOB | ColumnFlags::BINARY,
            charset: BINARY_CHARSET,
            length: u32::MAX,
            decimals: 0,
        },
        "BINARY" | "VARBINARY" => {
            let mut s = text(args.first().copied().unwrap_or(255), BINARY_CHARSET);
            s.flags = ColumnFlags::BINARY;
            s
        }
        "TINYBLOB" => blob(255),
        "BLOB" => blob(65_535),
        "MEDIUMBLOB" => blob(16_777_215),
        "LONGBLOB" => blob(u32::MAX),
        "TINYTEXT" => text(255 * 4, charset),
        "TEXT" => text(65_535 * 4, charset),
        "MEDIUMTEXT" => text(16_777_215 * 4, charset),
        "LONGTEXT" => text(u32::MAX, charset),
        "ENUM" | "SET" => text(chars(255), charset),
        _ => return affinity(&up, &args, unsigned, charset),
    })
}

/// SQLite's affinity rules, in its order: INT, then CHAR/CLOB/TEXT, then BLOB, then
/// REAL/FLOA/DOUB; anything else (NUMERIC affinity) is left to the values.
fn affinity(up: &str, args: &[u32], unsigned: bool, charset: u16) -> Option<Shape> {
    if up.contains("INT") {
        Some(numeric(Kind::Int, ColumnType::LONGLONG, 20, unsigned))
    } else if up.contains("CHAR") || up.contains("CLOB") || up.contains("TEXT") {
        Some(text(
            args.first().copied().unwrap_or(65_535).saturating_mul(4),
            charset,
        ))
    } else if up.contains("BLOB") {
        Some(blob(u32::MAX))
    } else if up.contains("REAL") || up.contains("FLOA") || up.contains("DOUB") {
        let mut s = numeric(Kind::Double, ColumnType::DOUBLE, 22, unsigned);
        s.decimals = 31;
        Some(s)
    } else {
        None
    }
}

/// The shape of a column without a useful declared type, from a value of it.
pub fn from_value(v: Option<&Value>, charset: u16) -> Shape {
    match v {
        Some(Value::Integer(_)) => numeric(Kind::Int, ColumnType::LONGLONG, 20, false),
        Some(Value::Real(_)) => {
            let mut s = numeric(Kind::Double, ColumnType::DOUBLE, 22, false);
            s.decimals = 31;
            s
        }
        Some(Value::Blob(_)) => blob(u32::MAX),
        Some(Value::Text(_)) | Some(Value::Null) | None => text(65_535 * 4, charset),
    }
}

/// The shapes of `decls` (declared types, `None` for expressions), values deciding where
/// the declared type does not: the first non-NULL value of each column in `rows`.
pub fn shapes(decls: &[Option<&str>], rows: &[Vec<Value>], charset: u16) -> Vec<Shape> {
    decls
        .iter()
        .enumerate()
        .map(|(i, decl)| {
            decl.and_then(|d| from_decl(d, charset)).unwrap_or_else(|| {
                let first = rows.iter().filter_map(|r| r.get(i)).find(|v| !v.is_null());
                from_value(first, charset)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types() {
        let s = |d: &str| from_decl(d, 45).unwrap();
        assert_eq!(s("INTEGER").ty, ColumnType::LONGLONG);
        assert!(s("bigint unsigned").flags.unsigned());
        assert_eq!(s("tinyint(1)").ty, ColumnType::TINY);
        assert_eq!(s("VARCHAR(20)").ty, ColumnType::VAR_STRING);
        assert_eq!(s("VARCHAR(20)").length, 80);
        assert_eq!(s("VARCHAR(20)").charset, 45);
        assert_eq!(s("BLOB").charset, BINARY_CHARSET);
        assert_eq!(s("decimal unsigned(10,2)").decimals, 2);
        assert_eq!(s("decimal(10,2)").kind, Kind::Decimal { scale: Some(2) });
        assert_eq!(s("decimal(10)").kind, Kind::Decimal { scale: Some(0) });
        assert_eq!(s("NUMERIC").kind, Kind::Decimal { scale: None });
        assert_eq!(s("DATETIME(6)").kind, Kind::DateTime { fsp: Some(6) });
        assert_eq!(s("TIMESTAMP").kind, Kind::DateTime { fsp: None });
        assert_eq!(s("TIMESTAMP").ty, ColumnType::TIMESTAMP);
        assert_eq!(s("double precision").ty, ColumnType::DOUBLE);
        assert_eq!(s("FLOAT").ty, ColumnType::DOUBLE);
        assert_eq!(s("nvarchar(5)").ty, ColumnType::VAR_STRING);
        assert!(from_decl("MONEY", 45).is_none());
    }

    #[test]
    fn values_decide_without_a_type() {
        let rows = vec![
            vec![Value::Null, Value::Real(1.5), Value::Blob(vec![1])],
            vec![Value::Integer(1), Value::Null, Value::Null],
        ];
        let s = shapes(&[None, None, None], &rows, 255);
        assert_eq!(s[0].ty, ColumnType::LONGLONG);
        assert_eq!(s[1].ty, ColumnType::DOUBLE);
        assert_eq!(s[2].ty, ColumnType::BLOB);
        assert_eq!(shapes(&[None], &[], 45)[0].ty, ColumnType::VAR_STRING);
    }
}
