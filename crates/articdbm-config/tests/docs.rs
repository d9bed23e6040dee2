//! `docs/CONFIG.md` documents every key (with its environment name) and embeds the shipped
//! example verbatim.

use std::path::PathBuf;

use articdbm_config::{Config, DatabaseConfig, UserConfig};

fn repo_file(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A config where every optional key is set, so serializing it shows every key.
fn every_key() -> Config {
    let mut config = Config::default();
    config.tls.cert = Some("c.pem".into());
    config.tls.key = Some("k.pem".into());
    config.users.insert(
        "u".into(),
        UserConfig {
            method: Some(articdbm_config::AuthMethod::Md5),
            mysql_password: Some("caching_sha2$".into()),
            max_connections: Some(1),
            default_database: Some("d".into()),
            ..UserConfig::default()
        },
    );
    let mut db = DatabaseConfig {
        host: "h".into(),
        port: 1,
        nodes: vec!["n:1".into()],
        galera_allow_donor: Some(true),
        galera_sync_wait: Some(1),
        galera_check_interval_ms: Some(1000),
        galera_max_failed_polls: Some(3),
        path: Some("d.db".into()),
        busy_timeout_ms: Some(5000),
        max_connections: Some(16),
        name: Some("dd".into()),
        dbname: Some("d".into()),
        user: Some("u".into()),
        password_env: Some("E".into()),
        password_file: Some("f".into()),
        ..DatabaseConfig::default()
    };
    db.pool = toml::from_str(&toml::to_string(&config.pool).expect("ser")).expect("de");
    config.databases.insert("d".into(), db);
    config
}

#[test]
fn every_key_is_documented_with_its_env_name() {
    let docs = repo_file("docs/CONFIG.md");
    let tree: toml::Table =
        toml::from_str(&toml::to_string(&every_key()).expect("ser")).expect("de");
    let mut missing = Vec::new();
    let mut checked = 0;
    for (section, value) in &tree {
        let Some(table) = value.as_table() else {
            if !docs.contains(&format!("`ARTICDBM_{}`", section.to_uppercase())) {
                missing.push(section.clone());
            }
            continue;
        };
        let (env_section, keys) = match section.as_str() {
            "users" => ("USERS__<NAME>", table["u"].as_table().expect("user")),
            "databases" => ("DATABASES__<NAME>", table["d"].as_table().expect("db")),
            _ => (section.as_str(), table),
        };
        let env_section = env_section.to_uppercase();
        for (key, value) in keys {
            if value.is_table() {
                continue; // databases.<name>.pool: documented as "every key of [pool]"
            }
            checked += 1;
            let env = format!("ARTICDBM_{env_section}__{}", key.to_uppercase());
            if !docs.contains(&format!("| `{key}` |")) || !docs.contains(&env) {
                missing.push(format!("{section}.{key} ({env})"));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented keys: {missing:?}");
    assert!(checked >= 47, "only {checked} keys checked");
}

#[test]
fn docs_embed_the_example() {
    let docs = repo_file("docs/CONFIG.md");
    let example = repo_file("examples/articdbm.toml");
    assert!(
        docs.contains(&format!("```toml\n{example}```")),
        "docs/CONFIG.md must end with examples/articdbm.toml verbatim"
    );
}
