//! Following a server's response to one command until it is complete.
//!
//! The proxy forwards server packets as they come, but must know *exactly* when a response
//! ends: only then can the next command go to the server or the connection go back to the
//! pool. [`ResponseTracker`] is built from the command the client sent and is fed every
//! logical server packet (and, during LOCAL INFILE or re-authentication, the client's packets).
//! It handles:
//!
//! - OK / ERR replies, EOF replies (COM_SET_OPTION, COM_DEBUG), COM_STATISTICS' bare string;
//! - text and binary result sets, with and without `CLIENT_DEPRECATE_EOF` (EOF packets vs. an
//!   OK packet with header `0xFE` ending the rows), optional metadata (MySQL
//!   `CLIENT_OPTIONAL_RESULTSET_METADATA`, MariaDB `MARIADB_CLIENT_CACHE_METADATA`);
//! - multi-result responses (`SERVER_MORE_RESULTS_EXISTS` on an OK or a closing EOF), an ERR
//!   ending a multi-statement batch, OUT-parameter result sets of CALL;
//! - LOCAL INFILE (`0xFB`): the client sends file contents up to an empty packet, then the
//!   server answers OK/ERR;
//! - COM_STMT_PREPARE replies (PREPARE_OK, parameter and column definitions, with or without
//!   EOFs), cursors opened by COM_STMT_EXECUTE (`SERVER_STATUS_CURSOR_EXISTS` ends the reply
//!   after the metadata) and COM_STMT_FETCH;
//! - COM_CHANGE_USER's authentication exchange;
//! - MariaDB progress reports (ERR code 0xFFFF with `MARIADB_CLIENT_PROGRESS`), skipped.
//!
//! At the end it reports the last status flags the server sent (transaction state), whether
//! the response ended with them (after an ERR the server sends none: the transaction state is
//! then whatever it was, except for errors that roll back, such as deadlock 1213), the OK
//! packets' session-state-change information and the PREPARE_OK. Feeding it is allocation-free
//! unless session state changes are reported.

use bytes::Bytes;

use crate::backend::{EofPacket, ErrPacket, OkPacket};
use crate::capabilities::Capabilities;
use crate::error::WireError;
use crate::frontend::command::Command;
use crate::lenenc;
use crate::packet::MAX_PAYLOAD;
use crate::resultset::StmtPrepareOk;
use crate::status::ServerStatus;

/// What the caller should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Read and feed the next server packet.
    NeedMore,
    /// The client must send next (LOCAL INFILE data, an auth reply): feed its packets with
    /// [`ResponseTracker::feed_client`].
    AwaitClient,
    /// The response is complete.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    /// Column definitions of a result set; rows follow.
    Rows,
    /// Parameter definitions of a prepare reply; `columns` column definitions follow.
    PrepareColumns(u16),
    /// The prepare reply's column definitions; the reply ends.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// First packet of a result (OK, ERR, LOCAL INFILE or column count).
    Result,
    Defs {
        left: u64,
        then: Then,
    },
    DefsEof(Then),
    Rows,
    InfileData,
    InfileResult,
    Prepare,
    FieldList,
    Single,
    Statistics,
    Auth,
    AuthClient,
    Done,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Result => "expecting a result",
            State::Defs { .. } => "reading column definitions",
            State::DefsEof(_) => "expecting EOF after column definitions",
            State::Rows => "reading rows",
            State::InfileData => "waiting for LOCAL INFILE data from the client",
            State::InfileResult => "expecting the LOCAL INFILE result",
            State::Prepare => "expecting a prepare reply",
            State::FieldList => "reading a field list",
            State::Single => "expecting OK, ERR or EOF",
            State::Statistics => "expecting statistics",
            State::Auth => "authenticating",
            State::AuthClient => "waiting for the client's auth reply",
            State::Done => "after the end of the response",
        }
    }
}

/// Follows one command's response.
#[derive(Debug, Clone)]
pub struct ResponseTracker {
    caps: Capabilities,
    state: State,
    binary: bool,
    cursor: bool,
    status: ServerStatus,
    status_final: bool,
    results: u32,
    affected_rows: u64,
    last_insert_id: u64,
    warnings: u16,
    error: Option<ErrPacket>,
    session_state: Vec<Bytes>,
    prepare: Option<StmtPrepareOk>,
}

