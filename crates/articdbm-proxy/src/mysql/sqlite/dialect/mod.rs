//! The MySQL dialect in front of SQLite: a query text (COM_QUERY, maybe several statements)
//! or a prepared statement's text (COM_STMT_PREPARE) becomes, per statement, either SQLite
//! steps to run or a command the proxy answers itself ([`command::Command`]). A small
//! tokenizer-based rewriter, not a parser: it changes what SQLite spells differently (see
//! [`emit`], [`select`], [`dml`], [`ddl`], [`column`]) and leaves everything else as written,
//! so SQLite's own errors reach the client for what it does not accept. Translations are
//! cached by text ([`Translator`]).
//!
//! | module | owns |
//! | --- | --- |
//! | [`lexer`] | bytes → tokens (strings with escapes, comments, executable comments) |
//! | [`literal`] | MySQL literal values, SQLite literal spelling |
//! | [`stmt`] | statement splitting, significant-token helpers |
//! | [`sql`] | SQLite text in pieces (placeholders, session values) |
//! | [`emit`] | token spelling (literals, variables, functions, operators) |
//! | [`select`], [`dml`], [`ddl`], [`column`] | statement-level rewrites |
//! | [`command`], [`set`], [`show`] | commands answered by the proxy |

pub mod column;
pub mod command;
pub mod ddl;
pub mod dml;
pub mod emit;
pub mod lexer;
pub mod literal;
pub mod select;
pub mod set;
pub mod show;
pub mod sql;
pub mod stmt;

use std::collections::HashMap;
use std::sync::Arc;

use command::Command;
pub use emit::Mode;
use sql::SqlText;

/// Why a statement cannot be translated; each maps to the MySQL error a client gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialectError {
    /// ER_PARSE_ERROR (1064, 42000).
    #[error("You have an error in your SQL syntax; {0}")]
    Syntax(String),
    /// ER_NOT_SUPPORTED_YET (1235, 42000).
    #[error("This version of ArticDBM doesn't yet support '{0}'")]
    Unsupported(String),
    /// ER_SPECIFIC_ACCESS_DENIED_ERROR (1227, 42000).
    #[error("{0}")]
    Denied(String),
}

impl DialectError {
    /// The MySQL error code and SQLSTATE.
    pub fn code(&self) -> (u16, &'static str) {
        match self {
            DialectError::Syntax(_) => (1064, "42000"),
            DialectError::Unsupported(_) => (1235, "42000"),
            DialectError::Denied(_) => (1227, "42000"),
        }
    }

    /// A syntax error at byte `at` of `src`, worded as MySQL does.
    pub fn syntax_near(src: &[u8], at: usize) -> DialectError {
        DialectError::Syntax(format!(
            "check the manual that corresponds to your MySQL server version for the right \
             syntax to use near '{}'",
            near_text(src, at)
        ))
    }
}

/// Up to 80 characters of `src` from byte `at` (what MySQL quotes in syntax errors).
pub fn near_text(src: &[u8], at: usize) -> String {
    let rest = src.get(at..).unwrap_or(&[]);
    let text = String::from_utf8_lossy(&rest[..rest.len().min(80)]).into_owned();
    text.trim_end().to_string()
}

/// One SQLite step of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Sql(SqlText),
    /// MySQL's `DROP INDEX name ON table`: the index is `<table>_<name>` when made from MySQL
    /// DDL, or `name` itself; the session looks which exists.
    DropIndex {
        table: String,
        name: String,
    },
    /// `TRUNCATE`: forget the table's AUTOINCREMENT counter (if SQLite keeps one).
    ResetSequence {
        table: String,
    },
}

/// One statement of a text, translated.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The MySQL text of the statement (lossy UTF-8), for logs and errors.
    pub text: String,
    pub command: Result<Command, DialectError>,
    /// Number of `?` placeholders (prepared statements).
    pub params: usize,
}

/// A whole text, translated: its statements, or why it could not be split into any.
pub type Translation = Result<Vec<Statement>, DialectError>;

/// Translates a text.
pub fn translate(src: &[u8], mode: Mode) -> Translation {
    let toks = lexer::tokenize(src).map_err(|e| DialectError::syntax_near(src, e.offset()))?;
    let mut out = Vec::new();
    for range in stmt::split(src, &toks) {
        let s = stmt::Stmt::new(src, &toks[range]);
        let em = emit::Emitter::new(&s, mode);
        let (command, params) = match em.stray_param() {
            Some(e) => (Err(e), 0),
            None => (command::command(&em), em.param_count()),
        };
        out.push(Statement {
            text: String::from_utf8_lossy(s.full_text()).into_owned(),
            command,
            params,
        });
    }
    Ok(out)
}

/// Texts longer than this are translated every time (they carry data, not a shape).
pub const CACHE_TEXT_MAX: usize = 8 * 1024;
/// Entries kept per session before the cache starts over.
pub const CACHE_ENTRIES: usize = 512;

/// A session's translation cache, keyed by text and mode.
#[derive(Debug, Default)]
pub struct Translator {
    cache: HashMap<(Mode, Vec<u8>), Arc<Translation>>,
}

impl Translator {
    pub fn translate(&mut self, src: &[u8], mode: Mode) -> Arc<Translation> {
        if src.len() > CACHE_TEXT_MAX {
            return Arc::new(translate(src, mode));
        }
        let key = (mode, src.to_vec());
        if let Some(t) = self.cache.get(&key) {
            return Arc::clone(t);
        }
        if self.cache.len() >= CACHE_ENTRIES {
            self.cache.clear();
        }
        let t = Arc::new(translate(src, mode));
        self.cache.insert(key, Arc::clone(&t));
        t
    }
}

#[cfg(test)]
mod tests;
