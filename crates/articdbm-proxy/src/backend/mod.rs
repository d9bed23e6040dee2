//! Backend servers: opening and authenticating connections, pooling them per (database, user),
//! and keeping pools healthy.

pub mod params;
pub mod pool;
pub mod pools;
pub mod server;
pub mod target;

pub use pool::{Pool, PoolGuard};
pub use pools::Pools;
pub use server::Server;
pub use target::BackendTarget;
