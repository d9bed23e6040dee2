//! What a statement does to the server session beyond its transaction: changes settings (which
//! follow the client to its next server, see `pg::settings_tracker`), leaves state that cannot
//! move to another server (the session keeps its server), or drops prepared statements. A cheap
//! keyword scan, allocation-free for statements that do none of it, erring on the side of the
//! stronger effect.

/// What running a statement (or several, in one Query) does to the server session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateEffect {
    /// Changes session settings (`SET`, `RESET`, `set_config`, `DISCARD ALL`...).
    pub settings: bool,
    /// Leaves state that cannot be moved to another server (SQL `PREPARE`, `LISTEN`, temporary
    /// tables, session advisory locks, `WITH HOLD` cursors, `LOAD`, a `set_config` whose name
    /// is not a literal): why, for the log.
    pub pins: Option<&'static str>,
    /// DEALLOCATE / DISCARD: prepared statements on the server are gone.
    pub drops_prepared: bool,
    /// DEALLOCATE ALL / DISCARD ALL: also every statement the client prepared is gone.
    pub drops_all_prepared: bool,
    /// DISCARD ALL: the server session is back to its defaults.
    pub discards_all: bool,
}

impl StateEffect {
    pub const NONE: StateEffect = StateEffect {
        settings: false,
        pins: None,
        drops_prepared: false,
        drops_all_prepared: false,
        discards_all: false,
    };

    pub fn is_none(&self) -> bool {
        *self == Self::NONE
    }

    fn merge(self, o: StateEffect) -> StateEffect {
        StateEffect {
            settings: self.settings || o.settings,
            pins: self.pins.or(o.pins),
            drops_prepared: self.drops_prepared || o.drops_prepared,
            drops_all_prepared: self.drops_all_prepared || o.drops_all_prepared,
            discards_all: self.discards_all || o.discards_all,
        }
    }
}

pub fn classify(sql: &str) -> StateEffect {
    sql.split(';')
        .map(classify_one)
        .fold(StateEffect::NONE, StateEffect::merge)
}

fn classify_one(stmt: &str) -> StateEffect {
    let mut effect = StateEffect::NONE;
    let mut words = significant(stmt).split_ascii_whitespace();
    let Some(first) = words.next() else {
        return effect;
    };
    let second = words.next().unwrap_or("");
    let is = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
    if is(first, "DEALLOCATE") || is(first, "DISCARD") {
        let all = is(second, "ALL")
            || (is(first, "DEALLOCATE")
                && is(second, "PREPARE")
                && words.next().is_some_and(|w| is(w, "ALL")));
        effect.drops_prepared = true;
        effect.drops_all_prepared = all;
        if is(first, "DISCARD") && all {
            effect.discards_all = true;
            effect.settings = true;
        }
        return effect;
    }
    if is(first, "SET") {
        effect.settings = !(is(second, "LOCAL") || is(second, "TRANSACTION"));
    } else if is(first, "RESET") {
        effect.settings = true;
    } else if is(first, "PREPARE") && !is(second, "TRANSACTION") {
        effect.pins = Some("SQL-level PREPARE");
    } else if is(first, "LISTEN") {
        effect.pins = Some("LISTEN");
    } else if is(first, "LOAD") {
        effect.pins = Some("LOAD");
    } else if is(first, "CREATE")
        && (is(second, "TEMP")
            || is(second, "TEMPORARY")
            || is(second, "GLOBAL")
            || is(second, "LOCAL"))
    {
        effect.pins = Some("temporary table");
    } else if is(first, "DECLARE") && contains_ignore_case(stmt, "with hold") {
        effect.pins = Some("WITH HOLD cursor");
    }
    if calls_a_function(stmt) {
        if contains_ignore_case(stmt, "pg_advisory_lock")
            || contains_ignore_case(stmt, "pg_try_advisory_lock")
        {
            effect.pins = effect.pins.or(Some("session advisory lock"));
        }
        if contains_ignore_case(stmt, "set_config") {
            effect.settings = true;
            if set_config_names(stmt).any(|n| n.is_none()) {
                effect.pins = effect
                    .pins
                    .or(Some("set_config with a name that is not a literal"));
            }
        }
    }
    effect
}

