//! `proxy.pg_listen` and `proxy.mysql_listen`: either can be `""` (that listener is not
//! opened), `localhost:PORT` is accepted, and a bad value is reported with the value itself
//! and the expected form.

use articdbm_config::{ConfigError, Env, Location, load_str};

fn problem(err: &ConfigError, key: &str) -> (Location, String) {
    err.problems()
        .iter()
        .find(|p| p.key == key)
        .map(|p| (p.location.clone(), p.message.clone()))
        .unwrap_or_else(|| panic!("no problem for {key}: {err}"))
}

fn listens(text: &str, env: &Env) -> (String, String) {
    let config = load_str(text, env).unwrap_or_else(|e| panic!("{e}"));
    let show = |a: Option<std::net::SocketAddr>| a.map(|a| a.to_string()).unwrap_or_default();
    // Through the serialized form too: "" must round-trip as "disabled".
    let text = toml::to_string(&config).unwrap_or_else(|e| panic!("{e}"));
    let again = load_str(&text, &Env::empty()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(again.proxy, config.proxy);
    (
        show(config.proxy.pg_listen),
        show(config.proxy.mysql_listen),
    )
}

#[test]
fn empty_pg_listen_disables_the_postgres_listener_like_mysql_listen() {
    assert_eq!(
        listens("[proxy]\npg_listen = \"\"\n", &Env::empty()),
        (String::new(), "127.0.0.1:6033".to_owned())
    );
    let env: Env = [("ARTICDBM_PROXY__PG_LISTEN", "")].into_iter().collect();
    assert_eq!(
        listens("", &env),
        (String::new(), "127.0.0.1:6033".to_owned())
    );
}

#[test]
fn both_listeners_disabled_is_refused() {
    let err = load_str(
        "[proxy]\npg_listen = \"\"\nmysql_listen = \"\"\n",
        &Env::empty(),
    )
    .expect_err("nothing to serve");
    let (location, message) = problem(&err, "proxy.pg_listen");
    assert_eq!(location, Location::Line(2));
    assert!(message.contains("set at least one"), "{message}");
}

#[test]
fn localhost_is_accepted() {
    assert_eq!(
        listens(
            "[proxy]\npg_listen = \"localhost:7432\"\nmysql_listen = \"localhost:7033\"\n",
            &Env::empty()
        ),
        ("127.0.0.1:7432".to_owned(), "127.0.0.1:7033".to_owned())
    );
}

#[test]
fn errors_show_the_value_and_the_expected_form() {
    let err = load_str(
        "[proxy]\npg_listen = \"6432\"\nmysql_listen = \"db.example:x\"\n",
        &Env::empty(),
    )
    .expect_err("invalid");
    let (location, message) = problem(&err, "proxy.pg_listen");
    assert_eq!(location, Location::Line(2));
    assert!(
        message.contains("`6432`") && message.contains("\"127.0.0.1:6432\""),
        "{message}"
    );
    let (location, message) = problem(&err, "proxy.mysql_listen");
    assert_eq!(location, Location::Line(3));
    assert!(
        message.contains("`db.example:x`") && message.contains("\"ip:port\""),
        "{message}"
    );
    // From the environment the variable is named, and the value shown.
    let env: Env = [("ARTICDBM_PROXY__PG_LISTEN", "0.0.0.0")]
        .into_iter()
        .collect();
    let err = load_str("", &env).expect_err("no port");
    let (location, message) = problem(&err, "proxy.pg_listen");
    assert_eq!(
        location,
        Location::Env("ARTICDBM_PROXY__PG_LISTEN".to_owned())
    );
    assert!(
        message.contains("`0.0.0.0`") && message.contains("0.0.0.0:6432"),
        "{message}"
    );
}
