//! Semantic validation of a deserialized [`Config`]: ranges, cross-field rules, references
//! between sections, verifier shapes. Pure (no I/O); every problem is collected, none stops
//! the others. File and environment checks (TLS files, backend secrets) live in the loader.

use std::collections::BTreeMap;

use crate::auth::{AuthMethod, MIN_SCRAM_ITERATIONS};
use crate::config::Config;
use crate::database::{
    BackendAddr, DatabaseConfig, DatabaseKind, FrontEnd, MAX_GALERA_MAX_FAILED_POLLS,
    MAX_GALERA_SYNC_WAIT, MIN_GALERA_CHECK_INTERVAL_MS, WILDCARD,
};
use crate::error::Problem;
use crate::keypath;
use crate::pool::{PoolOverrides, PoolSettings};
use crate::proxy::{MAX_CLIENT_MESSAGE_BYTES, MIN_CLIENT_MESSAGE_BYTES};
use crate::tls::TlsMode;
use crate::user::{UserConfig, mysql_verifier_kind, verifier_kind};

/// A problem at a key path given as segments (so the loader can look up its location).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issue {
    pub(crate) path: Vec<String>,
    pub(crate) message: String,
}

impl Issue {
    fn new(path: &[&str], message: impl Into<String>) -> Self {
        Self {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            message: message.into(),
        }
    }
}

/// Levels `logging.level` accepts on its own (directives may name a target too).
const LOG_LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error", "off"];

impl Config {
    /// Every semantic problem of this configuration (empty = valid). Does no I/O: TLS files
    /// and backend secrets are checked by [`load`](crate::load). Locations are
    /// [`Location::Unknown`](crate::Location::Unknown); the loader fills them in.
    pub fn validate(&self) -> Vec<Problem> {
        issues(self)
            .into_iter()
            .map(|issue| Problem::new(keypath::render(&issue.path), issue.message))
            .collect()
    }
}

/// Every semantic problem of `config`.
pub(crate) fn issues(config: &Config) -> Vec<Issue> {
    let mut out = Vec::new();
    check_proxy(config, &mut out);
    check_tls(config, &mut out);
    check_pool(&config.pool, &["pool"], &|_| true, &mut out);
    check_admin(config, &mut out);
    check_logging(config, &mut out);
    check_auth(config, &mut out);
    for (name, user) in &config.users {
        check_user(config, name, user, &mut out);
    }
    for (name, db) in &config.databases {
        check_database(config, name, db, &mut out);
    }
    check_sqlite_files(config, &mut out);
    check_client_names(config, &mut out);
    check_galera_clusters(config, &mut out);
    out
}

/// `databases.<key>.name`: not empty, not on `"*"`, and every client-facing name offered
/// once per listener (reported at the later key of a clash, by key order).
fn check_client_names(config: &Config, out: &mut Vec<Issue>) {
    for (key, db) in &config.databases {
        match db.name.as_deref() {
            Some(_) if key == WILDCARD => out.push(Issue::new(
                &["databases", key, "name"],
                "cannot be set on the \"*\" wildcard (it matches any name)",
            )),
            Some(name) if name.trim().is_empty() || name == WILDCARD => out.push(Issue::new(
                &["databases", key, "name"],
                "must be a database name (leave it out to use the key)",
            )),
            Some(_) if db.kind.is_sqlite() => out.push(Issue::new(
                &["databases", key, "name"],
                "not for kind \"sqlite\": an embedded SQLite database is offered over both \
                 listeners under its key",
            )),
            _ => {}
        }
    }
    for front_end in [FrontEnd::Postgres, FrontEnd::Mysql] {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (key, db) in &config.databases {
            if key == WILDCARD || !db.kind.served_over(front_end) {
                continue;
            }
            let name = db.client_name(key);
            if let Some(first) = seen.get(name) {
                let at: &[&str] = if db.name.is_some() {
                    &["databases", key, "name"]
                } else {
                    &["databases", key]
                };
                out.push(Issue::new(
                    at,
                    format!(
                        "`{name}` is also the client-facing name of databases.{first}, and both \
                         are served over {front_end}; give one of them another `name`"
                    ),
                ));
            } else {
                seen.insert(name, key);
            }
        }
    }
}

