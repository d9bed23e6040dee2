//! Embedded SQLite databases (`kind = "sqlite"`): the file path relative to `data_dir` and
//! its default, the per-database settings with their defaults, and every misuse reported
//! with its key path.

use std::path::PathBuf;
use std::time::Duration;

use articdbm_config::{ConfigError, DatabaseKind, Env, SqliteSettings, load_str};

fn keys(err: &ConfigError) -> Vec<String> {
    let mut keys: Vec<String> = err.problems().iter().map(|p| p.key.clone()).collect();
    keys.sort();
    keys
}

#[test]
fn paths_and_defaults() {
    let config = load_str(
        "data_dir = \"/srv/articdbm\"\n\
         [databases.app]\nkind = \"sqlite\"\n\
         [databases.other]\nkind = \"sqlite\"\npath = \"sub/o.sqlite\"\nbusy_timeout_ms = 250\nmax_connections = 4\n\
         [databases.abs]\nkind = \"sqlite\"\npath = \"/var/lib/x.db\"\n",
        &Env::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let app = &config.databases["app"];
    assert_eq!(app.kind, DatabaseKind::Sqlite);
    assert!(app.kind.is_sqlite() && !app.kind.is_mysql());
    assert_eq!(
        (app.host.as_str(), app.port),
        ("", 0),
        "no address is filled in"
    );
    assert_eq!(
        app.sqlite("app", &config.data_dir),
        Some(SqliteSettings {
            path: PathBuf::from("/srv/articdbm/app.db"),
            busy_timeout: Duration::from_millis(5000),
            max_connections: 16,
        })
    );
    let other = config.databases["other"]
        .sqlite("other", &config.data_dir)
        .expect("sqlite");
    assert_eq!(other.path, PathBuf::from("/srv/articdbm/sub/o.sqlite"));
    assert_eq!(other.busy_timeout, Duration::from_millis(250));
    assert_eq!(other.max_connections, 4);
    let abs = config.databases["abs"]
        .sqlite("abs", &config.data_dir)
        .expect("sqlite");
    assert_eq!(abs.path, PathBuf::from("/var/lib/x.db"));
}

#[test]
fn misuse_is_reported_by_key() {
    let err = load_str(
        "[databases.a]\nkind = \"sqlite\"\nhost = \"db\"\nport = 5432\nuser = \"u\"\ndbname = \"d\"\n\
         busy_timeout_ms = 0\nmax_connections = 0\n\
         [databases.b]\nkind = \"postgres\"\npath = \"b.db\"\nmax_connections = 3\n\
         [databases.c]\nkind = \"sqlite\"\npath = \"a.db\"\n\
         [databases.\"*\"]\nkind = \"sqlite\"\n",
        &Env::default(),
    )
    .expect_err("invalid");
    let keys = keys(&err);
    for key in [
        "databases.a.host",
        "databases.a.port",
        "databases.a.user",
        "databases.a.dbname",
        "databases.a.busy_timeout_ms",
        "databases.a.max_connections",
        "databases.b.path",
        "databases.b.max_connections",
        "databases.c.path",
        "databases.\"*\".kind",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} not in {keys:?}");
    }
}