/// The names of the parameters `sql` changes by name (`SET x`, `RESET x`, `SET ROLE`,
/// `set_config('x', ...)`...), lower-cased; the caller reads them back from the server after
/// the transaction (see `backend::settings::capture_sql`).
pub fn setting_names(sql: &str) -> Vec<String> {
    let mut names = Vec::new();
    for stmt in sql.split(';') {
        let mut words = significant(stmt).split_ascii_whitespace();
        let first = words.next().unwrap_or("");
        let is = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
        if is(first, "SET") || is(first, "RESET") {
            let mut second = words.next().unwrap_or("");
            if is(first, "SET") && is(second, "SESSION") {
                second = words.next().unwrap_or("");
            }
            let name = if is(second, "ROLE") {
                Some("role".to_owned())
            } else if is(second, "TIME") {
                Some("timezone".to_owned())
            } else if is(second, "NAMES") {
                Some("client_encoding".to_owned())
            } else if is(second, "SCHEMA") {
                Some("search_path".to_owned())
            } else if is(second, "AUTHORIZATION") || is(second, "SESSION") {
                Some("session_authorization".to_owned())
            } else {
                parameter_name(second)
            };
            names.extend(name);
        }
        if calls_a_function(stmt) && contains_ignore_case(stmt, "set_config") {
            names.extend(set_config_names(stmt).flatten());
        }
    }
    names.sort();
    names.dedup();
    names
}

/// The lower-cased parameter name at the start of `word` (`a.b`, `"x"`, `name=value`).
fn parameter_name(word: &str) -> Option<String> {
    let end = word.find(['=', '(']).unwrap_or(word.len());
    let name: String = word[..end].chars().filter(|c| *c != '"').collect();
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

/// The first argument of every `set_config(` call: `Some(name)` for a string literal,
/// `None` for anything else.
fn set_config_names(stmt: &str) -> impl Iterator<Item = Option<String>> + '_ {
    let lower_positions = find_all_ignore_case(stmt, "set_config");
    lower_positions.filter_map(move |at| {
        let rest = stmt[at + "set_config".len()..].trim_start();
        let args = rest.strip_prefix('(')?.trim_start();
        let Some(lit) = args.strip_prefix('\'') else {
            return Some(None);
        };
        let mut name = String::new();
        let mut chars = lit.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    name.push('\'');
                    continue;
                }
                return Some(Some(name.to_ascii_lowercase()));
            }
            name.push(c);
        }
        Some(None)
    })
}

fn find_all_ignore_case<'a>(h: &'a str, n: &'a str) -> impl Iterator<Item = usize> + 'a {
    let (hb, nb) = (h.as_bytes(), n.as_bytes());
    (0..hb.len().saturating_sub(nb.len() - 1))
        .filter(move |&i| hb[i..i + nb.len()].eq_ignore_ascii_case(nb))
}

/// Session-state functions are called with parentheses; most statements can skip the scans.
fn calls_a_function(stmt: &str) -> bool {
    stmt.as_bytes().contains(&b'(')
}

/// ASCII case-insensitive substring test without allocating (runs on every statement).
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Skips leading whitespace, `--` and `/* */` comments and opening parentheses.
fn significant(mut s: &str) -> &str {
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r);
        } else {
            return s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        assert!(classify("SELECT 1").is_none());
        assert!(classify("set local work_mem = '1MB'").is_none());
        assert!(classify("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE").is_none());
        assert!(classify("/* c */ SET search_path = x").settings);
        assert!(classify("RESET ALL").settings);
        assert!(classify("select set_config('a.b', 'x', false)").settings);
        assert!(
            classify("select set_config('a.b', 'x', false)")
                .pins
                .is_none()
        );
        assert!(classify("select set_config($1, 'x', false)").pins.is_some());
        assert!(classify("create temp table t(a int)").pins.is_some());
        assert!(classify("select pg_advisory_lock(1)").pins.is_some());
        assert!(classify("select pg_advisory_xact_lock(1)").is_none());
        assert!(classify("PREPARE p AS SELECT 1").pins.is_some());
        assert!(classify("PREPARE TRANSACTION 'x'").pins.is_none());
        assert!(classify("LISTEN chan").pins.is_some());
        let all = classify("SELECT 1; DISCARD ALL");
        assert!(all.drops_all_prepared && all.discards_all && all.settings);
        let dealloc = classify("deallocate prepare all");
        assert!(dealloc.drops_all_prepared && !dealloc.discards_all);
        assert!(classify("DEALLOCATE s1").drops_prepared);
        assert!(!classify("DISCARD PLANS").drops_all_prepared);
        let both = classify("PREPARE p AS SELECT 1; DEALLOCATE q");
        assert!(both.pins.is_some() && both.drops_prepared);
    }

    #[test]
    fn names_the_settings_changed() {
        assert_eq!(
            setting_names(
                "SET SESSION My.Tenant = 'a'; set role x; RESET \"Work_Mem\"; \
                 SET search_path=a; SELECT set_config('app.it''s', '1', false), \
                 set_config($1, 'x', false); SET SESSION AUTHORIZATION y; SET TIME ZONE 'UTC'"
            ),
            [
                "app.it's",
                "my.tenant",
                "role",
                "search_path",
                "session_authorization",
                "timezone",
                "work_mem"
            ]
        );
        assert!(setting_names("SELECT 1").is_empty());
    }
}
