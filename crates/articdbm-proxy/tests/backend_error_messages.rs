//! What a client is told when its database's server cannot be reached or refuses the proxy's
//! login: a message naming the client-facing database, never the server's address, port,
//! backend role or the server's own login error (those go to the proxy's log). Both
//! protocols, through a real proxy.

mod common;

use common::mysql::{MyDb, NAT_PW, mysql_toml};
use common::{ALICE_PW, Setup, within};

/// The client-facing message of a failure at login or at the first query, whichever the proxy
/// reports it at.
async fn pg_failure(proxy: &common::Proxy, db: &str) -> String {
    let outcome = within(30, proxy.try_connect("alice", ALICE_PW, db)).await;
    let error = match outcome {
        Err(e) => e,
        Ok(conn) => match within(30, conn.client.simple_query("SELECT 1")).await {
            Err(e) => e,
            Ok(_) => panic!("database {db} answered"),
        },
    };
    match error.as_db_error() {
        Some(db_error) => db_error.message().to_owned(),
        None => panic!("not a database error: {error:?}"),
    }
}

fn assert_generic(message: &str, database: &str, hidden: &[&str]) {
    assert!(
        message.contains(&format!("\"{database}\"")),
        "names the client-facing database: {message}"
    );
    for secret in hidden {
        assert!(!message.contains(secret), "shows `{secret}`: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backend_failures_are_not_shown_to_clients() {
    let role = common::unique("norole");
    let proxy = Setup::new("transaction")
        .env("ARTICDBM_POOL__CONNECT_TIMEOUT_SECS", "2")
        .toml(&format!(
            "[databases.unreachable]\nhost = \"127.0.0.1\"\nport = 1\ndbname = \"test\"\n\
             user = \"postgres\"\n\n\
             [databases.refused]\ndbname = \"test\"\nuser = \"{role}\"\n"
        ))
        .start()
        .await;
    let message = pg_failure(&proxy, "unreachable").await;
    assert_generic(
        &message,
        "unreachable",
        &["127.0.0.1", ":1", "refused", "postgres"],
    );
    let message = pg_failure(&proxy, "refused").await;
    assert_generic(&message, "refused", &[&role, "127.0.0.1", "5432", "role"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_backend_failures_are_not_shown_to_clients() {
    let my = MyDb::create().await;
    let role = common::unique("norole");
    let setup = Setup::new("transaction")
        .env("ARTICDBM_POOL__CONNECT_TIMEOUT_SECS", "2")
        .toml(&mysql_toml(&my))
        .toml(&format!(
            "[databases.myunreachable]\nkind = \"mysql\"\nhost = \"127.0.0.1\"\nport = 1\n\
             dbname = \"{db}\"\nuser = \"root\"\n\n\
             [databases.myrefused]\nkind = \"mysql\"\nport = 3306\ndbname = \"{db}\"\n\
             user = \"{role}\"\n",
            db = my.name
        ));
    let proxy = common::mysql::start(setup).await;
    for (database, hidden) in [
        ("myunreachable", vec!["127.0.0.1", ":1", "server error"]),
        (
            "myrefused",
            vec![
                role.as_str(),
                "Access denied",
                "127.0.0.1",
                "3306",
                "localhost",
            ],
        ),
    ] {
        let outcome = proxy.connect("nat", NAT_PW, Some(database)).await;
        let error = match outcome {
            Err(e) => e,
            Ok(mut conn) => {
                use mysql_async::prelude::Queryable;
                match within(30, conn.query_drop("SELECT 1")).await {
                    Err(e) => e,
                    Ok(()) => panic!("{database} answered"),
                }
            }
        };
        let message = match error {
            mysql_async::Error::Server(e) => e.message,
            other => panic!("{database}: expected a server error, got {other:?}"),
        };
        assert_generic(&message, database, &hidden);
    }
}
