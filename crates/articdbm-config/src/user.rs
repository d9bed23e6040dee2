//! `[users.<name>]`: client accounts, and the shape check of their password verifiers.

use serde::{Deserialize, Serialize};

use crate::auth::{AuthMethod, MysqlAuthPlugin};

/// One `[users.<name>]` entry: a client account of the proxy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserConfig {
    /// Password verifier for PostgreSQL clients, never a plaintext password: either
    /// `"SCRAM-SHA-256$<iterations>:<salt>$<stored_key>:<server_key>"` or `"md5"` followed by
    /// 32 lowercase hex digits. Make one with `articdbm hash-password`. Empty (the default)
    /// means not set: allowed only when `mysql_password` is set (a MySQL-only user, who
    /// cannot log in over PostgreSQL). Use [`UserConfig::pg_password`] to read it.
    pub password: String,
    /// Password verifier for MySQL clients: `"mysql_native$"` and 40 lowercase hex digits
    /// (`SHA1(SHA1(password))`, also accepted as MySQL's own `"*"` and 40 hex digits) or
    /// `"caching_sha2$"` and 64 lowercase hex digits (`SHA256(SHA256(password))`). Default:
    /// none; such a user can still log in over MySQL with `caching_sha2_password` full
    /// authentication over TLS, checked against `password`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mysql_password: Option<String>,
    /// Authentication method for this user. Default: the kind of `password`'s verifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<AuthMethod>,
    /// Client-facing databases this user may connect to. Default `[]` (any database).
    pub databases: Vec<String>,
    /// Most concurrent client connections for this user; at least 1. Default: unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    /// MySQL: the database a login that names none is put in, as if it had named this one
    /// (when several MySQL databases are configured). A key of `[databases]` served over
    /// MySQL (kind `mysql`, `galera` or `sqlite`) that `databases` allows. Default: none,
    /// such a login starts without a database (statements that need one get ERR 1046).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_database: Option<String>,
}

impl UserConfig {
    /// The method this user authenticates with: `method` if set, else the verifier's kind,
    /// else `fallback` (for a verifier of unknown shape, which validation rejects anyway).
    pub fn effective_method(&self, fallback: AuthMethod) -> AuthMethod {
        self.method
            .or_else(|| verifier_kind(&self.password))
            .unwrap_or(fallback)
    }

    /// The PostgreSQL verifier (`password`), `None` when it is not set (a MySQL-only user).
    pub fn pg_password(&self) -> Option<&str> {
        (!self.password.is_empty()).then_some(self.password.as_str())
    }

    /// The plugin of `mysql_password`'s verifier, `None` if it is not set (or malformed,
    /// which validation rejects).
    pub fn mysql_plugin(&self) -> Option<MysqlAuthPlugin> {
        self.mysql_password.as_deref().and_then(mysql_verifier_kind)
    }

    /// Whether this user may connect to the client-facing database `db`.
    pub fn may_use_database(&self, db: &str) -> bool {
        self.databases.is_empty() || self.databases.iter().any(|d| d == db)
    }
}

/// The kind of a password verifier judged by its shape alone (the real parsing lives in the
/// wire crate), or `None` if it is neither a SCRAM-SHA-256 nor an md5 verifier.
pub fn verifier_kind(verifier: &str) -> Option<AuthMethod> {
    if is_scram_shape(verifier) {
        Some(AuthMethod::ScramSha256)
    } else if is_md5_shape(verifier) {
        Some(AuthMethod::Md5)
    } else {
        None
    }
}

