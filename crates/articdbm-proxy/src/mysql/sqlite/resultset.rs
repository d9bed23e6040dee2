//! Writing the replies of the SQLite session with the wire crate's codec: OK (affected rows,
//! last insert id, status flags, warnings), ERR, result sets (column count, column
//! definitions, EOF or nothing under `CLIENT_DEPRECATE_EOF`, text or binary rows, and the
//! closing EOF or OK-with-0xFE; a cursor's metadata), COM_STMT_PREPARE_OK with its parameter and column
//! definitions, and COM_FIELD_LIST replies. Every writer appends to the session's output
//! buffer and advances the exchange's sequence id.

use articdbm_wire_mysql::backend::{EofPacket, ErrPacket, OkPacket};
use articdbm_wire_mysql::lenenc::BufMutExt;
use articdbm_wire_mysql::resultset::{
    BinaryRow, ColumnDefinition41, ColumnFlags, ColumnMeta, ColumnType, StmtPrepareOk, TextRow,
};
use articdbm_wire_mysql::writer::write_packet;
use articdbm_wire_mysql::{Capabilities, PacketWriter, ServerStatus, WireError};
use bytes::{Bytes, BytesMut};

use super::coltype::Shape;
use super::convert::{binary_value, text_field};
use crate::sqlite::Value;

/// Output of one exchange: the buffer and the next sequence id.
pub struct Reply<'a> {
    pub out: &'a mut BytesMut,
    pub seq: &'a mut u8,
    pub caps: Capabilities,
}

impl Reply<'_> {
    fn deprecate_eof(&self) -> bool {
        self.caps.contains(Capabilities::DEPRECATE_EOF)
    }

    pub fn ok(&mut self, affected: u64, last_insert_id: u64, status: ServerStatus, info: &str) {
        let ok = OkPacket {
            header: 0,
            affected_rows: affected,
            last_insert_id,
            status,
            warnings: 0,
            info: Bytes::copy_from_slice(info.as_bytes()),
            session_state: None,
        };
        let mut w = PacketWriter::new(self.out, self.seq);
        ok.write(&mut w, self.caps);
        w.finish();
    }

    pub fn err(&mut self, code: u16, sqlstate: &str, message: &str) {
        let err = ErrPacket::new(code, sqlstate, Bytes::copy_from_slice(message.as_bytes()));
        let mut w = PacketWriter::new(self.out, self.seq);
        err.write(&mut w);
        w.finish();
    }

    fn eof(&mut self, status: ServerStatus) {
        let mut w = PacketWriter::new(self.out, self.seq);
        EofPacket {
            warnings: 0,
            status,
        }
        .write(&mut w);
        w.finish();
    }

    /// Column count and definitions (and the EOF after them unless deprecated).
    pub fn columns(&mut self, defs: &[ColumnDefinition41], status: ServerStatus) {
        let mut w = PacketWriter::new(self.out, self.seq);
        w.put_lenenc_int(defs.len() as u64);
        w.finish();
        self.definitions(defs);
        if !self.deprecate_eof() {
            self.eof(status);
        }
    }

    /// The metadata of a result set whose rows stay behind a cursor: column count,
    /// definitions, and one terminator (EOF, or OK-with-0xFE) carrying `status`
    /// (`SERVER_STATUS_CURSOR_EXISTS`).
    pub fn cursor_columns(&mut self, defs: &[ColumnDefinition41], status: ServerStatus) {
        let mut w = PacketWriter::new(self.out, self.seq);
        w.put_lenenc_int(defs.len() as u64);
        w.finish();
        self.definitions(defs);
        self.end(status);
    }

    /// Column definition packets only.
    pub fn definitions(&mut self, defs: &[ColumnDefinition41]) {
        for def in defs {
            let mut w = PacketWriter::new(self.out, self.seq);
            def.write(&mut w, self.caps);
            w.finish();
        }
    }

    /// A text-protocol row.
    pub fn text_row(&mut self, row: &[Value], shapes: &[Shape]) {
        let fields: Vec<Option<Vec<u8>>> = row
            .iter()
            .zip(shapes)
            .map(|(v, s)| text_field(v, s))
            .collect();
        let mut w = PacketWriter::new(self.out, self.seq);
        TextRow::write(&mut w, fields.iter().map(|f| f.as_deref()));
        w.finish();
    }

    /// A binary-protocol row.
    pub fn binary_row(
        &mut self,
        row: &[Value],
        shapes: &[Shape],
        metas: &[ColumnMeta],
    ) -> Result<(), WireError> {
        let values: Vec<_> = row
            .iter()
            .zip(shapes)
            .map(|(v, s)| binary_value(v, s))
            .collect();
        let mut payload = BytesMut::with_capacity(64);
        BinaryRow::write(&mut payload, metas, &values)?;
        write_packet(self.out, self.seq, &payload);
        Ok(())
    }

    /// The end of a result set's rows: EOF, or an OK with header 0xFE.
    pub fn end(&mut self, status: ServerStatus) {
        if self.deprecate_eof() {
            let ok = OkPacket {
                header: 0xFE,
                status,
                ..OkPacket::default()
            };
            let mut w = PacketWriter::new(self.out, self.seq);
            ok.write(&mut w, self.caps);
            w.finish();
        } else {
            self.eof(status);
        }
    }

    /// COM_STMT_PREPARE_OK, then `params` parameter definitions and the column definitions,
    /// each group closed by an EOF unless deprecated.
    pub fn prepare_ok(
        &mut self,
        id: u32,
        params: u16,
        columns: &[ColumnDefinition41],
        status: ServerStatus,
    ) {
        let ok = StmtPrepareOk {
            statement_id: id,
            num_columns: u16::try_from(columns.len()).unwrap_or(u16::MAX),
            num_params: params,
            warnings: 0,
            metadata_follows: None,
        };
        let mut w = PacketWriter::new(self.out, self.seq);
        ok.write(&mut w);
        w.finish();
        if params > 0 {
            let param = ColumnDefinition41::new("?", ColumnType::VAR_STRING, ColumnFlags(0), 63, 0);
            for _ in 0..params {
                self.definitions(std::slice::from_ref(&param));
            }
            if !self.deprecate_eof() {
                self.eof(status);
            }
        }
        if !columns.is_empty() {
            self.definitions(columns);
            if !self.deprecate_eof() {
                self.eof(status);
            }
        }
    }

    /// A COM_FIELD_LIST reply: definitions (with defaults) and the closing EOF.
    pub fn field_list(&mut self, defs: &[ColumnDefinition41], status: ServerStatus) {
        self.definitions(defs);
        self.end(status);
    }
}

