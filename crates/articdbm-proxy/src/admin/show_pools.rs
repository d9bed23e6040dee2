//! `SHOW POOLS`: one row per pool (PostgreSQL and MySQL) and per embedded SQLite database,
//! with its target, mode, size and connection counts.

use std::sync::atomic::Ordering;

use super::{AdminCommand, AdminReply};
use crate::backend::pools::PoolKey;
use crate::backend::{Connection, Pool};
use crate::state::LiveState;

pub struct ShowPools;

impl AdminCommand for ShowPools {
    fn words(&self) -> &'static [&'static str] {
        &["SHOW", "POOLS"]
    }
    fn summary(&self) -> &'static str {
        "pools with active, idle and waiting counts"
    }
    fn run(&self, state: &LiveState) -> AdminReply {
        let pg = state
            .pools
            .all()
            .into_iter()
            .map(|(k, p)| row(k, &p, "postgres"));
        let mysql = state
            .mysql_pools
            .all()
            .into_iter()
            .map(|(k, p)| row(k, &p, "mysql"));
        let sqlite = state.sqlite_databases().into_iter().map(|db| {
            let s = db.stats();
            vec![
                db.name().to_owned(),
                "*".to_owned(),
                db.settings().path.display().to_string(),
                "transaction".to_owned(),
                db.settings().max_connections.to_string(),
                s.in_use.to_string(),
                s.idle.to_string(),
                s.checkouts.to_string(),
                s.waits.to_string(),
                s.timeouts.to_string(),
                s.connects.to_string(),
                s.connect_errors.to_string(),
                "sqlite".to_owned(),
            ]
        });
        let rows = pg.chain(mysql).chain(sqlite).collect();
        AdminReply::table(
            vec![
                "database",
                "user",
                "server",
                "mode",
                "size",
                "active",
                "idle",
                "checkouts",
                "waits",
                "timeouts",
                "connects",
                "connect_errors",
                "protocol",
            ],
            rows,
        )
    }
}

fn row<C: Connection>(key: PoolKey, p: &Pool<C>, protocol: &str) -> Vec<String> {
    let t = p.target();
    vec![
        key.database,
        key.user,
        format!("{}/{}", t.addr(), t.database),
        format!("{:?}", p.mode()).to_lowercase(),
        p.size().to_string(),
        p.active_count().to_string(),
        p.idle_count().to_string(),
        p.stats.checkouts.load(Ordering::Relaxed).to_string(),
        p.stats.waits.load(Ordering::Relaxed).to_string(),
        p.stats.timeouts.load(Ordering::Relaxed).to_string(),
        p.stats.connects.load(Ordering::Relaxed).to_string(),
        p.stats.connect_errors.load(Ordering::Relaxed).to_string(),
        protocol.to_string(),
    ]
}
