//! [`SqliteSession`]: one client session on an SQLite database, and [`Execution`], the
//! running result of one statement.
//!
//! A session holds a connection only while it needs one: from its first statement until the
//! connection is back in autocommit mode with no open cursor (transaction pooling), unless the
//! session made TEMP objects, which live on one connection (then it keeps it). The front end
//! calls [`SqliteSession::release_idle`] whenever it is between requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc::Sender};

use tokio::sync::oneshot;

use super::database::{Checkout, SqliteDatabase};
use super::error::SqliteError;
use super::interrupt::Interrupter;
use super::value::{ColumnMeta, Description, Done, Row, Value};
use super::worker::{Batch, Request, Started, Status};

/// State shared by a session and its executions.
#[derive(Debug, Default)]
struct Shared {
    in_transaction: AtomicBool,
    pinned: AtomicBool,
    open_cursors: AtomicUsize,
}

impl Shared {
    fn update(&self, status: Status) {
        self.in_transaction
            .store(status.in_transaction, Ordering::Release);
        if status.pinned {
            self.pinned.store(true, Ordering::Release);
        }
    }
}

/// Interrupts the statement a session is running, from any thread (a cancel request,
/// `KILL QUERY`). Does nothing while the session holds no connection.
#[derive(Clone, Default)]
pub struct Canceller {
    current: Arc<Mutex<Option<Arc<Interrupter>>>>,
}

impl std::fmt::Debug for Canceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canceller").finish_non_exhaustive()
    }
}

impl Canceller {
    pub fn cancel(&self) {
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(handle) = current.as_ref() {
            handle.interrupt();
        }
    }

    fn set(&self, handle: Option<Arc<Interrupter>>) {
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = handle;
    }
}

/// One client session on a [`SqliteDatabase`].
pub struct SqliteSession {
    db: Arc<SqliteDatabase>,
    checkout: Option<Checkout>,
    shared: Arc<Shared>,
    canceller: Canceller,
    user: Option<String>,
}

impl std::fmt::Debug for SqliteSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteSession")
            .field("db", &self.db.name())
            .field("attached", &self.checkout.is_some())
            .finish_non_exhaustive()
    }
}

impl SqliteSession {
    pub(crate) fn new(db: Arc<SqliteDatabase>) -> Self {
        SqliteSession {
            db,
            checkout: None,
            shared: Arc::default(),
            canceller: Canceller::default(),
            user: None,
        }
    }

    /// The client's user name, reported by `current_user` and the catalog views (set it
    /// once, before the first statement).
    pub fn set_user(&mut self, user: &str) {
        self.user = Some(user.to_owned());
    }

    pub fn database(&self) -> &Arc<SqliteDatabase> {
        &self.db
    }

    /// Whether a transaction is open (`BEGIN` given and not yet ended).
    pub fn in_transaction(&self) -> bool {
        self.shared.in_transaction.load(Ordering::Acquire)
    }

    /// The handle that interrupts this session's running statement.
    pub fn canceller(&self) -> Canceller {
        self.canceller.clone()
    }

    /// Prepares `sql` (one statement, SQLite dialect) and tells its parameters and columns.
    pub async fn describe(&mut self, sql: &str) -> Result<Description, SqliteError> {
        let sender = self.attach().await?;
        let (reply, rx) = oneshot::channel();
        let sent = sender.send(Request::Describe {
            sql: sql.to_owned(),
            reply,
        });
        let result = self.await_reply(sent.is_ok(), rx).await;
        self.release_idle();
        result
    }

