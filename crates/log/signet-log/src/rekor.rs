//! The Rekor v1 personality of the log: the signed entry timestamp of every entry, entries
//! rendered as Rekor's `LogEntry` JSON (with inclusion proof and checkpoint), retrieval, search
//! and the `/api/v1/log` answers, over the generic [`AppendLog`].

use std::path::Path;
use std::sync::{Arc, RwLock};

use signet_types::{Sha256Hash, b64};

use crate::LogError;
use crate::admit::admit;
use crate::api::{
    ConsistencyProof, InclusionProof, LogEntry, LogEntryAnon, LogInfo, SearchIndex, SearchLogQuery,
    Verification,
};
use crate::cache::{EntryCache, RENDERED_CACHE, RenderedJson};
use crate::clock::Clock;
use crate::log::{AppendLog, AppendedLeaf, LogConfig};
use crate::sequencer::{Head, LeafEntry};
use crate::signer::{EntrySigner, LogKey};
use crate::store::{LogStore, PageStart, SearchCursor, StoredEntry};

/// Most items per `/entries/retrieve` request (Rekor: 10).
pub const MAX_RETRIEVE: usize = 10;

/// Rekor v1's per-entry promise: the signed entry timestamp (SET) over the canonical body,
/// integrated time, log ID and the entry's global log index (the leaf index plus the shard's
/// index offset, as Rekor signs it).
#[derive(Clone, Copy, Debug, Default)]
pub struct RekorSet {
    index_offset: u64,
}

impl RekorSet {
    /// SETs for a shard whose leaf 0 is global index `index_offset` (0: an unsharded log).
    pub fn new(index_offset: u64) -> Self {
        Self { index_offset }
    }
}

impl EntrySigner for RekorSet {
    fn sign_entry(
        &self,
        key: &LogKey,
        body: &[u8],
        index: u64,
        integrated_time: i64,
    ) -> Result<Vec<u8>, LogError> {
        let global = global_index(self.index_offset, index)?;
        let payload = signet_rekor::set_payload(body, integrated_time, key.id().as_bytes(), global);
        key.signing_key()
            .sign(&payload)
            .map_err(|e| LogError::Internal(e.to_string()))
    }
}

/// Global index of leaf `index` of a shard starting at `offset`, as Rekor's int64 log index.
fn global_index(offset: u64, index: u64) -> Result<i64, LogError> {
    offset
        .checked_add(index)
        .and_then(|g| i64::try_from(g).ok())
        .ok_or_else(|| LogError::Internal("log index out of range".into()))
}

/// A running Rekor v1 transparency log: one tree (a shard, when it is part of a
/// [`crate::ShardedLog`]). Indexes it takes and serves are global: its leaf `i` is entry
/// `index_offset + i` ([`LogConfig::index_offset`]); inclusion proofs name the leaf index.
pub struct TransparencyLog<S: LogStore> {
    log: AppendLog<S>,
    entries: RwLock<EntryCache>,
    /// (head size, entries rendered for that head as the JSON a GET answers).
    rendered: RwLock<(u64, RenderedJson)>,
}

