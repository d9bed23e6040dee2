//! MySQL, MariaDB and Galera configuration: `proxy.mysql_listen`, database kinds with their
//! default ports, Galera nodes and settings (and `GALERA_MODE`), MySQL user verifiers and
//! `auth.mysql_default_plugin`; every rule reported with its key path and line.

use std::net::SocketAddr;
use std::time::Duration;

use articdbm_config::{
    BackendAddr, Config, ConfigError, DatabaseConfig, DatabaseKind, Env, GaleraSettings, Location,
    MysqlAuthPlugin, PoolMode, load_str,
};

const SCRAM: &str = "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy";
const NATIVE: &str = "mysql_native$2470c0c06dee42fd1618bb99005adca2ec9d1e19";
const SHA2: &str = "caching_sha2$0ed2ab8b8a0d3b3a7e1e4ad30f7d0e4b5fe1d3e2c1f0a9b8c7d6e5f4a3b2c1d0";

fn env(pairs: &[(&str, &str)]) -> Env {
    pairs.iter().copied().collect()
}

fn line(n: usize) -> Location {
    Location::Line(n)
}

fn problems_of(err: &ConfigError) -> Vec<(String, Location)> {
    err.problems()
        .iter()
        .map(|p| (p.key.clone(), p.location.clone()))
        .collect()
}

fn load_ok(text: &str, env: &Env) -> Config {
    load_str(text, env).unwrap_or_else(|e| panic!("{e}"))
}

fn message_for(err: &ConfigError, key: &str) -> String {
    err.problems()
        .iter()
        .find(|p| p.key == key)
        .map(|p| p.message.clone())
        .unwrap_or_else(|| panic!("no problem for {key} in:\n{err}"))
}

// --- proxy.mysql_listen ---------------------------------------------------------------------

#[test]
fn mysql_listen_default_address_and_disabled_by_empty_string() {
    let expected: SocketAddr = "127.0.0.1:6033".parse().expect("addr");
    assert_eq!(Config::default().proxy.mysql_listen, Some(expected));
    assert_eq!(
        load_ok("", &Env::empty()).proxy.mysql_listen,
        Some(expected)
    );

    let config = load_ok("[proxy]\nmysql_listen = \"\"\n", &Env::empty());
    assert_eq!(config.proxy.mysql_listen, None);

    let config = load_ok("[proxy]\nmysql_listen = \"[::]:3306\"\n", &Env::empty());
    let any: SocketAddr = "[::]:3306".parse().expect("addr");
    assert_eq!(config.proxy.mysql_listen, Some(any));
}

#[test]
fn mysql_listen_from_env_including_the_empty_value() {
    let file = "[proxy]\nmysql_listen = \"127.0.0.1:7033\"\n";
    let config = load_ok(file, &env(&[("ARTICDBM_PROXY__MYSQL_LISTEN", "")]));
    assert_eq!(config.proxy.mysql_listen, None);

    // A quoted empty TOML string works too (what a TOML-minded operator may write).
    let config = load_ok(file, &env(&[("ARTICDBM_PROXY__MYSQL_LISTEN", "\"\"")]));
    assert_eq!(config.proxy.mysql_listen, None);

    let config = load_ok(
        "",
        &env(&[("ARTICDBM_PROXY__MYSQL_LISTEN", "0.0.0.0:3306")]),
    );
    let any: SocketAddr = "0.0.0.0:3306".parse().expect("addr");
    assert_eq!(config.proxy.mysql_listen, Some(any));

    let err = load_str("", &env(&[("ARTICDBM_PROXY__MYSQL_LISTEN", "nowhere")]))
        .expect_err("not an address");
    assert_eq!(
        problems_of(&err),
        vec![(
            "proxy.mysql_listen".into(),
            Location::Env("ARTICDBM_PROXY__MYSQL_LISTEN".into())
        )]
    );
    assert!(err.to_string().contains("\"\" to disable"), "{err}");
}

