//! Judging Galera nodes from their status, across polls: whether one poll's answer makes a
//! node usable (`judge`), how failed polls add up before a node is dropped (`NodeHealth`), and
//! which node takes the writes (`choose_writer`). No I/O.
//!
//! A node is usable when `wsrep_ready = ON`, `wsrep_cluster_status = Primary` and
//! `wsrep_local_state = 4` (Synced), or `2` (Donor/Desynced) when `allow_donor` is set. A node
//! that answers with any other state is dropped at once; a poll that gets no answer (no
//! connection, a lost one, a timeout) only counts: a usable node is dropped after
//! `max_failed_polls` such polls in a row, so one killed monitor connection does not move the
//! writer (as ProxySQL's `max_timeout_count`).

/// The status variables a poll reads.
pub const STATUS_QUERY: &str = "SHOW GLOBAL STATUS WHERE Variable_name IN \
     ('wsrep_ready','wsrep_local_state','wsrep_cluster_status')";

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

impl NodeProblem {
    /// Whether the node itself said it cannot take statements (as opposed to a poll that got
    /// no answer).
    pub fn is_reported_state(&self) -> bool {
        !matches!(self, NodeProblem::Unreachable(_))
    }
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

/// What changed for a node with one poll (for the logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Nothing worth a log line.
    None,
    /// Usable now (first poll, or back).
    Usable,
    /// Not usable now, or not usable for another reason than before.
    Unusable(NodeProblem),
    /// A usable node's poll failed; it stays usable until `failures` reaches the limit.
    Failed { failures: u32, problem: NodeProblem },
}

/// What the monitor knows of one node across polls.
#[derive(Debug, Clone, Default)]
pub struct NodeHealth {
    usable: bool,
    /// Why it is not usable (`None` while usable or before the first poll).
    problem: Option<NodeProblem>,
    /// Polls in a row that got no answer.
    failures: u32,
}

impl NodeHealth {
    pub fn usable(&self) -> bool {
        self.usable
    }

    /// A usable node whose last poll failed: it is polled again soon.
    pub fn suspect(&self) -> bool {
        self.usable && self.failures > 0
    }

    /// Takes one poll's result into account (`max_failed_polls` at least 1).
    pub fn record(&mut self, result: Result<(), NodeProblem>, max_failed_polls: u32) -> Change {
        match result {
            Ok(()) => {
                self.failures = 0;
                self.problem = None;
                if self.usable {
                    Change::None
                } else {
                    self.usable = true;
                    Change::Usable
                }
            }
            Err(problem) => {
                if problem.is_reported_state() {
                    self.failures = 0;
                } else {
                    self.failures = self.failures.saturating_add(1);
                    if self.usable && self.failures < max_failed_polls.max(1) {
                        return Change::Failed {
                            failures: self.failures,
                            problem,
                        };
                    }
                }
                let changed = self.usable || self.problem.as_ref() != Some(&problem);
                self.usable = false;
                self.problem = Some(problem.clone());
                if changed {
                    Change::Unusable(problem)
                } else {
                    Change::None
                }
            }
        }
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

    fn lost() -> Result<(), NodeProblem> {
        Err(NodeProblem::Unreachable("connection lost".into()))
    }

    #[test]
    fn a_usable_node_survives_fewer_failed_polls_than_the_limit() {
        let mut node = NodeHealth::default();
        assert_eq!(node.record(Ok(()), 3), Change::Usable);
        assert!(matches!(
            node.record(lost(), 3),
            Change::Failed { failures: 1, .. }
        ));
        assert!(node.usable() && node.suspect());
        assert!(matches!(
            node.record(lost(), 3),
            Change::Failed { failures: 2, .. }
        ));
        // An answer in between starts the count again.
        assert_eq!(node.record(Ok(()), 3), Change::None);
        assert!(node.usable() && !node.suspect());
        node.record(lost(), 3);
        node.record(lost(), 3);
        assert!(matches!(node.record(lost(), 3), Change::Unusable(_)));
        assert!(!node.usable());
        // Further failures are not news.
        assert_eq!(node.record(lost(), 3), Change::None);
        assert_eq!(node.record(Ok(()), 3), Change::Usable);
    }

    #[test]
    fn a_reported_state_drops_the_node_at_once() {
        let mut node = NodeHealth::default();
        node.record(Ok(()), 3);
        let desynced = Err(NodeProblem::NotSynced("2".into(), false));
        assert!(matches!(node.record(desynced, 3), Change::Unusable(_)));
        assert!(!node.usable());
    }

    #[test]
    fn a_node_never_seen_usable_is_not_usable_after_a_failed_poll() {
        let mut node = NodeHealth::default();
        assert!(matches!(node.record(lost(), 3), Change::Unusable(_)));
        assert!(!node.usable());
        // Limit 1: the first failure drops a usable node (the behaviour before the limit).
        let mut node = NodeHealth::default();
        node.record(Ok(()), 1);
        assert!(matches!(node.record(lost(), 1), Change::Unusable(_)));
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
