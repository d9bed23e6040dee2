//! A MySQL server lost under a client, through a real proxy in front of the real MariaDB, in
//! both pool modes: its thread killed in the middle of a transaction (during a statement, and
//! while the client is idle in it) must end the client connection, so that nothing the client
//! sends afterwards autocommits on another server (the mysql CLI with `--force` keeps going
//! after errors); the client sees its connection end as with a direct server, never a
//! client-side code in an ERR packet. A pooled server lost while the proxy restores a session's
//! state, before the client's statement was sent, is replaced and the statement runs.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::mysql::{MyDb, MyProxy, NAT_PW, direct, mysql_toml, start};
use common::{Setup, within};
use mysql_async::Conn;
use mysql_async::prelude::Queryable;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn proxy(db: &MyDb, mode: &'static str) -> MyProxy {
    start(Setup::new(mode).size(2).toml(&mysql_toml(db))).await
}

async fn table(db: &MyDb) {
    let mut root = direct().await;
    root.query_drop(format!("CREATE TABLE {}.t (v INT) ENGINE=InnoDB", db.name))
        .await
        .expect("create table");
    let _ = root.disconnect().await;
}

/// The rows committed in the test table.
async fn committed(db: &MyDb) -> Vec<i32> {
    let mut root = direct().await;
    let rows: Vec<i32> = root
        .query(format!("SELECT v FROM {}.t ORDER BY v", db.name))
        .await
        .expect("rows");
    let _ = root.disconnect().await;
    rows
}

/// Server threads of the proxy in the test database running a statement that starts with
/// `info` (any thread when `None`), other than the asking connection.
async fn threads(db: &MyDb, info: Option<&str>) -> Vec<u64> {
    let mut root = direct().await;
    let filter = match info {
        Some(i) => format!("AND INFO LIKE '{i}%'"),
        None => String::new(),
    };
    let ids: Vec<u64> = root
        .query(format!(
            "SELECT ID FROM information_schema.PROCESSLIST \
             WHERE DB = '{}' AND ID <> CONNECTION_ID() {filter}",
            db.name
        ))
        .await
        .expect("processlist");
    let _ = root.disconnect().await;
    ids
}

async fn kill(id: u64) {
    let mut root = direct().await;
    root.query_drop(format!("KILL {id}")).await.expect("KILL");
    let _ = root.disconnect().await;
}

