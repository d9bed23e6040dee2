//! Semantic validation of a deserialized [`Config`]: ranges, cross-field rules, references
//! between sections, verifier shapes. Pure (no I/O); every problem is collected, none stops
//! the others. File and environment checks (TLS files, backend secrets) live in the loader.

use crate::auth::{AuthMethod, MIN_SCRAM_ITERATIONS};
use crate::config::Config;
use crate::database::{DatabaseConfig, WILDCARD};
use crate::error::Problem;
use crate::keypath;
use crate::pool::{PoolOverrides, PoolSettings};
use crate::proxy::{MAX_CLIENT_MESSAGE_BYTES, MIN_CLIENT_MESSAGE_BYTES};
use crate::tls::TlsMode;
use crate::user::{UserConfig, verifier_kind};

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
    out
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
        out.push(Issue::new(
            &["users", name, "password"],
            "is missing; set a password verifier made with `articdbm hash-password`",
        ));
    } else if kind.is_none() {
        let message = if user.password.starts_with("SCRAM-SHA-256$") {
            "is a malformed SCRAM-SHA-256 verifier (expected \
             SCRAM-SHA-256$<iterations>:<salt>$<stored_key>:<server_key>); \
             make one with `articdbm hash-password`"
        } else if user.password.starts_with("md5") {
            "is a malformed md5 verifier (expected `md5` and 32 lowercase hex digits); \
             make one with `articdbm hash-password`"
        } else {
            "looks like a plaintext password, which is not allowed; store a verifier \
             instead: run `articdbm hash-password` and paste its output here"
        };
        out.push(Issue::new(&["users", name, "password"], message));
    }
    if let (Some(method), Some(kind)) = (user.method, kind)
        && method != kind
    {
        out.push(Issue::new(
            &["users", name, "method"],
            format!(
                "\"{method}\" cannot be used with a {} verifier in password",
                verifier_label(kind)
            ),
        ));
    }
    let has_wildcard = config.databases.contains_key(WILDCARD);
    for db in &user.databases {
        let known =
            has_wildcard || config.databases.contains_key(db) || *db == config.admin.database;
        if !known {
            out.push(Issue::new(
                &["users", name, "databases"],
                format!("unknown database `{db}` (not a key of [databases], and there is no \"*\" entry)"),
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
    if db.host.trim().is_empty() {
        out.push(Issue::new(
            &["databases", name, "host"],
            "must not be empty",
        ));
    }
    if db.port == 0 {
        out.push(Issue::new(&["databases", name, "port"], "must not be 0"));
    }
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
