//! The batching sequencer: the only writer. It drains the queue, assigns indexes, extends the
//! Merkle tree, commits the batch in one durable transaction, signs a new checkpoint, and only
//! then answers the writers of that batch.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use signet_crypto::SigningKey;
use signet_tlog::{Checkpoint, Frontier, NoteSigner, StoredIndex, sign_note};
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
    pub(crate) sign_entries: bool,
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
            let new = match frontier.append(leaf) {
                Ok(h) => h,
                Err(e) => {
                    for j in accepted {
                        let _ = j.reply.send(Err(LogError::Internal(e.to_string())));
                    }
                    return;
                }
            };
            for (k, h) in new.into_iter().enumerate() {
                hashes.push((start + k as u64, h));
            }
            let payload =
                signet_rekor::set_payload(&j.entry.body, now, self.log_id.as_bytes(), n as i64);
            let signed = if self.sign_entries {
                self.key.sign(&payload)
            } else {
                Ok(Vec::new())
            };
            let set = match signed {
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
