//! A pool of server connections for one (database, backend user), for any backend protocol (see
//! [`Connection`]). Checkout is bounded by a semaphore of `size` permits and waits at most
//! `checkout_timeout`; the returned guard gives the connection back on `release` (resetting it
//! off the hot path when needed) and closes it when dropped without release, because then its
//! state is unknown. New connections go through the pool's reconnect [`Circuit`]: while its
//! server is down, checkouts (queued ones included) fail at once instead of each dialling it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use articdbm_config::{PoolMode, PoolSettings};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::circuit::{Admission, Circuit};
use super::connection::Connection;
use super::target::BackendTarget;
use crate::error::PoolError;

/// Counters shown by `SHOW POOLS` / `SHOW STATS`.
#[derive(Debug, Default)]
pub struct PoolStats {
    pub checkouts: AtomicU64,
    pub waits: AtomicU64,
    pub timeouts: AtomicU64,
    pub connects: AtomicU64,
    pub connect_errors: AtomicU64,
    pub closed_broken: AtomicU64,
    /// Checkouts answered at once because the server was down (circuit open).
    pub fail_fast: AtomicU64,
}

#[derive(Debug)]
pub struct Pool<C: Connection> {
    name: String,
    target: BackendTarget,
    settings: PoolSettings,
    idle: Mutex<VecDeque<C>>,
    permits: Arc<Semaphore>,
    closed: AtomicBool,
    profile: Mutex<Option<C::Profile>>,
    circuit: Circuit,
    pub stats: PoolStats,
}

