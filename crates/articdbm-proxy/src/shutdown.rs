//! Shutdown in two steps: `drain` stops accepting and lets sessions finish their transaction;
//! `force` (after the grace period) makes every remaining session close with 57P01.
//!
//! Listeners and the admin console wait on a `watch` channel. Client sessions poll their
//! shutdown branch before every sleep, so they get a [`SessionSignal`] instead: an atomic phase
//! read plus a per-session waker, where a `watch` would lock its shared waiter list each time.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use tokio::sync::watch;

/// Sending side, owned by whoever decides to stop.
#[derive(Debug)]
pub struct ShutdownTrigger {
    tx: watch::Sender<ShutdownPhase>,
    signals: Arc<Signals>,
}

/// The phase as an atomic, and the wakers of the sessions waiting on it.
#[derive(Debug, Default)]
struct Signals {
    phase: AtomicU8,
    next_id: AtomicU64,
    wakers: Mutex<HashMap<u64, Arc<AtomicWaker>>>,
}

impl Signals {
    fn phase(&self) -> ShutdownPhase {
        ShutdownPhase::from_u8(self.phase.load(Ordering::Acquire))
    }

    fn advance(&self, phase: ShutdownPhase) {
        self.phase.fetch_max(phase as u8, Ordering::AcqRel);
        let wakers = self.wakers.lock().unwrap_or_else(|p| p.into_inner());
        for w in wakers.values() {
            w.wake();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ShutdownPhase {
    Running = 0,
    Draining = 1,
    Forced = 2,
}

impl ShutdownPhase {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => ShutdownPhase::Running,
            1 => ShutdownPhase::Draining,
            _ => ShutdownPhase::Forced,
        }
    }
}

/// Receiving side, cloned into every task.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<ShutdownPhase>,
    signals: Arc<Signals>,
}

pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let trigger = ShutdownTrigger::new();
    let shutdown = trigger.subscribe();
    (trigger, shutdown)
}

impl Default for ShutdownTrigger {
    fn default() -> Self {
        Self::new()
    }
}

impl ShutdownTrigger {
    pub fn new() -> Self {
        let (tx, _rx) = watch::channel(ShutdownPhase::Running);
        ShutdownTrigger {
            tx,
            signals: Arc::default(),
        }
    }

    pub fn drain(&self) {
        self.tx.send_if_modified(|p| {
            if *p == ShutdownPhase::Running {
                *p = ShutdownPhase::Draining;
                true
            } else {
                false
            }
        });
        self.signals.advance(ShutdownPhase::Draining);
    }

    pub fn force(&self) {
        self.tx.send_replace(ShutdownPhase::Forced);
        self.signals.advance(ShutdownPhase::Forced);
    }

    pub fn subscribe(&self) -> Shutdown {
        Shutdown {
            rx: self.tx.subscribe(),
            signals: Arc::clone(&self.signals),
        }
    }
}

impl Shutdown {
    pub fn phase(&self) -> ShutdownPhase {
        self.signals.phase()
    }

    /// A waiter for one session, cheap to poll again and again.
    pub fn session_signal(&self) -> SessionSignal {
        let waker = Arc::new(AtomicWaker::new());
        let id = self.signals.next_id.fetch_add(1, Ordering::Relaxed);
        self.signals
            .wakers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, Arc::clone(&waker));
        SessionSignal {
            signals: Arc::clone(&self.signals),
            waker,
            id,
        }
    }

    /// Resolves when the phase reaches at least `phase` (immediately if it already has).
    pub async fn reached(&mut self, phase: ShutdownPhase) {
        let _ = self.rx.wait_for(|p| *p >= phase).await;
    }
}

/// One session's view of the shutdown phase; unregisters itself when dropped.
#[derive(Debug)]
pub struct SessionSignal {
    signals: Arc<Signals>,
    waker: Arc<AtomicWaker>,
    id: u64,
}

impl SessionSignal {
    pub fn phase(&self) -> ShutdownPhase {
        self.signals.phase()
    }

    /// Resolves once the phase is at least `phase`.
    pub fn reached(&self, phase: ShutdownPhase) -> PhaseReached<'_> {
        PhaseReached {
            signal: self,
            phase,
        }
    }
}

impl Drop for SessionSignal {
    fn drop(&mut self) {
        self.signals
            .wakers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

/// The future of [`SessionSignal::reached`].
#[derive(Debug)]
pub struct PhaseReached<'a> {
    signal: &'a SessionSignal,
    phase: ShutdownPhase,
}

impl Future for PhaseReached<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Register first, then look: a phase change between the two still wakes this task.
        self.signal.waker.register(cx.waker());
        if self.signal.phase() >= self.phase {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn session_signal_wakes_on_each_phase() {
        let trigger = Arc::new(ShutdownTrigger::new());
        let signal = trigger.subscribe().session_signal();
        let t = Arc::clone(&trigger);
        let waiter = tokio::spawn(async move {
            signal.reached(ShutdownPhase::Draining).await;
            let drained = signal.phase();
            signal.reached(ShutdownPhase::Forced).await;
            drained
        });
        tokio::task::yield_now().await;
        t.drain();
        tokio::task::yield_now().await;
        t.force();
        let drained = tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("no panic");
        assert!(drained >= ShutdownPhase::Draining);
        assert_eq!(trigger.signals.wakers.lock().unwrap().len(), 0);
    }
}
