//! Splitting a byte stream into typed messages (`tag`, `i32 length`, body) without copying.
//!
//! The decoder works on one per-connection `BytesMut`: it checks the header, waits until the
//! whole message is buffered and then `split_to`s it off as a `Frame`, which shares the buffer's
//! allocation. Forwarding a frame is writing `frame.as_bytes()`: nothing is re-encoded.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::WireError;

/// One complete protocol message: tag byte, length word and body, as received.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    bytes: Bytes,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("tag", &(self.tag() as char))
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Frame {
    /// Wraps bytes already known to hold exactly one message (tag + length + body).
    pub fn from_bytes(bytes: Bytes) -> Result<Self, WireError> {
        if bytes.len() < 5 {
            return Err(WireError::malformed("frame", "shorter than a header"));
        }
        let declared = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
        if declared + 1 != bytes.len() {
            return Err(WireError::malformed(
                "frame",
                "length word disagrees with size",
            ));
        }
        Ok(Frame { bytes })
    }

    /// The message type byte (`b'Q'`, `b'P'`, ...).
    pub fn tag(&self) -> u8 {
        self.bytes[0]
    }

    /// The message body, after the tag and the length word.
    pub fn body(&self) -> Bytes {
        self.bytes.slice(5..)
    }

    /// The whole message as received, ready to forward untouched.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// Total size on the wire.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The most memory reserved ahead of bytes actually received for a partial message.
pub const RESERVE_STEP: usize = 256 * 1024;

/// Decodes typed messages (everything after startup) from a reused buffer.
#[derive(Debug, Clone, Copy)]
pub struct FrameDecoder {
    max_len: u32,
}

impl FrameDecoder {
    /// `max_len` bounds the length word a peer may announce; larger messages are refused before
    /// any memory is reserved for them.
    pub fn new(max_len: u32) -> Self {
        FrameDecoder {
            max_len: max_len.max(4),
        }
    }

    pub fn max_len(&self) -> u32 {
        self.max_len
    }

    /// Returns the next complete message, `Ok(None)` when more bytes are needed (and reserves room
    /// for up to [`RESERVE_STEP`] more bytes of a partially received message), or an error for an
    /// impossible header.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<Frame>, WireError> {
        let Some(total) = self.peek_len(buf)? else {
            return Ok(None);
        };
        if buf.len() < total {
            // Reserve in steps: a peer that announces a large message gets memory only as it
            // actually sends the bytes, so announcing costs it nothing and us little.
            buf.reserve((total - buf.len()).min(RESERVE_STEP));
            return Ok(None);
        }
        Ok(Some(Frame {
            bytes: buf.split_to(total).freeze(),
        }))
    }

    /// Appends every complete message at the front of `buf` whose tag `pass` accepts to `out`,
    /// as received and without splitting it off as a [`Frame`]: a run of such messages costs
    /// one copy and no reference counting. Stops at the first message `pass` refuses and
    /// returns its total size, leaving it at the front of `buf` (take it with
    /// [`FrameDecoder::decode`] or look at it in place); `Ok(None)` once no complete message is
    /// left.
    pub fn pass_through(
        &self,
        buf: &mut BytesMut,
        out: &mut BytesMut,
        pass: impl Fn(u8) -> bool,
    ) -> Result<Option<usize>, WireError> {
        let mut run = 0;
        let result = loop {
            let Some(total) = self.peek_len_at(buf, run)? else {
                break None;
            };
            if buf.len() - run < total {
                buf.reserve((total - (buf.len() - run)).min(RESERVE_STEP));
                break None;
            }
            if !pass(buf[run]) {
                break Some(total);
            }
            run += total;
        };
        if run > 0 {
            out.extend_from_slice(&buf[..run]);
            buf.advance(run);
        }
        Ok(result)
    }

    /// Validates the header at the front of `buf` and returns the total message size, if the
    /// header is complete.
    pub fn peek_len(&self, buf: &BytesMut) -> Result<Option<usize>, WireError> {
        self.peek_len_at(buf, 0)
    }

    fn peek_len_at(&self, buf: &[u8], at: usize) -> Result<Option<usize>, WireError> {
        let Some(header) = buf.get(at..at + 5) else {
            return Ok(None);
        };
        let len = (&header[1..5]).get_u32();
        if len < 4 || len > self.max_len {
            return Err(WireError::BadLength {
                len: u64::from(len),
                min: 4,
                max: u64::from(self.max_len),
            });
        }
        Ok(Some(len as usize + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_whole_message_then_splits() {
        let d = FrameDecoder::new(1024);
        let mut buf = BytesMut::from(&b"Q\0\0\0\x0dSELECT 1\0Z"[..]);
        let f = d.decode(&mut buf).unwrap().unwrap();
        assert_eq!(f.tag(), b'Q');
        assert_eq!(&f.body()[..], b"SELECT 1\0");
        assert_eq!(&buf[..], b"Z");
        assert!(d.decode(&mut buf).unwrap().is_none());
    }

    #[test]
    fn pass_through_copies_runs_and_stops_at_refused_tags() {
        let d = FrameDecoder::new(1024);
        let mut buf = BytesMut::from(&b"T\0\0\0\x05xD\0\0\0\x04Z\0\0\0\x05IC\0\0"[..]);
        let mut out = BytesMut::new();
        let stop = d.pass_through(&mut buf, &mut out, |t| t != b'Z').unwrap();
        assert_eq!(stop, Some(6));
        assert_eq!(&out[..], b"T\0\0\0\x05xD\0\0\0\x04");
        let f = d.decode(&mut buf).unwrap().unwrap();
        assert_eq!(f.as_bytes().as_ref(), b"Z\0\0\0\x05I");
        // The cut message stays buffered; nothing of it is passed.
        assert_eq!(d.pass_through(&mut buf, &mut out, |_| true).unwrap(), None);
        assert_eq!(&buf[..], b"C\0\0");
        assert_eq!(out.len(), 11);
    }

    #[test]
    fn pass_through_refuses_bad_lengths_after_a_run() {
        let d = FrameDecoder::new(1024);
        let mut buf = BytesMut::from(&b"D\0\0\0\x04D\x7f\xff\xff\xff"[..]);
        let mut out = BytesMut::new();
        assert!(d.pass_through(&mut buf, &mut out, |_| true).is_err());
    }

    #[test]
    fn announcing_a_large_message_reserves_only_a_step() {
        let d = FrameDecoder::new(64 << 20);
        let mut buf = BytesMut::from(&b"Q\x03\xff\xff\xffSEL"[..]);
        assert!(d.decode(&mut buf).unwrap().is_none());
        assert!(
            buf.capacity() <= RESERVE_STEP + 64,
            "reserved {}",
            buf.capacity()
        );
    }

    #[test]
    fn refuses_oversized_and_undersized_lengths() {
        let d = FrameDecoder::new(1024);
        let mut big = BytesMut::from(&b"Q\x7f\xff\xff\xff"[..]);
        assert!(matches!(
            d.decode(&mut big),
            Err(WireError::BadLength { .. })
        ));
        let mut small = BytesMut::from(&b"Q\0\0\0\x03"[..]);
        assert!(d.decode(&mut small).is_err());
    }
}
