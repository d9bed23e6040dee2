//! One MySQL client connection from accept to the session loop: connection limit (ERR 1040
//! in place of the handshake, as MySQL does), handshake and TLS, the TLS requirement (3159),
//! authentication (1045), database permission (1044) and resolution (1046/1049), the
//! per-user connection limit (1203), then the final OK and the session loop: a MySQL/MariaDB
//! server's ([`super::session::run`]) or, for a `kind = "sqlite"` database, the embedded
//! SQLite one ([`super::sqlite::session::run`]). The whole login shares one deadline,
//! `proxy.auth_timeout_secs`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use articdbm_wire_mysql::PacketDecoder;
use articdbm_wire_mysql::auth::generate_nonce;
use bytes::BytesMut;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::auth::{Attempt, authenticate};
use super::handshake::{self, LoginError, login_packet_limit};
use super::login::Login;
use super::reply::{Refusal, code, pre_handshake_err, write_login_ok};
use crate::runtime::{MysqlRouteError, Route, RuntimeConfig};
use crate::shutdown::Shutdown;
use crate::state::{ClientInfo, ClientSlot, LiveState};
use crate::stream::ClientStream;

/// Serves one MySQL client until it leaves.
pub async fn handle_client(
    tcp: TcpStream,
    peer: SocketAddr,
    state: Arc<LiveState>,
    shutdown: Shutdown,
) {
    let _ = tcp.set_nodelay(true);
    let Some(_connection) = state.open_connection() else {
        let mut tcp = tcp;
        let _ = tcp
            .write_all(&pre_handshake_err(
                code::TOO_MANY_CONNECTIONS,
                "Too many connections",
            ))
            .await;
        let _ = tcp.shutdown().await;
        return;
    };
    let runtime = state.runtime();
    let deadline = tokio::time::Instant::now() + runtime.config.proxy.auth_timeout();
    let login = tokio::time::timeout_at(deadline, login(tcp, peer, &state, &runtime)).await;
    let Ok(Some((login, destination))) = login else {
        if login.is_err() {
            state.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
            tracing::info!(%peer, "MySQL login timed out");
        }
        return;
    };
    drop(runtime);
    enter(state, login, destination, shutdown).await;
}

/// Runs the session of an authorized client where its destination says.
pub(super) async fn enter(
    state: Arc<LiveState>,
    login: Login,
    destination: Destination,
    shutdown: Shutdown,
) {
    match destination {
        Destination::Server(route) => super::session::run(state, login, *route, shutdown).await,
        Destination::Sqlite(database) => {
            let mut login = login;
            if send_login_ok(&mut login).await {
                super::sqlite::session::run(state, login, database, shutdown).await;
            }
        }
        Destination::NoDatabase => {
            let mut login = login;
            if send_login_ok(&mut login).await {
                super::lobby::run(state, login, shutdown).await;
            }
        }
    }
}

/// Sends the login's final OK if it is still owed; false when the client is gone.
async fn send_login_ok(login: &mut Login) -> bool {
    let Some(mut seq) = login.ok_seq.take() else {
        return true;
    };
    let mut out = BytesMut::with_capacity(32);
    write_login_ok(&mut out, &mut seq, login.caps);
    login.stream.send(&out).await.is_ok()
}

/// Where an authorized MySQL client's session runs.
#[derive(Debug)]
pub(super) enum Destination {
    /// A pooled MySQL/MariaDB server (or Galera cluster).
    Server(Box<Route>),
    /// The embedded SQLite database of this `[databases]` key.
    Sqlite(String),
    /// None yet: a login without a database when several MySQL databases are configured
    /// (see [`super::lobby`]).
    NoDatabase,
}

/// Handshake to OK. `None` when the client was refused (the ERR has been sent) or left.
async fn login(
    tcp: TcpStream,
    peer: SocketAddr,
    state: &Arc<LiveState>,
    runtime: &Arc<RuntimeConfig>,
) -> Option<(Login, Destination)> {
    let mut buf = BytesMut::with_capacity(1024);
    let nonce = generate_nonce();
    // What clients see as their connection id: issued by the kill registry, so that
    // `KILL <id>` from another connection finds this session's server thread.
    let kill = state.mysql_kills.register();
    let connection_id = kill.id();
    let hello = match handshake::open(tcp, &mut buf, runtime, &nonce, connection_id).await {
        Ok(h) => h,
        Err((stream, e)) => {
            tracing::debug!(%peer, error = %e, "MySQL handshake failed");
            if let Some(mut stream) = stream {
                e.report(&mut stream).await;
            }
            return None;
        }
    };
    let offered = hello.offered;
    let mut stream = hello.stream;
    let response = hello.response;
    match authorize(
        &mut stream,
        &mut buf,
        peer,
        state,
        runtime,
        &response,
        &nonce,
        &nonce,
        hello.seq,
    )
    .await
    {
        Ok(Authorized {
            seq,
            user_name,
            schema,
            destination,
            client,
            nonce,
        }) => {
            let caps = response.capabilities & offered;
            kill.set_user(&user_name);
            let login = Login {
                stream,
                buf,
                caps,
                collation: response.charset,
                user: user_name,
                schema,
                peer,
                kill,
                nonce,
                client,
                replay: Vec::new(),
                ok_seq: Some(seq),
            };
            Some((login, destination))
        }
        Err(e) => {
            if let LoginError::Refused { refusal, .. } = &e
                && refused_after_login(refusal.code)
            {
                state.count_rejected();
            }
            e.report(&mut stream).await;
            None
        }
    }
}

