//! PostgreSQL built-in types as seen from SQLite: the type table behind `pg_type`, `format_type`
//! and `to_regtype`; the mapping from a SQLite declared column type to a PostgreSQL type OID and
//! type modifier (used by `pg_attribute`, and meant to be the one the engine uses for result
//! columns); and the declared type written for each PostgreSQL type in `CREATE TABLE`.
//!
//! Declared types this translator writes into SQLite schemas (and [`decltype_oid`] maps back):
//! `INTEGER` (serial, bigserial, smallserial and identity columns, so a primary key on them is
//! the rowid; described as `int4`, as PostgreSQL's `integer`), PostgreSQL's own spelling for every other scalar type (`VARCHAR(50)`, `BOOLEAN`,
//! `BYTEA`, `TIMESTAMP WITHOUT TIME ZONE`, `DOUBLE PRECISION`, `NUMERIC(10,2)`, `DATE`, `UUID`,
//! `JSONB`...), and `_elem` for arrays (`TEXT[]` becomes `_TEXT`, `INT[]` becomes `_INT4`, as in
//! PostgreSQL's own array type names).

/// One built-in type: OID, name, array type OID, length, category and SQL display name.
#[derive(Debug, Clone, Copy)]
pub struct PgType {
    pub oid: u32,
    pub name: &'static str,
    pub array_oid: u32,
    pub len: i16,
    pub category: char,
    pub display: &'static str,
}

const fn t(
    oid: u32,
    name: &'static str,
    array_oid: u32,
    len: i16,
    category: char,
    display: &'static str,
) -> PgType {
    PgType {
        oid,
        name,
        array_oid,
        len,
        category,
        display,
    }
}

/// The scalar built-in types (their array types are derived: name `_name`, category `A`).
pub const TYPES: &[PgType] = &[
    t(16, "bool", 1000, 1, 'B', "boolean"),
    t(17, "bytea", 1001, -1, 'U', "bytea"),
    t(18, "char", 1002, 1, 'Z', "\"char\""),
    t(19, "name", 1003, 64, 'S', "name"),
    t(20, "int8", 1016, 8, 'N', "bigint"),
    t(21, "int2", 1005, 2, 'N', "smallint"),
    t(22, "int2vector", 1006, -1, 'A', "int2vector"),
    t(23, "int4", 1007, 4, 'N', "integer"),
    t(24, "regproc", 1008, 4, 'N', "regproc"),
    t(25, "text", 1009, -1, 'S', "text"),
    t(26, "oid", 1028, 4, 'N', "oid"),
    t(27, "tid", 1010, 6, 'U', "tid"),
    t(28, "xid", 1011, 4, 'U', "xid"),
    t(29, "cid", 1012, 4, 'U', "cid"),
    t(30, "oidvector", 1013, -1, 'A', "oidvector"),
    t(114, "json", 199, -1, 'U', "json"),
    t(142, "xml", 143, -1, 'U', "xml"),
    t(600, "point", 1017, 16, 'G', "point"),
    t(650, "cidr", 651, -1, 'I', "cidr"),
    t(700, "float4", 1021, 4, 'N', "real"),
    t(701, "float8", 1022, 8, 'N', "double precision"),
    t(705, "unknown", 0, -2, 'X', "unknown"),
    t(790, "money", 791, 8, 'N', "money"),
    t(829, "macaddr", 1040, 6, 'U', "macaddr"),
    t(869, "inet", 1041, -1, 'I', "inet"),
    t(1042, "bpchar", 1014, -1, 'S', "character"),
    t(1043, "varchar", 1015, -1, 'S', "character varying"),
    t(1082, "date", 1182, 4, 'D', "date"),
    t(1083, "time", 1183, 8, 'D', "time without time zone"),
    t(
        1114,
        "timestamp",
        1115,
        8,
        'D',
        "timestamp without time zone",
    ),
    t(
        1184,
        "timestamptz",
        1185,
        8,
        'D',
        "timestamp with time zone",
    ),
    t(1186, "interval", 1187, 16, 'T', "interval"),
    t(1266, "timetz", 1270, 12, 'D', "time with time zone"),
    t(1560, "bit", 1561, -1, 'V', "bit"),
    t(1562, "varbit", 1563, -1, 'V', "bit varying"),
    t(1700, "numeric", 1231, -1, 'N', "numeric"),
    t(2205, "regclass", 2210, 4, 'N', "regclass"),
    t(2206, "regtype", 2211, 4, 'N', "regtype"),
    t(2249, "record", 2287, -1, 'P', "record"),
    t(2275, "cstring", 1263, -2, 'P', "cstring"),
    t(2278, "void", 0, 4, 'P', "void"),
    t(2950, "uuid", 2951, 16, 'U', "uuid"),
    t(3802, "jsonb", 3807, -1, 'U', "jsonb"),
    t(4089, "regnamespace", 4090, 4, 'N', "regnamespace"),
];

