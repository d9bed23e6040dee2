//! One statement of a query text as the rewriter sees it: its tokens, the significant ones
//! (no whitespace or comments) addressed by position with their parenthesis depth, and
//! keyword/identifier helpers. Also splits a multi-statement text at top-level semicolons
//! (a `CREATE TRIGGER` body's `BEGIN .. END` keeps its semicolons).

use std::ops::Range;

use super::lexer::{Kind, Token};
use super::literal::{unbacktick, unquote};

/// A statement: tokens (without the separating semicolon) over the whole query text.
#[derive(Debug)]
pub struct Stmt<'a> {
    pub src: &'a [u8],
    pub toks: &'a [Token],
    /// Positions in `toks` of significant tokens.
    sig: Vec<usize>,
    /// Parenthesis depth before each significant token.
    depth: Vec<u32>,
}

impl<'a> Stmt<'a> {
    pub fn new(src: &'a [u8], toks: &'a [Token]) -> Self {
        let sig: Vec<usize> = toks
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.is_trivia())
            .map(|(i, _)| i)
            .collect();
        let mut depth = Vec::with_capacity(sig.len());
        let mut d: u32 = 0;
        for &i in &sig {
            if toks[i].kind == Kind::Close {
                d = d.saturating_sub(1);
            }
            depth.push(d);
            if toks[i].kind == Kind::Open {
                d += 1;
            }
        }
        Stmt {
            src,
            toks,
            sig,
            depth,
        }
    }

    /// Number of significant tokens.
    pub fn len(&self) -> usize {
        self.sig.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sig.is_empty()
    }

    /// The `i`-th significant token.
    pub fn tok(&self, i: usize) -> Option<&Token> {
        self.sig.get(i).map(|&r| &self.toks[r])
    }

    pub fn kind(&self, i: usize) -> Option<Kind> {
        self.tok(i).map(|t| t.kind)
    }

    /// Position in `toks` of the `i`-th significant token (`toks.len()` past the end).
    pub fn raw(&self, i: usize) -> usize {
        self.sig.get(i).copied().unwrap_or(self.toks.len())
    }

    /// Parenthesis depth at the `i`-th significant token (0 past the end).
    pub fn depth(&self, i: usize) -> u32 {
        self.depth.get(i).copied().unwrap_or(0)
    }

    pub fn bytes(&self, i: usize) -> &'a [u8] {
        self.tok(i).map(|t| t.text(self.src)).unwrap_or(&[])
    }

    /// Whether the `i`-th token is the word `kw` (any case).
    pub fn is_kw(&self, i: usize, kw: &str) -> bool {
        self.kind(i) == Some(Kind::Word) && self.bytes(i).eq_ignore_ascii_case(kw.as_bytes())
    }

    /// Whether the tokens from `i` on are the words `kws`.
    pub fn is_kws(&self, i: usize, kws: &[&str]) -> bool {
        kws.iter().enumerate().all(|(k, kw)| self.is_kw(i + k, kw))
    }

    /// The word at `i` upper-cased (empty for other tokens).
    pub fn upper(&self, i: usize) -> String {
        if self.kind(i) == Some(Kind::Word) {
            String::from_utf8_lossy(self.bytes(i)).to_ascii_uppercase()
        } else {
            String::new()
        }
    }

    /// A name at `i`: a word, a backticked identifier, or (where MySQL allows a name to be
    /// quoted as a string, as in `SHOW ... LIKE`) a string.
    pub fn name(&self, i: usize) -> Option<String> {
        let raw = self.bytes(i);
        let bytes = match self.kind(i)? {
            Kind::Word => raw.to_vec(),
            Kind::Backticked => unbacktick(raw),
            Kind::Single | Kind::Double => unquote(raw),
            _ => return None,
        };
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A possibly qualified name at `i` (`a`, `a.b`): the parts and the position after it.
    pub fn qualified(&self, i: usize) -> Option<(Vec<String>, usize)> {
        let mut parts = vec![self.ident(i)?];
        let mut at = i + 1;
        while self.kind(at) == Some(Kind::Dot) {
            parts.push(self.ident(at + 1)?);
            at += 2;
        }
        Some((parts, at))
    }

    /// An identifier at `i` (word or backticked).
    pub fn ident(&self, i: usize) -> Option<String> {
        match self.kind(i)? {
            Kind::Word | Kind::Backticked => self.name(i),
            _ => None,
        }
    }

    /// A string literal at `i`.
    pub fn string(&self, i: usize) -> Option<String> {
        match self.kind(i)? {
            Kind::Single | Kind::Double => self.name(i),
            _ => None,
        }
    }

    /// The significant position of the parenthesis closing the one opened at `open`.
    pub fn closing(&self, open: usize) -> Option<usize> {
        let d = self.depth(open);
        (open + 1..self.len()).find(|&j| self.kind(j) == Some(Kind::Close) && self.depth(j) == d)
    }

    /// The first position in `from..to` at depth `d` holding one of the words `kws`.
    pub fn find_kw(&self, from: usize, to: usize, d: u32, kws: &[&str]) -> Option<usize> {
        (from..to.min(self.len()))
            .find(|&j| self.depth(j) == d && kws.iter().any(|kw| self.is_kw(j, kw)))
    }

    /// Splits `from..to` at commas of depth `d`.
    pub fn split_commas(&self, from: usize, to: usize, d: u32) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut start = from;
        for j in from..to.min(self.len()) {
            if self.kind(j) == Some(Kind::Comma) && self.depth(j) == d {
                out.push(start..j);
                start = j + 1;
            }
        }
        out.push(start..to.min(self.len()));
        out
    }

    /// The source text of significant tokens `from..to`, trivia between them included.
    pub fn text(&self, from: usize, to: usize) -> &'a [u8] {
        if from >= to || from >= self.len() {
            return &[];
        }
        let start = self.toks[self.raw(from)].start;
        let end = self.toks[self.raw(to.min(self.len()) - 1)].end;
        self.src.get(start..end).unwrap_or(&[])
    }

    /// The whole statement's text, trimmed.
    pub fn full_text(&self) -> &'a [u8] {
        self.text(0, self.len())
    }
}

