//! Messages a server (backend) sends. The proxy forwards most of them untouched; these modules
//! decode the few it must understand and build the ones it answers with itself.

pub mod authentication;
pub mod backend_key_data;
pub mod command_complete;
pub mod error_response;
pub mod negotiate_protocol_version;
pub mod parameter_status;
pub mod ready_for_query;
pub mod row;
pub mod tag;

pub use authentication::Authentication;
pub use error_response::{ErrorFields, Severity};
pub use ready_for_query::TransactionStatus;

use bytes::BytesMut;

use crate::builder::MessageBuilder;

/// Writes a message that has no body (ParseComplete, BindComplete, CloseComplete, NoData...).
pub fn write_empty(buf: &mut BytesMut, tag: u8) {
    MessageBuilder::new(buf, tag).finish();
}
