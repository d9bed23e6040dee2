//! Named prepared statements in transaction mode. A client's statement name maps to a
//! content-addressed server-side name (`articdbm_<hash of SQL and parameter types>`), so any server
//! connection can hold it once for every client; when a client's next transaction lands on a
//! connection that lacks it, the session prepares it there first, transparently.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use articdbm_wire_pg::frontend::Parse;
use bytes::Bytes;

use super::session_state::StateEffect;

/// A statement as the server knows it.
#[derive(Debug)]
pub struct Prepared {
    /// 64-bit id of (SQL, parameter types); the server-side name carries 128 bits.
    pub id: u64,
    pub server_name: Bytes,
    pub parse: Parse,
    /// What running it does to the server session (applied at every Bind).
    pub effect: StateEffect,
}

/// One client's statement names.
#[derive(Debug, Default)]
pub struct ClientStatements {
    by_name: HashMap<Bytes, Arc<Prepared>>,
}

fn hash_with(seed: u64, parse: &Parse) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    seed.hash(&mut h);
    parse.query_bytes().hash(&mut h);
    parse.param_types().hash(&mut h);
    h.finish()
}

impl ClientStatements {
    pub fn contains(&self, name: &[u8]) -> bool {
        self.by_name.contains_key(name)
    }

    pub fn get(&self, name: &[u8]) -> Option<Arc<Prepared>> {
        self.by_name.get(name).cloned()
    }

    /// Registers `parse` under its client name and returns the server-side statement.
    pub fn insert(&mut self, parse: &Parse, effect: StateEffect) -> Arc<Prepared> {
        let id = hash_with(0x5eed_0001, parse);
        let id2 = hash_with(0x5eed_0002, parse);
        let server_name = Bytes::from(format!("articdbm_{id:016x}{id2:016x}"));
        let prepared = Arc::new(Prepared {
            id,
            server_name,
            parse: parse.clone(),
            effect,
        });
        self.by_name.insert(
            Bytes::copy_from_slice(parse.statement()),
            Arc::clone(&prepared),
        );
        prepared
    }

    pub fn remove(&mut self, name: &[u8]) -> Option<Arc<Prepared>> {
        self.by_name.remove(name)
    }

    /// Forgets every name (the client ran DEALLOCATE ALL or DISCARD ALL).
    pub fn clear(&mut self) {
        self.by_name.clear();
    }
}
