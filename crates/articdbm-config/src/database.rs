//! `[databases.<name>]`: where a client-facing database name leads (backend kind, host and
//! port or Galera nodes, or the file of an embedded SQLite database; database, role, password
//! source, pool overrides), and the result of looking one up.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::pool::PoolOverrides;
use crate::secret::Secret;

/// The key of `[databases]` that matches any client database name not listed explicitly.
pub const WILDCARD: &str = "*";

/// Host used when neither `host` nor `nodes` is set.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// Default of `galera_check_interval_ms`.
pub const DEFAULT_GALERA_CHECK_INTERVAL_MS: u64 = 1000;
/// Smallest accepted `galera_check_interval_ms`.
pub const MIN_GALERA_CHECK_INTERVAL_MS: u64 = 100;
/// Largest accepted `galera_sync_wait` (the highest `wsrep_sync_wait` bit mask).
pub const MAX_GALERA_SYNC_WAIT: u8 = 15;
/// Default of `galera_max_failed_polls` (as ProxySQL's `max_timeout_count`).
pub const DEFAULT_GALERA_MAX_FAILED_POLLS: u32 = 3;
/// Largest accepted `galera_max_failed_polls`.
pub const MAX_GALERA_MAX_FAILED_POLLS: u32 = 100;
/// Default of `busy_timeout_ms` (embedded SQLite).
pub const DEFAULT_SQLITE_BUSY_TIMEOUT_MS: u64 = 5000;
/// Default of `max_connections` (embedded SQLite).
pub const DEFAULT_SQLITE_MAX_CONNECTIONS: u32 = 16;

/// One `[databases.<name>]` entry. `<name>` is the database name clients ask for; the key
/// `"*"` is a wildcard that maps any unlisted name to the backend database of the same name.
///
/// `host` and `port` are optional in the file: a loaded config holds the resolved values
/// (`"127.0.0.1"`, and the kind's default port), except for a database with `nodes`, where
/// they stay empty and `0`. `DatabaseConfig::default()` leaves them unset (empty and `0`),
/// so code that builds one by hand gets the right port for its `kind`: read them through
/// [`host`](Self::host), [`port`](Self::port) and [`backends`](Self::backends), which
/// resolve the defaults either way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// The backend's kind, and so the front end it is reached through: `"postgres"` (the
    /// PostgreSQL listener), `"mysql"` or `"galera"` (the MySQL listener), or `"sqlite"` (an
    /// embedded SQLite database, served over both listeners). Default `"postgres"`.
    pub kind: DatabaseKind,
    /// Backend host name or IP address; not empty. Default `"127.0.0.1"` (empty = unset).
    /// Must not be set together with `nodes`.
    #[serde(
        default,
        deserialize_with = "non_empty_host",
        skip_serializing_if = "String::is_empty"
    )]
    pub host: String,
    /// Backend port; not `0`. Default: the kind's port, `5432` for postgres, `3306` for
    /// mysql and galera (`0` = unset). Must not be set together with `nodes`. Prefer
    /// [`port`](Self::port), which resolves the default.
    #[serde(
        default,
        deserialize_with = "non_zero_port",
        skip_serializing_if = "is_zero"
    )]
    pub port: u16,
    /// Backend servers as `"host:port"` (`"[ipv6]:port"`) strings, for kind `"mysql"` (one
    /// node; several only as a Galera cluster) and `"galera"` (at least one). Default `[]`:
    /// the backend is `host`:`port`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
    /// Galera: whether a Donor/Desynced node (`wsrep_local_state = 2`) counts as usable.
    /// Only for Galera clusters. Default: unset (`false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub galera_allow_donor: Option<bool>,
    /// Galera: `wsrep_sync_wait` set on read sessions for read-your-writes, `0..=15`; `0` =
    /// off. Only for Galera clusters. Default: unset (`0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub galera_sync_wait: Option<u8>,
    /// Galera: milliseconds between polls of each node's state; at least `100`. Only for
    /// Galera clusters. Default: unset (`1000`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub galera_check_interval_ms: Option<u64>,
    /// Galera: consecutive failed polls (no connection, no answer in time) after which a
    /// node is no longer usable; a node that answers with a state other than usable is
    /// dropped at once. `1..=100`. Only for Galera clusters. Default: unset (`3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub galera_max_failed_polls: Option<u32>,
    /// The name clients ask for, when it is not the key: lets one name be offered once per
    /// protocol (a PostgreSQL `test` and a MySQL `test` under two keys). Unique among the
    /// databases served over each listener (an SQLite database counts for both). Default:
    /// the key. Not on `"*"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Backend database name. Default: the client-facing name (`name`, else the key; for
    /// `"*"`, the name the client asked for; setting it on `"*"` is an error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dbname: Option<String>,
    /// Backend role. Default: the client's user name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Name of an environment variable holding the backend password. Default: none. At most
    /// one of `password_env` and `password_file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// File holding the backend password (trailing newlines are trimmed). Default: none. At
    /// most one of `password_env` and `password_file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// The backend password, resolved by the loader from `password_env` or `password_file`.
    /// Never read from the config file itself (a `password` key there is an error).
    #[serde(skip)]
    pub password: Option<Secret>,
    /// SQLite: the database file; a relative path is relative to `data_dir`. Created when
    /// missing. Only for kind `"sqlite"`. Default: `"<name>.db"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// SQLite: milliseconds a statement waits for the database (the writer lock, a free
    /// connection, a lock held by another process) before failing with 55P03. Only for kind
    /// `"sqlite"`. Default: unset (`5000`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy_timeout_ms: Option<u64>,
    /// SQLite: most connections open to the file at once (sessions share them per
    /// transaction); at least `1`. Only for kind `"sqlite"`. Default: unset (`16`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    /// Overrides of `[pool]` for this database (`[databases.<name>.pool]`). Default: none.
    pub pool: PoolOverrides,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            kind: DatabaseKind::Postgres,
            host: String::new(),
            port: 0,
            nodes: Vec::new(),
            galera_allow_donor: None,
            galera_sync_wait: None,
            galera_check_interval_ms: None,
            name: None,
            galera_max_failed_polls: None,
            dbname: None,
            user: None,
            password_env: None,
            password_file: None,
            password: None,
            path: None,
            busy_timeout_ms: None,
            max_connections: None,
            pool: PoolOverrides::default(),
        }
    }
}