/// Refusals of an authenticated client (its database, its connection limit), counted in
/// `clients_rejected`; failed logins count in `auth_failures` instead.
fn refused_after_login(code: u16) -> bool {
    // 1049 ER_BAD_DB_ERROR, 1046 ER_NO_DB_ERROR.
    matches!(
        code,
        code::DB_ACCESS_DENIED | code::TOO_MANY_USER_CONNECTIONS | 1049 | 1046
    )
}

/// A client that may proceed: what the login (or COM_CHANGE_USER) decided.
pub(super) struct Authorized {
    /// The sequence id the final OK carries.
    pub seq: u8,
    pub user_name: String,
    /// The schema the client asked for, if any.
    pub schema: Option<String>,
    pub destination: Destination,
    /// The client's place, counted against the user's connection limit.
    pub client: ClientSlot,
    /// The nonce in force after the exchange (see [`authenticate`]).
    pub nonce: [u8; 20],
}

/// Transport requirement, authentication, database permission and route, user limit; for a
/// login and for COM_CHANGE_USER alike. `nonce` is what the client's response was computed
/// over, `switch_nonce` what an AuthSwitchRequest carries.
#[allow(clippy::too_many_arguments)]
pub(super) async fn authorize(
    stream: &mut ClientStream,
    buf: &mut BytesMut,
    peer: SocketAddr,
    state: &Arc<LiveState>,
    runtime: &Arc<RuntimeConfig>,
    response: &articdbm_wire_mysql::frontend::HandshakeResponse41,
    nonce: &[u8; 20],
    switch_nonce: &[u8; 20],
    seq: u8,
) -> Result<Authorized, LoginError> {
    if runtime.tls_required && !stream.is_tls() {
        state.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
        return Err(LoginError::refused(
            seq,
            code::SECURE_TRANSPORT_REQUIRED,
            "HY000",
            "Connections using insecure transport are prohibited while \
             --require_secure_transport=ON.",
        ));
    }
    let user_name = String::from_utf8_lossy(&response.username).into_owned();
    let host = peer.ip().to_string();
    let user = runtime.users.get(&user_name);
    let decoder = PacketDecoder::new(login_packet_limit(runtime));
    let attempt = Attempt {
        user_name: &user_name,
        host: &host,
        user,
        nonce,
        switch_nonce,
    };
    let (seq, nonce) =
        match authenticate(stream, buf, &decoder, runtime, response, attempt, seq).await {
            Ok(done) => done,
            Err(e) => {
                state.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
                tracing::info!(%peer, user = %user_name, error = %e, "MySQL authentication failed");
                return Err(e);
            }
        };
    let Some(user) = user else {
        // Unreachable: unknown users never authenticate; refuse like a wrong password.
        return Err(LoginError::Refused {
            seq,
            refusal: Refusal::access_denied(&user_name, &host, true),
        });
    };
    let schema = response
        .database
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .or_else(|| user.default_database.clone());
    let db_denied = |db: &str| {
        LoginError::refused(
            seq,
            code::DB_ACCESS_DENIED,
            "42000",
            format!("Access denied for user '{user_name}'@'{host}' to database '{db}'"),
        )
    };
    if let Some(db) = &schema
        && !user.may_use_database(db)
    {
        return Err(db_denied(db));
    }
    let destination =
        match super::sqlite::route::sqlite_database(&runtime.config, schema.as_deref()) {
            Some(database) => Destination::Sqlite(database),
            None => match runtime.route_mysql(schema.as_deref(), &user_name) {
                Ok(route) => Destination::Server(Box::new(route)),
                // As MySQL and ProxySQL do: the client may choose one later (`USE`).
                Err(MysqlRouteError::NoDatabaseSelected) => Destination::NoDatabase,
                Err(e) => {
                    return Err(LoginError::refused(
                        seq,
                        e.code(),
                        e.sqlstate(),
                        e.to_string(),
                    ));
                }
            },
        };
    let database = match &destination {
        Destination::NoDatabase => String::new(),
        Destination::Server(route) => route.key.database.clone(),
        Destination::Sqlite(name) => {
            if let Err(reason) = state.sqlite(name) {
                return Err(LoginError::refused(
                    seq,
                    1049,
                    "42000",
                    format!("Unknown database '{name}': {reason}"),
                ));
            }
            name.clone()
        }
    };
    if !database.is_empty() && !user.may_use_database(&database) {
        return Err(db_denied(&database));
    }
    let info = ClientInfo {
        id: 0,
        user: user_name.clone(),
        database,
        addr: peer,
        tls: stream.is_tls(),
        connected_at: SystemTime::now(),
    };
    let Some(client) = state.register_client(info, user.max_connections) else {
        return Err(LoginError::refused(
            seq,
            code::TOO_MANY_USER_CONNECTIONS,
            "42000",
            format!(
                "User {user_name} already has more than 'max_user_connections' active connections"
            ),
        ));
    };
    Ok(Authorized {
        seq,
        user_name,
        schema,
        destination,
        client,
        nonce,
    })
}
