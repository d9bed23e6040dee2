//! `SELECT DATABASE()` shows the client-facing database name, not the backend schema a
//! `dbname` (or `name`) mapping leads to: a `DATABASE()` / `SCHEMA()` item of a select list is
//! replaced by the client's name as a string literal, keeping the column heading it would
//! have had (`AS` the text as written, unless the item has its own alias). Calls anywhere
//! else (`WHERE table_schema = DATABASE()`, function arguments) still mean the backend
//! schema, which is what `information_schema` holds.

use super::sqlite::dialect::lexer::{Kind, Token, tokenize};

/// Words that may follow the last item of a select list.
const AFTER_SELECT_LIST: [&[u8]; 11] = [
    b"FROM", b"LIMIT", b"WHERE", b"INTO", b"UNION", b"ORDER", b"GROUP", b"HAVING", b"FOR",
    b"WINDOW", b"EXCEPT",
];

/// `sql` with its select-list `DATABASE()` / `SCHEMA()` items showing `name`; `None` when it
/// has none (the text is sent as it is).
pub fn rewrite(sql: &[u8], name: &str) -> Option<Vec<u8>> {
    let mentions = |word: &[u8]| {
        sql.windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word))
    };
    if !(mentions(b"DATABASE") || mentions(b"SCHEMA")) {
        return None;
    }
    let toks = tokenize(sql).ok()?;
    let sig: Vec<&Token> = toks.iter().filter(|t| !t.is_trivia()).collect();
    let word_is = |t: Option<&&Token>, w: &[u8]| {
        t.is_some_and(|t| t.kind == Kind::Word && t.text(sql).eq_ignore_ascii_case(w))
    };
    let mut edits: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    for i in 1..sig.len() {
        let call = word_is(sig.get(i), b"DATABASE") || word_is(sig.get(i), b"SCHEMA");
        if !call
            || sig.get(i + 1).map(|t| t.kind) != Some(Kind::Open)
            || sig.get(i + 2).map(|t| t.kind) != Some(Kind::Close)
        {
            continue;
        }
        let item_start = word_is(sig.get(i - 1), b"SELECT")
            || word_is(sig.get(i - 1), b"DISTINCT")
            || sig[i - 1].kind == Kind::Comma;
        if !item_start {
            continue;
        }
        let next = sig.get(i + 3);
        let ends_item = match next {
            None => true,
            Some(t) => {
                matches!(t.kind, Kind::Semicolon | Kind::Comma)
                    || AFTER_SELECT_LIST.iter().any(|w| word_is(Some(t), w))
            }
        };
        let has_alias =
            next.is_some_and(|t| matches!(t.kind, Kind::Word | Kind::Backticked)) && !ends_item;
        if !ends_item && !has_alias {
            continue;
        }
        let (start, end) = (sig[i].start, sig[i + 2].end);
        let mut replacement = quote_literal(name);
        if !has_alias {
            let heading = String::from_utf8_lossy(&sql[start..end]).replace('`', "``");
            replacement.extend_from_slice(format!(" AS `{heading}`").as_bytes());
        }
        edits.push((start, end, replacement));
    }
    if edits.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(sql.len() + 32 * edits.len());
    let mut at = 0;
    for (start, end, replacement) in edits {
        out.extend_from_slice(&sql[at..start]);
        out.extend_from_slice(&replacement);
        at = end;
    }
    out.extend_from_slice(&sql[at..]);
    Some(out)
}

/// A MySQL string literal of `s` (backslash and quote escaped).
fn quote_literal(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'\'');
    for b in s.bytes() {
        if b == b'\'' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(sql: &str) -> Option<String> {
        rewrite(sql.as_bytes(), "shop").map(|v| String::from_utf8(v).expect("utf8"))
    }

    #[test]
    fn select_list_items_show_the_client_name() {
        assert_eq!(
            r("SELECT DATABASE()").as_deref(),
            Some("SELECT 'shop' AS `DATABASE()`")
        );
        assert_eq!(
            r("select 1, schema() from dual;").as_deref(),
            Some("select 1, 'shop' AS `schema()` from dual;")
        );
        assert_eq!(
            r("SELECT DATABASE() AS db, user()").as_deref(),
            Some("SELECT 'shop' AS db, user()")
        );
        assert_eq!(
            r("select database(), user() limit 1").as_deref(),
            Some("select 'shop' AS `database()`, user() limit 1")
        );
    }

    #[test]
    fn other_calls_keep_the_backend_schema() {
        assert_eq!(
            r("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"),
            None
        );
        assert_eq!(r("SELECT CONCAT('x', DATABASE())"), None);
        assert_eq!(r("SELECT 'DATABASE()'"), None);
        assert_eq!(r("SELECT 1"), None);
    }
}
