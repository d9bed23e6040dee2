//! Statements recognised from their leading keywords, without the SQL parser: transaction control
//! (`BEGIN`, `START TRANSACTION`, `COMMIT`/`END`, `ROLLBACK`/`ABORT`, savepoints) and the commands
//! the proxy answers itself (`SHOW`, `SET`, `RESET`, `DISCARD`, `DEALLOCATE`, and `LISTEN`/
//! `UNLISTEN`/`NOTIFY`, which are not supported).

use super::split::{Lex, Lexer};

/// A transaction-control statement. Savepoint names are kept as written (quotes included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxControl {
    /// `BEGIN` / `START TRANSACTION` (modes such as `ISOLATION LEVEL` are accepted and dropped;
    /// `read_only` is true for `READ ONLY`).
    Begin { read_only: bool },
    /// `COMMIT` / `END`.
    Commit,
    /// `ROLLBACK` / `ABORT`.
    Rollback,
    /// `SAVEPOINT name`.
    Savepoint(String),
    /// `RELEASE [SAVEPOINT] name`.
    Release(String),
    /// `ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] name`.
    RollbackTo(String),
}

/// A statement the proxy answers itself instead of sending it to SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Local {
    /// `SHOW name` (lower-case, unquoted; `SHOW TRANSACTION ISOLATION LEVEL` is
    /// `transaction_isolation`, `SHOW TIME ZONE` is `timezone`) or `SHOW ALL` (`"all"`).
    Show(String),
    /// `SET [SESSION|LOCAL] name {TO|=} value`, `SET TIME ZONE v` (`timezone`), `SET NAMES v`
    /// (`client_encoding`), `SET SCHEMA v` (`search_path`), `SET [SESSION CHARACTERISTICS AS]
    /// TRANSACTION ISOLATION LEVEL x` (`transaction_isolation` / `default_transaction_isolation`).
    /// The value is unquoted; a list is joined with `", "`. `local` is true for `SET LOCAL` and
    /// `SET TRANSACTION`.
    Set {
        name: String,
        value: String,
        local: bool,
    },
    /// `RESET name`, `SET name TO DEFAULT`, `SET TIME ZONE LOCAL|DEFAULT`.
    Reset(String),
    /// `RESET ALL`.
    ResetAll,
    /// `DISCARD ALL|PLANS|SEQUENCES|TEMP` (lower-case kind). Never run on SQLite: `DISCARD TEMP`
    /// would drop the catalog views.
    Discard(String),
    /// `DEALLOCATE [PREPARE] name` (`Some`) or `DEALLOCATE ALL` (`None`).
    Deallocate(Option<String>),
    /// A command ArticDBM does not support on SQLite (`LISTEN`, `UNLISTEN`, `NOTIFY`): answer
    /// SQLSTATE 0A000 naming it.
    Unsupported(&'static str),
}

/// What the keywords alone say about a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Classified {
    Tx {
        tx: TxControl,
        sql: String,
        verb: &'static str,
    },
    Local {
        local: Local,
        verb: String,
    },
}

fn word_is(l: Option<&Lex<'_>>, kw: &str) -> bool {
    matches!(l, Some(Lex::Word(w)) if w.eq_ignore_ascii_case(kw))
}

fn name_of(l: &Lex<'_>) -> Option<String> {
    match l {
        Lex::Word(w) => Some(w.to_ascii_lowercase()),
        Lex::Quoted(q) => Some(unquote(q, '"')),
        _ => None,
    }
}

fn raw(l: &Lex<'_>) -> String {
    match l {
        Lex::Word(s) | Lex::Str(s) | Lex::Quoted(s) | Lex::Other(s) => (*s).to_owned(),
        Lex::Semi => ";".to_owned(),
    }
}

fn unquote(s: &str, q: char) -> String {
    let inner = s
        .strip_prefix(q)
        .and_then(|s| s.strip_suffix(q))
        .unwrap_or(s);
    inner.replace(&format!("{q}{q}"), &q.to_string())
}

/// The text of a string literal item: `'..'`, `E'..'` (common escapes) or `$$..$$`.
pub(crate) fn string_value(s: &str) -> String {
    if let Some(rest) = s.strip_prefix(['e', 'E']) {
        let body = unquote(rest, '\'');
        let mut out = String::with_capacity(body.len());
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        }
        return out;
    }
    if let Some(rest) = s.strip_prefix('$') {
        let tag_end = rest.find('$').map_or(s.len(), |i| i + 2);
        let tag = &s[..tag_end];
        return s[tag_end..]
            .strip_suffix(tag)
            .unwrap_or(&s[tag_end..])
            .to_owned();
    }
    unquote(s, '\'')
}

