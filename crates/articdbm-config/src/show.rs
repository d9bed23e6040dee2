//! The effective configuration as TOML for people to read (`articdbm config show`): every key
//! with its value after environment overrides and defaults, password verifiers masked.

use crate::config::Config;

/// What a set password verifier is shown as.
pub const MASK: &str = "********";

impl Config {
    /// The configuration as TOML with every user's `password` and `mysql_password` verifier
    /// replaced by [`MASK`] (unset ones stay empty). Backend passwords are never serialized;
    /// their `password_env`/`password_file` references are shown.
    pub fn to_masked_toml(&self) -> Result<String, String> {
        let mut shown = self.clone();
        for user in shown.users.values_mut() {
            if !user.password.is_empty() {
                user.password = MASK.to_owned();
            }
            if user.mysql_password.is_some() {
                user.mysql_password = Some(MASK.to_owned());
            }
        }
        toml::to_string_pretty(&shown).map_err(|e| e.to_string())
    }
}
