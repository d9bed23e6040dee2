//! The embedded SQLite backend over the PostgreSQL protocol, with tokio-postgres against an
//! in-process proxy: type round trips in text and binary format (NULLs, a 10 MB blob),
//! parameter types inferred for untyped parameters, command tags, SQLSTATEs, transaction
//! blocks and savepoints, suspended portals, SHOW/SET, the catalog, the inspection seam and
//! cancel requests.

mod common;
mod sqlite_common;

use std::error::Error;
use std::sync::Arc;

use articdbm_proxy::inspect::{StatementContext, StatementInspector, Verdict};
use bytes::BytesMut;
use common::{code_of, within};
use sqlite_common::{LITE, Lite};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{NoTls, SimpleQueryMessage};

/// A value's raw binary wire form, whatever its type.
#[derive(Debug, PartialEq)]
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

impl ToSql for Raw {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(IsNull::No)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}

/// Rows of a simple query as text (`None` = NULL), and its command tags' counts.
async fn simple(
    client: &tokio_postgres::Client,
    sql: &str,
) -> (Vec<Vec<Option<String>>>, Vec<u64>) {
    let mut rows = Vec::new();
    let mut counts = Vec::new();
    for m in client.simple_query(sql).await.expect(sql) {
        match m {
            SimpleQueryMessage::Row(r) => {
                rows.push((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
            }
            SimpleQueryMessage::CommandComplete(n) => counts.push(n),
            _ => {}
        }
    }
    (rows, counts)
}

const SCHEMA: &str = "CREATE TABLE v (id INTEGER PRIMARY KEY, i BIGINT, f DOUBLE PRECISION, \
    s TEXT, b BYTEA, ok BOOLEAN, d DATE, ts TIMESTAMP, n NUMERIC(10,2))";

#[tokio::test]
async fn types_round_trip_in_text_and_binary() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    c.batch_execute(SCHEMA).await.expect("schema");
    // Untyped parameters: the proxy infers each from its column.
    let n = c
        .execute(
            "INSERT INTO v (i, f, s, b, ok) VALUES ($1, $2, $3, $4, $5)",
            &[&-42i64, &1.5f64, &"héllo", &vec![0u8, 1, 255], &true],
        )
        .await
        .expect("insert");
    assert_eq!(n, 1);
    c.execute(
        "INSERT INTO v (i, f, s, b, ok) VALUES ($1, $2, $3, $4, $5)",
        &[
            &None::<i64>,
            &None::<f64>,
            &None::<String>,
            &None::<Vec<u8>>,
            &None::<bool>,
        ],
    )
    .await
    .expect("insert nulls");
    // Binary results (tokio-postgres asks for binary).
    let rows = c
        .query("SELECT i, f, s, b, ok FROM v ORDER BY id", &[])
        .await
        .expect("select");
    assert_eq!(rows[0].get::<_, i64>(0), -42);
    assert_eq!(rows[0].get::<_, f64>(1), 1.5);
    assert_eq!(rows[0].get::<_, &str>(2), "héllo");
    assert_eq!(rows[0].get::<_, Vec<u8>>(3), vec![0u8, 1, 255]);
    assert!(rows[0].get::<_, bool>(4));
    assert_eq!(rows[1].get::<_, Option<i64>>(0), None);
    assert_eq!(rows[1].get::<_, Option<f64>>(1), None);
    assert_eq!(rows[1].get::<_, Option<&str>>(2), None);
    assert_eq!(rows[1].get::<_, Option<Vec<u8>>>(3), None);
    assert_eq!(rows[1].get::<_, Option<bool>>(4), None);
    let types: Vec<Type> = rows[0]
        .columns()
        .iter()
        .map(|c| c.type_().clone())
        .collect();
    assert_eq!(
        types,
        vec![
            Type::INT8,
            Type::FLOAT8,
            Type::TEXT,
            Type::BYTEA,
            Type::BOOL
        ]
    );
    // Text results (simple protocol).
    let (text, _) = simple(&c, "SELECT i, f, s, b, ok FROM v ORDER BY id").await;
    assert_eq!(
        text[0],
        vec![
            Some("-42".into()),
            Some("1.5".into()),
            Some("héllo".into()),
            Some("\\x0001ff".into()),
            Some("t".into())
        ]
    );
    assert_eq!(text[1], vec![None, None, None, None, None]);
}

#[tokio::test]
async fn dates_timestamps_and_numerics_in_binary() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    c.batch_execute(SCHEMA).await.expect("schema");
    // 2024-02-29 is day 8825 after 2000-01-01; noon adds 43200 s.
    let day: i32 = 8825;
    let noon: i64 = (i64::from(day) * 86_400 + 43_200) * 1_000_000;
    let numeric = vec![0u8, 2, 0, 0, 0, 0, 0, 2, 0, 12, 0x0d, 0x48]; // 12.34
    let stmt = c
        .prepare_typed(
            "INSERT INTO v (d, ts, n) VALUES ($1, $2, $3)",
            &[Type::DATE, Type::TIMESTAMP, Type::NUMERIC],
        )
        .await
        .expect("prepare");
    c.execute(
        &stmt,
        &[
            &Raw(day.to_be_bytes().to_vec()),
            &Raw(noon.to_be_bytes().to_vec()),
            &Raw(numeric.clone()),
        ],
    )
    .await
    .expect("insert");
    let row = c
        .query_one("SELECT d, ts, n FROM v", &[])
        .await
        .expect("row");
    let types: Vec<Type> = row.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(types, vec![Type::DATE, Type::TIMESTAMP, Type::NUMERIC]);
    assert_eq!(row.get::<_, Raw>(0), Raw(day.to_be_bytes().to_vec()));
    assert_eq!(row.get::<_, Raw>(1), Raw(noon.to_be_bytes().to_vec()));
    assert_eq!(row.get::<_, Raw>(2), Raw(numeric));
    let (text, _) = simple(&c, "SELECT d, ts, n FROM v").await;
    assert_eq!(
        text[0],
        vec![
            Some("2024-02-29".into()),
            Some("2024-02-29 12:00:00".into()),
            Some("12.34".into())
        ]
    );
}

