//! Password authentication for the PostgreSQL protocol, both sides, pure (no I/O):
//! stored verifiers in `pg_authid` formats, SCRAM-SHA-256 server and client state
//! machines, and md5 challenge/response. The caller moves the bytes in and out of the
//! `Authentication*`, `SASLInitialResponse`, `SASLResponse` and `PasswordMessage` messages.

mod attr;
mod crypto;
mod error;
mod md5;
mod scram_client;
mod scram_server;
mod verifier;

pub use self::md5::md5_response;
pub use error::AuthError;
pub use scram_client::ScramClient;
pub use scram_server::{SASL_MECHANISMS, SCRAM_SHA_256, ScramServer, check_mechanism};
pub use verifier::{
    DEFAULT_ITERATIONS, MAX_ITERATIONS, Md5Verifier, PasswordVerifier, SALT_LEN, ScramVerifier,
};
