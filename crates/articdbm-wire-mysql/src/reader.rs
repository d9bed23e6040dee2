//! A bounds-checked little-endian cursor over a packet payload: every read returns an error
//! instead of panicking when the peer sent fewer bytes than the field needs. Slices borrow the
//! payload, so decoding copies nothing.

use crate::error::WireError;
use crate::lenenc;

#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    message: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], message: &'static str) -> Self {
        Reader {
            buf,
            pos: 0,
            message,
        }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.buf.len() - self.pos < n {
            return Err(WireError::truncated(self.message));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let s = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A length-encoded integer; the NULL marker (0xFB) and 0xFF are errors here.
    pub(crate) fn lenenc_int(&mut self) -> Result<u64, WireError> {
        let (v, n) = lenenc::decode_int(&self.buf[self.pos..])
            .map_err(|_| WireError::malformed(self.message, "bad length-encoded integer"))?;
        self.pos += n;
        Ok(v)
    }

    /// A length-encoded string.
    pub(crate) fn lenenc_bytes(&mut self) -> Result<&'a [u8], WireError> {
        let len = self.lenenc_int()?;
        let len = usize::try_from(len).map_err(|_| WireError::truncated(self.message))?;
        self.take(len)
    }

    /// A NUL-terminated string, without its terminator.
    pub(crate) fn cstr(&mut self) -> Result<&'a [u8], WireError> {
        let rest = &self.buf[self.pos..];
        let Some(nul) = rest.iter().position(|&b| b == 0) else {
            return Err(WireError::malformed(
                self.message,
                "missing string terminator",
            ));
        };
        self.pos += nul + 1;
        Ok(&rest[..nul])
    }

    /// A NUL-terminated string, or the rest of the payload when the terminator is missing
    /// (some servers end the handshake's plugin name at the end of the packet).
    pub(crate) fn cstr_or_rest(&mut self) -> &'a [u8] {
        let rest = &self.buf[self.pos..];
        match rest.iter().position(|&b| b == 0) {
            Some(nul) => {
                self.pos += nul + 1;
                &rest[..nul]
            }
            None => {
                self.pos = self.buf.len();
                rest
            }
        }
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn finish(&self) -> Result<(), WireError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(WireError::malformed(self.message, "trailing bytes"))
        }
    }
}

/// `sub` (a slice of `whole`'s memory) as a `Bytes` sharing `whole`'s allocation.
pub(crate) fn share(whole: &bytes::Bytes, sub: &[u8]) -> bytes::Bytes {
    if sub.is_empty() {
        bytes::Bytes::new()
    } else {
        whole.slice_ref(sub)
    }
}
