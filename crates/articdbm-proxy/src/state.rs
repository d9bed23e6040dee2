//! The live state shared by every task of a running proxy: the current configuration snapshot
//! (swapped on reload), the pools, the open embedded SQLite databases, the cancel registry,
//! connected clients, the statement inspector and counters. Passed around as an `Arc`; nothing
//! here is process-global.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use articdbm_config::Config;

use crate::backend::Server;
use crate::backend::mysql::MySqlServer;
use crate::backend::pools::Pools;
use crate::cancel::CancelRegistry;
use crate::inspect::StatementInspector;
use crate::runtime::{BuildError, RuntimeConfig};
use crate::sqlite::SqliteDatabase;

/// The embedded SQLite databases by `[databases]` key: open, or why opening failed.
type SqliteMap = HashMap<String, Result<Arc<SqliteDatabase>, String>>;

/// Produces a fresh configuration for a reload (re-reads the file and the environment).
pub type ConfigSource = Box<dyn Fn() -> Result<Config, String> + Send + Sync>;

/// Called with the new configuration after every successful reload (e.g. the binary's
/// logging, which the proxy library does not own).
pub type ReloadHook = Box<dyn Fn(&Config) + Send + Sync>;

/// Process-lifetime counters (atomics only; read by the admin console and metrics).
#[derive(Debug, Default)]
pub struct Counters {
    pub clients_accepted: AtomicU64,
    pub clients_rejected: AtomicU64,
    pub auth_failures: AtomicU64,
    pub queries: AtomicU64,
    pub statements_blocked: AtomicU64,
    pub statements_alerted: AtomicU64,
    pub reloads: AtomicU64,
}

/// What the admin console shows about a connected client.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub id: u64,
    pub user: String,
    pub database: String,
    pub addr: SocketAddr,
    pub tls: bool,
    pub connected_at: SystemTime,
}

pub struct LiveState {
    runtime: ArcSwap<RuntimeConfig>,
    source: Option<ConfigSource>,
    pub pools: Pools<Server>,
    /// Pools of MySQL/MariaDB server connections.
    pub mysql_pools: Pools<MySqlServer>,
    /// Node monitors of Galera clusters, started on first use.
    pub galera: crate::backend::galera::GaleraMonitors,
    /// Connection ids of MySQL sessions, for `KILL`.
    pub mysql_kills: Arc<crate::mysql::kill::KillRegistry>,
    pub cancels: Arc<CancelRegistry>,
    pub inspector: Arc<dyn StatementInspector>,
    pub counters: Counters,
    sqlite: Mutex<SqliteMap>,
    reload_hooks: Mutex<Vec<ReloadHook>>,
    clients: Mutex<HashMap<u64, ClientInfo>>,
    per_user: Mutex<HashMap<String, u32>>,
    open_connections: AtomicUsize,
    next_client_id: AtomicU64,
    started: SystemTime,
}

impl std::fmt::Debug for LiveState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveState")
            .field("runtime", &self.runtime.load())
            .finish_non_exhaustive()
    }
}

/// Removes the client from the registry and counters when its session ends.
#[derive(Debug)]
pub struct ClientSlot {
    state: Arc<LiveState>,
    id: u64,
    user: Option<String>,
}

/// Held for every accepted TCP connection, counted against `max_client_connections`.
#[derive(Debug)]
pub struct ConnectionSlot {
    state: Arc<LiveState>,
}

impl LiveState {
    pub fn new(
        runtime: RuntimeConfig,
        source: Option<ConfigSource>,
        inspector: Arc<dyn StatementInspector>,
    ) -> Arc<Self> {
        // A database that cannot be opened is reported to the clients that ask for it (and
        // by `sqlite_failures`, so that a binary can refuse to start).
        let sqlite = open_sqlite(&runtime.config, &HashMap::new())
            .into_iter()
            .map(|(name, opened)| {
                if let Err(reason) = &opened {
                    tracing::error!(database = %name, error = %reason, "cannot open SQLite database");
                }
                (name, opened)
            })
            .collect();
        Arc::new(LiveState {
            runtime: ArcSwap::from_pointee(runtime),
            source,
            pools: Pools::default(),
            mysql_pools: Pools::default(),
            galera: Default::default(),
            mysql_kills: Arc::default(),
            cancels: Arc::new(CancelRegistry::default()),
            inspector,
            counters: Counters::default(),
            sqlite: Mutex::new(sqlite),
            reload_hooks: Mutex::new(Vec::new()),
            clients: Mutex::new(HashMap::new()),
            per_user: Mutex::new(HashMap::new()),
            open_connections: AtomicUsize::new(0),
            next_client_id: AtomicU64::new(1),
            started: SystemTime::now(),
        })
    }