impl ResponseTracker {
    /// A tracker for the response to `command` (the request payload, command byte first),
    /// under the negotiated capabilities `caps`. `status` is the session's status before the
    /// command (reported until the server sends new flags).
    pub fn new(
        command: &[u8],
        caps: Capabilities,
        status: ServerStatus,
    ) -> Result<Self, WireError> {
        let cmd = Command::of(command).ok_or(WireError::truncated("command"))?;
        let mut t = ResponseTracker {
            caps,
            state: State::Single,
            binary: false,
            cursor: false,
            status,
            status_final: false,
            results: 0,
            affected_rows: 0,
            last_insert_id: 0,
            warnings: 0,
            error: None,
            session_state: Vec::new(),
            prepare: None,
        };
        t.state = match cmd {
            Command::Query | Command::ProcessInfo => State::Result,
            Command::StmtExecute | Command::StmtBulkExecute => {
                t.binary = true;
                t.cursor =
                    cmd == Command::StmtExecute && command.get(5).is_some_and(|f| f & 0x07 != 0);
                State::Result
            }
            Command::StmtFetch => {
                t.binary = true;
                State::Rows
            }
            Command::StmtPrepare => State::Prepare,
            Command::FieldList => State::FieldList,
            Command::Statistics => State::Statistics,
            Command::ChangeUser => State::Auth,
            Command::Quit | Command::StmtClose | Command::StmtSendLongData => State::Done,
            Command::BinlogDump
            | Command::BinlogDumpGtid
            | Command::RegisterSlave
            | Command::TableDump
            | Command::ConnectOut
            | Command::Clone
            | Command::Multi
            | Command::Daemon
            | Command::Connect => {
                return Err(WireError::Unsupported(
                    "the response to this command cannot be followed",
                ));
            }
            _ => State::Single,
        };
        Ok(t)
    }

    /// Feeds the next logical server packet.
    pub fn feed(&mut self, payload: &Bytes) -> Result<Progress, WireError> {
        let first = payload.first().copied();
        let unexpected = |s: State| WireError::Unexpected {
            state: s.name(),
            header: first.unwrap_or(0),
        };
        let Some(first) = first else {
            // Only COM_STATISTICS may answer with an empty payload.
            if self.state == State::Statistics {
                self.state = State::Done;
                return Ok(Progress::Done);
            }
            return Err(unexpected(self.state));
        };
        if first == 0xFF && !matches!(self.state, State::Statistics | State::Done) {
            return self.on_err(payload);
        }
        match self.state {
            State::Result | State::InfileResult => match first {
                0x00 => self.on_ok(payload),
                0xFB if self.state == State::Result => {
                    self.state = State::InfileData;
                    Ok(Progress::AwaitClient)
                }
                _ if self.state == State::Result => self.on_column_count(payload),
                _ => Err(unexpected(self.state)),
            },
            State::Defs { left, then } => {
                self.state = if left > 1 {
                    State::Defs {
                        left: left - 1,
                        then,
                    }
                } else {
                    self.after_defs(then)
                };
                Ok(self.progress())
            }
            State::DefsEof(then) => {
                if !crate::backend::is_eof(payload) {
                    return Err(unexpected(self.state));
                }
                let eof = EofPacket::decode(payload)?;
                self.status = eof.status;
                self.warnings = eof.warnings;
                self.state = match then {
                    Then::Rows
                        if self.cursor && eof.status.contains(ServerStatus::CURSOR_EXISTS) =>
                    {
                        self.status_final = true;
                        State::Done
                    }
                    Then::Rows => State::Rows,
                    Then::PrepareColumns(0) | Then::End => {
                        self.status_final = true;
                        State::Done
                    }
                    Then::PrepareColumns(n) => State::Defs {
                        left: u64::from(n),
                        then: Then::End,
                    },
                };
                Ok(self.progress())
            }
            State::Rows | State::FieldList => {
                if self.is_terminator(payload) {
                    return self.on_terminator(payload, true);
                }
                if self.binary && first != 0x00 {
                    return Err(unexpected(self.state));
                }
                Ok(Progress::NeedMore)
            }
            State::Prepare => {
                if first != 0x00 {
                    return Err(unexpected(self.state));
                }
                let ok = StmtPrepareOk::decode(payload)?;
                self.prepare = Some(ok);
                self.warnings = ok.warnings;
                self.state = if !ok.has_metadata() {
                    State::Done
                } else if ok.num_params > 0 {
                    State::Defs {
                        left: u64::from(ok.num_params),
                        then: Then::PrepareColumns(ok.num_columns),
                    }
                } else if ok.num_columns > 0 {
                    State::Defs {
                        left: u64::from(ok.num_columns),
                        then: Then::End,
                    }
                } else {
                    State::Done
                };
                Ok(self.progress())
            }
            State::Single => match first {
                0x00 => self.on_ok(payload),
                0xFE => self.on_terminator(payload, false),
                _ => Err(unexpected(self.state)),
            },
            State::Statistics => {
                self.state = State::Done;
                Ok(Progress::Done)
            }
            State::Auth => match first {
                0x00 => self.on_ok(payload),
                0xFE => {
                    self.state = State::AuthClient;
                    Ok(Progress::AwaitClient)
                }
                0x01 if payload.get(1..) == Some(&[0x03][..]) => Ok(Progress::NeedMore),
                0x01 => {
                    self.state = State::AuthClient;
                    Ok(Progress::AwaitClient)
                }
                _ => Err(unexpected(self.state)),
            },
            State::InfileData | State::AuthClient | State::Done => Err(unexpected(self.state)),
        }
    }

