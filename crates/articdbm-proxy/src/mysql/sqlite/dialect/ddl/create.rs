//! `CREATE TABLE` (columns through [`super::super::column`], an `AUTO_INCREMENT` key as
//! SQLite's rowid alias `INTEGER PRIMARY KEY AUTOINCREMENT` with its separate
//! `PRIMARY KEY (id)` dropped, `KEY`/`INDEX`/`FULLTEXT`/`UNIQUE KEY` definitions as
//! `CREATE [UNIQUE] INDEX` statements after the table, table options such as `ENGINE=`,
//! `DEFAULT CHARSET=`, `AUTO_INCREMENT=` dropped, `CREATE TABLE .. AS SELECT`), `CREATE
//! INDEX` and `CREATE [OR REPLACE] VIEW`.

use super::super::column::{Column, column};
use super::super::emit::{Edits, Emitter};
use super::super::lexer::Kind;
use super::super::literal::sqlite_ident;
use super::super::sql::SqlText;
use super::super::{DialectError, Step};
use super::{IndexDef, index_def, key_parts, skip_to_parts, table_name};

/// `CREATE [TEMPORARY] TABLE ...` starting at `at` (the word after `CREATE`).
pub fn create_table(em: &Emitter<'_, '_>, at: usize) -> Result<Vec<Step>, DialectError> {
    let s = em.stmt;
    let mut j = at;
    let temporary = s.is_kw(j, "TEMPORARY") || s.is_kw(j, "TEMP");
    if temporary {
        j += 1;
    }
    if !s.is_kw(j, "TABLE") {
        return Err(em.syntax_at(j));
    }
    j += 1;
    let if_not_exists = s.is_kws(j, &["IF", "NOT", "EXISTS"]);
    if if_not_exists {
        j += 3;
    }
    let (table, next) = table_name(em, j)?;
    j = next;
    let mut head = SqlText::from_sql(if temporary {
        "CREATE TEMPORARY TABLE "
    } else {
        "CREATE TABLE "
    });
    if if_not_exists {
        head.push_str("IF NOT EXISTS ");
    }
    head.push_str(&sqlite_ident(&table));
    if s.is_kw(j, "LIKE") || (s.kind(j) == Some(Kind::Open) && s.is_kw(j + 1, "LIKE")) {
        return Err(DialectError::Unsupported(
            "CREATE TABLE ... LIKE with the SQLite backend".into(),
        ));
    }
    if s.kind(j) != Some(Kind::Open) || s.is_kw(j + 1, "SELECT") {
        // `CREATE TABLE t [options] [AS] SELECT ...`
        let select = (j..s.len())
            .find(|&k| s.depth(k) == 0 && (s.is_kw(k, "SELECT") || s.kind(k) == Some(Kind::Open)))
            .ok_or_else(|| em.syntax_at(j))?;
        head.push_str(" AS ");
        let mut edits = Edits::default();
        if s.is_kw(select, "SELECT") {
            super::super::select::select(em, select, &mut edits)?;
        }
        em.range(select, s.len(), &edits, &mut head)?;
        return Ok(vec![Step::Sql(head)]);
    }
    let close = s.closing(j).ok_or_else(|| em.syntax_at(j))?;
    let items = s.split_commas(j + 1, close, 1);
    let mut columns: Vec<Column> = Vec::new();
    let mut constraints: Vec<SqlText> = Vec::new();
    let mut indexes: Vec<IndexDef> = Vec::new();
    let mut pk_columns: Option<(Vec<String>, SqlText)> = None;
    for item in items {
        let k = item.start;
        if item.is_empty() {
            return Err(em.syntax_at(k));
        }
        let (constraint_name, k) = if s.is_kw(k, "CONSTRAINT") {
            if s.is_kw(k + 1, "PRIMARY")
                || s.is_kw(k + 1, "UNIQUE")
                || s.is_kw(k + 1, "FOREIGN")
                || s.is_kw(k + 1, "CHECK")
            {
                (None, k + 1)
            } else {
                (s.ident(k + 1), k + 2)
            }
        } else {
            (None, k)
        };
        let named = |out: &mut SqlText| {
            if let Some(n) = &constraint_name {
                out.push_str("CONSTRAINT ");
                out.push_str(&sqlite_ident(n));
                out.push_str(" ");
            }
        };
        match s.upper(k).as_str() {
            "PRIMARY" if s.is_kw(k + 1, "KEY") => {
                let open = skip_to_parts(em, k + 2);
                let (parts, _, _) = key_parts(em, open)?;
                let close_parts = s.closing(open).unwrap_or(open);
                let names: Vec<String> = s
                    .split_commas(open + 1, close_parts, 2)
                    .into_iter()
                    .filter_map(|p| s.ident(p.start))
                    .collect();
                let mut c = SqlText::new();
                named(&mut c);
                c.push_str("PRIMARY KEY ");
                c.append(parts);
                pk_columns = Some((names, c));
            }
            "UNIQUE" => {
                // A unique index of its own (not a table constraint), so that it has the
                // name MySQL gives it (`SHOW INDEX`, `DROP INDEX`).
                let mut def = index_def(em, k + 1, true)?;
                if def.name.is_none() {
                    def.name.clone_from(&constraint_name);
                }
                indexes.push(def);
            }
            "KEY" | "INDEX" => indexes.push(index_def(em, k, false)?),
            "FULLTEXT" | "SPATIAL" => indexes.push(index_def(em, k + 1, false)?),
            "FOREIGN" if s.is_kw(k + 1, "KEY") => {
                let open = skip_to_parts(em, k + 2);
                let (parts, _, after) = key_parts(em, open)?;
                let mut c = SqlText::new();
                named(&mut c);
                c.push_str("FOREIGN KEY ");
                c.append(parts);
                c.push_str(" ");
                c.append(em.plain(after, item.end)?);
                constraints.push(c);
            }
            "CHECK" => {
                let mut c = SqlText::new();
                named(&mut c);
                let mut edits = Edits::default();
                for e in k..item.end {
                    if s.is_kw(e, "ENFORCED") {
                        edits.drop(e);
                        if s.is_kw(e - 1, "NOT") {
                            edits.drop(e - 1);
                        }
                    }
                }
                em.range(k, item.end, &edits, &mut c)?;
                constraints.push(c);
            }
            _ => columns.push(column(em, item.start, item.end)?),
        }
    }
    let auto: Vec<usize> = (0..columns.len())
        .filter(|&c| columns[c].auto_increment)
        .collect();
    if auto.len() > 1 {
        return Err(DialectError::Unsupported(
            "more than one AUTO_INCREMENT column".into(),
        ));
    }
    let inline_pk = columns.iter().filter(|c| c.primary_key).count();
    let mut body: Vec<SqlText> = Vec::new();
    let mut drop_pk_constraint = false;
    for (c, col) in columns.iter().enumerate() {
        if auto.contains(&c) {
            let pk_is_this = match &pk_columns {
                Some((names, _)) => names.len() == 1 && names[0].eq_ignore_ascii_case(&col.name),
                None => inline_pk == 0 || col.primary_key,
            };
            if !pk_is_this || (inline_pk > 0 && !col.primary_key) {
                return Err(DialectError::Unsupported(format!(
                    "AUTO_INCREMENT column '{}' that is not the table's whole PRIMARY KEY \
                     (SQLite numbers only its INTEGER PRIMARY KEY)",
                    col.name
                )));
            }
            drop_pk_constraint = pk_columns.is_some();
            body.push(col.rowid_sql());
        } else {
            body.push(col.plain_sql());
        }
    }
    if let Some((_, c)) = pk_columns
        && !drop_pk_constraint
    {
        body.push(c);
    }
    body.extend(constraints);
    let mut create = head;
    create.push_str(" (");
    for (n, part) in body.into_iter().enumerate() {
        if n > 0 {
            create.push_str(", ");
        }
        create.append(part);
    }
    create.push_str(")");
    let mut steps = vec![Step::Sql(create)];
    for idx in &indexes {
        steps.push(Step::Sql(idx.sql(&table, if_not_exists)));
    }
    Ok(steps)
}