    /// The current configuration snapshot.
    pub fn runtime(&self) -> Arc<RuntimeConfig> {
        self.runtime.load_full()
    }

    pub fn started(&self) -> SystemTime {
        self.started
    }

    /// Re-reads the configuration and swaps it in. Pools whose backend or settings changed are
    /// closed (their clients finish on the old connections); unchanged pools and every client
    /// connection survive. On error nothing changes. Success (with what changed) and failure
    /// (with why) are both logged here, whoever asked (SIGHUP or the admin `RELOAD`).
    pub fn reload(&self) -> Result<(), String> {
        let outcome = match &self.source {
            None => Err("this proxy was started without a configuration source".to_owned()),
            Some(source) => {
                source().and_then(|config| self.apply(config).map_err(|e| e.to_string()))
            }
        };
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "reload failed, configuration unchanged");
        }
        outcome
    }

    /// Registers `hook`, run with the new configuration after every successful reload.
    pub fn on_reload(&self, hook: ReloadHook) {
        self.reload_hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(hook);
    }

    /// Puts a new configuration into service (see [`LiveState::reload`]). SQLite databases
    /// whose file and settings are unchanged stay open (with their sessions); new ones are
    /// opened first, and one that cannot be opened fails the reload.
    pub fn apply(&self, config: Config) -> Result<(), BuildError> {
        let next = RuntimeConfig::build(config)?;
        let sqlite = {
            let current = self.sqlite.lock().unwrap_or_else(|p| p.into_inner());
            open_sqlite(&next.config, &current)
        };
        if let Some((database, Err(reason))) = sqlite.iter().find(|(_, db)| db.is_err()) {
            return Err(BuildError::Sqlite {
                database: database.clone(),
                reason: reason.clone(),
            });
        }
        let current = self.runtime.load_full();
        let changes = crate::reload_diff::ConfigChanges::between(&current.config, &next.config);
        let (was, now) = (&current.config.proxy, &next.config.proxy);
        for (key, changed) in [
            ("proxy.pg_listen", was.pg_listen != now.pg_listen),
            ("proxy.mysql_listen", was.mysql_listen != now.mysql_listen),
            (
                "proxy.worker_threads",
                was.worker_threads != now.worker_threads,
            ),
        ] {
            if changed {
                tracing::warn!("{key} changed: the new value takes effect on restart");
            }
        }
        self.pools
            .retain(|key, pool| match next.route(&key.database, &key.user) {
                Some(route) => {
                    route.key == *key
                        && &route.target == pool.target()
                        && &route.settings == pool.settings()
                }
                None => false,
            });
        self.mysql_pools
            .retain(|key, pool| mysql_pool_survives(&next, key, pool));
        // Galera monitors stay (and so do their writers); only their settings change.
        self.galera.reconfigure(&next.config);
        *self.sqlite.lock().unwrap_or_else(|p| p.into_inner()) = sqlite;
        self.runtime.store(Arc::new(next));
        self.counters.reloads.fetch_add(1, Ordering::Relaxed);
        tracing::info!("configuration reloaded: {changes}");
        let applied = self.runtime.load_full();
        for hook in self
            .reload_hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            hook(&applied.config);
        }
        Ok(())
    }

    /// The open SQLite database of `[databases]` key `name`; `Err` says why there is none
    /// (not an SQLite database, or the file could not be opened).
    pub fn sqlite(&self, name: &str) -> Result<Arc<SqliteDatabase>, String> {
        match self
            .sqlite
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            Some(Ok(db)) => Ok(Arc::clone(db)),
            Some(Err(reason)) => Err(reason.clone()),
            None => Err(format!("database \"{name}\" is not an SQLite database")),
        }
    }

    /// Every open SQLite database, by name.
    pub fn sqlite_databases(&self) -> Vec<Arc<SqliteDatabase>> {
        let map = self.sqlite.lock().unwrap_or_else(|p| p.into_inner());
        let mut dbs: Vec<_> = map
            .values()
            .filter_map(|db| db.as_ref().ok())
            .cloned()
            .collect();
        dbs.sort_by(|a, b| a.name().cmp(b.name()));
        dbs
    }

    /// SQLite databases that could not be opened at start, with the reason.
    pub fn sqlite_failures(&self) -> Vec<(String, String)> {
        let map = self.sqlite.lock().unwrap_or_else(|p| p.into_inner());
        let mut failed: Vec<_> = map
            .iter()
            .filter_map(|(name, db)| db.as_ref().err().map(|e| (name.clone(), e.clone())))
            .collect();
        failed.sort();
        failed
    }

    /// Counts a new TCP connection; `None` when `max_client_connections` is reached.
    pub fn open_connection(self: &Arc<Self>) -> Option<ConnectionSlot> {
        let max = self.runtime.load().config.proxy.max_client_connections as usize;
        let prev = self.open_connections.fetch_add(1, Ordering::AcqRel);
        if prev >= max {
            self.open_connections.fetch_sub(1, Ordering::AcqRel);
            self.counters
                .clients_rejected
                .fetch_add(1, Ordering::Relaxed);
            return None;
        }
        self.counters
            .clients_accepted
            .fetch_add(1, Ordering::Relaxed);
        Some(ConnectionSlot {
            state: Arc::clone(self),
        })
    }

    /// Counts a client refused after it connected (too many connections for its role, no
    /// permission for the database, no such database): `clients_rejected`.
    pub fn count_rejected(&self) {
        self.counters
            .clients_rejected
            .fetch_add(1, Ordering::Relaxed);
    }

    pub fn open_connections(&self) -> usize {
        self.open_connections.load(Ordering::Acquire)
    }

    /// Registers an authenticated client; `None` if the user's `max_connections` is reached.
    pub fn register_client(
        self: &Arc<Self>,
        mut info: ClientInfo,
        user_limit: Option<u32>,
    ) -> Option<ClientSlot> {
        {
            let mut per_user = self.per_user.lock().unwrap_or_else(|p| p.into_inner());
            let n = per_user.entry(info.user.clone()).or_insert(0);
            if user_limit.is_some_and(|max| *n >= max) {
                return None;
            }
            *n += 1;
        }
        let id = self.next_client_id.fetch_add(1, Ordering::Relaxed);
        info.id = id;
        let user = info.user.clone();
        self.clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, info);
        Some(ClientSlot {
            state: Arc::clone(self),
            id,
            user: Some(user),
        })
    }

    pub fn clients(&self) -> Vec<ClientInfo> {
        let map = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<_> = map.values().cloned().collect();
        v.sort_by_key(|c| c.id);
        v
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.state
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
        if let Some(user) = self.user.take() {
            let mut per_user = self
                .state
                .per_user
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(n) = per_user.get_mut(&user) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    per_user.remove(&user);
                }
            }
        }
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.state.open_connections.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whether a MySQL pool still serves what `next` routes its (database, backend user) to: same
/// server (for a Galera cluster: a node still in the cluster), database, login and settings.
/// Its wire options come from clients and are not part of the configuration.
fn mysql_pool_survives(
    next: &RuntimeConfig,
    key: &crate::backend::pools::PoolKey,
    pool: &crate::backend::MySqlPool,
) -> bool {
    let Ok(route) = next.route_mysql(Some(&key.database), &key.user) else {
        return false;
    };
    let (now, was) = (&route.target, pool.target());
    let same_login =
        now.database == was.database && now.user == was.user && now.password == was.password;
    let same_place = match (&key.node, &route.galera) {
        (None, None) => now.host == was.host && now.port == was.port,
        (Some(node), Some(galera)) => galera.nodes.iter().any(|n| n.to_string() == node.addr),
        _ => false,
    };
    same_login && same_place && &route.settings == pool.settings()
}

/// The SQLite databases of `config`: those of `current` whose settings are unchanged, the
/// others opened anew (blocking file I/O, done at start and reload only).
fn open_sqlite(config: &Config, current: &SqliteMap) -> SqliteMap {
    let mut out = HashMap::new();
    for (name, db) in &config.databases {
        let Some(settings) = db.sqlite(name, &config.data_dir) else {
            continue;
        };
        let kept = current
            .get(name)
            .and_then(|db| db.as_ref().ok())
            .filter(|db| *db.settings() == settings);
        let opened = match kept {
            Some(db) => Ok(Arc::clone(db)),
            None => SqliteDatabase::open(name, &settings)
                .map_err(|e| format!("{}: {e}", settings.path.display())),
        };
        out.insert(name.clone(), opened);
    }
    out
}
