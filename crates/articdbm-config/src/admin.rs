//! `[admin]`: the virtual admin console database.

use serde::{Deserialize, Serialize};

/// The `[admin]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSection {
    /// Name of the virtual database that opens the admin console instead of a backend. Must
    /// not be empty and must not also be a key of `[databases]`. Default `"articdbm_admin"`.
    pub database: String,
    /// Users (keys of `[users]`) allowed to connect to the admin console. Each must exist.
    /// Default `[]` (nobody).
    pub users: Vec<String>,
}

impl Default for AdminSection {
    fn default() -> Self {
        Self {
            database: "articdbm_admin".to_owned(),
            users: Vec::new(),
        }
    }
}
