//! MySQL client authentication against the verifiers the proxy stores (never plaintext):
//! `mysql_native_password` against a `mysql_native$` verifier; `caching_sha2_password` fast
//! authentication against a `caching_sha2$` verifier, and full authentication (cleartext over
//! TLS, or RSA-OAEP encrypted without TLS) for users who only have a PostgreSQL verifier,
//! checked against any verifier the user has. An AuthSwitchRequest moves a client that
//! started with the other plugin to the user's. An unknown user takes the steps of a known
//! stand-in (`login_decoy`) against a throw-away verifier, and every failure is MySQL's ERR
//! 1045 / 28000 "Access denied".

use std::sync::Arc;

use articdbm_config::MysqlAuthPlugin;
use articdbm_wire_mysql::auth::caching_sha2::{
    FAST_AUTH_SUCCESS, PERFORM_FULL_AUTHENTICATION, REQUEST_PUBLIC_KEY,
};
use articdbm_wire_mysql::auth::{
    CachingSha2Verifier, MYSQL_NATIVE_PASSWORD, NativeVerifier, PasswordVerifier,
};
use articdbm_wire_mysql::backend::{AuthMoreData, AuthSwitchRequest};
use articdbm_wire_mysql::frontend::HandshakeResponse41;
use articdbm_wire_mysql::{Capabilities, PacketDecoder, PacketWriter};
use bytes::{Bytes, BytesMut};

use super::handshake::{LoginError, read_packet};
use super::reply::{Refusal, code};
use crate::login_decoy::{LoginProtocol, stand_in};
use crate::runtime::{RuntimeConfig, RuntimeUser};
use crate::stream::ClientStream;

/// Who is logging in, and from where (for the "Access denied" message).
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub user_name: &'a str,
    /// The client's address as MySQL prints it in errors (`'user'@'host'`).
    pub host: &'a str,
    pub user: Option<&'a RuntimeUser>,
    /// The nonce the client's first response was computed over (the handshake's, or for
    /// COM_CHANGE_USER the one in force on the connection).
    pub nonce: &'a [u8; 20],
    /// The nonce an AuthSwitchRequest carries: the handshake's at login, a fresh one for
    /// COM_CHANGE_USER (as MySQL generates a new scramble there).
    pub switch_nonce: &'a [u8; 20],
}

/// The verifier that decides a login, and how.
enum Check<'a> {
    Native(NativeVerifier),
    Sha2Fast(CachingSha2Verifier),
    /// caching_sha2_password full authentication of a user without a MySQL verifier.
    Sha2Full(&'a RuntimeUser),
}

/// Runs the exchange after the handshake response. `seq` is the sequence id of our next
/// packet; on success returns the id the final OK must carry (the OK is not sent) and the
/// nonce in force afterwards (the switch nonce when the plugin was switched: clients keep
/// it for a later COM_CHANGE_USER).
pub async fn authenticate(
    stream: &mut ClientStream,
    buf: &mut BytesMut,
    decoder: &PacketDecoder,
    runtime: &Arc<RuntimeConfig>,
    response: &HandshakeResponse41,
    attempt: Attempt<'_>,
    mut seq: u8,
) -> Result<(u8, [u8; 20]), LoginError> {
    let known = attempt.user.is_some();
    // An unknown user takes the steps of a known one (see `login_decoy`).
    let posing_as = attempt.user.or_else(|| {
        stand_in(
            &runtime.users,
            attempt.user_name,
            LoginProtocol::MySql,
            |_| true,
        )
    });
    let target = target_plugin(posing_as, runtime.mysql_default_plugin);
    let client_plugin = client_plugin(response);
    let mut data = response.auth_response.clone();
    let mut nonce = attempt.nonce;
    if client_plugin != target.as_str() {
        if !response.capabilities.contains(Capabilities::PLUGIN_AUTH) {
            return Err(LoginError::refused(
                seq,
                code::NOT_SUPPORTED_AUTH_MODE,
                "08004",
                "Client does not support authentication protocol requested by server; \
                 consider upgrading MySQL client",
            ));
        }
        let mut out = BytesMut::with_capacity(64);
        let mut w = PacketWriter::new(&mut out, &mut seq);
        nonce = attempt.switch_nonce;
        AuthSwitchRequest::write(&mut w, target.as_str(), nonce);
        w.finish();
        send(stream, &out).await?;
        let packet = read_packet(stream, buf, decoder, seq).await?;
        seq = packet.last_seq().wrapping_add(1);
        data = packet.into_payload();
    }
    let denied = |seq: u8, used_password: bool| LoginError::Refused {
        seq,
        refusal: Refusal::access_denied(attempt.user_name, attempt.host, used_password),
    };
    let used_password = !data.is_empty();
    let check = match (posing_as, target) {
        // A stand-in's verifiers never decide: its kind of exchange is run against a verifier
        // of a random password (full authentication checks the stand-in's, for the same
        // work, and refuses whatever it says).
        (Some(u), _) if !known => match &u.mysql_verifier {
            Some(PasswordVerifier::Native(_)) => {
                Check::Native(NativeVerifier::from_password(&rand::random::<[u8; 16]>()))
            }
            Some(PasswordVerifier::CachingSha2(_)) => Check::Sha2Fast(
                CachingSha2Verifier::from_password(&rand::random::<[u8; 16]>()),
            ),
            None => Check::Sha2Full(u),
        },
        (Some(u), _) => match &u.mysql_verifier {
            Some(PasswordVerifier::Native(v)) => Check::Native(v.clone()),
            Some(PasswordVerifier::CachingSha2(v)) => Check::Sha2Fast(v.clone()),
            None => Check::Sha2Full(u),
        },
        // Unknown user: a verifier of a random password, so the same work is done and the
        // same answer (1045) comes back as for a wrong password.
        (None, MysqlAuthPlugin::MysqlNativePassword) => {
            Check::Native(NativeVerifier::from_password(&rand::random::<[u8; 16]>()))
        }
        (None, MysqlAuthPlugin::CachingSha2Password) => Check::Sha2Fast(
            CachingSha2Verifier::from_password(&rand::random::<[u8; 16]>()),
        ),
    };
    let seq = match check {
        Check::Native(v) => {
            if known && v.verify_scramble(nonce, &data) {
                seq
            } else {
                return Err(denied(seq, used_password));
            }
        }
        Check::Sha2Fast(v) => {
            if !(known && v.verify_scramble(nonce, &data)) {
                return Err(denied(seq, used_password));
            }
            if !data.is_empty() {
                // (The empty password: no fast-auth byte, just OK.)
                more_data(stream, &mut seq, &[FAST_AUTH_SUCCESS]).await?;
            }
            seq
        }
        Check::Sha2Full(user) => {
            if data.is_empty() {
                return Err(denied(seq, false));
            }
            more_data(stream, &mut seq, &[PERFORM_FULL_AUTHENTICATION]).await?;
            let password = full_auth(stream, buf, decoder, runtime, nonce, &mut seq).await?;
            match password {
                Some(pw) if user.verify_cleartext(&pw) && known => seq,
                _ => return Err(denied(seq, true)),
            }
        }
    };
    Ok((seq, *nonce))
}

