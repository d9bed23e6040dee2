//! The node monitor of one Galera cluster: a task that polls every node's `wsrep_ready`,
//! `wsrep_local_state` and `wsrep_cluster_status` each `check_interval` over a connection it
//! keeps per node (reconnecting after a failure), judges them (see [`super::health`]) and
//! publishes which nodes are usable and which one is the writer.
//!
//! One monitor serves every backend user and every database of the cluster, so there is one
//! writer per cluster. It logs in with any of the logins sessions gave it (the last one that
//! worked first; a login the node refuses is skipped for the next), and its settings change in
//! place on reload: the writer it chose stays the writer. The writer is a single node: at
//! first the first usable node in config order (or the node a replaced monitor of the same
//! cluster had chosen); it stays the writer while it is usable (sticky: a node that comes
//! back does not take the writes back), and when it fails the writes move to the next usable
//! node after it in config order (wrapping around). Sessions that lose a server call
//! [`GaleraMonitor::wake`] so the next poll runs at once.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use articdbm_config::{BackendAddr, GaleraSettings, Secret};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::health::{Change, NodeHealth, NodeProblem, STATUS_QUERY, choose_writer, judge};
use crate::backend::mysql::MySqlServer;
use crate::backend::target::BackendTarget;
use crate::error::BackendError;

/// Shortest time between two polls, even when sessions keep waking the monitor.
const MIN_GAP: Duration = Duration::from_millis(50);

/// Time before a usable node whose poll failed is polled again (at most the interval).
const RETRY_GAP: Duration = Duration::from_millis(100);

/// Logins kept per monitor (distinct backend users that sessions of the cluster log in as).
const MAX_LOGINS: usize = 8;

/// What the monitor last saw of the cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GaleraView {
    /// Indices (into the configured nodes) of the usable nodes, in config order.
    pub usable: Vec<usize>,
    /// Index of the node that takes the writes; `None` when no node is usable.
    pub writer: Option<usize>,
    /// Completed polls (`0`: nothing known yet).
    pub rounds: u64,
}

/// Credentials a poll can log in with (host and port are each node's).
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub user: String,
    pub password: Option<Secret>,
}

impl Login {
    /// The user and password of `target`.
    pub fn of(target: &BackendTarget) -> Login {
        Login {
            user: target.user.clone(),
            password: target.password.clone(),
        }
    }

    fn target(&self, node: &BackendAddr) -> BackendTarget {
        BackendTarget {
            host: node.host.clone(),
            port: node.port,
            database: String::new(),
            user: self.user.clone(),
            password: self.password.clone(),
            mysql: Default::default(),
        }
    }
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").field("user", &self.user).finish()
    }
}

/// What the monitor's task and its handle share.
#[derive(Debug)]
struct Shared {
    settings: Mutex<GaleraSettings>,
    /// Most recently working first.
    logins: Mutex<Vec<Login>>,
    wake: Notify,
}

