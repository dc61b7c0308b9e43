//! The batching sequencer: the only writer. It drains the queue, assigns indexes, extends the
//! Merkle tree, commits the batch in one durable transaction, signs a new checkpoint, and only
//! then answers the writers of that batch.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use signet_crypto::SigningKey;
use signet_tlog::{Checkpoint, NoteSigner, StoredIndex, node_hash, sign_note};
use signet_types::{Sha256Hash, TreeSize, b64};
use tokio::sync::{mpsc, oneshot};

use crate::LogError;
use crate::admit::Admitted;
use crate::service::Clock;
use crate::store::{LogStore, NewEntry};

/// Largest batch integrated in one transaction.
pub(crate) const MAX_BATCH: usize = 4096;
/// Queue capacity; a full queue answers 503 (push back) instead of growing without bound.
pub(crate) const QUEUE: usize = 65_536;

/// The latest integrated tree, with its signed checkpoint.
#[derive(Clone, Debug)]
pub(crate) struct Head {
    pub(crate) size: u64,
    pub(crate) root: Sha256Hash,
    pub(crate) checkpoint: String,
}

/// What a writer gets back once its batch is durable.
#[derive(Clone, Debug)]
pub(crate) struct Committed {
    pub(crate) index: u64,
    pub(crate) integrated_time: i64,
    pub(crate) set: Vec<u8>,
    pub(crate) head: Arc<Head>,
}

pub(crate) struct Job {
    pub(crate) entry: Admitted,
    pub(crate) reply: oneshot::Sender<Result<Committed, LogError>>,
}

/// Right edge of the tree: `frontier[level]` is the root of the complete subtree at that level
/// not yet combined with a left sibling (present iff bit `level` of the size is set).
#[derive(Clone, Debug, Default)]
pub(crate) struct Frontier(Vec<Option<Sha256Hash>>);

impl Frontier {
    /// Stored indexes of the frontier nodes for a tree of `size` leaves, with their levels.
    pub(crate) fn indexes(size: u64) -> Vec<(usize, u64)> {
        (0..64u32)
            .filter(|l| size >> l & 1 == 1)
            .map(|l| (l as usize, StoredIndex::of(l, (size >> l) - 1).0))
            .collect()
    }

    pub(crate) fn from_levels(levels: &[(usize, Sha256Hash)]) -> Self {
        let mut f = vec![None; 64];
        for (l, h) in levels {
            f[*l] = Some(*h);
        }
        Self(f)
    }

    /// Appends leaf `n` (the current size); returns the hashes to store, leaf first.
    fn append(&mut self, n: u64, leaf: Sha256Hash) -> Vec<Sha256Hash> {
        if self.0.len() < 64 {
            self.0.resize(64, None);
        }
        let mut out = vec![leaf];
        let mut h = leaf;
        let mut level = 0;
        let mut m = n;
        while m & 1 == 1 {
            // Invariant: bit `level` of n set means frontier[level] is present.
            if let Some(left) = self.0[level].take() {
                h = node_hash(&left, &h);
                out.push(h);
            }
            level += 1;
            m >>= 1;
        }
        self.0[level] = Some(h);
        out
    }

    pub(crate) fn root(&self) -> Sha256Hash {
        let mut acc: Option<Sha256Hash> = None;
        for h in self.0.iter().flatten() {
            acc = Some(match acc {
                None => *h,
                Some(right) => node_hash(h, &right),
            });
        }
        acc.unwrap_or_else(signet_tlog::empty_root)
    }
}

pub(crate) struct Sequencer<S: LogStore> {
    pub(crate) store: Arc<S>,
    pub(crate) cache: Arc<crate::service::HashCache<S>>,
    pub(crate) frontier: Frontier,
    pub(crate) size: u64,
    pub(crate) key: Arc<SigningKey>,
    pub(crate) note_signer: Arc<dyn NoteSigner + Send + Sync>,
    pub(crate) origin: String,
    pub(crate) tree_id: u64,
    pub(crate) log_id: Sha256Hash,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) head: Arc<RwLock<Arc<Head>>>,
}

pub(crate) fn sign_head(
    signer: &dyn NoteSigner,
    origin: &str,
    size: u64,
    root: Sha256Hash,
) -> Result<Head, LogError> {
    let cp = Checkpoint {
        origin: origin.to_string(),
        size: TreeSize(size),
        root_hash: root,
        extensions: vec![],
    };
    let checkpoint = sign_note(&cp.to_text(), &[signer])?;
    Ok(Head {
        size,
        root,
        checkpoint,
    })
}

