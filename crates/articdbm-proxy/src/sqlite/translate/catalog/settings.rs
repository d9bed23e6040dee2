//! The run-time settings a PostgreSQL server reports, with the values ArticDBM's SQLite backend
//! answers for them: the source of `pg_settings`, `current_setting()` and of the proxy's `SHOW`
//! answers (a session's own `SET` values take precedence there).

/// `(name, default value)` pairs; names are lower-case.
pub const SETTINGS: &[(&str, &str)] = &[
    ("application_name", ""),
    ("bytea_output", "hex"),
    ("client_encoding", "UTF8"),
    ("client_min_messages", "notice"),
    ("datestyle", "ISO, MDY"),
    ("default_transaction_deferrable", "off"),
    ("default_transaction_isolation", "serializable"),
    ("default_transaction_read_only", "off"),
    ("extra_float_digits", "1"),
    ("idle_in_transaction_session_timeout", "0"),
    ("in_hot_standby", "off"),
    ("integer_datetimes", "on"),
    ("intervalstyle", "postgres"),
    ("is_superuser", "on"),
    ("jit", "off"),
    ("lc_collate", "C"),
    ("lc_ctype", "C"),
    ("lock_timeout", "0"),
    ("max_connections", "100"),
    ("max_identifier_length", "63"),
    ("row_security", "on"),
    ("search_path", "\"$user\", public"),
    ("server_encoding", "UTF8"),
    ("server_version", "15.0"),
    ("server_version_num", "150000"),
    ("standard_conforming_strings", "on"),
    ("statement_timeout", "0"),
    ("synchronous_commit", "on"),
    ("timezone", "UTC"),
    ("transaction_isolation", "serializable"),
    ("transaction_read_only", "off"),
    ("work_mem", "4MB"),
];

/// The default value of a setting (case-insensitive name), if ArticDBM knows it.
pub fn setting_default(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    SETTINGS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, value)| *value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_settings() {
        assert_eq!(setting_default("DateStyle"), Some("ISO, MDY"));
        assert_eq!(setting_default("standard_conforming_strings"), Some("on"));
        assert_eq!(setting_default("nope"), None);
        assert!(SETTINGS.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
    }
}
