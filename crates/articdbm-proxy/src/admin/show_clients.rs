//! `SHOW CLIENTS`: connected, authenticated clients.

use super::{AdminCommand, AdminReply};
use crate::state::LiveState;

pub struct ShowClients;

impl AdminCommand for ShowClients {
    fn words(&self) -> &'static [&'static str] {
        &["SHOW", "CLIENTS"]
    }
    fn summary(&self) -> &'static str {
        "connected clients"
    }
    fn run(&self, state: &LiveState) -> AdminReply {
        let rows = state
            .clients()
            .into_iter()
            .map(|c| {
                let secs = c
                    .connected_at
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                vec![
                    c.id.to_string(),
                    c.user,
                    c.database,
                    c.addr.to_string(),
                    c.tls.to_string(),
                    secs.to_string(),
                ]
            })
            .collect();
        AdminReply::table(
            vec![
                "id",
                "user",
                "database",
                "address",
                "tls",
                "connected_at_unix",
            ],
            rows,
        )
    }
}
