//! A worker: one OS thread that owns one SQLite connection and runs every statement of it, so
//! no statement ever runs on the async runtime. Sessions send it [`Request`]s over a channel
//! and await the reply; rows come in bounded batches on request (a cursor), so a large result
//! never sits in memory whole.
//!
//! The worker also keeps the connection's transaction state and the writer lock:
//! - `BEGIN` is only noted; the first statement after it starts the real transaction, as
//!   `BEGIN DEFERRED` when it reads, or as `BEGIN IMMEDIATE` under the writer lock when it
//!   writes. `BEGIN IMMEDIATE|EXCLUSIVE` takes the lock at once.
//! - A writing statement outside a transaction takes the writer lock for its duration.
//! - The first write of a transaction that has only read so far takes the writer lock, ends
//!   the read snapshot and continues as `BEGIN IMMEDIATE`: like PostgreSQL's default READ
//!   COMMITTED, the write sees what others committed meanwhile, instead of failing because
//!   the snapshot is stale. After a SAVEPOINT the snapshot cannot be renewed (the savepoint
//!   would be lost): then SQLite may refuse the write with BUSY_SNAPSHOT, error class
//!   `SerializationFailure` (retry the transaction).
//! - The lock is let go as soon as the connection is back in autocommit mode.
//!
//! One cursor streams at a time. A request for anything else while a cursor is open reads the
//! rest of that cursor into memory first ("parks" it), so interleaved portals still work;
//! only that case holds a whole result in memory.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use rusqlite::{Connection, Rows};
use tokio::sync::oneshot;

use super::error::{ErrorClass, SqliteError};
use super::interrupt::SleepGate;
use super::open::{Opened, temp_objects};
use super::txcontrol::{self, TxControl};
use super::value::{ColumnMeta, Description, Done, Row, Value};
use super::writer::{WriterGuard, WriterLock};

/// Rows per batch at most.
pub(crate) const BATCH_ROWS: usize = 512;
/// Bytes of values per batch at most (a batch has at least one row, however large).
pub(crate) const BATCH_BYTES: usize = 1 << 20;

pub(crate) type Reply<T> = oneshot::Sender<Result<T, SqliteError>>;

/// What a session asks of its worker.
pub(crate) enum Request {
    Describe {
        sql: String,
        reply: Reply<Description>,
    },
    /// Runs a statement and returns its first batch; `cursor` names the rest.
    Execute {
        sql: String,
        params: Vec<Value>,
        cursor: u64,
        reply: Reply<Started>,
    },
    /// The next batch of an open cursor.
    Fetch { cursor: u64, reply: Reply<Batch> },
    /// Forget a cursor (the statement is reset; an autocommit write is committed).
    Close { cursor: u64 },
    /// The session ends or resets: roll back, forget everything.
    Reset {
        reply: Option<oneshot::Sender<Status>>,
    },
    /// The user `current_user` and the catalog report from now on.
    SetUser { user: String },
}

/// The connection's state after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Status {
    /// A transaction is open (or a BEGIN is pending).
    pub in_transaction: bool,
    /// The session made TEMP objects: the connection must stay with it.
    pub pinned: bool,
}

/// Reply to Execute.
#[derive(Debug)]
pub(crate) struct Started {
    pub columns: Vec<ColumnMeta>,
    pub readonly: bool,
    pub first: Batch,
}

/// Some rows of a cursor; `done` on the last batch.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub rows: Vec<Row>,
    pub done: Option<Done>,
    pub status: Status,
}

/// A cursor read to its end because something else was asked while it was open.
struct Parked {
    rows: VecDeque<Row>,
    end: Result<Done, SqliteError>,
}

/// The connection and its transaction state.
pub(crate) struct Worker {
    conn: Connection,
    temp_baseline: i64,
    sleep_gate: Arc<SleepGate>,
    lock: Arc<WriterLock>,
    busy_timeout: Duration,
    writer: Option<WriterGuard>,
    pending_begin: bool,
    /// The open transaction has run a writing statement.
    wrote: bool,
    /// The open transaction has a savepoint.
    savepoints: bool,
    pinned: bool,
    parked: HashMap<u64, Parked>,
    database: String,
    user: String,
}

