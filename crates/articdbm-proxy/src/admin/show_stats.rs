//! `SHOW STATS`: process-wide counters.

use std::sync::atomic::Ordering;

use super::{AdminCommand, AdminReply};
use crate::state::LiveState;

pub struct ShowStats;

impl AdminCommand for ShowStats {
    fn words(&self) -> &'static [&'static str] {
        &["SHOW", "STATS"]
    }
    fn summary(&self) -> &'static str {
        "process-wide counters"
    }
    fn run(&self, state: &LiveState) -> AdminReply {
        let c = &state.counters;
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed).to_string();
        let rows = vec![
            vec![
                "open_connections".into(),
                state.open_connections().to_string(),
            ],
            vec!["clients_accepted".into(), get(&c.clients_accepted)],
            vec!["clients_rejected".into(), get(&c.clients_rejected)],
            vec!["auth_failures".into(), get(&c.auth_failures)],
            vec!["queries".into(), get(&c.queries)],
            vec!["statements_blocked".into(), get(&c.statements_blocked)],
            vec!["statements_alerted".into(), get(&c.statements_alerted)],
            vec!["reloads".into(), get(&c.reloads)],
        ];
        AdminReply::table(vec!["name", "value"], rows)
    }
}
