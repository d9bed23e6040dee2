//! Token-by-token spelling of MySQL SQL for SQLite: string, hex and bit literals (escapes
//! resolved; `_binary` and non-UTF-8 strings become blobs; large ones placeholders), system
//! and user variables and session functions (`DATABASE()`, `USER()`, `CONNECTION_ID()`,
//! `VERSION()`) as session values, MySQL functions SQLite lacks under another name (`NOW()`,
//! `CURDATE()`, `IF()`, `UNIX_TIMESTAMP()`, ...; `LAST_INSERT_ID()`, `ROW_COUNT()` and
//! `FOUND_ROWS()` are the session's), `CAST` target types,
//! and operators (`<=>`, `&&`, `||`, `:=`). Statement-level passes steer it with [`Edits`]
//! (drop tokens, replace ranges).

use std::collections::BTreeMap;

use super::DialectError;
use super::lexer::Kind;
use super::literal::{Literal, of_token, sqlite_blob, sqlite_text};
use super::sql::{Dynamic, Slot, SqlText};
use super::stmt::Stmt;

/// Literals longer than this are bound as parameters instead of spelled in the text.
pub const INLINE_LITERAL_MAX: usize = 1024;

/// Whether `?` placeholders are the client's (COM_STMT_PREPARE) or a syntax error
/// (COM_QUERY, where MySQL has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Query,
    Prepare,
}

/// Changes a statement-level pass asks for, by significant token position.
#[derive(Debug, Default)]
pub struct Edits {
    drop: Vec<usize>,
    replace: BTreeMap<usize, (usize, SqlText)>,
}

impl Edits {
    pub fn drop(&mut self, i: usize) {
        self.drop.push(i);
    }

    pub fn drop_range(&mut self, from: usize, to: usize) {
        self.drop.extend(from..to);
    }

    /// Emits `text` in place of tokens `from..to`.
    pub fn replace(&mut self, from: usize, to: usize, text: SqlText) {
        self.replace.insert(from, (to, text));
    }

    fn dropped(&self, i: usize) -> bool {
        self.drop.contains(&i)
    }
}

/// Spells tokens of one statement.
pub struct Emitter<'s, 'a> {
    pub stmt: &'s Stmt<'a>,
    pub mode: Mode,
    /// Ordinal of each `?` by significant position.
    params: Vec<(usize, u16)>,
}

impl<'s, 'a> Emitter<'s, 'a> {
    pub fn new(stmt: &'s Stmt<'a>, mode: Mode) -> Self {
        let mut params = Vec::new();
        for i in 0..stmt.len() {
            if stmt.kind(i) == Some(Kind::Param) {
                let n = u16::try_from(params.len()).unwrap_or(u16::MAX);
                params.push((i, n));
            }
        }
        Emitter { stmt, mode, params }
    }

    /// Number of `?` placeholders in the statement.
    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    /// In a COM_QUERY a `?` is a syntax error (as on MySQL), also where the statement's
    /// translation would drop the token (an ignored table option, say): the error for the
    /// first one, if any.
    pub fn stray_param(&self) -> Option<DialectError> {
        match self.mode {
            Mode::Query => self.params.first().map(|&(i, _)| self.syntax_at(i)),
            Mode::Prepare => None,
        }
    }

    /// Spells tokens `from..to` into `out`, with `edits` applied.
    pub fn range(
        &self,
        from: usize,
        to: usize,
        edits: &Edits,
        out: &mut SqlText,
    ) -> Result<(), DialectError> {
        let to = to.min(self.stmt.len());
        let mut i = from;
        while i < to {
            if edits.dropped(i) && !edits.replace.contains_key(&i) {
                i += 1;
                continue;
            }
            if i > from {
                self.trivia(i, out);
            }
            if let Some((end, text)) = edits.replace.get(&i) {
                out.append(text.clone());
                i = (*end).max(i + 1);
                continue;
            }
            i = self.one(i, to, edits, out)?;
        }
        Ok(())
    }

    /// Spells tokens `from..to` without edits.
    pub fn plain(&self, from: usize, to: usize) -> Result<SqlText, DialectError> {
        let mut out = SqlText::new();
        self.range(from, to, &Edits::default(), &mut out)?;
        Ok(out)
    }

