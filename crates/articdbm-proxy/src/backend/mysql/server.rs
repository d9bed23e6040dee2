//! One connection to a MySQL/MariaDB server: the client side of the handshake, then buffers
//! for the session loop to forward packets through, and what the pool needs (liveness, reset,
//! health check).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use articdbm_wire_mysql::ServerStatus;
use articdbm_wire_mysql::auth::{AuthClient, ClientStep};
use articdbm_wire_mysql::backend::{ErrPacket, HandshakeV10};
use articdbm_wire_mysql::frontend::HandshakeResponse41;
use articdbm_wire_mysql::resultset::TextRow;
use articdbm_wire_mysql::writer::write_packet;
use articdbm_wire_mysql::{Capabilities, Packet, PacketDecoder, Progress, ResponseTracker};
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::backend::connection::Connection;
use crate::backend::target::BackendTarget;
use crate::error::BackendError;

/// Capabilities that change the shape of what a server sends: a server connection takes them
/// from the clients it serves (they are part of its pool's key).
pub const MIRRORED_CAPS: Capabilities = Capabilities(
    Capabilities::DEPRECATE_EOF.0
        | Capabilities::FOUND_ROWS.0
        | Capabilities::MULTI_STATEMENTS.0
        | Capabilities::MULTI_RESULTS.0
        | Capabilities::PS_MULTI_RESULTS.0
        | Capabilities::SESSION_TRACK.0
        | Capabilities::IGNORE_SPACE.0
        | Capabilities::MARIADB_EXTENDED_METADATA.0,
);

/// What the proxy always asks of a server. LOCAL_FILES is asked only for clients allowed
/// `LOAD DATA LOCAL INFILE` (`proxy.mysql_local_infile`); otherwise the server refuses the
/// statement itself.
const BASE_CAPS: Capabilities = Capabilities(
    Capabilities::LONG_PASSWORD.0
        | Capabilities::LONG_FLAG.0
        | Capabilities::PROTOCOL_41.0
        | Capabilities::TRANSACTIONS.0
        | Capabilities::SECURE_CONNECTION.0
        | Capabilities::PLUGIN_AUTH.0
        | Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA.0
        | Capabilities::CONNECT_WITH_DB.0,
);

/// Largest packet accepted from a server (a logical payload may be larger than 16 MiB).
const MAX_SERVER_PACKET: usize = 1 << 30;

/// What a server announced: told to clients in the proxy's own handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MySqlProfile {
    pub version: Arc<str>,
    pub capabilities: Capabilities,
    pub collation: u8,
}

#[derive(Debug)]
pub struct MySqlServer {
    stream: TcpStream,
    rbuf: BytesMut,
    wbuf: BytesMut,
    decoder: PacketDecoder,
    caps: Capabilities,
    profile: MySqlProfile,
    thread_id: u32,
    addr: SocketAddr,
    status: ServerStatus,
    created: Instant,
    last_used: Instant,
    needs_reset: bool,
    /// Binary-protocol statements prepared on this connection, by SQL text.
    prepared: HashMap<Bytes, PreparedHere>,
    /// The schema of the login, and whether a client moved away from it (COM_RESET_CONNECTION
    /// keeps the current schema, so the reset has to go back explicitly).
    login_schema: String,
    schema_changed: bool,
    /// `wsrep_sync_wait` set after login (Galera readers), `0` = none.
    sync_wait: u8,
    /// A packet larger than the kept buffer size was read since the buffers were last shed:
    /// the read buffer's allocation grew (packets are split off it, so its reported capacity
    /// does not show that).
    large_read: bool,
    /// The replayable session statements (`SET` of session variables) run on this
    /// connection since its last reset, in order: a session whose own list is the same
    /// needs none of them again (see `mysql::session::server_link`).
    applied: Vec<Bytes>,
    /// Galera readers: how to log in again. Their reset is a new login, because after
    /// COM_RESET_CONNECTION (or COM_CHANGE_USER) MariaDB Galera ignores `wsrep_sync_wait` on
    /// the connection whatever it is set to (the server forgets the connection is a client
    /// one; mariadb-corporation/galera#613), so reads would no longer wait for earlier writes.
    relogin: Option<Box<(BackendTarget, Duration)>>,
}