fn check_proxy(config: &Config, out: &mut Vec<Issue>) {
    let proxy = &config.proxy;
    if proxy.max_client_connections == 0 {
        out.push(Issue::new(
            &["proxy", "max_client_connections"],
            "must be at least 1",
        ));
    }
    if proxy.auth_timeout_secs == 0 {
        out.push(Issue::new(
            &["proxy", "auth_timeout_secs"],
            "must be at least 1",
        ));
    }
    if !(MIN_CLIENT_MESSAGE_BYTES..=MAX_CLIENT_MESSAGE_BYTES)
        .contains(&proxy.max_client_message_bytes)
    {
        out.push(Issue::new(
            &["proxy", "max_client_message_bytes"],
            format!(
                "must be between {MIN_CLIENT_MESSAGE_BYTES} (1 KiB) and \
                 {MAX_CLIENT_MESSAGE_BYTES} (1 GiB), got {}",
                proxy.max_client_message_bytes
            ),
        ));
    }
    if proxy.pg_listen.is_none() && proxy.mysql_listen.is_none() {
        out.push(Issue::new(
            &["proxy", "pg_listen"],
            "both listeners are disabled (pg_listen and mysql_listen are \"\"); set at least one",
        ));
    }
    if let Some(mysql) = proxy.mysql_listen
        && Some(mysql) == proxy.pg_listen
        && mysql.port() != 0
    {
        out.push(Issue::new(
            &["proxy", "mysql_listen"],
            format!(
                "{mysql} is also proxy.pg_listen; give the MySQL front end a port of its own \
                 (or \"\" to disable it)"
            ),
        ));
    }
}

fn check_tls(config: &Config, out: &mut Vec<Issue>) {
    let tls = &config.tls;
    match (&tls.cert, &tls.key) {
        (Some(_), None) => out.push(Issue::new(
            &["tls", "cert"],
            "is set without tls.key; set both or neither",
        )),
        (None, Some(_)) => out.push(Issue::new(
            &["tls", "key"],
            "is set without tls.cert; set both or neither",
        )),
        (None, None) if tls.mode == TlsMode::Required => out.push(Issue::new(
            &["tls", "mode"],
            "\"required\" needs tls.cert and tls.key to be set",
        )),
        _ => {}
    }
}

/// Checks one set of pool settings. `report(field)` says whether a problem with `field`
/// belongs at `prefix` (for per-database overrides: only the fields they set).
fn check_pool(
    pool: &PoolSettings,
    prefix: &[&str],
    report: &dyn Fn(&str) -> bool,
    out: &mut Vec<Issue>,
) {
    let mut push = |field: &str, message: String| {
        let mut path: Vec<&str> = prefix.to_vec();
        path.push(field);
        out.push(Issue::new(&path, message));
    };
    if pool.size == 0 && report("size") {
        push("size", "must be at least 1".to_owned());
    }
    if pool.min_idle > pool.size {
        let message = format!(
            "min_idle ({}) must not exceed size ({})",
            pool.min_idle, pool.size
        );
        if report("min_idle") {
            push("min_idle", message);
        } else if report("size") {
            push("size", message);
        }
    }
    for (field, ratio) in [
        ("warmup_ratio", pool.warmup_ratio),
        ("idle_ratio", pool.idle_ratio),
    ] {
        if !(0.0..=1.0).contains(&ratio) && report(field) {
            push(field, format!("must be between 0.0 and 1.0, got {ratio}"));
        }
    }
    if pool.connect_timeout_secs == 0 && report("connect_timeout_secs") {
        push("connect_timeout_secs", "must be at least 1".to_owned());
    }
    if pool.health_check_query.trim().is_empty() && report("health_check_query") {
        push("health_check_query", "must not be empty".to_owned());
    }
    if pool.reconnect_backoff_min_ms == 0 && report("reconnect_backoff_min_ms") {
        push("reconnect_backoff_min_ms", "must be at least 1".to_owned());
    }
    if pool.reconnect_backoff_max_ms < pool.reconnect_backoff_min_ms {
        let message = format!(
            "reconnect_backoff_max_ms ({}) must not be below reconnect_backoff_min_ms ({})",
            pool.reconnect_backoff_max_ms, pool.reconnect_backoff_min_ms
        );
        if report("reconnect_backoff_max_ms") {
            push("reconnect_backoff_max_ms", message);
        } else if report("reconnect_backoff_min_ms") {
            push("reconnect_backoff_min_ms", message);
        }
    }
}

