//! `Protocol::HandshakeV10`: the server's first packet (version, connection id, nonce,
//! capabilities, default auth plugin). Encoded by our server side, decoded by our client side
//! towards MySQL and MariaDB, including MariaDB's extended capabilities in the reserved bytes.

use bytes::{BufMut, Bytes, BytesMut};

use crate::capabilities::Capabilities;
use crate::error::WireError;
use crate::lenenc::BufMutExt;
use crate::reader::{Reader, share};
use crate::status::ServerStatus;

const MSG: &str = "HandshakeV10";

/// The initial handshake packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeV10 {
    /// e.g. `8.0.36` or MariaDB's `5.5.5-10.11.6-MariaDB`.
    pub server_version: Bytes,
    pub connection_id: u32,
    /// The auth plugin data (nonce), both parts joined, without the trailing NUL: 20 bytes for
    /// `mysql_native_password` and `caching_sha2_password`.
    pub auth_plugin_data: Bytes,
    /// Server capabilities; MariaDB's extended ones in the high 32 bits when the server cleared
    /// `LONG_PASSWORD` (`CLIENT_MYSQL`).
    pub capabilities: Capabilities,
    /// Default collation id (e.g. 45 = utf8mb4_general_ci, 255 = utf8mb4_0900_ai_ci).
    pub charset: u8,
    pub status: ServerStatus,
    /// Default authentication plugin name (empty without `PLUGIN_AUTH`).
    pub auth_plugin: Bytes,
}

