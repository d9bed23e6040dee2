//! Server side of SCRAM-SHA-256 (RFC 5802 / RFC 7677) as PostgreSQL speaks it: one
//! mechanism, no channel binding (`n,,` or `y,,` gs2 headers; `p=` is refused), the
//! username attribute ignored (it came in the startup packet). [`ScramServer`] is a state
//! machine over the two client messages; it never sees the password, only the verifier.
//! [`ScramServer::new_mock`] runs an indistinguishable exchange for unknown users that
//! always ends in [`AuthError::BadProof`].

use std::fmt;
use std::mem;

use subtle::ConstantTimeEq;

use super::attr::{self, expect_attr};
use super::crypto::{self, Key};
use super::error::AuthError;
use super::verifier::{DEFAULT_ITERATIONS, MAX_ITERATIONS, SALT_LEN, ScramVerifier};

/// Name of the only SASL mechanism we offer.
pub const SCRAM_SHA_256: &str = "SCRAM-SHA-256";

/// The mechanisms to list in `AuthenticationSASL`.
pub const SASL_MECHANISMS: &[&str] = &[SCRAM_SHA_256];

/// Checks the mechanism a client chose in `SASLInitialResponse`.
pub fn check_mechanism(name: &[u8]) -> Result<(), AuthError> {
    if name == SCRAM_SHA_256.as_bytes() {
        Ok(())
    } else {
        Err(AuthError::UnsupportedMechanism(
            String::from_utf8_lossy(name).into_owned(),
        ))
    }
}

/// One SCRAM-SHA-256 exchange, server side. Any error ends the exchange for good.
pub struct ScramServer {
    iterations: u32,
    salt: Vec<u8>,
    stored_key: Key,
    server_key: Key,
    /// Unknown user: run the exchange, always fail.
    mock: bool,
    state: State,
}

enum State {
    AwaitClientFirst,
    AwaitClientFinal {
        gs2_header: Vec<u8>,
        client_first_bare: Vec<u8>,
        server_first: Vec<u8>,
        nonce: Vec<u8>,
    },
    Authenticated,
    Failed,
}

impl ScramServer {
    /// An exchange checking the client against `verifier`.
    pub fn new(verifier: &ScramVerifier) -> ScramServer {
        ScramServer {
            iterations: verifier.iterations(),
            salt: verifier.salt().to_vec(),
            stored_key: *verifier.stored_key(),
            server_key: *verifier.server_key(),
            mock: false,
            state: State::AwaitClientFirst,
        }
    }

    /// An exchange for a user that does not exist (or has no SCRAM verifier): the salt is
    /// derived deterministically from `username_salt_seed` so repeated attempts see the same
    /// salt, like for a real user, and the exchange always ends in [`AuthError::BadProof`].
    ///
    /// The seed must include a server-side secret besides the user name (PostgreSQL uses a
    /// per-cluster random nonce); otherwise anyone can predict the fake salt and tell that
    /// the user does not exist.
    pub fn new_mock(username_salt_seed: &[u8]) -> ScramServer {
        Self::new_mock_with_iterations(username_salt_seed, DEFAULT_ITERATIONS)
    }

    /// Like [`new_mock`](Self::new_mock) with the iteration count to advertise: use the one
    /// real verifiers of the deployment have, so `i=` does not give the mock away.
    /// Clamped to `1..=MAX_ITERATIONS`.
    pub fn new_mock_with_iterations(username_salt_seed: &[u8], iterations: u32) -> ScramServer {
        let digest = crypto::hmac(b"articdbm SCRAM mock salt", &[username_salt_seed]);
        ScramServer {
            iterations: iterations.clamp(1, MAX_ITERATIONS),
            salt: digest[..SALT_LEN].to_vec(),
            stored_key: rand::random(),
            server_key: rand::random(),
            mock: true,
            state: State::AwaitClientFirst,
        }
    }

    /// True once [`client_final`](Self::client_final) has verified the client's proof.
    pub fn is_authenticated(&self) -> bool {
        matches!(self.state, State::Authenticated)
    }

    /// Handles client-first-message (the data of `SASLInitialResponse`) and returns
    /// server-first-message (the data of `AuthenticationSASLContinue`).
    pub fn client_first(&mut self, msg: &[u8]) -> Result<Vec<u8>, AuthError> {
        match mem::replace(&mut self.state, State::Failed) {
            State::AwaitClientFirst => {}
            _ => {
                return Err(AuthError::OutOfOrder(
                    "client-first-message already handled",
                ));
            }
        }
        let parsed = parse_client_first(msg)?;

        let mut nonce = parsed.client_nonce.to_vec();
        nonce.extend_from_slice(crypto::random_nonce().as_bytes());
        let mut server_first = Vec::with_capacity(nonce.len() + 64);
        server_first.extend_from_slice(b"r=");
        server_first.extend_from_slice(&nonce);
        server_first.extend_from_slice(b",s=");
        server_first.extend_from_slice(crypto::b64_encode(&self.salt).as_bytes());
        server_first.extend_from_slice(format!(",i={}", self.iterations).as_bytes());

        self.state = State::AwaitClientFinal {
            gs2_header: parsed.gs2_header.to_vec(),
            client_first_bare: parsed.client_first_bare.to_vec(),
            server_first: server_first.clone(),
            nonce,
        };
        Ok(server_first)
    }

