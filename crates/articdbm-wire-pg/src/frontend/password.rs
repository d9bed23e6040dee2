//! The 'p' family: PasswordMessage (cleartext or md5 response), SASLInitialResponse and
//! SASLResponse. Which one a 'p' carries depends on what the server asked for.

use bytes::{Bytes, BytesMut};

use crate::builder::MessageBuilder;
use crate::error::WireError;
use crate::frame::Frame;
use crate::reader::Reader;

use super::tag;

/// SASLInitialResponse: the chosen mechanism and the client-first message.
#[derive(Debug, Clone)]
pub struct SaslInitialResponse {
    pub mechanism: String,
    pub data: Bytes,
}

fn expect_password(frame: &Frame) -> Result<(), WireError> {
    if frame.tag() == tag::PASSWORD {
        Ok(())
    } else {
        Err(WireError::malformed(
            "password",
            "expected a password message",
        ))
    }
}

impl SaslInitialResponse {
    pub fn decode(frame: &Frame) -> Result<Self, WireError> {
        expect_password(frame)?;
        let mut r = Reader::new(frame.body(), "SASLInitialResponse");
        let mechanism = r.string()?;
        let len = r.i32()?;
        let data = if len < 0 {
            Bytes::new()
        } else {
            r.take(len as usize)?
        };
        r.finish()?;
        Ok(SaslInitialResponse { mechanism, data })
    }

    pub fn write(buf: &mut BytesMut, mechanism: &str, data: &[u8]) {
        let mut m = MessageBuilder::new(buf, tag::PASSWORD);
        m.cstr(mechanism.as_bytes())
            .i32(data.len() as i32)
            .bytes(data);
        m.finish();
    }
}

/// SASLResponse: the raw payload (client-final message for SCRAM).
pub fn decode_sasl_response(frame: &Frame) -> Result<Bytes, WireError> {
    expect_password(frame)?;
    Ok(frame.body())
}

pub fn write_sasl_response(buf: &mut BytesMut, data: &[u8]) {
    let mut m = MessageBuilder::new(buf, tag::PASSWORD);
    m.bytes(data);
    m.finish();
}

/// PasswordMessage: a NUL-terminated password or md5 response.
pub fn decode_password(frame: &Frame) -> Result<Bytes, WireError> {
    expect_password(frame)?;
    let mut r = Reader::new(frame.body(), "PasswordMessage");
    let pw = r.cstr()?;
    r.finish()?;
    Ok(pw)
}

pub fn write_password(buf: &mut BytesMut, password: &[u8]) {
    let mut m = MessageBuilder::new(buf, tag::PASSWORD);
    m.cstr(password);
    m.finish();
}
