//! COM_INIT_DB: change the default schema (`USE db`).

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::WireError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComInitDb {
    schema: Bytes,
}

impl ComInitDb {
    pub fn decode(payload: &Bytes) -> Result<Self, WireError> {
        match payload.first() {
            Some(0x02) => Ok(ComInitDb {
                schema: payload.slice(1..),
            }),
            _ => Err(WireError::malformed("COM_INIT_DB", "not a COM_INIT_DB")),
        }
    }

    pub fn schema_bytes(&self) -> &Bytes {
        &self.schema
    }

    pub fn schema(&self) -> Result<&str, WireError> {
        std::str::from_utf8(&self.schema).map_err(|_| WireError::NotUtf8 {
            message: "COM_INIT_DB",
        })
    }

    pub fn write(out: &mut BytesMut, schema: &str) {
        out.put_u8(0x02);
        out.put_slice(schema.as_bytes());
    }
}
