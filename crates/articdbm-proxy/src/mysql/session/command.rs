//! One client command: what the proxy answers itself (COM_PING, COM_QUIT, and in
//! multiplexing mode COM_RESET_CONNECTION), what passes the inspection seam (COM_QUERY,
//! COM_STMT_PREPARE), and how each command's effect on session state is recorded.

use std::sync::atomic::Ordering;

use articdbm_wire_mysql::frontend::{ComInitDb, ComQuery, ComStmtPrepare, Command};
use articdbm_wire_mysql::writer::write_packet;
use articdbm_wire_mysql::{Packet, ResponseTracker};
use bytes::{Bytes, BytesMut};

use super::server_link::Relay;
use super::{HOLD_AFTER_INSERT_ID, HOLD_FOR_DIAGNOSTICS, Session};
use crate::inspect::{Protocol, StatementContext, StatementSource, Verdict, judge};
use crate::mysql::kill::{kill_by_id, parse_kill};
use crate::mysql::namespace::parse_show_databases;
use crate::mysql::session_state::{MySqlEffect, classify};
use crate::mysql::{database_fn, multi};

/// Queries longer than this are sent as they are, never rewritten (see
/// [`Session::showing_client_database`]).
const MAX_REWRITTEN_QUERY: usize = 64 * 1024;

/// Whether the loop goes on after a command.
pub(super) enum Flow {
    Continue,
    Close,
}

impl Session {
    pub(super) async fn on_command(&mut self, packet: Packet) -> Flow {
        let payload = packet.payload().clone();
        let Some(&byte) = payload.first() else {
            self.queue_error(1047, "08S01", "Unknown command", 1);
            return Flow::Continue;
        };
        self.hold = self.hold.saturating_sub(1);
        match Command::from_u8(byte) {
            Command::Quit => Flow::Close,
            Command::Ping => {
                self.queue_ok();
                Flow::Continue
            }
            Command::Query => self.on_query(&packet, &payload).await,
            Command::StmtPrepare => self.on_prepare(&packet, &payload).await,
            Command::InitDb => {
                match ComInitDb::decode(&payload)
                    .ok()
                    .and_then(|c| c.schema().ok().map(str::to_string))
                {
                    Some(schema) => self.use_database(&schema).await,
                    None => self.queue_error(1064, "42000", "malformed COM_INIT_DB", 1),
                }
                Flow::Continue
            }
            Command::ResetConnection if self.transaction_mode => {
                // The session starts over: its state is forgotten and its server (if any) is
                // reset before anyone else gets it.
                self.replay.clear();
                self.schema = None;
                self.database = None;
                self.pinned = None;
                self.hold = 0;
                if let Some(mut g) = self.server.take() {
                    g.server().mark_needs_reset();
                    g.release();
                }
                self.status = articdbm_wire_mysql::ServerStatus::AUTOCOMMIT;
                self.queue_ok();
                Flow::Continue
            }
            Command::StmtExecute
            | Command::StmtFetch
            | Command::StmtReset
            | Command::StmtClose
            | Command::StmtSendLongData
                if self.transaction_mode =>
            {
                self.statement_command_mapped(&payload).await;
                Flow::Continue
            }
            Command::StmtClose | Command::StmtSendLongData => {
                // No response. Statements only exist on the server that prepared them.
                if self.server.is_some() && self.send_only(packet.raw()).await.is_err() {
                    self.lose("Lost connection to MySQL server while sending a statement command");
                }
                Flow::Continue
            }
            Command::ProcessKill => match payload.get(1..5) {
                Some(id) => {
                    let id = u32::from_le_bytes([id[0], id[1], id[2], id[3]]);
                    self.kill_command(id, false).await
                }
                None => {
                    self.queue_error(1047, "08S01", "malformed COM_PROCESS_KILL", 1);
                    Flow::Continue
                }
            },
            Command::ChangeUser => self.change_user(&payload).await,
            Command::SetOption => {
                self.pin("COM_SET_OPTION changes the connection's protocol");
                self.forward(&packet, &payload).await;
                Flow::Continue
            }
            Command::FieldList
            | Command::Statistics
            | Command::StmtExecute
            | Command::StmtFetch
            | Command::StmtReset
            | Command::ResetConnection => {
                self.forward(&packet, &payload).await;
                Flow::Continue
            }
            _ => {
                self.queue_error(
                    1047,
                    "08S01",
                    "Unknown command (not supported through the proxy)",
                    1,
                );
                Flow::Continue
            }
        }
    }

