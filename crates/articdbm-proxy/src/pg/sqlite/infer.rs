//! Types of parameters the client left unspecified (type 0 in Parse), inferred from where
//! they stand in the SQLite statement: a value inserted into a column, compared with or
//! assigned to a column (`col = ?1`, `?1 < t.col`, `col IN (?1, ?2)`, `col BETWEEN ?1 AND
//! ?2`, `col + ?1`), `LIMIT`/`OFFSET` (int8), `CAST(?1 AS type)`. Column types come from the
//! declared types of the tables the statement names (`pragma_table_info`). What cannot be
//! placed stays unknown (the caller then says text, as PostgreSQL does for an unknown).

use std::collections::HashMap;

use super::SqliteFront;
use super::types;
use crate::sqlite::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A bare or quoted identifier or keyword (bare ones lower-cased; `quoted` kept apart).
    Word { text: String, quoted: bool },
    /// `?N` (1-based).
    Param(usize),
    /// Operators and punctuation.
    Punct(String),
    /// Literals (strings, numbers, blobs).
    Literal,
}

fn tokens(sql: &str) -> Vec<Tok> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut next_anon = 1;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if c == b'\'' {
            i += 1;
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            out.push(Tok::Literal);
        } else if matches!(c, b'"' | b'`' | b'[') {
            let close = match c {
                b'[' => b']',
                other => other,
            };
            let start = i + 1;
            i += 1;
            while i < b.len() && b[i] != close {
                i += 1;
            }
            let text = sql.get(start..i.min(b.len())).unwrap_or("").to_lowercase();
            i += 1;
            out.push(Tok::Word { text, quoted: true });
        } else if c == b'?' {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let n = sql[start..i].parse().unwrap_or(next_anon);
            next_anon = n + 1;
            out.push(Tok::Param(n));
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            out.push(Tok::Literal);
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80 || b[i] == b'$')
            {
                i += 1;
            }
            out.push(Tok::Word {
                text: sql[start..i].to_lowercase(),
                quoted: false,
            });
        } else {
            let two = sql.get(i..i + 2).unwrap_or("");
            let op = if matches!(two, "<>" | "!=" | "<=" | ">=" | "==" | "||") {
                two
            } else {
                &sql[i..i + 1]
            };
            i += op.len();
            out.push(Tok::Punct(op.to_owned()));
        }
    }
    out
}

const KEYWORDS: &[&str] = &[
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "in",
    "is",
    "null",
    "like",
    "glob",
    "between",
    "set",
    "values",
    "on",
    "join",
    "left",
    "right",
    "inner",
    "outer",
    "cross",
    "group",
    "order",
    "by",
    "limit",
    "offset",
    "having",
    "returning",
    "as",
    "into",
    "update",
    "insert",
    "delete",
    "case",
    "when",
    "then",
    "else",
    "end",
    "exists",
    "using",
    "natural",
    "union",
    "all",
    "distinct",
    "cast",
    "escape",
    "default",
    "conflict",
    "do",
    "nothing",
];

fn word(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Word { text, .. }) => Some(text),
        _ => None,
    }
}

fn is_kw(t: Option<&Tok>, kw: &str) -> bool {
    matches!(t, Some(Tok::Word { text, quoted: false }) if text == kw)
}

fn is_punct(t: Option<&Tok>, p: &str) -> bool {
    matches!(t, Some(Tok::Punct(x)) if x == p)
}

fn is_identifier(t: Option<&Tok>) -> bool {
    match t {
        Some(Tok::Word { text, quoted }) => *quoted || !KEYWORDS.contains(&text.as_str()),
        _ => false,
    }
}

const COMPARISONS: &[&str] = &[
    "=", "==", "<>", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%",
];

fn is_comparison(t: Option<&Tok>) -> bool {
    match t {
        Some(Tok::Punct(p)) => COMPARISONS.contains(&p.as_str()),
        Some(Tok::Word {
            text,
            quoted: false,
        }) => {
            matches!(text.as_str(), "like" | "glob" | "is" | "regexp" | "match")
        }
        _ => false,
    }
}

/// A column reference ending at `end` (inclusive): `(qualifier, column)`.
fn column_before(toks: &[Tok], end: usize) -> Option<(Option<String>, String)> {
    if !is_identifier(toks.get(end)) {
        return None;
    }
    let column = word(toks.get(end))?.to_owned();
    let qualifier = (end >= 2 && is_punct(toks.get(end - 1), "."))
        .then(|| word(toks.get(end - 2)).map(str::to_owned))
        .flatten();
    Some((qualifier, column))
}