/// `CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX name [USING ..] ON t (parts) [options]`
/// starting at `at` (the word after `CREATE`).
pub fn create_index(em: &Emitter<'_, '_>, at: usize) -> Result<Vec<Step>, DialectError> {
    let s = em.stmt;
    let mut j = at;
    let unique = s.is_kw(j, "UNIQUE");
    if unique || s.is_kw(j, "FULLTEXT") || s.is_kw(j, "SPATIAL") {
        j += 1;
    }
    if !s.is_kw(j, "INDEX") {
        return Err(em.syntax_at(j));
    }
    j += 1;
    let if_not_exists = s.is_kws(j, &["IF", "NOT", "EXISTS"]);
    if if_not_exists {
        j += 3;
    }
    let name = s.ident(j).ok_or_else(|| em.syntax_at(j))?;
    let on = s
        .find_kw(j + 1, s.len(), 0, &["ON"])
        .ok_or_else(|| em.syntax_at(j + 1))?;
    let (table, after) = table_name(em, on + 1)?;
    let (parts, first, _) = key_parts(em, skip_to_parts(em, after))?;
    let def = IndexDef {
        unique,
        name: Some(name),
        parts,
        first,
    };
    Ok(vec![Step::Sql(def.sql(&table, if_not_exists))])
}

/// `CREATE [OR REPLACE] [ALGORITHM=..] [DEFINER=..] [SQL SECURITY ..] VIEW name [(cols)] AS
/// select [WITH .. CHECK OPTION]` starting at `at` (the word after `CREATE`).
pub fn create_view(em: &Emitter<'_, '_>, at: usize) -> Result<Vec<Step>, DialectError> {
    let s = em.stmt;
    let replace = s.is_kws(at, &["OR", "REPLACE"]);
    let view = s
        .find_kw(at, s.len(), 0, &["VIEW"])
        .ok_or_else(|| em.syntax_at(at))?;
    let (name, mut j) = table_name(em, view + 1)?;
    let mut out = SqlText::from_sql("CREATE VIEW ");
    out.push_str(&sqlite_ident(&name));
    if s.kind(j) == Some(Kind::Open) {
        let close = s.closing(j).ok_or_else(|| em.syntax_at(j))?;
        out.push_str(" ");
        out.append(em.plain(j, close + 1)?);
        j = close + 1;
    }
    if !s.is_kw(j, "AS") {
        return Err(em.syntax_at(j));
    }
    let end = s.find_kw(j + 1, s.len(), 0, &["WITH"]).filter(|&w| {
        s.is_kws(w + 1, &["CHECK", "OPTION"])
            || s.is_kws(w + 1, &["CASCADED", "CHECK"])
            || s.is_kws(w + 1, &["LOCAL", "CHECK"])
    });
    let end = end.unwrap_or(s.len());
    out.push_str(" AS ");
    let mut edits = Edits::default();
    if s.is_kw(j + 1, "SELECT") {
        super::super::select::select(em, j + 1, &mut edits)?;
    }
    em.range(j + 1, end, &edits, &mut out)?;
    let mut steps = Vec::new();
    if replace {
        steps.push(Step::Sql(SqlText::from_sql(&format!(
            "DROP VIEW IF EXISTS {}",
            sqlite_ident(&name)
        ))));
    }
    steps.push(Step::Sql(out));
    Ok(steps)
}
