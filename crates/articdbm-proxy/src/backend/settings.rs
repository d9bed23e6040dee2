//! Session-level run-time parameters (`SET`, `set_config(..., false)`, startup parameters) as
//! the proxy knows them: for a client, the values it has set and wants on every server
//! connection it borrows; for a server connection, the values the proxy knows are set on it.
//! Owns the SQL that reads a server's session settings (`capture_sql`) and the SQL that turns
//! one set into another (`Settings::replay_script`), for any parameter, not a fixed list.

use std::hash::{Hash, Hasher};

/// Parameters whose session value cannot be set again by `set_config` on a server connection of
/// the proxy, or that only describe the server.
const NOT_REPLAYED: &[&str] = &[
    "transaction_isolation",
    "transaction_read_only",
    "transaction_deferrable",
    "is_superuser",
    "server_version",
    "server_encoding",
    "integer_datetimes",
    "in_hot_standby",
];

/// An ordered set of `name = value` session settings (names compared case-insensitively), with
/// an order-independent fingerprint so that "does this server already have what the client
/// wants?" is one integer comparison on the checkout path.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    entries: Vec<(String, String)>,
    fingerprint: u64,
}

impl PartialEq for Settings {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
            && self.entries.len() == other.entries.len()
            && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Eq for Settings {}

impl Settings {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Sets `name` (a parameter the proxy never replays is ignored).
    pub fn set(&mut self, name: &str, value: &str) {
        if NOT_REPLAYED.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return;
        }
        match self
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            Some(e) => value.clone_into(&mut e.1),
            None => self.entries.push((name.to_owned(), value.to_owned())),
        }
        self.refresh();
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.refresh();
    }

    fn refresh(&mut self) {
        // A sum of per-entry hashes does not depend on the order of the entries.
        self.fingerprint = self.entries.iter().fold(0u64, |acc, (k, v)| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            k.to_ascii_lowercase().hash(&mut h);
            v.hash(&mut h);
            acc.wrapping_add(h.finish())
        });
    }

    /// The settings read back from a server by [`capture_sql`]: rows of (name, value).
    pub fn from_rows(rows: impl IntoIterator<Item = (String, String)>) -> Settings {
        let mut s = Settings::default();
        for (k, v) in rows {
            s.set(&k, &v);
        }
        s
    }

    /// `self` with `over`'s values added or replacing its own.
    pub fn overlaid(&self, over: &Settings) -> Settings {
        let mut s = self.clone();
        for (k, v) in over.iter() {
            s.set(k, v);
        }
        s
    }

    /// One simple-protocol script that turns a server whose session settings are `current` into
    /// one with `self`'s: `RESET` for what `self` lacks, `set_config` for what differs (it takes
    /// the value as the server reports it, list values such as `search_path` included). `None`
    /// when there is nothing to do. The role comes last, so that the other settings are made
    /// with the login role's privileges.
    pub fn replay_script(&self, current: &Settings) -> Option<String> {
        if self == current {
            return None;
        }
        let mut sql = String::new();
        for (k, _) in current.iter().filter(|(k, _)| self.get(k).is_none()) {
            sql.push_str("RESET ");
            push_name(&mut sql, k);
            sql.push(';');
        }
        let mut changed: Vec<(&str, &str)> = self
            .iter()
            .filter(|(k, v)| current.get(k) != Some(*v))
            .collect();
        changed.sort_by_key(|(k, _)| role_rank(k));
        if !changed.is_empty() {
            sql.push_str("SELECT ");
            for (i, (k, v)) in changed.into_iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str("set_config(");
                push_literal(&mut sql, k);
                sql.push_str(", ");
                push_literal(&mut sql, v);
                sql.push_str(", false)");
            }
            sql.push(';');
        }
        (!sql.is_empty()).then_some(sql)
    }
}

fn role_rank(name: &str) -> u8 {
    if name.eq_ignore_ascii_case("session_authorization") {
        1
    } else if name.eq_ignore_ascii_case("role") {
        2
    } else {
        0
    }
}

/// The query that reads a server's session-level settings as (name, value) rows: what
/// `pg_settings` shows with source `session`, plus the `extra` names it does not show (custom
/// `prefix.name` parameters, `role`, `session_authorization`), as `current_setting` gives them.
pub fn capture_sql<'a>(extra: impl IntoIterator<Item = &'a str>) -> String {
    let mut sql =
        String::from("SELECT name, setting FROM pg_catalog.pg_settings WHERE source = 'session'");
    let mut names = extra.into_iter().peekable();
    if names.peek().is_some() {
        sql.push_str(
            " UNION ALL SELECT n, v FROM (SELECT n, pg_catalog.current_setting(n, true) AS v \
             FROM pg_catalog.unnest(ARRAY[",
        );
        for (i, n) in names.enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            push_literal(&mut sql, n);
        }
        sql.push_str(
            "]::text[]) AS n) AS x WHERE v IS NOT NULL AND NOT EXISTS (SELECT FROM \
             pg_catalog.pg_settings s WHERE lower(s.name) = lower(x.n))",
        );
    }
    sql
}

/// A parameter name as an SQL name: each dot-separated part double-quoted.
fn push_name(out: &mut String, name: &str) {
    for (i, part) in name.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push('"');
        out.push_str(&part.replace('"', "\"\""));
        out.push('"');
    }
}

/// An escape-string literal, read the same whatever `standard_conforming_strings` is.
fn push_literal(out: &mut String, v: &str) {
    out.push_str("E'");
    for c in v.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        Settings::from_rows(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn equality_ignores_order_and_name_case() {
        let a = settings(&[("TimeZone", "UTC"), ("work_mem", "8MB")]);
        let b = settings(&[("work_mem", "8MB"), ("timezone", "UTC")]);
        assert_eq!(a, b);
        assert_eq!(a.replay_script(&b), None);
        assert_ne!(a, settings(&[("TimeZone", "UTC")]));
        assert_ne!(a, settings(&[("TimeZone", "UTC"), ("work_mem", "9MB")]));
    }

    #[test]
    fn script_resets_extras_and_sets_differences() {
        let want = settings(&[
            ("role", "r"),
            ("search_path", "\"$user\", it's\\x"),
            ("work_mem", "8MB"),
        ]);
        let current = settings(&[("work_mem", "8MB"), ("my.tenant", "b")]);
        assert_eq!(
            want.replay_script(&current).as_deref(),
            Some(
                "RESET \"my\".\"tenant\";SELECT set_config(E'search_path', \
                 E'\"$user\", it''s\\\\x', false), set_config(E'role', E'r', false);"
            )
        );
        assert_eq!(
            Settings::default().replay_script(&current).as_deref(),
            Some("RESET \"work_mem\";RESET \"my\".\"tenant\";")
        );
    }

    #[test]
    fn never_replays_transaction_or_server_facts() {
        let s = settings(&[
            ("transaction_isolation", "serializable"),
            ("is_superuser", "on"),
        ]);
        assert!(s.is_empty());
    }

    #[test]
    fn capture_names_extra_parameters() {
        assert!(!capture_sql([]).contains("unnest"));
        assert!(capture_sql(["my.tenant", "role"]).contains("ARRAY[E'my.tenant', E'role']"));
    }
}