/// A column reference starting at `start`.
fn column_after(toks: &[Tok], start: usize) -> Option<(Option<String>, String)> {
    if !is_identifier(toks.get(start)) {
        return None;
    }
    if is_punct(toks.get(start + 1), ".") && is_identifier(toks.get(start + 2)) {
        return Some((
            word(toks.get(start)).map(str::to_owned),
            word(toks.get(start + 2))?.to_owned(),
        ));
    }
    if is_punct(toks.get(start + 1), "(") {
        return None; // a function call
    }
    Some((None, word(toks.get(start))?.to_owned()))
}

/// Tables named after FROM / JOIN / INTO / UPDATE, with their aliases: `(alias or name, name)`.
fn tables(toks: &[Tok]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..toks.len() {
        let starts = ["from", "join", "into", "update"]
            .iter()
            .any(|k| is_kw(toks.get(i), k));
        if !starts {
            continue;
        }
        let mut j = i + 1;
        loop {
            if !is_identifier(toks.get(j)) {
                break;
            }
            let mut name = word(toks.get(j)).unwrap_or_default().to_owned();
            j += 1;
            if is_punct(toks.get(j), ".") && is_identifier(toks.get(j + 1)) {
                name = word(toks.get(j + 1)).unwrap_or_default().to_owned();
                j += 2;
            }
            let mut alias = name.clone();
            if is_kw(toks.get(j), "as") {
                j += 1;
            }
            if is_identifier(toks.get(j)) && !is_punct(toks.get(j + 1), "(") {
                alias = word(toks.get(j)).unwrap_or_default().to_owned();
                j += 1;
            }
            out.push((alias, name));
            // FROM a, b
            if is_punct(toks.get(j), ",") && is_kw(toks.get(i), "from") {
                j += 1;
                continue;
            }
            break;
        }
    }
    out
}

/// Declared column types per table (`name` → columns in order with their declared type).
type Schema = HashMap<String, Vec<(String, String)>>;

fn column_type(
    schema: &Schema,
    aliases: &[(String, String)],
    col: &(Option<String>, String),
) -> Option<u32> {
    let (qualifier, column) = col;
    let candidates: Vec<&String> = match qualifier {
        Some(q) => aliases
            .iter()
            .filter(|(a, _)| a == q)
            .map(|(_, t)| t)
            .collect(),
        None => aliases.iter().map(|(_, t)| t).collect(),
    };
    candidates.iter().find_map(|table| {
        schema
            .get(*table)?
            .iter()
            .find(|(c, _)| c == column)
            .and_then(|(_, decl)| types::decl_oid(Some(decl)))
    })
}

impl SqliteFront {
    /// The inferred type of each of `count` parameters of `sql` (SQLite dialect).
    pub(super) async fn infer_params(&mut self, sql: &str, count: usize) -> Vec<Option<u32>> {
        let toks = tokens(sql);
        let aliases = tables(&toks);
        let mut schema: Schema = HashMap::new();
        for (_, table) in &aliases {
            if schema.contains_key(table) {
                continue;
            }
            let columns = self.table_columns(table).await;
            schema.insert(table.clone(), columns);
        }
        let mut out: Vec<Option<u32>> = vec![None; count];
        let mut set = |n: usize, oid: Option<u32>| {
            if let (Some(slot), Some(oid)) = (n.checked_sub(1).and_then(|i| out.get_mut(i)), oid)
                && slot.is_none()
            {
                *slot = Some(oid);
            }
        };
        insert_values(&toks, &schema, &aliases, &mut set);
        for (k, t) in toks.iter().enumerate() {
            let Tok::Param(n) = t else { continue };
            let n = *n;
            let prev = k.checked_sub(1).and_then(|p| toks.get(p));
            if is_kw(prev, "limit") || is_kw(prev, "offset") {
                set(n, Some(types::INT8));
                continue;
            }
            if is_punct(prev, "(")
                && k >= 2
                && is_kw(toks.get(k - 2), "cast")
                && is_kw(toks.get(k + 1), "as")
            {
                set(
                    n,
                    word(toks.get(k + 2)).and_then(|w| types::decl_oid(Some(w))),
                );
                continue;
            }
            // col <op> ?n
            if is_comparison(prev) && k >= 2 {
                let mut end = k - 2;
                if is_kw(toks.get(end), "not") && end >= 1 {
                    end -= 1;
                }
                if let Some(col) = column_before(&toks, end) {
                    set(n, column_type(&schema, &aliases, &col));
                    continue;
                }
            }
            // ?n <op> col
            if is_comparison(toks.get(k + 1))
                && let Some(col) = column_after(&toks, k + 2)
            {
                set(n, column_type(&schema, &aliases, &col));
                continue;
            }
            // col BETWEEN ?n AND ?m
            if is_kw(prev, "between") && k >= 2 {
                if let Some(col) = column_before(&toks, k - 2) {
                    set(n, column_type(&schema, &aliases, &col));
                }
                continue;
            }
            if is_kw(prev, "and")
                && k >= 4
                && matches!(toks.get(k - 2), Some(Tok::Param(_)))
                && is_kw(toks.get(k - 3), "between")
            {
                if let Some(col) = column_before(&toks, k - 4) {
                    set(n, column_type(&schema, &aliases, &col));
                }
                continue;
            }
            // col IN (?n, ?m ...)
            if is_punct(prev, "(") || is_punct(prev, ",") {
                let mut j = k;
                while j > 0 && !is_punct(toks.get(j), "(") {
                    j -= 1;
                    if !matches!(
                        toks.get(j),
                        Some(Tok::Param(_)) | Some(Tok::Punct(_)) | Some(Tok::Literal)
                    ) {
                        break;
                    }
                }
                if is_punct(toks.get(j), "(") && j >= 2 && is_kw(toks.get(j - 1), "in") {
                    let mut end = j - 2;
                    if is_kw(toks.get(end), "not") && end >= 1 {
                        end -= 1;
                    }
                    if let Some(col) = column_before(&toks, end) {
                        set(n, column_type(&schema, &aliases, &col));
                    }
                }
            }
        }
        out
    }

