//! The session loop of an authenticated PostgreSQL client. Frames come from one reused buffer;
//! messages carrying SQL (Query, Parse) pass the inspection seam once, everything else is
//! forwarded as received. In transaction mode a server is checked out at the first message that
//! needs one and returned when the server reports the transaction over and owes nothing more.
//! The extended protocol lives in `extended`, the handling of server messages in `server_side`.

mod extended;
mod lost;
mod server_side;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use articdbm_config::PoolMode;
use articdbm_wire_pg::backend::TransactionStatus;
use articdbm_wire_pg::backend::error_response::{Severity, write_error};
use articdbm_wire_pg::backend::parameter_status::ParameterStatus;
use articdbm_wire_pg::frontend::{Query, tag as fe};
use articdbm_wire_pg::{Frame, FrameDecoder};
use bytes::BytesMut;
use tokio::io::AsyncReadExt;

use super::batches::Batches;
use super::client_encoding::ClientEncoding;
use super::deferred::{Deferred, When};
use super::refusal;
use super::reply::sqlstate;
use super::session_state::{StateEffect, classify};
use super::settings_tracker::SettingsTracker;
use super::statements::ClientStatements;
use super::transaction_sql;
use crate::backend::server::Pumped;
use crate::backend::{PgGuard, PgPool};
use crate::cancel::{CancelHandle, CancelTarget};
use crate::error::{BackendError, PoolError};
use crate::inspect::{Protocol, StatementContext, StatementSource, Verdict, judge};
use crate::shutdown::{Shutdown, ShutdownPhase};
use crate::state::LiveState;
use crate::stream::ClientStream;
use lost::Lost;

/// Whether the loop goes on after a message.
enum Flow {
    Continue,
    Close,
}

/// Who the client is, fixed at login.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: String,
    pub database: String,
    pub peer: SocketAddr,
}

impl Identity {
    /// What the inspector is shown for a statement of this PostgreSQL client (the same for
    /// server-backed and SQLite sessions).
    pub fn statement<'a>(&'a self, sql: &'a str, source: StatementSource) -> StatementContext<'a> {
        StatementContext {
            protocol: Protocol::Postgres,
            source,
            user: &self.user,
            database: &self.database,
            client_addr: self.peer,
            sql,
        }
    }
}

pub struct Session {
    state: Arc<LiveState>,
    id: Identity,
    client: ClientStream,
    cbuf: BytesMut,
    out: BytesMut,
    decoder: FrameDecoder,
    pool: Arc<PgPool>,
    transaction_mode: bool,
    server: Option<PgGuard>,
    settings: SettingsTracker,
    encoding: ClientEncoding,
    statements: ClientStatements,
    batches: Batches,
    deferred: Deferred,
    ready_sent: u64,
    ready_received: u64,
    /// Set when an extended-protocol message was refused: drop messages until Sync, then report.
    refused: Option<BytesMut>,
    tx: TransactionStatus,
    cancel: CancelHandle,
    shutdown: Shutdown,
    draining: bool,
    idle_timeout: Option<std::time::Duration>,
    /// The pool's `idle_in_transaction_timeout_secs`.
    idle_in_transaction: Option<std::time::Duration>,
    /// The client's transaction, lost with its server (see `lost`).
    lost: Option<Lost>,
    /// The server sent its own FATAL error (already forwarded in session mode).
    server_fatal: bool,
    /// A FATAL error to send before closing the session once the current message is handled.
    ending: Option<BytesMut>,
}

