//! Packet framing: `int<3>` payload length + `int<1>` sequence id, payloads of 0xFFFFFF bytes
//! continued in the next packet (the 16 MiB split).
//!
//! [`PacketDecoder`] reassembles one *logical* packet at a time from a per-connection, reused
//! `BytesMut`. It checks the headers, refuses a logical packet larger than its maximum before
//! reserving memory for it, reserves at most [`RESERVE_STEP`] bytes ahead of what arrived, and
//! then `split_to`s the packet off: the resulting [`Packet`] shares the buffer's allocation and
//! keeps the wire bytes (headers included) for forwarding untouched. Only a split packet (more
//! than 16 MiB) has its payload copied into one contiguous piece.
//!
//! [`RawPackets`] walks the *physical* packets of a buffer by offset without consuming or
//! copying anything, for a proxy that forwards server bytes as they are.

use bytes::{Bytes, BytesMut};

use crate::error::WireError;

/// Size of a packet header.
pub const HEADER_LEN: usize = 4;
/// Largest payload of one physical packet; a payload of exactly this size continues in the
/// next packet.
pub const MAX_PAYLOAD: usize = 0xFF_FFFF;
/// The most memory reserved ahead of bytes actually received for a partial packet.
pub const RESERVE_STEP: usize = 256 * 1024;
/// Default maximum logical packet size (MySQL's default `max_allowed_packet`, 64 MiB).
pub const DEFAULT_MAX_PACKET: usize = 64 << 20;

/// The header of one physical packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketHeader {
    /// Payload length (0..=0xFFFFFF).
    pub len: usize,
    /// Sequence id.
    pub seq: u8,
}

impl PacketHeader {
    /// Reads the header at the start of `buf`, if four bytes are there.
    pub fn peek(buf: &[u8]) -> Option<PacketHeader> {
        let h = buf.get(..HEADER_LEN)?;
        Some(PacketHeader {
            len: usize::from(h[0]) | usize::from(h[1]) << 8 | usize::from(h[2]) << 16,
            seq: h[3],
        })
    }

    /// Whether the payload continues in the next physical packet.
    pub fn continues(&self) -> bool {
        self.len == MAX_PAYLOAD
    }

    /// Header plus payload size.
    pub fn total(&self) -> usize {
        HEADER_LEN + self.len
    }

    /// The four header bytes.
    pub fn to_bytes(self) -> [u8; 4] {
        let l = (self.len as u32).to_le_bytes();
        [l[0], l[1], l[2], self.seq]
    }
}

/// One logical packet as received.
#[derive(Clone, PartialEq, Eq)]
pub struct Packet {
    raw: Bytes,
    payload: Bytes,
    seq: u8,
    last_seq: u8,
}

impl std::fmt::Debug for Packet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packet")
            .field("seq", &self.seq)
            .field("last_seq", &self.last_seq)
            .field("len", &self.payload.len())
            .field("first", &self.payload.first())
            .finish()
    }
}

impl Packet {
    /// Sequence id of the (first) physical packet.
    pub fn seq(&self) -> u8 {
        self.seq
    }

    /// Sequence id of the last physical packet; the peer's next packet carries this + 1.
    pub fn last_seq(&self) -> u8 {
        self.last_seq
    }

    /// The logical payload (continuations joined).
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The first payload byte (the command byte of a request, OK/ERR/EOF marker of a reply).
    pub fn first(&self) -> Option<u8> {
        self.payload.first().copied()
    }

    /// The packet as received, headers included, ready to forward untouched.
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// Whether the payload spanned more than one physical packet.
    pub fn is_split(&self) -> bool {
        self.raw.len() != self.payload.len() + HEADER_LEN
    }

    pub fn into_payload(self) -> Bytes {
        self.payload
    }

    /// Builds a packet from the bytes of exactly one logical packet (headers included).
    pub fn from_raw(raw: Bytes) -> Result<Packet, WireError> {
        let decoder = PacketDecoder::new(usize::MAX);
        let mut buf = BytesMut::from(&raw[..]);
        match decoder.decode(&mut buf)? {
            Some(p) if buf.is_empty() => Ok(p),
            Some(_) => Err(WireError::malformed("packet", "trailing bytes")),
            None => Err(WireError::truncated("packet")),
        }
    }
}

