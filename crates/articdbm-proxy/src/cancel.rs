//! Routing CancelRequests. Each client gets a proxy-issued (process id, secret); while it holds a
//! backend connection the registry knows that backend's real key, so a cancel arriving on a new
//! connection reaches exactly the server process running that client's query.
//!
//! A cancel is on its way for a moment after the lookup. If the client lets go of its server
//! in that moment, the server must not go to another client, whose query the cancel would then
//! hit: [`CancelHandle::clear_target`] reports cancels in flight and the session closes that
//! server instead of returning it to the pool.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use articdbm_wire_pg::backend::backend_key_data::BackendKeyData;
use subtle::ConstantTimeEq;

/// Where a cancel for a client must go right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelTarget {
    pub server: SocketAddr,
    pub key: BackendKeyData,
}

#[derive(Debug)]
struct Entry {
    secret: i32,
    target: Option<CancelTarget>,
    /// Cancels looked up and not yet delivered.
    in_flight: u32,
}

/// The live map from proxy-issued keys to backend keys.
#[derive(Debug, Default)]
pub struct CancelRegistry {
    entries: Mutex<HashMap<i32, Entry>>,
}

/// Removes the client's key when the session ends.
#[derive(Debug)]
pub struct CancelHandle {
    registry: Arc<CancelRegistry>,
    pub key: BackendKeyData,
}

impl CancelRegistry {
    /// The map, even if a panicking thread poisoned the lock (entries stay consistent).
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issues a fresh, unused key for a new client.
    pub fn register(self: &Arc<Self>) -> CancelHandle {
        let mut map = self.lock();
        loop {
            let process_id = rand::random::<i32>() & 0x7fff_ffff;
            if process_id == 0 || map.contains_key(&process_id) {
                continue;
            }
            let secret = rand::random::<i32>();
            map.insert(
                process_id,
                Entry {
                    secret,
                    target: None,
                    in_flight: 0,
                },
            );
            return CancelHandle {
                registry: Arc::clone(self),
                key: BackendKeyData {
                    process_id,
                    secret_key: secret,
                },
            };
        }
    }

    /// The backend to cancel for a client key, if the secret matches and a query may be running.
    /// The ticket marks the cancel as in flight until it is dropped (after delivery).
    pub fn lookup(self: &Arc<Self>, process_id: i32, secret: i32) -> Option<CancelTicket> {
        let mut map = self.lock();
        let entry = map.get_mut(&process_id)?;
        let ok: bool = entry
            .secret
            .to_be_bytes()
            .ct_eq(&secret.to_be_bytes())
            .into();
        let target = entry.target.filter(|_| ok)?;
        entry.in_flight += 1;
        Some(CancelTicket {
            registry: Arc::clone(self),
            process_id,
            target,
        })
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl CancelHandle {
    /// Records which backend the client is attached to.
    pub fn set_target(&self, target: Option<CancelTarget>) {
        let mut map = self.registry.lock();
        if let Some(e) = map.get_mut(&self.key.process_id) {
            e.target = target;
        }
    }

    /// The client lets go of its backend. Returns true if a cancel for it may still be on its
    /// way: then the backend must not serve anyone else.
    pub fn clear_target(&self) -> bool {
        let mut map = self.registry.lock();
        match map.get_mut(&self.key.process_id) {
            Some(e) => {
                e.target = None;
                e.in_flight > 0
            }
            None => false,
        }
    }
}

/// A cancel being delivered to `target`; counted as in flight until dropped.
#[derive(Debug)]
pub struct CancelTicket {
    registry: Arc<CancelRegistry>,
    process_id: i32,
    pub target: CancelTarget,
}

impl Drop for CancelTicket {
    fn drop(&mut self) {
        let mut map = self.registry.lock();
        if let Some(e) = map.get_mut(&self.process_id) {
            e.in_flight = e.in_flight.saturating_sub(1);
        }
    }
}

impl Drop for CancelHandle {
    fn drop(&mut self) {
        let mut map = self.registry.lock();
        map.remove(&self.key.process_id);
    }
}
