//! One writer per Galera cluster, and reads that see the client's own writes, through the proxy
//! against the real 3-node cluster of `scripts/galera.sh` (started here when it is not
//! running, and stopped again at the end then). Which nodes took writes is read from the nodes'
//! own `wsrep_local_commits` counters, not from the proxy.
//!
//! One test, in phases that each have a time limit (they share the cluster):
//! (a) `galera_sync_wait = 1`: 300 insert-then-read pairs with 3 background writers, from a
//!     client that sets session state (`SET NAMES`, as drivers do, so reader connections get
//!     reset between clients): no read misses the row its own client just inserted;
//! (b) the monitor's connection to the healthy writer is killed again and again under load:
//!     the writer does not move (a node is shunned only after consecutive failed polls);
//! (c) two backend users (the database has no `user`): the writer moves while only the first
//!     user is connected (node desynced), then the second user connects, then a reload changes
//!     a `galera_*` key: both users' writes, old sessions' and new ones', land on one node;
//! (d) the writer is killed (SIGKILL) while 4 clients of both users insert: every
//!     acknowledged insert survives, and after the failover one node takes every write. The
//!     killed node rejoins at the end.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use articdbm_wire_mysql::auth::NativeVerifier;
use common::galera::{
    DB, PORTS, USER2, credentials, direct, ensure_cluster, galera, local_commits, writers_between,
};
use common::mysql::{MyProxy, start};
use common::{Setup, within};
use mysql_async::Conn;
use mysql_async::prelude::Queryable;
use tokio::sync::Mutex;

const APP_PW: &str = "app-Galera-8";

/// Ids of the rows inserted into `gw_w`.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// An INSERT of a new row into `gw_w` recording who wrote it and on which node.
fn insert_w(who: &str) -> String {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    format!("INSERT INTO gw_w (id, who, port) VALUES ({id}, {who}, @@port)")
}

fn proxy_setup(user1: &str, password: &str) -> Setup {
    let nat = NativeVerifier::from_password(APP_PW.as_bytes());
    // No `user` on the database: each client logs in to the nodes as its own name.
    Setup::new("transaction")
        .size(8)
        .env("GALERA_TEST_PASSWORD", password)
        .toml(&format!(
            r#"
[users.{user1}]
mysql_password = "{nat}"

[users.{USER2}]
mysql_password = "{nat}"

[databases.{DB}]
kind = "galera"
nodes = ["127.0.0.1:4306", "127.0.0.1:4307", "127.0.0.1:4308"]
password_env = "GALERA_TEST_PASSWORD"
galera_sync_wait = 1
galera_check_interval_ms = 200
"#
        ))
}

async fn client(proxy: &MyProxy, user: &str) -> Conn {
    proxy
        .connect(user, APP_PW, Some(DB))
        .await
        .unwrap_or_else(|e| panic!("{user} connects through the proxy: {e}"))
}

/// The port of the node that takes this session's writes (a transaction goes to the writer).
async fn writer_port(conn: &mut Conn) -> u16 {
    within(20, conn.query_drop("BEGIN")).await.expect("BEGIN");
    let port: u16 = within(20, conn.query_first("SELECT @@port"))
        .await
        .expect("SELECT @@port")
        .expect("row");
    within(20, conn.query_drop("COMMIT")).await.expect("COMMIT");
    port
}

