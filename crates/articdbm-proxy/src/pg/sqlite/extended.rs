//! The extended query protocol on an SQLite session: Parse (inspected, translated, prepared
//! on the engine to learn its parameters and columns), Bind (parameters decoded per type and
//! format), Describe, Execute (with row limits: the portal suspends and resumes), Close and
//! Sync. Outside a transaction block the messages up to Sync run in one implicit transaction;
//! after an error everything up to Sync is skipped and that transaction rolls back.

use std::sync::Arc;

use articdbm_wire_pg::Frame;
use articdbm_wire_pg::backend::{command_complete, tag, write_empty};
use articdbm_wire_pg::frontend::{Close, Describe, Parse, TargetKind, tag as fe};

use super::SqliteFront;
use super::local::local_columns;
use super::messages::{
    BindMessage, ExecuteMessage, Field, write_parameter_description, write_row_description,
};
use super::results::{Running, Sent, column_oids, fields};
use super::simple::ends_failed_block;
use super::types;
use crate::inspect::{StatementSource, Verdict};
use crate::pg::reply::sqlstate;
use crate::sqlite::translate::{self, PgStatement};
use crate::sqlite::{ColumnMeta, SqliteError, Value};

const INVALID_STATEMENT: &str = "26000";
const INVALID_PORTAL: &str = "34000";
const SYNTAX_ERROR: &str = "42601";
const INVALID_PARAMETER: &str = "22P02";
/// Statement analyses a session keeps (then it starts over).
const ANALYSES_KEPT: usize = 256;

/// A prepared statement of the client.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The translated statement; `None` for an empty query string.
    pub st: Option<PgStatement>,
    /// The type of each parameter.
    pub param_types: Vec<u32>,
    /// The result columns, from the engine.
    pub columns: Vec<ColumnMeta>,
    /// How Describe (statement) describes the columns; executions keep these types unless
    /// the portal was described with its first row.
    pub oids: Vec<u32>,
}

/// A bound portal.
pub struct Portal {
    pub stmt: Arc<Prepared>,
    pub params: Vec<Value>,
    pub result_formats: Vec<i16>,
    pub run: Option<Running>,
    pub finished: bool,
}

