//! What a reload changed, in one line for the log: databases and users added, removed or
//! changed, and which sections (`proxy`, `tls`, `pool`, `admin`, `logging`, `auth`, `data_dir`)
//! differ. Compares two loaded configurations; never shows a value (they may be secrets).

use std::collections::BTreeMap;
use std::fmt;

use articdbm_config::Config;

/// Keys added, removed and changed in one map of the configuration.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct KeyChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl KeyChanges {
    fn between<V: PartialEq>(was: &BTreeMap<String, V>, now: &BTreeMap<String, V>) -> Self {
        let mut out = KeyChanges::default();
        for (key, value) in now {
            match was.get(key) {
                None => out.added.push(key.clone()),
                Some(old) if old != value => out.changed.push(key.clone()),
                Some(_) => {}
            }
        }
        out.removed = was
            .keys()
            .filter(|k| !now.contains_key(*k))
            .cloned()
            .collect();
        out
    }

    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, what: &str) -> fmt::Result {
        write!(f, "{what}")?;
        for (label, keys) in [
            ("added", &self.added),
            ("removed", &self.removed),
            ("changed", &self.changed),
        ] {
            if !keys.is_empty() {
                write!(f, " {label} {}", keys.join(","))?;
            }
        }
        Ok(())
    }
}

/// Everything a reload changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ConfigChanges {
    pub databases: KeyChanges,
    pub users: KeyChanges,
    /// Names of top-level sections that differ (`proxy`, `tls`, `pool`, ...).
    pub sections: Vec<&'static str>,
}

impl ConfigChanges {
    pub fn between(was: &Config, now: &Config) -> Self {
        let mut sections = Vec::new();
        let differ = [
            ("data_dir", was.data_dir != now.data_dir),
            ("proxy", was.proxy != now.proxy),
            ("tls", was.tls != now.tls),
            ("pool", was.pool != now.pool),
            ("admin", was.admin != now.admin),
            ("logging", was.logging != now.logging),
            ("auth", was.auth != now.auth),
        ];
        for (name, changed) in differ {
            if changed {
                sections.push(name);
            }
        }
        ConfigChanges {
            databases: KeyChanges::between(&was.databases, &now.databases),
            users: KeyChanges::between(&was.users, &now.users),
            sections,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.databases.is_empty() && self.users.is_empty() && self.sections.is_empty()
    }
}

impl fmt::Display for ConfigChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("nothing changed");
        }
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            let out = if first { Ok(()) } else { f.write_str("; ") };
            first = false;
            out
        };
        if !self.databases.is_empty() {
            sep(f)?;
            self.databases.write(f, "databases:")?;
        }
        if !self.users.is_empty() {
            sep(f)?;
            self.users.write(f, "users:")?;
        }
        if !self.sections.is_empty() {
            sep(f)?;
            write!(f, "changed sections: {}", self.sections.join(","))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_added_removed_changed() {
        let env = articdbm_config::Env::empty();
        let was = articdbm_config::load_str(
            "[databases.a]\n[databases.b]\nport = 1\n[databases.c]\n",
            &env,
        )
        .expect("was");
        let now = articdbm_config::load_str(
            "[pool]\nsize = 3\n[tls]\nmode = \"disabled\"\n[databases.a]\n[databases.b]\nport = 2\n[databases.d]\n",
            &env,
        )
        .expect("now");
        let changes = ConfigChanges::between(&was, &now);
        assert_eq!(
            changes.to_string(),
            "databases: added d removed c changed b; changed sections: tls,pool"
        );
        assert_eq!(
            ConfigChanges::between(&now, &now).to_string(),
            "nothing changed"
        );
    }
}
