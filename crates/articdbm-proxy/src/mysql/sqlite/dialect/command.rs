//! What one MySQL statement is for the SQLite session: SQL to run (a [`Plan`] of SQLite
//! steps), or a command the proxy answers itself ([`Local`]): `SET` (system and user
//! variables, `NAMES`, `CHARACTER SET`, `TRANSACTION`), transaction control, savepoints,
//! `USE`, `SHOW ...`, `DESCRIBE`, `LOCK`/`UNLOCK TABLES`.

use super::emit::{Edits, Emitter};
use super::lexer::Kind;
use super::sql::SqlText;
use super::{DialectError, Step, ddl, dml, select, set, show};

/// A statement's meaning.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Run(Plan),
    Local(Local),
}

/// SQLite steps for one MySQL statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// DDL: commits an open transaction first and runs outside any (as MySQL does).
    pub implicit_commit: bool,
    /// An INSERT or REPLACE: its OK carries the first new row id.
    pub inserts: bool,
    /// A query (`SELECT`, `EXPLAIN`): with `autocommit = 0` it does not open the implicit
    /// transaction (see the session's `implicit_begin`).
    pub read_only: bool,
}

/// Commands answered by the proxy.
#[derive(Debug, Clone, PartialEq)]
pub enum Local {
    Set(Vec<set::Assignment>),
    /// `SET NAMES x [COLLATE y]` / `SET CHARACTER SET x` (`None`: `DEFAULT`).
    SetNames {
        charset: Option<String>,
        collation: Option<String>,
        /// `SET CHARACTER SET` leaves `character_set_connection` alone.
        client_and_results_only: bool,
    },
    /// `SET [GLOBAL|SESSION] TRANSACTION ...`.
    SetTransaction {
        isolation: Option<String>,
        read_only: Option<bool>,
    },
    /// `BEGIN`, `START TRANSACTION [READ ONLY|READ WRITE|WITH CONSISTENT SNAPSHOT]`.
    Begin {
        read_only: bool,
    },
    /// `COMMIT`/`ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE]`.
    End {
        commit: bool,
        chain: bool,
        release: bool,
    },
    Savepoint(String),
    ReleaseSavepoint(String),
    RollbackTo(String),
    Use(String),
    Show(show::Show),
    LockTables,
    UnlockTables,
}

/// Words naming what `CREATE` makes.
const CREATE_OBJECTS: [&str; 11] = [
    "TABLE",
    "TEMPORARY",
    "TEMP",
    "INDEX",
    "UNIQUE",
    "FULLTEXT",
    "SPATIAL",
    "VIEW",
    "TRIGGER",
    "DATABASE",
    "SCHEMA",
];

