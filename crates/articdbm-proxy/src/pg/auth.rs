//! Client authentication against the verifiers the proxy stores (never plaintext): SCRAM-SHA-256
//! by default, md5 for users whose verifier is md5. An unknown user takes the steps of a known
//! stand-in (`login_decoy`: an md5 challenge, or a mock SCRAM exchange with the stand-in's
//! iteration count and an unpredictable salt), so it cannot be told apart from a wrong
//! password; every failure is FATAL 28P01.

use articdbm_wire_pg::auth::{PasswordVerifier, SCRAM_SHA_256, ScramServer};
use articdbm_wire_pg::backend::Authentication;
use articdbm_wire_pg::frontend::password::{
    SaslInitialResponse, decode_password, decode_sasl_response,
};
use articdbm_wire_pg::{Frame, FrameDecoder};
use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;

use std::collections::HashMap;

use crate::login_decoy::{LoginProtocol, mock_salt_seed, stand_in};
use crate::runtime::RuntimeUser;
use crate::stream::ClientStream;

/// Authentication messages are small; a larger one is a protocol violation.
const MAX_AUTH_MESSAGE: u32 = 16 * 1024;

/// Why a login failed; every variant is reported to the client as 28P01 or 08P01.
#[derive(Debug, thiserror::Error)]
pub enum ClientAuthError {
    #[error("password authentication failed for user \"{0}\"")]
    Failed(String),
    #[error("client sent an invalid authentication message: {0}")]
    Protocol(String),
    #[error("client disconnected during authentication")]
    Gone,
}

impl ClientAuthError {
    pub fn sqlstate(&self) -> &'static str {
        match self {
            ClientAuthError::Failed(_) | ClientAuthError::Gone => {
                super::reply::sqlstate::INVALID_PASSWORD
            }
            ClientAuthError::Protocol(_) => super::reply::sqlstate::PROTOCOL_VIOLATION,
        }
    }
}

/// Runs the exchange. On success AuthenticationOk has been sent.
pub async fn authenticate(
    stream: &mut ClientStream,
    buf: &mut BytesMut,
    user_name: &str,
    user: Option<&RuntimeUser>,
    users: &HashMap<String, RuntimeUser>,
) -> Result<(), ClientAuthError> {
    let failed = || ClientAuthError::Failed(user_name.to_string());
    let mut out = BytesMut::with_capacity(256);
    let known = user.and_then(|u| u.verifier.as_ref());
    // An unknown user takes the steps of a known one (see `login_decoy`).
    let stand_in = || {
        stand_in(users, user_name, LoginProtocol::Postgres, |u| {
            u.verifier.is_some()
        })
        .and_then(|u| u.verifier.as_ref())
    };
    match known.or_else(stand_in) {
        Some(PasswordVerifier::Md5(v)) => {
            let salt: [u8; 4] = rand::random();
            Authentication::Md5Password { salt }.write(&mut out);
            send(stream, &mut out).await?;
            let frame = read_frame(stream, buf).await?;
            let response =
                decode_password(&frame).map_err(|e| ClientAuthError::Protocol(e.to_string()))?;
            if !(v.verify_response(&response, salt) && known.is_some()) {
                return Err(failed());
            }
        }
        verifier => {
            let seed = mock_salt_seed(user_name);
            let mut server = match verifier {
                Some(PasswordVerifier::ScramSha256(v)) if known.is_some() => ScramServer::new(v),
                // The stand-in's iteration count; a salt of its own that nobody can predict.
                Some(PasswordVerifier::ScramSha256(v)) => {
                    ScramServer::new_mock_with_iterations(&seed, v.iterations())
                }
                _ => ScramServer::new_mock(&seed),
            };
            Authentication::Sasl {
                mechanisms: vec![SCRAM_SHA_256.to_string()],
            }
            .write(&mut out);
            send(stream, &mut out).await?;
            let frame = read_frame(stream, buf).await?;
            let initial = SaslInitialResponse::decode(&frame)
                .map_err(|e| ClientAuthError::Protocol(e.to_string()))?;
            if initial.mechanism != SCRAM_SHA_256 {
                return Err(ClientAuthError::Protocol(format!(
                    "unsupported SASL mechanism {}",
                    initial.mechanism
                )));
            }
            let first = server
                .client_first(&initial.data)
                .map_err(|e| ClientAuthError::Protocol(e.to_string()))?;
            Authentication::SaslContinue(Bytes::from(first)).write(&mut out);
            send(stream, &mut out).await?;
            let frame = read_frame(stream, buf).await?;
            let final_msg = decode_sasl_response(&frame)
                .map_err(|e| ClientAuthError::Protocol(e.to_string()))?;
            let server_final = server.client_final(&final_msg).map_err(|_| failed())?;
            if known.is_none() {
                return Err(failed());
            }
            Authentication::SaslFinal(Bytes::from(server_final)).write(&mut out);
        }
    }
    Authentication::Ok.write(&mut out);
    send(stream, &mut out).await
}

async fn send(stream: &mut ClientStream, out: &mut BytesMut) -> Result<(), ClientAuthError> {
    stream.send(out).await.map_err(|_| ClientAuthError::Gone)?;
    out.clear();
    Ok(())
}

async fn read_frame(
    stream: &mut ClientStream,
    buf: &mut BytesMut,
) -> Result<Frame, ClientAuthError> {
    let decoder = FrameDecoder::new(MAX_AUTH_MESSAGE);
    loop {
        match decoder.decode(buf) {
            Ok(Some(f)) => return Ok(f),
            Ok(None) => {}
            Err(e) => return Err(ClientAuthError::Protocol(e.to_string())),
        }
        match stream.read_buf(buf).await {
            Ok(0) | Err(_) => return Err(ClientAuthError::Gone),
            Ok(_) => {}
        }
    }
}
