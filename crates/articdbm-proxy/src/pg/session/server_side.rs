//! What a session does with the server's messages: bookkeeping of ReadyForQuery, ParseComplete
//! and CloseComplete against the batches in flight, the proxy's own errors swapped in, tracked
//! parameters followed, and the loss of a server (08006 or the end of the session).

use articdbm_wire_pg::Frame;
use articdbm_wire_pg::backend::error_response::{Severity, write_error};
use articdbm_wire_pg::backend::parameter_status::ParameterStatus;
use articdbm_wire_pg::backend::{ErrorFields, TransactionStatus, tag as be};

use super::super::batches::Parsing;
use super::super::client_encoding::ClientEncoding;
use super::super::refusal;
use super::super::reply::sqlstate;
use super::lost::{ABORTED, Lost};
use super::{Flow, Session};
use bytes::BytesMut;

impl Session {
    /// Processes everything buffered from the server. `Err` means the stream is unusable.
    pub(super) fn on_server_data(&mut self) -> Result<(), String> {
        loop {
            let Some(g) = self.server.as_mut() else {
                return Ok(());
            };
            let server = g.server();
            let len = match server.pass_through(&mut self.out, passes_through) {
                Ok(Some(len)) => len,
                Ok(None) => return Ok(()),
                Err(e) => return Err(e.to_string()),
            };
            if let [be::READY_FOR_QUERY, 0, 0, 0, 5, status] = *server.front(len) {
                // The last message of every answer, handled in place.
                let status = TransactionStatus::from_byte(status).map_err(|e| e.to_string())?;
                server.consume(len);
                self.on_ready_for_query(status);
                continue;
            }
            let frame = match server.next_buffered() {
                Ok(Some(f)) => f,
                Ok(None) => return Ok(()),
                Err(e) => return Err(e.to_string()),
            };
            self.on_server_frame(frame)?;
        }
    }

    /// The server finished answering one request (query or Sync).
    fn on_ready_for_query(&mut self, status: TransactionStatus) {
        self.tx = status;
        self.batches.completed();
        self.ready_received += 1;
        self.deferred
            .emit_before(self.ready_received, &mut self.out, self.tx);
        status.write(&mut self.out);
        self.deferred
            .emit_after(self.ready_received, &mut self.out, self.tx);
    }

    pub(super) fn on_server_frame(&mut self, frame: Frame) -> Result<(), String> {
        tracing::trace!(peer = %self.id.peer, tag = %(frame.tag() as char), "server message");
        match frame.tag() {
            be::READY_FOR_QUERY => {
                let status = TransactionStatus::decode(&frame).map_err(|e| e.to_string())?;
                self.on_ready_for_query(status);
            }
            be::PARSE_COMPLETE => {
                let parsing = self.batches.front().parsing.pop_front();
                let swallow = parsing.is_some_and(|p| p.injected);
                if !swallow {
                    self.out.extend_from_slice(frame.as_bytes());
                }
            }
            be::CLOSE_COMPLETE => {
                let batch = self.batches.front();
                if batch.swallow_close > 0 {
                    batch.swallow_close -= 1;
                } else {
                    self.out.extend_from_slice(frame.as_bytes());
                }
            }
            be::ERROR_RESPONSE => {
                if let Some(reason) = server_fatal(&frame) {
                    if self.transaction_mode {
                        // The server is going away but the client's session outlives it: the
                        // client is told 08006 (see `server_lost`), never a FATAL that ends its
                        // connection.
                        return Err(reason);
                    }
                    // Session mode: the server's own FATAL is what the client hears, alone.
                    self.server_fatal = true;
                }
                let batch = self.batches.front();
                let unconfirmed: Vec<Parsing> = batch.parsing.drain(..).collect();
                batch.swallow_close = 0;
                // The proxy's error replaces the answer to its stand-in; an earlier error of the
                // batch made the server skip the stand-in, and then that error stands.
                let own = batch.replace_error.take();
                self.forget_unconfirmed(unconfirmed);
                match own {
                    Some(err) if refusal::is_stand_in_error(&frame) => {
                        self.out.extend_from_slice(&err);
                    }
                    _ => self.out.extend_from_slice(frame.as_bytes()),
                }
            }
            be::PARAMETER_STATUS => {
                if let Some(g) = self.server.as_mut() {
                    g.server()
                        .observe_parameter(&frame)
                        .map_err(|e| e.to_string())?;
                }
                if let Ok(p) = ParameterStatus::decode(&frame)
                    && p.name.eq_ignore_ascii_case("client_encoding")
                {
                    self.encoding = ClientEncoding::from_server_name(&p.value);
                }
                self.out.extend_from_slice(frame.as_bytes());
            }
            _ => self.out.extend_from_slice(frame.as_bytes()),
        }
        Ok(())
    }

