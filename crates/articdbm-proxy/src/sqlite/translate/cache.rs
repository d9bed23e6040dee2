//! The bounded translation cache: one entry per distinct statement text, so a text is parsed at
//! most once while it stays cached. Pure memoisation (a hit returns what a miss would compute),
//! bounded in entries and in the length of texts it keeps.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::PgTranslation;

/// Most entries kept; when full, an eighth of them is dropped.
const MAX_ENTRIES: usize = 4096;
/// Longer texts (bulk inserts with literals) are translated every time instead of kept.
const MAX_TEXT: usize = 16 * 1024;

#[derive(Default)]
pub(crate) struct Cache {
    map: Mutex<HashMap<Arc<str>, Arc<PgTranslation>>>,
}

impl Cache {
    pub(crate) fn global() -> &'static Cache {
        static CACHE: OnceLock<Cache> = OnceLock::new();
        CACHE.get_or_init(Cache::default)
    }

    pub(crate) fn get_or_insert_with(
        &self,
        sql: &str,
        make: impl FnOnce() -> PgTranslation,
    ) -> Arc<PgTranslation> {
        if sql.len() > MAX_TEXT {
            return Arc::new(make());
        }
        if let Some(hit) = self.lock().get(sql) {
            return Arc::clone(hit);
        }
        let made = Arc::new(make());
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            let drop: Vec<Arc<str>> = map.keys().take(MAX_ENTRIES / 8).cloned().collect();
            for k in drop {
                map.remove(&k);
            }
        }
        map.insert(Arc::from(sql), Arc::clone(&made));
        made
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, Arc<PgTranslation>>> {
        // A panic while holding the lock cannot leave the map inconsistent (single inserts).
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_by_text_and_stays_bounded() {
        let cache = Cache::default();
        let mut calls = 0;
        for _ in 0..3 {
            cache.get_or_insert_with("SELECT 1", || {
                calls += 1;
                PgTranslation::default()
            });
        }
        assert_eq!(calls, 1);
        for i in 0..(MAX_ENTRIES + 10) {
            cache.get_or_insert_with(&format!("SELECT {i}"), PgTranslation::default);
        }
        assert!(cache.len() <= MAX_ENTRIES);
        let long = "x".repeat(MAX_TEXT + 1);
        cache.get_or_insert_with(&long, PgTranslation::default);
        assert!(cache.lock().get(long.as_str()).is_none());
    }
}