#[tokio::test]
async fn a_ten_megabyte_blob_round_trips() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    c.batch_execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)")
        .await
        .expect("schema");
    let big: Vec<u8> = (0..10 * 1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    within(60, c.execute("INSERT INTO blobs (b) VALUES ($1)", &[&big]))
        .await
        .expect("insert");
    let row = within(60, c.query_one("SELECT b, length(b) FROM blobs", &[]))
        .await
        .expect("select");
    assert_eq!(row.get::<_, i64>(1), big.len() as i64);
    assert!(
        row.get::<_, Vec<u8>>(0) == big,
        "the blob came back changed"
    );
    // And in text (hex) format.
    let (text, _) = within(60, simple(&c, "SELECT b FROM blobs")).await;
    let hex = text[0][0].clone().expect("not null");
    assert_eq!(hex.len(), 2 + 2 * big.len());
}

#[tokio::test]
async fn expressions_take_the_type_of_their_first_row() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    let row = c
        .query_one(
            "SELECT 1 + 1, 2.5 * 2, 'a' || 'b', x'ff', $1::bigint",
            &[&7i64],
        )
        .await
        .expect("select");
    let types: Vec<Type> = row.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(types[4], Type::INT8);
    let (text, _) = simple(&c, "SELECT 1 + 1, 2.5 * 2, 'a' || 'b'").await;
    assert_eq!(
        text[0],
        vec![Some("2".into()), Some("5".into()), Some("ab".into())]
    );
    assert_eq!(
        c.query_one("SELECT count(*) FROM (SELECT 1 UNION SELECT 2)", &[])
            .await
            .expect("count")
            .get::<_, i64>(0),
        2
    );
}

#[tokio::test]
async fn command_tags_count_rows() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    c.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        .await
        .expect("schema");
    let (_, counts) = simple(
        &c,
        "INSERT INTO t (v) VALUES ('a'), ('b'), ('c'); UPDATE t SET v = 'x' WHERE id < 3; \
         SELECT * FROM t; DELETE FROM t WHERE id = 3",
    )
    .await;
    assert_eq!(counts, vec![3, 2, 3, 1]);
    assert_eq!(
        c.execute("UPDATE t SET v = $1", &[&"y"])
            .await
            .expect("update"),
        2
    );
    assert_eq!(
        c.execute("DELETE FROM t WHERE v = $1", &[&"nope"])
            .await
            .expect("delete"),
        0
    );
    let returned = c
        .query("INSERT INTO t (v) VALUES ($1) RETURNING id, v", &[&"r"])
        .await
        .expect("returning");
    assert_eq!(returned.len(), 1);
    assert_eq!(returned[0].get::<_, &str>(1), "r");
}

