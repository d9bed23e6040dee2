//! [`SqliteDatabase`]: one configured SQLite database. It owns the file's writer lock and a
//! bounded set of connections, each on its own worker thread; sessions check a connection out
//! for a transaction (or a single statement in autocommit mode) and give it back afterwards,
//! so many client sessions share `max_connections` connections.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use articdbm_config::SqliteSettings;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::{ErrorClass, SqliteError};
use super::interrupt::Interrupter;
use super::open::open;
use super::session::SqliteSession;
use super::worker::{self, Request, Worker};
use super::writer::WriterLock;

/// One connection's way in: its request channel and its interrupter.
pub(crate) struct WorkerHandle {
    pub sender: Sender<Request>,
    pub interrupt: Arc<Interrupter>,
}

/// One embedded SQLite database (a file), shared by every session that uses it.
pub struct SqliteDatabase {
    name: String,
    settings: SqliteSettings,
    writer: Arc<WriterLock>,
    idle: Mutex<Vec<WorkerHandle>>,
    permits: Arc<Semaphore>,
    open: AtomicUsize,
    next_cursor: AtomicU64,
    counters: Counters,
}

/// Process-lifetime counters of one database's connections.
#[derive(Debug, Default)]
struct Counters {
    checkouts: AtomicU64,
    waits: AtomicU64,
    timeouts: AtomicU64,
    connects: AtomicU64,
    connect_errors: AtomicU64,
}

impl std::fmt::Debug for SqliteDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDatabase")
            .field("name", &self.name)
            .field("path", &self.settings.path)
            .finish_non_exhaustive()
    }
}

/// What the admin console shows about a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteStats {
    /// Connections open (idle or checked out).
    pub connections: usize,
    /// Connections idle.
    pub idle: usize,
    /// Connections checked out by sessions.
    pub in_use: usize,
    /// Writers waiting for the writer lock.
    pub writers_waiting: usize,
    /// Connections handed to sessions so far.
    pub checkouts: u64,
    /// Checkouts that had to wait for a connection.
    pub waits: u64,
    /// Checkouts that gave up after the busy timeout.
    pub timeouts: u64,
    /// Connections opened.
    pub connects: u64,
    /// Connections that failed to open.
    pub connect_errors: u64,
}

impl SqliteDatabase {
    /// Opens (creating it and its directory when missing) the database file: switches it to
    /// WAL and opens a first connection, so that a bad path or a file that is not a database
    /// is reported here. Blocks (file I/O): call it at start, on reload or from
    /// `spawn_blocking`.
    pub fn open(name: &str, settings: &SqliteSettings) -> Result<Arc<Self>, SqliteError> {
        if let Some(dir) = settings.path.parent()
            && !dir.as_os_str().is_empty()
        {
            super::private_files::create_dir(dir).map_err(|e| {
                SqliteError::new(
                    ErrorClass::Other,
                    format!("cannot create {}: {e}", dir.display()),
                )
            })?;
        }
        super::private_files::create_file(&settings.path).map_err(|e| {
            SqliteError::new(
                ErrorClass::Other,
                format!("cannot create {}: {e}", settings.path.display()),
            )
        })?;
        let db = Arc::new(SqliteDatabase {
            name: name.to_owned(),
            settings: settings.clone(),
            writer: Arc::default(),
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(settings.max_connections as usize)),
            open: AtomicUsize::new(0),
            next_cursor: AtomicU64::new(1),
            counters: Counters::default(),
        });
        let first = db.start_worker()?;
        db.idle_list().push(first);
        Ok(db)
    }

    /// The `[databases]` key of this database.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn settings(&self) -> &SqliteSettings {
        &self.settings
    }

    /// A new session on this database. No connection is taken until its first statement.
    pub fn session(self: &Arc<Self>) -> SqliteSession {
        SqliteSession::new(Arc::clone(self))
    }

    pub fn stats(&self) -> SqliteStats {
        let connections = self.open.load(Ordering::Relaxed);
        let idle = self.idle_list().len();
        SqliteStats {
            connections,
            idle,
            in_use: connections.saturating_sub(idle),
            writers_waiting: self.writer.waiting(),
            checkouts: self.counters.checkouts.load(Ordering::Relaxed),
            waits: self.counters.waits.load(Ordering::Relaxed),
            timeouts: self.counters.timeouts.load(Ordering::Relaxed),
            connects: self.counters.connects.load(Ordering::Relaxed),
            connect_errors: self.counters.connect_errors.load(Ordering::Relaxed),
        }
    }

    fn idle_list(&self) -> std::sync::MutexGuard<'_, Vec<WorkerHandle>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn next_cursor(&self) -> u64 {
        self.next_cursor.fetch_add(1, Ordering::Relaxed)
    }

    /// Opens a connection and starts its worker thread (blocking).
    fn start_worker(&self) -> Result<WorkerHandle, SqliteError> {
        let opened = open(&self.settings.path, self.settings.busy_timeout, &self.name)
            .inspect_err(|_| {
                self.counters.connect_errors.fetch_add(1, Ordering::Relaxed);
            })?;
        let interrupt = Arc::new(Interrupter::new(
            opened.conn.get_interrupt_handle(),
            Arc::clone(&opened.sleep_gate),
        ));
        let worker = Worker::new(
            opened,
            Arc::clone(&self.writer),
            self.settings.busy_timeout,
            self.name.clone(),
        );
        let sender = worker::spawn(worker, &self.name).map_err(|e| {
            SqliteError::new(ErrorClass::Other, format!("cannot start a thread: {e}"))
        })?;
        self.open.fetch_add(1, Ordering::Relaxed);
        self.counters.connects.fetch_add(1, Ordering::Relaxed);
        Ok(WorkerHandle { sender, interrupt })
    }

    /// A connection for a session: an idle one, or a new one while fewer than
    /// `max_connections` are open; waits up to the busy timeout for one to come free.
    pub(crate) async fn checkout(self: &Arc<Self>) -> Result<Checkout, SqliteError> {
        self.counters.checkouts.fetch_add(1, Ordering::Relaxed);
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                self.counters.waits.fetch_add(1, Ordering::Relaxed);
                tokio::time::timeout(
                    self.settings.busy_timeout,
                    Arc::clone(&self.permits).acquire_owned(),
                )
                .await
                .map_err(|_| {
                    self.counters.timeouts.fetch_add(1, Ordering::Relaxed);
                    SqliteError::busy("a free connection")
                })?
                .map_err(|_| SqliteError::gone())?
            }
        };
        let handle = self.idle_list().pop();
        let handle = match handle {
            Some(h) => h,
            None => {
                let db = Arc::clone(self);
                tokio::task::spawn_blocking(move || db.start_worker())
                    .await
                    .map_err(|_| SqliteError::gone())??
            }
        };
        Ok(Checkout {
            db: Arc::clone(self),
            handle: Some(handle),
            _permit: permit,
        })
    }
}

/// A connection checked out by a session; back to the idle list on drop.
pub(crate) struct Checkout {
    db: Arc<SqliteDatabase>,
    handle: Option<WorkerHandle>,
    _permit: OwnedSemaphorePermit,
}

impl Checkout {
    pub(crate) fn handle(&self) -> Option<&WorkerHandle> {
        self.handle.as_ref()
    }

    /// The worker died (a panic): close it instead of handing it out again.
    pub(crate) fn discard(mut self) {
        if self.handle.take().is_some() {
            self.db.open.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.db.idle_list().push(handle);
        }
    }
}
