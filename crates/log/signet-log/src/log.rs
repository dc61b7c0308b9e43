//! The generic append-only log: entries in; index, integration time, what the personality
//! signs per entry, inclusion and consistency proofs and signed checkpoints out. It knows no
//! entry format: a personality (the Rekor v1 API in [`crate::TransparencyLog`], the CT log in
//! `signet-ct`) renders entries and answers its own API on top.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use signet_crypto::SigningKey;
use signet_tlog::EcdsaNoteSigner;
use signet_types::{LogIndex, Sha256Hash, TreeSize};
use tokio::sync::{mpsc, oneshot, watch};

use crate::LogError;
use crate::clock::Clock;
use crate::files::{
    CHECKPOINT_FILE, KEY_FILE, META_INDEX_OFFSET, META_KEY_ID, check_recorded, load_or_create_key,
    read_recorded, record_checkpoints, write_private,
};
use crate::sequencer::{Committed, Head, Job, LeafEntry, QUEUE, Sequencer, sign_head};
use crate::signer::{EntrySigner, LogKey};
use crate::store::{LogStore, StoredEntry};
use crate::tree::{HashCache, with_tree};

/// Log settings.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// Host name: the checkpoint key name and the first part of the origin `<host> - <treeID>`.
    pub host: String,
    /// Stored hashes kept in memory (32 bytes each; a log of n entries has about 2n).
    pub hash_cache: usize,
    /// Recent entries kept in memory for reads (about 1–2 KiB each), by the Rekor personality.
    pub entry_cache: usize,
    /// Where this tree starts in a sharded log's global ("virtual") index: the sum of the
    /// sizes of the earlier, frozen shards (0 for a log that was never sharded). Leaf `i` of
    /// this tree is entry `index_offset + i` of the log. Recorded in the store when the tree
    /// is created; opening a tree with another offset is refused.
    pub index_offset: u64,
    /// How checkpoints name the log (Rekor v1's `<host> - <treeID>`, or the host alone).
    pub origin: OriginStyle,
    /// The log's key when it is held outside the data directory (an HSM): used instead of
    /// `log.key`, which is then neither read nor created. `None`: the key file.
    pub key: Option<SigningKey>,
}

/// How a log's checkpoints name it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OriginStyle {
    /// Rekor v1: origin `<host> - <treeID>`, key name `<host>`.
    #[default]
    HostAndTreeId,
    /// C2SP tlog-checkpoint as Rekor v2 (rekor-tiles) writes it: origin and key name are both
    /// the host (no spaces, no `+`).
    Host,
}

impl LogConfig {
    /// Defaults: host as given, 8 Mi cached hashes (256 MiB, about 4 M entries), 64 Ki cached
    /// entries (under 128 MiB).
    pub fn new(host: &str) -> Self {
        Self {
            host: host.to_string(),
            hash_cache: 8 << 20,
            entry_cache: 65_536,
            index_offset: 0,
            origin: OriginStyle::HostAndTreeId,
            key: None,
        }
    }

    /// The same settings with the log's key held outside the data directory (see
    /// [`LogConfig::key`]).
    pub fn with_key(mut self, key: Option<SigningKey>) -> Self {
        self.key = key;
        self
    }

    /// The same settings for a shard whose leaf 0 is global index `offset` (see
    /// [`LogConfig::index_offset`]).
    pub fn with_index_offset(mut self, offset: u64) -> Self {
        self.index_offset = offset;
        self
    }
}

/// Where an appended leaf landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppendedLeaf {
    /// Leaf index.
    pub index: u64,
    /// `SHA-256(0x00 || leaf)`.
    pub leaf_hash: Sha256Hash,
    /// Size of the tree it was integrated into.
    pub tree_size: u64,
    /// Root of that tree.
    pub root: Sha256Hash,
}

