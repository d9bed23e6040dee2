//! Client side of authentication towards a real MySQL / MariaDB server (the backend pool).
//!
//! 1. [`AuthClient::initial_response`] computes the auth response for the handshake's plugin
//!    and nonce (put it, and the returned plugin name, into HandshakeResponse41).
//! 2. Each server packet that follows goes to [`AuthClient::handle`]: OK ends the exchange,
//!    ERR fails it, AuthSwitchRequest (`0xFE`) restarts with another plugin and nonce,
//!    AuthMoreData (`0x01`) continues `caching_sha2_password` — fast auth success (`0x03`,
//!    wait for OK) or full authentication (`0x04`): the password as cleartext + NUL over a
//!    secure transport, else RSA-encrypted with the server's public key (configured, or
//!    requested with `0x02` when [`AuthClient::allow_public_key_retrieval`] is set).

use bytes::Bytes;

use crate::backend::ErrPacket;

use super::caching_sha2::{FAST_AUTH_SUCCESS, PERFORM_FULL_AUTHENTICATION, REQUEST_PUBLIC_KEY};
use super::error::AuthError;
use super::rsa_key::encrypt_password;
use super::scramble::{caching_sha2_scramble, native_scramble};
use super::{CACHING_SHA2_PASSWORD, MYSQL_CLEAR_PASSWORD, MYSQL_NATIVE_PASSWORD};

/// What the client does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientStep {
    /// Send this payload as the next packet (sequence id = the server's + 1).
    Send(Vec<u8>),
    /// Read the next server packet.
    Wait,
    /// Authenticated: the packet fed was the OK.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plugin {
    Native,
    CachingSha2,
    Clear,
}

