//! PostgreSQL md5 password authentication (`AuthenticationMD5Password`): the response a
//! client computes, and its verification on the server from the stored `md5` verifier
//! alone (no plaintext needed).

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use super::crypto;
use super::verifier::Md5Verifier;

/// The password a client sends in reply to `AuthenticationMD5Password` with `salt`:
/// `"md5" + hex(md5(hex(md5(password + user)) + salt))` (35 ASCII characters, no NUL).
pub fn md5_response(user: &str, password: &str, salt: [u8; 4]) -> String {
    Md5Verifier::generate(user, password).response(salt)
}

impl Md5Verifier {
    /// The response a client with this user/password would send for `salt`. The proxy can
    /// use it to log in to a backend knowing only the stored verifier (as pgbouncer does).
    pub fn response(&self, salt: [u8; 4]) -> String {
        let mut h = Md5::new();
        h.update(self.hex().as_bytes());
        h.update(salt);
        format!("md5{}", crypto::hex(&h.finalize()))
    }

    /// Checks a client's `PasswordMessage` payload against this verifier for `salt`, in
    /// constant time. One trailing NUL (the C-string terminator) is tolerated.
    pub fn verify_response(&self, response: &[u8], salt: [u8; 4]) -> bool {
        let response = response.strip_suffix(&[0]).unwrap_or(response);
        let expected = self.response(salt);
        bool::from(expected.as_bytes().ct_eq(response))
    }
}
