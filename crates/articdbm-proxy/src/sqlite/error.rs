//! Errors of the SQLite engine, classified once ([`ErrorClass`]) so that each front end can
//! report them in its own terms: a SQLSTATE for PostgreSQL clients, an error number and
//! SQLSTATE for MySQL clients.

use rusqlite::ffi;

/// What kind of failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// UNIQUE or PRIMARY KEY constraint.
    UniqueViolation,
    NotNullViolation,
    ForeignKeyViolation,
    CheckViolation,
    /// The statement does not parse.
    Syntax,
    /// No such table (or view).
    UndefinedTable,
    /// No such column.
    UndefinedColumn,
    /// No such function.
    UndefinedFunction,
    /// A table, index or view of that name exists already.
    DuplicateTable,
    /// The writer lock, a connection or a file lock was not free within the busy timeout.
    Busy,
    /// A transaction that started reading cannot write: another writer committed since its
    /// snapshot (SQLITE_BUSY_SNAPSHOT). Retry the transaction.
    SerializationFailure,
    /// The database (or a statement's target) is read-only.
    ReadOnly,
    /// A string or blob exceeds SQLite's size limit.
    TooBig,
    /// A value does not fit (datatype mismatch, e.g. a non-integer rowid).
    DatatypeMismatch,
    /// Wrong number of parameters for the statement.
    ParameterCount,
    /// The statement was cancelled (cancel request, `KILL QUERY`).
    QueryCanceled,
    /// A transaction statement that does not fit the state (e.g. SAVEPOINT names).
    InvalidTransactionState,
    /// Division (or modulo) by zero.
    DivisionByZero,
    /// A text that is not a valid value of the type it is cast to (`'abc'::int`).
    InvalidTextRepresentation,
    /// A number outside its type's range (`'3000000000'::int`, bigint overflow).
    NumericOutOfRange,
    /// A text that is not a date or time (`'abc'::date`).
    InvalidDatetimeFormat,
    /// A date or time field out of range (`'2024-02-30'::date`).
    DatetimeFieldOverflow,
    /// Anything else: disk, corruption, misuse.
    Other,
}

/// An error of the SQLite engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SqliteError {
    pub class: ErrorClass,
    pub message: String,
}

impl SqliteError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        SqliteError {
            class,
            message: message.into(),
        }
    }

    /// The PostgreSQL SQLSTATE of this error.
    pub fn sqlstate(&self) -> &'static str {
        match self.class {
            ErrorClass::UniqueViolation => "23505",
            ErrorClass::NotNullViolation => "23502",
            ErrorClass::ForeignKeyViolation => "23503",
            ErrorClass::CheckViolation => "23514",
            ErrorClass::Syntax => "42601",
            ErrorClass::UndefinedTable => "42P01",
            ErrorClass::UndefinedColumn => "42703",
            ErrorClass::UndefinedFunction => "42883",
            ErrorClass::DuplicateTable => "42P07",
            ErrorClass::Busy => "55P03",
            ErrorClass::SerializationFailure => "40001",
            ErrorClass::ReadOnly => "25006",
            ErrorClass::TooBig => "54000",
            ErrorClass::DatatypeMismatch => "42804",
            ErrorClass::ParameterCount => "08P01",
            ErrorClass::QueryCanceled => "57014",
            ErrorClass::InvalidTransactionState => "25000",
            ErrorClass::DivisionByZero => "22012",
            ErrorClass::InvalidTextRepresentation => "22P02",
            ErrorClass::NumericOutOfRange => "22003",
            ErrorClass::InvalidDatetimeFormat => "22007",
            ErrorClass::DatetimeFieldOverflow => "22008",
            ErrorClass::Other => "XX000",
        }
    }

    /// The MySQL error number and SQLSTATE of this error.
    pub fn mysql_code(&self) -> (u16, &'static str) {
        match self.class {
            ErrorClass::UniqueViolation => (1062, "23000"),
            ErrorClass::NotNullViolation => (1048, "23000"),
            ErrorClass::ForeignKeyViolation => (1452, "23000"),
            ErrorClass::CheckViolation => (3819, "HY000"),
            ErrorClass::Syntax => (1064, "42000"),
            ErrorClass::UndefinedTable => (1146, "42S02"),
            ErrorClass::UndefinedColumn => (1054, "42S22"),
            ErrorClass::UndefinedFunction => (1305, "42000"),
            ErrorClass::DuplicateTable => (1050, "42S01"),
            ErrorClass::Busy => (1205, "HY000"),
            ErrorClass::SerializationFailure => (1213, "40001"),
            ErrorClass::ReadOnly => (1792, "25006"),
            ErrorClass::TooBig => (1153, "08S01"),
            ErrorClass::DatatypeMismatch => (1366, "HY000"),
            ErrorClass::ParameterCount => (1210, "HY000"),
            ErrorClass::QueryCanceled => (1317, "70100"),
            ErrorClass::InvalidTransactionState => (1305, "42000"),
            ErrorClass::DivisionByZero => (1365, "22012"),
            ErrorClass::InvalidTextRepresentation => (1366, "HY000"),
            ErrorClass::NumericOutOfRange => (1690, "22003"),
            ErrorClass::InvalidDatetimeFormat | ErrorClass::DatetimeFieldOverflow => {
                (1292, "22007")
            }
            ErrorClass::Other => (1105, "HY000"),
        }
    }

    /// The busy timeout passed while waiting for `what`.
    pub(crate) fn busy(what: &str) -> Self {
        SqliteError::new(
            ErrorClass::Busy,
            format!("could not obtain {what} within the busy timeout; try again"),
        )
    }

    /// The engine's worker for this session is gone (it only ends with its database).
    pub(crate) fn gone() -> Self {
        SqliteError::new(ErrorClass::Other, "the SQLite connection was closed")
    }
}

