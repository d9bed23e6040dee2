//! The Galera side of the end-to-end harness: the real 3-node MariaDB Galera cluster of
//! `scripts/galera.sh` (nodes on 127.0.0.1:4306/4307/4308, test users `articdbm_test` and
//! `articdbm_test2` sharing one password), direct connections to single nodes, and the nodes'
//! own counters of the transactions they committed as the local node.

use std::collections::HashMap;
use std::path::Path;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder};

use super::within;

pub const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/galera.sh");
pub const ENV_FILE: &str = "/tmp/articdbm-galera/env";
pub const PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";
pub const PORTS: [u16; 3] = [4306, 4307, 4308];
/// The cluster's test database (the test users have every privilege on `articdbm\_%`).
pub const DB: &str = "articdbm_galera";
/// The second backend user `scripts/galera.sh` creates (same password as the first).
pub const USER2: &str = "articdbm_test2";

/// Runs `scripts/galera.sh args...`; whether it succeeded.
pub async fn galera(args: &[&str]) -> bool {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg(SCRIPT)
            .args(&args)
            .status()
            .is_ok_and(|s| s.success())
    })
    .await
    .unwrap_or(false)
}

/// Makes sure the whole cluster runs. `Some(started_here)`, or `None` (after printing why)
/// when it cannot run because `galera-4` is not installed and cannot be installed.
pub async fn ensure_cluster(test: &str) -> Option<bool> {
    if galera(&["status"]).await {
        return Some(false);
    }
    if galera(&["start"]).await {
        return Some(true);
    }
    if !Path::new(PROVIDER).exists() {
        println!(
            "SKIPPED {test}: galera-4 is not installed and could not be installed \
             (scripts/galera.sh start failed without {PROVIDER})"
        );
        return None;
    }
    panic!("scripts/galera.sh start failed although galera-4 is installed");
}

/// The first test user's credentials from the script's env file.
pub fn credentials() -> (String, String) {
    let text = std::fs::read_to_string(ENV_FILE).expect("galera env file");
    let mut vars = HashMap::new();
    for line in text.lines() {
        if let Some((k, v)) = line.trim_start_matches("export ").split_once('=') {
            vars.insert(k.to_string(), v.trim_matches('\'').to_string());
        }
    }
    (
        vars.get("MYSQL_USER").cloned().expect("MYSQL_USER"),
        vars.get("MYSQL_PASSWORD").cloned().expect("MYSQL_PASSWORD"),
    )
}

/// A direct connection to the node on `port`, in the test database. Its reads wait until the
/// node has applied every write the cluster committed before them (`wsrep_sync_wait = 1`).
pub async fn direct(port: u16, user: &str, password: &str) -> Conn {
    let opts = OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(port)
        .user(Some(user))
        .pass(Some(password))
        .db_name(Some(DB))
        .prefer_socket(false)
        .init(vec!["SET SESSION wsrep_sync_wait = 1"]);
    within(20, Conn::new(opts))
        .await
        .unwrap_or_else(|e| panic!("direct connection to node on {port}: {e}"))
}

/// Per node (in [`PORTS`] order), the transactions it committed as the local node
/// (`wsrep_local_commits`: a write that ran there, not one it applied from another node).
pub async fn local_commits(nodes: &mut [Conn]) -> Vec<u64> {
    let mut out = Vec::with_capacity(nodes.len());
    for conn in nodes.iter_mut() {
        let row: Option<(String, u64)> = within(
            20,
            conn.query_first("SHOW GLOBAL STATUS LIKE 'wsrep_local_commits'"),
        )
        .await
        .expect("wsrep_local_commits");
        out.push(row.expect("a Galera node").1);
    }
    out
}

/// The ports of the nodes whose local commits grew between two [`local_commits`] snapshots.
pub fn writers_between(before: &[u64], after: &[u64]) -> Vec<u16> {
    PORTS
        .iter()
        .zip(before.iter().zip(after))
        .filter(|(_, (b, a))| a > b)
        .map(|(port, _)| *port)
        .collect()
}
