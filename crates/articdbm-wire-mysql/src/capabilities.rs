//! Capability flags (`CLIENT_*`) exchanged in the handshake, including MariaDB's extended
//! capabilities, which travel in otherwise reserved handshake bytes and are kept here in the
//! upper 32 bits of one `u64`.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not};

/// A set of capability flags. The low 32 bits are MySQL's, the high 32 bits MariaDB's
/// extended capabilities (`MARIADB_CLIENT_*`), meaningful only when the server did not set
/// [`Capabilities::LONG_PASSWORD`] (MariaDB's "not MySQL" signal, `CLIENT_MYSQL`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(pub u64);

macro_rules! caps {
    ($($(#[$doc:meta])* $name:ident = $bit:expr;)*) => {
        impl Capabilities {
            $($(#[$doc])* pub const $name: Capabilities = Capabilities(1 << $bit);)*
            const NAMES: &'static [(&'static str, u64)] = &[$((stringify!($name), 1 << $bit)),*];
        }
    };
}

caps! {
    /// `CLIENT_LONG_PASSWORD`; MariaDB servers clear it (`CLIENT_MYSQL`) to announce extended
    /// capabilities.
    LONG_PASSWORD = 0;
    FOUND_ROWS = 1;
    LONG_FLAG = 2;
    CONNECT_WITH_DB = 3;
    NO_SCHEMA = 4;
    COMPRESS = 5;
    ODBC = 6;
    LOCAL_FILES = 7;
    IGNORE_SPACE = 8;
    PROTOCOL_41 = 9;
    INTERACTIVE = 10;
    SSL = 11;
    IGNORE_SIGPIPE = 12;
    TRANSACTIONS = 13;
    RESERVED = 14;
    /// `CLIENT_SECURE_CONNECTION` (`CLIENT_RESERVED2`): 8+12 byte nonce, length-prefixed
    /// auth response.
    SECURE_CONNECTION = 15;
    MULTI_STATEMENTS = 16;
    MULTI_RESULTS = 17;
    PS_MULTI_RESULTS = 18;
    PLUGIN_AUTH = 19;
    CONNECT_ATTRS = 20;
    PLUGIN_AUTH_LENENC_CLIENT_DATA = 21;
    CAN_HANDLE_EXPIRED_PASSWORDS = 22;
    SESSION_TRACK = 23;
    DEPRECATE_EOF = 24;
    /// MySQL 8: result sets may omit column metadata (a `metadata_follows` byte).
    OPTIONAL_RESULTSET_METADATA = 25;
    ZSTD_COMPRESSION_ALGORITHM = 26;
    /// MySQL 8.0.23+: COM_QUERY / COM_STMT_EXECUTE carry query attributes.
    QUERY_ATTRIBUTES = 27;
    MULTI_FACTOR_AUTHENTICATION = 28;
    CAPABILITY_EXTENSION = 29;
    SSL_VERIFY_SERVER_CERT = 30;
    REMEMBER_OPTIONS = 31;
    /// MariaDB: progress reports (ERR packets with code 0xFFFF) during long statements.
    MARIADB_PROGRESS = 32;
    MARIADB_COM_MULTI = 33;
    MARIADB_STMT_BULK_OPERATIONS = 34;
    /// MariaDB: extended type information in column definitions.
    MARIADB_EXTENDED_METADATA = 35;
    /// MariaDB: COM_STMT_EXECUTE responses may skip unchanged column metadata.
    MARIADB_CACHE_METADATA = 36;
    MARIADB_BULK_UNIT_RESULTS = 37;
}

impl Capabilities {
    pub const NONE: Capabilities = Capabilities(0);

    /// What a modern client needs from a server for this codec's flows.
    pub const REQUIRED: Capabilities =
        Capabilities(Self::PROTOCOL_41.0 | Self::SECURE_CONNECTION.0 | Self::PLUGIN_AUTH.0);

    pub fn contains(self, other: Capabilities) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn intersects(self, other: Capabilities) -> bool {
        self.0 & other.0 != 0
    }

    pub fn insert(&mut self, other: Capabilities) {
        self.0 |= other.0;
    }

    pub fn remove(&mut self, other: Capabilities) {
        self.0 &= !other.0;
    }

    /// The 32 MySQL bits.
    pub fn lower(self) -> u32 {
        self.0 as u32
    }

    /// MariaDB's extended capability bits.
    pub fn mariadb(self) -> u32 {
        (self.0 >> 32) as u32
    }

    pub fn from_parts(lower: u32, mariadb: u32) -> Capabilities {
        Capabilities(u64::from(lower) | u64::from(mariadb) << 32)
    }
}

impl BitOr for Capabilities {
    type Output = Capabilities;
    fn bitor(self, rhs: Capabilities) -> Capabilities {
        Capabilities(self.0 | rhs.0)
    }
}

impl BitOrAssign for Capabilities {
    fn bitor_assign(&mut self, rhs: Capabilities) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Capabilities {
    type Output = Capabilities;
    fn bitand(self, rhs: Capabilities) -> Capabilities {
        Capabilities(self.0 & rhs.0)
    }
}

impl Not for Capabilities {
    type Output = Capabilities;
    fn not(self) -> Capabilities {
        Capabilities(!self.0)
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::flags::fmt_flags(f, self.0, Self::NAMES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_mysql() {
        assert_eq!(Capabilities::PROTOCOL_41.0, 512);
        assert_eq!(Capabilities::SECURE_CONNECTION.0, 0x8000);
        assert_eq!(Capabilities::PLUGIN_AUTH.0, 0x8_0000);
        assert_eq!(Capabilities::DEPRECATE_EOF.0, 0x100_0000);
        assert_eq!(Capabilities::QUERY_ATTRIBUTES.0, 0x800_0000);
        assert_eq!(Capabilities::MARIADB_CACHE_METADATA.mariadb(), 16);
        let c = Capabilities::from_parts(0x8200, 4);
        assert!(c.contains(Capabilities::PROTOCOL_41 | Capabilities::SECURE_CONNECTION));
        assert!(c.contains(Capabilities::MARIADB_STMT_BULK_OPERATIONS));
        assert_eq!(
            format!("{:?}", Capabilities::SSL | Capabilities(1 << 40)),
            "{SSL, 0x10000000000}"
        );
    }
}
