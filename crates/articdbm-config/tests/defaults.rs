//! `Config::default()` is valid, matches the documented defaults, and is what an empty or
//! absent file loads to.

use std::net::SocketAddr;
use std::time::Duration;

use articdbm_config::{
    AuthMethod, Config, Env, LogFormat, PoolMode, TlsMode, TlsVersion, load, load_str,
};

#[test]
fn default_config_is_valid() {
    assert_eq!(Config::default().validate(), vec![]);
}

#[test]
fn no_file_and_empty_file_load_the_defaults() {
    let env = Env::empty();
    assert_eq!(load(None, &env).expect("defaults"), Config::default());
    assert_eq!(load_str("", &env).expect("defaults"), Config::default());
}

#[test]
fn documented_default_values() {
    let c = Config::default();
    assert_eq!(c.data_dir.to_str(), Some("./articdbm-data"));
    let listen: SocketAddr = "127.0.0.1:6432".parse().expect("addr");
    assert_eq!(c.proxy.pg_listen, Some(listen));
    assert_eq!(c.proxy.max_client_connections, 10_000);
    assert_eq!(c.proxy.shutdown_grace(), Duration::from_secs(30));
    assert_eq!(c.proxy.auth_timeout(), Duration::from_secs(10));
    assert_eq!(c.proxy.client_idle_timeout(), None);
    assert_eq!(c.proxy.max_client_message_bytes, 64 * 1024 * 1024);
    assert!(c.proxy.tcp_keepalive);
    assert_eq!(c.tls.mode, TlsMode::Optional);
    assert_eq!(c.tls.min_version, TlsVersion::V1_2);
    assert_eq!((c.tls.cert.as_ref(), c.tls.key.as_ref()), (None, None));
    assert_eq!(c.pool.mode, PoolMode::Transaction);
    assert_eq!(c.pool.size, 20);
    assert_eq!(c.pool.min_idle, 0);
    assert_eq!(c.pool.warmup_connections(), 6);
    assert_eq!(c.pool.max_idle_connections(), 16);
    assert_eq!(c.pool.max_lifetime(), Some(Duration::from_secs(180)));
    assert_eq!(c.pool.idle_timeout(), Some(Duration::from_secs(60)));
    assert_eq!(c.pool.checkout_timeout(), Some(Duration::from_secs(30)));
    assert_eq!(c.pool.connect_timeout(), Duration::from_secs(5));
    assert_eq!(
        c.pool.health_check_interval(),
        Some(Duration::from_secs(10))
    );
    assert_eq!(c.pool.reset_query, "DISCARD ALL");
    assert_eq!(c.pool.health_check_query, "SELECT 1");
    assert_eq!(c.admin.database, "articdbm_admin");
    assert!(c.admin.users.is_empty());
    assert_eq!(c.logging.level, "info");
    assert_eq!(c.logging.format, LogFormat::Text);
    assert_eq!(c.auth.default_method, AuthMethod::ScramSha256);
    assert_eq!(c.auth.scram_iterations, 4096);
    assert!(c.users.is_empty() && c.databases.is_empty());
}

#[test]
fn serialized_defaults_load_back_unchanged() {
    let text = toml::to_string(&Config::default()).expect("serializes");
    assert_eq!(
        load_str(&text, &Env::empty()).expect("valid"),
        Config::default()
    );
}
