//! The client-facing database namespace over MySQL, through a real proxy in front of the
//! real MariaDB, in both pool modes: `USE`, COM_INIT_DB (the mysql CLI's `use`) and
//! COM_CHANGE_USER reach only configured databases the user may use (1049 / 1044 as MariaDB
//! words them), `SHOW DATABASES` lists only those, and `USE` of a configured name leads to
//! its backend schema.

mod common;

use std::process::Command;

use articdbm_wire_mysql::auth::NativeVerifier;
use common::Setup;
use common::mysql::{MyDb, MyProxy, NAT_PW, mysql_toml, server_error, start};
use mysql_async::ChangeUserOpts;
use mysql_async::prelude::Queryable;

/// `db` and `other` configured (as themselves), `alias` leading to `other`'s schema, and a
/// user `narrow` allowed `db` only.
async fn proxy(mode: &'static str, db: &MyDb, other: &MyDb) -> MyProxy {
    let nat = NativeVerifier::from_password(NAT_PW.as_bytes());
    let extra = format!(
        r#"
[databases.{o}]
kind = "mysql"
port = 3306
user = "root"

[databases.alias_{o}]
kind = "mysql"
port = 3306
user = "root"
dbname = "{o}"

[users.narrow]
mysql_password = "{nat}"
databases = ["{d}"]
"#,
        o = other.name,
        d = db.name,
    );
    start(Setup::new(mode).toml(&mysql_toml(db)).toml(&extra)).await
}

async fn current_db(conn: &mut mysql_async::Conn) -> Option<String> {
    conn.query_first::<Option<String>, _>("SELECT DATABASE()")
        .await
        .expect("DATABASE()")
        .flatten()
}

