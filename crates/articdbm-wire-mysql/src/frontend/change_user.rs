//! COM_CHANGE_USER: re-authenticate the connection as another user, with schema, character
//! set, auth plugin and connection attributes.

use bytes::{BufMut, Bytes, BytesMut};

use crate::capabilities::Capabilities;
use crate::error::WireError;
use crate::lenenc::BufMutExt;
use crate::reader::{Reader, share};

use super::handshake_response::ConnectAttrs;

const MSG: &str = "COM_CHANGE_USER";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComChangeUser {
    pub username: Bytes,
    pub auth_response: Bytes,
    pub database: Bytes,
    /// Collation id (when sent).
    pub charset: Option<u16>,
    pub auth_plugin: Option<Bytes>,
    pub connect_attrs: Option<ConnectAttrs>,
}

impl ComChangeUser {
    /// Decodes the payload; `caps` are the negotiated capabilities.
    pub fn decode(payload: &Bytes, caps: Capabilities) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, MSG);
        if r.u8()? != 0x11 {
            return Err(WireError::malformed(MSG, "not a COM_CHANGE_USER"));
        }
        let username = share(payload, r.cstr()?);
        let auth = if caps.contains(Capabilities::SECURE_CONNECTION) {
            let n = r.u8()?;
            r.take(usize::from(n))?
        } else {
            r.cstr()?
        };
        let mut c = ComChangeUser {
            username,
            auth_response: share(payload, auth),
            database: share(payload, r.cstr()?),
            ..Default::default()
        };
        if r.remaining() >= 2 {
            c.charset = Some(r.u16()?);
            if caps.contains(Capabilities::PLUGIN_AUTH) && r.remaining() > 0 {
                c.auth_plugin = Some(share(payload, r.cstr_or_rest()));
            }
            if caps.contains(Capabilities::CONNECT_ATTRS) && r.remaining() > 0 {
                let attrs = ConnectAttrs(share(payload, r.lenenc_bytes()?));
                for a in attrs.iter() {
                    a?;
                }
                c.connect_attrs = Some(attrs);
            }
        }
        Ok(c)
    }

    pub fn write(&self, out: &mut BytesMut, caps: Capabilities) {
        out.put_u8(0x11);
        out.put_cstr(&self.username);
        if caps.contains(Capabilities::SECURE_CONNECTION) {
            let a = &self.auth_response[..self.auth_response.len().min(255)];
            out.put_u8(a.len() as u8);
            out.put_slice(a);
        } else {
            out.put_cstr(&self.auth_response);
        }
        out.put_cstr(&self.database);
        if let Some(cs) = self.charset {
            out.put_u16_le(cs);
            if caps.contains(Capabilities::PLUGIN_AUTH) {
                out.put_cstr(self.auth_plugin.as_deref().unwrap_or(b""));
            }
            if caps.contains(Capabilities::CONNECT_ATTRS) {
                out.put_lenenc_bytes(self.connect_attrs.as_ref().map_or(&b""[..], |a| &a.0[..]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let caps = Capabilities::SECURE_CONNECTION
            | Capabilities::PLUGIN_AUTH
            | Capabilities::CONNECT_ATTRS;
        let c = ComChangeUser {
            username: Bytes::from_static(b"bob"),
            auth_response: Bytes::from_static(&[1; 20]),
            database: Bytes::from_static(b"db"),
            charset: Some(45),
            auth_plugin: Some(Bytes::from_static(b"mysql_native_password")),
            connect_attrs: Some(ConnectAttrs::from_pairs([("a", "b")])),
        };
        let mut out = BytesMut::new();
        c.write(&mut out, caps);
        assert_eq!(ComChangeUser::decode(&out.freeze(), caps).unwrap(), c);
        assert!(ComChangeUser::decode(&Bytes::from_static(b"\x11bob\0\x05ab"), caps).is_err());
    }
}
