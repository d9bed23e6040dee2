//! The binary protocol on SQLite: COM_STMT_PREPARE (inspected like COM_QUERY, translated
//! once, described by SQLite for its columns), COM_STMT_EXECUTE (parameters decoded with the
//! wire crate, types remembered between executions, long data merged, rows in the binary
//! format, or behind a cursor: see `cursor.rs`), COM_STMT_SEND_LONG_DATA, COM_STMT_RESET
//! and COM_STMT_CLOSE.

use std::collections::HashMap;
use std::sync::Arc;

use articdbm_wire_mysql::frontend::stmt_execute::ParamType;
use articdbm_wire_mysql::frontend::{ComStmtPrepare, StmtExecute, statement_id};
use articdbm_wire_mysql::resultset::ColumnDefinition41;
use bytes::Bytes;

use super::cursor::Cursor;
use super::execute::{Format, Outcome};
use super::{Failure, Session};
use crate::inspect::StatementSource;
use crate::mysql::sqlite::coltype;
use crate::mysql::sqlite::convert::{bytes_param, param_value};
use crate::mysql::sqlite::dialect::command::Command;
use crate::mysql::sqlite::dialect::{Mode, Statement, Step};
use crate::sqlite::Value;

/// A statement the client prepared.
#[derive(Debug)]
pub(super) struct Prepared {
    statement: Arc<Vec<Statement>>,
    params: u16,
    /// Parameter types of the last execution that sent them.
    types: Option<Vec<ParamType>>,
    /// COM_STMT_SEND_LONG_DATA chunks by parameter.
    long_data: HashMap<u16, Vec<u8>>,
    /// The cursor of the last execution, when the client asked for one.
    pub(super) cursor: Option<Cursor>,
}

impl Session {
    pub(super) async fn on_prepare(&mut self, payload: &Bytes) {
        let sql = ComStmtPrepare::decode(payload)
            .ok()
            .map(|p| p.sql_bytes().clone());
        let Some(sql) = sql else {
            self.reply()
                .err(1064, "42000", "malformed COM_STMT_PREPARE");
            return;
        };
        let text = String::from_utf8_lossy(&sql).into_owned();
        if !self.inspect(&text, StatementSource::Prepare) {
            return;
        }
        let translation = self.translator.translate(&sql, Mode::Prepare);
        let statements = match translation.as_ref() {
            Ok(s) if s.len() == 1 => s.clone(),
            Ok(s) if s.is_empty() => {
                self.reply().err(1065, "42000", "Query was empty");
                return;
            }
            Ok(s) => {
                let f = crate::mysql::sqlite::dialect::DialectError::syntax_near(
                    s[1].text.as_bytes(),
                    0,
                );
                self.queue_failure(&f.into());
                return;
            }
            Err(e) => {
                self.queue_failure(&e.clone().into());
                return;
            }
        };
        let st = &statements[0];
        let columns = match &st.command {
            Err(e) => {
                self.queue_failure(&e.clone().into());
                return;
            }
            Ok(command) => match self.prepared_columns(command).await {
                Ok(c) => c,
                Err(f) => {
                    self.queue_failure(&f);
                    return;
                }
            },
        };
        let Ok(params) = u16::try_from(st.params) else {
            self.reply().err(
                1390,
                "HY000",
                "Prepared statement contains too many placeholders",
            );
            return;
        };
        self.next_statement = self.next_statement.wrapping_add(1).max(1);
        let id = self.next_statement;
        self.statements.insert(
            id,
            Prepared {
                statement: Arc::new(statements),
                params,
                types: None,
                long_data: HashMap::new(),
                cursor: None,
            },
        );
        let status = self.status(false);
        self.reply().prepare_ok(id, params, &columns, status);
    }

