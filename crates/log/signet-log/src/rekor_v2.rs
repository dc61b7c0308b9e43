//! The Rekor v2 (rekor-tiles) personality over the same [`AppendLog`]: `CreateEntry` answering a
//! `TransparencyLogEntry` (no signed entry timestamp, integrated time 0, an inclusion proof
//! against the signed checkpoint that first holds the entry), and the C2SP tlog-tiles read API
//! served from the store (checkpoint, hash tiles, entry bundles).
//!
//! Checkpoints are C2SP tlog-checkpoints as rekor-tiles writes them: origin and key name are the
//! log's host; the key is the log's ECDSA P-256 key, a C2SP type-0x02 signature whose key ID is
//! SHA-256 of the key's DER SPKI (rekor-tiles' rule for ECDSA keys), which is also the log ID in
//! entries and trusted roots.

use std::path::Path;
use std::sync::Arc;

use signet_rekor::AdmittedV2;
use signet_types::{Sha256Hash, b64};

use crate::LogError;
use crate::backend::{Backend, Store};
use crate::clock::Clock;
use crate::log::{AppendLog, LogConfig, OriginStyle};
use crate::sequencer::LeafEntry;
use crate::signer::NoEntrySignature;
use crate::store::{LogStore, SqliteStore};
use crate::tiles::{TileError, TileId, encode_entry_bundle};

/// A Rekor v2 log: one tree, reads through tiles.
pub struct RekorV2Log<S: LogStore = SqliteStore> {
    log: AppendLog<S>,
    host: String,
    full_tiles: std::sync::Mutex<FullTiles>,
}

/// Most bytes of full tiles and entry bundles kept in memory.
const FULL_TILE_CACHE_BYTES: usize = 64 << 20;

/// Full tiles and entry bundles as served: a full tile never changes, so it is kept (FIFO,
/// bounded by bytes) and served again without reading the store.
struct FullTiles {
    map: std::collections::HashMap<TileId, Arc<Vec<u8>>>,
    order: std::collections::VecDeque<TileId>,
    bytes: usize,
    cap: usize,
}

impl FullTiles {
    fn new(cap: usize) -> Self {
        Self {
            map: Default::default(),
            order: Default::default(),
            bytes: 0,
            cap,
        }
    }

    fn get(&self, id: &TileId) -> Option<Arc<Vec<u8>>> {
        self.map.get(id).cloned()
    }

    fn insert(&mut self, id: TileId, bytes: Arc<Vec<u8>>) {
        if bytes.len() > self.cap || self.map.contains_key(&id) {
            return;
        }
        while self.bytes.saturating_add(bytes.len()) > self.cap {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(b) = self.map.remove(&old) {
                self.bytes = self.bytes.saturating_sub(b.len());
            }
        }
        self.bytes = self.bytes.saturating_add(bytes.len());
        self.order.push_back(id);
        self.map.insert(id, bytes);
    }
}

/// Why a tile read failed: a malformed path (400), a tile beyond the tree (404), or the log
/// (its status).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TileReadError {
    /// Malformed or out-of-range.
    #[error(transparent)]
    Tile(#[from] TileError),
    /// The store failed.
    #[error(transparent)]
    Log(#[from] LogError),
}

impl TileReadError {
    /// HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Self::Tile(TileError::Malformed { .. }) => 400,
            Self::Tile(TileError::OutOfRange { .. }) => 404,
            Self::Tile(_) => 500,
            Self::Log(e) => e.status(),
        }
    }
}

impl RekorV2Log<SqliteStore> {
    /// Opens (or creates) the v2 log in `dir` (`log.sqlite`, `log.key`, `checkpoint`), named
    /// `host` (the host of its base URL: checkpoint origin and key name).
    pub async fn open_dir(dir: &Path, host: &str, clock: Arc<dyn Clock>) -> Result<Self, LogError> {
        let store = SqliteStore::open(dir).await?;
        Self::open(store, dir, host, clock).await
    }
}