impl SqliteFront {
    pub(super) async fn on_extended(&mut self, frame: &Frame) -> Result<(), String> {
        match frame.tag() {
            fe::PARSE => self.on_parse(frame).await,
            fe::BIND => self.on_bind(frame),
            fe::DESCRIBE => self.on_describe(frame).await,
            fe::EXECUTE => self.on_execute(frame).await,
            fe::CLOSE => {
                let Close(target) = Close::decode(frame).map_err(|e| e.to_string())?;
                match target.kind {
                    TargetKind::Statement => {
                        self.statements.remove(target.name.as_ref());
                    }
                    TargetKind::Portal => {
                        self.portals.remove(target.name.as_ref());
                    }
                }
                write_empty(&mut self.out, tag::CLOSE_COMPLETE);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Reports an error of an extended-protocol message: skip until Sync.
    fn fail_extended(&mut self, code: &str, message: &str) {
        self.error(code, message);
        self.skipping = true;
    }

    fn fail_extended_engine(&mut self, e: &SqliteError) {
        self.engine_error(e);
        self.skipping = true;
    }

    async fn on_parse(&mut self, frame: &Frame) -> Result<(), String> {
        let parse = Parse::decode(frame).map_err(|e| e.to_string())?;
        self.state
            .counters
            .queries
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Ok(sql) = parse.query() else {
            self.fail_extended("22021", "invalid byte sequence for encoding \"UTF8\"");
            return Ok(());
        };
        if let Verdict::Block {
            rule,
            message,
            sqlstate,
        } = self.inspect(sql, StatementSource::Prepare)
        {
            self.refuse(sqlstate, &format!("{message} (rule {rule})"));
            self.skipping = true;
            return Ok(());
        }
        let name = parse.statement().to_vec();
        if !name.is_empty() && self.statements.contains_key(&name) {
            self.fail_extended(
                sqlstate::DUPLICATE_PREPARED,
                &format!(
                    "prepared statement \"{}\" already exists",
                    String::from_utf8_lossy(&name)
                ),
            );
            return Ok(());
        }
        let translation = match translate::pg(sql) {
            Ok(t) => t,
            Err(e) => {
                self.fail_extended("22021", &e.to_string());
                return Ok(());
            }
        };
        if translation.statements.len() > 1 {
            self.fail_extended(
                SYNTAX_ERROR,
                "cannot insert multiple commands into a prepared statement",
            );
            return Ok(());
        }
        let st = translation.statements.first().cloned();
        if self.failed && !st.as_ref().is_some_and(ends_failed_block) {
            self.refuse_in_failed();
            self.skipping = true;
            return Ok(());
        }
        let client_types = decode_param_types(parse.param_types()).unwrap_or_default();
        let is_sql = st
            .as_ref()
            .is_some_and(|s| s.local.is_none() && s.tx.is_none());
        // What a statement text needs (parameter and column types) is kept per session while
        // the schema does not change.
        let version = if is_sql {
            self.schema_version().await
        } else {
            None
        };
        let key = (sql.to_owned(), client_types);
        let cached = self
            .analyses
            .get(&key)
            .filter(|(_, v)| version.is_some() && *v == version)
            .map(|(p, _)| Arc::clone(p));
        let prepared = match cached {
            Some(p) => p,
            None => match self.analyse(st, &key.1).await {
                Ok(p) => {
                    let p = Arc::new(p);
                    if version.is_some() {
                        if self.analyses.len() >= ANALYSES_KEPT {
                            self.analyses.clear();
                        }
                        self.analyses.insert(key, (Arc::clone(&p), version));
                    }
                    p
                }
                Err(e) => {
                    self.fail_extended_engine(&e);
                    return Ok(());
                }
            },
        };
        self.statements.insert(name, prepared);
        write_empty(&mut self.out, tag::PARSE_COMPLETE);
        Ok(())
    }

    /// The schema's version (changes with every DDL of any session).
    async fn schema_version(&mut self) -> Option<i64> {
        let mut exec = self
            .session
            .execute("PRAGMA schema_version", Vec::new())
            .await
            .ok()?;
        let row = Self::peek(&mut exec).await.ok()?.pop_front()?;
        drop(exec);
        match row.first() {
            Some(Value::Integer(v)) => Some(*v),
            _ => None,
        }
    }

    /// Prepares `st` on the engine and works out its parameter and column types.
    async fn analyse(
        &mut self,
        st: Option<PgStatement>,
        client_types: &[u32],
    ) -> Result<Prepared, SqliteError> {
        let (columns, engine_params, readonly) = match &st {
            Some(s) if s.local.is_none() && s.tx.is_none() => {
                let d = self.session.describe(&s.sql).await?;
                (d.columns, d.param_count, d.readonly)
            }
            _ => (Vec::new(), 0, false),
        };
        let count = st
            .as_ref()
            .map_or(0, |s| s.param_count)
            .max(engine_params)
            .max(client_types.len());
        let mut param_types = Vec::with_capacity(count);
        let mut unknown = Vec::new();
        for i in 0..count {
            let client = client_types
                .get(i)
                .copied()
                .map(types::param_oid)
                .unwrap_or(0);
            let cast = st
                .as_ref()
                .and_then(|s| s.param_types.get(i).copied().flatten())
                .map(types::param_oid)
                .unwrap_or(0);
            let oid = if client != 0 && client != types::UNKNOWN {
                client
            } else {
                cast
            };
            if oid == 0 || oid == types::UNKNOWN {
                unknown.push(i);
            }
            param_types.push(oid);
        }
        if !unknown.is_empty()
            && let Some(s) = &st
        {
            let inferred = self.infer_params(&s.sql, count).await;
            for i in unknown {
                param_types[i] = inferred.get(i).copied().flatten().unwrap_or(types::TEXT);
            }
        }
        let hints: &[Option<u32>] = st.as_ref().map_or(&[], |s| &s.column_types);
        let mut oids = column_oids(&columns, hints, None);
        if let Some(s) = &st
            && readonly
            && untyped_columns(&columns, hints)
        {
            // Expressions have no declared type: a read-only statement is run once (with a
            // stand-in value of each parameter's type) so that its first row tells them.
            // Without a row they stay text.
            if let Some(first) = self.peek_row(&s.sql, &param_types).await {
                oids = column_oids(&columns, hints, Some(&first));
            }
        }
        Ok(Prepared {
            st,
            param_types,
            columns,
            oids,
        })
    }

    fn on_bind(&mut self, frame: &Frame) -> Result<(), String> {
        let bind = BindMessage::decode(frame)?;
        let Some(stmt) = self.statements.get(&bind.statement).cloned() else {
            self.fail_extended(
                INVALID_STATEMENT,
                &format!(
                    "prepared statement \"{}\" does not exist",
                    String::from_utf8_lossy(&bind.statement)
                ),
            );
            return Ok(());
        };
        if self.failed && !stmt.st.as_ref().is_some_and(ends_failed_block) {
            self.refuse_in_failed();
            self.skipping = true;
            return Ok(());
        }
        if bind.values.len() != stmt.param_types.len() {
            self.fail_extended(
                sqlstate::PROTOCOL_VIOLATION,
                &format!(
                    "bind message supplies {} parameters, but prepared statement \"{}\" requires {}",
                    bind.values.len(),
                    String::from_utf8_lossy(&bind.statement),
                    stmt.param_types.len()
                ),
            );
            return Ok(());
        }
        let mut params = Vec::with_capacity(bind.values.len());
        for (i, value) in bind.values.iter().enumerate() {
            let decoded = match value {
                None => Ok(Value::Null),
                Some(raw) => types::decode_param(
                    stmt.param_types[i],
                    bind.param_formats.get(i).copied() == Some(1),
                    raw,
                ),
            };
            match decoded {
                Ok(v) => params.push(v),
                Err(e) => {
                    self.fail_extended(
                        INVALID_PARAMETER,
                        &format!("parameter ${}: {}", i + 1, e.message),
                    );
                    return Ok(());
                }
            }
        }
        self.portals.insert(
            bind.portal,
            Portal {
                stmt,
                params,
                result_formats: bind.result_formats,
                run: None,
                finished: false,
            },
        );
        write_empty(&mut self.out, tag::BIND_COMPLETE);
        Ok(())
    }

    async fn on_describe(&mut self, frame: &Frame) -> Result<(), String> {
        let Describe(target) = Describe::decode(frame).map_err(|e| e.to_string())?;
        let name = target.name.to_vec();
        match target.kind {
            TargetKind::Statement => {
                let Some(stmt) = self.statements.get(&name).cloned() else {
                    self.fail_extended(
                        INVALID_STATEMENT,
                        &format!(
                            "prepared statement \"{}\" does not exist",
                            String::from_utf8_lossy(&name)
                        ),
                    );
                    return Ok(());
                };
                write_parameter_description(&mut self.out, &stmt.param_types);
                let described = statement_fields(&stmt, &[]);
                self.write_fields(&described);
            }
            TargetKind::Portal => {
                let Some(mut portal) = self.portals.remove(&name) else {
                    self.fail_extended(
                        INVALID_PORTAL,
                        &format!(
                            "portal \"{}\" does not exist",
                            String::from_utf8_lossy(&name)
                        ),
                    );
                    return Ok(());
                };
                let is_query = portal
                    .stmt
                    .st
                    .as_ref()
                    .is_some_and(|s| s.local.is_none() && s.tx.is_none())
                    && !portal.stmt.columns.is_empty();
                if is_query && portal.run.is_none() && !portal.finished {
                    // Run it now: the first row tells the types of undeclared columns.
                    if let Err(e) = self.start(&mut portal, true).await {
                        self.fail_extended_engine(&e);
                        self.portals.insert(name, portal);
                        return Ok(());
                    }
                }
                let described = match &portal.run {
                    Some(run) => run.fields.clone(),
                    None => statement_fields(&portal.stmt, &portal.result_formats),
                };
                self.write_fields(&described);
                self.portals.insert(name, portal);
            }
        }
        Ok(())
    }

    fn write_fields(&mut self, fields: &[Field]) {
        if fields.is_empty() {
            write_empty(&mut self.out, tag::NO_DATA);
        } else {
            write_row_description(&mut self.out, fields);
        }
    }

    /// Starts the portal's statement (in the batch's implicit transaction when outside a
    /// block). With `infer`, columns without a declared type take the first row's types.
    async fn start(&mut self, portal: &mut Portal, infer: bool) -> Result<(), SqliteError> {
        let Some(st) = portal.stmt.st.clone() else {
            return Ok(());
        };
        if !self.session.in_transaction() {
            self.execute_discarding("BEGIN").await?;
            self.implicit = true;
        }
        let mut exec = self
            .session
            .execute(&st.sql, std::mem::take(&mut portal.params))
            .await?;
        let buffered = Self::peek(&mut exec).await?;
        let columns = exec.columns().to_vec();
        let oids = if infer || portal.stmt.oids.len() != columns.len() {
            column_oids(&columns, &st.column_types, buffered.front())
        } else {
            portal.stmt.oids.clone()
        };
        portal.run = Some(Running {
            fields: fields(&columns, &oids, &portal.result_formats),
            exec,
            buffered,
            verb: st.verb.clone(),
        });
        Ok(())
    }

    async fn on_execute(&mut self, frame: &Frame) -> Result<(), String> {
        let execute = ExecuteMessage::decode(frame)?;
        let Some(mut portal) = self.portals.remove(&execute.portal) else {
            self.fail_extended(
                INVALID_PORTAL,
                &format!(
                    "portal \"{}\" does not exist",
                    String::from_utf8_lossy(&execute.portal)
                ),
            );
            return Ok(());
        };
        let name = execute.portal;
        let Some(st) = portal.stmt.st.clone() else {
            write_empty(&mut self.out, tag::EMPTY_QUERY_RESPONSE);
            self.portals.insert(name, portal);
            return Ok(());
        };
        if self.failed && !ends_failed_block(&st) {
            self.refuse_in_failed();
            self.skipping = true;
            return Ok(());
        }
        if let Some(local) = &st.local {
            if !self.run_local(local, false).await {
                self.skipping = true;
            }
            self.portals.insert(name, portal);
            return Ok(());
        }
        if let Some(tx) = &st.tx {
            if !self.run_tx(&st, tx).await {
                self.skipping = true;
            }
            self.portals.insert(name, portal);
            return Ok(());
        }
        if portal.finished {
            let done = Default::default();
            let tag =
                super::results::command_tag(&st.verb, &done, 0, !portal.stmt.columns.is_empty());
            command_complete::write(&mut self.out, &tag);
            self.portals.insert(name, portal);
            return Ok(());
        }
        if portal.run.is_none()
            && let Err(e) = self.start(&mut portal, false).await
        {
            self.fail_extended_engine(&e);
            portal.finished = true;
            self.portals.insert(name, portal);
            return Ok(());
        }
        let Some(mut run) = portal.run.take() else {
            self.portals.insert(name, portal);
            return Ok(());
        };
        match self.send_rows(&mut run, execute.max_rows).await {
            Ok(Sent::Suspended) => portal.run = Some(run),
            Ok(Sent::Complete) => portal.finished = true,
            Err(e) => {
                portal.finished = true;
                self.fail_extended_engine(&e);
            }
        }
        self.portals.insert(name, portal);
        Ok(())
    }

    pub(super) async fn on_sync(&mut self) {
        if self.implicit {
            self.implicit = false;
            self.portals.clear();
            let end = if self.skipping { "ROLLBACK" } else { "COMMIT" };
            if let Err(e) = self.execute_discarding(end).await {
                let _ = self.execute_discarding("ROLLBACK").await;
                self.error(e.sqlstate(), &e.message);
            }
        }
        self.skipping = false;
        if !self.session.in_transaction() {
            // Portals live only as long as their transaction.
            self.portals.clear();
        }
        self.ready();
    }
}

impl SqliteFront {
    /// The first row of a read-only statement run with stand-in parameters, if it has one.
    async fn peek_row(&mut self, sql: &str, param_types: &[u32]) -> Option<crate::sqlite::Row> {
        let params = param_types
            .iter()
            .map(|oid| types::stand_in(*oid))
            .collect();
        let mut exec = self.session.execute(sql, params).await.ok()?;
        let first = Self::peek(&mut exec).await.ok()?.pop_front();
        drop(exec);
        self.session.release_idle();
        first
    }
}

/// Whether some result column has neither a declared type nor a translation hint.
fn untyped_columns(columns: &[ColumnMeta], hints: &[Option<u32>]) -> bool {
    columns.iter().enumerate().any(|(i, c)| {
        c.decl_type.as_deref().is_none_or(|d| d.trim().is_empty())
            && hints.get(i).copied().flatten().is_none()
    })
}

/// How Describe (statement) describes a prepared statement's results.
fn statement_fields(stmt: &Prepared, formats: &[i16]) -> Vec<Field> {
    match &stmt.st {
        Some(st) => match &st.local {
            Some(local) => local_columns(local),
            None => fields(&stmt.columns, &stmt.oids, formats),
        },
        None => Vec::new(),
    }
}

/// The parameter type OIDs of a Parse message (`count`, then one u32 each).
fn decode_param_types(raw: &[u8]) -> Option<Vec<u32>> {
    let count = i16::from_be_bytes([*raw.first()?, *raw.get(1)?]).max(0) as usize;
    (0..count)
        .map(|i| {
            let at = 2 + i * 4;
            raw.get(at..at + 4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        })
        .collect()
}
