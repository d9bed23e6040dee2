//! `ALTER TABLE` (several actions become several SQLite statements; `ADD COLUMN`,
//! `ADD [UNIQUE] INDEX`, `DROP COLUMN`, `DROP INDEX`, `RENAME [COLUMN]`; table options are
//! nothing to do; what SQLite cannot alter is refused by name), `DROP TABLE a, b`,
//! `DROP INDEX i ON t`, `TRUNCATE` (rows and the AUTO_INCREMENT counter) and
//! `RENAME TABLE`.

use super::super::column::column;
use super::super::emit::Emitter;
use super::super::lexer::Kind;
use super::super::literal::sqlite_ident;
use super::super::sql::SqlText;
use super::super::{DialectError, Step};
use super::{index_def, table_name};

/// `DROP [TEMPORARY] {TABLE|VIEW} [IF EXISTS] a, b [RESTRICT|CASCADE]`: one statement per
/// name. `at` is the word after `DROP`.
pub fn drop_tables(em: &Emitter<'_, '_>, at: usize) -> Result<Vec<Step>, DialectError> {
    let s = em.stmt;
    let mut j = at;
    if s.is_kw(j, "TEMPORARY") {
        j += 1;
    }
    let what = s.upper(j);
    if what != "TABLE" && what != "VIEW" {
        return Err(em.syntax_at(j));
    }
    j += 1;
    let if_exists = s.is_kws(j, &["IF", "EXISTS"]);
    if if_exists {
        j += 2;
    }
    let mut end = s.len();
    if s.is_kw(end.saturating_sub(1), "RESTRICT") || s.is_kw(end.saturating_sub(1), "CASCADE") {
        end -= 1;
    }
    let mut steps = Vec::new();
    for part in s.split_commas(j, end, 0) {
        let (name, next) = table_name(em, part.start)?;
        if next != part.end {
            return Err(em.syntax_at(next));
        }
        let mut sql = format!("DROP {what} ");
        if if_exists {
            sql.push_str("IF EXISTS ");
        }
        sql.push_str(&sqlite_ident(&name));
        steps.push(Step::Sql(SqlText::from_sql(&sql)));
    }
    Ok(steps)
}

/// `DROP INDEX name ON table [options]`; `at` is the word after `INDEX`.
pub fn drop_index(em: &Emitter<'_, '_>, at: usize) -> Result<Vec<Step>, DialectError> {
    let s = em.stmt;
    let name = s.ident(at).ok_or_else(|| em.syntax_at(at))?;
    if !s.is_kw(at + 1, "ON") {
        return Err(em.syntax_at(at + 1));
    }
    let (table, _) = table_name(em, at + 2)?;
    Ok(vec![Step::DropIndex { table, name }])
}

/// `TRUNCATE [TABLE] t`: all rows deleted and the auto-increment counter reset.
pub fn truncate(em: &Emitter<'_, '_>, at: usize) -> Result<Vec<Step>, DialectError> {
    let s = em.stmt;
    let at = if s.is_kw(at, "TABLE") { at + 1 } else { at };
    let (table, next) = table_name(em, at)?;
    if next != s.len() {
        return Err(em.syntax_at(next));
    }
    Ok(vec![
        Step::Sql(SqlText::from_sql(&format!(
            "DELETE FROM {}",
            sqlite_ident(&table)
        ))),
        Step::ResetSequence { table },
    ])
}

/// `RENAME TABLE a TO b [, c TO d]`; `at` is the word after `RENAME`.
pub fn rename_tables(em: &Emitter<'_, '_>, at: usize) -> Result<Vec<Step>, DialectError> {
    let s = em.stmt;
    if !s.is_kw(at, "TABLE") {
        return Err(em.syntax_at(at));
    }
    let mut steps = Vec::new();
    for part in s.split_commas(at + 1, s.len(), 0) {
        let (from, next) = table_name(em, part.start)?;
        if !s.is_kw(next, "TO") {
            return Err(em.syntax_at(next));
        }
        let (to, _) = table_name(em, next + 1)?;
        steps.push(Step::Sql(SqlText::from_sql(&format!(
            "ALTER TABLE {} RENAME TO {}",
            sqlite_ident(&from),
            sqlite_ident(&to)
        ))));
    }
    Ok(steps)
}

