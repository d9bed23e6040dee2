//! `SHOW HELP`: the list of admin commands.

use super::{AdminCommand, AdminReply, commands};
use crate::state::LiveState;

pub struct ShowHelp;

impl AdminCommand for ShowHelp {
    fn words(&self) -> &'static [&'static str] {
        &["SHOW", "HELP"]
    }
    fn summary(&self) -> &'static str {
        "this list"
    }
    fn run(&self, _state: &LiveState) -> AdminReply {
        let rows = commands()
            .iter()
            .map(|c| vec![c.words().join(" "), c.summary().to_string()])
            .collect();
        AdminReply::table(vec!["command", "description"], rows)
    }
}
