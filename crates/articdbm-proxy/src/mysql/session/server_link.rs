//! The session's link to a server: checking one out (and bringing it to the client's session
//! state: schema and replayed `SET`s), sending a command, and relaying the response to the
//! client packet by packet until the tracker says it is complete.

use articdbm_wire_mysql::{Progress, ResponseTracker};

use tokio::io::AsyncReadExt;

use super::Session;
use crate::backend::MySqlGuard;
use crate::backend::connection::Connection;
use crate::error::{BackendError, PoolError};
use crate::mysql::kill::KillTarget;

/// Replies are written to the client once this much is queued (large results stream).
const FLUSH_BYTES: usize = 64 * 1024;

/// Servers tried for one command when each is lost while being brought to the session's
/// state (the client's command not sent yet): a pooled connection can die unnoticed.
const SETUP_ATTEMPTS: u32 = 3;

/// How a relayed command ended.
pub(super) enum Relay {
    /// The response is complete; the tracker holds what it saw.
    Done(Box<ResponseTracker>),
    /// The server was lost: the client connection ends (see `fault.rs`).
    Lost,
    /// The client went away while the response was being written.
    ClientGone,
    /// The command was not sent: the client was answered with an error.
    Refused,
}

impl Session {
    /// Checks out a server if none is attached, and brings it to the client's session state.
    /// An attached server found gone ends the session when the client had state on it (the
    /// error is then [`PoolError::Closed`] with `self.lost` set; nothing more is said);
    /// otherwise, like a server lost while being brought to the session's state (before any
    /// of the client's command was sent), it is replaced by another.
    pub(super) async fn attach(&mut self) -> Result<(), PoolError> {
        if let Some(g) = self.server.as_mut() {
            if !g.server().gone_between_commands() {
                return Ok(());
            }
            if self.server_gone_between_commands() {
                return Err(PoolError::Closed);
            }
        }
        let mut attempt = 1;
        let mut guard = loop {
            // Galera: the writer (or a reader) the monitor chose; a closed pool is replaced.
            self.follow_route().await?;
            let mut guard = match self.pool.checkout().await {
                Ok(g) => g,
                Err(e) => self.checkout_again(e).await?,
            };
            match self.bring_to_session(&mut guard).await {
                Ok(()) => break guard,
                // The statement failed on this server as it did not for the client: its
                // state is unknown.
                Err(e @ BackendError::MySql { .. }) => {
                    guard.discard();
                    return Err(PoolError::Backend(e));
                }
                Err(e) if attempt < SETUP_ATTEMPTS => {
                    tracing::warn!(
                        user = %self.user,
                        server = %guard.server().addr(),
                        error = %e,
                        "server lost while restoring the session's state; trying another"
                    );
                    guard.discard();
                    if let Some(monitor) = &self.galera {
                        monitor.wake();
                    }
                    attempt += 1;
                }
                Err(e) => {
                    guard.discard();
                    return Err(e.into());
                }
            }
        };
        self.kill.set_target(Some(KillTarget {
            pool: std::sync::Arc::clone(guard.pool()),
            thread_id: guard.server().thread_id(),
        }));
        self.server = Some(guard);
        Ok(())
    }

    /// Brings a checked-out server to the client's session state: its schema and the
    /// replayed `SET`s.
    async fn bring_to_session(&mut self, guard: &mut MySqlGuard) -> Result<(), BackendError> {
        let server = guard.server();
        // Replayed `SET`s: none when the server already carries exactly this session's
        // (the common case: every client of a driver sends the same `SET NAMES`), else the
        // server is brought back to a clean session first and they all run.
        let replay_needed = server.applied() != self.replay.as_slice();
        if replay_needed && !server.applied().is_empty() {
            server.reset("").await?;
        }
        let server = guard.server();
        let schema_differs = self
            .schema
            .as_deref()
            .is_some_and(|s| s != self.login_schema);
        if schema_differs {
            server.mark_schema_changed();
        }
        if let Some(schema) = self.schema.as_deref().filter(|_| schema_differs) {
            let mut p = Vec::with_capacity(schema.len() + 1);
            p.push(0x02);
            p.extend_from_slice(schema.as_bytes());
            server.command(&p).await?;
        }
        for stmt in self.replay.iter().filter(|_| replay_needed) {
            let mut p = Vec::with_capacity(stmt.len() + 1);
            p.push(0x03);
            p.extend_from_slice(stmt);
            server.command(&p).await?;
        }
        if replay_needed {
            guard.server().set_applied(&self.replay);
        }
        Ok(())
    }

