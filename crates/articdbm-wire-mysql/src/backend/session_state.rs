//! Session-state-change information carried by OK packets under `CLIENT_SESSION_TRACK`: a
//! sequence of `(type, lenenc data)` entries — system variables, schema, state change flag,
//! GTIDs, transaction characteristics and state. Parsed lazily without copying.

use crate::error::WireError;
use crate::lenenc;

/// `SESSION_TRACK_SYSTEM_VARIABLES`: data is name and value, both lenenc.
pub const SYSTEM_VARIABLES: u8 = 0;
/// `SESSION_TRACK_SCHEMA`: data is the new default schema, lenenc.
pub const SCHEMA: u8 = 1;
/// `SESSION_TRACK_STATE_CHANGE`: data is `"1"` when session state changed.
pub const STATE_CHANGE: u8 = 2;
/// `SESSION_TRACK_GTIDS`.
pub const GTIDS: u8 = 3;
/// `SESSION_TRACK_TRANSACTION_CHARACTERISTICS`: SQL that recreates them.
pub const TRANSACTION_CHARACTERISTICS: u8 = 4;
/// `SESSION_TRACK_TRANSACTION_STATE`: 8 characters describing the transaction.
pub const TRANSACTION_STATE: u8 = 5;

/// One entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionStateChange<'a> {
    pub kind: u8,
    /// The entry's data (its own lenenc wrapper removed).
    pub data: &'a [u8],
}

impl<'a> SessionStateChange<'a> {
    /// `(name, value)` of a system variable entry.
    pub fn system_variable(&self) -> Option<(&'a [u8], &'a [u8])> {
        if self.kind != SYSTEM_VARIABLES {
            return None;
        }
        let (name, n) = lenenc::decode_bytes(self.data).ok()?;
        let (value, _) = lenenc::decode_bytes(&self.data[n..]).ok()?;
        Some((name, value))
    }

    /// The new schema of a schema entry.
    pub fn schema(&self) -> Option<&'a [u8]> {
        (self.kind == SCHEMA)
            .then(|| lenenc::decode_bytes(self.data).ok().map(|(s, _)| s))
            .flatten()
    }

    /// The value of a state-change, transaction-state or characteristics entry.
    pub fn text(&self) -> Option<&'a [u8]> {
        lenenc::decode_bytes(self.data).ok().map(|(s, _)| s)
    }
}

/// Iterator over the entries; yields an error (once) for a truncated entry.
#[derive(Debug, Clone)]
pub struct SessionStateChanges<'a> {
    rest: &'a [u8],
}

impl<'a> SessionStateChanges<'a> {
    pub fn new(info: &'a [u8]) -> Self {
        SessionStateChanges { rest: info }
    }
}

impl<'a> Iterator for SessionStateChanges<'a> {
    type Item = Result<SessionStateChange<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (&kind, after) = self.rest.split_first()?;
        match lenenc::decode_bytes(after) {
            Ok((data, n)) => {
                self.rest = &after[n..];
                Some(Ok(SessionStateChange { kind, data }))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_variables_and_rejects_truncation() {
        let info = b"\x00\x0f\x0aautocommit\x03OFF\x05\x09\x08T_______";
        let v: Vec<_> = SessionStateChanges::new(info)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            v[0].system_variable(),
            Some((&b"autocommit"[..], &b"OFF"[..]))
        );
        assert_eq!(v[1].kind, TRANSACTION_STATE);
        assert_eq!(v[1].text(), Some(&b"T_______"[..]));
        let mut bad = SessionStateChanges::new(b"\x01\x05ab");
        assert!(bad.next().unwrap().is_err());
        assert!(bad.next().is_none());
    }
}