    /// The whitespace before significant token `i` (comments become one space).
    fn trivia(&self, i: usize, out: &mut SqlText) {
        let prev = self.stmt.raw(i - 1);
        let here = self.stmt.raw(i);
        for t in self.stmt.toks.get(prev + 1..here).unwrap_or(&[]) {
            let text = t.text(self.stmt.src);
            if t.kind == Kind::Space && text.iter().all(u8::is_ascii_whitespace) {
                out.push_str(std::str::from_utf8(text).unwrap_or(" "));
            } else {
                out.push_str(" ");
            }
        }
    }

    fn original(&self, i: usize) -> String {
        String::from_utf8_lossy(self.stmt.bytes(i)).into_owned()
    }

    /// Spells token `i` (and what belongs to it); returns the next position.
    fn one(
        &self,
        i: usize,
        to: usize,
        edits: &Edits,
        out: &mut SqlText,
    ) -> Result<usize, DialectError> {
        let s = self.stmt;
        let Some(tok) = s.tok(i) else {
            return Ok(i + 1);
        };
        match tok.kind {
            Kind::Word => return self.word(i, to, edits, out),
            Kind::Single | Kind::Double | Kind::Hex | Kind::Bit => {
                let lit = of_token(s.src, tok, false).map_err(|e| self.syntax(i, e))?;
                self.literal(lit, out);
            }
            Kind::Param => match self.mode {
                Mode::Prepare => {
                    let n = self
                        .params
                        .iter()
                        .find(|(at, _)| *at == i)
                        .map(|(_, n)| *n)
                        .unwrap_or(0);
                    out.push_param(Slot::Client(n));
                }
                Mode::Query => return Err(self.syntax_at(i)),
            },
            Kind::UserVar => out.push_dynamic(Dynamic::UserVar(user_var_name(s.bytes(i)))),
            Kind::SysVar => out.push_dynamic(Dynamic::SysVar(sys_var_name(s.bytes(i)))),
            Kind::Op => out.push_str(&op(&self.original(i))),
            _ => out.push_str(&self.original(i)),
        }
        Ok(i + 1)
    }

    /// Spells a literal: inline when small, else as a bound placeholder.
    pub fn literal(&self, lit: Literal, out: &mut SqlText) {
        match lit {
            Literal::Int(v) => out.push_str(&v.to_string()),
            Literal::Text(t) if t.len() <= INLINE_LITERAL_MAX => out.push_str(&sqlite_text(&t)),
            Literal::Blob(b) if b.len() <= INLINE_LITERAL_MAX => out.push_str(&sqlite_blob(&b)),
            big => out.push_param(Slot::Literal(big)),
        }
    }

    fn word(
        &self,
        i: usize,
        to: usize,
        edits: &Edits,
        out: &mut SqlText,
    ) -> Result<usize, DialectError> {
        let s = self.stmt;
        let upper = s.upper(i);
        let next = s.kind(i + 1).filter(|_| i + 1 < to);
        // Charset introducers: `_binary'..'`, `_utf8mb4'..'`, `N'..'`.
        let string_next = matches!(next, Some(Kind::Single | Kind::Double | Kind::Hex));
        if string_next && (upper.starts_with('_') || upper == "N") {
            let Some(tok) = s.tok(i + 1) else {
                return Ok(i + 1);
            };
            let lit = of_token(s.src, tok, upper == "_BINARY").map_err(|e| self.syntax(i, e))?;
            self.literal(lit, out);
            return Ok(i + 2);
        }
        if next == Some(Kind::Open) {
            let close = s.closing(i + 1).filter(|&c| c < to);
            if let Some(close) = close
                && let Some(done) = self.function(i, &upper, close, edits, out)?
            {
                return Ok(done);
            }
        }
        match upper.as_str() {
            "CURRENT_USER" => out.push_dynamic(Dynamic::CurrentUser),
            "LOCALTIME" | "LOCALTIMESTAMP" => out.push_str("datetime('now')"),
            "SQL_CALC_FOUND_ROWS"
            | "SQL_NO_CACHE"
            | "SQL_CACHE"
            | "SQL_SMALL_RESULT"
            | "SQL_BIG_RESULT"
            | "SQL_BUFFER_RESULT"
            | "HIGH_PRIORITY" => {}
            "STRAIGHT_JOIN" => out.push_str("JOIN"),
            "DIV" => out.push_str("/"),
            "MOD" if next != Some(Kind::Open) => out.push_str("%"),
            "RLIKE" => out.push_str("REGEXP"),
            "DISTINCTROW" => out.push_str("DISTINCT"),
            _ => out.push_str(&self.original(i)),
        }
        Ok(i + 1)
    }

