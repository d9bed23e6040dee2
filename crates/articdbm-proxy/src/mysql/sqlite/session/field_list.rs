//! COM_FIELD_LIST (the mysql client's column-name completion): a table's columns as column
//! definitions, with their defaults as MySQL shows them, from SQLite's `pragma_table_info`.

use articdbm_wire_mysql::resultset::{ColumnDefinition41, ColumnFlags};
use bytes::Bytes;

use super::show_sql::text;
use super::{Failure, Session};
use crate::mysql::sqlite::coltype;
use crate::sqlite::Value;

impl Session {
    /// COM_FIELD_LIST: the table's column definitions with their defaults.
    pub(super) async fn on_field_list(&mut self, payload: &[u8]) {
        let rest = payload.get(1..).unwrap_or(&[]);
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        let table = String::from_utf8_lossy(&rest[..end]).into_owned();
        let rows = self
            .first_rows(
                "SELECT name, type, dflt_value, \"notnull\", pk FROM pragma_table_info(?1)",
                vec![text(&table)],
            )
            .await;
        let rows = match rows {
            Ok(r) if !r.is_empty() => r,
            Ok(_) => {
                let f = self.no_table(&table);
                self.queue_failure(&f);
                return;
            }
            Err(f) => {
                self.queue_failure(&f);
                return;
            }
        };
        let defs: Vec<ColumnDefinition41> = rows
            .iter()
            .map(|r| {
                let get = |i: usize| match r.get(i) {
                    Some(Value::Text(t)) => Some(t.clone()),
                    _ => None,
                };
                let name = get(0).unwrap_or_default();
                let decl = get(1).unwrap_or_default();
                let shape = coltype::from_decl(&decl, self.charset)
                    .unwrap_or_else(|| coltype::from_value(None, self.charset));
                let mut def = shape.definition(&name, &self.database);
                def.table = Bytes::copy_from_slice(table.as_bytes());
                def.org_table = def.table.clone();
                let int = |i: usize| matches!(r.get(i), Some(Value::Integer(n)) if *n != 0);
                if int(3) || int(4) {
                    def.flags = def.flags | ColumnFlags::NOT_NULL;
                }
                if int(4) {
                    def.flags = def.flags | ColumnFlags::PRI_KEY;
                    if decl.eq_ignore_ascii_case("INTEGER") {
                        def.flags = def.flags | ColumnFlags::AUTO_INCREMENT;
                    }
                }
                let default = get(2).map(|d| unquote_default(&d)).unwrap_or_default();
                def.default_value = Some(Bytes::from(default.into_bytes()));
                def
            })
            .collect();
        let status = self.status(false);
        self.reply().field_list(&defs, status);
    }

    /// Every row of a small query.
    async fn first_rows(
        &mut self,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Vec<Vec<Value>>, Failure> {
        let mut exec = self.engine.execute(sql, params).await?;
        let mut rows = Vec::new();
        while let Some(batch) = exec.next_batch().await {
            rows.extend(batch?);
        }
        Ok(rows)
    }
}

/// A default as `pragma_table_info` spells it (`'text'`, `0`, `CURRENT_TIMESTAMP`) as
/// MySQL shows it (`text`).
fn unquote_default(d: &str) -> String {
    match d.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None if d.eq_ignore_ascii_case("NULL") => String::new(),
        None => d.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_unquoted() {
        assert_eq!(unquote_default("'it''s'"), "it's");
        assert_eq!(unquote_default("0"), "0");
        assert_eq!(unquote_default("NULL"), "");
    }
}