/// The type with this OID, scalar or array (arrays come back as `(element, true)`).
pub fn by_oid(oid: u32) -> Option<(&'static PgType, bool)> {
    TYPES.iter().find_map(|t| {
        if t.oid == oid {
            Some((t, false))
        } else if t.array_oid == oid && oid != 0 {
            Some((t, true))
        } else {
            None
        }
    })
}

/// Resolves a PostgreSQL type name as `to_regtype` / `::regtype` do: internal names (`int4`,
/// `_text`), SQL names (`integer`, `character varying`, `text[]`) and common aliases, with an
/// optional `pg_catalog.` prefix and type modifiers ignored.
pub fn oid_by_name(name: &str) -> Option<u32> {
    let mut n = name.trim().to_ascii_lowercase();
    if let Some(rest) = n.strip_prefix("pg_catalog.") {
        n = rest.to_owned();
    }
    n = n.trim_matches('"').to_owned();
    if let Some(elem) = n.strip_suffix("[]") {
        return oid_by_name(elem).and_then(|o| by_oid(o).map(|(t, _)| t.array_oid));
    }
    if let Some(elem) = n.strip_prefix('_') {
        return oid_by_name(elem).and_then(|o| by_oid(o).map(|(t, _)| t.array_oid));
    }
    if let Some(open) = n.find('(') {
        let close = n.rfind(')').map_or(n.len(), |c| c + 1);
        n = format!("{}{}", n[..open].trim_end(), &n[close..]);
    }
    let alias = match n.as_str() {
        "boolean" => "bool",
        "integer" | "int" | "serial" | "serial4" => "int4",
        "bigint" | "bigserial" | "serial8" => "int8",
        "smallint" | "smallserial" | "serial2" => "int2",
        "real" => "float4",
        "double precision" | "float" => "float8",
        "character varying" => "varchar",
        "character" | "char" if name.contains('(') => "bpchar",
        "character" => "bpchar",
        "decimal" => "numeric",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        "time with time zone" => "timetz",
        "bit varying" => "varbit",
        other => other,
    };
    TYPES.iter().find(|t| t.name == alias).map(|t| t.oid)
}

/// `format_type(oid, typmod)`: the SQL name with modifiers, `name[]` for arrays, `???` for an
/// unknown OID.
pub fn format_type(oid: u32, typmod: i64) -> String {
    let Some((t, array)) = by_oid(oid) else {
        return "???".to_owned();
    };
    let mut s = t.display.to_owned();
    if typmod >= 4 {
        match t.oid {
            1042 | 1043 => s = format!("{}({})", s, typmod - 4),
            1700 => {
                let m = typmod - 4;
                s = format!("numeric({},{})", (m >> 16) & 0xffff, m & 0xffff);
            }
            _ => {}
        }
    }
    if array {
        s.push_str("[]");
    }
    s
}

/// The PostgreSQL type OID for a SQLite declared column type (`None`/empty: text).
pub fn decltype_oid(decl: Option<&str>) -> u32 {
    let d = decl.unwrap_or("").trim().to_ascii_uppercase();
    if let Some(elem) = d.strip_prefix('_') {
        let elem_oid = decltype_oid(Some(elem));
        return by_oid(elem_oid).map_or(1009, |(t, _)| t.array_oid);
    }
    let has = |s: &str| d.contains(s);
    if d.is_empty() {
        25
    } else if has("BOOL") {
        16
    } else if has("BYTEA") || has("BLOB") {
        17
    } else if has("TIMESTAMPTZ") || (has("TIMESTAMP") && has("WITH TIME ZONE")) {
        1184
    } else if has("TIMESTAMP") || has("DATETIME") {
        1114
    } else if has("INTERVAL") {
        1186
    } else if d.starts_with("POINT") {
        600
    } else if has("INT") || has("SERIAL") {
        int_oid(&d)
    } else if has("TIMETZ") || (d.starts_with("TIME") && has("WITH TIME ZONE")) {
        1266
    } else if has("DATE") {
        1082
    } else if d.starts_with("TIME") {
        1083
    } else if has("UUID") {
        2950
    } else if has("JSONB") {
        3802
    } else if has("JSON") {
        114
    } else if has("NUMERIC") || has("DECIMAL") || has("MONEY") {
        1700
    } else if has("REAL") || has("FLOA") || has("DOUB") {
        701
    } else if has("VARCHAR") || has("VARYING") {
        1043
    } else if d.starts_with("CHAR") || d.starts_with("NCHAR") || d.starts_with("BPCHAR") {
        1042
    } else {
        25
    }
}

