//! Values a client gives the parameters of an embedded SQLite session (at startup or with
//! `SET`), checked and spelled as a PostgreSQL server does: `client_encoding` (the engine reads
//! and writes UTF-8 only, so any other encoding gets the server's error for a conversion it does
//! not have), `DateStyle` (`iso, mdy` is `ISO, MDY`) and `TimeZone` (`utc` is `UTC`).

/// An error as (SQLSTATE, message).
pub type ValueError = (&'static str, String);

const FEATURE_NOT_SUPPORTED: &str = "0A000";
const INVALID_PARAMETER_VALUE: &str = "22023";

/// PostgreSQL's encoding names (normalised: upper case, no `-`/`_`) with their spelling.
const ENCODINGS: &[(&str, &str)] = &[
    ("UTF8", "UTF8"),
    ("UNICODE", "UTF8"),
    ("SQLASCII", "SQL_ASCII"),
    ("LATIN1", "LATIN1"),
    ("LATIN2", "LATIN2"),
    ("LATIN3", "LATIN3"),
    ("LATIN4", "LATIN4"),
    ("LATIN5", "LATIN5"),
    ("LATIN6", "LATIN6"),
    ("LATIN7", "LATIN7"),
    ("LATIN8", "LATIN8"),
    ("LATIN9", "LATIN9"),
    ("LATIN10", "LATIN10"),
    ("ISO88591", "LATIN1"),
    ("ISO885915", "LATIN9"),
    ("WIN1250", "WIN1250"),
    ("WIN1251", "WIN1251"),
    ("WIN1252", "WIN1252"),
    ("WINDOWS1252", "WIN1252"),
    ("KOI8R", "KOI8R"),
    ("EUCJP", "EUC_JP"),
    ("EUCKR", "EUC_KR"),
    ("EUCCN", "EUC_CN"),
    ("SJIS", "SJIS"),
    ("BIG5", "BIG5"),
    ("GBK", "GBK"),
    ("GB18030", "GB18030"),
    ("UHC", "UHC"),
];

/// The value to keep and report for `name`, or the error the server would give.
pub fn canonical(name: &str, value: &str) -> Result<String, ValueError> {
    // A value may come quoted as in SQL (asyncpg sends `client_encoding='utf-8'` at startup);
    // the server reads it without the quotes.
    let value = unquote(value);
    if name.eq_ignore_ascii_case("client_encoding") {
        return client_encoding(&value);
    }
    if name.eq_ignore_ascii_case("DateStyle") {
        return Ok(date_style(&value));
    }
    if name.eq_ignore_ascii_case("TimeZone") {
        let upper = value.to_ascii_uppercase();
        if upper == "UTC" || upper == "GMT" {
            return Ok(upper);
        }
    }
    Ok(value.into_owned())
}

/// `value` without one pair of surrounding single quotes (a doubled quote inside is one quote).
fn unquote(value: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = value.trim();
    match trimmed
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
    {
        Some(inner) => std::borrow::Cow::Owned(inner.replace("''", "'")),
        None => std::borrow::Cow::Borrowed(value),
    }
}

fn client_encoding(value: &str) -> Result<String, ValueError> {
    let normalised = value.to_ascii_uppercase().replace(['-', '_'], "");
    match ENCODINGS.iter().find(|(n, _)| *n == normalised) {
        Some((_, "UTF8")) => Ok("UTF8".to_owned()),
        Some((_, other)) => Err((
            FEATURE_NOT_SUPPORTED,
            format!("conversion between {other} and UTF8 is not supported"),
        )),
        None => Err((
            INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"client_encoding\": \"{value}\""),
        )),
    }
}

/// `DateStyle` as the server reports it: output style, then field order.
fn date_style(value: &str) -> String {
    let mut style = "ISO";
    let mut order = "MDY";
    for word in value
        .split([',', ' '])
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
    {
        match word.as_str() {
            "ISO" => style = "ISO",
            "SQL" => style = "SQL",
            "POSTGRES" => style = "Postgres",
            "GERMAN" => {
                style = "German";
                order = "DMY";
            }
            "DMY" | "EURO" | "EUROPEAN" => order = "DMY",
            "MDY" | "US" | "NONEURO" | "NONEUROPEAN" => order = "MDY",
            "YMD" => order = "YMD",
            _ => return value.to_owned(),
        }
    }
    format!("{style}, {order}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelled_as_the_server_reports() {
        assert_eq!(canonical("client_encoding", "utf-8"), Ok("UTF8".into()));
        assert_eq!(canonical("client_encoding", "'utf-8'"), Ok("UTF8".into()));
        assert_eq!(canonical("DateStyle", "iso, mdy"), Ok("ISO, MDY".into()));
        assert_eq!(canonical("datestyle", "sql,dmy"), Ok("SQL, DMY".into()));
        assert_eq!(canonical("TimeZone", "utc"), Ok("UTC".into()));
        assert_eq!(canonical("application_name", "x"), Ok("x".into()));
    }

    #[test]
    fn other_encodings_are_refused_as_the_server_refuses_a_missing_conversion() {
        assert_eq!(
            canonical("client_encoding", "LATIN9"),
            Err((
                "0A000",
                "conversion between LATIN9 and UTF8 is not supported".into()
            ))
        );
        assert_eq!(
            canonical("client_encoding", "nope").map_err(|e| e.0),
            Err("22023")
        );
    }
}
