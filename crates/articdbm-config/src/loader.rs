//! Loading a [`Config`]: read the file, overlay `ARTICDBM_*` environment variables on the
//! TOML tree, deserialize (collecting every type error and unknown key instead of stopping at
//! the first), apply `GALERA_MODE`, resolve backend secrets, check referenced files, run
//! semantic validation, fill defaults that depend on other keys, and report every problem with
//! its key path and its line (or environment variable).

use std::fs;
use std::path::Path;

use toml_edit::{DocumentMut, ImDocument, Item};

use crate::config::Config;
use crate::database::DatabaseKind;
use crate::env::{self, Applied, Env, GALERA_MODE_VAR, Override};
use crate::error::{ConfigError, Location, Problem};
use crate::keypath;
use crate::secret::Secret;
use crate::spans::{KeyIndex, LineIndex};
use crate::validate::{self, Issue};

/// Most deserialization errors collected before giving up (each round removes one key).
const MAX_DESERIALIZE_ROUNDS: usize = 500;

/// Loads the configuration from `path` (`None`: no file, all defaults) with overrides and
/// `password_env` secrets from `env`. Every problem is reported at once in
/// [`ConfigError::Invalid`].
pub fn load(path: Option<&Path>, env: &Env) -> Result<Config, ConfigError> {
    match path {
        None => load_text("<defaults>", "", env),
        Some(path) => {
            let text = fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            load_text(&path.display().to_string(), &text, env)
        }
    }
}

/// Like [`load`], from TOML text instead of a file (reported as `<string>`).
pub fn load_str(text: &str, env: &Env) -> Result<Config, ConfigError> {
    load_text("<string>", text, env)
}

/// Validates the file `path` as the proxy would load it, with the process environment: for
/// `articdbm config validate FILE`. Print the error's `Display` (one problem per line).
pub fn validate_file(path: &Path) -> Result<Config, ConfigError> {
    load(Some(path), &Env::from_process())
}

/// The whole pipeline over one text.
fn load_text(source_name: &str, text: &str, env: &Env) -> Result<Config, ConfigError> {
    let lines = LineIndex::new(text);
    let parsed = ImDocument::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let (line, column) = lines.line_column(text, offset);
        ConfigError::Parse {
            source_name: source_name.to_owned(),
            line,
            column,
            message: e.message().trim().replace('\n', "; "),
        }
    })?;
    let mut origins = Origins {
        index: KeyIndex::build(parsed.as_table()),
        lines,
        env_leaves: Vec::new(),
        env_tables: Vec::new(),
    };
    let mut doc = parsed.into_mut();
    let mut located: Vec<Problem> = Vec::new();

    // 1. Environment overlay.
    let mut applied: Vec<(Override, Applied)> = Vec::new();
    for ov in env.overrides() {
        match env::apply(&mut doc, &ov, false) {
            Ok(done) => {
                origins.record(&ov.var, &done);
                applied.push((ov, done));
            }
            Err(message) => located.push(Problem {
                key: keypath::render(&ov.path),
                location: Location::Env(ov.var.clone()),
                message,
            }),
        }
    }

    // 2. Deserialize, collecting every type error and unknown key.
    let mut issues = Vec::new();
    let config = deserialize(&mut doc, &mut applied, &mut issues);
    let structural: Vec<Vec<String>> = issues.iter().map(|i| i.path.clone()).collect();

    if let Some(mut config) = config {
        // 3. GALERA_MODE, secrets and referenced files (the only I/O besides reading the file).
        match env.galera_mode() {
            Ok(on) => apply_galera_mode(&mut config, on),
            Err(message) => located.push(Problem {
                key: String::new(),
                location: Location::Env(GALERA_MODE_VAR.to_owned()),
                message,
            }),
        }
        resolve_secrets(&mut config, env, &mut issues);
        crate::tls_files::check(&config, &mut issues);
        // 4. Semantic rules, except where a key was already rejected.
        issues.extend(
            validate::issues(&config)
                .into_iter()
                .filter(|i| !structural.iter().any(|bad| i.path.starts_with(bad))),
        );
        if issues.is_empty() && located.is_empty() {
            // 5. Defaults that depend on other keys (a database's port on its kind).
            for db in config.databases.values_mut() {
                db.resolve_address();
            }
            return Ok(config);
        }
    }

    located.extend(issues.into_iter().map(|issue| Problem {
        location: origins.locate(&issue.path),
        key: keypath::render(&issue.path),
        message: issue.message,
    }));
    located.sort_by_key(|p| match &p.location {
        Location::Line(line) => (0, *line),
        Location::Env(_) => (1, 0),
        Location::Unknown => (2, 0),
    });
    Err(ConfigError::Invalid {
        source_name: source_name.to_owned(),
        problems: located,
    })
}

/// Deserializes `doc` into a [`Config`]. On each error: if the value came from the
/// environment as a typed value, retry it as a plain string; otherwise record the error at its
/// key path and remove that key, and try again. `None` if an error could not be placed.
fn deserialize(
    doc: &mut DocumentMut,
    applied: &mut [(Override, Applied)],
    issues: &mut Vec<Issue>,
) -> Option<Config> {
    for _ in 0..MAX_DESERIALIZE_ROUNDS {
        let text = doc.to_string();
        let err = match toml::from_str::<Config>(&text) {
            Ok(config) => return Some(config),
            Err(err) => err,
        };
        let path = err.span().and_then(|span| {
            let spanned = ImDocument::parse(text.as_str()).ok()?;
            KeyIndex::build(spanned.as_table())
                .path_at(&span)
                .map(<[String]>::to_vec)
        });
        let Some(path) = path else {
            issues.push(Issue {
                path: Vec::new(),
                message: describe(&[], err.message()),
            });
            return None;
        };
        if let Some((ov, done)) = applied
            .iter_mut()
            .rev()
            .find(|(_, done)| done.typed && done.path == path)
        {
            done.typed = false;
            if env::apply(doc, ov, true).is_ok() {
                continue;
            }
        }
        issues.push(Issue {
            message: describe(&path, err.message()),
            path: path.clone(),
        });
        if !remove(doc, &path) {
            return None;
        }
    }
    issues.push(Issue {
        path: Vec::new(),
        message: format!("too many problems; stopped after {MAX_DESERIALIZE_ROUNDS}"),
    });
    None
}

