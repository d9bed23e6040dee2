//! PostgreSQL wire protocol (v3): framing from a reused buffer, one module per message kind over
//! `Bytes`, outgoing messages built in place, and SCRAM-SHA-256 / md5 authentication for both sides.
//! No sockets and no configuration live here, so everything is unit-testable and fuzzable.
#![forbid(unsafe_code)]

pub mod auth;
pub mod backend;
pub mod builder;
pub mod error;
pub mod frame;
pub mod frontend;
mod reader;
pub mod startup;

pub use builder::MessageBuilder;
pub use error::WireError;
pub use frame::{Frame, FrameDecoder};
