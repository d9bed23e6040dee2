//! A MySQL tokenizer over raw bytes (statements may carry binary string literals, so the
//! text is not necessarily UTF-8). It knows exactly what the rewriter must not look inside
//! of: strings with backslash escapes (`'..'`, `".."`), backticked identifiers, hex and bit
//! literals (`X'..'`, `0x..`, `b'..'`, `0b..`), the three comment styles (`-- `, `#`,
//! `/* */`), and MySQL executable comments (`/*! ... */`, `/*M! ... */`), whose markers
//! become whitespace so that their content is seen as SQL, as MySQL does.

use thiserror::Error;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Whitespace, or the markers of an executable comment.
    Space,
    /// `-- ..`, `# ..` or `/* .. */`.
    Comment,
    /// Keyword or unquoted identifier (also `_utf8mb4`-style introducers).
    Word,
    /// `` `identifier` ``.
    Backticked,
    /// `'..'` string (MySQL escapes inside).
    Single,
    /// `".."` string (a string in MySQL unless `ANSI_QUOTES`).
    Double,
    /// `X'..'` or `0x..`.
    Hex,
    /// `b'..'` or `0b..`.
    Bit,
    /// Integer or decimal number.
    Number,
    /// `?` placeholder.
    Param,
    /// `@name`, `@'name'`, `` @`name` ``.
    UserVar,
    /// `@@name`, `@@session.name`, `@@global.name`.
    SysVar,
    Semicolon,
    Comma,
    Open,
    Close,
    Dot,
    /// Any other operator characters (`=`, `<=>`, `:=`, `+`, `*`, ...).
    Op,
}

