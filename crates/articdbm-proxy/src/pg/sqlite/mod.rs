//! The session loop of a PostgreSQL client on an embedded SQLite database. Login, TLS,
//! authentication and permissions are the front end's (see `pg::client`); from there this loop
//! reads frames from the same reused buffer, passes every Query and Parse through the
//! inspection seam exactly as the pooled session does, translates PostgreSQL to SQLite
//! (`sqlite::translate`) and answers with messages it builds itself: the simple protocol in
//! `simple`, the extended protocol in `extended`, result encoding in `results`, the commands
//! answered by the proxy (`SHOW`, `SET`...) in `local`, parameter types in `infer`.
//!
//! PostgreSQL transaction semantics on top of the engine: an error inside a transaction block
//! fails it (25P02 until ROLLBACK); an extended-protocol batch outside a block runs in an
//! implicit transaction that commits at Sync (rolled back when a message of it failed); a
//! simple query with several statements runs as one implicit transaction too.

mod extended;
mod infer;
mod local;
mod messages;
mod parameter_values;
mod results;
mod settings;
mod simple;
mod types;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use articdbm_wire_pg::backend::TransactionStatus;
use articdbm_wire_pg::backend::error_response::{Severity, write_error, write_notice};
use articdbm_wire_pg::backend::parameter_status::ParameterStatus;
use articdbm_wire_pg::frontend::tag as fe;
use articdbm_wire_pg::{Frame, FrameDecoder};
use bytes::BytesMut;
use tokio::io::AsyncReadExt;

use super::reply::sqlstate;
use super::session::Identity;
use crate::cancel::CancelHandle;
use crate::inspect::{StatementSource, Verdict, judge};
use crate::shutdown::{Shutdown, ShutdownPhase};
use crate::sqlite::{SqliteError, SqliteSession};
use crate::state::LiveState;
use crate::stream::ClientStream;

use extended::{Portal, Prepared};
use settings::Settings;

/// SQLSTATE of a statement refused in a failed transaction block.
const IN_FAILED_TRANSACTION: &str = "25P02";

/// Buffers grow for large messages; an idle session should not keep that memory.
const KEEP_BUFFER_BYTES: usize = 64 * 1024;
/// Replies are written to the client once this many bytes are queued (rows stream out).
const FLUSH_BYTES: usize = 256 * 1024;

/// Parse results by (statement text, the client's parameter types), with the schema version
/// they were made for.
type Analyses = HashMap<(String, Vec<u32>), (Arc<Prepared>, Option<i64>)>;

/// One PostgreSQL client session on an SQLite database.
pub struct SqliteFront {
    state: Arc<LiveState>,
    id: Identity,
    client: ClientStream,
    cbuf: BytesMut,
    out: BytesMut,
    decoder: FrameDecoder,
    session: SqliteSession,
    settings: Settings,
    statements: HashMap<Vec<u8>, Arc<Prepared>>,
    /// Parse results by (statement text, client's parameter types), with the schema version
    /// they were made for.
    analyses: Analyses,
    portals: HashMap<Vec<u8>, Portal>,
    /// An error inside a transaction block: everything but ROLLBACK fails until it ends.
    failed: bool,
    /// An extended-protocol message failed: ignore messages until Sync.
    skipping: bool,
    /// The engine transaction was opened by the proxy for an extended-protocol batch.
    implicit: bool,
    cancel: CancelHandle,
    shutdown: Shutdown,
    idle_timeout: Option<Duration>,
}

