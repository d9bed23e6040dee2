//! Rendering of key paths (`databases.main.pool.size`, `databases."*".port`) the way TOML
//! writes dotted keys, so a path in an error message can be pasted back into a file.

/// Renders `segments` as a dotted TOML key, quoting segments that are not bare keys.
pub(crate) fn render<S: AsRef<str>>(segments: &[S]) -> String {
    let mut out = String::new();
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_segment(&mut out, segment.as_ref());
    }
    out
}

/// Appends one segment to `out`, quoted if needed.
fn push_segment(out: &mut String, segment: &str) {
    let bare = !segment.is_empty()
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        out.push_str(segment);
        return;
    }
    out.push('"');
    for c in segment.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_quoted() {
        assert_eq!(
            render(&["databases", "main", "pool", "size"]),
            "databases.main.pool.size"
        );
        assert_eq!(render(&["databases", "*", "port"]), "databases.\"*\".port");
        assert_eq!(render(&["users", "a\"b"]), "users.\"a\\\"b\"");
    }
}
