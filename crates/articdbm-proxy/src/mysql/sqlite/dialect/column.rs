//! One MySQL column definition (`name type [attributes]`) in SQLite's spelling: the type
//! keeps its words, `UNSIGNED`/`ZEROFILL` move before the size (SQLite's type grammar is
//! `name+ (n, m)`), `ENUM(..)` becomes `TEXT` with a `CHECK`, `SET(..)` `TEXT`; attributes
//! SQLite has are kept (`NOT NULL`, `DEFAULT`, `UNIQUE`, `CHECK`, `REFERENCES`, generated
//! columns), MySQL-only ones dropped (`COMMENT`, `CHARACTER SET`, `ON UPDATE ..`,
//! `VISIBLE`...), `COLLATE x_bin` → `BINARY`, `COLLATE x_ci` → `NOCASE`, and
//! `AUTO_INCREMENT` / an inline `PRIMARY KEY` reported to the table so that an
//! auto-increment key becomes SQLite's rowid alias `INTEGER PRIMARY KEY AUTOINCREMENT`.

use super::DialectError;
use super::emit::Emitter;
use super::lexer::Kind;
use super::literal::sqlite_ident;
use super::sql::SqlText;

/// A column definition taken apart.
#[derive(Debug, Default)]
pub struct Column {
    pub name: String,
    /// The SQLite type (empty when MySQL gave none, as in `AS (expr)` columns).
    pub ty: String,
    /// Attributes other than the key and auto-increment ones, spelled for SQLite.
    pub attrs: SqlText,
    pub auto_increment: bool,
    pub primary_key: bool,
    pub unique: bool,
}

impl Column {
    /// The definition as a plain column (not the rowid alias).
    pub fn plain_sql(&self) -> SqlText {
        let mut out = SqlText::from_sql(&sqlite_ident(&self.name));
        if !self.ty.is_empty() {
            out.push_str(" ");
            out.push_str(&self.ty);
        }
        if self.primary_key {
            out.push_str(" PRIMARY KEY");
        }
        if self.unique {
            out.push_str(" UNIQUE");
        }
        out.append(self.attrs.clone());
        out
    }

    /// The definition as SQLite's auto-increment rowid alias.
    pub fn rowid_sql(&self) -> SqlText {
        let mut out = SqlText::from_sql(&sqlite_ident(&self.name));
        out.push_str(" INTEGER PRIMARY KEY AUTOINCREMENT");
        out.append(self.attrs.clone());
        out
    }
}

/// Type words that combine with the next word.
fn continues_type(first: &str, next: &str) -> bool {
    matches!(
        (first, next),
        ("DOUBLE", "PRECISION")
            | ("CHARACTER", "VARYING")
            | ("CHAR", "VARYING")
            | ("LONG", "VARCHAR" | "VARBINARY")
            | ("NATIONAL", "CHAR" | "CHARACTER" | "VARCHAR")
            | ("NCHAR", "VARCHAR")
    )
}

/// Parses the column definition in tokens `from..to`.
pub fn column(em: &Emitter<'_, '_>, from: usize, to: usize) -> Result<Column, DialectError> {
    let s = em.stmt;
    let name = s.ident(from).ok_or_else(|| em.syntax_at(from))?;
    let mut col = Column {
        name,
        ..Column::default()
    };
    let mut j = from + 1;
    // The type.
    let mut words = Vec::new();
    let mut enum_values: Option<SqlText> = None;
    if s.kind(j) == Some(Kind::Word) && !is_attribute_start(&s.upper(j)) {
        let first = s.upper(j);
        words.push(String::from_utf8_lossy(s.bytes(j)).into_owned());
        j += 1;
        if s.kind(j) == Some(Kind::Word) && continues_type(&first, &s.upper(j)) {
            words.push(String::from_utf8_lossy(s.bytes(j)).into_owned());
            j += 1;
        }
        if first == "SERIAL" {
            words = vec!["BIGINT".into(), "UNSIGNED".into()];
            col.auto_increment = true;
            col.attrs.push_str(" NOT NULL");
        }
        let mut args = String::new();
        if s.kind(j) == Some(Kind::Open) {
            let close = s
                .closing(j)
                .filter(|&c| c < to)
                .ok_or_else(|| em.syntax_at(j))?;
            if first == "ENUM" || first == "SET" {
                if first == "ENUM" {
                    enum_values = Some(em.plain(j, close + 1)?);
                }
                words = vec!["TEXT".into()];
            } else {
                args = String::from_utf8_lossy(s.text(j, close + 1)).into_owned();
            }
            j = close + 1;
        }
        let mut modifiers = Vec::new();
        loop {
            match s.upper(j).as_str() {
                "UNSIGNED" | "ZEROFILL" => {
                    modifiers.push(String::from_utf8_lossy(s.bytes(j)).into_owned());
                }
                "SIGNED" | "BINARY" | "ASCII" | "UNICODE" | "BYTE" => {}
                "CHARACTER" if s.is_kw(j + 1, "SET") => j += 2,
                "CHARSET" => j += 1,
                _ => break,
            }
            j += 1;
        }
        let mut ty = words.join(" ");
        for m in &modifiers {
            ty.push(' ');
            ty.push_str(m);
        }
        ty.push_str(&args);
        col.ty = ty;
    }
    if let Some(values) = enum_values {
        col.attrs.push_str(" CHECK (");
        col.attrs.push_str(&sqlite_ident(&col.name));
        col.attrs.push_str(" IN ");
        col.attrs.append(values);
        col.attrs.push_str(")");
    }
    attributes(em, j, to, &mut col)?;
    Ok(col)
}