    /// Runs `sql` (one statement, SQLite dialect) with `params` bound to `?1`, `?2`, ...
    /// Transaction statements (`BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`, `RELEASE`,
    /// `ROLLBACK TO`) are handled as the module docs of `worker` describe; `COMMIT` or
    /// `ROLLBACK` without a transaction, and `BEGIN` within one, succeed doing nothing (the
    /// front end may warn as its server would).
    pub async fn execute(
        &mut self,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Execution, SqliteError> {
        let sender = self.attach().await?;
        let cursor = self.db.next_cursor();
        let (reply, rx) = oneshot::channel();
        let sent = sender.send(Request::Execute {
            sql: sql.to_owned(),
            params,
            cursor,
            reply,
        });
        let started: Started = match self.await_reply(sent.is_ok(), rx).await {
            Ok(s) => s,
            Err(e) => {
                self.release_idle();
                return Err(e);
            }
        };
        self.shared.update(started.first.status);
        let open = started.first.done.is_none();
        if open {
            self.shared.open_cursors.fetch_add(1, Ordering::AcqRel);
        }
        let execution = Execution {
            columns: started.columns,
            readonly: started.readonly,
            pending: Some(started.first.rows),
            done: started.first.done,
            cursor: open.then(|| OpenCursor {
                id: cursor,
                sender: sender.clone(),
                shared: Arc::clone(&self.shared),
                ended: false,
            }),
        };
        self.release_idle();
        Ok(execution)
    }

    /// Rolls back whatever is open and gives the connection back (session end, `DISCARD
    /// ALL`, a MySQL `COM_RESET_CONNECTION` or change of user). Open executions end.
    pub async fn reset(&mut self) {
        if let Some(sender) = self
            .checkout
            .as_ref()
            .and_then(|c| c.handle())
            .map(|h| h.sender.clone())
        {
            let (reply, rx) = oneshot::channel();
            if sender.send(Request::Reset { reply: Some(reply) }).is_ok()
                && let Ok(status) = rx.await
            {
                self.shared.update(status);
            }
        }
        self.shared.in_transaction.store(false, Ordering::Release);
        self.shared.pinned.store(false, Ordering::Release);
        self.shared.open_cursors.store(0, Ordering::Release);
        self.detach();
    }

    /// Gives the connection back when the session no longer needs it: no transaction, no
    /// open cursor, no TEMP objects. Cheap; call it between requests.
    pub fn release_idle(&mut self) {
        let shared = &self.shared;
        if self.checkout.is_some()
            && !shared.in_transaction.load(Ordering::Acquire)
            && !shared.pinned.load(Ordering::Acquire)
            && shared.open_cursors.load(Ordering::Acquire) == 0
        {
            self.detach();
        }
    }

    fn detach(&mut self) {
        self.canceller.set(None);
        self.checkout = None;
    }

    /// The request channel of this session's connection, checking one out if needed.
    async fn attach(&mut self) -> Result<Sender<Request>, SqliteError> {
        if self.checkout.is_none() {
            let checkout = self.db.checkout().await?;
            if let (Some(user), Some(handle)) = (&self.user, checkout.handle()) {
                let _ = handle.sender.send(Request::SetUser { user: user.clone() });
            }
            self.canceller
                .set(checkout.handle().map(|h| Arc::clone(&h.interrupt)));
            self.checkout = Some(checkout);
        }
        self.checkout
            .as_ref()
            .and_then(|c| c.handle())
            .map(|h| h.sender.clone())
            .ok_or_else(SqliteError::gone)
    }

    async fn await_reply<T>(
        &mut self,
        sent: bool,
        rx: oneshot::Receiver<Result<T, SqliteError>>,
    ) -> Result<T, SqliteError> {
        let reply = if sent { rx.await.ok() } else { None };
        match reply {
            Some(result) => result,
            None => {
                // The worker thread ended (it only does on a panic): drop that connection.
                self.canceller.set(None);
                if let Some(c) = self.checkout.take() {
                    c.discard();
                }
                self.shared.in_transaction.store(false, Ordering::Release);
                Err(SqliteError::gone())
            }
        }
    }
}

impl Drop for SqliteSession {
    fn drop(&mut self) {
        // The connection goes back after the worker rolled back what this session left open;
        // the Reset is queued before any request of the connection's next session.
        if let Some(handle) = self.checkout.as_ref().and_then(|c| c.handle()) {
            let status = Status {
                in_transaction: self.shared.in_transaction.load(Ordering::Acquire),
                pinned: self.shared.pinned.load(Ordering::Acquire),
            };
            if status.in_transaction
                || status.pinned
                || self.shared.open_cursors.load(Ordering::Acquire) > 0
            {
                let _ = handle.sender.send(Request::Reset { reply: None });
            }
        }
        if self.shared.pinned.load(Ordering::Acquire)
            && let Some(c) = self.checkout.take()
        {
            // TEMP objects of this session must not reach the next one: close the connection.
            c.discard();
        }
    }
}

/// An open cursor of an execution; closed on drop.
struct OpenCursor {
    id: u64,
    sender: Sender<Request>,
    shared: Arc<Shared>,
    /// The worker finished it already (last batch or error): nothing to close there.
    ended: bool,
}

impl Drop for OpenCursor {
    fn drop(&mut self) {
        if !self.ended {
            let _ = self.sender.send(Request::Close { cursor: self.id });
        }
        self.shared.open_cursors.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The result of one statement: its columns, then its rows in batches, then how it ended.
/// Dropping it before the end closes the statement (an autocommit write is then committed
/// with the rows it made so far, as SQLite does when a statement is reset).
pub struct Execution {
    columns: Vec<ColumnMeta>,
    readonly: bool,
    pending: Option<Vec<Row>>,
    done: Option<Done>,
    cursor: Option<OpenCursor>,
}

impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execution")
            .field("columns", &self.columns)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Execution {
    /// The result columns (empty for a statement without rows).
    pub fn columns(&self) -> &[ColumnMeta] {
        &self.columns
    }

    /// Whether SQLite judged the statement read-only.
    pub fn readonly(&self) -> bool {
        self.readonly
    }

    /// The next batch of rows (never empty), `None` after the last one. An error (a
    /// constraint failing on a later row, an interrupt) ends the execution.
    pub async fn next_batch(&mut self) -> Option<Result<Vec<Row>, SqliteError>> {
        if let Some(rows) = self.pending.take()
            && !rows.is_empty()
        {
            return Some(Ok(rows));
        }
        let cursor = self.cursor.as_ref()?;
        let (reply, rx) = oneshot::channel();
        if cursor
            .sender
            .send(Request::Fetch {
                cursor: cursor.id,
                reply,
            })
            .is_err()
        {
            self.cursor = None;
            return Some(Err(SqliteError::gone()));
        }
        let result = rx.await.unwrap_or_else(|_| Err(SqliteError::gone()));
        match result {
            Ok(Batch { rows, done, status }) => {
                if let Some(c) = self.cursor.as_ref() {
                    c.shared.update(status);
                }
                if done.is_some() {
                    self.done = done;
                    self.close_cursor();
                }
                if rows.is_empty() {
                    None
                } else {
                    Some(Ok(rows))
                }
            }
            Err(e) => {
                self.close_cursor();
                Some(Err(e))
            }
        }
    }

    /// How the statement ended; `Some` once every row was read.
    pub fn done(&self) -> Option<Done> {
        self.done
    }

    /// Reads the rest and returns how the statement ended.
    pub async fn finish(&mut self) -> Result<Done, SqliteError> {
        while let Some(batch) = self.next_batch().await {
            batch?;
        }
        self.done.ok_or_else(SqliteError::gone)
    }

    /// The cursor ended on the worker's side (last batch or error): no Close needed, but the
    /// count of open cursors goes down.
    fn close_cursor(&mut self) {
        if let Some(mut cursor) = self.cursor.take() {
            cursor.ended = true;
        }
    }
}
