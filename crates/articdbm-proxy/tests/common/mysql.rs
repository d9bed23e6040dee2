//! The MySQL side of the end-to-end harness: a test proxy serving both listeners (port 0
//! each) in front of the real MariaDB at 127.0.0.1:3306 (`root`, no password), a database
//! of its own per test (random name, dropped on drop), MySQL client accounts with each kind
//! of verifier, mysql_async connection helpers and a raw packet client for bad input.
//!
//! Accounts (in addition to the PostgreSQL ones of [`super::Setup`]): `nat`
//! (`mysql_native$`, [`NAT_PW`]), `sha` (`caching_sha2$`, [`SHA_PW`]); `alice` has only her
//! PostgreSQL SCRAM verifier, so she logs in over MySQL with caching_sha2 full
//! authentication (RSA without TLS, cleartext over TLS).

use std::sync::Arc;
use std::time::Duration;

use articdbm_proxy::{
    AllowAll, Listeners, LiveState, RuntimeConfig, ShutdownTrigger, StatementInspector,
};
use articdbm_wire_mysql::auth::{CachingSha2Verifier, NativeVerifier};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, SslOpts};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use super::{Setup, unique, within};

pub const MARIADB_PORT: u16 = 3306;
pub const NAT_PW: &str = "nat-Secret-4";
pub const SHA_PW: &str = "sha-Secret-5";

/// A database on the MariaDB backend, dropped when the guard goes away.
pub struct MyDb {
    pub name: String,
}

impl MyDb {
    pub async fn create() -> MyDb {
        let name = unique("my");
        let mut conn = direct().await;
        conn.query_drop(format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        let _ = conn.disconnect().await;
        MyDb { name }
    }
}

impl Drop for MyDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {}", self.name);
        let worker = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let mut conn = direct().await;
                if let Err(e) = conn.query_drop(&sql).await {
                    eprintln!("cleanup `{sql}` failed: {e}");
                }
                let _ = conn.disconnect().await;
            });
        });
        let _ = worker.join();
    }
}

/// A direct connection to MariaDB as root.
pub async fn direct() -> Conn {
    let opts = OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(MARIADB_PORT)
        .user(Some("root"))
        .prefer_socket(false);
    within(20, Conn::new(opts))
        .await
        .expect("direct connection to MariaDB at 127.0.0.1:3306")
}

/// TOML of the MySQL accounts and of a `kind = "mysql"` database named `db` (the client-
/// facing name is the backend database's own name) leading to MariaDB as root.
pub fn mysql_toml(db: &MyDb) -> String {
    let nat = NativeVerifier::from_password(NAT_PW.as_bytes());
    let sha = CachingSha2Verifier::from_password(SHA_PW.as_bytes());
    format!(
        r#"
[users.nat]
mysql_password = "{nat}"

[users.sha]
mysql_password = "{sha}"

[databases.{db}]
kind = "mysql"
port = {port}
user = "root"
"#,
        db = db.name,
        port = MARIADB_PORT,
    )
}

/// A running test proxy with both listeners.
pub struct MyProxy {
    pub pg_port: u16,
    pub port: u16,
    pub state: Arc<LiveState>,
    pub trigger: Arc<ShutdownTrigger>,
    pub task: JoinHandle<()>,
}

impl Drop for MyProxy {
    fn drop(&mut self) {
        self.trigger.drain();
    }
}

/// Starts `setup` (which should include [`mysql_toml`]) with a MySQL listener too.
pub async fn start(setup: Setup) -> MyProxy {
    start_inspected(setup, Arc::new(AllowAll)).await
}

/// [`start`] with `inspector` as the statement inspection seam.
pub async fn start_inspected(setup: Setup, inspector: Arc<dyn StatementInspector>) -> MyProxy {
    let config = setup.config();
    let runtime = RuntimeConfig::build(config).expect("runtime config");
    let state = LiveState::new(runtime, None, inspector);
    let pg = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind pg");
    let mysql = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind mysql");
    let pg_port = pg.local_addr().expect("pg addr").port();
    let port = mysql.local_addr().expect("mysql addr").port();
    let trigger = Arc::new(ShutdownTrigger::new());
    let listeners = Listeners {
        pg: Some(pg),
        mysql: Some(mysql),
    };
    let task = tokio::spawn(articdbm_proxy::serve(
        listeners,
        Arc::clone(&state),
        Arc::clone(&trigger),
    ));
    MyProxy {
        pg_port,
        port,
        state,
        trigger,
        task,
    }
}

impl MyProxy {
    /// mysql_async options for this proxy: no socket lookup and the settings mysql_async
    /// would otherwise query right after login (so a login test needs no session loop).
    pub fn opts(&self, user: &str, password: &str, db: Option<&str>) -> OptsBuilder {
        OptsBuilder::default()
            .ip_or_hostname("127.0.0.1")
            .tcp_port(self.port)
            .user(Some(user))
            .pass(Some(password))
            .db_name(db)
            .prefer_socket(false)
            .max_allowed_packet(Some(16 << 20))
            .wait_timeout(Some(28_800))
    }

