//! The machinery of `backend_parity`: a test proxy (both listeners, port 0 each, its own
//! `LiveState`) whose one client-facing database `db` is the backend under test (the real
//! PostgreSQL's `test`, the real MariaDB's `test`, or an embedded SQLite file), and the two
//! drivers that turn one step of the case table into a comparable [`Outcome`]: tokio-postgres
//! over the PostgreSQL listener, mysql_async over the MySQL listener.
//!
//! Accounts: `alice` may use every database, `outsider` only `elsewhere`; both have the
//! password [`PASSWORD`] for both protocols (a SCRAM verifier and a mysql_native one).
//! `elsewhere` is a second database of the same kind.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use articdbm_proxy::{Listeners, LiveState, RuntimeConfig, ShutdownTrigger, StatementInspector};
use articdbm_wire_mysql::auth::NativeVerifier;
use articdbm_wire_pg::auth::ScramVerifier;
use mysql_async::prelude::Queryable;
use tokio::task::JoinHandle;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{NoTls, SimpleQueryMessage};

use crate::common::{self, within};

/// The password of every account, over both protocols.
pub const PASSWORD: &str = "parity-Secret-7";
/// The client-facing database of every parity proxy.
pub const DB: &str = "db";
/// SQLite file of the SQLite backend, relative to the proxy's `data_dir`.
pub const SQLITE_FILE: &str = "parity.db";

/// Which wire protocol a run's client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    Pg,
    My,
}

/// What stands behind `db`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The real PostgreSQL at 127.0.0.1:5432, database `test`, role `postgres`.
    Postgres,
    /// The real MariaDB at 127.0.0.1:3306, database `test`, user `root`.
    MariaDb,
    /// The embedded SQLite file [`SQLITE_FILE`] in the proxy's `data_dir`.
    Sqlite,
}

/// One bound parameter of a prepared step.
#[derive(Debug, Clone, Copy)]
pub enum Param {
    Int(i64),
    Text(&'static str),
    NullInt,
    NullText,
}

/// What one step gave, in a form that compares across backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A login that succeeded.
    LoggedIn,
    /// A result set: `name:type` per column (`name` alone where the protocol gives no type,
    /// the simple query protocol) and the values as text (`None` = NULL).
    Rows {
        columns: Vec<String>,
        rows: Vec<Vec<Option<String>>>,
    },
    /// A statement without result set, with its row count (command tag / affected rows).
    Done(u64),
    /// An error from the server or proxy: code (SQLSTATE, or the MySQL error number),
    /// SQLSTATE, message.
    Failed {
        code: String,
        state: String,
        message: String,
    },
    /// Something other than a database error (transport, decoding): never expected.
    Broken(String),
}

impl Outcome {
    /// What must be equal on every backend: everything but the error message, of which only
    /// whether it names `rule` counts.
    pub fn parity_key(&self, rule: &str) -> String {
        match self {
            Outcome::Failed {
                code,
                state,
                message,
            } => {
                let names = if message.contains(rule) {
                    ", names the rule"
                } else {
                    ""
                };
                format!("error {code} (SQLSTATE {state}){names}")
            }
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::LoggedIn => write!(f, "logged in"),
            Outcome::Rows { columns, rows } => write!(f, "rows {columns:?} {rows:?}"),
            Outcome::Done(n) => write!(f, "done, {n} rows"),
            Outcome::Failed {
                code,
                state,
                message,
            } => write!(f, "error {code} (SQLSTATE {state}): {message}"),
            Outcome::Broken(e) => write!(f, "broken: {e}"),
        }
    }
}

/// A copy of the proxy's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub clients_accepted: u64,
    pub clients_rejected: u64,
    pub auth_failures: u64,
    pub queries: u64,
    pub statements_blocked: u64,
    pub statements_alerted: u64,
}

/// A running parity proxy; drained on drop.
pub struct ParityProxy {
    pub pg_port: u16,
    pub my_port: u16,
    pub state: Arc<LiveState>,
    trigger: Arc<ShutdownTrigger>,
    _task: JoinHandle<()>,
}

impl Drop for ParityProxy {
    fn drop(&mut self) {
        self.trigger.drain();
    }
}