/// A running append-only Merkle log.
pub struct AppendLog<S: LogStore> {
    store: Arc<S>,
    hashes: Arc<HashCache<S>>,
    key: Arc<LogKey>,
    tree_id: u64,
    created: i64,
    index_offset: u64,
    /// Set when the tree became an inactive shard: it takes no new entries.
    frozen: Arc<AtomicBool>,
    head: Arc<RwLock<Arc<Head>>>,
    /// The local sequencer's queue: always there for the embedded store; on PostgreSQL only
    /// while this node holds the log's lease (see [`crate::node`]).
    queue: Queue,
    /// Set once the sequencer task has ended, with why (see [`AppendLog::sequencer_stopped`]).
    stopped: watch::Receiver<Option<String>>,
    /// Dropped with the log: ends a multi-node coordinator, which then gives up its lease.
    /// Sent to ([`AppendLog::release_lease`]): the coordinator steps down for good, then
    /// notifies `retired`.
    stop: watch::Sender<()>,
    retired: Arc<tokio::sync::Notify>,
    /// On PostgreSQL: where writes go while another node is the sequencer (see
    /// [`crate::node::outbox`]).
    outbox: Option<mpsc::Sender<crate::node::Waiter>>,
}

/// The local sequencer's queue, if this node runs one.
pub(crate) type Queue = Arc<RwLock<Option<mpsc::Sender<Job>>>>;

/// What starting a sequencer needs, kept to start one again at each takeover of a multi-node
/// log.
pub(crate) struct Parts<S: LogStore> {
    pub(crate) store: Arc<S>,
    pub(crate) cache: Arc<HashCache<S>>,
    pub(crate) key: Arc<LogKey>,
    pub(crate) signer: Arc<dyn EntrySigner>,
    pub(crate) note_signer: Arc<dyn signet_tlog::NoteSigner + Send + Sync>,
    pub(crate) origin: String,
    pub(crate) tree_id: u64,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) head: Arc<RwLock<Arc<Head>>>,
    pub(crate) recorder: Arc<watch::Sender<String>>,
    pub(crate) queue: Queue,
    pub(crate) frozen: Arc<AtomicBool>,
}

impl<S: LogStore> Parts<S> {
    /// A sequencer continuing the durable tree of `size` leaves (fenced by `epoch` if given).
    pub(crate) fn sequencer(
        &self,
        size: u64,
        frontier: signet_tlog::Frontier,
        epoch: Option<i64>,
    ) -> Sequencer<S> {
        Sequencer {
            store: self.store.clone(),
            cache: self.cache.clone(),
            frontier,
            size,
            key: self.key.clone(),
            signer: self.signer.clone(),
            note_signer: self.note_signer.clone(),
            origin: self.origin.clone(),
            tree_id: self.tree_id,
            clock: self.clock.clone(),
            head: self.head.clone(),
            recent: Default::default(),
            recent_order: Default::default(),
            // A new leader checks its first batches against the store (the previous leader's
            // recent leaves are not remembered here).
            guard_until: if epoch.is_some() {
                self.clock
                    .now_millis()
                    .saturating_add(crate::sequencer::GUARD_MS)
            } else {
                0
            },
            recorder: self.recorder.clone(),
            epoch,
            fenced: false,
        }
    }

    /// The head now served.
    pub(crate) fn head(&self) -> Arc<Head> {
        read_head(&self.head)
    }

    /// Serves `head` from now on (never a smaller tree than the one served).
    pub(crate) fn publish(&self, head: Arc<Head>) {
        if let Ok(mut h) = self.head.write() {
            if head.size < h.size {
                return;
            }
            *h = head.clone();
        }
        let _ = self.recorder.send(head.checkpoint.clone());
    }
}

/// A node that made a new key for a log another node (sharing the database) created under its
/// own: the new key is of no use (and would be refused at the next start), so it is removed.
fn created_elsewhere(data_dir: &Path, key_path: &Path) -> LogError {
    let _ = std::fs::remove_file(key_path);
    LogError::Refused(format!(
        "another node created the log of {} in the database (at the same time), with its own \
         new key; this node's new {} was removed. Give every node a copy of one initialised \
         data directory (`signet init` once, then copy it) and start this node again",
        data_dir.display(),
        key_path.display()
    ))
}

fn read_head(head: &RwLock<Arc<Head>>) -> Arc<Head> {
    head.read()
        .map(|h| h.clone())
        .unwrap_or_else(|p| p.into_inner().clone())
}