impl DatabaseConfig {
    /// The name clients use for this database: `name` if set, else `key` (its key in
    /// `[databases]`).
    pub fn client_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.name.as_deref().unwrap_or(key)
    }

    /// The backend role to log in as: `user` if set, else `client_user`.
    pub fn backend_user<'a>(&'a self, client_user: &'a str) -> &'a str {
        self.user.as_deref().unwrap_or(client_user)
    }

    /// The backend host: `host`, or `"127.0.0.1"` when it is unset (empty).
    pub fn host(&self) -> &str {
        if self.host.is_empty() {
            DEFAULT_HOST
        } else {
            &self.host
        }
    }

    /// The backend port: `port`, or the kind's default port when it is unset (`0`).
    pub fn port(&self) -> u16 {
        if self.port == 0 {
            self.kind.default_port()
        } else {
            self.port
        }
    }

    /// The backend servers: the parsed `nodes` (in order, malformed ones skipped; validation
    /// rejects them), or the single [`host`](Self::host):[`port`](Self::port) when there
    /// are none.
    pub fn backends(&self) -> Vec<BackendAddr> {
        if self.nodes.is_empty() {
            return vec![BackendAddr {
                host: self.host().to_owned(),
                port: self.port(),
            }];
        }
        self.nodes.iter().filter_map(|n| n.parse().ok()).collect()
    }

    /// The Galera settings with their defaults, `Some` only for a Galera cluster
    /// (`kind = "galera"`, or `"mysql"` with `nodes` under `GALERA_MODE=true`: the loader
    /// turns those into `"galera"`).
    pub fn galera(&self) -> Option<GaleraSettings> {
        (self.kind == DatabaseKind::Galera).then(|| GaleraSettings {
            allow_donor: self.galera_allow_donor.unwrap_or(false),
            sync_wait: self.galera_sync_wait.unwrap_or(0),
            check_interval: Duration::from_millis(
                self.galera_check_interval_ms
                    .unwrap_or(DEFAULT_GALERA_CHECK_INTERVAL_MS),
            ),
            max_failed_polls: self
                .galera_max_failed_polls
                .unwrap_or(DEFAULT_GALERA_MAX_FAILED_POLLS),
        })
    }

    /// The SQLite settings with their defaults, `Some` only for kind `"sqlite"`. `name` is
    /// the database's key in `[databases]` (the default file is `"<name>.db"`); a relative
    /// path is resolved against `data_dir`.
    pub fn sqlite(&self, name: &str, data_dir: &Path) -> Option<SqliteSettings> {
        (self.kind == DatabaseKind::Sqlite).then(|| {
            let file = self
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("{name}.db")));
            SqliteSettings {
                path: if file.is_absolute() {
                    file
                } else {
                    data_dir.join(file)
                },
                busy_timeout: Duration::from_millis(
                    self.busy_timeout_ms
                        .unwrap_or(DEFAULT_SQLITE_BUSY_TIMEOUT_MS),
                ),
                max_connections: self
                    .max_connections
                    .unwrap_or(DEFAULT_SQLITE_MAX_CONNECTIONS)
                    .max(1),
            }
        })
    }

    /// Fills unset `host` and `port` with their defaults, unless `nodes` is used (then they
    /// stay unset) or the database is an embedded SQLite file (it has neither). Run by the
    /// loader after validation.
    pub(crate) fn resolve_address(&mut self) {
        if self.kind == DatabaseKind::Sqlite {
            return;
        }
        if self.nodes.is_empty() {
            if self.host.is_empty() {
                DEFAULT_HOST.clone_into(&mut self.host);
            }
            self.port = self.port();
        }
    }
}

