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
    /// The auth plugin the MySQL front end announces first in its handshake. A user whose
    /// `mysql_password` is of the other plugin is switched to it with an AuthSwitchRequest.
    /// Default `"caching_sha2_password"`.
    pub mysql_default_plugin: MysqlAuthPlugin,
}

impl Default for AuthSection {
    fn default() -> Self {
        Self {
            default_method: AuthMethod::ScramSha256,
            scram_iterations: MIN_SCRAM_ITERATIONS,
            mysql_default_plugin: MysqlAuthPlugin::CachingSha2Password,
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

/// A MySQL authentication plugin, named as on the wire (and in `auth.mysql_default_plugin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MysqlAuthPlugin {
    /// `"caching_sha2_password"` (SHA-256 based; MySQL 8's default).
    #[default]
    CachingSha2Password,
    /// `"mysql_native_password"` (SHA-1 based; the MariaDB and MySQL 5.x default).
    MysqlNativePassword,
}

impl MysqlAuthPlugin {
    /// The plugin name as on the wire and in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            MysqlAuthPlugin::CachingSha2Password => "caching_sha2_password",
            MysqlAuthPlugin::MysqlNativePassword => "mysql_native_password",
        }
    }
}

impl fmt::Display for MysqlAuthPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