impl<S: LogStore> Sequencer<S> {
    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = rx.recv().await {
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => batch.push(j),
                    Err(_) => break,
                }
            }
            self.integrate(std::mem::take(&mut batch)).await;
        }
    }

    async fn integrate(&mut self, jobs: Vec<Job>) {
        // Duplicates: already stored, or twice in this batch.
        let uuids: Vec<Sha256Hash> = jobs.iter().map(|j| j.entry.uuid).collect();
        let existing = match self.store.find(&uuids).await {
            Ok(e) => e,
            Err(e) => {
                for j in jobs {
                    let _ = j.reply.send(Err(e.clone()));
                }
                return;
            }
        };
        let mut seen: HashSet<Sha256Hash> = HashSet::new();
        let mut accepted = Vec::with_capacity(jobs.len());
        for j in jobs {
            if existing.iter().any(|(u, _)| *u == j.entry.uuid) || !seen.insert(j.entry.uuid) {
                let entry_id = signet_rekor::entry_id(self.tree_id, &j.entry.uuid.to_hex());
                let _ = j.reply.send(Err(LogError::Duplicate { entry_id }));
            } else {
                accepted.push(j);
            }
        }
        if accepted.is_empty() {
            return;
        }

        let now = self.clock.now_unix();
        let mut frontier = self.frontier.clone();
        let mut entries = Vec::with_capacity(accepted.len());
        let mut hashes = Vec::with_capacity(accepted.len() * 2);
        for (i, j) in accepted.iter().enumerate() {
            let n = self.size + i as u64;
            let leaf = j.entry.uuid;
            let start = StoredIndex::count(TreeSize(n));
            for (k, h) in frontier.append(n, leaf).into_iter().enumerate() {
                hashes.push((start + k as u64, h));
            }
            let payload =
                signet_rekor::set_payload(&j.entry.body, now, self.log_id.as_bytes(), n as i64);
            let set = match self.key.sign(&payload) {
                Ok(s) => s,
                Err(e) => {
                    for j in accepted {
                        let _ = j.reply.send(Err(LogError::Internal(e.to_string())));
                    }
                    return;
                }
            };
            entries.push(NewEntry {
                index: n,
                uuid: leaf,
                body: j.entry.body.clone(),
                integrated_time: now,
                set,
                index_keys: j.entry.index_keys.clone(),
            });
        }
        let new_size = self.size + accepted.len() as u64;
        let head = match self.store.append(&entries, &hashes, new_size).await {
            Ok(()) => {
                // Durable. Only now does the in-memory state move forward.
                if let Some((start, _)) = hashes.first() {
                    self.cache.extend(*start, &hashes);
                }
                self.frontier = frontier;
                self.size = new_size;
                match sign_head(
                    self.note_signer.as_ref(),
                    &self.origin,
                    new_size,
                    self.frontier.root(),
                ) {
                    Ok(h) => Arc::new(h),
                    Err(e) => {
                        tracing::error!("checkpoint signing failed: {e}");
                        for j in accepted {
                            let _ = j.reply.send(Err(LogError::Internal(e.to_string())));
                        }
                        return;
                    }
                }
            }
            Err(e) => {
                tracing::error!("batch of {} entries not committed: {e}", entries.len());
                for j in accepted {
                    let _ = j.reply.send(Err(e.clone()));
                }
                return;
            }
        };
        if let Ok(mut h) = self.head.write() {
            *h = head.clone();
        }
        tracing::debug!(
            size = new_size,
            batch = entries.len(),
            "batch integrated, root {}",
            b64::encode(head.root.0)
        );
        for (j, e) in accepted.into_iter().zip(entries) {
            let _ = j.reply.send(Ok(Committed {
                index: e.index,
                integrated_time: now,
                set: e.set,
                head: head.clone(),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_tlog::{MemoryHashStore, Tree, leaf_hash, stored_hashes_for_leaf};

    #[test]
    fn frontier_matches_stored_hash_layout() {
        let mut f = Frontier::default();
        let mut store = MemoryHashStore::new();
        for n in 0..200u64 {
            let leaf = leaf_hash(&n.to_be_bytes());
            let expected = stored_hashes_for_leaf(n, leaf, &store).unwrap();
            assert_eq!(f.append(n, leaf), expected);
            store.extend(expected);
            assert_eq!(f.root(), Tree::new(&store).root(TreeSize(n + 1)).unwrap());
            // Reloading the frontier from stored hashes gives the same state.
            let idx = Frontier::indexes(n + 1);
            let levels: Vec<(usize, Sha256Hash)> = idx
                .iter()
                .map(|(l, i)| {
                    (
                        *l,
                        signet_tlog::HashStore::read_hashes(&store, &[StoredIndex(*i)]).unwrap()[0],
                    )
                })
                .collect();
            assert_eq!(Frontier::from_levels(&levels).root(), f.root());
        }
    }
}