    /// Function calls SQLite spells differently. `Some(next position)` when handled.
    fn function(
        &self,
        i: usize,
        upper: &str,
        close: usize,
        edits: &Edits,
        out: &mut SqlText,
    ) -> Result<Option<usize>, DialectError> {
        let s = self.stmt;
        let empty = close == i + 2;
        let arg_zero = empty || (close == i + 3 && s.bytes(i + 2) == b"0");
        let replaced = |out: &mut SqlText, text: &str| {
            out.push_str(text);
            Ok(Some(close + 1))
        };
        match upper {
            "NOW" | "CURRENT_TIMESTAMP" | "LOCALTIME" | "LOCALTIMESTAMP" | "SYSDATE"
            | "UTC_TIMESTAMP" => {
                if arg_zero {
                    replaced(out, "datetime('now')")
                } else {
                    replaced(out, "strftime('%Y-%m-%d %H:%M:%f','now')")
                }
            }
            "CURDATE" | "CURRENT_DATE" | "UTC_DATE" if empty => replaced(out, "date('now')"),
            "CURTIME" | "CURRENT_TIME" | "UTC_TIME" if arg_zero => replaced(out, "time('now')"),
            "UNIX_TIMESTAMP" if empty => replaced(out, "unixepoch()"),
            "LAST_INSERT_ID" if empty => {
                out.push_dynamic(Dynamic::LastInsertId);
                Ok(Some(close + 1))
            }
            "ROW_COUNT" if empty => {
                out.push_dynamic(Dynamic::RowCount);
                Ok(Some(close + 1))
            }
            "FOUND_ROWS" if empty => {
                out.push_dynamic(Dynamic::FoundRows);
                Ok(Some(close + 1))
            }
            "RAND" if empty => replaced(out, "(random() / 18446744073709551616.0 + 0.5)"),
            "DATABASE" | "SCHEMA" if empty => {
                out.push_dynamic(Dynamic::Database);
                Ok(Some(close + 1))
            }
            "USER" | "SESSION_USER" | "SYSTEM_USER" if empty => {
                out.push_dynamic(Dynamic::User);
                Ok(Some(close + 1))
            }
            "CURRENT_USER" if empty => {
                out.push_dynamic(Dynamic::CurrentUser);
                Ok(Some(close + 1))
            }
            "CONNECTION_ID" if empty => {
                out.push_dynamic(Dynamic::ConnectionId);
                Ok(Some(close + 1))
            }
            "VERSION" if empty => {
                out.push_dynamic(Dynamic::Version);
                Ok(Some(close + 1))
            }
            "CAST" => self.cast(i, close, edits, out).map(Some),
            "CONVERT" => self.convert(i, close, edits, out).map(Some),
            _ => {
                let renamed = match upper {
                    "IF" => "iif",
                    "LCASE" => "lower",
                    "UCASE" => "upper",
                    "CHAR_LENGTH" | "CHARACTER_LENGTH" => "length",
                    "MID" => "substr",
                    "UNIX_TIMESTAMP" => "unixepoch",
                    _ => return Ok(None),
                };
                out.push_str(renamed);
                Ok(Some(i + 1))
            }
        }
    }

    /// `CAST(expr AS type)` with MySQL's target types in SQLite's spelling.
    fn cast(
        &self,
        i: usize,
        close: usize,
        edits: &Edits,
        out: &mut SqlText,
    ) -> Result<usize, DialectError> {
        let s = self.stmt;
        let d = s.depth(i + 2);
        let Some(as_at) = (i + 2..close)
            .rev()
            .find(|&j| s.depth(j) == d && s.is_kw(j, "AS"))
        else {
            return Err(self.syntax_at(i));
        };
        out.push_str(&self.original(i));
        out.push_str("(");
        self.range(i + 2, as_at, edits, out)?;
        out.push_str(" AS ");
        out.push_str(&self.cast_type(as_at + 1, close));
        out.push_str(")");
        Ok(close + 1)
    }

