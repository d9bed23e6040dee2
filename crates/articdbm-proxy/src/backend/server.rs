//! One authenticated connection to a PostgreSQL server: login (trust, cleartext, md5 or
//! SCRAM-SHA-256), its BackendKeyData and reported parameters, a reused read buffer, and what the
//! proxy tracks about its session state (statements prepared on it, whether it needs a reset).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use articdbm_wire_pg::auth::{ScramClient, md5_response};
use articdbm_wire_pg::backend::backend_key_data::BackendKeyData;
use articdbm_wire_pg::backend::parameter_status::ParameterStatus;
use articdbm_wire_pg::backend::{Authentication, ErrorFields, tag};
use articdbm_wire_pg::frontend::Query;
use articdbm_wire_pg::frontend::password::{
    SaslInitialResponse, write_password, write_sasl_response,
};
use articdbm_wire_pg::startup::StartupParams;
use articdbm_wire_pg::{Frame, FrameDecoder};
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::params::ParamMap;
use super::settings::Settings;
use super::target::BackendTarget;
use crate::error::BackendError;

/// Largest message a server may send (PostgreSQL's own limit is 1 GiB per field).
pub const MAX_SERVER_MESSAGE: u32 = (1 << 30) + 1024;

static NEXT_SERVER_ID: AtomicU64 = AtomicU64::new(1);

/// What one [`Server::pump`] step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pumped {
    /// Read this many bytes into the buffer; 0 means the server closed.
    Read(usize),
    /// Wrote part of the pending output.
    Wrote,
}

#[derive(Debug)]
pub struct Server {
    stream: TcpStream,
    rbuf: BytesMut,
    wbuf: BytesMut,
    decoder: FrameDecoder,
    key: BackendKeyData,
    addr: SocketAddr,
    params: ParamMap,
    /// Session settings the proxy knows are set on this connection (see `settings`).
    settings: Settings,
    created: Instant,
    last_used: Instant,
    prepared: HashSet<u64>,
    needs_reset: bool,
    id: u64,
}