fn check_admin(config: &Config, out: &mut Vec<Issue>) {
    let admin = &config.admin;
    if admin.database.trim().is_empty() {
        out.push(Issue::new(&["admin", "database"], "must not be empty"));
    } else if config.databases.contains_key(&admin.database) {
        out.push(Issue::new(
            &["admin", "database"],
            format!(
                "`{}` is also a key of [databases]; the admin console needs a name of its own",
                admin.database
            ),
        ));
    }
    for user in &admin.users {
        if !config.users.contains_key(user) {
            out.push(Issue::new(
                &["admin", "users"],
                format!("unknown user `{user}` (not a key of [users])"),
            ));
        }
    }
}

fn check_logging(config: &Config, out: &mut Vec<Issue>) {
    let level = config.logging.level.trim();
    if level.is_empty() {
        out.push(Issue::new(&["logging", "level"], "must not be empty"));
        return;
    }
    let is_level = |word: &str| LOG_LEVELS.iter().any(|l| l.eq_ignore_ascii_case(word));
    let bad = |what: &str| {
        Issue::new(
            &["logging", "level"],
            format!(
                "`{what}` is not a log level ({}) or a `target=level` directive",
                LOG_LEVELS.join(", ")
            ),
        )
    };
    if !level.contains(',') && !level.contains('=') {
        // A single word: a level (a lone target name is almost always a typo of one).
        if !is_level(level) {
            out.push(bad(level));
        }
        return;
    }
    for directive in level.split(',').map(str::trim) {
        let ok = match directive.rsplit_once('=') {
            Some((target, lvl)) => !target.is_empty() && is_level(lvl.trim()),
            None => !directive.is_empty(),
        };
        if !ok {
            out.push(bad(directive));
        }
    }
}

fn check_auth(config: &Config, out: &mut Vec<Issue>) {
    if config.auth.scram_iterations < MIN_SCRAM_ITERATIONS {
        out.push(Issue::new(
            &["auth", "scram_iterations"],
            format!(
                "must be at least {MIN_SCRAM_ITERATIONS}, got {}",
                config.auth.scram_iterations
            ),
        ));
    }
}

fn check_user(config: &Config, name: &str, user: &UserConfig, out: &mut Vec<Issue>) {
    if name.is_empty() {
        out.push(Issue::new(&["users", name], "user name must not be empty"));
    }
    let kind = verifier_kind(&user.password);
    if user.password.is_empty() {
        if user.mysql_password.is_none() {
            out.push(Issue::new(
                &["users", name, "password"],
                "is missing; set password (for PostgreSQL clients), mysql_password (for MySQL \
                 clients) or both, with verifiers made by `articdbm hash-password --toml`",
            ));
        }
    } else if kind.is_none() {
        let message = if user.password.starts_with("SCRAM-SHA-256$") {
            "is a malformed SCRAM-SHA-256 verifier (expected \
             SCRAM-SHA-256$<iterations>:<salt>$<stored_key>:<server_key>); \
             make one with `articdbm hash-password`"
        } else if user.password.starts_with("md5") {
            "is a malformed md5 verifier (expected `md5` and 32 lowercase hex digits); \
             make one with `articdbm hash-password`"
        } else if mysql_verifier_kind(&user.password).is_some() {
            "is a MySQL verifier; move it to mysql_password (password holds the \
             SCRAM-SHA-256 or md5 verifier for PostgreSQL clients)"
        } else {
            "looks like a plaintext password, which is not allowed; store a verifier \
             instead: run `articdbm hash-password` and paste its output here"
        };
        out.push(Issue::new(&["users", name, "password"], message));
    }
    if let Some(mysql) = &user.mysql_password {
        check_mysql_password(name, mysql, out);
    }
    match (user.method, kind) {
        (Some(method), Some(kind)) if method != kind => out.push(Issue::new(
            &["users", name, "method"],
            format!(
                "\"{method}\" cannot be used with a {} verifier in password",
                verifier_label(kind)
            ),
        )),
        (Some(_), None) if user.password.is_empty() => out.push(Issue::new(
            &["users", name, "method"],
            "applies to password, which is not set (this user can log in over MySQL only); \
             remove method or set password",
        )),
        _ => {}
    }
    let has_wildcard = config.databases.contains_key(WILDCARD);
    for db in &user.databases {
        let named = config
            .databases
            .iter()
            .any(|(key, entry)| entry.client_name(key) == db);
        let known = has_wildcard || named || *db == config.admin.database;
        if !known {
            out.push(Issue::new(
                &["users", name, "databases"],
                format!("unknown database `{db}` (not a key of [databases], and there is no \"*\" entry)"),
            ));
        }
    }
    if let Some(db) = &user.default_database {
        let served_over_mysql = config
            .databases
            .iter()
            .any(|(key, d)| d.client_name(key) == db && d.kind.served_over(FrontEnd::Mysql));
        if !served_over_mysql {
            out.push(Issue::new(
                &["users", name, "default_database"],
                format!(
                    "`{db}` is not a key of [databases] served over MySQL (kind \"mysql\", \
                     \"galera\" or \"sqlite\")"
                ),
            ));
        } else if !user.may_use_database(db) {
            out.push(Issue::new(
                &["users", name, "default_database"],
                format!("`{db}` is not in this user's databases"),
            ));
        }
    }
    if user.max_connections == Some(0) {
        out.push(Issue::new(
            &["users", name, "max_connections"],
            "must be at least 1 (leave it out for no limit)",
        ));
    }
}