impl<S: LogStore> TransparencyLog<S> {
    /// Opens the log in `data_dir` (key in `data_dir/log.key`, created on first start) and
    /// starts the sequencer on the current tokio runtime; every entry gets a SET.
    pub async fn open(
        store: S,
        data_dir: &Path,
        config: LogConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LogError> {
        let signer = Arc::new(RekorSet::new(config.index_offset));
        let log = AppendLog::open(store, data_dir, &config, clock, signer).await?;
        Ok(Self {
            log,
            entries: RwLock::new(EntryCache::new(config.entry_cache)),
            rendered: RwLock::new((0, Default::default())),
        })
    }

    /// The generic log underneath (head, raw entries, proofs, key).
    pub fn log(&self) -> &AppendLog<S> {
        &self.log
    }

    /// See [`AppendLog::sequencer_stopped`].
    pub fn sequencer_stopped(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        self.log.sequencer_stopped()
    }

    /// PEM of the log's public key.
    pub fn public_key_pem(&self) -> String {
        self.log.public_key().to_pem()
    }

    /// The log's public key.
    pub fn public_key(&self) -> &signet_crypto::PublicKey {
        self.log.public_key()
    }

    /// When the log was created (Unix seconds).
    pub fn created(&self) -> i64 {
        self.log.created()
    }

    /// Tree ID.
    pub fn tree_id(&self) -> u64 {
        self.log.tree_id()
    }

    /// Global index of this tree's leaf 0 (see [`LogConfig::index_offset`]).
    pub fn index_offset(&self) -> u64 {
        self.log.index_offset()
    }

    /// The current signed tree head: (size, root hash, checkpoint note).
    pub fn head_state(&self) -> (u64, Sha256Hash, String) {
        self.log.head_state()
    }

    /// See [`AppendLog::append_leaf`] (the leaf gets a SET like every entry of this log).
    pub async fn append_leaf(
        &self,
        leaf: Vec<u8>,
        index_keys: Vec<String>,
    ) -> Result<AppendedLeaf, LogError> {
        self.log.append_leaf(leaf, index_keys).await
    }

    fn entry_id(&self, uuid: &Sha256Hash) -> String {
        signet_rekor::entry_id(self.log.tree_id(), &uuid.to_hex())
    }

    /// Adds a proposed entry; returns (entry ID, LogEntry) once it is durable and integrated.
    pub async fn add(&self, proposed: &[u8]) -> Result<(String, LogEntry), LogError> {
        let entry = admit(proposed)?;
        let uuid = entry.uuid;
        let body = entry.body.clone();
        let c = self
            .log
            .append(LeafEntry {
                body: entry.body,
                leaf_hash: entry.uuid,
                index_keys: entry.index_keys,
            })
            .await?;
        let stored = StoredEntry {
            index: c.index,
            uuid,
            body,
            integrated_time: c.integrated_time,
            set: c.signature,
        };
        let anon = self.render(&stored, &c.head).await?;
        let id = self.entry_id(&uuid);
        Ok((id.clone(), LogEntry::from([(id, anon)])))
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
        let proof = self.log.inclusion_proof(index, size).await?;
        Ok(LogEntryAnon {
            body: b64::encode(&e.body),
            integrated_time: e.integrated_time,
            log_id: self.log.key().id().to_hex(),
            log_index: global_index(self.index_offset(), e.index)?,
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
        let anon = self.render(e, &self.log.head()).await?;
        Ok(LogEntry::from([(self.entry_id(&e.uuid), anon)]))
    }

    /// `{entryID: LogEntryAnon}` as JSON, rendered once per head: a GET answers these bytes as
    /// they are (a hit neither renders, copies nor serializes).
    async fn render_json(&self, e: &StoredEntry) -> Result<Arc<[u8]>, LogError> {
        let head = self.log.head();
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

    /// Entry by global index (below this tree's index offset: [`LogError::NotFound`]).
    pub async fn get_by_index(&self, index: u64) -> Result<LogEntry, LogError> {
        self.render_entry(&*self.lookup_index(index).await?).await
    }

    /// [`Self::get_by_index`] as the JSON a GET answers.
    pub async fn get_by_index_json(&self, index: u64) -> Result<Arc<[u8]>, LogError> {
        self.render_json(&*self.lookup_index(index).await?).await
    }

    /// The entry at global `index`.
    async fn lookup_index(&self, index: u64) -> Result<Arc<StoredEntry>, LogError> {
        let index = index
            .checked_sub(self.index_offset())
            .ok_or(LogError::NotFound)?;
        // Only integrated entries below the published head are served.
        if index >= self.log.head().size {
            return Err(LogError::NotFound);
        }
        let hit = self.entries.read().ok().and_then(|c| c.by_index(index));
        self.cached_or_read(hit, self.log.store().entry_by_index(index))
            .await
    }

    /// The cached entry, or the one `read` from the store (then remembered).
    async fn cached_or_read(
        &self,
        hit: Option<Arc<StoredEntry>>,
        read: impl std::future::Future<Output = Result<Option<StoredEntry>, LogError>>,
    ) -> Result<Arc<StoredEntry>, LogError> {
        if let Some(e) = hit {
            return Ok(e);
        }
        let e = Arc::new(read.await?.ok_or(LogError::NotFound)?);
        self.remember(e.clone());
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

    /// The entry with leaf hash `uuid` (in this tree).
    pub(crate) async fn get_by_leaf(&self, uuid: &Sha256Hash) -> Result<LogEntry, LogError> {
        self.render_entry(&*self.lookup_leaf(uuid).await?).await
    }

    async fn lookup_uuid(&self, id: &str) -> Result<Arc<StoredEntry>, LogError> {
        let r = parse_id(id)?;
        if r.tree_id.is_some_and(|t| t != self.log.tree_id()) {
            return Err(LogError::NotFound);
        }
        self.lookup_leaf(&r.uuid).await
    }

    async fn lookup_leaf(&self, uuid: &Sha256Hash) -> Result<Arc<StoredEntry>, LogError> {
        let hit = self.entries.read().ok().and_then(|c| c.by_uuid(uuid));
        let e = self
            .cached_or_read(hit, self.log.store().entry_by_uuid(uuid))
            .await?;
        if e.index >= self.log.head().size {
            return Err(LogError::NotFound);
        }
        Ok(e)
    }

    /// `POST /api/v1/log/entries/retrieve` (this tree as an unsharded log).
    pub async fn retrieve(&self, q: &SearchLogQuery) -> Result<Vec<LogEntry>, LogError> {
        crate::shards::retrieve(&[self], q).await
    }

    /// `POST /api/v1/index/retrieve`: entry IDs matching the query (this tree as an unsharded
    /// log).
    pub async fn search(&self, q: &SearchIndex) -> Result<Vec<String>, LogError> {
        crate::shards::search(&[self], q).await
    }

    /// One page of the entry IDs matching `q` when it names one key (an email, a subject, a
    /// digest or a key): `limit` from `start` in the store's order, with the number of matches
    /// counted as [`LogStore::search_page`] counts (this tree as an unsharded log).
    pub async fn search_page(
        &self,
        q: &SearchIndex,
        start: &PageStart,
        limit: u64,
    ) -> Result<IdPage, LogError> {
        crate::shards::search_page(&[self], q, start, limit).await
    }

    /// The page of one key's matches in this tree: entry IDs and the store's page.
    pub(crate) async fn search_key_page(
        &self,
        key: &str,
        start: &PageStart,
        limit: u64,
    ) -> Result<(Vec<String>, crate::store::SearchPage), LogError> {
        let p = self.log.store().search_page(key, start, limit).await?;
        Ok((p.hashes.iter().map(|u| self.entry_id(u)).collect(), p))
    }

    /// The entry IDs in this tree whose index holds the `keys` (each key's set united, or with
    /// `and` intersected).
    pub(crate) async fn search_keys(
        &self,
        keys: &[String],
        and: bool,
    ) -> Result<Vec<String>, LogError> {
        let mut result: Option<Vec<Sha256Hash>> = None;
        for k in keys {
            let found = self.log.store().search(k).await?;
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
        let h = self.log.head();
        LogInfo {
            inactive_shards: None,
            root_hash: h.root.to_hex(),
            signed_tree_head: h.checkpoint.clone(),
            tree_id: self.log.tree_id().to_string(),
            tree_size: i64::try_from(h.size).unwrap_or(i64::MAX),
        }
    }

    /// `GET /api/v1/log/proof`.
    pub async fn consistency(&self, first: u64, last: u64) -> Result<ConsistencyProof, LogError> {
        let (hashes, root) = self.log.consistency_proof(first, last).await?;
        Ok(ConsistencyProof {
            hashes: hashes.iter().map(Sha256Hash::to_hex).collect(),
            root_hash: root.to_hex(),
        })
    }
}

/// One page of search results ([`TransparencyLog::search_page`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdPage {
    /// The page's entry IDs.
    pub ids: Vec<String>,
    /// Matches counted: all of them when `exact`, else a lower bound (there are more).
    pub total: u64,
    /// Whether `total` is the exact number of matches.
    pub exact: bool,
    /// The place of the page's first entry: [`PageStart::Before`] it is the page before.
    pub first: Option<SearchCursor>,
    /// The place of the page's last entry: [`PageStart::After`] it is the page after.
    pub last: Option<SearchCursor>,
}

/// A UUID or entry ID from a request (422 when it is neither).
pub(crate) fn parse_id(id: &str) -> Result<signet_rekor::EntryRef, LogError> {
    signet_rekor::EntryRef::parse(id).map_err(|e| LogError::Unprocessable(e.to_string()))
}

/// The index keys a `SearchIndex` query names, and whether they are to be intersected
/// (`"operator": "and"`) rather than united.
pub(crate) fn search_index_keys(q: &SearchIndex) -> Result<(Vec<String>, bool), LogError> {
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
        let pem = b64::decode(&pk.content)
            .map_err(|_| LogError::BadRequest("public key provided could not be parsed".into()))?;
        let canonical = signet_rekor::canonical_pem(&pem)
            .map_err(|_| LogError::BadRequest("public key provided could not be parsed".into()))?;
        keys.push(signet_crypto::sha256(&canonical).to_hex());
    }
    for s in [&q.email, &q.subject].into_iter().flatten() {
        keys.push(s.to_lowercase());
    }
    if keys.is_empty() {
        return Err(LogError::Unprocessable("empty search".into()));
    }
    Ok((keys, q.operator.as_deref() == Some("and")))
}
