//! SQLite text produced by the rewriter, kept in pieces so one translation (cached by the
//! MySQL text) serves every execution: fixed SQL, placeholders (the client's `?` of a
//! prepared statement, or a large literal moved out of the text), and values that depend on
//! the session (`@@sql_mode`, `@x`, `DATABASE()`...), which are spelled as literals when the
//! statement is rendered.

use super::literal::{Literal, sqlite_blob, sqlite_text};

/// A value the session supplies at render time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dynamic {
    /// `@@name` (scope prefix removed, lower case).
    SysVar(String),
    /// `@name` (lower case: user variables are case-insensitive).
    UserVar(String),
    /// `DATABASE()`, `SCHEMA()`.
    Database,
    /// `USER()`, `SESSION_USER()`, `SYSTEM_USER()`: `user@host`.
    User,
    /// `CURRENT_USER()`: `user@%`.
    CurrentUser,
    /// `CONNECTION_ID()`.
    ConnectionId,
    /// `VERSION()`.
    Version,
    /// `LAST_INSERT_ID()`: the session's, not the connection's (sessions share connections).
    LastInsertId,
    /// `ROW_COUNT()`.
    RowCount,
    /// `FOUND_ROWS()`: rows of the session's last SELECT.
    FoundRows,
}

/// What a placeholder in the rendered text is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// The client's parameter with this index (prepared statements).
    Client(u16),
    /// A literal too large to be spelled in the text.
    Literal(Literal),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Sql(String),
    Param(Slot),
    Dynamic(Dynamic),
}

/// SQLite statement text in pieces.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SqlText {
    pieces: Vec<Piece>,
}

/// A session value spelled into a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum DynValue {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl DynValue {
    fn spell(&self) -> String {
        match self {
            DynValue::Null => "NULL".into(),
            DynValue::Int(i) => i.to_string(),
            DynValue::Real(r) if r.is_finite() => format!("{r:?}"),
            DynValue::Real(_) => "NULL".into(),
            DynValue::Text(s) => sqlite_text(s),
            DynValue::Blob(b) => sqlite_blob(b),
        }
    }
}

/// A statement ready for SQLite: its text and what each `?` in it is bound to, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub sql: String,
    pub binds: Vec<Slot>,
}

impl SqlText {
    pub fn new() -> Self {
        SqlText::default()
    }

    pub fn from_sql(s: &str) -> Self {
        let mut t = SqlText::new();
        t.push_str(s);
        t
    }

    pub fn push_str(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some(Piece::Sql(last)) = self.pieces.last_mut() {
            last.push_str(s);
        } else {
            self.pieces.push(Piece::Sql(s.to_string()));
        }
    }

    pub fn push_param(&mut self, slot: Slot) {
        self.pieces.push(Piece::Param(slot));
    }

    pub fn push_dynamic(&mut self, d: Dynamic) {
        self.pieces.push(Piece::Dynamic(d));
    }

    pub fn append(&mut self, other: SqlText) {
        for p in other.pieces {
            match p {
                Piece::Sql(s) => self.push_str(&s),
                other => self.pieces.push(other),
            }
        }
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// The fixed text (placeholders as `?`, session values as their MySQL spelling), for
    /// comparing a rewritten fragment with its source.
    pub fn sketch(&self) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Sql(s) => out.push_str(s),
                Piece::Param(_) => out.push('?'),
                Piece::Dynamic(d) => out.push_str(&format!("{d:?}")),
            }
        }
        out
    }

    /// Whether the text uses session values or placeholders.
    pub fn is_plain(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Sql(_)))
    }

    /// The number of client parameters referenced.
    pub fn client_params(&self) -> usize {
        self.pieces
            .iter()
            .filter(|p| matches!(p, Piece::Param(Slot::Client(_))))
            .count()
    }

    /// The final text, with session values from `resolve`.
    pub fn render<E>(
        &self,
        resolve: &mut dyn FnMut(&Dynamic) -> Result<DynValue, E>,
    ) -> Result<Rendered, E> {
        let mut sql = String::new();
        let mut binds = Vec::new();
        for p in &self.pieces {
            match p {
                Piece::Sql(s) => sql.push_str(s),
                Piece::Param(slot) => {
                    sql.push('?');
                    binds.push(slot.clone());
                }
                Piece::Dynamic(d) => sql.push_str(&resolve(d)?.spell()),
            }
        }
        Ok(Rendered { sql, binds })
    }

    /// The final text of a statement without session values or placeholders.
    pub fn plain(&self) -> String {
        let rendered: Result<Rendered, std::convert::Infallible> =
            self.render(&mut |_| Ok(DynValue::Null));
        match rendered {
            Ok(r) => r.sql,
            Err(never) => match never {},
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_pieces() {
        let mut t = SqlText::from_sql("SELECT ");
        t.push_dynamic(Dynamic::SysVar("sql_mode".into()));
        t.push_str(", ");
        t.push_param(Slot::Client(0));
        t.push_str(", ");
        t.push_dynamic(Dynamic::ConnectionId);
        let r = t
            .render::<()>(&mut |d| {
                Ok(match d {
                    Dynamic::SysVar(_) => DynValue::Text("A'B".into()),
                    _ => DynValue::Int(7),
                })
            })
            .unwrap();
        assert_eq!(r.sql, "SELECT 'A''B', ?, 7");
        assert_eq!(r.binds, vec![Slot::Client(0)]);
        assert_eq!(t.client_params(), 1);
        assert!(!t.is_plain());
    }
}
