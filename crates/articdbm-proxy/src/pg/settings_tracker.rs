//! One PostgreSQL client's session state as the proxy keeps it across server connections: the
//! settings from its startup packet (every parameter, `options` `-c` included), the settings it
//! has now (replayed on every server it borrows in transaction mode), and whether its session
//! is pinned to its server by state that cannot move (SQL `PREPARE`, `LISTEN`, temporary
//! tables...), as the MySQL side does.
//!
//! Settings are never guessed from the SQL text: a statement that changes settings only marks
//! them unknown, and before the server goes back to the pool the proxy reads the server's
//! session settings (`backend::settings::capture_sql`). That is exact whatever happened in
//! between: a rollback, a failed statement, `set_config(..., true)`, `RESET ALL`.

use crate::backend::settings::{Settings, capture_sql};

use super::session_state::{StateEffect, setting_names};

/// Startup parameters that are not run-time settings.
const NOT_SETTINGS: &[&str] = &["user", "database", "options", "replication"];

#[derive(Debug, Default)]
pub struct SettingsTracker {
    startup: Settings,
    current: Settings,
    /// Names changed by name since the settings were last read back (custom `a.b` parameters
    /// and the role are not in `pg_settings`, so they are asked for by name).
    touched: Vec<String>,
    unknown: bool,
    pinned: Option<&'static str>,
}

impl SettingsTracker {
    /// The settings of a client's startup packet: `options` (`-c name=value`) first, explicit
    /// parameters over them, as PostgreSQL reads them. Protocol options (`_pq_.*`) and the
    /// connection's own keys are not settings.
    pub fn from_startup(params: &[(String, String)]) -> SettingsTracker {
        let mut startup = Settings::default();
        let from_options = params
            .iter()
            .filter(|(k, _)| k == "options")
            .flat_map(|(_, v)| crate::backend::params::options_settings(v));
        let explicit = params.iter().filter(|(k, _)| {
            !k.starts_with("_pq_.") && !NOT_SETTINGS.iter().any(|n| n.eq_ignore_ascii_case(k))
        });
        for (k, v) in from_options.chain(explicit.cloned()) {
            startup.set(&k, &v);
        }
        SettingsTracker {
            current: startup.clone(),
            startup,
            ..SettingsTracker::default()
        }
    }

    /// What every server the client borrows must have.
    pub fn wanted(&self) -> &Settings {
        &self.current
    }

    pub fn has_startup_settings(&self) -> bool {
        !self.startup.is_empty()
    }

    /// Why the session keeps its server, if it must.
    pub fn pinned(&self) -> Option<&'static str> {
        self.pinned
    }

    /// Whether the attached server's settings must be read back before it is given back.
    pub fn unknown(&self) -> bool {
        self.unknown
    }

    /// Notes a statement the client runs on the attached server.
    pub fn note(&mut self, effect: StateEffect, sql: &str) {
        if effect.discards_all {
            self.pinned = None;
        }
        if let Some(why) = effect.pins {
            self.pinned = Some(why);
        }
        if effect.settings {
            self.unknown = true;
            for name in setting_names(sql) {
                if !self.touched.contains(&name) {
                    self.touched.push(name);
                }
            }
        }
    }

    /// The query that reads the attached server's session settings back.
    pub fn capture_sql(&self) -> String {
        let named = self
            .current
            .iter()
            .map(|(k, _)| k)
            .chain(self.touched.iter().map(String::as_str))
            .filter(|k| needs_name(k));
        capture_sql(named)
    }

    /// The server's settings as read back: the client has them now, plus its startup settings
    /// that the server no longer has (a `RESET` goes back to the startup value, as with
    /// PostgreSQL, on the client's next transaction). Returns what the server has.
    pub fn captured(&mut self, rows: Vec<(String, String)>) -> Settings {
        let on_server = Settings::from_rows(rows);
        self.current = self.startup.overlaid(&on_server);
        self.touched.clear();
        self.unknown = false;
        on_server
    }

    /// The settings could not be read back (the server was lost): they stay what they were.
    pub fn forget_unknown(&mut self) {
        self.touched.clear();
        self.unknown = false;
    }
}

/// Whether `pg_settings` leaves the parameter out, so it must be asked for by name.
fn needs_name(name: &str) -> bool {
    name.contains('.')
        || name.eq_ignore_ascii_case("role")
        || name.eq_ignore_ascii_case("session_authorization")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn startup_settings_are_every_parameter() {
        let t = SettingsTracker::from_startup(&p(&[
            ("user", "u"),
            ("database", "d"),
            ("options", "-c search_path=foo -c statement_timeout=1s"),
            ("statement_timeout", "3s"),
            ("_pq_.x", "1"),
            ("default_transaction_isolation", "serializable"),
        ]));
        let got: Vec<(&str, &str)> = t.wanted().iter().collect();
        assert_eq!(
            got,
            [
                ("search_path", "foo"),
                ("statement_timeout", "3s"),
                ("default_transaction_isolation", "serializable")
            ]
        );
    }

    #[test]
    fn capture_restores_startup_values_and_pins_follow_statements() {
        let mut t = SettingsTracker::from_startup(&p(&[("statement_timeout", "3s")]));
        t.note(
            super::super::session_state::classify("SET my.x = 1"),
            "SET my.x = 1",
        );
        assert!(t.unknown());
        assert!(t.capture_sql().contains("E'my.x'"));
        let server = t.captured(p(&[("work_mem", "8MB")]));
        assert_eq!(server.get("statement_timeout"), None);
        assert_eq!(t.wanted().get("statement_timeout"), Some("3s"));
        assert_eq!(t.wanted().get("work_mem"), Some("8MB"));
        let prepare = super::super::session_state::classify("PREPARE p AS SELECT 1");
        t.note(prepare, "");
        assert!(t.pinned().is_some());
        t.note(
            super::super::session_state::classify("DISCARD ALL"),
            "DISCARD ALL",
        );
        assert!(t.pinned().is_none());
    }
}
