//! `KILL QUERY <id>` / `KILL <id>` / COM_PROCESS_KILL across the proxy. The connection id a
//! client learns from the proxy's handshake is issued here; while its session holds a server,
//! the registry knows that server's thread id, so a kill arriving on another connection reaches
//! exactly the server thread running that client's statement (never a thread of another
//! client's that now uses the server). A session on an embedded SQLite database registers
//! its statement interrupt instead ([`KillHandle::set_interrupt`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use crate::backend::MySqlPool;
use crate::sqlite::Canceller;

/// The server thread a session is on right now, and the pool it came from (whose target says
/// how to reach that server: a kill opens a fresh connection there).
#[derive(Debug, Clone)]
pub struct KillTarget {
    pub pool: Arc<MySqlPool>,
    pub thread_id: u32,
}

#[derive(Debug, Default)]
struct Slot {
    user: Mutex<String>,
    on: Mutex<Option<KillTarget>>,
    interrupt: Mutex<Option<Canceller>>,
    killed: AtomicBool,
}

/// The session a `KILL` found: the server thread it is on, if any, or the interrupt of its
/// SQLite statement.
#[derive(Debug)]
pub struct Killing {
    pub on: Option<KillTarget>,
    pub interrupt: Option<Canceller>,
}

/// Connection ids of MySQL sessions and the server threads they are on.
#[derive(Debug)]
pub struct KillRegistry {
    next: AtomicU32,
    slots: Mutex<HashMap<u32, Arc<Slot>>>,
}

impl Default for KillRegistry {
    fn default() -> Self {
        KillRegistry {
            next: AtomicU32::new(1),
            slots: Mutex::default(),
        }
    }
}

/// A session's entry; removed when dropped.
#[derive(Debug)]
pub struct KillHandle {
    registry: Arc<KillRegistry>,
    slot: Arc<Slot>,
    id: u32,
}

impl KillRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Arc<Slot>>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issues a connection id for a new client (announced in the handshake).
    pub fn register(self: &Arc<Self>) -> KillHandle {
        let mut map = self.lock();
        loop {
            let id = self.next.fetch_add(1, Ordering::Relaxed);
            if id == 0 || map.contains_key(&id) {
                continue;
            }
            let slot = Arc::new(Slot::default());
            map.insert(id, Arc::clone(&slot));
            return KillHandle {
                registry: Arc::clone(self),
                slot,
                id,
            };
        }
    }

    /// What `KILL <id>` by `user` means: `id` is a proxy connection id of one of `user`'s
    /// sessions, or the server thread id (from `CONNECTION_ID()`) one of them is on right now.
    /// `None` if neither. With `connection`, the session is also marked to end at its next
    /// command.
    pub fn lookup(&self, id: u32, user: &str, connection: bool) -> Option<Killing> {
        let owned = |slot: &Slot| *slot.user.lock().unwrap_or_else(|p| p.into_inner()) == user;
        let on = |slot: &Slot| slot.on.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let map = self.lock();
        let slot = match map.get(&id).filter(|s| owned(s)) {
            Some(s) => Arc::clone(s),
            None => map
                .values()
                .find(|s| owned(s) && on(s).is_some_and(|t| t.thread_id == id))
                .cloned()?,
        };
        drop(map);
        if connection {
            slot.killed.store(true, Ordering::Release);
        }
        let interrupt = slot
            .interrupt
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Some(Killing {
            on: on(&slot),
            interrupt,
        })
    }
}

impl KillHandle {
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Records who logged in on this connection (only they may kill it).
    pub fn set_user(&self, user: &str) {
        *self.slot.user.lock().unwrap_or_else(|p| p.into_inner()) = user.to_string();
    }

    /// Records the server thread the session is on (`None` when it lets go of it).
    pub fn set_target(&self, on: Option<KillTarget>) {
        *self.slot.on.lock().unwrap_or_else(|p| p.into_inner()) = on;
    }

    /// Records how to interrupt the session's running SQLite statement (`None` when it
    /// ends).
    pub fn set_interrupt(&self, interrupt: Option<Canceller>) {
        *self
            .slot
            .interrupt
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = interrupt;
    }

    /// Whether another session ran `KILL <this id>`.
    pub fn killed(&self) -> bool {
        self.slot.killed.load(Ordering::Acquire)
    }
}

impl Drop for KillHandle {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

/// `KILL [QUERY] <id>` by `user` for a proxy connection id (or a server thread id, see
/// [`KillRegistry::lookup`]): the statement (and with a connection kill, the session) of that
/// client is stopped on whatever server it is running on, through a fresh connection to that
/// server as the pool's user. `false` when no session of `user` has that id (ERR 1094).
pub async fn kill_by_id(registry: &KillRegistry, user: &str, id: u32, query_only: bool) -> bool {
    let Some(killing) = registry.lookup(id, user, !query_only) else {
        return false;
    };
    if let Some(interrupt) = &killing.interrupt {
        interrupt.cancel();
    }
    if let Some(on) = killing.on {
        let timeout = std::time::Duration::from_secs(5);
        let mut command = vec![0x03];
        command.extend_from_slice(format!("KILL QUERY {}", on.thread_id).as_bytes());
        let result =
            match crate::backend::mysql::MySqlServer::connect(on.pool.target(), timeout).await {
                Ok(mut server) => server.command(&command).await,
                Err(e) => Err(e),
            };
        if let Err(e) = result {
            tracing::warn!(%user, error = %e, "KILL QUERY did not reach the server");
        }
    }
    true
}

/// `KILL [QUERY | CONNECTION] <id>`: the id and whether only the query is killed.
pub fn parse_kill(sql: &str) -> Option<(u32, bool)> {
    let mut words = sql.trim().trim_end_matches(';').split_ascii_whitespace();
    if !words.next()?.eq_ignore_ascii_case("KILL") {
        return None;
    }
    let mut next = words.next()?;
    let mut query_only = false;
    if next.eq_ignore_ascii_case("QUERY") {
        query_only = true;
        next = words.next()?;
    } else if next.eq_ignore_ascii_case("CONNECTION") {
        next = words.next()?;
    }
    if words.next().is_some() {
        return None;
    }
    next.parse().ok().map(|id| (id, query_only))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kill_forms() {
        assert_eq!(parse_kill("KILL QUERY 12"), Some((12, true)));
        assert_eq!(parse_kill("kill 7;"), Some((7, false)));
        assert_eq!(parse_kill("KILL CONNECTION 3"), Some((3, false)));
        assert_eq!(parse_kill("KILL QUERY ID 3"), None);
        assert_eq!(parse_kill("SELECT 1"), None);
    }

    #[test]
    fn only_the_owner_finds_the_thread() {
        let registry = Arc::new(KillRegistry::default());
        let handle = registry.register();
        handle.set_user("alice");
        assert!(registry.lookup(handle.id(), "mallory", false).is_none());
        assert!(
            registry
                .lookup(handle.id(), "alice", false)
                .is_some_and(|k| k.on.is_none())
        );
        assert!(!handle.killed());
        let _ = registry.lookup(handle.id(), "alice", true);
        assert!(handle.killed());
        let id = handle.id();
        drop(handle);
        assert!(registry.lookup(id, "alice", false).is_none());
    }
}
