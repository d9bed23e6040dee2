//! Running SQLite steps for one MySQL statement and streaming the reply: the implicit
//! transaction of `autocommit = 0`, the implicit commit around DDL, several steps of one
//! statement as one transaction, session values spelled in, and results written as they come
//! (column definitions typed from the first batch, text or binary rows, flushed in chunks, an
//! ERR mid-result if a later row fails), or an OK with affected rows and the insert id.

use articdbm_wire_mysql::resultset::ColumnDefinition41;

use super::super::coltype::{self, Shape};
use super::super::dialect::command::Plan;
use super::super::dialect::literal::{Literal, sqlite_ident};
use super::super::dialect::sql::{DynValue, Dynamic, Rendered, Slot, SqlText};
use super::super::dialect::{Step, ddl};
use super::super::resultset::metas;
use super::{Failure, Session};
use crate::sqlite::{ColumnMeta, Value};

/// Text or binary rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Text,
    Binary,
}

/// How a statement's reply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Replied in full (OK or result set); the next statement may run.
    Done,
    /// An ERR was written; the rest of a multi-statement query is skipped.
    Failed,
    /// The client went away while results were sent.
    Gone,
    /// The connection ends after this reply (`COMMIT RELEASE`).
    Close,
}

/// Options of one streamed statement.
#[derive(Debug, Default)]
pub(super) struct StreamOptions {
    /// An INSERT: the OK carries the first new id.
    pub insert: bool,
    /// The error to report instead of an empty result (`DESCRIBE` of a missing table).
    pub empty_error: Option<Failure>,
}

/// A SQLite value as a session value (`@x := ...`).
pub(super) fn dyn_of(v: Value) -> DynValue {
    match v {
        Value::Null => DynValue::Null,
        Value::Integer(i) => DynValue::Int(i),
        Value::Real(r) => DynValue::Real(r),
        Value::Text(t) => DynValue::Text(t),
        Value::Blob(b) => DynValue::Blob(b),
    }
}

impl Session {
    /// The value of a session value in a statement.
    fn resolve(&self, d: &Dynamic) -> Result<DynValue, Failure> {
        Ok(match d {
            Dynamic::SysVar(name) => match name.as_str() {
                "identity" | "last_insert_id" => DynValue::Int(self.last_insert_id as i64),
                _ => self.vars.get(name).cloned().ok_or_else(|| {
                    Failure::new(1193, "HY000", format!("Unknown system variable '{name}'"))
                })?,
            },
            Dynamic::UserVar(name) => self.vars.user(name),
            Dynamic::Database => DynValue::Text(self.database.clone()),
            Dynamic::User => DynValue::Text(format!("{}@{}", self.user, self.peer.ip())),
            Dynamic::CurrentUser => DynValue::Text(format!("{}@%", self.user)),
            Dynamic::ConnectionId => DynValue::Int(i64::from(self.kill.id())),
            Dynamic::Version => DynValue::Text(self.defaults.version.clone()),
            Dynamic::LastInsertId => DynValue::Int(self.last_insert_id as i64),
            Dynamic::RowCount => DynValue::Int(self.row_count),
            Dynamic::FoundRows => DynValue::Int(self.found_rows as i64),
        })
    }

    /// The SQLite text and parameters of `text`, the client's parameters being `params`.
    pub(super) fn render(
        &self,
        text: &SqlText,
        params: &[Value],
    ) -> Result<(String, Vec<Value>), Failure> {
        let Rendered { sql, binds } = text.render(&mut |d| self.resolve(d))?;
        let values = binds
            .into_iter()
            .map(|slot| match slot {
                Slot::Client(i) => params.get(usize::from(i)).cloned().unwrap_or(Value::Null),
                Slot::Literal(Literal::Text(t)) => Value::Text(t),
                Slot::Literal(Literal::Blob(b)) => Value::Blob(b),
                Slot::Literal(Literal::Int(i)) => Value::Integer(i),
            })
            .collect();
        Ok((sql, values))
    }

