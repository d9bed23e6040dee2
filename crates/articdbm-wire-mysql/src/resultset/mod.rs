//! Result sets and prepared-statement replies: column types and flags, ColumnDefinition41,
//! text and binary rows with every MySQL type, COM_STMT_PREPARE_OK and the LOCAL INFILE
//! request. Following a whole response to know where it ends is [`crate::tracker`]'s job.

pub mod column;
pub mod local_infile;
pub mod prepare_ok;
pub mod row;
pub mod types;
pub mod value;

pub use column::{ColumnDefinition41, ColumnMeta};
pub use local_infile::LocalInfileRequest;
pub use prepare_ok::StmtPrepareOk;
pub use row::{BinaryRow, TextRow};
pub use types::{ColumnFlags, ColumnType};
pub use value::{DateTime, Time, Value};