#[test]
fn mysql_listen_serializes_and_loads_back() {
    let mut config = Config::default();
    config.proxy.mysql_listen = None;
    let text = toml::to_string(&config).expect("serializes");
    assert!(text.contains("mysql_listen = \"\""), "{text}");
    assert_eq!(load_ok(&text, &Env::empty()), config);
}

#[test]
fn mysql_listen_must_differ_from_pg_listen() {
    let err = load_str(
        "[proxy]\npg_listen = \"127.0.0.1:6000\"\nmysql_listen = \"127.0.0.1:6000\"\n",
        &Env::empty(),
    )
    .expect_err("same address");
    assert_eq!(
        problems_of(&err),
        vec![("proxy.mysql_listen".into(), line(3))]
    );
    // Port 0 (an ephemeral port each, as tests use) is not a clash.
    load_ok(
        "[proxy]\npg_listen = \"127.0.0.1:0\"\nmysql_listen = \"127.0.0.1:0\"\n",
        &Env::empty(),
    );
}

// --- databases: kind and port ---------------------------------------------------------------

#[test]
fn kind_defaults_and_port_per_kind() {
    let text = "[databases.pg]\n\n[databases.my]\nkind = \"mysql\"\n\n[databases.my2]\nkind = \"mysql\"\nport = 3307\nhost = \"db\"\n";
    let config = load_ok(text, &Env::empty());
    let pg = &config.databases["pg"];
    assert_eq!(pg.kind, DatabaseKind::Postgres);
    assert_eq!(
        (pg.host.as_str(), pg.port, pg.port()),
        ("127.0.0.1", 5432, 5432)
    );
    let my = &config.databases["my"];
    assert_eq!(my.kind, DatabaseKind::Mysql);
    assert_eq!(
        (my.host.as_str(), my.port, my.port()),
        ("127.0.0.1", 3306, 3306)
    );
    assert_eq!(
        my.backends(),
        vec![BackendAddr {
            host: "127.0.0.1".into(),
            port: 3306
        }]
    );
    assert_eq!(config.databases["my2"].port(), 3307);
    assert_eq!(my.galera(), None);

    // Built in code: unset host and port resolve through the accessors.
    let db = DatabaseConfig {
        kind: DatabaseKind::Galera,
        ..DatabaseConfig::default()
    };
    assert_eq!((db.host(), db.port()), ("127.0.0.1", 3306));
    assert_eq!(DatabaseConfig::default().port(), 5432);
}

#[test]
fn explicit_empty_host_and_zero_port_are_errors() {
    let err = load_str(
        "[databases.a]\nhost = \"\"\nport = 0\n[databases.b]\nkind = \"oracle\"\n",
        &Env::empty(),
    )
    .expect_err("invalid");
    assert_eq!(
        problems_of(&err),
        vec![
            ("databases.a.host".into(), line(2)),
            ("databases.a.port".into(), line(3)),
            ("databases.b.kind".into(), line(5)),
        ],
        "{err}"
    );
    assert_eq!(message_for(&err, "databases.a.port"), "must not be 0");
    assert!(
        message_for(&err, "databases.b.kind").contains("postgres"),
        "{err}"
    );
}

#[test]
fn kind_and_nodes_from_env() {
    let config = load_ok(
        "",
        &env(&[
            ("ARTICDBM_DATABASES__SHOP__KIND", "galera"),
            (
                "ARTICDBM_DATABASES__SHOP__NODES",
                "[\"10.0.0.1:3306\", \"10.0.0.2:3306\"]",
            ),
            ("ARTICDBM_DATABASES__SHOP__GALERA_SYNC_WAIT", "1"),
            ("ARTICDBM_DATABASES__SHOP__GALERA_ALLOW_DONOR", "true"),
            ("ARTICDBM_DATABASES__SHOP__GALERA_CHECK_INTERVAL_MS", "250"),
            ("ARTICDBM_DATABASES__SHOP__GALERA_MAX_FAILED_POLLS", "5"),
        ]),
    );
    let shop = &config.databases["shop"];
    assert_eq!(shop.kind, DatabaseKind::Galera);
    assert_eq!(shop.backends().len(), 2);
    assert_eq!(
        shop.galera(),
        Some(GaleraSettings {
            allow_donor: true,
            sync_wait: 1,
            check_interval: Duration::from_millis(250),
            max_failed_polls: 5,
        })
    );
}

