//! COM_CHANGE_USER: the client logs in again as another (or the same) proxy user on the same
//! connection. The new user is authenticated exactly like a login (`mysql::reauth`, shared
//! with the SQLite session, runs the same `authorize`: the
//! scramble is computed over the nonce in force on the connection, an AuthSwitchRequest
//! carries a fresh one, caching_sha2 fast or full authentication) and passes the same checks
//! (database permission, route, the per-user connection limit, to which the client's place
//! moves). Then the session starts over as after COM_RESET_CONNECTION: replayed statements,
//! schema, pins, statements and the server are dropped (the server is reset on its way back
//! to the pool, so a backend session of the old user never serves the new one), and the
//! route and pool are those of the new user and schema. Success is an OK; any failure is the
//! login's ERR (1045 for a wrong password) and the connection is closed, as MySQL does.

use articdbm_config::PoolMode;
use articdbm_wire_mysql::ServerStatus;
use bytes::Bytes;

use super::command::Flow;
use super::{Session, apply_wire, first_pool, statements};
use crate::mysql::client::{Authorized, Destination};
use crate::mysql::reauth::{Connection, Failed, reauthorize};
use crate::mysql::reply::write_login_ok;

impl Session {
    /// Handles COM_CHANGE_USER (`payload` is the whole command).
    pub(super) async fn change_user(&mut self, payload: &Bytes) -> Flow {
        let conn = Connection {
            client: &mut self.client,
            buf: &mut self.cbuf,
            peer: self.peer,
            state: &self.state,
            caps: self.caps,
            nonce: &self.nonce,
            client_slot: &mut self.client_slot,
        };
        let (authorized, collation) =
            match reauthorize(conn, payload, self.route.target.mysql.collation).await {
                Ok(a) => a,
                Err(Failed::Malformed(message)) => {
                    self.queue_error(1047, "08S01", &message, 1);
                    return Flow::Close;
                }
                Err(Failed::Refused) => return Flow::Close,
            };
        let Authorized {
            mut seq,
            user_name,
            schema,
            destination,
            client,
            nonce,
        } = authorized;
        let mut route = match destination {
            Destination::Server(route) => *route,
            Destination::Sqlite(database) => {
                // This connection's session runs on a MySQL server; it cannot move to the
                // embedded SQLite backend in place.
                let message = format!(
                    "Unknown database '{database}': it is an embedded SQLite database; \
                     open a new connection to it"
                );
                self.send_error(1049, "42000", &message, seq).await;
                return Flow::Close;
            }
            Destination::NoDatabase => {
                // This session runs on a server; it has no database-less state to go back to.
                self.send_error(1046, "3D000", "No database selected", seq)
                    .await;
                return Flow::Close;
            }
        };
        tracing::debug!(from = %self.user, to = %user_name, "MySQL COM_CHANGE_USER");
        self.start_over();
        self.user = user_name;
        self.kill.set_user(&self.user);
        // The client's database is the route's (see `run`).
        self.schema = schema.as_ref().map(|_| route.target.database.clone());
        self.database = schema;
        self.nonce = nonce;
        self.client_slot = Some(client);
        let mut wire = self.route.target.mysql;
        wire.collation = collation;
        apply_wire(&mut route, wire);
        self.login_schema = route.target.database.clone();
        let (galera, pool) = first_pool(&self.state, &route).await;
        self.pool = pool;
        self.transaction_mode = self.pool.mode() == PoolMode::Transaction;
        self.galera = galera;
        self.route = route;
        write_login_ok(&mut self.out, &mut seq, self.caps);
        Flow::Continue
    }

    /// Forgets the session's state and gives its server back, reset before anyone (this
    /// client included) gets it again.
    fn start_over(&mut self) {
        self.replay.clear();
        self.schema = None;
        self.database = None;
        self.pinned = None;
        self.hold = 0;
        self.read_hint = false;
        self.statements = statements::Statements::default();
        self.kill.set_target(None);
        if let Some(mut g) = self.server.take() {
            g.server().mark_needs_reset();
            g.release();
        }
        self.status = ServerStatus::AUTOCOMMIT;
    }
}