impl Worker {
    pub(crate) fn new(
        opened: Opened,
        lock: Arc<WriterLock>,
        busy_timeout: Duration,
        database: String,
    ) -> Self {
        Worker {
            database,
            user: super::open::DEFAULT_USER.to_owned(),
            conn: opened.conn,
            temp_baseline: opened.temp_baseline,
            sleep_gate: opened.sleep_gate,
            lock,
            busy_timeout,
            writer: None,
            pending_begin: false,
            wrote: false,
            savepoints: false,
            pinned: false,
            parked: HashMap::new(),
        }
    }

    /// Serves requests until every sender is gone, then rolls back what is open.
    pub(crate) fn run(mut self, rx: Receiver<Request>) {
        let mut next: Option<Request> = None;
        loop {
            let request = match next.take() {
                Some(r) => r,
                None => match rx.recv() {
                    Ok(r) => r,
                    Err(_) => break,
                },
            };
            next = self.handle(request, &rx);
        }
        self.reset();
    }

    fn status(&self) -> Status {
        Status {
            in_transaction: self.pending_begin || !self.conn.is_autocommit(),
            pinned: self.pinned,
        }
    }

    /// Handles one request; returns a request that arrived while a cursor streamed.
    fn handle(&mut self, request: Request, rx: &Receiver<Request>) -> Option<Request> {
        match request {
            Request::Describe { sql, reply } => {
                let _ = reply.send(describe(&self.conn, &sql));
                None
            }
            Request::Execute {
                sql,
                params,
                cursor,
                reply,
            } => self.execute(&sql, &params, cursor, reply, rx),
            Request::Fetch { cursor, reply } => {
                let _ = reply.send(self.fetch_parked(cursor));
                None
            }
            Request::Close { cursor } => {
                self.parked.remove(&cursor);
                None
            }
            Request::SetUser { user } => {
                if user != self.user {
                    match super::open::install(&self.conn, &self.database, &user) {
                        Ok(()) => self.user = user,
                        Err(e) => tracing::warn!(error = %e, "sqlite: cannot set the session user"),
                    }
                }
                None
            }
            Request::Reset { reply } => {
                self.reset();
                if let Some(reply) = reply {
                    let _ = reply.send(self.status());
                }
                None
            }
        }
    }

    fn fetch_parked(&mut self, cursor: u64) -> Result<Batch, SqliteError> {
        let Some(parked) = self.parked.get_mut(&cursor) else {
            return Err(SqliteError::new(
                ErrorClass::Other,
                "the cursor is closed (its transaction ended)",
            ));
        };
        let mut batch = Batch::default();
        let mut bytes = 0;
        while batch.rows.len() < BATCH_ROWS && bytes < BATCH_BYTES {
            let Some(row) = parked.rows.pop_front() else {
                break;
            };
            bytes += row.iter().map(Value::size).sum::<usize>();
            batch.rows.push(row);
        }
        if parked.rows.is_empty()
            && let Some(parked) = self.parked.remove(&cursor)
        {
            batch.done = Some(parked.end?);
        }
        batch.status = self.status();
        Ok(batch)
    }