/// The plugin of a MySQL password verifier judged by its shape alone (the real parsing
/// lives in the wire crate), or `None` if it is neither a `mysql_native$`/`*` nor a
/// `caching_sha2$` verifier.
pub fn mysql_verifier_kind(verifier: &str) -> Option<MysqlAuthPlugin> {
    if let Some(hex) = verifier.strip_prefix("mysql_native$") {
        is_lower_hex(hex, 40).then_some(MysqlAuthPlugin::MysqlNativePassword)
    } else if let Some(hex) = verifier.strip_prefix('*') {
        (hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(MysqlAuthPlugin::MysqlNativePassword)
    } else if let Some(hex) = verifier.strip_prefix("caching_sha2$") {
        is_lower_hex(hex, 64).then_some(MysqlAuthPlugin::CachingSha2Password)
    } else {
        None
    }
}

/// Exactly `len` lowercase hex digits.
fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `SCRAM-SHA-256$<iterations>:<salt>$<stored_key>:<server_key>` with a positive decimal
/// iteration count and non-empty other parts.
fn is_scram_shape(verifier: &str) -> bool {
    let Some(rest) = verifier.strip_prefix("SCRAM-SHA-256$") else {
        return false;
    };
    let Some((params, keys)) = rest.split_once('$') else {
        return false;
    };
    if keys.contains('$') {
        return false;
    }
    let (Some((iterations, salt)), Some((stored, server))) =
        (params.split_once(':'), keys.split_once(':'))
    else {
        return false;
    };
    !iterations.is_empty()
        && iterations.bytes().all(|b| b.is_ascii_digit())
        && iterations.bytes().any(|b| b != b'0')
        && !salt.is_empty()
        && !stored.is_empty()
        && !server.is_empty()
}

/// `md5` followed by exactly 32 lowercase hex digits.
fn is_md5_shape(verifier: &str) -> bool {
    verifier
        .strip_prefix("md5")
        .is_some_and(|hex| is_lower_hex(hex, 32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let scram = "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy";
        assert_eq!(verifier_kind(scram), Some(AuthMethod::ScramSha256));
        assert_eq!(
            verifier_kind("md5d41d8cd98f00b204e9800998ecf8427e"),
            Some(AuthMethod::Md5)
        );
        for bad in [
            "",
            "hunter2",
            "md5D41D8CD98F00B204E9800998ECF8427E",
            "md5d41d8cd98f00b204e9800998ecf8427",
            "SCRAM-SHA-256$4096:salt",
            "SCRAM-SHA-256$4096:salt$stored",
            "SCRAM-SHA-256$x:salt$stored:server",
            "SCRAM-SHA-256$0:salt$stored:server",
            "SCRAM-SHA-256$4096:salt$stored:server$extra",
        ] {
            assert_eq!(verifier_kind(bad), None, "{bad}");
        }
    }

    #[test]
    fn mysql_shapes() {
        let native = format!("mysql_native${}", "0a".repeat(20));
        let star = format!("*{}", "0A".repeat(20));
        let sha2 = format!("caching_sha2${}", "f1".repeat(32));
        assert_eq!(
            mysql_verifier_kind(&native),
            Some(MysqlAuthPlugin::MysqlNativePassword)
        );
        assert_eq!(
            mysql_verifier_kind(&star),
            Some(MysqlAuthPlugin::MysqlNativePassword)
        );
        assert_eq!(
            mysql_verifier_kind(&sha2),
            Some(MysqlAuthPlugin::CachingSha2Password)
        );
        for bad in [
            String::new(),
            "hunter2".to_owned(),
            format!("mysql_native${}", "0A".repeat(20)),
            format!("mysql_native${}", "0a".repeat(19)),
            format!("mysql_native${}", "0a".repeat(32)),
            format!("*{}", "0g".repeat(20)),
            format!("caching_sha2${}", "F1".repeat(32)),
            format!("caching_sha2${}", "f1".repeat(20)),
            format!("caching_sha2${}x", "f1".repeat(32)),
            format!("md5{}", "0a".repeat(16)),
        ] {
            assert_eq!(mysql_verifier_kind(&bad), None, "{bad}");
        }
    }

    #[test]
    fn accessors() {
        let sha2 = format!("caching_sha2${}", "f1".repeat(32));
        let user = UserConfig {
            mysql_password: Some(sha2),
            ..UserConfig::default()
        };
        assert_eq!(user.pg_password(), None);
        assert_eq!(
            user.mysql_plugin(),
            Some(MysqlAuthPlugin::CachingSha2Password)
        );
        let user = UserConfig {
            password: "md5d41d8cd98f00b204e9800998ecf8427e".to_owned(),
            ..UserConfig::default()
        };
        assert_eq!(user.pg_password(), Some(user.password.as_str()));
        assert_eq!(user.mysql_plugin(), None);
    }
}
