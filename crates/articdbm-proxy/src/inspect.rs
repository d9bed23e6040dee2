//! The inspection seam: every message that carries SQL (PostgreSQL Query and Parse, MySQL
//! COM_QUERY and COM_STMT_PREPARE) is shown to one `StatementInspector` before it reaches a
//! backend. The security engine, access control and threat intelligence plug in here; the session
//! loop only acts on the returned `Verdict`.

mod judge;

use std::net::SocketAddr;

pub(crate) use judge::judge;

/// Which kind of message carried the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementSource {
    /// A simple-protocol query string (may hold several statements).
    SimpleQuery,
    /// The text of a statement being prepared (extended protocol / binary protocol).
    Prepare,
}

/// Wire protocol the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Postgres,
    MySql,
}

/// What the inspector may look at. Bound parameter values are never part of it: they are data.
#[derive(Debug, Clone, Copy)]
pub struct StatementContext<'a> {
    pub protocol: Protocol,
    pub source: StatementSource,
    pub user: &'a str,
    pub database: &'a str,
    pub client_addr: SocketAddr,
    pub sql: &'a str,
}

/// The decision for one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Forward it.
    Allow,
    /// Forward it and record why it looked suspicious.
    Alert { rule: String, reason: String },
    /// Do not forward it; the client gets an error naming the rule and its session stays usable.
    Block {
        rule: String,
        message: String,
        /// SQLSTATE for PostgreSQL clients (e.g. "42501" insufficient privilege); MySQL
        /// clients get ERR 1142 with SQLSTATE 42000.
        sqlstate: &'static str,
    },
}

/// Judges statements. Implementations must be fast and must not block: they run on the session task.
pub trait StatementInspector: Send + Sync + 'static {
    fn inspect(&self, ctx: &StatementContext<'_>) -> Verdict;
}

/// The inspector used until a policy is configured: allows everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct AllowAll;

impl StatementInspector for AllowAll {
    fn inspect(&self, _ctx: &StatementContext<'_>) -> Verdict {
        Verdict::Allow
    }
}
