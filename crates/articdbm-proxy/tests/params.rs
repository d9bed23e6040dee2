//! Tracked run-time parameters in transaction mode: clients sharing one server connection each
//! see their own `TimeZone`, `application_name`, `DateStyle`..., whether set as startup
//! parameters, through `options=-c name=value`, or later with SET; a client that set nothing
//! sees the server's defaults, never another client's values.

mod common;

use common::raw::{self, Raw};
use common::{ALICE_PW, BOB_PW, DB, Proxy, Setup, connect_with, within};
use tokio_postgres::Client;

async fn show(client: &Client, what: &str) -> String {
    let sql = format!("SELECT current_setting('{what}')");
    within(10, client.query_one(&sql, &[]))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

async fn connect(proxy: &Proxy, app: Option<&str>, options: Option<&str>) -> Client {
    let mut config = proxy.pg_config("alice", ALICE_PW, DB);
    if let Some(app) = app {
        config.application_name(app);
    }
    if let Some(options) = options {
        config.options(options);
    }
    within(10, connect_with(&config))
        .await
        .expect("connect")
        .client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_sees_its_own_parameters() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let a = connect(&proxy, Some("aaa"), Some("-c TimeZone=UTC")).await;
    let b = connect(
        &proxy,
        None,
        Some("-c TimeZone=Asia/Tokyo -c DateStyle=SQL,\\ DMY"),
    )
    .await;
    let plain = connect(&proxy, None, None).await;
    let server_tz: String = common::direct()
        .await
        .query_one("SELECT current_setting('TimeZone')", &[])
        .await
        .expect("server TimeZone")
        .get(0);
    for round in 0..3 {
        assert_eq!(show(&a, "TimeZone").await, "UTC", "round {round}");
        assert_eq!(show(&a, "application_name").await, "aaa");
        assert_eq!(show(&b, "TimeZone").await, "Asia/Tokyo");
        assert_eq!(show(&b, "DateStyle").await, "SQL, DMY");
        assert_eq!(
            show(&b, "application_name").await,
            "",
            "b must not see a's name"
        );
        assert_eq!(show(&a, "DateStyle").await, "ISO, MDY");
        assert_eq!(show(&plain, "TimeZone").await, server_tz);
        // Also through the simple protocol (SHOW).
        let msgs = b.simple_query("SHOW TimeZone").await.expect("SHOW");
        let tz = msgs.iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        });
        assert_eq!(tz.as_deref(), Some("Asia/Tokyo"));
    }
    // A SET changes the client's own value for its later transactions only.
    a.batch_execute("SET TimeZone = 'America/New_York'")
        .await
        .expect("set");
    assert_eq!(show(&b, "TimeZone").await, "Asia/Tokyo");
    assert_eq!(show(&a, "TimeZone").await, "America/New_York");
    assert_eq!(show(&plain, "TimeZone").await, server_tz);
    a.batch_execute("SET application_name = 'renamed'")
        .await
        .expect("set");
    assert_eq!(show(&plain, "application_name").await, "");
    assert_eq!(show(&a, "application_name").await, "renamed");
    // SET LOCAL lasts for its transaction only.
    a.batch_execute("BEGIN; SET LOCAL TimeZone = 'Europe/Berlin'")
        .await
        .expect("set local");
    assert_eq!(show(&a, "TimeZone").await, "Europe/Berlin");
    a.batch_execute("COMMIT").await.expect("commit");
    assert_eq!(show(&a, "TimeZone").await, "America/New_York");
    assert_eq!(show(&b, "TimeZone").await, "Asia/Tokyo");
}

/// Startup parameters sent directly (as pgjdbc does with TimeZone) are tracked too, and the
/// values reported at login are the client's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_parameters_sent_directly() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let mut a = Raw::login(
        proxy.port,
        "bob",
        BOB_PW,
        DB,
        &[("TimeZone", "UTC"), ("application_name", "raw-a")],
    )
    .await
    .expect("login a");
    let mut b = Raw::login(proxy.port, "bob", BOB_PW, DB, &[("TimeZone", "Asia/Tokyo")])
        .await
        .expect("login b");
    for _ in 0..3 {
        let f = a
            .exchange(&raw::query(
                "SELECT current_setting('TimeZone'), current_setting('application_name')",
            ))
            .await;
        assert_eq!(
            raw::rows(&f),
            [[Some("UTC".to_string()), Some("raw-a".to_string())]]
        );
        let f = b
            .exchange(&raw::query(
                "SELECT current_setting('TimeZone'), current_setting('application_name')",
            ))
            .await;
        assert_eq!(
            raw::rows(&f),
            [[Some("Asia/Tokyo".to_string()), Some(String::new())]]
        );
    }
}

/// An invalid parameter value is refused like PostgreSQL does at login (FATAL 22023), in both
/// modes, and the server connection that tried it stays in the pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_parameter_value_is_refused() {
    for mode in ["transaction", "session"] {
        let proxy = Setup::new(mode).size(2).start().await;
        let _ok = connect(&proxy, Some("ok"), None).await;
        let mut config = proxy.pg_config("alice", ALICE_PW, DB);
        config.options("-c TimeZone=Mars/Olympus_Mons");
        let r = within(10, async {
            let conn = connect_with(&config).await?;
            conn.client.simple_query("SELECT 1").await?;
            conn.client.simple_query("SELECT 1").await
        })
        .await;
        let e = r.expect_err("invalid TimeZone accepted");
        let db = e.as_db_error().unwrap_or_else(|| panic!("{mode}: {e:?}"));
        assert_eq!(
            (db.severity(), db.code()),
            (
                "FATAL",
                &tokio_postgres::error::SqlState::INVALID_PARAMETER_VALUE
            ),
            "{mode}: {db:?}"
        );
        // The server connection that tried the value was kept, not thrown away.
        let pool = &proxy.state.pools.all()[0].1;
        let broken = pool
            .stats
            .closed_broken
            .load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(broken, 0, "{mode}: server connections discarded");
    }
}
