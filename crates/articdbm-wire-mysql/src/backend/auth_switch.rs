//! AuthSwitchRequest (`0xFE` + plugin name + plugin data) and AuthMoreData (`0x01` + data):
//! the server asking the client to authenticate with another plugin, or carrying a plugin's
//! extra round (caching_sha2_password's fast-auth result, full-auth request, public key).

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::WireError;
use crate::lenenc::BufMutExt;
use crate::reader::{Reader, share};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSwitchRequest {
    pub plugin: Bytes,
    /// Plugin data as sent (for the password plugins: the 20-byte nonce and a NUL).
    pub data: Bytes,
}

impl AuthSwitchRequest {
    pub fn decode(payload: &Bytes) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, "AuthSwitchRequest");
        if r.u8()? != 0xFE {
            return Err(WireError::malformed(
                "AuthSwitchRequest",
                "header is not 0xFE",
            ));
        }
        // A bare 0xFE is the pre-4.1 "old password" switch: no name, no data.
        let plugin = share(payload, r.cstr_or_rest());
        let data = share(payload, r.rest());
        Ok(AuthSwitchRequest { plugin, data })
    }

    /// The nonce: `data` without its trailing NUL.
    pub fn nonce(&self) -> &[u8] {
        self.data.strip_suffix(&[0]).unwrap_or(&self.data)
    }

    /// Appends the payload; `nonce` is followed by a NUL as MySQL does.
    pub fn write(out: &mut BytesMut, plugin: &str, nonce: &[u8]) {
        out.put_u8(0xFE);
        out.put_cstr(plugin.as_bytes());
        out.put_cstr(nonce);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthMoreData {
    pub data: Bytes,
}

impl AuthMoreData {
    pub fn decode(payload: &Bytes) -> Result<Self, WireError> {
        match payload.first() {
            Some(0x01) => Ok(AuthMoreData {
                data: payload.slice(1..),
            }),
            _ => Err(WireError::malformed("AuthMoreData", "header is not 0x01")),
        }
    }

    pub fn write(out: &mut BytesMut, data: &[u8]) {
        out.put_u8(0x01);
        out.put_slice(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut out = BytesMut::new();
        AuthSwitchRequest::write(&mut out, "mysql_native_password", b"0123456789abcdefghij");
        let a = AuthSwitchRequest::decode(&out.freeze()).unwrap();
        assert_eq!(&a.plugin[..], b"mysql_native_password");
        assert_eq!(a.nonce(), b"0123456789abcdefghij");
        let old = AuthSwitchRequest::decode(&Bytes::from_static(b"\xfe")).unwrap();
        assert!(old.plugin.is_empty());
        let mut out = BytesMut::new();
        AuthMoreData::write(&mut out, &[0x03]);
        assert_eq!(&AuthMoreData::decode(&out.freeze()).unwrap().data[..], &[3]);
    }
}
