//! Client authentication against the verifiers the proxy stores (never plaintext): SCRAM-SHA-256
//! by default, md5 for users whose verifier is md5. Unknown users go through a mock SCRAM exchange
//! so they cannot be told apart from a wrong password; every failure is FATAL 28P01.

use articdbm_wire_pg::auth::{PasswordVerifier, SCRAM_SHA_256, ScramServer};
use articdbm_wire_pg::backend::Authentication;
use articdbm_wire_pg::frontend::password::{
    SaslInitialResponse, decode_password, decode_sasl_response,
};
use articdbm_wire_pg::{Frame, FrameDecoder};
use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;

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
) -> Result<(), ClientAuthError> {
    let failed = || ClientAuthError::Failed(user_name.to_string());
    let mut out = BytesMut::with_capacity(256);
    match user.and_then(|u| u.verifier.as_ref()) {
        Some(PasswordVerifier::Md5(v)) => {
            let salt: [u8; 4] = rand::random();
            Authentication::Md5Password { salt }.write(&mut out);
            send(stream, &mut out).await?;
            let frame = read_frame(stream, buf).await?;
            let response =
                decode_password(&frame).map_err(|e| ClientAuthError::Protocol(e.to_string()))?;
            if !v.verify_response(&response, salt) {
                return Err(failed());
            }
        }
        verifier => {
            let mut server = match verifier {
                Some(PasswordVerifier::ScramSha256(v)) => ScramServer::new(v),
                _ => ScramServer::new_mock(user_name.as_bytes()),
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
            if user.is_none() {
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
