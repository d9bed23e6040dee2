//! [`ConfigError`] and [`Problem`]: what went wrong, where (file line or environment
//! variable), for which key.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Where a problematic key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A line (1-based) in the config file.
    Line(usize),
    /// An environment variable overriding the file (`ARTICDBM_...`).
    Env(String),
    /// Neither: a default value, or a config built in code.
    Unknown,
}

/// One configuration problem: the full key path, where it was set, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Full dotted key path as in TOML, e.g. `databases.main.pool.size` or
    /// `databases."*".port`; empty for the document as a whole.
    pub key: String,
    /// Where the key was set.
    pub location: Location,
    /// What is wrong. Never contains a secret value.
    pub message: String,
}

impl Problem {
    /// A problem for `key` with no location yet (the loader fills it in).
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            location: Location::Unknown,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = if self.key.is_empty() {
            "(document)"
        } else {
            &self.key
        };
        match &self.location {
            Location::Line(line) => write!(f, "{key} (line {line}): {}", self.message),
            Location::Env(var) => write!(f, "{key} (from env {var}): {}", self.message),
            Location::Unknown => write!(f, "{key}: {}", self.message),
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is not valid TOML.
    #[error("{}:{line}:{column}: invalid TOML: {message}", source_name)]
    Parse {
        /// The file name (or `<string>`).
        source_name: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The configuration has one or more problems; all of them are listed.
    #[error("{}", display_problems(source_name, problems))]
    Invalid {
        /// The file name (or `<string>`, or `<defaults>` when no file was given).
        source_name: String,
        /// Every problem found, in the order found.
        problems: Vec<Problem>,
    },
}

impl ConfigError {
    /// The problems of an [`ConfigError::Invalid`]; empty for other variants.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

/// A header line, then one problem per line.
fn display_problems(source_name: &str, problems: &[Problem]) -> String {
    let count = problems.len();
    let plural = if count == 1 { "" } else { "s" };
    let mut out = format!("invalid configuration {source_name}: {count} problem{plural}");
    for problem in problems {
        out.push_str("\n  ");
        out.push_str(&problem.to_string());
    }
    out
}
