//! `articdbm`: the one binary. Parses the command line and hands off to a subcommand; exit codes
//! are 0 success, 1 runtime failure, 2 invalid configuration or usage.
#![forbid(unsafe_code)]

mod banner;
mod cli;
mod config_cmd;
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
        cli::Command::Config { action } => match action {
            cli::ConfigAction::Validate { file } => config_cmd::validate(&file),
            cli::ConfigAction::Show { file } => config_cmd::show(file),
        },
        cli::Command::HashPassword(args) => hash_password::run(args),
        cli::Command::Version => {
            println!("articdbm {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
    }
}
