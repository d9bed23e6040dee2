//! Translations checked twice: the SQLite text they produce, and that a real (in-memory)
//! SQLite accepts and runs it with the meaning MySQL gives the original.

use super::command::{Command, Local, Plan};
use super::set::{SetValue, Target};
use super::show::Show;
use super::sql::{DynValue, Dynamic, Slot};
use super::*;

fn one(sql: &str) -> Command {
    let t = translate(sql.as_bytes(), Mode::Query).expect("lexes");
    assert_eq!(t.len(), 1, "{sql}");
    match &t[0].command {
        Ok(c) => c.clone(),
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn err(sql: &str) -> DialectError {
    let t = translate(sql.as_bytes(), Mode::Query).expect("lexes");
    match &t[0].command {
        Ok(c) => panic!("{sql} translated: {c:?}"),
        Err(e) => e.clone(),
    }
}

fn resolve(d: &Dynamic) -> Result<DynValue, ()> {
    Ok(match d {
        Dynamic::SysVar(n) if n == "max_allowed_packet" => DynValue::Int(67_108_864),
        Dynamic::SysVar(n) => DynValue::Text(format!("<{n}>")),
        Dynamic::UserVar(_) => DynValue::Null,
        Dynamic::Database => DynValue::Text("db".into()),
        _ => DynValue::Int(7),
    })
}

/// The steps of a plan as SQLite text.
fn steps(sql: &str) -> Vec<String> {
    match one(sql) {
        Command::Run(Plan { steps, .. }) => steps
            .iter()
            .map(|s| match s {
                Step::Sql(t) => t.render(&mut resolve).expect("render").sql,
                other => format!("{other:?}"),
            })
            .collect(),
        other => panic!("{sql}: not SQL: {other:?}"),
    }
}

fn sql1(sql: &str) -> String {
    let s = steps(sql);
    assert_eq!(s.len(), 1, "{sql}: {s:?}");
    s[0].clone()
}

fn db() -> rusqlite::Connection {
    rusqlite::Connection::open_in_memory().expect("memory db")
}

/// Runs every step of `sql` on `conn`.
fn run(conn: &rusqlite::Connection, sql: &str) {
    for step in steps(sql) {
        if step.starts_with("ResetSequence") || step.starts_with("DropIndex") {
            continue;
        }
        conn.execute_batch(&step)
            .unwrap_or_else(|e| panic!("{sql}\n=> {step}\n{e}"));
    }
}

fn query_one<T: rusqlite::types::FromSql>(conn: &rusqlite::Connection, sql: &str) -> T {
    let s = sql1(sql);
    conn.query_row(&s, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}\n=> {s}\n{e}"))
}

#[test]
fn auto_increment_becomes_the_rowid_alias() {
    let conn = db();
    let create = "CREATE TABLE `users` (\n  `id` int(11) unsigned NOT NULL AUTO_INCREMENT,\n  \
                  `name` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '' COMMENT 'who',\n  \
                  `kind` enum('a','b') DEFAULT 'a',\n  `score` decimal(10,2) unsigned DEFAULT NULL,\n  \
                  `created` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),\n  \
                  PRIMARY KEY (`id`),\n  UNIQUE KEY `uk_name` (`name`),\n  KEY `idx_kind` (`kind`,`score`) USING BTREE,\n  \
                  KEY (`created`)\n) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci";
    let s = steps(create);
    assert_eq!(s.len(), 4, "{s:?}");
    assert!(
        s[0].contains("\"id\" INTEGER PRIMARY KEY AUTOINCREMENT"),
        "{}",
        s[0]
    );
    assert!(!s[0].contains("PRIMARY KEY (\"id\")"), "{}", s[0]);
    assert!(
        s[0].contains("\"score\" decimal unsigned(10,2)"),
        "{}",
        s[0]
    );
    assert!(
        s[1].contains("CREATE UNIQUE INDEX \"users_uk_name\""),
        "{}",
        s[1]
    );
    assert!(s[2].contains("CREATE INDEX \"users_idx_kind\""), "{}", s[2]);
    assert!(s[3].contains("\"users_created\""), "{}", s[3]);
    run(&conn, create);
    run(&conn, "INSERT INTO users (name) VALUES ('x'), ('y')");
    assert_eq!(query_one::<i64>(&conn, "SELECT MAX(id) FROM users"), 2);
    let dup = conn.execute_batch("INSERT INTO users (name) VALUES ('x')");
    assert!(dup.is_err(), "unique key kept");
    let bad_enum = conn.execute_batch("INSERT INTO users (name, kind) VALUES ('z', 'c')");
    assert!(bad_enum.is_err(), "enum check kept");
    assert_eq!(
        query_one::<String>(&conn, "SELECT typeof(created) FROM users LIMIT 1"),
        "text"
    );
}

#[test]
fn inline_primary_key_auto_increment_forms() {
    for create in [
        "CREATE TABLE a (id INT PRIMARY KEY AUTO_INCREMENT, v TEXT)",
        "CREATE TABLE a (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, v TEXT)",
        "CREATE TABLE a (id INT NOT NULL AUTO_INCREMENT, v TEXT, KEY (id))",
        "CREATE TABLE a (id SERIAL, v TEXT)",
    ] {
        let conn = db();
        run(&conn, create);
        run(&conn, "INSERT INTO a (v) VALUES ('x')");
        run(&conn, "INSERT INTO a (v) VALUES ('y')");
        assert_eq!(
            query_one::<i64>(&conn, "SELECT MAX(id) FROM a"),
            2,
            "{create}"
        );
    }
    assert!(matches!(
        err("CREATE TABLE a (id INT AUTO_INCREMENT, k INT, PRIMARY KEY (k, id))"),
        DialectError::Unsupported(_)
    ));
}

#[test]
fn strings_with_mysql_escapes_and_binary() {
    let conn = db();
    run(&conn, "CREATE TABLE t (a TEXT, b BLOB)");
    run(
        &conn,
        r#"INSERT INTO t VALUES ('it\'s \"q\"\n', _binary'\0\\x'), ("d""q", X'00ff'), (N'n', 0x0102)"#,
    );
    assert_eq!(
        query_one::<String>(&conn, "SELECT a FROM t WHERE rowid = 1"),
        "it's \"q\"\n"
    );
    assert_eq!(
        query_one::<Vec<u8>>(&conn, "SELECT b FROM t WHERE rowid = 1"),
        b"\0\\x"
    );
    assert_eq!(
        query_one::<String>(&conn, "SELECT a FROM t WHERE rowid = 2"),
        "d\"q"
    );
    assert_eq!(
        query_one::<Vec<u8>>(&conn, "SELECT b FROM t WHERE rowid = 3"),
        [1, 2]
    );
    // Bytes that are not UTF-8 stay bytes.
    let mut raw = b"SELECT '".to_vec();
    raw.extend_from_slice(&[0xff, 0xfe]);
    raw.extend_from_slice(b"'");
    let t = translate(&raw, Mode::Query).expect("lexes");
    let Ok(Command::Run(plan)) = &t[0].command else {
        panic!("{t:?}")
    };
    let Step::Sql(text) = &plan.steps[0] else {
        panic!()
    };
    assert!(text.plain().contains("X'FFFE'"), "{}", text.plain());
}

#[test]
fn large_literals_become_placeholders() {
    let big = "a".repeat(emit::INLINE_LITERAL_MAX + 1);
    let Command::Run(plan) = one(&format!("INSERT INTO t VALUES ('{big}')")) else {
        panic!()
    };
    let Step::Sql(text) = &plan.steps[0] else {
        panic!()
    };
    let r = text.render(&mut resolve).expect("render");
    assert_eq!(r.sql, "INSERT INTO \"t\" VALUES (?)");
    assert!(matches!(&r.binds[0], Slot::Literal(literal::Literal::Text(t)) if t == &big));
}

#[test]
fn session_values_and_column_names() {
    let conn = db();
    let s = sql1("SELECT @@version_comment LIMIT 1");
    assert_eq!(
        s,
        "SELECT '<version_comment>' AS \"@@version_comment\" LIMIT 1"
    );
    let s = sql1("select @@session.max_allowed_packet, @@sql_mode AS m, DATABASE(), 'x', 1+1");
    assert_eq!(
        s,
        "select 67108864 AS \"@@session.max_allowed_packet\", '<sql_mode>' AS m, 'db' AS \"DATABASE()\", 'x' AS \"x\", 1+1"
    );
    let mut stmt = conn.prepare(&s).expect("prepare");
    let names: Vec<String> = stmt.column_names().iter().map(|n| n.to_string()).collect();
    assert_eq!(
        names,
        [
            "@@session.max_allowed_packet",
            "m",
            "DATABASE()",
            "x",
            "1+1"
        ]
    );
    let v: i64 = stmt.query_row([], |r| r.get(0)).expect("row");
    assert_eq!(v, 67_108_864);
    assert_eq!(sql1("SELECT 1 FROM DUAL"), "SELECT 1");
    let s = sql1("SELECT SQL_CALC_FOUND_ROWS a FROM t WHERE a <=> NULL FOR UPDATE");
    assert!(
        s.contains("a  IS  NULL") && !s.contains("UPDATE") && !s.contains("SQL_"),
        "{s}"
    );
}

#[test]
fn functions_and_operators() {
    let conn = db();
    assert_eq!(
        query_one::<String>(&conn, "SELECT IF(1 > 0, 'y', 'n')"),
        "y"
    );
    assert_eq!(query_one::<String>(&conn, "SELECT UCASE('a')"), "A");
    assert_eq!(query_one::<i64>(&conn, "SELECT 1 && 0 || 1"), 1);
    assert_eq!(query_one::<i64>(&conn, "SELECT 5--1"), 6);
    assert_eq!(query_one::<i64>(&conn, "SELECT 7 DIV 2"), 3);
    assert_eq!(query_one::<i64>(&conn, "SELECT CAST('12' AS SIGNED)"), 12);
    assert_eq!(
        query_one::<String>(&conn, "SELECT CAST('2024-01-02' AS DATE)"),
        "2024-01-02"
    );
    assert_eq!(
        query_one::<String>(&conn, "SELECT CONVERT('a' USING utf8mb4)"),
        "a"
    );
    assert_eq!(query_one::<i64>(&conn, "SELECT LENGTH(NOW()) >= 19"), 1);
    assert_eq!(query_one::<i64>(&conn, "SELECT LENGTH(CURDATE())"), 10);
    assert_eq!(query_one::<i64>(&conn, "SELECT b'101' + 0x01 * 0"), 5);
    assert_eq!(query_one::<i64>(&conn, "/*!40101 SELECT */ 3"), 3);
    assert_eq!(query_one::<i64>(&conn, "SELECT 4 # comment"), 4);
    assert!(matches!(err("SELECT ?"), DialectError::Syntax(_)));
    assert!(matches!(
        err("SELECT a INTO @x FROM t"),
        DialectError::Unsupported(_)
    ));
}

#[test]
fn writes() {
    let conn = db();
    run(
        &conn,
        "CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, k VARCHAR(10) UNIQUE, n INT DEFAULT 0)",
    );
    run(&conn, "INSERT INTO t SET k = 'a', n = 1");
    run(&conn, "INSERT IGNORE INTO t (k, n) VALUES ('a', 5)");
    assert_eq!(query_one::<i64>(&conn, "SELECT n FROM t WHERE k = 'a'"), 1);
    run(
        &conn,
        "INSERT INTO t (k, n) VALUES ('a', 2) ON DUPLICATE KEY UPDATE n = n + VALUES(n)",
    );
    assert_eq!(query_one::<i64>(&conn, "SELECT n FROM t WHERE k = 'a'"), 3);
    run(
        &conn,
        "INSERT INTO t (k, n) VALUES ('a', 10) AS new ON DUPLICATE KEY UPDATE n = new.n",
    );
    assert_eq!(query_one::<i64>(&conn, "SELECT n FROM t WHERE k = 'a'"), 10);
    run(
        &conn,
        "INSERT INTO t (k, n) SELECT 'a', 20 ON DUPLICATE KEY UPDATE n = VALUES(n)",
    );
    assert_eq!(query_one::<i64>(&conn, "SELECT n FROM t WHERE k = 'a'"), 20);
    run(&conn, "REPLACE INTO t (id, k, n) VALUES (1, 'a', 30)");
    run(&conn, "INSERT INTO t VALUES ()");
    run(&conn, "INSERT INTO t (k) VALUES ('b'), ('c'), ('d')");
    run(
        &conn,
        "UPDATE t SET n = 99 WHERE k IS NOT NULL ORDER BY id DESC LIMIT 2",
    );
    assert_eq!(
        query_one::<i64>(&conn, "SELECT COUNT(*) FROM t WHERE n = 99"),
        2
    );
    run(&conn, "DELETE FROM t WHERE n = 99 LIMIT 1");
    assert_eq!(
        query_one::<i64>(&conn, "SELECT COUNT(*) FROM t WHERE n = 99"),
        1
    );
    run(&conn, "UPDATE LOW_PRIORITY IGNORE t SET n = 1 WHERE id = 1");
    run(&conn, "DELETE QUICK FROM t WHERE id = 1 ORDER BY id");
    assert_eq!(
        query_one::<i64>(&conn, "SELECT COUNT(*) FROM t LIMIT 0, 1"),
        3
    );
}

#[test]
fn ddl_statements() {
    let conn = db();
    run(
        &conn,
        "CREATE TABLE IF NOT EXISTS a (x INT, y TEXT) ENGINE=MyISAM",
    );
    run(
        &conn,
        "CREATE TABLE IF NOT EXISTS a (x INT, y TEXT) ENGINE=MyISAM",
    );
    run(
        &conn,
        "ALTER TABLE a ADD COLUMN z INT NOT NULL DEFAULT 0 AFTER x, ADD INDEX ix (z), ENGINE=InnoDB",
    );
    run(&conn, "CREATE UNIQUE INDEX uy USING BTREE ON a (y(10))");
    run(&conn, "CREATE OR REPLACE VIEW v AS SELECT x FROM a");
    run(&conn, "CREATE OR REPLACE VIEW v AS SELECT x, z FROM a");
    run(&conn, "RENAME TABLE a TO b");
    run(
        &conn,
        "ALTER TABLE b ADD q INT, ADD COLUMN (r TEXT, s BLOB)",
    );
    run(
        &conn,
        "ALTER TABLE b RENAME COLUMN z TO w, DROP COLUMN q, DROP r",
    );
    run(&conn, "CREATE TABLE c AS SELECT * FROM b");
    run(&conn, "DROP TABLE IF EXISTS b, c, nope");
    run(&conn, "DROP VIEW v");
    assert_eq!(
        steps("TRUNCATE TABLE t"),
        ["DELETE FROM \"t\"", "ResetSequence { table: \"t\" }"]
    );
    assert_eq!(
        steps("DROP INDEX ix ON `t`"),
        ["DropIndex { table: \"t\", name: \"ix\" }"]
    );
    assert!(matches!(
        one("CREATE TABLE q (a INT)"),
        Command::Run(Plan {
            implicit_commit: true,
            ..
        })
    ));
    assert!(matches!(
        err("ALTER TABLE t MODIFY a BIGINT"),
        DialectError::Unsupported(_)
    ));
    assert!(matches!(
        err("CREATE DATABASE x"),
        DialectError::Unsupported(_)
    ));
}

#[test]
fn set_statements() {
    let Command::Local(Local::Set(a)) = one(
        "SET autocommit=0, SESSION sql_mode = 'ANSI', @@session.time_zone = '+00:00', @x := 1 + 2, @y = 'v', NAMES_x = DEFAULT",
    ) else {
        panic!()
    };
    assert_eq!(a.len(), 6);
    assert_eq!(
        a[0].target,
        Target::System {
            name: "autocommit".into(),
            global: false
        }
    );
    assert_eq!(a[0].value, SetValue::Value(DynValue::Int(0)));
    assert_eq!(a[1].value, SetValue::Value(DynValue::Text("ANSI".into())));
    assert_eq!(
        a[2].target,
        Target::System {
            name: "time_zone".into(),
            global: false
        }
    );
    assert_eq!(a[3].target, Target::User("x".into()));
    assert!(matches!(a[3].value, SetValue::Expr(_)));
    assert_eq!(a[5].value, SetValue::Default);
    assert_eq!(
        one("SET NAMES utf8mb4 COLLATE 'utf8mb4_unicode_ci'"),
        Command::Local(Local::SetNames {
            charset: Some("utf8mb4".into()),
            collation: Some("utf8mb4_unicode_ci".into()),
            client_and_results_only: false
        })
    );
    assert_eq!(
        one("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"),
        Command::Local(Local::SetTransaction {
            isolation: Some("READ-COMMITTED".into()),
            read_only: None
        })
    );
    assert!(matches!(
        err("SET GLOBAL max_connections = 1"),
        DialectError::Denied(_)
    ));
    assert!(matches!(err("SET @@global.x = 1"), DialectError::Denied(_)));
}

#[test]
fn local_commands() {
    assert_eq!(
        one("START TRANSACTION READ ONLY"),
        Command::Local(Local::Begin { read_only: true })
    );
    assert_eq!(
        one("begin work"),
        Command::Local(Local::Begin { read_only: false })
    );
    assert_eq!(
        one("ROLLBACK WORK AND CHAIN"),
        Command::Local(Local::End {
            commit: false,
            chain: true,
            release: false
        })
    );
    assert_eq!(
        one("ROLLBACK TO SAVEPOINT s1"),
        Command::Local(Local::RollbackTo("s1".into()))
    );
    assert_eq!(
        one("USE `my db`"),
        Command::Local(Local::Use("my db".into()))
    );
    assert!(matches!(
        one("SHOW FULL COLUMNS FROM db.t LIKE 'a%'"),
        Command::Local(Local::Show(Show::Columns { full: true, .. }))
    ));
    assert!(matches!(
        one("DESCRIBE t"),
        Command::Local(Local::Show(Show::Columns {
            full: false,
            filter: None,
            ..
        }))
    ));
    assert!(matches!(
        one("SHOW SESSION VARIABLES WHERE Variable_name = 'x'"),
        Command::Local(Local::Show(Show::Variables {
            filter: Some(show::Filter::Where(_))
        }))
    ));
    assert!(matches!(
        one("SHOW COUNT(*) WARNINGS"),
        Command::Local(Local::Show(Show::Diagnostics {
            errors: false,
            count: true
        }))
    ));
    assert!(matches!(
        one("SHOW TABLES FROM db"),
        Command::Local(Local::Show(Show::Tables { .. }))
    ));
    assert!(matches!(one("EXPLAIN SELECT 1"), Command::Run(_)));
    assert_eq!(
        one("LOCK TABLES t WRITE"),
        Command::Local(Local::LockTables)
    );
}

#[test]
fn multi_statements_and_prepare_mode() {
    let t = translate(b"SELECT 1; SELECT 'a;b' ; ; SET @x = 1;", Mode::Query).expect("lexes");
    assert_eq!(t.len(), 3);
    let t = translate(
        b"SELECT * FROM t WHERE a = ? AND b IN (?, ?)",
        Mode::Prepare,
    )
    .expect("lexes");
    assert_eq!(t[0].params, 3);
    let Ok(Command::Run(plan)) = &t[0].command else {
        panic!()
    };
    let Step::Sql(text) = &plan.steps[0] else {
        panic!()
    };
    let r = text.render(&mut resolve).expect("render");
    assert_eq!(
        r.binds,
        vec![Slot::Client(0), Slot::Client(1), Slot::Client(2)]
    );
    assert!(translate(b"SELECT 'unterminated", Mode::Query).is_err());
}

#[test]
fn translator_caches() {
    let mut tr = Translator::default();
    let a = tr.translate(b"SELECT 1", Mode::Query);
    let b = tr.translate(b"SELECT 1", Mode::Query);
    assert!(std::sync::Arc::ptr_eq(&a, &b));
}

/// Found by the `sql_translate` fuzz target: a `?` in a part of a COM_QUERY that the rewriter
/// drops (here an `ALTER TABLE` column position) was counted as a parameter of a text-protocol
/// statement and the statement accepted; MySQL answers a syntax error, and so does the proxy.
#[test]
fn a_question_mark_in_a_text_query_is_a_syntax_error_wherever_it_is() {
    for sql in [
        "ALTER TABLE t ADD COLUMN c TINYINT(1) NOT NULL DEFAULT '0' AFTER ?",
        "SELECT ?",
        "USE ?",
    ] {
        let t = translate(sql.as_bytes(), Mode::Query).expect("lexes");
        for s in &t {
            assert_eq!(s.params, 0, "{sql}");
            assert!(s.command.is_err(), "{sql}: {:?}", s.command);
        }
    }
    let prepared = translate(b"SELECT ? + ?", Mode::Prepare).expect("lexes");
    assert_eq!(prepared[0].params, 2);
    assert!(prepared[0].command.is_ok());
}
