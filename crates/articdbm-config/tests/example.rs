//! The shipped example configuration (`examples/articdbm.toml`) loads and validates.

use std::path::PathBuf;

use articdbm_config::{Env, PoolMode, load};

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/articdbm.toml")
}

fn backend_env() -> Env {
    Env::from_iter([
        ("APP_DB_PASSWORD", "app-backend-secret"),
        ("PG_BACKEND_PASSWORD", "other-backend-secret"),
    ])
}

#[test]
fn example_validates() {
    let config = load(Some(&example_path()), &backend_env()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.admin.users, vec!["admin".to_owned()]);
    assert_eq!(config.users.len(), 2);

    let app = config.database_for("app").expect("app is listed");
    assert_eq!(app.backend_dbname, "app_production");
    assert_eq!(
        app.config.password.as_ref().map(|s| s.expose()),
        Some("app-backend-secret")
    );
    assert_eq!(config.pool_for(app.config).size, 40);
    assert_eq!(config.pool_for(app.config).mode, PoolMode::Transaction);

    let other = config.database_for("reports").expect("wildcard");
    assert!(other.is_wildcard());
    assert_eq!(other.backend_dbname, "reports");
    assert_eq!(other.config.backend_user("alice"), "alice");
    assert_eq!(config.pool_for(other.config).mode, PoolMode::Session);
}

#[test]
fn example_without_backend_passwords_names_the_missing_variables() {
    let err = load(Some(&example_path()), &Env::empty()).expect_err("secrets missing");
    let text = err.to_string();
    assert!(text.contains("databases.app.password_env"), "{text}");
    assert!(text.contains("`APP_DB_PASSWORD` is not set"), "{text}");
    assert!(text.contains("databases.\"*\".password_env"), "{text}");
    assert_eq!(err.problems().len(), 2, "{text}");
}

#[test]
fn example_mysql_and_galera_block_validates_when_uncommented() {
    let text = std::fs::read_to_string(example_path()).expect("read example");
    let at = text
        .find("# --- MySQL and Galera")
        .expect("the example has a MySQL and Galera block");
    let (head, block) = text.split_at(at);
    // Uncomment the TOML lines of the block: `[table]` headers and `key = value` lines.
    let is_toml = |rest: &str| {
        rest.starts_with('[')
            || rest.split_once(" = ").is_some_and(|(key, _)| {
                !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            })
    };
    let uncommented: String = block
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if is_toml(rest) => rest,
            _ => l,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let mut env = backend_env();
    env.set("SHOP_DB_PASSWORD", "shop-secret");
    env.set("ORDERS_DB_PASSWORD", "orders-secret");
    let config = articdbm_config::load_str(&format!("{head}{uncommented}"), &env)
        .unwrap_or_else(|e| panic!("{e}\n{uncommented}"));

    let shop = &config.databases["shop"];
    assert_eq!(shop.kind, articdbm_config::DatabaseKind::Mysql);
    assert_eq!(shop.port(), 3306);
    let orders = &config.databases["orders"];
    assert_eq!(orders.backends().len(), 3);
    assert!(orders.galera().is_some());
    assert_eq!(config.pool_for(orders).reset_query, "");
    assert!(config.proxy.mysql_listen.is_some());
    assert_eq!(
        config.users["app"].mysql_plugin(),
        Some(articdbm_config::MysqlAuthPlugin::CachingSha2Password)
    );
}