/// Shape of `users.<name>.mysql_password`.
fn check_mysql_password(name: &str, verifier: &str, out: &mut Vec<Issue>) {
    if mysql_verifier_kind(verifier).is_some() {
        return;
    }
    let message = if verifier.is_empty() {
        "must not be empty (leave it out if the user has no MySQL verifier)"
    } else if verifier.starts_with("mysql_native$") {
        "is a malformed mysql_native_password verifier (expected `mysql_native$` and 40 \
         lowercase hex digits); make one with `articdbm hash-password --method mysql-native`"
    } else if verifier.starts_with('*') {
        "is a malformed MySQL password hash (expected `*` and 40 hex digits, as in \
         mysql.user); or make a verifier with `articdbm hash-password --method mysql-native`"
    } else if verifier.starts_with("caching_sha2$") {
        "is a malformed caching_sha2_password verifier (expected `caching_sha2$` and 64 \
         lowercase hex digits); make one with `articdbm hash-password --method caching-sha2`"
    } else if verifier_kind(verifier).is_some() {
        "is a PostgreSQL verifier; move it to password, and make a MySQL verifier with \
         `articdbm hash-password --method caching-sha2`"
    } else {
        "looks like a plaintext password, which is not allowed; store a verifier instead: \
         run `articdbm hash-password --method caching-sha2` and paste its output here"
    };
    out.push(Issue::new(&["users", name, "mysql_password"], message));
}

fn verifier_label(kind: AuthMethod) -> &'static str {
    match kind {
        AuthMethod::ScramSha256 => "SCRAM-SHA-256",
        AuthMethod::Md5 => "md5",
    }
}

fn check_database(config: &Config, name: &str, db: &DatabaseConfig, out: &mut Vec<Issue>) {
    if name.is_empty() {
        out.push(Issue::new(
            &["databases", name],
            "database name must not be empty",
        ));
    }
    // host "" and port 0 mean "not set" (the file rejects them when written explicitly).
    if !db.host.is_empty() && db.host.trim().is_empty() {
        out.push(Issue::new(
            &["databases", name, "host"],
            "must not be empty",
        ));
    }
    check_nodes(name, db, out);
    check_galera_settings(name, db, out);
    check_sqlite(name, db, out);
    match &db.dbname {
        Some(_) if name == WILDCARD => out.push(Issue::new(
            &["databases", name, "dbname"],
            "cannot be set on the \"*\" wildcard (it always uses the name the client asked for)",
        )),
        Some(dbname) if dbname.is_empty() => out.push(Issue::new(
            &["databases", name, "dbname"],
            "must not be empty (leave it out to use the key name)",
        )),
        _ => {}
    }
    if db.user.as_deref() == Some("") {
        out.push(Issue::new(
            &["databases", name, "user"],
            "must not be empty (leave it out to use the client's user name)",
        ));
    }
    if db.password_env.as_deref() == Some("") {
        out.push(Issue::new(
            &["databases", name, "password_env"],
            "must name an environment variable",
        ));
    }
    if db
        .password_file
        .as_deref()
        .is_some_and(|p| p.as_os_str().is_empty())
    {
        out.push(Issue::new(
            &["databases", name, "password_file"],
            "must name a file",
        ));
    }
    if db.password_env.is_some() && db.password_file.is_some() {
        out.push(Issue::new(
            &["databases", name, "password_file"],
            "cannot be set together with password_env; choose one",
        ));
    }
    let merged = config.pool_for(db);
    let overrides: &PoolOverrides = &db.pool;
    check_pool(
        &merged,
        &["databases", name, "pool"],
        &|field| overrides.is_set(field),
        out,
    );
}

