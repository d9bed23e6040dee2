//! MySQL DDL in SQLite's terms ([`create`]: `CREATE TABLE`, `CREATE INDEX`, `CREATE
//! VIEW`; [`alter`]: `ALTER TABLE`, `DROP`, `TRUNCATE`, `RENAME TABLE`), and what both
//! share: table names (a database qualifier is the current database), index names (MySQL's
//! are per table, SQLite's per database: an index made from MySQL DDL is
//! `<table>_<name>`), and key parts (prefix lengths and `USING BTREE` removed).

mod alter;
mod create;

pub use alter::{alter_table, drop_index, drop_tables, rename_tables, truncate};
pub use create::{create_index, create_table, create_view};

use super::DialectError;
use super::emit::Emitter;
use super::lexer::Kind;
use super::literal::sqlite_ident;
use super::sql::SqlText;

/// `[db.]name` at `at`: the table name (a qualifier is the current database) and the
/// position after it.
pub(super) fn table_name(em: &Emitter<'_, '_>, at: usize) -> Result<(String, usize), DialectError> {
    let (mut parts, next) = em.stmt.qualified(at).ok_or_else(|| em.syntax_at(at))?;
    let name = parts.pop().unwrap_or_default();
    Ok((name, next))
}

/// The SQLite name of MySQL index `name` on `table`.
pub fn index_name(table: &str, name: &str) -> String {
    format!("{table}_{name}")
}

/// Key parts `( col[(len)] [ASC|DESC], (expr), ... )` opened at `open`: their SQLite
/// spelling (prefix lengths removed), the first column's name, and the position after.
pub(super) fn key_parts(
    em: &Emitter<'_, '_>,
    open: usize,
) -> Result<(SqlText, String, usize), DialectError> {
    let s = em.stmt;
    if s.kind(open) != Some(Kind::Open) {
        return Err(em.syntax_at(open));
    }
    let close = s.closing(open).ok_or_else(|| em.syntax_at(open))?;
    let mut out = SqlText::from_sql("(");
    let mut first = String::new();
    for (k, part) in s
        .split_commas(open + 1, close, s.depth(open) + 1)
        .into_iter()
        .enumerate()
    {
        if k > 0 {
            out.push_str(", ");
        }
        if s.kind(part.start) == Some(Kind::Open) {
            out.append(em.plain(part.start, part.end)?);
            continue;
        }
        let name = s
            .ident(part.start)
            .ok_or_else(|| em.syntax_at(part.start))?;
        if first.is_empty() {
            first.clone_from(&name);
        }
        out.push_str(&sqlite_ident(&name));
        let mut j = part.start + 1;
        if s.kind(j) == Some(Kind::Open) {
            j = s.closing(j).map_or(part.end, |c| c + 1);
        }
        if s.is_kw(j, "ASC") || s.is_kw(j, "DESC") {
            out.push_str(" ");
            out.push_str(&s.upper(j));
        }
    }
    out.push_str(")");
    Ok((out, first, close + 1))
}

/// Skips `USING BTREE|HASH` and index options; returns the position of the `(`.
pub(super) fn skip_to_parts(em: &Emitter<'_, '_>, mut j: usize) -> usize {
    let s = em.stmt;
    while j < s.len() && s.kind(j) != Some(Kind::Open) {
        j += 1;
    }
    j
}

/// A deferred `CREATE INDEX` for a `KEY` inside `CREATE TABLE` or `ALTER TABLE .. ADD`.
pub(super) struct IndexDef {
    pub unique: bool,
    pub name: Option<String>,
    pub parts: SqlText,
    pub first: String,
}

impl IndexDef {
    pub fn sql(&self, table: &str, if_not_exists: bool) -> SqlText {
        let name = index_name(table, self.name.as_deref().unwrap_or(&self.first));
        let mut out = SqlText::from_sql(if self.unique {
            "CREATE UNIQUE INDEX "
        } else {
            "CREATE INDEX "
        });
        if if_not_exists {
            out.push_str("IF NOT EXISTS ");
        }
        out.push_str(&sqlite_ident(&name));
        out.push_str(" ON ");
        out.push_str(&sqlite_ident(table));
        out.push_str(" ");
        out.append(self.parts.clone());
        out
    }
}

/// `{INDEX|KEY} [name] [USING ..] (parts)` (after any `UNIQUE` / `FULLTEXT` word) at `at`.
pub(super) fn index_def(
    em: &Emitter<'_, '_>,
    at: usize,
    unique: bool,
) -> Result<IndexDef, DialectError> {
    let s = em.stmt;
    let mut j = at;
    if s.is_kw(j, "INDEX") || s.is_kw(j, "KEY") {
        j += 1;
    }
    let name = if s.kind(j) != Some(Kind::Open) && !s.is_kw(j, "USING") {
        let n = s.ident(j);
        j += 1;
        n
    } else {
        None
    };
    let open = skip_to_parts(em, j);
    let (parts, first, _) = key_parts(em, open)?;
    Ok(IndexDef {
        unique,
        name,
        parts,
        first,
    })
}