/// The row metadata the binary codec needs for `shapes`.
pub fn metas(shapes: &[Shape]) -> Vec<ColumnMeta> {
    shapes
        .iter()
        .map(|s| ColumnMeta {
            ty: s.ty,
            flags: s.flags,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::coltype::from_decl;
    use super::*;
    use articdbm_wire_mysql::PacketDecoder;
    use articdbm_wire_mysql::Progress;
    use articdbm_wire_mysql::ResponseTracker;

    /// A whole text result set is one response the wire crate's tracker follows to its end.
    #[test]
    fn result_set_is_complete_for_the_tracker() {
        for caps in [
            Capabilities::PROTOCOL_41,
            Capabilities::PROTOCOL_41 | Capabilities::DEPRECATE_EOF,
        ] {
            let mut out = BytesMut::new();
            let shapes = vec![
                from_decl("INT", 45).unwrap(),
                from_decl("TEXT", 45).unwrap(),
            ];
            let defs: Vec<_> = shapes
                .iter()
                .enumerate()
                .map(|(i, s)| s.definition(&format!("c{i}"), "db"))
                .collect();
            let mut seq = 1;
            let mut r = Reply {
                out: &mut out,
                seq: &mut seq,
                caps,
            };
            r.columns(&defs, ServerStatus::AUTOCOMMIT);
            r.text_row(&[Value::Integer(1), Value::Null], &shapes);
            r.text_row(&[Value::Integer(2), Value::Text("x".into())], &shapes);
            r.end(ServerStatus::AUTOCOMMIT);
            let mut tracker =
                ResponseTracker::new(&[0x03], caps, ServerStatus::AUTOCOMMIT).unwrap();
            let decoder = PacketDecoder::new(1 << 24);
            let mut buf = out;
            let mut done = false;
            while let Some(p) = decoder.decode(&mut buf).unwrap() {
                if let Progress::Done = tracker.feed(p.payload()).unwrap() {
                    done = true;
                }
            }
            assert!(done, "{caps:?}");
        }
    }
}