    /// The server rejected (or skipped) these Parses: they exist neither on the server nor, for
    /// the client's own Parses, under the client's names.
    pub(super) fn forget_unconfirmed(&mut self, unconfirmed: Vec<Parsing>) {
        for p in unconfirmed.into_iter().filter(|p| p.id != 0) {
            if let Some(g) = self.server.as_mut() {
                g.server().prepared().remove(&p.id);
            }
            let same = self
                .statements
                .get(&p.client_name)
                .is_some_and(|s| s.id == p.id);
            if !p.client_name.is_empty() && same {
                self.statements.remove(&p.client_name);
            }
        }
    }

    /// The server went away. In session mode the session ends: with the server's own FATAL if
    /// it sent one, else 08006. In transaction mode the client keeps its session: each request
    /// in flight fails with 08006, and a client that was (or may have been) inside a transaction
    /// is left in a failed transaction, never outside it (see `lost`).
    pub(super) fn server_lost(&mut self, reason: &str) -> Flow {
        tracing::warn!(user = %self.id.user, database = %self.id.database, %reason, "server connection lost");
        let in_transaction =
            self.tx != TransactionStatus::Idle || self.batches.may_open_transaction();
        let in_flight = self.batches.in_flight();
        let open = self.batches.is_open();
        self.detach(false);
        self.batches.clear();
        self.deferred.clear();
        self.refused = None;
        self.ready_received = self.ready_sent;
        if !self.transaction_mode {
            if !self.server_fatal {
                write_error(
                    &mut self.out,
                    Severity::Fatal,
                    sqlstate::CONNECTION_FAILURE,
                    reason,
                );
            }
            return Flow::Close;
        }
        if !in_transaction {
            self.tx = TransactionStatus::Idle;
        } else {
            self.tx = TransactionStatus::Failed;
            if in_flight == 0 && !open {
                // The client sits idle in its transaction: told at its next request.
                self.lost = Some(Lost::Unreported(reason.to_string()));
                return Flow::Continue;
            }
            self.lost = Some(Lost::Failed);
        }
        let error = |out: &mut BytesMut, first: bool| {
            if first || !in_transaction {
                write_error(out, Severity::Error, sqlstate::CONNECTION_FAILURE, reason);
            } else {
                write_error(
                    out,
                    Severity::Error,
                    sqlstate::IN_FAILED_TRANSACTION,
                    ABORTED,
                );
            }
        };
        for i in 0..in_flight {
            error(&mut self.out, i == 0);
            self.tx.write(&mut self.out);
        }
        if open {
            // Like a server after an error: the rest of the batch is skipped up to its Sync,
            // which is answered with this error.
            let mut err = BytesMut::new();
            error(&mut err, in_flight == 0);
            self.refused = Some(err);
        }
        Flow::Continue
    }
}

/// Server messages the session only forwards (rows, descriptions, command tags, notices...):
/// they go to the client in one copy per run, without being split off one by one.
fn passes_through(tag: u8) -> bool {
    !matches!(
        tag,
        be::READY_FOR_QUERY
            | be::PARSE_COMPLETE
            | be::CLOSE_COMPLETE
            | be::ERROR_RESPONSE
            | be::PARAMETER_STATUS
    )
}

/// The reason to report when a server's ErrorResponse is FATAL or PANIC (it closes next).
fn server_fatal(frame: &Frame) -> Option<String> {
    let e = ErrorFields::decode(frame).ok()?;
    matches!(e.severity.as_str(), "FATAL" | "PANIC").then(|| {
        format!(
            "server connection lost: {} (SQLSTATE {})",
            e.message, e.code
        )
    })
}