/// Kills the server thread that runs `SELECT SLEEP` in the test database once it does.
async fn kill_sleeping(db: &MyDb) {
    let id = within(20, async {
        loop {
            if let Some(&id) = threads(db, Some("SELECT SLEEP")).await.first() {
                return id;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    kill(id).await;
}

/// The error of a statement on a connection whose server was lost must not be an ERR packet
/// with a client-side code (2000..=2999): the client sees its connection end, or a server's
/// own error.
fn assert_connection_error<T: std::fmt::Debug>(r: Result<T, mysql_async::Error>, what: &str) {
    match r {
        Ok(v) => panic!("{what}: succeeded ({v:?}) on a connection whose server was lost"),
        Err(mysql_async::Error::Server(e)) => assert!(
            !(2000..3000).contains(&e.code),
            "{what}: client-side code {} in an ERR packet: {}",
            e.code,
            e.message
        ),
        Err(_) => {}
    }
}

async fn connect(p: &MyProxy, db: &MyDb) -> Conn {
    p.connect("nat", NAT_PW, Some(&db.name))
        .await
        .expect("login")
}

async fn killed_during_statement(mode: &'static str) {
    let db = MyDb::create().await;
    table(&db).await;
    let p = proxy(&db, mode).await;
    let mut c = connect(&p, &db).await;
    c.query_drop("BEGIN").await.expect("begin");
    c.query_drop("INSERT INTO t VALUES (-101)")
        .await
        .expect("first insert");
    let (slept, ()) = tokio::join!(c.query_drop("SELECT SLEEP(5)"), kill_sleeping(&db));
    assert_connection_error(slept, "the statement whose server was killed");
    let second = within(20, c.query_drop("INSERT INTO t VALUES (-102)")).await;
    assert_connection_error(second, "a statement after the server was lost");
    let commit = within(20, c.query_drop("COMMIT")).await;
    assert_connection_error(commit, "COMMIT after the server was lost");
    assert_eq!(
        committed(&db).await,
        Vec::<i32>::new(),
        "half a transaction"
    );
}

#[tokio::test]
async fn killed_during_statement_in_transaction_ends_client_session_mode() {
    killed_during_statement("session").await;
}

#[tokio::test]
async fn killed_during_statement_in_transaction_ends_client_transaction_mode() {
    killed_during_statement("transaction").await;
}

async fn killed_while_idle_in_transaction(mode: &'static str) {
    let db = MyDb::create().await;
    table(&db).await;
    let p = proxy(&db, mode).await;
    let mut c = connect(&p, &db).await;
    c.query_drop("BEGIN").await.expect("begin");
    c.query_drop("INSERT INTO t VALUES (-101)")
        .await
        .expect("first insert");
    let ids = threads(&db, None).await;
    assert_eq!(ids.len(), 1, "the client's one server: {ids:?}");
    kill(ids[0]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = within(20, c.query_drop("INSERT INTO t VALUES (-102)")).await;
    assert_connection_error(second, "a statement after the server was lost");
    let commit = within(20, c.query_drop("COMMIT")).await;
    assert_connection_error(commit, "COMMIT after the server was lost");
    assert_eq!(
        committed(&db).await,
        Vec::<i32>::new(),
        "half a transaction"
    );
}

#[tokio::test]
async fn killed_while_idle_in_transaction_ends_client_session_mode() {
    killed_while_idle_in_transaction("session").await;
}

#[tokio::test]
async fn killed_while_idle_in_transaction_ends_client_transaction_mode() {
    killed_while_idle_in_transaction("transaction").await;
}

/// A server lost between autocommit statements in multiplexing mode costs the client nothing:
/// its next statement runs on another server.
#[tokio::test]
async fn killed_between_autocommit_statements_transaction_mode() {
    let db = MyDb::create().await;
    table(&db).await;
    let p = proxy(&db, "transaction").await;
    let mut c = connect(&p, &db).await;
    c.query_drop("INSERT INTO t VALUES (1)")
        .await
        .expect("insert");
    for id in threads(&db, None).await {
        kill(id).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.query_drop("INSERT INTO t VALUES (2)")
        .await
        .expect("the next statement gets another server");
    assert_eq!(committed(&db).await, vec![1, 2]);
}

/// `mysql --force` runs every line of a script whatever fails. The server killed during the
/// sleep: nothing after it may commit, and the client reports a lost connection (not the
/// 2027 "malformed packet" MariaDB's client makes of an ERR 2013 from a server).
async fn mysql_cli_force(mode: &'static str) {
    let db = MyDb::create().await;
    table(&db).await;
    let p = proxy(&db, mode).await;
    let script = "BEGIN;\nINSERT INTO t VALUES (-101);\nSELECT SLEEP(5);\n\
                  INSERT INTO t VALUES (-102);\nCOMMIT;\nSELECT 'after';\n";
    let args = vec![
        "--protocol=TCP".to_owned(),
        "-h".to_owned(),
        "127.0.0.1".to_owned(),
        "-P".to_owned(),
        p.port.to_string(),
        "-u".to_owned(),
        "nat".to_owned(),
        format!("-p{NAT_PW}"),
        "--skip-ssl".to_owned(),
        "--force".to_owned(),
        "--batch".to_owned(),
        "--connect-timeout=10".to_owned(),
        "-D".to_owned(),
        db.name.clone(),
    ];
    let cli = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = Command::new("mysql")
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the mysql client (Debian package mariadb-client) runs");
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(script.as_bytes()).expect("script");
        }
        child.wait_with_output().expect("mysql output")
    });
    kill_sleeping(&db).await;
    let out = within(60, cli).await.expect("join");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        committed(&db).await,
        Vec::<i32>::new(),
        "half a transaction committed; stdout {stdout} stderr {stderr}"
    );
    assert!(
        stderr.contains("ERROR 2013") && stderr.contains("at line 3"),
        "the killed statement reports a lost connection: {stderr}"
    );
    assert!(!stderr.contains("2027"), "malformed packet: {stderr}");
    assert!(!stdout.contains("after"), "ran on after the loss: {stdout}");
}

#[tokio::test]
async fn mysql_cli_force_killed_mid_transaction_session_mode() {
    mysql_cli_force("session").await;
}

#[tokio::test]
async fn mysql_cli_force_killed_mid_transaction_transaction_mode() {
    mysql_cli_force("transaction").await;
}

/// A TCP relay between the proxy and MariaDB that can cut a server connection when the proxy
/// sends a `SET NAMES` on it: a server connection dying while the proxy replays a session's
/// state, before the client's statement was sent.
struct CuttingRelay {
    port: u16,
    armed: Arc<AtomicBool>,
    cuts: Arc<AtomicUsize>,
}

impl CuttingRelay {
    async fn start() -> CuttingRelay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let port = listener.local_addr().expect("relay addr").port();
        let armed = Arc::new(AtomicBool::new(false));
        let cuts = Arc::new(AtomicUsize::new(0));
        let (a, n) = (Arc::clone(&armed), Arc::clone(&cuts));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (a, n) = (Arc::clone(&a), Arc::clone(&n));
                tokio::spawn(relay_one(client, a, n));
            }
        });
        CuttingRelay { port, armed, cuts }
    }
}

