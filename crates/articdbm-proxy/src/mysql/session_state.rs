//! What a MySQL statement does to the server session beyond its transaction, so that in
//! transaction (multiplexing) mode no client ever gets a connection carrying another client's
//! state. A cheap keyword scan that errs on the side of pinning:
//!
//! - `SET [SESSION] sysvar = value, ...` and `SET NAMES` / `SET CHARACTER SET` are *replayed*:
//!   the session remembers them and runs them on every server it is given next;
//! - `USE db` changes the schema, which is replayed the same way;
//! - user variables, temporary tables, `GET_LOCK`, SQL-level `PREPARE`, `LOCK TABLES`,
//!   `SET TRANSACTION` (next transaction only), `HANDLER`, `SELECT ... INTO @var` and
//!   `CONNECTION_ID()` *pin* the session to its server until it ends.

/// What running a statement does to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MySqlEffect {
    None,
    /// Session variables set with plain values: replay this statement on the next servers.
    Replay,
    /// `USE <schema>`.
    Schema(String),
    /// State that can't be moved to another server: keep this one.
    Pin(&'static str),
}

/// Classifies one COM_QUERY text (which may hold several statements).
pub fn classify(sql: &str) -> MySqlEffect {
    let mut statements = sql.split(';').map(str::trim).filter(|s| !s.is_empty());
    let Some(first) = statements.next() else {
        return MySqlEffect::None;
    };
    let effect = classify_one(first);
    match statements.next() {
        None => effect,
        // Several statements: anything beyond plain reads and writes pins (replaying part of a
        // batch would be wrong).
        Some(_) => {
            let rest_none = sql
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .all(|s| classify_one(s) == MySqlEffect::None);
            if rest_none {
                MySqlEffect::None
            } else {
                MySqlEffect::Pin("a multi-statement query changes session state")
            }
        }
    }
}

/// Whether a COM_QUERY text is one plain `SELECT` that may run on any synced Galera node:
/// a single statement starting with `SELECT` that leaves no session state (see
/// [`classify`]), takes no locks (`FOR UPDATE`, `LOCK IN SHARE MODE`, `FOR SHARE`), writes
/// nothing (`INTO OUTFILE/DUMPFILE`, `NEXTVAL`/`SETVAL`) and reads nothing tied to its
/// connection (`LAST_INSERT_ID()`, `ROW_COUNT()`, `FOUND_ROWS()`). Errs towards `false`: a
/// version comment (`/*!`) or anything else unusual keeps the statement on the writer.
pub fn is_read_only(sql: &str) -> bool {
    let trimmed = sql.trim().trim_end_matches(';');
    if trimmed.contains(';') {
        return false;
    }
    let stmt = skip_comments(trimmed);
    let first = stmt.split_ascii_whitespace().next().unwrap_or("");
    if !first.eq_ignore_ascii_case("SELECT") || stmt.contains("/*!") {
        return false;
    }
    if classify_one(stmt) != MySqlEffect::None {
        return false;
    }
    const NOT_PLAIN: [&str; 10] = [
        "for update",
        "lock in share mode",
        "for share",
        " into ",
        "nextval(",
        "setval(",
        "lastval(",
        "last_insert_id(",
        "row_count(",
        "found_rows(",
    ];
    let flat: String = stmt
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    !NOT_PLAIN.iter().any(|k| contains_ignore_case(&flat, k))
}

fn classify_one(stmt: &str) -> MySqlEffect {
    let stmt = skip_comments(stmt);
    let mut words = stmt.split_ascii_whitespace();
    let first = words.next().unwrap_or("");
    let second = words.next().unwrap_or("");
    let is = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
    if is(first, "SET") {
        return classify_set(stmt, second);
    }
    if is(first, "USE") {
        let schema = second.trim_matches('`').trim_end_matches(';');
        return MySqlEffect::Schema(schema.to_string());
    }
    if is(first, "CREATE") && (is(second, "TEMPORARY") || is(second, "TEMP")) {
        return MySqlEffect::Pin("temporary table");
    }
    if ["PREPARE", "EXECUTE", "DEALLOCATE"]
        .iter()
        .any(|k| is(first, k))
    {
        return MySqlEffect::Pin("SQL-level prepared statement");
    }
    if is(first, "LOCK") || is(first, "HANDLER") {
        return MySqlEffect::Pin("table lock or handler");
    }
    if contains_ignore_case(stmt, "get_lock(") || contains_ignore_case(stmt, "is_used_lock(") {
        return MySqlEffect::Pin("named lock (GET_LOCK)");
    }
    if stmt.contains(":=") || contains_ignore_case(stmt, "into @") {
        return MySqlEffect::Pin("user variable assignment");
    }
    if contains_ignore_case(stmt, "connection_id(") {
        // The client learns which server thread it is on (to KILL it later, say): from now
        // on that must stay true.
        return MySqlEffect::Pin("CONNECTION_ID() ties the client to its server thread");
    }
    MySqlEffect::None
}

