//! A statement the proxy refuses (blocked by the inspector, invalid, a duplicate statement name)
//! while a server is attached must fail the server's transaction exactly as a server-side error
//! would: an explicit transaction becomes failed (25P02 until ROLLBACK) and an extended-protocol
//! batch's implicit transaction rolls back, so a partial transaction is never committed. The
//! session sends the server a statement that cannot parse in place of the refused one, and swaps
//! the server's syntax error for its own error; the ReadyForQuery that follows is the server's.

use articdbm_wire_pg::Frame;
use articdbm_wire_pg::backend::ErrorFields;
use articdbm_wire_pg::frontend::{Parse, Query};
use bytes::BytesMut;

/// Text that fails in the server's parser (42601) and names itself in the error message.
pub const UNPARSABLE: &str = "articdbm_statement_refused_by_proxy";
/// Statement name of the injected Parse, so the client's unnamed statement is left alone.
const STATEMENT: &[u8] = b"articdbm_statement_refused_by_proxy";

/// Appends the simple-protocol stand-in (answered by ErrorResponse and ReadyForQuery).
pub fn write_query(out: &mut BytesMut) {
    Query::write(out, UNPARSABLE);
}

/// Appends the extended-protocol stand-in (answered by ErrorResponse; the server then skips
/// everything up to Sync).
pub fn write_parse(out: &mut BytesMut) {
    Parse::write(out, STATEMENT, UNPARSABLE, &[]);
}

/// Whether `frame` (an ErrorResponse) is the server's answer to a stand-in.
pub fn is_stand_in_error(frame: &Frame) -> bool {
    ErrorFields::decode(frame).is_ok_and(|e| e.code == "42601" && e.message.contains(UNPARSABLE))
}
