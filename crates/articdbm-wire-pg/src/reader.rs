//! A bounds-checked cursor over a message body: every read returns an error instead of panicking
//! when the peer sent fewer bytes than the field needs.

use bytes::Bytes;

use crate::error::WireError;

#[derive(Debug, Clone)]
pub(crate) struct Reader {
    buf: Bytes,
    pos: usize,
    message: &'static str,
}

impl Reader {
    pub(crate) fn new(buf: Bytes, message: &'static str) -> Self {
        Reader {
            buf,
            pos: 0,
            message,
        }
    }

    fn need(&self, n: usize) -> Result<(), WireError> {
        if self.buf.len() - self.pos < n {
            Err(WireError::malformed(self.message, "truncated"))
        } else {
            Ok(())
        }
    }

    pub(crate) fn u8(&mut self) -> Result<u8, WireError> {
        self.need(1)?;
        let v = self.buf[self.pos];
        self.pos += 1;
        Ok(v)
    }

    pub(crate) fn i16(&mut self) -> Result<i16, WireError> {
        self.need(2)?;
        let v = i16::from_be_bytes([self.buf[self.pos], self.buf[self.pos + 1]]);
        self.pos += 2;
        Ok(v)
    }

    /// An unsigned 16-bit count (PostgreSQL reads message counts with `pq_getmsgint(msg, 2)`,
    /// which is unsigned).
    pub(crate) fn u16(&mut self) -> Result<u16, WireError> {
        self.i16().map(|v| v as u16)
    }

    pub(crate) fn i32(&mut self) -> Result<i32, WireError> {
        self.need(4)?;
        let b = &self.buf[self.pos..self.pos + 4];
        self.pos += 4;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, WireError> {
        self.i32().map(|v| v as u32)
    }

    /// A NUL-terminated string, without its terminator (shares the buffer).
    pub(crate) fn cstr(&mut self) -> Result<Bytes, WireError> {
        let rest = &self.buf[self.pos..];
        let Some(nul) = rest.iter().position(|&b| b == 0) else {
            return Err(WireError::malformed(
                self.message,
                "missing string terminator",
            ));
        };
        let s = self.buf.slice(self.pos..self.pos + nul);
        self.pos += nul + 1;
        Ok(s)
    }

    /// A NUL-terminated string decoded as UTF-8.
    pub(crate) fn string(&mut self) -> Result<String, WireError> {
        let b = self.cstr()?;
        String::from_utf8(b.to_vec()).map_err(|_| WireError::NotUtf8 {
            message: self.message,
        })
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<Bytes, WireError> {
        self.need(n)?;
        let s = self.buf.slice(self.pos..self.pos + n);
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn rest(&mut self) -> Bytes {
        let s = self.buf.slice(self.pos..);
        self.pos = self.buf.len();
        s
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn finish(&self) -> Result<(), WireError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(WireError::malformed(self.message, "trailing bytes"))
        }
    }
}