impl RekorV2Log<Store> {
    /// Opens (or creates) the v2 log kept in `dir` (`log.key`, `checkpoint`), its entries in
    /// `backend`.
    pub async fn open_in(
        backend: &Backend,
        dir: &Path,
        host: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LogError> {
        Self::open(backend.open(dir).await?, dir, host, clock).await
    }

    /// [`RekorV2Log::open_in`] with the log's key held outside `dir` when `key` is given (see
    /// [`LogConfig::key`]).
    pub async fn open_in_with_key(
        backend: &Backend,
        dir: &Path,
        host: &str,
        clock: Arc<dyn Clock>,
        key: Option<signet_crypto::SigningKey>,
    ) -> Result<Self, LogError> {
        Self::open_with_key(backend.open(dir).await?, dir, host, clock, key).await
    }
}

impl<S: LogStore> RekorV2Log<S> {
    /// Opens the v2 log on `store`, its key and checkpoint in `dir`.
    pub async fn open(
        store: S,
        dir: &Path,
        host: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LogError> {
        Self::open_with_key(store, dir, host, clock, None).await
    }

    /// [`RekorV2Log::open`] with the log's key held outside `dir` when `key` is given.
    pub async fn open_with_key(
        store: S,
        dir: &Path,
        host: &str,
        clock: Arc<dyn Clock>,
        key: Option<signet_crypto::SigningKey>,
    ) -> Result<Self, LogError> {
        let mut config = LogConfig::new(host).with_key(key);
        config.origin = OriginStyle::Host;
        config.entry_cache = 0;
        let log = AppendLog::open(store, dir, &config, clock, Arc::new(NoEntrySignature)).await?;
        Ok(Self {
            log,
            host: host.to_string(),
            full_tiles: std::sync::Mutex::new(FullTiles::new(FULL_TILE_CACHE_BYTES)),
        })
    }

    /// The log underneath.
    pub fn log(&self) -> &AppendLog<S> {
        &self.log
    }

    /// The host: checkpoint origin and key name.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The C2SP key ID of the checkpoint key (SHA-256 of its DER SPKI), the v2 `logId`.
    pub fn log_id(&self) -> Sha256Hash {
        self.log.key().id()
    }

    /// The latest signed checkpoint.
    pub fn checkpoint(&self) -> String {
        self.log.head().checkpoint.clone()
    }

    /// Admits a `CreateEntryRequest` (protojson) and logs it; answers the
    /// `TransparencyLogEntry` (protojson, as rekor-tiles: int64 as strings, bytes base64,
    /// `integratedTime` `"0"`, `inclusionPromise` null). Nothing is stored for a refused
    /// request. An entry already in the log is [`LogError::DuplicateIndex`] with its index.
    pub async fn create(&self, request: &[u8]) -> Result<serde_json::Value, LogError> {
        let admitted =
            signet_rekor::admit_v2(request).map_err(|e| LogError::BadRequest(e.to_string()))?;
        let leaf = admitted.entry.uuid;
        let committed = match self
            .log
            .append(LeafEntry {
                body: admitted.entry.body.clone(),
                leaf_hash: leaf,
                index_keys: Vec::new(),
            })
            .await
        {
            Ok(c) => c,
            Err(LogError::Duplicate { .. }) => return Err(self.duplicate(&leaf).await),
            Err(e) => return Err(e),
        };
        let head = committed.head;
        let proof = self
            .log
            .inclusion_proof_at(committed.index, head.size)
            .await?;
        Ok(self.entry_json(
            &admitted,
            committed.index,
            head.size,
            head.root,
            &proof,
            &head.checkpoint,
        ))
    }

    /// The 409 for a duplicate: the earlier entry's index (it may still be integrating, so its
    /// index is looked up for a moment).
    async fn duplicate(&self, leaf: &Sha256Hash) -> LogError {
        for _ in 0..50 {
            match self.log.index_of(leaf).await {
                Ok(index) => return LogError::DuplicateIndex { index },
                Err(LogError::NotFound) => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => return e,
            }
        }
        LogError::Internal("a duplicate entry's index could not be found".into())
    }

    fn entry_json(
        &self,
        a: &AdmittedV2,
        index: u64,
        size: u64,
        root: Sha256Hash,
        proof: &[Sha256Hash],
        checkpoint: &str,
    ) -> serde_json::Value {
        serde_json::json!({
            "logIndex": index.to_string(),
            "logId": {"keyId": b64::encode(self.log_id().as_bytes())},
            "kindVersion": {"kind": a.kind, "version": a.version()},
            "integratedTime": "0",
            "inclusionPromise": null,
            "inclusionProof": {
                "logIndex": index.to_string(),
                "rootHash": b64::encode(root.as_bytes()),
                "treeSize": size.to_string(),
                "hashes": proof.iter().map(|h| b64::encode(h.as_bytes())).collect::<Vec<_>>(),
                "checkpoint": {"envelope": checkpoint},
            },
            "canonicalizedBody": b64::encode(&a.entry.body),
        })
    }

    /// A hash tile (`id.level` is `Some`) or an entry bundle: 32-byte hashes, or
    /// `uint16`-length-prefixed entries; full ones from memory once read, the rest from the
    /// store. A tile beyond the current tree is a [`TileError::OutOfRange`].
    pub async fn tile(&self, id: &TileId) -> Result<Arc<Vec<u8>>, TileReadError> {
        let size = self.log.head().size;
        id.check_in(size)?;
        if !id.is_full() {
            return Ok(Arc::new(self.read_tile(id).await?));
        }
        if let Some(b) = self.full_tiles.lock().ok().and_then(|c| c.get(id)) {
            return Ok(b);
        }
        let bytes = Arc::new(self.read_tile(id).await?);
        if let Ok(mut c) = self.full_tiles.lock() {
            c.insert(*id, bytes.clone());
        }
        Ok(bytes)
    }

    /// Tile `id` (in the tree) from the store.
    async fn read_tile(&self, id: &TileId) -> Result<Vec<u8>, TileReadError> {
        match id.level {
            Some(_) => {
                let hashes = self.log.stored_hashes(&id.stored_indexes()).await?;
                let mut out = Vec::with_capacity(hashes.len().saturating_mul(32));
                for h in hashes {
                    out.extend_from_slice(h.as_bytes());
                }
                Ok(out)
            }
            None => {
                let (start, end) = id.entry_range();
                let bodies = self.log.store().bodies(start, end).await?;
                Ok(encode_entry_bundle(&bodies)?)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn id(index: u64) -> TileId {
        TileId {
            level: Some(0),
            index,
            width: 256,
        }
    }

    /// The full-tile cache keeps what it holds under its byte bound, dropping the oldest.
    #[test]
    fn full_tile_cache_is_bounded_and_drops_the_oldest() {
        let mut c = FullTiles::new(3 * 8192);
        for i in 0..4 {
            c.insert(id(i), Arc::new(vec![i as u8; 8192]));
        }
        assert!(c.get(&id(0)).is_none());
        for i in 1..4 {
            assert_eq!(c.get(&id(i)).unwrap()[0], i as u8);
        }
        assert_eq!(c.bytes, 3 * 8192);
        c.insert(id(9), Arc::new(vec![0; 4 * 8192]));
        assert!(c.get(&id(9)).is_none());
        assert_eq!(c.bytes, 3 * 8192);
    }
}