/// The integer type of a declared type containing `INT` or `SERIAL`, as PostgreSQL names
/// them: `INT`, `INT4`, `SERIAL4`, `MEDIUMINT` are `int4`; `SMALLINT`, `INT2`, `TINYINT`,
/// `SMALLSERIAL` are `int2`. `INTEGER` is SQLite's own 64-bit integer (the type of a rowid,
/// of `serial`/`bigserial` keys and of every integer column a SQLite tool creates), so it is
/// `int8`, as are `BIGINT`, `INT8`, `BIGSERIAL` and anything else (`UNSIGNED BIG INT`).
fn int_oid(decl: &str) -> u32 {
    let base = decl.split('(').next().unwrap_or("").trim();
    match base {
        "INT" | "INT4" | "SERIAL4" | "MEDIUMINT" => 23,
        "SMALLINT" | "INT2" | "TINYINT" | "SMALLSERIAL" | "SERIAL2" => 21,
        _ => 20,
    }
}

/// The type modifier (`atttypmod`) for a declared type: `n + 4` for `VARCHAR(n)`/`CHAR(n)`,
/// `(p << 16 | s) + 4` for `NUMERIC(p, s)`, otherwise -1.
pub fn decltype_typmod(decl: Option<&str>) -> i64 {
    let Some(d) = decl else { return -1 };
    let (Some(open), Some(close)) = (d.find('('), d.rfind(')')) else {
        return -1;
    };
    let args: Vec<i64> = d
        .get(open + 1..close)
        .unwrap_or("")
        .split(',')
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    match (decltype_oid(decl), args.as_slice()) {
        (1042 | 1043, [n]) => n + 4,
        (1700, [p]) => (p << 16) + 4,
        (1700, [p, s]) => ((p << 16) | s) + 4,
        _ => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decltypes_map_to_the_oids_clients_expect() {
        let cases = [
            ("INTEGER", 20),
            ("int", 23),
            ("INT4", 23),
            ("BIGINT", 20),
            ("INT8", 20),
            ("SMALLINT", 21),
            ("INT2", 21),
            ("INT UNSIGNED", 20),
            ("VARCHAR(50)", 1043),
            ("TEXT", 25),
            ("BOOLEAN", 16),
            ("BYTEA", 17),
            ("BLOB", 17),
            ("TIMESTAMP WITHOUT TIME ZONE", 1114),
            ("TIMESTAMP WITH TIME ZONE", 1184),
            ("DATETIME", 1114),
            ("DATE", 1082),
            ("DOUBLE PRECISION", 701),
            ("REAL", 701),
            ("NUMERIC(10, 2)", 1700),
            ("UUID", 2950),
            ("JSONB", 3802),
            ("INTERVAL", 1186),
            ("_TEXT", 1009),
            ("_INT4", 1007),
            ("", 25),
        ];
        for (decl, oid) in cases {
            assert_eq!(decltype_oid(Some(decl)), oid, "{decl}");
        }
        assert_eq!(decltype_typmod(Some("VARCHAR(50)")), 54);
        assert_eq!(decltype_typmod(Some("NUMERIC(10, 2)")), (10 << 16 | 2) + 4);
        assert_eq!(decltype_typmod(Some("TEXT")), -1);
    }

    #[test]
    fn names_and_format() {
        assert_eq!(oid_by_name("integer"), Some(23));
        assert_eq!(oid_by_name("pg_catalog.int4"), Some(23));
        assert_eq!(oid_by_name("character varying(20)"), Some(1043));
        assert_eq!(oid_by_name("text[]"), Some(1009));
        assert_eq!(oid_by_name("hstore"), None);
        assert_eq!(format_type(1043, 54), "character varying(50)");
        assert_eq!(format_type(1700, (10 << 16 | 2) + 4), "numeric(10,2)");
        assert_eq!(format_type(1009, -1), "text[]");
        assert_eq!(format_type(424242, -1), "???");
    }
}
