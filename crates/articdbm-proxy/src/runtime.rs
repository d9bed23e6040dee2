//! The compiled form of a `Config` that the data plane reads on every connection: users with
//! parsed password verifiers (PostgreSQL and MySQL), the TLS acceptor, the RSA key pair of
//! MySQL `caching_sha2_password` full authentication, and backend resolution for both front
//! ends. Built once per (re)load and swapped atomically; sessions keep the snapshot they
//! started with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use articdbm_config::{
    BackendAddr, Config, DatabaseConfig, DatabaseKind, FrontEnd, GaleraSettings, MysqlAuthPlugin,
    PoolSettings, ResolvedDb, TlsMode, TlsVersion,
};
use articdbm_wire_mysql::auth::{PasswordVerifier as MysqlVerifier, RsaKeyPair};
use articdbm_wire_pg::auth::PasswordVerifier;
use tokio_rustls::TlsAcceptor;

use crate::backend::pools::{NodeKey, PoolKey};
use crate::backend::target::BackendTarget;
use crate::tls;

/// File in `data_dir` holding the RSA private key of MySQL full authentication (PKCS#8 PEM).
pub const MYSQL_RSA_FILE: &str = "mysql_rsa.pem";
/// Size of a generated RSA key (MySQL's default).
const MYSQL_RSA_BITS: usize = 2048;

#[derive(Debug)]
pub struct RuntimeUser {
    pub name: String,
    /// PostgreSQL verifier (`password`); `None` for a MySQL-only user, who cannot log in over
    /// PostgreSQL.
    pub verifier: Option<PasswordVerifier>,
    /// MySQL verifier (`mysql_password`); `None` when not set: such a user logs in over MySQL
    /// only with `caching_sha2_password` full authentication, checked against `verifier`.
    pub mysql_verifier: Option<MysqlVerifier>,
    pub databases: Vec<String>,
    pub max_connections: Option<u32>,
    /// MySQL: the database of a login that names none (`users.<name>.default_database`).
    pub default_database: Option<String>,
}

impl RuntimeUser {
    pub fn may_use_database(&self, db: &str) -> bool {
        self.databases.is_empty() || self.databases.iter().any(|d| d == db)
    }

    /// Checks a cleartext password (MySQL full authentication) against every verifier this
    /// user has: the MySQL one, then the PostgreSQL SCRAM or md5 one.
    pub fn verify_cleartext(&self, password: &[u8]) -> bool {
        if self
            .mysql_verifier
            .as_ref()
            .is_some_and(|v| v.verify_password(password))
        {
            return true;
        }
        let Ok(text) = std::str::from_utf8(password) else {
            return false;
        };
        match &self.verifier {
            Some(PasswordVerifier::ScramSha256(v)) => v.verify_password(text),
            Some(PasswordVerifier::Md5(v)) => v.verify_password(&self.name, text),
            None => false,
        }
    }
}

/// Why a MySQL client's schema does not lead to a MySQL backend; each maps to the ERR the
/// client gets (code, SQLSTATE, and this Display as the message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MysqlRouteError {
    /// No schema given and not exactly one MySQL database configured (1046, 3D000).
    #[error("No database selected")]
    NoDatabaseSelected,
    /// No MySQL database of that name (1049, 42000).
    #[error("Unknown database '{0}'")]
    Unknown(String),
    /// The name is a PostgreSQL database (1049, 42000).
    #[error("Unknown database '{0}': it is a PostgreSQL database, served over the PostgreSQL port")]
    Postgres(String),
}

impl MysqlRouteError {
    /// MySQL error code: `ER_NO_DB_ERROR` (1046) or `ER_BAD_DB_ERROR` (1049).
    pub fn code(&self) -> u16 {
        match self {
            MysqlRouteError::NoDatabaseSelected => 1046,
            MysqlRouteError::Unknown(_) | MysqlRouteError::Postgres(_) => 1049,
        }
    }

    pub fn sqlstate(&self) -> &'static str {
        match self {
            MysqlRouteError::NoDatabaseSelected => "3D000",
            MysqlRouteError::Unknown(_) | MysqlRouteError::Postgres(_) => "42000",
        }
    }
}

/// Where a client's (database, user) leads.
#[derive(Debug, Clone)]
pub struct Route {
    pub key: PoolKey,
    pub target: BackendTarget,
    pub settings: PoolSettings,
    /// For a Galera cluster: its nodes and settings. `target` then names the first node; the
    /// session places it on the node the cluster's monitor chooses (see
    /// [`Route::on_galera_node`]).
    pub galera: Option<GaleraRoute>,
}

/// The cluster part of a [`Route`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaleraRoute {
    pub nodes: Vec<BackendAddr>,
    pub settings: GaleraSettings,
}

