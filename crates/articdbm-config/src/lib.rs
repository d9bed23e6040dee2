//! ArticDBM proxy configuration: the typed TOML config with documented defaults, environment
//! overrides (`ARTICDBM_<SECTION>__<KEY>`), and validation that reports every problem at once
//! with its key path and line.
//!
//! ```
//! let config = articdbm_config::load_str(
//!     "[pool]\nsize = 50\n",
//!     &articdbm_config::Env::from_iter([("ARTICDBM_PROXY__PG_LISTEN", "0.0.0.0:7432")]),
//! )
//! .expect("valid");
//! assert_eq!(config.pool.size, 50);
//! assert_eq!(config.proxy.pg_listen.map(|a| a.port()), Some(7432));
//! ```
//!
//! Every key, default and environment name is listed in `docs/CONFIG.md`. Besides the
//! `ARTICDBM_*` overrides, `GALERA_MODE=true` turns every `kind = "mysql"` database that has
//! `nodes` into a Galera cluster.
#![forbid(unsafe_code)]

mod admin;
mod auth;
mod config;
mod database;
mod env;
mod error;
mod keypath;
mod listen;
mod loader;
mod logging;
mod pool;
mod proxy;
mod secret;
mod show;
mod spans;
mod tls;
mod tls_files;
mod user;
mod validate;

pub use admin::AdminSection;
pub use auth::{AuthMethod, AuthSection, MIN_SCRAM_ITERATIONS, MysqlAuthPlugin};
pub use config::Config;
pub use database::{
    BackendAddr, DEFAULT_GALERA_CHECK_INTERVAL_MS, DEFAULT_GALERA_MAX_FAILED_POLLS, DEFAULT_HOST,
    DEFAULT_SQLITE_BUSY_TIMEOUT_MS, DEFAULT_SQLITE_MAX_CONNECTIONS, DatabaseConfig, DatabaseKind,
    FrontEnd, GaleraSettings, MAX_GALERA_MAX_FAILED_POLLS, MAX_GALERA_SYNC_WAIT,
    MIN_GALERA_CHECK_INTERVAL_MS, ResolvedDb, SqliteSettings, WILDCARD,
};
pub use env::{ENV_PREFIX, Env, GALERA_MODE_VAR};
pub use error::{ConfigError, Location, Problem};
pub use listen::{LISTEN_FORM, parse_listen};
pub use loader::{load, load_str, validate_file};
pub use logging::{LogFormat, LoggingSection};
pub use pool::{PoolMode, PoolOverrides, PoolSettings};
pub use proxy::{MAX_CLIENT_MESSAGE_BYTES, MIN_CLIENT_MESSAGE_BYTES, ProxySection};
pub use secret::Secret;
pub use show::MASK;
pub use tls::{TlsMode, TlsSection, TlsVersion};
pub use user::{UserConfig, mysql_verifier_kind, verifier_kind};
