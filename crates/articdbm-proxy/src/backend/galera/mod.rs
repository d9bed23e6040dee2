//! Galera clusters: judging nodes from their `wsrep_*` status (`health`), the node monitor of
//! one cluster that picks its single writer (`monitor`), and the registry that keeps one
//! monitor per cluster for the whole proxy, across backend users and reloads (`registry`).

pub mod health;
pub mod monitor;
pub mod registry;

pub use health::{NodeProblem, STATUS_QUERY, choose_writer, judge};
pub use monitor::{GaleraMonitor, GaleraView, Login};
pub use registry::GaleraMonitors;
