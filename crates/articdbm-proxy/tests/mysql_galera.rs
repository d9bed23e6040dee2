//! Galera through the proxy against the real 3-node MariaDB Galera cluster of
//! `scripts/galera.sh` (nodes on 127.0.0.1:4306/4307/4308), started here when it is not
//! running (and stopped again at the end then). Skipped with a printed message only when the
//! cluster cannot be started because `galera-4` is not installed and cannot be installed.
//!
//! One test, in phases that each have a time limit: (a) writes land on node 1, plain reads
//! spread over the three nodes with `wsrep_sync_wait` set on readers only; (b) a certification
//! conflict reaches the client as the server's ERR 1213, not retried; (c) node 1 stops during
//! 200 inserts from 4 clients: writes move to node 2, every acknowledged insert is on a
//! surviving node, clients only see clean errors; (d) node 1 rejoins: the monitor uses it for
//! reads again, the writer does not fail back to it (sticky; it leaves node 2 only if node 2
//! was the rejoin's donor).

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use articdbm_wire_mysql::auth::NativeVerifier;
use common::mysql::{MyProxy, start};
use common::{Setup, within};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder};
use tokio::sync::Mutex;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/galera.sh");
const ENV_FILE: &str = "/tmp/articdbm-galera/env";
const PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";
const PORTS: [u16; 3] = [4306, 4307, 4308];
const DB: &str = "articdbm_galera";
const APP_PW: &str = "app-Galera-7";
/// Errors a client may get for a statement in flight while its node goes away: lost
/// connection (2013), deadlock/certification (1213), WSREP not ready (1047), the server's
/// own shutdown errors (1053 server shutdown in progress, 1927 connection killed), and a
/// commit the leaving node could no longer replicate (1180 "Error while appending streaming
/// replication fragment ... Not connected to Primary Component": rolled back, not acknowledged).
const CLEAN_ERRORS: [u16; 6] = [2013, 1213, 1047, 1053, 1927, 1180];

