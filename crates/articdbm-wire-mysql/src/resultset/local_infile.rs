//! LOCAL INFILE request (`0xFB` + file name): the server asks the client to send a file's
//! contents (then an empty packet) in reply to `LOAD DATA LOCAL INFILE`.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::WireError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalInfileRequest {
    pub filename: Bytes,
}

impl LocalInfileRequest {
    pub fn decode(payload: &Bytes) -> Result<Self, WireError> {
        match payload.first() {
            Some(0xFB) => Ok(LocalInfileRequest {
                filename: payload.slice(1..),
            }),
            _ => Err(WireError::malformed("LOCAL INFILE", "header is not 0xFB")),
        }
    }

    pub fn write(out: &mut BytesMut, filename: &[u8]) {
        out.put_u8(0xFB);
        out.put_slice(filename);
    }
}
