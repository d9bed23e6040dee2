//! MySQL writes in SQLite's terms: `INSERT IGNORE` → `INSERT OR IGNORE`, `INSERT .. SET a=1`
//! → column and value lists, `VALUES ()` → `DEFAULT VALUES`, `ON DUPLICATE KEY UPDATE` →
//! SQLite's upsert `ON CONFLICT DO UPDATE SET` (with `VALUES(col)` and a row alias's
//! `new.col` as `excluded.col`), and `UPDATE`/`DELETE` with `ORDER BY .. LIMIT n` (SQLite is
//! built without that) as a `rowid IN (SELECT ..)` restriction.

use super::emit::{Edits, Emitter};
use super::lexer::Kind;
use super::literal::sqlite_ident;
use super::sql::SqlText;
use super::{DialectError, Step};

const INSERT_MODIFIERS: [&str; 3] = ["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY"];

/// `INSERT ...` or `REPLACE ...` (`at` is 0, the verb).
pub fn insert(em: &Emitter<'_, '_>) -> Result<Vec<Step>, DialectError> {
    let s = em.stmt;
    let n = s.len();
    let replace = s.is_kw(0, "REPLACE");
    let mut j = 1;
    while INSERT_MODIFIERS.iter().any(|m| s.is_kw(j, m)) {
        j += 1;
    }
    let ignore = s.is_kw(j, "IGNORE");
    if ignore {
        j += 1;
    }
    if s.is_kw(j, "INTO") {
        j += 1;
    }
    let (mut parts, mut j) = s.qualified(j).ok_or_else(|| em.syntax_at(j))?;
    let table = parts.pop().unwrap_or_default();
    if s.is_kw(j, "PARTITION") {
        j = s.closing(j + 1).map_or(n, |c| c + 1);
    }
    let mut out = SqlText::from_sql(match (replace, ignore) {
        (true, _) => "REPLACE INTO ",
        (false, true) => "INSERT OR IGNORE INTO ",
        (false, false) => "INSERT INTO ",
    });
    out.push_str(&sqlite_ident(&table));
    out.push_str(" ");
    let dup =
        (j..n).find(|&k| s.depth(k) == 0 && s.is_kws(k, &["ON", "DUPLICATE", "KEY", "UPDATE"]));
    let body_end = dup.unwrap_or(n);
    let has_select = (j..body_end).any(|k| s.is_kw(k, "SELECT") && s.depth(k) <= 1);
    // A row alias: `VALUES (..) AS new [(a, b)]` / `SET .. AS new`.
    let alias_at = (j..body_end)
        .find(|&k| s.depth(k) == 0 && s.is_kw(k, "AS"))
        .filter(|_| !has_select);
    let alias = alias_at.and_then(|k| s.ident(k + 1));
    let body_end = alias_at.unwrap_or(body_end);
    if s.is_kw(j, "SET") {
        let mut cols = SqlText::from_sql("(");
        let mut vals = SqlText::from_sql("(");
        for (k, a) in s.split_commas(j + 1, body_end, 0).into_iter().enumerate() {
            let eq = (a.start..a.end)
                .find(|&e| s.depth(e) == 0 && matches!(s.bytes(e), b"=" | b":="))
                .ok_or_else(|| em.syntax_at(a.start))?;
            if k > 0 {
                cols.push_str(", ");
                vals.push_str(", ");
            }
            cols.append(em.plain(a.start, eq)?);
            vals.append(em.plain(eq + 1, a.end)?);
        }
        cols.push_str(")");
        vals.push_str(")");
        out.append(cols);
        out.push_str(" VALUES ");
        out.append(vals);
    } else {
        let values = (j..body_end)
            .find(|&k| s.depth(k) == 0 && (s.is_kw(k, "VALUES") || s.is_kw(k, "VALUE")));
        let select = (j..body_end).find(|&k| s.is_kw(k, "SELECT") || s.is_kw(k, "WITH"));
        match (values, select) {
            (Some(v), _) => {
                let empty_row = s.kind(v + 1) == Some(Kind::Open)
                    && s.kind(v + 2) == Some(Kind::Close)
                    && v + 3 == body_end;
                if empty_row && v == j {
                    out.push_str("DEFAULT VALUES");
                } else {
                    let mut edits = Edits::default();
                    edits.replace(v, v + 1, SqlText::from_sql("VALUES"));
                    em.range(j, body_end, &edits, &mut out)?;
                }
            }
            (None, Some(sel)) => {
                em.range(j, sel, &Edits::default(), &mut out)?;
                let mut edits = Edits::default();
                if s.is_kw(sel, "SELECT") {
                    super::select::select(em, sel, &mut edits)?;
                }
                let mut query = SqlText::new();
                em.range(sel, body_end, &edits, &mut query)?;
                if dup.is_some() {
                    // SQLite needs a WHERE before an upsert clause after a SELECT.
                    out.push_str("SELECT * FROM (");
                    out.append(query);
                    out.push_str(") WHERE true");
                } else {
                    out.append(query);
                }
            }
            (None, None) => return Err(em.syntax_at(j)),
        }
    }
    if let Some(d) = dup {
        if replace {
            return Err(em.syntax_at(d));
        }
        out.push_str(" ON CONFLICT DO UPDATE SET ");
        let mut edits = Edits::default();
        let start = d + 4;
        for k in start..n {
            // `VALUES(col)` → `excluded.col`
            if s.is_kw(k, "VALUES") && s.kind(k + 1) == Some(Kind::Open) {
                let close = s.closing(k + 1).ok_or_else(|| em.syntax_at(k))?;
                let col = s.ident(k + 2).ok_or_else(|| em.syntax_at(k + 2))?;
                edits.replace(
                    k,
                    close + 1,
                    SqlText::from_sql(&format!("excluded.{}", sqlite_ident(&col))),
                );
            }
            // `new.col` → `excluded.col`
            if let Some(a) = &alias
                && s.kind(k + 1) == Some(Kind::Dot)
                && s.ident(k).is_some_and(|w| w.eq_ignore_ascii_case(a))
            {
                edits.replace(k, k + 1, SqlText::from_sql("excluded"));
            }
        }
        em.range(start, n, &edits, &mut out)?;
    }
    Ok(vec![Step::Sql(out)])
}

