//! Accounting for requests in flight on the server: one batch per Sync / Query / FunctionCall,
//! each ended by a ReadyForQuery. Within a batch it records the Parse messages awaiting their
//! ParseComplete (and whether the proxy injected them, so the reply is swallowed) and how many
//! CloseComplete replies belong to Close messages the proxy injected, and the error that stands
//! in for the server's answer to a refused statement.

use std::collections::VecDeque;

use bytes::Bytes;

/// A Parse sent to the server and not yet answered.
#[derive(Debug)]
pub struct Parsing {
    /// The statement's id; 0 for an untracked (unnamed, or session-mode) statement.
    pub id: u64,
    /// Sent by the proxy on its own: its ParseComplete is swallowed.
    pub injected: bool,
    /// The client's name of a tracked statement the client itself is preparing (else empty):
    /// if the server rejects the Parse, the name does not exist.
    pub client_name: Bytes,
}

#[derive(Debug, Default)]
pub struct Batch {
    /// Each Parse sent, in order.
    pub parsing: VecDeque<Parsing>,
    pub swallow_close: u32,
    /// The proxy's own error, sent in place of the server's answer to a refusal stand-in
    /// (see `refusal`).
    pub replace_error: Option<bytes::BytesMut>,
    /// A statement of the batch may begin a transaction block (see `transaction_sql`).
    pub opens_transaction: bool,
}

#[derive(Debug, Default)]
pub struct Batches {
    /// Closed batches (Sync sent), oldest first.
    sent: VecDeque<Batch>,
    /// Messages forwarded since the last Sync.
    current: Batch,
    /// Whether any extended-protocol message was forwarded since the last Sync.
    open: bool,
}

impl Batches {
    pub fn current(&mut self) -> &mut Batch {
        self.open = true;
        &mut self.current
    }

    /// The batch the server is answering now.
    pub fn front(&mut self) -> &mut Batch {
        match self.sent.front_mut() {
            Some(b) => b,
            None => &mut self.current,
        }
    }

    /// A Sync (or a Query) was sent: the current batch awaits its ReadyForQuery.
    pub fn close(&mut self) {
        self.sent.push_back(std::mem::take(&mut self.current));
        self.open = false;
    }

    /// Drops the current batch without sending a Sync (every message of it was refused).
    pub fn abandon(&mut self) {
        self.current = Batch::default();
        self.open = false;
    }

    /// A ReadyForQuery arrived.
    pub fn completed(&mut self) {
        self.sent.pop_front();
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Whether a request in flight, or the batch being built, may begin a transaction block.
    pub fn may_open_transaction(&self) -> bool {
        self.sent.iter().any(|b| b.opens_transaction)
            || (self.open && self.current.opens_transaction)
    }

    pub fn in_flight(&self) -> usize {
        self.sent.len()
    }

    /// True when the server owes nothing and no batch is being built.
    pub fn is_idle(&self) -> bool {
        self.sent.is_empty() && !self.open
    }

    pub fn clear(&mut self) {
        self.sent.clear();
        self.current = Batch::default();
        self.open = false;
    }
}
