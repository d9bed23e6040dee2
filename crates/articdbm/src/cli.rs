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
    /// Read a password from standard input and print its verifier for `[users.<name>].password`.
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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Method {
    #[value(name = "scram-sha-256")]
    ScramSha256,
    Md5,
}

#[derive(Debug, Args)]
pub struct HashPasswordArgs {
    #[arg(long, value_enum, default_value = "scram-sha-256")]
    pub method: Method,
    /// User name (md5 verifiers are salted with it).
    #[arg(long)]
    pub user: Option<String>,
    /// SCRAM iteration count.
    #[arg(long, default_value_t = 4096)]
    pub iterations: u32,
}
