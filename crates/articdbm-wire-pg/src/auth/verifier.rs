//! Stored password verifiers in the exact text formats of PostgreSQL's `pg_authid.rolpassword`:
//! `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` and `md5<32 hex>`.
//! Parsing ([`std::str::FromStr`]), printing ([`std::fmt::Display`], round-trips) and
//! generation from a plaintext password. Secrets never appear in `Debug` output.
//!
//! Passwords are used as raw UTF-8 bytes; PostgreSQL first applies SASLprep (RFC 4013) to
//! SCRAM passwords. The two agree for every ASCII password (SASLprep leaves printable ASCII
//! unchanged, and PostgreSQL falls back to the raw bytes when it meets ASCII control
//! characters); a non-ASCII password that SASLprep would change (NFKC normalization, mapping
//! of soft hyphens or non-ASCII spaces) derives different keys here than in PostgreSQL.

use std::fmt;
use std::str::FromStr;

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use super::crypto::{self, Key};
use super::error::AuthError;

/// Iteration count PostgreSQL uses by default (`scram_iterations`).
pub const DEFAULT_ITERATIONS: u32 = 4096;
/// Largest iteration count accepted in a verifier or a server-first message.
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// Salt length of generated verifiers, as PostgreSQL (`SCRAM_DEFAULT_SALT_LEN`).
pub const SALT_LEN: usize = 16;

const SCRAM_PREFIX: &str = "SCRAM-SHA-256$";

/// A stored password verifier of either kind PostgreSQL keeps in `pg_authid`.
#[derive(Clone, Debug)]
pub enum PasswordVerifier {
    /// `SCRAM-SHA-256$...`
    ScramSha256(ScramVerifier),
    /// `md5...`
    Md5(Md5Verifier),
}

impl FromStr for PasswordVerifier {
    type Err = AuthError;

    /// Parses either stored format; plaintext or unknown formats are rejected.
    fn from_str(s: &str) -> Result<Self, AuthError> {
        if s.starts_with(SCRAM_PREFIX) {
            s.parse().map(Self::ScramSha256)
        } else if s.starts_with("md5") {
            s.parse().map(Self::Md5)
        } else {
            Err(AuthError::InvalidVerifier(
                "neither a SCRAM-SHA-256 nor an md5 verifier",
            ))
        }
    }
}

impl fmt::Display for PasswordVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ScramSha256(v) => v.fmt(f),
            Self::Md5(v) => v.fmt(f),
        }
    }
}

/// A SCRAM-SHA-256 verifier: iteration count, salt, StoredKey and ServerKey.
#[derive(Clone)]
pub struct ScramVerifier {
    iterations: u32,
    salt: Vec<u8>,
    stored_key: Key,
    server_key: Key,
}

impl ScramVerifier {
    /// Derives a verifier from `password` with a random 16-byte salt.
    ///
    /// `iterations` is clamped to `1..=MAX_ITERATIONS`. The password's raw bytes are used
    /// (no SASLprep, see the module documentation).
    pub fn generate(password: &str, iterations: u32) -> ScramVerifier {
        Self::with_salt(password, &rand::random::<[u8; SALT_LEN]>(), iterations)
    }

    /// Derives a verifier from `password` with the given salt (deterministic; for tests and
    /// reproducible fixtures). `iterations` is clamped to `1..=MAX_ITERATIONS`. The salt
    /// should not be empty: an empty salt does not parse back and clients refuse it.
    pub fn with_salt(password: &str, salt: &[u8], iterations: u32) -> ScramVerifier {
        let iterations = iterations.clamp(1, MAX_ITERATIONS);
        let salted = crypto::salted_password(password.as_bytes(), salt, iterations);
        let (_client_key, stored_key, server_key) = crypto::derive_keys(&salted);
        ScramVerifier {
            iterations,
            salt: salt.to_vec(),
            stored_key,
            server_key,
        }
    }

    /// The PBKDF2 iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The salt (not secret: it is sent to every client that asks).
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// Whether `password` matches this verifier (constant-time comparison of both keys).
    /// Costs one PBKDF2 run of `iterations()` rounds.
    pub fn verify_password(&self, password: &str) -> bool {
        let salted = crypto::salted_password(password.as_bytes(), &self.salt, self.iterations);
        let (_client_key, stored_key, server_key) = crypto::derive_keys(&salted);
        bool::from(stored_key.ct_eq(&self.stored_key) & server_key.ct_eq(&self.server_key))
    }

    pub(crate) fn stored_key(&self) -> &Key {
        &self.stored_key
    }

    pub(crate) fn server_key(&self) -> &Key {
        &self.server_key
    }

    pub(crate) fn from_parts(
        iterations: u32,
        salt: Vec<u8>,
        stored_key: Key,
        server_key: Key,
    ) -> Self {
        ScramVerifier {
            iterations,
            salt,
            stored_key,
            server_key,
        }
    }
}