    /// Feeds a packet the client sent while [`Progress::AwaitClient`] was in force.
    pub fn feed_client(&mut self, payload: &[u8]) -> Result<Progress, WireError> {
        match self.state {
            State::InfileData if payload.is_empty() => {
                self.state = State::InfileResult;
                Ok(Progress::NeedMore)
            }
            State::InfileData => Ok(Progress::AwaitClient),
            State::AuthClient => {
                self.state = State::Auth;
                Ok(Progress::NeedMore)
            }
            s => Err(WireError::Unexpected {
                state: s.name(),
                header: payload.first().copied().unwrap_or(0),
            }),
        }
    }

    fn progress(&self) -> Progress {
        if self.state == State::Done {
            Progress::Done
        } else {
            Progress::NeedMore
        }
    }

    fn deprecate_eof(&self) -> bool {
        self.caps.contains(Capabilities::DEPRECATE_EOF)
    }

    /// Whether a packet in row position ends the rows: EOF, or with `DEPRECATE_EOF` an OK
    /// with header 0xFE (a text row can start with 0xFE only when it is at least 16 MiB).
    fn is_terminator(&self, payload: &[u8]) -> bool {
        payload.first() == Some(&0xFE)
            && if self.deprecate_eof() {
                payload.len() < MAX_PAYLOAD
            } else {
                payload.len() < 9
            }
    }

    fn after_defs(&self, then: Then) -> State {
        if !self.deprecate_eof() {
            return State::DefsEof(then);
        }
        match then {
            Then::Rows => State::Rows,
            Then::PrepareColumns(0) | Then::End => State::Done,
            Then::PrepareColumns(n) => State::Defs {
                left: u64::from(n),
                then: Then::End,
            },
        }
    }

    fn on_column_count(&mut self, payload: &Bytes) -> Result<Progress, WireError> {
        let (count, n) = lenenc::decode_int(payload)?;
        if count == 0 {
            return Err(WireError::malformed("result set", "zero columns"));
        }
        let mut metadata = true;
        let optional = self
            .caps
            .contains(Capabilities::OPTIONAL_RESULTSET_METADATA)
            || (self.binary && self.caps.contains(Capabilities::MARIADB_CACHE_METADATA));
        match (payload.get(n), optional) {
            (Some(&m), true) if payload.len() == n + 1 => metadata = m != 0,
            (None, _) => {}
            _ => return Err(WireError::malformed("result set", "trailing bytes")),
        }
        self.state = if metadata {
            State::Defs {
                left: count,
                then: Then::Rows,
            }
        } else {
            self.after_defs(Then::Rows)
        };
        Ok(Progress::NeedMore)
    }