/// Direct connections to the three nodes (for counters and setup).
async fn nodes(user: &str, password: &str) -> Vec<Conn> {
    let mut out = Vec::new();
    for port in PORTS {
        out.push(direct(port, user, password).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn galera_one_writer_per_cluster_and_read_your_writes() {
    let Some(started_here) = ensure_cluster("mysql_galera_writer").await else {
        return;
    };
    let (user, password) = credentials();
    let result = tokio::spawn(phases(user, password)).await;
    if started_here {
        let _ = galera(&["stop"]).await;
    } else {
        // Never leave a node desynced after a failed run.
        for n in ["1", "2", "3"] {
            let _ = galera(&["desync", n, "off"]).await;
        }
    }
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn phases(user: String, password: String) {
    let mut direct_nodes = nodes(&user, &password).await;
    let setup = &mut direct_nodes[1];
    setup
        .query_drop("DROP TABLE IF EXISTS gw_rw, gw_bg, gw_w")
        .await
        .expect("drop");
    for ddl in [
        "CREATE TABLE gw_rw (id INT PRIMARY KEY, v INT)",
        "CREATE TABLE gw_bg (id INT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(200))",
        // No AUTO_INCREMENT: a session keeps its server for a few commands after an insert that
        // generated an id, and these tests need every statement routed afresh.
        "CREATE TABLE gw_w (id BIGINT PRIMARY KEY, who VARCHAR(32), port INT)",
    ] {
        setup.query_drop(ddl).await.expect("create");
    }
    let proxy = start(proxy_setup(&user, &password)).await;

    within(120, read_your_writes(&proxy, &user)).await;
    within(
        60,
        killed_monitor_connection(&proxy, &user, &mut direct_nodes),
    )
    .await;
    within(
        120,
        two_users_and_a_reload(&proxy, &user, &mut direct_nodes),
    )
    .await;
    within(300, writer_killed_under_load(&proxy, &user, direct_nodes)).await;
    let mut direct_nodes = nodes(&user, &password).await;

    let _ = direct_nodes[1]
        .query_drop("DROP TABLE IF EXISTS gw_rw, gw_bg, gw_w")
        .await;
    for c in direct_nodes {
        let _ = c.disconnect().await;
    }
}

/// Background writers through the proxy until `stop` is set.
fn background_writers(
    proxy: &MyProxy,
    user: &str,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<u64>> {
    (0..3)
        .map(|_| {
            let opts = proxy.opts(user, APP_PW, Some(DB));
            let stop = Arc::clone(stop);
            tokio::spawn(async move {
                let mut conn = Conn::new(opts).await.expect("background writer connects");
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    conn.query_drop("INSERT INTO gw_bg (pad) VALUES (REPEAT('x', 200))")
                        .await
                        .expect("background insert");
                    n += 1;
                }
                n
            })
        })
        .collect()
}

/// (a) Read-your-writes with `galera_sync_wait = 1`, counted as stale reads.
async fn read_your_writes(proxy: &MyProxy, user: &str) {
    let stop = Arc::new(AtomicBool::new(false));
    let writers = background_writers(proxy, user, &stop);
    let mut c = client(proxy, user).await;
    // Session state, as most drivers set at connect: every server this client borrows gets
    // it replayed, so a reader connection it used is reset before the next client's read.
    c.query_drop("SET NAMES utf8mb4").await.expect("SET NAMES");
    let writer = writer_port(&mut c).await;
    let pairs = 300;
    let mut stale = 0;
    let mut on_other_nodes = 0;
    for id in 0..pairs {
        c.query_drop(format!("INSERT INTO gw_rw VALUES ({id}, {id})"))
            .await
            .expect("insert");
        let (found, port): (u32, u16) = c
            .query_first(format!(
                "SELECT COUNT(*), @@port FROM gw_rw WHERE id = {id}"
            ))
            .await
            .expect("read")
            .expect("row");
        if port != writer {
            on_other_nodes += 1;
        }
        if found != 1 {
            stale += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut background = 0;
    for w in writers {
        background += w.await.expect("background writer");
    }
    println!(
        "read-your-writes: {stale} of {pairs} reads missed their own insert ({on_other_nodes} \
         reads on nodes other than the writer, {background} background inserts)"
    );
    assert!(
        on_other_nodes >= pairs / 3,
        "reads must reach the other nodes to test anything: {on_other_nodes} of {pairs}"
    );
    assert_eq!(stale, 0, "stale reads with galera_sync_wait = 1");
}

/// (b) Killing the monitor's connection on the healthy writer does not move the writer.
async fn killed_monitor_connection(proxy: &MyProxy, user: &str, direct_nodes: &mut [Conn]) {
    let mut c = client(proxy, user).await;
    let writer = writer_port(&mut c).await;
    let w = PORTS
        .iter()
        .position(|p| *p == writer)
        .expect("a cluster port");
    let before = local_commits(direct_nodes).await;
    let stop = Arc::new(AtomicBool::new(false));
    let inserts = Arc::new(AtomicU64::new(0));
    let load = {
        let stop = Arc::clone(&stop);
        let inserts = Arc::clone(&inserts);
        let opts = proxy.opts(user, APP_PW, Some(DB));
        tokio::spawn(async move {
            let mut c = c;
            while !stop.load(Ordering::Relaxed) {
                match c.query_drop(insert_w("'kill'")).await {
                    Ok(()) => {
                        inserts.fetch_add(1, Ordering::Relaxed);
                    }
                    // The KILL by user can hit this client's own server connection too (the
                    // monitor polls with the sessions' login): a server lost under a statement
                    // ends the client connection (issue 10, items 1 and 2), so reconnect.
                    Err(mysql_async::Error::Io(_)) => {
                        c = mysql_async::Conn::new(opts.clone())
                            .await
                            .expect("reconnect");
                    }
                    Err(e) => panic!("insert while the monitor's connection is killed: {e}"),
                }
            }
        })
    };
    // The monitor logs in without a schema; the pools' connections and this test's have one.
    let mut killed = 0;
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        let ids: Vec<u64> = direct_nodes[w]
            .query(
                "SELECT ID FROM information_schema.PROCESSLIST \
                 WHERE DB IS NULL AND USER LIKE 'articdbm\\_test%' AND ID <> CONNECTION_ID()",
            )
            .await
            .expect("processlist");
        for id in ids {
            if direct_nodes[w]
                .query_drop(format!("KILL {id}"))
                .await
                .is_ok()
            {
                killed += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop.store(true, Ordering::Relaxed);
    load.await.expect("load task");
    let after = local_commits(direct_nodes).await;
    println!(
        "killed monitor connections: {killed}; {} inserts; local commits per node {:?}",
        inserts.load(Ordering::Relaxed),
        after
            .iter()
            .zip(&before)
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>()
    );
    assert!(killed >= 3, "the monitor's connection was killed: {killed}");
    assert_eq!(
        writers_between(&before, &after),
        vec![writer],
        "writes stayed on the writer"
    );
    let mut fresh = client(proxy, user).await;
    assert_eq!(
        writer_port(&mut fresh).await,
        writer,
        "the writer did not move"
    );
}

/// Inserts `n` rows through each of `conns` (in turn) and returns the nodes that committed
/// them.
async fn write_through(conns: &mut [Conn], direct_nodes: &mut [Conn], n: usize) -> Vec<u16> {
    let before = local_commits(direct_nodes).await;
    for _ in 0..n {
        for conn in conns.iter_mut() {
            conn.query_drop(insert_w("CURRENT_USER()"))
                .await
                .expect("insert");
        }
    }
    let after = local_commits(direct_nodes).await;
    writers_between(&before, &after)
}

/// (c) Two backend users share one writer, also after it moved and after a reload.
async fn two_users_and_a_reload(proxy: &MyProxy, user: &str, direct_nodes: &mut [Conn]) {
    let mut first = client(proxy, user).await;
    let was = writer_port(&mut first).await;
    let n = (PORTS
        .iter()
        .position(|p| *p == was)
        .expect("a cluster port")
        + 1)
    .to_string();
    // The writer's node leaves Synced for a moment: the writer moves, and stays moved.
    assert!(galera(&["desync", &n, "on"]).await, "desync node {n}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let moved = loop {
        let now = writer_port(&mut first).await;
        if now != was {
            break now;
        }
        assert!(
            Instant::now() < deadline,
            "the writer did not leave a desynced node"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(galera(&["desync", &n, "off"]).await, "resync node {n}");
    // Let the monitor see the node Synced again (it stays a reader, not the writer).
    tokio::time::sleep(Duration::from_millis(1000)).await;

    // The second backend user's first session comes after the move.
    let second = client(proxy, USER2).await;
    let mut conns = vec![first, second];
    let writers = write_through(&mut conns, direct_nodes, 50).await;
    println!("two users after the writer moved {was} -> {moved}: writes on {writers:?}");
    assert_eq!(writers, vec![moved], "both users write to the one writer");

    // A reload that changes a galera_* key: old sessions and new ones, both users.
    let mut config = proxy.state.runtime().config.clone();
    config
        .databases
        .get_mut(DB)
        .expect("the cluster is configured")
        .galera_check_interval_ms = Some(300);
    proxy.state.apply(config).expect("reload");
    conns.push(client(proxy, user).await);
    conns.push(client(proxy, USER2).await);
    let writers = write_through(&mut conns, direct_nodes, 30).await;
    println!("after a reload: writes on {writers:?}");
    assert_eq!(writers, vec![moved], "the writer survives a reload");
    for c in conns {
        let _ = c.disconnect().await;
    }
}

/// Errors a statement in flight may get while its node is killed: deadlock/certification
/// (1213), WSREP not ready (1047), a commit the cluster could no longer replicate (1180), and a
/// lost connection (2013, from a proxy that keeps the session).
const FAILOVER_ERRORS: [u16; 4] = [1213, 1047, 1180, 2013];

/// (d) SIGKILL of the writer under load from both users.
async fn writer_killed_under_load(proxy: &MyProxy, user: &str, mut direct_nodes: Vec<Conn>) {
    let mut probe = client(proxy, user).await;
    let writer = writer_port(&mut probe).await;
    let w = PORTS
        .iter()
        .position(|p| *p == writer)
        .expect("a cluster port");
    let survivors: Vec<usize> = (0..PORTS.len()).filter(|&i| i != w).collect();
    let killed_at: Arc<Mutex<Option<Instant>>> = Arc::default();
    let acked: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let errors: Arc<Mutex<BTreeMap<u16, u32>>> = Arc::default();
    let mut clients = Vec::new();
    for k in 0..4 {
        let who = if k % 2 == 0 {
            user.to_string()
        } else {
            USER2.to_string()
        };
        let opts = proxy.opts(&who, APP_PW, Some(DB));
        let (killed_at, acked, errors) = (
            Arc::clone(&killed_at),
            Arc::clone(&acked),
            Arc::clone(&errors),
        );
        clients.push(tokio::spawn(async move {
            let mut conn = Conn::new(opts.clone()).await.expect("client connects");
            let mut after_kill = 0;
            let mut n = 0;
            while after_kill < 30 {
                n += 1;
                let tag = format!("k{k}-{n}");
                let sql = insert_w(&format!("'{tag}'"));
                let r = tokio::time::timeout(Duration::from_secs(30), conn.query_drop(&sql))
                    .await
                    .unwrap_or_else(|_| panic!("client {k}: statement hung"));
                match r {
                    Ok(()) => {
                        let now = Instant::now();
                        if killed_at.lock().await.is_some_and(|t| now > t) {
                            after_kill += 1;
                        }
                        acked.lock().await.push((tag, now));
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    Err(mysql_async::Error::Server(e)) => {
                        assert!(
                            FAILOVER_ERRORS.contains(&e.code),
                            "client {k}: unexpected error {} {}",
                            e.code,
                            e.message
                        );
                        *errors.lock().await.entry(e.code).or_default() += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(e) => {
                        // The connection ended (a proxy may end it rather than keep a session
                        // whose server died): count it and connect again.
                        eprintln!("client {k}: {e}; reconnecting");
                        *errors.lock().await.entry(0).or_default() += 1;
                        conn = Conn::new(opts.clone()).await.expect("client reconnects");
                    }
                }
            }
        }));
    }
    within(30, async {
        while acked.lock().await.len() < 80 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let node = (w + 1).to_string();
    let kill_at = Instant::now();
    *killed_at.lock().await = Some(kill_at);
    assert!(
        galera(&["stop-node", &node, "--kill"]).await,
        "kill node {node}"
    );
    // Once writes flow again, one surviving node takes all of them.
    within(60, async {
        loop {
            let first_after = acked.lock().await.iter().any(|(_, t)| *t > kill_at);
            if first_after {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let resumed_after = kill_at.elapsed();
    // The killed node's connection is dead; the others count.
    drop(direct_nodes.remove(w));
    let mut alive = direct_nodes;
    let before = local_commits(&mut alive).await;
    for c in clients {
        within(120, c).await.expect("client task");
    }
    let after = local_commits(&mut alive).await;
    let took_writes: Vec<u16> = survivors
        .iter()
        .zip(before.iter().zip(&after))
        .filter(|(_, (b, a))| a > b)
        .map(|(i, _)| PORTS[*i])
        .collect();
    let errors = errors.lock().await.clone();
    println!(
        "writer {writer} killed: first acknowledged write {resumed_after:?} later; writes after \
         that on {took_writes:?}; client errors by code (0 = connection ended) {errors:?}"
    );
    assert_eq!(
        took_writes.len(),
        1,
        "one writer after the failover: {took_writes:?}"
    );
    // Every acknowledged insert is on the surviving nodes.
    let present: HashSet<String> = alive[0]
        .query::<String, _>("SELECT who FROM gw_w WHERE who LIKE 'k%'")
        .await
        .expect("rows")
        .into_iter()
        .collect();
    let missing: Vec<String> = acked
        .lock()
        .await
        .iter()
        .filter(|(tag, _)| !present.contains(tag))
        .map(|(tag, _)| tag.clone())
        .collect();
    assert!(missing.is_empty(), "acknowledged inserts lost: {missing:?}");
    for c in alive {
        let _ = c.disconnect().await;
    }
    assert!(galera(&["start-node", &node]).await, "node {node} rejoins");
}
