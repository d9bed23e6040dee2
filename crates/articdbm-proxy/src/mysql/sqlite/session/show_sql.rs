//! The SQL behind `SHOW`: MySQL's layouts of `SHOW COLUMNS` and `SHOW INDEX` over SQLite's
//! `pragma_table_info` / `pragma_index_list` / `pragma_index_info`, rows of the proxy's own
//! (variables, databases, ...) as a `VALUES` query with bound values, and the numbering of
//! placeholders when a `LIKE` / `WHERE` filter is put around a query.

use crate::mysql::sqlite::dialect::literal::sqlite_ident;
use crate::sqlite::Value;

/// `SHOW [FULL] COLUMNS` / `DESCRIBE`: one row per column of table `?1`.
pub(super) const COLUMNS_SQL: &str = "SELECT p.name AS \"Field\", lower(p.type) AS \"Type\", \
     CASE WHEN p.type LIKE '%CHAR%' OR p.type LIKE '%TEXT%' OR p.type LIKE '%CLOB%' \
       OR p.type = '' THEN 'utf8mb4_general_ci' END AS \"Collation\", \
     CASE WHEN p.\"notnull\" OR p.pk > 0 THEN 'NO' ELSE 'YES' END AS \"Null\", \
     CASE WHEN p.pk > 0 THEN 'PRI' \
       WHEN EXISTS (SELECT 1 FROM pragma_index_list(?1) AS il WHERE il.\"unique\" \
         AND (SELECT count(*) FROM pragma_index_info(il.name)) = 1 \
         AND (SELECT name FROM pragma_index_info(il.name)) = p.name) THEN 'UNI' \
       WHEN EXISTS (SELECT 1 FROM pragma_index_list(?1) AS il \
         WHERE (SELECT name FROM pragma_index_info(il.name) WHERE seqno = 0) = p.name) THEN 'MUL' \
       ELSE '' END AS \"Key\", \
     CASE WHEN p.dflt_value IS NULL OR upper(p.dflt_value) = 'NULL' THEN NULL \
       WHEN p.dflt_value LIKE '''%''' THEN replace(substr(p.dflt_value, 2, length(p.dflt_value) - 2), '''''', '''') \
       ELSE p.dflt_value END AS \"Default\", \
     CASE WHEN p.pk = 1 AND upper(p.type) = 'INTEGER' \
       AND (SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1 THEN 'auto_increment' \
       ELSE '' END AS \"Extra\", \
     'select,insert,update,references' AS \"Privileges\", '' AS \"Comment\" \
     FROM pragma_table_info(?1) AS p";

/// `SHOW INDEX`: one row per indexed column of table `?1` (the rowid key included).
pub(super) const INDEX_SQL: &str = "SELECT ?1 AS \"Table\", CASE WHEN il.\"unique\" THEN 0 ELSE 1 END AS \"Non_unique\", \
     CASE WHEN il.origin = 'pk' THEN 'PRIMARY' \
       WHEN il.name LIKE ?1 || '\\_%' ESCAPE '\\' THEN substr(il.name, length(?1) + 2) \
       ELSE il.name END AS \"Key_name\", \
     ii.seqno + 1 AS \"Seq_in_index\", ii.name AS \"Column_name\", 'A' AS \"Collation\", \
     NULL AS \"Cardinality\", NULL AS \"Sub_part\", NULL AS \"Packed\", '' AS \"Null\", \
     'BTREE' AS \"Index_type\", '' AS \"Comment\", '' AS \"Index_comment\", 'YES' AS \"Visible\", \
     NULL AS \"Expression\" \
     FROM pragma_index_list(?1) AS il, pragma_index_info(il.name) AS ii \
     UNION ALL \
     SELECT ?1, 0, 'PRIMARY', p.pk, p.name, 'A', NULL, NULL, NULL, '', 'BTREE', '', '', 'YES', NULL \
     FROM pragma_table_info(?1) AS p WHERE p.pk > 0 \
       AND NOT EXISTS (SELECT 1 FROM pragma_index_list(?1) WHERE origin = 'pk')";

/// `SELECT * FROM (VALUES ...)` with named columns; the values are bound.
pub(super) fn values_query(columns: &[&str], rows: Vec<Vec<Value>>) -> (String, Vec<Value>) {
    let names: Vec<String> = columns.iter().map(|c| sqlite_ident(c)).collect();
    if rows.is_empty() {
        let cols: Vec<String> = names.iter().map(|n| format!("NULL AS {n}")).collect();
        return (format!("SELECT {} WHERE 0", cols.join(", ")), Vec::new());
    }
    let row = format!("({})", vec!["?"; columns.len()].join(", "));
    let all = vec![row; rows.len()].join(", ");
    let sql = format!(
        "WITH v({}) AS (VALUES {all}) SELECT * FROM v",
        names.join(", ")
    );
    (sql, rows.into_iter().flatten().collect())
}

pub(super) fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// Makes every `?` of `sql` (outside strings) numbered in order, so that placeholders of a
/// filter follow the base query's numbered ones (`?1` is reused by the base query).
pub(super) fn renumber(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut highest = 0u32;
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                out.push(c);
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = match digits.parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => highest + 1,
                };
                highest = highest.max(n);
                out.push('?');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            renumber("SELECT ?1, '?', ?1 WHERE a LIKE ?"),
            "SELECT ?1, '?', ?1 WHERE a LIKE ?2"
        );
        assert_eq!(
            renumber("VALUES (?, ?), (?, ?)"),
            "VALUES (?1, ?2), (?3, ?4)"
        );
    }
}