impl HandshakeV10 {
    pub fn decode(payload: &Bytes) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, MSG);
        let version = r.u8()?;
        if version != 10 {
            return Err(WireError::malformed(MSG, "protocol version is not 10"));
        }
        let server_version = share(payload, r.cstr()?);
        let connection_id = r.u32()?;
        let part1 = r.take(8)?;
        r.u8()?; // filler
        let lower = u32::from(r.u16()?);
        let mut hs = HandshakeV10 {
            server_version,
            connection_id,
            auth_plugin_data: Bytes::copy_from_slice(part1),
            capabilities: Capabilities::from_parts(lower, 0),
            charset: 0,
            status: ServerStatus::default(),
            auth_plugin: Bytes::new(),
        };
        if r.remaining() == 0 {
            return Ok(hs);
        }
        hs.charset = r.u8()?;
        hs.status = ServerStatus(r.u16()?);
        let upper = u32::from(r.u16()?) << 16;
        let data_len = usize::from(r.u8()?);
        let reserved = r.take(10)?;
        let lower = lower | upper;
        let mariadb = if lower & Capabilities::LONG_PASSWORD.lower() == 0 {
            u32::from_le_bytes([reserved[6], reserved[7], reserved[8], reserved[9]])
        } else {
            0
        };
        hs.capabilities = Capabilities::from_parts(lower, mariadb);
        if hs.capabilities.contains(Capabilities::SECURE_CONNECTION) {
            let len2 = data_len.saturating_sub(8).max(13).min(r.remaining());
            let part2 = r.take(len2)?;
            let part2 = part2.strip_suffix(&[0]).unwrap_or(part2);
            let mut nonce = Vec::with_capacity(8 + part2.len());
            nonce.extend_from_slice(part1);
            nonce.extend_from_slice(part2);
            hs.auth_plugin_data = nonce.into();
        }
        if hs.capabilities.contains(Capabilities::PLUGIN_AUTH) {
            hs.auth_plugin = share(payload, r.cstr_or_rest());
        }
        Ok(hs)
    }

    /// Appends the payload. `auth_plugin_data` should be 20 bytes (at least 8).
    pub fn write(&self, out: &mut BytesMut) {
        let caps = self.capabilities;
        let data = &self.auth_plugin_data[..];
        let (part1, part2) = data.split_at(data.len().min(8));
        out.put_u8(10);
        out.put_cstr(&self.server_version);
        out.put_u32_le(self.connection_id);
        out.put_slice(part1);
        out.put_bytes(0, 8 - part1.len());
        out.put_u8(0);
        out.put_u16_le(caps.lower() as u16);
        out.put_u8(self.charset);
        out.put_u16_le(self.status.0);
        out.put_u16_le((caps.lower() >> 16) as u16);
        out.put_u8(if caps.contains(Capabilities::PLUGIN_AUTH) {
            (data.len() + 1) as u8
        } else {
            0
        });
        if !caps.contains(Capabilities::LONG_PASSWORD) && caps.mariadb() != 0 {
            out.put_bytes(0, 6);
            out.put_u32_le(caps.mariadb());
        } else {
            out.put_bytes(0, 10);
        }
        if caps.contains(Capabilities::SECURE_CONNECTION) {
            out.put_slice(part2);
            // Part 2 is at least 13 bytes, NUL included.
            out.put_bytes(0, 13usize.saturating_sub(part2.len()).max(1));
        }
        if caps.contains(Capabilities::PLUGIN_AUTH) {
            out.put_cstr(&self.auth_plugin);
        }
    }

    /// Whether the server calls itself MariaDB in its version string.
    pub fn is_mariadb(&self) -> bool {
        self.server_version
            .windows(7)
            .any(|w| w.eq_ignore_ascii_case(b"mariadb"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A MySQL 8.0 handshake as captured on the wire.
    const MYSQL8: &[u8] = b"\x0a8.0.36\x00\x08\x00\x00\x00\x1d\x3b\x55\x0f\x6c\x2c\x12\x3a\x00\xff\xff\xff\x02\x00\xff\xdf\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x14\x1e\x62\x6a\x46\x39\x2f\x5c\x37\x4f\x37\x01\x00caching_sha2_password\x00";

    #[test]
    fn decodes_mysql8_and_round_trips() {
        let p = Bytes::from_static(MYSQL8);
        let hs = HandshakeV10::decode(&p).unwrap();
        assert_eq!(&hs.server_version[..], b"8.0.36");
        assert_eq!(hs.connection_id, 8);
        assert_eq!(hs.auth_plugin_data.len(), 20);
        assert_eq!(&hs.auth_plugin[..], b"caching_sha2_password");
        assert!(hs.capabilities.contains(Capabilities::DEPRECATE_EOF));
        assert_eq!(hs.capabilities.mariadb(), 0);
        assert_eq!(hs.charset, 255);
        let mut out = BytesMut::new();
        hs.write(&mut out);
        assert_eq!(&out[..], MYSQL8);
    }

    #[test]
    fn mariadb_extended_capabilities_round_trip() {
        let hs = HandshakeV10 {
            server_version: Bytes::from_static(b"5.5.5-10.11.6-MariaDB"),
            connection_id: 42,
            auth_plugin_data: Bytes::from_static(b"abcdefghijklmnopqrst"),
            capabilities: (Capabilities::PROTOCOL_41
                | Capabilities::SECURE_CONNECTION
                | Capabilities::PLUGIN_AUTH
                | Capabilities::MARIADB_STMT_BULK_OPERATIONS
                | Capabilities::MARIADB_CACHE_METADATA),
            charset: 45,
            status: ServerStatus::AUTOCOMMIT,
            auth_plugin: Bytes::from_static(b"mysql_native_password"),
        };
        let mut out = BytesMut::new();
        hs.write(&mut out);
        let back = HandshakeV10::decode(&out.freeze()).unwrap();
        assert_eq!(back, hs);
        assert!(back.is_mariadb());
    }

    #[test]
    fn truncations_are_errors() {
        for cut in 0..MYSQL8.len() - 30 {
            let _ = HandshakeV10::decode(&Bytes::copy_from_slice(&MYSQL8[..cut]));
        }
        assert!(HandshakeV10::decode(&Bytes::from_static(b"\x0a8.0")).is_err());
    }
}
