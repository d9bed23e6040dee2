//! PostgreSQL dialect translation for the embedded SQLite backend.
//!
//! Two entry points, used by the PostgreSQL front end's SQLite session:
//! - [`install`] registers PostgreSQL functions and creates TEMP views emulating `pg_catalog` and
//!   `information_schema` on a new SQLite connection (see [`catalog`]).
//! - [`pg`] translates a simple-query string (or one extended-protocol statement) into
//!   [`PgStatement`]s: SQLite SQL, the command-tag verb, the `$n` parameter count and cast-derived
//!   parameter types, result-column type hints, transaction control, and the [`Local`] commands
//!   the proxy answers itself. Results are cached per distinct text ([`cache`]).
//!
//! A statement the parser does not understand is passed through unchanged (with `$n` made `?n`),
//! and a statement with nothing to rewrite comes out as its original text. Declared column types
//! written into SQLite schemas, and how they map back to PostgreSQL types, are listed in
//! [`types`].

mod cache;
pub mod catalog;
mod local;
mod rewrite;
pub(crate) mod split;
pub mod types;

use std::sync::Arc;

use sqlparser::ast::{ObjectType, SetExpr, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

pub use catalog::settings::{SETTINGS, setting_default};
pub use catalog::{InstallContext, install};
pub use local::{Local, TxControl};

use split::{Lex, Lexer};

/// Highest `$n` counted as a parameter: Parse and Bind carry the parameter count in an Int16.
/// A higher `$n` is still rewritten to `?n` (SQLite refuses it when preparing) but not counted,
/// so `$4000000000` cannot make `param_types` allocate gigabytes.
pub const MAX_PARAMS: usize = 65535;

/// Why a query string cannot be translated at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// The text contains a NUL byte, which SQLite would treat as the end of the statement.
    #[error("query text contains a NUL byte")]
    NulByte,
}

/// The statements of one query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgTranslation {
    /// In order; empty for an empty query (answer `EmptyQueryResponse`).
    pub statements: Vec<PgStatement>,
}

/// One translated statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgStatement {
    /// The statement's PostgreSQL text, trimmed, without its `;`.
    pub original: String,
    /// SQLite SQL to run (empty when `local` is set). For transaction control: `BEGIN`,
    /// `COMMIT`, `ROLLBACK`, `SAVEPOINT x`, `RELEASE x`, `ROLLBACK TO x`.
    pub sql: String,
    /// Command-tag verb: `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `CREATE TABLE`, `DROP TABLE`,
    /// `BEGIN`, `START TRANSACTION`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`, `RELEASE`, `SET`,
    /// `SHOW`, `TRUNCATE TABLE`... (the front end adds the row counts).
    pub verb: String,
    /// Number of parameters (`$n` with the highest n, at most [`MAX_PARAMS`]).
    pub param_count: usize,
    /// PostgreSQL type OIDs of the parameters where a cast names them (`$1::int4`), by index
    /// n-1; length `param_count`.
    pub param_types: Vec<Option<u32>>,
    /// PostgreSQL type OIDs of result columns where the expression shows them (casts, `count`,
    /// comparisons, `array_agg`...), by column; empty when unknown. Columns without a hint
    /// should use the SQLite declared type (`types::decltype_oid`), then the value's type.
    pub column_types: Vec<Option<u32>>,
    /// Set for transaction-control statements.
    pub tx: Option<TxControl>,
    /// Set for statements the proxy answers itself (no SQL to run).
    pub local: Option<Local>,
    /// False when the parser did not understand the statement and `sql` is the original text.
    pub translated: bool,
}

/// Translates a PostgreSQL query string for SQLite (cached by text).
pub fn pg(sql: &str) -> Result<Arc<PgTranslation>, TranslateError> {
    if sql.contains('\0') {
        return Err(TranslateError::NulByte);
    }
    Ok(cache::Cache::global().get_or_insert_with(sql, || translate(sql)))
}

/// Uncached [`pg`] (without the NUL check); the fuzz targets compare the two.
pub(crate) fn translate(sql: &str) -> PgTranslation {
    PgTranslation {
        statements: split::split(sql).into_iter().map(statement).collect(),
    }
}