impl Server {
    /// Opens and authenticates a connection to `target`.
    pub async fn connect(
        target: &BackendTarget,
        timeout: Duration,
    ) -> Result<Server, BackendError> {
        let addr = target.addr();
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(&addr)).await {
            Err(_) => return Err(BackendError::ConnectTimeout { addr }),
            Ok(Err(source)) => return Err(BackendError::Connect { addr, source }),
            Ok(Ok(s)) => s,
        };
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr()?;
        let mut server = Server {
            stream,
            rbuf: BytesMut::with_capacity(super::socket::READ_BUFFER),
            wbuf: BytesMut::with_capacity(super::socket::WRITE_BUFFER),
            decoder: FrameDecoder::new(MAX_SERVER_MESSAGE),
            key: BackendKeyData {
                process_id: 0,
                secret_key: 0,
            },
            addr: peer,
            params: ParamMap::default(),
            settings: Settings::default(),
            created: Instant::now(),
            last_used: Instant::now(),
            prepared: HashSet::new(),
            needs_reset: false,
            id: NEXT_SERVER_ID.fetch_add(1, Ordering::Relaxed),
        };
        match tokio::time::timeout(timeout, server.login(target)).await {
            Ok(r) => r.map(|()| server),
            Err(_) => Err(BackendError::ConnectTimeout {
                addr: target.addr(),
            }),
        }
    }

    async fn login(&mut self, target: &BackendTarget) -> Result<(), BackendError> {
        let startup = StartupParams {
            params: vec![
                ("user".into(), target.user.clone()),
                ("database".into(), target.database.clone()),
            ],
        };
        startup.write(&mut self.wbuf);
        self.flush().await?;
        let mut scram: Option<ScramClient> = None;
        loop {
            let frame = self.read_frame().await?;
            match frame.tag() {
                tag::AUTHENTICATION => match Authentication::decode(&frame)? {
                    Authentication::Ok => {}
                    Authentication::CleartextPassword => {
                        let pw = password(target)?;
                        write_password(&mut self.wbuf, pw.as_bytes());
                        self.flush().await?;
                    }
                    Authentication::Md5Password { salt } => {
                        let pw = password(target)?;
                        let resp = md5_response(&target.user, pw, salt);
                        write_password(&mut self.wbuf, resp.as_bytes());
                        self.flush().await?;
                    }
                    Authentication::Sasl { mechanisms } => {
                        if !mechanisms.iter().any(|m| m == "SCRAM-SHA-256") {
                            return Err(BackendError::UnsupportedAuth(mechanisms.join(",")));
                        }
                        let client = ScramClient::new(password(target)?);
                        let first = client.client_first();
                        SaslInitialResponse::write(&mut self.wbuf, "SCRAM-SHA-256", &first);
                        self.flush().await?;
                        scram = Some(client);
                    }
                    Authentication::SaslContinue(data) => {
                        let client = scram
                            .as_mut()
                            .ok_or_else(|| BackendError::Auth("unexpected SASL continue".into()))?;
                        let reply = client
                            .handle_server_first(&data)
                            .map_err(|e| BackendError::Auth(e.to_string()))?;
                        write_sasl_response(&mut self.wbuf, &reply);
                        self.flush().await?;
                    }
                    Authentication::SaslFinal(data) => {
                        let client = scram
                            .as_mut()
                            .ok_or_else(|| BackendError::Auth("unexpected SASL final".into()))?;
                        client
                            .handle_server_final(&data)
                            .map_err(|e| BackendError::Auth(e.to_string()))?;
                    }
                    Authentication::Unsupported(code) => {
                        return Err(BackendError::UnsupportedAuth(format!("method {code}")));
                    }
                },
                tag::ERROR_RESPONSE => {
                    let e = ErrorFields::decode(&frame)?;
                    return Err(BackendError::Rejected {
                        code: e.code,
                        message: e.message,
                    });
                }
                tag::BACKEND_KEY_DATA => self.key = BackendKeyData::decode(&frame)?,
                tag::PARAMETER_STATUS => {
                    let p = ParameterStatus::decode(&frame)?;
                    self.params.set(&p.name, &p.value);
                }
                tag::READY_FOR_QUERY => return Ok(()),
                _ => {}
            }
        }
    }

    /// Reads until one whole message is buffered.
    pub async fn read_frame(&mut self) -> Result<Frame, BackendError> {
        loop {
            if let Some(f) = self.decoder.decode(&mut self.rbuf)? {
                return Ok(f);
            }
            if self.stream.read_buf(&mut self.rbuf).await? == 0 {
                return Err(BackendError::Closed);
            }
        }
    }

    /// Appends every buffered message `pass` accepts to `out` untouched; stops at the first one
    /// it refuses and returns that message's size, leaving it at the front of the buffer (see
    /// [`FrameDecoder::pass_through`]).
    pub fn pass_through(
        &mut self,
        out: &mut BytesMut,
        pass: impl Fn(u8) -> bool,
    ) -> Result<Option<usize>, BackendError> {
        Ok(self.decoder.pass_through(&mut self.rbuf, out, pass)?)
    }

    /// The complete message [`Server::pass_through`] stopped at, in place.
    pub fn front(&self, len: usize) -> &[u8] {
        &self.rbuf[..len.min(self.rbuf.len())]
    }

    /// Drops the first `len` buffered bytes (a message handled in place).
    pub fn consume(&mut self, len: usize) {
        self.rbuf.advance(len.min(self.rbuf.len()));
    }

    /// Takes the next complete buffered message, if any.
    pub fn next_buffered(&mut self) -> Result<Option<Frame>, BackendError> {
        Ok(self.decoder.decode(&mut self.rbuf)?)
    }

    /// Reads more bytes into the buffer; `Ok(0)` means the server closed.
    pub async fn fill(&mut self) -> std::io::Result<usize> {
        self.stream.read_buf(&mut self.rbuf).await
    }

    /// The outgoing buffer: append messages, then [`Server::flush`].
    pub fn out(&mut self) -> &mut BytesMut {
        &mut self.wbuf
    }

    /// Writes as much pending output as the socket takes now, without waiting; the rest goes
    /// out through [`Server::pump`].
    pub fn try_flush(&mut self) -> std::io::Result<()> {
        super::socket::try_write(&self.stream, &mut self.wbuf)
    }

    /// Whether output is waiting to be written.
    pub fn has_pending_output(&self) -> bool {
        !self.wbuf.is_empty()
    }

    /// How many bytes of output are waiting to be written.
    pub fn pending_output(&self) -> usize {
        self.wbuf.len()
    }

    /// Moves bytes whichever way the socket allows first: reads what the server sent (when
    /// `read`) or writes part of the pending output. Reading while writing is what keeps a
    /// client that pipelines many requests from deadlocking proxy and server on full socket
    /// buffers (the server stops reading while its own output is not read).
    pub async fn pump(&mut self, read: bool) -> std::io::Result<Pumped> {
        let (mut rd, mut wr) = self.stream.split();
        let pending = !self.wbuf.is_empty();
        tokio::select! {
            r = rd.read_buf(&mut self.rbuf), if read => r.map(Pumped::Read),
            r = wr.write(&self.wbuf), if pending => {
                let n = r?;
                if n == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                self.wbuf.advance(n);
                Ok(Pumped::Wrote)
            }
            else => std::future::pending().await,
        }
    }

    pub async fn flush(&mut self) -> std::io::Result<()> {
        if !self.wbuf.is_empty() {
            self.stream.write_all(&self.wbuf).await?;
            self.wbuf.clear();
        }
        Ok(())
    }

    /// Runs `sql` as a simple query and discards its results. A server error is returned.
    pub async fn run_discarding(&mut self, sql: &str) -> Result<(), BackendError> {
        Query::write(&mut self.wbuf, sql);
        self.flush().await?;
        let mut failure = None;
        loop {
            let frame = self.read_frame().await?;
            match frame.tag() {
                tag::ERROR_RESPONSE => {
                    let e = ErrorFields::decode(&frame)?;
                    failure = Some(BackendError::Rejected {
                        code: e.code,
                        message: e.message,
                    });
                }
                tag::PARAMETER_STATUS => self.observe_parameter(&frame)?,
                tag::READY_FOR_QUERY => {
                    return match failure {
                        Some(e) => Err(e),
                        None => Ok(()),
                    };
                }
                _ => {}
            }
        }
    }

    /// Runs `sql` as a simple query whose rows have two text columns, and returns them (NULL
    /// read as empty). A server error is returned.
    pub async fn query_pairs(&mut self, sql: &str) -> Result<Vec<(String, String)>, BackendError> {
        Query::write(&mut self.wbuf, sql);
        self.flush().await?;
        let mut failure = None;
        let mut rows = Vec::new();
        loop {
            let frame = self.read_frame().await?;
            match frame.tag() {
                tag::DATA_ROW => {
                    if let Some(pair) = two_text_values(&frame.body()) {
                        rows.push(pair);
                    }
                }
                tag::ERROR_RESPONSE => {
                    let e = ErrorFields::decode(&frame)?;
                    failure = Some(BackendError::Rejected {
                        code: e.code,
                        message: e.message,
                    });
                }
                tag::PARAMETER_STATUS => self.observe_parameter(&frame)?,
                tag::READY_FOR_QUERY => {
                    return match failure {
                        Some(e) => Err(e),
                        None => Ok(rows),
                    };
                }
                _ => {}
            }
        }
    }

    /// Notes a ParameterStatus passing through.
    pub fn observe_parameter(&mut self, frame: &Frame) -> Result<(), BackendError> {
        let p = ParameterStatus::decode(frame)?;
        self.params.set(&p.name, &p.value);
        Ok(())
    }

    /// True when nothing unexpected (EOF, a FATAL notice of shutdown) arrived while idle.
    pub fn is_alive(&mut self) -> bool {
        super::socket::is_quiet(&self.stream, &self.rbuf)
    }

    pub fn key(&self) -> BackendKeyData {
        self.key
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn params(&self) -> &ParamMap {
        &self.params
    }

    /// The session settings the proxy knows are set on this connection.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Records the session settings now set on this connection (replayed or read back).
    pub fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn age(&self) -> Duration {
        self.created.elapsed()
    }

    pub fn idle_for(&self) -> Duration {
        self.last_used.elapsed()
    }

    pub fn touch(&mut self) {
        self.last_used = Instant::now();
    }

    /// Drops buffers grown by a large result so idle connections stay small.
    pub fn shed_buffers(&mut self) {
        super::socket::shed(&mut self.rbuf, &mut self.wbuf);
    }

    /// Statements (by global id) known to be prepared on this connection.
    pub fn prepared(&mut self) -> &mut HashSet<u64> {
        &mut self.prepared
    }

    /// Marks that the client changed session state that must not leak to the next client.
    pub fn mark_needs_reset(&mut self) {
        self.needs_reset = true;
    }

    pub fn needs_reset(&self) -> bool {
        self.needs_reset
    }

    /// Runs the reset query and forgets what it wiped out.
    pub async fn reset(&mut self, reset_query: &str) -> Result<(), BackendError> {
        if !reset_query.is_empty() {
            self.run_discarding(reset_query).await?;
            // DISCARD ALL leaves no session setting (RESET ALL would leave the role).
            let discards_all = reset_query
                .trim()
                .trim_end_matches(';')
                .eq_ignore_ascii_case("DISCARD ALL");
            if discards_all {
                self.settings.clear();
            } else {
                // Whatever the reset query is, know what it left.
                let rows = self
                    .query_pairs(&super::settings::capture_sql(
                        self.settings.iter().map(|(k, _)| k).collect::<Vec<_>>(),
                    ))
                    .await?;
                self.settings = Settings::from_rows(rows);
            }
        }
        self.prepared.clear();
        self.needs_reset = false;
        Ok(())
    }
}

