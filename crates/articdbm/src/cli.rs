//! The command-line interface (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "articdbm",
    version,
    about = "ArticDBM: database security proxy"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy: PostgreSQL clients on `proxy.pg_listen` (default 127.0.0.1:6432),
    /// MySQL/MariaDB clients on `proxy.mysql_listen` (default 127.0.0.1:6033).
    Proxy(ProxyArgs),
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Read a password from standard input and print its verifier for `[users.<name>]`
    /// `password` (PostgreSQL) or `mysql_password` (MySQL); `--toml` prints both lines.
    HashPassword(HashPasswordArgs),
    /// Print the version.
    Version,
}

/// `articdbm proxy`: serves PostgreSQL and MySQL/MariaDB clients.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Configuration file (TOML). Without one, a quick-start setup in `data_dir` is used.
    #[arg(long, short, env = "ARTICDBM_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub overrides: Overrides,
}

/// Command-line settings that override the file and the environment: each sets the key its
/// `ARTICDBM_*` variable sets.
#[derive(Debug, Clone, Default, Args)]
pub struct Overrides {
    /// PostgreSQL listen address, "ip:port" or "localhost:port" ("" disables it); sets
    /// proxy.pg_listen like ARTICDBM_PROXY__PG_LISTEN.
    #[arg(long, value_name = "ADDR")]
    pub pg_listen: Option<String>,
    /// MySQL/MariaDB listen address, "ip:port" or "localhost:port" ("" disables it); sets
    /// proxy.mysql_listen like ARTICDBM_PROXY__MYSQL_LISTEN.
    #[arg(long, value_name = "ADDR")]
    pub mysql_listen: Option<String>,
    /// Directory for the proxy's state (quick-start setup, SQLite files); sets data_dir like
    /// ARTICDBM_DATA_DIR.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

impl Overrides {
    /// The process environment with these settings laid over it (a flag wins over its
    /// variable).
    pub fn env(&self) -> articdbm_config::Env {
        let mut env = articdbm_config::Env::from_process();
        if let Some(addr) = &self.pg_listen {
            env.set("ARTICDBM_PROXY__PG_LISTEN", addr.as_str());
        }
        if let Some(addr) = &self.mysql_listen {
            env.set("ARTICDBM_PROXY__MYSQL_LISTEN", addr.as_str());
        }
        if let Some(dir) = &self.data_dir {
            env.set("ARTICDBM_DATA_DIR", dir.to_string_lossy());
        }
        env
    }

    /// `message` with "from env VAR" said as "from --flag" for each variable a flag set.
    pub fn name_flags(&self, message: &str) -> String {
        let mut message = message.to_owned();
        for (given, var, flag) in [
            (
                self.pg_listen.is_some(),
                "ARTICDBM_PROXY__PG_LISTEN",
                "--pg-listen",
            ),
            (
                self.mysql_listen.is_some(),
                "ARTICDBM_PROXY__MYSQL_LISTEN",
                "--mysql-listen",
            ),
            (self.data_dir.is_some(), "ARTICDBM_DATA_DIR", "--data-dir"),
        ] {
            if given {
                message = message.replace(&format!("from env {var})"), &format!("from {flag})"));
            }
        }
        message
    }
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate a configuration file (with the current environment) and report every problem,
    /// loading the TLS certificate and key as the proxy does at start.
    Validate { file: PathBuf },
    /// Print the effective configuration (the file, or the quick-start setup without one,
    /// after environment overrides and defaults) as TOML, with password verifiers masked.
    Show {
        /// Configuration file; default: $ARTICDBM_CONFIG, else the quick-start file in
        /// data_dir if it exists, else the built-in defaults.
        #[arg(env = "ARTICDBM_CONFIG")]
        file: Option<PathBuf>,
    },
}

/// `articdbm hash-password --method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// PostgreSQL SCRAM-SHA-256 verifier, for `password`.
    #[value(name = "scram-sha-256")]
    ScramSha256,
    /// PostgreSQL md5 verifier (needs --user), for `password`.
    Md5,
    /// MySQL `mysql_native_password` verifier (`mysql_native$…`), for `mysql_password`.
    MysqlNative,
    /// MySQL `caching_sha2_password` verifier (`caching_sha2$…`), for `mysql_password`.
    CachingSha2,
}

/// `articdbm hash-password --mysql-method` (with `--toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MysqlMethod {
    /// `caching_sha2_password` (`caching_sha2$…`).
    CachingSha2,
    /// `mysql_native_password` (`mysql_native$…`).
    #[value(alias = "mysql-native")]
    Native,
}

#[derive(Debug, Args)]
pub struct HashPasswordArgs {
    /// Kind of verifier to print [default: scram-sha-256]. With --toml, the kind of the
    /// PostgreSQL `password` line (scram-sha-256 or md5).
    #[arg(long, value_enum)]
    pub method: Option<Method>,
    /// User name (md5 verifiers are salted with it).
    #[arg(long)]
    pub user: Option<String>,
    /// SCRAM iteration count.
    #[arg(long, default_value_t = 4096)]
    pub iterations: u32,
    /// Print ready-to-paste TOML lines for both protocols from the one password:
    /// `password = "…"` (PostgreSQL) and `mysql_password = "…"` (MySQL).
    #[arg(long)]
    pub toml: bool,
    /// With --toml: the kind of the `mysql_password` verifier.
    #[arg(long, value_enum, default_value = "caching-sha2", requires = "toml")]
    pub mysql_method: MysqlMethod,
}