/// Whether a word starts an attribute (so a column without a type is recognized).
fn is_attribute_start(w: &str) -> bool {
    matches!(
        w,
        "NOT"
            | "NULL"
            | "DEFAULT"
            | "AUTO_INCREMENT"
            | "PRIMARY"
            | "KEY"
            | "UNIQUE"
            | "COMMENT"
            | "COLLATE"
            | "REFERENCES"
            | "CHECK"
            | "CONSTRAINT"
            | "GENERATED"
            | "AS"
    )
}

fn attributes(
    em: &Emitter<'_, '_>,
    from: usize,
    to: usize,
    col: &mut Column,
) -> Result<(), DialectError> {
    let s = em.stmt;
    let mut j = from;
    while j < to {
        let w = s.upper(j);
        match w.as_str() {
            "NOT" if s.is_kw(j + 1, "NULL") => {
                col.attrs.push_str(" NOT NULL");
                j += 2;
            }
            "NULL" | "VISIBLE" | "INVISIBLE" => j += 1,
            "DEFAULT" => j = default_value(em, j + 1, to, col)?,
            "AUTO_INCREMENT" => {
                col.auto_increment = true;
                j += 1;
            }
            "PRIMARY" if s.is_kw(j + 1, "KEY") => {
                col.primary_key = true;
                j += 2;
            }
            "KEY" => {
                col.primary_key = true;
                j += 1;
            }
            "UNIQUE" => {
                col.unique = true;
                j += if s.is_kw(j + 1, "KEY") { 2 } else { 1 };
            }
            "SERIAL" if s.is_kws(j + 1, &["DEFAULT", "VALUE"]) => {
                col.auto_increment = true;
                j += 3;
            }
            "COMMENT"
            | "COLUMN_FORMAT"
            | "STORAGE"
            | "SRID"
            | "ENGINE_ATTRIBUTE"
            | "SECONDARY_ENGINE_ATTRIBUTE" => {
                j += 2;
                if s.kind(j - 1) == Some(Kind::Op) {
                    j += 1;
                }
            }
            "CHARSET" => j += 2,
            "CHARACTER" if s.is_kw(j + 1, "SET") => j += 3,
            "COLLATE" => {
                let c = s.name(j + 1).unwrap_or_default().to_ascii_lowercase();
                if c.ends_with("_bin") || c == "binary" {
                    col.attrs.push_str(" COLLATE BINARY");
                } else if c.ends_with("_ci") {
                    col.attrs.push_str(" COLLATE NOCASE");
                }
                j += 2;
            }
            "ON" if s.is_kw(j + 1, "UPDATE") => {
                // `ON UPDATE CURRENT_TIMESTAMP[(n)]`: SQLite has no such attribute.
                j += 3;
                if s.kind(j) == Some(Kind::Open) {
                    j = s.closing(j).map_or(to, |c| c + 1);
                }
            }
            "CHECK" | "CONSTRAINT" | "REFERENCES" | "GENERATED" | "AS" => {
                // Runs up to the next attribute this loop knows.
                let end = clause_end(em, j + 1, to);
                col.attrs.push_str(" ");
                let mut edits = super::emit::Edits::default();
                for k in j..end {
                    if s.is_kw(k, "ENFORCED") {
                        edits.drop(k);
                        if s.is_kw(k - 1, "NOT") {
                            edits.drop(k - 1);
                        }
                    }
                }
                em.range(j, end, &edits, &mut col.attrs)?;
                j = end;
            }
            _ => {
                return Err(DialectError::Unsupported(format!(
                    "column attribute '{}' with the SQLite backend",
                    String::from_utf8_lossy(s.bytes(j))
                )));
            }
        }
    }
    Ok(())
}

