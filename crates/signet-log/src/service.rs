//! The log service the HTTP layer calls.

use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use signet_crypto::SigningKey;
use signet_tlog::{EcdsaNoteSigner, HashStore, StoredIndex, TlogError, Tree};
use signet_types::limits::{self, FileLimit};
use signet_types::{LogIndex, Sha256Hash, TreeSize, b64};
use tokio::sync::{mpsc, oneshot, watch};

use crate::LogError;
use crate::admit::admit;
use crate::api::{
    ConsistencyProof, InclusionProof, LogEntry, LogEntryAnon, LogInfo, SearchIndex, SearchLogQuery,
    Verification,
};
use crate::sequencer::{Head, Job, QUEUE, Sequencer, sign_head};
use crate::store::{LogStore, StoredEntry};

/// Source of "now" for integrated times.
pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> i64;

    /// Milliseconds since the Unix epoch (CT timestamps), from one reading of the clock.
    fn now_millis(&self) -> u64 {
        u64::try_from(self.now_unix())
            .unwrap_or(0)
            .saturating_mul(1000)
    }
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }

    fn now_millis(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// Log settings.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// Host name: the checkpoint key name and the first part of the origin `<host> - <treeID>`.
    pub host: String,
    /// Stored hashes kept in memory (32 bytes each; a log of n entries has about 2n).
    pub hash_cache: usize,
    /// Recent entries kept in memory for reads (about 1–2 KiB each).
    pub entry_cache: usize,
    /// Sign a Rekor SET for every entry (a CT log's leaves carry their own SCT instead).
    pub sign_entries: bool,
}

impl LogConfig {
    /// Defaults: host as given, 8 Mi cached hashes (256 MiB, about 4 M entries), 64 Ki cached
    /// entries (under 128 MiB).
    pub fn new(host: &str) -> Self {
        Self {
            host: host.to_string(),
            hash_cache: 8 << 20,
            entry_cache: 65_536,
            sign_entries: true,
        }
    }
}

/// Recently read entries, by leaf hash and by index, bounded (FIFO eviction): repeated reads —
/// many verifiers checking the same release — skip the database, whose per-read locking
/// dominates GET cost. Filled on read only, so the append path pays nothing.
struct EntryCache {
    by_uuid: std::collections::HashMap<Sha256Hash, Arc<StoredEntry>>,
    by_index: std::collections::HashMap<u64, Sha256Hash>,
    order: std::collections::VecDeque<Sha256Hash>,
    cap: usize,
}

impl EntryCache {
    fn new(cap: usize) -> Self {
        Self {
            by_uuid: Default::default(),
            by_index: Default::default(),
            order: Default::default(),
            cap,
        }
    }