impl Route {
    /// This route moved to Galera node `addr` (writer, or reader when `reader`): the target
    /// has that node's host and port (and a reader's `wsrep_sync_wait`), the key names the
    /// node. `None` for a route that is not a Galera cluster or a node not in it.
    pub fn on_galera_node(&self, addr: &BackendAddr, reader: bool) -> Option<Route> {
        let galera = self.galera.as_ref()?;
        let addr = galera.nodes.iter().find(|n| *n == addr)?;
        let reader = reader && galera.settings.sync_wait > 0;
        let mut route = self.clone();
        route.target.host.clone_from(&addr.host);
        route.target.port = addr.port;
        route.target.mysql.sync_wait = if reader { galera.settings.sync_wait } else { 0 };
        route.key.node = Some(NodeKey {
            addr: addr.to_string(),
            reader,
        });
        Some(route)
    }
}

pub struct RuntimeConfig {
    pub config: Config,
    pub users: HashMap<String, RuntimeUser>,
    pub tls: Option<TlsAcceptor>,
    pub tls_required: bool,
    /// Plugin the MySQL handshake announces first (`auth.mysql_default_plugin`).
    pub mysql_default_plugin: MysqlAuthPlugin,
    /// RSA key pair of `caching_sha2_password` full authentication without TLS, made on first
    /// use (see [`RuntimeConfig::mysql_rsa_keys`]).
    mysql_rsa: OnceLock<Result<RsaKeyPair, String>>,
    /// The backend greeting the MySQL handshake mirrors, read on first use.
    pub(crate) mysql_greeting: OnceLock<crate::mysql::handshake::Greeting>,
}

impl std::fmt::Debug for RuntimeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeConfig")
            .field("users", &self.users.len())
            .field("databases", &self.config.databases.len())
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

/// A configuration that passed file validation but cannot be put into service.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("users.{user}.password: {reason}")]
    Verifier { user: String, reason: String },
    #[error("users.{user}.mysql_password: {reason}")]
    MysqlVerifier { user: String, reason: String },
    #[error("tls: {0}")]
    Tls(#[from] tls::TlsSetupError),
    #[error("databases.{database}: cannot open the SQLite database: {reason}")]
    Sqlite { database: String, reason: String },
}

impl RuntimeConfig {
    pub fn build(config: Config) -> Result<Self, BuildError> {
        let mut users = HashMap::with_capacity(config.users.len());
        for (name, u) in &config.users {
            let verifier = u
                .pg_password()
                .map(PasswordVerifier::from_str)
                .transpose()
                .map_err(|e| BuildError::Verifier {
                    user: name.clone(),
                    reason: e.to_string(),
                })?;
            let mysql_verifier = u
                .mysql_password
                .as_deref()
                .map(MysqlVerifier::from_str)
                .transpose()
                .map_err(|e| BuildError::MysqlVerifier {
                    user: name.clone(),
                    reason: e.to_string(),
                })?;
            users.insert(
                name.clone(),
                RuntimeUser {
                    name: name.clone(),
                    verifier,
                    mysql_verifier,
                    databases: u.databases.clone(),
                    max_connections: u.max_connections,
                    default_database: u.default_database.clone(),
                },
            );
        }
        let tls = match (&config.tls.mode, &config.tls.cert, &config.tls.key) {
            (TlsMode::Disabled, _, _) => None,
            (_, Some(cert), Some(key)) => Some(tls::acceptor(
                cert,
                key,
                config.tls.min_version == TlsVersion::V1_3,
            )?),
            _ => None,
        };
        let tls_required = config.tls.mode == TlsMode::Required;
        let mysql_default_plugin = config.auth.mysql_default_plugin;
        Ok(RuntimeConfig {
            config,
            users,
            tls,
            tls_required,
            mysql_default_plugin,
            mysql_rsa: OnceLock::new(),
            mysql_greeting: OnceLock::new(),
        })
    }

