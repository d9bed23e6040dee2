//! `RELOAD`: re-read the configuration (same as SIGHUP); client connections stay up.

use super::{AdminCommand, AdminReply};
use crate::state::LiveState;

pub struct Reload;

impl AdminCommand for Reload {
    fn words(&self) -> &'static [&'static str] {
        &["RELOAD"]
    }
    fn summary(&self) -> &'static str {
        "re-read the configuration file and environment"
    }
    fn run(&self, state: &LiveState) -> AdminReply {
        match state.reload() {
            Ok(()) => AdminReply::Done("RELOAD".into()),
            Err(e) => AdminReply::Error(format!("reload failed, configuration unchanged: {e}")),
        }
    }
}
