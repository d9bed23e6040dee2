//! The statements of one COM_QUERY text, for the checks the proxy makes on each statement of
//! a multi-statement query (a `KILL` carries a proxy connection id the server does not know).
//! Split at top-level semicolons with the MySQL tokenizer, so a `;` inside a string, a quoted
//! identifier or a comment does not count.

use super::sqlite::dialect::lexer::tokenize;
use super::sqlite::dialect::stmt::split;

/// Whether `sql` holds more than one statement (cheap when it has no `;` at all).
pub fn is_multi(sql: &[u8]) -> bool {
    sql.contains(&b';') && statements(sql).len() > 1
}

/// The statements of `sql`, each without its separating semicolon; `[sql]` when the text
/// cannot be tokenized (the server reports that error itself).
pub fn statements(sql: &[u8]) -> Vec<&[u8]> {
    let Ok(toks) = tokenize(sql) else {
        return vec![sql];
    };
    split(sql, &toks)
        .into_iter()
        .filter_map(|range| {
            let first = toks.get(range.start)?;
            let last = toks.get(range.end.checked_sub(1)?)?;
            sql.get(first.start..last.end)
        })
        .collect()
}

/// The first word of a statement, after leading whitespace and comments.
pub fn first_word(stmt: &[u8]) -> &[u8] {
    let Ok(toks) = tokenize(stmt) else {
        return &[];
    };
    toks.iter()
        .find(|t| !t.is_trivia())
        .map_or(&[][..], |t| t.text(stmt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_semicolons_only() {
        let sql = b"SELECT ';'; /* ; */ KILL 3 ;SELECT `a;b`";
        let parts = statements(sql);
        assert_eq!(parts.len(), 3, "{parts:?}");
        assert_eq!(first_word(parts[1]), b"KILL");
        assert!(is_multi(sql));
        assert!(!is_multi(b"KILL 3;"));
        assert!(!is_multi(b"SELECT ';'"));
    }
}
