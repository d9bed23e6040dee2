//! Dates and times as SQLite keeps them (ISO-8601 text, Unix seconds, or Julian day numbers;
//! SQLite has no date type) read into the MySQL wire's date/time values, and MySQL's binary
//! date/time parameters spelled as the text SQLite's date functions understand.

use articdbm_wire_mysql::resultset::{DateTime, Time};

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][Z|±HH:MM]`.
pub fn parse_datetime(text: &str) -> Option<DateTime> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let mut d = DateTime {
        year: t.get(0..4)?.parse().ok()?,
        month: t.get(5..7)?.parse().ok()?,
        day: t.get(8..10)?.parse().ok()?,
        ..DateTime::default()
    };
    let rest = &t[10..];
    if rest.is_empty() {
        return valid_date(d);
    }
    let rest = rest.strip_prefix([' ', 'T'])?;
    // A zone suffix (`Z`, `+02:00`, `-05:00`) is dropped: values are shown as stored.
    let rest = &rest[..rest.find(['Z', '+', '-']).unwrap_or(rest.len())];
    let time = parse_clock(rest)?;
    d.hour = time.0;
    d.minute = time.1;
    d.second = time.2;
    d.micros = time.3;
    valid_date(d)
}

fn valid_date(d: DateTime) -> Option<DateTime> {
    let ok_zero = d.year == 0 && d.month == 0 && d.day == 0;
    if ok_zero || ((1..=12).contains(&d.month) && (1..=31).contains(&d.day)) {
        Some(d)
    } else {
        None
    }
}

/// `HH:MM[:SS[.ffffff]]` → (hours, minutes, seconds, micros); hours may exceed 23.
fn parse_clock(s: &str) -> Option<(u8, u8, u8, u32)> {
    let mut parts = s.splitn(3, ':');
    let h: u8 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let (sec, micros) = match parts.next() {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            let frac: String = frac.chars().take_while(char::is_ascii_digit).collect();
            let micros = if frac.is_empty() {
                0
            } else {
                format!("{:0<6}", &frac[..frac.len().min(6)]).parse().ok()?
            };
            (whole.parse().ok()?, micros)
        }
    };
    (m < 60 && sec < 62).then_some((h, m, sec, micros))
}

/// `[-][D ]HH:MM:SS[.ffffff]` (hours may exceed 24).
pub fn parse_time(text: &str) -> Option<Time> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (days, clock) = match t.split_once(' ') {
        Some((d, c)) => (d.parse::<u32>().ok()?, c),
        None => (0, t),
    };
    let mut parts = clock.splitn(3, ':');
    let hours: u32 = parts.next()?.parse().ok()?;
    let minutes: u8 = parts.next()?.parse().ok()?;
    let sec = parts.next().unwrap_or("0");
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let seconds: u8 = whole.parse().ok()?;
    let micros = if frac.is_empty() {
        0
    } else {
        format!("{:0<6}", &frac[..frac.len().min(6)]).parse().ok()?
    };
    let total_hours = days * 24 + hours;
    Some(Time {
        negative,
        days: total_hours / 24,
        hours: (total_hours % 24) as u8,
        minutes,
        seconds,
        micros,
    })
}

/// Days since 1970-01-01 → (year, month, day) (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Unix seconds (with fraction) → a date and time in UTC; `None` outside years 0..=9999.
pub fn from_unix(seconds: f64) -> Option<DateTime> {
    if !seconds.is_finite() {
        return None;
    }
    let whole = seconds.floor();
    let micros = ((seconds - whole) * 1e6).round().min(999_999.0) as u32;
    let whole = whole as i64;
    let (y, m, d) = civil_from_days(whole.div_euclid(86_400));
    let secs = whole.rem_euclid(86_400);
    if !(0..=9999).contains(&y) {
        return None;
    }
    Some(DateTime {
        year: y as u16,
        month: m,
        day: d,
        hour: (secs / 3600) as u8,
        minute: (secs % 3600 / 60) as u8,
        second: (secs % 60) as u8,
        micros,
    })
}

/// A Julian day number (SQLite's `julianday()`) → a date and time in UTC.
pub fn from_julian(day: f64) -> Option<DateTime> {
    from_unix((day - 2_440_587.5) * 86_400.0)
}

/// `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS[.ffffff]` (fraction only when non-zero and
/// `fraction_digits` > 0, then with that many digits).
pub fn format_datetime(d: &DateTime, date_only: bool, fraction_digits: u8) -> String {
    let date = format!("{:04}-{:02}-{:02}", d.year, d.month, d.day);
    if date_only {
        return date;
    }
    let mut s = format!("{date} {:02}:{:02}:{:02}", d.hour, d.minute, d.second);
    if fraction_digits > 0 {
        let digits = usize::from(fraction_digits.min(6));
        let frac = format!("{:06}", d.micros);
        s.push('.');
        s.push_str(&frac[..digits]);
    }
    s
}

/// The text SQLite stores for a bound MySQL date/time parameter.
pub fn param_datetime(d: &DateTime, date_only: bool) -> String {
    let mut s = format_datetime(d, date_only, 0);
    if !date_only && d.micros != 0 {
        s.push_str(&format!(".{:06}", d.micros));
    }
    s
}

/// The text SQLite stores for a bound MySQL TIME parameter.
pub fn param_time(t: &Time) -> String {
    let hours = u64::from(t.days) * 24 + u64::from(t.hours);
    let sign = if t.negative { "-" } else { "" };
    let mut s = format!("{sign}{hours:02}:{:02}:{:02}", t.minutes, t.seconds);
    if t.micros != 0 {
        s.push_str(&format!(".{:06}", t.micros));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sqlite_spellings() {
        let d = parse_datetime("2024-02-29 23:59:58.5").unwrap();
        assert_eq!(
            (d.year, d.month, d.day, d.hour, d.second, d.micros),
            (2024, 2, 29, 23, 58, 500_000)
        );
        assert_eq!(parse_datetime("2024-02-29T01:02").unwrap().minute, 2);
        assert_eq!(parse_datetime("2024-02-29").unwrap().hour, 0);
        assert!(parse_datetime("2024-13-01").is_none());
        assert!(parse_datetime("hello").is_none());
        assert_eq!(parse_datetime("0000-00-00 00:00:00").unwrap().year, 0);
        let t = parse_time("-26:03:04.000050").unwrap();
        assert_eq!(
            (t.negative, t.days, t.hours, t.minutes, t.micros),
            (true, 1, 2, 3, 50)
        );
    }

    #[test]
    fn numbers_as_dates() {
        let d = from_unix(951_782_400.0).unwrap();
        assert_eq!(format_datetime(&d, false, 0), "2000-02-29 00:00:00");
        let d = from_julian(2_460_000.5).unwrap();
        assert_eq!(format_datetime(&d, true, 0), "2023-02-25");
        let d = parse_datetime("2001-02-03 04:05:06.123456").unwrap();
        assert_eq!(format_datetime(&d, false, 3), "2001-02-03 04:05:06.123");
        assert_eq!(param_datetime(&d, false), "2001-02-03 04:05:06.123456");
    }
}
