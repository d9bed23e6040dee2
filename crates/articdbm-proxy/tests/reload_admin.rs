//! Live reconfiguration and the admin console. `LiveState::apply` with a new pool size for
//! database A replaces A's pool, keeps B's (the same `Arc`), and every connected client keeps
//! working, including one in the middle of a transaction on A. The admin console answers
//! `SHOW POOLS` and friends and `RELOAD` over the simple protocol.

mod common;

use std::sync::Arc;

use articdbm_proxy::backend::PgPool;
use common::{ADMIN_PW, ALICE_PW, Proxy, Setup, Table, code_of, within};
use tokio_postgres::SimpleQueryMessage;
use tokio_postgres::error::SqlState;

fn two_databases(mode: &'static str, size_a: u32) -> Setup {
    Setup::new(mode).size(2).toml(&format!(
        "[databases.dba]\ndbname = \"test\"\nuser = \"postgres\"\n\n\
         [databases.dba.pool]\nsize = {size_a}\n\n\
         [databases.dbb]\ndbname = \"test\"\nuser = \"postgres\"\n"
    ))
}

fn pool_of(proxy: &Proxy, db: &str) -> Arc<PgPool> {
    proxy
        .state
        .pools
        .all()
        .into_iter()
        .find(|(k, _)| k.database == db)
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("no pool for {db}"))
}

async fn reload_keeps_clients(mode: &'static str) {
    let proxy = two_databases(mode, 2).start().await;
    let table = Table::create("reload", "n int").await;
    let t = &table.name;
    let a = within(10, proxy.try_connect("alice", ALICE_PW, "dba"))
        .await
        .expect("client of A");
    let a_in_tx = within(10, proxy.try_connect("alice", ALICE_PW, "dba"))
        .await
        .expect("second client of A");
    let b = within(10, proxy.try_connect("alice", ALICE_PW, "dbb"))
        .await
        .expect("client of B");
    for c in [&a, &a_in_tx, &b] {
        c.client.simple_query("SELECT 1").await.expect("query");
    }
    a_in_tx.client.batch_execute("BEGIN").await.expect("begin");
    a_in_tx
        .client
        .execute(&format!("INSERT INTO {t} VALUES (1)"), &[])
        .await
        .expect("insert");
    let old_a = pool_of(&proxy, "dba");
    let old_b = pool_of(&proxy, "dbb");
    assert_eq!(old_a.size(), 2);

    proxy
        .state
        .apply(two_databases(mode, 3).config())
        .expect("new configuration applies");

    let now_b = pool_of(&proxy, "dbb");
    assert!(
        Arc::ptr_eq(&old_b, &now_b),
        "B's pool must survive the reload"
    );
    assert!(!now_b.is_closed());
    assert!(old_a.is_closed(), "A's pool changed and must be retired");

    // Every client keeps working; the one inside a transaction finishes it.
    a_in_tx
        .client
        .execute(&format!("INSERT INTO {t} VALUES (2)"), &[])
        .await
        .expect("transaction continues across the reload");
    a_in_tx
        .client
        .batch_execute("COMMIT")
        .await
        .expect("commit");
    assert_eq!(table.count().await, 2);
    for (name, c) in [("a", &a), ("a_in_tx", &a_in_tx), ("b", &b)] {
        let n: i32 = within(10, c.client.query_one("SELECT $1::int", &[&9i32]))
            .await
            .unwrap_or_else(|e| panic!("client {name} after reload: {e}"))
            .get(0);
        assert_eq!(n, 9);
    }
    // New clients of A use the new pool.
    let fresh = within(10, proxy.try_connect("alice", ALICE_PW, "dba"))
        .await
        .expect("new client of A");
    fresh.client.simple_query("SELECT 1").await.expect("query");
    let new_a = pool_of(&proxy, "dba");
    assert!(!Arc::ptr_eq(&old_a, &new_a));
    assert!(!new_a.is_closed());
    assert_eq!(new_a.size(), 3);
    assert_eq!(
        proxy.state.runtime().config.databases["dba"].pool.size,
        Some(3)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_changes_one_pool_and_keeps_clients_in_transaction_mode() {
    reload_keeps_clients("transaction").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_changes_one_pool_and_keeps_clients_in_session_mode() {
    reload_keeps_clients("session").await;
}

/// The rows of a simple-query result as strings.
fn table_rows(msgs: &[SimpleQueryMessage]) -> Vec<Vec<String>> {
    msgs.iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or("").to_string())
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_console() {
    let proxy = Setup::new("transaction")
        .size(1)
        .with_source()
        .start()
        .await;
    let user = proxy.alice().await;
    user.simple_query("SELECT 1").await.expect("make a pool");
    let admin = within(10, proxy.try_connect("admin", ADMIN_PW, "articdbm_admin"))
        .await
        .expect("admin console login")
        .client;

    let pools = table_rows(&admin.simple_query("SHOW POOLS").await.expect("SHOW POOLS"));
    assert_eq!(pools.len(), 1);
    assert_eq!(pools[0][0], "db");
    assert_eq!(pools[0][1], "postgres");
    assert_eq!(pools[0][3], "transaction");
    assert_eq!(pools[0][4], "1");

    let clients = table_rows(
        &admin
            .simple_query("show clients;")
            .await
            .expect("SHOW CLIENTS"),
    );
    assert!(clients.iter().any(|r| r.contains(&"alice".to_string())));
    for cmd in ["SHOW STATS", "SHOW VERSION", "SHOW HELP"] {
        let rows = table_rows(&admin.simple_query(cmd).await.expect(cmd));
        assert!(!rows.is_empty(), "{cmd} returns rows");
    }

    let reloads = || {
        proxy
            .state
            .counters
            .reloads
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let before = reloads();
    let msgs = admin.simple_query("RELOAD").await.expect("RELOAD answered");
    assert!(
        msgs.iter()
            .any(|m| matches!(m, SimpleQueryMessage::CommandComplete(_)))
    );
    assert_eq!(reloads(), before + 1);
    // The unchanged pool survived the reload and the user's session is fine.
    user.simple_query("SELECT 1")
        .await
        .expect("user after RELOAD");

    let r = admin.simple_query("DROP TABLE x").await;
    assert!(r.is_err(), "unknown admin command must be an error");
    // The extended protocol is refused with an error; the console stays usable.
    let r = admin.query("SHOW POOLS", &[]).await;
    assert_eq!(code_of(r), SqlState::FEATURE_NOT_SUPPORTED);
    admin
        .simple_query("SHOW POOLS")
        .await
        .expect("still usable");

    // Only admins get in.
    let r = within(10, proxy.try_connect("alice", ALICE_PW, "articdbm_admin"))
        .await
        .map(|_| ());
    assert_eq!(code_of(r), SqlState::INSUFFICIENT_PRIVILEGE);
}

/// Without a configuration source, RELOAD is refused with a clear error and nothing changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_reload_without_source() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let admin = within(10, proxy.try_connect("admin", ADMIN_PW, "articdbm_admin"))
        .await
        .expect("admin console login")
        .client;
    let r = admin.simple_query("RELOAD").await;
    let e = r.expect_err("no source");
    assert!(
        e.as_db_error()
            .is_some_and(|d| d.message().contains("without a configuration source")),
        "{e:?}"
    );
    admin.simple_query("SHOW POOLS").await.expect("usable");
}
