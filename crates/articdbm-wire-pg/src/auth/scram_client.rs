//! Client side of SCRAM-SHA-256, used by the proxy to log in to PostgreSQL backends:
//! no channel binding (gs2 header `n,,`), empty username (PostgreSQL takes it from the
//! startup packet), and the server's signature is checked before the exchange counts as
//! successful. The password's raw bytes are used (no SASLprep; see [`super::verifier`]).

use std::fmt;
use std::mem;

use subtle::ConstantTimeEq;

use super::attr::{self, expect_attr};
use super::crypto::{self, Key};
use super::error::AuthError;
use super::verifier::MAX_ITERATIONS;

/// `base64("n,,")`: the channel binding attribute when no binding is used.
const CBIND_NONE: &str = "biws";

/// One SCRAM-SHA-256 exchange, client side. Any error ends the exchange for good.
pub struct ScramClient {
    password: Vec<u8>,
    client_nonce: String,
    state: State,
}

enum State {
    AwaitServerFirst,
    AwaitServerFinal { server_signature: Key },
    Authenticated,
    Failed,
}

impl ScramClient {
    /// Starts an exchange for `password` with a fresh random nonce.
    pub fn new(password: &str) -> ScramClient {
        ScramClient {
            password: password.as_bytes().to_vec(),
            client_nonce: crypto::random_nonce(),
            state: State::AwaitServerFirst,
        }
    }

    /// client-first-message, the data of `SASLInitialResponse`: `n,,n=,r=<nonce>`.
    pub fn client_first(&self) -> Vec<u8> {
        format!("n,,{}", self.client_first_bare()).into_bytes()
    }

    fn client_first_bare(&self) -> String {
        format!("n=,r={}", self.client_nonce)
    }

    /// Handles server-first-message (`AuthenticationSASLContinue`) and returns
    /// client-final-message (the data of the next `SASLResponse`). Runs PBKDF2 with the
    /// server's iteration count, which must be at most [`MAX_ITERATIONS`].
    pub fn handle_server_first(&mut self, msg: &[u8]) -> Result<Vec<u8>, AuthError> {
        match mem::replace(&mut self.state, State::Failed) {
            State::AwaitServerFirst => {}
            _ => {
                return Err(AuthError::OutOfOrder(
                    "server-first-message already handled",
                ));
            }
        }

        let mut fields = attr::fields(msg);
        let first = fields.next();
        if matches!(first, Some([b'm', b'=', ..])) {
            return Err(AuthError::Malformed(
                "mandatory extensions are not supported",
            ));
        }
        let nonce = expect_attr(first, b'r', "server-first-message is missing the nonce r=")?;
        let salt = expect_attr(
            fields.next(),
            b's',
            "server-first-message is missing the salt s=",
        )?;
        let iterations = expect_attr(
            fields.next(),
            b'i',
            "server-first-message is missing the iteration count i=",
        )?;

        // The server must extend our nonce with its own part.
        if !attr::is_valid_nonce(nonce)
            || nonce.len() <= self.client_nonce.len()
            || !nonce.starts_with(self.client_nonce.as_bytes())
        {
            return Err(AuthError::NonceMismatch);
        }
        let salt = crypto::b64_decode(salt)
            .filter(|s| !s.is_empty())
            .ok_or(AuthError::Malformed("salt is empty or not valid base64"))?;
        let iterations = attr::parse_iterations(iterations, MAX_ITERATIONS)?;

        let salted = crypto::salted_password(&self.password, &salt, iterations);
        let (client_key, stored_key, server_key) = crypto::derive_keys(&salted);

        // `nonce` is printable ASCII, checked above.
        let mut client_final = format!("c={CBIND_NONE},r=").into_bytes();
        client_final.extend_from_slice(nonce);
        let bare = self.client_first_bare();
        let auth_message: [&[u8]; 5] = [bare.as_bytes(), b",", msg, b",", &client_final];
        let client_signature = crypto::hmac(&stored_key, &auth_message);
        let server_signature = crypto::hmac(&server_key, &auth_message);
        let proof = crypto::xor(&client_key, &client_signature);

        client_final.extend_from_slice(b",p=");
        client_final.extend_from_slice(crypto::b64_encode(&proof).as_bytes());
        self.state = State::AwaitServerFinal { server_signature };
        Ok(client_final)
    }

    /// Handles server-final-message (`AuthenticationSASLFinal`): succeeds only if the
    /// server proved it knows the verifier. `e=<reason>` gives [`AuthError::ServerError`].
    pub fn handle_server_final(&mut self, msg: &[u8]) -> Result<(), AuthError> {
        let expected = match mem::replace(&mut self.state, State::Failed) {
            State::AwaitServerFinal { server_signature } => server_signature,
            State::AwaitServerFirst => {
                return Err(AuthError::OutOfOrder(
                    "server-final-message before server-first",
                ));
            }
            State::Authenticated | State::Failed => {
                return Err(AuthError::OutOfOrder("exchange already finished"));
            }
        };

        let first = attr::fields(msg).next();
        if let Some(reason) = first.and_then(|f| attr::attr_value(f, b'e')) {
            return Err(AuthError::ServerError(
                String::from_utf8_lossy(reason).into_owned(),
            ));
        }
        let signature = expect_attr(first, b'v', "server-final-message is missing v=")?;
        let signature = crypto::b64_decode_key(signature).ok_or(AuthError::Malformed(
            "server signature is not 32 bytes of base64",
        ))?;
        if !bool::from(signature.ct_eq(&expected)) {
            return Err(AuthError::BadServerSignature);
        }
        self.state = State::Authenticated;
        Ok(())
    }

    /// True once the server's signature has been verified.
    pub fn is_authenticated(&self) -> bool {
        matches!(self.state, State::Authenticated)
    }
}

impl fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::AwaitServerFirst => "AwaitServerFirst",
            State::AwaitServerFinal { .. } => "AwaitServerFinal",
            State::Authenticated => "Authenticated",
            State::Failed => "Failed",
        };
        f.debug_struct("ScramClient")
            .field("state", &state)
            .field("password", &"<redacted>")
            .finish_non_exhaustive()
    }
}
