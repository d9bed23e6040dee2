//! The session loop of a MySQL client on an embedded SQLite database. Commands are read whole
//! by the MariaDB session loop's own reader (`mysql::next_command`: the same framing limits,
//! shutdown handling, `KILL` and sequence checks); SQL (COM_QUERY, COM_STMT_PREPARE) passes the same inspection seam with
//! the same verdict handling, then goes through the dialect ([`super::dialect`]) to the
//! engine ([`crate::sqlite`]), and the answers are encoded with the wire crate's codec
//! ([`super::resultset`]).
//!
//! | file | owns |
//! | --- | --- |
//! | `mod.rs` | the session, the loop, flushing, status flags |
//! | `command.rs` | dispatch of commands, inspection, ping/quit/statistics/set-option |
//! | `query.rs` | COM_QUERY: statements one by one, multi-statement results |
//! | `execute.rs` | running SQLite steps and streaming their results |
//! | `local.rs` | `SET`, transactions, savepoints, `USE` |
//! | `show.rs`, `show_sql.rs` | `SHOW ...`, `DESCRIBE` |
//! | `field_list.rs` | COM_FIELD_LIST |
//! | `prepared.rs` | COM_STMT_PREPARE / EXECUTE / SEND_LONG_DATA / RESET / CLOSE |
//! | `cursor.rs` | cursors of COM_STMT_EXECUTE, COM_STMT_FETCH |
//! | `admin.rs` | COM_INIT_DB, COM_RESET_CONNECTION, COM_CHANGE_USER, `KILL` |

mod admin;
mod command;
mod cursor;
mod execute;
mod field_list;
mod local;
mod prepared;
mod query;
mod show;
mod show_sql;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use articdbm_wire_mysql::{Capabilities, PacketDecoder, ServerStatus};
use bytes::BytesMut;

use super::dialect::Translator;
use super::resultset::Reply;
use super::variables::{Defaults, Variables};
use crate::mysql::Login;
use crate::mysql::kill::KillHandle;
use crate::mysql::next_command::{CommandSource, next_command};
use crate::shutdown::Shutdown;
use crate::sqlite::SqliteSession;
use crate::state::{ClientSlot, LiveState};
use crate::stream::ClientStream;

/// Output is sent to the client whenever this much is buffered (large results stream).
const FLUSH_AT: usize = 256 * 1024;

/// Why the loop goes on or ends after a command.
pub(super) enum Flow {
    Continue,
    Close,
}

/// An error for the client: MySQL code, SQLSTATE, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    pub code: u16,
    pub sqlstate: &'static str,
    pub message: String,
}

impl Failure {
    pub fn new(code: u16, sqlstate: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            sqlstate,
            message: message.into(),
        }
    }
}

impl From<crate::sqlite::SqliteError> for Failure {
    fn from(e: crate::sqlite::SqliteError) -> Self {
        let (code, sqlstate) = e.mysql_code();
        Failure::new(code, sqlstate, e.message)
    }
}

impl From<super::dialect::DialectError> for Failure {
    fn from(e: super::dialect::DialectError) -> Self {
        let (code, sqlstate) = e.code();
        Failure::new(code, sqlstate, e.to_string())
    }
}

impl From<super::variables::SetError> for Failure {
    fn from(e: super::variables::SetError) -> Self {
        Failure::new(e.code, e.sqlstate, e.message)
    }
}

/// Runs the session of an authenticated client on SQLite database `database` until it
/// leaves or the proxy shuts down.
pub async fn run(state: Arc<LiveState>, login: Login, database: String, shutdown: Shutdown) {
    let db = match state.sqlite(&database) {
        Ok(db) => db,
        Err(reason) => {
            // Checked at login; a reload took it away since. The client has had its OK:
            // the connection is closed.
            tracing::warn!(%database, error = %reason, "SQLite database gone before the session");
            return;
        }
    };
    let runtime = state.runtime();
    let max_packet = runtime.config.proxy.max_client_message_bytes as usize;
    let defaults = Defaults {
        version: String::from_utf8_lossy(
            &crate::mysql::handshake::greeting(&runtime).await.version,
        )
        .into_owned(),
        max_allowed_packet: max_packet as i64,
        max_connections: i64::from(runtime.config.proxy.max_client_connections),
        port: runtime
            .config
            .proxy
            .mysql_listen
            .map_or(0, |a| i64::from(a.port())),
        hostname: hostname(),
        tls: runtime.tls.is_some(),
        lock_wait_timeout_secs: db.settings().busy_timeout.as_secs().max(1) as i64,
        collation: collation_name(login.collation).to_string(),
    };
    drop(runtime);
    let engine = db.session();
    login.kill.set_interrupt(Some(engine.canceller()));
    let mut session = Session {
        decoder: PacketDecoder::new(max_packet),
        state,
        client: login.stream,
        cbuf: login.buf,
        out: BytesMut::with_capacity(8192),
        seq: 0,
        caps: login.caps,
        charset: text_charset(login.collation),
        user: login.user,
        peer: login.peer,
        kill: login.kill,
        nonce: login.nonce,
        client_slot: Some(login.client),
        shutdown,
        database,
        engine,
        vars: Variables::new(&defaults),
        defaults,
        translator: Translator::default(),
        statements: HashMap::new(),
        next_statement: 0,
        last_insert_id: 0,
        row_count: -1,
        found_rows: 0,
        txn_wrote: false,
    };
    session.serve().await;
    session.finish().await;
}

