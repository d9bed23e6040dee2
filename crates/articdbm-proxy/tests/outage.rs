//! A database server that goes down and comes back, seen through a real proxy by PostgreSQL and
//! MySQL clients alike (issue 10, items 14 and 22): the proxy dials a server that is down only
//! as often as its reconnect backoff allows, however hard clients hammer it; clients get a
//! clean error at once (08006 / MySQL 1429) and keep a usable session; clients queued for a
//! connection are answered as soon as the server is known to be down instead of each waiting a
//! connect timeout; and the proxy finds the server back within the backoff's maximum.
//!
//! The server is the real one (PostgreSQL on 5432, MariaDB on 3306) behind a TCP relay that
//! the test switches off and on ([`common::outage::Outage`]).

mod common;

use std::time::{Duration, Instant};

use common::mysql::{MyDb, NAT_PW};
use common::outage::Outage;
use common::{ALICE_PW, Setup, code_of, within};
use mysql_async::prelude::Queryable;
use tokio_postgres::error::SqlState;

/// Connection attempts a proxy may make to a down server while clients hammer it for
/// `HAMMER`: backoff 100 ms doubling to 2 s with ±25% jitter gives at most ~6 in 1.5 s.
const HAMMER: Duration = Duration::from_millis(1500);
const MAX_DIALS: usize = 8;

fn flaky_pg(port: u16) -> String {
    format!(
        r#"
[databases.flaky]
host = "127.0.0.1"
port = {port}
dbname = "test"
user = "postgres"
"#
    )
}

