//! Accepting client connections: one task per client, until shutdown is requested; then waits
//! for sessions to drain for the grace period and forces the rest to close (57P01).

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::shutdown::{Shutdown, ShutdownPhase, ShutdownTrigger};
use crate::state::LiveState;

/// Serves PostgreSQL clients on `listener` until `shutdown` drains, then waits up to `grace`
/// for in-flight transactions before forcing the remaining sessions closed.
pub async fn serve_pg(
    listener: TcpListener,
    state: Arc<LiveState>,
    trigger: Arc<ShutdownTrigger>,
    grace: Duration,
) {
    let mut shutdown = trigger.subscribe();
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    configure_socket(&tcp, &state);
                    let state = Arc::clone(&state);
                    let sd: Shutdown = trigger.subscribe();
                    sessions.spawn(crate::pg::handle_client(tcp, peer, state, sd));
                }
                Err(e) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            () = shutdown.reached(ShutdownPhase::Draining) => break,
        }
    }
    drop(listener);
    tracing::info!(sessions = sessions.len(), "draining client sessions");
    let drained = tokio::time::timeout(grace, async {
        while sessions.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            remaining = sessions.len(),
            "grace period over, closing remaining sessions"
        );
        trigger.force();
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while sessions.join_next().await.is_some() {}
        })
        .await;
        sessions.abort_all();
    }
    state.pools.close_all();
}

fn configure_socket(tcp: &tokio::net::TcpStream, state: &LiveState) {
    let _ = tcp.set_nodelay(true);
    if state.runtime().config.proxy.tcp_keepalive {
        let sock = socket2::SockRef::from(tcp);
        let ka = socket2::TcpKeepalive::new().with_time(Duration::from_secs(60));
        let _ = sock.set_tcp_keepalive(&ka);
    }
}
