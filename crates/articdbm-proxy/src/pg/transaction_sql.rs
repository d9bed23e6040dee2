//! What the session must know about a client's SQL text when the server holding its transaction
//! was lost: whether a query may open a transaction block (`BEGIN`, `START TRANSACTION`), and
//! how a server in a failed transaction treats a query (only `ROLLBACK`, `ABORT`, `COMMIT` and
//! `END` end it; `COMMIT` then answers `ROLLBACK`). Statements are split at top-level
//! semicolons (outside quotes, dollar quotes and comments) and only their leading keywords are
//! read, without allocating.

/// How a server in a failed transaction answers a simple query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InFailedTransaction {
    /// No statement at all: EmptyQueryResponse, still failed.
    Empty,
    /// One plain `ROLLBACK`/`ABORT`/`COMMIT`/`END`: the transaction ends (tag `ROLLBACK`).
    Ends,
    /// A transaction-ending statement the proxy does not answer itself (`ROLLBACK TO`,
    /// `AND CHAIN`, `PREPARE TRANSACTION`, or followed by more statements): a server in a
    /// failed transaction must answer it.
    NeedsServer,
    /// Anything else: refused with 25P02, the rest of the query is skipped.
    Refused,
}

/// Whether any statement of `sql` begins a transaction block.
pub fn opens_transaction(sql: &str) -> bool {
    Statements::new(sql).any(|s| {
        let mut words = Words::new(s);
        matches!(words.next(), Some(w) if w.eq_ignore_ascii_case("begin") || w.eq_ignore_ascii_case("start"))
    })
}

/// Whether the (single) statement of an extended-protocol Parse begins a transaction block;
/// reads only its first keyword.
pub fn begins_transaction(sql: &str) -> bool {
    Words::new(sql)
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("begin") || w.eq_ignore_ascii_case("start"))
}

/// How a server in a failed transaction treats the simple query `sql`.
pub fn in_failed_transaction(sql: &str) -> InFailedTransaction {
    let mut statements = Statements::new(sql).filter(|s| !is_blank(s));
    let Some(first) = statements.next() else {
        return InFailedTransaction::Empty;
    };
    let more = statements.next().is_some();
    match ending(first) {
        Some(true) if !more => InFailedTransaction::Ends,
        Some(_) => InFailedTransaction::NeedsServer,
        None => InFailedTransaction::Refused,
    }
}

/// Whether the first statement of `sql` is a COMMIT (or END).
pub fn is_commit(sql: &str) -> bool {
    Statements::new(sql)
        .find(|s| !is_blank(s))
        .and_then(|s| Words::new(s).next())
        .is_some_and(|w| w.eq_ignore_ascii_case("commit") || w.eq_ignore_ascii_case("end"))
}

/// For a statement that ends a transaction, whether it is a plain one (`Some(true)`: ROLLBACK,
/// ABORT, COMMIT or END, optionally with WORK/TRANSACTION and AND NO CHAIN); `None` for any
/// other statement.
fn ending(statement: &str) -> Option<bool> {
    let mut words = Words::new(statement);
    let first = words.next()?;
    let is = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
    if is(first, "prepare") {
        return words.next().filter(|w| is(w, "transaction")).map(|_| false);
    }
    if !["rollback", "abort", "commit", "end"]
        .iter()
        .any(|k| is(first, k))
    {
        return None;
    }
    let mut next = words.next();
    if next.is_some_and(|w| is(w, "work") || is(w, "transaction")) {
        next = words.next();
    }
    let Some(w) = next else {
        return Some(words.rest_is_blank());
    };
    let plain = is(w, "and")
        && words.next().is_some_and(|w| is(w, "no"))
        && words.next().is_some_and(|w| is(w, "chain"))
        && words.next().is_none()
        && words.rest_is_blank();
    Some(plain)
}

fn is_blank(s: &str) -> bool {
    let b = s.as_bytes();
    skip_space(b, 0) >= b.len()
}

/// Skips whitespace and comments from `i`.
fn skip_space(b: &[u8], mut i: usize) -> usize {
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b[i..].starts_with(b"--") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i = skip_block_comment(b, i);
        } else {
            return i;
        }
    }
}