impl<S: LogStore> AppendLog<S> {
    /// Opens the log in `data_dir` (key in `data_dir/log.key`, created on first start) and
    /// starts the sequencer on the current tokio runtime; `signer` is what the personality
    /// signs for each entry. `config.entry_cache` is the personality's: the core caches no
    /// entries.
    pub async fn open(
        store: S,
        data_dir: &Path,
        config: &LogConfig,
        clock: Arc<dyn Clock>,
        signer: Arc<dyn EntrySigner>,
    ) -> Result<Self, LogError> {
        let key_path = data_dir.join(KEY_FILE);
        let cp_path = data_dir.join(CHECKPOINT_FILE);
        let key_existed = key_path.exists();
        if config.key.is_none() && !key_existed && store.meta("tree_id").await?.is_some() {
            return Err(LogError::Refused(format!(
                "the log store in {} holds a log, but there is no {}: its key is held outside \
                 the data directory (an HSM: give the key's pkcs11: URI) or was lost",
                data_dir.display(),
                key_path.display()
            )));
        }
        let key = Arc::new(LogKey::new(match &config.key {
            Some(k) => k.clone(),
            None => load_or_create_key(&key_path)?,
        }));
        let key_id = key.id().to_hex();
        let recorded = read_recorded(&cp_path)?;
        let store = Arc::new(store);
        let tree_id = match store.meta("tree_id").await? {
            Some(t) => t
                .parse::<u64>()
                .map_err(|e| LogError::Storage(format!("tree_id: {e}")))?,
            None => {
                if key_existed || recorded.is_some() {
                    let why = if recorded.is_some() {
                        cp_path.display().to_string()
                    } else {
                        key_path.display().to_string()
                    };
                    return Err(LogError::Refused(format!(
                        "the log store in {} (log.sqlite) is empty or missing, but {why} shows \
                         the log existed: its entries were lost (database deleted, truncated or \
                         replaced). Restore log.sqlite from a backup; starting an empty tree \
                         under the old key would fork the log. Only for a brand-new log, remove \
                         {} and {} too",
                        data_dir.display(),
                        key_path.display(),
                        cp_path.display()
                    )));
                }
                let id = rand::random::<u64>() >> 1;
                let (created, offset, tree) = (
                    clock.now_unix().to_string(),
                    config.index_offset.to_string(),
                    id.to_string(),
                );
                let values = [
                    (META_KEY_ID, key_id.as_str()),
                    ("created", created.as_str()),
                    (META_INDEX_OFFSET, offset.as_str()),
                    ("tree_id", tree.as_str()),
                ];
                if !store.create_meta("tree_id", &values).await? {
                    return Err(created_elsewhere(data_dir, &key_path));
                }
                id
            }
        };
        // When the log (and its key) came into service: the start of its validity window in
        // trusted roots. Logs created before this field existed fall back to the epoch.
        let created = store
            .meta("created")
            .await?
            .and_then(|c| c.parse::<i64>().ok())
            .unwrap_or(0);
        match store.meta(META_KEY_ID).await? {
            Some(k) if k != key_id && !key_existed && store.as_pg().is_some() => {
                return Err(created_elsewhere(data_dir, &key_path));
            }
            Some(k) if k != key_id => {
                let (which, fix) = match config.key {
                    Some(_) => (
                        "the configured (HSM) log key".to_string(),
                        "Configure the original key".to_string(),
                    ),
                    None => (
                        key_path.display().to_string(),
                        format!("Restore the original {}", key_path.display()),
                    ),
                };
                return Err(LogError::Refused(format!(
                    "{which} is not the key this log was created with (key ID recorded in the \
                     store: {k}; {which}: {key_id}); signing with it would split the log under \
                     two keys. {fix}"
                )));
            }
            Some(_) => {}
            // Logs created before the key ID was recorded: record it now.
            None => store.set_meta(META_KEY_ID, &key_id).await?,
        }
        let size = store.size().await?;
        check_index_offset(store.as_ref(), data_dir, config.index_offset, size).await?;
        let idx: Vec<u64> = signet_tlog::Frontier::stored_indexes(TreeSize(size))
            .iter()
            .map(|i| i.0)
            .collect();
        let frontier =
            signet_tlog::Frontier::from_hashes(TreeSize(size), store.read_hashes(&idx).await?)?;
        let (origin, origin_suffix) = match config.origin {
            OriginStyle::HostAndTreeId => (
                format!("{} - {tree_id}", config.host),
                format!(" - {tree_id}"),
            ),
            // The key alone ties a recorded C2SP checkpoint to the tree (its origin is the
            // host, which a new public URL may change).
            OriginStyle::Host => (config.host.clone(), String::new()),
        };
        let note_signer: Arc<dyn signet_tlog::NoteSigner + Send + Sync> = Arc::new(
            EcdsaNoteSigner::new(&config.host, key.signing_key().clone())?,
        );
        // The stored tree must be self-consistent: its root from the frontier must equal the
        // root recomputed from stored hashes (catches a torn or foreign database early).
        let root = frontier.root();
        let hashes = Arc::new(HashCache::load(store.clone(), size, config.hash_cache).await?);
        if size > 0 {
            let recomputed = with_tree(hashes.as_ref(), |t| t.root(TreeSize(size))).await?;
            if recomputed != root {
                return Err(LogError::Storage(format!(
                    "stored tree of size {size} is inconsistent"
                )));
            }
        }
        if let Some(text) = &recorded {
            check_recorded(
                text,
                &cp_path,
                key.signing_key(),
                &origin_suffix,
                size,
                hashes.as_ref(),
            )
            .await?;
        }
        let initial = Arc::new(sign_head(note_signer.as_ref(), &origin, size, root)?);
        write_private(&cp_path, initial.checkpoint.as_bytes())
            .map_err(|e| LogError::Storage(format!("{}: {e}", cp_path.display())))?;
        let (recorder, recorder_rx) = watch::channel(initial.checkpoint.clone());
        tokio::spawn(record_checkpoints(cp_path, recorder_rx));
        let head = Arc::new(RwLock::new(initial));
        let frozen = Arc::new(AtomicBool::new(false));
        let parts = Arc::new(Parts {
            store: store.clone(),
            cache: hashes.clone(),
            key: key.clone(),
            signer,
            note_signer,
            origin,
            tree_id,
            clock,
            head: head.clone(),
            recorder: Arc::new(recorder),
            queue: Arc::new(RwLock::new(None)),
            frozen: frozen.clone(),
        });
        let (stop, stop_rx) = watch::channel(());
        let outbox = store.as_pg().map(|_| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(crate::node::outbox(parts.clone(), rx));
            tx
        });
        let retired = Arc::new(tokio::sync::Notify::new());
        let task = if store.as_pg().is_some() {
            // Many nodes may share this log: a coordinator takes the lease and runs the
            // sequencer while it holds it.
            tokio::spawn(crate::node::coordinate(
                parts.clone(),
                stop_rx,
                retired.clone(),
            ))
        } else {
            let (tx, rx) = mpsc::channel(QUEUE);
            if let Ok(mut q) = parts.queue.write() {
                *q = Some(tx);
            }
            tokio::spawn(parts.sequencer(size, frontier, None).run(rx))
        };
        let (stop_tx, stopped) = watch::channel(None);
        tokio::spawn(async move {
            let why = match task.await {
                // Only when the queue closed, that is when the log itself was dropped.
                Ok(()) => "it returned".to_string(),
                Err(e) => e.to_string(),
            };
            let _ = stop_tx.send(Some(why));
        });
        Ok(Self {
            store,
            hashes,
            key,
            tree_id,
            created,
            index_offset: config.index_offset,
            frozen,
            head,
            queue: parts.queue.clone(),
            stopped,
            stop,
            retired,
            outbox,
        })
    }

    /// Resolves once the sequencer, the log's only writer, has ended (panicked, or was
    /// cancelled with its runtime), with why. While the log is open it never should: after it,
    /// every write is refused while reads go on, so a server treats this as fatal and exits for
    /// its supervisor to restart it. The future owns what it needs (it can outlive `self`).
    pub fn sequencer_stopped(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        let mut stopped = self.stopped.clone();
        async move {
            match stopped.wait_for(Option::is_some).await {
                Ok(why) => why.clone().unwrap_or_default(),
                Err(_) => "its watcher was cancelled".to_string(),
            }
        }
    }

    /// On a multi-node database: this node stops leading the log for good (a clean shutdown):
    /// its sequencer's queue closes (batches in flight settle, or are fenced and their entries
    /// queued for the next leader), the lease is given up, and another node takes over at
    /// once instead of when the lease expires. The node goes on as a follower: reads and
    /// writes are still served (writes through the next leader). Completes once the lease is
    /// given up; with the embedded store, at once. The future owns what it needs (it can
    /// outlive `self`).
    pub fn release_lease(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let pg = self.store.as_pg().is_some();
        let (stop, retired) = (self.stop.clone(), self.retired.clone());
        async move {
            if pg && stop.send(()).is_ok() {
                retired.notified().await;
            }
        }
    }

    /// Whether the log can take writes, for a readiness check: the sequencer is running, the
    /// log key signs (a probe message, verified with its public key) and the store commits a
    /// write (the `readiness_probe` metadata row, written again each time). Reads nothing else
    /// and touches no entry.
    pub async fn probe(&self) -> Result<(), LogError> {
        if let Some(why) = self.stopped.borrow().as_ref() {
            return Err(LogError::Internal(format!("sequencer stopped: {why}")));
        }
        let probe = b"signet readiness probe";
        let key = self.key.signing_key();
        key.sign(probe)
            .map_err(|e| e.to_string())
            .and_then(|sig| {
                key.public_key()
                    .verify(probe, &sig)
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| LogError::Internal(format!("log key unusable: {e}")))?;
        self.store.set_meta("readiness_probe", "ok").await
    }

    /// The latest integrated tree and its signed checkpoint.
    pub fn head(&self) -> Arc<Head> {
        read_head(&self.head)
    }

    /// Whether this node runs the log's sequencer now (always for the embedded store; on
    /// PostgreSQL while it holds the log's lease).
    pub fn is_sequencer(&self) -> bool {
        self.queue.read().map(|q| q.is_some()).unwrap_or(false)
    }

    /// The current signed tree head: (size, root hash, checkpoint note).
    pub fn head_state(&self) -> (u64, Sha256Hash, String) {
        let h = self.head();
        (h.size, h.root, h.checkpoint.clone())
    }

    /// The log's key (to sign application structures such as CT tree heads) and its log ID.
    pub fn key(&self) -> &LogKey {
        &self.key
    }

    /// The log's signing key.
    pub fn signing_key(&self) -> &SigningKey {
        self.key.signing_key()
    }

    /// The log's public key.
    pub fn public_key(&self) -> &signet_crypto::PublicKey {
        self.key.signing_key().public_key()
    }

    /// When the log was created (Unix seconds).
    pub fn created(&self) -> i64 {
        self.created
    }

    /// Tree ID.
    pub fn tree_id(&self) -> u64 {
        self.tree_id
    }

    /// Global index of this tree's leaf 0 (see [`LogConfig::index_offset`]).
    pub fn index_offset(&self) -> u64 {
        self.index_offset
    }

    /// Freezes the tree for good (in this process): it becomes an inactive shard, read-only,
    /// and every later append is refused.
    pub(crate) fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    /// Whether the tree is an inactive shard that takes no new entries.
    pub fn is_frozen(&self) -> bool {
        self.frozen.load(Ordering::SeqCst)
    }

    /// Stored hashes at the given stored indexes (through the memory cache), in order.
    pub async fn stored_hashes(&self, indexes: &[u64]) -> Result<Vec<Sha256Hash>, LogError> {
        use crate::tree::HashSource;
        self.hashes.read(indexes).await
    }

    /// The store underneath (reads only: every write goes through the sequencer).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Queues an entry for the sequencer and waits until it is durable and integrated (a full
    /// queue is [`LogError::Overloaded`]: push back instead of growing). An entry already in
    /// the log is a [`LogError::Duplicate`]; a frozen tree (an inactive shard) refuses every
    /// entry ([`LogError::Internal`]: the caller should never have sent it there).
    pub async fn append(&self, entry: LeafEntry) -> Result<Committed, LogError> {
        if self.is_frozen() {
            return Err(LogError::Internal(format!(
                "tree {} is an inactive shard of the log: it takes no new entries",
                self.tree_id
            )));
        }
        let Some(outbox) = &self.outbox else {
            return self.append_here(entry).await;
        };
        // Shared by many nodes: through this node's sequencer while it leads; otherwise, or if
        // it stops leading before the batch is durable, through the database's queue.
        let local = self.queue.read().map(|q| q.is_some()).unwrap_or(false);
        if local {
            match self.append_here(entry.clone()).await {
                Err(LogError::Fenced(_)) => {}
                r => return r,
            }
        }
        let (reply, rx) = oneshot::channel();
        outbox
            .try_send(crate::node::Waiter { entry, reply })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => LogError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => {
                    LogError::Unavailable("the log's outbox is closed".into())
                }
            })?;
        rx.await
            .map_err(|_| LogError::Unavailable("the log's outbox dropped the request".into()))?
    }

    /// Through this node's sequencer.
    async fn append_here(&self, entry: LeafEntry) -> Result<Committed, LogError> {
        // On a shared log a sequencer that stopped is one that stepped down: the writer's entry
        // goes to the new leader (the fence's error says so).
        let stopped = |why: &str| match self.store.as_pg() {
            Some(_) => LogError::Fenced(format!("this node's sequencer {why}")),
            None => LogError::Internal(format!("sequencer {why}")),
        };
        let (reply, rx) = oneshot::channel();
        let queue = self.queue.read().ok().and_then(|q| q.clone());
        let Some(queue) = queue else {
            return Err(stopped("stopped"));
        };
        queue.try_send(Job { entry, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => LogError::Overloaded,
            mpsc::error::TrySendError::Closed(_) => stopped("stopped"),
        })?;
        rx.await.map_err(|_| stopped("dropped the request"))?
    }

    /// Appends an application-defined leaf (for example an RFC 6962 `MerkleTreeLeaf` of the CT
    /// log): its leaf hash is `SHA-256(0x00 || leaf)`. Returns once the leaf is durable and
    /// integrated, with its index and the head it was integrated into. A leaf already in the
    /// log is a [`LogError::Duplicate`].
    pub async fn append_leaf(
        &self,
        leaf: Vec<u8>,
        index_keys: Vec<String>,
    ) -> Result<AppendedLeaf, LogError> {
        let leaf_hash = signet_tlog::leaf_hash(&leaf);
        let c = self
            .append(LeafEntry {
                body: leaf,
                leaf_hash,
                index_keys,
            })
            .await?;
        Ok(AppendedLeaf {
            index: c.index,
            leaf_hash,
            tree_size: c.head.size,
            root: c.head.root,
        })
    }

    /// A stored entry (raw leaf bytes) by index, if integrated.
    pub async fn raw_entry(&self, index: u64) -> Result<StoredEntry, LogError> {
        if index >= self.head().size {
            return Err(LogError::NotFound);
        }
        self.store
            .entry_by_index(index)
            .await?
            .ok_or(LogError::NotFound)
    }

    /// Index of a leaf by its leaf hash, if integrated.
    pub async fn index_of(&self, leaf_hash: &Sha256Hash) -> Result<u64, LogError> {
        let found = self.store.find(std::slice::from_ref(leaf_hash)).await?;
        match found.first() {
            Some((_, i)) if *i < self.head().size => Ok(*i),
            _ => Err(LogError::NotFound),
        }
    }

    /// RFC 6962 inclusion proof of leaf `index` in the tree of `size` leaves (`size` at most
    /// the current head).
    pub async fn inclusion_proof_at(
        &self,
        index: u64,
        size: u64,
    ) -> Result<Vec<Sha256Hash>, LogError> {
        if size > self.head().size || index >= size {
            return Err(LogError::BadRequest(format!(
                "no inclusion proof for leaf {index} in a tree of {size}"
            )));
        }
        self.inclusion_proof(index, size).await
    }

    /// The inclusion proof, unchecked (the caller knows `index < size <= head`).
    pub(crate) async fn inclusion_proof(
        &self,
        index: u64,
        size: u64,
    ) -> Result<Vec<Sha256Hash>, LogError> {
        with_tree(self.hashes.as_ref(), |t| {
            t.inclusion_proof(LogIndex(index), TreeSize(size))
        })
        .await
    }

    /// RFC 6962 consistency proof from the tree of `first` leaves to the tree of `last`
    /// (`1 <= first <= last <= head`), with the root of the tree of `last`.
    pub async fn consistency_proof(
        &self,
        first: u64,
        last: u64,
    ) -> Result<(Vec<Sha256Hash>, Sha256Hash), LogError> {
        let size = self.head().size;
        if first > last {
            return Err(LogError::BadRequest(format!(
                "firstSize({first}) must be less than lastSize({last})"
            )));
        }
        if last > size {
            return Err(LogError::BadRequest(format!(
                "the tree size requested({last}) was greater than what is currently observable({size})"
            )));
        }
        if first == 0 {
            return Err(LogError::BadRequest("firstSize must be at least 1".into()));
        }
        with_tree(self.hashes.as_ref(), |t| {
            Ok((
                t.consistency_proof(TreeSize(first), TreeSize(last))?,
                t.root(TreeSize(last))?,
            ))
        })
        .await
    }
}

