//! Packets a client sends: SSLRequest and HandshakeResponse41 during connection setup, then
//! commands. The command views decode only what the proxy needs to look at (SQL text, schema,
//! statement ids, COM_CHANGE_USER fields) and borrow the packet's bytes; statement ids can be
//! rewritten in place for per-backend remapping.

pub mod change_user;
pub mod command;
pub mod handshake_response;
pub mod init_db;
pub mod query;
pub mod set_option;
pub mod ssl_request;
pub mod statement;
pub mod stmt_execute;

pub use change_user::ComChangeUser;
pub use command::Command;
pub use handshake_response::{ClientHello, ConnectAttrs, HandshakeResponse41};
pub use init_db::ComInitDb;
pub use query::{ComQuery, ComStmtPrepare};
pub use set_option::{ComSetOption, SetOption};
pub use ssl_request::SslRequest;
pub use statement::{StatementCommand, set_statement_id, statement_id};
pub use stmt_execute::{CursorType, StmtExecute};