pub(super) struct Session {
    state: Arc<LiveState>,
    client: ClientStream,
    cbuf: BytesMut,
    out: BytesMut,
    /// Sequence id of the next packet of the current reply.
    seq: u8,
    decoder: PacketDecoder,
    caps: Capabilities,
    /// Collation id of text columns (the client's, when it is a UTF-8 one).
    charset: u16,
    user: String,
    peer: SocketAddr,
    kill: KillHandle,
    nonce: [u8; 20],
    client_slot: Option<ClientSlot>,
    shutdown: Shutdown,
    /// The client-facing name of the database (`[databases]` key).
    database: String,
    engine: SqliteSession,
    vars: Variables,
    defaults: Defaults,
    translator: Translator,
    statements: HashMap<u32, prepared::Prepared>,
    next_statement: u32,
    /// `LAST_INSERT_ID()`: the first id of the last INSERT that made rows.
    last_insert_id: u64,
    /// `ROW_COUNT()` of the last statement.
    row_count: i64,
    /// `FOUND_ROWS()`: rows of the last SELECT.
    found_rows: u64,
    /// The open transaction has written (a `USE` cannot leave it silently).
    txn_wrote: bool,
}

impl Session {
    async fn serve(&mut self) {
        let signal = self.shutdown.session_signal();
        loop {
            let source = CommandSource {
                client: &mut self.client,
                buf: &mut self.cbuf,
                decoder: &mut self.decoder,
                signal: &signal,
                kill: &self.kill,
            };
            let idle = || !self.engine.in_transaction();
            let packet = match next_command(source, idle).await {
                Ok(p) => p,
                Err(refusal) => {
                    if let Some((r, seq)) = refusal {
                        self.send_error(r.code, r.sqlstate, &r.message, seq).await;
                    }
                    return;
                }
            };
            // A command of 16 MiB or more came in several packets: the reply continues
            // the sequence after the last of them.
            self.seq = packet.last_seq().wrapping_add(1);
            let flow = self.on_command(packet).await;
            if !self.engine.in_transaction() {
                self.txn_wrote = false;
            }
            self.engine.release_idle();
            if !self.out.is_empty() {
                let sent = self.client.send(&self.out).await;
                self.out.clear();
                if sent.is_err() {
                    return;
                }
            }
            if let Flow::Close = flow {
                return;
            }
        }
    }

    /// The reply writer of the current command.
    fn reply(&mut self) -> Reply<'_> {
        Reply {
            out: &mut self.out,
            seq: &mut self.seq,
            caps: self.caps,
        }
    }

    /// Status flags now; `more` when another result of the same command follows.
    fn status(&self, more: bool) -> ServerStatus {
        let mut s = ServerStatus(0);
        if self.vars.autocommit() {
            s = s | ServerStatus::AUTOCOMMIT;
        }
        if self.engine.in_transaction() {
            s = s | ServerStatus::IN_TRANS;
        }
        if more {
            s = s | ServerStatus::MORE_RESULTS_EXISTS;
        }
        s
    }

    fn queue_failure(&mut self, f: &Failure) {
        self.reply().err(f.code, f.sqlstate, &f.message);
    }

    fn queue_ok(&mut self, affected: u64, last_insert_id: u64, more: bool) {
        let status = self.status(more);
        self.reply().ok(affected, last_insert_id, status, "");
    }

    async fn send_error(&mut self, code: u16, sqlstate: &str, message: &str, seq: u8) {
        self.seq = seq;
        self.reply().err(code, sqlstate, message);
        let _ = self.client.send(&self.out).await;
        self.out.clear();
    }

    /// Sends what is buffered once it is large (results stream instead of piling up).
    /// `false` when the client is gone.
    async fn flush_if_large(&mut self) -> bool {
        if self.out.len() < FLUSH_AT {
            return true;
        }
        let sent = self.client.send(&self.out).await;
        self.out.clear();
        sent.is_ok()
    }

    /// The session ends: what is open is rolled back and the connection given back.
    async fn finish(&mut self) {
        self.kill.set_interrupt(None);
        self.engine.reset().await;
        drop(self.client_slot.take());
    }
}

/// The collation id text columns are announced with: the client's own when it is a UTF-8
/// collation (SQLite text is UTF-8), else utf8mb4_general_ci.
fn text_charset(collation: u8) -> u16 {
    match collation {
        33 | 45 | 46 | 76 | 83 | 192..=215 | 223..=247 | 255 => u16::from(collation),
        _ => 45,
    }
}

fn collation_name(collation: u8) -> &'static str {
    match collation {
        33 => "utf8mb3_general_ci",
        46 => "utf8mb4_bin",
        83 => "utf8mb3_bin",
        224 => "utf8mb4_unicode_ci",
        255 => "utf8mb4_0900_ai_ci",
        _ => "utf8mb4_general_ci",
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
