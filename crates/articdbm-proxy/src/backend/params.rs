//! Run-time parameters reported by a server (ParameterStatus): what a client is told at login
//! and what the proxy knows of a server connection's reported values. Session settings that
//! follow a client from server to server are `settings`; this module also reads the startup
//! `options` string (`-c name=value`) the way PostgreSQL does.

/// A small ordered map of parameter name → value (names compared case-insensitively).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamMap {
    entries: Vec<(String, String)>,
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
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
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
}
