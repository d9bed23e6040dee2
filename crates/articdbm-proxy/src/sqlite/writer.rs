//! The writer lock of one SQLite database: one writing connection at a time, granted in the
//! order writers asked (FIFO), each waiting at most the busy timeout. SQLite itself would let
//! a second writer fail with "database is locked" (or spin on the busy handler, unfairly);
//! queuing here turns contention into waiting. Taken and released on the engine's worker
//! threads, which may block.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The lock; shared by every connection of one database.
#[derive(Debug, Default)]
pub struct WriterLock {
    state: Mutex<State>,
    turn: Condvar,
}

#[derive(Debug, Default)]
struct State {
    held: bool,
    next_ticket: u64,
    queue: VecDeque<u64>,
}

/// Holding the lock; released on drop.
#[derive(Debug)]
pub struct WriterGuard {
    lock: Arc<WriterLock>,
}

impl WriterLock {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits up to `timeout` for the lock, after every writer that asked earlier. `None` when
    /// the time ran out (the waiter then leaves the queue).
    pub fn acquire(self: &Arc<Self>, timeout: Duration) -> Option<WriterGuard> {
        let deadline = Instant::now() + timeout;
        let mut state = self.state();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push_back(ticket);
        loop {
            if !state.held && state.queue.front() == Some(&ticket) {
                state.queue.pop_front();
                state.held = true;
                return Some(WriterGuard {
                    lock: Arc::clone(self),
                });
            }
            let now = Instant::now();
            if now >= deadline {
                state.queue.retain(|t| *t != ticket);
                drop(state);
                // The next in line may be free to go now that this waiter left the front.
                self.turn.notify_all();
                return None;
            }
            state = self
                .turn
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Writers waiting for the lock now.
    pub fn waiting(&self) -> usize {
        self.state().queue.len()
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        self.lock.state().held = false;
        self.lock.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_are_served_in_order_and_time_out() {
        let lock = Arc::new(WriterLock::default());
        let first = lock.acquire(Duration::from_millis(10)).expect("free");
        assert!(lock.acquire(Duration::from_millis(20)).is_none());
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        for i in 0..4 {
            let (mine, order) = (Arc::clone(&lock), Arc::clone(&order));
            threads.push(std::thread::spawn(move || {
                let _g = mine.acquire(Duration::from_secs(10)).expect("in time");
                order.lock().expect("order").push(i);
            }));
            // Queue them one after the other.
            while lock.waiting() <= i {
                std::thread::yield_now();
            }
        }
        drop(first);
        for t in threads {
            t.join().expect("joined");
        }
        assert_eq!(*order.lock().expect("order"), vec![0, 1, 2, 3]);
    }
}