    /// Handles client-final-message (the data of `SASLResponse`), verifies the proof and
    /// returns server-final-message `v=<ServerSignature>` (the data of
    /// `AuthenticationSASLFinal`). A wrong password gives [`AuthError::BadProof`].
    pub fn client_final(&mut self, msg: &[u8]) -> Result<Vec<u8>, AuthError> {
        let (gs2_header, client_first_bare, server_first, nonce) =
            match mem::replace(&mut self.state, State::Failed) {
                State::AwaitClientFinal {
                    gs2_header,
                    client_first_bare,
                    server_first,
                    nonce,
                } => (gs2_header, client_first_bare, server_first, nonce),
                State::AwaitClientFirst => {
                    return Err(AuthError::OutOfOrder(
                        "client-final-message before client-first",
                    ));
                }
                State::Authenticated | State::Failed => {
                    return Err(AuthError::OutOfOrder("exchange already finished"));
                }
            };

        // The proof is the last attribute; everything before it is signed.
        let proof_at = msg
            .windows(3)
            .rposition(|w| w == b",p=")
            .ok_or(AuthError::Malformed(
                "client-final-message has no proof attribute",
            ))?;
        let without_proof = &msg[..proof_at];
        let proof_b64 = &msg[proof_at + 3..];
        if proof_b64.contains(&b',') {
            return Err(AuthError::Malformed("garbage after the proof attribute"));
        }

        let mut fields = attr::fields(without_proof);
        let cbind = expect_attr(
            fields.next(),
            b'c',
            "client-final-message must start with channel binding attribute c=",
        )?;
        let cbind = crypto::b64_decode(cbind).ok_or(AuthError::Malformed(
            "channel binding attribute is not valid base64",
        ))?;
        if cbind != gs2_header {
            return Err(AuthError::ChannelBindingMismatch);
        }
        let final_nonce = expect_attr(
            fields.next(),
            b'r',
            "client-final-message is missing the nonce attribute r=",
        )?;
        if final_nonce != nonce.as_slice() {
            return Err(AuthError::NonceMismatch);
        }
        // Further attributes are extensions, which we ignore (as PostgreSQL does).

        let proof = crypto::b64_decode_key(proof_b64)
            .ok_or(AuthError::Malformed("proof is not 32 bytes of base64"))?;

        let auth_message: [&[u8]; 5] =
            [&client_first_bare, b",", &server_first, b",", without_proof];
        let client_signature = crypto::hmac(&self.stored_key, &auth_message);
        let client_key = crypto::xor(&proof, &client_signature);
        let proof_ok = crypto::sha256(&client_key).ct_eq(&self.stored_key);
        if !bool::from(proof_ok & !subtle::Choice::from(u8::from(self.mock))) {
            return Err(AuthError::BadProof);
        }

        let server_signature = crypto::hmac(&self.server_key, &auth_message);
        let mut server_final = b"v=".to_vec();
        server_final.extend_from_slice(crypto::b64_encode(&server_signature).as_bytes());
        self.state = State::Authenticated;
        Ok(server_final)
    }
}

impl fmt::Debug for ScramServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::AwaitClientFirst => "AwaitClientFirst",
            State::AwaitClientFinal { .. } => "AwaitClientFinal",
            State::Authenticated => "Authenticated",
            State::Failed => "Failed",
        };
        f.debug_struct("ScramServer")
            .field("state", &state)
            .field("iterations", &self.iterations)
            .field("keys", &"<redacted>")
            .finish_non_exhaustive()
    }
}

struct ClientFirst<'a> {
    gs2_header: &'a [u8],
    client_first_bare: &'a [u8],
    client_nonce: &'a [u8],
}

/// `gs2-cbind-flag "," [authzid] "," [reserved-mext ","] username "," nonce ["," extensions]`
fn parse_client_first(msg: &[u8]) -> Result<ClientFirst<'_>, AuthError> {
    let mut fields = attr::fields(msg);
    let flag = fields.next().unwrap_or_default();
    match flag {
        b"n" | b"y" => {}
        [b'p', b'=', ..] => return Err(AuthError::ChannelBindingUnsupported),
        _ => return Err(AuthError::Malformed("invalid gs2 channel binding flag")),
    }
    match fields.next() {
        Some([]) => {}
        Some([b'a', b'=', ..]) => {
            return Err(AuthError::Malformed(
                "authorization identity is not supported",
            ));
        }
        Some(_) => return Err(AuthError::Malformed("invalid gs2 authzid")),
        None => return Err(AuthError::Malformed("gs2 header is incomplete")),
    }
    // flag "," authzid(empty) ","
    let header_len = flag.len() + 2;
    let gs2_header = msg
        .get(..header_len)
        .ok_or(AuthError::Malformed("gs2 header is incomplete"))?;
    let client_first_bare = &msg[header_len..];

    let mut fields = attr::fields(client_first_bare);
    let user = fields.next();
    if matches!(user, Some([b'm', b'=', ..])) {
        return Err(AuthError::Malformed(
            "mandatory extensions are not supported",
        ));
    }
    // The user name is ignored: PostgreSQL takes it from the startup packet.
    expect_attr(
        user,
        b'n',
        "client-first-message is missing the username attribute n=",
    )?;
    let client_nonce = expect_attr(
        fields.next(),
        b'r',
        "client-first-message is missing the nonce attribute r=",
    )?;
    if !attr::is_valid_nonce(client_nonce) {
        return Err(AuthError::Malformed(
            "client nonce is empty or not printable",
        ));
    }
    Ok(ClientFirst {
        gs2_header,
        client_first_bare,
        client_nonce,
    })
}
