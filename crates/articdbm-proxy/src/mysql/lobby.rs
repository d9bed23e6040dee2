//! A MySQL session without a database, as MySQL and ProxySQL accept one: a login that names
//! no database while several MySQL databases are configured (the mysql CLI's Ctrl-C opens
//! exactly such a connection to send `KILL QUERY`). The proxy answers what needs no server:
//! `KILL` (and COM_PROCESS_KILL), `SHOW DATABASES`, `SELECT` of literals, session `SET`s
//! (remembered and run on the servers of the database chosen later), COM_PING,
//! COM_RESET_CONNECTION; `USE` / COM_INIT_DB to a database the user may use moves the client
//! into that database's session. Anything else gets ERR 1046 `No database selected`, as the
//! server gives for a statement that needs a database.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use articdbm_wire_mysql::backend::{ErrPacket, OkPacket};
use articdbm_wire_mysql::frontend::{ComInitDb, ComQuery, Command};
use articdbm_wire_mysql::writer::write_packet;
use articdbm_wire_mysql::{Packet, PacketDecoder, ServerStatus};
use bytes::{Bytes, BytesMut};

use super::Login;
use super::client::Destination;
use super::kill::{kill_by_id, parse_kill};
use super::literal_select;
use super::namespace::{parse_show_databases, visible_databases, write_show_databases};
use super::next_command::{CommandSource, next_command};
use super::session_state::{MySqlEffect, classify};
use super::sqlite::route::sqlite_database;
use crate::inspect::{Protocol, StatementContext, StatementSource, Verdict, judge};
use crate::shutdown::Shutdown;
use crate::state::LiveState;

/// What one command leads to.
enum Next {
    Stay,
    Close,
    /// The client chose a database: its session runs there from now on.
    Enter(Destination, String),
}

/// Serves a database-less client until it leaves or chooses a database.
pub async fn run(state: Arc<LiveState>, login: Login, shutdown: Shutdown) {
    let mut login = login;
    let max_packet = state.runtime().config.proxy.max_client_message_bytes as usize;
    let mut decoder = PacketDecoder::new(max_packet);
    let signal = shutdown.session_signal();
    let mut out = BytesMut::with_capacity(1024);
    loop {
        let source = CommandSource {
            client: &mut login.stream,
            buf: &mut login.buf,
            decoder: &mut decoder,
            signal: &signal,
            kill: &login.kill,
        };
        let packet = match next_command(source, || true).await {
            Ok(p) => p,
            Err(refusal) => {
                if let Some((r, seq)) = refusal {
                    err(&mut out, r.code, r.sqlstate, &r.message, seq);
                    let _ = login.stream.send(&out).await;
                }
                return;
            }
        };
        out.clear();
        let next = command(&state, &mut login, &packet, &mut out).await;
        if !out.is_empty() && login.stream.send(&out).await.is_err() {
            return;
        }
        match next {
            Next::Stay => {}
            Next::Close => return,
            Next::Enter(destination, name) => {
                tracing::debug!(user = %login.user, database = %name, "MySQL session chose its database");
                login.schema = Some(name);
                match destination {
                    Destination::Server(route) => {
                        super::session::run(state, login, *route, shutdown).await;
                    }
                    Destination::Sqlite(database) => {
                        super::sqlite::session::run(state, login, database, shutdown).await;
                    }
                    // `choose` names a database.
                    Destination::NoDatabase => {}
                }
                return;
            }
        }
    }
}

async fn command(
    state: &LiveState,
    login: &mut Login,
    packet: &Packet,
    out: &mut BytesMut,
) -> Next {
    let payload = packet.payload();
    let Some(&byte) = payload.first() else {
        err(out, 1047, "08S01", "Unknown command", 1);
        return Next::Stay;
    };
    match Command::from_u8(byte) {
        Command::Quit => Next::Close,
        Command::Ping => {
            ok(out, login);
            Next::Stay
        }
        Command::ResetConnection => {
            login.replay.clear();
            ok(out, login);
            Next::Stay
        }
        Command::InitDb => {
            match ComInitDb::decode(payload)
                .ok()
                .and_then(|c| c.schema().ok().map(str::to_string))
            {
                Some(name) => choose(state, login, &name, out),
                None => {
                    err(out, 1064, "42000", "malformed COM_INIT_DB", 1);
                    Next::Stay
                }
            }
        }
        Command::ProcessKill => match payload.get(1..5) {
            Some(id) => {
                let id = u32::from_le_bytes([id[0], id[1], id[2], id[3]]);
                kill(state, login, id, false, out).await
            }
            None => {
                err(out, 1047, "08S01", "malformed COM_PROCESS_KILL", 1);
                Next::Stay
            }
        },
        Command::Query => query(state, login, payload, out).await,
        _ => {
            no_database(out);
            Next::Stay
        }
    }
}