/// The plugin a user must authenticate with.
fn target_plugin(user: Option<&RuntimeUser>, default: MysqlAuthPlugin) -> MysqlAuthPlugin {
    match user.map(|u| &u.mysql_verifier) {
        Some(Some(PasswordVerifier::Native(_))) => MysqlAuthPlugin::MysqlNativePassword,
        Some(Some(PasswordVerifier::CachingSha2(_))) | Some(None) => {
            MysqlAuthPlugin::CachingSha2Password
        }
        None => default,
    }
}

/// The plugin the client computed its first response with (4.1 clients without plugin
/// support use `mysql_native_password`).
fn client_plugin(response: &HandshakeResponse41) -> &str {
    match response.auth_plugin.as_deref() {
        Some(name) if !name.is_empty() => std::str::from_utf8(name).unwrap_or(""),
        _ => MYSQL_NATIVE_PASSWORD,
    }
}

/// Reads the password of caching_sha2_password full authentication: cleartext over TLS, or
/// RSA-encrypted (after handing out the public key if the client asks for it). `None` when
/// it cannot be decrypted (reported as a wrong password).
async fn full_auth(
    stream: &mut ClientStream,
    buf: &mut BytesMut,
    decoder: &PacketDecoder,
    runtime: &Arc<RuntimeConfig>,
    nonce: &[u8; 20],
    seq: &mut u8,
) -> Result<Option<Vec<u8>>, LoginError> {
    let packet = read_packet(stream, buf, decoder, *seq).await?;
    *seq = packet.last_seq().wrapping_add(1);
    let mut payload = packet.into_payload();
    if stream.is_tls() {
        let pw = payload.strip_suffix(&[0]).unwrap_or(&payload);
        return Ok(Some(pw.to_vec()));
    }
    if payload[..] == [REQUEST_PUBLIC_KEY] {
        let rt = Arc::clone(runtime);
        let pem = tokio::task::spawn_blocking(move || {
            rt.mysql_rsa_keys().map(|k| k.public_key_pem().to_owned())
        })
        .await;
        let pem = match pem {
            Ok(Ok(pem)) => pem,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "MySQL RSA key unavailable");
                return Ok(None);
            }
            Err(_) => return Ok(None),
        };
        more_data(stream, seq, pem.as_bytes()).await?;
        let packet = read_packet(stream, buf, decoder, *seq).await?;
        *seq = packet.last_seq().wrapping_add(1);
        payload = packet.into_payload();
    }
    Ok(decrypt(runtime, payload, *nonce).await)
}

async fn decrypt(
    runtime: &Arc<RuntimeConfig>,
    ciphertext: Bytes,
    nonce: [u8; 20],
) -> Option<Vec<u8>> {
    let rt = Arc::clone(runtime);
    tokio::task::spawn_blocking(move || {
        rt.mysql_rsa_keys()
            .ok()
            .and_then(|k| k.decrypt_password(&ciphertext, &nonce).ok())
    })
    .await
    .ok()
    .flatten()
}

/// Sends AuthMoreData (`0x01` + `data`).
async fn more_data(stream: &mut ClientStream, seq: &mut u8, data: &[u8]) -> Result<(), LoginError> {
    let mut out = BytesMut::with_capacity(8 + data.len());
    let mut w = PacketWriter::new(&mut out, seq);
    AuthMoreData::write(&mut w, data);
    w.finish();
    send(stream, &out).await
}

async fn send(stream: &mut ClientStream, out: &[u8]) -> Result<(), LoginError> {
    stream.send(out).await.map_err(|_| LoginError::Gone)
}