impl From<rusqlite::Error> for SqliteError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::SqliteFailure(code, message) => {
                let message = message.unwrap_or_else(|| code.to_string());
                SqliteError::new(classify(code, &message), message)
            }
            rusqlite::Error::InvalidParameterCount(given, wanted) => SqliteError::new(
                ErrorClass::ParameterCount,
                format!(
                    "bind message supplies {given} parameters, but prepared statement requires {wanted}"
                ),
            ),
            rusqlite::Error::MultipleStatement => SqliteError::new(
                ErrorClass::Syntax,
                "cannot insert multiple commands into a prepared statement",
            ),
            rusqlite::Error::SqlInputError {
                error, msg, offset, ..
            } => SqliteError::new(classify(error, &msg), format!("{msg} (at offset {offset})")),
            other => SqliteError::new(ErrorClass::Other, other.to_string()),
        }
    }
}

/// The class of an SQLite result code (extended code first), refined by the message for the
/// generic SQLITE_ERROR.
fn classify(code: ffi::Error, message: &str) -> ErrorClass {
    match code.extended_code {
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
            return ErrorClass::UniqueViolation;
        }
        ffi::SQLITE_CONSTRAINT_NOTNULL => return ErrorClass::NotNullViolation,
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => return ErrorClass::ForeignKeyViolation,
        ffi::SQLITE_CONSTRAINT_CHECK => return ErrorClass::CheckViolation,
        ffi::SQLITE_BUSY_SNAPSHOT => return ErrorClass::SerializationFailure,
        _ => {}
    }
    use ffi::ErrorCode as C;
    match code.code {
        C::DatabaseBusy | C::DatabaseLocked => ErrorClass::Busy,
        C::ReadOnly => ErrorClass::ReadOnly,
        C::TooBig => ErrorClass::TooBig,
        C::TypeMismatch => ErrorClass::DatatypeMismatch,
        C::OperationInterrupted => ErrorClass::QueryCanceled,
        C::ParameterOutOfRange => ErrorClass::ParameterCount,
        C::ConstraintViolation => ErrorClass::CheckViolation,
        C::Unknown => classify_message(message),
        _ => ErrorClass::Other,
    }
}

/// SQLITE_ERROR covers parse and name-resolution errors, and the errors of the checked
/// arithmetic and cast functions (`translate::catalog::checked`, spelled as PostgreSQL's);
/// its message tells which.
fn classify_message(message: &str) -> ErrorClass {
    let m = message;
    if m == "division by zero" || m == "Division by 0" {
        ErrorClass::DivisionByZero
    } else if m.starts_with("invalid input syntax for type date")
        || m.starts_with("invalid input syntax for type time")
    {
        ErrorClass::InvalidDatetimeFormat
    } else if m.starts_with("invalid input syntax for type") {
        ErrorClass::InvalidTextRepresentation
    } else if m.starts_with("date/time field value out of range") {
        ErrorClass::DatetimeFieldOverflow
    } else if matches!(
        m,
        "smallint out of range" | "integer out of range" | "bigint out of range"
    ) || m.contains("is out of range for type")
    {
        ErrorClass::NumericOutOfRange
    } else if m.contains("syntax error")
        || m.contains("incomplete input")
        || m.contains("unrecognized token")
    {
        ErrorClass::Syntax
    } else if m.starts_with("no such table") || m.starts_with("no such view") {
        ErrorClass::UndefinedTable
    } else if m.starts_with("no such column") || m.contains("has no column named") {
        ErrorClass::UndefinedColumn
    } else if m.starts_with("no such function")
        || m.starts_with("wrong number of arguments to function")
    {
        ErrorClass::UndefinedFunction
    } else if m.contains("already exists") {
        ErrorClass::DuplicateTable
    } else if m.starts_with("no such savepoint")
        || m.starts_with("cannot start a transaction")
        || m.starts_with("cannot commit")
        || m.starts_with("cannot rollback")
    {
        ErrorClass::InvalidTransactionState
    } else {
        ErrorClass::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of(conn: &rusqlite::Connection, sql: &str) -> SqliteError {
        match conn.execute_batch(sql) {
            Err(e) => e.into(),
            Ok(()) => panic!("{sql} succeeded"),
        }
    }

    #[test]
    fn classes_of_real_errors() {
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        conn.execute_batch(
            "PRAGMA foreign_keys=ON; CREATE TABLE p(id INTEGER PRIMARY KEY, u TEXT UNIQUE, \
             n TEXT NOT NULL DEFAULT 'x', c INT CHECK (c > 0)); \
             CREATE TABLE k(p INT REFERENCES p(id)); INSERT INTO p(id,u) VALUES (1,'a');",
        )
        .expect("schema");
        let cases = [
            ("INSERT INTO p(id) VALUES (1)", "23505"),
            ("INSERT INTO p(id,u) VALUES (2,'a')", "23505"),
            ("INSERT INTO p(id,n) VALUES (3,NULL)", "23502"),
            ("INSERT INTO p(id,c) VALUES (4,0)", "23514"),
            ("INSERT INTO k VALUES (99)", "23503"),
            ("SELEC 1", "42601"),
            ("SELECT * FROM nope", "42P01"),
            ("SELECT nope FROM p", "42703"),
            ("SELECT nope(1)", "42883"),
            ("CREATE TABLE p(x)", "42P07"),
            ("RELEASE nope", "25000"),
        ];
        for (sql, state) in cases {
            assert_eq!(err_of(&conn, sql).sqlstate(), state, "{sql}");
        }
    }
}
