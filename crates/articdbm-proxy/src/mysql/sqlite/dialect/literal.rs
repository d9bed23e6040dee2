//! MySQL literals decoded into values SQLite can take: quoted strings with MySQL's backslash
//! escapes and doubled quotes, `X'..'` / `0x..` hex strings, `b'..'` / `0b..` bit values,
//! and the SQLite spelling of text and blob literals.

use std::fmt::Write as _;

use super::lexer::{Kind, Token};

/// A literal value taken out of a MySQL statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Text(String),
    Blob(Vec<u8>),
    Int(i64),
}

/// The bytes of a quoted string token (`'..'` or `".."`), escapes resolved. `\%` and `\_`
/// keep their backslash (they are LIKE escapes), as in MySQL.
pub fn unquote(raw: &[u8]) -> Vec<u8> {
    let Some((&quote, rest)) = raw.split_first() else {
        return Vec::new();
    };
    let body = rest.strip_suffix(&[quote]).unwrap_or(rest);
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if b == b'\\' && i + 1 < body.len() {
            let e = body[i + 1];
            match e {
                b'0' => out.push(0),
                b'b' => out.push(8),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'Z' => out.push(0x1a),
                b'%' | b'_' => out.extend_from_slice(&[b'\\', e]),
                _ => out.push(e),
            }
            i += 2;
        } else if b == quote && body.get(i + 1) == Some(&quote) {
            out.push(quote);
            i += 2;
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

/// The bytes of an identifier in backticks (doubled backticks resolved).
pub fn unbacktick(raw: &[u8]) -> Vec<u8> {
    let body = raw
        .strip_prefix(b"`")
        .and_then(|r| r.strip_suffix(b"`"))
        .unwrap_or(raw);
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        out.push(body[i]);
        i += if body[i] == b'`' && body.get(i + 1) == Some(&b'`') {
            2
        } else {
            1
        };
    }
    out
}

/// Why a hex or bit literal is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiteralError {
    #[error("invalid hexadecimal literal")]
    Hex,
    #[error("bit literal wider than 64 bits")]
    Bit,
}

/// The bytes of `X'..'` (even number of digits) or `0x..` (odd: a leading zero is implied).
pub fn hex_bytes(raw: &[u8]) -> Result<Vec<u8>, LiteralError> {
    let (digits, quoted) = if let Some(rest) = raw.strip_prefix(b"0x") {
        (rest, false)
    } else {
        let inner = raw
            .get(2..raw.len().saturating_sub(1))
            .ok_or(LiteralError::Hex)?;
        (inner, true)
    };
    if quoted && digits.len() % 2 != 0 {
        return Err(LiteralError::Hex);
    }
    let nibble = |c: u8| -> Result<u8, LiteralError> {
        (c as char)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or(LiteralError::Hex)
    };
    let mut out = Vec::with_capacity(digits.len().div_ceil(2));
    let mut iter = digits.iter().copied();
    if digits.len() % 2 == 1
        && let Some(first) = iter.next()
    {
        out.push(nibble(first)?);
    }
    while let (Some(h), Some(l)) = (iter.next(), iter.next()) {
        out.push(nibble(h)? << 4 | nibble(l)?);
    }
    Ok(out)
}

/// The value of `b'0101'` or `0b0101`.
pub fn bit_value(raw: &[u8]) -> Result<i64, LiteralError> {
    let digits = if let Some(rest) = raw.strip_prefix(b"0b") {
        rest
    } else {
        raw.get(2..raw.len().saturating_sub(1)).unwrap_or(&[])
    };
    let digits: Vec<u8> = digits.iter().copied().skip_while(|&d| d == b'0').collect();
    if digits.len() > 64 {
        return Err(LiteralError::Bit);
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v << 1 | u64::from(d == b'1');
    }
    // SQLite integers are signed; a 64th bit keeps its bit pattern.
    Ok(v as i64)
}

/// The literal a string-like token stands for; `binary` forces a blob (a `_binary`
/// introducer). A string whose bytes are not UTF-8 is a blob too (it cannot be SQLite text).
pub fn of_token(src: &[u8], tok: &Token, binary: bool) -> Result<Literal, LiteralError> {
    let raw = tok.text(src);
    Ok(match tok.kind {
        // MySQL hex strings are binary strings.
        Kind::Hex => Literal::Blob(hex_bytes(raw)?),
        Kind::Bit => Literal::Int(bit_value(raw)?),
        _ => {
            let bytes = unquote(raw);
            if binary {
                Literal::Blob(bytes)
            } else {
                match String::from_utf8(bytes) {
                    Ok(s) => Literal::Text(s),
                    Err(e) => Literal::Blob(e.into_bytes()),
                }
            }
        }
    })
}

/// SQLite spelling of a text literal; text holding NUL characters is written as a cast
/// blob so that nothing is cut off.
pub fn sqlite_text(s: &str) -> String {
    if s.contains('\0') {
        return format!("CAST({} AS TEXT)", sqlite_blob(s.as_bytes()));
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// SQLite spelling of a blob literal (`X'..'`).
pub fn sqlite_blob(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() * 2 + 3);
    out.push_str("X'");
    for byte in b {
        let _ = write!(out, "{byte:02X}");
    }
    out.push('\'');
    out
}

/// SQLite spelling of an identifier (double quotes, doubled inside).
pub fn sqlite_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_escapes() {
        assert_eq!(unquote(br"'it\'s'"), b"it's");
        assert_eq!(unquote(b"'it''s'"), b"it's");
        assert_eq!(unquote(br#""a\"b""#), b"a\"b");
        assert_eq!(unquote(br"'\0\n\r\t\Z\\\x'"), b"\0\n\r\t\x1a\\x");
        assert_eq!(unquote(br"'50\%'"), br"50\%");
        assert_eq!(unbacktick(b"`a``b`"), b"a`b");
    }

    #[test]
    fn hex_and_bits() {
        assert_eq!(hex_bytes(b"X'0aFF'").unwrap(), vec![0x0a, 0xff]);
        assert_eq!(hex_bytes(b"0xABC").unwrap(), vec![0x0a, 0xbc]);
        assert!(hex_bytes(b"X'ABC'").is_err());
        assert!(hex_bytes(b"X'zz'").is_err());
        assert_eq!(bit_value(b"b'101'").unwrap(), 5);
        assert_eq!(bit_value(b"0b11").unwrap(), 3);
    }

    #[test]
    fn sqlite_spelling() {
        assert_eq!(sqlite_text("it's"), "'it''s'");
        assert_eq!(sqlite_text("a\0b"), "CAST(X'610062' AS TEXT)");
        assert_eq!(sqlite_blob(&[0, 255]), "X'00FF'");
        assert_eq!(sqlite_ident("a\"b"), "\"a\"\"b\"");
    }
}
