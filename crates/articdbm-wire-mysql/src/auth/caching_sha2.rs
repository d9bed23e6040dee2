//! Server side of `caching_sha2_password`.
//!
//! After the client's first response (a 32-byte scramble):
//!
//! - fast auth: the scramble verifies against the stored `SHA256(SHA256(pw))` → send
//!   AuthMoreData `0x03` (fast_auth_success) then OK;
//! - full auth (forced with [`CachingSha2Server::full_auth_only`], as MySQL does on a cache
//!   miss) → send AuthMoreData `0x04` (perform_full_authentication); the client then sends
//!   its password as cleartext + NUL over TLS (or a unix socket), or without TLS either asks
//!   for our public key (`0x02`, answered with AuthMoreData + PEM) or sends it RSA-encrypted.
//!
//! The caller writes the packets; [`ServerStep`] says which.

use super::error::AuthError;
use super::rsa_key::RsaKeyPair;
use super::verifier::CachingSha2Verifier;

/// AuthMoreData byte: the client asks for the server's public key.
pub const REQUEST_PUBLIC_KEY: u8 = 0x02;
/// AuthMoreData byte: fast authentication succeeded (an OK follows).
pub const FAST_AUTH_SUCCESS: u8 = 0x03;
/// AuthMoreData byte: the client must send the password (full authentication).
pub const PERFORM_FULL_AUTHENTICATION: u8 = 0x04;

/// What the server sends next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerStep {
    /// Send AuthMoreData `[0x03]`, then OK: authenticated.
    FastAuthSuccess,
    /// Send AuthMoreData `[0x04]`; feed the client's next packet to
    /// [`CachingSha2Server::full_auth`].
    PerformFullAuth,
    /// Send AuthMoreData with this PEM; feed the client's next packet to `full_auth` again.
    SendPublicKey(String),
    /// Authenticated without a fast-auth byte (empty password, or after full auth): send OK.
    Authenticated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Scramble,
    FullAuth,
    Done,
}

/// One `caching_sha2_password` exchange on the server side.
#[derive(Debug)]
pub struct CachingSha2Server<'a> {
    verifier: &'a CachingSha2Verifier,
    nonce: [u8; 20],
    secure: bool,
    keys: Option<&'a RsaKeyPair>,
    fast: bool,
    state: State,
}

impl<'a> CachingSha2Server<'a> {
    /// `nonce` is the one sent in the handshake (or AuthSwitchRequest); `secure_transport`
    /// is true over TLS or a unix socket (cleartext passwords allowed); `keys` enables RSA
    /// full authentication on insecure transports.
    pub fn new(
        verifier: &'a CachingSha2Verifier,
        nonce: [u8; 20],
        secure_transport: bool,
        keys: Option<&'a RsaKeyPair>,
    ) -> Self {
        CachingSha2Server {
            verifier,
            nonce,
            secure: secure_transport,
            keys,
            fast: true,
            state: State::Scramble,
        }
    }

    /// Always ask for the password (full authentication) instead of fast auth.
    pub fn full_auth_only(mut self) -> Self {
        self.fast = false;
        self
    }

    /// Handles the client's first response (from HandshakeResponse41 or the reply to an
    /// AuthSwitchRequest).
    pub fn scramble(&mut self, response: &[u8]) -> Result<ServerStep, AuthError> {
        if self.state != State::Scramble {
            return Err(AuthError::OutOfOrder("scramble after the first response"));
        }
        if response.is_empty() {
            self.state = State::Done;
            return if self.verifier.is_empty_password() {
                Ok(ServerStep::Authenticated)
            } else {
                Err(AuthError::BadPassword)
            };
        }
        if !self.fast {
            self.state = State::FullAuth;
            return Ok(ServerStep::PerformFullAuth);
        }
        self.state = State::Done;
        if self.verifier.verify_scramble(&self.nonce, response) {
            Ok(ServerStep::FastAuthSuccess)
        } else {
            Err(AuthError::BadPassword)
        }
    }

    /// Handles a client packet of full authentication.
    pub fn full_auth(&mut self, packet: &[u8]) -> Result<ServerStep, AuthError> {
        if self.state != State::FullAuth {
            return Err(AuthError::OutOfOrder("full auth not requested"));
        }
        if packet == [REQUEST_PUBLIC_KEY] && !self.secure {
            return match self.keys {
                Some(k) => Ok(ServerStep::SendPublicKey(k.public_key_pem().to_owned())),
                None => {
                    self.state = State::Done;
                    Err(AuthError::InsecureTransport)
                }
            };
        }
        self.state = State::Done;
        let password = if self.secure {
            packet
                .strip_suffix(&[0])
                .ok_or(AuthError::Malformed("cleartext password without NUL"))?
                .to_vec()
        } else {
            let keys = self.keys.ok_or(AuthError::InsecureTransport)?;
            keys.decrypt_password(packet, &self.nonce)?
        };
        if self.verifier.verify_password(&password) {
            Ok(ServerStep::Authenticated)
        } else {
            Err(AuthError::BadPassword)
        }
    }
}