    /// The result columns SQLite reports for a single-step statement (typed by their
    /// declared types; expressions are typed when executed).
    async fn prepared_columns(
        &mut self,
        command: &Command,
    ) -> Result<Vec<ColumnDefinition41>, Failure> {
        let Command::Run(plan) = command else {
            return Ok(Vec::new());
        };
        let [Step::Sql(text)] = plan.steps.as_slice() else {
            return Ok(Vec::new());
        };
        let (sql, _) = self.render(text, &[])?;
        let description = self.engine.describe(&sql).await?;
        Ok(description
            .columns
            .iter()
            .map(|c| {
                let shape = c
                    .decl_type
                    .as_deref()
                    .and_then(|d| coltype::from_decl(d, self.charset))
                    .unwrap_or_else(|| coltype::from_value(None, self.charset));
                shape.definition(&c.name, &self.database)
            })
            .collect())
    }

    pub(super) async fn on_execute(&mut self, payload: &Bytes) {
        let exec = match StmtExecute::decode(payload) {
            Ok(e) => e,
            Err(e) => {
                self.reply()
                    .err(1047, "08S01", &format!("malformed COM_STMT_EXECUTE: {e}"));
                return;
            }
        };
        let Some(prepared) = self.statements.get_mut(&exec.statement_id) else {
            self.unknown_statement(exec.statement_id, "mysqld_stmt_execute");
            return;
        };
        let long = &prepared.long_data;
        let decoded = exec.decode_params_with_long_data(
            usize::from(prepared.params),
            prepared.types.as_deref(),
            self.caps,
            |i| u16::try_from(i).is_ok_and(|i| long.contains_key(&i)),
        );
        let decoded = match decoded {
            Ok(d) => d,
            Err(e) => {
                self.reply().err(
                    1210,
                    "HY000",
                    &format!("Incorrect arguments to mysqld_stmt_execute: {e}"),
                );
                return;
            }
        };
        if decoded.new_types {
            prepared.types = Some(decoded.types.clone());
        }
        prepared.cursor = None;
        let long_data = std::mem::take(&mut prepared.long_data);
        let statement = Arc::clone(&prepared.statement);
        let params: Vec<Value> = decoded
            .values
            .iter()
            .zip(&decoded.types)
            .enumerate()
            .map(
                |(i, (v, t))| match u16::try_from(i).ok().and_then(|i| long_data.get(&i)) {
                    Some(data) => bytes_param(data.clone(), t.ty),
                    None => param_value(v, t.ty),
                },
            )
            .collect();
        let Some(st) = statement.first() else {
            return;
        };
        if exec.flags.opens_cursor() {
            let cursor = self.open_cursor(st, &params).await;
            if let Some(p) = self.statements.get_mut(&exec.statement_id) {
                p.cursor = cursor;
            }
        } else if let Outcome::Gone = self.statement(st, &params, Format::Binary, false).await {
            tracing::debug!(user = %self.user, "client left during a result");
        }
    }

    /// COM_STMT_SEND_LONG_DATA: no reply, as in MySQL (errors show at execution).
    pub(super) fn on_long_data(&mut self, payload: &[u8]) {
        let (Ok(id), Some(param)) = (statement_id(payload), payload.get(5..7)) else {
            return;
        };
        let param = u16::from_le_bytes([param[0], param[1]]);
        if let Some(p) = self.statements.get_mut(&id) {
            p.long_data
                .entry(param)
                .or_default()
                .extend_from_slice(payload.get(7..).unwrap_or(&[]));
        }
    }

    pub(super) fn on_reset_statement(&mut self, payload: &[u8]) {
        let id = statement_id(payload).unwrap_or(0);
        match self.statements.get_mut(&id) {
            Some(p) => {
                p.long_data.clear();
                p.cursor = None;
                self.queue_ok(0, 0, false);
            }
            None => self.unknown_statement(id, "mysqld_stmt_reset"),
        }
    }

    pub(super) fn on_close_statement(&mut self, payload: &[u8]) {
        if let Ok(id) = statement_id(payload) {
            self.statements.remove(&id);
        }
    }

    fn unknown_statement(&mut self, id: u32, what: &str) {
        self.reply().err(
            1243,
            "HY000",
            &format!("Unknown prepared statement handler ({id}) given to {what}"),
        );
    }
}