/// `[databases.<name>] kind`: what the backend is, and so which front end reaches it.
///
/// Matches over this enum are exhaustive on purpose, so that a new kind shows every place
/// that must handle it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseKind {
    /// `"postgres"`: a PostgreSQL server, reached through `proxy.pg_listen`.
    #[default]
    Postgres,
    /// `"mysql"`: a MySQL or MariaDB server, reached through `proxy.mysql_listen`.
    Mysql,
    /// `"galera"`: a MariaDB/MySQL Galera cluster (`nodes`), reached through
    /// `proxy.mysql_listen`.
    Galera,
    /// `"sqlite"`: an embedded SQLite database file (`path`), served by the proxy itself over
    /// both `proxy.pg_listen` and `proxy.mysql_listen`.
    Sqlite,
}

impl DatabaseKind {
    /// The kind as written in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            DatabaseKind::Postgres => "postgres",
            DatabaseKind::Mysql => "mysql",
            DatabaseKind::Galera => "galera",
            DatabaseKind::Sqlite => "sqlite",
        }
    }

    /// The port used when `port` is not set: 5432 for PostgreSQL, 3306 for MySQL and Galera,
    /// `0` for SQLite (which has none).
    pub fn default_port(self) -> u16 {
        match self {
            DatabaseKind::Postgres => 5432,
            DatabaseKind::Mysql | DatabaseKind::Galera => 3306,
            DatabaseKind::Sqlite => 0,
        }
    }

    /// Whether the backend speaks the MySQL protocol (`mysql` and `galera`). False for
    /// `sqlite`, which both front ends serve.
    pub fn is_mysql(self) -> bool {
        matches!(self, DatabaseKind::Mysql | DatabaseKind::Galera)
    }

    /// Whether this is the embedded SQLite backend.
    pub fn is_sqlite(self) -> bool {
        self == DatabaseKind::Sqlite
    }

    /// Whether clients of `front_end` reach a database of this kind (SQLite: both).
    pub fn served_over(self, front_end: FrontEnd) -> bool {
        match front_end {
            FrontEnd::Postgres => matches!(self, DatabaseKind::Postgres | DatabaseKind::Sqlite),
            FrontEnd::Mysql => self.is_mysql() || self.is_sqlite(),
        }
    }
}

/// The two client-facing listeners; each has its own namespace of database names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontEnd {
    /// `proxy.pg_listen`.
    Postgres,
    /// `proxy.mysql_listen`.
    Mysql,
}

impl fmt::Display for FrontEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FrontEnd::Postgres => "PostgreSQL",
            FrontEnd::Mysql => "MySQL",
        })
    }
}

impl fmt::Display for DatabaseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The resolved Galera settings of a database; see [`DatabaseConfig::galera`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GaleraSettings {
    /// Whether a Donor/Desynced node (`wsrep_local_state = 2`) counts as usable.
    pub allow_donor: bool,
    /// `wsrep_sync_wait` to set on read sessions; `0` = leave it off.
    pub sync_wait: u8,
    /// How often each node's state is polled.
    pub check_interval: Duration,
    /// Consecutive failed polls after which a node is no longer usable (at least 1).
    pub max_failed_polls: u32,
}

/// The resolved settings of an embedded SQLite database; see [`DatabaseConfig::sqlite`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SqliteSettings {
    /// The database file (absolute, or relative to the working directory when `data_dir`
    /// is).
    pub path: PathBuf,
    /// How long a statement waits for the writer lock, a connection or a file lock.
    pub busy_timeout: Duration,
    /// Most connections open to the file at once (at least 1).
    pub max_connections: u32,
}

