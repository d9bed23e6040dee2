//! Statements the proxy answers itself on an SQLite session: `SHOW`, `SET`, `RESET`,
//! `DISCARD`, `DEALLOCATE`, the unsupported `LISTEN`/`NOTIFY`/`COPY`, and the transaction
//! statements with PostgreSQL's rules (warnings for BEGIN in a block and COMMIT outside one,
//! COMMIT of a failed block rolls back, savepoints only inside blocks).

use articdbm_wire_pg::backend::command_complete;
use articdbm_wire_pg::backend::parameter_status::ParameterStatus;
use bytes::BytesMut;

use super::SqliteFront;
use super::messages::{Field, write_data_row, write_row_description};
use super::types;
use crate::pg::reply::sqlstate;
use crate::sqlite::translate::{Local, PgStatement, TxControl};

const UNDEFINED_OBJECT: &str = "42704";
const NO_ACTIVE_TRANSACTION: &str = "25P01";
const ACTIVE_TRANSACTION: &str = "25001";

/// The columns a local statement returns (for Describe), empty for none.
pub fn local_columns(local: &Local) -> Vec<Field> {
    let text = |name: &str| Field {
        name: name.to_owned(),
        oid: types::TEXT,
        size: -1,
        format: 0,
    };
    match local {
        Local::Show(name) if name == "all" => {
            vec![text("name"), text("setting"), text("description")]
        }
        Local::Show(name) => vec![text(name)],
        _ => Vec::new(),
    }
}

impl SqliteFront {
    /// Runs a local statement; `false` when it failed (an error was written). With
    /// `describe_rows`, a SHOW also writes its RowDescription.
    pub(super) async fn run_local(&mut self, local: &Local, describe_rows: bool) -> bool {
        match local {
            Local::Show(name) => {
                let rows: Vec<Vec<String>> = if name == "all" {
                    self.settings
                        .all()
                        .into_iter()
                        .map(|(n, v)| vec![n, v, String::new()])
                        .collect()
                } else {
                    match self.settings.get(name) {
                        Some(v) => vec![vec![v]],
                        None => {
                            self.error(
                                UNDEFINED_OBJECT,
                                &format!("unrecognized configuration parameter \"{name}\""),
                            );
                            return false;
                        }
                    }
                };
                if describe_rows {
                    write_row_description(&mut self.out, &local_columns(local));
                }
                for row in &rows {
                    let values: Vec<Option<&[u8]>> =
                        row.iter().map(|v| Some(v.as_bytes())).collect();
                    write_data_row(&mut self.out, &values);
                }
                command_complete::write(&mut self.out, "SHOW");
            }
            Local::Set { name, value, .. } => {
                let value = match super::parameter_values::canonical(name, value) {
                    Ok(v) => v,
                    Err((code, message)) => {
                        self.error(code, &message);
                        return false;
                    }
                };
                if let Some(reported) = self.settings.set(name, &value) {
                    let v = self.settings.get(name).unwrap_or_default();
                    ParameterStatus::write(&mut self.out, reported, &v);
                }
                command_complete::write(&mut self.out, "SET");
            }
            Local::Reset(name) => {
                if let Some(reported) = self.settings.reset(name) {
                    let v = self.settings.get(name).unwrap_or_default();
                    ParameterStatus::write(&mut self.out, reported, &v);
                }
                command_complete::write(&mut self.out, "RESET");
            }
            Local::ResetAll => {
                self.reset_settings();
                command_complete::write(&mut self.out, "RESET");
            }
            Local::Discard(kind) => {
                if kind == "all" {
                    if self.session.in_transaction() && !self.implicit {
                        self.error(
                            ACTIVE_TRANSACTION,
                            "DISCARD ALL cannot run inside a transaction block",
                        );
                        return false;
                    }
                    self.statements.clear();
                    self.portals.clear();
                    self.reset_settings();
                }
                command_complete::write(
                    &mut self.out,
                    &format!("DISCARD {}", kind.to_ascii_uppercase()),
                );
            }
            Local::Deallocate(name) => match name {
                Some(n) => {
                    if self.statements.remove(n.as_bytes()).is_none() {
                        self.error(
                            "26000",
                            &format!("prepared statement \"{n}\" does not exist"),
                        );
                        return false;
                    }
                    command_complete::write(&mut self.out, "DEALLOCATE");
                }
                None => {
                    self.statements.clear();
                    command_complete::write(&mut self.out, "DEALLOCATE ALL");
                }
            },
            Local::Unsupported(what) => {
                self.error(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    &format!("{what} is not supported on an ArticDBM SQLite database"),
                );
                return false;
            }
        }
        true
    }