fn flaky_mysql(db: &MyDb, port: u16) -> String {
    let nat = articdbm_wire_mysql::auth::NativeVerifier::from_password(NAT_PW.as_bytes());
    format!(
        r#"
[users.nat]
mysql_password = "{nat}"

[databases.flaky]
kind = "mysql"
host = "127.0.0.1"
port = {port}
dbname = "{db}"
user = "root"
"#,
        db = db.name
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_server_down_is_dialled_with_backoff_and_found_back() {
    let relay = Outage::start(common::PG_PORT).await;
    let proxy = Setup::new("transaction")
        .toml(&flaky_pg(relay.port))
        .start()
        .await;
    let config = proxy.pg_config("alice", ALICE_PW, "flaky");
    let (client, conn) = within(10, config.connect(tokio_postgres::NoTls))
        .await
        .expect("login");
    tokio::spawn(conn);
    client.simple_query("SELECT 1").await.expect("server up");

    relay.refuse();
    // Let the pooled connection see its end (a statement sent on it before the proxy notices
    // would be a server lost mid-command, which ends a MySQL client's connection).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = relay.accepted();
    let t = Instant::now();
    let mut errors = 0;
    while t.elapsed() < HAMMER {
        let r = within(10, client.simple_query("SELECT 1")).await;
        assert_eq!(code_of(r), SqlState::CONNECTION_FAILURE);
        errors += 1;
    }
    let dials = relay.accepted() - before;
    assert!(
        errors > 20,
        "each statement answered at once ({errors} in {HAMMER:?})"
    );
    assert!(
        dials <= MAX_DIALS,
        "{dials} connection attempts to a down server during {HAMMER:?} ({errors} statements)"
    );

    // A new client cannot log in while the server is down (its startup settings are applied
    // on a server at login): FATAL 08006 at once, as over MySQL below.
    let r = within(10, config.connect(tokio_postgres::NoTls)).await;
    let e = r.err().expect("login refused while the server is down");
    let db_err = e.as_db_error().expect("a server error");
    assert_eq!(db_err.code(), &SqlState::CONNECTION_FAILURE);
    assert_eq!(db_err.severity(), "FATAL");

    relay.up();
    let t = Instant::now();
    while client.simple_query("SELECT 1").await.is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(6),
            "server not found back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let back = t.elapsed();
    assert!(back < Duration::from_secs(4), "found back after {back:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_clients_fail_fast_once_the_server_is_known_down() {
    let relay = Outage::start(common::PG_PORT).await;
    let proxy = Setup::new("transaction")
        .size(1)
        .env("ARTICDBM_POOL__CONNECT_TIMEOUT_SECS", "2")
        .toml(&flaky_pg(relay.port))
        .start()
        .await;
    let config = proxy.pg_config("alice", ALICE_PW, "flaky");
    let mut clients = Vec::new();
    for _ in 0..10 {
        let (c, conn) = within(10, config.connect(tokio_postgres::NoTls))
            .await
            .expect("login");
        tokio::spawn(conn);
        clients.push(c);
    }
    clients[0].simple_query("SELECT 1").await.expect("up");

    // Unreachable: every connect hangs until the 2 s connect timeout. Ten clients queue for
    // the pool's one connection; once the first connect has failed, the rest are answered.
    relay.hang();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for c in clients {
        tasks.push(tokio::spawn(async move {
            code_of(within(60, c.simple_query("SELECT 1")).await)
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), SqlState::CONNECTION_FAILURE);
    }
    let took = t.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "10 queued clients answered after {took:?} (one connect timeout is 2 s)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_server_down_is_dialled_with_backoff_and_found_back() {
    let db = MyDb::create().await;
    let relay = Outage::start(common::mysql::MARIADB_PORT).await;
    let proxy =
        common::mysql::start(Setup::new("transaction").toml(&flaky_mysql(&db, relay.port))).await;
    let mut conn = within(10, proxy.connect("nat", NAT_PW, Some("flaky")))
        .await
        .expect("login");
    conn.query_drop("SELECT 1").await.expect("server up");

    relay.refuse();
    // Let the pooled connection see its end (a statement sent on it before the proxy notices
    // would be a server lost mid-command, which ends a MySQL client's connection).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = relay.accepted();
    let t = Instant::now();
    let mut errors = 0;
    while t.elapsed() < HAMMER {
        let r = within(10, conn.query_drop("SELECT 1")).await;
        let (code, _, _) = common::mysql::server_error(r);
        assert_eq!(code, 1429, "a server that cannot be reached");
        errors += 1;
    }
    let dials = relay.accepted() - before;
    assert!(
        errors > 20,
        "each statement answered at once ({errors} in {HAMMER:?})"
    );
    assert!(
        dials <= MAX_DIALS,
        "{dials} connection attempts to a down server during {HAMMER:?} ({errors} statements)"
    );

    // Logins behave as over PostgreSQL: refused with the same error, at once.
    let r = within(10, proxy.connect("nat", NAT_PW, Some("flaky"))).await;
    let (code, _, _) = common::mysql::server_error(r);
    assert_eq!(code, 1429, "login while the server is down");

    relay.up();
    let t = Instant::now();
    while conn.query_drop("SELECT 1").await.is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(6),
            "server not found back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let back = t.elapsed();
    assert!(back < Duration::from_secs(4), "found back after {back:?}");
}

/// A login needs a server (session mode: the client owns one for its life; transaction mode:
/// the client's startup settings are applied on one), so it is refused the same way over
/// both protocols when the server is down, whether or not the proxy ever reached it:
/// PostgreSQL FATAL 08006, MySQL ERR 1429 and the connection closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_that_need_a_down_server_are_refused_alike() {
    let db = MyDb::create().await;
    for mode in ["session", "transaction"] {
        let pg_relay = Outage::start(common::PG_PORT).await;
        let my_relay = Outage::start(common::mysql::MARIADB_PORT).await;
        pg_relay.refuse();
        my_relay.refuse();
        let toml = format!(
            "{}\n{}",
            flaky_pg(pg_relay.port),
            flaky_mysql(&db, my_relay.port)
        )
        .replace("[databases.flaky]\nkind", "[databases.myflaky]\nkind");
        let proxy = common::mysql::start(Setup::new(mode).toml(&toml)).await;
        let mut config = tokio_postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(proxy.pg_port)
            .user("alice")
            .password(ALICE_PW)
            .dbname("flaky");
        let r = within(10, config.connect(tokio_postgres::NoTls)).await;
        let e = r
            .err()
            .unwrap_or_else(|| panic!("{mode}: PostgreSQL login must fail"));
        let db_err = e.as_db_error().unwrap_or_else(|| panic!("{mode}: {e}"));
        assert_eq!(db_err.code(), &SqlState::CONNECTION_FAILURE, "{mode}");
        assert_eq!(db_err.severity(), "FATAL", "{mode}");

        let r = within(10, proxy.connect("nat", NAT_PW, Some("myflaky"))).await;
        let (code, _, _) = common::mysql::server_error(r);
        assert_eq!(code, 1429, "{mode}: MySQL login");

        // Back up: both log in.
        pg_relay.up();
        my_relay.up();
        tokio::time::sleep(Duration::from_millis(2600)).await;
        let (c, conn) = within(10, config.connect(tokio_postgres::NoTls))
            .await
            .unwrap_or_else(|e| panic!("{mode}: PostgreSQL login after recovery: {e}"));
        tokio::spawn(conn);
        c.simple_query("SELECT 1").await.expect("query");
        let mut m = within(10, proxy.connect("nat", NAT_PW, Some("myflaky")))
            .await
            .unwrap_or_else(|e| panic!("{mode}: MySQL login after recovery: {e}"));
        m.query_drop("SELECT 1").await.expect("query");
    }
}
