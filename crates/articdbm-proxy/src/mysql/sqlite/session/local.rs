//! Commands the SQLite session answers itself: `SET` (system variables checked as MySQL
//! does, user variables evaluated by SQLite, `autocommit = 1` committing an open
//! transaction), `SET NAMES` / `CHARACTER SET`, `SET TRANSACTION`, `BEGIN` / `START
//! TRANSACTION` (committing an open one first, as MySQL does), `COMMIT` / `ROLLBACK` with
//! `AND CHAIN` and `RELEASE`, savepoints (no-ops outside a transaction in autocommit mode,
//! as in MySQL), `USE`, and `LOCK` / `UNLOCK TABLES`.

use super::execute::{Format, Outcome};
use super::{Failure, Session};
use crate::mysql::sqlite::dialect::command::Local;
use crate::mysql::sqlite::dialect::literal::sqlite_ident;
use crate::mysql::sqlite::dialect::set::{Assignment, SetValue, Target};
use crate::mysql::sqlite::dialect::sql::DynValue;
use crate::sqlite::Value;

/// Character sets a client may name (SQLite stores UTF-8; these encode to it unchanged for
/// the characters they share, which is all a driver's `SET NAMES` needs).
const CHARSETS: [&str; 6] = ["utf8mb4", "utf8mb3", "utf8", "ascii", "binary", "latin1"];

impl Session {
    pub(super) async fn local(
        &mut self,
        local: &Local,
        params: &[Value],
        format: Format,
        more: bool,
    ) -> Result<Outcome, Failure> {
        match local {
            Local::Set(assignments) => {
                for a in assignments {
                    self.assign(a, params).await?;
                }
            }
            Local::SetNames {
                charset,
                collation,
                client_and_results_only,
            } => self.set_names(
                charset.as_deref(),
                collation.as_deref(),
                *client_and_results_only,
            )?,
            Local::SetTransaction {
                isolation,
                read_only,
            } => {
                if let Some(level) = isolation {
                    self.vars
                        .set("transaction_isolation", DynValue::Text(level.clone()))?;
                }
                if let Some(ro) = read_only {
                    self.vars
                        .set("transaction_read_only", DynValue::Int(i64::from(*ro)))?;
                }
            }
            Local::Begin { .. } => {
                self.implicit_commit().await?;
                self.run_quietly("BEGIN", Vec::new()).await?;
            }
            Local::End {
                commit,
                chain,
                release,
            } => {
                let sql = if *commit { "COMMIT" } else { "ROLLBACK" };
                self.run_quietly(sql, Vec::new()).await?;
                if *chain {
                    self.run_quietly("BEGIN", Vec::new()).await?;
                }
                if *release {
                    self.queue_ok(0, 0, false);
                    return Ok(Outcome::Close);
                }
            }
            Local::Savepoint(name) => {
                if self.vars.autocommit() && !self.engine.in_transaction() {
                    // Autocommit: the savepoint's transaction ends with this statement.
                } else {
                    self.implicit_begin().await?;
                    self.run_quietly(&format!("SAVEPOINT {}", sqlite_ident(name)), Vec::new())
                        .await?;
                }
            }
            Local::ReleaseSavepoint(name) => {
                self.savepoint_exists(name)?;
                self.run_quietly(
                    &format!("RELEASE SAVEPOINT {}", sqlite_ident(name)),
                    Vec::new(),
                )
                .await?;
            }
            Local::RollbackTo(name) => {
                self.savepoint_exists(name)?;
                self.run_quietly(
                    &format!("ROLLBACK TO SAVEPOINT {}", sqlite_ident(name)),
                    Vec::new(),
                )
                .await?;
            }
            Local::Use(db) => self.use_database(db).await?,
            Local::Show(show) => return self.show(show, params, format, more).await,
            Local::LockTables => self.implicit_commit().await?,
            Local::UnlockTables => {}
        }
        self.queue_ok(0, 0, more);
        Ok(Outcome::Done)
    }

    /// A savepoint can only exist inside a transaction.
    fn savepoint_exists(&self, name: &str) -> Result<(), Failure> {
        if self.engine.in_transaction() {
            Ok(())
        } else {
            Err(Failure::new(
                1305,
                "42000",
                format!("SAVEPOINT {name} does not exist"),
            ))
        }
    }

    async fn assign(&mut self, a: &Assignment, params: &[Value]) -> Result<(), Failure> {
        let value = match &a.value {
            SetValue::Default => {
                if let Target::System { name, .. } = &a.target {
                    let was_off = !self.vars.autocommit();
                    self.vars.reset(name);
                    if name == "autocommit" && was_off {
                        self.implicit_commit().await?;
                    }
                }
                return Ok(());
            }
            SetValue::Word(w) => DynValue::Text(w.clone()),
            SetValue::Value(v) => v.clone(),
            SetValue::Expr(e) => self.evaluate(e, params).await?,
        };
        match &a.target {
            Target::User(name) => self.vars.set_user(name, value),
            Target::System { name, .. } => {
                let was_off = !self.vars.autocommit();
                self.vars.set(name, value)?;
                // Turning autocommit on commits the open transaction.
                if name == "autocommit" && was_off && self.vars.autocommit() {
                    self.implicit_commit().await?;
                }
            }
        }
        Ok(())
    }

    fn set_names(
        &mut self,
        charset: Option<&str>,
        collation: Option<&str>,
        client_and_results_only: bool,
    ) -> Result<(), Failure> {
        let charset = charset.unwrap_or("utf8mb4").to_ascii_lowercase();
        if !CHARSETS.contains(&charset.as_str()) {
            return Err(Failure::new(
                1115,
                "42000",
                format!("Unknown character set: '{charset}' (the SQLite backend stores UTF-8)"),
            ));
        }
        let charset = if charset == "utf8" {
            "utf8mb3".to_string()
        } else {
            charset
        };
        let text = |s: &str| DynValue::Text(s.to_string());
        self.vars.set("character_set_client", text(&charset))?;
        self.vars.set("character_set_results", text(&charset))?;
        if !client_and_results_only {
            self.vars.set("character_set_connection", text(&charset))?;
            let collation = collation
                .map(str::to_ascii_lowercase)
                .unwrap_or_else(|| match charset.as_str() {
                    "binary" => "binary".into(),
                    "ascii" => "ascii_general_ci".into(),
                    "latin1" => "latin1_swedish_ci".into(),
                    other => format!("{other}_general_ci"),
                });
            self.vars.set("collation_connection", text(&collation))?;
        }
        Ok(())
    }
}
