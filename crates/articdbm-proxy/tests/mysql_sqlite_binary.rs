//! The binary protocol on the embedded SQLite backend with a real client (mysql_async's
//! `exec`: COM_STMT_PREPARE / EXECUTE / CLOSE): every mapped type round-trips as a bound
//! parameter and comes back in binary rows (and the same rows in text rows), NULLs,
//! parameters sent as COM_STMT_SEND_LONG_DATA, and 10 MB BLOBs both ways.

mod common;
mod mysql_sqlite_common;

use common::mysql::server_error;
use mysql_async::prelude::Queryable;
use mysql_async::{Row, Value};
use mysql_sqlite_common::LiteMy;

const TABLE: &str = "CREATE TABLE types (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    i INT, big BIGINT, u BIGINT UNSIGNED, tiny TINYINT, flag BOOLEAN,
    r DOUBLE, f FLOAT, d DECIMAL(20,4),
    s VARCHAR(100), t TEXT, b BLOB, bin VARBINARY(16),
    day DATE, dt DATETIME(6), ts TIMESTAMP, tm TIME, y YEAR, j JSON
)";

const COLUMNS: &str = "i, big, u, tiny, flag, r, f, d, s, t, b, bin, day, dt, ts, tm, y, j";

fn sample() -> Vec<Value> {
    vec![
        Value::Int(-2_147_483_648),
        Value::Int(i64::MIN + 1),
        Value::UInt(9_000_000_000_000_000_000),
        Value::Int(-128),
        Value::Int(1),
        Value::Double(6.02e23),
        Value::Float(1.5),
        Value::Bytes(b"-1234567890.1234".to_vec()),
        Value::Bytes("ünïcødé ☃ 'q' \"d\" \\".as_bytes().to_vec()),
        Value::Bytes("line\nbreak\ttab\0nul".as_bytes().to_vec()),
        Value::Bytes(vec![0, 1, 2, 255, 254, b'\'', b'\\']),
        Value::Bytes(vec![0xde, 0xad, 0xbe, 0xef]),
        Value::Date(2024, 2, 29, 0, 0, 0, 0),
        Value::Date(1999, 12, 31, 23, 59, 58, 123_456),
        Value::Date(2038, 1, 19, 3, 14, 7, 0),
        Value::Time(true, 1, 2, 3, 4, 5),
        Value::Int(2024),
        Value::Bytes(br#"{"a":[1,2]}"#.to_vec()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_round_trips_as_parameter_and_binary_row() {
    let p = LiteMy::start().await;
    let mut c = p.conn().await;
    c.query_drop(TABLE).await.expect("create");
    let placeholders = vec!["?"; 18].join(", ");
    let insert = format!("INSERT INTO types ({COLUMNS}) VALUES ({placeholders})");
    c.exec_drop(&insert, sample()).await.expect("insert");
    assert_eq!(c.last_insert_id(), Some(1));
    c.exec_drop(&insert, vec![Value::NULL; 18])
        .await
        .expect("insert nulls");
    assert_eq!(c.last_insert_id(), Some(2));
    let select = format!("SELECT {COLUMNS} FROM types WHERE id = ?");
    let row: Row = c
        .exec_first(&select, (1,))
        .await
        .expect("select")
        .expect("row 1");
    let got: Vec<Value> = row.clone().unwrap();
    let want = sample();
    // Integers and doubles come back as what they are.
    assert_eq!(got[0], Value::Int(-2_147_483_648));
    assert_eq!(got[1], Value::Int(i64::MIN + 1));
    assert_eq!(row.get::<u64, _>(2), Some(9_000_000_000_000_000_000));
    assert_eq!(got[3], Value::Int(-128));
    assert_eq!(got[4], Value::Int(1));
    assert_eq!(got[5], Value::Double(6.02e23));
    assert_eq!(got[6], Value::Double(1.5));
    // DECIMAL as text with the column's scale. SQLite keeps it as a REAL: exact to 15
    // significant digits.
    assert_eq!(row.get::<String, _>(7).as_deref(), Some("-1234567890.1234"));
    for i in 8..12 {
        assert_eq!(got[i], want[i], "column {i}");
    }
    assert_eq!(got[12], Value::Date(2024, 2, 29, 0, 0, 0, 0));
    assert_eq!(got[13], Value::Date(1999, 12, 31, 23, 59, 58, 123_456));
    assert_eq!(got[14], Value::Date(2038, 1, 19, 3, 14, 7, 0));
    assert_eq!(got[15], Value::Time(true, 1, 2, 3, 4, 5));
    assert_eq!(row.get::<u16, _>(16), Some(2024));
    assert_eq!(got[17], want[17]);
    // Row 2 is all NULL.
    let nulls: Row = c
        .exec_first(&select, (2,))
        .await
        .expect("select")
        .expect("row 2");
    assert!(nulls.unwrap().iter().all(|v| *v == Value::NULL));
    // The same rows over the text protocol.
    let text: Row = c
        .query_first(format!("SELECT {COLUMNS} FROM types WHERE id = 1"))
        .await
        .expect("text select")
        .expect("row");
    assert_eq!(text.get::<i64, _>(1), Some(i64::MIN + 1));
    assert_eq!(
        text.get::<String, _>(13).as_deref(),
        Some("1999-12-31 23:59:58.123456")
    );
    assert_eq!(
        text.get::<String, _>(15).as_deref(),
        Some("-26:03:04.000005")
    );
    assert_eq!(
        text.get::<Vec<u8>, _>(10),
        Some(vec![0, 1, 2, 255, 254, b'\'', b'\\'])
    );
    // Parameters in WHERE, NULL comparisons, expressions typed by their values.
    let n: Option<i64> = c
        .exec_first(
            "SELECT COUNT(*) FROM types WHERE s = ? OR i IS ?",
            ("none", Value::NULL),
        )
        .await
        .expect("count");
    assert_eq!(n, Some(1));
    let expr: Option<(i64, f64, String, Option<i64>)> = c
        .exec_first("SELECT ? + 1, ? * 2, ?, ?", (41, 1.25, "s", Value::NULL))
        .await
        .expect("expressions");
    assert_eq!(expr, Some((42, 2.5, "s".into(), None)));
    // Errors of prepared statements.
    let (code, _, _) = server_error(c.exec_drop("SELECT * FROM missing WHERE a = ?", (1,)).await);
    assert_eq!(code, 1146);
    let (code, _, _) = server_error(c.exec_drop("INSERT INTO types (id) VALUES (?)", (1,)).await);
    assert_eq!(code, 1062);
    c.disconnect().await.expect("disconnect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_megabyte_blobs_both_protocols() {
    let p = LiteMy::start().await;
    let mut c = p
        .proxy
        .connect_opts(
            p.proxy
                .opts(
                    "nat",
                    common::mysql::NAT_PW,
                    Some(mysql_sqlite_common::LITE),
                )
                .max_allowed_packet(Some(64 << 20)),
        )
        .await
        .expect("connect");
    c.query_drop("CREATE TABLE blobs (id INTEGER PRIMARY KEY AUTO_INCREMENT, b LONGBLOB)")
        .await
        .expect("create");
    let blob: Vec<u8> = (0..10 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    // Binary protocol (mysql_async sends it as one parameter).
    c.exec_drop("INSERT INTO blobs (b) VALUES (?)", (blob.clone(),))
        .await
        .expect("binary insert");
    // Text protocol: a 20 MiB hex literal, more than one 16 MiB packet.
    let hex: String = blob.iter().map(|b| format!("{b:02x}")).collect();
    c.query_drop(format!("INSERT INTO blobs (b) VALUES (X'{hex}')"))
        .await
        .expect("text insert");
    drop(hex);
    let binary: Option<Vec<u8>> = c
        .exec_first("SELECT b FROM blobs WHERE id = ?", (2,))
        .await
        .expect("binary select");
    assert!(binary.as_deref() == Some(&blob[..]), "binary read differs");
    let text: Option<Vec<u8>> = c
        .query_first("SELECT b FROM blobs WHERE id = 1")
        .await
        .expect("text select");
    assert!(text.as_deref() == Some(&blob[..]), "text read differs");
    let len: Option<i64> = c
        .query_first("SELECT SUM(LENGTH(b)) FROM blobs")
        .await
        .expect("length");
    assert_eq!(len, Some(20 * 1024 * 1024));
    c.disconnect().await.expect("disconnect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_data_reset_and_close() {
    let p = LiteMy::start().await;
    let mut c = p.conn().await;
    c.query_drop("CREATE TABLE ld (a TEXT, b BLOB)")
        .await
        .expect("create");
    // mysql_async sends parameters as long data when the execution would not fit one
    // packet; a 17 MiB parameter makes it do so.
    let big = vec![b'x'; 17 << 20];
    let mut big_conn = p
        .proxy
        .connect_opts(
            p.proxy
                .opts(
                    "nat",
                    common::mysql::NAT_PW,
                    Some(mysql_sqlite_common::LITE),
                )
                .max_allowed_packet(Some(64 << 20)),
        )
        .await
        .expect("connect");
    big_conn
        .exec_drop(
            "INSERT INTO ld (a, b) VALUES (?, ?)",
            ("small", big.clone()),
        )
        .await
        .expect("long data insert");
    let back: Option<(String, i64)> = c
        .query_first("SELECT a, LENGTH(b) FROM ld")
        .await
        .expect("select");
    assert_eq!(back, Some(("small".into(), 17 << 20)));
    // Statements are closed by mysql_async's cache eviction and on disconnect; a reused
    // one keeps working after other statements ran.
    let stmt = c
        .prep("SELECT COUNT(*) FROM ld WHERE a = ?")
        .await
        .expect("prepare");
    for _ in 0..3 {
        let n: Option<i64> = c.exec_first(&stmt, ("small",)).await.expect("exec");
        assert_eq!(n, Some(1));
        c.query_drop("SELECT 1").await.expect("other");
    }
    c.close(stmt).await.expect("close");
    big_conn.disconnect().await.expect("disconnect");
    c.disconnect().await.expect("disconnect");
}
