//! The MySQL session loop through a real proxy with real clients (mysql_async) in front of
//! the real MariaDB, in both pool modes where it matters: COM_CHANGE_USER (native and
//! caching_sha2 verifiers, plugin switches both ways, full authentication, the new user's
//! backend account, state reset, wrong password closing the connection, the per-user limit
//! moving with the client), multiplexing isolation on a single shared server, prepared
//! statements reused across transactions, LAST_INSERT_ID, KILL QUERY, database permissions on
//! USE, a blocked statement and a 20 MiB BLOB (a killed backend thread: `mysql_faults.rs`).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use articdbm_proxy::StatementInspector;
use articdbm_proxy::inspect::{StatementContext, Verdict};
use articdbm_wire_mysql::auth::{CachingSha2Verifier, NativeVerifier};
use common::mysql::{
    BackendUsers, MyDb, MyProxy, NAT_PW, SHA_PW, direct, mysql_toml, server_error, start,
    start_inspected,
};
use common::{ALICE_PW, Setup, within};
use mysql_async::prelude::Queryable;
use mysql_async::{ChangeUserOpts, Conn};

const N_PW: &str = "cu-native-Pw1";
const S_PW: &str = "cu-sha2-Pw2";
const BACKEND_PW_ENV: &str = "ADBM_CU_BACKEND_PW";

/// The proxy users of the change-user tests: `n` (native verifier) and `s` (caching_sha2,
/// at most one connection), named like their MariaDB accounts, reach database `own` as
/// themselves; `nat`, `sha` and `alice` reach `db.name` as root.
struct ChangeSetup {
    p: MyProxy,
    db: MyDb,
    users: BackendUsers,
}

impl ChangeSetup {
    async fn start(mode: &'static str) -> ChangeSetup {
        let db = MyDb::create().await;
        let users = BackendUsers::create(2, &db).await;
        let extra = format!(
            r#"
[users.{n}]
mysql_password = "{nv}"

[users.{s}]
mysql_password = "{sv}"
max_connections = 1

[databases.own]
kind = "mysql"
port = 3306
dbname = "{db}"
password_env = "{env}"
"#,
            n = users.names[0],
            s = users.names[1],
            nv = NativeVerifier::from_password(N_PW.as_bytes()),
            sv = CachingSha2Verifier::from_password(S_PW.as_bytes()),
            db = db.name,
            env = BACKEND_PW_ENV,
        );
        let setup = Setup::new(mode)
            .toml(&mysql_toml(&db))
            .toml(&extra)
            .env(BACKEND_PW_ENV, &users.password);
        let p = start(setup).await;
        ChangeSetup { p, db, users }
    }

    fn n(&self) -> &str {
        &self.users.names[0]
    }

    fn s(&self) -> &str {
        &self.users.names[1]
    }
}

fn change_to(user: &str, password: &str, db: &str) -> ChangeUserOpts {
    ChangeUserOpts::default()
        .with_user(Some(user.to_string()))
        .with_pass(Some(password.to_string()))
        .with_db_name(Some(db.to_string()))
}

async fn current_user(conn: &mut Conn) -> String {
    let user: Option<String> = within(20, conn.query_first("SELECT CURRENT_USER()"))
        .await
        .expect("CURRENT_USER()");
    user.expect("a row")
}

async fn user_var(conn: &mut Conn) -> Option<i64> {
    let v: Option<Option<i64>> = within(20, conn.query_first("SELECT @x"))
        .await
        .expect("SELECT @x");
    v.flatten()
}