impl Session {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        state: Arc<LiveState>,
        id: Identity,
        client: ClientStream,
        cbuf: BytesMut,
        pool: Arc<PgPool>,
        settings: SettingsTracker,
        cancel: CancelHandle,
        shutdown: Shutdown,
    ) -> Self {
        let runtime = state.runtime();
        let proxy = &runtime.config.proxy;
        Session {
            decoder: FrameDecoder::new(proxy.max_client_message_bytes),
            idle_timeout: proxy.client_idle_timeout(),
            idle_in_transaction: pool.settings().idle_in_transaction_timeout(),
            transaction_mode: pool.mode() == PoolMode::Transaction,
            state,
            id,
            client,
            cbuf,
            out: BytesMut::new(),
            pool,
            server: None,
            settings,
            encoding: ClientEncoding::Utf8,
            statements: ClientStatements::default(),
            batches: Batches::default(),
            deferred: Deferred::default(),
            ready_sent: 0,
            ready_received: 0,
            refused: None,
            tx: TransactionStatus::Idle,
            cancel,
            shutdown,
            draining: false,
            lost: None,
            server_fatal: false,
            ending: None,
        }
    }

    /// Completes the login (ParameterStatus, BackendKeyData, ReadyForQuery) and runs the loop.
    pub async fn run(mut self) {
        if let Err(e) = self.login().await {
            let message = e.client_message(&self.id.database);
            super::reply::fatal(&mut self.client, e.sqlstate(), &message).await;
            return;
        }
        self.serve().await;
        self.finish();
    }

    async fn login(&mut self) -> Result<(), PoolError> {
        // Startup settings are applied on a server now, as PostgreSQL applies them at login:
        // an invalid one fails the login, and the client is told the server's spelling of
        // the values it asked for.
        let profile = self
            .pool
            .server_profile()
            .filter(|_| self.transaction_mode && !self.settings.has_startup_settings());
        let params = match profile {
            Some(p) => p,
            None => {
                self.attach().await?;
                match self.server.as_mut() {
                    Some(g) => g.server().params().clone(),
                    None => Default::default(),
                }
            }
        };
        for (k, v) in params.iter() {
            if k.eq_ignore_ascii_case("client_encoding") {
                self.encoding = ClientEncoding::from_server_name(v);
            }
            ParameterStatus::write(&mut self.out, k, v);
        }
        if !self.transaction_mode {
            self.adopt_server_key();
        }
        self.cancel.key.write(&mut self.out);
        TransactionStatus::Idle.write(&mut self.out);
        self.maybe_release().await;
        self.flush_client().await.map_err(|_| PoolError::Closed)
    }

    /// Session mode: the client owns its server for its whole life, so it is given the server's
    /// own process id and secret, as if connected directly; a cancel with them still goes
    /// through the proxy's registry. The proxy-made key stays if another client already holds
    /// that process id (servers on different hosts).
    fn adopt_server_key(&mut self) {
        let Some(g) = self.server.as_mut() else {
            return;
        };
        let server = g.server();
        let target = CancelTarget {
            server: server.addr(),
            key: server.key(),
        };
        if let Some(handle) = self.state.cancels.register_as(target.key) {
            handle.set_target(Some(target));
            self.cancel = handle;
        }
    }

    async fn serve(&mut self) {
        // Polled before every sleep of the loop: an atomic load and a per-session waker, no
        // shared lock (see `shutdown`).
        let signal = self.shutdown.session_signal();
        let mut awaited = ShutdownPhase::Draining;
        loop {
            // Forced is checked here too: a busy server branch is polled first and could keep
            // the shutdown branch from being reached during a long result.
            if self.draining && (self.is_idle() || self.shutdown.phase() == ShutdownPhase::Forced) {
                super::reply::terminate_for_shutdown(&mut self.client, &mut self.out).await;
                return;
            }
            let idle_limit = self.idle_timeout.filter(|_| self.is_idle());
            let idle_tx_limit = self
                .idle_in_transaction
                .filter(|_| self.waiting_in_transaction());
            let draining = self.draining;
            let has_server = self.server.is_some();
            // Backpressure: read no more requests while the server has not taken the last ones.
            let take_requests = self
                .server
                .as_mut()
                .is_none_or(|g| g.server().pending_output() < BACKLOG_BYTES);
            // Polled in this order, stopping at the first ready branch: server replies first
            // (they free the server soonest), then requests, then the rarely-ready timers.
            tokio::select! {
                biased;
                r = pump(&mut self.server), if has_server => {
                    let lost = match r {
                        Ok(Pumped::Read(0)) => Some("server closed the connection unexpectedly".to_string()),
                        Err(e) => Some(format!("server connection lost: {e}")),
                        Ok(Pumped::Read(_)) => self.on_server_data().err(),
                        Ok(Pumped::Wrote) => None,
                    };
                    if let Some(reason) = lost
                        && let Flow::Close = self.server_lost(&reason) {
                            let _ = self.flush_client().await;
                            return;
                        }
                    self.maybe_release().await;
                }
                r = self.client.read_buf(&mut self.cbuf), if take_requests => {
                    match r {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {
                            if let Flow::Close = self.on_client_data().await {
                                // Deliver what was queued, e.g. the FATAL naming the reason.
                                let _ = self.flush_client().await;
                                return;
                            }
                        }
                    }
                }
                () = signal.reached(awaited) => {
                    if !draining {
                        self.draining = true;
                        awaited = ShutdownPhase::Forced;
                        continue;
                    }
                    super::reply::terminate_for_shutdown(&mut self.client, &mut self.out).await;
                    return;
                }
                () = sleep_opt(idle_limit) => {
                    super::reply::fatal(&mut self.client, sqlstate::IDLE_SESSION_TIMEOUT,
                        "terminating connection due to idle-session timeout").await;
                    return;
                }
                () = sleep_opt(idle_tx_limit) => {
                    tracing::info!(user = %self.id.user, database = %self.id.database, peer = %self.id.peer,
                        "client ended: idle in transaction for longer than idle_in_transaction_timeout_secs");
                    super::reply::fatal(&mut self.client, sqlstate::IDLE_IN_TRANSACTION_TIMEOUT,
                        "terminating connection due to idle-in-transaction timeout").await;
                    return;
                }
            }
            if self.flush_client().await.is_err() {
                return;
            }
        }
    }

    /// True when no server work is outstanding and no transaction is open.
    fn is_idle(&self) -> bool {
        self.batches.is_idle() && self.tx == TransactionStatus::Idle && self.refused.is_none()
    }

    /// True when a transaction is open (or failed) and the session waits for the client: nothing
    /// is owed by the server or waiting to be sent to it.
    fn waiting_in_transaction(&mut self) -> bool {
        self.tx != TransactionStatus::Idle
            && self.batches.is_idle()
            && self.refused.is_none()
            && !self.sending()
    }

    async fn flush_client(&mut self) -> std::io::Result<()> {
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

    async fn on_client_data(&mut self) -> Flow {
        loop {
            let frame = match self.decoder.decode(&mut self.cbuf) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    write_error(
                        &mut self.out,
                        Severity::Fatal,
                        sqlstate::PROTOCOL_VIOLATION,
                        &e.to_string(),
                    );
                    return Flow::Close;
                }
            };
            match self.on_client_frame(frame).await {
                Ok(Flow::Continue) => {
                    if let Some(err) = self.ending.take() {
                        self.out.extend_from_slice(&err);
                        return Flow::Close;
                    }
                }
                Ok(Flow::Close) => return Flow::Close,
                Err(message) => {
                    write_error(
                        &mut self.out,
                        Severity::Fatal,
                        sqlstate::PROTOCOL_VIOLATION,
                        &message,
                    );
                    return Flow::Close;
                }
            }
        }
        // Whatever the socket does not take now is written by the loop while it reads replies.
        if let Some(g) = self.server.as_mut()
            && g.server().try_flush().is_err()
        {
            let flow = self.server_lost("server connection lost while sending");
            return flow;
        }
        self.deferred
            .emit_after(self.ready_received, &mut self.out, self.tx);
        self.maybe_release().await;
        Flow::Continue
    }

    /// One client message. `Err` is a protocol violation that ends the session.
    async fn on_client_frame(&mut self, frame: Frame) -> Result<Flow, String> {
        tracing::trace!(peer = %self.id.peer, tag = %(frame.tag() as char), attached = self.server.is_some(), "client message");
        if self.lost.is_some() && self.answer_lost(&frame)? {
            return Ok(Flow::Continue);
        }
        match frame.tag() {
            fe::QUERY => self.on_query(frame).await,
            fe::PARSE => self.on_parse(frame).await,
            fe::BIND | fe::DESCRIBE => self.on_bind_or_describe(frame).await,
            fe::CLOSE => self.on_close(frame).await,
            fe::EXECUTE => {
                if self.refused.is_none() {
                    self.forward_extended(&frame).await;
                }
                Ok(Flow::Continue)
            }
            fe::SYNC => self.on_sync(&frame).await,
            fe::FLUSH => {
                if self.server.is_some() {
                    // Also after a refusal: the server then flushes the error that stands for it.
                    self.forward(&frame);
                } else if let Some(err) = self.refused.as_mut().filter(|e| !e.is_empty()) {
                    // Like the server, an error is sent when the client flushes, not held until
                    // Sync (drivers that Flush after Parse wait for it); the Sync then only gets
                    // ReadyForQuery.
                    self.deferred
                        .emit_after(self.ready_received, &mut self.out, self.tx);
                    self.out.extend_from_slice(err);
                    err.clear();
                }
                Ok(Flow::Continue)
            }
            fe::FUNCTION_CALL => {
                if self.ensure_server_or_refuse_query().await {
                    self.forward(&frame);
                    self.batches.close();
                    self.ready_sent += 1;
                }
                Ok(Flow::Continue)
            }
            fe::COPY_DATA | fe::COPY_DONE | fe::COPY_FAIL => {
                if self.server.is_some() {
                    self.forward(&frame);
                }
                Ok(Flow::Continue)
            }
            fe::TERMINATE => Ok(Flow::Close),
            other => Err(format!("invalid frontend message type {}", other as char)),
        }
    }

    fn inspect(&self, sql: &str, source: StatementSource) -> Verdict {
        judge(&self.state, &self.id.statement(sql, source))
    }

    async fn on_query(&mut self, frame: Frame) -> Result<Flow, String> {
        let query = Query::decode(&frame).map_err(|e| e.to_string())?;
        self.state.counters.queries.fetch_add(1, Ordering::Relaxed);
        let sql = match self.encoding.decode(query.sql_bytes()) {
            Ok(sql) => sql,
            Err(message) => {
                self.refuse_query(sqlstate::CHARACTER_NOT_IN_REPERTOIRE, &message);
                return Ok(Flow::Continue);
            }
        };
        if let Verdict::Block {
            rule,
            message,
            sqlstate,
        } = self.inspect(&sql, StatementSource::SimpleQuery)
        {
            self.refuse_query(sqlstate, &format!("{message} (rule {rule})"));
            return Ok(Flow::Continue);
        }
        let effect = classify(&sql);
        if !self.ensure_server_or_refuse_query().await {
            return Ok(Flow::Continue);
        }
        self.apply_effect(effect, &sql);
        self.forward(&frame);
        if self.transaction_mode && self.tx == TransactionStatus::Idle {
            self.batches.current().opens_transaction = transaction_sql::opens_transaction(&sql);
        }
        self.batches.close();
        self.ready_sent += 1;
        Ok(Flow::Continue)
    }

    fn forward(&mut self, frame: &Frame) {
        if let Some(g) = self.server.as_mut() {
            g.server().out().extend_from_slice(frame.as_bytes());
        }
    }

    /// Notes what a statement sent to the attached server does to its session (see
    /// `session_state` and `settings_tracker`).
    fn apply_effect(&mut self, effect: StateEffect, sql: &str) {
        if effect.is_none() {
            return;
        }
        if effect.drops_all_prepared && self.transaction_mode {
            // The client's names are the proxy's to forget (the server never saw them).
            self.statements.clear();
        }
        let Some(g) = self.server.as_mut() else {
            return;
        };
        let server = g.server();
        if effect.drops_prepared {
            server.prepared().clear();
        }
        if !self.transaction_mode {
            server.mark_needs_reset();
            return;
        }
        // Settings alone need no reset: they are read back before the server goes back.
        if effect.pins.is_some() || effect.drops_prepared {
            server.mark_needs_reset();
        }
        let was_pinned = self.settings.pinned();
        self.settings.note(effect, sql);
        if let (None, Some(why)) = (was_pinned, self.settings.pinned()) {
            tracing::debug!(user = %self.id.user, reason = why, "session pinned to its server");
        }
    }

    /// Answers a simple query (or a Sync) with an error and ReadyForQuery, in order. With a
    /// server attached, the server's transaction fails as well (see `refusal`).
    fn refuse_query(&mut self, code: &str, message: &str) {
        let mut err = BytesMut::with_capacity(64 + message.len());
        write_error(&mut err, Severity::Error, code, message);
        if let Some(g) = self.server.as_mut() {
            refusal::write_query(g.server().out());
            self.batches.current().replace_error = Some(err);
            self.batches.close();
            self.ready_sent += 1;
            return;
        }
        self.deferred
            .push(When::AfterReady(self.ready_sent), err, true);
    }

    /// Refuses an extended-protocol message: like the server, ignore everything until Sync.
    /// With a server attached, the batch fails on the server too (see `refusal`).
    fn refuse_extended(&mut self, code: &str, message: &str) {
        if self.refused.is_some() {
            return;
        }
        let mut err = BytesMut::with_capacity(64 + message.len());
        write_error(&mut err, Severity::Error, code, message);
        if let Some(g) = self.server.as_mut() {
            refusal::write_parse(g.server().out());
            self.batches.current().replace_error = Some(err);
            self.refused = Some(BytesMut::new());
            return;
        }
        self.refused = Some(err);
    }

    async fn ensure_server_or_refuse_query(&mut self) -> bool {
        match self.attach().await {
            Ok(()) => true,
            Err(e) if e.ends_session() => self.end_with(&e),
            Err(e) => {
                self.refuse_query(e.sqlstate(), &e.client_message(&self.id.database));
                false
            }
        }
    }

    async fn ensure_server_or_refuse_extended(&mut self) -> bool {
        match self.attach().await {
            Ok(()) => true,
            Err(e) if e.ends_session() => self.end_with(&e),
            Err(e) => {
                self.refuse_extended(e.sqlstate(), &e.client_message(&self.id.database));
                false
            }
        }
    }

    /// Queues the FATAL error that closes the session after the current message.
    fn end_with(&mut self, e: &PoolError) -> bool {
        let mut err = BytesMut::new();
        write_error(
            &mut err,
            Severity::Fatal,
            e.sqlstate(),
            &e.client_message(&self.id.database),
        );
        self.ending = Some(err);
        false
    }

    /// Checks out a server if none is attached, and brings its tracked parameters in line.
    async fn attach(&mut self) -> Result<(), PoolError> {
        if self.server.is_some() {
            return Ok(());
        }
        if self.pool.is_closed() {
            self.follow_reload()?;
        }
        let mut guard = self.pool.checkout().await?;
        let server = guard.server();
        if let Some(script) = self.settings.wanted().replay_script(server.settings()) {
            if let Err(e) = server.run_discarding(&script).await {
                return Err(match e {
                    // A value the client asked for is invalid. The script ran as one implicit
                    // transaction, so the server is unchanged and goes back to the pool.
                    BackendError::Rejected { code, message } => {
                        guard.release();
                        PoolError::Parameter { code, message }
                    }
                    other => {
                        guard.discard();
                        other.into()
                    }
                });
            }
            server.set_settings(self.settings.wanted().clone());
        }
        if self.lost == Some(Lost::Failed) {
            // The client is in a failed transaction: so is the server it now talks to.
            if let Err(e) = lost::fail_transaction(server).await {
                guard.discard();
                return Err(e.into());
            }
            self.lost = None;
        }
        let server = guard.server();
        self.cancel.set_target(Some(CancelTarget {
            server: server.addr(),
            key: server.key(),
        }));
        self.server = Some(guard);
        Ok(())
    }

    /// A reload retired this session's pool (its target or settings changed): continue on the
    /// pool now configured for the same database and user. The session keeps its own pooling
    /// mode until it reconnects. Fails while shutting down or if the database is gone.
    fn follow_reload(&mut self) -> Result<(), PoolError> {
        if self.draining {
            return Err(PoolError::Closed);
        }
        let runtime = self.state.runtime();
        let route = runtime
            .route(&self.id.database, &self.id.user)
            .ok_or(PoolError::Closed)?;
        self.pool = self
            .state
            .pools
            .get_or_create(&route.key, &route.target, &route.settings);
        self.idle_in_transaction = self.pool.settings().idle_in_transaction_timeout();
        Ok(())
    }

    /// In transaction mode, gives the server back once it owes nothing, no transaction is open
    /// and no state pins the session to it; settings the client changed on it are read back
    /// first (see `settings_tracker`).
    async fn maybe_release(&mut self) {
        if self.transaction_mode
            && self.server.is_some()
            && self.settings.pinned().is_none()
            && self.is_idle()
            && !self.sending()
        {
            if self.settings.unknown()
                && let Err(reason) = self.read_back_settings().await
            {
                self.settings.forget_unknown();
                let _ = self.server_lost(&reason);
                return;
            }
            self.detach(true);
        }
    }

    /// Reads the attached server's session settings into the client's and the server's.
    async fn read_back_settings(&mut self) -> Result<(), String> {
        let Some(g) = self.server.as_mut() else {
            return Ok(());
        };
        let sql = self.settings.capture_sql();
        let server = g.server();
        let wait = std::time::Duration::from_secs(self.pool.settings().connect_timeout_secs.max(1));
        let rows = match tokio::time::timeout(wait, server.query_pairs(&sql)).await {
            Ok(Ok(rows)) => rows,
            Ok(Err(e)) => return Err(format!("server connection lost: {e}")),
            Err(_) => return Err("server did not answer in time".to_owned()),
        };
        let on_server = self.settings.captured(rows);
        server.set_settings(on_server);
        Ok(())
    }

    /// Whether bytes for the server are still waiting to be written.
    fn sending(&mut self) -> bool {
        self.server
            .as_mut()
            .is_some_and(|g| g.server().has_pending_output())
    }

    fn detach(&mut self, clean: bool) {
        // A cancel still on its way to this server would hit the next client's query.
        let cancel_pending = self.cancel.clear_target();
        if let Some(g) = self.server.take() {
            if clean && !cancel_pending {
                g.release();
            } else {
                g.discard();
            }
        }
    }

    /// Returns or closes the server when the client leaves. A server still running the
    /// client's query is closed, and its query cancelled so that it does not run on to its end
    /// for nobody.
    fn finish(&mut self) {
        if self.settings.unknown()
            && let Some(g) = self.server.as_mut()
        {
            // Settings changed and not read back: the reset finds out what is left.
            g.server().mark_needs_reset();
        }
        let clean = self.is_idle() && !self.sending();
        if !self.batches.is_idle()
            && let Some(g) = self.server.as_mut()
        {
            let server = g.server();
            tokio::spawn(crate::cancel::deliver(CancelTarget {
                server: server.addr(),
                key: server.key(),
            }));
        }
        self.detach(clean);
    }
}

/// Bytes of requests queued for the server after which the session stops reading from the
/// client until the server has taken them.
const BACKLOG_BYTES: usize = 256 * 1024;

/// Buffers grow for large messages; an idle session should not keep that memory.
const KEEP_BUFFER_BYTES: usize = 64 * 1024;

fn shed(buf: &mut BytesMut) {
    if buf.is_empty() && buf.capacity() > KEEP_BUFFER_BYTES {
        *buf = BytesMut::new();
    }
}

/// Reads from the attached server or writes to it, whichever it allows first. (Replies are
/// written to the client at the end of every loop turn, so there is never a backlog of them.)
async fn pump(server: &mut Option<PgGuard>) -> std::io::Result<Pumped> {
    match server {
        Some(g) => g.server().pump(true).await,
        None => std::future::pending().await,
    }
}

async fn sleep_opt(d: Option<std::time::Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
