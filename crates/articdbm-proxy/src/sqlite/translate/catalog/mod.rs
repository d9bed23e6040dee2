//! PostgreSQL catalog emulation installed on each SQLite connection: the SQL functions
//! ([`functions`], [`arrays`], the checked division and casts of [`checked`]), `generate_series`, and the TEMP views of `pg_catalog` and
//! `information_schema` ([`views`]) with the rows of the fixed catalogs.

pub(crate) mod arrays;
pub(crate) mod checked;
pub mod functions;
pub mod settings;
pub(crate) mod views;

use rusqlite::{Connection, Result, params};

use super::types::TYPES;

/// What `install` needs to know about the connection's database and user.
#[derive(Debug, Clone)]
pub struct InstallContext {
    /// The database name clients connected to (`current_database()`, `pg_database`).
    pub database: String,
    /// The user name reported by `current_user`, `pg_roles`, and as every object's owner.
    pub user: String,
}

/// The schemas: `(oid, name)`.
pub(crate) const NAMESPACES: &[(i64, &str)] = &[
    (11, "pg_catalog"),
    (99, "pg_toast"),
    (2200, "public"),
    (13000, "information_schema"),
];

/// OID of the one database row in `pg_database`.
const DATABASE_OID: i64 = 16384;

/// Registers the PostgreSQL functions and creates the catalog views on `conn`. Call it on every
/// new connection; calling it again on the same connection only re-registers the functions.
pub fn install(conn: &Connection, cx: &InstallContext) -> Result<()> {
    functions::register(conn, cx)?;
    checked::register(conn)?;
    arrays::register(conn)?;
    rusqlite::vtab::series::load_module(conn)?;
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM temp.sqlite_schema WHERE name = '_pgshape_pg_class')",
        [],
        |r| r.get(0),
    )?;
    if exists {
        return Ok(());
    }
    let mut batch = String::from("BEGIN;\n");
    for stmt in views::create_statements() {
        batch.push_str(&stmt);
        batch.push_str(";\n");
    }
    conn.execute_batch(&batch)?;
    let filled = fill(conn, cx);
    let end = if filled.is_ok() { "COMMIT" } else { "ROLLBACK" };
    conn.execute_batch(end)?;
    filled
}

/// Inserts the rows of the fixed catalogs.
fn fill(conn: &Connection, cx: &InstallContext) -> Result<()> {
    for (oid, name) in NAMESPACES {
        conn.execute(
            "INSERT INTO _pgshape_pg_namespace VALUES (?1, ?2, 10, NULL)",
            params![oid, name],
        )?;
    }
    let mut ty = conn.prepare(
        "INSERT INTO _pgshape_pg_type VALUES (?1, ?2, 11, 10, ?3, ?4, 'b', ?5, 0, 1, ',', 0, \
         ?6, ?7, ?8, ?9, ?10, ?11, ?12, '-', '-', '-', ?13, ?14, 0, 0, -1, 0, ?15, NULL, NULL, NULL)",
    )?;
    for t in TYPES {
        let by_val = matches!(t.len, 1 | 2 | 4 | 8);
        let align = match t.len {
            1 => "c",
            2 => "s",
            8 => "d",
            _ => "i",
        };
        let storage = if t.len == -1 { "x" } else { "p" };
        let collation = if t.category == 'S' { 100 } else { 0 };
        ty.execute(params![
            t.oid,
            t.name,
            t.len,
            by_val,
            t.category.to_string(),
            "-",
            0,
            t.array_oid,
            format!("{}in", t.name),
            format!("{}out", t.name),
            format!("{}recv", t.name),
            format!("{}send", t.name),
            align,
            storage,
            collation
        ])?;
        if t.array_oid != 0 {
            ty.execute(params![
                t.array_oid,
                format!("_{}", t.name),
                -1,
                false,
                "A",
                "array_subscript_handler",
                t.oid,
                0,
                "array_in",
                "array_out",
                "array_recv",
                "array_send",
                align,
                "x",
                collation
            ])?;
        }
    }
    conn.execute(
        "INSERT INTO _pgshape_pg_database VALUES (?1, ?2, 10, 6, 'c', 0, 1, -1, 0, 0, 1663, \
         'C.UTF-8', 'C.UTF-8', NULL, NULL, NULL)",
        params![DATABASE_OID, cx.database],
    )?;
    conn.execute(
        "INSERT INTO _pgshape_pg_roles VALUES (?1, 1, 1, 1, 1, 1, 0, -1, '********', NULL, 0, \
         NULL, 10)",
        params![cx.user],
    )?;
    conn.execute(
        "INSERT INTO _pgshape_pg_user VALUES (?1, 10, 1, 1, 0, 0, '********', NULL, NULL)",
        params![cx.user],
    )?;
    conn.execute_batch(
        "INSERT INTO _pgshape_pg_am VALUES (2, 'heap', 'heap_tableam_handler', 't'), \
           (403, 'btree', 'bthandler', 'i'), (405, 'hash', 'hashhandler', 'i'), \
           (783, 'gist', 'gisthandler', 'i'), (2742, 'gin', 'ginhandler', 'i'), \
           (4000, 'spgist', 'spghandler', 'i'), (3580, 'brin', 'brinhandler', 'i');
         INSERT INTO _pgshape_pg_collation VALUES \
           (100, 'default', 11, 10, 'd', 1, -1, NULL, NULL, NULL, NULL), \
           (950, 'C', 11, 10, 'c', 1, -1, 'C', 'C', NULL, NULL), \
           (951, 'POSIX', 11, 10, 'c', 1, -1, 'POSIX', 'POSIX', NULL, NULL);
         INSERT INTO _pgshape_pg_tablespace VALUES (1663, 'pg_default', 10, NULL, NULL), \
           (1664, 'pg_global', 10, NULL, NULL);",
    )?;
    let mut set = conn.prepare(
        "INSERT INTO _pgshape_pg_settings VALUES (?1, ?2, NULL, 'ArticDBM', ?1, NULL, 'user', \
         'string', 'default', NULL, NULL, NULL, ?2, ?2, NULL, NULL, 0)",
    )?;
    for (name, value) in settings::SETTINGS {
        set.execute(params![name, value])?;
    }
    Ok(())
}
