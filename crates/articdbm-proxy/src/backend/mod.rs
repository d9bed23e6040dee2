//! Backend servers: opening and authenticating connections, pooling them per (database, user),
//! and keeping pools healthy.

pub mod circuit;
pub mod connection;
pub mod galera;
pub mod mysql;
pub mod params;
pub mod pool;
pub mod pools;
pub mod server;
pub mod settings;
pub(crate) mod socket;
pub mod target;

pub use connection::Connection;
pub use pool::{Pool, PoolGuard};
pub use pools::Pools;
pub use server::Server;
pub use target::BackendTarget;

/// A pool of PostgreSQL server connections.
pub type PgPool = Pool<Server>;
/// A checked-out PostgreSQL server connection.
pub type PgGuard = PoolGuard<Server>;
/// A pool of MySQL/MariaDB server connections.
pub type MySqlPool = Pool<mysql::MySqlServer>;
/// A checked-out MySQL/MariaDB server connection.
pub type MySqlGuard = PoolGuard<mysql::MySqlServer>;