    /// Back to a clean autocommit connection: roll back, forget cursors and pending BEGIN.
    fn reset(&mut self) {
        self.parked.clear();
        self.pending_begin = false;
        if !self.conn.is_autocommit()
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "sqlite: rollback at session end failed");
        }
        self.settle();
    }

    /// Lets go of the writer lock once no transaction is open.
    fn settle(&mut self) {
        if !self.pending_begin && self.conn.is_autocommit() {
            self.writer = None;
            self.wrote = false;
            self.savepoints = false;
        }
    }

    fn take_writer(&mut self) -> Result<(), SqliteError> {
        if self.writer.is_none() {
            self.writer = Some(
                self.lock
                    .acquire(self.busy_timeout)
                    .ok_or_else(|| SqliteError::busy("the writer lock"))?,
            );
        }
        Ok(())
    }

    fn execute(
        &mut self,
        sql: &str,
        params: &[Value],
        cursor: u64,
        reply: Reply<Started>,
        rx: &Receiver<Request>,
    ) -> Option<Request> {
        self.sleep_gate.clear();
        if let Some(control) = txcontrol::classify(sql) {
            let result = self.transaction_control(control, sql).map(|()| Started {
                columns: Vec::new(),
                readonly: true,
                first: Batch {
                    rows: Vec::new(),
                    done: Some(Done::default()),
                    status: self.status(),
                },
            });
            let _ = reply.send(result);
            return None;
        }
        // The statement borrows the connection; the transaction state is in the other fields.
        let Worker {
            conn,
            lock,
            busy_timeout,
            writer,
            pending_begin,
            wrote,
            savepoints,
            ..
        } = self;
        let conn: &Connection = conn;
        let mut stmt = match conn.prepare_cached(sql) {
            Ok(s) => s,
            Err(e) => {
                let _ = reply.send(Err(e.into()));
                return None;
            }
        };
        let readonly = stmt.readonly();
        let holds_writer = writer.is_some();
        let mut take_writer = || -> Result<(), SqliteError> {
            if writer.is_none() {
                *writer = Some(
                    lock.acquire(*busy_timeout)
                        .ok_or_else(|| SqliteError::busy("the writer lock"))?,
                );
            }
            Ok(())
        };
        let begun = if *pending_begin {
            let begin = if readonly {
                conn.execute_batch("BEGIN DEFERRED")
                    .map_err(SqliteError::from)
            } else {
                take_writer()
                    .and_then(|()| conn.execute_batch("BEGIN IMMEDIATE").map_err(Into::into))
            };
            if begin.is_ok() {
                *pending_begin = false;
            }
            begin
        } else if readonly {
            Ok(())
        } else if conn.is_autocommit() || *wrote || *savepoints || holds_writer {
            take_writer()
        } else {
            // The first write of a transaction that only read: renew its snapshot.
            take_writer().and_then(|()| {
                conn.execute_batch("COMMIT; BEGIN IMMEDIATE")
                    .map_err(Into::into)
            })
        };
        if !readonly && !conn.is_autocommit() {
            *wrote = true;
        }
        if let Err(e) = begun {
            drop(stmt);
            self.settle();
            let _ = reply.send(Err(e));
            return None;
        }
        if stmt.parameter_count() != params.len() {
            let e = SqliteError::new(
                ErrorClass::ParameterCount,
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    params.len(),
                    stmt.parameter_count()
                ),
            );
            drop(stmt);
            self.settle();
            let _ = reply.send(Err(e));
            return None;
        }
        stmt.clear_bindings();
        for (i, value) in params.iter().enumerate() {
            if let Err(e) = stmt.raw_bind_parameter(i + 1, value) {
                drop(stmt);
                self.settle();
                let _ = reply.send(Err(e.into()));
                return None;
            }
        }
        let columns: Vec<ColumnMeta> = stmt
            .columns()
            .into_iter()
            .map(|c| ColumnMeta {
                name: c.name().to_owned(),
                decl_type: c.decl_type().map(str::to_owned),
            })
            .collect();
        let width = columns.len();
        let before = conn.total_changes();
        let mut count = 0u64;
        let mut rows = stmt.raw_query();
        let first = read_batch(&mut rows, width, &mut count);
        let temp_hint = !readonly && contains_temp(sql);
        match first {
            Err(e) => {
                drop(rows);
                drop(stmt);
                self.after_statement(temp_hint);
                let _ = reply.send(Err(e));
                None
            }
            Ok((batch_rows, true)) => {
                drop(rows);
                drop(stmt);
                let done = done_of(conn, before, count);
                self.after_statement(temp_hint);
                let status = self.status();
                let _ = reply.send(Ok(Started {
                    columns,
                    readonly,
                    first: Batch {
                        rows: batch_rows,
                        done: Some(done),
                        status,
                    },
                }));
                None
            }
            Ok((batch_rows, false)) => {
                let status = Status {
                    in_transaction: *pending_begin || !conn.is_autocommit(),
                    pinned: self.pinned,
                };
                let started = Started {
                    columns,
                    readonly,
                    first: Batch {
                        rows: batch_rows,
                        done: None,
                        status,
                    },
                };
                if reply.send(Ok(started)).is_err() {
                    // The session stopped waiting (cancelled); nobody will fetch.
                    drop(rows);
                    drop(stmt);
                    self.after_statement(temp_hint);
                    return None;
                }
                let outcome = stream(conn, &mut rows, width, cursor, before, &mut count, rx);
                drop(rows);
                drop(stmt);
                match outcome {
                    Streamed::Finished { reply, result } => {
                        self.after_statement(temp_hint);
                        let status = self.status();
                        let _ = reply.send(result.map(|(rows, done)| Batch {
                            rows,
                            done: Some(done),
                            status,
                        }));
                        None
                    }
                    Streamed::Closed => {
                        self.after_statement(temp_hint);
                        None
                    }
                    Streamed::Parked { parked, next } => {
                        self.parked.insert(cursor, parked);
                        self.after_statement(temp_hint);
                        next
                    }
                    Streamed::Gone => None,
                }
            }
        }
    }

    /// After a statement finished (or failed): lock bookkeeping, TEMP objects check.
    fn after_statement(&mut self, temp_hint: bool) {
        if temp_hint && !self.pinned {
            self.pinned = temp_objects(&self.conn).is_ok_and(|n| n != self.temp_baseline);
        }
        self.settle();
    }

    fn transaction_control(&mut self, control: TxControl, sql: &str) -> Result<(), SqliteError> {
        let in_sqlite_tx = !self.conn.is_autocommit();
        let result = match control {
            TxControl::Begin { .. } if in_sqlite_tx || self.pending_begin => Ok(()),
            TxControl::Begin { immediate: false } => {
                self.pending_begin = true;
                Ok(())
            }
            TxControl::Begin { immediate: true } => {
                self.take_writer()?;
                self.conn.execute_batch(sql).map_err(Into::into)
            }
            TxControl::Commit | TxControl::Rollback if !in_sqlite_tx => {
                self.pending_begin = false;
                Ok(())
            }
            TxControl::Commit | TxControl::Rollback => {
                self.parked.clear();
                self.conn.execute_batch(sql).map_err(Into::into)
            }
            TxControl::Savepoint => {
                self.savepoints = true;
                if self.pending_begin {
                    self.conn.execute_batch("BEGIN DEFERRED")?;
                    self.pending_begin = false;
                }
                self.conn.execute_batch(sql).map_err(Into::into)
            }
            TxControl::Release | TxControl::RollbackTo => {
                self.conn.execute_batch(sql).map_err(Into::into)
            }
        };
        self.settle();
        result
    }
}