/// Decodes logical packets from a reused buffer.
#[derive(Debug, Clone, Copy)]
pub struct PacketDecoder {
    max_len: usize,
}

/// Where the next logical packet ends, once its headers are known.
enum Scan {
    /// Need more bytes; at least this many in total.
    Partial(usize),
    /// Complete: total wire size, number of physical packets, payload size, last sequence id.
    Whole {
        total: usize,
        parts: usize,
        payload: usize,
        last_seq: u8,
    },
}

impl PacketDecoder {
    /// `max_len` bounds a logical payload; larger packets are refused as soon as their headers
    /// announce it, before any memory is reserved.
    pub fn new(max_len: usize) -> Self {
        PacketDecoder { max_len }
    }

    pub fn max_len(&self) -> usize {
        self.max_len
    }

    fn scan(&self, buf: &[u8]) -> Result<Scan, WireError> {
        let mut off = 0;
        let mut payload = 0usize;
        let mut parts = 0;
        let mut expected: Option<u8> = None;
        loop {
            let Some(h) = PacketHeader::peek(&buf[off..]) else {
                return Ok(Scan::Partial(off + HEADER_LEN));
            };
            if let Some(e) = expected
                && h.seq != e
            {
                return Err(WireError::BadSequence {
                    expected: e,
                    got: h.seq,
                });
            }
            payload += h.len;
            if payload > self.max_len {
                return Err(WireError::PacketTooLarge {
                    len: payload as u64,
                    max: self.max_len as u64,
                });
            }
            parts += 1;
            let end = off + h.total();
            if buf.len() < end {
                return Ok(Scan::Partial(end));
            }
            off = end;
            if !h.continues() {
                return Ok(Scan::Whole {
                    total: off,
                    parts,
                    payload,
                    last_seq: h.seq,
                });
            }
            expected = Some(h.seq.wrapping_add(1));
        }
    }

    /// Returns the next complete logical packet, `Ok(None)` when more bytes are needed (having
    /// reserved room for up to [`RESERVE_STEP`] more), or an error for a packet over the limit
    /// or a continuation with the wrong sequence id.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<Packet>, WireError> {
        match self.scan(buf)? {
            Scan::Partial(need) => {
                // Memory follows the bytes actually received, not what a header announced.
                buf.reserve((need - buf.len()).min(RESERVE_STEP));
                Ok(None)
            }
            Scan::Whole {
                total,
                parts,
                payload,
                last_seq,
            } => {
                let raw = buf.split_to(total).freeze();
                let seq = raw[3];
                let payload = if parts == 1 {
                    raw.slice(HEADER_LEN..)
                } else {
                    let mut joined = BytesMut::with_capacity(payload);
                    for p in RawPackets::new(&raw) {
                        joined.extend_from_slice(&raw[p.offset + HEADER_LEN..p.end()]);
                    }
                    joined.freeze()
                };
                Ok(Some(Packet {
                    raw,
                    payload,
                    seq,
                    last_seq,
                }))
            }
        }
    }

    /// Size in bytes (headers included) of the complete logical packet at the front of `buf`,
    /// or `None` while it is incomplete. Consumes and reserves nothing.
    pub fn peek_len(&self, buf: &[u8]) -> Result<Option<usize>, WireError> {
        Ok(match self.scan(buf)? {
            Scan::Partial(_) => None,
            Scan::Whole { total, .. } => Some(total),
        })
    }
}

/// One complete physical packet inside a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPacket {
    /// Offset of the header in the buffer.
    pub offset: usize,
    pub header: PacketHeader,
}

impl RawPacket {
    /// Offset just past the payload.
    pub fn end(&self) -> usize {
        self.offset + self.header.total()
    }

    /// The payload range in the buffer.
    pub fn payload_range(&self) -> std::ops::Range<usize> {
        self.offset + HEADER_LEN..self.end()
    }
}

/// Iterates over the complete physical packets at the start of a buffer, without copying;
/// stops at the first incomplete one ([`RawPackets::consumed`] tells where that starts).
#[derive(Debug, Clone)]
pub struct RawPackets<'a> {
    buf: &'a [u8],
    offset: usize,
}

