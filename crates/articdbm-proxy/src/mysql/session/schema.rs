//! The session's database, by its client-facing name: `USE` and COM_INIT_DB are performed by
//! the proxy (only a configured database the user may use: 1044 / 1049 otherwise, as
//! MariaDB words them; the server is switched to the database's backend schema, or, for a
//! database on other servers, the session moves to that database's pool), and `SHOW
//! DATABASES` is answered from the configuration (see [`crate::mysql::namespace`]).

use articdbm_config::PoolMode;
use articdbm_wire_mysql::ServerStatus;

use super::{Session, apply_wire, first_pool};
use crate::mysql::namespace::{ShowDatabases, visible_databases, write_show_databases};
use crate::mysql::sqlite::route::sqlite_database;
use crate::runtime::{MysqlRouteError, Route};

/// Why a `USE` was refused: (code, SQLSTATE, message).
type Refused = (u16, String, String);

impl Session {
    /// `USE name` / COM_INIT_DB `name`: answered with an OK, or the error, queued.
    pub(super) async fn use_database(&mut self, name: &str) {
        match self.switch_database(name).await {
            Ok(()) => self.queue_ok(),
            Err((code, state, message)) => self.queue_error(code, &state, &message, 1),
        }
    }

    async fn switch_database(&mut self, name: &str) -> Result<(), Refused> {
        let route = self.route_for(name)?;
        if same_servers(&self.route, &route) {
            let backend = route.target.database.clone();
            if let Some(g) = self.server.as_mut() {
                let server = g.server();
                let mut init_db = Vec::with_capacity(backend.len() + 1);
                init_db.push(0x02);
                init_db.extend_from_slice(backend.as_bytes());
                server.mark_schema_changed();
                if let Err(e) = server.command(&init_db).await {
                    return Err(match e {
                        crate::error::BackendError::MySql {
                            code,
                            sqlstate,
                            message,
                        } => (code, sqlstate, message),
                        other => {
                            if let Some(g) = self.server.take() {
                                g.discard();
                            }
                            self.kill.set_target(None);
                            self.status = ServerStatus::AUTOCOMMIT;
                            (
                                2013,
                                "HY000".to_string(),
                                format!("Lost connection to MySQL server during query ({other})"),
                            )
                        }
                    });
                }
            }
            self.schema = Some(backend);
            self.database = Some(name.to_string());
            return Ok(());
        }
        self.move_to(route, name).await
    }

    /// The route of `name` for this session's user, or the refusal: 1044 when the user's
    /// `databases` list does not allow it, 1049 when it is not a configured MySQL database.
    fn route_for(&self, name: &str) -> Result<Route, Refused> {
        let runtime = self.state.runtime();
        let allowed = runtime
            .users
            .get(&self.user)
            .is_some_and(|u| u.may_use_database(name));
        if !allowed {
            return Err((
                1044,
                "42000".to_string(),
                format!(
                    "Access denied for user '{}'@'{}' to database '{name}'",
                    self.user,
                    self.peer.ip()
                ),
            ));
        }
        if sqlite_database(&runtime.config, Some(name)).is_some() {
            return Err((
                1049,
                "42000".to_string(),
                format!(
                    "Unknown database '{name}': it is an embedded SQLite database; \
                     open a new connection to it"
                ),
            ));
        }
        let mut route = runtime
            .route_mysql(Some(name), &self.user)
            .map_err(|e: MysqlRouteError| (e.code(), e.sqlstate().to_string(), e.to_string()))?;
        apply_wire(&mut route, self.route.target.mysql);
        Ok(route)
    }

    /// Moves the session to a database on other servers (or another backend user): allowed
    /// while the session holds nothing on its current server.
    async fn move_to(&mut self, route: Route, name: &str) -> Result<(), Refused> {
        if self.server.is_some() {
            if self.status.contains(ServerStatus::IN_TRANS) {
                return Err((
                    1179,
                    "25000".to_string(),
                    format!(
                        "You are not allowed to execute this command in a transaction \
                         (database '{name}' is on other servers)"
                    ),
                ));
            }
            let holds_state = !self.transaction_mode || self.pinned.is_some();
            if holds_state {
                return Err((
                    1235,
                    "42000".to_string(),
                    format!(
                        "USE of database '{name}', which is on other servers, after this \
                         session left state on its server is not supported through the \
                         proxy: open a new connection to it"
                    ),
                ));
            }
            if let Some(g) = self.server.take() {
                self.kill.set_target(None);
                g.release();
            }
        }
        let (galera, pool) = first_pool(&self.state, &route).await;
        self.transaction_mode = pool.mode() == PoolMode::Transaction;
        self.pool = pool;
        self.galera = galera;
        self.login_schema = route.target.database.clone();
        self.schema = Some(route.target.database.clone());
        self.database = Some(name.to_string());
        self.hold = 0;
        self.route = route;
        Ok(())
    }

    /// `SHOW DATABASES`: the configured databases this user may use.
    pub(super) fn show_databases(&mut self, show: &ShowDatabases) {
        let runtime = self.state.runtime();
        let names = visible_databases(&runtime.config, runtime.users.get(&self.user));
        drop(runtime);
        write_show_databases(&mut self.out, self.caps, self.status, show, &names);
    }
}

/// Whether two routes reach the same servers as the same backend user (only the schema
/// differs): then `USE` switches the schema on the server the session has.
fn same_servers(a: &Route, b: &Route) -> bool {
    let mut ta = a.target.clone();
    let mut tb = b.target.clone();
    ta.database.clear();
    tb.database.clear();
    ta == tb && a.galera == b.galera
}
