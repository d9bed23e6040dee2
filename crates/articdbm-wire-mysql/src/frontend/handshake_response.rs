//! `Protocol::HandshakeResponse41`: the client's capabilities, user name, auth response,
//! default schema, auth plugin name and connection attributes. [`ClientHello`] tells it apart
//! from an SSLRequest, the other packet that can answer the server's handshake.

use bytes::{BufMut, Bytes, BytesMut};

use crate::capabilities::Capabilities;
use crate::error::WireError;
use crate::lenenc::{self, BufMutExt};
use crate::reader::{Reader, share};

use super::ssl_request::{SslRequest, write_prefix};

const MSG: &str = "HandshakeResponse41";

/// The client's answer to the server handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientHello {
    /// Switch to TLS, then the client sends the full response.
    Ssl(SslRequest),
    Response(HandshakeResponse41),
}

impl ClientHello {
    pub fn decode(payload: &Bytes) -> Result<Self, WireError> {
        if SslRequest::matches(payload) {
            SslRequest::decode(payload).map(ClientHello::Ssl)
        } else {
            HandshakeResponse41::decode(payload).map(ClientHello::Response)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HandshakeResponse41 {
    /// The client's capabilities (MariaDB's extended ones in the high bits).
    pub capabilities: Capabilities,
    pub max_packet_size: u32,
    pub charset: u8,
    pub username: Bytes,
    /// The auth plugin's first response (scramble); empty for an empty password.
    pub auth_response: Bytes,
    /// Initial schema (`CLIENT_CONNECT_WITH_DB`).
    pub database: Option<Bytes>,
    /// Auth plugin the response was computed with (`CLIENT_PLUGIN_AUTH`).
    pub auth_plugin: Option<Bytes>,
    /// Connection attributes (`CLIENT_CONNECT_ATTRS`).
    pub connect_attrs: Option<ConnectAttrs>,
    /// zstd compression level (`CLIENT_ZSTD_COMPRESSION_ALGORITHM`).
    pub zstd_level: Option<u8>,
}

impl HandshakeResponse41 {
    pub fn decode(payload: &Bytes) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, MSG);
        let lower = r.u32()?;
        if lower & Capabilities::PROTOCOL_41.lower() == 0 {
            return Err(WireError::Unsupported("pre-4.1 handshake response"));
        }
        let max_packet_size = r.u32()?;
        let charset = r.u8()?;
        let filler = r.take(23)?;
        let mariadb = if lower & Capabilities::LONG_PASSWORD.lower() == 0 {
            u32::from_le_bytes([filler[19], filler[20], filler[21], filler[22]])
        } else {
            0
        };
        let caps = Capabilities::from_parts(lower, mariadb);
        let username = share(payload, r.cstr()?);
        let auth = if caps.contains(Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA) {
            r.lenenc_bytes()?
        } else if caps.contains(Capabilities::SECURE_CONNECTION) {
            let n = r.u8()?;
            r.take(usize::from(n))?
        } else {
            r.cstr()?
        };
        let mut resp = HandshakeResponse41 {
            capabilities: caps,
            max_packet_size,
            charset,
            username,
            auth_response: share(payload, auth),
            ..Default::default()
        };
        // Clients may end the packet early when the remaining fields are empty.
        if caps.contains(Capabilities::CONNECT_WITH_DB) && r.remaining() > 0 {
            resp.database = Some(share(payload, r.cstr_or_rest()));
        }
        if caps.contains(Capabilities::PLUGIN_AUTH) && r.remaining() > 0 {
            resp.auth_plugin = Some(share(payload, r.cstr_or_rest()));
        }
        if caps.contains(Capabilities::CONNECT_ATTRS) && r.remaining() > 0 {
            let attrs = r.lenenc_bytes()?;
            let attrs = ConnectAttrs(share(payload, attrs));
            for a in attrs.iter() {
                a?;
            }
            resp.connect_attrs = Some(attrs);
        }
        if caps.contains(Capabilities::ZSTD_COMPRESSION_ALGORITHM) && r.remaining() > 0 {
            resp.zstd_level = Some(r.u8()?);
        }
        Ok(resp)
    }

    /// Appends the payload. The auth response is written length-encoded when the
    /// capabilities allow it, else with a one-byte length (at most 255 bytes are kept).
    pub fn write(&self, out: &mut BytesMut) {
        let caps = self.capabilities;
        write_prefix(out, caps, self.max_packet_size, self.charset);
        out.put_cstr(&self.username);
        if caps.contains(Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA) {
            out.put_lenenc_bytes(&self.auth_response);
        } else if caps.contains(Capabilities::SECURE_CONNECTION) {
            let a = &self.auth_response[..self.auth_response.len().min(255)];
            out.put_u8(a.len() as u8);
            out.put_slice(a);
        } else {
            out.put_cstr(&self.auth_response);
        }
        if caps.contains(Capabilities::CONNECT_WITH_DB) {
            out.put_cstr(self.database.as_deref().unwrap_or(b""));
        }
        if caps.contains(Capabilities::PLUGIN_AUTH) {
            out.put_cstr(self.auth_plugin.as_deref().unwrap_or(b""));
        }
        if caps.contains(Capabilities::CONNECT_ATTRS) {
            out.put_lenenc_bytes(self.connect_attrs.as_ref().map_or(&b""[..], |a| &a.0[..]));
        }
        if caps.contains(Capabilities::ZSTD_COMPRESSION_ALGORITHM) {
            out.put_u8(self.zstd_level.unwrap_or(3));
        }
    }
}

/// Connection attributes as sent: a sequence of lenenc key / lenenc value pairs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectAttrs(pub Bytes);

impl ConnectAttrs {
    /// Encodes `pairs`.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut b = BytesMut::new();
        for (k, v) in pairs {
            b.put_lenenc_bytes(k.as_bytes());
            b.put_lenenc_bytes(v.as_bytes());
        }
        ConnectAttrs(b.freeze())
    }

