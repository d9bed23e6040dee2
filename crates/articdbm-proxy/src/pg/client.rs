//! One PostgreSQL client connection from accept to close: connection limit, startup and TLS,
//! TLS requirement, authentication, database resolution and permissions, then the session loop
//! or the admin console. Every refusal is a FATAL ErrorResponse with the matching SQLSTATE.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use tokio::net::TcpStream;

use super::auth::authenticate;
use super::reply::{fatal, sqlstate};
use super::session::{Identity, Session};
use super::settings_tracker::SettingsTracker;
use super::startup::{Opening, negotiate};
use crate::shutdown::Shutdown;
use crate::state::{ClientInfo, LiveState};
use crate::stream::ClientStream;

pub async fn handle_client(
    tcp: TcpStream,
    peer: SocketAddr,
    state: Arc<LiveState>,
    shutdown: Shutdown,
) {
    let _ = tcp.set_nodelay(true);
    let connection = state.open_connection();
    let runtime = state.runtime();
    // One deadline for the whole login: startup, TLS handshake and authentication together.
    let login_deadline = tokio::time::Instant::now() + runtime.config.proxy.auth_timeout();
    let opening = match tokio::time::timeout_at(login_deadline, negotiate(tcp, peer, &state)).await
    {
        Ok(o) => o,
        Err(_) => return,
    };
    let Opening::Session {
        mut stream,
        params,
        mut buf,
    } = opening
    else {
        return;
    };
    if connection.is_none() {
        fatal(
            &mut stream,
            sqlstate::TOO_MANY_CONNECTIONS,
            "sorry, too many clients already",
        )
        .await;
        return;
    }
    if runtime.tls_required && !stream.is_tls() {
        fatal(
            &mut stream,
            sqlstate::INVALID_AUTHORIZATION,
            "TLS is required: connect with sslmode=require or stronger",
        )
        .await;
        return;
    }
    let Some(user_name) = params.user().map(str::to_string) else {
        fatal(
            &mut stream,
            sqlstate::INVALID_AUTHORIZATION,
            "no PostgreSQL user name specified in startup packet",
        )
        .await;
        return;
    };
    let database = params.database().unwrap_or(&user_name).to_string();
    // A MySQL-only user (no PostgreSQL verifier) is an unknown user here.
    let user = runtime
        .users
        .get(&user_name)
        .filter(|u| u.verifier.is_some());
    let auth = tokio::time::timeout_at(
        login_deadline,
        authenticate(&mut stream, &mut buf, &user_name, user, &runtime.users),
    )
    .await;
    match auth {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            state.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
            tracing::info!(%peer, user = %user_name, error = %e, "authentication failed");
            fatal(&mut stream, e.sqlstate(), &e.to_string()).await;
            return;
        }
        Err(_) => {
            state.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
            fatal(
                &mut stream,
                sqlstate::INVALID_PASSWORD,
                "authentication timed out",
            )
            .await;
            return;
        }
    }
    let Some(user) = user else { return };
    if database == runtime.config.admin.database {
        if !runtime.is_admin(&user_name) {
            refuse(
                &state,
                &mut stream,
                sqlstate::INSUFFICIENT_PRIVILEGE,
                &format!("user \"{user_name}\" is not an admin of the proxy"),
            )
            .await;
            return;
        }
        // Admin sessions are listed by SHOW CLIENTS too; no per-user limit keeps an admin out.
        let info = ClientInfo {
            id: 0,
            user: user_name,
            database,
            addr: peer,
            tls: stream.is_tls(),
            connected_at: SystemTime::now(),
        };
        let _client = state.register_client(info, None);
        super::admin::run(stream, buf, &state, shutdown).await;
        return;
    }
    if !user.may_use_database(&database) {
        refuse(
            &state,
            &mut stream,
            sqlstate::INSUFFICIENT_PRIVILEGE,
            &format!("permission denied for database \"{database}\""),
        )
        .await;
        return;
    }
    if runtime
        .database_kind(&database)
        .is_some_and(|kind| kind.is_mysql())
    {
        refuse(
            &state,
            &mut stream,
            sqlstate::INVALID_CATALOG,
            &format!(
                "database \"{database}\" is a MySQL database: connect to it over the MySQL port"
            ),
        )
        .await;
        return;
    }
    if runtime
        .database_kind(&database)
        .is_some_and(|kind| kind.is_sqlite())
    {
        let limit = user.max_connections;
        drop(runtime);
        let login = SqliteLogin {
            user: user_name,
            limit,
            database,
            peer,
        };
        serve_sqlite(stream, buf, state, shutdown, login, &params.params).await;
        return;
    }
    let Some(route) = runtime.route(&database, &user_name) else {
        refuse(
            &state,
            &mut stream,
            sqlstate::INVALID_CATALOG,
            &format!("database \"{database}\" does not exist"),
        )
        .await;
        return;
    };
    let info = ClientInfo {
        id: 0,
        user: user_name.clone(),
        database: database.clone(),
        addr: peer,
        tls: stream.is_tls(),
        connected_at: SystemTime::now(),
    };
    let Some(_client) = state.register_client(info, user.max_connections) else {
        refuse(
            &state,
            &mut stream,
            sqlstate::TOO_MANY_CONNECTIONS,
            &format!("too many connections for role \"{user_name}\""),
        )
        .await;
        return;
    };
    let settings = SettingsTracker::from_startup(&params.params);
    let pool = state
        .pools
        .get_or_create(&route.key, &route.target, &route.settings);
    let cancel = state.cancels.register();
    let identity = Identity {
        user: user_name,
        database,
        peer,
    };
    drop(runtime);
    Session::new(
        Arc::clone(&state),
        identity,
        stream,
        buf,
        pool,
        settings,
        cancel,
        shutdown,
    )
    .run()
    .await;
}

/// Refuses an authenticated client (FATAL with `code`), counted in `clients_rejected`.
async fn refuse(state: &LiveState, stream: &mut ClientStream, code: &str, message: &str) {
    state.count_rejected();
    fatal(stream, code, message).await;
}

/// Who logged in to an SQLite database.
struct SqliteLogin {
    user: String,
    limit: Option<u32>,
    database: String,
    peer: SocketAddr,
}

/// Serves an authenticated client of an embedded SQLite database (see `pg::sqlite`).
async fn serve_sqlite(
    mut stream: ClientStream,
    buf: bytes::BytesMut,
    state: Arc<LiveState>,
    shutdown: Shutdown,
    login: SqliteLogin,
    startup: &[(String, String)],
) {
    let SqliteLogin {
        user,
        limit,
        database,
        peer,
    } = login;
    let db = match state.sqlite(&database) {
        Ok(db) => db,
        Err(reason) => {
            refuse(&state, &mut stream, sqlstate::INVALID_CATALOG, &reason).await;
            return;
        }
    };
    let info = ClientInfo {
        id: 0,
        user: user.clone(),
        database: database.clone(),
        addr: peer,
        tls: stream.is_tls(),
        connected_at: SystemTime::now(),
    };
    let Some(_client) = state.register_client(info, limit) else {
        refuse(
            &state,
            &mut stream,
            sqlstate::TOO_MANY_CONNECTIONS,
            &format!("too many connections for role \"{user}\""),
        )
        .await;
        return;
    };
    let identity = Identity {
        user,
        database,
        peer,
    };
    let cancel = state.cancels.register();
    super::sqlite::SqliteFront::new(
        Arc::clone(&state),
        identity,
        stream,
        buf,
        db.session(),
        startup,
        cancel,
        shutdown,
    )
    .run()
    .await;
}
