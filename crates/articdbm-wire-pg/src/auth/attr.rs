//! Tokenizing of SCRAM messages (RFC 5802 section 7): comma-separated `x=value` attributes
//! over raw bytes, plus the nonce character check. Shared by the server and the client.

use super::error::AuthError;

/// Splits `msg` at commas (attribute values never contain a comma).
pub(crate) fn fields(msg: &[u8]) -> std::slice::Split<'_, u8, impl FnMut(&u8) -> bool> {
    msg.split(|&b| b == b',')
}

/// The value of `field` if it is `name=value`, otherwise `Malformed(missing)`.
pub(crate) fn expect_attr<'a>(
    field: Option<&'a [u8]>,
    name: u8,
    missing: &'static str,
) -> Result<&'a [u8], AuthError> {
    field
        .and_then(|f| attr_value(f, name))
        .ok_or(AuthError::Malformed(missing))
}

/// The value of `field` if it is `name=value`.
pub(crate) fn attr_value(field: &[u8], name: u8) -> Option<&[u8]> {
    match field {
        [n, b'=', value @ ..] if *n == name => Some(value),
        _ => None,
    }
}

/// A nonce is a non-empty run of printable ASCII other than `,` (RFC 5802 `printable`).
pub(crate) fn is_valid_nonce(nonce: &[u8]) -> bool {
    !nonce.is_empty()
        && nonce
            .iter()
            .all(|&b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// Parses a positive decimal iteration count no larger than `max`.
pub(crate) fn parse_iterations(value: &[u8], max: u32) -> Result<u32, AuthError> {
    if value.is_empty() || value.len() > 20 || !value.iter().all(u8::is_ascii_digit) {
        return Err(AuthError::Malformed("iteration count is not a number"));
    }
    let n = value
        .iter()
        .try_fold(0u64, |acc, &d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .unwrap_or(u64::MAX);
    u32::try_from(n)
        .ok()
        .filter(|i| (1..=max).contains(i))
        .ok_or(AuthError::IterationCount(n))
}
