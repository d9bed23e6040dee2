//! One client command: what the proxy answers itself (COM_PING, COM_QUIT, and in
//! multiplexing mode COM_RESET_CONNECTION), what passes the inspection seam (COM_QUERY,
//! COM_STMT_PREPARE), and how each command's effect on session state is recorded.

use std::sync::atomic::Ordering;

use articdbm_wire_mysql::Packet;
use articdbm_wire_mysql::frontend::{ComInitDb, ComQuery, ComStmtPrepare, Command};
use bytes::Bytes;

use super::server_link::Relay;
use super::{HOLD_AFTER_INSERT_ID, Session};
use crate::backend::mysql::MySqlServer;
use crate::inspect::{Protocol, StatementContext, StatementSource, Verdict, judge};
use crate::mysql::kill::parse_kill;
use crate::mysql::session_state::{MySqlEffect, classify};

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
                let schema = ComInitDb::decode(&payload)
                    .ok()
                    .and_then(|c| c.schema().ok().map(str::to_string));
                if let Some(s) = schema.as_deref()
                    && !self.may_use_schema(s)
                {
                    return Flow::Continue;
                }
                let ok = self.forward(&packet, &payload).await;
                if let Some(g) = self.server.as_mut() {
                    g.server().mark_schema_changed();
                }
                if ok && let Some(schema) = schema {
                    self.database = Some(schema.clone());
                    self.schema = Some(schema);
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
                    let _ = self.server.take().map(|g| g.discard());
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
        let effect = classify(sql);
        if let MySqlEffect::Schema(schema) = &effect
            && !self.may_use_schema(schema)
        {
            return Flow::Continue;
        }
        let sql_bytes = query.sql_bytes().clone();
        if let MySqlEffect::Pin(why) = effect {
            self.pin(why);
        }
        let ok = self.forward(packet, payload).await;
        if ok {
            match effect {
                MySqlEffect::Replay if self.transaction_mode => {
                    self.replay.push(sql_bytes);
                    if let Some(g) = self.server.as_mut() {
                        g.server().mark_needs_reset();
                    }
                }
                MySqlEffect::Schema(schema) => {
                    self.database = Some(schema.clone());
                    self.schema = Some(schema);
                    if let Some(g) = self.server.as_mut() {
                        g.server().mark_schema_changed();
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
        // What the statement will do when executed is known now (SET and USE cannot be
        // prepared; anything unmovable pins from here on).
        if let MySqlEffect::Pin(why) = classify(&sql) {
            self.pin(why);
        }
        if self.transaction_mode {
            self.prepare_mapped(packet, payload, Bytes::from(sql.into_bytes()))
                .await;
        } else {
            self.forward(packet, payload).await;
        }
        Flow::Continue
    }

    /// Whether the user may switch to `schema` (`USE`, COM_INIT_DB): the same database
    /// permissions as at login. When not, the client gets ERR 1044 and stays where it is.
    fn may_use_schema(&mut self, schema: &str) -> bool {
        let allowed = self
            .state
            .runtime()
            .users
            .get(&self.user)
            .is_some_and(|u| u.may_use_database(schema));
        if !allowed {
            self.queue_error(
                1044,
                "42000",
                &format!(
                    "Access denied for user '{}'@'{}' to database '{schema}'",
                    self.user,
                    self.peer.ip()
                ),
                1,
            );
        }
        allowed
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
        let (code, state) = e.mysql_code();
        let state = state.to_owned();
        self.queue_error(code, &state, &e.mysql_message(), 1);
        false
    }

    /// Sends the command to a server and relays the answer. Returns true when the server
    /// answered without an error.
    async fn forward(&mut self, packet: &Packet, payload: &Bytes) -> bool {
        if !self.attach_or_report().await {
            return false;
        }
        match self.relay(packet.raw(), payload, None).await {
            Relay::Done(tracker) => {
                if tracker.last_ok().1 > 0 {
                    self.hold = HOLD_AFTER_INSERT_ID;
                }
                if tracker.cursor_open() {
                    self.pin("open cursor");
                }
                tracker.error().is_none()
            }
            Relay::Lost | Relay::Refused => false,
            Relay::ClientGone => false,
        }
    }
}

impl Session {
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

    /// `KILL [QUERY] <id>` for a proxy connection id: the statement (and with a connection
    /// kill, the session) of that client is stopped on whatever server it is running on,
    /// through a fresh connection to that server as the pool's user.
    async fn kill_session(&mut self, id: u32, query_only: bool) {
        let Some(killing) = self.state.mysql_kills.lookup(id, &self.user, !query_only) else {
            self.queue_error(1094, "HY000", &format!("Unknown thread id: {id}"), 1);
            return;
        };
        if let Some(interrupt) = &killing.interrupt {
            interrupt.cancel();
        }
        let on = killing.on;
        if let Some(on) = on {
            let timeout = std::time::Duration::from_secs(5);
            let mut command = vec![0x03];
            command.extend_from_slice(format!("KILL QUERY {}", on.thread_id).as_bytes());
            let result = match MySqlServer::connect(on.pool.target(), timeout).await {
                Ok(mut server) => server.command(&command).await,
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                tracing::warn!(user = %self.user, error = %e, "KILL QUERY did not reach the server");
            }
        }
        self.queue_ok();
    }
}