    fn reset_settings(&mut self) {
        let mut buf = BytesMut::new();
        for name in self.settings.reset_all() {
            let v = self.settings.get(name).unwrap_or_default();
            ParameterStatus::write(&mut buf, name, &v);
        }
        self.out.extend_from_slice(&buf);
    }

    /// Runs a transaction statement with PostgreSQL's rules; `false` when it failed.
    pub(super) async fn run_tx(&mut self, st: &PgStatement, tx: &TxControl) -> bool {
        let in_block = self.session.in_transaction() && !self.implicit;
        let verb = if st.verb.is_empty() {
            "BEGIN"
        } else {
            st.verb.as_str()
        };
        match tx {
            TxControl::Begin { .. } => {
                if in_block || self.failed {
                    self.warning(
                        ACTIVE_TRANSACTION,
                        "there is already a transaction in progress",
                    );
                } else if self.implicit {
                    // The extended batch's implicit transaction becomes this block.
                    self.implicit = false;
                } else if let Err(e) = self.session.execute("BEGIN", Vec::new()).await {
                    self.engine_error(&e);
                    return false;
                }
                command_complete::write(&mut self.out, verb);
            }
            TxControl::Commit | TxControl::Rollback => {
                let rolls_back = self.failed || matches!(tx, TxControl::Rollback);
                if !in_block && !self.failed && !self.implicit {
                    self.warning(NO_ACTIVE_TRANSACTION, "there is no transaction in progress");
                } else {
                    let sql = if rolls_back { "ROLLBACK" } else { "COMMIT" };
                    self.implicit = false;
                    self.failed = false;
                    if let Err(e) = self.execute_discarding(sql).await {
                        // A failed COMMIT ends the transaction, as in PostgreSQL.
                        let _ = self.execute_discarding("ROLLBACK").await;
                        self.error(e.sqlstate(), &e.message);
                        return false;
                    }
                }
                let tag = if rolls_back { "ROLLBACK" } else { "COMMIT" };
                command_complete::write(&mut self.out, tag);
            }
            TxControl::Savepoint(_) | TxControl::Release(_) | TxControl::RollbackTo(_) => {
                if !in_block && !self.failed {
                    let what = match tx {
                        TxControl::Savepoint(_) => "SAVEPOINT",
                        TxControl::Release(_) => "RELEASE SAVEPOINT",
                        _ => "ROLLBACK TO SAVEPOINT",
                    };
                    self.error(
                        NO_ACTIVE_TRANSACTION,
                        &format!("{what} can only be used in transaction blocks"),
                    );
                    return false;
                }
                let rollback_to = matches!(tx, TxControl::RollbackTo(_));
                match self.execute_discarding(&st.sql).await {
                    Ok(()) => {
                        if rollback_to {
                            self.failed = false;
                        }
                    }
                    Err(e) => {
                        self.engine_error(&e);
                        return false;
                    }
                }
                command_complete::write(&mut self.out, verb);
            }
        }
        true
    }

    /// Runs a statement whose rows do not matter.
    pub(super) async fn execute_discarding(
        &mut self,
        sql: &str,
    ) -> Result<(), crate::sqlite::SqliteError> {
        let mut exec = self.session.execute(sql, Vec::new()).await?;
        exec.finish().await.map(|_| ())
    }
}
