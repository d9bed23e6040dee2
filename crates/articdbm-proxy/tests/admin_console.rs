//! The admin console through a real proxy: an extended-protocol batch gets one ErrorResponse
//! (as a server answers a failed batch), `SHOW CLIENTS` lists admin sessions too, and
//! `clients_rejected` in `SHOW STATS` counts clients refused after login (42501, 3D000,
//! 53300 over PostgreSQL; 1044, 1049, 1203 over MySQL).

mod common;

use common::mysql::{MyDb, NAT_PW, mysql_toml, server_error};
use common::raw::{self, Raw};
use common::{ADMIN_PW, ALICE_PW, Setup, code_of, within};
use tokio_postgres::SimpleQueryMessage;
use tokio_postgres::error::SqlState;

fn rows(messages: &[SimpleQueryMessage]) -> Vec<Vec<String>> {
    messages
        .iter()
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

async fn stat(admin: &tokio_postgres::Client, name: &str) -> u64 {
    let all = rows(&admin.simple_query("SHOW STATS").await.expect("SHOW STATS"));
    all.iter()
        .find(|r| r[0] == name)
        .and_then(|r| r[1].parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {all:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_batch_gets_one_error_then_ready() {
    let proxy = Setup::new("transaction").start().await;
    let mut admin = within(
        10,
        Raw::login(proxy.port, "admin", ADMIN_PW, "articdbm_admin", &[]),
    )
    .await
    .unwrap_or_else(|e| panic!("admin login: {e:?}"));
    let mut batch = raw::parse("", "SHOW POOLS");
    batch.extend(raw::bind("", ""));
    batch.extend(raw::execute(""));
    batch.extend(raw::close_statement(""));
    batch.extend(raw::sync());
    let frames = within(10, admin.exchange(&batch)).await;
    let errors = frames.iter().filter(|f| f.tag() == b'E').count();
    assert_eq!(
        errors,
        1,
        "one ErrorResponse per batch: {}",
        raw::tags(&frames)
    );
    assert_eq!(raw::error_code(&frames), "0A000");
    assert_eq!(raw::status(&frames), b'I');
    // The next batch is refused once again, and a simple query still works.
    let frames = within(10, admin.exchange(&batch)).await;
    assert_eq!(frames.iter().filter(|f| f.tag() == b'E').count(), 1);
    let frames = within(10, admin.exchange(&raw::query("SHOW VERSION"))).await;
    assert!(raw::error(&frames).is_none(), "{}", raw::tags(&frames));
    // A lone Sync is answered with ReadyForQuery only.
    let frames = within(10, admin.exchange(&raw::sync())).await;
    assert_eq!(raw::tags(&frames), "Z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_clients_lists_admin_sessions() {
    let proxy = Setup::new("transaction").start().await;
    let admin = within(10, proxy.try_connect("admin", ADMIN_PW, "articdbm_admin"))
        .await
        .expect("admin console login")
        .client;
    let clients = rows(
        &admin
            .simple_query("SHOW CLIENTS")
            .await
            .expect("SHOW CLIENTS"),
    );
    assert!(
        clients
            .iter()
            .any(|r| r[1] == "admin" && r[2] == "articdbm_admin"),
        "{clients:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_rejected_counts_refusals_after_login() {
    let my = MyDb::create().await;
    let setup = Setup::new("transaction")
        .toml(&mysql_toml(&my))
        .env("ARTICDBM_USERS__ALICE__MAX_CONNECTIONS", "1")
        .env("ARTICDBM_USERS__NAT__MAX_CONNECTIONS", "1");
    let proxy = common::mysql::start(setup).await;
    let pg = |user: &str, password: &str, db: &str| {
        let mut c = tokio_postgres::Config::new();
        c.host("127.0.0.1")
            .port(proxy.pg_port)
            .user(user)
            .password(password)
            .dbname(db);
        async move { common::connect_with(&c).await }
    };
    let admin = within(10, pg("admin", ADMIN_PW, "articdbm_admin"))
        .await
        .expect("admin console")
        .client;
    let before = stat(&admin, "clients_rejected").await;

    let r = within(10, pg("alice", ALICE_PW, "articdbm_admin"))
        .await
        .map(|_| ());
    assert_eq!(code_of(r), SqlState::INSUFFICIENT_PRIVILEGE);
    let r = within(10, pg("alice", ALICE_PW, "no_such_database"))
        .await
        .map(|_| ());
    assert_eq!(code_of(r), SqlState::INVALID_CATALOG_NAME);
    let first = within(10, pg("alice", ALICE_PW, "db"))
        .await
        .expect("alice");
    let r = within(10, pg("alice", ALICE_PW, "db")).await.map(|_| ());
    assert_eq!(code_of(r), SqlState::TOO_MANY_CONNECTIONS);
    assert_eq!(stat(&admin, "clients_rejected").await, before + 3);

    let mine = proxy
        .connect("nat", NAT_PW, Some(&my.name))
        .await
        .expect("nat");
    let r = proxy.connect("nat", NAT_PW, Some(&my.name)).await;
    assert_eq!(server_error(r).0, 1203);
    assert_eq!(stat(&admin, "clients_rejected").await, before + 4);
    drop((first, mine));
}