/// Classifies and translates the statement.
pub fn command(em: &Emitter<'_, '_>) -> Result<Command, DialectError> {
    let s = em.stmt;
    let verb = s.upper(0);
    let ddl = |steps: Vec<Step>| {
        Ok(Command::Run(Plan {
            steps,
            implicit_commit: true,
            inserts: false,
            read_only: false,
        }))
    };
    match verb.as_str() {
        "SELECT" => {
            let mut edits = Edits::default();
            if select::select(em, 0, &mut edits)? {
                // `FOR UPDATE` / `FOR SHARE`: part of the (implicit) transaction.
                run(em, &edits)
            } else {
                query(em, &edits)
            }
        }
        "INSERT" | "REPLACE" => Ok(Command::Run(Plan {
            steps: dml::insert(em)?,
            implicit_commit: false,
            inserts: true,
            read_only: false,
        })),
        "UPDATE" | "DELETE" => Ok(Command::Run(Plan {
            steps: dml::update_or_delete(em)?,
            implicit_commit: false,
            inserts: false,
            read_only: false,
        })),
        "SET" => set::set(em).map(Command::Local),
        "SHOW" => show::show(em).map(|s| Command::Local(Local::Show(s))),
        "DESCRIBE" | "DESC" | "EXPLAIN" => explain(em),
        "USE" => {
            let db = s.ident(1).ok_or_else(|| em.syntax_at(1))?;
            Ok(Command::Local(Local::Use(db)))
        }
        "BEGIN" if s.len() == 1 || (s.len() == 2 && s.is_kw(1, "WORK")) => {
            Ok(Command::Local(Local::Begin { read_only: false }))
        }
        "START" if s.is_kw(1, "TRANSACTION") => {
            let read_only = (2..s.len()).any(|k| s.is_kws(k, &["READ", "ONLY"]));
            Ok(Command::Local(Local::Begin { read_only }))
        }
        "COMMIT" | "ROLLBACK" => end(em, verb == "COMMIT"),
        "SAVEPOINT" => {
            let name = s.ident(1).ok_or_else(|| em.syntax_at(1))?;
            Ok(Command::Local(Local::Savepoint(name)))
        }
        "RELEASE" if s.is_kw(1, "SAVEPOINT") => {
            let name = s.ident(2).ok_or_else(|| em.syntax_at(2))?;
            Ok(Command::Local(Local::ReleaseSavepoint(name)))
        }
        "LOCK" if s.is_kw(1, "TABLES") || s.is_kw(1, "TABLE") => {
            Ok(Command::Local(Local::LockTables))
        }
        "UNLOCK" if s.is_kw(1, "TABLES") || s.is_kw(1, "TABLE") => {
            Ok(Command::Local(Local::UnlockTables))
        }
        "CREATE" => {
            if s.is_kws(1, &["OR", "REPLACE"]) {
                return ddl(ddl::create_view(em, 1)?);
            }
            // Past `ALGORITHM = x`, `DEFINER = u@h`, `SQL SECURITY x` to the object kind.
            let k = (1..s.len())
                .find(|&m| s.depth(m) == 0 && CREATE_OBJECTS.iter().any(|w| s.is_kw(m, w)))
                .unwrap_or(1);
            match s.upper(k).as_str() {
                "TABLE" | "TEMPORARY" | "TEMP" => ddl(ddl::create_table(em, k)?),
                "INDEX" | "UNIQUE" | "FULLTEXT" | "SPATIAL" => ddl(ddl::create_index(em, k)?),
                "VIEW" => ddl(ddl::create_view(em, 1)?),
                "DATABASE" | "SCHEMA" => Err(DialectError::Unsupported(
                    "CREATE DATABASE: databases are configured in the proxy (kind = \"sqlite\")"
                        .into(),
                )),
                "TRIGGER" => {
                    let mut edits = Edits::default();
                    edits.drop_range(1, k);
                    ddl(vec![Step::Sql(emit_all(em, &edits)?)])
                }
                _ => ddl(vec![Step::Sql(emit_all(em, &Edits::default())?)]),
            }
        }
        "DROP" => match s.upper(1).as_str() {
            "TABLE" | "VIEW" | "TEMPORARY" => ddl(ddl::drop_tables(em, 1)?),
            "INDEX" => ddl(ddl::drop_index(em, 2)?),
            "DATABASE" | "SCHEMA" => Err(DialectError::Unsupported(
                "DROP DATABASE: databases are configured in the proxy".into(),
            )),
            _ => ddl(vec![Step::Sql(emit_all(em, &Edits::default())?)]),
        },
        "ALTER" => ddl(ddl::alter_table(em, 1)?),
        "TRUNCATE" => ddl(ddl::truncate(em, 1)?),
        "RENAME" => ddl(ddl::rename_tables(em, 1)?),
        "ANALYZE" | "OPTIMIZE" if s.is_kw(1, "TABLE") || s.is_kw(1, "NO_WRITE_TO_BINLOG") => {
            let sql = if verb == "ANALYZE" {
                "ANALYZE"
            } else {
                "VACUUM"
            };
            Ok(Command::Run(Plan {
                steps: vec![Step::Sql(SqlText::from_sql(sql))],
                implicit_commit: true,
                inserts: false,
                read_only: false,
            }))
        }
        "LOAD" | "HANDLER" | "XA" | "GRANT" | "REVOKE" | "FLUSH" | "INSTALL" | "UNINSTALL"
        | "CHANGE" | "PURGE" | "RESET" | "SHUTDOWN" | "CLONE" | "IMPORT" | "CACHE" => Err(
            DialectError::Unsupported(format!("{verb} with the SQLite backend")),
        ),
        _ => run(em, &Edits::default()),
    }
}

