//! Recognising transaction-control statements by their leading keywords, so that the engine
//! (not SQLite) decides when a transaction really begins (see `worker`): `BEGIN` /
//! `START TRANSACTION`, `COMMIT` / `END`, `ROLLBACK` / `ABORT`, `ROLLBACK TO`, `SAVEPOINT`,
//! `RELEASE`. Comments and whitespace before and between the keywords are skipped.

/// A transaction-control statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxControl {
    /// `BEGIN` / `START TRANSACTION`; `immediate` for `BEGIN IMMEDIATE|EXCLUSIVE` (take the
    /// writer lock at once).
    Begin { immediate: bool },
    /// `COMMIT` / `END`.
    Commit,
    /// `ROLLBACK` / `ABORT` (the whole transaction).
    Rollback,
    /// `SAVEPOINT name`.
    Savepoint,
    /// `RELEASE [SAVEPOINT] name`.
    Release,
    /// `ROLLBACK [TRANSACTION|WORK] TO [SAVEPOINT] name`.
    RollbackTo,
}

/// The transaction-control meaning of `sql`, `None` for any other statement.
pub fn classify(sql: &str) -> Option<TxControl> {
    let mut words = Words { rest: sql };
    let first = words.next()?;
    let is = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
    if is(first, "begin") {
        let second = words.next();
        let immediate = second.is_some_and(|w| is(w, "immediate") || is(w, "exclusive"));
        return Some(TxControl::Begin { immediate });
    }
    if is(first, "start") {
        return words
            .next()
            .filter(|w| is(w, "transaction"))
            .map(|_| TxControl::Begin { immediate: false });
    }
    if is(first, "commit") || is(first, "end") {
        return Some(TxControl::Commit);
    }
    if is(first, "rollback") || is(first, "abort") {
        let mut next = words.next();
        if next.is_some_and(|w| is(w, "transaction") || is(w, "work")) {
            next = words.next();
        }
        return Some(if next.is_some_and(|w| is(w, "to")) {
            TxControl::RollbackTo
        } else {
            TxControl::Rollback
        });
    }
    if is(first, "savepoint") {
        return Some(TxControl::Savepoint);
    }
    if is(first, "release") {
        return Some(TxControl::Release);
    }
    None
}

/// The words of a statement, skipping whitespace and comments; stops at anything else.
struct Words<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let trimmed = self.rest.trim_start();
            if let Some(after) = trimmed.strip_prefix("--") {
                self.rest = after.find('\n').map_or("", |i| &after[i..]);
            } else if let Some(after) = trimmed.strip_prefix("/*") {
                self.rest = after.find("*/").map_or("", |i| &after[i + 2..]);
            } else {
                self.rest = trimmed;
                break;
            }
        }
        let end = self
            .rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_transaction_statements() {
        let cases = [
            ("BEGIN", Some(TxControl::Begin { immediate: false })),
            (
                "  begin transaction;",
                Some(TxControl::Begin { immediate: false }),
            ),
            (
                "BEGIN IMMEDIATE",
                Some(TxControl::Begin { immediate: true }),
            ),
            (
                "/* x */ START TRANSACTION READ WRITE",
                Some(TxControl::Begin { immediate: false }),
            ),
            ("START SLAVE", None),
            ("COMMIT", Some(TxControl::Commit)),
            ("end", Some(TxControl::Commit)),
            ("ROLLBACK", Some(TxControl::Rollback)),
            ("-- c\nROLLBACK WORK", Some(TxControl::Rollback)),
            ("ROLLBACK TO SAVEPOINT a", Some(TxControl::RollbackTo)),
            ("rollback transaction to a", Some(TxControl::RollbackTo)),
            ("SAVEPOINT a", Some(TxControl::Savepoint)),
            ("RELEASE SAVEPOINT a", Some(TxControl::Release)),
            ("SELECT 1", None),
            ("beginning", None),
            ("", None),
        ];
        for (sql, want) in cases {
            assert_eq!(classify(sql), want, "{sql}");
        }
    }
}