    fn on_ok(&mut self, payload: &Bytes) -> Result<Progress, WireError> {
        let ok = OkPacket::decode(payload, self.caps)?;
        self.record_ok(ok);
        Ok(self.next_result())
    }

    fn record_ok(&mut self, ok: OkPacket) {
        self.results += 1;
        self.status = ok.status;
        self.status_final = true;
        self.affected_rows = ok.affected_rows;
        self.last_insert_id = ok.last_insert_id;
        self.warnings = ok.warnings;
        if let Some(s) = ok.session_state {
            self.session_state.push(s);
        }
    }

    /// An EOF, or an OK with header 0xFE under `DEPRECATE_EOF`, ending rows or a reply.
    fn on_terminator(&mut self, payload: &Bytes, ends_result: bool) -> Result<Progress, WireError> {
        if self.deprecate_eof() {
            let ok = OkPacket::decode(payload, self.caps)?;
            self.record_ok(ok);
        } else {
            let eof = EofPacket::decode(payload)?;
            if ends_result {
                self.results += 1;
            }
            self.status = eof.status;
            self.status_final = true;
            self.warnings = eof.warnings;
        }
        if self.state == State::Rows {
            return Ok(self.next_result());
        }
        self.state = State::Done;
        Ok(Progress::Done)
    }

    fn next_result(&mut self) -> Progress {
        let more = self.status.more_results()
            && matches!(
                self.state,
                State::Result | State::InfileResult | State::Rows
            );
        self.state = if more { State::Result } else { State::Done };
        self.progress()
    }

    fn on_err(&mut self, payload: &Bytes) -> Result<Progress, WireError> {
        let err = ErrPacket::decode(payload)?;
        if err.is_progress() && self.caps.contains(Capabilities::MARIADB_PROGRESS) {
            return Ok(Progress::NeedMore);
        }
        self.error = Some(err);
        self.status_final = false;
        self.state = State::Done;
        Ok(Progress::Done)
    }

    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Whether the tracker is reading the rows of a result set: a packet fed in this state
    /// after which it still is was a row (the terminator or an ERR moves it on).
    pub fn in_rows(&self) -> bool {
        self.state == State::Rows
    }

    /// The latest status flags the server sent (or the ones given at construction).
    pub fn status(&self) -> ServerStatus {
        self.status
    }

    /// The status flags the response ended with; `None` when it ended with an ERR (no flags
    /// sent: keep the session's previous transaction state, unless the error rolled back), or
    /// carried no flags at all (COM_STATISTICS, a prepare reply under `DEPRECATE_EOF`).
    pub fn final_status(&self) -> Option<ServerStatus> {
        (self.is_done() && self.status_final).then_some(self.status)
    }

    /// The ERR packet that ended the response, if any.
    pub fn error(&self) -> Option<&ErrPacket> {
        self.error.as_ref()
    }

    /// Number of results completed (OK packets and finished result sets).
    pub fn results(&self) -> u32 {
        self.results
    }

    /// `(affected rows, last insert id)` of the last OK packet.
    pub fn last_ok(&self) -> (u64, u64) {
        (self.affected_rows, self.last_insert_id)
    }

    pub fn warnings(&self) -> u16 {
        self.warnings
    }

    /// Session-state-change blobs of the OK packets, in order (parse each with
    /// [`crate::backend::SessionStateChanges`]).
    pub fn session_state(&self) -> &[Bytes] {
        &self.session_state
    }

    /// The PREPARE_OK of a COM_STMT_PREPARE reply.
    pub fn prepare_ok(&self) -> Option<StmtPrepareOk> {
        self.prepare
    }

    /// Whether a cursor stayed open (COM_STMT_EXECUTE with a cursor flag, or COM_STMT_FETCH
    /// with rows left): the statement's cursor keeps the connection bound to this client.
    pub fn cursor_open(&self) -> bool {
        self.status.contains(ServerStatus::CURSOR_EXISTS)
            && !self.status.contains(ServerStatus::LAST_ROW_SENT)
    }
}
