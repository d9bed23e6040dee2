//! `SET` in its MySQL forms: `SET [GLOBAL|SESSION|LOCAL] var = value, @@session.var = value,
//! @user = expr, ...`, `SET NAMES x [COLLATE y]`, `SET CHARACTER SET x`,
//! `SET [GLOBAL|SESSION] TRANSACTION ISOLATION LEVEL .. | READ ONLY | READ WRITE`.

use super::DialectError;
use super::command::Local;
use super::emit::{Emitter, sys_var_name, user_var_name};
use super::lexer::Kind;
use super::literal::{Literal, of_token};
use super::sql::{DynValue, SqlText};

/// What is assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A system variable (lower case); `global` for `GLOBAL`/`@@global.` (refused).
    System { name: String, global: bool },
    /// A user variable `@name` (lower case).
    User(String),
}

/// The value side.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// `DEFAULT`: back to the default.
    Default,
    /// A bare word (`ON`, `OFF`, `utf8mb4`, `SYSTEM`, ...).
    Word(String),
    /// A literal.
    Value(DynValue),
    /// An expression, evaluated by SQLite (`SELECT <expr>`).
    Expr(SqlText),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub target: Target,
    pub value: SetValue,
}

/// `SET ...` (the `SET` at position 0).
pub fn set(em: &Emitter<'_, '_>) -> Result<Local, DialectError> {
    let s = em.stmt;
    let mut k = 1;
    let scope_global = s.is_kw(k, "GLOBAL") || s.is_kw(k, "PERSIST") || s.is_kw(k, "PERSIST_ONLY");
    if scope_global || s.is_kw(k, "SESSION") || s.is_kw(k, "LOCAL") {
        k += 1;
    }
    if s.is_kw(k, "TRANSACTION") {
        if scope_global {
            return Err(global_refused());
        }
        return transaction(em, k + 1);
    }
    if s.is_kw(1, "NAMES") {
        let charset = word_or_default(em, 2)?;
        let collation = if s.is_kw(3, "COLLATE") {
            Some(s.name(4).ok_or_else(|| em.syntax_at(4))?)
        } else {
            None
        };
        return Ok(Local::SetNames {
            charset,
            collation,
            client_and_results_only: false,
        });
    }
    if s.is_kws(1, &["CHARACTER", "SET"]) || s.is_kw(1, "CHARSET") {
        let at = if s.is_kw(1, "CHARSET") { 2 } else { 3 };
        return Ok(Local::SetNames {
            charset: word_or_default(em, at)?,
            collation: None,
            client_and_results_only: true,
        });
    }
    if s.is_kw(1, "PASSWORD") {
        return Err(DialectError::Unsupported(
            "SET PASSWORD: passwords are managed in the proxy configuration".into(),
        ));
    }
    let mut out = Vec::new();
    for part in s.split_commas(1, s.len(), 0) {
        out.push(assignment(em, part.start, part.end)?);
    }
    Ok(Local::Set(out))
}

fn global_refused() -> DialectError {
    DialectError::Denied(
        "Access denied; you need (at least one of) the SUPER or SYSTEM_VARIABLES_ADMIN \
         privilege(s) for this operation"
            .into(),
    )
}

/// A charset or collation name, or `None` for `DEFAULT`.
fn word_or_default(em: &Emitter<'_, '_>, at: usize) -> Result<Option<String>, DialectError> {
    let s = em.stmt;
    if s.is_kw(at, "DEFAULT") {
        return Ok(None);
    }
    s.name(at).map(Some).ok_or_else(|| em.syntax_at(at))
}

