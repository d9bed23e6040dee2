//! Binary-protocol prepared statements in transaction (multiplexing) mode. Statement ids are
//! per server connection, and consecutive transactions land on different ones, so the client
//! gets ids issued by the proxy: each maps to the statement's SQL, which is prepared on
//! whatever server the session is given (once per server connection, remembered there until
//! the connection is reset) and the id in each statement command is rewritten in place.
//! Parameter types, which clients send only with the first execution, are kept and re-sent
//! to a server that has not seen them.

use std::collections::HashMap;

use articdbm_wire_mysql::Packet;
use articdbm_wire_mysql::frontend::{set_statement_id, statement_id};
use articdbm_wire_mysql::writer::write_packet;
use bytes::{Bytes, BytesMut};

use super::Session;
use super::server_link::Relay;

/// A statement as the client prepared it.
#[derive(Debug)]
pub(super) struct ClientStatement {
    sql: Bytes,
    params: u16,
    /// The parameter types of the last execution that sent them (2 bytes per parameter).
    types: Option<Bytes>,
}

/// The client's statements by the ids the proxy issued.
#[derive(Debug, Default)]
pub(super) struct Statements {
    next_id: u32,
    by_id: HashMap<u32, ClientStatement>,
}

/// Offset of the new-params-bound flag in a COM_STMT_EXECUTE payload with `params`
/// parameters: command, id, flags, iteration count, NULL bitmap.
fn bound_flag_at(params: u16) -> usize {
    1 + 4 + 1 + 4 + usize::from(params).div_ceil(8)
}

impl Session {
    /// COM_STMT_PREPARE in multiplexing mode: relayed, with the server's id swapped for a
    /// proxy-issued one.
    pub(super) async fn prepare_mapped(&mut self, packet: &Packet, payload: &Bytes, sql: Bytes) {
        if !self.attach_or_report().await {
            return;
        }
        self.statements.next_id = self.statements.next_id.wrapping_add(1).max(1);
        let client_id = self.statements.next_id;
        if let Relay::Done(tracker) = self.relay(packet.raw(), payload, Some(client_id)).await
            && let Some(ok) = tracker.prepare_ok()
        {
            if let Some(g) = self.server.as_mut() {
                g.server().remember_prepared(sql.clone(), ok.statement_id);
            }
            self.statements.by_id.insert(
                client_id,
                ClientStatement {
                    sql,
                    params: ok.num_params,
                    types: None,
                },
            );
        }
    }

    /// COM_STMT_EXECUTE / FETCH / RESET / SEND_LONG_DATA / CLOSE in multiplexing mode.
    pub(super) async fn statement_command_mapped(&mut self, payload: &Bytes) {
        let byte = payload.first().copied().unwrap_or(0);
        let Ok(client_id) = statement_id(payload) else {
            self.queue_error(1047, "08S01", "malformed statement command", 1);
            return;
        };
        if byte == 0x19 {
            // COM_STMT_CLOSE: no reply; the server's copy stays for reuse until reset.
            self.statements.by_id.remove(&client_id);
            return;
        }
        let Some(stmt) = self.statements.by_id.get(&client_id) else {
            if byte != 0x18 {
                self.queue_error(
                    1243,
                    "HY000",
                    &format!("Unknown prepared statement handler ({client_id}) given to the proxy"),
                    1,
                );
            }
            return;
        };
        let (sql, params) = (stmt.sql.clone(), stmt.params);
        if !self.attach_or_report().await {
            return;
        }
        let Some(server_id) = self.prepared_here(&sql).await else {
            return;
        };
        let mut payload = BytesMut::from(&payload[..]);
        if set_statement_id(&mut payload, server_id).is_err() {
            self.queue_error(1047, "08S01", "malformed statement command", 1);
            return;
        }
        if byte == 0x17 && params > 0 {
            payload = self.with_types(client_id, &sql, params, payload);
        }
        let mut raw = BytesMut::with_capacity(payload.len() + 8);
        let mut seq = 0;
        write_packet(&mut raw, &mut seq, &payload);
        if byte == 0x18 {
            // COM_STMT_SEND_LONG_DATA: no reply; the data waits on this server for the
            // execution, so the server is kept until then.
            self.hold = self.hold.max(2);
            if self.send_only(&raw).await.is_err() {
                self.lose("Lost connection to MySQL server while sending long data");
            }
            return;
        }
        let payload = payload.freeze();
        if let Relay::Done(tracker) = self.relay(&raw, &payload, None).await {
            self.note_response(&tracker);
        }
    }

    /// The id of `sql` on the attached server, preparing it there first if needed.
    async fn prepared_here(&mut self, sql: &Bytes) -> Option<u32> {
        let g = self.server.as_mut()?;
        let server = g.server();
        if let Some(p) = server.prepared(sql) {
            return Some(p.id);
        }
        match server.prepare(sql).await {
            Ok(id) => Some(id),
            Err(crate::error::BackendError::MySql {
                code,
                sqlstate,
                message,
            }) => {
                self.queue_error(code, &sqlstate, &message, 1);
                None
            }
            Err(e) => {
                self.lose(&format!("while preparing a statement on a server: {e}"));
                None
            }
        }
    }

    /// Keeps the parameter types a COM_STMT_EXECUTE carries, or adds the kept ones when the
    /// client leaves them out and the server has not seen them.
    fn with_types(
        &mut self,
        client_id: u32,
        sql: &Bytes,
        params: u16,
        payload: BytesMut,
    ) -> BytesMut {
        let at = bound_flag_at(params);
        let types_len = 2 * usize::from(params);
        let Some(&bound) = payload.get(at) else {
            return payload;
        };
        let typed_here = self
            .server
            .as_mut()
            .and_then(|g| g.server().prepared(sql).map(|p| p.typed))
            .unwrap_or(false);
        if bound == 1 {
            if let Some(types) = payload.get(at + 1..at + 1 + types_len)
                && let Some(stmt) = self.statements.by_id.get_mut(&client_id)
            {
                stmt.types = Some(Bytes::copy_from_slice(types));
            }
            self.mark_typed(sql);
            return payload;
        }
        if typed_here {
            return payload;
        }
        let Some(types) = self
            .statements
            .by_id
            .get(&client_id)
            .and_then(|s| s.types.clone())
        else {
            return payload;
        };
        // Re-sent once to this server: the packet is rebuilt with the flag set and the types
        // inserted (the values are copied as they are).
        let mut rebuilt = BytesMut::with_capacity(payload.len() + types.len());
        rebuilt.extend_from_slice(&payload[..at]);
        rebuilt.extend_from_slice(&[1]);
        rebuilt.extend_from_slice(&types);
        rebuilt.extend_from_slice(&payload[at + 1..]);
        self.mark_typed(sql);
        rebuilt
    }

    fn mark_typed(&mut self, sql: &Bytes) {
        if let Some(p) = self.server.as_mut().and_then(|g| g.server().prepared(sql)) {
            p.typed = true;
        }
    }
}
