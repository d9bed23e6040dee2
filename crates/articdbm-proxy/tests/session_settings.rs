//! PostgreSQL session state through the proxy, as a direct connection would keep it:
//! - transaction mode: `SET`, `RESET`, `set_config(..., false)` of any parameter (custom ones
//!   too) follow the client to every server connection it borrows, never leak to another
//!   client, and are undone with the transaction that rolled back; `RESET ALL` and `DISCARD ALL`
//!   clear them; SQL-level `PREPARE`/`EXECUTE` works across transactions;
//! - both modes: every startup parameter (and every `-c` of `options`) reaches the server, and
//!   the parameters reported at login are the server's spelling of the values;
//! - both modes: SQL in the client's `client_encoding` (not UTF-8) passes as the server takes it.

mod common;
mod sqlite_common;

use common::raw::{self, Raw};
use common::{ALICE_PW, BOB_PW, DB, Setup, code_of, direct, unique, within};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

async fn setting(client: &Client, name: &str) -> String {
    let sql = format!("SELECT coalesce(current_setting('{name}', true), '<none>')");
    within(10, client.query_one(&sql, &[]))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

async fn run(client: &Client, sql: &str) {
    within(10, client.batch_execute(sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A schema in backend database `test` with one table `t` holding `marker`, dropped at the end.
struct Schema {
    name: String,
}

impl Schema {
    async fn create(marker: &str) -> Schema {
        let name = unique("sch");
        direct()
            .await
            .batch_execute(&format!(
                "CREATE SCHEMA {name}; CREATE TABLE {name}.t (v text); \
                 INSERT INTO {name}.t VALUES ('{marker}'); GRANT USAGE ON SCHEMA {name} TO PUBLIC"
            ))
            .await
            .expect("create schema");
        Schema { name }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        common::run_blocking_cleanup(format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

async fn defaults() -> (String, String, String) {
    let d = direct().await;
    (
        setting(&d, "search_path").await,
        setting(&d, "statement_timeout").await,
        setting(&d, "work_mem").await,
    )
}

/// Two clients on one server connection: each keeps what it set, sees nothing of the other's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_follow_each_client_in_transaction_mode() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let schema = Schema::create("from-a").await;
    let (search_path, timeout, work_mem) = defaults().await;
    let a = proxy.alice().await;
    let b = proxy.alice().await;
    run(&a, &format!("SET search_path = {}, public", schema.name)).await;
    run(&a, "SET statement_timeout = '7s'").await;
    run(
        &a,
        "SELECT set_config('articdbm.tenant', 'tenant-a', false)",
    )
    .await;
    run(&b, "SET work_mem = '9MB'; SET articdbm.tenant = 'tenant-b'").await;
    for round in 0..3 {
        assert_eq!(
            setting(&a, "search_path").await,
            format!("{}, public", schema.name),
            "round {round}"
        );
        let v: String = a
            .query_one("SELECT v FROM t", &[])
            .await
            .expect("unqualified table of a's schema")
            .get(0);
        assert_eq!(v, "from-a");
        assert_eq!(setting(&a, "statement_timeout").await, "7s");
        assert_eq!(setting(&a, "articdbm.tenant").await, "tenant-a");
        assert_eq!(
            setting(&a, "work_mem").await,
            work_mem,
            "b's work_mem leaked"
        );
        assert_eq!(setting(&b, "search_path").await, search_path, "leaked");
        assert_eq!(setting(&b, "statement_timeout").await, timeout, "leaked");
        assert_eq!(setting(&b, "work_mem").await, "9MB");
        assert_eq!(setting(&b, "articdbm.tenant").await, "tenant-b");
    }
    // A SET inside a transaction that rolls back is undone; one that commits stays.
    run(&a, "BEGIN; SET statement_timeout = '1min'; ROLLBACK").await;
    assert_eq!(setting(&a, "statement_timeout").await, "7s");
    run(&a, "BEGIN; SET statement_timeout = '2min'; COMMIT").await;
    assert_eq!(setting(&b, "statement_timeout").await, timeout);
    assert_eq!(setting(&a, "statement_timeout").await, "2min");
    // A failed implicit transaction undoes its SET too; set_config(..., true) is local.
    let r = a
        .batch_execute("SET statement_timeout = '3min'; SELECT 1/0")
        .await;
    assert_eq!(code_of(r), SqlState::DIVISION_BY_ZERO);
    run(&a, "SELECT set_config('work_mem', '5MB', true)").await;
    assert_eq!(setting(&a, "statement_timeout").await, "2min");
    assert_eq!(setting(&a, "work_mem").await, work_mem);
    // RESET of one parameter, then RESET ALL and DISCARD ALL clear everything.
    run(&a, "RESET statement_timeout").await;
    assert_eq!(setting(&a, "statement_timeout").await, timeout);
    assert_eq!(setting(&a, "articdbm.tenant").await, "tenant-a");
    run(&a, "RESET ALL").await;
    assert_eq!(setting(&a, "search_path").await, search_path);
    assert_eq!(setting(&a, "articdbm.tenant").await, "");
    assert_eq!(setting(&b, "work_mem").await, "9MB");
    run(&b, "DISCARD ALL").await;
    assert_eq!(setting(&b, "work_mem").await, work_mem);
    assert_eq!(setting(&b, "articdbm.tenant").await, "");
    // Through the extended protocol as well (tokio-postgres prepares every query).
    a.execute("SELECT set_config('statement_timeout', '4s', false)", &[])
        .await
        .expect("set_config through the extended protocol");
    assert_eq!(setting(&b, "statement_timeout").await, timeout);
    assert_eq!(setting(&a, "statement_timeout").await, "4s");
}

/// `SET ROLE` follows the client and never reaches another client's transactions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_role_follows_the_client_only() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let role = unique("role");
    direct()
        .await
        .batch_execute(&format!("CREATE ROLE {role}"))
        .await
        .expect("create role");
    let _drop = DropRole(role.clone());
    let a = proxy.alice().await;
    let b = proxy.alice().await;
    run(&a, &format!("SET ROLE {role}")).await;
    for _ in 0..2 {
        assert_eq!(common::current_user(&a).await, role);
        assert_eq!(common::current_user(&b).await, "postgres");
    }
    run(&a, "RESET ROLE").await;
    assert_eq!(common::current_user(&a).await, "postgres");
}

struct DropRole(String);

impl Drop for DropRole {
    fn drop(&mut self) {
        common::run_blocking_cleanup(format!("DROP ROLE IF EXISTS {}", self.0));
    }
}

/// SQL-level PREPARE/EXECUTE works across transactions in transaction mode (the session keeps
/// its server), and the statement is gone when the client leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_prepare_and_execute_in_transaction_mode() {
    let proxy = Setup::new("transaction").size(2).start().await;
    let a = proxy.alice_conn().await;
    let b = proxy.alice().await;
    run(&a.client, "PREPARE plus_one(int) AS SELECT $1 + 1").await;
    for n in 0..3 {
        run(&b, "SELECT 1").await;
        let rows = a
            .client
            .simple_query(&format!("EXECUTE plus_one({n})"))
            .await
            .expect("EXECUTE in a later transaction");
        let got = rows.iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        });
        assert_eq!(got, Some((n + 1).to_string()));
    }
    drop(a.client);
    let _ = within(5, a.task).await;
    within(15, async {
        loop {
            // Both server connections: the one a used is reset when it leaves.
            let c = proxy.alice().await;
            let other = proxy.alice().await;
            let r1 = c.batch_execute("BEGIN; EXECUTE plus_one(1)").await;
            let r2 = other.batch_execute("BEGIN; EXECUTE plus_one(1)").await;
            if r1.is_err() && r2.is_err() {
                assert_eq!(code_of(r1), SqlState::UNDEFINED_PSTATEMENT);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
}

async fn raw_settings(c: &mut Raw, names: &[&str]) -> Vec<String> {
    let cols: Vec<String> = names
        .iter()
        .map(|n| format!("current_setting('{n}')"))
        .collect();
    let f = c
        .exchange(&raw::query(&format!("SELECT {}", cols.join(", "))))
        .await;
    assert_eq!(raw::error_code(&f), "", "{:?}", raw::error(&f));
    raw::rows(&f)
        .into_iter()
        .next()
        .expect("a row")
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect()
}

/// Every startup parameter and every `-c` of `options` reaches the server, in both modes; in
/// transaction mode they follow the client and stay its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_parameters_reach_the_server() {
    let (search_path, timeout, _) = defaults().await;
    for mode in ["session", "transaction"] {
        // Session mode: one server for `c`, one for the refused login.
        let proxy = Setup::new(mode)
            .size(if mode == "session" { 2 } else { 1 })
            .start()
            .await;
        let mut c = Raw::login(
            proxy.port,
            "bob",
            BOB_PW,
            DB,
            &[
                ("options", "-c statement_timeout=3s -c search_path=foo"),
                ("default_transaction_isolation", "serializable"),
            ],
        )
        .await
        .expect("login");
        let names = [
            "statement_timeout",
            "search_path",
            "default_transaction_isolation",
        ];
        for _ in 0..2 {
            let got = raw_settings(&mut c, &names).await;
            assert_eq!(got, ["3s", "foo", "serializable"], "{mode}");
            let f = c
                .exchange(&raw::query("BEGIN; SHOW transaction_isolation; COMMIT"))
                .await;
            assert_eq!(
                raw::rows(&f),
                [[Some("serializable".to_string())]],
                "{mode}"
            );
            if mode == "transaction" {
                let mut other = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
                    .await
                    .expect("other login");
                let got = raw_settings(&mut other, &names[..2]).await;
                assert_eq!(got, [timeout.clone(), search_path.clone()], "leaked");
            }
        }
        // An unknown parameter is refused as the server refuses it.
        let e = Raw::login(proxy.port, "bob", BOB_PW, DB, &[("no_such_parameter", "1")])
            .await
            .err()
            .unwrap_or_else(|| panic!("{mode}: unknown startup parameter accepted"));
        assert_eq!((e.severity.as_str(), e.code.as_str()), ("FATAL", "42704"));
    }
}

/// The values reported at login are the server's spelling, not the client's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reported_parameters_are_what_the_server_reports() {
    for mode in ["session", "transaction"] {
        let proxy = Setup::new(mode).size(1).start().await;
        let c = Raw::login(
            proxy.port,
            "alice",
            ALICE_PW,
            DB,
            &[
                ("client_encoding", "utf-8"),
                ("DateStyle", "iso, mdy"),
                ("TimeZone", "utc"),
            ],
        )
        .await
        .expect("login");
        let get = |name: &str| {
            c.reported
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("client_encoding").as_deref(), Some("UTF8"), "{mode}");
        assert_eq!(get("DateStyle").as_deref(), Some("ISO, MDY"), "{mode}");
        assert_eq!(get("TimeZone").as_deref(), Some("UTC"), "{mode}");
    }
}

fn query_bytes(sql: &[u8]) -> Vec<u8> {
    let mut body = sql.to_vec();
    body.push(0);
    raw::msg(b'Q', &body)
}

/// The raw bytes of the first column of the first DataRow.
fn first_value(frames: &[articdbm_wire_pg::Frame]) -> Vec<u8> {
    let row = frames
        .iter()
        .find(|f| f.tag() == b'D')
        .expect("a DataRow")
        .body();
    let len = i32::from_be_bytes([row[2], row[3], row[4], row[5]]);
    row[6..6 + usize::try_from(len).expect("not NULL")].to_vec()
}

/// SQL in LATIN9 reaches the server as sent and comes back in LATIN9 (0xA4 is the euro sign),
/// whether the encoding was given at startup or set later, in both modes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_in_the_client_encoding_passes() {
    for mode in ["session", "transaction"] {
        let proxy = Setup::new(mode).size(3).start().await;
        let mut at_startup = Raw::login(
            proxy.port,
            "alice",
            ALICE_PW,
            DB,
            &[("client_encoding", "LATIN9")],
        )
        .await
        .expect("login");
        let mut later = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
            .await
            .expect("login");
        let f = later
            .exchange(&raw::query("SET client_encoding = 'LATIN9'"))
            .await;
        assert_eq!(raw::error_code(&f), "");
        for c in [&mut at_startup, &mut later] {
            for _ in 0..2 {
                let f = c
                    .exchange(&query_bytes(b"SELECT '\xa4', '\xa4' = U&'\\20AC'"))
                    .await;
                assert_eq!(raw::error_code(&f), "", "{mode}: {:?}", raw::error(&f));
                assert_eq!(first_value(&f), b"\xa4", "{mode}");
                assert_eq!(raw::rows(&f)[0][1].as_deref(), Some("t"), "{mode}");
                // Also as a Parse of the extended protocol.
                let mut parse = b"\0SELECT '\xa4'\0\0\0".to_vec();
                parse = raw::msg(b'P', &parse);
                let f = c.exchange(&[parse, raw::run_statement("")].concat()).await;
                assert_eq!(raw::error_code(&f), "", "{mode}: {:?}", raw::error(&f));
                assert_eq!(first_value(&f), b"\xa4", "{mode}");
            }
        }
        // A byte sequence invalid in the client's encoding gets the server's error.
        let mut euc = Raw::login(
            proxy.port,
            "alice",
            ALICE_PW,
            DB,
            &[("client_encoding", "EUC_JP")],
        )
        .await
        .expect("login");
        let f = euc.exchange(&query_bytes(b"SELECT '\xff'")).await;
        assert_eq!(raw::error_code(&f), "22021", "{mode}");
        let f = euc.exchange(&raw::query("SELECT 1")).await;
        assert_eq!(raw::rows(&f), [[Some("1".to_string())]]);
    }
}

/// The embedded SQLite database serves UTF8 only: it reports the server's spelling of the
/// values, and refuses another encoding with the server's error for a missing conversion, at
/// login (FATAL) and with SET (ERROR, the session goes on).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_client_encoding() {
    let lite = sqlite_common::Lite::start("").await;
    let port = lite.proxy.port;
    let db = sqlite_common::LITE;
    let c = Raw::login(
        port,
        "alice",
        ALICE_PW,
        db,
        &[
            ("client_encoding", "utf-8"),
            ("DateStyle", "iso, mdy"),
            ("TimeZone", "utc"),
        ],
    )
    .await
    .expect("login");
    let get = |name: &str| {
        c.reported
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("client_encoding").as_deref(), Some("UTF8"));
    assert_eq!(get("DateStyle").as_deref(), Some("ISO, MDY"));
    assert_eq!(get("TimeZone").as_deref(), Some("UTC"));
    let e = Raw::login(
        port,
        "alice",
        ALICE_PW,
        db,
        &[("client_encoding", "LATIN9")],
    )
    .await
    .err()
    .expect("LATIN9 refused at login");
    assert_eq!((e.severity.as_str(), e.code.as_str()), ("FATAL", "0A000"));
    let mut c = c;
    let f = c
        .exchange(&raw::query("SET client_encoding = 'LATIN9'"))
        .await;
    assert_eq!(raw::error_code(&f), "0A000");
    let f = c.exchange(&raw::query("SHOW client_encoding")).await;
    assert_eq!(raw::rows(&f), [[Some("UTF8".to_string())]]);
}
