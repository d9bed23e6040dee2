//! `SHOW ...`, `DESCRIBE` and COM_FIELD_LIST on SQLite, answered with MySQL's column names
//! and layouts: tables and columns from `sqlite_schema` and the `pragma_table_info` /
//! `pragma_index_list` / `pragma_index_info` table functions, the rest (databases,
//! variables, status, engines, character sets, collations, warnings) as `VALUES` rows. All
//! of them run as SQLite queries so that `LIKE` and `WHERE` filters work as in MySQL.

use std::sync::atomic::Ordering;

use super::execute::{Format, Outcome, StreamOptions};
use super::show_sql::{COLUMNS_SQL, INDEX_SQL, renumber, text, values_query};
use super::{Failure, Session};
use crate::mysql::sqlite::dialect::literal::sqlite_ident;
use crate::mysql::sqlite::dialect::show::{Filter, Show};
use crate::mysql::sqlite::route::sqlite_databases;
use crate::sqlite::Value;

impl Session {
    pub(super) async fn show(
        &mut self,
        show: &Show,
        params: &[Value],
        format: Format,
        more: bool,
    ) -> Result<Outcome, Failure> {
        let mut empty_error = None;
        let (base, mut binds, like_column, filter) = match show {
            Show::Databases { filter } => {
                let runtime = self.state.runtime();
                let user = runtime.users.get(&self.user);
                let rows = sqlite_databases(&runtime.config)
                    .into_iter()
                    .filter(|d| user.is_some_and(|u| u.may_use_database(d)))
                    .map(|d| vec![Value::Text(d)])
                    .collect();
                let (sql, binds) = values_query(&["Database"], rows);
                (sql, binds, "Database".to_string(), filter)
            }
            Show::Tables { full, db, filter } => {
                self.same_database(db.as_deref())?;
                let name = format!("Tables_in_{}", self.database);
                let mut sql = format!("SELECT name AS {}", sqlite_ident(&name));
                if *full {
                    sql.push_str(
                        ", CASE type WHEN 'view' THEN 'VIEW' ELSE 'BASE TABLE' END AS \"Table_type\"",
                    );
                }
                sql.push_str(
                    " FROM sqlite_schema WHERE type IN ('table', 'view') \
                     AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                );
                (sql, Vec::new(), name, filter)
            }
            Show::Columns {
                table,
                full,
                filter,
            } => {
                let cols = if *full {
                    "\"Field\", \"Type\", \"Collation\", \"Null\", \"Key\", \"Default\", \"Extra\", \"Privileges\", \"Comment\""
                } else {
                    "\"Field\", \"Type\", \"Null\", \"Key\", \"Default\", \"Extra\""
                };
                empty_error = Some(self.no_table(table));
                (
                    format!("SELECT {cols} FROM ({COLUMNS_SQL})"),
                    vec![text(table)],
                    "Field".to_string(),
                    filter,
                )
            }
            Show::Index { table } => {
                self.table_exists(table).await?;
                (
                    format!(
                        "SELECT * FROM ({INDEX_SQL}) ORDER BY \"Key_name\" <> 'PRIMARY', \
                         \"Key_name\", \"Seq_in_index\""
                    ),
                    vec![text(table)],
                    String::new(),
                    &None,
                )
            }
            Show::CreateTable { table } => {
                empty_error = Some(self.no_table(table));
                (
                    "SELECT name AS \"Table\", sql AS \"Create Table\" FROM sqlite_schema \
                     WHERE type = 'table' AND name = ?1 COLLATE NOCASE"
                        .to_string(),
                    vec![text(table)],
                    String::new(),
                    &None,
                )
            }
            Show::CreateView { view } => {
                empty_error = Some(self.no_table(view));
                (
                    "SELECT name AS \"View\", sql AS \"Create View\", \
                     'utf8mb4' AS \"character_set_client\", \
                     'utf8mb4_general_ci' AS \"collation_connection\" FROM sqlite_schema \
                     WHERE type = 'view' AND name = ?1 COLLATE NOCASE"
                        .to_string(),
                    vec![text(view)],
                    String::new(),
                    &None,
                )
            }
            Show::CreateDatabase { db } => {
                self.same_database(Some(db))?;
                let create = format!(
                    "CREATE DATABASE `{}` /*!40100 DEFAULT CHARACTER SET utf8mb4 */",
                    db.replace('`', "``")
                );
                let (sql, binds) = values_query(
                    &["Database", "Create Database"],
                    vec![vec![text(db), Value::Text(create)]],
                );
                (sql, binds, String::new(), &None)
            }
            Show::Variables { filter } => {
                let rows = self
                    .vars
                    .show()
                    .into_iter()
                    .map(|(k, v)| vec![Value::Text(k), Value::Text(v)])
                    .collect();
                let (sql, binds) = values_query(&["Variable_name", "Value"], rows);
                (sql, binds, "Variable_name".to_string(), filter)
            }
            Show::Status { filter } => {
                let uptime = self
                    .state
                    .started()
                    .elapsed()
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let rows = vec![
                    vec![
                        text("Questions"),
                        Value::Text(
                            self.state
                                .counters
                                .queries
                                .load(Ordering::Relaxed)
                                .to_string(),
                        ),
                    ],
                    vec![text("Ssl_cipher"), text("")],
                    vec![
                        text("Threads_connected"),
                        Value::Text(self.state.open_connections().to_string()),
                    ],
                    vec![text("Uptime"), Value::Text(uptime.to_string())],
                ];
                let (sql, binds) = values_query(&["Variable_name", "Value"], rows);
                (sql, binds, "Variable_name".to_string(), filter)
            }
            Show::Diagnostics {
                count: true,
                errors,
            } => {
                let name = if *errors {
                    "@@session.error_count"
                } else {
                    "@@session.warning_count"
                };
                let (sql, binds) = values_query(&[name], vec![vec![Value::Integer(0)]]);
                (sql, binds, String::new(), &None)
            }
            Show::Diagnostics { count: false, .. } => {
                let sql =
                    "SELECT '' AS \"Level\", 0 AS \"Code\", '' AS \"Message\" WHERE 0".to_string();
                (sql, Vec::new(), String::new(), &None)
            }
            Show::Engines => {
                let comment = format!("Embedded SQLite {}", rusqlite::version());
                let (sql, binds) = values_query(
                    &[
                        "Engine",
                        "Support",
                        "Comment",
                        "Transactions",
                        "XA",
                        "Savepoints",
                    ],
                    vec![vec![
                        text("SQLite"),
                        text("DEFAULT"),
                        Value::Text(comment),
                        text("YES"),
                        text("NO"),
                        text("YES"),
                    ]],
                );
                (sql, binds, String::new(), &None)
            }
            Show::Charset { filter } => {
                let rows = [
                    ("binary", "Binary pseudo charset", "binary", 1),
                    ("utf8mb3", "UTF-8 Unicode", "utf8mb3_general_ci", 3),
                    ("utf8mb4", "UTF-8 Unicode", "utf8mb4_general_ci", 4),
                ]
                .into_iter()
                .map(|(c, d, col, n)| vec![text(c), text(d), text(col), Value::Integer(n)])
                .collect();
                let (sql, binds) = values_query(
                    &["Charset", "Description", "Default collation", "Maxlen"],
                    rows,
                );
                (sql, binds, "Charset".to_string(), filter)
            }
            Show::Collation { filter } => {
                let rows = [
                    ("binary", "binary", 63, "Yes"),
                    ("utf8mb3_bin", "utf8mb3", 83, ""),
                    ("utf8mb3_general_ci", "utf8mb3", 33, "Yes"),
                    ("utf8mb4_0900_ai_ci", "utf8mb4", 255, ""),
                    ("utf8mb4_bin", "utf8mb4", 46, ""),
                    ("utf8mb4_general_ci", "utf8mb4", 45, "Yes"),
                    ("utf8mb4_unicode_ci", "utf8mb4", 224, ""),
                ]
                .into_iter()
                .map(|(c, cs, id, d)| {
                    vec![
                        text(c),
                        text(cs),
                        Value::Integer(id),
                        text(d),
                        text("Yes"),
                        Value::Integer(1),
                        text("PAD SPACE"),
                    ]
                })
                .collect();
                let (sql, binds) = values_query(
                    &[
                        "Collation",
                        "Charset",
                        "Id",
                        "Default",
                        "Compiled",
                        "Sortlen",
                        "Pad_attribute",
                    ],
                    rows,
                );
                (sql, binds, "Collation".to_string(), filter)
            }
            Show::TableStatus { filter } => {
                let sql = "SELECT name AS \"Name\", 'SQLite' AS \"Engine\", 10 AS \"Version\", \
                     'Dynamic' AS \"Row_format\", NULL AS \"Rows\", 0 AS \"Avg_row_length\", \
                     0 AS \"Data_length\", 0 AS \"Max_data_length\", 0 AS \"Index_length\", \
                     0 AS \"Data_free\", NULL AS \"Auto_increment\", NULL AS \"Create_time\", \
                     NULL AS \"Update_time\", NULL AS \"Check_time\", \
                     'utf8mb4_general_ci' AS \"Collation\", NULL AS \"Checksum\", \
                     '' AS \"Create_options\", CASE type WHEN 'view' THEN 'VIEW' ELSE '' END AS \"Comment\" \
                     FROM sqlite_schema WHERE type IN ('table', 'view') \
                     AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
                    .to_string();
                (sql, Vec::new(), "Name".to_string(), filter)
            }
            Show::Processlist => {
                let host = self.peer.to_string();
                let row = vec![
                    Value::Integer(i64::from(self.kill.id())),
                    text(&self.user),
                    Value::Text(host),
                    text(&self.database),
                    text("Query"),
                    Value::Integer(0),
                    text("executing"),
                    text("SHOW PROCESSLIST"),
                ];
                let (sql, binds) = values_query(
                    &[
                        "Id", "User", "Host", "db", "Command", "Time", "State", "Info",
                    ],
                    vec![row],
                );
                (sql, binds, String::new(), &None)
            }
        };
        let sql = match filter {
            None => base,
            Some(Filter::Like(pattern)) => {
                let (p, mut pbinds) = self.render(pattern, params)?;
                // The pattern's own placeholders follow the base query's.
                let sql = format!(
                    "SELECT * FROM ({base}) WHERE {} LIKE {p} ESCAPE '\\'",
                    sqlite_ident(&like_column)
                );
                binds.append(&mut pbinds);
                sql
            }
            Some(Filter::Where(expr)) => {
                let (w, mut wbinds) = self.render(expr, params)?;
                binds.append(&mut wbinds);
                format!("SELECT * FROM ({base}) WHERE {w}")
            }
        };
        let sql = renumber(&sql);
        let options = StreamOptions {
            insert: false,
            empty_error,
        };
        self.stream(&sql, binds, format, more, options).await
    }

    /// `SHOW ... FROM db` only for the session's own database.
    fn same_database(&self, db: Option<&str>) -> Result<(), Failure> {
        match db {
            Some(d) if d != self.database => Err(Failure::new(
                1235,
                "42000",
                format!(
                    "This version of ArticDBM doesn't yet support 'SHOW ... FROM {d}' from a \
                     connection to '{}' (use `USE {d}` first)",
                    self.database
                ),
            )),
            _ => Ok(()),
        }
    }

    pub(super) fn no_table(&self, table: &str) -> Failure {
        Failure::new(
            1146,
            "42S02",
            format!("Table '{}.{table}' doesn't exist", self.database),
        )
    }

    async fn table_exists(&mut self, table: &str) -> Result<(), Failure> {
        let row = self
            .first_row(
                "SELECT 1 FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?1 \
                 COLLATE NOCASE",
                vec![text(table)],
            )
            .await?;
        if row.is_empty() {
            return Err(self.no_table(table));
        }
        Ok(())
    }
}