/// One token: its kind and where it is in the statement text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, src: &'a [u8]) -> &'a [u8] {
        src.get(self.start..self.end).unwrap_or(&[])
    }

    /// Whitespace or comment.
    pub fn is_trivia(&self) -> bool {
        matches!(self.kind, Kind::Space | Kind::Comment)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LexError {
    #[error("unterminated string starting at offset {0}")]
    UnterminatedString(usize),
    #[error("unterminated quoted identifier starting at offset {0}")]
    UnterminatedIdentifier(usize),
    #[error("unterminated comment starting at offset {0}")]
    UnterminatedComment(usize),
}

impl LexError {
    pub fn offset(&self) -> usize {
        match self {
            LexError::UnterminatedString(o)
            | LexError::UnterminatedIdentifier(o)
            | LexError::UnterminatedComment(o) => *o,
        }
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn is_op_byte(b: u8) -> bool {
    b"=<>!+-*/%&|^~:".contains(&b)
}

/// Splits `src` into tokens covering every byte.
pub fn tokenize(src: &[u8]) -> Result<Vec<Token>, LexError> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        exec_comment: false,
        out: Vec::with_capacity(src.len() / 3 + 1),
    };
    lexer.run()?;
    Ok(lexer.out)
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    /// Inside `/*! .. */`: the next `*/` closes it.
    exec_comment: bool,
    out: Vec<Token>,
}

impl Lexer<'_> {
    fn at(&self, i: usize) -> u8 {
        self.src.get(i).copied().unwrap_or(0)
    }

    fn push(&mut self, kind: Kind, start: usize) {
        self.out.push(Token {
            kind,
            start,
            end: self.pos,
        });
    }

    fn run(&mut self) -> Result<(), LexError> {
        while self.pos < self.src.len() {
            let start = self.pos;
            let b = self.at(start);
            let kind = match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                    while matches!(
                        self.at(self.pos),
                        b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c
                    ) {
                        self.pos += 1;
                    }
                    Kind::Space
                }
                b'*' if self.exec_comment && self.at(start + 1) == b'/' => {
                    self.exec_comment = false;
                    self.pos += 2;
                    Kind::Space
                }
                b'#' => {
                    self.line_comment();
                    Kind::Comment
                }
                b'-' if self.at(start + 1) == b'-'
                    && matches!(self.at(start + 2), 0 | b' ' | b'\t' | b'\n' | b'\r') =>
                {
                    self.line_comment();
                    Kind::Comment
                }
                b'/' if self.at(start + 1) == b'*' => self.block_comment()?,
                b'\'' => {
                    self.quoted(b'\'', true)?;
                    Kind::Single
                }
                b'"' => {
                    self.quoted(b'"', true)?;
                    Kind::Double
                }
                b'`' => {
                    self.pos += 1;
                    loop {
                        match self.src.get(self.pos) {
                            None => return Err(LexError::UnterminatedIdentifier(start)),
                            Some(b'`') if self.at(self.pos + 1) == b'`' => self.pos += 2,
                            Some(b'`') => {
                                self.pos += 1;
                                break;
                            }
                            Some(_) => self.pos += 1,
                        }
                    }
                    Kind::Backticked
                }
                b'x' | b'X' if self.at(start + 1) == b'\'' => {
                    self.pos += 1;
                    self.quoted(b'\'', false)?;
                    Kind::Hex
                }
                b'b' | b'B' if self.at(start + 1) == b'\'' => {
                    self.pos += 1;
                    self.quoted(b'\'', false)?;
                    Kind::Bit
                }
                b'0' if matches!(self.at(start + 1), b'x' | b'b')
                    && self.prefixed_number(start) =>
                {
                    if self.at(start + 1) == b'x' {
                        Kind::Hex
                    } else {
                        Kind::Bit
                    }
                }
                b'0'..=b'9' => self.number_or_word(),
                b'.' if self.at(start + 1).is_ascii_digit() && !self.after_word() => {
                    self.number_or_word()
                }
                b'?' => {
                    self.pos += 1;
                    Kind::Param
                }
                b'@' => self.variable()?,
                b';' => {
                    self.pos += 1;
                    Kind::Semicolon
                }
                b',' => {
                    self.pos += 1;
                    Kind::Comma
                }
                b'(' => {
                    self.pos += 1;
                    Kind::Open
                }
                b')' => {
                    self.pos += 1;
                    Kind::Close
                }
                b'.' => {
                    self.pos += 1;
                    Kind::Dot
                }
                _ if is_word_byte(b) => {
                    while is_word_byte(self.at(self.pos)) && self.pos < self.src.len() {
                        self.pos += 1;
                    }
                    Kind::Word
                }
                _ if is_op_byte(b) => {
                    self.pos += 1;
                    while is_op_byte(self.at(self.pos))
                        && !(self.exec_comment
                            && self.at(self.pos) == b'*'
                            && self.at(self.pos + 1) == b'/')
                        && !(self.at(self.pos) == b'-'
                            && self.at(self.pos + 1) == b'-'
                            && matches!(self.at(self.pos + 2), 0 | b' ' | b'\t' | b'\n' | b'\r'))
                        && !(self.at(self.pos) == b'/' && self.at(self.pos + 1) == b'*')
                    {
                        self.pos += 1;
                    }
                    Kind::Op
                }
                _ => {
                    self.pos += 1;
                    Kind::Op
                }
            };
            self.push(kind, start);
        }
        Ok(())
    }

    /// The previous token is a word or a closing parenthesis (so `.5` is a qualifier dot).
    fn after_word(&self) -> bool {
        self.out.last().is_some_and(|t| {
            t.end == self.pos && matches!(t.kind, Kind::Word | Kind::Backticked | Kind::Close)
        })
    }

    fn line_comment(&mut self) {
        while self.pos < self.src.len() && self.at(self.pos) != b'\n' {
            self.pos += 1;
        }
    }

    fn block_comment(&mut self) -> Result<Kind, LexError> {
        let start = self.pos;
        // `/*!12345 ...*/` and `/*M!12345 ...*/`: the content is SQL.
        let bang = match (self.at(start + 2), self.at(start + 3)) {
            (b'!', _) => Some(start + 3),
            (b'M', b'!') => Some(start + 4),
            _ => None,
        };
        if let Some(mut p) = bang
            && !self.exec_comment
        {
            while self.at(p).is_ascii_digit() {
                p += 1;
            }
            self.pos = p;
            self.exec_comment = true;
            return Ok(Kind::Space);
        }
        self.pos += 2;
        loop {
            if self.pos + 1 >= self.src.len() {
                return Err(LexError::UnterminatedComment(start));
            }
            if self.at(self.pos) == b'*' && self.at(self.pos + 1) == b'/' {
                self.pos += 2;
                return Ok(Kind::Comment);
            }
            self.pos += 1;
        }
    }

    /// A quoted run starting at `self.pos` (on the quote); doubled quotes continue it, and
    /// with `escapes` so does a backslash-escaped byte.
    fn quoted(&mut self, quote: u8, escapes: bool) -> Result<(), LexError> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.src.get(self.pos) {
                None => return Err(LexError::UnterminatedString(start)),
                Some(b'\\') if escapes => self.pos += 2,
                Some(&c) if c == quote && self.at(self.pos + 1) == quote => self.pos += 2,
                Some(&c) if c == quote => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// `0x1F` / `0b101`: true (and consumed) when the digits after the prefix are valid
    /// and no word character follows (else `0xyz` is an identifier).
    fn prefixed_number(&mut self, start: usize) -> bool {
        let hex = self.at(start + 1) == b'x';
        let mut p = start + 2;
        while (hex && self.at(p).is_ascii_hexdigit()) || (!hex && matches!(self.at(p), b'0' | b'1'))
        {
            p += 1;
        }
        if p == start + 2 || is_word_byte(self.at(p)) {
            return false;
        }
        self.pos = p;
        true
    }

    /// Digits, fraction and exponent; digits followed by letters are an identifier
    /// (`1abc` is a valid MySQL name).
    fn number_or_word(&mut self) -> Kind {
        let start = self.pos;
        while self.at(self.pos).is_ascii_digit() {
            self.pos += 1;
        }
        if self.pos > start
            && is_word_byte(self.at(self.pos))
            && !matches!(self.at(self.pos), b'e' | b'E')
        {
            while is_word_byte(self.at(self.pos)) {
                self.pos += 1;
            }
            return Kind::Word;
        }
        if self.at(self.pos) == b'.' {
            self.pos += 1;
            while self.at(self.pos).is_ascii_digit() {
                self.pos += 1;
            }
        }
        if matches!(self.at(self.pos), b'e' | b'E') {
            let mut p = self.pos + 1;
            if matches!(self.at(p), b'+' | b'-') {
                p += 1;
            }
            if self.at(p).is_ascii_digit() {
                while self.at(p).is_ascii_digit() {
                    p += 1;
                }
                self.pos = p;
            } else if self.pos > start && !self.src[start..self.pos].contains(&b'.') {
                // `1e` followed by letters: an identifier.
                while is_word_byte(self.at(self.pos)) {
                    self.pos += 1;
                }
                return Kind::Word;
            }
        }
        Kind::Number
    }

    fn variable(&mut self) -> Result<Kind, LexError> {
        let start = self.pos;
        if self.at(start + 1) == b'@' {
            self.pos += 2;
            while is_word_byte(self.at(self.pos)) || self.at(self.pos) == b'.' {
                self.pos += 1;
            }
            return Ok(Kind::SysVar);
        }
        self.pos += 1;
        match self.at(self.pos) {
            q @ (b'\'' | b'"') => self.quoted(q, true)?,
            b'`' => {
                self.pos += 1;
                while self.pos < self.src.len() && self.at(self.pos) != b'`' {
                    self.pos += 1;
                }
                if self.pos >= self.src.len() {
                    return Err(LexError::UnterminatedIdentifier(start));
                }
                self.pos += 1;
            }
            _ => {
                while is_word_byte(self.at(self.pos)) || self.at(self.pos) == b'.' {
                    self.pos += 1;
                }
            }
        }
        Ok(Kind::UserVar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<(Kind, String)> {
        tokenize(sql.as_bytes())
            .unwrap()
            .into_iter()
            .filter(|t| t.kind != Kind::Space)
            .map(|t| {
                (
                    t.kind,
                    String::from_utf8_lossy(t.text(sql.as_bytes())).into(),
                )
            })
            .collect()
    }

    #[test]
    fn covers_every_byte() {
        let sql = "SELECT `a``b`, 'it\\'s', \"x\"\"y\", 0x1F, X'00', b'1', 1.5e3, .5, @v, @@session.sql_mode -- c\n# d\n/* e */ ?;";
        let toks = tokenize(sql.as_bytes()).unwrap();
        let mut at = 0;
        for t in &toks {
            assert_eq!(t.start, at);
            at = t.end;
        }
        assert_eq!(at, sql.len());
        let k: Vec<Kind> = kinds(sql).into_iter().map(|(k, _)| k).collect();
        use Kind::*;
        assert_eq!(
            k,
            vec![
                Word, Backticked, Comma, Single, Comma, Double, Comma, Hex, Comma, Hex, Comma, Bit,
                Comma, Number, Comma, Number, Comma, UserVar, Comma, SysVar, Comment, Comment,
                Comment, Param, Semicolon
            ]
        );
    }

    #[test]
    fn executable_comments_are_sql() {
        let k = kinds("/*!40101 SET NAMES utf8 */;");
        assert_eq!(k[0], (Kind::Word, "SET".into()));
        assert_eq!(k.last().map(|t| t.0), Some(Kind::Semicolon));
        assert_eq!(k.len(), 4);
    }

    #[test]
    fn binary_bytes_inside_strings() {
        let mut sql = b"INSERT INTO t VALUES (_binary'".to_vec();
        sql.extend_from_slice(&[0xff, 0x00, b'\\', b'\'', 0x80]);
        sql.extend_from_slice(b"')");
        let toks = tokenize(&sql).unwrap();
        assert!(
            toks.iter()
                .any(|t| t.kind == Kind::Single && t.end - t.start == 7)
        );
    }

    #[test]
    fn identifiers_and_errors() {
        assert_eq!(kinds("1abc")[0].0, Kind::Word);
        assert_eq!(kinds("t1.5col")[0].0, Kind::Word);
        assert_eq!(kinds("a-1")[1], (Kind::Op, "-".into()));
        assert_eq!(kinds("a--1")[1], (Kind::Op, "--".into()));
        assert!(tokenize(b"'abc").is_err());
        assert!(tokenize(b"/* abc").is_err());
        assert!(tokenize(b"`abc").is_err());
    }
}
