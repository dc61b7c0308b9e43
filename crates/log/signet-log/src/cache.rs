//! The Rekor personality's read caches: recently read entries, and entries rendered as the JSON
//! a GET answers for the current head. Filled on read only, so the append path pays nothing.

use std::sync::Arc;

use signet_types::Sha256Hash;

use crate::store::StoredEntry;

/// Recently read entries, by leaf hash and by index, bounded (FIFO eviction): repeated reads —
/// many verifiers checking the same release — skip the database, whose per-read locking
/// dominates GET cost. Filled on read only, so the append path pays nothing.
pub(crate) struct EntryCache {
    by_uuid: std::collections::HashMap<Sha256Hash, Arc<StoredEntry>>,
    by_index: std::collections::HashMap<u64, Sha256Hash>,
    order: std::collections::VecDeque<Sha256Hash>,
    cap: usize,
}

impl EntryCache {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            by_uuid: Default::default(),
            by_index: Default::default(),
            order: Default::default(),
            cap,
        }
    }

    pub(crate) fn by_index(&self, index: u64) -> Option<Arc<StoredEntry>> {
        self.by_index
            .get(&index)
            .and_then(|u| self.by_uuid.get(u).cloned())
    }

    pub(crate) fn by_uuid(&self, uuid: &Sha256Hash) -> Option<Arc<StoredEntry>> {
        self.by_uuid.get(uuid).cloned()
    }

    pub(crate) fn insert(&mut self, e: Arc<StoredEntry>) {
        if self.cap == 0 || self.by_uuid.contains_key(&e.uuid) {
            return;
        }
        while self.order.len() >= self.cap {
            if let Some(old) = self.order.pop_front()
                && let Some(o) = self.by_uuid.remove(&old)
            {
                self.by_index.remove(&o.index);
            }
        }
        self.order.push_back(e.uuid);
        self.by_index.insert(e.index, e.uuid);
        self.by_uuid.insert(e.uuid, e);
    }
}

/// Rendered entries (as the JSON a GET answers) kept per head (cleared whenever the head moves).
pub(crate) const RENDERED_CACHE: usize = 16_384;

/// Entry JSON by leaf hash, for one head.
pub(crate) type RenderedJson = std::collections::HashMap<Sha256Hash, Arc<[u8]>>;