#[tokio::test]
async fn errors_carry_postgres_sqlstates_and_the_session_goes_on() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    c.batch_execute(
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE); \
         CREATE TABLE k (p INTEGER REFERENCES p(id)); INSERT INTO p VALUES (1, 'a')",
    )
    .await
    .expect("schema");
    let cases = [
        ("INSERT INTO p VALUES (1, 'b')", SqlState::UNIQUE_VIOLATION),
        ("INSERT INTO p VALUES (2, 'a')", SqlState::UNIQUE_VIOLATION),
        (
            "INSERT INTO p (id) VALUES (3)",
            SqlState::NOT_NULL_VIOLATION,
        ),
        ("INSERT INTO k VALUES (99)", SqlState::FOREIGN_KEY_VIOLATION),
        ("SELEC 1", SqlState::SYNTAX_ERROR),
        ("SELECT * FROM missing", SqlState::UNDEFINED_TABLE),
        ("SELECT nope FROM p", SqlState::UNDEFINED_COLUMN),
    ];
    for (sql, state) in cases {
        assert_eq!(code_of(c.simple_query(sql).await), state, "simple: {sql}");
        assert_eq!(code_of(c.execute(sql, &[]).await), state, "extended: {sql}");
    }
    let n: i64 = c
        .query_one("SELECT count(*) FROM p", &[])
        .await
        .expect("still usable")
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test]
async fn transaction_blocks_fail_and_savepoints_recover() {
    let lite = Lite::start("").await;
    let mut c = lite.client().await;
    c.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        .await
        .expect("schema");
    // A failed block refuses everything until ROLLBACK.
    c.batch_execute("BEGIN; INSERT INTO t VALUES (1)")
        .await
        .expect("begin");
    assert_eq!(
        code_of(c.batch_execute("INSERT INTO t VALUES (1)").await),
        SqlState::UNIQUE_VIOLATION
    );
    assert_eq!(
        code_of(c.batch_execute("SELECT 1").await),
        SqlState::IN_FAILED_SQL_TRANSACTION
    );
    let (_, _) = simple(&c, "COMMIT").await; // a failed block's COMMIT rolls back
    let n: i64 = c
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 0);
    // Savepoints: roll back to one after an error, commit the rest.
    c.batch_execute("BEGIN; INSERT INTO t VALUES (1); SAVEPOINT s")
        .await
        .expect("savepoint");
    assert!(c.batch_execute("INSERT INTO t VALUES (1)").await.is_err());
    c.batch_execute("ROLLBACK TO SAVEPOINT s; INSERT INTO t VALUES (2); RELEASE s; COMMIT")
        .await
        .expect("recover");
    let n: i64 = c
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 2);
    // tokio-postgres transactions (extended protocol, nested as savepoints).
    let mut tx = c.transaction().await.expect("tx");
    tx.execute("INSERT INTO t VALUES ($1)", &[&10i64])
        .await
        .expect("insert");
    {
        let inner = tx.savepoint("sp").await.expect("savepoint");
        inner
            .execute("INSERT INTO t VALUES ($1)", &[&11i64])
            .await
            .expect("insert");
        inner.rollback().await.expect("rollback to");
    }
    tx.commit().await.expect("commit");
    let ids: Vec<i64> = c
        .query("SELECT id FROM t ORDER BY id", &[])
        .await
        .expect("ids")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, vec![1, 2, 10]);
    // A multi-statement query is one implicit transaction.
    assert!(
        c.batch_execute("INSERT INTO t VALUES (20); INSERT INTO t VALUES (1)")
            .await
            .is_err()
    );
    let n: i64 = c
        .query_one("SELECT count(*) FROM t WHERE id = 20", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn portals_suspend_and_resume() {
    let lite = Lite::start("").await;
    let mut c = lite.client().await;
    c.batch_execute(
        "CREATE TABLE s (n INTEGER); \
         INSERT INTO s WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r \
         WHERE n < 2500) SELECT n FROM r",
    )
    .await
    .expect("schema");
    let tx = c.transaction().await.expect("tx");
    let stmt = tx
        .prepare("SELECT n FROM s WHERE n > $1 ORDER BY n")
        .await
        .expect("prepare");
    let portal = tx.bind(&stmt, &[&0i64]).await.expect("bind");
    let mut seen = Vec::new();
    loop {
        let rows = tx.query_portal(&portal, 700).await.expect("fetch");
        if rows.is_empty() {
            break;
        }
        assert!(rows.len() <= 700);
        // Another statement between fetches of the portal.
        let one: i64 = tx
            .query_one("SELECT count(*) FROM s", &[])
            .await
            .expect("interleaved")
            .get(0);
        assert_eq!(one, 2500);
        seen.extend(rows.iter().map(|r| r.get::<_, i64>(0)));
    }
    tx.commit().await.expect("commit");
    assert_eq!(seen, (1..=2500).collect::<Vec<i64>>());
}

#[tokio::test]
async fn show_set_version_and_catalog() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    let (rows, _) = simple(&c, "SHOW server_version").await;
    assert!(rows[0][0].as_deref().is_some_and(|v| v.starts_with("15")));
    c.batch_execute("SET application_name = 'tests'; SET TIME ZONE 'UTC'")
        .await
        .expect("set");
    let (rows, _) = simple(&c, "SHOW application_name").await;
    assert_eq!(rows[0][0].as_deref(), Some("tests"));
    let version: String = c
        .query_one("SELECT version()", &[])
        .await
        .expect("version")
        .get(0);
    assert!(version.starts_with("PostgreSQL"), "{version}");
    assert_eq!(
        code_of(c.simple_query("SHOW no_such_setting").await),
        SqlState::UNDEFINED_OBJECT
    );
    c.batch_execute("CREATE TABLE cat (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL)")
        .await
        .expect("table");
    // What psql's \dt asks.
    let (rows, _) = simple(
        &c,
        "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c \
         LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' \
         AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1,2",
    )
    .await;
    assert!(
        rows.contains(&vec![Some("public".into()), Some("cat".into())]),
        "{rows:?}"
    );
    let (rows, _) = simple(
        &c,
        "SELECT column_name, data_type FROM information_schema.columns \
         WHERE table_name = 'cat' ORDER BY ordinal_position",
    )
    .await;
    assert_eq!(rows[0][0].as_deref(), Some("id"));
    assert_eq!(rows[1][0].as_deref(), Some("name"));
}

