//! Command bytes (`COM_*`): the first payload byte of every packet a client sends after
//! authentication.

/// A command. Unknown bytes are kept as [`Command::Other`] so they can be refused precisely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Sleep,
    Quit,
    InitDb,
    Query,
    FieldList,
    CreateDb,
    DropDb,
    Refresh,
    Shutdown,
    Statistics,
    ProcessInfo,
    Connect,
    ProcessKill,
    Debug,
    Ping,
    Time,
    DelayedInsert,
    ChangeUser,
    BinlogDump,
    TableDump,
    ConnectOut,
    RegisterSlave,
    StmtPrepare,
    StmtExecute,
    StmtSendLongData,
    StmtClose,
    StmtReset,
    SetOption,
    StmtFetch,
    Daemon,
    BinlogDumpGtid,
    ResetConnection,
    /// MySQL 8 clone plugin.
    Clone,
    /// MariaDB `COM_STMT_BULK_EXECUTE` (0xFA).
    StmtBulkExecute,
    /// MariaDB `COM_MULTI` (0xFE).
    Multi,
    Other(u8),
}

impl Command {
    pub fn from_u8(b: u8) -> Command {
        use Command::*;
        match b {
            0x00 => Sleep,
            0x01 => Quit,
            0x02 => InitDb,
            0x03 => Query,
            0x04 => FieldList,
            0x05 => CreateDb,
            0x06 => DropDb,
            0x07 => Refresh,
            0x08 => Shutdown,
            0x09 => Statistics,
            0x0A => ProcessInfo,
            0x0B => Connect,
            0x0C => ProcessKill,
            0x0D => Debug,
            0x0E => Ping,
            0x0F => Time,
            0x10 => DelayedInsert,
            0x11 => ChangeUser,
            0x12 => BinlogDump,
            0x13 => TableDump,
            0x14 => ConnectOut,
            0x15 => RegisterSlave,
            0x16 => StmtPrepare,
            0x17 => StmtExecute,
            0x18 => StmtSendLongData,
            0x19 => StmtClose,
            0x1A => StmtReset,
            0x1B => SetOption,
            0x1C => StmtFetch,
            0x1D => Daemon,
            0x1E => BinlogDumpGtid,
            0x1F => ResetConnection,
            0x20 => Clone,
            0xFA => StmtBulkExecute,
            0xFE => Multi,
            b => Other(b),
        }
    }

    pub fn as_u8(self) -> u8 {
        use Command::*;
        match self {
            Sleep => 0x00,
            Quit => 0x01,
            InitDb => 0x02,
            Query => 0x03,
            FieldList => 0x04,
            CreateDb => 0x05,
            DropDb => 0x06,
            Refresh => 0x07,
            Shutdown => 0x08,
            Statistics => 0x09,
            ProcessInfo => 0x0A,
            Connect => 0x0B,
            ProcessKill => 0x0C,
            Debug => 0x0D,
            Ping => 0x0E,
            Time => 0x0F,
            DelayedInsert => 0x10,
            ChangeUser => 0x11,
            BinlogDump => 0x12,
            TableDump => 0x13,
            ConnectOut => 0x14,
            RegisterSlave => 0x15,
            StmtPrepare => 0x16,
            StmtExecute => 0x17,
            StmtSendLongData => 0x18,
            StmtClose => 0x19,
            StmtReset => 0x1A,
            SetOption => 0x1B,
            StmtFetch => 0x1C,
            Daemon => 0x1D,
            BinlogDumpGtid => 0x1E,
            ResetConnection => 0x1F,
            Clone => 0x20,
            StmtBulkExecute => 0xFA,
            Multi => 0xFE,
            Other(b) => b,
        }
    }

    /// The command of a request payload (`None` for an empty payload).
    pub fn of(payload: &[u8]) -> Option<Command> {
        payload.first().map(|&b| Command::from_u8(b))
    }

    /// Commands the server never answers.
    pub fn has_response(self) -> bool {
        !matches!(
            self,
            Command::Quit | Command::StmtClose | Command::StmtSendLongData
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        for b in 0..=255u8 {
            assert_eq!(Command::from_u8(b).as_u8(), b);
        }
        assert_eq!(Command::of(b"\x03SELECT 1"), Some(Command::Query));
    }
}
