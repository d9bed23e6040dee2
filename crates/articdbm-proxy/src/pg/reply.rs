//! Writing the proxy's own replies to a PostgreSQL client: errors with SQLSTATE, and the
//! message sequences that close a connection politely.

use articdbm_wire_pg::backend::error_response::{Severity, write_error};
use bytes::BytesMut;

use crate::stream::ClientStream;

/// Well-known SQLSTATEs the proxy reports itself.
pub mod sqlstate {
    pub const PROTOCOL_VIOLATION: &str = "08P01";
    pub const CONNECTION_FAILURE: &str = "08006";
    pub const INVALID_PASSWORD: &str = "28P01";
    pub const INVALID_AUTHORIZATION: &str = "28000";
    pub const TOO_MANY_CONNECTIONS: &str = "53300";
    pub const ADMIN_SHUTDOWN: &str = "57P01";
    pub const INVALID_CATALOG: &str = "3D000";
    pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
    pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
    pub const DUPLICATE_PREPARED: &str = "42P05";
    pub const CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";
    pub const IDLE_SESSION_TIMEOUT: &str = "57P05";
    pub const IN_FAILED_TRANSACTION: &str = "25P02";
    pub const IDLE_IN_TRANSACTION_TIMEOUT: &str = "25P03";
}

/// Sends a FATAL error and flushes; the caller then closes the connection.
pub async fn fatal(stream: &mut ClientStream, code: &str, message: &str) {
    let mut buf = BytesMut::with_capacity(128);
    write_error(&mut buf, Severity::Fatal, code, message);
    let _ = stream.send(&buf).await;
}

/// Ends a session for a shutdown: whatever was queued in `out` is dropped, the client gets
/// 57P01.
pub async fn terminate_for_shutdown(stream: &mut ClientStream, out: &mut BytesMut) {
    out.clear();
    fatal(
        stream,
        sqlstate::ADMIN_SHUTDOWN,
        "terminating connection due to administrator command",
    )
    .await;
}
