//! A server lost while it held the client's transaction (transaction mode). The client must
//! never go on outside the transaction it opened: it is told ReadyForQuery 'E' (a failed
//! transaction), every statement but ROLLBACK is refused with 25P02, and COMMIT answers
//! ROLLBACK, as a server does for a failed transaction. Plain ROLLBACK/COMMIT and refused
//! simple queries are answered here; anything else (the extended protocol, `ROLLBACK TO`,
//! several statements) goes to a fresh server first put into a failed transaction, which then
//! answers exactly as PostgreSQL does. A loss while the client sat idle in its transaction is
//! reported at its next request (ROLLBACK then simply succeeds, COMMIT fails with 08006).

use articdbm_wire_pg::Frame;
use articdbm_wire_pg::backend::TransactionStatus;
use articdbm_wire_pg::backend::error_response::{Severity, write_error};
use articdbm_wire_pg::backend::{tag as be, write_empty};
use articdbm_wire_pg::frontend::{Query, tag as fe};

use super::super::refusal;
use super::super::reply::sqlstate;
use super::super::transaction_sql::{InFailedTransaction, in_failed_transaction, is_commit};
use super::Session;
use crate::backend::server::Server;
use crate::error::BackendError;

/// The server's message for a statement in a failed transaction.
pub(super) const ABORTED: &str =
    "current transaction is aborted, commands ignored until end of transaction block";

/// A transaction the client holds that no server holds any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Lost {
    /// Lost while the client sat idle in it; the client does not know yet.
    Unreported(String),
    /// The client was told (ReadyForQuery 'E'): it is in a failed transaction.
    Failed,
}

impl Session {
    /// Answers `frame` for a client whose transaction was lost, when the proxy can; returns
    /// false when the message goes on to the normal handling (a server taken for it is put
    /// into a failed transaction first, see [`fail_transaction`]).
    pub(super) fn answer_lost(&mut self, frame: &Frame) -> Result<bool, String> {
        let Some(lost) = self.lost.take() else {
            return Ok(false);
        };
        // Replies owed from before come first (nothing is in flight: no server is attached).
        self.deferred
            .emit_after(self.ready_received, &mut self.out, self.tx);
        let tag = frame.tag();
        match (lost, tag) {
            (Lost::Unreported(reason), fe::QUERY) => {
                let query = Query::decode(frame).map_err(|e| e.to_string())?;
                let kind = query
                    .sql()
                    .map_or(InFailedTransaction::Refused, in_failed_transaction);
                match kind {
                    InFailedTransaction::Ends if is_commit(query.sql().unwrap_or("")) => {
                        // The COMMIT fails, and like a failed COMMIT leaves no transaction.
                        self.tx = TransactionStatus::Idle;
                        self.answer(Some((sqlstate::CONNECTION_FAILURE, &reason)), None);
                    }
                    InFailedTransaction::Ends => {
                        self.tx = TransactionStatus::Idle;
                        self.answer(None, Some("ROLLBACK"));
                    }
                    _ => {
                        self.lost = Some(Lost::Failed);
                        self.answer(Some((sqlstate::CONNECTION_FAILURE, &reason)), None);
                    }
                }
                Ok(true)
            }
            (Lost::Unreported(reason), fe::FUNCTION_CALL) => {
                self.lost = Some(Lost::Failed);
                self.answer(Some((sqlstate::CONNECTION_FAILURE, &reason)), None);
                Ok(true)
            }
            (
                Lost::Unreported(reason),
                fe::PARSE | fe::BIND | fe::DESCRIBE | fe::CLOSE | fe::EXECUTE,
            ) => {
                // Reported at the Sync; the messages up to it are dropped.
                self.lost = Some(Lost::Failed);
                self.refuse_extended(sqlstate::CONNECTION_FAILURE, &reason);
                Ok(false)
            }
            (Lost::Failed, fe::QUERY) => {
                let query = Query::decode(frame).map_err(|e| e.to_string())?;
                match query
                    .sql()
                    .map_or(InFailedTransaction::Refused, in_failed_transaction)
                {
                    InFailedTransaction::Ends => {
                        self.tx = TransactionStatus::Idle;
                        self.answer(None, Some("ROLLBACK"));
                    }
                    InFailedTransaction::Empty => {
                        self.lost = Some(Lost::Failed);
                        write_empty(&mut self.out, be::EMPTY_QUERY_RESPONSE);
                        self.tx.write(&mut self.out);
                    }
                    InFailedTransaction::Refused => {
                        self.lost = Some(Lost::Failed);
                        self.answer(Some((sqlstate::IN_FAILED_TRANSACTION, ABORTED)), None);
                    }
                    InFailedTransaction::NeedsServer => {
                        self.lost = Some(Lost::Failed);
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            (lost, _) => {
                self.lost = Some(lost);
                Ok(false)
            }
        }
    }

    /// Writes the answer to a whole simple query: an error or a command tag, then
    /// ReadyForQuery with the session's status.
    fn answer(&mut self, error: Option<(&str, &str)>, tag: Option<&str>) {
        if let Some((code, message)) = error {
            write_error(&mut self.out, Severity::Error, code, message);
        }
        if let Some(tag) = tag {
            articdbm_wire_pg::backend::command_complete::write(&mut self.out, tag);
        }
        self.tx.write(&mut self.out);
    }
}

/// Puts a fresh server into a failed transaction, where it answers the client's next
/// messages exactly as the lost server would have.
pub(super) async fn fail_transaction(server: &mut Server) -> Result<(), BackendError> {
    server.run_discarding("BEGIN").await?;
    match server.run_discarding(refusal::UNPARSABLE).await {
        Err(BackendError::Rejected { .. }) => Ok(()),
        Ok(()) => Err(BackendError::Closed),
        Err(e) => Err(e),
    }
}
