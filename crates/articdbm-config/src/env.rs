//! The environment as a config source: [`Env`] (an injectable snapshot of variables) and the
//! `ARTICDBM_<SECTION>__<KEY>` overlay applied to the TOML tree before deserializing.
//!
//! Naming: strip `ARTICDBM_`, split the rest on `__` (double underscore) into path segments,
//! lowercase each segment. Single underscores stay inside a segment (`PG_LISTEN` →
//! `pg_listen`). An empty segment (`____`) or a literal `*` is the `"*"` wildcard database.
//! A name without `__` sets a top-level key and is applied only if it names one
//! (`ARTICDBM_DATA_DIR`); other single-segment names (`ARTICDBM_CONFIG`, ...) are left to the
//! command line. Values are parsed as a TOML value (integer, float, boolean, array, inline
//! table, quoted string) when they parse as one, else taken as a plain string; if a parsed
//! value has the wrong type for its key, the plain string is tried before reporting.

use std::collections::BTreeMap;

use toml_edit::{DocumentMut, InlineTable, Item, Table, TableLike, Value};

use crate::config::TOP_LEVEL_VALUES;
use crate::database::WILDCARD;
use crate::keypath;

/// Prefix of every configuration environment variable.
pub const ENV_PREFIX: &str = "ARTICDBM_";

/// The seed's switch (`GALERA_MODE=true`) that makes every `kind = "mysql"` database with
/// `nodes` a Galera cluster.
pub const GALERA_MODE_VAR: &str = "GALERA_MODE";

/// A snapshot of environment variables: the source of `ARTICDBM_*` overrides and of
/// `password_env` secrets. Build one from the process with [`Env::from_process`], or from
/// pairs in tests (`Env::from_iter([("ARTICDBM_POOL__SIZE", "50")])`).
#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl std::fmt::Debug for Env {
    /// Lists variable names only: values may be secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

