//! `articdbm`: the one binary. Parses the command line and hands off to a subcommand; exit codes
//! are 0 success, 1 runtime failure, 2 invalid configuration or usage.
#![forbid(unsafe_code)]

mod cli;
mod hash_password;
mod logging;
mod proxy_cmd;
mod quickstart;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.command {
        cli::Command::Proxy(args) => proxy_cmd::run(args),
        cli::Command::Config {
            action: cli::ConfigAction::Validate { file },
        } => match articdbm_config::validate_file(&file) {
            Ok(_) => {
                println!("{}: configuration is valid", file.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: invalid configuration\n{e}", file.display());
                ExitCode::from(2)
            }
        },
        cli::Command::HashPassword(args) => hash_password::run(args),
        cli::Command::Version => {
            println!("articdbm {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
    }
}