impl SqliteFront {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        state: Arc<LiveState>,
        id: Identity,
        client: ClientStream,
        cbuf: BytesMut,
        mut session: SqliteSession,
        startup: &[(String, String)],
        cancel: CancelHandle,
        shutdown: Shutdown,
    ) -> Self {
        let runtime = state.runtime();
        let proxy = &runtime.config.proxy;
        session.set_user(&id.user);
        let canceller = session.canceller();
        cancel.set_local(Some(Arc::new(move || canceller.cancel())));
        SqliteFront {
            decoder: FrameDecoder::new(proxy.max_client_message_bytes),
            idle_timeout: proxy.client_idle_timeout(),
            settings: Settings::new(&id.user, startup),
            state: Arc::clone(&state),
            id,
            client,
            cbuf,
            out: BytesMut::new(),
            session,
            statements: HashMap::new(),
            analyses: HashMap::new(),
            portals: HashMap::new(),
            failed: false,
            skipping: false,
            implicit: false,
            cancel,
            shutdown,
        }
    }

    /// Sends the login's ParameterStatus, BackendKeyData and ReadyForQuery, then serves.
    pub async fn run(mut self) {
        if let Some((code, message)) = self.settings.startup_error().cloned() {
            self.fatal(code, &message);
            let _ = self.flush().await;
            return;
        }
        for (name, value) in self.settings.reported() {
            ParameterStatus::write(&mut self.out, name, &value);
        }
        self.cancel.key.write(&mut self.out);
        TransactionStatus::Idle.write(&mut self.out);
        if self.flush().await.is_err() {
            return;
        }
        self.serve().await;
        self.portals.clear();
        self.session.reset().await;
        self.cancel.set_local(None);
    }

    async fn serve(&mut self) {
        let signal = self.shutdown.session_signal();
        let mut draining = false;
        loop {
            let idle = !self.session.in_transaction() && !self.failed;
            if draining && idle {
                super::reply::terminate_for_shutdown(&mut self.client, &mut self.out).await;
                return;
            }
            let awaited = if draining {
                ShutdownPhase::Forced
            } else {
                ShutdownPhase::Draining
            };
            let idle_limit = self.idle_timeout.filter(|_| idle);
            tokio::select! {
                biased;
                r = self.client.read_buf(&mut self.cbuf) => {
                    match r {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    // A forced shutdown interrupts a statement still running.
                    let canceller = self.session.canceller();
                    let handled = {
                        let handling = self.on_client_data();
                        tokio::pin!(handling);
                        tokio::select! {
                            r = &mut handling => r,
                            () = signal.reached(ShutdownPhase::Forced) => {
                                canceller.cancel();
                                handling.await
                            }
                        }
                    };
                    match handled {
                        Ok(true) => {}
                        Ok(false) => {
                            let _ = self.flush().await;
                            return;
                        }
                        Err(_) => return,
                    }
                }
                () = signal.reached(awaited) => {
                    if draining {
                        super::reply::terminate_for_shutdown(&mut self.client, &mut self.out).await;
                        return;
                    }
                    draining = true;
                }
                () = sleep_opt(idle_limit) => {
                    super::reply::fatal(&mut self.client, sqlstate::IDLE_SESSION_TIMEOUT,
                        "terminating connection due to idle-session timeout").await;
                    return;
                }
            }
            // Cut off by a forced shutdown: the client gets 57P01, not what was queued.
            if self.shutdown.phase() == ShutdownPhase::Forced {
                super::reply::terminate_for_shutdown(&mut self.client, &mut self.out).await;
                return;
            }
            if self.flush().await.is_err() {
                return;
            }
        }
    }

    /// Handles every whole frame in the buffer. `Ok(false)` ends the session.
    async fn on_client_data(&mut self) -> std::io::Result<bool> {
        loop {
            let frame = match self.decoder.decode(&mut self.cbuf) {
                Ok(Some(f)) => f,
                Ok(None) => return Ok(true),
                Err(e) => {
                    self.fatal(sqlstate::PROTOCOL_VIOLATION, &e.to_string());
                    return Ok(false);
                }
            };
            match self.on_frame(frame).await {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(message) => {
                    self.fatal(sqlstate::PROTOCOL_VIOLATION, &message);
                    return Ok(false);
                }
            }
            if self.out.len() >= FLUSH_BYTES {
                self.flush().await?;
            }
        }
    }

    /// One message. `Ok(false)` ends the session, `Err` is a protocol violation.
    async fn on_frame(&mut self, frame: Frame) -> Result<bool, String> {
        match frame.tag() {
            fe::QUERY => self.on_query(&frame).await?,
            fe::TERMINATE => return Ok(false),
            fe::SYNC => self.on_sync().await,
            fe::FLUSH => {}
            fe::PARSE | fe::BIND | fe::DESCRIBE | fe::EXECUTE | fe::CLOSE => {
                if !self.skipping {
                    self.on_extended(&frame).await?;
                }
            }
            fe::FUNCTION_CALL => {
                self.error(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    "the fast-path function call interface is not supported",
                );
                self.ready();
            }
            fe::COPY_DATA | fe::COPY_DONE | fe::COPY_FAIL => {}
            other => return Err(format!("invalid frontend message type {}", other as char)),
        }
        Ok(true)
    }

    /// The inspection seam, as in the pooled session.
    fn inspect(&self, sql: &str, source: StatementSource) -> Verdict {
        judge(&self.state, &self.id.statement(sql, source))
    }

    /// Transaction status for ReadyForQuery.
    fn status(&self) -> TransactionStatus {
        if self.failed {
            TransactionStatus::Failed
        } else if self.session.in_transaction() && !self.implicit {
            TransactionStatus::InTransaction
        } else {
            TransactionStatus::Idle
        }
    }

    fn ready(&mut self) {
        self.session.release_idle();
        self.status().write(&mut self.out);
    }

    fn error(&mut self, code: &str, message: &str) {
        write_error(&mut self.out, Severity::Error, code, message);
    }

    fn warning(&mut self, code: &str, message: &str) {
        write_notice(&mut self.out, Severity::Warning, code, message);
    }

    fn fatal(&mut self, code: &str, message: &str) {
        write_error(&mut self.out, Severity::Fatal, code, message);
    }

    /// Reports an engine error; inside a transaction block the block fails.
    fn engine_error(&mut self, e: &SqliteError) {
        self.refuse(e.sqlstate(), &e.message);
    }

    /// An error for a statement that failed or was refused (an inspection verdict): inside an
    /// explicit transaction it fails the transaction (25P02 until ROLLBACK), as a server-side
    /// error does on PostgreSQL, so a partly refused transaction can never commit.
    fn refuse(&mut self, code: &str, message: &str) {
        self.error(code, message);
        if self.session.in_transaction() && !self.implicit {
            self.failed = true;
        }
    }

    /// The error for a statement in a failed transaction block.
    fn refuse_in_failed(&mut self) {
        self.error(
            IN_FAILED_TRANSACTION,
            "current transaction is aborted, commands ignored until end of transaction block",
        );
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if !self.out.is_empty() {
            self.client.send(&self.out).await?;
            self.out.clear();
        }
        shed(&mut self.out);
        if self.cbuf.is_empty() {
            shed(&mut self.cbuf);
        }
        Ok(())
    }
}

fn shed(buf: &mut BytesMut) {
    if buf.is_empty() && buf.capacity() > KEEP_BUFFER_BYTES {
        *buf = BytesMut::new();
    }
}

async fn sleep_opt(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
