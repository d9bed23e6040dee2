//! `[logging]`: log level filter and output format.

use serde::{Deserialize, Serialize};

/// The `[logging]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingSection {
    /// Log filter: a level (`"trace"`, `"debug"`, `"info"`, `"warn"`, `"error"`, `"off"`) or
    /// `tracing` env-filter directives such as `"info,articdbm_proxy=debug"`. Default `"info"`.
    pub level: String,
    /// `"text"` (human readable) or `"json"` (one object per line). Default `"text"`.
    pub format: LogFormat,
}

impl Default for LoggingSection {
    fn default() -> Self {
        Self {
            level: "info".to_owned(),
            format: LogFormat::Text,
        }
    }
}

/// `logging.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `"text"`: human-readable lines.
    #[default]
    Text,
    /// `"json"`: one JSON object per line.
    Json,
}
