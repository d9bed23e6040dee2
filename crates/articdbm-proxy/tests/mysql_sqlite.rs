//! MySQL clients on the embedded SQLite backend, text protocol, through a real proxy with
//! a real client (mysql_async): login routing and permissions, MySQL DDL (AUTO_INCREMENT,
//! keys, table options) and DML dialect, OK packets (affected rows, insert ids), the
//! statements drivers send (`SELECT @@...`, `SET NAMES`, `SET autocommit`), `SHOW` /
//! `DESCRIBE`, error codes, transactions (explicit and `autocommit = 0`), multi-statements,
//! `USE` / COM_INIT_DB, COM_RESET_CONNECTION and COM_CHANGE_USER.

mod common;
mod mysql_sqlite_common;

use common::mysql::{NAT_PW, SHA_PW, server_error};
use mysql_async::prelude::Queryable;
use mysql_async::{ChangeUserOpts, Row, Value};
use mysql_sqlite_common::{LITE, LITE2, LiteMy};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_statements_and_variables() {
    let p = LiteMy::start().await;
    let mut c = p.conn().await;
    let (version, comment): (String, String) = c
        .query_first("SELECT @@version, @@version_comment LIMIT 1")
        .await
        .expect("select @@version")
        .expect("a row");
    assert!(version.contains("ArticDBM"), "{version}");
    assert!(comment.contains("SQLite"), "{comment}");
    let row: Row = c
        .query_first(
            "SELECT @@session.auto_increment_increment AS auto_increment_increment, \
             @@character_set_client, @@max_allowed_packet, @@sql_mode, \
             @@transaction_isolation, @@tx_isolation, @@autocommit, @@time_zone, \
             @@lower_case_table_names, @@collation_connection, DATABASE(), USER(), \
             CURRENT_USER(), CONNECTION_ID()",
        )
        .await
        .expect("variables")
        .expect("a row");
    let columns: Vec<String> = row
        .columns_ref()
        .iter()
        .map(|c| c.name_str().into_owned())
        .collect();
    assert_eq!(columns[0], "auto_increment_increment");
    assert_eq!(columns[2], "@@max_allowed_packet");
    assert_eq!(columns[10], "DATABASE()");
    assert_eq!(row.get::<i64, _>(0), Some(1));
    assert_eq!(row.get::<i64, _>(2), Some(64 << 20));
    assert_eq!(row.get::<i64, _>(6), Some(1));
    assert_eq!(row.get::<String, _>(10).as_deref(), Some(LITE));
    assert!(
        row.get::<String, _>(11)
            .is_some_and(|u| u.starts_with("nat@"))
    );
    assert_eq!(row.get::<u32, _>(13), Some(c.id()));
    for sql in [
        "SET NAMES utf8mb4",
        "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'",
        "SET CHARACTER SET utf8mb4",
        "SET SESSION sql_mode = 'TRADITIONAL', @@session.time_zone = '+00:00'",
        "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "SET @a = 40 + 2, @b := 'x'",
        "SET character_set_results = NULL",
    ] {
        c.query_drop(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let row: Option<(String, String, String, i64, String)> = c
        .query_first("SELECT @@collation_connection, @@sql_mode, @@transaction_isolation, @a, @b")
        .await
        .expect("after SET");
    assert_eq!(
        row,
        Some((
            "utf8mb4_unicode_ci".into(),
            "TRADITIONAL".into(),
            "READ-COMMITTED".into(),
            42,
            "x".into()
        ))
    );
    let (code, _, _) = server_error(c.query_drop("SELECT @@no_such_variable").await);
    assert_eq!(code, 1193);
    let (code, _, _) = server_error(c.query_drop("SET GLOBAL max_connections = 5").await);
    assert_eq!(code, 1227);
    let (code, _, _) = server_error(c.query_drop("SET autocommit = 7").await);
    assert_eq!(code, 1231);
    let vars: Vec<(String, String)> = c
        .query("SHOW VARIABLES LIKE 'character\\_set\\_c%'")
        .await
        .expect("show variables");
    assert_eq!(
        vars.iter().map(|v| v.0.as_str()).collect::<Vec<_>>(),
        ["character_set_client", "character_set_connection"]
    );
    let warnings: Vec<Row> = c.query("SHOW WARNINGS").await.expect("show warnings");
    assert!(warnings.is_empty());
    c.disconnect().await.expect("disconnect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_ddl_and_dml() {
    let p = LiteMy::start().await;
    let mut c = p.conn().await;
    c.query_drop(
        "CREATE TABLE `items` (\n\
           `id` int(11) unsigned NOT NULL AUTO_INCREMENT,\n\
           `sku` varchar(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'code',\n\
           `qty` int NOT NULL DEFAULT '0',\n\
           `kind` enum('a','b') DEFAULT 'a',\n\
           `updated` timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,\n\
           PRIMARY KEY (`id`),\n\
           UNIQUE KEY `uk_sku` (`sku`),\n\
           KEY `idx_kind` (`kind`,`qty`) USING BTREE\n\
         ) ENGINE=InnoDB AUTO_INCREMENT=10 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci",
    )
    .await
    .expect("create table");
    c.query_drop("INSERT INTO items (sku, qty) VALUES ('a-1', 3), ('a-2', 4)")
        .await
        .expect("insert");
    assert_eq!(c.affected_rows(), 2);
    assert_eq!(c.last_insert_id(), Some(1));
    c.query_drop("INSERT INTO items SET sku = 'a-3', qty = 5")
        .await
        .expect("insert set");
    assert_eq!(c.last_insert_id(), Some(3));
    let id: Option<u64> = c.query_first("SELECT LAST_INSERT_ID()").await.expect("lid");
    assert_eq!(id, Some(3));
    c.query_drop(
        "INSERT INTO items (sku, qty) VALUES ('a-1', 10) ON DUPLICATE KEY UPDATE qty = qty + VALUES(qty)",
    )
    .await
    .expect("upsert");
    c.query_drop("INSERT IGNORE INTO items (sku, qty) VALUES ('a-2', 99)")
        .await
        .expect("insert ignore");
    c.query_drop("UPDATE items SET qty = qty + 1 WHERE qty > 3 ORDER BY id LIMIT 1")
        .await
        .expect("update limit");
    assert_eq!(c.affected_rows(), 1);
    let rows: Vec<(u64, String, i64)> = c
        .query("SELECT id, sku, qty FROM `items` ORDER BY id LIMIT 0, 10")
        .await
        .expect("select");
    assert_eq!(
        rows,
        [
            (1, "a-1".into(), 14),
            (2, "a-2".into(), 4),
            (3, "a-3".into(), 5)
        ]
    );
    let (code, state, _) = server_error(
        c.query_drop("INSERT INTO items (sku, qty) VALUES ('a-1', 1)")
            .await,
    );
    assert_eq!((code, state.as_str()), (1062, "23000"));
    let (code, _, _) = server_error(
        c.query_drop("INSERT INTO items (sku, kind) VALUES ('z', 'c')")
            .await,
    );
    assert_eq!(code, 3819, "enum values are checked");
    let tables: Vec<String> = c.query("SHOW TABLES").await.expect("show tables");
    assert_eq!(tables, ["items"]);
    let desc: Vec<(String, String, String, String, Option<String>, String)> =
        c.query("DESCRIBE items").await.expect("describe");
    assert_eq!(desc[0].0, "id");
    assert_eq!(desc[0].3, "PRI");
    assert_eq!(desc[0].5, "auto_increment");
    assert_eq!(desc[1].3, "UNI");
    assert_eq!(desc[2].4.as_deref(), Some("0"));
    assert_eq!(desc[3].3, "MUL");
    let full: Vec<Row> = c
        .query("SHOW FULL COLUMNS FROM items LIKE 'sku'")
        .await
        .expect("show full columns");
    assert_eq!(full.len(), 1);
    assert_eq!(full[0].columns_ref().len(), 9);
    let index: Vec<Row> = c.query("SHOW INDEX FROM items").await.expect("show index");
    let names: Vec<String> = index
        .iter()
        .map(|r| r.get::<String, _>(2).unwrap_or_default())
        .collect();
    assert!(names.contains(&"PRIMARY".to_string()), "{names:?}");
    assert!(names.contains(&"uk_sku".to_string()), "{names:?}");
    assert!(names.contains(&"idx_kind".to_string()), "{names:?}");
    let create: Option<(String, String)> = c
        .query_first("SHOW CREATE TABLE items")
        .await
        .expect("show create");
    assert!(create.is_some_and(|(_, sql)| sql.contains("AUTOINCREMENT")));
    c.query_drop("ALTER TABLE items ADD COLUMN note TEXT AFTER qty, ADD INDEX idx_note (note(10))")
        .await
        .expect("alter add");
    c.query_drop("DROP INDEX idx_note ON items")
        .await
        .expect("drop index");
    c.query_drop("ALTER TABLE items DROP INDEX idx_kind")
        .await
        .expect("drop key");
    c.query_drop("TRUNCATE TABLE items")
        .await
        .expect("truncate");
    c.query_drop("INSERT INTO items (sku) VALUES ('after')")
        .await
        .expect("insert");
    assert_eq!(
        c.last_insert_id(),
        Some(1),
        "TRUNCATE restarts AUTO_INCREMENT"
    );
    c.query_drop("RENAME TABLE items TO goods")
        .await
        .expect("rename");
    c.query_drop("DROP TABLE IF EXISTS goods, missing")
        .await
        .expect("drop tables");
    let (code, state, _) = server_error(c.query_drop("SELECT * FROM goods").await);
    assert_eq!((code, state.as_str()), (1146, "42S02"));
    let (code, _, _) = server_error(c.query_drop("SELEC 1").await);
    assert_eq!(code, 1064);
    let (code, _, _) = server_error(c.query_drop("DESCRIBE goods").await);
    assert_eq!(code, 1146);
    let (code, _, _) = server_error(c.query_drop("ALTER TABLE x MODIFY a INT").await);
    assert_eq!(code, 1235);
    c.disconnect().await.expect("disconnect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_and_autocommit_off() {
    let p = LiteMy::start().await;
    let mut a = p.conn().await;
    let mut b = p.conn().await;
    a.query_drop("CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, v TEXT)")
        .await
        .expect("create");
    // Explicit transaction.
    a.query_drop("START TRANSACTION").await.expect("begin");
    a.query_drop("INSERT INTO t (v) VALUES ('x')")
        .await
        .expect("insert");
    let seen: Option<i64> = b
        .query_first("SELECT COUNT(*) FROM t")
        .await
        .expect("count");
    assert_eq!(seen, Some(0), "uncommitted rows are not visible");
    a.query_drop("ROLLBACK").await.expect("rollback");
    // autocommit = 0: an implicit transaction until COMMIT.
    a.query_drop("SET autocommit = 0")
        .await
        .expect("autocommit off");
    a.query_drop("INSERT INTO t (v) VALUES ('y')")
        .await
        .expect("insert");
    let seen: Option<i64> = b
        .query_first("SELECT COUNT(*) FROM t")
        .await
        .expect("count");
    assert_eq!(seen, Some(0));
    a.query_drop("COMMIT").await.expect("commit");
    let seen: Option<i64> = b
        .query_first("SELECT COUNT(*) FROM t")
        .await
        .expect("count");
    assert_eq!(seen, Some(1));
    a.query_drop("INSERT INTO t (v) VALUES ('z')")
        .await
        .expect("insert");
    a.query_drop("ROLLBACK").await.expect("rollback");
    // DDL commits what is open (as MySQL does).
    a.query_drop("INSERT INTO t (v) VALUES ('kept')")
        .await
        .expect("insert");
    a.query_drop("CREATE TABLE u (x INT)").await.expect("ddl");
    a.query_drop("ROLLBACK").await.expect("rollback");
    let kept: Vec<String> = b.query("SELECT v FROM t ORDER BY id").await.expect("rows");
    assert_eq!(kept, ["y", "kept"]);
    // Turning autocommit on commits.
    a.query_drop("INSERT INTO t (v) VALUES ('on')")
        .await
        .expect("insert");
    a.query_drop("SET autocommit = 1")
        .await
        .expect("autocommit on");
    let n: Option<i64> = b
        .query_first("SELECT COUNT(*) FROM t WHERE v = 'on'")
        .await
        .expect("count");
    assert_eq!(n, Some(1));
    // Savepoints.
    a.query_drop("BEGIN").await.expect("begin");
    a.query_drop("INSERT INTO t (v) VALUES ('s1')")
        .await
        .expect("insert");
    a.query_drop("SAVEPOINT sp").await.expect("savepoint");
    a.query_drop("INSERT INTO t (v) VALUES ('s2')")
        .await
        .expect("insert");
    a.query_drop("ROLLBACK TO SAVEPOINT sp")
        .await
        .expect("rollback to");
    a.query_drop("COMMIT").await.expect("commit");
    let s: Vec<String> = b
        .query("SELECT v FROM t WHERE v LIKE 's%' ORDER BY v")
        .await
        .expect("rows");
    assert_eq!(s, ["s1"]);
    let (code, _, _) = server_error(a.query_drop("RELEASE SAVEPOINT nope").await);
    assert_eq!(code, 1305);
    // autocommit = 0: queries before the first write hold no snapshot (and no pooled
    // connection); a write opens the transaction.
    a.query_drop("SET autocommit = 0")
        .await
        .expect("autocommit off");
    let before: Option<i64> = a
        .query_first("SELECT COUNT(*) FROM t")
        .await
        .expect("count");
    b.query_drop("INSERT INTO t (v) VALUES ('fresh')")
        .await
        .expect("insert");
    let after: Option<i64> = a
        .query_first("SELECT COUNT(*) FROM t")
        .await
        .expect("count");
    assert_eq!(after, before.map(|n| n + 1));
    a.query_drop("DELETE FROM t WHERE v = 'fresh'")
        .await
        .expect("delete");
    let seen: Option<i64> = b
        .query_first("SELECT COUNT(*) FROM t WHERE v = 'fresh'")
        .await
        .expect("count");
    assert_eq!(seen, Some(1), "the delete is not committed yet");
    a.query_drop("COMMIT").await.expect("commit");
    a.disconnect().await.expect("disconnect");
    b.disconnect().await.expect("disconnect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_statements_and_errors_midway() {
    let p = LiteMy::start().await;
    let mut c = p.conn().await;
    let mut result = c
        .query_iter("CREATE TABLE m (a INT); INSERT INTO m VALUES (1), (2); SELECT a FROM m ORDER BY a; SELECT 'x' AS s")
        .await
        .expect("multi");
    let mut sets: Vec<Vec<Row>> = Vec::new();
    while !result.is_empty() {
        sets.push(result.collect().await.expect("set"));
    }
    drop(result);
    assert_eq!(sets.len(), 4);
    assert_eq!(sets[2].len(), 2);
    assert_eq!(sets[3][0].get::<String, _>("s").as_deref(), Some("x"));
    // An error stops the rest; the connection stays usable.
    let r = c
        .query_drop("INSERT INTO m VALUES (3); SELECT * FROM nope; INSERT INTO m VALUES (4)")
        .await;
    assert_eq!(server_error(r).0, 1146);
    let all: Vec<i64> = c.query("SELECT a FROM m ORDER BY a").await.expect("rows");
    assert_eq!(all, [1, 2, 3]);
    c.disconnect().await.expect("disconnect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn databases_permissions_and_session_commands() {
    let p = LiteMy::start().await;
    // Login routing and permissions.
    let mut only2 = p.conn_as("only2", NAT_PW, Some(LITE2)).await;
    let dbs: Vec<String> = only2.query("SHOW DATABASES").await.expect("show databases");
    assert_eq!(dbs, [LITE2]);
    let (code, _, _) = server_error(only2.query_drop(format!("USE {LITE}")).await);
    assert_eq!(code, 1044);
    only2.disconnect().await.expect("disconnect");
    let denied = p.proxy.connect("only2", NAT_PW, Some(LITE)).await;
    assert_eq!(server_error(denied).0, 1044);
    let wrong = p.proxy.connect("nat", "wrong", Some(LITE)).await;
    assert_eq!(server_error(wrong).0, 1045);
    let unknown = p.proxy.connect("nat", NAT_PW, Some("nope")).await;
    assert_eq!(server_error(unknown).0, 1049);
    // caching_sha2 user; USE moves between SQLite databases.
    let mut c = p.conn_as("sha", SHA_PW, Some(LITE)).await;
    c.query_drop("CREATE TABLE one (x INT)")
        .await
        .expect("create");
    c.query_drop(format!("USE {LITE2}")).await.expect("use");
    let db: Option<String> = c.query_first("SELECT DATABASE()").await.expect("db");
    assert_eq!(db.as_deref(), Some(LITE2));
    let tables: Vec<String> = c.query("SHOW TABLES").await.expect("tables");
    assert!(tables.is_empty(), "{tables:?}");
    c.query_drop("CREATE TABLE two (y INT)")
        .await
        .expect("create");
    let dbs: Vec<String> = c.query("SHOW DATABASES").await.expect("dbs");
    assert_eq!(dbs, [LITE, LITE2]);
    // COM_RESET_CONNECTION forgets session state.
    c.query_drop("SET @v = 5, autocommit = 0")
        .await
        .expect("set");
    c.reset().await.expect("reset");
    let after: Option<(Option<i64>, i64)> = c
        .query_first("SELECT @v, @@autocommit")
        .await
        .expect("after reset");
    assert_eq!(after, Some((None, 1)));
    // COM_CHANGE_USER to another user and database.
    c.change_user(
        ChangeUserOpts::default()
            .with_user(Some("only2".into()))
            .with_pass(Some(NAT_PW.into()))
            .with_db_name(Some(LITE2.into())),
    )
    .await
    .expect("change user");
    let who: Option<(String, String)> = c
        .query_first("SELECT CURRENT_USER(), DATABASE()")
        .await
        .expect("whoami");
    assert_eq!(who, Some(("only2@%".into(), LITE2.into())));
    c.disconnect().await.expect("disconnect");
    // Without a database none of two is chosen: the login is accepted (as MySQL does) and
    // a statement that needs a database gets 1046.
    let mut none = p
        .proxy
        .connect("nat", NAT_PW, None)
        .await
        .expect("no database");
    assert_eq!(
        server_error(none.query_drop("SELECT * FROM one").await).0,
        1046
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nulls_and_storage_classes_in_text_rows() {
    let p = LiteMy::start().await;
    let mut c = p.conn().await;
    c.query_drop("CREATE TABLE v (i INT, r DOUBLE, t TEXT, b BLOB, d DECIMAL(8,3), dt DATETIME, day DATE, flag BOOL)")
        .await
        .expect("create");
    c.query_drop(
        "INSERT INTO v VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), \
         (-7, 2.5, 'x', X'00FF', 1.5, '2024-02-29 12:34:56', '2024-02-29', TRUE)",
    )
    .await
    .expect("insert");
    let rows: Vec<Row> = c.query("SELECT * FROM v").await.expect("select");
    assert!(rows[0].clone().unwrap().iter().all(|v| *v == Value::NULL));
    let r = &rows[1];
    assert_eq!(r.get::<i64, _>(0), Some(-7));
    assert_eq!(r.get::<f64, _>(1), Some(2.5));
    assert_eq!(r.get::<Vec<u8>, _>(3), Some(vec![0, 255]));
    assert_eq!(r.get::<String, _>(4).as_deref(), Some("1.500"));
    assert_eq!(
        r.get::<String, _>(5).as_deref(),
        Some("2024-02-29 12:34:56")
    );
    assert_eq!(r.get::<String, _>(6).as_deref(), Some("2024-02-29"));
    assert_eq!(r.get::<i64, _>(7), Some(1));
    let exprs: Option<(Option<i64>, f64, String, Vec<u8>)> = c
        .query_first("SELECT NULL, 1.25, 'it''s \\'q\\'', _binary 0x0102")
        .await
        .expect("expressions");
    assert_eq!(exprs, Some((None, 1.25, "it's 'q'".into(), vec![1, 2])));
    c.disconnect().await.expect("disconnect");
}
