//! The admin console over the PostgreSQL protocol: simple queries are admin commands, answered
//! as text result sets (works with psql).

use std::sync::Arc;

use articdbm_wire_pg::FrameDecoder;
use articdbm_wire_pg::backend::error_response::{Severity, write_error};
use articdbm_wire_pg::backend::row::{TEXT_OID, write_data_row, write_row_description};
use articdbm_wire_pg::backend::{TransactionStatus, command_complete};
use articdbm_wire_pg::frontend::{Query, tag as fe};
use bytes::BytesMut;
use tokio::io::AsyncReadExt;

use super::reply::sqlstate;
use crate::admin::{AdminReply, execute};
use crate::shutdown::{Shutdown, ShutdownPhase};
use crate::state::LiveState;
use crate::stream::ClientStream;

pub async fn run(
    mut stream: ClientStream,
    mut buf: BytesMut,
    state: &Arc<LiveState>,
    mut shutdown: Shutdown,
) {
    let mut out = BytesMut::with_capacity(4096);
    let key = state.cancels.register();
    for (k, v) in [
        ("server_version", "16.0 (ArticDBM admin)"),
        ("client_encoding", "UTF8"),
        ("standard_conforming_strings", "on"),
        ("DateStyle", "ISO, MDY"),
        ("integer_datetimes", "on"),
    ] {
        articdbm_wire_pg::backend::parameter_status::ParameterStatus::write(&mut out, k, v);
    }
    key.key.write(&mut out);
    TransactionStatus::Idle.write(&mut out);
    let decoder = FrameDecoder::new(1 << 20);
    // An extended-protocol batch was refused; its messages are dropped until Sync.
    let mut refused_batch = false;
    loop {
        if stream.send(&out).await.is_err() {
            return;
        }
        out.clear();
        let frame = loop {
            match decoder.decode(&mut buf) {
                Ok(Some(f)) => break f,
                Ok(None) => {}
                Err(e) => {
                    write_error(
                        &mut out,
                        Severity::Fatal,
                        sqlstate::PROTOCOL_VIOLATION,
                        &e.to_string(),
                    );
                    let _ = stream.send(&out).await;
                    return;
                }
            }
            tokio::select! {
                r = stream.read_buf(&mut buf) => match r {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
                () = shutdown.reached(ShutdownPhase::Draining) => {
                    super::reply::fatal(&mut stream, sqlstate::ADMIN_SHUTDOWN,
                        "terminating connection due to administrator command").await;
                    return;
                }
            }
        };
        match frame.tag() {
            fe::TERMINATE => return,
            fe::QUERY => {
                let reply = match Query::decode(&frame)
                    .ok()
                    .and_then(|q| q.sql().ok().map(str::to_string))
                {
                    Some(sql) => execute(state, &sql),
                    None => AdminReply::Error("invalid query message".into()),
                };
                render(&mut out, reply);
                TransactionStatus::Idle.write(&mut out);
            }
            // As a server does after an error in an extended-protocol batch: one
            // ErrorResponse, then everything up to Sync is dropped, and Sync gets
            // ReadyForQuery.
            fe::SYNC => {
                refused_batch = false;
                TransactionStatus::Idle.write(&mut out);
            }
            _ => {
                if !refused_batch {
                    refuse_extended(&mut out);
                    refused_batch = true;
                }
            }
        }
    }
}

fn refuse_extended(out: &mut BytesMut) {
    write_error(
        out,
        Severity::Error,
        sqlstate::FEATURE_NOT_SUPPORTED,
        "the admin console only accepts simple queries",
    );
}

fn render(out: &mut BytesMut, reply: AdminReply) {
    match reply {
        AdminReply::Table { columns, rows, tag } => {
            let cols: Vec<(&str, u32)> = columns.iter().map(|c| (*c, TEXT_OID)).collect();
            write_row_description(out, &cols);
            for row in rows {
                let vals: Vec<Option<&str>> = row.iter().map(|v| Some(v.as_str())).collect();
                write_data_row(out, &vals);
            }
            command_complete::write(out, &tag);
        }
        AdminReply::Done(tag) => {
            if tag.is_empty() {
                articdbm_wire_pg::backend::write_empty(
                    out,
                    articdbm_wire_pg::backend::tag::EMPTY_QUERY_RESPONSE,
                );
            } else {
                command_complete::write(out, &tag);
            }
        }
        AdminReply::Error(msg) => write_error(out, Severity::Error, "58000", &msg),
    }
}
