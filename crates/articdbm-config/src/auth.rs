//! `[auth]`: client authentication defaults.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Smallest accepted `auth.scram_iterations` (RFC 7677's minimum).
pub const MIN_SCRAM_ITERATIONS: u32 = 4096;

/// The `[auth]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSection {
    /// Kind of verifier `articdbm hash-password` makes when none is asked for. (A user's own
    /// method is `users.<name>.method`, else the kind of its verifier.) Default
    /// `"scram-sha-256"`.
    pub default_method: AuthMethod,
    /// PBKDF2 iterations used by `articdbm hash-password` for new SCRAM verifiers; at least
    /// 4096. Default `4096`.
    pub scram_iterations: u32,
}

impl Default for AuthSection {
    fn default() -> Self {
        Self {
            default_method: AuthMethod::ScramSha256,
            scram_iterations: MIN_SCRAM_ITERATIONS,
        }
    }
}

/// A client authentication method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AuthMethod {
    /// `"scram-sha-256"`.
    #[default]
    #[serde(rename = "scram-sha-256")]
    ScramSha256,
    /// `"md5"` (legacy; prefer SCRAM).
    #[serde(rename = "md5")]
    Md5,
}

impl AuthMethod {
    /// The method as written in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ScramSha256 => "scram-sha-256",
            AuthMethod::Md5 => "md5",
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