/// Blocks statements mentioning `forbidden`.
#[derive(Default)]
struct Forbid;

impl StatementInspector for Forbid {
    fn inspect(&self, ctx: &StatementContext<'_>) -> Verdict {
        if ctx.sql.contains("forbidden") {
            Verdict::Block {
                rule: "test-rule".into(),
                message: "statement blocked".into(),
                sqlstate: "42501",
            }
        } else {
            Verdict::Allow
        }
    }
}

#[tokio::test]
async fn blocked_statements_get_the_verdicts_sqlstate_and_the_session_goes_on() {
    let lite = Lite::start_with("", Some(Arc::new(Forbid))).await;
    let c = lite.client().await;
    c.batch_execute("CREATE TABLE forbidden_not (x INTEGER)")
        .await
        .expect_err("blocked by name");
    assert_eq!(
        code_of(c.simple_query("SELECT 'forbidden'").await),
        SqlState::INSUFFICIENT_PRIVILEGE
    );
    assert_eq!(
        code_of(c.query("SELECT 'forbidden', $1::bigint", &[&1i64]).await),
        SqlState::INSUFFICIENT_PRIVILEGE
    );
    // Inside a transaction block the block fails like any error.
    c.batch_execute("BEGIN").await.expect("begin");
    assert!(c.batch_execute("SELECT 'forbidden'").await.is_err());
    c.batch_execute("ROLLBACK").await.expect("rollback");
    let one: i64 = c.query_one("SELECT 1", &[]).await.expect("usable").get(0);
    assert_eq!(one, 1);
}

#[tokio::test]
async fn cancel_interrupts_a_running_statement() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    let token = c.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        token.cancel_query(NoTls).await
    });
    let long = c
        .simple_query(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
             SELECT count(*) FROM r",
        )
        .await;
    assert_eq!(code_of(long), SqlState::QUERY_CANCELED);
    canceller.await.expect("joined").expect("cancel sent");
    let one: i64 = c.query_one("SELECT 1", &[]).await.expect("usable").get(0);
    assert_eq!(one, 1);
}