/// A statement prepared on one server connection.
#[derive(Debug, Clone, Copy)]
pub struct PreparedHere {
    pub id: u32,
    /// Whether this connection has been sent the parameter types (they are sent once).
    pub typed: bool,
}

impl MySqlServer {
    /// Opens and authenticates a connection to `target` with the wire options in
    /// `target.mysql`.
    pub async fn connect(target: &BackendTarget, timeout: Duration) -> Result<Self, BackendError> {
        let addr = target.addr();
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(&addr)).await {
            Err(_) => return Err(BackendError::ConnectTimeout { addr }),
            Ok(Err(source)) => return Err(BackendError::Connect { addr, source }),
            Ok(Ok(s)) => s,
        };
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr()?;
        let now = Instant::now();
        let mut server = MySqlServer {
            stream,
            rbuf: BytesMut::with_capacity(super::super::socket::READ_BUFFER),
            wbuf: BytesMut::with_capacity(super::super::socket::WRITE_BUFFER),
            decoder: PacketDecoder::new(MAX_SERVER_PACKET),
            caps: Capabilities::NONE,
            profile: MySqlProfile {
                version: Arc::from(""),
                capabilities: Capabilities::NONE,
                collation: 0,
            },
            thread_id: 0,
            addr: peer,
            status: ServerStatus::AUTOCOMMIT,
            created: now,
            last_used: now,
            needs_reset: false,
            prepared: HashMap::new(),
            login_schema: target.database.clone(),
            schema_changed: false,
            sync_wait: target.mysql.sync_wait,
            large_read: false,
            applied: Vec::new(),
            relogin: (target.mysql.sync_wait > 0).then(|| Box::new((target.clone(), timeout))),
        };
        match tokio::time::timeout(timeout, server.login(target)).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(BackendError::ConnectTimeout {
                    addr: target.addr(),
                });
            }
        }
        server.apply_sync_wait().await?;
        Ok(server)
    }

    async fn login(&mut self, target: &BackendTarget) -> Result<(), BackendError> {
        let hello = self.read_packet().await?;
        if hello.first() == Some(0xFF) {
            return Err(mysql_error(hello.payload()));
        }
        let handshake = HandshakeV10::decode(hello.payload())?;
        // LOCAL_FILES comes from the client only where policy allows it (the session decides).
        let from_client = MIRRORED_CAPS | Capabilities::LOCAL_FILES;
        let wanted = BASE_CAPS | (Capabilities(target.mysql.caps) & from_client);
        if !handshake.capabilities.contains(Capabilities::REQUIRED) {
            return Err(BackendError::UnsupportedAuth(
                "server without PROTOCOL_41/SECURE_CONNECTION/PLUGIN_AUTH".into(),
            ));
        }
        self.caps = wanted & handshake.capabilities;
        let missing = Capabilities(target.mysql.caps) & MIRRORED_CAPS & !self.caps;
        if missing.contains(Capabilities::MARIADB_EXTENDED_METADATA) {
            // The client reads an extended-metadata field in every column definition; a
            // server that does not send it cannot serve it.
            return Err(BackendError::UnsupportedAuth(
                "the client negotiated MariaDB extended metadata, which this server does not \
                 offer (every MySQL database behind the proxy must then be MariaDB)"
                    .into(),
            ));
        }
        self.thread_id = handshake.connection_id;
        self.profile = MySqlProfile {
            version: Arc::from(String::from_utf8_lossy(&handshake.server_version).as_ref()),
            capabilities: handshake.capabilities,
            collation: handshake.charset,
        };
        let password = target
            .password
            .as_ref()
            .map(|s| s.expose().as_bytes())
            .unwrap_or_default();
        // Loopback and private networks are where a pool's servers live; TLS to backends is
        // not offered yet, so a cleartext password is never sent (caching_sha2 full
        // authentication uses the RSA exchange).
        let mut auth = AuthClient::new(password, false).allow_public_key_retrieval(true);
        let (plugin, data) = auth
            .initial_response(&handshake.auth_plugin, &handshake.auth_plugin_data)
            .map_err(|e| BackendError::Auth(e.to_string()))?;
        let collation = match target.mysql.collation {
            0 => handshake.charset,
            c => c,
        };
        let response = HandshakeResponse41 {
            capabilities: self.caps,
            max_packet_size: MAX_SERVER_PACKET as u32,
            charset: collation,
            username: Bytes::copy_from_slice(target.user.as_bytes()),
            auth_response: Bytes::from(data),
            database: (!target.database.is_empty())
                .then(|| Bytes::copy_from_slice(target.database.as_bytes())),
            auth_plugin: Some(Bytes::from_static(plugin.as_bytes())),
            connect_attrs: None,
            zstd_level: None,
        };
        let mut payload = BytesMut::new();
        response.write(&mut payload);
        let mut seq = hello.last_seq().wrapping_add(1);
        write_packet(&mut self.wbuf, &mut seq, &payload);
        self.flush().await?;
        loop {
            let packet = self.read_packet().await?;
            match auth.handle(packet.payload()) {
                Ok(ClientStep::Done) => break,
                Ok(ClientStep::Wait) => {}
                Ok(ClientStep::Send(data)) => {
                    let mut seq = packet.last_seq().wrapping_add(1);
                    write_packet(&mut self.wbuf, &mut seq, &data);
                    self.flush().await?;
                }
                Err(e) => {
                    if packet.first() == Some(0xFF) {
                        return Err(mysql_error(packet.payload()));
                    }
                    return Err(BackendError::Auth(e.to_string()));
                }
            }
        }
        self.profile.collation = collation;
        Ok(())
    }

    async fn read_packet(&mut self) -> Result<Packet, BackendError> {
        loop {
            if let Some(p) = self.decoder.decode(&mut self.rbuf)? {
                return Ok(p);
            }
            if self.stream.read_buf(&mut self.rbuf).await? == 0 {
                return Err(BackendError::Closed);
            }
        }
    }

    pub async fn flush(&mut self) -> std::io::Result<()> {
        if !self.wbuf.is_empty() {
            self.stream.write_all(&self.wbuf).await?;
            self.wbuf.clear();
        }
        Ok(())
    }

    /// Sends one command (sequence 0) and reads its whole response, which must not be a
    /// result set with rows the caller cares about; a server error is returned as such.
    pub async fn command(&mut self, payload: &[u8]) -> Result<(), BackendError> {
        self.command_tracked(payload).await.map(drop)
    }

    /// Like [`MySqlServer::command`], returning the tracker that followed the response.
    pub async fn command_tracked(
        &mut self,
        payload: &[u8],
    ) -> Result<ResponseTracker, BackendError> {
        self.command_with_rows(payload, |_| Ok(())).await
    }

    /// Sends one command and reads its whole response, handing each row packet of its result
    /// sets to `on_row`. A server error is returned as such.
    async fn command_with_rows(
        &mut self,
        payload: &[u8],
        mut on_row: impl FnMut(&Bytes) -> Result<(), BackendError>,
    ) -> Result<ResponseTracker, BackendError> {
        let mut seq = 0;
        write_packet(&mut self.wbuf, &mut seq, payload);
        self.flush().await?;
        let mut tracker = ResponseTracker::new(payload, self.caps, self.status)?;
        loop {
            let packet = self.read_packet().await?;
            let was_rows = tracker.in_rows();
            let progress = tracker.feed(packet.payload())?;
            if was_rows && tracker.in_rows() {
                on_row(packet.payload())?;
            }
            match progress {
                Progress::NeedMore => {}
                Progress::Done => break,
                Progress::AwaitClient => {
                    return Err(BackendError::Auth(
                        "server asked for client data during a proxy command".into(),
                    ));
                }
            }
        }
        if let Some(status) = tracker.final_status() {
            self.status = status;
        }
        match tracker.error() {
            Some(e) => Err(server_error(e)),
            None => Ok(tracker),
        }
    }

    /// Runs a text query and returns the rows of its result sets, each field as text (`None`
    /// for SQL NULL; invalid UTF-8 is replaced). For the proxy's own small queries (Galera
    /// status), not for relaying.
    pub async fn query_rows(
        &mut self,
        sql: &str,
    ) -> Result<Vec<Vec<Option<String>>>, BackendError> {
        let mut payload = Vec::with_capacity(sql.len() + 1);
        payload.push(0x03);
        payload.extend_from_slice(sql.as_bytes());
        let mut rows = Vec::new();
        self.command_with_rows(&payload, |p| {
            let fields = TextRow::new(p.clone())
                .fields()
                .map(|f| f.map(|v| v.map(|b| String::from_utf8_lossy(b).into_owned())))
                .collect::<Result<Vec<_>, _>>()?;
            rows.push(fields);
            Ok(())
        })
        .await?;
        Ok(rows)
    }

    /// Sets `wsrep_sync_wait` on a Galera reader connection (after login).
    async fn apply_sync_wait(&mut self) -> Result<(), BackendError> {
        if self.sync_wait == 0 {
            return Ok(());
        }
        let sql = format!("\x03SET SESSION wsrep_sync_wait = {}", self.sync_wait);
        self.command(sql.as_bytes()).await
    }

    /// Prepares `sql` on this connection for a client whose statement was prepared on another
    /// one (the reply is consumed here) and remembers it.
    pub async fn prepare(&mut self, sql: &Bytes) -> Result<u32, BackendError> {
        let mut payload = Vec::with_capacity(sql.len() + 1);
        payload.push(0x16);
        payload.extend_from_slice(sql);
        let tracker = self.command_tracked(&payload).await?;
        let ok = tracker.prepare_ok().ok_or(BackendError::Auth(
            "server answered a prepare without PREPARE_OK".into(),
        ))?;
        self.remember_prepared(sql.clone(), ok.statement_id);
        Ok(ok.statement_id)
    }

    /// Records that `sql` is prepared here as `id`; a statement it replaces is closed.
    pub fn remember_prepared(&mut self, sql: Bytes, id: u32) {
        if let Some(old) = self.prepared.insert(sql, PreparedHere { id, typed: false })
            && old.id != id
        {
            let mut close = [0x19, 0, 0, 0, 0];
            close[1..].copy_from_slice(&old.id.to_le_bytes());
            let mut seq = 0;
            write_packet(&mut self.wbuf, &mut seq, &close);
        }
    }

    /// The id under which `sql` is prepared on this connection, if it is.
    pub fn prepared(&mut self, sql: &[u8]) -> Option<&mut PreparedHere> {
        self.prepared.get_mut(sql)
    }

    /// Whether the connection is gone between two commands, checked without waiting: the
    /// server closed it, or sent something unprompted (a server says goodbye that way before
    /// closing). What it sent stays in the read buffer for [`MySqlServer::take_unsolicited`].
    /// Costs no system call unless the socket became readable.
    pub fn gone_between_commands(&mut self) -> bool {
        match self.stream.try_read_buf(&mut self.rbuf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => !self.rbuf.is_empty(),
            _ => true,
        }
    }

    /// Waits until the server closes the connection or sends something unprompted while no
    /// command is outstanding (either means it is gone; see
    /// [`MySqlServer::gone_between_commands`]).
    pub async fn gone(&mut self) {
        loop {
            if self.stream.readable().await.is_err() || self.gone_between_commands() {
                return;
            }
        }
    }

    /// The complete packets the server sent unprompted before going away, as received.
    pub fn take_unsolicited(&mut self) -> BytesMut {
        let mut whole = BytesMut::new();
        while let Ok(Some(p)) = self.decoder.decode(&mut self.rbuf) {
            whole.extend_from_slice(p.raw());
        }
        whole
    }

    /// Reads what the server sent into the read buffer; `Ok(0)` means it closed.
    pub async fn fill(&mut self) -> std::io::Result<usize> {
        self.stream.read_buf(&mut self.rbuf).await
    }

    /// The next complete buffered packet, if any.
    pub fn next_buffered(&mut self) -> Result<Option<Packet>, BackendError> {
        let packet = self.decoder.decode(&mut self.rbuf)?;
        if let Some(p) = &packet
            && p.raw().len() > super::super::socket::KEEP_BUFFER
        {
            self.large_read = true;
        }
        Ok(packet)
    }

    /// The outgoing buffer: append packets, then flush.
    pub fn out(&mut self) -> &mut BytesMut {
        &mut self.wbuf
    }

    /// Capabilities in force on this connection.
    pub fn caps(&self) -> Capabilities {
        self.caps
    }

    /// The server's id for this connection (what `KILL` and `CONNECTION_ID()` use).
    pub fn thread_id(&self) -> u32 {
        self.thread_id
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Status flags after the last complete response.
    pub fn status(&self) -> ServerStatus {
        self.status
    }

    pub fn set_status(&mut self, status: ServerStatus) {
        self.status = status;
    }

    pub fn mark_needs_reset(&mut self) {
        self.needs_reset = true;
    }

    /// The replayable session statements this connection carries (see `applied`).
    pub fn applied(&self) -> &[Bytes] {
        &self.applied
    }

    /// Records that this connection now carries exactly `statements` as session state.
    pub fn set_applied(&mut self, statements: &[Bytes]) {
        self.applied.clear();
        self.applied.extend_from_slice(statements);
    }

    /// A client changed the current schema (`USE`, COM_INIT_DB): the reset goes back to the
    /// login's.
    pub fn mark_schema_changed(&mut self) {
        self.needs_reset = true;
        self.schema_changed = true;
    }
}

