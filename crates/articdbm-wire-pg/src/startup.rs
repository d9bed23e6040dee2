//! The untyped first message of a connection: StartupMessage, SSLRequest, GSSENCRequest or
//! CancelRequest (length word, then a 32-bit code, then the payload).

use bytes::{Buf, BufMut, BytesMut};

use crate::builder::MessageBuilder;
use crate::error::WireError;
use crate::reader::Reader;

/// Protocol 3.0, the only version spoken.
pub const PROTOCOL_3_0: u32 = 196_608;
/// Startup parameters with this prefix are protocol options, not settings.
pub const PROTOCOL_OPTION_PREFIX: &str = "_pq_.";
pub const SSL_REQUEST_CODE: u32 = 80_877_103;
pub const GSSENC_REQUEST_CODE: u32 = 80_877_104;
pub const CANCEL_REQUEST_CODE: u32 = 80_877_102;
/// Startup packets are small; anything larger is refused before buffering (PostgreSQL: 10000).
pub const MAX_STARTUP_LEN: u32 = 10_000;

/// A decoded first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartupPacket {
    SslRequest,
    GssEncRequest,
    Cancel {
        process_id: i32,
        secret_key: i32,
    },
    Startup(StartupParams),
    /// A StartupMessage for protocol 3.x with x > 0, or with protocol options: the server
    /// answers NegotiateProtocolVersion (3.0, `unrecognized`) and goes on as for 3.0.
    NewerStartup {
        params: StartupParams,
        minor: u16,
        /// The `_pq_.*` options asked for (none is supported), removed from `params`.
        unrecognized: Vec<String>,
    },
    /// A Terminate message sent instead of a StartupMessage: close without a word, as the
    /// server does.
    Terminate,
}

/// The parameters of a StartupMessage (`user`, `database`, `application_name`, options...).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StartupParams {
    pub params: Vec<(String, String)>,
}

impl StartupParams {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn user(&self) -> Option<&str> {
        self.get("user")
    }

    /// The database asked for; PostgreSQL defaults it to the user name.
    pub fn database(&self) -> Option<&str> {
        self.get("database").or_else(|| self.user())
    }

    /// Encodes a StartupMessage carrying these parameters.
    pub fn write(&self, buf: &mut BytesMut) {
        let mut m = MessageBuilder::untyped(buf);
        m.u32(PROTOCOL_3_0);
        for (k, v) in &self.params {
            m.cstr(k.as_bytes()).cstr(v.as_bytes());
        }
        m.u8(0);
        m.finish();
    }
}

/// Decodes a startup packet from `buf`, `Ok(None)` until it is complete.
pub fn decode(buf: &mut BytesMut) -> Result<Option<StartupPacket>, WireError> {
    // A typed message cannot be a startup packet: its type byte makes the length word far too
    // large. Terminate is the one a client sends when it gives up before starting up.
    if buf.first() == Some(&TERMINATE[0]) {
        if buf.len() < TERMINATE.len() {
            return Ok(None);
        }
        if buf[..TERMINATE.len()] == TERMINATE {
            buf.advance(TERMINATE.len());
            return Ok(Some(StartupPacket::Terminate));
        }
    }
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = (&buf[..4]).get_u32();
    if !(8..=MAX_STARTUP_LEN).contains(&len) {
        return Err(WireError::BadLength {
            len: u64::from(len),
            min: 8,
            max: u64::from(MAX_STARTUP_LEN),
        });
    }
    if buf.len() < len as usize {
        return Ok(None);
    }
    let packet = buf.split_to(len as usize).freeze();
    let mut r = Reader::new(packet.slice(4..), "startup");
    let code = r.u32()?;
    let decoded = match code {
        SSL_REQUEST_CODE => StartupPacket::SslRequest,
        GSSENC_REQUEST_CODE => StartupPacket::GssEncRequest,
        CANCEL_REQUEST_CODE => {
            let process_id = r.i32()?;
            let secret_key = r.i32()?;
            StartupPacket::Cancel {
                process_id,
                secret_key,
            }
        }
        code if code >> 16 == 3 => {
            let mut params = Vec::new();
            let mut unrecognized = Vec::new();
            loop {
                let key = r.string()?;
                if key.is_empty() {
                    break;
                }
                let value = r.string()?;
                if key.starts_with(PROTOCOL_OPTION_PREFIX) {
                    unrecognized.push(key);
                } else {
                    params.push((key, value));
                }
            }
            let params = StartupParams { params };
            let minor = (code & 0xffff) as u16;
            if minor == 0 && unrecognized.is_empty() {
                StartupPacket::Startup(params)
            } else {
                StartupPacket::NewerStartup {
                    params,
                    minor,
                    unrecognized,
                }
            }
        }
        other => {
            return Err(WireError::UnsupportedProtocol {
                major: (other >> 16) as u16,
                minor: (other & 0xffff) as u16,
            });
        }
    };
    r.finish()?;
    Ok(Some(decoded))
}

/// The Terminate message ('X', length 4).
const TERMINATE: [u8; 5] = [b'X', 0, 0, 0, 4];

/// Encodes a CancelRequest for a backend's key.
pub fn write_cancel(buf: &mut BytesMut, process_id: i32, secret_key: i32) {
    buf.put_u32(16);
    buf.put_u32(CANCEL_REQUEST_CODE);
    buf.put_i32(process_id);
    buf.put_i32(secret_key);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_round_trip() {
        let p = StartupParams {
            params: vec![
                ("user".into(), "bob".into()),
                ("database".into(), "db".into()),
            ],
        };
        let mut buf = BytesMut::new();
        p.write(&mut buf);
        assert_eq!(decode(&mut buf).unwrap(), Some(StartupPacket::Startup(p)));
        assert!(buf.is_empty());
    }

    #[test]
    fn rejects_bad_version_and_length() {
        let mut buf = BytesMut::from(&b"\0\0\0\x08\0\x02\0\0"[..]);
        assert!(matches!(
            decode(&mut buf),
            Err(WireError::UnsupportedProtocol { major: 2, minor: 0 })
        ));
        let mut big = BytesMut::from(&b"\x7f\xff\xff\xff"[..]);
        assert!(decode(&mut big).is_err());
    }

    #[test]
    fn newer_minor_and_protocol_options_are_negotiated() {
        let mut buf = BytesMut::from(&b"\0\0\0\x1b\0\x03\0\x02user\0bob\0_pq_.x\0y\0\0"[..]);
        assert_eq!(
            decode(&mut buf).unwrap(),
            Some(StartupPacket::NewerStartup {
                params: StartupParams {
                    params: vec![("user".into(), "bob".into())]
                },
                minor: 2,
                unrecognized: vec!["_pq_.x".into()],
            })
        );
    }

    #[test]
    fn terminate_before_startup() {
        let mut buf = BytesMut::from(&b"X\0"[..]);
        assert_eq!(decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"\0\0\x04");
        assert_eq!(decode(&mut buf).unwrap(), Some(StartupPacket::Terminate));
        assert!(buf.is_empty());
    }

    #[test]
    fn cancel_round_trip() {
        let mut buf = BytesMut::new();
        write_cancel(&mut buf, 7, -3);
        assert_eq!(
            decode(&mut buf).unwrap(),
            Some(StartupPacket::Cancel {
                process_id: 7,
                secret_key: -3
            })
        );
    }
}
