//! Which pool the session's next server comes from. For a Galera cluster that follows the
//! node monitor: writes (and anything that is not a plain autocommit read) go to the current
//! writer, plain reads of an unpinned session in multiplexing mode to a usable node picked
//! round-robin; when a checkout fails the monitor is woken and, once it has seen the node go,
//! the checkout is tried once more on the node it chose instead. A pool closed by a reload is
//! replaced by the current route's (as the PostgreSQL session's `follow_reload` does).

use std::time::Duration;

use articdbm_wire_mysql::ServerStatus;
use articdbm_wire_mysql::frontend::ComQuery;
use articdbm_wire_mysql::{Capabilities, Packet};

use super::{Session, galera_monitor};
use crate::backend::MySqlGuard;
use crate::error::{BackendError, PoolError};
use crate::mysql::session_state::is_read_only;
use crate::shutdown::ShutdownPhase;

/// Galera's own error for a node that cannot take statements, used when no node is usable.
fn no_usable_node() -> PoolError {
    PoolError::Backend(BackendError::MySql {
        code: 1047,
        sqlstate: "08S01".into(),
        message: "WSREP has not yet prepared node for application use \
                  (no usable Galera node; the proxy polls the cluster)"
            .into(),
    })
}

/// Whether `packet` is a COM_QUERY holding one plain read (see [`is_read_only`]).
pub(super) fn is_read_query(packet: &Packet, caps: Capabilities) -> bool {
    let payload = packet.payload();
    if payload.first() != Some(&0x03) {
        return false;
    }
    ComQuery::decode(payload, caps)
        .ok()
        .and_then(|q| std::str::from_utf8(q.sql_bytes()).ok().map(is_read_only))
        .unwrap_or(false)
}

impl Session {
    /// Notes before a command whether it may go to a reader: a Galera session in
    /// multiplexing mode, no server attached (so no transaction, pin or hold), autocommit on,
    /// and a plain read.
    pub(super) fn note_read(&mut self, packet: &Packet) {
        self.read_hint = self.galera.is_some()
            && self.transaction_mode
            && self.server.is_none()
            && self.pinned.is_none()
            && self.status.contains(ServerStatus::AUTOCOMMIT)
            && !self.status.contains(ServerStatus::IN_TRANS)
            && is_read_query(packet, self.caps);
    }

    /// Points `self.pool` at the pool the next checkout should use (no server attached).
    pub(super) async fn follow_route(&mut self) -> Result<(), PoolError> {
        let read = std::mem::take(&mut self.read_hint);
        if self.galera.as_ref().is_some_and(|m| m.is_retired()) {
            // A reload changed the cluster's nodes: the current configuration's monitor.
            self.follow_reload()?;
            self.galera = galera_monitor(&self.state, &self.route).await;
        }
        let Some(monitor) = &self.galera else {
            if self.pool.is_closed() {
                self.follow_reload()?;
            }
            return Ok(());
        };
        let node = if read {
            monitor.reader()
        } else {
            monitor.writer()
        };
        let addr = node
            .and_then(|i| monitor.nodes().get(i))
            .ok_or_else(no_usable_node)?;
        let sync_wait = match &self.route.galera {
            Some(g) if read => g.settings.sync_wait,
            _ => 0,
        };
        let current = self.pool.target();
        let same_pool = current.host == addr.host
            && current.port == addr.port
            && current.mysql.sync_wait == sync_wait;
        if same_pool && !self.pool.is_closed() {
            return Ok(());
        }
        if self.shutdown.session_signal().phase() >= ShutdownPhase::Draining {
            return Err(PoolError::Closed);
        }
        let route = self
            .route
            .on_galera_node(addr, read)
            .ok_or_else(no_usable_node)?;
        if !same_pool {
            tracing::debug!(user = %self.user, node = %route.target.addr(), read, "galera session moves");
        }
        self.pool =
            self.state
                .mysql_pools
                .get_or_create(&route.key, &route.target, &route.settings);
        Ok(())
    }

    /// A plain MySQL database whose pool was closed by a reload: the current route's pool.
    fn follow_reload(&mut self) -> Result<(), PoolError> {
        if self.shutdown.session_signal().phase() >= ShutdownPhase::Draining {
            return Err(PoolError::Closed);
        }
        let runtime = self.state.runtime();
        let mut route = runtime
            .route_mysql(Some(&self.route.key.database), &self.user)
            .map_err(|_| PoolError::Closed)?;
        route.target.mysql = self.route.target.mysql;
        route.key.variant = self.route.key.variant;
        self.pool =
            self.state
                .mysql_pools
                .get_or_create(&route.key, &route.target, &route.settings);
        self.route = route;
        Ok(())
    }

    /// A checkout failed. On a Galera cluster: wake the monitor, wait (bounded) until it no
    /// longer counts the node as usable, and check out once more from the node it picks.
    pub(super) async fn checkout_again(
        &mut self,
        first: PoolError,
    ) -> Result<MySqlGuard, PoolError> {
        let Some(monitor) = self.galera.clone() else {
            return Err(first);
        };
        if matches!(first, PoolError::Closed | PoolError::Timeout(_)) {
            return Err(first);
        }
        let failed = monitor
            .nodes()
            .iter()
            .position(|n| n.host == self.pool.target().host && n.port == self.pool.target().port);
        let wait = monitor
            .settings()
            .check_interval
            .max(Duration::from_secs(1))
            * 2;
        let gone = match failed {
            Some(i) => monitor.without(i, wait).await,
            None => false,
        };
        tracing::warn!(
            user = %self.user,
            node = %self.pool.target().addr(),
            error = %first,
            monitor_saw_it = gone,
            "galera checkout failed; trying the monitor's choice"
        );
        if !gone {
            return Err(first);
        }
        self.follow_route().await?;
        self.pool.checkout().await
    }
}