async fn query(state: &LiveState, login: &mut Login, payload: &Bytes, out: &mut BytesMut) -> Next {
    state.counters.queries.fetch_add(1, Ordering::Relaxed);
    let query = match ComQuery::decode(payload, login.caps) {
        Ok(q) => q,
        Err(e) => {
            err(out, 1064, "42000", &format!("malformed COM_QUERY: {e}"), 1);
            return Next::Stay;
        }
    };
    let sql_bytes = query.sql_bytes().clone();
    let sql = String::from_utf8_lossy(&sql_bytes);
    let ctx = StatementContext {
        protocol: Protocol::MySql,
        source: StatementSource::SimpleQuery,
        user: &login.user,
        database: "",
        client_addr: login.peer,
        sql: &sql,
    };
    if let Verdict::Block { rule, message, .. } = judge(state, &ctx) {
        err(out, 1142, "42000", &format!("{message} (rule {rule})"), 1);
        return Next::Stay;
    }
    if let Some((id, query_only)) = parse_kill(&sql) {
        return kill(state, login, id, query_only, out).await;
    }
    match parse_show_databases(&sql_bytes) {
        Ok(Some(show)) => {
            let runtime = state.runtime();
            let names = visible_databases(&runtime.config, runtime.users.get(&login.user));
            write_show_databases(out, login.caps, ServerStatus::AUTOCOMMIT, &show, &names);
            return Next::Stay;
        }
        Ok(None) => {}
        Err(message) => {
            err(out, 1235, "42000", message, 1);
            return Next::Stay;
        }
    }
    if let Some(items) = literal_select::parse(&sql_bytes) {
        literal_select::write(out, login.caps, ServerStatus::AUTOCOMMIT, &items);
        return Next::Stay;
    }
    match classify(&sql) {
        MySqlEffect::Schema(name) => choose(state, login, &name, out),
        MySqlEffect::Replay => {
            // Checked by the server of the database chosen later (an invalid value fails
            // there, at the first statement).
            login.replay.push(sql_bytes);
            ok(out, login);
            Next::Stay
        }
        MySqlEffect::None | MySqlEffect::Pin(_) => {
            no_database(out);
            Next::Stay
        }
    }
}

/// `USE name` / COM_INIT_DB: the same checks as a login naming `name` (1044, 1049).
fn choose(state: &LiveState, login: &Login, name: &str, out: &mut BytesMut) -> Next {
    let runtime = state.runtime();
    let allowed = runtime
        .users
        .get(&login.user)
        .is_some_and(|u| u.may_use_database(name));
    if !allowed {
        let message = format!(
            "Access denied for user '{}'@'{}' to database '{name}'",
            login.user,
            login.peer.ip()
        );
        err(out, 1044, "42000", &message, 1);
        return Next::Stay;
    }
    let destination = match sqlite_database(&runtime.config, Some(name)) {
        Some(database) => match state.sqlite(&database) {
            Ok(_) => Destination::Sqlite(database),
            Err(reason) => {
                err(
                    out,
                    1049,
                    "42000",
                    &format!("Unknown database '{name}': {reason}"),
                    1,
                );
                return Next::Stay;
            }
        },
        None => match runtime.route_mysql(Some(name), &login.user) {
            Ok(route) => Destination::Server(Box::new(route)),
            Err(e) => {
                err(out, e.code(), e.sqlstate(), &e.to_string(), 1);
                return Next::Stay;
            }
        },
    };
    ok(out, login);
    Next::Enter(destination, name.to_string())
}

async fn kill(
    state: &LiveState,
    login: &Login,
    id: u32,
    query_only: bool,
    out: &mut BytesMut,
) -> Next {
    if id == login.kill.id() {
        if query_only {
            ok(out, login);
            return Next::Stay;
        }
        err(out, 1927, "70100", "Connection was killed", 1);
        return Next::Close;
    }
    if kill_by_id(&state.mysql_kills, &login.user, id, query_only).await {
        ok(out, login);
    } else {
        err(out, 1094, "HY000", &format!("Unknown thread id: {id}"), 1);
    }
    Next::Stay
}

fn no_database(out: &mut BytesMut) {
    err(out, 1046, "3D000", "No database selected", 1);
}

fn ok(out: &mut BytesMut, login: &Login) {
    let ok = OkPacket {
        header: 0,
        affected_rows: 0,
        last_insert_id: 0,
        status: ServerStatus::AUTOCOMMIT,
        warnings: 0,
        info: Bytes::new(),
        session_state: None,
    };
    let mut payload = BytesMut::with_capacity(16);
    ok.write(&mut payload, login.caps);
    let mut seq = 1;
    write_packet(out, &mut seq, &payload);
}

fn err(out: &mut BytesMut, code: u16, sqlstate: &str, message: &str, seq: u8) {
    let mut payload = BytesMut::with_capacity(16 + message.len());
    ErrPacket::new(code, sqlstate, Bytes::copy_from_slice(message.as_bytes())).write(&mut payload);
    let mut seq = seq;
    write_packet(out, &mut seq, &payload);
}