/// The index after the (nested) block comment starting at `i`.
fn skip_block_comment(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if b[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// The index after the quoted text starting at `i` (a doubled quote is part of it; with
/// `backslash`, so is an escaped one).
fn skip_quoted(b: &[u8], mut i: usize, quote: u8, backslash: bool) -> usize {
    i += 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// At `i` a `$tag$` opening a dollar-quoted string: the index after its closing tag.
fn skip_dollar_quoted(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() && is_ident(b[j]) && b[j] != b'$' {
        j += 1;
    }
    if b.get(j) != Some(&b'$') || b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let tag = &b[i..=j];
    let mut k = j + 1;
    while k + tag.len() <= b.len() {
        if &b[k..k + tag.len()] == tag {
            return Some(k + tag.len());
        }
        k += 1;
    }
    Some(b.len())
}

/// The statements of a query string, split at top-level semicolons.
struct Statements<'a> {
    sql: &'a str,
    pos: usize,
}

impl<'a> Statements<'a> {
    fn new(sql: &'a str) -> Self {
        Statements { sql, pos: 0 }
    }
}

impl<'a> Iterator for Statements<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let b = self.sql.as_bytes();
        if self.pos >= b.len() {
            return None;
        }
        let start = self.pos;
        let mut i = start;
        while i < b.len() {
            let prev_ident = i > start && is_ident(b[i - 1]);
            match b[i] {
                b'\'' => {
                    let escaped =
                        i > 0 && matches!(b[i - 1], b'e' | b'E') && !(i > 1 && is_ident(b[i - 2]));
                    i = skip_quoted(b, i, b'\'', escaped);
                }
                b'"' => i = skip_quoted(b, i, b'"', false),
                b'-' if b.get(i + 1) == Some(&b'-') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'*') => i = skip_block_comment(b, i),
                b'$' if !prev_ident => match skip_dollar_quoted(b, i) {
                    Some(end) => i = end,
                    None => i += 1,
                },
                b';' => {
                    self.pos = i + 1;
                    return Some(&self.sql[start..i]);
                }
                _ => i += 1,
            }
        }
        self.pos = b.len();
        Some(&self.sql[start..])
    }
}

/// The leading keywords of one statement, up to the first token that is not a word.
struct Words<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Words<'a> {
    fn new(s: &'a str) -> Self {
        Words { s, pos: 0 }
    }

    /// Whether nothing but whitespace and comments follows the words read.
    fn rest_is_blank(&self) -> bool {
        let b = self.s.as_bytes();
        skip_space(b, self.pos) >= b.len()
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let b = self.s.as_bytes();
        let start = skip_space(b, self.pos);
        let mut end = start;
        while end < b.len() && (b[end].is_ascii_alphabetic() || b[end] == b'_') {
            end += 1;
        }
        if end == start {
            self.pos = start;
            return None;
        }
        self.pos = end;
        Some(&self.s[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::InFailedTransaction::*;
    use super::*;

    #[test]
    fn transaction_openers() {
        assert!(opens_transaction("BEGIN"));
        assert!(opens_transaction(
            "select 1; begin; insert into t values (1)"
        ));
        assert!(opens_transaction(
            "/* c */ START TRANSACTION ISOLATION LEVEL SERIALIZABLE"
        ));
        assert!(!opens_transaction("SELECT 'begin; x'"));
        assert!(!opens_transaction("DO $$BEGIN PERFORM 1; END$$"));
        assert!(!opens_transaction(
            "CREATE FUNCTION f() RETURNS int AS $f$ BEGIN RETURN 1; END $f$ LANGUAGE plpgsql"
        ));
        assert!(!opens_transaction("-- begin\nSELECT 1"));
        assert!(!opens_transaction("SELECT E'it\\'s; begin'"));
        assert!(begins_transaction(" begin isolation level serializable"));
        assert!(!begins_transaction("SELECT 1"));
    }

    #[test]
    fn failed_transaction_answers() {
        for sql in [
            "ROLLBACK",
            "rollback;",
            "ABORT WORK",
            "COMMIT",
            "end transaction",
            "COMMIT AND NO CHAIN",
            " -- bye\n ROLLBACK /* x */ ; ",
        ] {
            assert_eq!(in_failed_transaction(sql), Ends, "{sql}");
        }
        for sql in [
            "ROLLBACK TO SAVEPOINT s",
            "COMMIT AND CHAIN",
            "ROLLBACK; SELECT 1",
            "PREPARE TRANSACTION 'x'",
            "ROLLBACK PREPARED 'x'",
        ] {
            assert_eq!(in_failed_transaction(sql), NeedsServer, "{sql}");
        }
        for sql in [
            "SELECT 1",
            "SELECT 1; ROLLBACK",
            "SAVEPOINT s",
            "RELEASE s",
            "PREPARE p AS SELECT 1",
        ] {
            assert_eq!(in_failed_transaction(sql), Refused, "{sql}");
        }
        assert!(is_commit(" /* c */ commit"));
        assert!(is_commit("END"));
        assert!(!is_commit("ROLLBACK"));
        for sql in ["", " ; ", "-- nothing"] {
            assert_eq!(in_failed_transaction(sql), Empty, "{sql:?}");
        }
    }
}
