//! Splitting a PostgreSQL simple-query string into its statements, and the small lexer that does
//! it: quoted strings (`'..'`, `E'..'` with backslash escapes), quoted identifiers, dollar quotes
//! (`$tag$..$tag$`), line and nested block comments, and `BEGIN .. END` bodies of `CREATE TRIGGER`
//! (whose inner semicolons do not end the statement). The same lexer gives the leading keywords
//! that classify a statement without parsing it.

/// One lexical item that matters for splitting and keyword classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lex<'a> {
    /// A bare word (keyword or unquoted identifier), as written.
    Word(&'a str),
    /// A `'..'`, `E'..'` or dollar-quoted string, raw text including the quotes.
    Str(&'a str),
    /// A `".."` identifier, raw text including the quotes.
    Quoted(&'a str),
    /// A number, a `$n` parameter or any other run of non-space characters.
    Other(&'a str),
    /// `;`
    Semi,
}

/// Yields `(byte offset, item)` for `sql`, skipping whitespace and comments. An unterminated quote
/// or comment runs to the end of the text (the database reports the error).
pub(crate) struct Lexer<'a> {
    sql: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(sql: &'a str) -> Self {
        Self { sql, pos: 0 }
    }

    fn skip_space_and_comments(&mut self) {
        let b = self.sql.as_bytes();
        loop {
            while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
                self.pos += 1;
            }
            if b[self.pos..].starts_with(b"--") {
                while self.pos < b.len() && b[self.pos] != b'\n' {
                    self.pos += 1;
                }
            } else if b[self.pos..].starts_with(b"/*") {
                let mut depth = 0usize;
                while self.pos < b.len() {
                    if b[self.pos..].starts_with(b"/*") {
                        depth += 1;
                        self.pos += 2;
                    } else if b[self.pos..].starts_with(b"*/") {
                        depth -= 1;
                        self.pos += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        self.pos += 1;
                    }
                }
            } else {
                return;
            }
        }
    }

    /// End of a quoted run starting at `start` (the opening quote), honouring doubled quotes and,
    /// when `backslash`, backslash escapes.
    fn quoted_end(&self, start: usize, quote: u8, backslash: bool) -> usize {
        let b = self.sql.as_bytes();
        let mut i = start + 1;
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

    /// When a dollar quote opens at `start`, the end of the whole dollar-quoted string.
    fn dollar_end(&self, start: usize) -> Option<usize> {
        let b = self.sql.as_bytes();
        let mut i = start + 1;
        if b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
            i += 1;
        }
        if b.get(i) != Some(&b'$') {
            return None;
        }
        let tag = &self.sql[start..=i];
        let body = i + 1;
        Some(
            self.sql[body..]
                .find(tag)
                .map_or(b.len(), |at| body + at + tag.len()),
        )
    }
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

impl<'a> Iterator for Lexer<'a> {
    type Item = (usize, Lex<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.skip_space_and_comments();
        let b = self.sql.as_bytes();
        let start = self.pos;
        let c = *b.get(start)?;
        let (end, item): (usize, fn(&'a str) -> Lex<'a>) = match c {
            b';' => (start + 1, |_| Lex::Semi),
            b'\'' => (self.quoted_end(start, b'\'', false), Lex::Str),
            b'"' => (self.quoted_end(start, b'"', false), Lex::Quoted),
            b'e' | b'E' if b.get(start + 1) == Some(&b'\'') => {
                (self.quoted_end(start + 1, b'\'', true), Lex::Str)
            }
            b'$' => match self.dollar_end(start) {
                Some(end) => (end, Lex::Str),
                None => {
                    let mut i = start + 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    (i, Lex::Other)
                }
            },
            c if c.is_ascii_digit() => {
                let mut i = start;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                (i, Lex::Other)
            }
            c if is_word_byte(c) => {
                let mut i = start;
                while i < b.len() && (is_word_byte(b[i]) || b[i] == b'$') {
                    i += 1;
                }
                (i, Lex::Word)
            }
            _ => {
                // One punctuation character (UTF-8 safe: multi-byte chars are word bytes).
                (start + 1, Lex::Other)
            }
        };
        self.pos = end;
        Some((start, item(&self.sql[start..end])))
    }
}

/// The statements of a simple-query string, trimmed, without their terminating `;`; empty
/// statements (`;;`, trailing comments) are dropped.
pub(crate) fn split(sql: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut words_seen = 0usize;
    let mut trigger = false;
    let mut in_body = false;
    let mut case_depth = 0usize;
    let mut body_ended = false;
    for (at, lex) in Lexer::new(sql) {
        match lex {
            Lex::Semi => {
                if in_body && !body_ended {
                    continue;
                }
                if let Some(s) = start.take() {
                    push_trimmed(&mut out, &sql[s..at]);
                }
                (words_seen, trigger, in_body, case_depth, body_ended) =
                    (0, false, false, 0, false);
                continue;
            }
            Lex::Word(w) => {
                if words_seen < 4 && w.eq_ignore_ascii_case("trigger") {
                    trigger = true;
                }
                words_seen += 1;
                if trigger && !in_body && w.eq_ignore_ascii_case("begin") {
                    in_body = true;
                } else if in_body && w.eq_ignore_ascii_case("case") {
                    case_depth += 1;
                } else if in_body && w.eq_ignore_ascii_case("end") {
                    if case_depth > 0 {
                        case_depth -= 1;
                    } else {
                        body_ended = true;
                    }
                }
            }
            _ => {}
        }
        start.get_or_insert(at);
    }
    if let Some(s) = start {
        push_trimmed(&mut out, &sql[s..]);
    }
    out
}

fn push_trimmed<'a>(out: &mut Vec<&'a str>, s: &'a str) {
    let s = s.trim();
    if !s.is_empty() {
        out.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_top_level_semicolons_only() {
        let sql = "select 'a;b'; select E'x\\';y' ; select \"c;d\" -- x;y\n; /* a; /* b; */ */ select $$;$$, $t$;$t$;";
        assert_eq!(
            split(sql),
            vec![
                "select 'a;b'",
                "select E'x\\';y'",
                "select \"c;d\" -- x;y",
                "select $$;$$, $t$;$t$"
            ]
        );
    }

    #[test]
    fn drops_empty_statements_and_keeps_params() {
        assert_eq!(
            split(";; select $1, $2 ;\n -- only a comment\n"),
            vec!["select $1, $2"]
        );
        assert!(split("  ;  ").is_empty());
    }

    #[test]
    fn trigger_bodies_stay_whole() {
        let sql = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = CASE WHEN 1 THEN 2 END; DELETE FROM u; END; SELECT 1";
        let parts = split(sql);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].ends_with("DELETE FROM u; END"));
        assert_eq!(parts[1], "SELECT 1");
    }

    #[test]
    fn leading_words() {
        let words: Vec<_> = Lexer::new("  /*c*/ SET search_path = 'x', \"y\"")
            .map(|(_, l)| l)
            .collect();
        assert_eq!(
            words,
            vec![
                Lex::Word("SET"),
                Lex::Word("search_path"),
                Lex::Other("="),
                Lex::Str("'x'"),
                Lex::Other(","),
                Lex::Quoted("\"y\"")
            ]
        );
    }
}
