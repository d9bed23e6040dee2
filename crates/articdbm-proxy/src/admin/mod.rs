//! The admin console's commands, independent of the wire protocol: each command is one file
//! implementing `AdminCommand` and returns a table (or an acknowledgement) that the protocol
//! front end renders. Reached by connecting to the admin database as a user listed in
//! `admin.users`.

mod reload;
mod show_clients;
mod show_help;
mod show_pools;
mod show_stats;
mod show_version;

use crate::state::LiveState;

/// The result of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminReply {
    Table {
        columns: Vec<&'static str>,
        rows: Vec<Vec<String>>,
        tag: String,
    },
    Done(String),
    Error(String),
}

impl AdminReply {
    fn table(columns: Vec<&'static str>, rows: Vec<Vec<String>>) -> Self {
        let tag = format!("SHOW {}", rows.len());
        AdminReply::Table { columns, rows, tag }
    }
}

pub trait AdminCommand: Send + Sync {
    /// Upper-case words of the command, e.g. `["SHOW", "POOLS"]`.
    fn words(&self) -> &'static [&'static str];
    fn summary(&self) -> &'static str;
    fn run(&self, state: &LiveState) -> AdminReply;
}

fn commands() -> &'static [&'static dyn AdminCommand] {
    &[
        &show_pools::ShowPools,
        &show_clients::ShowClients,
        &show_stats::ShowStats,
        &show_version::ShowVersion,
        &show_help::ShowHelp,
        &reload::Reload,
    ]
}

/// Runs one command line (case-insensitive, trailing `;` allowed).
pub fn execute(state: &LiveState, line: &str) -> AdminReply {
    let words: Vec<String> = line
        .trim()
        .trim_end_matches(';')
        .split_ascii_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    if words.is_empty() {
        return AdminReply::Done(String::new());
    }
    for c in commands() {
        if c.words()
            .iter()
            .copied()
            .eq(words.iter().map(String::as_str))
        {
            return c.run(state);
        }
    }
    AdminReply::Error(format!(
        "unknown admin command \"{}\"; try SHOW HELP",
        line.trim()
    ))
}