/// Runs the mysql CLI (`use` is its COM_INIT_DB); returns (success, stdout, stderr).
async fn mysql_cli(port: u16, user: &str, db: &str, script: &str) -> (bool, String, String) {
    let args = vec![
        "--protocol=TCP".to_owned(),
        "-h".to_owned(),
        "127.0.0.1".to_owned(),
        "-P".to_owned(),
        port.to_string(),
        "-u".to_owned(),
        user.to_owned(),
        format!("-p{NAT_PW}"),
        "--skip-ssl".to_owned(),
        "--batch".to_owned(),
        "--skip-column-names".to_owned(),
        "--connect-timeout=10".to_owned(),
        "-D".to_owned(),
        db.to_owned(),
        "-e".to_owned(),
        script.to_owned(),
    ];
    let out = tokio::task::spawn_blocking(move || Command::new("mysql").args(&args).output())
        .await
        .expect("join")
        .expect("the mysql client runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn unconfigured_schemas_are_unreachable(mode: &'static str) {
    let db = MyDb::create().await;
    let other = MyDb::create().await;
    let p = proxy(mode, &db, &other).await;
    let mut c = p
        .connect("nat", NAT_PW, Some(&db.name))
        .await
        .expect("login");
    // A schema the server has but the configuration does not.
    let (code, state, message) = server_error(c.query_drop("USE mysql").await);
    assert_eq!((code, state.as_str()), (1049, "42000"), "{message}");
    assert_eq!(message, "Unknown database 'mysql'");
    assert_eq!(current_db(&mut c).await.as_deref(), Some(db.name.as_str()));
    // A configured one on the same server.
    c.query_drop(format!("USE `{}`", other.name))
        .await
        .expect("USE other");
    assert_eq!(
        current_db(&mut c).await.as_deref(),
        Some(other.name.as_str())
    );
    // USE hidden in a multi-statement query is not let through.
    let (code, _, message) = server_error(c.query_drop("SELECT 1; USE mysql").await);
    assert_eq!(code, 1235, "{message}");
    assert_eq!(
        current_db(&mut c).await.as_deref(),
        Some(other.name.as_str())
    );

    // The mysql CLI's `use` is COM_INIT_DB.
    let (ok, _, err) = mysql_cli(p.port, "nat", &db.name, "use mysql").await;
    assert!(!ok);
    assert!(
        err.contains("ERROR 1049 (42000)") && err.contains(": Unknown database 'mysql'"),
        "{err}"
    );
    let (ok, out, err) = mysql_cli(
        p.port,
        "nat",
        &db.name,
        &format!("use {}\nSELECT DATABASE()", other.name),
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(out.trim(), other.name);
    let (ok, _, err) = mysql_cli(p.port, "narrow", &db.name, &format!("use {}", other.name)).await;
    assert!(!ok);
    assert!(
        err.contains("ERROR 1044 (42000)")
            && err.contains(&format!(
                ": Access denied for user 'narrow'@'127.0.0.1' to database '{}'",
                other.name
            )),
        "{err}"
    );

    // COM_CHANGE_USER to an unconfigured schema is refused like a login to it.
    let mut c = p
        .connect("nat", NAT_PW, Some(&db.name))
        .await
        .expect("login");
    let opts = ChangeUserOpts::default()
        .with_user(Some("nat".into()))
        .with_pass(Some(NAT_PW.into()))
        .with_db_name(Some("mysql".into()));
    let (code, _, message) = server_error(c.change_user(opts).await);
    assert_eq!(code, 1049, "{message}");
}

#[tokio::test]
async fn unconfigured_schemas_are_unreachable_session_mode() {
    unconfigured_schemas_are_unreachable("session").await;
}

#[tokio::test]
async fn unconfigured_schemas_are_unreachable_transaction_mode() {
    unconfigured_schemas_are_unreachable("transaction").await;
}

async fn show_databases_lists_configured_names(mode: &'static str) {
    let db = MyDb::create().await;
    let other = MyDb::create().await;
    let p = proxy(mode, &db, &other).await;
    let mut c = p
        .connect("nat", NAT_PW, Some(&db.name))
        .await
        .expect("login");
    let alias = format!("alias_{}", other.name);
    let mut expected = vec![db.name.clone(), other.name.clone(), alias.clone()];
    expected.sort();
    let names: Vec<String> = c.query("SHOW DATABASES").await.expect("SHOW DATABASES");
    assert_eq!(names, expected, "configured MySQL databases only");
    let names: Vec<String> = c
        .query(format!("show schemas like 'alias\\_{}'", other.name))
        .await
        .expect("SHOW SCHEMAS LIKE");
    assert_eq!(names, std::slice::from_ref(&alias));
    let mut narrow = p
        .connect("narrow", NAT_PW, Some(&db.name))
        .await
        .expect("narrow");
    let names: Vec<String> = narrow.query("SHOW DATABASES").await.expect("narrow's");
    assert_eq!(names, std::slice::from_ref(&db.name));

    // A configured name leads to its backend schema.
    let mut raw = common::mysql::direct().await;
    raw.query_drop(format!("CREATE TABLE {}.marker (v int)", other.name))
        .await
        .expect("marker table");
    c.query_drop(format!("USE {alias}"))
        .await
        .expect("USE alias");
    let tables: Vec<String> = c.query("SHOW TABLES").await.expect("SHOW TABLES");
    assert_eq!(tables, ["marker"]);
}

#[tokio::test]
async fn show_databases_lists_configured_names_session_mode() {
    show_databases_lists_configured_names("session").await;
}

#[tokio::test]
async fn show_databases_lists_configured_names_transaction_mode() {
    show_databases_lists_configured_names("transaction").await;
}

/// One client-facing name offered over both listeners: the setup's PostgreSQL `db` and a
/// MySQL database also called `db` (`name`), leading to this test's MariaDB schema.
async fn one_name_per_protocol(mode: &'static str) {
    let db = MyDb::create().await;
    let extra = format!(
        r#"
[databases.my_db]
kind = "mysql"
name = "db"
port = 3306
user = "root"
dbname = "{}"
"#,
        db.name
    );
    let p = start(Setup::new(mode).toml(&mysql_toml(&db)).toml(&extra)).await;
    // PostgreSQL's `db`.
    let config = {
        let mut c = tokio_postgres::Config::new();
        c.host("127.0.0.1")
            .port(p.pg_port)
            .user("alice")
            .password(common::ALICE_PW)
            .dbname("db");
        c
    };
    let pg = common::connect_with(&config).await.expect("PostgreSQL db");
    let row = pg
        .client
        .query_one("SELECT current_database()", &[])
        .await
        .expect("query");
    assert_eq!(row.get::<_, String>(0), "test");
    // MySQL's `db`, shown by its client-facing name.
    let mut c = p
        .connect("nat", NAT_PW, Some("db"))
        .await
        .expect("MySQL db");
    assert_eq!(current_db(&mut c).await.as_deref(), Some("db"));
    let row: Option<(Option<String>, i64)> = c
        .query_first("SELECT DATABASE() AS d, 1")
        .await
        .expect("aliased");
    assert_eq!(row, Some((Some("db".into()), 1)));
    let names: Vec<String> = c.query("SHOW DATABASES").await.expect("SHOW DATABASES");
    assert!(names.contains(&"db".to_string()), "{names:?}");
    c.query_drop(format!("USE {}", db.name))
        .await
        .expect("USE by key name");
    assert_eq!(current_db(&mut c).await.as_deref(), Some(db.name.as_str()));
    c.query_drop("USE db").await.expect("USE db");
    assert_eq!(current_db(&mut c).await.as_deref(), Some("db"));
    // information_schema still speaks of the backend schema.
    let mut raw = common::mysql::direct().await;
    raw.query_drop(format!("CREATE TABLE {}.marker (v int)", db.name))
        .await
        .expect("marker table");
    let tables: Vec<String> = c
        .query(
            "SELECT table_name FROM information_schema.tables \
             WHERE table_schema = DATABASE()",
        )
        .await
        .expect("information_schema");
    assert_eq!(tables, ["marker"]);
}

#[tokio::test]
async fn one_name_per_protocol_session_mode() {
    one_name_per_protocol("session").await;
}

#[tokio::test]
async fn one_name_per_protocol_transaction_mode() {
    one_name_per_protocol("transaction").await;
}