impl Env {
    /// An empty environment.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The current process environment. Variables whose name or value is not valid UTF-8 are
    /// skipped.
    pub fn from_process() -> Self {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect()
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Sets `name` to `value` (for tests and embedding).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    /// `GALERA_MODE` as a boolean: unset or empty is `false`; `true`/`1`/`yes`/`on` and
    /// `false`/`0`/`no`/`off` (any case) are accepted; anything else is an error message.
    pub fn galera_mode(&self) -> Result<bool, String> {
        let Some(raw) = self.get(GALERA_MODE_VAR) else {
            return Ok(false);
        };
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "" | "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(format!(
                "must be true or false (or 1/0, yes/no, on/off), got `{}`",
                raw.escape_debug()
            )),
        }
    }

    /// Every `ARTICDBM_*` variable that addresses a config key, in name order.
    pub(crate) fn overrides(&self) -> Vec<Override> {
        self.vars
            .iter()
            .filter_map(|(name, raw)| {
                let path = key_path(name)?;
                Some(Override {
                    var: name.clone(),
                    path,
                    raw: raw.clone(),
                })
            })
            .collect()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self {
            vars: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

/// One `ARTICDBM_*` variable: its name, the key path it addresses, its raw value.
#[derive(Debug, Clone)]
pub(crate) struct Override {
    pub(crate) var: String,
    pub(crate) path: Vec<String>,
    pub(crate) raw: String,
}

/// The key path an environment variable name addresses, or `None` if it is not a config
/// variable.
fn key_path(name: &str) -> Option<Vec<String>> {
    let rest = name.strip_prefix(ENV_PREFIX)?;
    if !rest.contains("__") {
        let key = rest.to_ascii_lowercase();
        return TOP_LEVEL_VALUES.contains(&key.as_str()).then(|| vec![key]);
    }
    Some(
        rest.split("__")
            .map(|segment| {
                if segment.is_empty() {
                    WILDCARD.to_owned()
                } else {
                    segment.to_ascii_lowercase()
                }
            })
            .collect(),
    )
}

/// What an override did to the tree.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    /// The path actually written (segments matched to existing keys case-insensitively).
    pub(crate) path: Vec<String>,
    /// Tables the override had to create on the way (each a prefix of `path`).
    pub(crate) created: Vec<Vec<String>>,
    /// Whether the value was parsed as something other than a plain string.
    pub(crate) typed: bool,
}

/// Writes `ov` into `doc` (creating tables on the way). With `as_string`, the raw value is
/// written as a string even if it parses as another TOML value. The error message names the
/// key that is in the way.
pub(crate) fn apply(
    doc: &mut DocumentMut,
    ov: &Override,
    as_string: bool,
) -> Result<Applied, String> {
    let (typed, mut value) = match (as_string, parse_value(&ov.raw)) {
        (false, Some(value)) => (!value.is_str(), value),
        _ => (false, Value::from(ov.raw.as_str())),
    };
    value.decor_mut().clear();
    let Some((leaf, parents)) = ov.path.split_last() else {
        return Err("names no key".to_owned());
    };
    let mut item: &mut Item = doc.as_item_mut();
    let mut path: Vec<String> = Vec::with_capacity(ov.path.len());
    let mut created = Vec::new();
    for segment in parents.iter().chain(std::iter::once(leaf)) {
        let is_leaf = path.len() == parents.len();
        let child_kind = match &*item {
            Item::Value(Value::InlineTable(_)) => ChildKind::Inline,
            Item::Table(t) if t.is_dotted() => ChildKind::Dotted,
            Item::Table(_) => ChildKind::Implicit,
            _ => {
                return Err(format!(
                    "`{}` is not a table, so it has no key `{segment}`",
                    keypath::render(&path)
                ));
            }
        };
        let Some(table) = item.as_table_like_mut() else {
            return Err(format!("`{}` is not a table", keypath::render(&path)));
        };
        let key = matching_key(table, segment).unwrap_or_else(|| segment.clone());
        path.push(key.clone());
        if is_leaf {
            table.insert(&key, Item::Value(value));
            return Ok(Applied {
                path,
                created,
                typed,
            });
        }
        if !table.contains_key(&key) {
            table.insert(&key, child_kind.new_table());
            created.push(path.clone());
        }
        item = match table.get_mut(&key) {
            Some(next) => next,
            None => return Err(format!("`{}` could not be created", keypath::render(&path))),
        };
    }
    Err("names no key".to_owned())
}

/// How a table created by an override is written, following its parent.
enum ChildKind {
    /// Under an inline table: an inline table.
    Inline,
    /// Under a dotted-key table: a dotted-key table.
    Dotted,
    /// Under a `[table]`: a `[table]` without a header of its own unless it holds values.
    Implicit,
}

impl ChildKind {
    fn new_table(&self) -> Item {
        match self {
            ChildKind::Inline => Item::Value(Value::InlineTable(InlineTable::new())),
            ChildKind::Dotted => {
                let mut t = Table::new();
                t.set_dotted(true);
                Item::Table(t)
            }
            ChildKind::Implicit => {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            }
        }
    }
}

/// The existing key of `table` equal to `segment` ignoring ASCII case (an exact match wins).
fn matching_key(table: &dyn TableLike, segment: &str) -> Option<String> {
    if table.contains_key(segment) {
        return Some(segment.to_owned());
    }
    table
        .iter()
        .map(|(k, _)| k)
        .find(|k| k.eq_ignore_ascii_case(segment))
        .map(str::to_owned)
}

/// `raw` as one TOML value, or `None` if it is not exactly one valid value.
fn parse_value(raw: &str) -> Option<Value> {
    let doc: DocumentMut = format!("v = {raw}\n").parse().ok()?;
    if doc.as_table().len() != 1 {
        return None;
    }
    doc.as_table().get("v")?.as_value().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn galera_mode_values() {
        let mode = |v: &str| Env::from_iter([(GALERA_MODE_VAR, v)]).galera_mode();
        assert_eq!(Env::empty().galera_mode(), Ok(false));
        for yes in ["true", "TRUE", "1", "yes", " on "] {
            assert_eq!(mode(yes), Ok(true), "{yes}");
        }
        for no in ["", "false", "0", "No", "off"] {
            assert_eq!(mode(no), Ok(false), "{no}");
        }
        let err = mode("maybe").expect_err("not a boolean");
        assert!(err.contains("`maybe`"), "{err}");
    }
}
