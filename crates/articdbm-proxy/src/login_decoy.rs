//! The login steps an unknown user is put through, for both protocols. Which steps a login
//! takes depends on the user's verifier (MySQL: an AuthSwitchRequest to mysql_native_password,
//! caching_sha2 fast authentication, or full authentication for a user with only a PostgreSQL
//! verifier; PostgreSQL: an md5 challenge or SCRAM), so an unknown user taking steps of its own
//! would give it away. An unknown name is given a known user as its stand-in, picked by a keyed
//! hash of the name among the users who can log in over that protocol: it takes the stand-in's
//! steps (and does the same work, against a verifier that never matches), and always the same
//! ones for the same name. The key is random per process, like MySQL's own table of decoy
//! plugins for unknown accounts; see docs/SECURITY.md.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::OnceLock;

use crate::runtime::RuntimeUser;

struct Secret {
    hasher: RandomState,
    /// Mixed into the fake SCRAM salt of unknown users, so that it cannot be predicted.
    seed: [u8; 32],
}

fn secret() -> &'static Secret {
    static SECRET: OnceLock<Secret> = OnceLock::new();
    SECRET.get_or_init(|| Secret {
        hasher: RandomState::new(),
        seed: rand::random(),
    })
}

/// The protocol a login is for (each has its own pick).
#[derive(Debug, Clone, Copy, Hash)]
pub enum LoginProtocol {
    Postgres,
    MySql,
}

/// The known user whose login steps the unknown user `name` takes, among the users `can_log_in`
/// accepts; `None` when there is none.
pub fn stand_in<'a>(
    users: &'a HashMap<String, RuntimeUser>,
    name: &str,
    protocol: LoginProtocol,
    can_log_in: impl Fn(&RuntimeUser) -> bool,
) -> Option<&'a RuntimeUser> {
    let mut candidates: Vec<&RuntimeUser> = users.values().filter(|u| can_log_in(u)).collect();
    if candidates.is_empty() {
        return None;
    }
    candidates.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    let mut h = secret().hasher.build_hasher();
    protocol.hash(&mut h);
    name.hash(&mut h);
    let i = usize::try_from(h.finish() % candidates.len() as u64).unwrap_or(0);
    candidates.get(i).copied()
}

/// The seed of an unknown user's fake SCRAM salt: the name and the process's secret.
pub fn mock_salt_seed(name: &str) -> Vec<u8> {
    let mut seed = secret().seed.to_vec();
    seed.extend_from_slice(name.as_bytes());
    seed
}
