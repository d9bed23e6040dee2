//! Accepting client connections on the PostgreSQL and the MySQL listener: one task per
//! client, until shutdown is requested; then waits for sessions of both protocols to drain
//! for the grace period and forces the rest to close. The connection limit
//! (`max_client_connections`) is shared: every front end counts its clients in the same
//! [`LiveState`].

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::shutdown::{Shutdown, ShutdownPhase, ShutdownTrigger};
use crate::state::LiveState;

/// The sockets a proxy serves. Either may be absent (a disabled front end).
#[derive(Debug, Default)]
pub struct Listeners {
    pub pg: Option<TcpListener>,
    pub mysql: Option<TcpListener>,
}

/// Which front end a listener belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Pg,
    Mysql,
}

/// Serves PostgreSQL clients on `listener` until `shutdown` drains (see [`serve`]).
pub async fn serve_pg(
    listener: TcpListener,
    state: Arc<LiveState>,
    trigger: Arc<ShutdownTrigger>,
    grace: Duration,
) {
    let listeners = Listeners {
        pg: Some(listener),
        mysql: None,
    };
    serve(listeners, state, trigger, grace).await;
}

/// Serves clients of both protocols until `shutdown` drains, then waits up to `grace` for
/// in-flight transactions before forcing the remaining sessions closed.
pub async fn serve(
    listeners: Listeners,
    state: Arc<LiveState>,
    trigger: Arc<ShutdownTrigger>,
    grace: Duration,
) {
    let Listeners { pg, mysql } = listeners;
    let mut shutdown = trigger.subscribe();
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            (protocol, accepted) = accept(pg.as_ref(), mysql.as_ref()) => match accepted {
                Ok((tcp, peer)) => {
                    configure_socket(&tcp, &state);
                    let state = Arc::clone(&state);
                    let sd: Shutdown = trigger.subscribe();
                    match protocol {
                        Protocol::Pg => sessions.spawn(crate::pg::handle_client(tcp, peer, state, sd)),
                        Protocol::Mysql => {
                            sessions.spawn(crate::mysql::handle_client(tcp, peer, state, sd))
                        }
                    };
                }
                Err(e) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tracing::warn!(error = %e, ?protocol, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            () = shutdown.reached(ShutdownPhase::Draining) => break,
        }
    }
    drop(pg);
    drop(mysql);
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
    state.mysql_pools.close_all();
    state.galera.stop_all();
}

/// The next connection on whichever listener has one (an absent listener never does).
async fn accept(
    pg: Option<&TcpListener>,
    mysql: Option<&TcpListener>,
) -> (
    Protocol,
    std::io::Result<(tokio::net::TcpStream, std::net::SocketAddr)>,
) {
    async fn one(
        listener: Option<&TcpListener>,
    ) -> std::io::Result<(tokio::net::TcpStream, std::net::SocketAddr)> {
        match listener {
            Some(l) => l.accept().await,
            None => std::future::pending().await,
        }
    }
    tokio::select! {
        r = one(pg) => (Protocol::Pg, r),
        r = one(mysql) => (Protocol::Mysql, r),
    }
}

fn configure_socket(tcp: &tokio::net::TcpStream, state: &LiveState) {
    let _ = tcp.set_nodelay(true);
    if state.runtime().config.proxy.tcp_keepalive {
        let sock = socket2::SockRef::from(tcp);
        let ka = socket2::TcpKeepalive::new().with_time(Duration::from_secs(60));
        let _ = sock.set_tcp_keepalive(&ka);
    }
}
