//! Where and as whom a pool connects: the resolved backend address, database, role and password.

use articdbm_config::Secret;

/// A backend endpoint with credentials. Two pools with equal targets and settings are the same
/// pool, which is how a reload keeps unchanged pools alive.
#[derive(Clone, PartialEq, Eq)]
pub struct BackendTarget {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: Option<Secret>,
    /// For MySQL backends: the wire options the server connection must share with its
    /// clients (zero for PostgreSQL).
    pub mysql: MySqlWire,
}

/// What a MySQL client negotiated that shapes the bytes a server sends back (EOF or OK after
/// rows, affected vs found rows, multi-results, session tracking, character set). Server
/// replies are forwarded untouched, so a server connection only serves clients with the same
/// options: it is part of the pool key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MySqlWire {
    /// The client's capability bits among [`super::mysql::MIRRORED_CAPS`].
    pub caps: u64,
    /// Collation id of the client's handshake.
    pub collation: u8,
    /// Galera reader pools: `wsrep_sync_wait` set on the connection after login and after
    /// every reset (`0` = not set). Part of the target, so reader and writer pools differ.
    pub sync_wait: u8,
}

impl std::fmt::Debug for BackendTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendTarget")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("mysql", &self.mysql)
            .finish()
    }
}

impl BackendTarget {
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}
