//! Stored password verifiers: what the proxy keeps instead of a password.
//!
//! Text formats (our own; parse with [`std::str::FromStr`], print with [`std::fmt::Display`],
//! both round-trip):
//!
//! | format | value | plugin |
//! | --- | --- | --- |
//! | `mysql_native$<40 lowercase hex>` | `SHA1(SHA1(password))` | `mysql_native_password` |
//! | `*<40 uppercase hex>` (parsed only) | the same value, as MySQL's `mysql.user.authentication_string` and `PASSWORD()` print it | `mysql_native_password` |
//! | `caching_sha2$<64 lowercase hex>` | `SHA256(SHA256(password))` | `caching_sha2_password` |
//!
//! Either value lets the server check a scramble without knowing the password, and a
//! cleartext password (full authentication) by hashing it twice. Like MySQL's own
//! `mysql_native_password` hash they are unsalted, and whoever holds one *and* records one
//! handshake with it can recover `SHA1(password)` / `SHA256(password)` and log in: store them
//! like secrets. Comparisons are constant-time (`subtle`). Secrets never appear in `Debug`.

use std::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;

use super::error::AuthError;
use super::scramble::{sha1, sha256, xor};

const NATIVE_PREFIX: &str = "mysql_native$";
const SHA2_PREFIX: &str = "caching_sha2$";

/// A stored verifier of either plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordVerifier {
    Native(NativeVerifier),
    CachingSha2(CachingSha2Verifier),
}

impl PasswordVerifier {
    /// The plugin whose handshake this verifier can check.
    pub fn plugin(&self) -> &'static str {
        match self {
            Self::Native(_) => super::MYSQL_NATIVE_PASSWORD,
            Self::CachingSha2(_) => super::CACHING_SHA2_PASSWORD,
        }
    }

    /// Checks a cleartext password (constant-time).
    pub fn verify_password(&self, password: &[u8]) -> bool {
        match self {
            Self::Native(v) => v.verify_password(password),
            Self::CachingSha2(v) => v.verify_password(password),
        }
    }
}

impl FromStr for PasswordVerifier {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, AuthError> {
        if s.starts_with(NATIVE_PREFIX) || s.starts_with('*') {
            s.parse().map(Self::Native)
        } else if s.starts_with(SHA2_PREFIX) {
            s.parse().map(Self::CachingSha2)
        } else {
            Err(AuthError::InvalidVerifier(
                "neither mysql_native$, * nor caching_sha2$",
            ))
        }
    }
}

impl fmt::Display for PasswordVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Native(v) => v.fmt(f),
            Self::CachingSha2(v) => v.fmt(f),
        }
    }
}

/// `mysql_native_password` verifier: `SHA1(SHA1(password))`.
#[derive(Clone, PartialEq, Eq)]
pub struct NativeVerifier {
    stage2: [u8; 20],
}

impl NativeVerifier {
    pub fn from_password(password: &[u8]) -> Self {
        NativeVerifier {
            stage2: sha1(&[&sha1(&[password])]),
        }
    }

    /// Checks the client's auth response for `nonce`: a 20-byte scramble, or an empty
    /// response, which matches only the verifier of the empty password.
    pub fn verify_scramble(&self, nonce: &[u8], response: &[u8]) -> bool {
        if response.is_empty() {
            let empty = sha1(&[&sha1(&[b""])]);
            return bool::from(self.stage2.ct_eq(&empty));
        }
        let Ok(response) = <[u8; 20]>::try_from(response) else {
            return false;
        };
        let stage1 = xor(&response, &sha1(&[nonce, &self.stage2]));
        bool::from(sha1(&[&stage1]).ct_eq(&self.stage2))
    }

    pub fn verify_password(&self, password: &[u8]) -> bool {
        bool::from(Self::from_password(password).stage2.ct_eq(&self.stage2))
    }

    /// MySQL's spelling (`*` + 40 uppercase hex digits), as in `mysql.user`.
    pub fn mysql_hash(&self) -> String {
        format!("*{}", hex(&self.stage2).to_ascii_uppercase())
    }
}

