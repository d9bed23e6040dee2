//! SCRAM-SHA-256 key derivation primitives shared by the server, the client and the
//! verifier (RFC 5802 section 3): `Hi`, `HMAC`, `H`, and base64 helpers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub(crate) const KEY_LEN: usize = 32;

pub(crate) type Key = [u8; KEY_LEN];

/// `HMAC-SHA-256(key, parts[0] || parts[1] || ...)`.
pub(crate) fn hmac(key: &[u8], parts: &[&[u8]]) -> Key {
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// `SHA-256(data)`.
pub(crate) fn sha256(data: &[u8]) -> Key {
    Sha256::digest(data).into()
}

/// `SaltedPassword := Hi(password, salt, i)` (PBKDF2-HMAC-SHA-256, one block).
pub(crate) fn salted_password(password: &[u8], salt: &[u8], iterations: u32) -> Key {
    pbkdf2::pbkdf2_hmac_array::<Sha256, KEY_LEN>(password, salt, iterations)
}

/// `(StoredKey, ServerKey)` derived from a salted password; also returns `ClientKey`.
pub(crate) fn derive_keys(salted: &Key) -> (Key, Key, Key) {
    let client_key = hmac(salted, &[b"Client Key"]);
    let stored_key = sha256(&client_key);
    let server_key = hmac(salted, &[b"Server Key"]);
    (client_key, stored_key, server_key)
}

pub(crate) fn xor(a: &Key, b: &Key) -> Key {
    let mut out = *a;
    for (o, x) in out.iter_mut().zip(b) {
        *o ^= x;
    }
    out
}

pub(crate) fn b64_encode(data: &[u8]) -> String {
    STANDARD.encode(data)
}

pub(crate) fn b64_decode(data: &[u8]) -> Option<Vec<u8>> {
    STANDARD.decode(data).ok()
}

/// Decodes base64 that must hold exactly one 32-byte key.
pub(crate) fn b64_decode_key(data: &[u8]) -> Option<Key> {
    b64_decode(data)?.try_into().ok()
}

/// 18 random bytes from the thread-local CSPRNG, base64-encoded (a SCRAM nonce, as PostgreSQL makes them).
pub(crate) fn random_nonce() -> String {
    b64_encode(&rand::random::<[u8; 18]>())
}

/// Lowercase hex of `data`.
pub(crate) fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(data.len() * 2);
    for b in data {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}
