//! `ReadyForQuery` ('Z'): the end of a request cycle, with the transaction status.

use bytes::BytesMut;

use crate::builder::MessageBuilder;
use crate::error::WireError;
use crate::frame::Frame;

use super::tag;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    /// 'I': not in a transaction block.
    Idle,
    /// 'T': in a transaction block.
    InTransaction,
    /// 'E': in a failed transaction block.
    Failed,
}

impl TransactionStatus {
    pub fn decode(frame: &Frame) -> Result<Self, WireError> {
        let body = frame.body();
        if body.len() != 1 {
            return Err(WireError::malformed(
                "ReadyForQuery",
                "body must be one byte",
            ));
        }
        Self::from_byte(body[0])
    }

    pub fn from_byte(b: u8) -> Result<Self, WireError> {
        match b {
            b'I' => Ok(TransactionStatus::Idle),
            b'T' => Ok(TransactionStatus::InTransaction),
            b'E' => Ok(TransactionStatus::Failed),
            _ => Err(WireError::malformed("ReadyForQuery", "unknown status")),
        }
    }

    pub fn byte(self) -> u8 {
        match self {
            TransactionStatus::Idle => b'I',
            TransactionStatus::InTransaction => b'T',
            TransactionStatus::Failed => b'E',
        }
    }

    pub fn write(self, buf: &mut BytesMut) {
        let mut m = MessageBuilder::new(buf, tag::READY_FOR_QUERY);
        m.u8(self.byte());
        m.finish();
    }
}