    pub fn iter(&self) -> impl Iterator<Item = Result<(&[u8], &[u8]), WireError>> + '_ {
        let mut rest = &self.0[..];
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let pair = lenenc::decode_bytes(rest).and_then(|(k, n)| {
                let (v, m) = lenenc::decode_bytes(&rest[n..])?;
                Ok((k, v, n + m))
            });
            match pair {
                Ok((k, v, used)) => {
                    rest = &rest[used..];
                    Some(Ok((k, v)))
                }
                Err(e) => {
                    rest = &[];
                    Some(Err(e))
                }
            }
        })
    }

    /// The value of attribute `key` (e.g. `_client_name`, `program_name`).
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.iter()
            .filter_map(Result::ok)
            .find(|(k, _)| *k == key.as_bytes())
            .map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(caps: Capabilities) -> HandshakeResponse41 {
        HandshakeResponse41 {
            capabilities: caps,
            max_packet_size: 1 << 24,
            charset: 45,
            username: Bytes::from_static(b"app"),
            auth_response: Bytes::from_static(&[7; 20]),
            database: Some(Bytes::from_static(b"shop")),
            auth_plugin: Some(Bytes::from_static(b"mysql_native_password")),
            connect_attrs: Some(ConnectAttrs::from_pairs([("_client_name", "libmysql")])),
            zstd_level: None,
        }
    }

    #[test]
    fn round_trips_with_every_auth_encoding() {
        let base = Capabilities::PROTOCOL_41
            | Capabilities::LONG_PASSWORD
            | Capabilities::CONNECT_WITH_DB
            | Capabilities::PLUGIN_AUTH
            | Capabilities::CONNECT_ATTRS;
        for extra in [
            Capabilities::SECURE_CONNECTION,
            Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA | Capabilities::SECURE_CONNECTION,
        ] {
            let r = sample(base | extra);
            let mut out = BytesMut::new();
            r.write(&mut out);
            let back = HandshakeResponse41::decode(&out.freeze()).unwrap();
            assert_eq!(back, r);
            assert_eq!(
                back.connect_attrs.unwrap().get("_client_name"),
                Some(&b"libmysql"[..])
            );
        }
        // MariaDB client: CLIENT_MYSQL cleared, extended capabilities in the filler.
        let r = sample(
            Capabilities::PROTOCOL_41
                | Capabilities::SECURE_CONNECTION
                | Capabilities::PLUGIN_AUTH
                | Capabilities::MARIADB_STMT_BULK_OPERATIONS,
        );
        let mut out = BytesMut::new();
        r.write(&mut out);
        let back = HandshakeResponse41::decode(&out.clone().freeze()).unwrap();
        assert_eq!(back.capabilities, r.capabilities);
        assert!(matches!(
            ClientHello::decode(&out.freeze()).unwrap(),
            ClientHello::Response(_)
        ));
        let mut ssl = BytesMut::new();
        SslRequest {
            capabilities: r.capabilities,
            max_packet_size: 1,
            charset: 45,
        }
        .write(&mut ssl);
        match ClientHello::decode(&ssl.freeze()).unwrap() {
            ClientHello::Ssl(s) => assert!(s.capabilities.contains(Capabilities::SSL)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_responses_are_errors() {
        let mut out = BytesMut::new();
        sample(
            Capabilities::PROTOCOL_41
                | Capabilities::SECURE_CONNECTION
                | Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA
                | Capabilities::CONNECT_ATTRS,
        )
        .write(&mut out);
        let full = out.freeze();
        for cut in 0..full.len() {
            let _ = HandshakeResponse41::decode(&full.slice(..cut));
        }
        assert!(HandshakeResponse41::decode(&full.slice(..40)).is_err());
    }
}
