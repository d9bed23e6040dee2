//! Read-only cursors of prepared statements: a COM_STMT_EXECUTE with a cursor flag gets the
//! result's metadata and `SERVER_STATUS_CURSOR_EXISTS`; its rows stay in the engine's
//! execution (streamed in batches, never all in memory) until COM_STMT_FETCH asks for them,
//! `n` at a time, the last fetch saying `SERVER_STATUS_LAST_ROW_SENT`. A new execution,
//! COM_STMT_RESET or COM_STMT_CLOSE closes the cursor.

use std::collections::VecDeque;

use articdbm_wire_mysql::ServerStatus;
use articdbm_wire_mysql::resultset::ColumnMeta;

use super::execute::Format;
use super::{Failure, Session};
use crate::mysql::sqlite::coltype::Shape;
use crate::mysql::sqlite::dialect::command::Command;
use crate::mysql::sqlite::dialect::{Statement, Step};
use crate::mysql::sqlite::resultset::metas;
use crate::sqlite::{Execution, Value};

/// An open cursor: the execution and the rows read from it but not yet fetched.
pub(super) struct Cursor {
    exec: Execution,
    shapes: Vec<Shape>,
    metas: Vec<ColumnMeta>,
    buffered: VecDeque<Vec<Value>>,
}

impl std::fmt::Debug for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cursor")
            .field("buffered", &self.buffered.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Executes `st` for a client that asked for a cursor. `None` when the statement opens
    /// no cursor (it returns no rows, or is not a single query): it was answered in full.
    pub(super) async fn open_cursor(&mut self, st: &Statement, params: &[Value]) -> Option<Cursor> {
        let text = match &st.command {
            Ok(Command::Run(plan)) => match plan.steps.as_slice() {
                [Step::Sql(text)] if plan.read_only => text,
                _ => {
                    self.statement(st, params, Format::Binary, false).await;
                    return None;
                }
            },
            _ => {
                self.statement(st, params, Format::Binary, false).await;
                return None;
            }
        };
        match self.start_cursor(text, params).await {
            Ok(cursor) => cursor,
            Err(f) => {
                self.queue_failure(&f);
                None
            }
        }
    }

    async fn start_cursor(
        &mut self,
        text: &crate::mysql::sqlite::dialect::sql::SqlText,
        params: &[Value],
    ) -> Result<Option<Cursor>, Failure> {
        let (sql, binds) = self.render(text, params)?;
        let mut exec = self.engine.execute(&sql, binds).await?;
        self.txn_wrote |= !exec.readonly();
        if exec.columns().is_empty() {
            let done = exec.finish().await?;
            self.row_count = done.changes as i64;
            self.queue_ok(done.changes, 0, false);
            return Ok(None);
        }
        let first = match exec.next_batch().await {
            None => Vec::new(),
            Some(batch) => batch?,
        };
        let (shapes, defs) = self.describe(exec.columns(), &first);
        let status = self.status(false) | ServerStatus::CURSOR_EXISTS;
        self.reply().cursor_columns(&defs, status);
        let metas = metas(&shapes);
        Ok(Some(Cursor {
            exec,
            shapes,
            metas,
            buffered: first.into(),
        }))
    }

    /// COM_STMT_FETCH: up to `rows` rows of statement `id`'s cursor.
    pub(super) async fn on_fetch(&mut self, payload: &[u8]) {
        let (Some(id), Some(rows)) = (payload.get(1..5), payload.get(5..9)) else {
            self.reply().err(1047, "08S01", "malformed COM_STMT_FETCH");
            return;
        };
        let id = u32::from_le_bytes([id[0], id[1], id[2], id[3]]);
        let wanted = u32::from_le_bytes([rows[0], rows[1], rows[2], rows[3]]).max(1) as usize;
        let Some(mut cursor) = self.statements.get_mut(&id).and_then(|p| p.cursor.take()) else {
            self.reply().err(
                1421,
                "HY000",
                &format!("The statement ({id}) has no open cursor"),
            );
            return;
        };
        let mut sent = 0;
        let mut exhausted = false;
        while sent < wanted {
            if cursor.buffered.is_empty() {
                match cursor.exec.next_batch().await {
                    None => {
                        exhausted = true;
                        break;
                    }
                    Some(Ok(batch)) => cursor.buffered.extend(batch),
                    Some(Err(e)) => {
                        self.queue_failure(&e.into());
                        return;
                    }
                }
            }
            let Some(row) = cursor.buffered.pop_front() else {
                continue;
            };
            let written = self.reply().binary_row(&row, &cursor.shapes, &cursor.metas);
            if let Err(e) = written {
                self.queue_failure(&Failure::new(1105, "HY000", e.to_string()));
                return;
            }
            sent += 1;
            if !self.flush_if_large().await {
                return;
            }
        }
        if !exhausted && cursor.buffered.is_empty() && cursor.exec.done().is_some() {
            exhausted = true;
        }
        let mut status = self.status(false);
        if exhausted {
            status = status | ServerStatus::LAST_ROW_SENT;
        } else {
            status = status | ServerStatus::CURSOR_EXISTS;
            if let Some(p) = self.statements.get_mut(&id) {
                p.cursor = Some(cursor);
            }
        }
        self.reply().end(status);
    }
}
