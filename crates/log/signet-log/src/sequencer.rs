//! The batching sequencer: the only writer. It drains the queue, assigns indexes, extends the
//! Merkle tree, commits the batch in one durable transaction, signs a new checkpoint, and only
//! then answers the writers of that batch.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, RwLock};

use signet_tlog::{Checkpoint, Frontier, NoteSigner, StoredIndex, sign_note};
use signet_types::{Sha256Hash, TreeSize, b64};
use tokio::sync::{mpsc, oneshot};

use crate::LogError;
use crate::clock::Clock;
use crate::signer::{EntrySigner, LogKey};
use crate::store::{LogStore, NewEntry};
use crate::tree::HashCache;

/// Largest batch integrated in one transaction.
pub(crate) const MAX_BATCH: usize = 4096;
/// Queue capacity; a full queue answers 503 (push back) instead of growing without bound.
pub(crate) const QUEUE: usize = 65_536;

/// The latest integrated tree, with its signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// Leaves in the tree.
    pub size: u64,
    /// Its root hash.
    pub root: Sha256Hash,
    /// The signed checkpoint (note) of this tree.
    pub checkpoint: String,
}

/// An entry to append: its bytes, its leaf hash and the search-index keys stored with it.
#[derive(Clone, Debug)]
pub struct LeafEntry {
    /// The entry's bytes (the Merkle leaf).
    pub body: Vec<u8>,
    /// `SHA-256(0x00 || body)`.
    pub leaf_hash: Sha256Hash,
    /// Search-index keys (Rekor: digests, key hashes, identities); none for a CT leaf.
    pub index_keys: Vec<String>,
}

/// What a writer gets back once its batch is durable.
#[derive(Clone, Debug)]
pub struct Committed {
    /// The entry's leaf index.
    pub index: u64,
    /// When it was integrated (Unix seconds).
    pub integrated_time: i64,
    /// What the personality's [`EntrySigner`] signed for this entry (stored with it).
    pub signature: Vec<u8>,
    /// The first tree that holds it.
    pub head: Arc<Head>,
}

pub(crate) struct Job {
    pub(crate) entry: LeafEntry,
    pub(crate) reply: oneshot::Sender<Result<Committed, LogError>>,
}

/// Leaf hashes remembered for duplicate detection besides the store: the in-flight and the
/// prepared batch (not yet in the store, never evicted: the window must exceed two batches)
/// and the most recently committed leaves.
const RECENT: usize = 65_536;

/// How long, after a batch met an already stored leaf, every batch is checked against the store
/// before it is committed. Outside such a period the store's unique index is the check (free:
/// the insert looks the leaf up anyway), so a replayed old entry costs at most one re-prepared
/// pair of batches per period, and replays inside it are refused by the batched lookup.
pub(crate) const GUARD_MS: u64 = 10_000;

/// What a commit hands back: its outcome (the signed head of the new tree), and the entries and
/// hashes it stored.
type Done = (
    Result<Arc<Head>, LogError>,
    Vec<NewEntry>,
    Vec<(u64, Sha256Hash)>,
);

/// Entries prepared on top of the speculative tree, committed together in one transaction.
struct Batch {
    /// Where to answer each writer, in the order of `entries` (the commit hands the entries
    /// back, with their indexes, times and SETs, for the answers).
    replies: Vec<oneshot::Sender<Result<Committed, LogError>>>,
    entries: Vec<NewEntry>,
    hashes: Vec<(u64, Sha256Hash)>,
    /// Tree size and frontier once this batch is integrated.
    new_size: u64,
    frontier: Frontier,
}

impl Batch {
    fn empty(size: u64, frontier: Frontier) -> Self {
        Self {
            replies: Vec::new(),
            entries: Vec::new(),
            hashes: Vec::new(),
            new_size: size,
            frontier,
        }
    }

    fn fail(self, e: &LogError) {
        for reply in self.replies {
            let _ = reply.send(Err(e.clone()));
        }
    }
}

type Commit = std::pin::Pin<Box<dyn std::future::Future<Output = Done> + Send>>;