/// `nodes` against `kind`, `host` and `port`, and the shape of each node.
fn check_nodes(name: &str, db: &DatabaseConfig, out: &mut Vec<Issue>) {
    let at = |key: &'static str| ["databases", name, key];
    if db.nodes.is_empty() {
        if db.kind == DatabaseKind::Galera {
            out.push(Issue::new(
                &at("nodes"),
                "is required for kind = \"galera\": list the cluster's servers, \
                 nodes = [\"host:port\", ...] (at least one)",
            ));
        }
        return;
    }
    if db.kind == DatabaseKind::Postgres {
        out.push(Issue::new(
            &at("nodes"),
            "is only for kind = \"mysql\" or \"galera\"; a PostgreSQL backend is host and \
             port",
        ));
    }
    if !db.host.is_empty() {
        out.push(Issue::new(
            &at("host"),
            "cannot be set together with nodes; list every server in nodes as \"host:port\"",
        ));
    }
    if db.port != 0 {
        out.push(Issue::new(
            &at("port"),
            "cannot be set together with nodes; list every server in nodes as \"host:port\"",
        ));
    }
    let mut seen: Vec<BackendAddr> = Vec::with_capacity(db.nodes.len());
    for node in &db.nodes {
        match node.parse::<BackendAddr>() {
            Err(message) => out.push(Issue::new(&at("nodes"), message)),
            Ok(addr) if seen.contains(&addr) => {
                out.push(Issue::new(
                    &at("nodes"),
                    format!("`{node}` is listed twice"),
                ));
            }
            Ok(addr) => seen.push(addr),
        }
    }
    if db.kind == DatabaseKind::Mysql && db.nodes.len() > 1 {
        out.push(Issue::new(
            &at("nodes"),
            format!(
                "lists {} servers, but kind = \"mysql\" is a single server: to use them as a \
                 Galera cluster set kind = \"galera\" (or the environment variable \
                 GALERA_MODE=true); otherwise list one node",
                db.nodes.len()
            ),
        ));
    }
}

/// `galera_*` keys: only on Galera clusters, and in range.
fn check_galera_settings(name: &str, db: &DatabaseConfig, out: &mut Vec<Issue>) {
    let set = [
        ("galera_allow_donor", db.galera_allow_donor.is_some()),
        ("galera_sync_wait", db.galera_sync_wait.is_some()),
        (
            "galera_check_interval_ms",
            db.galera_check_interval_ms.is_some(),
        ),
        (
            "galera_max_failed_polls",
            db.galera_max_failed_polls.is_some(),
        ),
    ];
    if db.kind != DatabaseKind::Galera {
        for (key, _) in set.iter().filter(|(_, is_set)| *is_set) {
            out.push(Issue::new(
                &["databases", name, key],
                format!(
                    "is only for Galera clusters, and this database is kind = \"{}\"; set \
                     kind = \"galera\" (or kind = \"mysql\" with nodes and the environment \
                     variable GALERA_MODE=true), or remove it",
                    db.kind
                ),
            ));
        }
        return;
    }
    if let Some(wait) = db.galera_sync_wait
        && wait > MAX_GALERA_SYNC_WAIT
    {
        out.push(Issue::new(
            &["databases", name, "galera_sync_wait"],
            format!("must be between 0 (off) and {MAX_GALERA_SYNC_WAIT}, got {wait}"),
        ));
    }
    if let Some(ms) = db.galera_check_interval_ms
        && ms < MIN_GALERA_CHECK_INTERVAL_MS
    {
        out.push(Issue::new(
            &["databases", name, "galera_check_interval_ms"],
            format!("must be at least {MIN_GALERA_CHECK_INTERVAL_MS}, got {ms}"),
        ));
    }
    if let Some(n) = db.galera_max_failed_polls
        && !(1..=MAX_GALERA_MAX_FAILED_POLLS).contains(&n)
    {
        out.push(Issue::new(
            &["databases", name, "galera_max_failed_polls"],
            format!("must be between 1 and {MAX_GALERA_MAX_FAILED_POLLS}, got {n}"),
        ));
    }
}