/// One backend server address: an entry of `nodes`, or `host`:`port`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BackendAddr {
    /// Host name or IP address (an IPv6 address without brackets).
    pub host: String,
    /// Port, not `0`.
    pub port: u16,
}

impl FromStr for BackendAddr {
    type Err = String;

    /// Parses `"host:port"` or `"[ipv6]:port"`.
    fn from_str(text: &str) -> Result<Self, String> {
        let expected = || format!("`{text}` is not \"host:port\" (or \"[ipv6]:port\")");
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, port) = rest.split_once("]:").ok_or_else(expected)?;
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("`{host}` in `{text}` is not an IPv6 address"));
            }
            (host, port)
        } else {
            let (host, port) = text.rsplit_once(':').ok_or_else(expected)?;
            if host.contains(':') {
                return Err(format!(
                    "`{text}`: write an IPv6 address in brackets, \"[{host}]:{port}\""
                ));
            }
            (host, port)
        };
        if host.trim().is_empty() || host.chars().any(char::is_whitespace) {
            return Err(expected());
        }
        match port.parse::<u16>() {
            Ok(0) | Err(_) => Err(format!(
                "`{text}`: the port must be an integer from 1 to 65535"
            )),
            Ok(port) => Ok(BackendAddr {
                host: host.to_owned(),
                port,
            }),
        }
    }
}

impl fmt::Display for BackendAddr {
    /// `host:port`, with brackets around an IPv6 address.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// `host` in the file: any non-blank string (empty in the struct means "not set").
fn non_empty_host<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let host = String::deserialize(deserializer)?;
    if host.trim().is_empty() {
        return Err(serde::de::Error::custom("must not be empty"));
    }
    Ok(host)
}

/// `port` in the file: `1..=65535` (`0` in the struct means "not set").
fn non_zero_port<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
    match u16::deserialize(deserializer)? {
        0 => Err(serde::de::Error::custom("must not be 0")),
        port => Ok(port),
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(port: &u16) -> bool {
    *port == 0
}

/// The result of [`Config::database_for`](crate::Config::database_for).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResolvedDb<'a> {
    /// The `[databases]` key that matched: the entry whose client-facing name the client
    /// asked for, or `"*"`.
    pub key: &'a str,
    /// The matched entry.
    pub config: &'a DatabaseConfig,
    /// Backend database to connect to: `dbname` if set, else the client's database name.
    pub backend_dbname: &'a str,
}

impl ResolvedDb<'_> {
    /// Whether the match came from the `"*"` wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.key == WILDCARD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_addrs() {
        let ok = |text: &str, host: &str, port: u16| {
            let addr: BackendAddr = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((addr.host.as_str(), addr.port), (host, port));
            assert_eq!(addr.to_string(), text);
        };
        ok("127.0.0.1:4306", "127.0.0.1", 4306);
        ok("db-1.internal:3306", "db-1.internal", 3306);
        ok("[::1]:3307", "::1", 3307);
        for bad in [
            "",
            "db1",
            ":3306",
            "db1:",
            "db1:0",
            "db1:70000",
            "db1:x",
            "::1:3306",
            "[::1]3306",
            "[db1]:3306",
            "a b:3306",
        ] {
            assert!(bad.parse::<BackendAddr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn resolved_host_port_and_galera() {
        let mut db = DatabaseConfig {
            kind: DatabaseKind::Mysql,
            ..DatabaseConfig::default()
        };
        assert_eq!((db.host(), db.port()), ("127.0.0.1", 3306));
        assert_eq!(db.galera(), None);
        db.resolve_address();
        assert_eq!((db.host.as_str(), db.port), ("127.0.0.1", 3306));

        let mut cluster = DatabaseConfig {
            kind: DatabaseKind::Galera,
            nodes: vec!["a:1".into(), "b:2".into()],
            galera_sync_wait: Some(3),
            ..DatabaseConfig::default()
        };
        cluster.resolve_address();
        assert_eq!((cluster.host.as_str(), cluster.port), ("", 0));
        assert_eq!(
            cluster.backends(),
            vec![
                BackendAddr {
                    host: "a".into(),
                    port: 1
                },
                BackendAddr {
                    host: "b".into(),
                    port: 2
                }
            ]
        );
        assert_eq!(
            cluster.galera(),
            Some(GaleraSettings {
                allow_donor: false,
                sync_wait: 3,
                check_interval: Duration::from_secs(1),
                max_failed_polls: DEFAULT_GALERA_MAX_FAILED_POLLS,
            })
        );
    }
}
