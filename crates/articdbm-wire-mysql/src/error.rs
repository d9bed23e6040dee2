//! Errors raised while framing or decoding MySQL protocol bytes.

use thiserror::Error;

/// A protocol violation in bytes received from a peer. Each variant says what was wrong so the
/// caller can answer with a precise ERR packet (usually 1158/08S01 "got an error reading
/// communication packets", or 1047/08S01 for an unknown command) before closing.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum WireError {
    /// A logical packet (after 16 MiB continuation packets are joined) would exceed the
    /// configured maximum. Refused before any memory is reserved for it.
    #[error("packet of at least {len} bytes exceeds the maximum of {max} bytes")]
    PacketTooLarge { len: u64, max: u64 },
    /// A continuation packet did not carry the next sequence id.
    #[error("packet sequence id {got} where {expected} was expected")]
    BadSequence { expected: u8, got: u8 },
    /// A message did not follow its layout; `reason` names the part that failed.
    #[error("malformed {message} packet: {reason}")]
    Malformed {
        message: &'static str,
        reason: &'static str,
    },
    /// A string that must be text is not valid UTF-8.
    #[error("string in {message} packet is not valid UTF-8")]
    NotUtf8 { message: &'static str },
    /// A packet that cannot come at this point of an exchange (response tracking).
    #[error("unexpected packet (first byte 0x{header:02x}) while {state}")]
    Unexpected { state: &'static str, header: u8 },
    /// A well-formed request this codec does not handle (a command whose response cannot be
    /// followed, an unknown column type, ...).
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
}

impl WireError {
    pub(crate) fn malformed(message: &'static str, reason: &'static str) -> Self {
        WireError::Malformed { message, reason }
    }

    pub(crate) fn truncated(message: &'static str) -> Self {
        WireError::Malformed {
            message,
            reason: "truncated",
        }
    }
}
