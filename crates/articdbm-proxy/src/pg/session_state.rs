//! Which statements leave session state on a server connection (so that in transaction mode the
//! connection must be reset before another client gets it), and which drop prepared statements.
//! A cheap keyword scan, erring on the side of a reset.

/// What running a statement does to the server session beyond its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StateEffect {
    None,
    /// Leaves session state (SET, LISTEN, temp tables, advisory locks...): reset on check-in.
    Dirty,
    /// DEALLOCATE / DISCARD: prepared statements on the server are gone.
    DropsPrepared,
    /// DEALLOCATE ALL / DISCARD ALL: also every statement the client prepared is gone.
    DropsAllPrepared,
}

pub fn classify(sql: &str) -> StateEffect {
    sql.split(';')
        .map(classify_one)
        .max()
        .unwrap_or(StateEffect::None)
}

fn classify_one(stmt: &str) -> StateEffect {
    let mut words = significant(stmt).split_ascii_whitespace();
    let Some(first) = words.next() else {
        return StateEffect::None;
    };
    let second = words.next().unwrap_or("");
    let is = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
    if is(first, "DEALLOCATE") || is(first, "DISCARD") {
        let all = is(second, "ALL")
            || (is(first, "DEALLOCATE")
                && is(second, "PREPARE")
                && words.next().is_some_and(|w| is(w, "ALL")));
        return if all {
            StateEffect::DropsAllPrepared
        } else {
            StateEffect::DropsPrepared
        };
    }
    let dirty = if is(first, "SET") {
        !(is(second, "LOCAL") || is(second, "TRANSACTION"))
    } else if ["RESET", "LISTEN", "PREPARE", "LOAD"]
        .iter()
        .any(|k| is(first, k))
    {
        true
    } else if is(first, "CREATE") {
        is(second, "TEMP") || is(second, "TEMPORARY") || is(second, "GLOBAL") || is(second, "LOCAL")
    } else {
        is(first, "DECLARE") && contains_ignore_case(stmt, "with hold")
    };
    if dirty
        || (calls_a_function(stmt)
            && (contains_ignore_case(stmt, "pg_advisory_lock")
                || contains_ignore_case(stmt, "pg_try_advisory_lock")
                || contains_ignore_case(stmt, "set_config(")))
    {
        return StateEffect::Dirty;
    }
    StateEffect::None
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
        assert_eq!(classify("SELECT 1"), StateEffect::None);
        assert_eq!(classify("set local work_mem = '1MB'"), StateEffect::None);
        assert_eq!(
            classify("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"),
            StateEffect::None
        );
        assert_eq!(classify("/* c */ SET search_path = x"), StateEffect::Dirty);
        assert_eq!(classify("create temp table t(a int)"), StateEffect::Dirty);
        assert_eq!(classify("select pg_advisory_lock(1)"), StateEffect::Dirty);
        assert_eq!(
            classify("select pg_advisory_xact_lock(1)"),
            StateEffect::None
        );
        assert_eq!(
            classify("SELECT 1; DISCARD ALL"),
            StateEffect::DropsAllPrepared
        );
        assert_eq!(
            classify("deallocate prepare all"),
            StateEffect::DropsAllPrepared
        );
        assert_eq!(classify("DEALLOCATE s1"), StateEffect::DropsPrepared);
        assert_eq!(classify("DISCARD PLANS"), StateEffect::DropsPrepared);
        assert_eq!(classify("LISTEN chan"), StateEffect::Dirty);
    }
}
