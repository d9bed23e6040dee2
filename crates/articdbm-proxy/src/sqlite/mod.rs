//! The embedded SQLite backend: a database file served by the proxy itself, behind the same
//! front ends (PostgreSQL and MySQL), authentication, inspection and audit as the other
//! backends. The front ends decode the protocol and hand statements (SQLite dialect, one at a
//! time) and bound parameters to this engine; it answers with columns, rows and outcomes that
//! they encode.
//!
//! # Engine API (used by `pg::sqlite` and `mysql::sqlite`)
//!
//! - [`SqliteDatabase::open`]`(name, &SqliteSettings) -> Result<Arc<SqliteDatabase>>`: one per
//!   configured `kind = "sqlite"` database, opened at start or reload and held in
//!   [`LiveState`](crate::state::LiveState) ([`LiveState::sqlite`](crate::state::LiveState::sqlite)).
//!   The file is created if missing and put in WAL mode with `synchronous=NORMAL`, the busy
//!   timeout and `foreign_keys=ON`; every connection gets [`translate::install`].
//! - [`SqliteDatabase::session`]`() -> SqliteSession`: one per client session. It checks a
//!   connection out (at most `max_connections` per database, waiting up to the busy
//!   timeout) at its first statement and gives it back whenever it is idle (no transaction,
//!   no open cursor): call [`SqliteSession::release_idle`] between requests. A session that
//!   creates TEMP objects keeps its connection until it ends (the connection is then closed).
//!   [`SqliteSession::set_user`] names the client for `current_user` and the catalog.
//!   [`SqliteDatabase::stats`] feeds the admin console.
//! - [`SqliteSession::describe`]`(sql) -> Description { param_count, columns: [ColumnMeta {
//!   name, decl_type }], readonly }`.
//! - [`SqliteSession::execute`]`(sql, Vec<Value>) -> Execution`: parameters bind to `?1`,
//!   `?2`, ... in order. [`Execution::columns`], then [`Execution::next_batch`]`().await ->
//!   Option<Result<Vec<Row>>>` (bounded batches) until `None`, then [`Execution::done`]`() ->
//!   Some(Done { changes, last_insert_rowid, rows })`. [`Execution::finish`] does both.
//!   Dropping an `Execution` early closes its statement.
//! - Transactions: `BEGIN`/`START TRANSACTION`, `COMMIT`/`END`, `ROLLBACK`, `SAVEPOINT`,
//!   `RELEASE`, `ROLLBACK TO` go through `execute` like any statement ([`tx_control`] tells
//!   which they are); see `worker` for how BEGIN is deferred, how the writer lock
//!   ([`writer`]) queues writers, and how a read-started transaction renews its snapshot at
//!   its first write (READ COMMITTED, as PostgreSQL's default).
//!   [`SqliteSession::in_transaction`] tells the state for ReadyForQuery / server status.
//!   [`SqliteSession::reset`] rolls back and detaches (session reset).
//! - [`SqliteSession::canceller`]`() -> Canceller`: `cancel()` interrupts the running
//!   statement from any thread (error class `QueryCanceled`).
//! - Errors: [`SqliteError`] `{ class: ErrorClass, message }` with
//!   [`SqliteError::sqlstate`] (PostgreSQL) and [`SqliteError::mysql_code`] (MySQL).
//! - Values: [`Value`] `= Null | Integer(i64) | Real(f64) | Text(String) | Blob(Vec<u8>)`.
//!
//! Memory stays bounded: each connection has an 8 MiB page cache and no memory-mapped I/O;
//! rows cross from the worker thread in batches of at most 512 rows or 1 MiB. The one case
//! that holds a whole result is a cursor left open while its session runs another statement
//! (PostgreSQL portals interleaved in one transaction): its remaining rows are read into
//! memory first.

mod database;
mod error;
mod interrupt;
mod open;
mod private_files;
mod session;
pub mod translate;
mod txcontrol;
mod value;
mod worker;
pub mod writer;

pub use database::{SqliteDatabase, SqliteStats};
pub use error::{ErrorClass, SqliteError};
pub use session::{Canceller, Execution, SqliteSession};
pub use txcontrol::{TxControl, classify as tx_control};
pub use value::{ColumnMeta, Description, Done, Row, Value};