// --- Galera ---------------------------------------------------------------------------------

const CLUSTER: &str = r#"[databases.shop]
kind = "galera"
nodes = ["127.0.0.1:4306", "127.0.0.1:4307", "[::1]:4308"]
"#;

#[test]
fn galera_cluster_with_defaults() {
    let config = load_ok(CLUSTER, &Env::empty());
    let shop = &config.databases["shop"];
    // host and port stay unset: the nodes are the backends.
    assert_eq!((shop.host.as_str(), shop.port), ("", 0));
    let addrs: Vec<String> = shop.backends().iter().map(ToString::to_string).collect();
    assert_eq!(addrs, ["127.0.0.1:4306", "127.0.0.1:4307", "[::1]:4308"]);
    assert_eq!(
        shop.galera(),
        Some(GaleraSettings {
            allow_donor: false,
            sync_wait: 0,
            check_interval: Duration::from_millis(1000),
            max_failed_polls: 3,
        })
    );
    // The MySQL pool resets with COM_RESET_CONNECTION, not [pool].reset_query.
    assert_eq!(config.pool_for(shop).reset_query, "");
}

#[test]
fn galera_mode_turns_mysql_databases_with_nodes_into_clusters() {
    let text = "[databases.shop]\nkind = \"mysql\"\nnodes = [\"a:3306\", \"b:3306\"]\ngalera_sync_wait = 3\n\n[databases.single]\nkind = \"mysql\"\nnodes = [\"c:3306\"]\n\n[databases.plain]\nkind = \"mysql\"\n\n[databases.pg]\n";
    let config = load_ok(text, &env(&[("GALERA_MODE", "true")]));
    let kind = |name: &str| config.databases[name].kind;
    assert_eq!(kind("shop"), DatabaseKind::Galera);
    assert_eq!(kind("single"), DatabaseKind::Galera);
    assert_eq!(kind("plain"), DatabaseKind::Mysql);
    assert_eq!(kind("pg"), DatabaseKind::Postgres);
    assert_eq!(
        config.databases["shop"].galera().map(|g| g.sync_wait),
        Some(3)
    );

    // Without it, the same file names the fix for each mysql database with several nodes.
    for unset in [Env::empty(), env(&[("GALERA_MODE", "false")])] {
        let err = load_str(text, &unset).expect_err("several nodes on kind mysql");
        assert_eq!(
            problems_of(&err),
            vec![
                ("databases.shop.nodes".into(), line(3)),
                ("databases.shop.galera_sync_wait".into(), line(4)),
            ],
            "{err}"
        );
        let message = message_for(&err, "databases.shop.nodes");
        assert!(message.contains("kind = \"galera\""), "{message}");
        assert!(message.contains("GALERA_MODE=true"), "{message}");
    }

    let err = load_str(text, &env(&[("GALERA_MODE", "maybe")])).expect_err("bad switch");
    assert_eq!(
        err.problems()
            .iter()
            .find(|p| p.location == Location::Env("GALERA_MODE".into()))
            .map(|p| p.key.as_str()),
        Some(""),
        "{err}"
    );
    assert!(err.to_string().contains("`maybe`"), "{err}");
}

