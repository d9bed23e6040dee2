//! The embedded SQLite backend answers PostgreSQL clients as PostgreSQL would where a client
//! notices (tokio-postgres against an in-process proxy): division by zero and bad casts raise
//! 22012 / 22P02 / 22003 / 22007 / 22008 instead of giving NULL or 0; `int`, `bigint` and
//! `smallint` columns are described as int4, int8 and int2; a `timestamptz` is shown in UTC with
//! its offset; `pg_sleep` sleeps and a cancel request ends it; `generate_series` works in a
//! select list.

mod common;
mod sqlite_common;

use std::time::{Duration, Instant};

use common::code_of;
use sqlite_common::Lite;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;
use tokio_postgres::{NoTls, SimpleQueryMessage};

/// The text rows of a simple query.
async fn rows(c: &tokio_postgres::Client, sql: &str) -> Vec<Vec<Option<String>>> {
    c.simple_query(sql)
        .await
        .expect(sql)
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
            }
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn division_by_zero_raises_22012_and_the_session_goes_on() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    c.batch_execute("CREATE TABLE d (a INT, b INT); INSERT INTO d VALUES (7, 0), (NULL, 0)")
        .await
        .expect("schema");
    for sql in [
        "SELECT 1/0",
        "SELECT 1.5/0",
        "SELECT 5 % 0",
        "SELECT a / b FROM d WHERE a IS NOT NULL",
        "UPDATE d SET a = a / b",
    ] {
        assert_eq!(
            code_of(c.simple_query(sql).await),
            SqlState::DIVISION_BY_ZERO,
            "simple: {sql}"
        );
        assert_eq!(
            code_of(c.query(sql, &[]).await),
            SqlState::DIVISION_BY_ZERO,
            "extended: {sql}"
        );
    }
    assert_eq!(
        code_of(c.query("SELECT $1::int / $2::int", &[&1i32, &0i32]).await),
        SqlState::DIVISION_BY_ZERO
    );
    // Division still divides, and a NULL dividend gives NULL as PostgreSQL's strict operator.
    assert_eq!(
        rows(
            &c,
            "SELECT 7 / 2, 7 % 3, 1.0 / 4, a / b FROM d WHERE a IS NULL"
        )
        .await,
        vec![vec![
            Some("3".into()),
            Some("1".into()),
            Some("0.25".into()),
            None
        ]]
    );
    // The failed statement rolled back nothing else, and the session is usable.
    let n: i64 = c
        .query_one("SELECT count(*) FROM d WHERE a = 7", &[])
        .await
        .expect("usable")
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test]
async fn bad_casts_raise_postgres_errors() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    let cases = [
        ("SELECT 'abc'::int", SqlState::INVALID_TEXT_REPRESENTATION),
        (
            "SELECT CAST('abc' AS integer)",
            SqlState::INVALID_TEXT_REPRESENTATION,
        ),
        ("SELECT '12.5'::int", SqlState::INVALID_TEXT_REPRESENTATION),
        ("SELECT 'x'::bigint", SqlState::INVALID_TEXT_REPRESENTATION),
        (
            "SELECT 'x'::smallint",
            SqlState::INVALID_TEXT_REPRESENTATION,
        ),
        ("SELECT 'x'::float8", SqlState::INVALID_TEXT_REPRESENTATION),
        ("SELECT 'x'::real", SqlState::INVALID_TEXT_REPRESENTATION),
        ("SELECT 'x'::numeric", SqlState::INVALID_TEXT_REPRESENTATION),
        (
            "SELECT 'maybe'::boolean",
            SqlState::INVALID_TEXT_REPRESENTATION,
        ),
        (
            "SELECT '3000000000'::int",
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        ),
        (
            "SELECT 3000000000::int",
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        ),
        (
            "SELECT 40000::smallint",
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        ),
        (
            "SELECT '99999999999999999999'::bigint",
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        ),
        ("SELECT 'abc'::date", SqlState::INVALID_DATETIME_FORMAT),
        (
            "SELECT '2024-02-30'::date",
            SqlState::DATETIME_FIELD_OVERFLOW,
        ),
    ];
    for (sql, state) in cases {
        assert_eq!(code_of(c.simple_query(sql).await), state, "simple: {sql}");
        assert_eq!(code_of(c.query(sql, &[]).await), state, "extended: {sql}");
    }
    assert_eq!(
        code_of(c.query("SELECT $1::text::int", &[&"nope"]).await),
        SqlState::INVALID_TEXT_REPRESENTATION
    );
    // Good input converts as on PostgreSQL (numerics round half away from zero).
    assert_eq!(
        rows(
            &c,
            "SELECT ' 12 '::int, 2.5::int, '-7'::bigint, '1.5e3'::float8, 'on'::boolean, \
             '2024-02-29'::date, NULL::int"
        )
        .await,
        vec![vec![
            Some("12".into()),
            Some("3".into()),
            Some("-7".into()),
            Some("1500".into()),
            Some("t".into()),
            Some("2024-02-29".into()),
            None
        ]]
    );
    let row = c
        .query_one("SELECT '42'::int, '42'::bigint, '42'::smallint", &[])
        .await
        .expect("casts");
    assert_eq!(
        (
            row.get::<_, i32>(0),
            row.get::<_, i64>(1),
            row.get::<_, i16>(2)
        ),
        (42, 42, 42)
    );
}

