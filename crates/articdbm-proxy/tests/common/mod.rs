//! Shared harness of the proxy's end-to-end tests. Each test starts its own proxy in-process
//! (port 0, its own `LiveState`), in front of the real PostgreSQL at 127.0.0.1:5432 (trust
//! auth), and creates uniquely named tables that are dropped when their guard goes away, so tests
//! run in parallel and never depend on each other.
//!
//! Client accounts of every test proxy: `alice` (SCRAM-SHA-256, [`ALICE_PW`]), `bob` (md5,
//! [`BOB_PW`]) and `admin` (SCRAM, [`ADMIN_PW`], listed in `[admin] users`). Database `db` leads
//! to backend database `test` as role `postgres`. Pools start empty (`warmup_ratio = 0`) because
//! the shared server allows only 100 connections.
#![allow(dead_code)]

pub mod galera;
pub mod mysql;
pub mod outage;
pub mod pki;
pub mod raw;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use articdbm_config::{Config, Env};
use articdbm_proxy::{
    AllowAll, ConfigSource, LiveState, RuntimeConfig, ShutdownTrigger, StatementInspector,
};
use articdbm_wire_pg::auth::{Md5Verifier, ScramVerifier};
use tokio::task::JoinHandle;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};

pub const PG_PORT: u16 = 5432;
pub const ALICE_PW: &str = "alice-Secret-1";
pub const BOB_PW: &str = "bob-Secret-2";
pub const ADMIN_PW: &str = "admin-Secret-3";
/// The client-facing database of every test proxy.
pub const DB: &str = "db";

/// A name no other test (or test process) uses: lower case, usable as an SQL identifier.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "articdbm_it_{prefix}_{}_{n}_{:x}",
        std::process::id(),
        nanos & 0xffff
    )
}

struct Verifiers {
    alice: String,
    bob: String,
    admin: String,
}

fn verifiers() -> &'static Verifiers {
    static V: OnceLock<Verifiers> = OnceLock::new();
    V.get_or_init(|| Verifiers {
        alice: ScramVerifier::generate(ALICE_PW, 4096).to_string(),
        bob: Md5Verifier::generate("bob", BOB_PW).to_string(),
        admin: ScramVerifier::generate(ADMIN_PW, 4096).to_string(),
    })
}

/// What one test proxy looks like. Pool keys other than mode and size are changed through
/// environment overrides (`ARTICDBM_POOL__CHECKOUT_TIMEOUT_SECS`, ...), extra sections with
/// [`Setup::toml`].
pub struct Setup {
    mode: &'static str,
    size: u32,
    extra: String,
    env: Vec<(String, String)>,
    inspector: Arc<dyn StatementInspector>,
    source: bool,
}

impl Setup {
    /// `mode` is `"session"` or `"transaction"`.
    pub fn new(mode: &'static str) -> Self {
        Setup {
            mode,
            size: 4,
            extra: String::new(),
            env: Vec::new(),
            inspector: Arc::new(AllowAll),
            source: false,
        }
    }

    pub fn size(mut self, size: u32) -> Self {
        self.size = size;
        self
    }

    /// Appends TOML (new tables only) to the configuration.
    pub fn toml(mut self, extra: &str) -> Self {
        self.extra.push_str(extra);
        self.extra.push('\n');
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    pub fn inspector(mut self, inspector: Arc<dyn StatementInspector>) -> Self {
        self.inspector = inspector;
        self
    }

    /// Gives the proxy a reload source that rebuilds this same configuration.
    pub fn with_source(mut self) -> Self {
        self.source = true;
        self
    }

    pub fn toml_text(&self) -> String {
        let v = verifiers();
        format!(
            r#"
[proxy]
shutdown_grace_secs = 5
auth_timeout_secs = 30

[pool]
mode = "{mode}"
size = {size}
warmup_ratio = 0.0
checkout_timeout_secs = 10
connect_timeout_secs = 5

[admin]
users = ["admin"]

[users.alice]
password = "{alice}"

[users.bob]
password = "{bob}"

[users.admin]
password = "{admin}"

[databases.db]
dbname = "test"
user = "postgres"

{extra}
"#,
            mode = self.mode,
            size = self.size,
            alice = v.alice,
            bob = v.bob,
            admin = v.admin,
            extra = self.extra,
        )
    }

    pub fn env_snapshot(&self) -> Env {
        Env::from_iter(self.env.iter().cloned())
    }

    /// The configuration this setup describes.
    pub fn config(&self) -> Config {
        match articdbm_config::load_str(&self.toml_text(), &self.env_snapshot()) {
            Ok(c) => c,
            Err(e) => panic!("test configuration invalid: {e}\n{}", self.toml_text()),
        }
    }

    /// Starts the proxy on a free port of 127.0.0.1.
    pub async fn start(self) -> Proxy {
        let config = self.config();
        let runtime = RuntimeConfig::build(config).expect("runtime config");
        let source: Option<ConfigSource> = if self.source {
            let text = self.toml_text();
            let env = self.env_snapshot();
            Some(Box::new(move || {
                articdbm_config::load_str(&text, &env).map_err(|e| e.to_string())
            }))
        } else {
            None
        };
        let state = LiveState::new(runtime, source, Arc::clone(&self.inspector));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("local addr").port();
        let trigger = Arc::new(ShutdownTrigger::new());
        let task = tokio::spawn(articdbm_proxy::run(
            listener,
            Arc::clone(&state),
            Arc::clone(&trigger),
        ));
        Proxy {
            port,
            state,
            trigger,
            task,
            setup: self,
        }
    }
}

/// A running test proxy. Dropping it drains it (the runtime ends with the test anyway).
pub struct Proxy {
    pub port: u16,
    pub state: Arc<LiveState>,
    pub trigger: Arc<ShutdownTrigger>,
    pub task: JoinHandle<()>,
    pub setup: Setup,
}

/// A client whose connection task can be awaited (to see how the server ended it).
pub struct Conn {
    pub client: Client,
    pub task: JoinHandle<Result<(), tokio_postgres::Error>>,
}

impl Proxy {
    pub fn pg_config(&self, user: &str, password: &str, db: &str) -> tokio_postgres::Config {
        let mut c = tokio_postgres::Config::new();
        c.host("127.0.0.1")
            .port(self.port)
            .user(user)
            .password(password)
            .dbname(db)
            .connect_timeout(Duration::from_secs(10));
        c
    }