/// Where a `CHECK (..)`, `REFERENCES ..` or generated-column clause ends: before the next
/// attribute keyword at the clause's depth.
fn clause_end(em: &Emitter<'_, '_>, from: usize, to: usize) -> usize {
    let s = em.stmt;
    let d = s.depth(from.saturating_sub(1));
    let mut j = from;
    while j < to {
        if s.depth(j) == d {
            let w = s.upper(j);
            let ends = matches!(
                w.as_str(),
                "NOT"
                    | "NULL"
                    | "DEFAULT"
                    | "AUTO_INCREMENT"
                    | "PRIMARY"
                    | "UNIQUE"
                    | "COMMENT"
                    | "COLLATE"
                    | "CHECK"
                    | "CONSTRAINT"
                    | "VISIBLE"
                    | "INVISIBLE"
            ) && !(w == "NULL" && s.is_kw(j - 1, "SET"))
                && !(w == "NOT" && s.is_kw(j + 1, "ENFORCED"))
                && !(w == "DEFAULT" && s.is_kw(j - 1, "SET"))
                && !(w == "NULL" && s.is_kw(j - 1, "NOT") && s.is_kw(j - 2, "IS"));
            let reference_end = w == "REFERENCES" && j > from;
            if ends || reference_end {
                return j;
            }
        }
        j += 1;
    }
    to
}

/// `DEFAULT <value>`: literals, `(expr)`, and the current-time functions as SQLite's
/// `CURRENT_TIMESTAMP` / `CURRENT_DATE`. Returns the position after the value.
fn default_value(
    em: &Emitter<'_, '_>,
    at: usize,
    to: usize,
    col: &mut Column,
) -> Result<usize, DialectError> {
    let s = em.stmt;
    col.attrs.push_str(" DEFAULT ");
    let kind = s.kind(at).ok_or_else(|| em.syntax_at(at))?;
    let after_call = |k: usize| {
        if s.kind(k) == Some(Kind::Open) {
            s.closing(k).map_or(k, |c| c + 1)
        } else {
            k
        }
    };
    match kind {
        Kind::Open => {
            let close = s
                .closing(at)
                .filter(|&c| c < to)
                .ok_or_else(|| em.syntax_at(at))?;
            let expr = em.plain(at, close + 1)?;
            col.attrs.append(expr);
            Ok(close + 1)
        }
        Kind::Op if matches!(s.bytes(at), b"-" | b"+") && s.kind(at + 1) == Some(Kind::Number) => {
            col.attrs
                .push_str(&String::from_utf8_lossy(s.text(at, at + 2)));
            Ok(at + 2)
        }
        Kind::Word => {
            let w = s.upper(at);
            match w.as_str() {
                "CURRENT_TIMESTAMP" | "NOW" | "LOCALTIME" | "LOCALTIMESTAMP" => {
                    col.attrs.push_str("CURRENT_TIMESTAMP");
                    Ok(after_call(at + 1))
                }
                "CURRENT_DATE" | "CURDATE" => {
                    col.attrs.push_str("CURRENT_DATE");
                    Ok(after_call(at + 1))
                }
                "CURRENT_TIME" | "CURTIME" => {
                    col.attrs.push_str("CURRENT_TIME");
                    Ok(after_call(at + 1))
                }
                _ if s.kind(at + 1) == Some(Kind::Open) => {
                    let close = s.closing(at + 1).filter(|&c| c < to);
                    let close = close.ok_or_else(|| em.syntax_at(at))?;
                    col.attrs.push_str("(");
                    col.attrs.append(em.plain(at, close + 1)?);
                    col.attrs.push_str(")");
                    Ok(close + 1)
                }
                _ => {
                    let one = em.plain(at, at + 1)?;
                    col.attrs.append(one);
                    Ok(at + 1)
                }
            }
        }
        _ => {
            let one = em.plain(at, at + 1)?;
            if !one.is_plain() {
                return Err(DialectError::Unsupported(
                    "a DEFAULT longer than 1 KiB with the SQLite backend".into(),
                ));
            }
            col.attrs.append(one);
            Ok(at + 1)
        }
    }
}
