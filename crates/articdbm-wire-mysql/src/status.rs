//! Server status flags (`SERVER_STATUS_*`), carried by OK and EOF packets: transaction state,
//! more results pending, cursors, session state changes.

use std::fmt;

/// The `status_flags` word of OK and EOF packets.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ServerStatus(pub u16);

impl ServerStatus {
    pub const IN_TRANS: ServerStatus = ServerStatus(0x0001);
    pub const AUTOCOMMIT: ServerStatus = ServerStatus(0x0002);
    pub const MORE_RESULTS_EXISTS: ServerStatus = ServerStatus(0x0008);
    pub const NO_GOOD_INDEX_USED: ServerStatus = ServerStatus(0x0010);
    pub const NO_INDEX_USED: ServerStatus = ServerStatus(0x0020);
    pub const CURSOR_EXISTS: ServerStatus = ServerStatus(0x0040);
    pub const LAST_ROW_SENT: ServerStatus = ServerStatus(0x0080);
    pub const DB_DROPPED: ServerStatus = ServerStatus(0x0100);
    pub const NO_BACKSLASH_ESCAPES: ServerStatus = ServerStatus(0x0200);
    pub const METADATA_CHANGED: ServerStatus = ServerStatus(0x0400);
    pub const QUERY_WAS_SLOW: ServerStatus = ServerStatus(0x0800);
    pub const PS_OUT_PARAMS: ServerStatus = ServerStatus(0x1000);
    pub const IN_TRANS_READONLY: ServerStatus = ServerStatus(0x2000);
    pub const SESSION_STATE_CHANGED: ServerStatus = ServerStatus(0x4000);

    const NAMES: [(&'static str, u16); 14] = [
        ("IN_TRANS", 0x0001),
        ("AUTOCOMMIT", 0x0002),
        ("MORE_RESULTS_EXISTS", 0x0008),
        ("NO_GOOD_INDEX_USED", 0x0010),
        ("NO_INDEX_USED", 0x0020),
        ("CURSOR_EXISTS", 0x0040),
        ("LAST_ROW_SENT", 0x0080),
        ("DB_DROPPED", 0x0100),
        ("NO_BACKSLASH_ESCAPES", 0x0200),
        ("METADATA_CHANGED", 0x0400),
        ("QUERY_WAS_SLOW", 0x0800),
        ("PS_OUT_PARAMS", 0x1000),
        ("IN_TRANS_READONLY", 0x2000),
        ("SESSION_STATE_CHANGED", 0x4000),
    ];

    pub fn contains(self, other: ServerStatus) -> bool {
        self.0 & other.0 == other.0
    }

    /// Inside an explicit transaction (the connection must stay with this client).
    pub fn in_transaction(self) -> bool {
        self.contains(Self::IN_TRANS)
    }

    /// Another result of the same command follows.
    pub fn more_results(self) -> bool {
        self.contains(Self::MORE_RESULTS_EXISTS)
    }
}

impl std::ops::BitOr for ServerStatus {
    type Output = ServerStatus;
    fn bitor(self, rhs: ServerStatus) -> ServerStatus {
        ServerStatus(self.0 | rhs.0)
    }
}

impl fmt::Debug for ServerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = Self::NAMES.map(|(name, bit)| (name, u64::from(bit)));
        crate::flags::fmt_flags(f, u64::from(self.0), &names)
    }
}
