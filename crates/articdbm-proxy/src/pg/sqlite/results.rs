//! Turning an engine [`Execution`] into protocol messages: the column types (translation
//! hint, then declared type, then the first row's storage class, else text), RowDescription,
//! DataRows in the formats the client asked for, PortalSuspended at a row limit, and the
//! command tag with its row count.

use std::collections::VecDeque;

use articdbm_wire_pg::backend::{command_complete, tag, write_empty};

use super::SqliteFront;
use super::messages::{Field, result_format, write_data_row};
use super::types;
use crate::sqlite::{ColumnMeta, Done, Execution, Row, SqliteError, Value};

/// A statement whose rows are being sent: the execution, rows already read from it but not
/// yet sent, and how its columns are described.
pub struct Running {
    pub exec: Execution,
    pub buffered: VecDeque<Row>,
    pub fields: Vec<Field>,
    pub verb: String,
}

/// How sending rows ended.
pub enum Sent {
    /// CommandComplete was written.
    Complete,
    /// The row limit was reached and rows remain: PortalSuspended was written.
    Suspended,
}

/// The OID of each result column: a supported translation hint, the declared type, the
/// storage class of the value in `first` (when given), else text.
pub fn column_oids(columns: &[ColumnMeta], hints: &[Option<u32>], first: Option<&Row>) -> Vec<u32> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if let Some(oid) = hints.get(i).copied().flatten().and_then(types::describable) {
                return oid;
            }
            if let Some(oid) = types::decl_oid(c.decl_type.as_deref()) {
                return oid;
            }
            match first.and_then(|row| row.get(i)) {
                Some(v) if !v.is_null() => types::value_oid(v),
                _ => types::TEXT,
            }
        })
        .collect()
}

/// Fields for columns with their OIDs and the result formats of a Bind (none: text).
pub fn fields(columns: &[ColumnMeta], oids: &[u32], formats: &[i16]) -> Vec<Field> {
    columns
        .iter()
        .zip(oids)
        .enumerate()
        .map(|(i, (c, oid))| Field {
            name: c.name.clone(),
            oid: *oid,
            size: types::type_size(*oid),
            format: result_format(formats, i),
        })
        .collect()
}

/// The command tag for a finished statement.
pub fn command_tag(verb: &str, done: &Done, rows: u64, has_columns: bool) -> String {
    match verb {
        "INSERT" => format!("INSERT 0 {}", done.changes),
        "UPDATE" | "DELETE" | "MERGE" => format!("{verb} {}", done.changes),
        "SELECT" if !has_columns => format!("SELECT {}", done.changes),
        "SELECT" | "FETCH" | "MOVE" | "COPY" => format!("{verb} {rows}"),
        "" => "OK".to_owned(),
        other => other.to_owned(),
    }
}

impl SqliteFront {
    /// Reads the first batch of `exec` (so the first row can tell column types).
    pub(super) async fn peek(exec: &mut Execution) -> Result<VecDeque<Row>, SqliteError> {
        match exec.next_batch().await {
            Some(Ok(rows)) => Ok(rows.into()),
            Some(Err(e)) => Err(e),
            None => Ok(VecDeque::new()),
        }
    }

    /// Sends rows of `run` (at most `max_rows` when not 0), then CommandComplete or
    /// PortalSuspended. Writes to the client whenever enough is queued.
    pub(super) async fn send_rows(
        &mut self,
        run: &mut Running,
        max_rows: u32,
    ) -> Result<Sent, SqliteError> {
        let mut sent: u64 = 0;
        let mut scratch: Vec<u8> = Vec::new();
        let mut bounds: Vec<Option<(usize, usize)>> = Vec::new();
        loop {
            while let Some(row) = run.buffered.pop_front() {
                if max_rows != 0 && sent == u64::from(max_rows) {
                    run.buffered.push_front(row);
                    write_empty(&mut self.out, tag::PORTAL_SUSPENDED);
                    return Ok(Sent::Suspended);
                }
                encode_row(&run.fields, &row, &mut scratch, &mut bounds)?;
                let values: Vec<Option<&[u8]>> = bounds
                    .iter()
                    .map(|b| b.map(|(s, e)| &scratch[s..e]))
                    .collect();
                write_data_row(&mut self.out, &values);
                sent += 1;
            }
            if self.out.len() >= super::FLUSH_BYTES && self.flush().await.is_err() {
                return Err(SqliteError::new(
                    crate::sqlite::ErrorClass::QueryCanceled,
                    "the client went away",
                ));
            }
            match run.exec.next_batch().await {
                Some(Ok(rows)) => run.buffered.extend(rows),
                Some(Err(e)) => return Err(e),
                None => break,
            }
        }
        let done = run.exec.done().unwrap_or_default();
        let tag = command_tag(&run.verb, &done, sent, !run.fields.is_empty());
        command_complete::write(&mut self.out, &tag);
        Ok(Sent::Complete)
    }
}

/// Encodes one row into `scratch`, recording each value's range (`None` = NULL).
fn encode_row(
    fields: &[Field],
    row: &[Value],
    scratch: &mut Vec<u8>,
    bounds: &mut Vec<Option<(usize, usize)>>,
) -> Result<(), SqliteError> {
    scratch.clear();
    bounds.clear();
    for (i, value) in row.iter().enumerate() {
        if value.is_null() {
            bounds.push(None);
            continue;
        }
        let (oid, format) = fields
            .get(i)
            .map_or((types::TEXT, 0), |f| (f.oid, f.format));
        let start = scratch.len();
        if format == 1 {
            types::encode_binary(oid, value, scratch)?;
        } else {
            types::encode_text(oid, value, scratch);
        }
        bounds.push(Some((start, scratch.len())));
    }
    Ok(())
}
