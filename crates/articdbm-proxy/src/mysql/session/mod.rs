//! The session loop of an authenticated MySQL client. MySQL is strictly one command, one
//! response: each client command is read whole (16 MiB continuation packets joined), SQL
//! (COM_QUERY, COM_STMT_PREPARE) passes the inspection seam, the raw packets go to a pooled
//! server, and the server's packets are forwarded untouched while a [`ResponseTracker`] follows
//! them to the end of the response. In transaction (multiplexing) mode the server goes back to
//! the pool when the response ends outside a transaction, unless the client left state on it
//! that cannot be replayed (then the session is pinned to that server); replayable state
//! (`SET` of session variables, `USE`) is re-applied on the next server, which is reset with
//! COM_RESET_CONNECTION when it comes back.

mod buffers;
mod change_user;
mod command;
mod fault;
mod route;
mod schema;
mod server_link;
mod statements;

use std::sync::Arc;

use articdbm_config::PoolMode;
use articdbm_wire_mysql::backend::{ErrPacket, OkPacket};
use articdbm_wire_mysql::writer::write_packet;
use articdbm_wire_mysql::{Capabilities, PacketDecoder, ServerStatus};
use bytes::{Bytes, BytesMut};

use super::Login;
use crate::backend::galera::GaleraMonitor;
use crate::backend::mysql::MIRRORED_CAPS;
use crate::backend::target::MySqlWire;
use crate::backend::{MySqlGuard, MySqlPool};
use crate::mysql::kill::KillHandle;
use crate::runtime::Route;
use crate::shutdown::Shutdown;
use crate::state::LiveState;
use crate::stream::ClientStream;

/// Runs the session of an authenticated client until it leaves or the proxy shuts down.
pub async fn run(state: Arc<LiveState>, login: Login, route: Route, shutdown: Shutdown) {
    let mut route = route;
    // LOCAL_FILES is in the client's capabilities only when the policy allows it (see
    // `handshake::offered`); the server connection then takes it too.
    let wire = MySqlWire {
        caps: (login.caps & (MIRRORED_CAPS | Capabilities::LOCAL_FILES)).0,
        collation: login.collation,
        sync_wait: 0,
    };
    apply_wire(&mut route, wire);
    let (galera, pool) = first_pool(&state, &route).await;
    let runtime = state.runtime();
    let max_packet = runtime.config.proxy.max_client_message_bytes as usize;
    drop(runtime);
    let ok_seq = login.ok_seq;
    let mut session = Session {
        transaction_mode: pool.mode() == PoolMode::Transaction,
        decoder: PacketDecoder::new(max_packet),
        // The client's database is the route's: servers log in with its backend schema
        // (which differs from the client's name under a `dbname` mapping).
        schema: login.schema.as_ref().map(|_| route.target.database.clone()),
        // Without a schema in the handshake the session is in the only MySQL database, by
        // its client-facing name.
        database: login
            .schema
            .clone()
            .or_else(|| Some(route.key.database.clone())),
        login_schema: route.target.database.clone(),
        state,
        client: login.stream,
        cbuf: login.buf,
        out: BytesMut::with_capacity(8192),
        caps: login.caps,
        user: login.user,
        peer: login.peer,
        pool,
        server: None,
        pinned: None,
        replay: login.replay,
        status: ServerStatus::AUTOCOMMIT,
        hold: 0,
        statements: statements::Statements::default(),
        kill: login.kill,
        nonce: login.nonce,
        client_slot: Some(login.client),
        shutdown,
        route,
        galera,
        read_hint: false,
        lost: false,
        ok_seq,
    };
    if session.admit().await {
        session.serve().await;
    }
    session.finish();
}

/// Points `route` at servers logged in with the client's wire options: pools are keyed by
/// them (capabilities and collation), as a server's session is set up at its login.
fn apply_wire(route: &mut Route, wire: MySqlWire) {
    route.target.mysql = wire;
    route.key.variant = wire.caps ^ (u64::from(wire.collation) << 56);
}

/// The monitor of a Galera route (if it is one) and the pool a session on `route` starts with:
/// for Galera, the current writer's.
async fn first_pool(
    state: &LiveState,
    route: &Route,
) -> (Option<Arc<GaleraMonitor>>, Arc<MySqlPool>) {
    let galera = galera_monitor(state, route).await;
    let on_writer = galera.as_ref().and_then(|m| {
        let writer = m.writer().unwrap_or(0);
        route.on_galera_node(m.nodes().get(writer)?, false)
    });
    let first = on_writer.as_ref().unwrap_or(route);
    let pool = state
        .mysql_pools
        .get_or_create(&first.key, &first.target, &first.settings);
    (galera, pool)
}

