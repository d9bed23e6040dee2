//! MySQL clients on an embedded SQLite database. After the same login as every MySQL client
//! (`super::client`: TLS, authentication, database permission, connection limits), a
//! session whose database is `kind = "sqlite"` runs here instead of in front of a MySQL
//! server: its SQL passes the same inspection seam, is translated from the MySQL dialect,
//! runs on the SQLite engine (`crate::sqlite`), and is answered in the MySQL protocol with
//! the wire crate's codec.
//!
//! | module | owns |
//! | --- | --- |
//! | [`route`] | which logins go to a SQLite database |
//! | [`dialect`] | MySQL text → SQLite steps or proxy-answered commands |
//! | [`variables`] | system and user variables of a session |
//! | [`coltype`] | column definitions from SQLite declared types / storage classes |
//! | [`convert`], [`datetime`] | values in MySQL's text and binary encodings, and back |
//! | [`resultset`] | OK / ERR / result set / prepare replies |
//! | [`session`] | the session loop and every command |

pub mod coltype;
pub mod convert;
pub mod datetime;
pub mod dialect;
pub mod resultset;
pub mod route;
pub mod session;
pub mod variables;
