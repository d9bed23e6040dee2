//! Routing CancelRequests. Each client gets a proxy-issued (process id, secret); while it holds a
//! backend connection the registry knows that backend's real key, so a cancel arriving on a new
//! connection reaches exactly the server process running that client's query.
//!
//! A cancel is on its way for a moment after the lookup. If the client lets go of its server
//! in that moment, the server must not go to another client, whose query the cancel would then
//! hit: [`CancelHandle::clear_target`] reports cancels in flight and the session closes that
//! server instead of returning it to the pool.
//!
//! The registry's map is locked only when a client arrives or leaves and when a cancel comes in;
//! attaching to and detaching from a server (every transaction in transaction mode) touches only
//! the client's own slot.

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

/// Cancels a statement the proxy runs itself (the embedded SQLite backend).
pub type LocalCancel = Arc<dyn Fn() + Send + Sync>;

/// What a client's slot holds: its current backend and the cancels on their way to it.
#[derive(Default)]
struct SlotState {
    target: Option<CancelTarget>,
    /// Cancels looked up and not yet delivered.
    in_flight: u32,
    /// For a session served by the proxy itself: how to cancel its statement.
    local: Option<LocalCancel>,
}

impl std::fmt::Debug for SlotState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotState")
            .field("target", &self.target)
            .field("in_flight", &self.in_flight)
            .field("local", &self.local.is_some())
            .finish()
    }
}

#[derive(Debug, Default)]
struct Slot {
    state: Mutex<SlotState>,
}

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Debug)]
struct Entry {
    secret: i32,
    slot: Arc<Slot>,
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
    slot: Arc<Slot>,
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
            let slot = Arc::new(Slot::default());
            map.insert(
                process_id,
                Entry {
                    secret,
                    slot: Arc::clone(&slot),
                },
            );
            return CancelHandle {
                registry: Arc::clone(self),
                slot,
                key: BackendKeyData {
                    process_id,
                    secret_key: secret,
                },
            };
        }
    }

    /// Registers a client under a server's own key (session mode, where the client owns its
    /// server); `None` if another client already holds that process id.
    pub fn register_as(self: &Arc<Self>, key: BackendKeyData) -> Option<CancelHandle> {
        let mut map = self.lock();
        if key.process_id == 0 || map.contains_key(&key.process_id) {
            return None;
        }
        let slot = Arc::new(Slot::default());
        map.insert(
            key.process_id,
            Entry {
                secret: key.secret_key,
                slot: Arc::clone(&slot),
            },
        );
        Some(CancelHandle {
            registry: Arc::clone(self),
            slot,
            key,
        })
    }

    /// The slot of the client with this key, if the secret matches (compared in constant
    /// time). The map is locked only for the look-up.
    fn slot(&self, process_id: i32, secret: i32) -> Option<Arc<Slot>> {
        let map = self.lock();
        let entry = map.get(&process_id)?;
        let ok: bool = entry
            .secret
            .to_be_bytes()
            .ct_eq(&secret.to_be_bytes())
            .into();
        ok.then(|| Arc::clone(&entry.slot))
    }

    /// Runs the local cancel of the client with this key, if the secret matches and the
    /// client's session is served by the proxy itself. Returns whether it did.
    pub fn cancel_local(&self, process_id: i32, secret: i32) -> bool {
        let Some(slot) = self.slot(process_id, secret) else {
            return false;
        };
        let local = slot.lock().local.clone();
        match local {
            Some(cancel) => {
                cancel();
                true
            }
            None => false,
        }
    }

    /// The backend to cancel for a client key, if the secret matches and a query may be running.
    /// The ticket marks the cancel as in flight until it is dropped (after delivery).
    pub fn lookup(&self, process_id: i32, secret: i32) -> Option<CancelTicket> {
        let slot = self.slot(process_id, secret)?;
        let target = {
            let mut state = slot.lock();
            let target = state.target?;
            state.in_flight += 1;
            target
        };
        Some(CancelTicket { slot, target })
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl CancelHandle {
    /// Records how to cancel this client's statements when the proxy runs them itself.
    pub fn set_local(&self, cancel: Option<LocalCancel>) {
        self.slot.lock().local = cancel;
    }

    /// Records which backend the client is attached to.
    pub fn set_target(&self, target: Option<CancelTarget>) {
        self.slot.lock().target = target;
    }

    /// The client lets go of its backend. Returns true if a cancel for it may still be on its
    /// way: then the backend must not serve anyone else.
    pub fn clear_target(&self) -> bool {
        let mut state = self.slot.lock();
        state.target = None;
        state.in_flight > 0
    }
}

/// Sends `target`'s server a CancelRequest for its key, and waits (at most 5 s) until the server
/// has taken it.
pub async fn deliver(target: CancelTarget) {
    let mut buf = bytes::BytesMut::with_capacity(16);
    articdbm_wire_pg::startup::write_cancel(&mut buf, target.key.process_id, target.key.secret_key);
    match tokio::net::TcpStream::connect(target.server).await {
        Ok(mut s) => {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let _ = s.write_all(&buf).await;
            // The server closes the connection when done; wait briefly so it is processed.
            let mut sink = [0u8; 1];
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut sink)).await;
        }
        Err(e) => tracing::warn!(server = %target.server, error = %e, "cancel forward failed"),
    }
}

/// A cancel being delivered to `target`; counted as in flight until dropped.
#[derive(Debug)]
pub struct CancelTicket {
    slot: Arc<Slot>,
    pub target: CancelTarget,
}

impl Drop for CancelTicket {
    fn drop(&mut self) {
        let mut state = self.slot.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
    }
}

impl Drop for CancelHandle {
    fn drop(&mut self) {
        let mut map = self.registry.lock();
        map.remove(&self.key.process_id);
    }
}