    /// Shows SQL to the inspector; `false` when it was blocked (the client got ERR 1142).
    fn inspect(&mut self, sql: &str, source: StatementSource) -> bool {
        let database = self.database.clone().unwrap_or_default();
        let ctx = StatementContext {
            protocol: Protocol::MySql,
            source,
            user: &self.user,
            database: &database,
            client_addr: self.peer,
            sql,
        };
        match judge(&self.state, &ctx) {
            Verdict::Allow | Verdict::Alert { .. } => true,
            Verdict::Block { rule, message, .. } => {
                self.queue_error(1142, "42000", &format!("{message} (rule {rule})"), 1);
                false
            }
        }
    }

    async fn on_query(&mut self, packet: &Packet, payload: &Bytes) -> Flow {
        self.state.counters.queries.fetch_add(1, Ordering::Relaxed);
        let query = match ComQuery::decode(payload, self.caps) {
            Ok(q) => q,
            Err(e) => {
                self.queue_error(1064, "42000", &format!("malformed COM_QUERY: {e}"), 1);
                return Flow::Continue;
            }
        };
        // Statements may carry binary literals (`_binary'...'`): they are judged with invalid
        // bytes replaced and forwarded exactly as sent.
        let sql_text = String::from_utf8_lossy(query.sql_bytes());
        let sql: &str = &sql_text;
        if !self.inspect(sql, StatementSource::SimpleQuery) {
            return Flow::Continue;
        }
        if let Some((id, query_only)) = parse_kill(sql) {
            return self.kill_command(id, query_only).await;
        }
        if let Some(refusal) = refuse_in_multi_statement(sql.as_bytes()) {
            self.queue_error(1235, "42000", refusal, 1);
            return Flow::Continue;
        }
        match parse_show_databases(sql.as_bytes()) {
            Ok(Some(show)) => {
                self.show_databases(&show);
                return Flow::Continue;
            }
            Ok(None) => {}
            Err(message) => {
                self.queue_error(1235, "42000", message, 1);
                return Flow::Continue;
            }
        }
        let effect = classify(sql);
        if let MySqlEffect::Schema(schema) = &effect {
            // Performed by the proxy: only configured databases, by their client-facing
            // names (the server is switched to the backend schema).
            self.use_database(schema).await;
            return Flow::Continue;
        }
        let sql_bytes = query.sql_bytes().clone();
        if let MySqlEffect::Pin(why) = effect {
            self.pin(why);
        }
        let ok = match self.showing_client_database(&sql_bytes) {
            Some(sql) => {
                let mut rewritten = BytesMut::with_capacity(sql.len() + 1);
                rewritten.extend_from_slice(&[0x03]);
                rewritten.extend_from_slice(&sql);
                let rewritten = rewritten.freeze();
                let mut raw = BytesMut::with_capacity(rewritten.len() + 8);
                write_packet(&mut raw, &mut 0, &rewritten);
                self.forward_raw(&raw, &rewritten).await
            }
            None => self.forward(packet, payload).await,
        };
        if ok {
            match effect {
                MySqlEffect::Replay if self.transaction_mode => {
                    self.replay.push(sql_bytes);
                    // The server now carries the session's list (it had the rest of it).
                    if let Some(g) = self.server.as_mut() {
                        g.server().set_applied(&self.replay);
                    }
                }
                _ => {}
            }
        }
        Flow::Continue
    }

    async fn on_prepare(&mut self, packet: &Packet, payload: &Bytes) -> Flow {
        let sql = ComStmtPrepare::decode(payload)
            .ok()
            .and_then(|p| p.sql().ok().map(str::to_string));
        let Some(sql) = sql else {
            self.queue_error(1064, "42000", "malformed COM_STMT_PREPARE", 1);
            return Flow::Continue;
        };
        if !self.inspect(&sql, StatementSource::Prepare) {
            return Flow::Continue;
        }
        // What the statement will do when executed is known now: anything unmovable pins
        // from here on, and so does a prepared `SET`, whose values only its executions carry
        // (the server is reset when the session ends, so nothing leaks to the next client).
        match classify(&sql) {
            MySqlEffect::Pin(why) => self.pin(why),
            MySqlEffect::Replay | MySqlEffect::Schema(_) => {
                self.pin("a prepared SET: its values are known only to the server");
            }
            MySqlEffect::None => {}
        }
        if self.transaction_mode {
            self.prepare_mapped(packet, payload, Bytes::from(sql.into_bytes()))
                .await;
        } else {
            self.forward(packet, payload).await;
        }
        Flow::Continue
    }

    /// Keeps the current (or next) server for the rest of the session.
    pub(super) fn pin(&mut self, why: &'static str) {
        if self.transaction_mode {
            tracing::debug!(user = %self.user, reason = why, "session pinned to its server");
            self.pinned = Some(why);
        }
    }

