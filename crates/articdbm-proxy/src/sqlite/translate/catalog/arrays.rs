//! PostgreSQL array values on SQLite, kept as their PostgreSQL text form (`{a,"b c",NULL}`, or
//! `1 2` for `int2vector`/`oidvector`): parsing and printing, and the SQL functions over them
//! (`pg_array_json` for `unnest`/`= ANY`, `pg_array`, `pg_array_get`, `array_to_string`,
//! `array_upper`, `array_length`, `cardinality`, and the `array_agg` aggregate).

use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Result};

/// Parses a PostgreSQL array literal (`{..}`, one dimension) or a space-separated vector.
pub(crate) fn parse(text: &str) -> Vec<Option<String>> {
    let s = text.trim();
    let Some(body) = s.strip_prefix('{').and_then(|b| b.strip_suffix('}')) else {
        return s.split_whitespace().map(|e| Some(e.to_owned())).collect();
    };
    let mut out = Vec::new();
    let mut chars = body.chars().peekable();
    if body.trim().is_empty() {
        return out;
    }
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut item = String::new();
        let mut quoted = false;
        if chars.peek() == Some(&'"') {
            quoted = true;
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            item.push(n);
                        }
                    }
                    '"' => break,
                    c => item.push(c),
                }
            }
            while chars.peek().is_some_and(|c| *c != ',') {
                chars.next();
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                item.push(c);
                chars.next();
            }
            item = item.trim().to_owned();
        }
        if !quoted && item.eq_ignore_ascii_case("null") {
            out.push(None);
        } else {
            out.push(Some(item));
        }
        if chars.next().is_none() {
            break;
        }
    }
    out
}

fn needs_quotes(e: &str) -> bool {
    e.is_empty()
        || e.eq_ignore_ascii_case("null")
        || e.chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace())
}

/// Prints elements as a PostgreSQL array literal.
pub(crate) fn format(items: &[Option<String>]) -> String {
    let mut s = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        match item {
            None => s.push_str("NULL"),
            Some(e) if needs_quotes(e) => {
                s.push('"');
                for c in e.chars() {
                    if c == '"' || c == '\\' {
                        s.push('\\');
                    }
                    s.push(c);
                }
                s.push('"');
            }
            Some(e) => s.push_str(e),
        }
    }
    s.push('}');
    s
}

/// A SQLite value as one array element's text.
pub(crate) fn element_text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(r) => Some(r.to_string()),
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => {
            let mut s = String::from("\\x");
            for byte in b {
                s.push_str(&format!("{byte:02x}"));
            }
            Some(s)
        }
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The elements as a JSON array (integers as numbers), for `json_each`.
pub(crate) fn to_json(items: &[Option<String>]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|i| match i {
            None => "null".to_owned(),
            Some(e) if e.parse::<i64>().is_ok() && !e.starts_with('+') => e.clone(),
            Some(e) => json_string(e),
        })
        .collect();
    format!("[{}]", parts.join(","))
}

fn array_arg(ctx: &Context<'_>, i: usize) -> Option<Vec<Option<String>>> {
    match ctx.get_raw(i) {
        ValueRef::Null => None,
        ValueRef::Text(t) => Some(parse(&String::from_utf8_lossy(t))),
        other => Some(vec![element_text(other)]),
    }
}

/// `array_agg(x)`: collects values into a PostgreSQL array literal (NULL for no rows);
/// `array_agg_bool` writes booleans as `t`/`f`.
struct ArrayAgg {
    bools: bool,
}

impl Aggregate<Vec<Option<String>>, Option<String>> for ArrayAgg {
    fn init(&self, _: &mut Context<'_>) -> Result<Vec<Option<String>>> {
        Ok(Vec::new())
    }

    fn step(&self, ctx: &mut Context<'_>, acc: &mut Vec<Option<String>>) -> Result<()> {
        let v = ctx.get_raw(0);
        acc.push(match v {
            ValueRef::Integer(i) if self.bools => Some(if i != 0 { "t" } else { "f" }.to_owned()),
            other => element_text(other),
        });
        Ok(())
    }

    fn finalize(
        &self,
        _: &mut Context<'_>,
        acc: Option<Vec<Option<String>>>,
    ) -> Result<Option<String>> {
        Ok(acc.map(|a| format(&a)))
    }
}

/// Registers the array functions on `conn`.
pub(crate) fn register(conn: &Connection) -> Result<()> {
    let det = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("pg_array_json", 1, det, |ctx| {
        Ok(array_arg(ctx, 0).map_or_else(|| "[]".to_owned(), |a| to_json(&a)))
    })?;
    conn.create_scalar_function("pg_array", -1, det, |ctx| {
        let items: Vec<Option<String>> = (0..ctx.len())
            .map(|i| element_text(ctx.get_raw(i)))
            .collect();
        Ok(format(&items))
    })?;
    conn.create_scalar_function("pg_array_get", 2, det, |ctx| {
        let idx: Option<i64> = ctx.get(1)?;
        Ok(match (array_arg(ctx, 0), idx) {
            (Some(a), Some(i)) if i >= 1 => a.get((i - 1) as usize).cloned().flatten(),
            _ => None,
        })
    })?;
    for n_arg in [2, 3] {
        conn.create_scalar_function("array_to_string", n_arg, det, |ctx| {
            let Some(a) = array_arg(ctx, 0) else {
                return Ok(None);
            };
            let sep: String = ctx.get::<Option<String>>(1)?.unwrap_or_default();
            let null: Option<String> = if ctx.len() > 2 { ctx.get(2)? } else { None };
            let parts: Vec<String> = a
                .into_iter()
                .filter_map(|e| e.or_else(|| null.clone()))
                .collect();
            Ok(Some(parts.join(&sep)))
        })?;
    }
    conn.create_scalar_function("array_upper", 2, det, |ctx| {
        Ok(array_arg(ctx, 0)
            .filter(|a| !a.is_empty())
            .map(|a| a.len() as i64))
    })?;
    conn.create_scalar_function("array_length", 2, det, |ctx| {
        Ok(array_arg(ctx, 0)
            .filter(|a| !a.is_empty())
            .map(|a| a.len() as i64))
    })?;
    conn.create_scalar_function("cardinality", 1, det, |ctx| {
        Ok(array_arg(ctx, 0).map(|a| a.len() as i64))
    })?;
    conn.create_aggregate_function("array_agg", 1, det, ArrayAgg { bools: false })?;
    conn.create_aggregate_function("array_agg_bool", 1, det, ArrayAgg { bools: true })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format_round_trip() {
        let items = vec![
            Some("a".to_owned()),
            Some("b c".to_owned()),
            None,
            Some("q\"x".to_owned()),
            Some(String::new()),
        ];
        let text = format(&items);
        assert_eq!(text, r#"{a,"b c",NULL,"q\"x",""}"#);
        assert_eq!(parse(&text), items);
        assert_eq!(parse("1 2 3").len(), 3);
        assert!(parse("{}").is_empty());
        assert_eq!(to_json(&parse("{1,x,NULL}")), r#"[1,"x",null]"#);
    }
}
