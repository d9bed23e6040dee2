//! The statement id of COM_STMT_EXECUTE / SEND_LONG_DATA / CLOSE / RESET / FETCH (and
//! MariaDB's COM_STMT_BULK_EXECUTE): read it, and rewrite it in place, since the proxy maps a
//! client's statement ids to each backend connection's own.
//!
//! The id is the four bytes after the command byte in all of them. In a raw packet (header
//! included) it sits at offset 5, also when the packet is split (the first physical packet is
//! then 16 MiB long).

use crate::error::WireError;
use crate::packet::HEADER_LEN;

use super::command::Command;

/// The commands that address a prepared statement by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementCommand {
    Execute,
    SendLongData,
    Close,
    Reset,
    Fetch,
    BulkExecute,
}

impl StatementCommand {
    pub fn of(payload: &[u8]) -> Option<StatementCommand> {
        Some(match Command::of(payload)? {
            Command::StmtExecute => StatementCommand::Execute,
            Command::StmtSendLongData => StatementCommand::SendLongData,
            Command::StmtClose => StatementCommand::Close,
            Command::StmtReset => StatementCommand::Reset,
            Command::StmtFetch => StatementCommand::Fetch,
            Command::StmtBulkExecute => StatementCommand::BulkExecute,
            _ => return None,
        })
    }
}

fn check(payload: &[u8]) -> Result<(), WireError> {
    if StatementCommand::of(payload).is_none() {
        return Err(WireError::malformed(
            "statement command",
            "not a statement command",
        ));
    }
    if payload.len() < 5 {
        return Err(WireError::truncated("statement command"));
    }
    Ok(())
}

/// The statement id of a statement command payload.
pub fn statement_id(payload: &[u8]) -> Result<u32, WireError> {
    check(payload)?;
    Ok(u32::from_le_bytes([
        payload[1], payload[2], payload[3], payload[4],
    ]))
}

/// Rewrites the statement id of a statement command payload in place.
pub fn set_statement_id(payload: &mut [u8], id: u32) -> Result<(), WireError> {
    check(payload)?;
    payload[1..5].copy_from_slice(&id.to_le_bytes());
    Ok(())
}

/// Rewrites the statement id of a raw packet (header included) in place.
pub fn set_statement_id_raw(packet: &mut [u8], id: u32) -> Result<(), WireError> {
    let payload = packet
        .get_mut(HEADER_LEN..)
        .ok_or(WireError::truncated("statement command"))?;
    set_statement_id(payload, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_rewrites() {
        let mut p = *b"\x17\x01\x00\x00\x00\x00\x01\x00\x00\x00";
        assert_eq!(statement_id(&p).unwrap(), 1);
        set_statement_id(&mut p, 0xdead_beef).unwrap();
        assert_eq!(statement_id(&p).unwrap(), 0xdead_beef);
        let mut raw = *b"\x05\x00\x00\x00\x19\x07\x00\x00\x00";
        set_statement_id_raw(&mut raw, 9).unwrap();
        assert_eq!(statement_id(&raw[4..]).unwrap(), 9);
        assert!(statement_id(b"\x19\x01").is_err());
        assert!(statement_id(b"\x03\x01\x00\x00\x00").is_err());
        assert!(set_statement_id_raw(&mut [0u8; 3], 1).is_err());
    }
}
