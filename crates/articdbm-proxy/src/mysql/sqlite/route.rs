//! Which MySQL logins go to an embedded SQLite database: a schema that names a
//! `kind = "sqlite"` database, or no schema when no MySQL/Galera database is configured and
//! exactly one SQLite database is (the zero-configuration start serves one).

use articdbm_config::{Config, WILDCARD};

/// The SQLite database a MySQL client asking for `schema` uses, if any.
pub fn sqlite_database(config: &Config, schema: Option<&str>) -> Option<String> {
    match schema.filter(|s| !s.is_empty()) {
        Some(name) => config
            .databases
            .get(name)
            .filter(|db| db.kind.is_sqlite())
            .map(|_| name.to_string()),
        None => {
            let mut mysql = config
                .databases
                .iter()
                .filter(|(name, db)| db.kind.is_mysql() && name.as_str() != WILDCARD);
            if mysql.next().is_some() {
                return None;
            }
            let mut sqlite = config
                .databases
                .iter()
                .filter(|(_, db)| db.kind.is_sqlite());
            match (sqlite.next(), sqlite.next()) {
                (Some((name, _)), None) => Some(name.clone()),
                _ => None,
            }
        }
    }
}

/// The SQLite databases a user may see (`SHOW DATABASES`), by name.
pub fn sqlite_databases(config: &Config) -> Vec<String> {
    let mut names: Vec<String> = config
        .databases
        .iter()
        .filter(|(_, db)| db.kind.is_sqlite())
        .map(|(name, _)| name.clone())
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "mysql_native$6bb4837eb74329105ee4568dda7dc67ed2ca2ad9";

    fn config(toml: &str) -> Config {
        articdbm_config::load_str(toml, &articdbm_config::Env::default()).expect("config")
    }

    #[test]
    fn picks_sqlite_databases() {
        let one = config(&format!(
            "[users.u]\nmysql_password = \"{VERIFIER}\"\n[databases.lite]\nkind = \"sqlite\"\npath = \"/tmp/articdbm-route-test.db\"\n"
        ));
        assert_eq!(sqlite_database(&one, None).as_deref(), Some("lite"));
        assert_eq!(sqlite_database(&one, Some("lite")).as_deref(), Some("lite"));
        assert_eq!(sqlite_database(&one, Some("other")), None);
        let mixed = config(
            "[databases.lite]\nkind = \"sqlite\"\npath = \"/tmp/articdbm-route-test.db\"\n[databases.m]\nkind = \"mysql\"\nhost = \"127.0.0.1\"\n",
        );
        assert_eq!(sqlite_database(&mixed, None), None);
        assert_eq!(sqlite_database(&mixed, Some("m")), None);
        assert_eq!(sqlite_databases(&mixed), ["lite"]);
    }
}
