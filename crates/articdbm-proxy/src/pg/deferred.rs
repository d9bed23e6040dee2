//! Replies the proxy produces itself (a refused statement's error) must reach the client in
//! protocol order, behind the server's replies to what was sent before. Each is queued against a
//! ReadyForQuery count: emitted just before the n-th ReadyForQuery from the server, or once n of
//! them have been received (with a ReadyForQuery of its own when it stands for a whole cycle).

use std::collections::VecDeque;

use articdbm_wire_pg::backend::TransactionStatus;
use bytes::BytesMut;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Just before the server's n-th ReadyForQuery is forwarded.
    BeforeReady(u64),
    /// As soon as n ReadyForQuery messages have been received.
    AfterReady(u64),
}

#[derive(Debug)]
struct Entry {
    when: When,
    bytes: BytesMut,
    /// Append a ReadyForQuery with the status current at emission.
    with_ready: bool,
}

#[derive(Debug, Default)]
pub struct Deferred {
    queue: VecDeque<Entry>,
}

impl Deferred {
    pub fn push(&mut self, when: When, bytes: BytesMut, with_ready: bool) {
        self.queue.push_back(Entry {
            when,
            bytes,
            with_ready,
        });
    }

    /// Emits the entries due before the `n`-th ReadyForQuery.
    pub fn emit_before(&mut self, n: u64, out: &mut BytesMut, status: TransactionStatus) {
        self.emit(out, status, |w| w == When::BeforeReady(n));
    }

    /// Emits the entries due once `received` ReadyForQuery messages have arrived.
    pub fn emit_after(&mut self, received: u64, out: &mut BytesMut, status: TransactionStatus) {
        self.emit(
            out,
            status,
            |w| matches!(w, When::AfterReady(k) if k <= received),
        );
    }

    fn emit(&mut self, out: &mut BytesMut, status: TransactionStatus, due: impl Fn(When) -> bool) {
        while let Some(e) = self.queue.front() {
            if !due(e.when) {
                break;
            }
            if let Some(e) = self.queue.pop_front() {
                out.extend_from_slice(&e.bytes);
                if e.with_ready {
                    status.write(out);
                }
            }
        }
    }

    pub fn clear(&mut self) {
        self.queue.clear();
    }
}
