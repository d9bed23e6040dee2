//! The session's MySQL system variables (what `SELECT @@x`, `SHOW VARIABLES` and `SET`
//! see) and user variables (`@x`). Defaults are those of a MySQL 8 server with utf8mb4,
//! except where the SQLite backend differs (`lower_case_table_names = 2`: names keep their
//! case and compare without it; `time_zone = '+00:00'`: SQLite's clock is UTC). Every
//! session starts from the defaults; `SET GLOBAL` is refused.

use std::collections::BTreeMap;

use crate::mysql::sqlite::dialect::sql::DynValue;

/// What the defaults depend on.
#[derive(Debug, Clone)]
pub struct Defaults {
    pub version: String,
    pub max_allowed_packet: i64,
    pub max_connections: i64,
    pub port: i64,
    pub hostname: String,
    pub tls: bool,
    pub lock_wait_timeout_secs: i64,
    pub collation: String,
}

/// Why a `SET` is refused: MySQL's code, SQLSTATE and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SetError {
    pub code: u16,
    pub sqlstate: &'static str,
    pub message: String,
}

impl SetError {
    fn wrong_value(name: &str, value: &str) -> SetError {
        SetError {
            code: 1231,
            sqlstate: "42000",
            message: format!("Variable '{name}' can't be set to the value of '{value}'"),
        }
    }
}

/// Variables whose value is ON/OFF (stored as 1/0).
const BOOLEAN: [&str; 16] = [
    "autocommit",
    "foreign_key_checks",
    "unique_checks",
    "sql_safe_updates",
    "sql_auto_is_null",
    "transaction_read_only",
    "sql_notes",
    "sql_warnings",
    "big_tables",
    "sql_log_bin",
    "sql_quote_show_create",
    "explicit_defaults_for_timestamp",
    "performance_schema",
    "sql_big_selects",
    "read_only",
    "super_read_only",
];

/// Variables a session cannot set.
const READ_ONLY: [&str; 16] = [
    "version",
    "version_comment",
    "version_compile_os",
    "version_compile_machine",
    "hostname",
    "port",
    "max_connections",
    "lower_case_table_names",
    "protocol_version",
    "max_allowed_packet",
    "have_ssl",
    "system_time_zone",
    "license",
    "character_set_system",
    "socket",
    "read_only",
];

/// Old names of renamed variables.
fn canonical(name: &str) -> &str {
    match name {
        "tx_isolation" => "transaction_isolation",
        "tx_read_only" => "transaction_read_only",
        other => other,
    }
}

/// A session's variables.
#[derive(Debug, Clone)]
pub struct Variables {
    system: BTreeMap<String, DynValue>,
    defaults: BTreeMap<String, DynValue>,
    user: BTreeMap<String, DynValue>,
}

