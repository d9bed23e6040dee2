//! The run-time parameters of one SQLite session as PostgreSQL clients see them: what is
//! reported at login (ParameterStatus), and what `SHOW`, `SET`, `RESET` and `DISCARD ALL`
//! read and change. Defaults come from the catalog emulation's settings table, so `SHOW x`,
//! `current_setting('x')` and `pg_settings` agree.

use std::collections::BTreeMap;

use super::parameter_values::{ValueError, canonical};
use crate::sqlite::translate::catalog::settings::{SETTINGS, setting_default};

/// Parameters a server reports with ParameterStatus, in their canonical spelling.
const REPORTED: &[&str] = &[
    "application_name",
    "client_encoding",
    "DateStyle",
    "default_transaction_read_only",
    "in_hot_standby",
    "integer_datetimes",
    "IntervalStyle",
    "is_superuser",
    "server_encoding",
    "server_version",
    "session_authorization",
    "standard_conforming_strings",
    "TimeZone",
];

/// The session's parameters: its own values over the defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    user: String,
    startup: BTreeMap<String, String>,
    values: BTreeMap<String, String>,
    /// The first startup value the server would refuse (the login fails with it).
    invalid: Option<ValueError>,
}

impl Settings {
    /// The parameters of a new session: defaults, then what the client sent at startup
    /// (`options` excluded).
    pub fn new(user: &str, startup: &[(String, String)]) -> Self {
        let mut s = Settings {
            user: user.to_owned(),
            startup: BTreeMap::new(),
            values: BTreeMap::new(),
            invalid: None,
        };
        for (k, v) in startup {
            let key = k.to_ascii_lowercase();
            if matches!(
                key.as_str(),
                "user" | "database" | "options" | "replication"
            ) {
                continue;
            }
            let v = match canonical(&key, v) {
                Ok(v) => v,
                Err(e) => {
                    s.invalid.get_or_insert(e);
                    continue;
                }
            };
            s.startup.insert(key.clone(), v.clone());
            s.values.insert(key, v);
        }
        s
    }

    /// The error that fails the login, if a startup value is one the server would refuse.
    pub fn startup_error(&self) -> Option<&ValueError> {
        self.invalid.as_ref()
    }

    /// The current value of `name` (case-insensitive), `None` if unknown.
    pub fn get(&self, name: &str) -> Option<String> {
        let key = name.to_ascii_lowercase();
        if let Some(v) = self.values.get(&key) {
            return Some(v.clone());
        }
        if key == "session_authorization" {
            return Some(self.user.clone());
        }
        setting_default(&key).map(str::to_owned)
    }

    /// Sets `name`; returns the canonical name to report with ParameterStatus, if it is one.
    pub fn set(&mut self, name: &str, value: &str) -> Option<&'static str> {
        let key = name.to_ascii_lowercase();
        self.values.insert(key.clone(), value.to_owned());
        reported(&key)
    }

    /// Back to the startup value or the default; returns the name to report, if any.
    pub fn reset(&mut self, name: &str) -> Option<&'static str> {
        let key = name.to_ascii_lowercase();
        match self.startup.get(&key) {
            Some(v) => {
                self.values.insert(key.clone(), v.clone());
            }
            None => {
                self.values.remove(&key);
            }
        }
        reported(&key)
    }

    /// Every parameter back to its startup value or default; the names to report.
    pub fn reset_all(&mut self) -> Vec<&'static str> {
        let changed: Vec<String> = self.values.keys().cloned().collect();
        self.values = self.startup.clone();
        changed.iter().filter_map(|k| reported(k)).collect()
    }

    /// What the login reports: `(name, value)` for every reported parameter.
    pub fn reported(&self) -> Vec<(&'static str, String)> {
        REPORTED
            .iter()
            .map(|name| (*name, self.get(name).unwrap_or_default()))
            .collect()
    }

    /// `SHOW ALL`: every known parameter with its value, sorted by name.
    pub fn all(&self) -> Vec<(String, String)> {
        let mut names: Vec<String> = SETTINGS.iter().map(|(n, _)| (*n).to_owned()).collect();
        names.extend(self.values.keys().cloned());
        names.push("session_authorization".into());
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|n| {
                let v = self.get(&n).unwrap_or_default();
                (n, v)
            })
            .collect()
    }
}

/// The canonical reported spelling of a lower-case name.
fn reported(key: &str) -> Option<&'static str> {
    REPORTED
        .iter()
        .copied()
        .find(|r| r.eq_ignore_ascii_case(key))
}
