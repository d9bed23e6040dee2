//! `NegotiateProtocolVersion` ('v'): the server's answer to a StartupMessage asking for a newer
//! minor protocol version than it speaks, or carrying protocol options (`_pq_.*`) it does not
//! know. The session then continues in the version announced here.

use bytes::BytesMut;

use crate::builder::MessageBuilder;

use super::tag;

/// Writes the message: the newest version spoken (as PostgreSQL sends it, the whole version
/// number, e.g. 196608 for 3.0) and the protocol options that were not recognized.
pub fn write(buf: &mut BytesMut, newest: u32, unrecognized: &[String]) {
    let mut m = MessageBuilder::new(buf, tag::NEGOTIATE_PROTOCOL_VERSION);
    m.u32(newest);
    m.u32(u32::try_from(unrecognized.len()).unwrap_or(u32::MAX));
    for option in unrecognized {
        m.cstr(option.as_bytes());
    }
    m.finish();
}
