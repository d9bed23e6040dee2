//! Interrupting a connection's running statement, and the sleep functions that must stay
//! interruptible: PostgreSQL's `pg_sleep(seconds)` and MySQL's `SLEEP(seconds)`.
//!
//! SQLite's own interrupt (`sqlite3_interrupt`) stops a statement between VM steps, but not a
//! function that waits inside one step. So each connection has a [`SleepGate`] the sleep
//! functions wait on; an [`Interrupter`] (what a cancel request or `KILL QUERY` calls) opens
//! the gate and interrupts SQLite. The worker closes the gate before every statement, so an
//! interrupt that came while nothing ran does not end the next statement (as with SQLite's
//! own flag, which is cleared when no statement runs).

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Error, InterruptHandle, ffi};

/// Where sleeping functions of one connection wait; opened by an interrupt.
#[derive(Debug, Default)]
pub(crate) struct SleepGate {
    interrupted: Mutex<bool>,
    wake: Condvar,
}

impl SleepGate {
    /// Before a statement: forget an interrupt that came while nothing ran.
    pub(crate) fn clear(&self) {
        *self.interrupted.lock().unwrap_or_else(|p| p.into_inner()) = false;
    }

    fn interrupt(&self) {
        *self.interrupted.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.wake.notify_all();
    }

    /// Sleeps `duration`; `false` when interrupted first.
    fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now().checked_add(duration);
        let mut interrupted = self.interrupted.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if *interrupted {
                return false;
            }
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                // Too far to represent: wait in long steps until interrupted.
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                return true;
            }
            interrupted = self
                .wake
                .wait_timeout(interrupted, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// Interrupts whatever a connection runs: a statement, or a sleep inside one.
pub(crate) struct Interrupter {
    handle: InterruptHandle,
    gate: Arc<SleepGate>,
}

impl Interrupter {
    pub(crate) fn new(handle: InterruptHandle, gate: Arc<SleepGate>) -> Self {
        Interrupter { handle, gate }
    }

    pub(crate) fn interrupt(&self) {
        self.gate.interrupt();
        self.handle.interrupt();
    }
}

/// Seconds as a duration: NULL, negative, NaN and non-numbers sleep not at all (as on
/// PostgreSQL and MySQL), a huge number sleeps until interrupted.
fn seconds(v: ValueRef<'_>) -> Duration {
    let secs = match v {
        ValueRef::Integer(n) => n as f64,
        ValueRef::Real(r) => r,
        ValueRef::Text(t) => std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0.0),
        ValueRef::Null | ValueRef::Blob(_) => 0.0,
    };
    if secs.is_nan() || secs <= 0.0 {
        Duration::ZERO
    } else {
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
    }
}

/// The error of an interrupted sleep: SQLite's interrupt code, so it is classified as a
/// cancelled statement (57014 / 1317).
fn interrupted() -> Error {
    Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_INTERRUPT), None)
}

/// Registers `pg_sleep(seconds)` (returns the empty `void` value) and `sleep(seconds)`
/// (returns 0, as MySQL's `SLEEP`) on `conn`, waiting on `gate`.
pub(crate) fn register(conn: &Connection, gate: &Arc<SleepGate>) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DIRECTONLY;
    let g = Arc::clone(gate);
    conn.create_scalar_function("pg_sleep", 1, flags, move |ctx| {
        if g.sleep(seconds(ctx.get_raw(0))) {
            Ok("")
        } else {
            Err(interrupted())
        }
    })?;
    let g = Arc::clone(gate);
    conn.create_scalar_function("sleep", 1, flags, move |ctx| {
        if g.sleep(seconds(ctx.get_raw(0))) {
            Ok(0i64)
        } else {
            Err(interrupted())
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_ends_a_sleep_and_clear_forgets_it() {
        let gate = Arc::new(SleepGate::default());
        let g = Arc::clone(&gate);
        let t = std::thread::spawn(move || g.sleep(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(50));
        let started = Instant::now();
        gate.interrupt();
        assert!(!t.join().expect("joined"));
        assert!(started.elapsed() < Duration::from_secs(5));
        gate.clear();
        assert!(gate.sleep(Duration::from_millis(10)));
    }

    #[test]
    fn seconds_of_odd_arguments() {
        assert_eq!(seconds(ValueRef::Real(-1.0)), Duration::ZERO);
        assert_eq!(seconds(ValueRef::Real(f64::NAN)), Duration::ZERO);
        assert_eq!(seconds(ValueRef::Null), Duration::ZERO);
        assert_eq!(seconds(ValueRef::Text(b"0.5")), Duration::from_millis(500));
        assert_eq!(seconds(ValueRef::Real(1e300)), Duration::MAX);
    }
}