impl Shared {
    fn settings(&self) -> GaleraSettings {
        *self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn logins(&self) -> Vec<Login> {
        self.logins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// `login` worked: try it first from now on.
    fn worked(&self, login: &Login) {
        let mut logins = self.logins.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = logins.iter().position(|l| l == login)
            && i > 0
        {
            let l = logins.remove(i);
            logins.insert(0, l);
        }
    }
}

/// A running monitor; the task stops when this is dropped.
#[derive(Debug)]
pub struct GaleraMonitor {
    nodes: Vec<BackendAddr>,
    shared: Arc<Shared>,
    view: watch::Receiver<Arc<GaleraView>>,
    next_reader: AtomicUsize,
    /// Set when a reload no longer lists this cluster's nodes: sessions move to the current
    /// configuration's monitor.
    retired: AtomicBool,
    task: JoinHandle<()>,
}

impl Drop for GaleraMonitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl GaleraMonitor {
    /// Starts polling `nodes` with `login`; `writer` is the node to keep as the writer if it
    /// is usable (a replaced monitor's choice). Must run inside a tokio runtime.
    pub fn start(
        nodes: Vec<BackendAddr>,
        settings: GaleraSettings,
        login: Login,
        writer: Option<usize>,
    ) -> Arc<Self> {
        let (tx, view) = watch::channel(Arc::new(GaleraView::default()));
        let shared = Arc::new(Shared {
            settings: Mutex::new(settings),
            logins: Mutex::new(vec![login]),
            wake: Notify::new(),
        });
        let task = tokio::spawn(poll_loop(nodes.clone(), Arc::clone(&shared), tx, writer));
        Arc::new(GaleraMonitor {
            nodes,
            shared,
            view,
            next_reader: AtomicUsize::new(0),
            retired: AtomicBool::new(false),
            task,
        })
    }

    pub fn nodes(&self) -> &[BackendAddr] {
        &self.nodes
    }

    pub fn settings(&self) -> GaleraSettings {
        self.shared.settings()
    }

    /// Applies new settings (a reload) without restarting: the writer stays.
    pub fn set_settings(&self, settings: GaleraSettings) {
        let mut current = self
            .shared
            .settings
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if *current != settings {
            tracing::info!(
                nodes = self.nodes.len(),
                ?settings,
                "galera monitor settings changed"
            );
            *current = settings;
        }
    }

    /// Adds a login sessions use (kept after the ones already known; the oldest unused one
    /// goes when there are too many). A login whose user is known with another password
    /// replaces it.
    pub fn add_login(&self, login: Login) {
        let mut logins = self.shared.logins.lock().unwrap_or_else(|p| p.into_inner());
        if logins.contains(&login) {
            return;
        }
        logins.retain(|l| l.user != login.user);
        if logins.len() >= MAX_LOGINS {
            logins.pop();
        }
        logins.push(login);
    }

    /// Replaces each login by what `update` makes of it, dropping those it returns `None`
    /// for (a reload changed or removed them).
    pub fn update_logins(&self, update: impl Fn(&Login) -> Option<Login>) {
        let mut logins = self.shared.logins.lock().unwrap_or_else(|p| p.into_inner());
        let mut next: Vec<Login> = Vec::with_capacity(logins.len());
        for login in logins.iter().filter_map(update) {
            if !next.contains(&login) {
                next.push(login);
            }
        }
        *logins = next;
    }

    pub fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }

    pub(super) fn retire(&self) {
        self.retired.store(true, Ordering::Release);
    }

    /// The latest view.
    pub fn view(&self) -> Arc<GaleraView> {
        Arc::clone(&self.view.borrow())
    }

    /// A receiver that sees every new view (for waiting on a change).
    pub fn subscribe(&self) -> watch::Receiver<Arc<GaleraView>> {
        self.view.clone()
    }

    /// Asks for a poll now (a session lost its server).
    pub fn wake(&self) {
        self.shared.wake.notify_one();
    }

    /// The writer node, if any node is usable.
    pub fn writer(&self) -> Option<usize> {
        self.view.borrow().writer
    }

    /// A usable node for a read, round-robin over the usable nodes.
    pub fn reader(&self) -> Option<usize> {
        let view = self.view.borrow();
        if view.usable.is_empty() {
            return None;
        }
        let n = self.next_reader.fetch_add(1, Ordering::Relaxed);
        view.usable.get(n % view.usable.len()).copied()
    }

    /// Waits until at least one poll completed, at most `timeout`.
    pub async fn first_poll(&self, timeout: Duration) {
        let mut rx = self.view.clone();
        let _ = tokio::time::timeout(timeout, rx.wait_for(|v| v.rounds > 0)).await;
    }

    /// Wakes the monitor and waits (at most `timeout`) for a poll that does not count node
    /// `index` as usable; whether one came.
    pub async fn without(&self, index: usize, timeout: Duration) -> bool {
        self.wake();
        let mut rx = self.view.clone();
        let wait = rx.wait_for(|v| v.rounds > 0 && !v.usable.contains(&index));
        matches!(tokio::time::timeout(timeout, wait).await, Ok(Ok(_)))
    }
}

async fn poll_loop(
    nodes: Vec<BackendAddr>,
    shared: Arc<Shared>,
    tx: watch::Sender<Arc<GaleraView>>,
    mut writer: Option<usize>,
) {
    let mut conns: Vec<Option<MySqlServer>> = nodes.iter().map(|_| None).collect();
    let mut health = vec![NodeHealth::default(); nodes.len()];
    let mut rounds = 0u64;
    loop {
        let settings = shared.settings();
        let timeout = settings.check_interval.max(Duration::from_secs(1));
        let checks = conns.iter_mut().zip(&nodes).map(|(conn, addr)| {
            let shared = &shared;
            async move {
                let r = tokio::time::timeout(
                    timeout,
                    check(conn, addr, shared, timeout, settings.allow_donor),
                )
                .await
                .unwrap_or_else(|_| Err(NodeProblem::Unreachable("poll timed out".into())));
                if matches!(r, Err(NodeProblem::Unreachable(_))) {
                    // A connection in an unknown state is not polled again.
                    *conn = None;
                }
                r
            }
        });
        let results = futures_util::future::join_all(checks).await;
        for (i, result) in results.into_iter().enumerate() {
            match health[i].record(result, settings.max_failed_polls) {
                Change::None => {}
                Change::Usable => tracing::info!(node = %nodes[i], "galera node usable"),
                Change::Unusable(p) => {
                    tracing::warn!(node = %nodes[i], problem = %p, "galera node not usable")
                }
                Change::Failed { failures, problem } => tracing::warn!(
                    node = %nodes[i],
                    problem = %problem,
                    failures,
                    limit = settings.max_failed_polls,
                    "galera poll failed; node still usable until the limit of failed polls"
                ),
            }
        }
        let usable: Vec<usize> = (0..nodes.len()).filter(|&i| health[i].usable()).collect();
        let next = choose_writer(writer, &usable, nodes.len());
        if next != writer || rounds == 0 {
            match next {
                Some(w) => tracing::info!(
                    writer = %nodes[w],
                    previous = %writer.map_or("none".to_string(), |p| nodes[p].to_string()),
                    "galera writer chosen"
                ),
                None => tracing::warn!(nodes = nodes.len(), "no usable galera node: no writer"),
            }
            writer = next;
        }
        rounds += 1;
        tx.send_replace(Arc::new(GaleraView {
            usable,
            writer,
            rounds,
        }));
        let gap = if health.iter().any(NodeHealth::suspect) {
            RETRY_GAP.min(settings.check_interval)
        } else {
            settings.check_interval
        };
        tokio::select! {
            () = tokio::time::sleep(gap) => {}
            () = shared.wake.notified() => tokio::time::sleep(MIN_GAP).await,
        }
    }
}

/// Polls one node over its kept connection, opening one if needed.
async fn check(
    conn: &mut Option<MySqlServer>,
    node: &BackendAddr,
    shared: &Shared,
    timeout: Duration,
    allow_donor: bool,
) -> Result<(), NodeProblem> {
    let server = match conn {
        Some(s) => s,
        None => conn.insert(connect(node, shared, timeout).await?),
    };
    let rows = server
        .query_rows(STATUS_QUERY)
        .await
        .map_err(|e| NodeProblem::Unreachable(e.to_string()))?;
    judge(&rows, allow_donor)
}

/// Logs in to `node` with the first login it accepts.
async fn connect(
    node: &BackendAddr,
    shared: &Shared,
    timeout: Duration,
) -> Result<MySqlServer, NodeProblem> {
    let mut refused = None;
    for login in shared.logins() {
        match MySqlServer::connect(&login.target(node), timeout).await {
            Ok(server) => {
                shared.worked(&login);
                return Ok(server);
            }
            // The server answered: this login is refused, another may not be.
            Err(e @ BackendError::MySql { .. }) => refused = Some(e),
            Err(e) => return Err(NodeProblem::Unreachable(e.to_string())),
        }
    }
    Err(NodeProblem::Unreachable(refused.map_or_else(
        || "no login to poll with".to_string(),
        |e| format!("login refused: {e}"),
    )))
}
