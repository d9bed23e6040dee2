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
    /// Run the proxy (PostgreSQL wire protocol).
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

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Configuration file (TOML). Without one, a quick-start setup in `data_dir` is used.
    #[arg(long, short, env = "ARTICDBM_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate a configuration file (with the current environment) and report every problem.
    Validate { file: PathBuf },
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