impl<S: LogStore> AppendLog<S> {
    /// Checks that `note` is a checkpoint of this tree: signed by the log's key (other
    /// signature lines, such as witness cosignatures, are not checked here), with the origin of
    /// the log's own checkpoints, a size the tree holds, and the tree's root at that size.
    pub async fn check_own_checkpoint(
        &self,
        note: &str,
    ) -> Result<signet_tlog::VerifiedCheckpoint, LogError> {
        let head = self.head();
        let verifier = signet_tlog::EcdsaNoteVerifier::any_name(self.public_key().clone());
        let cp = signet_tlog::verify_checkpoint(note, &[&verifier])?;
        let own = signet_tlog::SignedNote::parse(&head.checkpoint)
            .and_then(|n| signet_tlog::Checkpoint::parse(&n.text))?;
        if cp.origin() != own.origin {
            return Err(LogError::BadRequest(format!(
                "the checkpoint is for log {:?}, not {:?}",
                cp.origin(),
                own.origin
            )));
        }
        let size = cp.size().0;
        if size > head.size {
            return Err(LogError::BadRequest(format!(
                "the checkpoint has {size} entries, the tree {}",
                head.size
            )));
        }
        let root = with_tree(self.hashes.as_ref(), |t| t.root(TreeSize(size))).await?;
        if root != *cp.root_hash() {
            return Err(LogError::BadRequest(format!(
                "the checkpoint's root at size {size} is not the tree's"
            )));
        }
        Ok(cp)
    }
}

/// The tree's recorded index offset must be the one it is opened with: every signed entry
/// timestamp signs a global index, and another offset would serve each entry under an index its
/// timestamp does not sign. A tree created before offsets were recorded has offset 0 (it is
/// recorded now); it may take another only while it is empty.
async fn check_index_offset<S: LogStore>(
    store: &S,
    data_dir: &Path,
    offset: u64,
    size: u64,
) -> Result<(), LogError> {
    let raw = store.meta(META_INDEX_OFFSET).await?;
    let recorded = match &raw {
        Some(r) => r
            .parse::<u64>()
            .map_err(|e| LogError::Storage(format!("{META_INDEX_OFFSET}: {e}")))?,
        None if size == 0 => offset,
        None => 0,
    };
    if recorded != offset {
        return Err(LogError::Refused(format!(
            "the tree in {} starts at global index {recorded}, not {offset}: its entries' \
             signed timestamps sign their global indexes, so it must be opened with the offset \
             it was created with (the sum of the sizes of the shards before it)",
            data_dir.display()
        )));
    }
    if raw.is_none() {
        store
            .set_meta(META_INDEX_OFFSET, &offset.to_string())
            .await?;
    }
    Ok(())
}
