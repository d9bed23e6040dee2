//! Galera node monitor: one task per (cluster, backend user) that polls every node's
//! `wsrep_ready`, `wsrep_local_state` and `wsrep_cluster_status` each `check_interval` over a
//! connection it keeps per node (reconnecting after a failure), and publishes which nodes are
//! usable and which one is the writer.
//!
//! A node is usable when `wsrep_ready = ON`, `wsrep_cluster_status = Primary` and
//! `wsrep_local_state = 4` (Synced), or `2` (Donor/Desynced) when `allow_donor` is set. The
//! writer is a single node: at first the first usable node in config order; it is kept as long
//! as it stays usable (sticky: a node that comes back does not take the writes back), and when it
//! fails the writes move to the next usable node after it in config order (wrapping around).
//! Sessions that lose a server call [`GaleraMonitor::wake`] so the next poll runs at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use articdbm_config::{BackendAddr, GaleraSettings};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::mysql::MySqlServer;
use super::target::BackendTarget;

/// The status variables a poll reads.
pub const STATUS_QUERY: &str = "SHOW GLOBAL STATUS WHERE Variable_name IN \
     ('wsrep_ready','wsrep_local_state','wsrep_cluster_status')";

/// Shortest time between two polls, even when sessions keep waking the monitor.
const MIN_GAP: Duration = Duration::from_millis(50);

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

/// Why a node is not usable (for the logs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeProblem {
    #[error("unreachable: {0}")]
    Unreachable(String),
    #[error("wsrep_ready is {0}")]
    NotReady(String),
    #[error("wsrep_cluster_status is {0}")]
    NotPrimary(String),
    #[error("wsrep_local_state is {0} (4 = Synced{donor})", donor = if *.1 { ", 2 = Donor" } else { "" })]
    NotSynced(String, bool),
    #[error("status variable {0} missing (not a Galera node?)")]
    Missing(&'static str),
}