/// Keys of an embedded SQLite database (`path`, `busy_timeout_ms`, `max_connections`) only on
/// kind `"sqlite"`, and the network and login keys never on it.
fn check_sqlite(name: &str, db: &DatabaseConfig, out: &mut Vec<Issue>) {
    let at = |key: &'static str| ["databases", name, key];
    if db.kind != DatabaseKind::Sqlite {
        let set = [
            ("path", db.path.is_some()),
            ("busy_timeout_ms", db.busy_timeout_ms.is_some()),
            ("max_connections", db.max_connections.is_some()),
        ];
        for (key, _) in set.iter().filter(|(_, is_set)| *is_set) {
            out.push(Issue::new(
                &at(key),
                format!(
                    "is only for kind = \"sqlite\", and this database is kind = \"{}\"",
                    db.kind
                ),
            ));
        }
        return;
    }
    if name == WILDCARD {
        out.push(Issue::new(
            &at("kind"),
            "\"sqlite\" cannot be used on the \"*\" wildcard (it would create a file for every \
             name a client asks for); give each SQLite database its own entry",
        ));
    }
    let unused = [
        ("host", !db.host.is_empty()),
        ("port", db.port != 0),
        ("nodes", !db.nodes.is_empty()),
        ("dbname", db.dbname.is_some()),
        ("user", db.user.is_some()),
        ("password_env", db.password_env.is_some()),
        ("password_file", db.password_file.is_some()),
    ];
    for (key, _) in unused.iter().filter(|(_, is_set)| *is_set) {
        out.push(Issue::new(
            &at(key),
            "is not used by kind = \"sqlite\" (an embedded database file: set path, or leave \
             it out for \"<name>.db\" in data_dir); remove it",
        ));
    }
    if db.path.as_deref().is_some_and(|p| p.as_os_str().is_empty()) {
        out.push(Issue::new(
            &at("path"),
            "must name a file (leave it out for \"<name>.db\" in data_dir)",
        ));
    }
    if db.busy_timeout_ms == Some(0) {
        out.push(Issue::new(
            &at("busy_timeout_ms"),
            "must be at least 1 (writers queue for this long instead of failing at once)",
        ));
    }
    if db.max_connections == Some(0) {
        out.push(Issue::new(&at("max_connections"), "must be at least 1"));
    }
}

/// Two SQLite databases must not share one file: each keeps its own writer lock.
/// Databases on one Galera cluster share its node monitor and writer: those that list a common
/// node must list the same nodes, in the same order, and agree on how nodes are judged.
fn check_galera_clusters(config: &Config, out: &mut Vec<Issue>) {
    let mut seen: Vec<(&str, Vec<BackendAddr>, &DatabaseConfig)> = Vec::new();
    for (name, db) in &config.databases {
        if db.galera().is_none() {
            continue;
        }
        let nodes = db.backends();
        let Some((other, other_nodes, other_db)) = seen
            .iter()
            .find(|(_, n, _)| n.iter().any(|a| nodes.contains(a)))
        else {
            seen.push((name, nodes, db));
            continue;
        };
        if *other_nodes != nodes {
            out.push(Issue::new(
                &["databases", name, "nodes"],
                format!(
                    "shares a node with databases.{other}, so it is the same Galera cluster:                      list the same nodes in the same order"
                ),
            ));
            continue;
        }
        let differs = [
            (
                "galera_allow_donor",
                db.galera_allow_donor != other_db.galera_allow_donor,
            ),
            (
                "galera_check_interval_ms",
                db.galera_check_interval_ms != other_db.galera_check_interval_ms,
            ),
            (
                "galera_max_failed_polls",
                db.galera_max_failed_polls != other_db.galera_max_failed_polls,
            ),
        ];
        for (key, _) in differs.iter().filter(|(_, d)| *d) {
            out.push(Issue::new(
                &["databases", name, key],
                format!(
                    "differs from databases.{other}, which lists the same Galera nodes: one \
                     cluster has one node monitor, set it the same on both"
                ),
            ));
        }
    }
}

fn check_sqlite_files(config: &Config, out: &mut Vec<Issue>) {
    let mut seen: Vec<(std::path::PathBuf, &str)> = Vec::new();
    for (name, db) in &config.databases {
        let Some(settings) = db.sqlite(name, &config.data_dir) else {
            continue;
        };
        match seen.iter().find(|(path, _)| *path == settings.path) {
            Some((_, other)) => out.push(Issue::new(
                &["databases", name, "path"],
                format!(
                    "`{}` is also the file of databases.{other}; give each SQLite database a \
                     file of its own",
                    settings.path.display()
                ),
            )),
            None => seen.push((settings.path, name)),
        }
    }
}
