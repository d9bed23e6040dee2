//! The reconnect circuit of one pool: after a failed connect the pool stops dialling its server
//! and answers checkouts at once with [`PoolError::Unavailable`] until a backoff (doubling from
//! `pool.reconnect_backoff_min_ms` to `pool.reconnect_backoff_max_ms`, with ±25% jitter) has
//! passed; then one caller, a client or the pool's upkeep task, probes with a real connect
//! (half-open). A success closes the circuit. The transitions are logged once each ("server
//! down", "server back after …") instead of one line per attempt.
//!
//! [`PoolError::Unavailable`]: crate::error::PoolError::Unavailable

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// What a caller that needs a new server connection may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The circuit is closed: connect.
    Connect,
    /// The circuit is open and the backoff has run out: this caller probes (connects); the
    /// outcome must be reported with [`Circuit::succeeded`] or [`Circuit::failed`].
    Probe,
    /// The circuit is open (or another caller is probing): fail without connecting.
    FailFast,
}

#[derive(Debug)]
struct Inner {
    /// Consecutive failed connects; zero while the circuit is closed.
    failures: u32,
    /// When the first of those failures happened (the circuit opened).
    down_since: Option<Instant>,
    /// When the next probe may start.
    next_probe: Instant,
    /// A probe is in flight.
    probing: bool,
}

/// A pool's reconnect circuit (see the module doc).
#[derive(Debug)]
pub struct Circuit {
    min: Duration,
    max: Duration,
    inner: Mutex<Inner>,
    /// Woken when the circuit opens, so that clients queued for a connection fail at once.
    opened: Notify,
}

impl Circuit {
    /// A closed circuit whose backoff doubles from `min` to `max`.
    pub fn new(min: Duration, max: Duration) -> Self {
        let min = min.max(Duration::from_millis(1));
        Circuit {
            min,
            max: max.max(min),
            inner: Mutex::new(Inner {
                failures: 0,
                down_since: None,
                next_probe: Instant::now(),
                probing: false,
            }),
            opened: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the circuit is open (the server is considered down).
    pub fn is_open(&self) -> bool {
        self.lock().down_since.is_some()
    }

    /// How long the server has been considered down, if it is.
    pub fn down_for(&self) -> Option<Duration> {
        self.lock().down_since.map(|t| t.elapsed())
    }

    /// Decides whether the caller may connect now.
    pub fn admit(&self) -> Admission {
        let mut inner = self.lock();
        if inner.down_since.is_none() {
            return Admission::Connect;
        }
        if inner.probing || Instant::now() < inner.next_probe {
            return Admission::FailFast;
        }
        inner.probing = true;
        Admission::Probe
    }

    /// A connect succeeded. Returns how long the server was down when this closed the circuit.
    pub fn succeeded(&self) -> Option<Duration> {
        let mut inner = self.lock();
        inner.failures = 0;
        inner.probing = false;
        inner.down_since.take().map(|t| t.elapsed())
    }

    /// A connect failed. Returns true when this opened the circuit (the first failure).
    pub fn failed(&self) -> bool {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.failures = inner.failures.saturating_add(1);
        inner.probing = false;
        let backoff = jittered(self.backoff(inner.failures));
        inner.next_probe = now + backoff;
        let opened = inner.down_since.is_none();
        if opened {
            inner.down_since = Some(now);
        }
        drop(inner);
        if opened {
            self.opened.notify_waiters();
        }
        opened
    }

    /// Resolves when the circuit opens next.
    pub async fn opened(&self) {
        self.opened.notified().await;
    }

    /// `min × 2^(failures-1)`, at most `max`.
    fn backoff(&self, failures: u32) -> Duration {
        let shift = failures.saturating_sub(1).min(20);
        self.min.saturating_mul(1u32 << shift).min(self.max)
    }
}

/// `d` scaled by a random factor in 0.75..1.25, so pools (and proxies) that lost the same server
/// do not probe it in lockstep.
fn jittered(d: Duration) -> Duration {
    let factor = 0.75 + rand::random::<f64>() * 0.5;
    d.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_circuit_admits_everyone() {
        let c = Circuit::new(Duration::from_millis(100), Duration::from_secs(2));
        assert_eq!(c.admit(), Admission::Connect);
        assert_eq!(c.admit(), Admission::Connect);
        assert!(!c.is_open());
    }

    #[test]
    fn a_failure_opens_and_only_one_probe_follows_the_backoff() {
        let c = Circuit::new(Duration::from_millis(20), Duration::from_secs(2));
        assert!(c.failed());
        assert!(!c.failed(), "only the first failure opens the circuit");
        assert_eq!(c.admit(), Admission::FailFast);
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(c.admit(), Admission::Probe);
        assert_eq!(c.admit(), Admission::FailFast, "one probe at a time");
        assert!(c.succeeded().is_some());
        assert_eq!(c.admit(), Admission::Connect);
        assert!(c.succeeded().is_none(), "already closed");
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let c = Circuit::new(Duration::from_millis(100), Duration::from_millis(1000));
        assert_eq!(c.backoff(1), Duration::from_millis(100));
        assert_eq!(c.backoff(2), Duration::from_millis(200));
        assert_eq!(c.backoff(4), Duration::from_millis(800));
        assert_eq!(c.backoff(5), Duration::from_millis(1000));
        assert_eq!(c.backoff(u32::MAX), Duration::from_millis(1000));
    }

    #[test]
    fn jitter_stays_within_a_quarter() {
        for _ in 0..1000 {
            let d = jittered(Duration::from_millis(1000));
            assert!(d >= Duration::from_millis(750) && d <= Duration::from_millis(1250));
        }
    }
}