/// Splits a token list at top-level semicolons into statements (ranges of `toks`); empty
/// statements (only whitespace or comments) are left out.
pub fn split(src: &[u8], toks: &[Token]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut trigger = false;
    let mut block: u32 = 0;
    let mut words_seen = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::Word => {
                let w = t.text(src);
                if words_seen < 4 && w.eq_ignore_ascii_case(b"TRIGGER") {
                    trigger = true;
                }
                words_seen += 1;
                if trigger {
                    if w.eq_ignore_ascii_case(b"BEGIN") || w.eq_ignore_ascii_case(b"CASE") {
                        block += 1;
                    } else if w.eq_ignore_ascii_case(b"END") {
                        block = block.saturating_sub(1);
                    }
                }
            }
            Kind::Semicolon if block == 0 => {
                if toks[start..i].iter().any(|t| !t.is_trivia()) {
                    out.push(start..i);
                }
                start = i + 1;
                trigger = false;
                words_seen = 0;
            }
            _ => {}
        }
    }
    if toks[start..].iter().any(|t| !t.is_trivia()) {
        out.push(start..toks.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    #[test]
    fn splits_statements() {
        let sql = b"SELECT 1; ; SELECT ';' ;CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET c = CASE WHEN 1 THEN 2 END; END; SELECT 3";
        let toks = tokenize(sql).unwrap();
        let parts = split(sql, &toks);
        assert_eq!(parts.len(), 4);
        let third = Stmt::new(sql, &toks[parts[2].clone()]);
        assert!(third.is_kws(0, &["CREATE", "TRIGGER"]));
        assert!(third.is_kw(third.len() - 1, "END"));
    }

    #[test]
    fn helpers() {
        let sql = b"SHOW COLUMNS FROM `my``t` IN db LIKE 'a%' (x, (y, z))";
        let toks = tokenize(sql).unwrap();
        let s = Stmt::new(sql, &toks);
        assert!(s.is_kws(0, &["show", "columns"]));
        assert_eq!(s.ident(3).as_deref(), Some("my`t"));
        assert_eq!(s.string(7).as_deref(), Some("a%"));
        assert_eq!(s.closing(8), Some(s.len() - 1));
        assert_eq!(s.split_commas(9, s.len() - 1, 1).len(), 2);
        assert_eq!(s.text(3, 6), b"`my``t` IN db");
    }
}