fn emit_all(em: &Emitter<'_, '_>, edits: &Edits) -> Result<SqlText, DialectError> {
    let mut out = SqlText::new();
    em.range(0, em.stmt.len(), edits, &mut out)?;
    Ok(out)
}

fn run(em: &Emitter<'_, '_>, edits: &Edits) -> Result<Command, DialectError> {
    Ok(Command::Run(Plan {
        steps: vec![Step::Sql(emit_all(em, edits)?)],
        implicit_commit: false,
        inserts: false,
        read_only: false,
    }))
}

/// A query: [`run`] marked read-only.
fn query(em: &Emitter<'_, '_>, edits: &Edits) -> Result<Command, DialectError> {
    let mut command = run(em, edits)?;
    if let Command::Run(plan) = &mut command {
        plan.read_only = true;
    }
    Ok(command)
}

/// `COMMIT`/`ROLLBACK` and `ROLLBACK [WORK] TO [SAVEPOINT] x`.
fn end(em: &Emitter<'_, '_>, commit: bool) -> Result<Command, DialectError> {
    let s = em.stmt;
    let mut k = 1;
    if s.is_kw(k, "WORK") {
        k += 1;
    }
    if !commit && s.is_kw(k, "TO") {
        k += 1;
        if s.is_kw(k, "SAVEPOINT") {
            k += 1;
        }
        let name = s.ident(k).ok_or_else(|| em.syntax_at(k))?;
        return Ok(Command::Local(Local::RollbackTo(name)));
    }
    let mut chain = false;
    let mut release = false;
    while k < s.len() {
        if s.is_kws(k, &["AND", "CHAIN"]) {
            chain = true;
            k += 2;
        } else if s.is_kws(k, &["AND", "NO", "CHAIN"]) {
            k += 3;
        } else if s.is_kw(k, "RELEASE") {
            release = true;
            k += 1;
        } else if s.is_kws(k, &["NO", "RELEASE"]) {
            k += 2;
        } else {
            return Err(em.syntax_at(k));
        }
    }
    Ok(Command::Local(Local::End {
        commit,
        chain,
        release,
    }))
}

/// `DESCRIBE t [col]`, `EXPLAIN t`, and `EXPLAIN <statement>` (SQLite's query plan).
fn explain(em: &Emitter<'_, '_>) -> Result<Command, DialectError> {
    let s = em.stmt;
    let mut k = 1;
    while s.is_kw(k, "EXTENDED") || s.is_kw(k, "PARTITIONS") || s.is_kw(k, "ANALYZE") {
        k += 1;
    }
    if s.is_kw(k, "FORMAT") {
        k += 3;
    }
    let statement = matches!(
        s.upper(k).as_str(),
        "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "WITH" | "TABLE"
    ) || s.kind(k) == Some(Kind::Open);
    if statement {
        let mut edits = Edits::default();
        edits.replace(0, k, SqlText::from_sql("EXPLAIN QUERY PLAN"));
        if s.is_kw(k, "SELECT") {
            select::select(em, k, &mut edits)?;
        }
        return query(em, &edits);
    }
    let (mut parts, next) = s.qualified(k).ok_or_else(|| em.syntax_at(k))?;
    let table = parts.pop().unwrap_or_default();
    let column = if next < s.len() {
        Some(show::Filter::Like(em.plain(next, next + 1)?))
    } else {
        None
    };
    Ok(Command::Local(Local::Show(show::Show::Columns {
        table,
        full: false,
        filter: column,
    })))
}