#[tokio::test]
async fn reload_keeps_an_unchanged_database_and_reopens_a_changed_one() {
    let lite = Lite::start("").await;
    let state = &lite.proxy.state;
    let before = state.sqlite(LITE).expect("open");
    let c = lite.client().await;
    c.batch_execute("CREATE TABLE r (x INTEGER); BEGIN; INSERT INTO r VALUES (1)")
        .await
        .expect("open transaction");
    state.apply(lite.proxy.setup.config()).expect("reload");
    assert!(Arc::ptr_eq(&before, &state.sqlite(LITE).expect("open")));
    c.batch_execute("COMMIT")
        .await
        .expect("the session goes on");
    // A changed setting opens the database anew; the data is the same file's.
    let text = format!("{}busy_timeout_ms = 100\n", lite.proxy.setup.toml_text());
    let changed =
        articdbm_config::load_str(&text, &lite.proxy.setup.env_snapshot()).expect("config");
    state.apply(changed).expect("reload");
    let after = state.sqlite(LITE).expect("open");
    assert!(!Arc::ptr_eq(&before, &after));
    assert_eq!(after.settings().busy_timeout.as_millis(), 100);
    let fresh = lite.client().await;
    let n: i64 = fresh
        .query_one("SELECT count(*) FROM r", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test]
async fn shutdown_tells_sessions_57p01_after_their_transaction() {
    let lite = Lite::start("").await;
    let idle = within(20, lite.proxy.try_connect("alice", common::ALICE_PW, LITE))
        .await
        .expect("connects");
    let busy = within(20, lite.proxy.try_connect("alice", common::ALICE_PW, LITE))
        .await
        .expect("connects");
    busy.client
        .batch_execute("CREATE TABLE s (x INTEGER); BEGIN; INSERT INTO s VALUES (1)")
        .await
        .expect("open transaction");
    lite.proxy.trigger.drain();
    let ended = |task: tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>| async move {
        match within(10, task).await.expect("connection task") {
            Err(e) => e.code().cloned(),
            Ok(()) => None,
        }
    };
    assert_eq!(ended(idle.task).await, Some(SqlState::ADMIN_SHUTDOWN));
    busy.client
        .batch_execute("COMMIT")
        .await
        .expect("commit while draining");
    assert_eq!(ended(busy.task).await, Some(SqlState::ADMIN_SHUTDOWN));
}

#[tokio::test]
async fn show_pools_lists_the_sqlite_database() {
    let lite = Lite::start("max_connections = 3").await;
    let c = lite.client().await;
    c.batch_execute("SELECT 1").await.expect("query");
    let admin = within(
        10,
        lite.proxy
            .try_connect("admin", common::ADMIN_PW, "articdbm_admin"),
    )
    .await
    .expect("admin connects");
    let (rows, _) = simple(&admin.client, "SHOW POOLS").await;
    let row = rows
        .iter()
        .find(|r| r[0].as_deref() == Some(LITE))
        .expect("a row for the SQLite database");
    assert_eq!(row[4].as_deref(), Some("3"), "size is max_connections");
    assert_eq!(row.last().cloned().flatten().as_deref(), Some("sqlite"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_shutdown_interrupts_a_running_statement() {
    let lite = Lite::start("").await;
    let conn = within(20, lite.proxy.try_connect("alice", common::ALICE_PW, LITE))
        .await
        .expect("connects");
    let client = conn.client;
    let long = tokio::spawn(async move {
        client
            .simple_query(
                "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
                 SELECT count(*) FROM r",
            )
            .await
            .map(|_| ())
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    lite.proxy.trigger.drain();
    lite.proxy.trigger.force();
    let result = within(10, long).await.expect("joined");
    // The FATAL 57P01 reaches the waiting query or the connection, whichever reads it.
    let query_code = result
        .expect_err("the statement was cut off")
        .code()
        .cloned();
    let ended = within(10, conn.task).await.expect("connection task");
    let connection_code = ended.err().and_then(|e| e.code().cloned());
    assert!(
        query_code == Some(SqlState::ADMIN_SHUTDOWN)
            || connection_code == Some(SqlState::ADMIN_SHUTDOWN),
        "{query_code:?} / {connection_code:?}"
    );
}
