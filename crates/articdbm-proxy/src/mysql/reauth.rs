//! COM_CHANGE_USER's authentication, the same for the session on a MySQL/MariaDB server and
//! the session on an embedded SQLite database: the command becomes a login's
//! HandshakeResponse41, the client's place is given up, and the new user is authenticated by
//! the login's own `authorize` under the login's time limit. What the session does with the
//! new user (its route or its SQLite database) stays with each session.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use articdbm_wire_mysql::Capabilities;
use articdbm_wire_mysql::auth::generate_nonce;
use articdbm_wire_mysql::frontend::{ComChangeUser, HandshakeResponse41};
use bytes::{Bytes, BytesMut};

use super::client::{Authorized, authorize};
use crate::state::{ClientSlot, LiveState};
use crate::stream::ClientStream;

/// The connection COM_CHANGE_USER arrived on.
pub(crate) struct Connection<'a> {
    pub client: &'a mut ClientStream,
    pub buf: &'a mut BytesMut,
    pub peer: std::net::SocketAddr,
    pub state: &'a Arc<LiveState>,
    pub caps: Capabilities,
    /// The nonce in force on the connection.
    pub nonce: &'a [u8; 20],
    /// The client's place, given up before the new user takes one.
    pub client_slot: &'a mut Option<ClientSlot>,
}

/// Why COM_CHANGE_USER did not authorize a user.
pub(crate) enum Failed {
    /// The command could not be decoded (the session reports it, then closes).
    Malformed(String),
    /// The login's ERR was sent or the exchange timed out: the connection closes.
    Refused,
}

/// Authenticates the user of COM_CHANGE_USER (`payload` is the whole command). On success,
/// the new user and the collation the client asked for (`default_collation` when it asked
/// for none).
pub(crate) async fn reauthorize(
    conn: Connection<'_>,
    payload: &Bytes,
    default_collation: u8,
) -> Result<(Authorized, u8), Failed> {
    let request = ComChangeUser::decode(payload, conn.caps)
        .map_err(|e| Failed::Malformed(format!("malformed COM_CHANGE_USER: {e}")))?;
    let collation = request
        .charset
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(default_collation);
    let response = HandshakeResponse41 {
        capabilities: conn.caps,
        max_packet_size: 0,
        charset: collation,
        username: request.username,
        auth_response: request.auth_response,
        database: Some(request.database),
        auth_plugin: request.auth_plugin,
        connect_attrs: request.connect_attrs,
        zstd_level: None,
    };
    // The client's place is given up now: it is taken again for the new user (and the
    // connection closes if that fails), so a user at its limit may change to itself.
    drop(conn.client_slot.take());
    let runtime = conn.state.runtime();
    let switch_nonce = generate_nonce();
    let exchange = authorize(
        conn.client,
        conn.buf,
        conn.peer,
        conn.state,
        &runtime,
        &response,
        conn.nonce,
        &switch_nonce,
        1,
    );
    match tokio::time::timeout(runtime.config.proxy.auth_timeout(), exchange).await {
        Ok(Ok(a)) => Ok((a, collation)),
        Ok(Err(e)) => {
            e.report(conn.client).await;
            Err(Failed::Refused)
        }
        Err(_) => {
            conn.state
                .counters
                .auth_failures
                .fetch_add(1, Ordering::Relaxed);
            tracing::info!(peer = %conn.peer, "MySQL COM_CHANGE_USER timed out");
            Err(Failed::Refused)
        }
    }
}