impl Variables {
    pub fn new(d: &Defaults) -> Self {
        let int = |v: i64| DynValue::Int(v);
        let text = |v: &str| DynValue::Text(v.to_string());
        let charset = if d.collation.starts_with("utf8mb3") || d.collation.starts_with("utf8_") {
            "utf8mb3"
        } else {
            "utf8mb4"
        };
        let entries: Vec<(&str, DynValue)> = vec![
            ("auto_increment_increment", int(1)),
            ("auto_increment_offset", int(1)),
            ("autocommit", int(1)),
            ("big_tables", int(0)),
            ("character_set_client", text(charset)),
            ("character_set_connection", text(charset)),
            ("character_set_database", text("utf8mb4")),
            ("character_set_filesystem", text("binary")),
            ("character_set_results", text(charset)),
            ("character_set_server", text("utf8mb4")),
            ("character_set_system", text("utf8mb3")),
            ("collation_connection", text(&d.collation)),
            ("collation_database", text("utf8mb4_general_ci")),
            ("collation_server", text("utf8mb4_general_ci")),
            ("default_storage_engine", text("SQLite")),
            ("default_week_format", int(0)),
            ("div_precision_increment", int(4)),
            ("error_count", int(0)),
            ("explicit_defaults_for_timestamp", int(1)),
            ("foreign_key_checks", int(1)),
            ("group_concat_max_len", int(1024)),
            ("have_ssl", text(if d.tls { "YES" } else { "DISABLED" })),
            ("hostname", text(&d.hostname)),
            ("init_connect", text("")),
            ("innodb_lock_wait_timeout", int(d.lock_wait_timeout_secs)),
            ("interactive_timeout", int(28_800)),
            ("license", text("Apache-2.0")),
            ("lock_wait_timeout", int(d.lock_wait_timeout_secs)),
            ("lower_case_table_names", int(2)),
            ("max_allowed_packet", int(d.max_allowed_packet)),
            ("max_connections", int(d.max_connections)),
            ("max_execution_time", int(0)),
            ("net_buffer_length", int(16_384)),
            ("net_read_timeout", int(30)),
            ("net_write_timeout", int(60)),
            ("performance_schema", int(0)),
            ("port", int(d.port)),
            ("protocol_version", int(10)),
            ("query_cache_size", int(0)),
            ("query_cache_type", text("OFF")),
            ("read_only", int(0)),
            ("socket", DynValue::Null),
            ("sql_auto_is_null", int(0)),
            (
                "sql_mode",
                text(
                    "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,\
                 ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION",
                ),
            ),
            ("sql_notes", int(1)),
            ("sql_quote_show_create", int(1)),
            ("sql_safe_updates", int(0)),
            ("sql_select_limit", text("18446744073709551615")),
            ("sql_warnings", int(0)),
            ("system_time_zone", text("UTC")),
            ("time_zone", text("+00:00")),
            ("transaction_isolation", text("SERIALIZABLE")),
            ("transaction_read_only", int(0)),
            ("unique_checks", int(1)),
            ("version", text(&d.version)),
            (
                "version_comment",
                text(&format!("ArticDBM embedded SQLite {}", rusqlite::version())),
            ),
            ("version_compile_machine", text(std::env::consts::ARCH)),
            ("version_compile_os", text(std::env::consts::OS)),
            ("wait_timeout", int(28_800)),
            ("warning_count", int(0)),
        ];
        let defaults: BTreeMap<String, DynValue> = entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        Variables {
            system: defaults.clone(),
            defaults,
            user: BTreeMap::new(),
        }
    }

    /// `@@name`; `None` for an unknown variable.
    pub fn get(&self, name: &str) -> Option<&DynValue> {
        self.system.get(canonical(name))
    }

    pub fn autocommit(&self) -> bool {
        !matches!(self.get("autocommit"), Some(DynValue::Int(0)))
    }

    /// `SET [SESSION] name = value`. Unknown names are kept (drivers set variables of
    /// other servers' versions), known ones are checked as MySQL does.
    pub fn set(&mut self, name: &str, value: DynValue) -> Result<(), SetError> {
        let name = canonical(name);
        if READ_ONLY.contains(&name) {
            let message = if name == "max_allowed_packet" {
                format!(
                    "SESSION variable '{name}' is read-only. Use SET GLOBAL to assign the value"
                )
            } else {
                format!("Variable '{name}' is a read only variable")
            };
            return Err(SetError {
                code: if name == "max_allowed_packet" {
                    1621
                } else {
                    1238
                },
                sqlstate: "HY000",
                message,
            });
        }
        let value = if BOOLEAN.contains(&name) {
            DynValue::Int(i64::from(boolean(name, &value)?))
        } else if name == "transaction_isolation" {
            DynValue::Text(isolation(&value)?)
        } else if name == "sql_mode" {
            match value {
                DynValue::Text(t) => DynValue::Text(t.to_ascii_uppercase()),
                other => other,
            }
        } else {
            value
        };
        self.system.insert(name.to_string(), value);
        Ok(())
    }

    /// `SET name = DEFAULT`.
    pub fn reset(&mut self, name: &str) {
        let name = canonical(name);
        match self.defaults.get(name) {
            Some(v) => {
                self.system.insert(name.to_string(), v.clone());
            }
            None => {
                self.system.remove(name);
            }
        }
    }

    /// `@name` (NULL when never set).
    pub fn user(&self, name: &str) -> DynValue {
        self.user.get(name).cloned().unwrap_or(DynValue::Null)
    }