/// How streaming a cursor ended.
enum Streamed {
    /// The last batch was read for this Fetch.
    Finished {
        reply: Reply<Batch>,
        result: Result<(Vec<Row>, Done), SqliteError>,
    },
    /// The session closed the cursor.
    Closed,
    /// Another request came; the rest of the cursor is in memory.
    Parked {
        parked: Parked,
        next: Option<Request>,
    },
    /// The session is gone.
    Gone,
}

/// Serves Fetch requests of one open cursor until it ends or something else is asked.
fn stream(
    conn: &Connection,
    rows: &mut Rows<'_>,
    width: usize,
    cursor: u64,
    before: u64,
    count: &mut u64,
    rx: &Receiver<Request>,
) -> Streamed {
    loop {
        let Ok(request) = rx.recv() else {
            return Streamed::Gone;
        };
        match request {
            Request::Fetch { cursor: c, reply } if c == cursor => {
                match read_batch(rows, width, count) {
                    Ok((batch, false)) => {
                        let status = Status {
                            in_transaction: !conn.is_autocommit(),
                            pinned: false,
                        };
                        let _ = reply.send(Ok(Batch {
                            rows: batch,
                            done: None,
                            status,
                        }));
                    }
                    Ok((batch, true)) => {
                        return Streamed::Finished {
                            reply,
                            result: Ok((batch, done_of(conn, before, *count))),
                        };
                    }
                    Err(e) => {
                        return Streamed::Finished {
                            reply,
                            result: Err(e),
                        };
                    }
                }
            }
            Request::Close { cursor: c } if c == cursor => return Streamed::Closed,
            // The session ends: the rest of the rows is of no use to anyone.
            reset @ Request::Reset { .. } => {
                return Streamed::Parked {
                    parked: Parked {
                        rows: VecDeque::new(),
                        end: Ok(Done::default()),
                    },
                    next: Some(reset),
                };
            }
            other => {
                let mut parked = Parked {
                    rows: VecDeque::new(),
                    end: Ok(Done::default()),
                };
                loop {
                    match read_batch(rows, width, count) {
                        Ok((batch, finished)) => {
                            parked.rows.extend(batch);
                            if finished {
                                parked.end = Ok(done_of(conn, before, *count));
                                break;
                            }
                        }
                        Err(e) => {
                            parked.end = Err(e);
                            break;
                        }
                    }
                }
                let next = match other {
                    // A Reset drops what was parked anyway.
                    Request::Close { .. } => None,
                    other => Some(other),
                };
                return Streamed::Parked { parked, next };
            }
        }
    }
}

