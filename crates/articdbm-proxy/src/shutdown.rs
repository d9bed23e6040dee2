//! Shutdown in two steps: `drain` stops accepting and lets sessions finish their transaction;
//! `force` (after the grace period) makes every remaining session close with 57P01.

use tokio::sync::watch;

/// Sending side, owned by whoever decides to stop.
#[derive(Debug)]
pub struct ShutdownTrigger {
    tx: watch::Sender<ShutdownPhase>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ShutdownPhase {
    Running,
    Draining,
    Forced,
}

/// Receiving side, cloned into every task.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<ShutdownPhase>,
}

pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(ShutdownPhase::Running);
    (ShutdownTrigger { tx }, Shutdown { rx })
}

impl Default for ShutdownTrigger {
    fn default() -> Self {
        Self::new()
    }
}

impl ShutdownTrigger {
    pub fn new() -> Self {
        let (tx, _rx) = watch::channel(ShutdownPhase::Running);
        ShutdownTrigger { tx }
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
    }

    pub fn force(&self) {
        self.tx.send_replace(ShutdownPhase::Forced);
    }

    pub fn subscribe(&self) -> Shutdown {
        Shutdown {
            rx: self.tx.subscribe(),
        }
    }
}

impl Shutdown {
    pub fn phase(&self) -> ShutdownPhase {
        *self.rx.borrow()
    }

    /// Resolves when the phase reaches at least `phase` (immediately if it already has).
    pub async fn reached(&mut self, phase: ShutdownPhase) {
        let _ = self.rx.wait_for(|p| *p >= phase).await;
    }
}
