//! What the handshake hands to the session loop: an authenticated client and what it
//! negotiated.

use std::net::SocketAddr;

use articdbm_wire_mysql::Capabilities;
use bytes::{Bytes, BytesMut};

use super::kill::KillHandle;
use crate::state::ClientSlot;
use crate::stream::ClientStream;

/// An authenticated MySQL client, ready for commands.
#[derive(Debug)]
pub struct Login {
    pub stream: ClientStream,
    /// Bytes read past the end of the login (normally none).
    pub buf: BytesMut,
    /// Capabilities in force: what the client asked for, limited to what the proxy offered.
    pub caps: Capabilities,
    /// Collation id the client asked for in its handshake response.
    pub collation: u8,
    pub user: String,
    /// Default schema from the handshake (CONNECT_WITH_DB), if any.
    pub schema: Option<String>,
    pub peer: SocketAddr,
    /// The connection id announced in the handshake (from `state.mysql_kills.register()`),
    /// with the user already set.
    pub kill: KillHandle,
    /// The nonce in force (the handshake's, or an AuthSwitchRequest's): COM_CHANGE_USER
    /// scrambles are computed over it.
    pub nonce: [u8; 20],
    /// The client's place in the client list and the user's connection count.
    pub client: ClientSlot,
    /// Session-variable `SET`s a login without a database ran before it chose one (see
    /// [`super::lobby`]), to run on every server the session is given.
    pub replay: Vec<Bytes>,
    /// The sequence id of the final OK of the login while it has not been sent yet: the
    /// session sends it (or an ERR) once it knows a server can be had where the login needs
    /// one. `None` once it went out (a database-less login sends it at once).
    pub ok_seq: Option<u8>,
}
