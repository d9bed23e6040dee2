//! The ArticDBM data plane: listeners, TLS, the PostgreSQL and MySQL front ends, backend pools,
//! cancel routing, the inspection seam, the admin console and live reload. `run` / `serve`
//! serve until shutdown; tests bind port 0 in-process and run in parallel (no global state).
#![forbid(unsafe_code)]

pub mod admin;
pub mod backend;
pub mod cancel;
pub mod error;
pub mod inspect;
pub mod listener;
mod login_decoy;
pub mod mysql;
mod pg;
mod reload_diff;
pub mod runtime;
pub mod shutdown;
pub mod sqlite;
pub mod state;
pub mod stream;
pub mod tls;

/// Internals reachable for the fuzz targets in `fuzz/` only; not an API, may change any time.
#[doc(hidden)]
pub mod fuzzing {
    use crate::sqlite::translate::PgTranslation;

    /// The PostgreSQL statement splitter behind [`crate::sqlite::translate::pg`].
    pub fn pg_split(sql: &str) -> Vec<&str> {
        crate::sqlite::translate::split::split(sql)
    }

    /// [`crate::sqlite::translate::pg`] without its cache and NUL check.
    pub fn pg_uncached(sql: &str) -> PgTranslation {
        crate::sqlite::translate::translate(sql)
    }
}

use std::sync::Arc;

pub use inspect::{AllowAll, StatementInspector, Verdict};
pub use listener::Listeners;
pub use runtime::RuntimeConfig;
pub use shutdown::{Shutdown, ShutdownTrigger};
pub use state::{ConfigSource, LiveState};

/// Warms up the pools of databases whose backend user is fixed, so the first clients find
/// connections ready.
pub fn warm_up(state: &LiveState) {
    let runtime = state.runtime();
    for (name, db) in &runtime.config.databases {
        // MySQL databases are pooled by (client capabilities, collation) as well, which only
        // a client's login tells: their pools start with the first client.
        if name == "*" || db.user.is_none() || db.kind.is_mysql() {
            continue;
        }
        if let Some(route) = runtime.route(name, "") {
            state
                .pools
                .get_or_create(&route.key, &route.target, &route.settings);
        }
    }
}

/// Serves PostgreSQL clients on `listener` until `trigger` is drained, then finishes as
/// described in [`listener::serve`].
pub async fn run(
    listener: tokio::net::TcpListener,
    state: Arc<LiveState>,
    trigger: Arc<ShutdownTrigger>,
) {
    let listeners = Listeners {
        pg: Some(listener),
        mysql: None,
    };
    serve(listeners, state, trigger).await;
}

/// Serves the PostgreSQL and the MySQL listener (either may be absent) until `trigger` is
/// drained, then finishes as described in [`listener::serve`].
pub async fn serve(listeners: Listeners, state: Arc<LiveState>, trigger: Arc<ShutdownTrigger>) {
    warm_up(&state);
    let grace = state.runtime().config.proxy.shutdown_grace();
    listener::serve(listeners, state, trigger, grace).await;
}