    /// Connects with tokio-postgres (no TLS) and spawns the connection.
    pub async fn try_connect(
        &self,
        user: &str,
        password: &str,
        db: &str,
    ) -> Result<Conn, tokio_postgres::Error> {
        connect_with(&self.pg_config(user, password, db)).await
    }

    /// `alice` on `db`; panics on failure.
    pub async fn alice(&self) -> Client {
        self.alice_conn().await.client
    }

    pub async fn alice_conn(&self) -> Conn {
        within(20, self.try_connect("alice", ALICE_PW, DB))
            .await
            .expect("alice connects through the proxy")
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.trigger.drain();
    }
}

pub async fn connect_with(config: &tokio_postgres::Config) -> Result<Conn, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    let task = tokio::spawn(connection);
    Ok(Conn { client, task })
}

/// A direct connection to the backend (`postgres` on `test`), bypassing the proxy.
pub async fn direct() -> Client {
    direct_to("test").await
}

pub async fn direct_to(db: &str) -> Client {
    let mut c = tokio_postgres::Config::new();
    c.host("127.0.0.1")
        .port(PG_PORT)
        .user("postgres")
        .dbname(db)
        .connect_timeout(Duration::from_secs(10));
    let (client, connection) = within(20, c.connect(NoTls))
        .await
        .expect("direct connection to PostgreSQL at 127.0.0.1:5432");
    tokio::spawn(connection);
    client
}

/// Awaits `fut` for at most `secs` seconds; a test never hangs.
/// The backend role a client's session runs as.
pub async fn current_user(client: &tokio_postgres::Client) -> String {
    client
        .query_one("SELECT current_user::text", &[])
        .await
        .expect("SELECT current_user")
        .get(0)
}

pub async fn within<F: Future>(secs: u64, fut: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(secs), fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {secs} s"),
    }
}

/// The SQLSTATE of a failed call, for assertions.
pub fn code_of<T: std::fmt::Debug>(r: Result<T, tokio_postgres::Error>) -> SqlState {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => match e.code() {
            Some(c) => c.clone(),
            None => panic!("error without SQLSTATE: {e:?}"),
        },
    }
}

/// The message of a failed call's database error.
pub fn message_of<T: std::fmt::Debug>(r: Result<T, tokio_postgres::Error>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => match e.as_db_error() {
            Some(db) => db.message().to_string(),
            None => panic!("not a database error: {e:?}"),
        },
    }
}

/// A table in backend database `test`, dropped (over a direct connection) when the guard goes
/// away, even if the test panicked.
pub struct Table {
    pub name: String,
}

impl Table {
    /// Creates `name (columns)` with a unique name starting with `prefix`.
    pub async fn create(prefix: &str, columns: &str) -> Table {
        let name = unique(prefix);
        direct()
            .await
            .batch_execute(&format!("CREATE TABLE {name} ({columns})"))
            .await
            .expect("create table");
        Table { name }
    }

    pub async fn count(&self) -> i64 {
        direct()
            .await
            .query_one(&format!("SELECT count(*) FROM {}", self.name), &[])
            .await
            .expect("count")
            .get(0)
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        let sql = format!("DROP TABLE IF EXISTS {}", self.name);
        run_blocking_cleanup(sql);
    }
}

/// Runs one statement on a direct connection from a fresh thread and runtime (usable in `Drop`).
pub fn run_blocking_cleanup(sql: String) {
    let worker = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            let client = direct().await;
            if let Err(e) = client.batch_execute(&sql).await {
                eprintln!("cleanup `{sql}` failed: {e}");
            }
        });
    });
    let _ = worker.join();
}

/// The pid of the server process that runs `client`'s next statement (through the proxy).
pub async fn backend_pid_of(client: &Client) -> i32 {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pg_backend_pid")
        .get(0)
}

/// Waits until the backend process `pid` is gone from pg_stat_activity.
pub async fn wait_backend_gone(pid: i32) {
    let d = direct().await;
    for _ in 0..200 {
        let n: i64 = d
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                &[&pid],
            )
            .await
            .expect("pg_stat_activity")
            .get(0);
        if n == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("backend {pid} still present after 5 s");
}
