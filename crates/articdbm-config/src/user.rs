//! `[users.<name>]`: client accounts, and the shape check of their password verifiers.

use serde::{Deserialize, Serialize};

use crate::auth::AuthMethod;

/// One `[users.<name>]` entry: a client account of the proxy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserConfig {
    /// Password verifier, never a plaintext password: either
    /// `"SCRAM-SHA-256$<iterations>:<salt>$<stored_key>:<server_key>"` or `"md5"` followed by
    /// 32 lowercase hex digits. Make one with `articdbm hash-password`. Required (no default).
    pub password: String,
    /// Authentication method for this user. Default: the kind of `password`'s verifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<AuthMethod>,
    /// Client-facing databases this user may connect to. Default `[]` (any database).
    pub databases: Vec<String>,
    /// Most concurrent client connections for this user; at least 1. Default: unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
}

impl UserConfig {
    /// The method this user authenticates with: `method` if set, else the verifier's kind,
    /// else `fallback` (for a verifier of unknown shape, which validation rejects anyway).
    pub fn effective_method(&self, fallback: AuthMethod) -> AuthMethod {
        self.method
            .or_else(|| verifier_kind(&self.password))
            .unwrap_or(fallback)
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
    verifier.strip_prefix("md5").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
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
}