/// The first two values of a DataRow body as text (NULL as empty); `None` if malformed.
fn two_text_values(body: &[u8]) -> Option<(String, String)> {
    let mut at = 2usize;
    let mut value = || {
        let len = i32::from_be_bytes(body.get(at..at + 4)?.try_into().ok()?);
        at += 4;
        let Ok(len) = usize::try_from(len) else {
            return Some(String::new());
        };
        let v = body.get(at..at + len)?;
        at += len;
        Some(String::from_utf8_lossy(v).into_owned())
    };
    Some((value()?, value()?))
}

fn password(target: &BackendTarget) -> Result<&str, BackendError> {
    target
        .password
        .as_ref()
        .map(|s| s.expose())
        .ok_or(BackendError::NoPassword)
}

impl super::connection::Connection for Server {
    type Profile = ParamMap;

    async fn connect(target: &BackendTarget, timeout: Duration) -> Result<Self, BackendError> {
        Server::connect(target, timeout).await
    }

    fn profile(&self) -> ParamMap {
        self.params.clone()
    }

    fn is_alive(&mut self) -> bool {
        Server::is_alive(self)
    }

    fn age(&self) -> Duration {
        Server::age(self)
    }

    fn idle_for(&self) -> Duration {
        Server::idle_for(self)
    }

    fn touch(&mut self) {
        Server::touch(self);
    }

    fn shed_buffers(&mut self) {
        Server::shed_buffers(self);
    }

    fn needs_reset(&self) -> bool {
        self.needs_reset
    }

    async fn reset(&mut self, reset_query: &str) -> Result<(), BackendError> {
        Server::reset(self, reset_query).await
    }

    async fn health_check(&mut self, query: &str) -> Result<(), BackendError> {
        self.run_discarding(query).await
    }
}
