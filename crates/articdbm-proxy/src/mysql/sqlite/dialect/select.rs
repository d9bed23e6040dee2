//! The top-level `SELECT` pass: MySQL-only modifiers dropped (`SQL_CALC_FOUND_ROWS`,
//! `HIGH_PRIORITY`, ...), `FROM DUAL` removed, locking clauses (`FOR UPDATE`, `FOR SHARE`,
//! `LOCK IN SHARE MODE`: SQLite serializes writers anyway) removed, `SELECT .. INTO`
//! refused, and select-list items whose SQLite spelling differs from the MySQL text given
//! the column name MySQL would report (`SELECT @@version` is named `@@version`,
//! `SELECT 'a'` is named `a`).

use super::DialectError;
use super::emit::{Edits, Emitter};
use super::lexer::Kind;
use super::literal::sqlite_ident;
use super::sql::SqlText;

/// Words that end a select list at depth 0.
const LIST_END: [&str; 14] = [
    "FROM",
    "INTO",
    "WHERE",
    "GROUP",
    "HAVING",
    "ORDER",
    "LIMIT",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "WINDOW",
    "FOR",
    "LOCK",
    "PROCEDURE",
];

const MODIFIERS: [&str; 8] = [
    "HIGH_PRIORITY",
    "STRAIGHT_JOIN",
    "SQL_SMALL_RESULT",
    "SQL_BIG_RESULT",
    "SQL_BUFFER_RESULT",
    "SQL_NO_CACHE",
    "SQL_CACHE",
    "SQL_CALC_FOUND_ROWS",
];

/// Spells a statement that starts with `SELECT` (position `start`, normally 0). Returns
/// whether it had a locking clause (`FOR UPDATE`: it belongs in a transaction).
pub fn select(em: &Emitter<'_, '_>, start: usize, edits: &mut Edits) -> Result<bool, DialectError> {
    let s = em.stmt;
    let n = s.len();
    let mut at = start + 1;
    while at < n && (MODIFIERS.iter().any(|m| s.is_kw(at, m))) {
        edits.drop(at);
        at += 1;
    }
    while s.is_kw(at, "ALL") || s.is_kw(at, "DISTINCT") || s.is_kw(at, "DISTINCTROW") {
        at += 1;
        while at < n && (MODIFIERS.iter().any(|m| s.is_kw(at, m))) {
            edits.drop(at);
            at += 1;
        }
    }
    let end = s.find_kw(at, n, 0, &LIST_END).unwrap_or(n);
    if let Some(into) = s.find_kw(at, n, 0, &["INTO"]) {
        return Err(DialectError::Unsupported(format!(
            "SELECT ... INTO ('{}') with the SQLite backend",
            super::near_text(s.src, s.tok(into).map_or(0, |t| t.start))
        )));
    }
    for item in s.split_commas(at, end, 0) {
        alias_item(em, item.start, item.end, edits)?;
    }
    // `FROM DUAL`
    if s.is_kw(end, "FROM") && s.is_kw(end + 1, "DUAL") {
        edits.drop_range(end, end + 2);
    }
    // Locking clauses end the statement.
    for j in end..n {
        if s.depth(j) != 0 {
            continue;
        }
        let locking = (s.is_kw(j, "FOR") && (s.is_kw(j + 1, "UPDATE") || s.is_kw(j + 1, "SHARE")))
            || s.is_kws(j, &["LOCK", "IN", "SHARE", "MODE"]);
        if locking {
            edits.drop_range(j, n);
            return Ok(true);
        }
    }
    Ok(false)
}

/// Gives item `from..to` MySQL's column name when its SQLite spelling would be named
/// differently.
fn alias_item(
    em: &Emitter<'_, '_>,
    from: usize,
    to: usize,
    edits: &mut Edits,
) -> Result<(), DialectError> {
    let s = em.stmt;
    if from >= to || has_alias(em, from, to) {
        return Ok(());
    }
    let name = if to == from + 1 && matches!(s.kind(from), Some(Kind::Single | Kind::Double)) {
        s.string(from).unwrap_or_default()
    } else {
        String::from_utf8_lossy(s.text(from, to)).into_owned()
    };
    let spelled = em.plain(from, to)?;
    let literal = to == from + 1 && matches!(s.kind(from), Some(Kind::Single | Kind::Double));
    let same = spelled.is_plain() && spelled.sketch().as_bytes() == s.text(from, to);
    if same && !literal {
        return Ok(());
    }
    let mut text = SqlText::new();
    text.append(spelled);
    text.push_str(" AS ");
    text.push_str(&sqlite_ident(&name));
    edits.replace(from, to, text);
    Ok(())
}

/// Whether a select item already names itself (`expr AS x`, `expr x`).
fn has_alias(em: &Emitter<'_, '_>, from: usize, to: usize) -> bool {
    let s = em.stmt;
    if to < from + 2 {
        return false;
    }
    let last = to - 1;
    if s.is_kw(last - 1, "AS") && s.depth(last - 1) == s.depth(from) {
        return true;
    }
    // `expr alias`: a name after something that ends an expression.
    let last_is_name = match s.kind(last) {
        Some(Kind::Word) => !is_operator_word(&s.upper(last)),
        Some(Kind::Backticked | Kind::Single | Kind::Double) => true,
        _ => false,
    };
    let prev_ends = match s.kind(last - 1) {
        Some(
            Kind::Close
            | Kind::Number
            | Kind::Single
            | Kind::Double
            | Kind::Backticked
            | Kind::SysVar
            | Kind::UserVar
            | Kind::Hex
            | Kind::Bit,
        ) => true,
        Some(Kind::Word) => !is_operator_word(&s.upper(last - 1)),
        _ => false,
    };
    last_is_name && prev_ends
}

fn is_operator_word(w: &str) -> bool {
    matches!(
        w,
        "AND"
            | "OR"
            | "NOT"
            | "XOR"
            | "IS"
            | "NULL"
            | "LIKE"
            | "IN"
            | "BETWEEN"
            | "CASE"
            | "WHEN"
            | "THEN"
            | "ELSE"
            | "END"
            | "DIV"
            | "MOD"
            | "REGEXP"
            | "RLIKE"
            | "BINARY"
            | "INTERVAL"
            | "DISTINCT"
            | "TRUE"
            | "FALSE"
            | "UNKNOWN"
            | "ESCAPE"
            | "COLLATE"
    )
}