    fn insert(&mut self, e: Arc<StoredEntry>) {
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
const RENDERED_CACHE: usize = 16_384;

/// Entry JSON by leaf hash, for one head.
type RenderedJson = std::collections::HashMap<Sha256Hash, Arc<[u8]>>;

/// Most items per `/entries/retrieve` request (Rekor: 10).
pub const MAX_RETRIEVE: usize = 10;

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

/// A running transparency log.
pub struct TransparencyLog<S: LogStore> {
    store: Arc<S>,
    hashes: Arc<HashCache<S>>,
    entries: RwLock<EntryCache>,
    /// (head size, entries rendered for that head as the JSON a GET answers).
    rendered: RwLock<(u64, RenderedJson)>,
    key: Arc<SigningKey>,
    tree_id: u64,
    created: i64,
    log_id: Sha256Hash,
    head: Arc<RwLock<Arc<Head>>>,
    queue: mpsc::Sender<Job>,
    /// Set once the sequencer task has ended, with why (see [`TransparencyLog::sequencer_stopped`]).
    stopped: watch::Receiver<Option<String>>,
}

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
    async fn load(store: Arc<S>, size: u64, cap: usize) -> Result<Self, LogError> {
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
async fn with_tree<H: HashSource, T>(
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

fn load_or_create_key(path: &Path) -> Result<SigningKey, LogError> {
    if path.exists() {
        let der = signet_crypto::read_private_key_file(path)
            .map_err(|e| LogError::Refused(e.to_string()))?;
        return SigningKey::from_pkcs8_der(&der)
            .map_err(|e| LogError::Internal(format!("log key {}: {e}", path.display())));
    }
    let key = SigningKey::generate_p256().map_err(|e| LogError::Internal(e.to_string()))?;
    let der = key
        .to_pkcs8_der()
        .map_err(|e| LogError::Internal(e.to_string()))?;
    write_private(path, &der).map_err(|e| LogError::Storage(format!("{}: {e}", path.display())))?;
    Ok(key)
}

/// The latest signed checkpoint, kept outside the store (written after each durable commit) so
/// that a lost, truncated or replaced database is noticed at the next start.
pub const CHECKPOINT_FILE: &str = "checkpoint";
/// The most bytes read of [`CHECKPOINT_FILE`]: a signed note's own limit.
pub const CHECKPOINT_FILE_LIMIT: FileLimit =
    FileLimit::from_usize("checkpoint", limits::MAX_NOTE_BYTES);
/// The log's private key in its data directory.
pub const KEY_FILE: &str = "log.key";
/// Store metadata: SHA-256 of the DER public key the log was created with.
const META_KEY_ID: &str = "key_id";

/// Reads the recorded checkpoint, if there is one.
fn read_recorded(path: &Path) -> Result<Option<String>, LogError> {
    match signet_crypto::read_capped_string(path, CHECKPOINT_FILE_LIMIT) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(LogError::Refused(e.to_string())),
    }
}

/// Writes each new checkpoint to `path` (the latest wins; one small file per batch commit, off
/// the sequencer's path). A value is sent only once its tree is durable, so the file is never
/// ahead of the store.
async fn record_checkpoints(path: std::path::PathBuf, mut rx: watch::Receiver<String>) {
    while rx.changed().await.is_ok() {
        let text = rx.borrow_and_update().clone();
        let p = path.clone();
        match tokio::task::spawn_blocking(move || write_private(&p, text.as_bytes())).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("recording the checkpoint in {}: {e}", path.display()),
            Err(e) => tracing::error!("recording the checkpoint in {}: {e}", path.display()),
        }
    }
}

/// Writes a secret file with mode 0600, atomically (temp file + rename).
pub(crate) fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    signet_crypto::write_private_key_file(path, data)
}

/// Refuses a store that does not hold the tree of the recorded checkpoint: the checkpoint must
/// verify with the log's key, name this tree, and the store must hold at least its size with the
/// same root at that size.
async fn check_recorded<H: HashSource>(
    text: &str,
    cp_path: &Path,
    key: &SigningKey,
    tree_id: u64,
    size: u64,
    hashes: &H,
) -> Result<(), LogError> {
    let refuse = |why: String| {
        LogError::Refused(format!(
            "{}: {why}. Restore the log's database (log.sqlite) and log.key from a backup",
            cp_path.display()
        ))
    };
    let verifier = signet_tlog::EcdsaNoteVerifier::any_name(key.public_key().clone());
    let cp = signet_tlog::verify_checkpoint(text, &[&verifier]).map_err(|e| {
        refuse(format!(
            "the recorded checkpoint does not verify with log.key ({e}); it is damaged or \
             log.key was replaced"
        ))
    })?;
    let cp = cp.checkpoint();
    if !cp.origin.ends_with(&format!(" - {tree_id}")) {
        return Err(refuse(format!(
            "the recorded checkpoint is for log \"{}\", but the store holds tree {tree_id}",
            cp.origin
        )));
    }
    let want = cp.size.0;
    if size < want {
        return Err(refuse(format!(
            "the store holds {size} entries but the recorded checkpoint has {want}: \
             acknowledged entries are missing"
        )));
    }
    let root = with_tree(hashes, |t| t.root(TreeSize(want))).await?;
    if root != cp.root_hash {
        return Err(refuse(format!(
            "the store's root at size {want} differs from the recorded checkpoint's: the \
             store holds a different tree (a fork)"
        )));
    }
    Ok(())
}

impl<S: LogStore> TransparencyLog<S> {
    /// Opens the log in `data_dir` (key in `data_dir/log.key`, created on first start) and
    /// starts the sequencer on the current tokio runtime.
    pub async fn open(
        store: S,
        data_dir: &Path,
        config: LogConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LogError> {
        let key_path = data_dir.join(KEY_FILE);
        let cp_path = data_dir.join(CHECKPOINT_FILE);
        let key_existed = key_path.exists();
        let key = Arc::new(load_or_create_key(&key_path)?);
        let key_id = key.public_key().key_id().to_hex();
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
                store.set_meta(META_KEY_ID, &key_id).await?;
                store
                    .set_meta("created", &clock.now_unix().to_string())
                    .await?;
                store.set_meta("tree_id", &id.to_string()).await?;
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
            Some(k) if k != key_id => {
                return Err(LogError::Refused(format!(
                    "{} is not the key this log was created with (key ID recorded in the \
                     store: {k}; {}: {key_id}); signing with it would split the log under two \
                     keys. Restore the original {}",
                    key_path.display(),
                    key_path.display(),
                    key_path.display()
                )));
            }
            Some(_) => {}
            // Logs created before the key ID was recorded: record it now.
            None => store.set_meta(META_KEY_ID, &key_id).await?,
        }
        let size = store.size().await?;
        let idx: Vec<u64> = signet_tlog::Frontier::stored_indexes(TreeSize(size))
            .iter()
            .map(|i| i.0)
            .collect();
        let frontier =
            signet_tlog::Frontier::from_hashes(TreeSize(size), store.read_hashes(&idx).await?)?;
        let origin = format!("{} - {tree_id}", config.host);
        let note_signer: Arc<dyn signet_tlog::NoteSigner + Send + Sync> =
            Arc::new(EcdsaNoteSigner::new(
                &config.host,
                SigningKey::from_pkcs8_der(
                    &key.to_pkcs8_der()
                        .map_err(|e| LogError::Internal(e.to_string()))?,
                )
                .map_err(|e| LogError::Internal(e.to_string()))?,
            )?);
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
            check_recorded(text, &cp_path, &key, tree_id, size, hashes.as_ref()).await?;
        }
        let initial = Arc::new(sign_head(note_signer.as_ref(), &origin, size, root)?);
        write_private(&cp_path, initial.checkpoint.as_bytes())
            .map_err(|e| LogError::Storage(format!("{}: {e}", cp_path.display())))?;
        let (recorder, recorder_rx) = watch::channel(initial.checkpoint.clone());
        tokio::spawn(record_checkpoints(cp_path, recorder_rx));
        let head = Arc::new(RwLock::new(initial));
        let log_id = key.public_key().key_id();
        let (tx, rx) = mpsc::channel(QUEUE);
        let seq = Sequencer {
            store: store.clone(),
            cache: hashes.clone(),
            frontier,
            size,
            key: key.clone(),
            note_signer,
            origin,
            tree_id,
            log_id,
            clock,
            head: head.clone(),
            sign_entries: config.sign_entries,
            recent: Default::default(),
            recent_order: Default::default(),
            guard_until: 0,
            recorder,
        };
        let sequencer = tokio::spawn(seq.run(rx));
        let (stop_tx, stopped) = watch::channel(None);
        tokio::spawn(async move {
            let why = match sequencer.await {
                // Only when the queue closed, that is when the log itself was dropped.
                Ok(()) => "it returned".to_string(),
                Err(e) => e.to_string(),
            };
            let _ = stop_tx.send(Some(why));
        });
        Ok(Self {
            store,
            hashes,
            entries: RwLock::new(EntryCache::new(config.entry_cache)),
            rendered: RwLock::new((0, Default::default())),
            key,
            tree_id,
            created,
            log_id,
            head,
            queue: tx,
            stopped,
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

    fn head(&self) -> Arc<Head> {
        self.head
            .read()
            .map(|h| h.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// PEM of the log's public key.
    pub fn public_key_pem(&self) -> String {
        self.key.public_key().to_pem()
    }

    /// The log's public key.
    pub fn public_key(&self) -> &signet_crypto::PublicKey {
        self.key.public_key()
    }

    /// When the log was created (Unix seconds).
    pub fn created(&self) -> i64 {
        self.created
    }

    /// Tree ID.
    pub fn tree_id(&self) -> u64 {
        self.tree_id
    }

    fn entry_id(&self, uuid: &Sha256Hash) -> String {
        signet_rekor::entry_id(self.tree_id, &uuid.to_hex())
    }

    /// Queues an admitted entry for the sequencer and waits until it is durable and integrated
    /// (a full queue is [`LogError::Overloaded`]: push back instead of growing).
    async fn integrate(
        &self,
        entry: crate::admit::Admitted,
    ) -> Result<crate::sequencer::Committed, LogError> {
        let (reply, rx) = oneshot::channel();
        self.queue
            .try_send(Job { entry, reply })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => LogError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => {
                    LogError::Internal("sequencer stopped".into())
                }
            })?;
        rx.await
            .map_err(|_| LogError::Internal("sequencer dropped the request".into()))?
    }

    /// Adds a proposed entry; returns (entry ID, LogEntry) once it is durable and integrated.
    pub async fn add(&self, proposed: &[u8]) -> Result<(String, LogEntry), LogError> {
        let entry = admit(proposed)?;
        let uuid = entry.uuid;
        let body = entry.body.clone();
        let c = self.integrate(entry).await?;
        let stored = StoredEntry {
            index: c.index,
            uuid,
            body,
            integrated_time: c.integrated_time,
            set: c.set,
        };
        let anon = self.render(&stored, &c.head).await?;
        let id = self.entry_id(&uuid);
        Ok((id.clone(), LogEntry::from([(id, anon)])))
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
        let uuid = signet_rekor::leaf_hash(&leaf);
        let entry = crate::admit::Admitted {
            body: leaf,
            uuid,
            index_keys,
        };
        let c = self.integrate(entry).await?;
        Ok(AppendedLeaf {
            index: c.index,
            leaf_hash: uuid,
            tree_size: c.head.size,
            root: c.head.root,
        })
    }

    /// The current signed tree head: (size, root hash, checkpoint note).
    pub fn head_state(&self) -> (u64, Sha256Hash, String) {
        let h = self.head();
        (h.size, h.root, h.checkpoint.clone())
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
        with_tree(self.hashes.as_ref(), |t| {
            t.inclusion_proof(LogIndex(index), TreeSize(size))
        })
        .await
    }

    /// The log's signing key (to sign application structures such as CT tree heads).
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    async fn render(&self, e: &StoredEntry, head: &Head) -> Result<LogEntryAnon, LogError> {
        let (index, size) = (e.index, head.size);
        // A body damaged in the store is never served as if the log held it: its leaf hash
        // (the UUID) is what the tree and the SET commit to.
        if signet_tlog::leaf_hash(&e.body) != e.uuid {
            return Err(LogError::Storage(format!(
                "entry {index} in the store is damaged: its body does not hash to its leaf \
                 hash {}",
                e.uuid.to_hex()
            )));
        }
        let proof = with_tree(self.hashes.as_ref(), |t| {
            t.inclusion_proof(LogIndex(index), TreeSize(size))
        })
        .await?;
        Ok(LogEntryAnon {
            body: b64::encode(&e.body),
            integrated_time: e.integrated_time,
            log_id: self.log_id.to_hex(),
            log_index: i64::try_from(e.index)
                .map_err(|_| LogError::Internal("index range".into()))?,
            verification: Some(Verification {
                inclusion_proof: Some(InclusionProof {
                    checkpoint: head.checkpoint.clone(),
                    hashes: proof.iter().map(Sha256Hash::to_hex).collect(),
                    log_index: i64::try_from(e.index)
                        .map_err(|_| LogError::Internal("index range".into()))?,
                    root_hash: head.root.to_hex(),
                    tree_size: i64::try_from(head.size)
                        .map_err(|_| LogError::Internal("size range".into()))?,
                }),
                signed_entry_timestamp: Some(b64::encode(&e.set)),
            }),
        })
    }

    fn remember(&self, e: Arc<StoredEntry>) {
        if let Ok(mut c) = self.entries.write() {
            c.insert(e);
        }
    }

    async fn render_entry(&self, e: &StoredEntry) -> Result<LogEntry, LogError> {
        let anon = self.render(e, &self.head()).await?;
        Ok(LogEntry::from([(self.entry_id(&e.uuid), anon)]))
    }

    /// `{entryID: LogEntryAnon}` as JSON, rendered once per head: a GET answers these bytes as
    /// they are (a hit neither renders, copies nor serializes).
    async fn render_json(&self, e: &StoredEntry) -> Result<Arc<[u8]>, LogError> {
        let head = self.head();
        // The rendering (proof against the current head) only changes when the head does.
        let hit = self.rendered.read().ok().and_then(|r| {
            if r.0 == head.size {
                r.1.get(&e.uuid).cloned()
            } else {
                None
            }
        });
        if let Some(json) = hit {
            return Ok(json);
        }
        let anon = self.render(e, &head).await?;
        let id = self.entry_id(&e.uuid);
        let json: Arc<[u8]> = serde_json::to_vec(&std::collections::BTreeMap::from([(id, anon)]))
            .map_err(|err| LogError::Internal(err.to_string()))?
            .into();
        if let Ok(mut r) = self.rendered.write() {
            if r.0 != head.size || r.1.len() >= RENDERED_CACHE {
                r.0 = head.size;
                r.1.clear();
            }
            r.1.insert(e.uuid, json.clone());
        }
        Ok(json)
    }

    /// Entry by global index.
    pub async fn get_by_index(&self, index: u64) -> Result<LogEntry, LogError> {
        self.render_entry(&*self.lookup_index(index).await?).await
    }

    /// [`Self::get_by_index`] as the JSON a GET answers.
    pub async fn get_by_index_json(&self, index: u64) -> Result<Arc<[u8]>, LogError> {
        self.render_json(&*self.lookup_index(index).await?).await
    }

    async fn lookup_index(&self, index: u64) -> Result<Arc<StoredEntry>, LogError> {
        // Only integrated entries below the published head are served.
        if index >= self.head().size {
            return Err(LogError::NotFound);
        }
        let hit = self.entries.read().ok().and_then(|c| {
            c.by_index
                .get(&index)
                .and_then(|u| c.by_uuid.get(u).cloned())
        });
        let e = match hit {
            Some(e) => e,
            None => {
                let e = Arc::new(
                    self.store
                        .entry_by_index(index)
                        .await?
                        .ok_or(LogError::NotFound)?,
                );
                self.remember(e.clone());
                e
            }
        };
        Ok(e)
    }

    /// Entry by 64-character UUID or 80-character entry ID.
    pub async fn get_by_uuid(&self, id: &str) -> Result<LogEntry, LogError> {
        self.render_entry(&*self.lookup_uuid(id).await?).await
    }

    /// [`Self::get_by_uuid`] as the JSON a GET answers.
    pub async fn get_by_uuid_json(&self, id: &str) -> Result<Arc<[u8]>, LogError> {
        self.render_json(&*self.lookup_uuid(id).await?).await
    }

    async fn lookup_uuid(&self, id: &str) -> Result<Arc<StoredEntry>, LogError> {
        let r = signet_rekor::EntryRef::parse(id)
            .map_err(|e| LogError::Unprocessable(e.to_string()))?;
        if r.tree_id.is_some_and(|t| t != self.tree_id) {
            return Err(LogError::NotFound);
        }
        let hit = self
            .entries
            .read()
            .ok()
            .and_then(|c| c.by_uuid.get(&r.uuid).cloned());
        let e = match hit {
            Some(e) => e,
            None => {
                let e = Arc::new(
                    self.store
                        .entry_by_uuid(&r.uuid)
                        .await?
                        .ok_or(LogError::NotFound)?,
                );
                self.remember(e.clone());
                e
            }
        };
        if e.index >= self.head().size {
            return Err(LogError::NotFound);
        }
        Ok(e)
    }

    /// `POST /api/v1/log/entries/retrieve`.
    pub async fn retrieve(&self, q: &SearchLogQuery) -> Result<Vec<LogEntry>, LogError> {
        let (u, i, e) = (
            q.entry_uuids.as_deref().unwrap_or_default(),
            q.log_indexes.as_deref().unwrap_or_default(),
            q.entries.as_deref().unwrap_or_default(),
        );
        if u.len().saturating_add(i.len()).saturating_add(e.len()) > MAX_RETRIEVE {
            return Err(LogError::Unprocessable(format!(
                "more than max allowed {MAX_RETRIEVE} entries in request"
            )));
        }
        if u.is_empty() && i.is_empty() && e.is_empty() {
            return Err(LogError::Unprocessable("empty query".into()));
        }
        let mut out = Vec::new();
        for id in u {
            match self.get_by_uuid(id).await {
                Ok(x) => out.push(x),
                Err(LogError::NotFound) => {}
                Err(err) => return Err(err),
            }
        }
        for p in e {
            let admitted = admit(p.to_string().as_bytes())?;
            match self.get_by_uuid(&admitted.uuid.to_hex()).await {
                Ok(x) => out.push(x),
                Err(LogError::NotFound) => {}
                Err(err) => return Err(err),
            }
        }
        for idx in i {
            let idx = u64::try_from(*idx)
                .map_err(|_| LogError::Unprocessable("negative log index".into()))?;
            match self.get_by_index(idx).await {
                Ok(x) => out.push(x),
                Err(LogError::NotFound) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(out)
    }

    /// `POST /api/v1/index/retrieve`: entry IDs matching the query.
    pub async fn search(&self, q: &SearchIndex) -> Result<Vec<String>, LogError> {
        let mut keys = Vec::new();
        if let Some(h) = &q.hash {
            let h = h.to_lowercase();
            let (alg, hex) = h.split_once(':').unwrap_or(("sha256", h.as_str()));
            let ok_len = match alg {
                "sha256" => 64,
                "sha512" => 128,
                "sha1" => 40,
                _ => 0,
            };
            if hex.len() != ok_len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(LogError::Unprocessable(format!("invalid hash {h:?}")));
            }
            keys.push(format!("{alg}:{hex}"));
        }
        if let Some(pk) = &q.public_key {
            if pk.format != "x509" {
                return Err(LogError::BadRequest(
                    "the PKI format requested is not supported by this server".into(),
                ));
            }
            let pem = b64::decode(&pk.content).map_err(|_| {
                LogError::BadRequest("public key provided could not be parsed".into())
            })?;
            let canonical = signet_rekor::canonical_pem(&pem).map_err(|_| {
                LogError::BadRequest("public key provided could not be parsed".into())
            })?;
            keys.push(signet_crypto::sha256(&canonical).to_hex());
        }
        for s in [&q.email, &q.subject].into_iter().flatten() {
            keys.push(s.to_lowercase());
        }
        if keys.is_empty() {
            return Err(LogError::Unprocessable("empty search".into()));
        }
        let and = q.operator.as_deref() == Some("and");
        let mut result: Option<Vec<Sha256Hash>> = None;
        for k in keys {
            let found = self.store.search(&k).await?;
            result = Some(match result {
                None => found,
                Some(prev) if and => prev.into_iter().filter(|u| found.contains(u)).collect(),
                Some(mut prev) => {
                    prev.extend(found);
                    prev.sort();
                    prev.dedup();
                    prev
                }
            });
        }
        Ok(result
            .unwrap_or_default()
            .iter()
            .map(|u| self.entry_id(u))
            .collect())
    }

    /// `GET /api/v1/log`.
    pub fn log_info(&self) -> LogInfo {
        let h = self.head();
        LogInfo {
            inactive_shards: None,
            root_hash: h.root.to_hex(),
            signed_tree_head: h.checkpoint.clone(),
            tree_id: self.tree_id.to_string(),
            tree_size: i64::try_from(h.size).unwrap_or(i64::MAX),
        }
    }

    /// `GET /api/v1/log/proof`.
    pub async fn consistency(&self, first: u64, last: u64) -> Result<ConsistencyProof, LogError> {
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
        let (hashes, root) = with_tree(self.hashes.as_ref(), |t| {
            Ok((
                t.consistency_proof(TreeSize(first), TreeSize(last))?,
                t.root(TreeSize(last))?,
            ))
        })
        .await?;
        Ok(ConsistencyProof {
            hashes: hashes.iter().map(Sha256Hash::to_hex).collect(),
            root_hash: root.to_hex(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_checkpoint_file_is_refused_naming_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(CHECKPOINT_FILE);
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(CHECKPOINT_FILE_LIMIT.max_bytes + 1).unwrap();
        let e = read_recorded(&p).unwrap_err().to_string();
        let expected = format!(
            "checkpoint {}: larger than the checkpoint limit of 1 MiB",
            p.display()
        );
        assert!(e.ends_with(&expected), "{e}");
        f.set_len(CHECKPOINT_FILE_LIMIT.max_bytes).unwrap();
        assert!(read_recorded(&p).unwrap().is_some());
        assert_eq!(read_recorded(&dir.path().join("none")).unwrap(), None);
    }
}