/// The configuration of a proxy whose `db` is `backend`; `data_dir` holds the SQLite file.
pub fn config_toml(backend: Backend, data_dir: &Path) -> String {
    let scram = ScramVerifier::generate(PASSWORD, 4096).to_string();
    let native = NativeVerifier::from_password(PASSWORD.as_bytes());
    let database = match backend {
        Backend::Postgres => {
            "kind = \"postgres\"\ndbname = \"test\"\nuser = \"postgres\"".to_string()
        }
        Backend::MariaDb => format!(
            "kind = \"mysql\"\nport = {}\ndbname = \"test\"\nuser = \"root\"",
            common::mysql::MARIADB_PORT
        ),
        Backend::Sqlite => format!("kind = \"sqlite\"\npath = \"{SQLITE_FILE}\""),
    };
    // The one database `outsider` may use: of the same kind, so that a proxy has one backend.
    let elsewhere = match backend {
        Backend::Sqlite => "kind = \"sqlite\"\npath = \"elsewhere.db\"".to_string(),
        _ => database.clone(),
    };
    format!(
        r#"
data_dir = "{data_dir}"

[proxy]
shutdown_grace_secs = 5
auth_timeout_secs = 5

[pool]
mode = "session"
size = 2
warmup_ratio = 0.0
checkout_timeout_secs = 10
connect_timeout_secs = 5

[users.alice]
password = "{scram}"
mysql_password = "{native}"

[users.outsider]
password = "{scram}"
mysql_password = "{native}"
databases = ["elsewhere"]

[databases.{DB}]
{database}

[databases.elsewhere]
{elsewhere}
"#,
        data_dir = data_dir.display(),
    )
}

impl ParityProxy {
    /// Starts a proxy in front of `backend` with `inspector` as its inspection seam.
    pub async fn start(
        backend: Backend,
        data_dir: &Path,
        inspector: Arc<dyn StatementInspector>,
    ) -> ParityProxy {
        let toml = config_toml(backend, data_dir);
        let config = match articdbm_config::load_str(&toml, &articdbm_config::Env::default()) {
            Ok(c) => c,
            Err(e) => panic!("parity configuration invalid: {e}\n{toml}"),
        };
        let runtime = RuntimeConfig::build(config).expect("runtime config");
        let state = LiveState::new(runtime, None, inspector);
        let pg = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the PostgreSQL listener");
        let my = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the MySQL listener");
        let pg_port = pg.local_addr().expect("pg listener address").port();
        let my_port = my.local_addr().expect("mysql listener address").port();
        let trigger = Arc::new(ShutdownTrigger::new());
        let listeners = Listeners {
            pg: Some(pg),
            mysql: Some(my),
        };
        let task = tokio::spawn(articdbm_proxy::serve(
            listeners,
            Arc::clone(&state),
            Arc::clone(&trigger),
        ));
        ParityProxy {
            pg_port,
            my_port,
            state,
            trigger,
            _task: task,
        }
    }

    pub fn counts(&self) -> Counts {
        let c = &self.state.counters;
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        Counts {
            clients_accepted: get(&c.clients_accepted),
            clients_rejected: get(&c.clients_rejected),
            auth_failures: get(&c.auth_failures),
            queries: get(&c.queries),
            statements_blocked: get(&c.statements_blocked),
            statements_alerted: get(&c.statements_alerted),
        }
    }

    /// Connects `user` to `db` over the run's protocol.
    pub async fn login(
        &self,
        front: Front,
        user: &str,
        password: &str,
    ) -> Result<Session, Outcome> {
        match front {
            Front::Pg => {
                let mut c = tokio_postgres::Config::new();
                c.host("127.0.0.1")
                    .port(self.pg_port)
                    .user(user)
                    .password(password)
                    .dbname(DB)
                    .connect_timeout(Duration::from_secs(10));
                match within(20, c.connect(NoTls)).await {
                    Ok((client, connection)) => {
                        let task = tokio::spawn(connection);
                        Ok(Session::Pg { client, task })
                    }
                    Err(e) => Err(pg_error(&e)),
                }
            }
            Front::My => {
                let opts = mysql_async::OptsBuilder::default()
                    .ip_or_hostname("127.0.0.1")
                    .tcp_port(self.my_port)
                    .user(Some(user))
                    .pass(Some(password))
                    .db_name(Some(DB))
                    .prefer_socket(false)
                    .max_allowed_packet(Some(16 << 20))
                    .wait_timeout(Some(28_800));
                match within(20, mysql_async::Conn::new(opts)).await {
                    Ok(conn) => Ok(Session::My(conn)),
                    Err(e) => Err(my_error(e)),
                }
            }
        }
    }
}