#[test]
fn galera_rules() {
    let text = r#"[databases.nonodes]
kind = "galera"

[databases.both]
kind = "galera"
host = "db"
port = 3306
nodes = ["a:1"]

[databases.badnodes]
kind = "galera"
nodes = ["a", "b:0", "::1:3306", "c:3306", "c:3306"]

[databases.ranges]
kind = "galera"
nodes = ["a:3306"]
galera_sync_wait = 16
galera_check_interval_ms = 50

[databases.pgnodes]
nodes = ["a:5432"]

[databases.notgalera]
kind = "mysql"
galera_allow_donor = true
galera_check_interval_ms = 500

[databases.toobig]
kind = "galera"
nodes = ["t:3306"]
galera_sync_wait = 300

[databases.nopolls]
kind = "galera"
nodes = ["x:3306"]
galera_max_failed_polls = 0

[databases.samecluster]
kind = "galera"
nodes = ["x:3306"]
galera_check_interval_ms = 500

[databases.overlap]
kind = "galera"
nodes = ["x:3306", "y:3306"]
"#;
    let err = load_str(text, &Env::empty()).expect_err("invalid");
    assert_eq!(
        problems_of(&err),
        vec![
            // A missing key is reported at its table's line, under its own name.
            ("databases.nonodes.nodes".into(), line(1)),
            ("databases.both.host".into(), line(6)),
            ("databases.both.port".into(), line(7)),
            ("databases.badnodes.nodes".into(), line(12)),
            ("databases.badnodes.nodes".into(), line(12)),
            ("databases.badnodes.nodes".into(), line(12)),
            ("databases.badnodes.nodes".into(), line(12)),
            ("databases.ranges.galera_sync_wait".into(), line(17)),
            ("databases.ranges.galera_check_interval_ms".into(), line(18)),
            ("databases.pgnodes.nodes".into(), line(21)),
            ("databases.notgalera.galera_allow_donor".into(), line(25)),
            (
                "databases.notgalera.galera_check_interval_ms".into(),
                line(26)
            ),
            ("databases.toobig.galera_sync_wait".into(), line(31)),
            ("databases.nopolls.galera_max_failed_polls".into(), line(36)),
            (
                "databases.samecluster.galera_max_failed_polls".into(),
                line(38)
            ),
            (
                "databases.samecluster.galera_check_interval_ms".into(),
                line(41)
            ),
            ("databases.overlap.nodes".into(), line(45)),
        ],
        "{err}"
    );
    let shown = err.to_string();
    for expected in [
        "databases.nonodes.nodes (line 1): is required for kind = \"galera\"",
        "`a` is not \"host:port\"",
        "`b:0`: the port must be an integer from 1 to 65535",
        "\"[::1]:3306\"",
        "`c:3306` is listed twice",
        "galera_sync_wait (line 17): must be between 0 (off) and 15, got 16",
        "galera_check_interval_ms (line 18): must be at least 100, got 50",
        "databases.pgnodes.nodes (line 21): is only for kind = \"mysql\" or \"galera\"",
        "is only for Galera clusters, and this database is kind = \"mysql\"",
        "databases.toobig.galera_sync_wait (line 31): invalid value: integer `300`, expected an integer from 0 to 255",
        "galera_max_failed_polls (line 36): must be between 1 and 100, got 0",
        "databases.overlap.nodes (line 45): shares a node with databases.nopolls, so it is the same Galera cluster",
        "differs from databases.nopolls, which lists the same Galera nodes",
    ] {
        assert!(
            shown.contains(expected),
            "missing {expected:?} in:\n{shown}"
        );
    }
}

// --- pool settings per kind -----------------------------------------------------------------

#[test]
fn mysql_pools_ignore_the_postgres_reset_query() {
    let text = "[pool]\nreset_query = \"DISCARD ALL\"\nmode = \"session\"\n\n[databases.my]\nkind = \"mysql\"\n\n[databases.my_extra]\nkind = \"mysql\"\n[databases.my_extra.pool]\nreset_query = \"SET @app = NULL\"\n\n[databases.pg]\n";
    let config = load_ok(text, &Env::empty());
    let pool = |name: &str| config.pool_for(&config.databases[name]);
    assert_eq!(pool("my").reset_query, "");
    assert_eq!(pool("my").mode, PoolMode::Session);
    assert_eq!(pool("my").health_check_query, "SELECT 1");
    assert_eq!(pool("my_extra").reset_query, "SET @app = NULL");
    assert_eq!(pool("pg").reset_query, "DISCARD ALL");
}

