//! Messages a client (frontend) sends after startup. Each kind lives in its own module as a view
//! over the frame's `Bytes`; `tag` lists the type bytes.

pub mod bind;
pub mod close;
pub mod describe;
pub mod parse;
pub mod password;
pub mod query;
pub mod tag;
mod target;

pub use bind::Bind;
pub use close::Close;
pub use describe::Describe;
pub use parse::Parse;
pub use query::Query;
pub use target::{Target, TargetKind};
