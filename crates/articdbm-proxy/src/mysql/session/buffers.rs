//! Memory an idle session keeps. A large command or reply grows the session's buffers (and,
//! while it keeps one, its server's); once they are empty again they go back to a small size,
//! as the PostgreSQL session's do and as pooled servers' do when checked in. Commands are
//! split off the read buffer, so its reported capacity does not show that its allocation grew:
//! a command larger than the kept size replaces it too.

use bytes::BytesMut;

use super::Session;
use crate::backend::connection::Connection;
use crate::backend::socket::{READ_BUFFER, shed};

impl Session {
    /// Sheds grown buffers after a command (`large_command`: it was larger than the kept size).
    pub(super) fn shed_buffers(&mut self, large_command: bool) {
        if large_command && self.cbuf.is_empty() {
            self.cbuf = BytesMut::with_capacity(READ_BUFFER);
        }
        shed(&mut self.cbuf, &mut self.out);
        if let Some(g) = self.server.as_mut() {
            g.server().shed_buffers();
        }
    }
}