impl Plugin {
    fn from_name(name: &[u8]) -> Option<Plugin> {
        match name {
            b"mysql_native_password" => Some(Plugin::Native),
            b"caching_sha2_password" => Some(Plugin::CachingSha2),
            b"mysql_clear_password" => Some(Plugin::Clear),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Plugin::Native => MYSQL_NATIVE_PASSWORD,
            Plugin::CachingSha2 => CACHING_SHA2_PASSWORD,
            Plugin::Clear => MYSQL_CLEAR_PASSWORD,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Exchange,
    WaitPublicKey,
    Done,
}

/// One authentication exchange of a client.
pub struct AuthClient {
    password: Vec<u8>,
    secure: bool,
    server_key: Option<Vec<u8>>,
    retrieve_key: bool,
    plugin: Plugin,
    nonce: Vec<u8>,
    state: State,
}

impl std::fmt::Debug for AuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthClient")
            .field("secure", &self.secure)
            .field("plugin", &self.plugin)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl AuthClient {
    /// `secure_transport`: TLS or a unix socket, where a cleartext password may be sent.
    pub fn new(password: &[u8], secure_transport: bool) -> Self {
        AuthClient {
            password: password.to_vec(),
            secure: secure_transport,
            server_key: None,
            retrieve_key: false,
            plugin: Plugin::Native,
            nonce: Vec::new(),
            state: State::Start,
        }
    }

    /// The server's RSA public key (PEM), known in advance (like `--server-public-key-path`).
    pub fn with_server_public_key(mut self, pem: &[u8]) -> Self {
        self.server_key = Some(pem.to_vec());
        self
    }

    /// Ask the server for its public key when needed (like `--get-server-public-key`; an
    /// active attacker could substitute the key, so only on trusted networks).
    pub fn allow_public_key_retrieval(mut self, allow: bool) -> Self {
        self.retrieve_key = allow;
        self
    }

    /// The first auth response for the handshake's default `plugin` and `nonce`: `(plugin
    /// name to announce, auth response)`. An unknown plugin falls back to
    /// `mysql_native_password`; the server then switches us to what it wants.
    pub fn initial_response(
        &mut self,
        plugin: &[u8],
        nonce: &[u8],
    ) -> Result<(&'static str, Vec<u8>), AuthError> {
        if self.state != State::Start {
            return Err(AuthError::OutOfOrder("initial response sent twice"));
        }
        let plugin = match Plugin::from_name(plugin) {
            Some(Plugin::Clear) | None => Plugin::Native,
            Some(p) => p,
        };
        self.state = State::Exchange;
        let data = self.start(plugin, nonce)?;
        Ok((plugin.name(), data))
    }

    fn start(&mut self, plugin: Plugin, nonce: &[u8]) -> Result<Vec<u8>, AuthError> {
        self.plugin = plugin;
        self.nonce = nonce.to_vec();
        Ok(match plugin {
            Plugin::Native => native_scramble(&self.password, nonce),
            Plugin::CachingSha2 => caching_sha2_scramble(&self.password, nonce),
            Plugin::Clear => {
                if !self.secure {
                    return Err(AuthError::InsecureTransport);
                }
                self.cleartext()
            }
        })
    }

    fn cleartext(&self) -> Vec<u8> {
        let mut p = self.password.clone();
        p.push(0);
        p
    }

    fn encrypted(&self, pem: &[u8]) -> Result<Vec<u8>, AuthError> {
        encrypt_password(&self.password, &self.nonce, pem)
    }

    /// Handles a server packet of the exchange.
    pub fn handle(&mut self, payload: &Bytes) -> Result<ClientStep, AuthError> {
        if matches!(self.state, State::Start | State::Done) {
            return Err(AuthError::OutOfOrder("no exchange in progress"));
        }
        let fail = |s: &mut Self, e| {
            s.state = State::Done;
            Err(e)
        };
        match payload.first() {
            Some(0x00) => {
                self.state = State::Done;
                Ok(ClientStep::Done)
            }
            Some(0xFF) => {
                let e = ErrPacket::decode(payload)
                    .map(|e| AuthError::Server {
                        code: e.code,
                        message: String::from_utf8_lossy(&e.message).into_owned(),
                    })
                    .unwrap_or(AuthError::Malformed("bad ERR packet"));
                fail(self, e)
            }
            Some(0xFE) => {
                let switch = match crate::backend::AuthSwitchRequest::decode(payload) {
                    Ok(s) => s,
                    Err(_) => return fail(self, AuthError::Malformed("bad AuthSwitchRequest")),
                };
                let Some(plugin) = Plugin::from_name(&switch.plugin) else {
                    let name = String::from_utf8_lossy(&switch.plugin).into_owned();
                    return fail(self, AuthError::UnsupportedPlugin(name));
                };
                self.state = State::Exchange;
                match self.start(plugin, switch.nonce()) {
                    Ok(data) => Ok(ClientStep::Send(data)),
                    Err(e) => fail(self, e),
                }
            }
            Some(0x01) => {
                let data = &payload[1..];
                if self.state == State::WaitPublicKey {
                    self.state = State::Exchange;
                    return match self.encrypted(data) {
                        Ok(c) => Ok(ClientStep::Send(c)),
                        Err(e) => fail(self, e),
                    };
                }
                if self.plugin != Plugin::CachingSha2 {
                    return fail(self, AuthError::Malformed("unexpected AuthMoreData"));
                }
                match data {
                    [FAST_AUTH_SUCCESS] => Ok(ClientStep::Wait),
                    [PERFORM_FULL_AUTHENTICATION] => {
                        if self.secure {
                            Ok(ClientStep::Send(self.cleartext()))
                        } else if let Some(pem) = &self.server_key {
                            match self.encrypted(pem) {
                                Ok(c) => Ok(ClientStep::Send(c)),
                                Err(e) => fail(self, e),
                            }
                        } else if self.retrieve_key {
                            self.state = State::WaitPublicKey;
                            Ok(ClientStep::Send(vec![REQUEST_PUBLIC_KEY]))
                        } else {
                            fail(self, AuthError::InsecureTransport)
                        }
                    }
                    _ => fail(
                        self,
                        AuthError::Malformed("unknown caching_sha2 AuthMoreData"),
                    ),
                }
            }
            _ => fail(
                self,
                AuthError::Malformed("unexpected packet during authentication"),
            ),
        }
    }

    /// Whether the exchange ended (successfully or not).
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }
}
