//! [`Config`]: the whole proxy configuration, and lookups over it (database by client name,
//! effective pool settings).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::admin::AdminSection;
use crate::auth::AuthSection;
use crate::database::{DatabaseConfig, FrontEnd, ResolvedDb, WILDCARD};
use crate::logging::LoggingSection;
use crate::pool::PoolSettings;
use crate::proxy::ProxySection;
use crate::tls::TlsSection;
use crate::user::UserConfig;

/// Top-level keys that are plain values rather than sections; only these can be set from a
/// single-segment environment variable (`ARTICDBM_DATA_DIR`).
pub(crate) const TOP_LEVEL_VALUES: &[&str] = &["data_dir"];

/// The proxy configuration (one TOML file). `Config::default()` is valid: it listens on
/// `127.0.0.1:6432` (PostgreSQL) and `127.0.0.1:6033` (MySQL) with no users and no databases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory for state the proxy keeps (last good config snapshot, embedded SQLite
    /// databases). Relative paths are relative to the working directory. Default
    /// `"./articdbm-data"`.
    pub data_dir: PathBuf,
    /// `[proxy]`: listener and client limits.
    pub proxy: ProxySection,
    /// `[tls]`: TLS for client connections.
    pub tls: TlsSection,
    /// `[pool]`: pool settings for every database unless overridden.
    pub pool: PoolSettings,
    /// `[admin]`: the admin console.
    pub admin: AdminSection,
    /// `[logging]`: log filter and format.
    pub logging: LoggingSection,
    /// `[auth]`: authentication defaults.
    pub auth: AuthSection,
    /// `[users.<name>]`: client accounts. Default: none.
    pub users: BTreeMap<String, UserConfig>,
    /// `[databases.<name>]`: client-facing databases; the key `"*"` matches any other name.
    /// Default: none.
    pub databases: BTreeMap<String, DatabaseConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./articdbm-data"),
            proxy: ProxySection::default(),
            tls: TlsSection::default(),
            pool: PoolSettings::default(),
            admin: AdminSection::default(),
            logging: LoggingSection::default(),
            auth: AuthSection::default(),
            users: BTreeMap::new(),
            databases: BTreeMap::new(),
        }
    }
}

impl Config {
    /// The effective pool settings of `db`: its `[databases.<name>.pool]` overrides laid over
    /// `[pool]`. For a MySQL-protocol database (`kind = "mysql"` or `"galera"`) the
    /// `reset_query` of `[pool]` (PostgreSQL's `DISCARD ALL` by default) does not apply: the
    /// proxy resets with COM_RESET_CONNECTION, and `reset_query` is `""` unless the database's
    /// own `[databases.<name>.pool]` sets one (run after COM_RESET_CONNECTION).
    pub fn pool_for(&self, db: &DatabaseConfig) -> PoolSettings {
        let mut settings = db.pool.apply(&self.pool);
        if db.kind.is_mysql() && db.pool.reset_query.is_none() {
            settings.reset_query.clear();
        }
        settings
    }

    /// The database entry for the database name a client asked for: the entry of that exact
    /// name, else the `"*"` wildcard entry, else `None`. The admin console database is not
    /// looked up here (compare with `admin.database` first).
    pub fn database_for<'a>(&'a self, client_db: &'a str) -> Option<ResolvedDb<'a>> {
        let (key, config) = self
            .databases
            .get_key_value(client_db)
            .or_else(|| self.databases.get_key_value(WILDCARD))?;
        let backend_dbname = config.dbname.as_deref().unwrap_or(client_db);
        Some(ResolvedDb {
            key: key.as_str(),
            config,
            backend_dbname,
        })
    }

    /// The database entry a client of `front_end` asking for `client_db` means: the entry
    /// served over `front_end` whose client-facing name (`name`, else the key) it is; else
    /// an entry of that name served over the other listener (so the client can be told
    /// where it is); else the `"*"` wildcard; else `None`.
    pub fn database_over<'a>(
        &'a self,
        front_end: FrontEnd,
        client_db: &'a str,
    ) -> Option<ResolvedDb<'a>> {
        let named = |served: bool| {
            self.databases.iter().find(|(key, db)| {
                key.as_str() != WILDCARD
                    && db.client_name(key) == client_db
                    && db.kind.served_over(front_end) == served
            })
        };
        let (key, config) = named(true)
            .or_else(|| named(false))
            .or_else(|| self.databases.get_key_value(WILDCARD))?;
        let backend_dbname = config.dbname.as_deref().unwrap_or(client_db);
        Some(ResolvedDb {
            key: key.as_str(),
            config,
            backend_dbname,
        })
    }
}