#[tokio::test]
async fn integer_columns_are_described_with_their_postgres_width() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    c.batch_execute(
        "CREATE TABLE n (id SERIAL PRIMARY KEY, a int, b integer, c bigint, d smallint, \
         e int4, f int8, g int2); INSERT INTO n (a, b, c, d, e, f, g) VALUES (1, 2, 3, 4, 5, 6, 7)",
    )
    .await
    .expect("schema");
    let row = c
        .query_one("SELECT id, a, b, c, d, e, f, g FROM n", &[])
        .await
        .expect("select");
    let types: Vec<Type> = row.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(
        types,
        // `serial` keys and `integer` columns are SQLite's 64-bit INTEGER (a rowid, and what
        // every SQLite tool writes), so int8; `int`/`int4` are int4 (docs/SQLITE.md).
        vec![
            Type::INT8,
            Type::INT4,
            Type::INT8,
            Type::INT8,
            Type::INT2,
            Type::INT4,
            Type::INT8,
            Type::INT2
        ]
    );
    assert_eq!(row.get::<_, i32>(1), 1);
    assert_eq!(row.get::<_, i64>(3), 3);
    assert_eq!(row.get::<_, i16>(4), 4);
    // The catalog agrees (psql's \d, SQLAlchemy's inspector).
    let formats: Vec<String> = c
        .query(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
             WHERE attrelid = 'n'::regclass AND attnum > 0 ORDER BY attnum",
            &[],
        )
        .await
        .expect("catalog")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        formats,
        [
            "bigint", "integer", "bigint", "bigint", "smallint", "integer", "bigint", "smallint"
        ]
    );
    // An int column holding a value beyond int4 (written by a MySQL or SQLite client) is
    // 22003 in binary, as PostgreSQL would refuse to store it.
    c.batch_execute("UPDATE n SET a = 3000000000")
        .await
        .expect("update");
    assert_eq!(
        code_of(c.query("SELECT a FROM n", &[]).await),
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE
    );
}

#[tokio::test]
async fn timestamptz_is_shown_in_utc_with_its_offset() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    c.batch_execute(
        "CREATE TABLE e (id SERIAL PRIMARY KEY, at TIMESTAMPTZ, plain TIMESTAMP, \
         made TIMESTAMPTZ DEFAULT now()); \
         INSERT INTO e (at, plain) VALUES ('2024-01-02 03:04:05', '2024-01-02 03:04:05'), \
         ('2024-01-02 03:04:05.5+02', '2024-01-02 03:04:05.5')",
    )
    .await
    .expect("schema");
    assert_eq!(
        rows(&c, "SELECT at, plain FROM e ORDER BY id").await,
        vec![
            vec![
                Some("2024-01-02 03:04:05+00".into()),
                Some("2024-01-02 03:04:05".into())
            ],
            vec![
                Some("2024-01-02 01:04:05.5+00".into()),
                Some("2024-01-02 03:04:05.5".into())
            ],
        ]
    );
    let made = rows(&c, "SELECT made FROM e WHERE id = 1").await;
    let made = made[0][0].clone().expect("a default");
    assert!(made.ends_with("+00"), "{made}");
    // now() and current_timestamp are timestamptz, with microseconds and the offset.
    let row = c
        .query_one("SELECT now(), current_timestamp, localtimestamp", &[])
        .await
        .expect("now");
    let types: Vec<Type> = row.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(
        types,
        vec![Type::TIMESTAMPTZ, Type::TIMESTAMPTZ, Type::TIMESTAMP]
    );
    let text = rows(&c, "SELECT now(), current_timestamp").await;
    for v in &text[0] {
        let v = v.clone().expect("not null");
        assert!(v.ends_with("+00") && v.contains('.'), "{v}");
    }
    assert_eq!(
        row.columns()[1].name(),
        "current_timestamp",
        "PostgreSQL's column name"
    );
}

#[tokio::test]
async fn pg_sleep_sleeps_and_a_cancel_request_ends_it() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    let started = Instant::now();
    let row = c
        .query_one("SELECT pg_sleep(0.3)", &[])
        .await
        .expect("pg_sleep");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(row.columns()[0].type_(), &Type::VOID);
    assert_eq!(
        rows(&c, "SELECT pg_sleep(0)").await,
        vec![vec![Some(String::new())]]
    );
    let token = c.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        token.cancel_query(NoTls).await
    });
    let started = Instant::now();
    let long = c.simple_query("SELECT pg_sleep(60)").await;
    assert_eq!(code_of(long), SqlState::QUERY_CANCELED);
    assert!(started.elapsed() < Duration::from_secs(10));
    canceller.await.expect("joined").expect("cancel sent");
    // A cancel that came while nothing ran does not end the next sleep.
    let quick = Instant::now();
    c.simple_query("SELECT pg_sleep(0.2)")
        .await
        .expect("the next sleep runs in full");
    assert!(quick.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn generate_series_in_the_select_list() {
    let lite = Lite::start("").await;
    let c = lite.client().await;
    let got = c
        .query("SELECT generate_series(1, 3)", &[])
        .await
        .expect("series");
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].columns()[0].name(), "generate_series");
    assert_eq!(got[0].columns()[0].type_(), &Type::INT4);
    let values: Vec<i32> = got.iter().map(|r| r.get(0)).collect();
    assert_eq!(values, [1, 2, 3]);
    assert_eq!(
        rows(&c, "SELECT generate_series(2, 10, 4) AS n, 'x'").await,
        vec![
            vec![Some("2".into()), Some("x".into())],
            vec![Some("6".into()), Some("x".into())],
            vec![Some("10".into()), Some("x".into())],
        ]
    );
    c.batch_execute("CREATE TABLE g (k TEXT); INSERT INTO g VALUES ('a'), ('b')")
        .await
        .expect("schema");
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM (SELECT k, generate_series(1, 2) FROM g) AS s",
            &[],
        )
        .await
        .expect("per row")
        .get(0);
    assert_eq!(n, 4);
}
