//! The client-facing database namespace of the MySQL front end: which names a user may see
//! and use (the configured MySQL, Galera and SQLite databases the user's `databases` list
//! allows; never a backend schema that is not configured), `SHOW DATABASES` / `SHOW SCHEMAS
//! [LIKE '...']` recognised and answered from that list, and the result set the proxy writes
//! for it.

use articdbm_config::{Config, FrontEnd, WILDCARD};
use articdbm_wire_mysql::resultset::{ColumnDefinition41, ColumnFlags, ColumnType, TextRow};
use articdbm_wire_mysql::{Capabilities, PacketWriter, ServerStatus};
use bytes::{Bytes, BytesMut};

use super::sqlite::dialect::lexer::{Kind, tokenize};
use super::sqlite::dialect::literal::unquote;
use super::sqlite::resultset::Reply;
use crate::runtime::RuntimeUser;

/// utf8mb3_general_ci, what MariaDB describes `SHOW DATABASES` with.
const UTF8_GENERAL_CI: u16 = 33;

/// The databases a MySQL client of `user` may see and `USE`, by client-facing name, sorted:
/// every configured `[databases]` entry served over MySQL (kind `mysql`, `galera` or
/// `sqlite`; not the `"*"` wildcard, whose names are not known in advance) that the user's
/// `databases` list allows.
pub fn visible_databases(config: &Config, user: Option<&RuntimeUser>) -> Vec<String> {
    let mut names: Vec<String> = config
        .databases
        .iter()
        .filter(|(key, db)| key.as_str() != WILDCARD && db.kind.served_over(FrontEnd::Mysql))
        .map(|(key, db)| db.client_name(key).to_string())
        .filter(|name| user.is_some_and(|u| u.may_use_database(name)))
        .collect();
    names.sort();
    names
}

/// A `SHOW DATABASES` / `SHOW SCHEMAS` statement, with its `LIKE` pattern if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowDatabases {
    pub like: Option<String>,
}

/// Recognises `SHOW {DATABASES | SCHEMAS} [LIKE 'pattern']` (one statement; a trailing `;`
/// is fine). `Err` with a message for a form the proxy does not answer (`WHERE ...`);
/// `Ok(None)` when the text is not such a statement.
pub fn parse_show_databases(sql: &[u8]) -> Result<Option<ShowDatabases>, &'static str> {
    let looks_like = sql
        .windows(4)
        .take(64)
        .any(|w| w.eq_ignore_ascii_case(b"SHOW"));
    if !looks_like {
        return Ok(None);
    }
    let Ok(toks) = tokenize(sql) else {
        return Ok(None);
    };
    let mut sig = toks
        .iter()
        .filter(|t| !t.is_trivia() && t.kind != Kind::Semicolon);
    let first = sig.next().map(|t| t.text(sql)).unwrap_or_default();
    let second = sig.next().map(|t| t.text(sql)).unwrap_or_default();
    if !first.eq_ignore_ascii_case(b"SHOW")
        || !(second.eq_ignore_ascii_case(b"DATABASES") || second.eq_ignore_ascii_case(b"SCHEMAS"))
    {
        return Ok(None);
    }
    match sig.next() {
        None => Ok(Some(ShowDatabases { like: None })),
        Some(t) if t.text(sql).eq_ignore_ascii_case(b"LIKE") => {
            let pattern = sig
                .next()
                .filter(|p| matches!(p.kind, Kind::Single | Kind::Double))
                .map(|p| unquote(p.text(sql)));
            match (pattern, sig.next()) {
                (Some(p), None) => Ok(Some(ShowDatabases {
                    like: Some(String::from_utf8_lossy(&p).into_owned()),
                })),
                _ => Err("SHOW DATABASES LIKE takes one quoted pattern"),
            }
        }
        Some(_) => {
            Err("SHOW DATABASES through the proxy takes no clause other than LIKE 'pattern'")
        }
    }
}

/// SQL `LIKE` matching (`%`, `_`, `\` escapes), case-insensitive as MariaDB compares
/// schema names in `SHOW DATABASES LIKE`.
pub fn like_matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('_', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some(('\\', rest)) if !rest.is_empty() => {
                t.first().is_some_and(|c| c.eq_ignore_ascii_case(&rest[0]))
                    && go(&rest[1..], &t[1..])
            }
            Some((c, rest)) => {
                t.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(rest, &t[1..])
            }
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// Writes the `SHOW DATABASES` result set (sequence ids from 1) of `names` to `out`.
pub fn write_show_databases(
    out: &mut BytesMut,
    caps: Capabilities,
    status: ServerStatus,
    show: &ShowDatabases,
    names: &[String],
) {
    let heading = match &show.like {
        Some(p) => format!("Database ({p})"),
        None => "Database".to_string(),
    };
    let mut def = ColumnDefinition41::new(
        &heading,
        ColumnType::VAR_STRING,
        ColumnFlags::NOT_NULL,
        UTF8_GENERAL_CI,
        192,
    );
    def.schema = Bytes::from_static(b"information_schema");
    def.table = Bytes::from_static(b"SCHEMATA");
    def.org_table = Bytes::from_static(b"SCHEMATA");
    def.org_name = Bytes::from_static(b"SCHEMA_NAME");
    let mut seq = 1;
    let mut reply = Reply {
        out,
        seq: &mut seq,
        caps,
    };
    reply.columns(&[def], status);
    for name in names
        .iter()
        .filter(|n| show.like.as_deref().is_none_or(|p| like_matches(p, n)))
    {
        let mut w = PacketWriter::new(reply.out, reply.seq);
        TextRow::write(&mut w, [Some(name.as_bytes())]);
        w.finish();
    }
    reply.end(status);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_show_databases() {
        assert_eq!(
            parse_show_databases(b"show databases"),
            Ok(Some(ShowDatabases { like: None }))
        );
        assert_eq!(
            parse_show_databases(b"/* x */ SHOW SCHEMAS LIKE 'ab%';"),
            Ok(Some(ShowDatabases {
                like: Some("ab%".into())
            }))
        );
        assert_eq!(parse_show_databases(b"SHOW TABLES"), Ok(None));
        assert_eq!(parse_show_databases(b"SELECT 1"), Ok(None));
        assert!(parse_show_databases(b"SHOW DATABASES WHERE 1").is_err());
    }

    #[test]
    fn like_patterns() {
        assert!(like_matches("ab%", "ABC"));
        assert!(like_matches("a_c", "abc"));
        assert!(!like_matches("a_c", "abbc"));
        assert!(like_matches("a\\_c", "a_c"));
        assert!(!like_matches("a\\_c", "abc"));
        assert!(like_matches("%", ""));
    }
}