fn classify_set(stmt: &str, second: &str) -> MySqlEffect {
    let is = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
    if is(second, "TRANSACTION") {
        return MySqlEffect::Pin("SET TRANSACTION applies to the next transaction");
    }
    if is(second, "GLOBAL") || second.to_ascii_lowercase().starts_with("@@global.") {
        return MySqlEffect::None;
    }
    if is(second, "NAMES") || (is(second, "CHARACTER") || is(second, "CHARSET")) {
        return if stmt.contains('@') || stmt.contains('(') {
            MySqlEffect::Pin("SET with an expression")
        } else {
            MySqlEffect::Replay
        };
    }
    if is(second, "PASSWORD") || is(second, "ROLE") || is(second, "DEFAULT") {
        return MySqlEffect::Pin("SET PASSWORD/ROLE");
    }
    // `SET [SESSION|LOCAL] var = literal, @@session.var = literal ...`: replayable when no
    // user variable, subquery or function call is involved.
    let after_set = stmt[3..].trim_start();
    let user_variable = after_set
        .split(',')
        .any(|a| a.trim_start().starts_with('@') && !a.trim_start().starts_with("@@"));
    if user_variable {
        return MySqlEffect::Pin("user variable");
    }
    if stmt.contains('(') || contains_ignore_case(stmt, "select") {
        return MySqlEffect::Pin("SET with an expression");
    }
    MySqlEffect::Replay
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Skips leading whitespace and `/* */`, `-- ` and `#` comments (but not `/*! ... */`
/// version comments, whose content MySQL runs).
fn skip_comments(mut s: &str) -> &str {
    loop {
        s = s.trim_start();
        if s.starts_with("/*!") {
            return s;
        }
        if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r);
        } else if s.starts_with("-- ") || s.starts_with('#') {
            s = s.split_once('\n').map_or("", |(_, r)| r);
        } else {
            return s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_statements_leave_no_state() {
        for sql in [
            "SELECT 1",
            "insert into t values (1)",
            "BEGIN",
            "COMMIT",
            "SET GLOBAL max_connections = 10",
            "select 1; select 2",
        ] {
            assert_eq!(classify(sql), MySqlEffect::None, "{sql}");
        }
    }

    #[test]
    fn session_variables_are_replayed() {
        for sql in [
            "SET autocommit=0",
            "set session time_zone = '+05:00'",
            "SET NAMES utf8mb4",
            "SET @@session.sql_mode = 'ANSI', autocommit = 1",
            "/* driver */ SET character_set_results = NULL",
        ] {
            assert_eq!(classify(sql), MySqlEffect::Replay, "{sql}");
        }
    }

    #[test]
    fn unmovable_state_pins() {
        for sql in [
            "SET @x = 1",
            "set @x := (select 1)",
            "SELECT @y := 2",
            "CREATE TEMPORARY TABLE t (a int)",
            "SELECT GET_LOCK('a', 1)",
            "PREPARE s FROM 'select 1'",
            "LOCK TABLES t WRITE",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "SET time_zone = (SELECT '+01:00')",
            "SELECT 1 INTO @z",
            "SELECT CONNECTION_ID()",
            "select 1; set @a = 1",
        ] {
            assert!(matches!(classify(sql), MySqlEffect::Pin(_)), "{sql}");
        }
    }

    #[test]
    fn plain_selects_are_read_only() {
        for sql in [
            "SELECT 1",
            "select id, name from t where id = 3;",
            "/* app */ SELECT count(*) FROM orders",
            "SELECT @@wsrep_node_name",
            "select sleep(1)",
        ] {
            assert!(is_read_only(sql), "{sql}");
        }
        for sql in [
            "INSERT INTO t VALUES (1)",
            "SELECT 1; SELECT 2",
            "select * from t for update",
            "SELECT * FROM t LOCK IN SHARE MODE",
            "select * from t for\nshare",
            "SELECT a INTO @x FROM t",
            "SELECT * FROM t INTO OUTFILE '/tmp/x'",
            "SELECT LAST_INSERT_ID()",
            "select nextval(s)",
            "SELECT GET_LOCK('a', 1)",
            "SELECT CONNECTION_ID()",
            "/*!40101 SET NAMES utf8 */",
            "SELECT /*!50000 SQL_NO_CACHE */ 1",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "SHOW TABLES",
            "",
        ] {
            assert!(!is_read_only(sql), "{sql}");
        }
    }

    #[test]
    fn use_names_the_schema() {
        assert_eq!(classify("USE `shop`"), MySqlEffect::Schema("shop".into()));
        assert_eq!(classify("use other"), MySqlEffect::Schema("other".into()));
    }
}