    /// The RSA key pair of MySQL full authentication: loaded from `data_dir/mysql_rsa.pem`
    /// if that file exists, else generated (2048 bits) and, when `data_dir` exists and is
    /// writable, stored there with mode 0600 for the next start; otherwise kept in memory
    /// only. Made once per configuration snapshot, on first use: this blocks (generation
    /// takes a moment), so call it from `spawn_blocking`.
    pub fn mysql_rsa_keys(&self) -> Result<&RsaKeyPair, String> {
        self.mysql_rsa
            .get_or_init(|| load_or_generate_rsa(&self.config.data_dir))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Resolves the backend for a PostgreSQL client's database and user name, `None` if no
    /// database matches. Does not look at the database's kind: the PostgreSQL front end
    /// refuses MySQL databases first (see [`RuntimeConfig::database_kind`]).
    pub fn route(&self, client_db: &str, client_user: &str) -> Option<Route> {
        let resolved = self.config.database_over(FrontEnd::Postgres, client_db)?;
        Some(build_route(&self.config, &resolved, client_db, client_user))
    }

    /// The backend whose greeting the MySQL handshake mirrors: the first server of the first
    /// MySQL-kind database (by name), `None` when there is none.
    pub fn mysql_probe_address(&self) -> Option<(String, u16)> {
        self.config
            .databases
            .values()
            .filter(|db| db.kind.is_mysql())
            .find_map(|db| db.backends().into_iter().next())
            .map(|addr| (addr.host, addr.port))
    }

    /// The kind of the database a client name resolves to (exact entry, else the wildcard).
    pub fn database_kind(&self, client_db: &str) -> Option<DatabaseKind> {
        self.config
            .database_over(FrontEnd::Postgres, client_db)
            .map(|resolved| resolved.config.kind)
    }

    /// Resolves the backend of a MySQL client: with a schema, its `[databases]` entry (or
    /// the `"*"` wildcard) if that is of kind `mysql` or `galera`; without one, the only
    /// MySQL-kind database when exactly one is configured.
    pub fn route_mysql(
        &self,
        schema: Option<&str>,
        client_user: &str,
    ) -> Result<Route, MysqlRouteError> {
        let Some(schema) = schema.filter(|s| !s.is_empty()) else {
            let mut mysql = self.config.databases.iter().filter(|(name, db)| {
                db.kind.is_mysql() && name.as_str() != articdbm_config::WILDCARD
            });
            return match (mysql.next(), mysql.next()) {
                (Some((key, db)), None) => {
                    let name = db.client_name(key);
                    self.config
                        .database_over(FrontEnd::Mysql, name)
                        .map(|resolved| build_route(&self.config, &resolved, name, client_user))
                        .ok_or(MysqlRouteError::NoDatabaseSelected)
                }
                _ => Err(MysqlRouteError::NoDatabaseSelected),
            };
        };
        match self.config.database_over(FrontEnd::Mysql, schema) {
            Some(resolved) if resolved.config.kind.is_mysql() => {
                Ok(build_route(&self.config, &resolved, schema, client_user))
            }
            Some(resolved) if !resolved.is_wildcard() => {
                Err(MysqlRouteError::Postgres(schema.to_owned()))
            }
            _ => Err(MysqlRouteError::Unknown(schema.to_owned())),
        }
    }

    pub fn is_admin(&self, user: &str) -> bool {
        self.config.admin.users.iter().any(|u| u == user)
    }
}

/// The pool key, target and settings of a resolved database for a client.
fn build_route(
    config: &Config,
    resolved: &ResolvedDb<'_>,
    client_db: &str,
    client_user: &str,
) -> Route {
    let db: &DatabaseConfig = resolved.config;
    let user = db.backend_user(client_user).to_string();
    // A Galera cluster's first node; the session moves to the node the monitor picks.
    let (host, port) = match db.backends().into_iter().next() {
        Some(addr) => (addr.host, addr.port),
        None => (db.host().to_owned(), db.port()),
    };
    Route {
        key: PoolKey {
            database: client_db.to_string(),
            user: user.clone(),
            variant: 0,
            node: None,
        },
        target: BackendTarget {
            host,
            port,
            database: resolved.backend_dbname.to_string(),
            user,
            password: db.password.clone(),
            mysql: Default::default(),
        },
        settings: config.pool_for(db),
        galera: db.galera().map(|settings| GaleraRoute {
            nodes: db.backends(),
            settings,
        }),
    }
}

/// See [`RuntimeConfig::mysql_rsa_keys`].
fn load_or_generate_rsa(data_dir: &Path) -> Result<RsaKeyPair, String> {
    let path = data_dir.join(MYSQL_RSA_FILE);
    match std::fs::read_to_string(&path) {
        Ok(pem) => {
            return RsaKeyPair::from_pem(&pem).map_err(|e| format!("{}: {e}", path.display()));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: {e}", path.display())),
    }
    let keys = RsaKeyPair::generate(MYSQL_RSA_BITS).map_err(|e| e.to_string())?;
    if data_dir.is_dir() {
        match keys.private_key_pem() {
            Ok(pem) => match store_private(&path, &pem) {
                Ok(()) => tracing::info!(path = %path.display(), "generated the MySQL RSA key"),
                Err(e) => tracing::warn!(
                    path = %path.display(),
                    error = %e,
                    "cannot store the MySQL RSA key; using it from memory"
                ),
            },
            Err(e) => tracing::warn!(error = %e, "cannot encode the MySQL RSA key"),
        }
    }
    Ok(keys)
}

/// Writes a private key readable by its owner only, never replacing an existing file (a
/// concurrent writer's key wins; this process keeps its own until the next start).
fn store_private(path: &Path, pem: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp: PathBuf = path.with_extension(format!("pem.{}.tmp", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    let written = file
        .write_all(pem.as_bytes())
        .and_then(|()| file.sync_all());
    drop(file);
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    linked
}