impl FromStr for NativeVerifier {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, AuthError> {
        let digits = if let Some(h) = s.strip_prefix(NATIVE_PREFIX) {
            if h.bytes().any(|b| b.is_ascii_uppercase()) {
                return Err(AuthError::InvalidVerifier("hex digits must be lowercase"));
            }
            h
        } else if let Some(h) = s.strip_prefix('*') {
            h
        } else {
            return Err(AuthError::InvalidVerifier("missing mysql_native$ prefix"));
        };
        Ok(NativeVerifier {
            stage2: unhex(digits).ok_or(AuthError::InvalidVerifier("expected 40 hex digits"))?,
        })
    }
}

impl fmt::Display for NativeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{NATIVE_PREFIX}{}", hex(&self.stage2))
    }
}

impl fmt::Debug for NativeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NativeVerifier(<redacted>)")
    }
}

/// `caching_sha2_password` verifier: `SHA256(SHA256(password))`.
#[derive(Clone, PartialEq, Eq)]
pub struct CachingSha2Verifier {
    stage2: [u8; 32],
}

impl CachingSha2Verifier {
    pub fn from_password(password: &[u8]) -> Self {
        CachingSha2Verifier {
            stage2: sha256(&[&sha256(&[password])]),
        }
    }

    /// Fast authentication: checks a 32-byte scramble for `nonce` (an empty response matches
    /// only the verifier of the empty password).
    pub fn verify_scramble(&self, nonce: &[u8], response: &[u8]) -> bool {
        if response.is_empty() {
            return self.is_empty_password();
        }
        let Ok(response) = <[u8; 32]>::try_from(response) else {
            return false;
        };
        let stage1 = xor(&response, &sha256(&[&self.stage2, nonce]));
        bool::from(sha256(&[&stage1]).ct_eq(&self.stage2))
    }

    /// Full authentication: checks the cleartext password.
    pub fn verify_password(&self, password: &[u8]) -> bool {
        bool::from(Self::from_password(password).stage2.ct_eq(&self.stage2))
    }

    pub(crate) fn is_empty_password(&self) -> bool {
        bool::from(self.stage2.ct_eq(&Self::from_password(b"").stage2))
    }
}

impl FromStr for CachingSha2Verifier {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, AuthError> {
        let h = s
            .strip_prefix(SHA2_PREFIX)
            .ok_or(AuthError::InvalidVerifier("missing caching_sha2$ prefix"))?;
        if h.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(AuthError::InvalidVerifier("hex digits must be lowercase"));
        }
        Ok(CachingSha2Verifier {
            stage2: unhex(h).ok_or(AuthError::InvalidVerifier("expected 64 hex digits"))?,
        })
    }
}

impl fmt::Display for CachingSha2Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SHA2_PREFIX}{}", hex(&self.stage2))
    }
}

impl fmt::Debug for CachingSha2Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CachingSha2Verifier(<redacted>)")
    }
}

fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(char::from(D[usize::from(x >> 4)]));
        s.push(char::from(D[usize::from(x & 15)]));
    }
    s
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.as_bytes();
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        let d = |c: u8| char::from(c).to_digit(16).map(|v| v as u8);
        *o = d(pair[0])? << 4 | d(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_and_reject_garbage() {
        for v in [
            PasswordVerifier::Native(NativeVerifier::from_password(b"pw")),
            PasswordVerifier::CachingSha2(CachingSha2Verifier::from_password(b"pw")),
        ] {
            let s = v.to_string();
            assert_eq!(s.parse::<PasswordVerifier>().unwrap(), v);
            assert!(v.verify_password(b"pw"));
            assert!(!v.verify_password(b"pW"));
            assert!(!format!("{v:?}").contains(&s[13..]));
        }
        for bad in [
            "",
            "mysql_native$",
            "mysql_native$zz",
            "caching_sha2$00",
            "*00",
            "plain",
            "mysql_native$2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19",
        ] {
            assert!(bad.parse::<PasswordVerifier>().is_err(), "{bad}");
        }
    }

    #[test]
    fn mysql_hash_spelling() {
        // SELECT PASSWORD('password') on MySQL 5.7 / MariaDB.
        let v = NativeVerifier::from_password(b"password");
        assert_eq!(v.mysql_hash(), "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
        let parsed: PasswordVerifier = "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19".parse().unwrap();
        assert_eq!(parsed, PasswordVerifier::Native(v));
    }
}
