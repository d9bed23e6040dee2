//! MariaDB's extended capabilities through a real proxy in front of the real MariaDB: the
//! proxy offers `MARIADB_CLIENT_EXTENDED_METADATA` when the backend does and relays the
//! extended type information of column definitions, so the mysql CLI (MariaDB Connector/C)
//! sees a JSON column's `format=json` and a UUID column's `type=uuid`, as it does directly.

mod common;

use std::process::Command;

use common::Setup;
use common::mysql::{MyDb, NAT_PW, direct, mysql_toml, start};
use mysql_async::prelude::Queryable;

/// `mysql --column-type-info --table -e sql` through port `port` as `user`.
async fn column_types(port: u16, user: &str, password: &str, db: &str, sql: &str) -> String {
    let mut args = vec![
        "--protocol=TCP".to_owned(),
        "-h".to_owned(),
        "127.0.0.1".to_owned(),
        "-P".to_owned(),
        port.to_string(),
        "-u".to_owned(),
        user.to_owned(),
        "--skip-ssl".to_owned(),
        "--column-type-info".to_owned(),
        "--table".to_owned(),
        "-D".to_owned(),
        db.to_owned(),
        "-e".to_owned(),
        sql.to_owned(),
    ];
    if !password.is_empty() {
        args.push(format!("-p{password}"));
    }
    let out = tokio::task::spawn_blocking(move || Command::new("mysql").args(&args).output())
        .await
        .expect("join")
        .expect("the mysql client runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn extended_metadata(mode: &'static str) {
    let db = MyDb::create().await;
    let mut root = direct().await;
    root.query_drop(format!(
        "CREATE TABLE {}.typed (j JSON, u UUID, i INET6)",
        db.name
    ))
    .await
    .expect("table");
    root.query_drop(format!(
        "INSERT INTO {}.typed VALUES ('{{}}', UUID(), '::1')",
        db.name
    ))
    .await
    .expect("row");
    let sql = "SELECT j, u, i FROM typed";
    let direct_out = column_types(3306, "root", "", &db.name, sql).await;
    assert!(direct_out.contains("format=json"), "{direct_out}");
    let p = start(Setup::new(mode).toml(&mysql_toml(&db))).await;
    let proxied = column_types(p.port, "nat", NAT_PW, &db.name, sql).await;
    for expected in ["(format=json)", "(type=uuid)", "(type=inet6)"] {
        assert!(proxied.contains(expected), "{expected} in:\n{proxied}");
    }
}

#[tokio::test]
async fn extended_metadata_session_mode() {
    extended_metadata("session").await;
}

#[tokio::test]
async fn extended_metadata_transaction_mode() {
    extended_metadata("transaction").await;
}