/// `UPDATE ...` / `DELETE ...` (the verb at 0): modifiers dropped, `ORDER BY .. LIMIT`
/// turned into a rowid restriction.
pub fn update_or_delete(em: &Emitter<'_, '_>) -> Result<Vec<Step>, DialectError> {
    let s = em.stmt;
    let n = s.len();
    let delete = s.is_kw(0, "DELETE");
    let mut edits = Edits::default();
    let mut j = 1;
    let mut ignore = false;
    while ["LOW_PRIORITY", "QUICK", "IGNORE"]
        .iter()
        .any(|m| s.is_kw(j, m))
    {
        ignore |= s.is_kw(j, "IGNORE");
        edits.drop(j);
        j += 1;
    }
    if ignore && !delete {
        edits.replace(0, 1, SqlText::from_sql("UPDATE OR IGNORE"));
    }
    let table_at = if delete && s.is_kw(j, "FROM") {
        j + 1
    } else {
        j
    };
    let order = (table_at..n).find(|&k| s.depth(k) == 0 && s.is_kws(k, &["ORDER", "BY"]));
    let limit = (table_at..n).find(|&k| s.depth(k) == 0 && s.is_kw(k, "LIMIT"));
    let mut out = SqlText::new();
    let Some(limit) = limit else {
        if let Some(o) = order {
            edits.drop_range(o, n);
        }
        em.range(0, n, &edits, &mut out)?;
        return Ok(vec![Step::Sql(out)]);
    };
    let (table, after_table) = s
        .qualified(table_at)
        .ok_or_else(|| em.syntax_at(table_at))?;
    let table = table.last().cloned().unwrap_or_default();
    let where_at = (after_table..n).find(|&k| s.depth(k) == 0 && s.is_kw(k, "WHERE"));
    let tail_start = order.unwrap_or(limit);
    let head_end = where_at.unwrap_or(tail_start);
    em.range(0, head_end, &edits, &mut out)?;
    out.push_str(" WHERE rowid IN (SELECT rowid FROM ");
    out.push_str(&sqlite_ident(&table));
    if let Some(w) = where_at {
        out.push_str(" ");
        em.range(w, tail_start, &Edits::default(), &mut out)?;
    }
    out.push_str(" ");
    em.range(tail_start, n, &Edits::default(), &mut out)?;
    out.push_str(")");
    Ok(vec![Step::Sql(out)])
}