/// One client session over either protocol.
pub enum Session {
    Pg {
        client: tokio_postgres::Client,
        task: JoinHandle<Result<(), tokio_postgres::Error>>,
    },
    My(mysql_async::Conn),
}

impl Session {
    /// A simple query (PostgreSQL Query) or COM_QUERY.
    pub async fn simple(&mut self, sql: &str) -> Outcome {
        match self {
            Session::Pg { client, .. } => match within(20, client.simple_query(sql)).await {
                Ok(messages) => pg_simple_outcome(messages),
                Err(e) => pg_error(&e),
            },
            Session::My(conn) => match within(20, my_run(conn, sql, None)).await {
                Ok(o) => o,
                Err(e) => my_error(e),
            },
        }
    }

    /// A prepared statement (Parse/Describe then Bind/Execute; COM_STMT_PREPARE then
    /// COM_STMT_EXECUTE) with `params`; `sql` numbers its parameters `$1`, `$2`, ... (turned
    /// into `?` for MySQL).
    pub async fn prepared(&mut self, sql: &str, params: &[Param]) -> Outcome {
        match self {
            Session::Pg { client, .. } => within(20, pg_prepared(client, sql, params)).await,
            Session::My(conn) => {
                let values: Vec<mysql_async::Value> = params.iter().map(my_param).collect();
                let sql = mysql_placeholders(sql);
                match within(20, my_run(conn, &sql, Some(values))).await {
                    Ok(o) => o,
                    Err(e) => my_error(e),
                }
            }
        }
    }

    /// Ends the session politely.
    pub async fn close(self) {
        match self {
            Session::Pg { client, task } => {
                drop(client);
                let _ = within(10, task).await;
            }
            Session::My(conn) => {
                let _ = within(10, conn.disconnect()).await;
            }
        }
    }
}

/// `$1`, `$2`, ... become `?` (the parity statements use them in order).
pub fn mysql_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

fn pg_error(e: &tokio_postgres::Error) -> Outcome {
    match e.as_db_error() {
        Some(db) => Outcome::Failed {
            code: db.code().code().to_string(),
            state: db.code().code().to_string(),
            message: db.message().to_string(),
        },
        None => Outcome::Broken(e.to_string()),
    }
}

fn pg_simple_outcome(messages: Vec<SimpleQueryMessage>) -> Outcome {
    let mut columns = None;
    let mut rows = Vec::new();
    let mut count = 0;
    for m in messages {
        match m {
            SimpleQueryMessage::RowDescription(cols) => {
                columns = Some(cols.iter().map(|c| c.name().to_string()).collect());
            }
            SimpleQueryMessage::Row(r) => {
                rows.push((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect());
            }
            SimpleQueryMessage::CommandComplete(n) => count = n,
            _ => {}
        }
    }
    match columns {
        Some(columns) => Outcome::Rows { columns, rows },
        None => Outcome::Done(count),
    }
}

async fn pg_prepared(client: &tokio_postgres::Client, sql: &str, params: &[Param]) -> Outcome {
    let statement = match client.prepare(sql).await {
        Ok(s) => s,
        Err(e) => return pg_error(&e),
    };
    let boxed: Vec<Box<dyn ToSql + Sync + Send>> = params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync + Send> {
            match *p {
                Param::Int(i) => Box::new(i),
                Param::Text(s) => Box::new(s),
                Param::NullInt => Box::new(None::<i64>),
                Param::NullText => Box::new(None::<&str>),
            }
        })
        .collect();
    let refs: Vec<&(dyn ToSql + Sync)> = boxed
        .iter()
        .map(|b| -> &(dyn ToSql + Sync) { b.as_ref() })
        .collect();
    if statement.columns().is_empty() {
        return match client.execute(&statement, &refs).await {
            Ok(n) => Outcome::Done(n),
            Err(e) => pg_error(&e),
        };
    }
    let rows = match client.query(&statement, &refs).await {
        Ok(r) => r,
        Err(e) => return pg_error(&e),
    };
    let columns = statement
        .columns()
        .iter()
        .map(|c| format!("{}:{}", c.name(), c.type_().name()))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut values = Vec::with_capacity(row.len());
        for (i, column) in row.columns().iter().enumerate() {
            match pg_text(row, i, column.type_()) {
                Ok(v) => values.push(v),
                Err(e) => return Outcome::Broken(e),
            }
        }
        out.push(values);
    }
    Outcome::Rows { columns, rows: out }
}

