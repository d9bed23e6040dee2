//! Length-encoded integers and strings (`int<lenenc>`, `string<lenenc>`), NUL-terminated
//! strings, and a `BufMut` extension that writes them. Decoders take a slice and return the
//! value with the number of bytes it used; truncated input is an error, never a panic.

use bytes::BufMut;

use crate::error::WireError;

/// First byte of a length-encoded value that stands for SQL NULL in text rows.
pub const NULL_MARKER: u8 = 0xFB;

/// Decodes an `int<lenenc>` at the start of `buf`: `(value, bytes used)`.
///
/// `0xFB` (NULL in a row) and `0xFF` (an ERR header) are not integers and are refused.
pub fn decode_int(buf: &[u8]) -> Result<(u64, usize), WireError> {
    let t = || WireError::truncated("length-encoded integer");
    let first = *buf.first().ok_or_else(t)?;
    let width = match first {
        0..=0xFA => return Ok((u64::from(first), 1)),
        0xFC => 2,
        0xFD => 3,
        0xFE => 8,
        _ => {
            return Err(WireError::malformed(
                "length-encoded integer",
                "0xFB or 0xFF is not an integer",
            ));
        }
    };
    let bytes = buf.get(1..1 + width).ok_or_else(t)?;
    let mut le = [0u8; 8];
    le[..width].copy_from_slice(bytes);
    Ok((u64::from_le_bytes(le), 1 + width))
}

/// Decodes a `string<lenenc>` at the start of `buf`: `(string, bytes used)`.
pub fn decode_bytes(buf: &[u8]) -> Result<(&[u8], usize), WireError> {
    let (len, n) = decode_int(buf)?;
    let end = usize::try_from(len)
        .ok()
        .and_then(|l| l.checked_add(n))
        .filter(|&end| end <= buf.len())
        .ok_or(WireError::truncated("length-encoded string"))?;
    Ok((&buf[n..end], end))
}

/// Decodes a nullable `string<lenenc>` (a text-row field): `None` for the NULL marker.
pub fn decode_nullable(buf: &[u8]) -> Result<(Option<&[u8]>, usize), WireError> {
    if buf.first() == Some(&NULL_MARKER) {
        return Ok((None, 1));
    }
    decode_bytes(buf).map(|(s, n)| (Some(s), n))
}

/// Number of bytes `int<lenenc>` takes for `v`.
pub fn int_len(v: u64) -> usize {
    match v {
        0..=0xFA => 1,
        0xFB..=0xFFFF => 3,
        0x1_0000..=0xFF_FFFF => 4,
        _ => 9,
    }
}

/// Writing protocol fields into any `BufMut` (in practice the connection's `BytesMut`).
pub trait BufMutExt: BufMut {
    /// Appends an `int<lenenc>`.
    fn put_lenenc_int(&mut self, v: u64) {
        match v {
            0..=0xFA => self.put_u8(v as u8),
            0xFB..=0xFFFF => {
                self.put_u8(0xFC);
                self.put_u16_le(v as u16);
            }
            0x1_0000..=0xFF_FFFF => {
                self.put_u8(0xFD);
                self.put_uint_le(v, 3);
            }
            _ => {
                self.put_u8(0xFE);
                self.put_u64_le(v);
            }
        }
    }

    /// Appends a `string<lenenc>`.
    fn put_lenenc_bytes(&mut self, s: &[u8]) {
        self.put_lenenc_int(s.len() as u64);
        self.put_slice(s);
    }

    /// Appends a nullable `string<lenenc>` (NULL marker for `None`).
    fn put_lenenc_nullable(&mut self, s: Option<&[u8]>) {
        match s {
            Some(s) => self.put_lenenc_bytes(s),
            None => self.put_u8(NULL_MARKER),
        }
    }

    /// Appends a NUL-terminated string.
    fn put_cstr(&mut self, s: &[u8]) {
        self.put_slice(s);
        self.put_u8(0);
    }
}

impl<B: BufMut + ?Sized> BufMutExt for B {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_width() {
        for v in [
            0u64,
            250,
            251,
            0xFFFF,
            0x1_0000,
            0xFF_FFFF,
            0x100_0000,
            u64::MAX,
        ] {
            let mut b = Vec::new();
            b.put_lenenc_int(v);
            assert_eq!(b.len(), int_len(v));
            assert_eq!(decode_int(&b).unwrap(), (v, b.len()));
            for cut in 0..b.len() {
                assert!(decode_int(&b[..cut]).is_err());
            }
        }
    }

    #[test]
    fn strings_and_null() {
        let mut b = Vec::new();
        b.put_lenenc_bytes(b"abc");
        b.put_lenenc_nullable(None);
        assert_eq!(decode_bytes(&b).unwrap(), (&b"abc"[..], 4));
        assert_eq!(decode_nullable(&b[4..]).unwrap(), (None, 1));
        assert!(decode_bytes(&[5, b'a']).is_err());
        assert!(decode_bytes(&[0xFE, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode_int(&[0xFF]).is_err());
    }
}
