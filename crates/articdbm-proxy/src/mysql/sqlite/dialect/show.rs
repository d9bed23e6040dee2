//! `SHOW ...` statements the SQLite session answers: `DATABASES`, `[FULL] TABLES`,
//! `[FULL] COLUMNS/FIELDS`, `INDEX/KEYS`, `CREATE TABLE/VIEW/DATABASE`, `VARIABLES`,
//! `STATUS`, `WARNINGS`/`ERRORS` (and their `COUNT(*)`), `ENGINES`, `CHARACTER SET`,
//! `COLLATION`, `TABLE STATUS`, `PROCESSLIST`, each with its `LIKE` / `WHERE` filter.

use super::DialectError;
use super::emit::Emitter;
use super::sql::SqlText;

/// `LIKE 'pattern'` or `WHERE expr` (the expression over the SHOW's column names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Like(SqlText),
    Where(SqlText),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Show {
    Databases {
        filter: Option<Filter>,
    },
    Tables {
        full: bool,
        db: Option<String>,
        filter: Option<Filter>,
    },
    Columns {
        table: String,
        full: bool,
        filter: Option<Filter>,
    },
    Index {
        table: String,
    },
    CreateTable {
        table: String,
    },
    CreateView {
        view: String,
    },
    CreateDatabase {
        db: String,
    },
    Variables {
        filter: Option<Filter>,
    },
    Status {
        filter: Option<Filter>,
    },
    /// `SHOW WARNINGS` / `SHOW ERRORS` (`count`: `SHOW COUNT(*) ...`).
    Diagnostics {
        errors: bool,
        count: bool,
    },
    Engines,
    Charset {
        filter: Option<Filter>,
    },
    Collation {
        filter: Option<Filter>,
    },
    TableStatus {
        filter: Option<Filter>,
    },
    Processlist,
}

/// `SHOW ...` (the `SHOW` at position 0).
pub fn show(em: &Emitter<'_, '_>) -> Result<Show, DialectError> {
    let s = em.stmt;
    let mut k = 1;
    let full = s.is_kw(k, "FULL");
    if full {
        k += 1;
    }
    if s.is_kw(k, "GLOBAL") || s.is_kw(k, "SESSION") || s.is_kw(k, "LOCAL") {
        k += 1;
    }
    let what = s.upper(k);
    let unsupported = || {
        DialectError::Unsupported(format!(
            "SHOW {} with the SQLite backend",
            String::from_utf8_lossy(s.text(1, s.len()))
        ))
    };
    Ok(match what.as_str() {
        "DATABASES" | "SCHEMAS" => Show::Databases {
            filter: filter(em, k + 1)?,
        },
        "TABLES" => {
            let (db, at) = from_db(em, k + 1)?;
            Show::Tables {
                full,
                db,
                filter: filter(em, at)?,
            }
        }
        "COLUMNS" | "FIELDS" => {
            if !(s.is_kw(k + 1, "FROM") || s.is_kw(k + 1, "IN")) {
                return Err(em.syntax_at(k + 1));
            }
            let (mut parts, next) = s.qualified(k + 2).ok_or_else(|| em.syntax_at(k + 2))?;
            let table = parts.pop().unwrap_or_default();
            let (_, at) = from_db(em, next)?;
            Show::Columns {
                table,
                full,
                filter: filter(em, at)?,
            }
        }
        "INDEX" | "INDEXES" | "KEYS" => {
            if !(s.is_kw(k + 1, "FROM") || s.is_kw(k + 1, "IN")) {
                return Err(em.syntax_at(k + 1));
            }
            let (mut parts, _) = s.qualified(k + 2).ok_or_else(|| em.syntax_at(k + 2))?;
            Show::Index {
                table: parts.pop().unwrap_or_default(),
            }
        }
        "CREATE" => {
            let object = s.upper(k + 1);
            let at = if object == "DATABASE" || object == "SCHEMA" {
                if s.is_kws(k + 2, &["IF", "NOT", "EXISTS"]) {
                    k + 5
                } else {
                    k + 2
                }
            } else {
                k + 2
            };
            let (mut parts, _) = s.qualified(at).ok_or_else(|| em.syntax_at(at))?;
            let name = parts.pop().unwrap_or_default();
            match object.as_str() {
                "TABLE" => Show::CreateTable { table: name },
                "VIEW" => Show::CreateView { view: name },
                "DATABASE" | "SCHEMA" => Show::CreateDatabase { db: name },
                _ => return Err(unsupported()),
            }
        }
        "VARIABLES" => Show::Variables {
            filter: filter(em, k + 1)?,
        },
        "STATUS" => Show::Status {
            filter: filter(em, k + 1)?,
        },
        "WARNINGS" | "ERRORS" => Show::Diagnostics {
            errors: what == "ERRORS",
            count: false,
        },
        "COUNT" => {
            let errors = s.is_kw(k + 4, "ERRORS");
            if !(errors || s.is_kw(k + 4, "WARNINGS")) {
                return Err(em.syntax_at(k + 4));
            }
            Show::Diagnostics {
                errors,
                count: true,
            }
        }
        "ENGINES" => Show::Engines,
        "STORAGE" if s.is_kw(k + 1, "ENGINES") => Show::Engines,
        "CHARACTER" if s.is_kw(k + 1, "SET") => Show::Charset {
            filter: filter(em, k + 2)?,
        },
        "CHARSET" => Show::Charset {
            filter: filter(em, k + 1)?,
        },
        "COLLATION" => Show::Collation {
            filter: filter(em, k + 1)?,
        },
        "TABLE" if s.is_kw(k + 1, "STATUS") => {
            let (_, at) = from_db(em, k + 2)?;
            Show::TableStatus {
                filter: filter(em, at)?,
            }
        }
        "PROCESSLIST" => Show::Processlist,
        _ => return Err(unsupported()),
    })
}

/// `{FROM|IN} db` at `at`, if present: the database and the position after.
fn from_db(em: &Emitter<'_, '_>, at: usize) -> Result<(Option<String>, usize), DialectError> {
    let s = em.stmt;
    if s.is_kw(at, "FROM") || s.is_kw(at, "IN") {
        let db = s.ident(at + 1).ok_or_else(|| em.syntax_at(at + 1))?;
        return Ok((Some(db), at + 2));
    }
    Ok((None, at))
}

/// `LIKE 'p'` / `WHERE expr` at `at`, if present (nothing else may follow).
fn filter(em: &Emitter<'_, '_>, at: usize) -> Result<Option<Filter>, DialectError> {
    let s = em.stmt;
    if at >= s.len() {
        return Ok(None);
    }
    if s.is_kw(at, "LIKE") && at + 2 == s.len() {
        return Ok(Some(Filter::Like(em.plain(at + 1, at + 2)?)));
    }
    if s.is_kw(at, "WHERE") && at + 1 < s.len() {
        return Ok(Some(Filter::Where(em.plain(at + 1, s.len())?)));
    }
    Err(em.syntax_at(at))
}
