//! `Config::pool_for` (overrides over defaults) and `Config::database_for` (exact name, then
//! the `"*"` wildcard).

use articdbm_config::{DatabaseConfig, Env, PoolMode, load_str};

const FILE: &str = r#"
[pool]
size = 10
min_idle = 1
reset_query = "RESET ALL"

[databases.main]
dbname = "main_prod"
user = "svc"

[databases.main.pool]
size = 25
mode = "session"
health_check_query = "SELECT 2"

[databases.plain]

[databases."*"]
host = "fallback"
"#;

#[test]
fn pool_for_merges_overrides_over_defaults() {
    let config = load_str(FILE, &Env::empty()).unwrap_or_else(|e| panic!("{e}"));
    let main = config.pool_for(&config.databases["main"]);
    assert_eq!(main.size, 25);
    assert_eq!(main.mode, PoolMode::Session);
    assert_eq!(main.health_check_query, "SELECT 2");
    assert_eq!(main.min_idle, 1);
    assert_eq!(main.reset_query, "RESET ALL");
    assert_eq!(main.idle_timeout_secs, 60);
    let plain = config.pool_for(&config.databases["plain"]);
    assert_eq!(plain, config.pool);
    assert_eq!(config.pool_for(&DatabaseConfig::default()), config.pool);
}

#[test]
fn database_for_exact_then_wildcard() {
    let config = load_str(FILE, &Env::empty()).unwrap_or_else(|e| panic!("{e}"));

    let main = config.database_for("main").expect("listed");
    assert_eq!((main.key, main.backend_dbname), ("main", "main_prod"));
    assert!(!main.is_wildcard());
    assert_eq!(main.config.backend_user("alice"), "svc");

    let plain = config.database_for("plain").expect("listed");
    assert_eq!(plain.backend_dbname, "plain");

    let other = config.database_for("analytics").expect("wildcard");
    assert!(other.is_wildcard());
    assert_eq!((other.key, other.backend_dbname), ("*", "analytics"));
    assert_eq!(other.config.host, "fallback");
    assert_eq!(other.config.backend_user("alice"), "alice");
}

#[test]
fn database_for_without_wildcard() {
    let config = load_str("[databases.main]\n", &Env::empty()).expect("valid");
    assert!(config.database_for("main").is_some());
    assert!(config.database_for("other").is_none());
}
