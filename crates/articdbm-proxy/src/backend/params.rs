//! Run-time parameters reported by a server (ParameterStatus) and the subset a client may want
//! different from the server's current values. On checkout the differences are applied with SET,
//! so a client sees its own `TimeZone`, `DateStyle`, `application_name`... whatever server it gets.
//! A client may also ask for them in the startup `options` (`-c TimeZone=UTC`).

/// Parameters that the server reports and that a client may set at startup or with SET.
pub const TRACKED: &[&str] = &[
    "application_name",
    "client_encoding",
    "DateStyle",
    "IntervalStyle",
    "TimeZone",
    "standard_conforming_strings",
];

/// A small ordered map of parameter name → value, with a fingerprint of its tracked values so
/// that "does this server already have what the client wants?" is one integer comparison on
/// the checkout path (the map changes rarely: at login and on a tracked SET).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamMap {
    entries: Vec<(String, String)>,
    tracked_fingerprint: u64,
}

impl ParamMap {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn set(&mut self, name: &str, value: &str) {
        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            if e.1 != value {
                e.1 = value.to_string();
            }
        } else {
            self.entries.push((name.to_string(), value.to_string()));
        }
        if is_tracked(name) {
            self.tracked_fingerprint = self.compute_fingerprint();
        }
    }

    /// Equal for two maps whose tracked parameters have equal values (absent counts as a value).
    pub fn tracked_fingerprint(&self) -> u64 {
        self.tracked_fingerprint
    }

    fn compute_fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for name in TRACKED {
            self.get(name).hash(&mut h);
        }
        h.finish()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The tracked parameters whose wanted value differs from `current`, as one SET script.
    pub fn diff_script(&self, current: &ParamMap) -> Option<String> {
        let mut sql = String::new();
        for (k, v) in self.iter() {
            let Some(canonical) = TRACKED.iter().find(|t| t.eq_ignore_ascii_case(k)) else {
                continue;
            };
            if current.get(k) == Some(v) {
                continue;
            }
            sql.push_str("SET ");
            sql.push_str(canonical);
            sql.push_str(" = ");
            push_literal(&mut sql, v);
            sql.push(';');
        }
        (!sql.is_empty()).then_some(sql)
    }
}

/// Appends `v` as a standard SQL string literal (quotes doubled).
fn push_literal(out: &mut String, v: &str) {
    out.push('\'');
    for c in v.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
}

pub fn is_tracked(name: &str) -> bool {
    TRACKED.iter().any(|t| t.eq_ignore_ascii_case(name))
}

/// The `name=value` settings of a startup `options` string, as PostgreSQL reads them: words
/// split on whitespace (a backslash escapes the next character), each setting given as
/// `-c name=value`, `-cname=value` or `--name=value` (dashes in a long option's name become
/// underscores). Other switches are skipped.
pub fn options_settings(options: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            c if c.is_ascii_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut settings = Vec::new();
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        let setting = if w == "-c" {
            it.next()
        } else if let Some(long) = w.strip_prefix("--") {
            Some(long.to_string())
        } else {
            w.strip_prefix("-c").map(str::to_string)
        };
        let Some((name, value)) = setting.as_deref().and_then(|s| s.split_once('=')) else {
            continue;
        };
        let name = if w.starts_with("--") {
            name.replace('-', "_")
        } else {
            name.to_string()
        };
        settings.push((name, value.to_string()));
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_like_postgres() {
        let got = options_settings(
            "-c TimeZone=UTC  -cDateStyle=SQL,\\ DMY --application-name=x\\\\y -B 10 -c broken",
        );
        let want = [
            ("TimeZone", "UTC"),
            ("DateStyle", "SQL, DMY"),
            ("application_name", "x\\y"),
        ];
        let got: Vec<(&str, &str)> = got.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, want);
        assert!(options_settings("").is_empty());
        assert!(options_settings("-c").is_empty());
    }

    #[test]
    fn fingerprint_follows_tracked_values_only() {
        let mut a = ParamMap::default();
        let mut b = ParamMap::default();
        a.set("TimeZone", "UTC");
        a.set("server_version", "15");
        b.set("timezone", "UTC");
        assert_eq!(a.tracked_fingerprint(), b.tracked_fingerprint());
        b.set("TimeZone", "Asia/Tokyo");
        assert_ne!(a.tracked_fingerprint(), b.tracked_fingerprint());
        a.set("application_name", "x");
        b.set("TimeZone", "UTC");
        assert_ne!(a.tracked_fingerprint(), b.tracked_fingerprint());
    }

    #[test]
    fn diff_only_tracked_and_changed() {
        let mut want = ParamMap::default();
        want.set("TimeZone", "UTC");
        want.set("application_name", "it's");
        want.set("user", "x");
        let mut cur = ParamMap::default();
        cur.set("TimeZone", "UTC");
        assert_eq!(
            want.diff_script(&cur).as_deref(),
            Some("SET application_name = 'it''s';")
        );
        cur.set("application_name", "it's");
        assert_eq!(want.diff_script(&cur), None);
    }
}