/// A checked-out server connection.
#[derive(Debug)]
pub struct PoolGuard<C: Connection> {
    server: Option<C>,
    pool: Arc<Pool<C>>,
    permit: Option<OwnedSemaphorePermit>,
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

impl<C: Connection> Pool<C> {
    /// Creates the pool and starts its warm-up and maintenance task.
    pub fn start(name: String, target: BackendTarget, settings: PoolSettings) -> Arc<Self> {
        let size = settings.size.max(1) as usize;
        let (backoff_min, backoff_max) = settings.reconnect_backoff();
        let pool = Arc::new(Pool {
            name,
            target,
            settings,
            idle: Mutex::new(VecDeque::with_capacity(size)),
            permits: Arc::new(Semaphore::new(size)),
            closed: AtomicBool::new(false),
            profile: Mutex::new(None),
            circuit: Circuit::new(backoff_min, backoff_max),
            stats: PoolStats::default(),
        });
        tokio::spawn(maintain(Arc::downgrade(&pool)));
        pool
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn target(&self) -> &BackendTarget {
        &self.target
    }

    pub fn settings(&self) -> &PoolSettings {
        &self.settings
    }

    pub fn mode(&self) -> PoolMode {
        self.settings.mode
    }

    pub fn size(&self) -> usize {
        self.settings.size.max(1) as usize
    }

    pub fn idle_count(&self) -> usize {
        self.lock_idle().len()
    }

    /// Connections currently checked out (or being reset).
    pub fn active_count(&self) -> usize {
        self.size() - self.permits.available_permits()
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Stops handing out connections and closes the idle ones; checked-out ones close on return.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.permits.close();
        self.lock_idle().clear();
    }

    /// What the last server to log in announced (what a client should be told at startup).
    pub fn server_profile(&self) -> Option<C::Profile> {
        self.profile
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether the pool considers its server down (its reconnect circuit is open).
    pub fn server_down(&self) -> bool {
        self.circuit.is_open()
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, VecDeque<C>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands out a server connection, waiting at most `checkout_timeout` for one to be free.
    pub async fn checkout(self: &Arc<Self>) -> Result<PoolGuard<C>, PoolError> {
        if self.is_closed() {
            return Err(PoolError::Closed);
        }
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(p) => p,
            Err(tokio::sync::TryAcquireError::Closed) => return Err(PoolError::Closed),
            Err(tokio::sync::TryAcquireError::NoPermits) => {
                // Every connection is busy and the server is down: waiting would only end in
                // the same error.
                self.fail_fast_if_down()?;
                self.stats.waits.fetch_add(1, Ordering::Relaxed);
                self.wait_for_permit().await?
            }
        };
        self.stats.checkouts.fetch_add(1, Ordering::Relaxed);
        while let Some(mut server) = self.pop_idle() {
            if self.expired(&server) || !server.is_alive() {
                self.stats.closed_broken.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            return Ok(self.guard(server, permit));
        }
        let server = self.connect().await?;
        Ok(self.guard(server, permit))
    }

    /// Waits for a free slot, at most `checkout_timeout`; gives up at once when the circuit
    /// opens meanwhile.
    async fn wait_for_permit(&self) -> Result<OwnedSemaphorePermit, PoolError> {
        let acquire = async {
            tokio::select! {
                acquired = Arc::clone(&self.permits).acquire_owned() => {
                    acquired.map_err(|_| PoolError::Closed)
                }
                () = self.circuit.opened() => Err(self.unavailable()),
            }
        };
        // `checkout_timeout_secs = 0` means no limit.
        match self.settings.checkout_timeout() {
            Some(wait) => match tokio::time::timeout(wait, acquire).await {
                Ok(r) => r,
                Err(_) => {
                    self.stats.timeouts.fetch_add(1, Ordering::Relaxed);
                    Err(PoolError::Timeout(wait))
                }
            },
            None => acquire.await,
        }
    }

    fn fail_fast_if_down(&self) -> Result<(), PoolError> {
        if self.circuit.is_open() && self.circuit.admit() == Admission::FailFast {
            return Err(self.unavailable());
        }
        Ok(())
    }

    fn unavailable(&self) -> PoolError {
        self.stats.fail_fast.fetch_add(1, Ordering::Relaxed);
        PoolError::Unavailable {
            down_for: self.circuit.down_for().unwrap_or_default(),
        }
    }

    fn guard(self: &Arc<Self>, server: C, permit: OwnedSemaphorePermit) -> PoolGuard<C> {
        PoolGuard {
            server: Some(server),
            pool: Arc::clone(self),
            permit: Some(permit),
        }
    }

    fn pop_idle(&self) -> Option<C> {
        self.lock_idle().pop_back()
    }

    /// Opens a new server connection, unless the circuit says the server is down.
    async fn connect(&self) -> Result<C, PoolError> {
        let admission = self.circuit.admit();
        if admission == Admission::FailFast {
            return Err(self.unavailable());
        }
        let timeout = secs(self.settings.connect_timeout_secs.max(1));
        match C::connect(&self.target, timeout).await {
            Ok(s) => {
                self.stats.connects.fetch_add(1, Ordering::Relaxed);
                *self.profile.lock().unwrap_or_else(|p| p.into_inner()) = Some(s.profile());
                if let Some(down) = self.circuit.succeeded() {
                    tracing::info!(
                        pool = %self.name,
                        server = %self.target.addr(),
                        down_secs = down.as_secs_f64(),
                        "server back after {:.1} s",
                        down.as_secs_f64()
                    );
                }
                Ok(s)
            }
            Err(e) => {
                self.stats.connect_errors.fetch_add(1, Ordering::Relaxed);
                if self.circuit.failed() {
                    tracing::warn!(
                        pool = %self.name,
                        server = %self.target.addr(),
                        error = %e,
                        "server down: new connections fail fast, reconnecting with backoff"
                    );
                } else {
                    tracing::debug!(pool = %self.name, error = %e, "server still down");
                }
                Err(e.into())
            }
        }
    }

    fn expired(&self, server: &C) -> bool {
        let lifetime = self.settings.max_lifetime_secs;
        lifetime > 0 && server.age() >= secs(lifetime)
    }

    fn check_in(&self, mut server: C) {
        if self.is_closed() || self.expired(&server) {
            return;
        }
        server.touch();
        server.shed_buffers();
        self.lock_idle().push_back(server);
    }
}

impl<C: Connection> PoolGuard<C> {
    pub fn server(&mut self) -> &mut C {
        // The option is only emptied by release/discard/drop, which consume the guard.
        self.server
            .as_mut()
            .expect("guard holds a server until consumed")
    }

    pub fn pool(&self) -> &Arc<Pool<C>> {
        &self.pool
    }

    /// Returns the connection for reuse. In session mode, or when the client changed session
    /// state, the reset query runs first on a background task (the permit is held until then).
    pub fn release(mut self) {
        let Some(server) = self.server.take() else {
            return;
        };
        let permit = self.permit.take();
        let pool = Arc::clone(&self.pool);
        if pool.mode() == PoolMode::Session || server.needs_reset() {
            tokio::spawn(async move {
                let mut server = server;
                let query = pool.settings.reset_query.clone();
                let timeout = secs(pool.settings.connect_timeout_secs.max(1));
                match tokio::time::timeout(timeout, server.reset(&query)).await {
                    Ok(Ok(())) => pool.check_in(server),
                    _ => {
                        pool.stats.closed_broken.fetch_add(1, Ordering::Relaxed);
                    }
                }
                drop(permit);
            });
        } else {
            pool.check_in(server);
            drop(permit);
        }
    }

    /// Closes the connection (its state is unknown or it failed).
    pub fn discard(mut self) {
        if self.server.take().is_some() {
            self.pool
                .stats
                .closed_broken
                .fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl<C: Connection> Drop for PoolGuard<C> {
    fn drop(&mut self) {
        if self.server.take().is_some() {
            self.pool
                .stats
                .closed_broken
                .fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Warm-up, then periodic upkeep: retire old and long-idle connections (keeping `min_idle`),
/// trim idle ones above `idle_ratio` of the size, health-check the rest, top up to `min_idle`.
async fn maintain<C: Connection>(pool: Weak<Pool<C>>) {
    if let Some(p) = pool.upgrade() {
        // round(size × warmup_ratio), at least min_idle, at most size (as documented).
        let want = (p.settings.warmup_connections() as usize).min(p.size());
        top_up(&p, want).await;
    }
    let tick = {
        let Some(p) = pool.upgrade() else { return };
        secs(p.settings.health_check_interval_secs.clamp(1, 60))
    };
    let mut interval = tokio::time::interval(tick);
    interval.tick().await;
    loop {
        interval.tick().await;
        let Some(p) = pool.upgrade() else { return };
        if p.is_closed() {
            return;
        }
        retire(&p);
        if p.server_down() {
            // Probe a server that is down even when no client asks for it, so it is found back
            // in time (the circuit keeps this to its backoff).
            top_up(&p, p.idle_count() + 1).await;
        }
        // `health_check_interval_secs = 0` disables health checks (upkeep still runs).
        if p.settings.health_check_interval_secs > 0 {
            health_check(&p, tick).await;
        }
        top_up(&p, p.settings.min_idle as usize).await;
    }
}

fn retire<C: Connection>(p: &Pool<C>) {
    let idle_timeout = p.settings.idle_timeout_secs;
    // round(size × idle_ratio), at least min_idle (flooring kept no idle connection at all
    // in a pool of one).
    let max_idle = p.settings.max_idle_connections() as usize;
    let min_idle = p.settings.min_idle as usize;
    let mut idle = p.lock_idle();
    let mut count = idle.len();
    // The front of the deque holds the longest-idle connections: retire from there.
    idle.retain(|s| {
        let stale = idle_timeout > 0 && s.idle_for() >= secs(idle_timeout);
        let drop_it = p.expired(s) || (count > min_idle && (stale || count > max_idle));
        if drop_it {
            count -= 1;
        }
        !drop_it
    });
}

async fn health_check<C: Connection>(p: &Arc<Pool<C>>, older_than: Duration) {
    let query = p.settings.health_check_query.clone();
    if query.is_empty() {
        return;
    }
    let candidates = {
        let mut idle = p.lock_idle();
        let (check, keep): (VecDeque<C>, VecDeque<C>) =
            idle.drain(..).partition(|s| s.idle_for() >= older_than);
        *idle = keep;
        check
    };
    for mut server in candidates {
        let Ok(permit) = Arc::clone(&p.permits).try_acquire_owned() else {
            // Every slot is in use: the connection is simply put back unchecked.
            p.lock_idle().push_front(server);
            continue;
        };
        let ok = matches!(
            tokio::time::timeout(older_than, server.health_check(&query)).await,
            Ok(Ok(()))
        );
        if ok {
            p.lock_idle().push_front(server);
        } else {
            p.stats.closed_broken.fetch_add(1, Ordering::Relaxed);
        }
        drop(permit);
    }
}

async fn top_up<C: Connection>(p: &Arc<Pool<C>>, want_idle: usize) {
    while !p.is_closed() && p.idle_count() < want_idle {
        let Ok(permit) = Arc::clone(&p.permits).try_acquire_owned() else {
            return;
        };
        match p.connect().await {
            Ok(s) => p.check_in(s),
            Err(_) => return,
        }
        drop(permit);
    }
}
