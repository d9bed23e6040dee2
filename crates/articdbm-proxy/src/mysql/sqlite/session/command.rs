//! One client command of the SQLite session: dispatch by command byte, the inspection seam
//! for SQL (the same verdict handling as the MariaDB session: `Block` → ERR 1142, the
//! session stays usable; `Alert` counted and logged), and the small commands (COM_PING,
//! COM_QUIT, COM_STATISTICS, COM_SET_OPTION, COM_DEBUG).

use std::sync::atomic::Ordering;

use articdbm_wire_mysql::Packet;
use articdbm_wire_mysql::frontend::{ComSetOption, Command, SetOption};
use articdbm_wire_mysql::{Capabilities, PacketWriter};
use bytes::BufMut;

use super::{Flow, Session};
use crate::inspect::{Protocol, StatementContext, StatementSource, Verdict, judge};

impl Session {
    pub(super) async fn on_command(&mut self, packet: Packet) -> Flow {
        let payload = packet.payload().clone();
        let Some(&byte) = payload.first() else {
            self.reply().err(1047, "08S01", "Unknown command");
            return Flow::Continue;
        };
        match Command::from_u8(byte) {
            Command::Quit => Flow::Close,
            Command::Ping | Command::Debug => {
                self.queue_ok(0, 0, false);
                Flow::Continue
            }
            Command::Query => self.on_query(&payload).await,
            Command::StmtPrepare => {
                self.on_prepare(&payload).await;
                Flow::Continue
            }
            Command::StmtExecute => {
                self.on_execute(&payload).await;
                Flow::Continue
            }
            Command::StmtSendLongData => {
                self.on_long_data(&payload);
                Flow::Continue
            }
            Command::StmtClose => {
                self.on_close_statement(&payload);
                Flow::Continue
            }
            Command::StmtReset => {
                self.on_reset_statement(&payload);
                Flow::Continue
            }
            Command::StmtFetch => {
                self.on_fetch(&payload).await;
                Flow::Continue
            }
            Command::InitDb => {
                self.on_init_db(&payload).await;
                Flow::Continue
            }
            Command::FieldList => {
                self.on_field_list(&payload).await;
                Flow::Continue
            }
            Command::ResetConnection => {
                self.reset_connection().await;
                self.queue_ok(0, 0, false);
                Flow::Continue
            }
            Command::ChangeUser => self.change_user(&payload).await,
            Command::ProcessKill => match payload.get(1..5) {
                Some(id) => {
                    let id = u32::from_le_bytes([id[0], id[1], id[2], id[3]]);
                    self.kill_command(id, false).await
                }
                None => {
                    self.reply()
                        .err(1047, "08S01", "malformed COM_PROCESS_KILL");
                    Flow::Continue
                }
            },
            Command::Statistics => {
                self.statistics();
                Flow::Continue
            }
            Command::SetOption => {
                self.set_option(&payload);
                Flow::Continue
            }
            _ => {
                self.reply().err(
                    1047,
                    "08S01",
                    "Unknown command (not supported by the SQLite backend)",
                );
                Flow::Continue
            }
        }
    }

    /// Shows SQL to the inspector; `false` when it was blocked (the client got ERR 1142).
    pub(super) fn inspect(&mut self, sql: &str, source: StatementSource) -> bool {
        let ctx = StatementContext {
            protocol: Protocol::MySql,
            source,
            user: &self.user,
            database: &self.database,
            client_addr: self.peer,
            sql,
        };
        match judge(&self.state, &ctx) {
            Verdict::Allow | Verdict::Alert { .. } => true,
            Verdict::Block { rule, message, .. } => {
                self.reply()
                    .err(1142, "42000", &format!("{message} (rule {rule})"));
                false
            }
        }
    }

    /// COM_STATISTICS: one plain string packet.
    fn statistics(&mut self) {
        let uptime = self
            .state
            .started()
            .elapsed()
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let questions = self.state.counters.queries.load(Ordering::Relaxed);
        let text = format!(
            "Uptime: {uptime}  Threads: {}  Questions: {questions}  Slow queries: 0  Opens: 0  \
             Open tables: 0  Queries per second avg: 0.000",
            self.state.open_connections()
        );
        let mut w = PacketWriter::new(&mut self.out, &mut self.seq);
        w.put_slice(text.as_bytes());
        w.finish();
    }

    /// COM_SET_OPTION: multi-statements on or off; answered with an EOF packet (an OK with
    /// header 0xFE under `CLIENT_DEPRECATE_EOF`, as MySQL does).
    fn set_option(&mut self, payload: &[u8]) {
        match ComSetOption::decode(payload).map(|o| o.option) {
            Ok(SetOption::MultiStatementsOn) => self.caps.insert(Capabilities::MULTI_STATEMENTS),
            Ok(SetOption::MultiStatementsOff) => self.caps.remove(Capabilities::MULTI_STATEMENTS),
            _ => {
                self.reply().err(1047, "08S01", "Unknown COM_SET_OPTION");
                return;
            }
        }
        let status = self.status(false);
        self.reply().end(status);
    }
}
