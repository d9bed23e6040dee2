//! What the session does when its server goes away. A client must never be led to believe
//! it is outside a transaction it opened, and MySQL has no failed-transaction state to report,
//! so:
//!
//! - a server lost while (part of) a command may have reached it ends the client connection
//!   as the server's own end would: the complete packets the server sent are passed on, then
//!   the connection closes (no ERR of the proxy's: 2013 is a client-side code, and the client
//!   reports the lost connection itself);
//! - a server found gone between commands (closed, or it sent its goodbye) ends the client
//!   connection too when the session has anything on it: an open transaction, pinned state,
//!   a held insert id, or any session in session mode (the client owns that server). In
//!   multiplexing mode a session with nothing on it just gets another server for its next
//!   command; nothing of that command reached the old one.
//!
//! The session watches its attached server while it waits for the client, so a client idle in
//! a transaction sees its connection end when the server's does, as with a direct connection.

use articdbm_wire_mysql::Packet;
use articdbm_wire_mysql::ServerStatus;

use super::Session;
use super::server_link::Relay;
use crate::backend::mysql::MySqlServer;
use crate::mysql::next_command::{CommandSource, Refused, next_command};
use crate::shutdown::SessionSignal;

/// What ended the wait for the client's next command.
pub(super) enum Next {
    /// The client's next command, or why the session ends (see [`next_command`]).
    Command(Result<Packet, Option<Refused>>),
    /// The attached server went away while the client was idle.
    ServerGone,
}

impl Session {
    /// Whether the client has something on its server that another server would not have.
    pub(super) fn holds_server_state(&self) -> bool {
        !self.transaction_mode
            || self.status.contains(ServerStatus::IN_TRANS)
            || self.pinned.is_some()
            || self.hold > 0
    }

    /// Waits for the client's next command while watching the attached server (if any).
    pub(super) async fn next_command_or_server_loss(&mut self, signal: &SessionSignal) -> Next {
        let source = CommandSource {
            client: &mut self.client,
            buf: &mut self.cbuf,
            decoder: &mut self.decoder,
            signal,
            kill: &self.kill,
        };
        // No transaction open: a draining shutdown may end the session now.
        let status = self.status;
        let idle = move || !status.contains(ServerStatus::IN_TRANS);
        let server = self.server.as_mut().map(|g| g.server());
        tokio::select! {
            biased;
            r = next_command(source, idle) => Next::Command(r),
            () = watch(server) => Next::ServerGone,
        }
    }

    /// The attached server is gone between commands. Returns true when the client connection
    /// must end (the server's goodbye, if it sent one, is queued for the client).
    pub(super) fn server_gone_between_commands(&mut self) -> bool {
        let Some(mut g) = self.server.take() else {
            return false;
        };
        let ends = self.holds_server_state();
        tracing::warn!(
            user = %self.user,
            server = %g.server().addr(),
            thread = g.server().thread_id(),
            in_transaction = self.status.contains(ServerStatus::IN_TRANS),
            ends_client = ends,
            "server connection lost between commands"
        );
        if ends {
            let goodbye = g.server().take_unsolicited();
            self.out.extend_from_slice(&goodbye);
            self.lost = true;
        }
        self.forget_server(g);
        ends
    }

    /// The server failed while a command was on it: it is closed, and the client connection
    /// ends once what the server sent of its reply (queued whole packets) has been written.
    pub(super) fn lose(&mut self, reason: &str) -> Relay {
        tracing::warn!(
            user = %self.user,
            %reason,
            in_transaction = self.status.contains(ServerStatus::IN_TRANS),
            "server connection lost during a command; ending the client connection"
        );
        if let Some(g) = self.server.take() {
            self.forget_server(g);
        }
        self.lost = true;
        Relay::Lost
    }

    fn forget_server(&mut self, g: crate::backend::MySqlGuard) {
        if let Some(monitor) = &self.galera {
            // Perhaps the node is gone: poll now rather than at the next interval.
            monitor.wake();
        }
        g.discard();
        self.kill.set_target(None);
        self.pinned = None;
        self.hold = 0;
        self.status = ServerStatus::AUTOCOMMIT;
    }
}

/// Resolves when `server` goes away; never without one.
async fn watch(server: Option<&mut MySqlServer>) {
    match server {
        Some(s) => s.gone().await,
        None => std::future::pending().await,
    }
}
