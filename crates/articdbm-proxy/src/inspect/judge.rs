//! Acting on a verdict the same way in every session loop (PostgreSQL and MySQL, server-backed
//! and embedded SQLite): the statement is shown to the inspector, an alert or a block is
//! counted and logged, and the verdict goes back to the loop, which alone knows how its
//! protocol refuses a blocked statement.

use std::sync::atomic::Ordering;

use super::{StatementContext, Verdict};
use crate::state::LiveState;

/// Shows the statement to the proxy's inspector, counts and logs an alert or a block, and
/// returns the verdict.
pub(crate) fn judge(state: &LiveState, ctx: &StatementContext<'_>) -> Verdict {
    let verdict = state.inspector.inspect(ctx);
    match &verdict {
        Verdict::Allow => {}
        Verdict::Alert { rule, reason } => {
            state
                .counters
                .statements_alerted
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(user = %ctx.user, rule = %rule, reason = %reason, "statement alert");
        }
        Verdict::Block { rule, .. } => {
            state
                .counters
                .statements_blocked
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(user = %ctx.user, rule = %rule, "statement blocked");
        }
    }
    verdict
}