async fn change_user_switches_backend_user(mode: &'static str) {
    let cs = ChangeSetup::start(mode).await;
    let (n, s) = (cs.n().to_string(), cs.s().to_string());
    let mut conn =
        cs.p.connect(&n, N_PW, Some("own"))
            .await
            .expect("n logs in");
    assert!(current_user(&mut conn).await.starts_with(&format!("{n}@")));
    conn.query_drop("SET @x = 7").await.expect("SET @x");
    conn.query_drop("CREATE TABLE t_cu (a int)")
        .await
        .expect("n creates a table in its database");
    assert_eq!(user_var(&mut conn).await, Some(7));

    // native -> caching_sha2: an AuthSwitchRequest with a fresh nonce, then fast auth.
    within(20, conn.change_user(change_to(&s, S_PW, "own")))
        .await
        .expect("change to s");
    assert!(
        current_user(&mut conn).await.starts_with(&format!("{s}@")),
        "the new user's backend account"
    );
    assert_eq!(user_var(&mut conn).await, None, "session state reset");
    let rows: Vec<i64> = conn
        .query("SELECT a FROM t_cu")
        .await
        .expect("s sees the database");
    assert!(rows.is_empty());

    // caching_sha2 -> native, then native again without a switch: the scramble of the last
    // change is computed over the nonce the previous switch handed out.
    within(20, conn.change_user(change_to(&n, N_PW, "own")))
        .await
        .expect("back to n");
    assert!(current_user(&mut conn).await.starts_with(&format!("{n}@")));
    within(20, conn.change_user(change_to(&n, N_PW, "own")))
        .await
        .expect("n again, no plugin switch");
    assert!(current_user(&mut conn).await.starts_with(&format!("{n}@")));

    // To users that reach the other database as root: native, caching_sha2 fast auth and
    // caching_sha2 full authentication (RSA, no TLS) of a PostgreSQL-only user.
    for (user, pw) in [("nat", NAT_PW), ("sha", SHA_PW), ("alice", ALICE_PW)] {
        within(20, conn.change_user(change_to(user, pw, &cs.db.name)))
            .await
            .unwrap_or_else(|e| panic!("change to {user}: {e}"));
        assert!(current_user(&mut conn).await.starts_with("root@"), "{user}");
        let db: Option<String> = conn.query_first("SELECT DATABASE()").await.expect("db");
        assert_eq!(db.as_deref(), Some(cs.db.name.as_str()));
    }
    // A wrong password: 1045 like a login, and the connection is closed.
    let (code, state, msg) =
        server_error(within(20, conn.change_user(change_to(&s, "wrong", "own"))).await);
    assert_eq!((code, state.as_str()), (1045, "28000"), "{msg}");
    assert!(
        msg.starts_with(&format!("Access denied for user '{s}'@")),
        "{msg}"
    );
    let after = within(20, conn.query_drop("SELECT 1")).await;
    assert!(
        !matches!(after, Ok(()) | Err(mysql_async::Error::Server(_))),
        "connection closed after a failed change: {after:?}"
    );
    drop(conn);

    // The per-user limit follows the client: `s` may have one connection.
    let mut held =
        cs.p.connect(&s, S_PW, Some("own"))
            .await
            .expect("s logs in");
    let mut conn =
        cs.p.connect(&n, N_PW, Some("own"))
            .await
            .expect("n logs in");
    let (code, _, _) = server_error(within(20, conn.change_user(change_to(&s, S_PW, "own"))).await);
    assert_eq!(code, 1203, "s is at its limit");
    held.query_drop("SELECT 1")
        .await
        .expect("the holder is unaffected");
    within(20, held.change_user(change_to(&n, N_PW, "own")))
        .await
        .expect("the holder becomes n and frees s's place");
    let mut conn =
        cs.p.connect(&n, N_PW, Some("own"))
            .await
            .expect("n logs in");
    within(20, conn.change_user(change_to(&s, S_PW, "own")))
        .await
        .expect("s's place is free again");
    assert!(current_user(&mut conn).await.starts_with(&format!("{s}@")));
    assert!(current_user(&mut held).await.starts_with(&format!("{n}@")));
}

#[tokio::test]
async fn change_user_session_mode() {
    change_user_switches_backend_user("session").await;
}

#[tokio::test]
async fn change_user_transaction_mode() {
    change_user_switches_backend_user("transaction").await;
}

/// A change inside a transaction rolls it back, and a pinned session is released (session
/// mode: the old user's server connection is not kept for the new user).
async fn change_user_drops_transaction_and_pins(mode: &'static str) {
    let cs = ChangeSetup::start(mode).await;
    let n = cs.n().to_string();
    let mut conn =
        cs.p.connect(&n, N_PW, Some("own"))
            .await
            .expect("n logs in");
    conn.query_drop("CREATE TABLE t_tx (a int) ENGINE=InnoDB")
        .await
        .expect("table");
    conn.query_drop("CREATE TEMPORARY TABLE t_tmp (a int)")
        .await
        .expect("temporary table (pins)");
    conn.query_drop("BEGIN").await.expect("begin");
    conn.query_drop("INSERT INTO t_tx VALUES (1)")
        .await
        .expect("insert");
    within(20, conn.change_user(change_to(&n, N_PW, "own")))
        .await
        .expect("change to self");
    let count: Option<i64> = conn
        .query_first("SELECT COUNT(*) FROM t_tx")
        .await
        .expect("count");
    assert_eq!(count, Some(0), "the open transaction was rolled back");
    let (code, _, _) = server_error(conn.query_drop("SELECT * FROM t_tmp").await);
    assert_eq!(code, 1146, "the temporary table is gone");
    conn.query_drop("SELECT 1").await.expect("usable");
}