fn statement(text: &str) -> PgStatement {
    let base = PgStatement {
        original: text.to_owned(),
        sql: String::new(),
        verb: String::new(),
        param_count: 0,
        param_types: vec![],
        column_types: vec![],
        tx: None,
        local: None,
        translated: true,
    };
    match local::classify(text) {
        Some(local::Classified::Tx { tx, sql, verb }) => {
            return PgStatement {
                sql,
                verb: verb.to_owned(),
                tx: Some(tx),
                ..base
            };
        }
        Some(local::Classified::Local { local, verb }) => {
            return PgStatement {
                verb,
                local: Some(local),
                ..base
            };
        }
        None => {}
    }
    let parsed = Parser::parse_sql(&PostgreSqlDialect {}, text)
        .ok()
        .and_then(|mut v| if v.len() == 1 { v.pop() } else { None });
    let Some(stmt) = parsed else {
        return passthrough(base, text);
    };
    if matches!(stmt, Statement::Copy { .. }) {
        return PgStatement {
            verb: "COPY".into(),
            local: Some(Local::Unsupported("COPY")),
            ..base
        };
    }
    let verb = verb_of(&stmt).unwrap_or_else(|| words_verb(text));
    let (explain, stmt) = match stmt {
        Statement::Explain { statement, .. } => (true, *statement),
        other => (false, other),
    };
    let r = rewrite::rewrite(stmt);
    let sql = if explain {
        format!("EXPLAIN QUERY PLAN {}", r.sql)
    } else if r.changed {
        r.sql
    } else {
        text.to_owned()
    };
    PgStatement {
        sql,
        verb,
        param_count: r.param_count,
        param_types: r.param_types,
        column_types: r.column_types,
        ..base
    }
}

/// An unparsed statement: original text with `$n` made `?n`.
fn passthrough(base: PgStatement, text: &str) -> PgStatement {
    let mut sql = String::with_capacity(text.len());
    let mut last = 0;
    let mut params = 0usize;
    for (at, lex) in Lexer::new(text) {
        if let Lex::Other(tok) = lex
            && let Some(n) = tok.strip_prefix('$').and_then(|n| n.parse::<usize>().ok())
        {
            sql.push_str(&text[last..at]);
            sql.push('?');
            sql.push_str(&n.to_string());
            last = at + tok.len();
            if n <= MAX_PARAMS {
                params = params.max(n);
            }
        }
    }
    sql.push_str(&text[last..]);
    PgStatement {
        sql,
        verb: words_verb(text),
        param_count: params,
        param_types: vec![None; params],
        translated: false,
        ..base
    }
}

/// The command-tag verb of a parsed statement, where it is not simply its first words.
fn verb_of(stmt: &Statement) -> Option<String> {
    Some(match stmt {
        Statement::Query(q) => match q.body.as_ref() {
            SetExpr::Insert(_) => "INSERT",
            SetExpr::Update(_) => "UPDATE",
            SetExpr::Delete(_) => "DELETE",
            _ => "SELECT",
        }
        .into(),
        Statement::Insert(_) => "INSERT".into(),
        Statement::Update(_) => "UPDATE".into(),
        Statement::Delete(_) => "DELETE".into(),
        Statement::CreateTable(ct) if ct.query.is_some() => "SELECT".into(),
        Statement::CreateTable(_) => "CREATE TABLE".into(),
        Statement::CreateView(_) => "CREATE VIEW".into(),
        Statement::CreateIndex(_) => "CREATE INDEX".into(),
        Statement::Drop { object_type, .. } => match object_type {
            ObjectType::Table => "DROP TABLE".into(),
            ObjectType::View => "DROP VIEW".into(),
            ObjectType::Index => "DROP INDEX".into(),
            other => format!("DROP {other}"),
        },
        Statement::Truncate(_) => "TRUNCATE TABLE".into(),
        Statement::Explain { .. } => "EXPLAIN".into(),
        _ => return None,
    })
}

/// The verb from a statement's leading words: `CREATE TRIGGER`, `ALTER TABLE`, `VACUUM`...
fn words_verb(text: &str) -> String {
    let words: Vec<String> = Lexer::new(text)
        .filter_map(|(_, l)| match l {
            Lex::Word(w) => Some(w.to_ascii_uppercase()),
            _ => None,
        })
        .take(8)
        .collect();
    let Some(first) = words.first() else {
        return String::new();
    };
    if matches!(first.as_str(), "CREATE" | "DROP" | "ALTER") {
        let skip = [
            "TEMP",
            "TEMPORARY",
            "UNIQUE",
            "OR",
            "REPLACE",
            "UNLOGGED",
            "MATERIALIZED",
            "VIRTUAL",
        ];
        if let Some(obj) = words[1..].iter().find(|w| !skip.contains(&w.as_str())) {
            return format!("{first} {obj}");
        }
    }
    first.clone()
}

#[cfg(test)]
mod tests;
