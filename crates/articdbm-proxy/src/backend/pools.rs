//! The registry of pools, keyed by (client-facing database, backend user). Pools are created on
//! first use (or at start for fully specified databases, which warms them up); on reload a pool
//! whose target or settings changed is closed and replaced, an unchanged one survives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use articdbm_config::PoolSettings;

use super::connection::Connection;
use super::pool::Pool;
use super::target::BackendTarget;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolKey {
    pub database: String,
    pub user: String,
    /// Distinguishes pools of one (database, user) whose connections differ in wire options
    /// (MySQL: see [`super::target::MySqlWire`]); zero for PostgreSQL.
    pub variant: u64,
    /// For a database with several servers (a Galera cluster): which node this pool's
    /// connections go to and for what, so that the pools of different nodes live side by side
    /// instead of replacing each other. `None` for single-server databases.
    pub node: Option<NodeKey>,
}

/// The node part of a [`PoolKey`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeKey {
    /// The node's `host:port`.
    pub addr: String,
    /// A reader pool (its connections carry `wsrep_sync_wait`); writer pools and readers
    /// without `galera_sync_wait` share the node's plain pool.
    pub reader: bool,
}

#[derive(Debug)]
pub struct Pools<C: Connection> {
    pools: Mutex<HashMap<PoolKey, Arc<Pool<C>>>>,
}

impl<C: Connection> Default for Pools<C> {
    fn default() -> Self {
        Pools {
            pools: Mutex::default(),
        }
    }
}

impl<C: Connection> Pools<C> {
    /// The pool for `key`, replacing one whose target or settings differ.
    pub fn get_or_create(
        &self,
        key: &PoolKey,
        target: &BackendTarget,
        settings: &PoolSettings,
    ) -> Arc<Pool<C>> {
        let mut map = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = map.get(key) {
            if !p.is_closed() && p.target() == target && p.settings() == settings {
                return Arc::clone(p);
            }
            p.close();
        }
        let name = match &key.node {
            None => format!("{}/{}", key.database, key.user),
            Some(n) => format!(
                "{}/{}@{}{}",
                key.database,
                key.user,
                n.addr,
                if n.reader { "(r)" } else { "" }
            ),
        };
        let pool = Pool::start(name, target.clone(), settings.clone());
        map.insert(key.clone(), Arc::clone(&pool));
        pool
    }

    /// Keeps the pools for which `still_valid` returns true and closes the others.
    pub fn retain(&self, mut still_valid: impl FnMut(&PoolKey, &Pool<C>) -> bool) {
        let mut map = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|k, p| {
            let keep = still_valid(k, p);
            if !keep {
                p.close();
            }
            keep
        });
    }

    /// A snapshot of all pools, for the admin console.
    pub fn all(&self) -> Vec<(PoolKey, Arc<Pool<C>>)> {
        let map = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<_> = map
            .iter()
            .map(|(k, p)| (k.clone(), Arc::clone(p)))
            .collect();
        v.sort_by(|a, b| (&a.0.database, &a.0.user).cmp(&(&b.0.database, &b.0.user)));
        v
    }

    pub fn close_all(&self) {
        let mut map = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        for p in map.values() {
            p.close();
        }
        map.clear();
    }
}
