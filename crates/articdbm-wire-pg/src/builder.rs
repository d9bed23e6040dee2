//! Building outgoing messages in place: write the tag and a placeholder length, append fields,
//! then patch the length once the body is known. Appends into the caller's (reused) buffer.

use bytes::{BufMut, BytesMut};

/// Writes one message into `buf`; call [`MessageBuilder::finish`] to patch its length.
#[derive(Debug)]
pub struct MessageBuilder<'a> {
    buf: &'a mut BytesMut,
    start: usize,
}

impl<'a> MessageBuilder<'a> {
    /// Starts a typed message (`tag` is the message type byte).
    pub fn new(buf: &'a mut BytesMut, tag: u8) -> Self {
        buf.put_u8(tag);
        let start = buf.len();
        buf.put_u32(0);
        MessageBuilder { buf, start }
    }

    /// Starts an untyped message (startup, cancel, SSL request): length word first.
    pub fn untyped(buf: &'a mut BytesMut) -> Self {
        let start = buf.len();
        buf.put_u32(0);
        MessageBuilder { buf, start }
    }

    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.put_u8(v);
        self
    }

    pub fn i16(&mut self, v: i16) -> &mut Self {
        self.buf.put_i16(v);
        self
    }

    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.i16(v as i16)
    }

    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.buf.put_i32(v);
        self
    }

    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.put_u32(v);
        self
    }

    /// Appends a NUL-terminated string.
    pub fn cstr(&mut self, s: &[u8]) -> &mut Self {
        self.buf.put_slice(s);
        self.buf.put_u8(0);
        self
    }

    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.buf.put_slice(b);
        self
    }

    /// Patches the length word. Messages are far below 4 GiB by construction.
    pub fn finish(self) {
        let len = (self.buf.len() - self.start) as u32;
        self.buf[self.start..self.start + 4].copy_from_slice(&len.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_length() {
        let mut buf = BytesMut::new();
        let mut m = MessageBuilder::new(&mut buf, b'Q');
        m.cstr(b"SELECT 1");
        m.finish();
        assert_eq!(&buf[..], b"Q\0\0\0\x0dSELECT 1\0");
    }
}
