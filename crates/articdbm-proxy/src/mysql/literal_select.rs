//! `SELECT` of literals (`SELECT 1`, `SELECT 'x', 2`, `SELECT DATABASE()`), answered by the
//! proxy for a session that has no database and so no server yet (see [`super::lobby`]):
//! what connection checks and the mysql CLI send before choosing a database.

use articdbm_wire_mysql::resultset::{ColumnDefinition41, ColumnFlags, ColumnType, TextRow};
use articdbm_wire_mysql::{Capabilities, PacketWriter, ServerStatus};
use bytes::BytesMut;

use super::sqlite::dialect::lexer::{Kind, Token, tokenize};
use super::sqlite::dialect::literal::unquote;
use super::sqlite::resultset::Reply;

/// utf8mb3_general_ci and binary, the collations MariaDB describes these columns with.
const UTF8_GENERAL_CI: u16 = 33;
const BINARY: u16 = 63;

/// One select-list item: its heading (the text as written) and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub heading: String,
    pub value: Literal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Integer(String),
    Text(Vec<u8>),
    /// `DATABASE()` / `SCHEMA()` with no database selected.
    Null,
}

/// The items of `SELECT item, ...` when every item is an integer, a quoted string or
/// `DATABASE()` / `SCHEMA()`; `None` for anything else.
pub fn parse(sql: &[u8]) -> Option<Vec<Item>> {
    let toks = tokenize(sql).ok()?;
    let sig: Vec<&Token> = toks.iter().filter(|t| !t.is_trivia()).collect();
    let sig = match sig.split_last() {
        Some((last, rest)) if last.kind == Kind::Semicolon => rest,
        _ => &sig[..],
    };
    let (first, rest) = sig.split_first()?;
    if !first.text(sql).eq_ignore_ascii_case(b"SELECT") || rest.is_empty() {
        return None;
    }
    let mut items = Vec::new();
    for part in rest.split(|t| t.kind == Kind::Comma) {
        let start = part.first()?.start;
        let end = part.last()?.end;
        let heading = String::from_utf8_lossy(sql.get(start..end)?).into_owned();
        let value = match part {
            [t] if t.kind == Kind::Number && t.text(sql).iter().all(u8::is_ascii_digit) => {
                Literal::Integer(heading.clone())
            }
            [t] if matches!(t.kind, Kind::Single | Kind::Double) => {
                Literal::Text(unquote(t.text(sql)))
            }
            [f, open, close]
                if (f.text(sql).eq_ignore_ascii_case(b"DATABASE")
                    || f.text(sql).eq_ignore_ascii_case(b"SCHEMA"))
                    && open.kind == Kind::Open
                    && close.kind == Kind::Close =>
            {
                Literal::Null
            }
            _ => return None,
        };
        let heading = match &value {
            Literal::Text(v) => String::from_utf8_lossy(v).into_owned(),
            _ => heading,
        };
        items.push(Item { heading, value });
    }
    Some(items)
}

/// Writes the one-row result set of `items` (sequence ids from 1).
pub fn write(out: &mut BytesMut, caps: Capabilities, status: ServerStatus, items: &[Item]) {
    let defs: Vec<ColumnDefinition41> = items
        .iter()
        .map(|item| match &item.value {
            Literal::Integer(digits) => ColumnDefinition41::new(
                &item.heading,
                ColumnType::LONGLONG,
                ColumnFlags(ColumnFlags::NOT_NULL.0 | ColumnFlags::BINARY.0 | 32768),
                BINARY,
                u32::try_from(digits.len()).unwrap_or(u32::MAX),
            ),
            Literal::Text(v) => ColumnDefinition41::new(
                &item.heading,
                ColumnType::VAR_STRING,
                ColumnFlags::NOT_NULL,
                UTF8_GENERAL_CI,
                u32::try_from(v.len() * 3).unwrap_or(u32::MAX),
            ),
            Literal::Null => ColumnDefinition41::new(
                &item.heading,
                ColumnType::VAR_STRING,
                ColumnFlags(0),
                UTF8_GENERAL_CI,
                192,
            ),
        })
        .collect();
    let mut seq = 1;
    let mut reply = Reply {
        out,
        seq: &mut seq,
        caps,
    };
    reply.columns(&defs, status);
    let mut w = PacketWriter::new(reply.out, reply.seq);
    TextRow::write(
        &mut w,
        items.iter().map(|item| match &item.value {
            Literal::Integer(digits) => Some(digits.as_bytes()),
            Literal::Text(v) => Some(v.as_slice()),
            Literal::Null => None,
        }),
    );
    w.finish();
    reply.end(status);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_selects() {
        let items = parse(b"select 1, 'a b', Database() ;").expect("literals");
        assert_eq!(
            items,
            vec![
                Item {
                    heading: "1".into(),
                    value: Literal::Integer("1".into())
                },
                Item {
                    heading: "a b".into(),
                    value: Literal::Text(b"a b".to_vec())
                },
                Item {
                    heading: "Database()".into(),
                    value: Literal::Null
                },
            ]
        );
        assert!(parse(b"SELECT 1 + 1").is_none());
        assert!(parse(b"SELECT * FROM t").is_none());
        assert!(parse(b"SELECT").is_none());
        assert!(parse(b"SELECT @@version").is_none());
    }
}
