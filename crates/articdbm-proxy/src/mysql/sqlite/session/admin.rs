//! Session-level commands of the SQLite session: `USE` / COM_INIT_DB (to another SQLite
//! database the user may use, outside a transaction), COM_RESET_CONNECTION, COM_CHANGE_USER
//! (the login's own `authorize`, then the session starts over on the new user's database),
//! and `KILL [QUERY]` / COM_PROCESS_KILL (the statement interrupted through the engine, or a
//! MySQL server's thread for a session on one).

use articdbm_wire_mysql::frontend::ComInitDb;
use bytes::Bytes;

use super::{Failure, Flow, Session};
use crate::backend::mysql::MySqlServer;
use crate::mysql::client::{Authorized, Destination};
use crate::mysql::reauth::{Connection, Failed, reauthorize};
use crate::mysql::reply::write_login_ok;
use crate::mysql::sqlite::variables::Variables;

impl Session {
    /// COM_INIT_DB.
    pub(super) async fn on_init_db(&mut self, payload: &Bytes) {
        let schema = ComInitDb::decode(payload)
            .ok()
            .and_then(|c| c.schema().ok().map(str::to_string));
        let Some(schema) = schema else {
            self.reply().err(1047, "08S01", "malformed COM_INIT_DB");
            return;
        };
        match self.use_database(&schema).await {
            Ok(()) => self.queue_ok(0, 0, false),
            Err(f) => self.queue_failure(&f),
        }
    }

    /// `USE db`: the session moves to another SQLite database the user may use.
    pub(super) async fn use_database(&mut self, db: &str) -> Result<(), Failure> {
        if db == self.database {
            return Ok(());
        }
        let runtime = self.state.runtime();
        let allowed = runtime
            .users
            .get(&self.user)
            .is_some_and(|u| u.may_use_database(db));
        if !allowed {
            return Err(Failure::new(
                1044,
                "42000",
                format!(
                    "Access denied for user '{}'@'{}' to database '{db}'",
                    self.user,
                    self.peer.ip()
                ),
            ));
        }
        let sqlite = runtime
            .config
            .databases
            .get(db)
            .is_some_and(|d| d.kind.is_sqlite());
        drop(runtime);
        if !sqlite {
            return Err(Failure::new(
                1049,
                "42000",
                format!(
                    "Unknown database '{db}' (this connection is on the embedded SQLite \
                     database '{}'; a database on a MySQL server needs a connection of its own)",
                    self.database
                ),
            ));
        }
        if self.engine.in_transaction() {
            // A transaction cannot span two database files. One that only read (as the
            // implicit transaction of `autocommit = 0` often has) ends here; one that wrote
            // must be committed or rolled back first.
            if self.txn_wrote {
                return Err(Failure::new(
                    1179,
                    "25000",
                    "You are not allowed to execute this command in a transaction \
                     (it has written to the current database; COMMIT or ROLLBACK first)",
                ));
            }
            self.run_quietly("ROLLBACK", Vec::new()).await?;
        }
        let next = self.state.sqlite(db).map_err(|reason| {
            Failure::new(1049, "42000", format!("Unknown database '{db}': {reason}"))
        })?;
        // Cursors read the old database's connection, which goes back now.
        for p in self.statements.values_mut() {
            p.cursor = None;
        }
        self.engine.reset().await;
        self.engine = next.session();
        self.kill.set_interrupt(Some(self.engine.canceller()));
        self.database = db.to_string();
        Ok(())
    }

    /// COM_RESET_CONNECTION (and the start of a changed user's session): rolls back, forgets
    /// variables and prepared statements.
    pub(super) async fn reset_connection(&mut self) {
        self.engine.reset().await;
        self.vars = Variables::new(&self.defaults);
        self.statements.clear();
        self.last_insert_id = 0;
        self.row_count = -1;
        self.found_rows = 0;
    }

    /// COM_CHANGE_USER: authenticated exactly like a login; any failure closes the
    /// connection after the login's ERR, as MySQL does.
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
        let (authorized, _) = match reauthorize(conn, payload, 45).await {
            Ok(a) => a,
            Err(Failed::Malformed(message)) => {
                self.reply().err(1047, "08S01", &message);
                return Flow::Close;
            }
            Err(Failed::Refused) => return Flow::Close,
        };
        let Authorized {
            mut seq,
            user_name,
            destination,
            client,
            nonce,
            ..
        } = authorized;
        let Destination::Sqlite(database) = destination else {
            self.seq = seq;
            self.reply().err(
                1049,
                "42000",
                "COM_CHANGE_USER to a database on a MySQL server: open a new connection to it",
            );
            return Flow::Close;
        };
        let next = match self.state.sqlite(&database) {
            Ok(db) => db,
            Err(reason) => {
                self.seq = seq;
                self.reply().err(
                    1049,
                    "42000",
                    &format!("Unknown database '{database}': {reason}"),
                );
                return Flow::Close;
            }
        };
        tracing::debug!(from = %self.user, to = %user_name, "MySQL COM_CHANGE_USER (SQLite)");
        self.reset_connection().await;
        self.engine = next.session();
        self.kill.set_interrupt(Some(self.engine.canceller()));
        self.database = database;
        self.user = user_name;
        self.kill.set_user(&self.user);
        self.nonce = nonce;
        self.client_slot = Some(client);
        write_login_ok(&mut self.out, &mut seq, self.caps);
        Flow::Continue
    }

    /// `KILL [QUERY|CONNECTION] <id>`: this connection ends (its query cannot be running);
    /// another session's statement is interrupted, and with a connection kill that session
    /// ends at its next command.
    pub(super) async fn kill_command(&mut self, id: u32, query_only: bool) -> Flow {
        if id == self.kill.id() {
            if query_only {
                self.queue_ok(0, 0, false);
                return Flow::Continue;
            }
            self.reply().err(1927, "70100", "Connection was killed");
            return Flow::Close;
        }
        let Some(killing) = self.state.mysql_kills.lookup(id, &self.user, !query_only) else {
            self.reply()
                .err(1094, "HY000", &format!("Unknown thread id: {id}"));
            return Flow::Continue;
        };
        if let Some(interrupt) = &killing.interrupt {
            interrupt.cancel();
        }
        if let Some(on) = killing.on {
            let timeout = std::time::Duration::from_secs(5);
            let mut command = vec![0x03];
            command.extend_from_slice(format!("KILL QUERY {}", on.thread_id).as_bytes());
            let result = match MySqlServer::connect(on.pool.target(), timeout).await {
                Ok(mut server) => server.command(&command).await,
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                tracing::warn!(user = %self.user, error = %e, "KILL QUERY did not reach the server");
            }
        }
        self.queue_ok(0, 0, false);
        Flow::Continue
    }
}