    pub async fn connect(
        &self,
        user: &str,
        password: &str,
        db: Option<&str>,
    ) -> Result<Conn, mysql_async::Error> {
        within(30, Conn::new(self.opts(user, password, db))).await
    }

    pub async fn connect_opts(&self, opts: OptsBuilder) -> Result<Conn, mysql_async::Error> {
        within(30, Conn::new(opts)).await
    }
}

/// TLS options trusting only `ca_pem`, verifying the name "localhost".
pub fn ssl_opts(ca_pem: &str) -> SslOpts {
    SslOpts::default()
        .with_root_certs(vec![ca_pem.as_bytes().to_vec().into()])
        .with_disable_built_in_roots(true)
        .with_danger_tls_hostname_override(Some("localhost"))
}

/// The server error (code, SQLSTATE, message) of a failed call.
pub fn server_error<T: std::fmt::Debug>(r: Result<T, mysql_async::Error>) -> (u16, String, String) {
    match r {
        Ok(v) => panic!("expected a server error, got {v:?}"),
        Err(mysql_async::Error::Server(e)) => (e.code, e.state, e.message),
        Err(e) => panic!("expected a server error, got {e:?}"),
    }
}

/// A raw client: reads whole packets (header + payload).
pub struct Raw {
    pub tcp: TcpStream,
}

impl Raw {
    pub async fn connect(port: u16) -> Raw {
        let tcp = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        Raw { tcp }
    }

    /// The next packet as (sequence id, payload), `None` at EOF or after 10 s.
    pub async fn packet(&mut self) -> Option<(u8, Vec<u8>)> {
        let read = async {
            let mut header = [0u8; 4];
            self.tcp.read_exact(&mut header).await.ok()?;
            let len =
                usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
            let mut payload = vec![0u8; len];
            self.tcp.read_exact(&mut payload).await.ok()?;
            Some((header[3], payload))
        };
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .ok()
            .flatten()
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        let _ = self.tcp.write_all(bytes).await;
    }

    /// Whether the server closed the connection (EOF or reset) within 10 s.
    pub async fn closed(&mut self) -> bool {
        let mut b = [0u8; 64];
        match tokio::time::timeout(Duration::from_secs(10), self.tcp.read(&mut b)).await {
            Ok(Ok(0)) | Ok(Err(_)) => true,
            Ok(Ok(_)) => false,
            Err(_) => false,
        }
    }
}

/// An ERR payload's (code, SQLSTATE or "" without the marker, message).
pub fn parse_err(payload: &[u8]) -> (u16, String, String) {
    assert_eq!(
        payload.first(),
        Some(&0xFF),
        "not an ERR packet: {payload:?}"
    );
    let code = u16::from_le_bytes([payload[1], payload[2]]);
    if payload.get(3) == Some(&b'#') {
        (
            code,
            String::from_utf8_lossy(&payload[4..9]).into_owned(),
            String::from_utf8_lossy(&payload[9..]).into_owned(),
        )
    } else {
        (
            code,
            String::new(),
            String::from_utf8_lossy(&payload[3..]).into_owned(),
        )
    }
}

/// MariaDB accounts with random names and one shared random password, with every privilege
/// on one database; dropped when the guard goes away. For databases whose backend user is
/// the client's own name (`user` not set), the proxy users get the same names.
pub struct BackendUsers {
    pub names: Vec<String>,
    pub password: String,
}

impl BackendUsers {
    pub async fn create(count: usize, db: &MyDb) -> BackendUsers {
        let tag: u32 = rand::random();
        let users = BackendUsers {
            names: (0..count)
                .map(|i| format!("adbm_cu{i}_{tag:08x}"))
                .collect(),
            password: format!("be-{:016x}", rand::random::<u64>()),
        };
        let mut root = direct().await;
        for name in &users.names {
            for sql in [
                format!(
                    "CREATE USER '{name}'@'127.0.0.1' IDENTIFIED BY '{}'",
                    users.password
                ),
                format!("GRANT ALL ON `{}`.* TO '{name}'@'127.0.0.1'", db.name),
            ] {
                root.query_drop(&sql).await.expect("backend user setup");
            }
        }
        let _ = root.disconnect().await;
        users
    }
}

impl Drop for BackendUsers {
    fn drop(&mut self) {
        let names = std::mem::take(&mut self.names);
        let worker = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let mut conn = direct().await;
                for name in names {
                    let sql = format!("DROP USER IF EXISTS '{name}'@'127.0.0.1'");
                    if let Err(e) = conn.query_drop(&sql).await {
                        eprintln!("cleanup `{sql}` failed: {e}");
                    }
                }
                let _ = conn.disconnect().await;
            });
        });
        let _ = worker.join();
    }
}