fn mysql_error(payload: &Bytes) -> BackendError {
    match ErrPacket::decode(payload) {
        Ok(e) => server_error(&e),
        Err(e) => e.into(),
    }
}

/// A server's ERR packet as an error.
fn server_error(e: &ErrPacket) -> BackendError {
    BackendError::MySql {
        code: e.code,
        sqlstate: e.sqlstate_str().to_string(),
        message: String::from_utf8_lossy(&e.message).into_owned(),
    }
}

impl Connection for MySqlServer {
    type Profile = MySqlProfile;

    async fn connect(target: &BackendTarget, timeout: Duration) -> Result<Self, BackendError> {
        MySqlServer::connect(target, timeout).await
    }

    fn profile(&self) -> MySqlProfile {
        self.profile.clone()
    }

    fn is_alive(&mut self) -> bool {
        super::super::socket::is_quiet(&self.stream, &self.rbuf)
    }

    fn age(&self) -> Duration {
        self.created.elapsed()
    }

    fn idle_for(&self) -> Duration {
        self.last_used.elapsed()
    }

    fn touch(&mut self) {
        self.last_used = Instant::now();
    }

    fn shed_buffers(&mut self) {
        if self.rbuf.is_empty() && std::mem::take(&mut self.large_read) {
            self.rbuf = BytesMut::with_capacity(super::super::socket::READ_BUFFER);
        }
        super::super::socket::shed(&mut self.rbuf, &mut self.wbuf);
    }