pub(crate) struct Sequencer<S: LogStore> {
    pub(crate) store: Arc<S>,
    pub(crate) cache: Arc<HashCache<S>>,
    pub(crate) frontier: Frontier,
    pub(crate) size: u64,
    pub(crate) key: Arc<LogKey>,
    /// What the personality signs for each entry.
    pub(crate) signer: Arc<dyn EntrySigner>,
    pub(crate) note_signer: Arc<dyn NoteSigner + Send + Sync>,
    pub(crate) origin: String,
    pub(crate) tree_id: u64,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) head: Arc<RwLock<Arc<Head>>>,
    /// Leaf hashes of the last [`RECENT`] leaves, including the in-flight and the prepared
    /// batch; `recent_order` holds the same leaves in index order.
    pub(crate) recent: HashSet<Sha256Hash>,
    pub(crate) recent_order: VecDeque<Sha256Hash>,
    /// Until when (clock milliseconds) batches are checked against the store before commit.
    pub(crate) guard_until: u64,
    /// Where the latest durable checkpoint goes to be recorded outside the store (and to wake
    /// writers waiting for their entry on another node's sequencer).
    pub(crate) recorder: Arc<tokio::sync::watch::Sender<String>>,
    /// The lease epoch of a multi-node (PostgreSQL) sequencer: every commit is fenced by it.
    /// None for the embedded store (one node; nothing to fence).
    pub(crate) epoch: Option<i64>,
    /// Set once a commit was refused by the fence: the sequencer stops.
    pub(crate) fenced: bool,
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
    /// Pipelined group commit: while one batch is being made durable, arriving jobs are
    /// admitted onto the speculative tree (duplicate check, index, frontier, SET), so the next
    /// commit starts the moment the previous one returns. Writers are answered only after
    /// their own batch is durable; if a commit fails, the batch prepared on top of it fails too.
    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut next = Batch::empty(self.size, self.frontier.clone());
        let mut inflight: Option<(Commit, Batch)> = None;
        let mut open = true;
        crate::metric::committed(&self.origin, 0, self.size);
        loop {
            if self.fenced {
                break;
            }
            if inflight.is_none() && !next.replies.is_empty() {
                let fresh = Batch::empty(next.new_size, next.frontier.clone());
                let batch = std::mem::replace(&mut next, fresh);
                inflight = Some(self.commit(batch));
            }
            tokio::select! {
                biased;
                done = async {
                    match inflight.as_mut() {
                        Some((f, _)) => f.await,
                        None => std::future::pending().await,
                    }
                }, if inflight.is_some() => {
                    if let Some((_, batch)) = inflight.take() {
                        self.finish(batch, done, &mut next).await;
                    }
                }
                job = rx.recv(), if open && next.replies.len() < MAX_BATCH => match job {
                    Some(first) => {
                        let mut jobs = vec![first];
                        while next.replies.len().saturating_add(jobs.len()) < MAX_BATCH {
                            match rx.try_recv() {
                                Ok(j) => jobs.push(j),
                                Err(_) => break,
                            }
                        }
                        self.prepare(jobs, &mut next).await;
                    }
                    None => open = false,
                },
                else => break,
            }
        }
        // Fenced (another node leads now): whatever is still queued here is refused with the
        // fence's error, so its writers hand it to the new leader.
        rx.close();
        let e = LogError::Fenced("this node is no longer the log's sequencer".into());
        next.fail(&e);
        while let Ok(j) = rx.try_recv() {
            let _ = j.reply.send(Err(e.clone()));
        }
    }

    fn duplicate(&self, leaf: &Sha256Hash) -> LogError {
        LogError::Duplicate {
            entry_id: signet_rekor::entry_id(self.tree_id, &leaf.to_hex()),
        }
    }

    fn guard(&mut self) {
        self.guard_until = self.clock.now_millis().saturating_add(GUARD_MS);
    }

    fn remember(&mut self, uuid: Sha256Hash) {
        self.recent.insert(uuid);
        self.recent_order.push_back(uuid);
    }

    /// Drops remembered leaves at or above `size` (a failed commit and what was built on it).
    fn forget_from(&mut self, size: u64, spec_size: u64) {
        let drop = spec_size.saturating_sub(size);
        for _ in 0..drop {
            if let Some(u) = self.recent_order.pop_back() {
                self.recent.remove(&u);
            }
        }
    }

    /// Admits jobs onto `next`: rejects duplicates, assigns indexes, extends the speculative
    /// frontier and signs the entry timestamps.
    async fn prepare(&mut self, jobs: Vec<Job>, next: &mut Batch) {
        // Duplicates: remembered leaves (queued, in flight, prepared or recently committed) are
        // refused here; older ones by the store's unique index at commit, or, while guarded, by
        // one batched store lookup of the leaves not remembered.
        let unknown: Vec<Sha256Hash> = if self.clock.now_millis() < self.guard_until {
            jobs.iter()
                .map(|j| j.entry.leaf_hash)
                .filter(|u| !self.recent.contains(u))
                .collect()
        } else {
            Vec::new()
        };
        let stored = if unknown.is_empty() {
            Vec::new()
        } else {
            match self.store.find(&unknown).await {
                Ok(s) => s,
                Err(e) => {
                    for j in jobs {
                        let _ = j.reply.send(Err(e.clone()));
                    }
                    return;
                }
            }
        };
        if !stored.is_empty() {
            self.guard();
        }
        let now = self.clock.now_unix();
        for j in jobs {
            let leaf = j.entry.leaf_hash;
            if self.recent.contains(&leaf) || stored.iter().any(|(u, _)| *u == leaf) {
                let _ = j.reply.send(Err(self.duplicate(&leaf)));
                continue;
            }
            let n = next.new_size;
            let Some(new_size) = n.checked_add(1) else {
                let _ = j
                    .reply
                    .send(Err(LogError::Internal("the log is full".into())));
                continue;
            };
            // Sign before touching the frontier: a failure then leaves the batch as it was.
            let set = match self.signer.sign_entry(&self.key, &j.entry.body, n, now) {
                Ok(s) => s,
                Err(e) => {
                    let _ = j.reply.send(Err(e));
                    continue;
                }
            };
            let start = StoredIndex::count(TreeSize(n));
            let new = match next.frontier.append(leaf) {
                Ok(h) => h,
                Err(e) => {
                    let _ = j.reply.send(Err(LogError::Internal(e.to_string())));
                    continue;
                }
            };
            for (k, h) in (0u64..).zip(new) {
                // `append` took leaf n, so n < 2^63: stored indexes (below 2n + 1) fit in u64.
                #[allow(clippy::arithmetic_side_effects)]
                next.hashes.push((start + k, h));
            }
            self.remember(leaf);
            next.new_size = new_size;
            next.replies.push(j.reply);
            next.entries.push(NewEntry {
                index: n,
                uuid: leaf,
                body: j.entry.body,
                integrated_time: now,
                set,
                index_keys: j.entry.index_keys,
            });
        }
    }

    fn commit(&self, mut batch: Batch) -> (Commit, Batch) {
        let store = self.store.clone();
        let entries = std::mem::take(&mut batch.entries);
        let hashes = std::mem::take(&mut batch.hashes);
        let new_size = batch.new_size;
        // The checkpoint of the new tree is signed before the commit, so a multi-node store
        // publishes it in the same transaction (it is never shown before the tree is durable).
        let head = sign_head(
            self.note_signer.as_ref(),
            &self.origin,
            new_size,
            batch.frontier.root(),
        )
        .map(Arc::new);
        let epoch = self.epoch;
        let log = self.origin.clone();
        let fut: Commit = Box::pin(async move {
            let started = std::time::Instant::now();
            let batch_len = entries.len();
            let r = match head {
                Err(e) => Err(e),
                Ok(head) => match (epoch, store.as_pg()) {
                    (Some(epoch), Some(pg)) => pg
                        .append_fenced(&entries, &hashes, new_size, epoch, &head.checkpoint)
                        .await
                        .map(|()| head),
                    _ => store
                        .append(&entries, &hashes, new_size)
                        .await
                        .map(|()| head),
                },
            };
            let took = started.elapsed().as_secs_f64();
            metrics::histogram!(crate::metric::COMMIT_SECONDS, "log" => log.clone()).record(took);
            metrics::histogram!(crate::metric::BATCH_SIZE, "log" => log).record(batch_len as f64);
            (r, entries, hashes)
        });
        (fut, batch)
    }

    /// A commit returned: on success move the durable state forward, sign the new checkpoint
    /// and answer the batch's writers. If the store met leaves it already had, those writers get
    /// [`LogError::Duplicate`] and every other entry of the batch and of the one prepared on it
    /// is prepared again on the durable tree; on any other failure, both batches get the error.
    async fn finish(&mut self, batch: Batch, done: Done, next: &mut Batch) {
        let (result, entries, hashes) = done;
        let head = match result {
            Ok(head) => head,
            Err(e) => {
                self.failed(batch, e, entries, next).await;
                return;
            }
        };
        self.integrated(batch, head, entries, hashes);
    }

    /// A commit failed: see [`Sequencer::finish`].
    async fn failed(
        &mut self,
        batch: Batch,
        e: LogError,
        entries: Vec<NewEntry>,
        next: &mut Batch,
    ) {
        self.forget_from(self.size, next.new_size);
        let prepared = std::mem::replace(next, Batch::empty(self.size, self.frontier.clone()));
        // Only leaves of this batch can be already stored; anything else is a store fault
        // (and preparing the same batch again would only meet it again).
        if let LogError::AlreadyStored(stored) = &e
            && entries.iter().any(|n| stored.contains(&n.uuid))
        {
            tracing::debug!(
                "{} leaves already stored; preparing the rest again",
                stored.len()
            );
            self.guard();
            let mut jobs = Vec::new();
            let all = batch
                .replies
                .into_iter()
                .zip(entries)
                .chain(prepared.replies.into_iter().zip(prepared.entries));
            for (reply, e) in all {
                if stored.contains(&e.uuid) {
                    let _ = reply.send(Err(self.duplicate(&e.uuid)));
                } else {
                    let entry = LeafEntry {
                        body: e.body,
                        leaf_hash: e.uuid,
                        index_keys: e.index_keys,
                    };
                    jobs.push(Job { entry, reply });
                }
            }
            self.prepare(jobs, next).await;
            return;
        }
        if matches!(e, LogError::Fenced(_)) {
            tracing::warn!(
                "batch of {} entries refused by the fence: {e}",
                entries.len()
            );
            self.fenced = true;
        } else {
            tracing::error!("batch of {} entries not committed: {e}", entries.len());
        }
        batch.fail(&e);
        prepared.fail(&e);
    }

    /// A commit is durable: move the committed state forward, publish the head and answer the
    /// batch's writers.
    fn integrated(
        &mut self,
        batch: Batch,
        head: Arc<Head>,
        entries: Vec<NewEntry>,
        hashes: Vec<(u64, Sha256Hash)>,
    ) {
        // Durable. Only now does the committed state move forward.
        if let Some((start, _)) = hashes.first() {
            self.cache.extend(*start, &hashes);
        }
        self.frontier = batch.frontier.clone();
        self.size = batch.new_size;
        while self.recent_order.len() > RECENT {
            if let Some(u) = self.recent_order.pop_front() {
                self.recent.remove(&u);
            }
        }
        if let Ok(mut h) = self.head.write() {
            *h = head.clone();
        }
        // The tree is durable: record its checkpoint outside the store (a separate task writes
        // the latest one; failures are logged there).
        let _ = self.recorder.send(head.checkpoint.clone());
        crate::metric::committed(&self.origin, entries.len(), self.size);
        tracing::debug!(
            size = self.size,
            batch = entries.len(),
            "batch integrated, root {}",
            b64::encode(head.root.0)
        );
        for (reply, e) in batch.replies.into_iter().zip(entries) {
            let _ = reply.send(Ok(Committed {
                index: e.index,
                integrated_time: e.integrated_time,
                signature: e.set,
                head: head.clone(),
            }));
        }
    }
}
