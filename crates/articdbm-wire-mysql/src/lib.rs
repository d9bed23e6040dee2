//! MySQL / MariaDB client/server protocol codec: packets, handshake, authentication plugins,
//! commands, result sets, and a response tracker. No sockets, no configuration, no I/O: bytes
//! in, bytes out, so everything is unit-testable, fuzzable and shared by the proxy's MySQL
//! front end (we are the server) and its MySQL backend pool (we are the client).
//!
//! # Module map
//!
//! | module | owns |
//! | --- | --- |
//! | [`packet`] | framing: 3-byte length + sequence id, 16 MiB continuation packets joined by [`PacketDecoder`] from a reused `BytesMut` (size limit checked before memory is reserved, reservation in [`packet::RESERVE_STEP`] steps); [`RawPackets`] walks whole packets by offset for raw forwarding |
//! | [`writer`] | [`PacketWriter`]: payload appended in place, length patched at the end, split at 16 MiB, sequence id advanced |
//! | [`lenenc`] | length-encoded integers and strings (checked decoding, [`lenenc::BufMutExt`] for writing) |
//! | [`capabilities`] | `CLIENT_*` flags and MariaDB's extended capabilities ([`Capabilities`]) |
//! | [`status`] | `SERVER_STATUS_*` flags ([`ServerStatus`]) |
//! | [`backend`] | what servers send: [`backend::HandshakeV10`], [`backend::OkPacket`] (with session-state info), [`backend::ErrPacket`] (with SQLSTATE), [`backend::EofPacket`], [`backend::AuthSwitchRequest`], [`backend::AuthMoreData`] |
//! | [`frontend`] | what clients send: [`frontend::SslRequest`], [`frontend::HandshakeResponse41`] (told apart by [`frontend::ClientHello`]), [`frontend::Command`] bytes and views: [`frontend::ComQuery`] (query attributes skipped), [`frontend::ComStmtPrepare`], [`frontend::ComInitDb`], [`frontend::ComChangeUser`], [`frontend::ComSetOption`], [`frontend::StmtExecute`], statement ids read and rewritten in place ([`frontend::statement_id`], [`frontend::set_statement_id`]) |
//! | [`resultset`] | column types and flags, [`resultset::ColumnDefinition41`], text and binary rows, binary values of every type ([`resultset::Value`]), [`resultset::StmtPrepareOk`], LOCAL INFILE requests |
//! | [`tracker`] | [`ResponseTracker`]: follows a server's response to one command until it is complete and reports the final status flags, errors and session-state changes (when a backend connection may go back to the pool) |
//! | [`auth`] | `mysql_native_password` and `caching_sha2_password`: scrambles, stored verifiers, the server side ([`auth::CachingSha2Server`], RSA key pair), the client side ([`auth::AuthClient`]) |
//!
//! # Front end (we are the server)
//!
//! 1. Write a [`backend::HandshakeV10`] with a fresh [`auth::generate_nonce`] (sequence 0).
//! 2. Decode the reply with [`frontend::ClientHello`]: on `Ssl`, run TLS, then decode the
//!    HandshakeResponse41 that follows.
//! 3. Check `auth_response` with the user's [`auth::PasswordVerifier`]: for
//!    `mysql_native_password` [`auth::NativeVerifier::verify_scramble`]; for
//!    `caching_sha2_password` drive [`auth::CachingSha2Server`]; if the client used another
//!    plugin than the user's, send [`backend::AuthSwitchRequest`] first.
//! 4. Answer [`backend::OkPacket`] or [`backend::ErrPacket::new`]`(1045, "28000", ...)`.
//!
//! # Back end (we are the client)
//!
//! Decode the server's [`backend::HandshakeV10`], get the first response from
//! [`auth::AuthClient::initial_response`], write a [`frontend::HandshakeResponse41`] (after an
//! [`frontend::SslRequest`] and TLS if wanted), then feed every server packet to
//! [`auth::AuthClient::handle`] until `Done`.
//!
//! # Session loop
//!
//! Each client packet: [`frontend::Command::of`] its payload, look inside with the views where
//! policy needs to (SQL text, schema, statement ids — remapped in place), forward its raw
//! bytes, and build a [`ResponseTracker`] for it. Forward the server's packets
//! ([`Packet::raw`]) while feeding their payloads to the tracker until it says
//! [`tracker::Progress::Done`].
#![forbid(unsafe_code)]

pub mod auth;
pub mod backend;
pub mod capabilities;
pub mod error;
mod flags;
pub mod frontend;
pub mod lenenc;
pub mod packet;
mod reader;
pub mod resultset;
pub mod status;
pub mod tracker;
pub mod writer;

pub use capabilities::Capabilities;
pub use error::WireError;
pub use packet::{Packet, PacketDecoder, PacketHeader, RawPacket, RawPackets};
pub use status::ServerStatus;
pub use tracker::{Progress, ResponseTracker};
pub use writer::PacketWriter;