impl FromStr for ScramVerifier {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, AuthError> {
        let rest = s
            .strip_prefix(SCRAM_PREFIX)
            .ok_or(AuthError::InvalidVerifier("missing SCRAM-SHA-256$ prefix"))?;
        let (params, keys) = rest
            .split_once('$')
            .ok_or(AuthError::InvalidVerifier("missing '$' before the keys"))?;
        let (iterations, salt) = params.split_once(':').ok_or(AuthError::InvalidVerifier(
            "missing ':' after the iteration count",
        ))?;
        let (stored_key, server_key) = keys
            .split_once(':')
            .ok_or(AuthError::InvalidVerifier("missing ':' between the keys"))?;

        if iterations.is_empty() || !iterations.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AuthError::InvalidVerifier(
                "iteration count is not a number",
            ));
        }
        let iterations: u64 = iterations
            .parse()
            .map_err(|_| AuthError::IterationCount(u64::MAX))?;
        let iterations = u32::try_from(iterations)
            .ok()
            .filter(|i| (1..=MAX_ITERATIONS).contains(i))
            .ok_or(AuthError::IterationCount(iterations))?;

        let salt = crypto::b64_decode(salt.as_bytes())
            .ok_or(AuthError::InvalidVerifier("salt is not valid base64"))?;
        if salt.is_empty() {
            return Err(AuthError::InvalidVerifier("salt is empty"));
        }
        let stored_key = crypto::b64_decode_key(stored_key.as_bytes()).ok_or(
            AuthError::InvalidVerifier("StoredKey is not 32 bytes of base64"),
        )?;
        let server_key = crypto::b64_decode_key(server_key.as_bytes()).ok_or(
            AuthError::InvalidVerifier("ServerKey is not 32 bytes of base64"),
        )?;
        Ok(Self::from_parts(iterations, salt, stored_key, server_key))
    }
}

impl fmt::Display for ScramVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{SCRAM_PREFIX}{}:{}${}:{}",
            self.iterations,
            crypto::b64_encode(&self.salt),
            crypto::b64_encode(&self.stored_key),
            crypto::b64_encode(&self.server_key),
        )
    }
}

impl fmt::Debug for ScramVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramVerifier")
            .field("iterations", &self.iterations)
            .field("salt_len", &self.salt.len())
            .field("stored_key", &"<redacted>")
            .field("server_key", &"<redacted>")
            .finish()
    }
}

/// An md5 verifier: `md5(password || username)`, which PostgreSQL stores as `md5<hex>`.
#[derive(Clone)]
pub struct Md5Verifier {
    hash: [u8; 16],
}

impl Md5Verifier {
    /// Computes the verifier PostgreSQL stores for `user` with `password`.
    pub fn generate(user: &str, password: &str) -> Md5Verifier {
        let mut h = Md5::new();
        h.update(password.as_bytes());
        h.update(user.as_bytes());
        Md5Verifier {
            hash: h.finalize().into(),
        }
    }

    /// Whether `password` for `user` matches this verifier (constant-time comparison).
    pub fn verify_password(&self, user: &str, password: &str) -> bool {
        bool::from(Self::generate(user, password).hash.ct_eq(&self.hash))
    }

    /// The 32 lowercase hex digits after the `md5` prefix (secret-equivalent: whoever has
    /// them can log in; see [`Md5Verifier::response`]).
    pub(crate) fn hex(&self) -> String {
        crypto::hex(&self.hash)
    }
}

impl FromStr for Md5Verifier {
    type Err = AuthError;

    /// Accepts exactly `md5` followed by 32 lowercase hex digits, like PostgreSQL.
    fn from_str(s: &str) -> Result<Self, AuthError> {
        let hex = s
            .strip_prefix("md5")
            .ok_or(AuthError::InvalidVerifier("missing md5 prefix"))?
            .as_bytes();
        if hex.len() != 32 {
            return Err(AuthError::InvalidVerifier(
                "md5 verifier must have 32 hex digits",
            ));
        }
        let mut hash = [0u8; 16];
        for (out, pair) in hash.iter_mut().zip(hex.chunks_exact(2)) {
            let (hi, lo) = match (hex_digit(pair[0]), hex_digit(pair[1])) {
                (Some(hi), Some(lo)) => (hi, lo),
                _ => {
                    return Err(AuthError::InvalidVerifier(
                        "md5 verifier must be lowercase hex",
                    ));
                }
            };
            *out = hi << 4 | lo;
        }
        Ok(Md5Verifier { hash })
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for Md5Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "md5{}", self.hex())
    }
}

impl fmt::Debug for Md5Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Md5Verifier")
            .field("hash", &"<redacted>")
            .finish()
    }
}
