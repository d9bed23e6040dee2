//! 32 clients write and read one SQLite database at once for 10 seconds, in autocommit
//! mode, in explicit transactions (simple and extended protocol) and in read-then-write
//! transactions: writers queue on the writer lock and a read-started transaction renews its
//! snapshot at its first write, so no client sees any error ("database is locked", busy,
//! serialization failure), and every row whose commit was acknowledged is there afterwards.

mod common;
mod sqlite_common;

use std::time::{Duration, Instant};

use common::within;
use sqlite_common::Lite;

const CLIENTS: usize = 32;
const RUN: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_clients_write_and_read_for_ten_seconds() {
    let lite = Lite::start("").await;
    let setup = lite.client().await;
    setup
        .batch_execute(
            "CREATE TABLE w (id INTEGER PRIMARY KEY, client BIGINT NOT NULL, k BIGINT NOT NULL)",
        )
        .await
        .expect("schema");
    let deadline = Instant::now() + RUN;
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let c = lite.client().await;
        tasks.push(tokio::spawn(async move {
            let mut committed = 0i64;
            let mut k = 0i64;
            while Instant::now() < deadline {
                k += 1;
                let n = client as i64;
                let result: Result<i64, tokio_postgres::Error> = match client % 4 {
                    // Autocommit inserts (extended protocol) and reads.
                    0 => {
                        async {
                            c.execute("INSERT INTO w (client, k) VALUES ($1, $2)", &[&n, &k])
                                .await?;
                            c.query_one("SELECT count(*) FROM w WHERE client = $1", &[&n])
                                .await?;
                            Ok(1)
                        }
                        .await
                    }
                    // An explicit transaction of three inserts (simple protocol).
                    1 => c
                        .batch_execute(&format!(
                            "BEGIN; INSERT INTO w (client, k) VALUES ({n}, {k}); \
                             INSERT INTO w (client, k) VALUES ({n}, {k}); \
                             INSERT INTO w (client, k) VALUES ({n}, {k}); COMMIT"
                        ))
                        .await
                        .map(|()| 3),
                    // Read-only work.
                    2 => {
                        async {
                            c.query("SELECT client, count(*) FROM w GROUP BY client", &[])
                                .await?;
                            c.simple_query("SELECT max(id) FROM w").await?;
                            Ok(0)
                        }
                        .await
                    }
                    // Read, then write, in one transaction.
                    _ => {
                        async {
                            c.batch_execute("BEGIN").await?;
                            let r = async {
                                c.query_one("SELECT count(*) FROM w", &[]).await?;
                                c.execute("INSERT INTO w (client, k) VALUES ($1, $2)", &[&n, &k])
                                    .await?;
                                c.batch_execute("COMMIT").await
                            }
                            .await;
                            if r.is_err() {
                                let _ = c.batch_execute("ROLLBACK").await;
                            }
                            r.map(|()| 1)
                        }
                        .await
                    }
                };
                match result {
                    Ok(rows) => committed += rows,
                    Err(e) => panic!("client {client}: {e:?}"),
                }
            }
            (client as i64, committed)
        }));
    }
    let mut expected = vec![0i64; CLIENTS];
    for t in tasks {
        let (client, committed) = within(60, t).await.expect("client task");
        expected[client as usize] = committed;
    }
    let rows = setup
        .query("SELECT client, count(*) FROM w GROUP BY client", &[])
        .await
        .expect("counts");
    let mut actual = vec![0i64; CLIENTS];
    for r in rows {
        actual[r.get::<_, i64>(0) as usize] = r.get(1);
    }
    assert_eq!(actual, expected, "every acknowledged commit is there");
    let writes: i64 = expected.iter().sum();
    assert!(writes > 100, "too little work done: {writes} rows");
    eprintln!("{writes} rows committed by {CLIENTS} clients");
}
