//! `ErrorResponse` ('E') and `NoticeResponse` ('N'): decode the fields the proxy acts on and build
//! the errors the proxy itself reports (always with a SQLSTATE).

use bytes::BytesMut;

use crate::builder::MessageBuilder;
use crate::error::WireError;
use crate::frame::Frame;
use crate::reader::Reader;

use super::tag;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Fatal,
    Warning,
    Notice,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Fatal => "FATAL",
            Severity::Warning => "WARNING",
            Severity::Notice => "NOTICE",
        }
    }
}

/// The fields of an error or notice that matter to the proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorFields {
    pub severity: String,
    pub code: String,
    pub message: String,
}

impl ErrorFields {
    pub fn decode(frame: &Frame) -> Result<Self, WireError> {
        let mut r = Reader::new(frame.body(), "ErrorResponse");
        let mut out = ErrorFields::default();
        loop {
            let field = r.u8()?;
            if field == 0 {
                break;
            }
            let value = String::from_utf8_lossy(&r.cstr()?).into_owned();
            match field {
                b'V' => out.severity = value,
                b'S' if out.severity.is_empty() => out.severity = value,
                b'C' => out.code = value,
                b'M' => out.message = value,
                _ => {}
            }
        }
        Ok(out)
    }
}

/// Writes an ErrorResponse with severity, SQLSTATE and message.
pub fn write_error(buf: &mut BytesMut, severity: Severity, code: &str, message: &str) {
    write_fields(buf, tag::ERROR_RESPONSE, severity, code, message, None);
}

/// Writes an ErrorResponse with an additional DETAIL field.
pub fn write_error_detail(
    buf: &mut BytesMut,
    severity: Severity,
    code: &str,
    message: &str,
    detail: &str,
) {
    write_fields(
        buf,
        tag::ERROR_RESPONSE,
        severity,
        code,
        message,
        Some(detail),
    );
}

/// Writes a NoticeResponse.
pub fn write_notice(buf: &mut BytesMut, severity: Severity, code: &str, message: &str) {
    write_fields(buf, tag::NOTICE_RESPONSE, severity, code, message, None);
}

fn write_fields(
    buf: &mut BytesMut,
    tag: u8,
    severity: Severity,
    code: &str,
    message: &str,
    detail: Option<&str>,
) {
    let mut m = MessageBuilder::new(buf, tag);
    m.u8(b'S').cstr(severity.as_str().as_bytes());
    m.u8(b'V').cstr(severity.as_str().as_bytes());
    m.u8(b'C').cstr(code.as_bytes());
    m.u8(b'M').cstr(message.as_bytes());
    if let Some(d) = detail {
        m.u8(b'D').cstr(d.as_bytes());
    }
    m.u8(0);
    m.finish();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut buf = BytesMut::new();
        write_error(
            &mut buf,
            Severity::Fatal,
            "28P01",
            "password authentication failed",
        );
        let f = crate::FrameDecoder::new(1 << 20)
            .decode(&mut buf)
            .unwrap()
            .unwrap();
        let e = ErrorFields::decode(&f).unwrap();
        assert_eq!(e.code, "28P01");
        assert_eq!(e.severity, "FATAL");
    }
}
