//! Nonces and scrambles.
//!
//! - `mysql_native_password`: `SHA1(pw) XOR SHA1(nonce || SHA1(SHA1(pw)))` (20 bytes);
//! - `caching_sha2_password`: `SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) || nonce)` (32 bytes).
//!
//! An empty password is sent as an empty response by both plugins.

use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Length of the nonce (auth plugin data) of both password plugins.
pub const NONCE_LEN: usize = 20;

/// A fresh 20-byte nonce as MySQL generates it: random printable-range bytes without NUL and
/// `$` (clients treat the nonce as a NUL-terminated string).
pub fn generate_nonce() -> [u8; NONCE_LEN] {
    let mut n: [u8; NONCE_LEN] = rand::random();
    for b in &mut n {
        *b &= 0x7F;
        if *b == 0 || *b == b'$' {
            *b += 1;
        }
    }
    n
}

pub(crate) fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

pub(crate) fn xor<const N: usize>(a: &[u8; N], b: &[u8; N]) -> [u8; N] {
    let mut out = [0u8; N];
    for i in 0..N {
        out[i] = a[i] ^ b[i];
    }
    out
}

/// `mysql_native_password` scramble of `password` for `nonce` (empty for an empty password).
pub fn native_scramble(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = sha1(&[password]);
    let stage2 = sha1(&[&stage1]);
    xor(&stage1, &sha1(&[nonce, &stage2])).to_vec()
}

/// `caching_sha2_password` scramble of `password` for `nonce` (empty for an empty password).
pub fn caching_sha2_scramble(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = sha256(&[password]);
    let stage2 = sha256(&[&stage1]);
    xor(&stage1, &sha256(&[&stage2, nonce])).to_vec()
}

/// `password || NUL` XOR the nonce repeated: what `caching_sha2_password` (and
/// `sha256_password`) encrypt with RSA.
pub fn xor_password_with_nonce(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(password.len() + 1);
    out.extend_from_slice(password);
    out.push(0);
    if !nonce.is_empty() {
        for (i, b) in out.iter_mut().enumerate() {
            *b ^= nonce[i % nonce.len()];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_have_no_nul_or_dollar() {
        for _ in 0..100 {
            let n = generate_nonce();
            assert!(n.iter().all(|&b| b != 0 && b != b'$' && b < 0x80));
        }
        assert_ne!(generate_nonce(), generate_nonce());
    }

    #[test]
    fn xor_with_nonce_is_an_involution() {
        let x = xor_password_with_nonce(b"secret", b"abc");
        assert_eq!(x.len(), 7);
        let mut back = x.clone();
        for (i, b) in back.iter_mut().enumerate() {
            *b ^= b"abc"[i % 3];
        }
        assert_eq!(&back[..], b"secret\0");
    }
}