    /// Sends `raw` (the client's packets, as received) and relays the response. With
    /// `client_stmt_id`, a PREPARE_OK in the response is passed on with that statement id
    /// instead of the server's (the only byte change ever made to a relayed packet).
    pub(super) async fn relay(
        &mut self,
        raw: &[u8],
        payload: &[u8],
        mut client_stmt_id: Option<u32>,
    ) -> Relay {
        let Some(g) = self.server.as_mut() else {
            return Relay::Lost;
        };
        let server = g.server();
        let mut tracker = match ResponseTracker::new(payload, server.caps(), server.status()) {
            Ok(t) => t,
            Err(e) => {
                self.queue_error(1047, "08S01", &format!("Unknown command: {e}"), 1);
                return Relay::Refused;
            }
        };
        server.out().extend_from_slice(raw);
        if let Err(e) = server.flush().await {
            return self.lose(&format!(
                "Lost connection to MySQL server during query ({e})"
            ));
        }
        loop {
            let Some(g) = self.server.as_mut() else {
                return Relay::Lost;
            };
            let server = g.server();
            let packet = match server.next_buffered() {
                Ok(Some(p)) => p,
                Ok(None) => {
                    if self.out.len() >= FLUSH_BYTES {
                        if self.client.send(&self.out).await.is_err() {
                            return Relay::ClientGone;
                        }
                        self.out.clear();
                    }
                    let Some(g) = self.server.as_mut() else {
                        return Relay::Lost;
                    };
                    match g.server().fill().await {
                        Ok(0) => {
                            return self.lose("Lost connection to MySQL server during query");
                        }
                        Ok(_) => continue,
                        Err(e) => {
                            return self.lose(&format!(
                                "Lost connection to MySQL server during query ({e})"
                            ));
                        }
                    }
                }
                Err(e) => {
                    return self.lose(&format!("Lost connection to MySQL server: {e}"));
                }
            };
            let progress = match tracker.feed(packet.payload()) {
                Ok(p) => p,
                Err(e) => return self.lose(&format!("server sent an invalid reply: {e}")),
            };
            let at = self.out.len();
            self.out.extend_from_slice(packet.raw());
            if let Some(id) = client_stmt_id.take()
                && packet.first() == Some(0x00)
                && let Some(slot) = self.out.get_mut(at + 5..at + 9)
            {
                // PREPARE_OK, the first packet: [header 4][0x00][statement id 4]...
                slot.copy_from_slice(&id.to_le_bytes());
            }
            match progress {
                Progress::NeedMore => {}
                Progress::Done => break,
                Progress::AwaitClient => {
                    // LOAD DATA LOCAL INFILE (negotiated only where policy allows it): the
                    // client now sends the file.
                    if let Some(end) = self.relay_client_data(&mut tracker).await {
                        return end;
                    }
                }
            }
        }
        if let Some(status) = tracker.final_status()
            && let Some(g) = self.server.as_mut()
        {
            g.server().set_status(status);
            self.status = status;
        }
        Relay::Done(Box::new(tracker))
    }

    /// Relays what the client sends for LOCAL INFILE (the file's packets, ending with an
    /// empty one) to the server, as received. `None` when the server's reply is next.
    async fn relay_client_data(&mut self, tracker: &mut ResponseTracker) -> Option<Relay> {
        // The request must reach the client before it can answer.
        if self.client.send(&self.out).await.is_err() {
            return Some(Relay::ClientGone);
        }
        self.out.clear();
        loop {
            let packet = match self.decoder.decode(&mut self.cbuf) {
                Ok(Some(p)) => p,
                Ok(None) => {
                    match self.client.read_buf(&mut self.cbuf).await {
                        Ok(0) | Err(_) => {
                            // The server waits for the rest of a file that will not come.
                            if let Some(g) = self.server.take() {
                                g.discard();
                            }
                            return Some(Relay::ClientGone);
                        }
                        Ok(_) => continue,
                    }
                }
                Err(e) => {
                    return Some(self.lose(&format!("bad packet from the client: {e}")));
                }
            };
            let progress = match tracker.feed_client(packet.payload()) {
                Ok(p) => p,
                Err(e) => return Some(self.lose(&format!("unexpected client data: {e}"))),
            };
            let Some(g) = self.server.as_mut() else {
                return Some(Relay::Lost);
            };
            let server = g.server();
            server.out().extend_from_slice(packet.raw());
            let done = progress != Progress::AwaitClient;
            if (done || server.out().len() >= FLUSH_BYTES)
                && let Err(e) = server.flush().await
            {
                return Some(self.lose(&format!(
                    "Lost connection to MySQL server during query ({e})"
                )));
            }
            if done {
                return None;
            }
        }
    }

    /// Sends a command whose response the client does not wait for (COM_STMT_CLOSE,
    /// COM_STMT_SEND_LONG_DATA).
    pub(super) async fn send_only(&mut self, raw: &[u8]) -> Result<(), std::io::Error> {
        match self.server.as_mut() {
            Some(g) => {
                let server = g.server();
                server.out().extend_from_slice(raw);
                server.flush().await
            }
            None => Ok(()),
        }
    }
}
