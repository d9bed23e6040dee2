//! What a pool needs from a backend connection, whatever its protocol: connecting, telling
//! whether it is still usable, its age and idleness, resetting the session state a client left
//! behind, and a health check. PostgreSQL servers ([`super::Server`]) and MySQL/MariaDB servers
//! ([`super::mysql::MySqlServer`]) implement it, so both are pooled by the same [`super::Pool`].

use std::future::Future;
use std::time::Duration;

use super::target::BackendTarget;
use crate::error::BackendError;

pub trait Connection: Sized + Send + std::fmt::Debug + 'static {
    /// What the server announced at login that clients are told at theirs (PostgreSQL:
    /// ParameterStatus values; MySQL: version and character set).
    type Profile: Clone + Send + Sync + std::fmt::Debug + 'static;

    /// Opens and authenticates a connection as the target's user.
    fn connect(
        target: &BackendTarget,
        timeout: Duration,
    ) -> impl Future<Output = Result<Self, BackendError>> + Send;

    fn profile(&self) -> Self::Profile;

    /// True when nothing unexpected (EOF, a notice of shutdown) arrived while idle.
    fn is_alive(&mut self) -> bool;

    fn age(&self) -> Duration;

    fn idle_for(&self) -> Duration;

    /// Marks the connection as used just now (on return to the pool).
    fn touch(&mut self);

    /// Drops buffers grown by a large result so idle connections stay small.
    fn shed_buffers(&mut self);

    /// Whether a client left session state that must not reach the next client.
    fn needs_reset(&self) -> bool;

    /// Wipes the session state (PostgreSQL: the pool's reset query; MySQL:
    /// COM_RESET_CONNECTION).
    fn reset(&mut self, reset_query: &str)
    -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Runs `query` and discards its result; an error means the connection is unusable.
    fn health_check(
        &mut self,
        query: &str,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
}
