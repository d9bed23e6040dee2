//! Errors of the authentication module: one enum that tells the caller what went wrong
//! (bad password, malformed message, unsupported feature) so it can pick the right
//! response to send (for a client: SQLSTATE 28P01 on [`AuthError::BadProof`], 08P01 on
//! protocol violations).

/// Everything that can go wrong while parsing verifiers or running a SCRAM/md5 exchange.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// A SCRAM message did not follow the grammar; the reason names the part that failed.
    #[error("malformed SCRAM message: {0}")]
    Malformed(&'static str),
    /// The client proof did not verify: wrong password (or unknown user in the mock flow).
    #[error("password authentication failed")]
    BadProof,
    /// The client asked for a SASL mechanism we do not offer.
    #[error("unsupported SASL mechanism {0:?}")]
    UnsupportedMechanism(String),
    /// A stored password verifier string is not in a format we understand.
    #[error("invalid password verifier: {0}")]
    InvalidVerifier(&'static str),
    /// The nonce in a later message is not the one agreed in the first exchange.
    #[error("SCRAM nonce mismatch")]
    NonceMismatch,
    /// The client requested channel binding (`p=` gs2 flag); we do not offer SCRAM-SHA-256-PLUS.
    #[error("channel binding requested but not supported")]
    ChannelBindingUnsupported,
    /// The `c=` attribute of client-final does not match the gs2 header of client-first.
    #[error("SCRAM channel binding data does not match the gs2 header")]
    ChannelBindingMismatch,
    /// Client side: the server's signature is wrong, so it does not know the password.
    #[error("invalid SCRAM server signature")]
    BadServerSignature,
    /// Client side: the server ended the exchange with `e=<reason>`.
    #[error("SCRAM server error: {0}")]
    ServerError(String),
    /// An iteration count outside `1..=MAX_ITERATIONS` (in a verifier or server-first message).
    #[error("SCRAM iteration count {0} out of range")]
    IterationCount(u64),
    /// A state-machine method was called out of order or after the exchange ended or failed.
    #[error("SCRAM exchange used out of order: {0}")]
    OutOfOrder(&'static str),
}
