//! Errors of the authentication module: what went wrong, so the caller can pick the answer
//! (ERR 1045 / SQLSTATE 28000 "Access denied" on [`AuthError::BadPassword`], 08S01 for
//! protocol violations).

/// Everything that can go wrong while parsing verifiers or running an auth exchange.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The password (scramble, cleartext or decrypted) does not match the verifier.
    #[error("access denied: wrong password")]
    BadPassword,
    /// A stored verifier string is not in a format we understand.
    #[error("invalid password verifier: {0}")]
    InvalidVerifier(&'static str),
    /// The peer asked for an auth plugin we do not implement.
    #[error("unsupported authentication plugin {0:?}")]
    UnsupportedPlugin(String),
    /// An auth message did not follow the plugin's protocol.
    #[error("malformed authentication message: {0}")]
    Malformed(&'static str),
    /// A cleartext password would have to cross an insecure connection and no RSA key is
    /// available (or allowed).
    #[error("password cannot be sent: no TLS and no RSA public key")]
    InsecureTransport,
    /// RSA key parsing, encryption or decryption failed.
    #[error("RSA: {0}")]
    Rsa(&'static str),
    /// The server refused the login with an ERR packet (code and message).
    #[error("server refused authentication: {code} {message}")]
    Server { code: u16, message: String },
    /// A state-machine method was called out of order or after the exchange ended.
    #[error("authentication exchange used out of order: {0}")]
    OutOfOrder(&'static str),
}
