//! COM_SET_OPTION: turn multi-statement support on or off for the session.

use bytes::{BufMut, BytesMut};

use crate::error::WireError;
use crate::reader::Reader;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOption {
    MultiStatementsOn,
    MultiStatementsOff,
    Other(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComSetOption {
    pub option: SetOption,
}

impl ComSetOption {
    pub fn decode(payload: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, "COM_SET_OPTION");
        if r.u8()? != 0x1B {
            return Err(WireError::malformed(
                "COM_SET_OPTION",
                "not a COM_SET_OPTION",
            ));
        }
        let option = match r.u16()? {
            0 => SetOption::MultiStatementsOn,
            1 => SetOption::MultiStatementsOff,
            o => SetOption::Other(o),
        };
        r.finish()?;
        Ok(ComSetOption { option })
    }

    pub fn write(&self, out: &mut BytesMut) {
        out.put_u8(0x1B);
        out.put_u16_le(match self.option {
            SetOption::MultiStatementsOn => 0,
            SetOption::MultiStatementsOff => 1,
            SetOption::Other(o) => o,
        });
    }
}