async fn relay_one(client: TcpStream, armed: Arc<AtomicBool>, cuts: Arc<AtomicUsize>) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", 3306)).await else {
        return;
    };
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let chunk = &buf[..n];
            // A COM_QUERY packet (header, 0x03) of SET NAMES.
            let set_names = chunk.len() > 14
                && chunk[4] == 0x03
                && chunk[5..14].eq_ignore_ascii_case(b"SET NAMES");
            if set_names && armed.swap(false, Ordering::SeqCst) {
                cuts.fetch_add(1, Ordering::SeqCst);
                return;
            }
            if sw.write_all(chunk).await.is_err() {
                return;
            }
        }
    };
    let down = async {
        let _ = tokio::io::copy(&mut sr, &mut cw).await;
    };
    // Either side ending ends both (dropping the halves closes the sockets).
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}

#[tokio::test]
async fn server_lost_while_replaying_state_retries_on_another() {
    let db = MyDb::create().await;
    let relay = CuttingRelay::start().await;
    let toml = mysql_toml(&db).replace("port = 3306", &format!("port = {}", relay.port));
    let p = start(Setup::new("transaction").size(2).toml(&toml)).await;
    let mut c = connect(&p, &db).await;
    c.query_drop("SET NAMES utf8mb4").await.expect("SET NAMES");
    let one: Option<i64> = c.query_first("SELECT 1").await.expect("first");
    assert_eq!(one, Some(1));
    // Another client without the SET takes that server next (the pool hands out the most
    // recently used), which resets it: the first client's next statement needs its SET
    // replayed on whichever server it gets.
    let mut other = connect(&p, &db).await;
    let three: Option<i64> = other.query_first("SELECT 3").await.expect("other client");
    assert_eq!(three, Some(3));
    drop(other);
    relay.armed.store(true, Ordering::SeqCst);
    let two: Option<i64> = within(30, c.query_first("SELECT 2"))
        .await
        .expect("the statement runs on another server");
    assert_eq!(two, Some(2));
    assert_eq!(
        relay.cuts.load(Ordering::SeqCst),
        1,
        "the relay cut a replay"
    );
    let charset: Option<String> = c
        .query_first("SELECT @@character_set_client")
        .await
        .expect("state replayed on the new server");
    assert_eq!(charset.as_deref(), Some("utf8mb4"));
}
