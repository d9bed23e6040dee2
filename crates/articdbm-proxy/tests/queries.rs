//! Simple and extended queries through the proxy in session and transaction mode, and what
//! transactions leave behind: committed rows are visible from another connection, rolled back
//! and uncommitted ones are not, and an error aborts the transaction like on PostgreSQL.

mod common;

use common::{Setup, Table, code_of, direct, within};
use tokio_postgres::SimpleQueryMessage;
use tokio_postgres::error::SqlState;

async fn queries_and_transactions(mode: &'static str) {
    let proxy = Setup::new(mode).size(2).start().await;
    let table = Table::create("q", "id int PRIMARY KEY, v text NOT NULL").await;
    let t = &table.name;
    let client = proxy.alice().await;

    // Simple protocol: several statements in one Query, results of the last one.
    let msgs = within(
        10,
        client.simple_query(&format!(
            "INSERT INTO {t} VALUES (1, 'one'); SELECT v FROM {t} WHERE id = 1"
        )),
    )
    .await
    .expect("simple query");
    let values: Vec<String> = msgs
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .collect();
    assert_eq!(values, ["one"]);

    // Extended protocol with a bound parameter (data, not SQL).
    let row = client
        .query_one(&format!("SELECT v FROM {t} WHERE id = $1"), &[&1i32])
        .await
        .expect("extended query");
    assert_eq!(row.get::<_, String>(0), "one");
    let n = client
        .execute(
            &format!("INSERT INTO {t} VALUES ($1, $2)"),
            &[&2i32, &"two; DROP TABLE x --"],
        )
        .await
        .expect("insert with parameters");
    assert_eq!(n, 1);

    // Autocommit statements are visible from another connection at once.
    assert_eq!(table.count().await, 2);

    // A committed transaction: invisible elsewhere until COMMIT.
    let other = direct().await;
    client.batch_execute("BEGIN").await.expect("begin");
    client
        .execute(&format!("INSERT INTO {t} VALUES (3, 'three')"), &[])
        .await
        .expect("insert in transaction");
    let seen: i64 = other
        .query_one(&format!("SELECT count(*) FROM {t} WHERE id = 3"), &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(seen, 0, "uncommitted row must not be visible");
    client.batch_execute("COMMIT").await.expect("commit");
    assert_eq!(table.count().await, 3);

    // A rolled back transaction leaves nothing, for this client and for others.
    {
        let mut c = proxy.alice().await;
        let tx = c.transaction().await.expect("transaction");
        tx.execute(&format!("INSERT INTO {t} VALUES (4, 'four')"), &[])
            .await
            .expect("insert");
        let inside: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {t}"), &[])
            .await
            .expect("count inside")
            .get(0);
        assert_eq!(inside, 4);
        tx.rollback().await.expect("rollback");
        let after: i64 = c
            .query_one(&format!("SELECT count(*) FROM {t}"), &[])
            .await
            .expect("count after")
            .get(0);
        assert_eq!(after, 3);
    }
    assert_eq!(table.count().await, 3);

    // An error aborts the transaction: 25P02 until ROLLBACK, and nothing of it is kept.
    client.batch_execute("BEGIN").await.expect("begin");
    client
        .execute(&format!("INSERT INTO {t} VALUES (5, 'five')"), &[])
        .await
        .expect("insert");
    let dup = client
        .execute(&format!("INSERT INTO {t} VALUES (1, 'dup')"), &[])
        .await;
    assert_eq!(code_of(dup), SqlState::UNIQUE_VIOLATION);
    let aborted = client.simple_query("SELECT 1").await;
    assert_eq!(code_of(aborted), SqlState::IN_FAILED_SQL_TRANSACTION);
    client
        .batch_execute("COMMIT")
        .await
        .expect("commit ends it");
    assert_eq!(
        table.count().await,
        3,
        "a failed transaction commits nothing"
    );

    // Typed values come back intact through both protocols.
    let row = client
        .query_one(
            "SELECT $1::text || 'x', 2::int8, 1.5::float8, NULL::text",
            &[&"é☃"],
        )
        .await
        .expect("typed");
    assert_eq!(row.get::<_, String>(0), "é☃x");
    assert_eq!(row.get::<_, i64>(1), 2);
    assert_eq!(row.get::<_, f64>(2), 1.5);
    assert_eq!(row.get::<_, Option<String>>(3), None);
    // An empty query is answered (EmptyQueryResponse) and the session goes on.
    client.simple_query("").await.expect("empty query");
    client.simple_query("SELECT 1").await.expect("after empty");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_and_transactions_in_session_mode() {
    queries_and_transactions("session").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_and_transactions_in_transaction_mode() {
    queries_and_transactions("transaction").await;
}

/// Several clients share two server connections in transaction mode; each sees its own
/// transaction and the rows all arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_transactions_share_servers() {
    let proxy = Setup::new("transaction").size(2).start().await;
    let table = Table::create("qc", "client int, n int").await;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..6i32 {
        let client = proxy.alice().await;
        let t = table.name.clone();
        tasks.spawn(async move {
            for n in 0..20i32 {
                client.batch_execute("BEGIN").await.expect("begin");
                client
                    .execute(&format!("INSERT INTO {t} VALUES ($1, $2)"), &[&c, &n])
                    .await
                    .expect("insert");
                let mine: i64 = client
                    .query_one(
                        &format!("SELECT count(*) FROM {t} WHERE client = $1"),
                        &[&c],
                    )
                    .await
                    .expect("count")
                    .get(0);
                assert_eq!(mine, i64::from(n) + 1);
                client.batch_execute("COMMIT").await.expect("commit");
            }
        });
    }
    within(60, async {
        while let Some(r) = tasks.join_next().await {
            r.expect("client task");
        }
    })
    .await;
    assert_eq!(table.count().await, 120);
}