/// The node monitor of a Galera route's cluster (started on first use; the route's backend
/// login is added to those it polls with), after its first poll (waited for at most the
/// connect timeout).
async fn galera_monitor(state: &LiveState, route: &Route) -> Option<Arc<GaleraMonitor>> {
    let galera = route.galera.as_ref()?;
    let monitor = state
        .galera
        .get_or_start(&galera.nodes, galera.settings, &route.target);
    monitor.first_poll(route.settings.connect_timeout()).await;
    Some(monitor)
}

/// Commands after an auto-increment INSERT during which the server is kept, so that
/// `SELECT LAST_INSERT_ID()` (or `ROW_COUNT()`, `FOUND_ROWS()`) reaches the same connection.
const HOLD_AFTER_INSERT_ID: u32 = 5;

/// Commands after one that left warnings (or failed) during which the server is kept, so that
/// `SHOW WARNINGS` (`SHOW ERRORS`, `GET DIAGNOSTICS`) reaches the connection that has them.
const HOLD_FOR_DIAGNOSTICS: u32 = 1;

pub(super) struct Session {
    state: Arc<LiveState>,
    client: ClientStream,
    cbuf: BytesMut,
    out: BytesMut,
    decoder: PacketDecoder,
    caps: Capabilities,
    user: String,
    peer: std::net::SocketAddr,
    pool: Arc<MySqlPool>,
    server: Option<MySqlGuard>,
    transaction_mode: bool,
    /// Why the session keeps its server (state that cannot be replayed), if it does.
    pinned: Option<&'static str>,
    /// Session-variable statements to run on every server this session is given.
    replay: Vec<Bytes>,
    /// The schema the client wants (`USE`, COM_INIT_DB, the handshake).
    schema: Option<String>,
    /// The database as the client names it (handshake, `USE`, COM_INIT_DB): what the
    /// inspector is shown, as on every other backend (it differs from `schema` under a
    /// `dbname` mapping).
    database: Option<String>,
    /// The schema servers of the pool log in with.
    login_schema: String,
    /// Status flags after the last response.
    status: ServerStatus,
    /// Commands left during which the server is kept (see [`HOLD_AFTER_INSERT_ID`]).
    hold: u32,
    /// Binary-protocol statements under proxy-issued ids (multiplexing mode).
    statements: statements::Statements,
    /// This session's connection id and the server thread it is on, for `KILL`.
    kill: KillHandle,
    /// The nonce COM_CHANGE_USER scrambles are computed over (see `change_user.rs`).
    nonce: [u8; 20],
    /// The client's place in the client list, counted against its user's connection limit.
    client_slot: Option<crate::state::ClientSlot>,
    shutdown: Shutdown,
    /// The route of the login (wire options applied); for Galera, the base of every node's.
    route: Route,
    /// The cluster's monitor, for a Galera database.
    galera: Option<Arc<GaleraMonitor>>,
    /// The command being handled may go to a Galera reader (see `route.rs`).
    read_hint: bool,
    /// The server went away with the client's state on it: the client connection ends once
    /// what is queued for it is written (see `fault.rs`).
    lost: bool,
    /// Sequence id of the login's final OK while it is owed (see [`Session::admit`]).
    ok_seq: Option<u8>,
}

impl Session {
    /// Ends the login, as over PostgreSQL (whose login applies the client's startup settings
    /// on a server): the client gets a server now (in transaction mode it goes back to the
    /// pool right after). If none can be had, the login fails with the pool's error (1429 for
    /// a server that is down, as PostgreSQL's FATAL 08006); otherwise the OK goes out.
    /// Returns whether the session goes on.
    async fn admit(&mut self) -> bool {
        let Some(ok_seq) = self.ok_seq else {
            // The OK went out already (a database-less login that chose its database now).
            return true;
        };
        if let Err(e) = self.attach().await {
            let (code, sqlstate) = e.mysql_code();
            let sqlstate = sqlstate.to_owned();
            tracing::info!(user = %self.user, peer = %self.peer, error = %e, "MySQL login: no server");
            let database = self.database.clone().unwrap_or_default();
            self.send_error(code, &sqlstate, &e.mysql_message(&database), ok_seq)
                .await;
            return false;
        }
        let mut seq = ok_seq;
        crate::mysql::reply::write_login_ok(&mut self.out, &mut seq, self.caps);
        if self.client.send(&self.out).await.is_err() {
            return false;
        }
        self.out.clear();
        self.maybe_release();
        true
    }