impl<'a> RawPackets<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        RawPackets { buf, offset: 0 }
    }

    /// Bytes covered by the packets yielded so far.
    pub fn consumed(&self) -> usize {
        self.offset
    }
}

impl Iterator for RawPackets<'_> {
    type Item = RawPacket;

    fn next(&mut self) -> Option<RawPacket> {
        let header = PacketHeader::peek(&self.buf[self.offset..])?;
        if self.buf.len() - self.offset < header.total() {
            return None;
        }
        let p = RawPacket {
            offset: self.offset,
            header,
        };
        self.offset += header.total();
        Some(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_one_packet_and_waits_for_the_next() {
        let d = PacketDecoder::new(1024);
        let mut buf = BytesMut::from(&b"\x09\0\0\x00\x03SELECT 1\x01\0"[..]);
        let p = d.decode(&mut buf).unwrap().unwrap();
        assert_eq!(p.seq(), 0);
        assert_eq!(&p.payload()[..], b"\x03SELECT 1");
        assert_eq!(p.raw().len(), 13);
        assert!(!p.is_split());
        assert_eq!(&buf[..], b"\x01\0");
        assert!(d.decode(&mut buf).unwrap().is_none());
    }

    #[test]
    fn refuses_large_packets_before_reserving() {
        let d = PacketDecoder::new(1000);
        let mut buf = BytesMut::from(&b"\xff\xff\xff\x00"[..]);
        assert!(matches!(
            d.decode(&mut buf),
            Err(WireError::PacketTooLarge { .. })
        ));
        let d = PacketDecoder::new(DEFAULT_MAX_PACKET);
        let mut buf = BytesMut::from(&b"\xff\xff\xff\x00abc"[..]);
        assert!(d.decode(&mut buf).unwrap().is_none());
        assert!(buf.capacity() <= RESERVE_STEP + 64, "{}", buf.capacity());
    }

    #[test]
    fn reassembles_continuations_and_checks_their_sequence() {
        let mut wire = Vec::new();
        wire.extend_from_slice(
            &PacketHeader {
                len: MAX_PAYLOAD,
                seq: 7,
            }
            .to_bytes(),
        );
        wire.extend(std::iter::repeat_n(b'a', MAX_PAYLOAD));
        wire.extend_from_slice(&PacketHeader { len: 2, seq: 8 }.to_bytes());
        wire.extend_from_slice(b"bc");
        let d = PacketDecoder::new(DEFAULT_MAX_PACKET);
        let mut buf = BytesMut::from(&wire[..]);
        let p = d.decode(&mut buf).unwrap().unwrap();
        assert!(p.is_split());
        assert_eq!((p.seq(), p.last_seq()), (7, 8));
        assert_eq!(p.payload().len(), MAX_PAYLOAD + 2);
        assert_eq!(&p.payload()[MAX_PAYLOAD..], b"bc");
        assert_eq!(&p.raw()[..], &wire[..]);
        assert_eq!(RawPackets::new(&wire).count(), 2);

        wire[HEADER_LEN + MAX_PAYLOAD + 3] = 9;
        let mut buf = BytesMut::from(&wire[..]);
        assert_eq!(
            d.decode(&mut buf),
            Err(WireError::BadSequence {
                expected: 8,
                got: 9
            })
        );
        wire[HEADER_LEN + MAX_PAYLOAD + 3] = 8;
        let small = PacketDecoder::new(MAX_PAYLOAD + 1);
        let mut buf = BytesMut::from(&wire[..]);
        assert!(matches!(
            small.decode(&mut buf),
            Err(WireError::PacketTooLarge { .. })
        ));
    }

    #[test]
    fn raw_walk_stops_at_incomplete() {
        let buf = b"\x01\0\0\x01\xfe\x02\0\0\x02ab\x05\0\0\x03ab";
        let mut it = RawPackets::new(buf);
        let a = it.next().unwrap();
        let b = it.next().unwrap();
        assert_eq!((a.offset, a.end(), b.offset, b.end()), (0, 5, 5, 11));
        assert_eq!(&buf[b.payload_range()], b"ab");
        assert!(it.next().is_none());
        assert_eq!(it.consumed(), 11);
    }
}