/// Runs `scripts/galera.sh args...`; whether it succeeded.
async fn galera(args: &[&str]) -> bool {
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

/// The test user's credentials from the script's env file.
fn credentials() -> (String, String) {
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

/// A direct connection to one node. Its reads wait until the node has applied every write
/// the cluster committed before them (`wsrep_sync_wait = 1`): a write acknowledged on another
/// node is certified everywhere but may not be applied here yet.
async fn direct(port: u16, user: &str, password: &str) -> Conn {
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

fn proxy_setup(user: &str, password: &str) -> Setup {
    let nat = NativeVerifier::from_password(APP_PW.as_bytes());
    Setup::new("transaction")
        .size(8)
        .env("GALERA_TEST_PASSWORD", password)
        .toml(&format!(
            r#"
[users.app]
mysql_password = "{nat}"

[databases.{DB}]
kind = "galera"
nodes = ["127.0.0.1:4306", "127.0.0.1:4307", "127.0.0.1:4308"]
user = "{user}"
password_env = "GALERA_TEST_PASSWORD"
galera_sync_wait = 1
galera_check_interval_ms = 200
"#
        ))
}

async fn app(proxy: &MyProxy) -> Conn {
    proxy
        .connect("app", APP_PW, Some(DB))
        .await
        .expect("app connects through the proxy")
}

async fn port_of(conn: &mut Conn, sql: &str) -> u16 {
    within(20, conn.query_first::<u16, _>(sql))
        .await
        .expect("query")
        .expect("a row")
}

/// The port of the node that takes this session's writes (a transaction goes to the writer).
async fn writer_port(conn: &mut Conn) -> u16 {
    within(20, conn.query_drop("BEGIN")).await.expect("BEGIN");
    let port = port_of(conn, "SELECT @@port").await;
    within(20, conn.query_drop("COMMIT")).await.expect("COMMIT");
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn galera_writer_reads_certification_failover_and_rejoin() {
    let was_running = galera(&["status"]).await;
    if !was_running && !galera(&["start"]).await {
        if !Path::new(PROVIDER).exists() {
            println!(
                "SKIPPED mysql_galera: galera-4 is not installed and could not be installed \
                 (scripts/galera.sh start failed without {PROVIDER})"
            );
            return;
        }
        panic!("scripts/galera.sh start failed although galera-4 is installed");
    }
    let (user, password) = credentials();
    let result = tokio::spawn(phases(user, password)).await;
    // Leave the cluster as it was found: stopped if this test started it, else whole.
    if was_running {
        let _ = galera(&["start-node", "1"]).await;
    } else {
        let _ = galera(&["stop"]).await;
    }
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn phases(user: String, password: String) {
    // Node 1 may be down after an earlier interrupted run.
    if !galera(&["status"]).await {
        assert!(galera(&["start-node", "1"]).await, "start-node 1");
    }
    let proxy = start(proxy_setup(&user, &password)).await;
    let mut n2 = direct(PORTS[1], &user, &password).await;
    n2.query_drop("DROP TABLE IF EXISTS fo, cc")
        .await
        .expect("drop");
    n2.query_drop(
        "CREATE TABLE fo (id INT AUTO_INCREMENT PRIMARY KEY, client INT, n INT, port INT)",
    )
    .await
    .expect("create fo");
    n2.query_drop("CREATE TABLE cc (id INT PRIMARY KEY, v INT)")
        .await
        .expect("create cc");
    n2.query_drop("INSERT INTO cc VALUES (1, 0)")
        .await
        .expect("seed cc");

    // (a) Writes on node 1; reads spread over all three, readers with wsrep_sync_wait.
    within(60, async {
        let mut c = app(&proxy).await;
        assert_eq!(writer_port(&mut c).await, 4306, "writer is node 1");
        c.query_drop("INSERT INTO fo (client, n, port) VALUES (-1, 0, @@port)")
            .await
            .expect("insert through the proxy");
        let landed: u16 = n2
            .query_first("SELECT port FROM fo WHERE client = -1")
            .await
            .expect("read back")
            .expect("row replicated to node 2");
        assert_eq!(landed, 4306, "the insert ran on node 1");
        // (After an auto-increment insert the session keeps its server for a few commands,
        // for LAST_INSERT_ID(): reads are checked on a fresh session.)
        let mut c = app(&proxy).await;
        let mut seen = BTreeSet::new();
        for _ in 0..12 {
            let (port, sync_wait): (u16, u8) = c
                .query_first("SELECT @@port, @@session.wsrep_sync_wait")
                .await
                .expect("read")
                .expect("row");
            assert_eq!(sync_wait, 1, "readers run with wsrep_sync_wait");
            seen.insert(port);
        }
        assert_eq!(
            seen,
            BTreeSet::from(PORTS),
            "reads spread over the synced nodes"
        );
        within(20, c.query_drop("BEGIN")).await.expect("BEGIN");
        let w: u8 = c
            .query_first("SELECT @@session.wsrep_sync_wait")
            .await
            .expect("q")
            .expect("row");
        within(20, c.query_drop("COMMIT")).await.expect("COMMIT");
        assert_eq!(w, 0, "the writer's connections are left alone");
    })
    .await;

    // (b) A certification conflict: the proxy's transaction on node 1 loses against a
    // direct write on node 2 and the client gets the server's 1213, once, not retried.
    within(60, async {
        let mut c = app(&proxy).await;
        c.query_drop("BEGIN").await.expect("BEGIN");
        c.query_drop("UPDATE cc SET v = v + 1 WHERE id = 1")
            .await
            .expect("update on node 1");
        n2.query_drop("UPDATE cc SET v = v + 100 WHERE id = 1")
            .await
            .expect("direct update on node 2 commits first");
        let err = match c.query_drop("COMMIT").await {
            Err(mysql_async::Error::Server(e)) => e,
            other => panic!("expected ERR 1213 from COMMIT, got {other:?}"),
        };
        assert_eq!(err.code, 1213, "certification failure as deadlock: {err:?}");
        assert_eq!(err.state, "40001");
        println!(
            "certification conflict reached the client: {} {}",
            err.code, err.message
        );
        // Not retried by the proxy: only the direct update is there; the session goes on.
        let v: i32 = c
            .query_first("SELECT v FROM cc WHERE id = 1")
            .await
            .expect("session usable after 1213")
            .expect("row");
        assert_eq!(v, 100, "the failed transaction was not replayed");
    })
    .await;

    // (c) Failover: node 1 stops while 4 clients insert 200 rows through the proxy.
    let acked: Arc<Mutex<Vec<(i32, i32, Instant)>>> = Arc::default();
    let errors: Arc<Mutex<BTreeMap<u16, u32>>> = Arc::default();
    let started = Instant::now();
    let mut clients = Vec::new();
    for client in 0..4 {
        let acked = Arc::clone(&acked);
        let errors = Arc::clone(&errors);
        let mut conn = app(&proxy).await;
        let opts = proxy.opts("app", APP_PW, Some(DB));
        clients.push(tokio::spawn(async move {
            let mut n = 0;
            let mut ok = 0;
            while ok < 50 {
                assert!(
                    started.elapsed() < Duration::from_secs(120),
                    "insert loop too slow"
                );
                n += 1;
                let sql =
                    format!("INSERT INTO fo (client, n, port) VALUES ({client}, {n}, @@port)");
                // A statement that hangs fails the test (the proxy must answer, even if with
                // an error).
                let r = tokio::time::timeout(Duration::from_secs(20), conn.query_drop(&sql))
                    .await
                    .unwrap_or_else(|_| panic!("client {client}: statement hung"));
                match r {
                    Ok(_) => {
                        ok += 1;
                        // The row records the node it ran on.
                        acked.lock().await.push((client, n, Instant::now()));
                        tokio::time::sleep(Duration::from_millis(15)).await;
                    }
                    Err(mysql_async::Error::Server(e)) => {
                        assert!(
                            CLEAN_ERRORS.contains(&e.code),
                            "client {client}: unexpected error {} {}",
                            e.code,
                            e.message
                        );
                        *errors.lock().await.entry(e.code).or_default() += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(e) => {
                        // The client library gave up on the connection: count it, reconnect.
                        *errors.lock().await.entry(0).or_default() += 1;
                        eprintln!("client {client}: {e}; reconnecting");
                        conn =
                            tokio::time::timeout(Duration::from_secs(20), Conn::new(opts.clone()))
                                .await
                                .expect("reconnect in time")
                                .expect("reconnect");
                    }
                }
            }
        }));
    }
    // Let some inserts land on node 1, then stop it.
    within(30, async {
        while acked.lock().await.len() < 40 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let stop_at = Instant::now();
    assert!(galera(&["stop-node", "1"]).await, "stop-node 1");
    let stopped_after = stop_at.elapsed();
    for c in clients {
        within(180, c).await.expect("client task");
    }
    // Where did each acknowledged insert run, and is it there?
    let rows: Vec<(i32, i32, u16)> = n2
        .query("SELECT client, n, port FROM fo WHERE client >= 0")
        .await
        .expect("rows on node 2");
    let by_key: HashMap<(i32, i32), u16> = rows.iter().map(|&(c, n, p)| ((c, n), p)).collect();
    let acked = acked.lock().await.clone();
    assert_eq!(acked.len(), 200, "200 acknowledged inserts");
    let mut missing = Vec::new();
    let mut first_on_other = None;
    let mut last_on_1 = None;
    for &(c, n, at) in &acked {
        match by_key.get(&(c, n)) {
            None => missing.push((c, n)),
            Some(4306) => last_on_1 = Some(last_on_1.map_or(at, |l: Instant| l.max(at))),
            Some(_) => {
                first_on_other = Some(first_on_other.map_or(at, |f: Instant| f.min(at)));
            }
        }
    }
    assert!(missing.is_empty(), "acknowledged inserts lost: {missing:?}");
    let ports: BTreeSet<u16> = rows.iter().map(|r| r.2).collect();
    let first_on_other = first_on_other.expect("some writes after the failover");
    let errors = errors.lock().await.clone();
    println!(
        "failover: stop-node 1 took {stopped_after:?}; first acknowledged write on another node \
         {:?} after stop-node began; gap since the last write on node 1 {:?}; nodes used {ports:?}; \
         client errors by code {errors:?}",
        first_on_other.saturating_duration_since(stop_at),
        last_on_1.map(|l| first_on_other.saturating_duration_since(l)),
    );
    assert!(ports.contains(&4307), "writes moved to node 2: {ports:?}");
    assert!(!ports.contains(&4308), "a single writer, node 2: {ports:?}");
    // A statement in flight on the stopped node ends its client connection, as the node's own
    // end would (MySQL has no failed-transaction state to report): each client reconnects.
    assert!(
        errors.get(&0).copied().unwrap_or(0) <= 8,
        "a connection ends only with a statement lost on the stopped node: {errors:?}"
    );
    {
        let mut c = app(&proxy).await;
        assert_eq!(writer_port(&mut c).await, 4307, "writer is node 2");
    }

    // (d) Node 1 rejoins: reads reach it again; the writer stays on node 2.
    within(200, async {
        assert!(galera(&["start-node", "1"]).await, "start-node 1");
        let mut c = app(&proxy).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut seen = BTreeSet::new();
            for _ in 0..6 {
                seen.insert(port_of(&mut c, "SELECT @@port").await);
            }
            if seen.contains(&4306) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "node 1 not used for reads after rejoining"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // Sticky: the writer never fails back to the rejoined node 1. It stays on node 2
        // unless node 2 was the donor of node 1's state transfer (Donor/Desynced: not usable),
        // then it moved on to the next node in config order, node 3 (docs/GALERA.md).
        let writer = writer_port(&mut c).await;
        assert!(
            writer == 4307 || writer == 4308,
            "the writer does not fail back to node 1 (sticky), got {writer}"
        );
        // Nothing was lost on the rejoined node either.
        let mut n1 = direct(PORTS[0], &user, &password).await;
        let count: u64 = n1
            .query_first("SELECT COUNT(*) FROM fo WHERE client >= 0")
            .await
            .expect("count on node 1")
            .expect("row");
        assert_eq!(count as usize, rows.len(), "node 1 caught up");
        let _ = n1.disconnect().await;
    })
    .await;
    let _ = n2.query_drop("DROP TABLE IF EXISTS fo, cc").await;
    let _ = n2.disconnect().await;
}
