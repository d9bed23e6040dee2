//! MySQL and MariaDB servers as pooled backend connections: connecting and authenticating as a
//! client (`mysql_native_password`, `caching_sha2_password`), resetting a connection between
//! clients with COM_RESET_CONNECTION, and moving packets for the session loop.

mod server;

pub use server::{MIRRORED_CAPS, MySqlProfile, MySqlServer, PreparedHere};