    fn needs_reset(&self) -> bool {
        self.needs_reset
    }

    /// COM_RESET_CONNECTION: rolls back, drops temporary tables, user variables, prepared
    /// statements and GET_LOCK locks, and restores session variables and the schema of the
    /// login. The pool's reset query does not apply to MySQL. A Galera reader logs in anew
    /// instead (see `relogin`).
    async fn reset(&mut self, _reset_query: &str) -> Result<(), BackendError> {
        if let Some(relogin) = self.relogin.take() {
            let (target, timeout) = &*relogin;
            *self = MySqlServer::connect(target, *timeout).await?;
            return Ok(());
        }
        self.command(&[0x1F]).await?;
        self.prepared.clear();
        self.applied.clear();
        if self.schema_changed {
            if self.login_schema.is_empty() {
                // There is no way back to "no schema": the connection is not reused.
                return Err(BackendError::Auth(
                    "connection left its schema and had none at login".into(),
                ));
            }
            let mut init_db = Vec::with_capacity(self.login_schema.len() + 1);
            init_db.push(0x02);
            init_db.extend_from_slice(self.login_schema.as_bytes());
            self.command(&init_db).await?;
            self.schema_changed = false;
        }
        self.needs_reset = false;
        Ok(())
    }

    async fn health_check(&mut self, query: &str) -> Result<(), BackendError> {
        let mut payload = Vec::with_capacity(query.len() + 1);
        payload.push(0x03);
        payload.extend_from_slice(query.as_bytes());
        self.command(&payload).await
    }
}