fn assignment(em: &Emitter<'_, '_>, from: usize, to: usize) -> Result<Assignment, DialectError> {
    let s = em.stmt;
    let mut k = from;
    let mut global = false;
    if s.is_kw(k, "GLOBAL") || s.is_kw(k, "PERSIST") || s.is_kw(k, "PERSIST_ONLY") {
        global = true;
        k += 1;
    } else if s.is_kw(k, "SESSION") || s.is_kw(k, "LOCAL") {
        k += 1;
    }
    let target = match s.kind(k) {
        Some(Kind::UserVar) => Target::User(user_var_name(s.bytes(k))),
        Some(Kind::SysVar) => {
            let raw = String::from_utf8_lossy(s.bytes(k)).to_lowercase();
            Target::System {
                name: sys_var_name(s.bytes(k)),
                global: global || raw.starts_with("@@global.") || raw.starts_with("@@persist"),
            }
        }
        Some(Kind::Word | Kind::Backticked) => {
            // `session.sql_mode` is written with a dot too.
            let (parts, next) = s.qualified(k).ok_or_else(|| em.syntax_at(k))?;
            let mut name = parts.join(".").to_lowercase();
            for scope in ["session.", "local."] {
                if let Some(rest) = name.strip_prefix(scope) {
                    name = rest.to_string();
                }
            }
            if let Some(rest) = name.strip_prefix("global.") {
                name = rest.to_string();
                global = true;
            }
            k = next - 1;
            Target::System { name, global }
        }
        _ => return Err(em.syntax_at(k)),
    };
    if let Target::System { global: true, .. } = target {
        return Err(global_refused());
    }
    k += 1;
    if !matches!(s.bytes(k), b"=" | b":=") {
        return Err(em.syntax_at(k));
    }
    let v = k + 1;
    if v >= to {
        return Err(em.syntax_at(v));
    }
    let value = value(em, v, to, &target)?;
    Ok(Assignment { target, value })
}

fn value(
    em: &Emitter<'_, '_>,
    v: usize,
    to: usize,
    target: &Target,
) -> Result<SetValue, DialectError> {
    let s = em.stmt;
    let system = matches!(target, Target::System { .. });
    if to == v + 1 {
        let tok = s.tok(v).ok_or_else(|| em.syntax_at(v))?;
        match tok.kind {
            Kind::Word => {
                let w = s.upper(v);
                return Ok(match w.as_str() {
                    "DEFAULT" if system => SetValue::Default,
                    "NULL" => SetValue::Value(DynValue::Null),
                    "TRUE" => SetValue::Value(DynValue::Int(1)),
                    "FALSE" => SetValue::Value(DynValue::Int(0)),
                    _ if system => SetValue::Word(String::from_utf8_lossy(s.bytes(v)).into_owned()),
                    _ => SetValue::Expr(em.plain(v, to)?),
                });
            }
            Kind::Backticked if system => {
                return Ok(SetValue::Word(s.name(v).unwrap_or_default()));
            }
            Kind::Number => {
                let text = String::from_utf8_lossy(s.bytes(v));
                if let Ok(i) = text.parse::<i64>() {
                    return Ok(SetValue::Value(DynValue::Int(i)));
                }
                if let Ok(f) = text.parse::<f64>() {
                    return Ok(SetValue::Value(DynValue::Real(f)));
                }
            }
            Kind::Single | Kind::Double | Kind::Hex | Kind::Bit => {
                let lit =
                    of_token(s.src, tok, false).map_err(|e| DialectError::Syntax(e.to_string()))?;
                return Ok(SetValue::Value(match lit {
                    Literal::Text(t) => DynValue::Text(t),
                    Literal::Blob(b) => DynValue::Blob(b),
                    Literal::Int(i) => DynValue::Int(i),
                }));
            }
            _ => {}
        }
    }
    if to == v + 2
        && s.bytes(v) == b"-"
        && s.kind(v + 1) == Some(Kind::Number)
        && let Ok(i) = String::from_utf8_lossy(s.bytes(v + 1)).parse::<i64>()
    {
        return Ok(SetValue::Value(DynValue::Int(-i)));
    }
    Ok(SetValue::Expr(em.plain(v, to)?))
}

/// `TRANSACTION` characteristics from `at`.
fn transaction(em: &Emitter<'_, '_>, at: usize) -> Result<Local, DialectError> {
    let s = em.stmt;
    let mut isolation = None;
    let mut read_only = None;
    for part in s.split_commas(at, s.len(), 0) {
        let k = part.start;
        if s.is_kws(k, &["ISOLATION", "LEVEL"]) {
            let level = String::from_utf8_lossy(s.text(k + 2, part.end)).to_uppercase();
            let level = level.split_whitespace().collect::<Vec<_>>().join("-");
            match level.as_str() {
                "READ-UNCOMMITTED" | "READ-COMMITTED" | "REPEATABLE-READ" | "SERIALIZABLE" => {
                    isolation = Some(level);
                }
                _ => return Err(em.syntax_at(k + 2)),
            }
        } else if s.is_kws(k, &["READ", "ONLY"]) {
            read_only = Some(true);
        } else if s.is_kws(k, &["READ", "WRITE"]) {
            read_only = Some(false);
        } else {
            return Err(em.syntax_at(k));
        }
    }
    Ok(Local::SetTransaction {
        isolation,
        read_only,
    })
}
