//! `Authentication*` ('R'): the server's authentication requests and results.

use bytes::{Bytes, BytesMut};

use crate::builder::MessageBuilder;
use crate::error::WireError;
use crate::frame::Frame;
use crate::reader::Reader;

use super::tag;

const OK: i32 = 0;
const CLEARTEXT: i32 = 3;
const MD5: i32 = 5;
const SASL: i32 = 10;
const SASL_CONTINUE: i32 = 11;
const SASL_FINAL: i32 = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    Ok,
    CleartextPassword,
    Md5Password {
        salt: [u8; 4],
    },
    Sasl {
        mechanisms: Vec<String>,
    },
    SaslContinue(Bytes),
    SaslFinal(Bytes),
    /// A method the proxy does not speak (Kerberos, GSS, SSPI).
    Unsupported(i32),
}

impl Authentication {
    pub fn decode(frame: &Frame) -> Result<Self, WireError> {
        if frame.tag() != tag::AUTHENTICATION {
            return Err(WireError::malformed("Authentication", "wrong tag"));
        }
        let mut r = Reader::new(frame.body(), "Authentication");
        Ok(match r.i32()? {
            OK => Authentication::Ok,
            CLEARTEXT => Authentication::CleartextPassword,
            MD5 => {
                let s = r.take(4)?;
                Authentication::Md5Password {
                    salt: [s[0], s[1], s[2], s[3]],
                }
            }
            SASL => {
                let mut mechanisms = Vec::new();
                loop {
                    let m = r.string()?;
                    if m.is_empty() {
                        break;
                    }
                    mechanisms.push(m);
                }
                Authentication::Sasl { mechanisms }
            }
            SASL_CONTINUE => Authentication::SaslContinue(r.rest()),
            SASL_FINAL => Authentication::SaslFinal(r.rest()),
            other => Authentication::Unsupported(other),
        })
    }

    pub fn write(&self, buf: &mut BytesMut) {
        let mut m = MessageBuilder::new(buf, tag::AUTHENTICATION);
        match self {
            Authentication::Ok => {
                m.i32(OK);
            }
            Authentication::CleartextPassword => {
                m.i32(CLEARTEXT);
            }
            Authentication::Md5Password { salt } => {
                m.i32(MD5).bytes(salt);
            }
            Authentication::Sasl { mechanisms } => {
                m.i32(SASL);
                for mech in mechanisms {
                    m.cstr(mech.as_bytes());
                }
                m.u8(0);
            }
            Authentication::SaslContinue(d) => {
                m.i32(SASL_CONTINUE).bytes(d);
            }
            Authentication::SaslFinal(d) => {
                m.i32(SASL_FINAL).bytes(d);
            }
            Authentication::Unsupported(code) => {
                m.i32(*code);
            }
        }
        m.finish();
    }
}
