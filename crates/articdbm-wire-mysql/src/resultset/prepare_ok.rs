//! `COM_STMT_PREPARE_OK`: the statement id and how many parameter and column definitions
//! follow.

use bytes::{BufMut, BytesMut};

use crate::error::WireError;
use crate::reader::Reader;

const MSG: &str = "COM_STMT_PREPARE_OK";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StmtPrepareOk {
    pub statement_id: u32,
    pub num_columns: u16,
    pub num_params: u16,
    pub warnings: u16,
    /// `CLIENT_OPTIONAL_RESULTSET_METADATA`: 0 = no definitions follow, 1 = full.
    pub metadata_follows: Option<u8>,
}

impl StmtPrepareOk {
    pub fn decode(payload: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, MSG);
        if r.u8()? != 0x00 {
            return Err(WireError::malformed(MSG, "header is not 0x00"));
        }
        let mut ok = StmtPrepareOk {
            statement_id: r.u32()?,
            num_columns: r.u16()?,
            num_params: r.u16()?,
            ..Default::default()
        };
        if r.remaining() > 0 {
            r.u8()?; // reserved
            ok.warnings = r.u16()?;
            if r.remaining() > 0 {
                ok.metadata_follows = Some(r.u8()?);
            }
        }
        r.finish()?;
        Ok(ok)
    }

    pub fn write(&self, out: &mut BytesMut) {
        out.put_u8(0x00);
        out.put_u32_le(self.statement_id);
        out.put_u16_le(self.num_columns);
        out.put_u16_le(self.num_params);
        out.put_u8(0);
        out.put_u16_le(self.warnings);
        if let Some(m) = self.metadata_follows {
            out.put_u8(m);
        }
    }

    /// Whether parameter and column definitions follow.
    pub fn has_metadata(&self) -> bool {
        self.metadata_follows != Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let ok = StmtPrepareOk {
            statement_id: 3,
            num_columns: 2,
            num_params: 1,
            warnings: 0,
            metadata_follows: None,
        };
        let mut out = BytesMut::new();
        ok.write(&mut out);
        assert_eq!(out.len(), 12);
        assert_eq!(StmtPrepareOk::decode(&out).unwrap(), ok);
        assert!(StmtPrepareOk::decode(&out[..6]).is_err());
    }
}