#[tokio::test]
async fn change_user_resets_session_mode() {
    change_user_drops_transaction_and_pins("session").await;
}

#[tokio::test]
async fn change_user_resets_transaction_mode() {
    change_user_drops_transaction_and_pins("transaction").await;
}

async fn proxy(db: &MyDb, mode: &'static str, size: u32) -> MyProxy {
    start(Setup::new(mode).size(size).toml(&mysql_toml(db))).await
}

/// What client B must see: none of A's state, its own schema.
async fn check_b(b: &mut Conn, schema: &str) {
    let row: Option<(Option<i64>, String, Option<String>)> = b
        .query_first("SELECT @x, @@session.time_zone, DATABASE()")
        .await
        .expect("b reads its state");
    let (x, tz, db) = row.expect("row");
    assert_eq!(x, None, "b never sees a's @x");
    assert_ne!(tz, "+05:00", "b never sees a's time zone");
    assert_eq!(db.as_deref(), Some(schema), "b's schema");
}

#[tokio::test]
async fn multiplexing_isolation_on_one_server() {
    let db = MyDb::create().await;
    let other = MyDb::create().await;
    // `other` is configured too: only configured databases can be switched to.
    let setup = Setup::new("transaction")
        .size(1)
        .toml(&mysql_toml(&db))
        .toml(&format!(
            "[databases.{o}]\nkind = \"mysql\"\nport = 3306\nuser = \"root\"\n",
            o = other.name
        ));
    let p = start(setup).await;
    let mut a = p.connect("nat", NAT_PW, Some(&db.name)).await.expect("a");
    let mut b = p.connect("sha", SHA_PW, Some(&db.name)).await.expect("b");
    // Replayable state: the server goes back to the pool after each statement.
    a.query_drop("SET time_zone = '+05:00'").await.expect("tz");
    a.query_drop(format!("USE {}", other.name))
        .await
        .expect("USE");
    check_b(&mut b, &db.name).await;
    let row: Option<(String, Option<String>)> = a
        .query_first("SELECT @@session.time_zone, DATABASE()")
        .await
        .expect("a reads its state");
    assert_eq!(
        row,
        Some(("+05:00".into(), Some(other.name.clone()))),
        "a's state is replayed on the shared server"
    );
    check_b(&mut b, &db.name).await;

    // A user variable and a temporary table pin a to the only server: b waits until a
    // leaves, then gets that server without any of it.
    a.query_drop("SET @x = 1").await.expect("SET @x");
    a.query_drop("CREATE TEMPORARY TABLE tmp_a (v int)")
        .await
        .expect("temporary table");
    a.query_drop("INSERT INTO tmp_a VALUES (1)")
        .await
        .expect("insert");
    let row: Option<(Option<i64>, i64)> = a
        .query_first("SELECT @x, COUNT(*) FROM tmp_a")
        .await
        .expect("a sees its state");
    assert_eq!(row, Some((Some(1), 1)));
    let (db_name, other_name) = (db.name.clone(), other.name.clone());
    let waiting = tokio::spawn(async move {
        check_b(&mut b, &db_name).await;
        let r = b
            .query_drop(format!("SELECT * FROM {other_name}.tmp_a"))
            .await;
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(a);
    let (mut b, r) = within(30, waiting).await.expect("b's task");
    let (code, _, _) = server_error(r);
    assert_eq!(code, 1146, "a's temporary table went with the reset");
    let tz: Option<String> = b
        .query_first("SELECT @@session.time_zone")
        .await
        .expect("tz");
    assert_ne!(tz.as_deref(), Some("+05:00"));
}

#[tokio::test]
async fn prepared_statements_across_transactions() {
    let db = MyDb::create().await;
    let p = proxy(&db, "transaction", 2).await;
    let mut a = p.connect("nat", NAT_PW, Some(&db.name)).await.expect("a");
    let mut b = p.connect("sha", SHA_PW, Some(&db.name)).await.expect("b");
    let sa = a.prep("SELECT ? + 1, ?").await.expect("a prepares");
    let sb = b.prep("SELECT CONCAT(?, 'b')").await.expect("b prepares");
    for round in 0..3i64 {
        a.query_drop("BEGIN").await.expect("a begin");
        b.query_drop("BEGIN").await.expect("b begin");
        let ra: Option<(i64, String)> = a
            .exec_first(&sa, (round, format!("r{round}")))
            .await
            .expect("a executes");
        let rb: Option<String> = b.exec_first(&sb, (round,)).await.expect("b executes");
        assert_eq!(ra, Some((round + 1, format!("r{round}"))));
        assert_eq!(rb, Some(format!("{round}b")));
        // Commit in the other order so the servers change hands between rounds.
        if round % 2 == 0 {
            a.query_drop("COMMIT").await.expect("a commit");
            b.query_drop("COMMIT").await.expect("b commit");
        } else {
            b.query_drop("COMMIT").await.expect("b commit");
            a.query_drop("COMMIT").await.expect("a commit");
        }
        // Outside a transaction too (autocommit).
        let ra: Option<(i64, String)> =
            a.exec_first(&sa, (10 + round, "x")).await.expect("a again");
        assert_eq!(ra, Some((11 + round, "x".to_string())));
    }
    a.close(sa).await.expect("close");
    let rb: Option<String> = b.exec_first(&sb, ("z",)).await.expect("b after a closed");
    assert_eq!(rb.as_deref(), Some("zb"));
}

#[tokio::test]
async fn last_insert_id_in_multiplexing_mode() {
    let db = MyDb::create().await;
    let p = proxy(&db, "transaction", 2).await;
    let mut a = p.connect("nat", NAT_PW, Some(&db.name)).await.expect("a");
    let mut b = p.connect("sha", SHA_PW, Some(&db.name)).await.expect("b");
    a.query_drop("CREATE TABLE ai (id int AUTO_INCREMENT PRIMARY KEY, v int)")
        .await
        .expect("table");
    for i in 0..3 {
        a.query_drop(format!("INSERT INTO ai (v) VALUES ({i})"))
            .await
            .expect("a inserts");
        let expected = a.last_insert_id().expect("OK carries the id");
        b.query_drop(format!("INSERT INTO ai (v) VALUES ({})", 100 + i))
            .await
            .expect("b inserts in between");
        let got: Option<u64> = a
            .query_first("SELECT LAST_INSERT_ID()")
            .await
            .expect("LAST_INSERT_ID");
        assert_eq!(got, Some(expected), "round {i}");
    }
}

async fn kill_query(mode: &'static str) {
    let db = MyDb::create().await;
    let p = proxy(&db, mode, 4).await;
    let mut a = p.connect("nat", NAT_PW, Some(&db.name)).await.expect("a");
    let mut b = p.connect("nat", NAT_PW, Some(&db.name)).await.expect("b");
    let id = a.id();
    let started = Instant::now();
    let sleeper = tokio::spawn(async move {
        let r: Result<Option<i64>, _> = a.query_first("SELECT SLEEP(10)").await;
        (a, r)
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.query_drop(format!("KILL QUERY {id}"))
        .await
        .expect("KILL QUERY");
    let (mut a, r) = within(20, sleeper).await.expect("sleeper");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    match r {
        Ok(v) => assert_eq!(v, Some(1), "SLEEP interrupted"),
        Err(mysql_async::Error::Server(e)) => assert_eq!(e.code, 1317, "{e:?}"),
        Err(e) => panic!("unexpected {e:?}"),
    }
    a.query_drop("SELECT 1").await.expect("a goes on");
}

#[tokio::test]
async fn kill_query_session_mode() {
    kill_query("session").await;
}

#[tokio::test]
async fn kill_query_transaction_mode() {
    kill_query("transaction").await;
}

#[tokio::test]
async fn use_of_forbidden_schema() {
    let db = MyDb::create().await;
    let other = MyDb::create().await;
    let nat = NativeVerifier::from_password(NAT_PW.as_bytes());
    let setup = Setup::new("transaction")
        .toml(&mysql_toml(&db))
        .toml(&format!(
            "[users.narrow]\nmysql_password = \"{nat}\"\ndatabases = [\"{}\"]\n",
            db.name
        ));
    let p = start(setup).await;
    let mut c = p
        .connect("narrow", NAT_PW, Some(&db.name))
        .await
        .expect("login");
    let (code, state, msg) = server_error(c.query_drop(format!("USE {}", other.name)).await);
    assert_eq!((code, state.as_str()), (1044, "42000"), "{msg}");
    let schema: Option<String> = c.query_first("SELECT DATABASE()").await.expect("db");
    assert_eq!(
        schema.as_deref(),
        Some(db.name.as_str()),
        "still where it was"
    );
}

/// Blocks statements mentioning `forbidden_tbl`.
struct Forbid;

impl StatementInspector for Forbid {
    fn inspect(&self, ctx: &StatementContext<'_>) -> Verdict {
        if ctx.sql.to_ascii_lowercase().contains("forbidden_tbl") {
            Verdict::Block {
                rule: "no-forbidden".into(),
                message: "access to forbidden_tbl is not allowed".into(),
                sqlstate: "42501",
            }
        } else {
            Verdict::Allow
        }
    }
}

async fn blocked_statement(mode: &'static str) {
    let db = MyDb::create().await;
    let setup = Setup::new(mode).toml(&mysql_toml(&db));
    let p = start_inspected(setup, Arc::new(Forbid)).await;
    let mut c = p
        .connect("nat", NAT_PW, Some(&db.name))
        .await
        .expect("login");
    let (code, state, msg) = server_error(c.query_drop("SELECT * FROM forbidden_tbl").await);
    assert_eq!((code, state.as_str()), (1142, "42000"));
    assert!(msg.contains("no-forbidden"), "{msg}");
    let r = c.prep("SELECT * FROM Forbidden_Tbl WHERE a = ?").await;
    assert_eq!(server_error(r).0, 1142);
    let one: Option<i64> = c.query_first("SELECT 1").await.expect("session goes on");
    assert_eq!(one, Some(1));
}

#[tokio::test]
async fn blocked_statement_session_mode() {
    blocked_statement("session").await;
}

#[tokio::test]
async fn blocked_statement_transaction_mode() {
    blocked_statement("transaction").await;
}

async fn big_blob(mode: &'static str) {
    let db = MyDb::create().await;
    let mut root = direct().await;
    root.query_drop("SET GLOBAL max_allowed_packet = 67108864")
        .await
        .expect("max_allowed_packet");
    let _ = root.disconnect().await;
    let p = proxy(&db, mode, 2).await;
    let opts = p
        .opts("nat", NAT_PW, Some(&db.name))
        .max_allowed_packet(Some(64 << 20));
    let mut c = p.connect_opts(opts).await.expect("login");
    c.query_drop("CREATE TABLE blobs (id int PRIMARY KEY, b LONGBLOB)")
        .await
        .expect("table");
    let blob: Vec<u8> = (0..20 << 20).map(|i: u32| (i % 251) as u8).collect();
    within(
        60,
        c.exec_drop("INSERT INTO blobs VALUES (1, ?)", (blob.clone(),)),
    )
    .await
    .expect("20 MiB parameter");
    let back: Option<Vec<u8>> = within(60, c.query_first("SELECT b FROM blobs WHERE id = 1"))
        .await
        .expect("20 MiB text-protocol row");
    assert!(back.as_ref() == Some(&blob), "text round trip");
    let back: Option<Vec<u8>> = within(60, c.exec_first("SELECT b FROM blobs WHERE id = ?", (1,)))
        .await
        .expect("20 MiB binary-protocol row");
    assert!(back.as_ref() == Some(&blob), "binary round trip");
    let len: Option<i64> = c
        .query_first("SELECT LENGTH(b) FROM blobs")
        .await
        .expect("usable");
    assert_eq!(len, Some(20 << 20));
}

#[tokio::test]
async fn big_blob_session_mode() {
    big_blob("session").await;
}

#[tokio::test]
async fn big_blob_transaction_mode() {
    big_blob("transaction").await;
}