/// A setting value: items separated by commas, words of one item by spaces.
fn value_text(items: &[Lex<'_>]) -> String {
    let mut out = String::new();
    let mut prev_word = false;
    for l in items {
        match l {
            Lex::Other(",") => {
                out.push_str(", ");
                prev_word = false;
                continue;
            }
            Lex::Str(s) => out.push_str(&string_value(s)),
            Lex::Word(w) => {
                if prev_word {
                    out.push(' ');
                }
                out.push_str(w);
                prev_word = true;
                continue;
            }
            other => out.push_str(&raw(other)),
        }
        prev_word = false;
    }
    out
}

/// Transaction modes after `BEGIN`/`START TRANSACTION`/`SET TRANSACTION`: (isolation, read_only).
fn tx_modes(items: &[Lex<'_>]) -> (Option<String>, Option<bool>) {
    let mut isolation = None;
    let mut read_only = None;
    let mut i = 0;
    while i < items.len() {
        if word_is(items.get(i), "isolation") && word_is(items.get(i + 1), "level") {
            let level: Vec<Lex<'_>> = items[i + 2..]
                .iter()
                .take_while(|l| matches!(l, Lex::Word(_)))
                .take(2)
                .copied()
                .collect();
            i += 2 + level.len();
            isolation = Some(value_text(&level).to_ascii_lowercase());
            continue;
        }
        if word_is(items.get(i), "read") {
            if word_is(items.get(i + 1), "only") {
                read_only = Some(true);
            } else if word_is(items.get(i + 1), "write") {
                read_only = Some(false);
            }
        }
        i += 1;
    }
    (isolation, read_only)
}

/// Classifies `sql` (one statement) by its leading keywords; `None` when it is for the parser.
pub(crate) fn classify(sql: &str) -> Option<Classified> {
    let items: Vec<Lex<'_>> = Lexer::new(sql).map(|(_, l)| l).collect();
    let Lex::Word(first) = items.first()? else {
        return None;
    };
    let first = first.to_ascii_lowercase();
    let rest = &items[1..];
    let tx =
        |tx: TxControl, sql: String, verb: &'static str| Some(Classified::Tx { tx, sql, verb });
    let local = |local: Local, verb: &str| {
        Some(Classified::Local {
            local,
            verb: verb.to_owned(),
        })
    };
    match first.as_str() {
        "begin" => {
            // `BEGIN;` of PL/pgSQL never comes alone; SQLite's `BEGIN IMMEDIATE` etc. too.
            let (_, read_only) = tx_modes(rest);
            tx(
                TxControl::Begin {
                    read_only: read_only.unwrap_or(false),
                },
                "BEGIN".into(),
                "BEGIN",
            )
        }
        "start" if word_is(rest.first(), "transaction") => {
            let (_, read_only) = tx_modes(&rest[1..]);
            tx(
                TxControl::Begin {
                    read_only: read_only.unwrap_or(false),
                },
                "BEGIN".into(),
                "START TRANSACTION",
            )
        }
        "commit" | "end" if !word_is(rest.first(), "prepared") => {
            tx(TxControl::Commit, "COMMIT".into(), "COMMIT")
        }
        "rollback" | "abort" if !word_is(rest.first(), "prepared") => {
            let mut i = 0;
            if word_is(rest.get(i), "work") || word_is(rest.get(i), "transaction") {
                i += 1;
            }
            if word_is(rest.get(i), "to") {
                i += 1;
                if word_is(rest.get(i), "savepoint") {
                    i += 1;
                }
                let name = raw(rest.get(i)?);
                let sql = format!("ROLLBACK TO {name}");
                return tx(TxControl::RollbackTo(name), sql, "ROLLBACK");
            }
            tx(TxControl::Rollback, "ROLLBACK".into(), "ROLLBACK")
        }
        "savepoint" => {
            let name = raw(rest.first()?);
            let sql = format!("SAVEPOINT {name}");
            tx(TxControl::Savepoint(name), sql, "SAVEPOINT")
        }
        "release" => {
            let at = usize::from(word_is(rest.first(), "savepoint"));
            let name = raw(rest.get(at)?);
            let sql = format!("RELEASE {name}");
            tx(TxControl::Release(name), sql, "RELEASE")
        }
        "show" => {
            let name = if word_is(rest.first(), "transaction") {
                "transaction_isolation".to_owned()
            } else if word_is(rest.first(), "time") && word_is(rest.get(1), "zone") {
                "timezone".to_owned()
            } else if word_is(rest.first(), "session") && word_is(rest.get(1), "authorization") {
                "session_authorization".to_owned()
            } else {
                name_of(rest.first()?)?
            };
            local(Local::Show(name), "SHOW")
        }
        "set" => classify_set(rest).and_then(|l| local(l, "SET")),
        "reset" => {
            if word_is(rest.first(), "all") {
                return local(Local::ResetAll, "RESET");
            }
            let name = if word_is(rest.first(), "time") {
                "timezone".to_owned()
            } else if word_is(rest.first(), "session") {
                "session_authorization".to_owned()
            } else {
                name_of(rest.first()?)?
            };
            local(Local::Reset(name), "RESET")
        }
        "discard" => {
            let kind = name_of(rest.first()?)?;
            let kind = if kind == "temporary" {
                "temp".to_owned()
            } else {
                kind
            };
            let verb = format!("DISCARD {}", kind.to_ascii_uppercase());
            local(Local::Discard(kind), &verb)
        }
        "deallocate" => {
            let at = usize::from(word_is(rest.first(), "prepare"));
            if word_is(rest.get(at), "all") {
                return local(Local::Deallocate(None), "DEALLOCATE ALL");
            }
            let name = name_of(rest.get(at)?)?;
            local(Local::Deallocate(Some(name)), "DEALLOCATE")
        }
        "listen" => local(Local::Unsupported("LISTEN"), "LISTEN"),
        "unlisten" => local(Local::Unsupported("UNLISTEN"), "UNLISTEN"),
        "notify" => local(Local::Unsupported("NOTIFY"), "NOTIFY"),
        _ => None,
    }
}

fn classify_set(rest: &[Lex<'_>]) -> Option<Local> {
    let mut at = 0;
    let mut is_local = false;
    if word_is(rest.first(), "local") {
        is_local = true;
        at = 1;
    } else if word_is(rest.first(), "session")
        && !word_is(rest.get(1), "characteristics")
        && !word_is(rest.get(1), "authorization")
    {
        at = 1;
    }
    let rest = &rest[at..];
    let set = |name: &str, value: String, local: bool| {
        Some(Local::Set {
            name: name.to_owned(),
            value,
            local,
        })
    };
    if word_is(rest.first(), "time") && word_is(rest.get(1), "zone") {
        let value = &rest[2..];
        if value.len() == 1
            && (word_is(value.first(), "local") || word_is(value.first(), "default"))
        {
            return Some(Local::Reset("timezone".into()));
        }
        return set("timezone", value_text(value), is_local);
    }
    if word_is(rest.first(), "session") && word_is(rest.get(1), "characteristics") {
        // SET SESSION CHARACTERISTICS AS TRANSACTION modes
        let (isolation, read_only) = tx_modes(rest.get(4..).unwrap_or_default());
        return match (isolation, read_only) {
            (Some(level), _) => set("default_transaction_isolation", level, false),
            (None, Some(ro)) => set("default_transaction_read_only", on_off(ro), false),
            (None, None) => None,
        };
    }
    if word_is(rest.first(), "transaction") {
        let (isolation, read_only) = tx_modes(&rest[1..]);
        return match (isolation, read_only) {
            (Some(level), _) => set("transaction_isolation", level, true),
            (None, Some(ro)) => set("transaction_read_only", on_off(ro), true),
            (None, None) => None,
        };
    }
    if word_is(rest.first(), "names") {
        return set("client_encoding", value_text(&rest[1..]), is_local);
    }
    if word_is(rest.first(), "schema") {
        return set("search_path", value_text(&rest[1..]), is_local);
    }
    if word_is(rest.first(), "session") && word_is(rest.get(1), "authorization") {
        return set("session_authorization", value_text(&rest[2..]), is_local);
    }
    let name = name_of(rest.first()?)?;
    // dotted custom names: SET app.user = ...
    let mut name = name;
    let mut i = 1;
    while matches!(rest.get(i), Some(Lex::Other("."))) {
        name.push('.');
        name.push_str(&name_of(rest.get(i + 1)?)?);
        i += 2;
    }
    if !(word_is(rest.get(i), "to") || matches!(rest.get(i), Some(Lex::Other("=")))) {
        return None;
    }
    let value = &rest[i + 1..];
    if value.len() == 1 && word_is(value.first(), "default") {
        return Some(Local::Reset(name));
    }
    set(&name, value_text(value), is_local)
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(sql: &str) -> Local {
        match classify(sql) {
            Some(Classified::Local { local, .. }) => local,
            other => panic!("{sql}: {other:?}"),
        }
    }

    fn tx(sql: &str) -> (TxControl, String, &'static str) {
        match classify(sql) {
            Some(Classified::Tx { tx, sql, verb }) => (tx, sql, verb),
            other => panic!("{sql}: {other:?}"),
        }
    }

    fn set(name: &str, value: &str, local: bool) -> Local {
        Local::Set {
            name: name.into(),
            value: value.into(),
            local,
        }
    }

    #[test]
    fn transaction_control() {
        let begin = TxControl::Begin { read_only: false };
        assert_eq!(tx("BEGIN"), (begin.clone(), "BEGIN".into(), "BEGIN"));
        assert_eq!(
            tx("begin isolation level serializable, read write"),
            (begin.clone(), "BEGIN".into(), "BEGIN")
        );
        assert_eq!(
            tx("START TRANSACTION READ ONLY").0,
            TxControl::Begin { read_only: true }
        );
        assert_eq!(tx("START TRANSACTION").2, "START TRANSACTION");
        assert_eq!(tx("end").0, TxControl::Commit);
        assert_eq!(tx("COMMIT WORK").1, "COMMIT");
        assert_eq!(tx("abort").0, TxControl::Rollback);
        assert_eq!(
            tx("SAVEPOINT \"_pg3_1\""),
            (
                TxControl::Savepoint("\"_pg3_1\"".into()),
                "SAVEPOINT \"_pg3_1\"".into(),
                "SAVEPOINT"
            )
        );
        assert_eq!(
            tx("RELEASE SAVEPOINT sp1").1,
            "RELEASE sp1",
            "SAVEPOINT word dropped"
        );
        assert_eq!(
            tx("ROLLBACK TO SAVEPOINT sp1"),
            (
                TxControl::RollbackTo("sp1".into()),
                "ROLLBACK TO sp1".into(),
                "ROLLBACK"
            )
        );
        assert!(classify("COMMIT PREPARED 'x'").is_none());
    }

    #[test]
    fn show_and_set() {
        assert_eq!(
            local("show transaction isolation level"),
            Local::Show("transaction_isolation".into())
        );
        assert_eq!(
            local("SHOW standard_conforming_strings"),
            Local::Show("standard_conforming_strings".into())
        );
        assert_eq!(local("SHOW ALL"), Local::Show("all".into()));
        assert_eq!(local("SHOW TIME ZONE"), Local::Show("timezone".into()));
        assert_eq!(
            local("SET client_encoding = 'UTF8'"),
            set("client_encoding", "UTF8", false)
        );
        assert_eq!(
            local("SET SESSION search_path TO public, \"$user\""),
            set("search_path", "public, \"$user\"", false)
        );
        assert_eq!(
            local("set local statement_timeout to 5000"),
            set("statement_timeout", "5000", true)
        );
        assert_eq!(
            local("SET TIME ZONE 'Europe/Paris'"),
            set("timezone", "Europe/Paris", false)
        );
        assert_eq!(
            local("SET TIME ZONE LOCAL"),
            Local::Reset("timezone".into())
        );
        assert_eq!(
            local("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED"),
            set("default_transaction_isolation", "read committed", false)
        );
        assert_eq!(
            local("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"),
            set("transaction_isolation", "repeatable read", true)
        );
        assert_eq!(
            local("SET extra_float_digits TO DEFAULT"),
            Local::Reset("extra_float_digits".into())
        );
        assert_eq!(
            local("SET application_name = E'a\\'b'"),
            set("application_name", "a'b", false)
        );
        assert_eq!(
            local("SET myapp.user_id = 42"),
            set("myapp.user_id", "42", false)
        );
        assert_eq!(
            local("SET NAMES 'UTF8'"),
            set("client_encoding", "UTF8", false)
        );
    }

    #[test]
    fn reset_discard_deallocate_listen() {
        assert_eq!(local("RESET ALL"), Local::ResetAll);
        assert_eq!(
            local("reset search_path"),
            Local::Reset("search_path".into())
        );
        assert_eq!(local("DISCARD ALL"), Local::Discard("all".into()));
        assert_eq!(local("DEALLOCATE ALL"), Local::Deallocate(None));
        assert_eq!(
            local("DEALLOCATE PREPARE s1"),
            Local::Deallocate(Some("s1".into()))
        );
        assert_eq!(local("LISTEN chan"), Local::Unsupported("LISTEN"));
        assert_eq!(local("notify chan, 'x'"), Local::Unsupported("NOTIFY"));
    }

    #[test]
    fn other_statements_go_to_the_parser() {
        assert!(classify("SELECT 1").is_none());
        assert!(classify("settings").is_none());
        assert!(classify("").is_none());
    }
}
