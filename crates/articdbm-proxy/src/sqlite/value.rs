//! The values, rows and result metadata the SQLite engine exchanges with the front ends:
//! one [`Value`] per SQLite storage class, a [`Row`] of them, what a statement's columns are
//! ([`ColumnMeta`]), what describing a statement tells ([`Description`]) and how a
//! statement ended ([`Done`]).

use rusqlite::types::{ToSqlOutput, ValueRef};

/// One SQLite value (a storage class and its content).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    /// Bytes this value holds (for batch limits); scalars count as 8.
    pub fn size(&self) -> usize {
        match self {
            Value::Null => 1,
            Value::Integer(_) | Value::Real(_) => 8,
            Value::Text(s) => s.len(),
            Value::Blob(b) => b.len(),
        }
    }

    /// Copies a value SQLite returned. Text that is not UTF-8 (SQLite does not check what it
    /// stores through `CAST(x'..' AS TEXT)`) is kept with replacement characters.
    pub fn from_ref(value: ValueRef<'_>) -> Self {
        match value {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// One result row, a value per column.
pub type Row = Vec<Value>;

/// One result column: its name, and its declared type when it comes straight from a table
/// column (`None` for expressions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMeta {
    pub name: String,
    pub decl_type: Option<String>,
}

/// What preparing a statement tells without running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// Highest parameter number (`?NNN` / `$NNN`) used by the statement.
    pub param_count: usize,
    /// The result columns; empty for a statement that returns no rows.
    pub columns: Vec<ColumnMeta>,
    /// Whether the statement leaves the database unchanged (SQLite's own judgement).
    pub readonly: bool,
}

/// How a statement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Done {
    /// Rows inserted, updated or deleted (0 for a read-only statement).
    pub changes: u64,
    /// The connection's `last_insert_rowid()` after the statement.
    pub last_insert_rowid: i64,
    /// Rows returned by the statement.
    pub rows: u64,
}