/// Judges one node from the rows of [`STATUS_QUERY`] (`Variable_name`, `Value`).
pub fn judge(rows: &[Vec<Option<String>>], allow_donor: bool) -> Result<(), NodeProblem> {
    let get = |name: &'static str| {
        rows.iter()
            .find(|r| {
                r.first()
                    .and_then(Option::as_deref)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .and_then(|r| r.get(1).cloned().flatten())
            .ok_or(NodeProblem::Missing(name))
    };
    let ready = get("wsrep_ready")?;
    if !ready.eq_ignore_ascii_case("ON") {
        return Err(NodeProblem::NotReady(ready));
    }
    let cluster = get("wsrep_cluster_status")?;
    if !cluster.eq_ignore_ascii_case("Primary") {
        return Err(NodeProblem::NotPrimary(cluster));
    }
    let state = get("wsrep_local_state")?;
    match state.trim() {
        "4" => Ok(()),
        "2" if allow_donor => Ok(()),
        _ => Err(NodeProblem::NotSynced(state, allow_donor)),
    }
}

/// The writer after a poll: `previous` while it is usable, else the next usable node after it
/// in config order (wrapping), else (no previous writer) the first usable node.
pub fn choose_writer(previous: Option<usize>, usable: &[usize], nodes: usize) -> Option<usize> {
    match previous {
        Some(p) if usable.contains(&p) => Some(p),
        Some(p) => (1..=nodes)
            .map(|step| (p + step) % nodes)
            .find(|i| usable.contains(i)),
        None => usable.first().copied(),
    }
}

/// A running monitor; the task stops when this is dropped.
#[derive(Debug)]
pub struct GaleraMonitor {
    nodes: Vec<BackendAddr>,
    settings: GaleraSettings,
    /// Credentials the polls log in with (host and port are each node's).
    target: BackendTarget,
    view: watch::Receiver<Arc<GaleraView>>,
    wake: Arc<Notify>,
    next_reader: AtomicUsize,
    task: JoinHandle<()>,
}

impl Drop for GaleraMonitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl GaleraMonitor {
    /// Starts polling `nodes` as `target`'s user (its host and port are not used). Must run
    /// inside a tokio runtime.
    pub fn start(
        nodes: Vec<BackendAddr>,
        settings: GaleraSettings,
        target: BackendTarget,
    ) -> Arc<Self> {
        let (tx, view) = watch::channel(Arc::new(GaleraView::default()));
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(poll_loop(
            nodes.clone(),
            settings,
            target.clone(),
            tx,
            Arc::clone(&wake),
        ));
        Arc::new(GaleraMonitor {
            nodes,
            settings,
            target,
            view,
            wake,
            next_reader: AtomicUsize::new(0),
            task,
        })
    }

    pub fn nodes(&self) -> &[BackendAddr] {
        &self.nodes
    }

    pub fn settings(&self) -> GaleraSettings {
        self.settings
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
        self.wake.notify_one();
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

/// What a node was in the previous poll, for logging transitions.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Unknown,
    Usable,
    Unusable(NodeProblem),
}

async fn poll_loop(
    nodes: Vec<BackendAddr>,
    settings: GaleraSettings,
    target: BackendTarget,
    tx: watch::Sender<Arc<GaleraView>>,
    wake: Arc<Notify>,
) {
    let timeout = settings.check_interval.max(Duration::from_secs(1));
    let mut conns: Vec<Option<MySqlServer>> = nodes.iter().map(|_| None).collect();
    let mut seen = vec![Seen::Unknown; nodes.len()];
    let mut writer = None;
    let mut rounds = 0u64;
    loop {
        let checks = conns.iter_mut().zip(&nodes).map(|(conn, addr)| {
            let mut node_target = target.clone();
            node_target.host.clone_from(&addr.host);
            node_target.port = addr.port;
            async move {
                let r = tokio::time::timeout(
                    timeout,
                    check(conn, &node_target, timeout, settings.allow_donor),
                )
                .await
                .unwrap_or_else(|_| Err(NodeProblem::Unreachable("poll timed out".into())));
                if r.is_err() {
                    // A connection in an unknown state is not polled again.
                    *conn = None;
                }
                r
            }
        });
        let results = futures_util::future::join_all(checks).await;
        let mut usable = Vec::with_capacity(nodes.len());
        for (i, result) in results.into_iter().enumerate() {
            let now = match result {
                Ok(()) => {
                    usable.push(i);
                    Seen::Usable
                }
                Err(problem) => Seen::Unusable(problem),
            };
            if now != seen[i] {
                match &now {
                    Seen::Usable => tracing::info!(node = %nodes[i], "galera node usable"),
                    Seen::Unusable(p) => {
                        tracing::warn!(node = %nodes[i], problem = %p, "galera node not usable")
                    }
                    Seen::Unknown => {}
                }
                seen[i] = now;
            }
        }
        let next = choose_writer(writer, &usable, nodes.len());
        if next != writer {
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
        if tx.is_closed() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(settings.check_interval) => {}
            () = wake.notified() => tokio::time::sleep(MIN_GAP).await,
        }
    }
}

/// Polls one node over its kept connection, opening one if needed.
async fn check(
    conn: &mut Option<MySqlServer>,
    target: &BackendTarget,
    timeout: Duration,
    allow_donor: bool,
) -> Result<(), NodeProblem> {
    let server = match conn {
        Some(s) => s,
        None => {
            let s = MySqlServer::connect(target, timeout)
                .await
                .map_err(|e| NodeProblem::Unreachable(e.to_string()))?;
            conn.insert(s)
        }
    };
    let rows = server
        .query_rows(STATUS_QUERY)
        .await
        .map_err(|e| NodeProblem::Unreachable(e.to_string()))?;
    judge(&rows, allow_donor)
}

/// A monitor's identity: the cluster's nodes and the backend user it polls as.
type MonitorKey = (Vec<BackendAddr>, String);

/// The monitors of a proxy, one per (cluster nodes, backend user), started on first use.
#[derive(Debug, Default)]
pub struct GaleraMonitors {
    monitors: Mutex<HashMap<MonitorKey, Arc<GaleraMonitor>>>,
}

impl GaleraMonitors {
    /// The monitor of `nodes` polled as `target`'s user; one whose settings, password or
    /// database differ is replaced.
    pub fn get_or_start(
        &self,
        nodes: &[BackendAddr],
        settings: GaleraSettings,
        target: &BackendTarget,
    ) -> Arc<GaleraMonitor> {
        let mut map = self.monitors.lock().unwrap_or_else(|p| p.into_inner());
        let key = (nodes.to_vec(), target.user.clone());
        if let Some(m) = map.get(&key)
            && m.settings == settings
            && m.target.password == target.password
            && m.target.database == target.database
        {
            return Arc::clone(m);
        }
        let monitor = GaleraMonitor::start(nodes.to_vec(), settings, target.clone());
        map.insert(key, Arc::clone(&monitor));
        monitor
    }

    /// Stops every monitor (shutdown).
    pub fn stop_all(&self) {
        self.monitors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(ready: &str, state: &str, cluster: &str) -> Vec<Vec<Option<String>>> {
        [
            ("wsrep_cluster_status", cluster),
            ("wsrep_local_state", state),
            ("wsrep_ready", ready),
        ]
        .iter()
        .map(|(n, v)| vec![Some(n.to_string()), Some(v.to_string())])
        .collect()
    }

    #[test]
    fn usable_only_when_ready_primary_and_synced() {
        assert_eq!(judge(&rows("ON", "4", "Primary"), false), Ok(()));
        assert!(matches!(
            judge(&rows("OFF", "4", "Primary"), false),
            Err(NodeProblem::NotReady(_))
        ));
        assert!(matches!(
            judge(&rows("ON", "4", "non-Primary"), false),
            Err(NodeProblem::NotPrimary(_))
        ));
        assert!(matches!(
            judge(&rows("ON", "1", "Primary"), true),
            Err(NodeProblem::NotSynced(..))
        ));
        assert!(judge(&rows("ON", "2", "Primary"), false).is_err());
        assert_eq!(judge(&rows("ON", "2", "Primary"), true), Ok(()));
        assert_eq!(judge(&[], false), Err(NodeProblem::Missing("wsrep_ready")));
        let null_value = vec![vec![Some("wsrep_ready".to_string()), None]];
        assert_eq!(
            judge(&null_value, false),
            Err(NodeProblem::Missing("wsrep_ready"))
        );
    }

    #[test]
    fn writer_is_first_usable_then_sticky_then_next() {
        assert_eq!(choose_writer(None, &[0, 1, 2], 3), Some(0));
        assert_eq!(choose_writer(None, &[1, 2], 3), Some(1));
        assert_eq!(choose_writer(None, &[], 3), None);
        // Node 0 fails: next after it.
        assert_eq!(choose_writer(Some(0), &[1, 2], 3), Some(1));
        // Node 0 is back: the writer stays on 1 (sticky).
        assert_eq!(choose_writer(Some(1), &[0, 1, 2], 3), Some(1));
        // Node 1 fails: next after it is 2, even though 0 is usable.
        assert_eq!(choose_writer(Some(1), &[0, 2], 3), Some(2));
        // Last node fails: wraps around.
        assert_eq!(choose_writer(Some(2), &[0], 3), Some(0));
        assert_eq!(choose_writer(Some(2), &[], 3), None);
    }
}
