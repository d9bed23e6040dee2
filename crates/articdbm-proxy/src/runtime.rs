//! The compiled form of a `Config` that the data plane reads on every connection: users with
//! parsed password verifiers, the TLS acceptor, and backend resolution. Built once per (re)load
//! and swapped atomically; sessions keep the snapshot they started with.

use std::collections::HashMap;
use std::str::FromStr;

use articdbm_config::{Config, PoolSettings, TlsMode, TlsVersion};
use articdbm_wire_pg::auth::PasswordVerifier;
use tokio_rustls::TlsAcceptor;

use crate::backend::pools::PoolKey;
use crate::backend::target::BackendTarget;
use crate::tls;

#[derive(Debug)]
pub struct RuntimeUser {
    pub name: String,
    pub verifier: PasswordVerifier,
    pub databases: Vec<String>,
    pub max_connections: Option<u32>,
}

impl RuntimeUser {
    pub fn may_use_database(&self, db: &str) -> bool {
        self.databases.is_empty() || self.databases.iter().any(|d| d == db)
    }
}

/// Where a client's (database, user) leads.
#[derive(Debug, Clone)]
pub struct Route {
    pub key: PoolKey,
    pub target: BackendTarget,
    pub settings: PoolSettings,
}

pub struct RuntimeConfig {
    pub config: Config,
    pub users: HashMap<String, RuntimeUser>,
    pub tls: Option<TlsAcceptor>,
    pub tls_required: bool,
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
    #[error("tls: {0}")]
    Tls(#[from] tls::TlsSetupError),
}

impl RuntimeConfig {
    pub fn build(config: Config) -> Result<Self, BuildError> {
        let mut users = HashMap::with_capacity(config.users.len());
        for (name, u) in &config.users {
            let verifier =
                PasswordVerifier::from_str(&u.password).map_err(|e| BuildError::Verifier {
                    user: name.clone(),
                    reason: e.to_string(),
                })?;
            users.insert(
                name.clone(),
                RuntimeUser {
                    name: name.clone(),
                    verifier,
                    databases: u.databases.clone(),
                    max_connections: u.max_connections,
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
        Ok(RuntimeConfig {
            config,
            users,
            tls,
            tls_required,
        })
    }

    /// Resolves the backend for a client's database and user name, `None` if no database matches.
    pub fn route(&self, client_db: &str, client_user: &str) -> Option<Route> {
        let resolved = self.config.database_for(client_db)?;
        let db = resolved.config;
        let user = db.backend_user(client_user).to_string();
        Some(Route {
            key: PoolKey {
                database: client_db.to_string(),
                user: user.clone(),
            },
            target: BackendTarget {
                host: db.host.clone(),
                port: db.port,
                database: resolved.backend_dbname.to_string(),
                user,
                password: db.password.clone(),
            },
            settings: self.config.pool_for(db),
        })
    }

    pub fn is_admin(&self, user: &str) -> bool {
        self.config.admin.users.iter().any(|u| u == user)
    }
}