/// `ALTER [IGNORE] TABLE t action[, action]`; `at` is the word after `ALTER`.
pub fn alter_table(em: &Emitter<'_, '_>, at: usize) -> Result<Vec<Step>, DialectError> {
    let s = em.stmt;
    let mut j = at;
    if s.is_kw(j, "IGNORE") || s.is_kw(j, "ONLINE") {
        j += 1;
    }
    if !s.is_kw(j, "TABLE") {
        return Err(DialectError::Unsupported(format!(
            "ALTER {} with the SQLite backend",
            String::from_utf8_lossy(s.bytes(j))
        )));
    }
    let (table, next) = table_name(em, j + 1)?;
    let alter = format!("ALTER TABLE {} ", sqlite_ident(&table));
    let mut steps = Vec::new();
    let mut renames = Vec::new();
    for spec in s.split_commas(next, s.len(), 0) {
        let k = spec.start;
        if spec.is_empty() {
            continue;
        }
        let unsupported = || {
            DialectError::Unsupported(format!(
                "ALTER TABLE ... {} with the SQLite backend",
                String::from_utf8_lossy(s.text(spec.start, spec.end))
            ))
        };
        match s.upper(k).as_str() {
            "ADD" => {
                let mut c = k + 1;
                if s.is_kw(c, "CONSTRAINT") {
                    c += if s.is_kw(c + 1, "UNIQUE") { 1 } else { 2 };
                }
                match s.upper(c).as_str() {
                    "INDEX" | "KEY" => {
                        steps.push(Step::Sql(index_def(em, c, false)?.sql(&table, false)));
                    }
                    "FULLTEXT" | "SPATIAL" => {
                        steps.push(Step::Sql(index_def(em, c + 1, false)?.sql(&table, false)));
                    }
                    "UNIQUE" => {
                        steps.push(Step::Sql(index_def(em, c + 1, true)?.sql(&table, false)));
                    }
                    "PRIMARY" | "FOREIGN" | "CHECK" => return Err(unsupported()),
                    _ => {
                        let c = if s.is_kw(c, "COLUMN") { c + 1 } else { c };
                        let defs = if s.kind(c) == Some(Kind::Open) {
                            let close = s.closing(c).ok_or_else(|| em.syntax_at(c))?;
                            s.split_commas(c + 1, close, 1)
                        } else {
                            let end = s
                                .find_kw(c, spec.end, 0, &["FIRST", "AFTER"])
                                .unwrap_or(spec.end);
                            std::iter::once(c..end).collect()
                        };
                        for def in defs {
                            let col = column(em, def.start, def.end)?;
                            if col.auto_increment || col.primary_key {
                                return Err(unsupported());
                            }
                            let mut sql = SqlText::from_sql(&alter);
                            sql.push_str("ADD COLUMN ");
                            sql.append(col.plain_sql());
                            steps.push(Step::Sql(sql));
                        }
                    }
                }
            }
            "DROP" => {
                let c = k + 1;
                match s.upper(c).as_str() {
                    "INDEX" | "KEY" => {
                        let name = s.ident(c + 1).ok_or_else(|| em.syntax_at(c + 1))?;
                        steps.push(Step::DropIndex {
                            table: table.clone(),
                            name,
                        });
                    }
                    "PRIMARY" | "FOREIGN" | "CHECK" | "CONSTRAINT" => return Err(unsupported()),
                    _ => {
                        let c = if s.is_kw(c, "COLUMN") { c + 1 } else { c };
                        let name = s.ident(c).ok_or_else(|| em.syntax_at(c))?;
                        steps.push(Step::Sql(SqlText::from_sql(&format!(
                            "{alter}DROP COLUMN {}",
                            sqlite_ident(&name)
                        ))));
                    }
                }
            }
            "RENAME" => {
                let c = k + 1;
                if s.is_kw(c, "COLUMN") {
                    let from = s.ident(c + 1).ok_or_else(|| em.syntax_at(c + 1))?;
                    let to = s.ident(c + 3).ok_or_else(|| em.syntax_at(c + 3))?;
                    steps.push(Step::Sql(SqlText::from_sql(&format!(
                        "{alter}RENAME COLUMN {} TO {}",
                        sqlite_ident(&from),
                        sqlite_ident(&to)
                    ))));
                } else if s.is_kw(c, "INDEX") || s.is_kw(c, "KEY") {
                    return Err(unsupported());
                } else {
                    let c = if s.is_kw(c, "TO") || s.is_kw(c, "AS") {
                        c + 1
                    } else {
                        c
                    };
                    let (to, _) = table_name(em, c)?;
                    renames.push(Step::Sql(SqlText::from_sql(&format!(
                        "{alter}RENAME TO {}",
                        sqlite_ident(&to)
                    ))));
                }
            }
            // Table options and algorithm clauses: nothing to do for SQLite.
            "ENGINE" | "DEFAULT" | "CHARSET" | "CHARACTER" | "COLLATE" | "AUTO_INCREMENT"
            | "COMMENT" | "ROW_FORMAT" | "CONVERT" | "ALGORITHM" | "LOCK" | "FORCE"
            | "KEY_BLOCK_SIZE" | "STATS_PERSISTENT" | "PACK_KEYS" => {}
            _ => return Err(unsupported()),
        }
    }
    steps.extend(renames);
    Ok(steps)
}