    async fn serve(&mut self) {
        let signal = self.shutdown.session_signal();
        loop {
            let idle_tx_limit = self
                .pool
                .settings()
                .idle_in_transaction_timeout()
                .filter(|_| self.status.contains(ServerStatus::IN_TRANS));
            let next = match idle_tx_limit {
                None => self.next_command_or_server_loss(&signal).await,
                Some(limit) => {
                    match tokio::time::timeout(limit, self.next_command_or_server_loss(&signal))
                        .await
                    {
                        Ok(next) => next,
                        Err(_) => {
                            // As MariaDB's idle_transaction_timeout: the connection closes
                            // without a packet; `finish` rolls the transaction back (reset) and
                            // frees the server.
                            tracing::info!(user = %self.user, peer = %self.peer,
                            "client ended: idle in transaction for longer than idle_in_transaction_timeout_secs");
                            return;
                        }
                    }
                }
            };
            let packet = match next {
                fault::Next::Command(Ok(p)) => p,
                fault::Next::Command(Err(refusal)) => {
                    if let Some((r, seq)) = refusal {
                        self.send_error(r.code, r.sqlstate, &r.message, seq).await;
                    }
                    return;
                }
                fault::Next::ServerGone => {
                    if self.server_gone_between_commands() {
                        if !self.out.is_empty() {
                            let _ = self.client.send(&self.out).await;
                        }
                        return;
                    }
                    continue;
                }
            };
            self.note_read(&packet);
            let large_command = packet.raw().len() > crate::backend::socket::KEEP_BUFFER;
            let flow = self.on_command(packet).await;
            if matches!(flow, command::Flow::Close) || self.lost {
                if !self.out.is_empty() {
                    let _ = self.client.send(&self.out).await;
                }
                return;
            }
            if !self.out.is_empty() {
                if self.client.send(&self.out).await.is_err() {
                    return;
                }
                self.out.clear();
            }
            self.maybe_release();
            self.shed_buffers(large_command);
        }
    }

    /// Queues an ERR packet with sequence id `seq`.
    fn queue_error(&mut self, code: u16, sqlstate: &str, message: &str, seq: u8) {
        let mut payload = BytesMut::with_capacity(16 + message.len());
        ErrPacket::new(code, sqlstate, Bytes::copy_from_slice(message.as_bytes()))
            .write(&mut payload);
        let mut seq = seq;
        write_packet(&mut self.out, &mut seq, &payload);
    }

    async fn send_error(&mut self, code: u16, sqlstate: &str, message: &str, seq: u8) {
        self.queue_error(code, sqlstate, message, seq);
        let _ = self.client.send(&self.out).await;
        self.out.clear();
    }

    /// Queues an OK packet (sequence 1) answering a command the proxy handles itself.
    fn queue_ok(&mut self) {
        let ok = OkPacket {
            header: 0,
            affected_rows: 0,
            last_insert_id: 0,
            status: self.status,
            warnings: 0,
            info: Bytes::new(),
            session_state: None,
        };
        let mut payload = BytesMut::with_capacity(16);
        ok.write(&mut payload, self.caps);
        let mut seq = 1;
        write_packet(&mut self.out, &mut seq, &payload);
    }

    /// In transaction mode, gives the server back when no transaction is open and nothing
    /// keeps it.
    fn maybe_release(&mut self) {
        if !self.transaction_mode || self.pinned.is_some() || self.hold > 0 {
            return;
        }
        if self.status.contains(ServerStatus::IN_TRANS) {
            return;
        }
        if let Some(g) = self.server.take() {
            self.kill.set_target(None);
            g.release();
        }
    }

    /// Returns the server when the client leaves. An open transaction is rolled back by the
    /// reset (COM_RESET_CONNECTION) that runs before anyone else gets the connection.
    fn finish(&mut self) {
        self.kill.set_target(None);
        if let Some(mut g) = self.server.take() {
            if self.status.contains(ServerStatus::IN_TRANS) || self.pinned.is_some() {
                g.server().mark_needs_reset();
            }
            g.release();
        }
    }
}
