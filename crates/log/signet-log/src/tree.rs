//! Proofs over stored hashes: the memory [`HashCache`] in front of the store, and the two-pass
//! way a tree computation reads the stored hashes it needs in one batch.

use std::sync::{Arc, Mutex, RwLock};

use signet_tlog::{HashStore, StoredIndex, TlogError, Tree};
use signet_types::{LogIndex, Sha256Hash, TreeSize};

use crate::LogError;
use crate::store::LogStore;

/// Records which stored hashes a computation asks for (first pass of a two-pass proof).
#[derive(Default)]
struct Recorder(Mutex<Vec<StoredIndex>>);

impl HashStore for Recorder {
    fn read_hashes(&self, indexes: &[StoredIndex]) -> Result<Vec<Sha256Hash>, TlogError> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(indexes);
        }
        Ok(vec![Sha256Hash([0; 32]); indexes.len()])
    }
}

/// Serves fetched hashes (second pass).
struct Fetched(std::collections::HashMap<StoredIndex, Sha256Hash>);

impl HashStore for Fetched {
    fn read_hashes(&self, indexes: &[StoredIndex]) -> Result<Vec<Sha256Hash>, TlogError> {
        indexes
            .iter()
            .map(|i| self.0.get(i).copied().ok_or(TlogError::MissingHash(i.0)))
            .collect()
    }
}

/// Anything stored hashes can be read from in batches.
pub(crate) trait HashSource: Sync {
    fn read(
        &self,
        indexes: &[u64],
    ) -> impl std::future::Future<Output = Result<Vec<Sha256Hash>, LogError>> + Send;
}

impl<S: LogStore> HashSource for S {
    async fn read(&self, indexes: &[u64]) -> Result<Vec<Sha256Hash>, LogError> {
        self.read_hashes(indexes).await
    }
}

/// A memory copy of the first `cap` stored hashes (contiguous from index 0), in front of the
/// store. Proofs then cost no database read while the log fits; beyond the cap they fall back
/// to one batched query. Filled at start-up and by the sequencer after each durable commit.
pub(crate) struct HashCache<S: LogStore> {
    store: Arc<S>,
    mem: RwLock<Vec<Sha256Hash>>,
    cap: usize,
}

impl<S: LogStore> HashCache<S> {
    pub(crate) async fn load(store: Arc<S>, size: u64, cap: usize) -> Result<Self, LogError> {
        let total = StoredIndex::count(TreeSize(size));
        let want = usize::try_from(total).unwrap_or(usize::MAX).min(cap);
        let mut mem = Vec::with_capacity(want);
        let mut next = 0u64;
        while mem.len() < want {
            let end = next.saturating_add(10_000).min(want as u64);
            let idx: Vec<u64> = (next..end).collect();
            mem.extend(store.read_hashes(&idx).await?);
            next = end;
        }
        Ok(Self {
            store,
            mem: RwLock::new(mem),
            cap,
        })
    }

    /// Loads the stored hashes of a tree of `size` leaves this cache does not hold yet (growth
    /// another node's sequencer stored), up to the cap.
    pub(crate) async fn grow_to(&self, size: u64) -> Result<(), LogError> {
        let total = StoredIndex::count(TreeSize(size));
        let want = usize::try_from(total).unwrap_or(usize::MAX).min(self.cap) as u64;
        let have = self
            .mem
            .read()
            .map_err(|_| LogError::Internal("hash cache poisoned".into()))?
            .len() as u64;
        let mut next = have;
        let mut more = Vec::new();
        while next < want {
            let end = next.saturating_add(10_000).min(want);
            let idx: Vec<u64> = (next..end).collect();
            more.extend(self.store.read_hashes(&idx).await?);
            next = end;
        }
        if let Ok(mut m) = self.mem.write()
            && m.len() as u64 == have
        {
            m.extend(more);
        }
        Ok(())
    }

    /// Appends hashes stored at `start..` (after they are durable).
    pub(crate) fn extend(&self, start: u64, hashes: &[(u64, Sha256Hash)]) {
        if let Ok(mut m) = self.mem.write()
            && m.len() as u64 == start
        {
            let room = self.cap.saturating_sub(m.len());
            m.extend(hashes.iter().take(room).map(|(_, h)| *h));
        }
    }
}

impl<S: LogStore> HashSource for HashCache<S> {
    async fn read(&self, indexes: &[u64]) -> Result<Vec<Sha256Hash>, LogError> {
        let (mut out, missing) = {
            let m = self
                .mem
                .read()
                .map_err(|_| LogError::Internal("hash cache poisoned".into()))?;
            let mut out = Vec::with_capacity(indexes.len());
            let mut missing = Vec::new();
            for (pos, i) in indexes.iter().enumerate() {
                match usize::try_from(*i).ok().and_then(|u| m.get(u)) {
                    Some(h) => out.push(Some(*h)),
                    None => {
                        out.push(None);
                        missing.push((pos, *i));
                    }
                }
            }
            (out, missing)
        };
        if !missing.is_empty() {
            let idx: Vec<u64> = missing.iter().map(|(_, i)| *i).collect();
            for ((pos, _), h) in missing.iter().zip(self.store.read_hashes(&idx).await?) {
                if let Some(slot) = out.get_mut(*pos) {
                    *slot = Some(h);
                }
            }
        }
        out.into_iter()
            .map(|h| h.ok_or_else(|| LogError::Internal("hash not read".into())))
            .collect()
    }
}

/// Runs a tree computation over stored hashes: record the indexes it needs, fetch them in one
/// batch, run it again on the fetched hashes.
pub(crate) async fn with_tree<H: HashSource, T>(
    source: &H,
    f: impl Fn(&Tree<'_, dyn HashStore>) -> Result<T, TlogError>,
) -> Result<T, LogError> {
    let rec = Recorder::default();
    f(&Tree::new(&rec as &dyn HashStore))?;
    let wanted: Vec<StoredIndex> = rec.0.lock().map(|v| v.clone()).unwrap_or_default();
    let raw: Vec<u64> = wanted.iter().map(|i| i.0).collect();
    let hashes = source.read(&raw).await?;
    let fetched = Fetched(wanted.into_iter().zip(hashes).collect());
    Ok(f(&Tree::new(&fetched as &dyn HashStore))?)
}

/// RFC 6962 inclusion proof for `index` in the tree of `size` leaves, read from `store` in one
/// batched query (O(log n) stored hashes).
pub async fn inclusion_proof<S: LogStore>(
    store: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Sha256Hash>, LogError> {
    with_tree(store, |t| {
        t.inclusion_proof(LogIndex(index), TreeSize(size))
    })
    .await
}
