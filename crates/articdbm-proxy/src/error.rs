//! Errors of the data plane, each carrying what the caller needs to decide what the client is told
//! (SQLSTATE, whether the session survives) and whether a backend is to be trusted again.

use articdbm_wire_mysql::WireError as MySqlWireError;
use articdbm_wire_pg::WireError;
use thiserror::Error;

/// Why talking to a backend server failed.
#[derive(Debug, Error)]
pub enum BackendError {
    #[error("could not connect to server {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("timed out connecting to server {addr}")]
    ConnectTimeout { addr: String },
    #[error("server rejected the login: {message} (SQLSTATE {code})")]
    Rejected { code: String, message: String },
    /// A MySQL server answered with an ERR packet.
    #[error("server error {code} ({sqlstate}): {message}")]
    MySql {
        code: u16,
        sqlstate: String,
        message: String,
    },
    #[error("server asked for an authentication method the proxy does not support ({0})")]
    UnsupportedAuth(String),
    #[error("server authentication failed: {0}")]
    Auth(String),
    #[error("server needs a password but none is configured for this database")]
    NoPassword,
    #[error("server connection lost: {0}")]
    Io(#[from] std::io::Error),
    #[error("server closed the connection")]
    Closed,
    #[error("server sent an invalid message: {0}")]
    Protocol(#[from] WireError),
    #[error("server sent an invalid packet: {0}")]
    MySqlProtocol(#[from] MySqlWireError),
}

/// Why a client could not get a backend connection.
#[derive(Debug, Error)]
pub enum PoolError {
    #[error("timed out after {0:?} waiting for a server connection (pool exhausted)")]
    Timeout(std::time::Duration),
    #[error("pool is closed (configuration reloaded or shutting down)")]
    Closed,
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The pool's server is down (its reconnect circuit is open): answered without dialling
    /// it; the pool probes it in the background with backoff.
    #[error(
        "the database server is unavailable (down for {} s); the proxy keeps retrying",
        down_for.as_secs()
    )]
    Unavailable { down_for: std::time::Duration },
    /// The server refused a run-time parameter value the client asked for at startup (an
    /// unknown TimeZone, say): the session cannot go on, as PostgreSQL would have refused the
    /// login. Carries the server's SQLSTATE and message.
    #[error("{message}")]
    Parameter { code: String, message: String },
}

impl PoolError {
    /// SQLSTATE reported to the client for this failure.
    pub fn sqlstate(&self) -> &str {
        match self {
            PoolError::Timeout(_) => "53300",
            PoolError::Closed => "57P01",
            PoolError::Parameter { code, .. } => code,
            PoolError::Backend(BackendError::Rejected { .. }) => "08004",
            PoolError::Backend(_) | PoolError::Unavailable { .. } => "08006",
        }
    }

    /// MySQL error code and SQLSTATE reported to a MySQL client for this failure: a server's
    /// own error as it was; the pool exhausted as too many connections (1040); shutdown as
    /// 1053; a server that cannot be reached or refused the proxy's login as MariaDB's
    /// "Unable to connect to foreign data source" (1429), never a client-side code (2003).
    pub fn mysql_code(&self) -> (u16, &str) {
        match self {
            PoolError::Backend(BackendError::MySql { code, sqlstate, .. }) => (*code, sqlstate),
            PoolError::Timeout(_) => (1040, "08004"),
            PoolError::Closed => (1053, "08S01"),
            PoolError::Parameter { .. } => (1231, "42000"),
            PoolError::Backend(_) | PoolError::Unavailable { .. } => (1429, "HY000"),
        }
    }

    /// The ERR message for a MySQL client of `database`: [`Self::client_message`], with
    /// MariaDB's own wording of 1429 around it.
    pub fn mysql_message(&self, database: &str) -> String {
        match self.mysql_code().0 {
            1429 => format!(
                "Unable to connect to foreign data source: {}",
                self.client_message(database)
            ),
            _ => self.client_message(database),
        }
    }

    /// What a client is told about this failure for its database `database` (the name the
    /// client uses): never a backend's address, its login error or anything else about the
    /// server behind it. The detail is in the log (the pool logs each failed connection).
    pub fn client_message(&self, database: &str) -> String {
        match self {
            PoolError::Timeout(wait) => format!(
                "timed out after {}s waiting for a server connection for database \"{database}\"",
                wait.as_secs()
            ),
            PoolError::Closed | PoolError::Parameter { .. } => self.to_string(),
            // Galera's "node not ready" (no usable node): nothing about the server in it.
            PoolError::Backend(BackendError::MySql {
                sqlstate, message, ..
            }) if sqlstate == "08S01" => message.clone(),
            PoolError::Backend(BackendError::Rejected { .. } | BackendError::MySql { .. }) => {
                format!(
                    "database \"{database}\" is not available: its server refused the proxy's \
                     login (details in the proxy's log)"
                )
            }
            PoolError::Backend(_) => format!(
                "database \"{database}\" is not available: could not connect to its server \
                 (details in the proxy's log)"
            ),
            PoolError::Unavailable { down_for } => format!(
                "database \"{database}\" is not available: its server has been down for {} s \
                 (the proxy keeps retrying; details in its log)",
                down_for.as_secs()
            ),
        }
    }

    /// Whether the client's session must end (FATAL) rather than see an error and go on.
    pub fn ends_session(&self) -> bool {
        matches!(self, PoolError::Parameter { .. })
    }
}