// --- users ----------------------------------------------------------------------------------

#[test]
fn mysql_only_and_dual_users() {
    let star = format!("*{}", "A".repeat(40));
    let text = format!(
        "[users.my]\nmysql_password = \"{SHA2}\"\n\n[users.both]\npassword = \"{SCRAM}\"\nmysql_password = \"{NATIVE}\"\n\n[users.star]\nmysql_password = \"{star}\"\n\n[users.pg]\npassword = \"{SCRAM}\"\n"
    );
    let config = load_ok(&text, &Env::empty());
    let user = |name: &str| &config.users[name];
    assert_eq!(user("my").pg_password(), None);
    assert_eq!(
        user("my").mysql_plugin(),
        Some(MysqlAuthPlugin::CachingSha2Password)
    );
    assert_eq!(user("both").pg_password(), Some(SCRAM));
    assert_eq!(
        user("both").mysql_plugin(),
        Some(MysqlAuthPlugin::MysqlNativePassword)
    );
    assert_eq!(
        user("star").mysql_plugin(),
        Some(MysqlAuthPlugin::MysqlNativePassword)
    );
    assert_eq!(user("pg").mysql_plugin(), None);
}

#[test]
fn user_verifier_rules() {
    let text = format!(
        r#"[users.none]
databases = []

[users.plain]
mysql_password = "hunter2"

[users.badnative]
password = "{SCRAM}"
mysql_password = "mysql_native$ABC"

[users.badsha2]
mysql_password = "caching_sha2$0123"

[users.swapped]
password = "{SHA2}"
mysql_password = "{SCRAM}"

[users.empty]
mysql_password = ""

[users.methodonly]
mysql_password = "{SHA2}"
method = "md5"

[users.badstar]
mysql_password = "*XYZ"
"#
    );
    let err = load_str(&text, &Env::empty()).expect_err("invalid");
    assert_eq!(
        problems_of(&err),
        vec![
            ("users.none.password".into(), line(1)),
            ("users.plain.mysql_password".into(), line(5)),
            ("users.badnative.mysql_password".into(), line(9)),
            ("users.badsha2.mysql_password".into(), line(12)),
            ("users.swapped.password".into(), line(15)),
            ("users.swapped.mysql_password".into(), line(16)),
            ("users.empty.mysql_password".into(), line(19)),
            ("users.methodonly.method".into(), line(23)),
            ("users.badstar.mysql_password".into(), line(26)),
        ],
        "{err}"
    );
    let shown = err.to_string();
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        message_for(&err, "users.none.password").contains("mysql_password"),
        "{shown}"
    );
    assert!(
        message_for(&err, "users.plain.mysql_password").contains("plaintext"),
        "{shown}"
    );
    assert!(
        message_for(&err, "users.badnative.mysql_password").contains("40"),
        "{shown}"
    );
    assert!(
        message_for(&err, "users.badsha2.mysql_password").contains("64"),
        "{shown}"
    );
    assert!(
        message_for(&err, "users.swapped.password").contains("move it to mysql_password"),
        "{shown}"
    );
    assert!(
        message_for(&err, "users.swapped.mysql_password").contains("move it to password"),
        "{shown}"
    );
    assert!(
        message_for(&err, "users.methodonly.method").contains("MySQL only"),
        "{shown}"
    );
}

#[test]
fn mysql_password_from_env() {
    let config = load_ok("", &env(&[("ARTICDBM_USERS__BOB__MYSQL_PASSWORD", NATIVE)]));
    assert_eq!(config.users["bob"].mysql_password.as_deref(), Some(NATIVE));
}

// --- auth.mysql_default_plugin --------------------------------------------------------------