    /// `(column, declared type)` of a table or view, in order; empty when unknown.
    async fn table_columns(&mut self, table: &str) -> Vec<(String, String)> {
        let Ok(mut exec) = self
            .session
            .execute(
                "SELECT name, type FROM pragma_table_info(?1)",
                vec![Value::Text(table.to_owned())],
            )
            .await
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while let Some(Ok(rows)) = exec.next_batch().await {
            for row in rows {
                if let [Value::Text(name), decl] = row.as_slice() {
                    let decl = match decl {
                        Value::Text(d) => d.clone(),
                        _ => String::new(),
                    };
                    out.push((name.to_lowercase(), decl));
                }
            }
        }
        out
    }
}

/// `INSERT INTO t [(a, b)] VALUES (?1, ?2), ...`: each parameter takes its column's type.
fn insert_values(
    toks: &[Tok],
    schema: &Schema,
    aliases: &[(String, String)],
    set: &mut impl FnMut(usize, Option<u32>),
) {
    let Some(into) = toks.iter().position(|t| is_kw(Some(t), "into")) else {
        return;
    };
    let Some((_, table)) = aliases.iter().find(|(_, t)| {
        Some(t.as_str()) == word(toks.get(into + 1)).or_else(|| word(toks.get(into + 3)))
    }) else {
        return;
    };
    let Some(values) = toks.iter().position(|t| is_kw(Some(t), "values")) else {
        return;
    };
    let table_columns: Vec<String> = schema
        .get(table)
        .map(|c| c.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    // The column list, if any: between the first "(" after the table and VALUES.
    let mut columns: Vec<String> = Vec::new();
    if let Some(open) = (into..values).find(|i| is_punct(toks.get(*i), "(")) {
        for t in &toks[open + 1..values] {
            if let Tok::Word { text, .. } = t {
                columns.push(text.clone());
            }
        }
    }
    if columns.is_empty() {
        columns = table_columns;
    }
    let mut depth = 0;
    let mut position = 0;
    for t in &toks[values + 1..] {
        match t {
            Tok::Punct(p) if p == "(" => {
                depth += 1;
                if depth == 1 {
                    position = 0;
                }
            }
            Tok::Punct(p) if p == ")" => {
                depth -= 1;
                if depth < 0 {
                    break;
                }
            }
            Tok::Punct(p) if p == "," && depth == 1 => position += 1,
            Tok::Param(n) if depth == 1 => {
                let oid = columns.get(position).and_then(|c| {
                    column_type(schema, aliases, &(Some(table.clone()), c.clone())).or_else(|| {
                        column_type(
                            schema,
                            &[(table.clone(), table.clone())],
                            &(None, c.clone()),
                        )
                    })
                });
                set(*n, oid);
            }
            Tok::Word {
                text,
                quoted: false,
            } if depth == 0 && (text == "returning" || text == "on") => break,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tables_and_columns() {
        let toks = tokens(
            "SELECT * FROM \"users\" AS u JOIN orders o ON o.uid = u.id WHERE u.id = ?1 LIMIT ?2",
        );
        assert_eq!(
            tables(&toks),
            vec![("u".into(), "users".into()), ("o".into(), "orders".into())]
        );
        let k = toks
            .iter()
            .position(|t| *t == Tok::Param(1))
            .expect("param");
        assert_eq!(
            column_before(&toks, k - 2),
            Some((Some("u".into()), "id".into()))
        );
    }
}
