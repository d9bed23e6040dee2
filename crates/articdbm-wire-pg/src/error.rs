//! Errors raised while decoding PostgreSQL protocol bytes.

use thiserror::Error;

/// A protocol violation in bytes received from a peer. Each variant says what was wrong so the
/// caller can answer the peer with a precise `ErrorResponse` (SQLSTATE 08P01) before closing.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum WireError {
    #[error("message length {len} is invalid (must be between {min} and {max} bytes)")]
    BadLength { len: u64, min: u64, max: u64 },
    #[error("unsupported frontend protocol {major}.{minor}: server supports 3.0")]
    UnsupportedProtocol { major: u16, minor: u16 },
    #[error("malformed {message} message: {reason}")]
    Malformed {
        message: &'static str,
        reason: &'static str,
    },
    #[error("string in {message} message is not valid UTF-8")]
    NotUtf8 { message: &'static str },
}

impl WireError {
    pub(crate) fn malformed(message: &'static str, reason: &'static str) -> Self {
        WireError::Malformed { message, reason }
    }
}