#[test]
fn mysql_default_plugin() {
    assert_eq!(
        Config::default().auth.mysql_default_plugin,
        MysqlAuthPlugin::CachingSha2Password
    );
    let config = load_ok(
        "[auth]\nmysql_default_plugin = \"mysql_native_password\"\n",
        &Env::empty(),
    );
    assert_eq!(
        config.auth.mysql_default_plugin,
        MysqlAuthPlugin::MysqlNativePassword
    );
    assert_eq!(
        config.auth.mysql_default_plugin.to_string(),
        "mysql_native_password"
    );
    let config = load_ok(
        "",
        &env(&[(
            "ARTICDBM_AUTH__MYSQL_DEFAULT_PLUGIN",
            "mysql_native_password",
        )]),
    );
    assert_eq!(
        config.auth.mysql_default_plugin,
        MysqlAuthPlugin::MysqlNativePassword
    );
    let err = load_str(
        "[auth]\nmysql_default_plugin = \"sha256_password\"\n",
        &Env::empty(),
    )
    .expect_err("unknown plugin");
    assert_eq!(
        problems_of(&err),
        vec![("auth.mysql_default_plugin".into(), line(2))]
    );
}

// --- users.<name>.default_database ------------------------------------------------------------

#[test]
fn default_database_must_be_a_mysql_database_the_user_may_use() {
    let nat = "mysql_native$6bb4837eb74329105ee4568dda7dc67ed2ca2ad9";
    let ok = format!(
        "[users.u]\nmysql_password = \"{nat}\"\ndefault_database = \"shop\"\n\
         [databases.shop]\nkind = \"mysql\"\n[databases.pg]\n"
    );
    let config = load_ok(&ok, &Env::default());
    assert_eq!(config.users["u"].default_database.as_deref(), Some("shop"));
    let bad = format!(
        "[users.u]\nmysql_password = \"{nat}\"\ndefault_database = \"pg\"\n\
         [users.v]\nmysql_password = \"{nat}\"\ndatabases = [\"pg\"]\ndefault_database = \"shop\"\n\
         [databases.shop]\nkind = \"mysql\"\n[databases.pg]\n"
    );
    let err = load_str(&bad, &Env::default()).expect_err("invalid");
    assert_eq!(
        problems_of(&err),
        vec![
            ("users.u.default_database".into(), line(3)),
            ("users.v.default_database".into(), line(7)),
        ]
    );
    assert!(message_for(&err, "users.u.default_database").contains("served over MySQL"));
    assert!(message_for(&err, "users.v.default_database").contains("not in this user's databases"));
}

// --- databases.<key>.name ---------------------------------------------------------------------

#[test]
fn a_client_facing_name_is_offered_once_per_protocol() {
    // A PostgreSQL `test` and a MySQL `test`: one name, two listeners.
    let ok = "[databases.test]\n[databases.test_my]\nkind = \"mysql\"\nname = \"test\"\n";
    let config = load_ok(ok, &Env::default());
    let pg = config
        .database_over(articdbm_config::FrontEnd::Postgres, "test")
        .expect("pg");
    assert_eq!((pg.key, pg.backend_dbname), ("test", "test"));
    let my = config
        .database_over(articdbm_config::FrontEnd::Mysql, "test")
        .expect("mysql");
    assert_eq!((my.key, my.backend_dbname), ("test_my", "test"));
    // Existing configs: the key is the name.
    assert_eq!(
        config
            .database_over(articdbm_config::FrontEnd::Mysql, "test_my")
            .map(|r| r.key),
        None
    );

    let bad = "[databases.a]\nkind = \"mysql\"\n\
               [databases.b]\nkind = \"galera\"\nnodes = [\"h:1\"]\nname = \"a\"\n\
               [databases.c]\nkind = \"sqlite\"\nname = \"x\"\n\
               [databases.d]\nname = \"\"\n";
    let err = load_str(bad, &Env::default()).expect_err("invalid");
    let mut keys: Vec<String> = problems_of(&err).into_iter().map(|(k, _)| k).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["databases.b.name", "databases.c.name", "databases.d.name"],
        "{err}"
    );
    assert!(message_for(&err, "databases.b.name").contains("databases.a"));
    assert!(message_for(&err, "databases.b.name").contains("MySQL"));
}