    /// `CONVERT(expr, type)` → `CAST`, `CONVERT(expr USING charset)` → `expr`.
    fn convert(
        &self,
        i: usize,
        close: usize,
        edits: &Edits,
        out: &mut SqlText,
    ) -> Result<usize, DialectError> {
        let s = self.stmt;
        let d = s.depth(i + 2);
        if let Some(using) = s.find_kw(i + 2, close, d, &["USING"]) {
            out.push_str("(");
            self.range(i + 2, using, edits, out)?;
            out.push_str(")");
            return Ok(close + 1);
        }
        let parts = s.split_commas(i + 2, close, d);
        let [expr, ty] = parts.as_slice() else {
            return Err(self.syntax_at(i));
        };
        out.push_str("CAST(");
        self.range(expr.start, expr.end, edits, out)?;
        out.push_str(" AS ");
        out.push_str(&self.cast_type(ty.start, ty.end));
        out.push_str(")");
        Ok(close + 1)
    }

    fn cast_type(&self, from: usize, to: usize) -> String {
        let s = self.stmt;
        match s.upper(from).as_str() {
            "SIGNED" | "UNSIGNED" | "INTEGER" | "INT" => "INTEGER".into(),
            "CHAR" | "NCHAR" | "VARCHAR" | "DATE" | "DATETIME" | "TIME" | "TIMESTAMP" | "JSON"
            | "YEAR" => "TEXT".into(),
            "BINARY" => "BLOB".into(),
            "DOUBLE" | "FLOAT" | "REAL" => "REAL".into(),
            "DECIMAL" | "NUMERIC" => "NUMERIC".into(),
            _ => String::from_utf8_lossy(s.text(from, to)).into_owned(),
        }
    }

    /// A syntax error at token `i`, worded as MySQL does.
    pub fn syntax_at(&self, i: usize) -> DialectError {
        DialectError::syntax_near(self.stmt.src, self.stmt.tok(i).map_or(0, |t| t.start))
    }

    fn syntax(&self, i: usize, e: impl std::fmt::Display) -> DialectError {
        let near = self.stmt.tok(i).map_or(0, |t| t.start);
        DialectError::Syntax(format!(
            "{e} near '{}'",
            super::near_text(self.stmt.src, near)
        ))
    }
}

/// The name of `@name` / `@'name'` / `` @`name` ``, lower case.
pub fn user_var_name(raw: &[u8]) -> String {
    let body = raw.get(1..).unwrap_or(&[]);
    let bytes = match body.first() {
        Some(b'\'' | b'"') => super::literal::unquote(body),
        Some(b'`') => super::literal::unbacktick(body),
        _ => body.to_vec(),
    };
    String::from_utf8_lossy(&bytes).to_lowercase()
}

/// The name of `@@name` / `@@session.name` / `@@global.name` / `@@local.name`, lower case.
pub fn sys_var_name(raw: &[u8]) -> String {
    let body = String::from_utf8_lossy(raw.get(2..).unwrap_or(&[])).to_lowercase();
    for scope in ["session.", "global.", "local."] {
        if let Some(rest) = body.strip_prefix(scope) {
            return rest.to_string();
        }
    }
    body
}

/// MySQL operators in SQLite's spelling.
fn op(text: &str) -> String {
    match text {
        "<=>" => " IS ".into(),
        "&&" => " AND ".into(),
        "||" => " OR ".into(),
        ":=" => "=".into(),
        "!" => " NOT ".into(),
        t if t.contains("--") => {
            // SQLite starts a comment at `--` even without a following space.
            let mut out = String::with_capacity(t.len() * 2);
            for c in t.chars() {
                if c == '-' && out.ends_with('-') {
                    out.push(' ');
                }
                out.push(c);
            }
            out
        }
        t => t.to_string(),
    }
}
