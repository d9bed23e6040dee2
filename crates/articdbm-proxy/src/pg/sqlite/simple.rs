//! The simple query protocol on an SQLite session: inspect the query string, translate it,
//! run its statements in order (several as one implicit transaction, like PostgreSQL), each
//! answered with RowDescription (types from the first row when not declared), DataRows and a
//! command tag, then ReadyForQuery. The first failing statement ends the query.

use articdbm_wire_pg::Frame;
use articdbm_wire_pg::backend::{tag, write_empty};
use articdbm_wire_pg::frontend::Query;
use std::sync::atomic::Ordering;

use super::SqliteFront;
use super::messages::write_row_description;
use super::results::{Running, column_oids, fields};
use crate::inspect::{StatementSource, Verdict};
use crate::sqlite::translate::{self, PgStatement, TxControl};

impl SqliteFront {
    pub(super) async fn on_query(&mut self, frame: &Frame) -> Result<(), String> {
        let query = Query::decode(frame).map_err(|e| e.to_string())?;
        self.state.counters.queries.fetch_add(1, Ordering::Relaxed);
        // A simple query ends any extended-protocol batch left without Sync.
        self.skipping = false;
        let Ok(sql) = query.sql() else {
            self.error("22021", "invalid byte sequence for encoding \"UTF8\"");
            self.ready();
            return Ok(());
        };
        if let Verdict::Block {
            rule,
            message,
            sqlstate,
        } = self.inspect(sql, StatementSource::SimpleQuery)
        {
            self.refuse(sqlstate, &format!("{message} (rule {rule})"));
            self.ready();
            return Ok(());
        }
        let translation = match translate::pg(sql) {
            Ok(t) => t,
            Err(e) => {
                self.error("22021", &e.to_string());
                self.ready();
                return Ok(());
            }
        };
        let statements = &translation.statements;
        if statements.is_empty() {
            write_empty(&mut self.out, tag::EMPTY_QUERY_RESPONSE);
            self.ready();
            return Ok(());
        }
        // Several statements outside a block run as one transaction (unless they manage
        // transactions themselves).
        let wrap = statements.len() > 1
            && !self.session.in_transaction()
            && !self.failed
            && statements
                .iter()
                .all(|s| s.tx.is_none() && s.local.is_none());
        if wrap {
            match self.execute_discarding("BEGIN").await {
                Ok(()) => self.implicit = true,
                Err(e) => {
                    self.engine_error(&e);
                    self.ready();
                    return Ok(());
                }
            }
        }
        let mut ok = true;
        for st in statements {
            if !self.run_simple(st).await {
                ok = false;
                break;
            }
        }
        if wrap && self.implicit {
            self.implicit = false;
            let end = if ok { "COMMIT" } else { "ROLLBACK" };
            if let Err(e) = self.execute_discarding(end).await {
                let _ = self.execute_discarding("ROLLBACK").await;
                self.error(e.sqlstate(), &e.message);
            }
        }
        self.ready();
        Ok(())
    }

    /// One statement of a simple query; `false` when it failed (an error was written).
    async fn run_simple(&mut self, st: &PgStatement) -> bool {
        if self.failed && !ends_failed_block(st) {
            self.refuse_in_failed();
            return false;
        }
        if let Some(local) = &st.local {
            return self.run_local(local, true).await;
        }
        if let Some(tx) = &st.tx {
            return self.run_tx(st, tx).await;
        }
        let mut exec = match self.session.execute(&st.sql, Vec::new()).await {
            Ok(e) => e,
            Err(e) => {
                self.engine_error(&e);
                return false;
            }
        };
        let buffered = match Self::peek(&mut exec).await {
            Ok(b) => b,
            Err(e) => {
                self.engine_error(&e);
                return false;
            }
        };
        let columns = exec.columns().to_vec();
        let oids = column_oids(&columns, &st.column_types, buffered.front());
        let fields = fields(&columns, &oids, &[]);
        if !fields.is_empty() {
            write_row_description(&mut self.out, &fields);
        }
        let mut run = Running {
            exec,
            buffered,
            fields,
            verb: st.verb.clone(),
        };
        match self.send_rows(&mut run, 0).await {
            Ok(_) => true,
            Err(e) => {
                self.engine_error(&e);
                false
            }
        }
    }
}

/// Whether `st` may run in a failed transaction block (it ends it, or rolls back to a
/// savepoint).
pub(super) fn ends_failed_block(st: &PgStatement) -> bool {
    matches!(
        st.tx,
        Some(TxControl::Rollback | TxControl::Commit | TxControl::RollbackTo(_))
    )
}
