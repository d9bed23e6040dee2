//! RSA for `caching_sha2_password` full authentication without TLS.
//!
//! The server hands out its public key as an SPKI PEM (`-----BEGIN PUBLIC KEY-----`, what
//! MySQL clients expect in AuthMoreData); the client encrypts `(password || NUL) XOR nonce`
//! with RSA-OAEP (SHA-1, MGF1-SHA-1: OpenSSL's `RSA_PKCS1_OAEP_PADDING`, which MySQL uses on
//! both sides) and the server decrypts it.
//!
//! The `rsa` crate's decryption is not constant-time (RUSTSEC-2023-0071, "Marvin"): a peer
//! that can time many decryptions may learn about the key. Prefer TLS, where the password
//! travels as cleartext inside the tunnel and no RSA is involved.

use rand_core_06::OsRng;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};

use super::error::AuthError;
use super::scramble::xor_password_with_nonce;

/// The server's key pair.
#[derive(Clone)]
pub struct RsaKeyPair {
    private: RsaPrivateKey,
    public_pem: String,
}

impl std::fmt::Debug for RsaKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaKeyPair")
            .field("public_pem", &self.public_pem)
            .finish_non_exhaustive()
    }
}

impl RsaKeyPair {
    /// Generates a key pair (2048 bits is MySQL's default; this takes a while in debug
    /// builds).
    pub fn generate(bits: usize) -> Result<Self, AuthError> {
        let private = RsaPrivateKey::new(&mut OsRng, bits)
            .map_err(|_| AuthError::Rsa("key generation failed"))?;
        Self::from_private(private)
    }

    /// Loads a private key from PEM: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`, MySQL's `private_key.pem`).
    pub fn from_pem(pem: &str) -> Result<Self, AuthError> {
        let private = RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
            .map_err(|_| AuthError::Rsa("not an RSA private key in PEM"))?;
        Self::from_private(private)
    }

    fn from_private(private: RsaPrivateKey) -> Result<Self, AuthError> {
        let public_pem = RsaPublicKey::from(&private)
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| AuthError::Rsa("cannot encode the public key"))?;
        Ok(RsaKeyPair {
            private,
            public_pem,
        })
    }

    /// The private key as PKCS#8 PEM (to persist a generated key).
    pub fn private_key_pem(&self) -> Result<String, AuthError> {
        self.private
            .to_pkcs8_pem(LineEnding::LF)
            .map(|p| p.to_string())
            .map_err(|_| AuthError::Rsa("cannot encode the private key"))
    }

    /// The public key as SPKI PEM, sent to clients that ask (request-public-key, `0x02`).
    pub fn public_key_pem(&self) -> &str {
        &self.public_pem
    }

    /// RSA-OAEP(SHA-1) decryption.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, AuthError> {
        self.private
            .decrypt(Oaep::new::<sha1::Sha1>(), ciphertext)
            .map_err(|_| AuthError::Rsa("decryption failed"))
    }

    /// Decrypts a client's encrypted password for `nonce`: the cleartext password without its
    /// NUL terminator.
    pub fn decrypt_password(&self, ciphertext: &[u8], nonce: &[u8]) -> Result<Vec<u8>, AuthError> {
        let mut plain = self.decrypt(ciphertext)?;
        if !nonce.is_empty() {
            for (i, b) in plain.iter_mut().enumerate() {
                *b ^= nonce[i % nonce.len()];
            }
        }
        match plain.pop() {
            Some(0) => Ok(plain),
            _ => Err(AuthError::Malformed(
                "decrypted password is not NUL-terminated",
            )),
        }
    }
}

/// Client side: encrypts `password` for `nonce` with the server's public key (SPKI
/// `BEGIN PUBLIC KEY` or PKCS#1 `BEGIN RSA PUBLIC KEY` PEM).
pub fn encrypt_password(
    password: &[u8],
    nonce: &[u8],
    public_key_pem: &[u8],
) -> Result<Vec<u8>, AuthError> {
    let pem = std::str::from_utf8(public_key_pem)
        .map_err(|_| AuthError::Rsa("public key is not text"))?;
    let pem = pem.trim_matches(char::from(0)).trim();
    let key = RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
        .map_err(|_| AuthError::Rsa("not an RSA public key in PEM"))?;
    let plain = xor_password_with_nonce(password, nonce);
    key.encrypt(&mut OsRng, Oaep::new::<sha1::Sha1>(), &plain)
        .map_err(|_| AuthError::Rsa("password too long for the key"))
}