    /// Checks out a server if needed; on failure the client is answered with an ERR.
    pub(super) async fn attach_or_report(&mut self) -> bool {
        let Err(e) = self.attach().await else {
            return true;
        };
        if self.lost {
            // The server went with the client's state: the connection ends, nothing to say.
            return false;
        }
        let (code, state) = e.mysql_code();
        let state = state.to_owned();
        let database = self.database.as_deref().unwrap_or("(none)");
        self.queue_error(code, &state, &e.mysql_message(database), 1);
        false
    }

    /// The query text to send instead of `sql` so that `DATABASE()` in a select list shows
    /// the client-facing name (see [`database_fn`]), when the server's schema has another.
    fn showing_client_database(&self, sql: &[u8]) -> Option<Vec<u8>> {
        let client = self.database.as_deref()?;
        let backend = self.schema.as_deref().unwrap_or(&self.login_schema);
        if client == backend || sql.len() > MAX_REWRITTEN_QUERY {
            return None;
        }
        database_fn::rewrite(sql, client)
    }

    /// Sends the command to a server and relays the answer. Returns true when the server
    /// answered without an error.
    async fn forward(&mut self, packet: &Packet, payload: &Bytes) -> bool {
        self.forward_raw(packet.raw(), payload).await
    }

    /// [`Session::forward`] of a command's packets `raw` (payload `payload`).
    async fn forward_raw(&mut self, raw: &[u8], payload: &Bytes) -> bool {
        if !self.attach_or_report().await {
            return false;
        }
        match self.relay(raw, payload, None).await {
            Relay::Done(tracker) => {
                self.note_response(&tracker);
                tracker.error().is_none()
            }
            Relay::Lost | Relay::Refused => false,
            Relay::ClientGone => false,
        }
    }
}

impl Session {
    /// What a complete response means for keeping the server: an auto-increment id keeps it
    /// for the next commands, warnings or an error for the next one (so `SELECT
    /// LAST_INSERT_ID()` and `SHOW WARNINGS` reach it, and no replayed `SET` clears the
    /// warnings first); an open cursor pins.
    pub(super) fn note_response(&mut self, tracker: &ResponseTracker) {
        if tracker.last_ok().1 > 0 {
            self.hold = HOLD_AFTER_INSERT_ID;
        } else if tracker.warnings() > 0 || tracker.error().is_some() {
            self.hold = self.hold.max(HOLD_FOR_DIAGNOSTICS);
        }
        if tracker.cursor_open() {
            self.pin("open cursor");
        }
    }

    /// A kill of this very connection ends it; any other goes through [`Session::kill_session`].
    async fn kill_command(&mut self, id: u32, query_only: bool) -> Flow {
        let own_thread = self
            .server
            .as_mut()
            .is_some_and(|g| g.server().thread_id() == id);
        if id == self.kill.id() || own_thread {
            if query_only {
                // Nothing runs while this connection sends the command.
                self.queue_ok();
                return Flow::Continue;
            }
            self.queue_error(1927, "70100", "Connection was killed", 1);
            return Flow::Close;
        }
        self.kill_session(id, query_only).await;
        Flow::Continue
    }

    /// `KILL [QUERY] <id>` for another connection (see [`kill_by_id`]).
    async fn kill_session(&mut self, id: u32, query_only: bool) {
        if kill_by_id(&self.state.mysql_kills, &self.user, id, query_only).await {
            self.queue_ok();
        } else {
            self.queue_error(1094, "HY000", &format!("Unknown thread id: {id}"), 1);
        }
    }
}

/// Why a multi-statement query cannot be sent as it is, if it cannot: a `KILL` in it would
/// reach the server with the proxy's connection id, which names no server thread (or the
/// wrong one), and a `USE` would name a schema the proxy did not check (and not translate
/// to its backend name), so either is refused with ER_NOT_SUPPORTED_YET before anything
/// runs.
fn refuse_in_multi_statement(sql: &[u8]) -> Option<&'static str> {
    let mentions = |word: &[u8]| {
        sql.windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word))
    };
    if !(mentions(b"KILL") || mentions(b"USE")) || !multi::is_multi(sql) {
        return None;
    }
    let statements = multi::statements(sql);
    let first_is = |word: &[u8]| {
        statements
            .iter()
            .any(|stmt| multi::first_word(stmt).eq_ignore_ascii_case(word))
    };
    if first_is(b"KILL") {
        return Some(
            "KILL inside a multi-statement query is not supported through the proxy: \
             send KILL as a statement of its own",
        );
    }
    if first_is(b"USE") {
        return Some(
            "USE inside a multi-statement query is not supported through the proxy: \
             send USE as a statement of its own",
        );
    }
    None
}