    /// Runs `sql` to its end, discarding rows.
    pub(super) async fn run_quietly(
        &mut self,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<crate::sqlite::Done, Failure> {
        let mut exec = self.engine.execute(sql, params).await?;
        Ok(exec.finish().await?)
    }

    /// The first row of `sql` (an empty row when there is none).
    pub(super) async fn first_row(
        &mut self,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Vec<Value>, Failure> {
        let mut exec = self.engine.execute(sql, params).await?;
        let first = match exec.next_batch().await {
            Some(batch) => batch?.into_iter().next().unwrap_or_default(),
            None => Vec::new(),
        };
        drop(exec);
        Ok(first)
    }

    /// Commits an open transaction (before DDL, `BEGIN`, `SET autocommit = 1`).
    pub(super) async fn implicit_commit(&mut self) -> Result<(), Failure> {
        if self.engine.in_transaction() {
            self.run_quietly("COMMIT", Vec::new()).await?;
        }
        Ok(())
    }

    /// Opens the implicit transaction of `autocommit = 0` before a statement that writes.
    /// Queries before the first write run on their own (each sees the latest commits):
    /// a transaction opened by a read would hold its snapshot, and a pooled SQLite
    /// connection, for as long as the client does not commit, which clients that only read
    /// (with autocommit off by default, as PyMySQL and mysqlclient) never do.
    pub(super) async fn implicit_begin(&mut self) -> Result<(), Failure> {
        if !self.vars.autocommit() && !self.engine.in_transaction() {
            self.run_quietly("BEGIN", Vec::new()).await?;
        }
        Ok(())
    }

    /// Runs a statement's plan and writes its reply. `Err`: nothing of this reply was
    /// written (the caller writes the ERR).
    pub(super) async fn run_plan(
        &mut self,
        plan: &Plan,
        params: &[Value],
        format: Format,
        more: bool,
    ) -> Result<Outcome, Failure> {
        if plan.implicit_commit {
            self.implicit_commit().await?;
        } else if !plan.read_only {
            self.implicit_begin().await?;
        }
        if let [Step::Sql(text)] = plan.steps.as_slice() {
            let (sql, binds) = self.render(text, params)?;
            let options = StreamOptions {
                insert: plan.inserts,
                empty_error: None,
            };
            return self.stream(&sql, binds, format, more, options).await;
        }
        // Several steps (DDL): one transaction, one OK.
        let wrap = !self.engine.in_transaction();
        if wrap {
            self.run_quietly("BEGIN", Vec::new()).await?;
        }
        self.txn_wrote = true;
        let mut changes = 0;
        for step in &plan.steps {
            let result = self.run_step(step, params).await;
            match result {
                Ok(n) => changes += n,
                Err(f) => {
                    if wrap {
                        let _ = self.run_quietly("ROLLBACK", Vec::new()).await;
                    }
                    return Err(f);
                }
            }
        }
        if wrap {
            self.run_quietly("COMMIT", Vec::new()).await?;
        }
        self.row_count = changes as i64;
        self.queue_ok(changes, 0, more);
        Ok(Outcome::Done)
    }

    /// One step of a several-step plan, run to its end; the rows it changed.
    async fn run_step(&mut self, step: &Step, params: &[Value]) -> Result<u64, Failure> {
        match step {
            Step::Sql(text) => {
                let (sql, binds) = self.render(text, params)?;
                Ok(self.run_quietly(&sql, binds).await?.changes)
            }
            Step::ResetSequence { table } => {
                let reset = self
                    .run_quietly(
                        "DELETE FROM sqlite_sequence WHERE name = ?1",
                        vec![Value::Text(table.clone())],
                    )
                    .await;
                match reset {
                    // No AUTOINCREMENT table was ever made: nothing to reset.
                    Err(f) if f.code == 1146 => Ok(0),
                    Err(f) => Err(f),
                    Ok(_) => Ok(0),
                }
            }
            Step::DropIndex { table, name } => {
                let prefixed = ddl::index_name(table, name);
                let found = self
                    .first_row(
                        "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1 \
                         COLLATE NOCASE AND name IN (?2, ?3) ORDER BY name = ?2 DESC LIMIT 1",
                        vec![
                            Value::Text(table.clone()),
                            Value::Text(prefixed),
                            Value::Text(name.clone()),
                        ],
                    )
                    .await?;
                let Some(Value::Text(index)) = found.into_iter().next() else {
                    return Err(Failure::new(
                        1091,
                        "42000",
                        format!("Can't DROP '{name}'; check that column/key exists"),
                    ));
                };
                self.run_quietly(&format!("DROP INDEX {}", sqlite_ident(&index)), Vec::new())
                    .await?;
                Ok(0)
            }
        }
    }

    /// The shapes of a result's columns (from their declared types and the first rows) and
    /// the column definitions the client gets for them.
    pub(super) fn describe(
        &self,
        columns: &[ColumnMeta],
        first: &[Vec<Value>],
    ) -> (Vec<Shape>, Vec<ColumnDefinition41>) {
        let decls: Vec<Option<&str>> = columns.iter().map(|c| c.decl_type.as_deref()).collect();
        let shapes = coltype::shapes(&decls, first, self.charset);
        let defs = columns
            .iter()
            .zip(&shapes)
            .map(|(c, s)| s.definition(&c.name, &self.database))
            .collect();
        (shapes, defs)
    }

    /// Runs one SQLite statement and writes its reply: a result set, or an OK.
    pub(super) async fn stream(
        &mut self,
        sql: &str,
        binds: Vec<Value>,
        format: Format,
        more: bool,
        options: StreamOptions,
    ) -> Result<Outcome, Failure> {
        let mut exec = self.engine.execute(sql, binds).await?;
        self.txn_wrote |= !exec.readonly();
        if exec.columns().is_empty() {
            let done = exec.finish().await?;
            self.row_count = done.changes as i64;
            let mut insert_id = 0;
            if options.insert && done.changes > 0 {
                let first = done.last_insert_rowid - (done.changes as i64 - 1);
                insert_id = first.max(0) as u64;
                self.last_insert_id = insert_id;
            }
            self.queue_ok(done.changes, insert_id, more);
            return Ok(Outcome::Done);
        }
        let first = match exec.next_batch().await {
            None => Vec::new(),
            Some(batch) => batch?,
        };
        if first.is_empty()
            && let Some(f) = options.empty_error
        {
            return Err(f);
        }
        let (shapes, defs) = self.describe(exec.columns(), &first);
        let status = self.status(more);
        self.reply().columns(&defs, status);
        let mut rows: u64 = 0;
        let mut batch = first;
        loop {
            if let Err(f) = self.write_rows(&batch, &shapes, format) {
                self.queue_failure(&f);
                return Ok(Outcome::Failed);
            }
            rows += batch.len() as u64;
            if !self.flush_if_large().await {
                return Ok(Outcome::Gone);
            }
            match exec.next_batch().await {
                None => break,
                Some(Ok(next)) => batch = next,
                Some(Err(e)) => {
                    self.queue_failure(&e.into());
                    return Ok(Outcome::Failed);
                }
            }
        }
        drop(exec);
        self.found_rows = rows;
        self.row_count = -1;
        let status = self.status(more);
        self.reply().end(status);
        Ok(Outcome::Done)
    }

    fn write_rows(
        &mut self,
        rows: &[Vec<Value>],
        shapes: &[Shape],
        format: Format,
    ) -> Result<(), Failure> {
        let metas = match format {
            Format::Binary => metas(shapes),
            Format::Text => Vec::new(),
        };
        let mut reply = self.reply();
        for row in rows {
            match format {
                Format::Text => reply.text_row(row, shapes),
                Format::Binary => reply
                    .binary_row(row, shapes, &metas)
                    .map_err(|e| Failure::new(1105, "HY000", e.to_string()))?,
            }
        }
        Ok(())
    }

    /// Evaluates a `SET @x = expr` / `SET var = expr` expression with SQLite.
    pub(super) async fn evaluate(
        &mut self,
        expr: &SqlText,
        params: &[Value],
    ) -> Result<DynValue, Failure> {
        let mut select = SqlText::from_sql("SELECT ");
        select.append(expr.clone());
        let (sql, binds) = self.render(&select, params)?;
        let row = self.first_row(&sql, binds).await?;
        Ok(row.into_iter().next().map_or(DynValue::Null, dyn_of))
    }
}