/// Reads up to a batch of rows; `true` when the statement is done.
fn read_batch(
    rows: &mut Rows<'_>,
    width: usize,
    count: &mut u64,
) -> Result<(Vec<Row>, bool), SqliteError> {
    let mut out = Vec::new();
    let mut bytes = 0;
    while out.len() < BATCH_ROWS && bytes < BATCH_BYTES {
        let Some(row) = rows.next()? else {
            return Ok((out, true));
        };
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            let value = Value::from_ref(row.get_ref(i)?);
            bytes += value.size();
            values.push(value);
        }
        *count += 1;
        out.push(values);
    }
    Ok((out, false))
}

/// The end of a statement: rows changed (only if it changed any: `changes()` alone would
/// report the previous statement's count after DDL), last rowid, rows returned.
fn done_of(conn: &Connection, total_before: u64, rows: u64) -> Done {
    let changes = if conn.total_changes() != total_before {
        conn.changes()
    } else {
        0
    };
    Done {
        changes,
        last_insert_rowid: conn.last_insert_rowid(),
        rows,
    }
}

fn describe(conn: &Connection, sql: &str) -> Result<Description, SqliteError> {
    if txcontrol::classify(sql).is_some() {
        return Ok(Description {
            param_count: 0,
            columns: Vec::new(),
            readonly: true,
        });
    }
    let stmt = conn.prepare_cached(sql)?;
    Ok(Description {
        param_count: stmt.parameter_count(),
        columns: stmt
            .columns()
            .into_iter()
            .map(|c| ColumnMeta {
                name: c.name().to_owned(),
                decl_type: c.decl_type().map(str::to_owned),
            })
            .collect(),
        readonly: stmt.readonly(),
    })
}

/// Whether a writing statement may have made TEMP objects (then the connection is checked).
fn contains_temp(sql: &str) -> bool {
    sql.as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"temp"))
}

/// Starts a worker thread for an opened connection; the sender is its only way in.
pub(crate) fn spawn(worker: Worker, name: &str) -> std::io::Result<Sender<Request>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(format!("sqlite-{name}"))
        .spawn(move || worker.run(rx))?;
    Ok(tx)
}
