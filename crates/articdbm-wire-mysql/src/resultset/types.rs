//! Column type codes (`MYSQL_TYPE_*`) and column definition flags (`*_FLAG`).

/// A column type code. Kept as the raw byte so unknown types pass through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ColumnType(pub u8);

impl ColumnType {
    pub const DECIMAL: ColumnType = ColumnType(0);
    pub const TINY: ColumnType = ColumnType(1);
    pub const SHORT: ColumnType = ColumnType(2);
    pub const LONG: ColumnType = ColumnType(3);
    pub const FLOAT: ColumnType = ColumnType(4);
    pub const DOUBLE: ColumnType = ColumnType(5);
    pub const NULL: ColumnType = ColumnType(6);
    pub const TIMESTAMP: ColumnType = ColumnType(7);
    pub const LONGLONG: ColumnType = ColumnType(8);
    pub const INT24: ColumnType = ColumnType(9);
    pub const DATE: ColumnType = ColumnType(10);
    pub const TIME: ColumnType = ColumnType(11);
    pub const DATETIME: ColumnType = ColumnType(12);
    pub const YEAR: ColumnType = ColumnType(13);
    pub const NEWDATE: ColumnType = ColumnType(14);
    pub const VARCHAR: ColumnType = ColumnType(15);
    pub const BIT: ColumnType = ColumnType(16);
    pub const TIMESTAMP2: ColumnType = ColumnType(17);
    pub const DATETIME2: ColumnType = ColumnType(18);
    pub const TIME2: ColumnType = ColumnType(19);
    /// MySQL 9 VECTOR.
    pub const VECTOR: ColumnType = ColumnType(242);
    pub const JSON: ColumnType = ColumnType(245);
    pub const NEWDECIMAL: ColumnType = ColumnType(246);
    pub const ENUM: ColumnType = ColumnType(247);
    pub const SET: ColumnType = ColumnType(248);
    pub const TINY_BLOB: ColumnType = ColumnType(249);
    pub const MEDIUM_BLOB: ColumnType = ColumnType(250);
    pub const LONG_BLOB: ColumnType = ColumnType(251);
    pub const BLOB: ColumnType = ColumnType(252);
    pub const VAR_STRING: ColumnType = ColumnType(253);
    pub const STRING: ColumnType = ColumnType(254);
    pub const GEOMETRY: ColumnType = ColumnType(255);

    /// How a value of this type is laid out in the binary protocol.
    pub fn binary_layout(self) -> Option<BinaryLayout> {
        Some(match self.0 {
            1 => BinaryLayout::Fixed(1),
            2 | 13 => BinaryLayout::Fixed(2),
            3 | 9 | 4 => BinaryLayout::Fixed(4),
            5 | 8 => BinaryLayout::Fixed(8),
            6 => BinaryLayout::Fixed(0),
            7 | 10 | 12 | 14 | 17 | 18 => BinaryLayout::DateTime,
            11 | 19 => BinaryLayout::Time,
            0 | 15 | 16 | 242..=255 => BinaryLayout::LengthEncoded,
            _ => return None,
        })
    }
}

/// Binary-protocol layout classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryLayout {
    /// Fixed-size little-endian number (0 bytes for NULL).
    Fixed(usize),
    /// Length byte (0, 4, 7 or 11) then date and time fields.
    DateTime,
    /// Length byte (0, 8 or 12) then sign, days and time fields.
    Time,
    /// `string<lenenc>`.
    LengthEncoded,
}

/// Column definition flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ColumnFlags(pub u16);

impl ColumnFlags {
    pub const NOT_NULL: ColumnFlags = ColumnFlags(1);
    pub const PRI_KEY: ColumnFlags = ColumnFlags(2);
    pub const UNIQUE_KEY: ColumnFlags = ColumnFlags(4);
    pub const MULTIPLE_KEY: ColumnFlags = ColumnFlags(8);
    pub const BLOB: ColumnFlags = ColumnFlags(16);
    pub const UNSIGNED: ColumnFlags = ColumnFlags(32);
    pub const ZEROFILL: ColumnFlags = ColumnFlags(64);
    pub const BINARY: ColumnFlags = ColumnFlags(128);
    pub const ENUM: ColumnFlags = ColumnFlags(256);
    pub const AUTO_INCREMENT: ColumnFlags = ColumnFlags(512);
    pub const TIMESTAMP: ColumnFlags = ColumnFlags(1024);
    pub const SET: ColumnFlags = ColumnFlags(2048);
    pub const NO_DEFAULT_VALUE: ColumnFlags = ColumnFlags(4096);
    pub const ON_UPDATE_NOW: ColumnFlags = ColumnFlags(8192);
    pub const NUM: ColumnFlags = ColumnFlags(32768);

    pub fn contains(self, other: ColumnFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn unsigned(self) -> bool {
        self.contains(Self::UNSIGNED)
    }
}

impl std::ops::BitOr for ColumnFlags {
    type Output = ColumnFlags;
    fn bitor(self, rhs: ColumnFlags) -> ColumnFlags {
        ColumnFlags(self.0 | rhs.0)
    }
}