/// A binary-format value as text, for the types the parity statements produce.
fn pg_text(row: &tokio_postgres::Row, i: usize, ty: &Type) -> Result<Option<String>, String> {
    let text = |r: Result<Option<String>, tokio_postgres::Error>| r.map_err(|e| e.to_string());
    match *ty {
        Type::INT8 => text(
            row.try_get::<_, Option<i64>>(i)
                .map(|v| v.map(|v| v.to_string())),
        ),
        Type::INT4 => text(
            row.try_get::<_, Option<i32>>(i)
                .map(|v| v.map(|v| v.to_string())),
        ),
        Type::INT2 => text(
            row.try_get::<_, Option<i16>>(i)
                .map(|v| v.map(|v| v.to_string())),
        ),
        Type::BOOL => text(
            row.try_get::<_, Option<bool>>(i)
                .map(|v| v.map(|v| v.to_string())),
        ),
        Type::FLOAT8 => text(
            row.try_get::<_, Option<f64>>(i)
                .map(|v| v.map(|v| v.to_string())),
        ),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            text(row.try_get::<_, Option<String>>(i))
        }
        ref other => Err(format!(
            "column {i} has a type the parity test does not read: {other}"
        )),
    }
}

fn my_error(e: mysql_async::Error) -> Outcome {
    match e {
        mysql_async::Error::Server(s) => Outcome::Failed {
            code: s.code.to_string(),
            state: s.state,
            message: s.message,
        },
        other => Outcome::Broken(other.to_string()),
    }
}

fn my_param(p: &Param) -> mysql_async::Value {
    match *p {
        Param::Int(i) => mysql_async::Value::Int(i),
        Param::Text(s) => mysql_async::Value::Bytes(s.as_bytes().to_vec()),
        Param::NullInt | Param::NullText => mysql_async::Value::NULL,
    }
}

fn my_text(v: &mysql_async::Value) -> Option<String> {
    use mysql_async::Value;
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Double(d) => Some(d.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// Runs `sql` as COM_QUERY (`params` = `None`) or as a prepared statement.
async fn my_run(
    conn: &mut mysql_async::Conn,
    sql: &str,
    params: Option<Vec<mysql_async::Value>>,
) -> Result<Outcome, mysql_async::Error> {
    match params {
        None => {
            let mut result = conn.query_iter(sql).await?;
            my_outcome(&mut result).await
        }
        Some(values) => {
            let mut result = conn
                .exec_iter(sql, mysql_async::Params::Positional(values))
                .await?;
            my_outcome(&mut result).await
        }
    }
}

async fn my_outcome<P: mysql_async::prelude::Protocol>(
    result: &mut mysql_async::QueryResult<'_, '_, P>,
) -> Result<Outcome, mysql_async::Error> {
    let columns: Vec<String> = result
        .columns_ref()
        .iter()
        .map(|c| format!("{}:{:?}", c.name_str(), c.column_type()))
        .collect();
    let rows: Vec<mysql_async::Row> = result.collect().await?;
    let affected = result.affected_rows();
    // Nothing else is expected (no multi-statements): drain whatever follows.
    while !result.is_empty() {
        let _: Vec<mysql_async::Row> = result.collect().await?;
    }
    if columns.is_empty() {
        return Ok(Outcome::Done(affected));
    }
    let rows = rows
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.as_ref(i).and_then(my_text))
                .collect()
        })
        .collect();
    Ok(Outcome::Rows { columns, rows })
}

/// Drops the run's scratch table on the real server it was made on, even if the test
/// panicked (over a direct connection, from a fresh thread and runtime).
pub struct ScratchTable {
    pub backend: Backend,
    pub name: String,
}

impl Drop for ScratchTable {
    fn drop(&mut self) {
        match self.backend {
            Backend::Postgres => {
                common::run_blocking_cleanup(format!("DROP TABLE IF EXISTS {}", self.name));
            }
            Backend::MariaDb => {
                let sql = format!("DROP TABLE IF EXISTS test.{}", self.name);
                let worker = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async move {
                        let mut conn = common::mysql::direct().await;
                        if let Err(e) = conn.query_drop(&sql).await {
                            eprintln!("cleanup `{sql}` failed: {e}");
                        }
                        let _ = conn.disconnect().await;
                    });
                });
                let _ = worker.join();
            }
            // The file lives in the test's temporary directory.
            Backend::Sqlite => {}
        }
    }
}
