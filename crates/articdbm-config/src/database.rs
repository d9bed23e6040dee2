//! `[databases.<name>]`: where a client-facing database name leads (backend host, port,
//! database, role, password source, pool overrides), and the result of looking one up.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::pool::PoolOverrides;
use crate::secret::Secret;

/// The key of `[databases]` that matches any client database name not listed explicitly.
pub const WILDCARD: &str = "*";

/// One `[databases.<name>]` entry. `<name>` is the database name clients ask for; the key
/// `"*"` is a wildcard that maps any unlisted name to the backend database of the same name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Backend host name or IP address. Must not be empty. Default `"127.0.0.1"`.
    pub host: String,
    /// Backend port; not `0`. Default `5432`.
    pub port: u16,
    /// Backend database name. Default: the key name (for `"*"`, the name the client asked
    /// for; setting it on `"*"` is an error).
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
    /// Overrides of `[pool]` for this database (`[databases.<name>.pool]`). Default: none.
    pub pool: PoolOverrides,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 5432,
            dbname: None,
            user: None,
            password_env: None,
            password_file: None,
            password: None,
            pool: PoolOverrides::default(),
        }
    }
}

impl DatabaseConfig {
    /// The backend role to log in as: `user` if set, else `client_user`.
    pub fn backend_user<'a>(&'a self, client_user: &'a str) -> &'a str {
        self.user.as_deref().unwrap_or(client_user)
    }
}

/// The result of [`Config::database_for`](crate::Config::database_for).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResolvedDb<'a> {
    /// The `[databases]` key that matched: the client's name itself, or `"*"`.
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
