//! Password authentication for the MySQL protocol, both sides, pure (no I/O):
//!
//! - [`scramble`]: nonces and the two scramble formulas (`mysql_native_password`: SHA-1,
//!   `caching_sha2_password`: SHA-256);
//! - [`verifier`]: stored verifiers (never plaintext) in a text format of our own, their
//!   derivation from a password, and constant-time verification;
//! - [`caching_sha2`]: the server side of `caching_sha2_password` (fast auth, full auth over
//!   TLS or with RSA);
//! - [`rsa_key`]: the server's RSA key pair (PEM public key, OAEP decryption) and the client's
//!   encryption of a password with a server's public key;
//! - [`client`]: the client side towards a real server (initial response, auth switch,
//!   fast/full auth), for the backend pool.
//!
//! The caller moves bytes in and out of HandshakeV10, HandshakeResponse41, AuthSwitchRequest,
//! AuthMoreData and the client's raw auth packets.

pub mod caching_sha2;
pub mod client;
mod error;
pub mod rsa_key;
pub mod scramble;
pub mod verifier;

pub use caching_sha2::{CachingSha2Server, ServerStep};
pub use client::{AuthClient, ClientStep};
pub use error::AuthError;
pub use rsa_key::{RsaKeyPair, encrypt_password};
pub use scramble::{NONCE_LEN, generate_nonce};
pub use verifier::{CachingSha2Verifier, NativeVerifier, PasswordVerifier};

/// `mysql_native_password`.
pub const MYSQL_NATIVE_PASSWORD: &str = "mysql_native_password";
/// `caching_sha2_password`.
pub const CACHING_SHA2_PASSWORD: &str = "caching_sha2_password";
/// `mysql_clear_password` (cleartext, only over TLS).
pub const MYSQL_CLEAR_PASSWORD: &str = "mysql_clear_password";
