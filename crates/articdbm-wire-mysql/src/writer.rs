//! Building outgoing packets in place: [`PacketWriter`] writes a placeholder header, lets the
//! caller append the payload straight into the connection's reused `BytesMut`, then patches the
//! length on [`PacketWriter::finish`], splitting payloads of 16 MiB and more into continuation
//! packets and advancing the sequence id once per physical packet.

use std::ops::{Deref, DerefMut};

use bytes::{BufMut, BytesMut};

use crate::packet::{HEADER_LEN, MAX_PAYLOAD, PacketHeader};

/// Writes one logical packet into `buf`; the payload is appended through `Deref<BytesMut>`
/// (with [`crate::lenenc::BufMutExt`] for protocol fields). Call [`PacketWriter::finish`].
#[derive(Debug)]
pub struct PacketWriter<'a> {
    buf: &'a mut BytesMut,
    start: usize,
    seq: &'a mut u8,
}

impl<'a> PacketWriter<'a> {
    /// Starts a packet with sequence id `*seq`; `finish` leaves `*seq` at the id the next
    /// packet of this exchange must carry.
    pub fn new(buf: &'a mut BytesMut, seq: &'a mut u8) -> Self {
        let start = buf.len();
        buf.put_bytes(0, HEADER_LEN);
        PacketWriter { buf, start, seq }
    }

    /// Payload bytes written so far.
    pub fn payload_len(&self) -> usize {
        self.buf.len() - self.start - HEADER_LEN
    }

    /// Patches the header(s). A payload of `MAX_PAYLOAD` bytes or more is cut into
    /// `MAX_PAYLOAD`-byte packets followed by a shorter (possibly empty) one; that moves the
    /// payload once, which only packets of 16 MiB and more pay for.
    pub fn finish(self) {
        let len = self.payload_len();
        if len < MAX_PAYLOAD {
            let h = PacketHeader {
                len,
                seq: *self.seq,
            };
            self.buf[self.start..self.start + HEADER_LEN].copy_from_slice(&h.to_bytes());
            *self.seq = self.seq.wrapping_add(1);
            return;
        }
        let payload = self.buf.split_off(self.start + HEADER_LEN);
        self.buf.truncate(self.start);
        self.buf.reserve(len + (len / MAX_PAYLOAD + 1) * HEADER_LEN);
        let mut chunks = payload.chunks(MAX_PAYLOAD);
        loop {
            let chunk = chunks.next().unwrap_or(&[]);
            let h = PacketHeader {
                len: chunk.len(),
                seq: *self.seq,
            };
            self.buf.put_slice(&h.to_bytes());
            self.buf.put_slice(chunk);
            *self.seq = self.seq.wrapping_add(1);
            if chunk.len() < MAX_PAYLOAD {
                break;
            }
        }
    }
}

impl Deref for PacketWriter<'_> {
    type Target = BytesMut;
    fn deref(&self) -> &BytesMut {
        self.buf
    }
}

impl DerefMut for PacketWriter<'_> {
    fn deref_mut(&mut self) -> &mut BytesMut {
        self.buf
    }
}

/// Writes `payload` as one logical packet (convenience over [`PacketWriter`]).
pub fn write_packet(buf: &mut BytesMut, seq: &mut u8, payload: &[u8]) {
    let mut w = PacketWriter::new(buf, seq);
    w.put_slice(payload);
    w.finish();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{DEFAULT_MAX_PACKET, PacketDecoder, RawPackets};

    #[test]
    fn patches_length_and_advances_sequence() {
        let mut buf = BytesMut::new();
        let mut seq = 3;
        write_packet(&mut buf, &mut seq, b"\x0e");
        assert_eq!(&buf[..], b"\x01\0\0\x03\x0e");
        assert_eq!(seq, 4);
    }

    #[test]
    fn splits_large_payloads() {
        for extra in [0usize, 1, MAX_PAYLOAD + 5] {
            let len = MAX_PAYLOAD + extra;
            let mut buf = BytesMut::from(&b"xx"[..]);
            let mut seq = 255;
            let mut w = PacketWriter::new(&mut buf, &mut seq);
            w.put_bytes(b'q', len);
            w.finish();
            let parts: Vec<_> = RawPackets::new(&buf[2..]).collect();
            assert_eq!(parts.len(), len / MAX_PAYLOAD + 1);
            assert_eq!(seq, 255u8.wrapping_add(parts.len() as u8));
            let mut rest = buf.split_off(2);
            let p = PacketDecoder::new(DEFAULT_MAX_PACKET)
                .decode(&mut rest)
                .unwrap()
                .unwrap();
            assert_eq!(p.payload().len(), len);
            assert_eq!(p.seq(), 255);
            assert!(rest.is_empty());
        }
    }
}