/// A deserializer message made readable, and never showing a password.
fn describe(path: &[String], message: &str) -> String {
    let message = message.trim();
    let last = path.last().map_or("", String::as_str);
    if message.starts_with("unknown field") {
        if last == "password" && path.first().is_some_and(|s| s == "databases") {
            return "plaintext backend passwords are not allowed in the config file; set \
                    password_env (the name of an environment variable) or password_file \
                    instead"
                .to_owned();
        }
        return message
            .replacen("unknown field", "unknown key", 1)
            .replacen(", expected", "; expected", 1);
    }
    if last.contains("password") {
        return "has a value of the wrong type (not shown); expected a string".to_owned();
    }
    if let Some(at) = message.find("expected struct ") {
        return format!("{}expected a table", &message[..at]);
    }
    let mut message = message.to_owned();
    for (rust, plain) in READABLE_TYPES {
        if let Some(head) = message.strip_suffix(rust) {
            message = format!("{head}{plain}");
            break;
        }
    }
    message
}

/// Rust type names in deserializer messages, and what to say instead.
const READABLE_TYPES: &[(&str, &str)] = &[
    ("expected u8", "expected an integer from 0 to 255"),
    ("expected u16", "expected an integer from 0 to 65535"),
    ("expected u32", "expected an integer from 0 to 4294967295"),
    ("expected u64", "expected a non-negative integer"),
    ("expected f64", "expected a number"),
];

/// Removes the key at `path` from `doc`; `false` if there is nothing to remove.
fn remove(doc: &mut DocumentMut, path: &[String]) -> bool {
    let Some((leaf, parents)) = path.split_last() else {
        return false;
    };
    let mut item: &mut Item = doc.as_item_mut();
    for segment in parents {
        let next = item
            .as_table_like_mut()
            .and_then(|table| table.get_mut(segment));
        match next {
            Some(next) => item = next,
            None => return false,
        }
    }
    item.as_table_like_mut()
        .and_then(|table| table.remove(leaf))
        .is_some()
}

/// With `GALERA_MODE` on, every `kind = "mysql"` database that lists `nodes` is a Galera
/// cluster.
fn apply_galera_mode(config: &mut Config, on: bool) {
    if !on {
        return;
    }
    for db in config.databases.values_mut() {
        if db.kind == DatabaseKind::Mysql && !db.nodes.is_empty() {
            db.kind = DatabaseKind::Galera;
        }
    }
}

/// Fills `password` of every database from `password_env` or `password_file`.
fn resolve_secrets(config: &mut Config, env: &Env, issues: &mut Vec<Issue>) {
    for (name, db) in &mut config.databases {
        let at = |key: &str| vec!["databases".to_owned(), name.clone(), key.to_owned()];
        match (&db.password_env, &db.password_file) {
            (Some(var), None) if !var.is_empty() => match env.get(var) {
                Some("") => issues.push(Issue {
                    path: at("password_env"),
                    message: format!("environment variable `{var}` is empty"),
                }),
                Some(value) => db.password = Some(Secret::new(value)),
                None => issues.push(Issue {
                    path: at("password_env"),
                    message: format!("environment variable `{var}` is not set"),
                }),
            },
            (None, Some(file)) if !file.as_os_str().is_empty() => match fs::read_to_string(file) {
                Ok(content) => {
                    let value = content.trim_end_matches(['\n', '\r']);
                    if value.is_empty() {
                        issues.push(Issue {
                            path: at("password_file"),
                            message: format!("`{}` is empty", file.display()),
                        });
                    } else {
                        db.password = Some(Secret::new(value));
                    }
                }
                Err(e) => issues.push(Issue {
                    path: at("password_file"),
                    message: format!("cannot read `{}`: {e}", file.display()),
                }),
            },
            _ => {}
        }
    }
}

/// Where each key came from: the file (by span) or an environment variable.
struct Origins {
    index: KeyIndex,
    lines: LineIndex,
    /// Keys set by a variable (later entries win).
    env_leaves: Vec<(Vec<String>, String)>,
    /// Tables a variable had to create.
    env_tables: Vec<(Vec<String>, String)>,
}

impl Origins {
    fn record(&mut self, var: &str, done: &Applied) {
        self.env_leaves.push((done.path.clone(), var.to_owned()));
        for table in &done.created {
            self.env_tables.push((table.clone(), var.to_owned()));
        }
    }

    /// The location of `path`, else of its nearest ancestor that has one.
    fn locate(&self, path: &[String]) -> Location {
        let find = |list: &[(Vec<String>, String)], prefix: &[String]| {
            list.iter()
                .rev()
                .find(|(p, _)| p == prefix)
                .map(|(_, var)| Location::Env(var.clone()))
        };
        for len in (1..=path.len()).rev() {
            let prefix = &path[..len];
            if let Some(location) = find(&self.env_leaves, prefix) {
                return location;
            }
            if let Some(offset) = self.index.offset_of(prefix) {
                return Location::Line(self.lines.line(offset));
            }
            if let Some(location) = find(&self.env_tables, prefix) {
                return location;
            }
        }
        Location::Unknown
    }
}