    pub fn set_user(&mut self, name: &str, value: DynValue) {
        self.user.insert(name.to_string(), value);
    }

    /// Every system variable with its `SHOW VARIABLES` spelling (ON/OFF for booleans).
    pub fn show(&self) -> Vec<(String, String)> {
        self.system
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    DynValue::Int(i) if BOOLEAN.contains(&k.as_str()) => {
                        if *i != 0 {
                            "ON".into()
                        } else {
                            "OFF".into()
                        }
                    }
                    DynValue::Int(i) => i.to_string(),
                    DynValue::Real(r) => r.to_string(),
                    DynValue::Text(t) => t.clone(),
                    DynValue::Blob(b) => String::from_utf8_lossy(b).into_owned(),
                    DynValue::Null => String::new(),
                };
                (k.clone(), text)
            })
            .collect()
    }
}

fn boolean(name: &str, v: &DynValue) -> Result<bool, SetError> {
    match v {
        DynValue::Int(0) => Ok(false),
        DynValue::Int(1) => Ok(true),
        DynValue::Text(t) => match t.to_ascii_uppercase().as_str() {
            "ON" | "TRUE" | "1" => Ok(true),
            "OFF" | "FALSE" | "0" => Ok(false),
            _ => Err(SetError::wrong_value(name, t)),
        },
        DynValue::Int(i) => Err(SetError::wrong_value(name, &i.to_string())),
        DynValue::Real(r) => Err(SetError::wrong_value(name, &r.to_string())),
        DynValue::Null => Err(SetError::wrong_value(name, "NULL")),
        DynValue::Blob(_) => Err(SetError::wrong_value(name, "(binary)")),
    }
}

/// A transaction isolation level as MySQL spells it in `@@transaction_isolation`.
pub fn isolation(v: &DynValue) -> Result<String, SetError> {
    let text = match v {
        DynValue::Text(t) => t.to_ascii_uppercase().replace(' ', "-"),
        DynValue::Int(i) => match i {
            0 => "READ-UNCOMMITTED".into(),
            1 => "READ-COMMITTED".into(),
            2 => "REPEATABLE-READ".into(),
            3 => "SERIALIZABLE".into(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    match text.as_str() {
        "READ-UNCOMMITTED" | "READ-COMMITTED" | "REPEATABLE-READ" | "SERIALIZABLE" => Ok(text),
        _ => Err(SetError::wrong_value("transaction_isolation", &text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Variables {
        Variables::new(&Defaults {
            version: "8.0.99".into(),
            max_allowed_packet: 1 << 26,
            max_connections: 100,
            port: 6033,
            hostname: "h".into(),
            tls: false,
            lock_wait_timeout_secs: 5,
            collation: "utf8mb4_general_ci".into(),
        })
    }

    #[test]
    fn get_set_reset() {
        let mut v = vars();
        assert!(v.autocommit());
        v.set("autocommit", DynValue::Text("off".into())).unwrap();
        assert!(!v.autocommit());
        assert_eq!(
            v.set("autocommit", DynValue::Int(2)).unwrap_err().code,
            1231
        );
        v.set("tx_isolation", DynValue::Text("read committed".into()))
            .unwrap();
        assert_eq!(
            v.get("transaction_isolation"),
            Some(&DynValue::Text("READ-COMMITTED".into()))
        );
        assert_eq!(v.set("version", DynValue::Int(1)).unwrap_err().code, 1238);
        assert_eq!(
            v.set("max_allowed_packet", DynValue::Int(1))
                .unwrap_err()
                .code,
            1621
        );
        v.set("my_custom", DynValue::Int(3)).unwrap();
        assert_eq!(v.get("my_custom"), Some(&DynValue::Int(3)));
        v.reset("my_custom");
        assert!(v.get("my_custom").is_none());
        v.reset("autocommit");
        assert!(v.autocommit());
        assert!(v.get("nope").is_none());
        assert_eq!(v.user("x"), DynValue::Null);
        assert!(
            v.show()
                .iter()
                .any(|(k, val)| k == "autocommit" && val == "ON")
        );
    }
}
