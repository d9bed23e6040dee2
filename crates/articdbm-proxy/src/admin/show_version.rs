//! `SHOW VERSION`: the proxy's version.

use super::{AdminCommand, AdminReply};
use crate::state::LiveState;

pub struct ShowVersion;

impl AdminCommand for ShowVersion {
    fn words(&self) -> &'static [&'static str] {
        &["SHOW", "VERSION"]
    }
    fn summary(&self) -> &'static str {
        "proxy version"
    }
    fn run(&self, _state: &LiveState) -> AdminReply {
        AdminReply::table(
            vec!["version"],
            vec![vec![format!("ArticDBM {}", env!("CARGO_PKG_VERSION"))]],
        )
    }
}
