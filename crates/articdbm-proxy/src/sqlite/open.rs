//! Opening one connection to a database file with the engine's settings: WAL journal,
//! `synchronous=NORMAL` (a committed transaction is in the WAL when COMMIT returns, so a
//! killed proxy loses nothing; only a power loss may take the last ones), the busy timeout,
//! foreign keys on, a bounded page cache, no memory-mapped I/O, a statement cache, the
//! PostgreSQL emulation of `translate::install` (functions and catalog views), and the
//! interruptible sleep functions of `interrupt`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use std::sync::Arc;

use super::error::{ErrorClass, SqliteError};
use super::interrupt::{self, SleepGate};

/// Page cache per connection, in KiB (`PRAGMA cache_size` takes negative KiB).
const CACHE_KIB: i64 = 8 * 1024;
/// Distinct prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;

/// An open connection and the number of TEMP objects it had after set-up (anything beyond
/// that was made by a client and ties the connection to that client's session).
pub(crate) struct Opened {
    pub conn: Connection,
    pub temp_baseline: i64,
    /// Where `pg_sleep`/`SLEEP` of this connection wait (opened by an interrupt).
    pub sleep_gate: Arc<SleepGate>,
}

/// User the catalog emulation reports until a session names its own.
pub(crate) const DEFAULT_USER: &str = "articdbm";

pub(crate) fn open(
    path: &Path,
    busy_timeout: Duration,
    database: &str,
) -> Result<Opened, SqliteError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| {
        SqliteError::new(
            ErrorClass::Other,
            format!("cannot open {}: {e}", path.display()),
        )
    })?;
    conn.busy_timeout(busy_timeout)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(SqliteError::new(
            ErrorClass::Other,
            format!(
                "{}: cannot use WAL (journal_mode is {mode})",
                path.display()
            ),
        ));
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-{CACHE_KIB}; \
         PRAGMA mmap_size=0; PRAGMA temp_store=FILE;"
    ))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    install(&conn, database, DEFAULT_USER)?;
    let sleep_gate = Arc::new(SleepGate::default());
    interrupt::register(&conn, &sleep_gate)?;
    let temp_baseline = temp_objects(&conn)?;
    Ok(Opened {
        conn,
        temp_baseline,
        sleep_gate,
    })
}

/// TEMP tables, views, indexes and triggers of the connection.
pub(crate) fn temp_objects(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM temp.sqlite_schema")?
        .query_row([], |r| r.get(0))
}

/// Registers the PostgreSQL functions and catalog views for `database` and `user` (again:
/// only the functions are replaced).
pub(crate) fn install(conn: &Connection, database: &str, user: &str) -> rusqlite::Result<()> {
    super::translate::install(
        conn,
        &super::translate::InstallContext {
            database: database.to_owned(),
            user: user.to_owned(),
        },
    )
}
