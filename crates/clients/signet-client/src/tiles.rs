//! Reading a tiled log (C2SP tlog-tiles, as Rekor v2 serves it) over HTTP: the signed
//! checkpoint, hash tiles and entry bundles, each answer size-limited, and what a client proves
//! from them with [`signet_tlog::tiles::TileProver`]: the root (which must be the checkpoint's),
//! an entry's inclusion and a consistency proof between two verified checkpoints.
//!
//! Partial tiles follow the spec: a partial tile the log no longer serves (404: the tree grew and
//! the full tile replaced it) is read as the first `W` hashes or entries of the full tile.

use signet_tlog::tiles::{TILE_WIDTH, TileId, TileProver, parse_entry_bundle, with_tiles};
use signet_tlog::{NoteVerifier, VerifiedCheckpoint};
use signet_types::{LogIndex, Sha256Hash};

use crate::{ClientError, http};

/// Largest checkpoint accepted (a note with the log's signature and witness cosignatures).
pub const MAX_CHECKPOINT: u64 = 64 << 10;
/// Largest hash tile: 256 hashes of 32 bytes.
pub const MAX_HASH_TILE: u64 = TILE_WIDTH * 32;
/// Largest entry bundle: 256 entries of at most 65535 bytes, each with a 2-byte length.
pub const MAX_ENTRY_BUNDLE: u64 = TILE_WIDTH * (2 + 65_535);

/// A client for the tiles of the log at a base URL (`<base>/checkpoint`, `<base>/tile/...`).
#[derive(Clone, Debug)]
pub struct TileClient {
    base: String,
    http: reqwest::Client,
    opts: http::HttpOptions,
}

/// An entry read from its entry bundle whose inclusion in a verified checkpoint's tree was
/// proved from the log's tiles.
#[derive(Clone, Debug)]
pub struct VerifiedTileEntry {
    /// Its index.
    pub index: u64,
    /// The entry's bytes (a Rekor v2 canonical body).
    pub body: Vec<u8>,
    /// Its leaf hash (Rekor's UUID).
    pub leaf_hash: Sha256Hash,
    /// The inclusion proof computed from the tiles, leaf to root.
    pub proof: Vec<Sha256Hash>,
}

impl TileClient {
    /// A client for the tiled log at `base` with `opts`.
    pub fn new(base: &str, opts: &http::HttpOptions) -> Result<Self, ClientError> {
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            http: http::client_for(base, opts)?,
            opts: opts.clone(),
        })
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// GET `<base>/<path>`, at most `limit` bytes; `None` for a 404.
    async fn get(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, ClientError> {
        let url = format!("{}/{path}", self.base);
        let resp = http::send(self.http.get(&url), &url, &self.opts).await?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            // Error bodies are short text: a little of one is the message.
            let message = http::read_limited(resp, &url, 4096, &self.opts)
                .await
                .map(|b| String::from_utf8_lossy(&b).trim().to_string())
                .unwrap_or_default();
            return Err(ClientError::Status {
                url,
                status: status.as_u16(),
                message,
            });
        }
        Ok(Some(
            http::read_limited(resp, &url, limit, &self.opts).await?,
        ))
    }

    /// The bytes of tile `id`: the tile itself, or for a partial tile the log no longer serves,
    /// the full tile (which the caller cuts to the partial width).
    async fn tile_bytes(&self, id: &TileId, limit: u64) -> Result<Vec<u8>, ClientError> {
        if let Some(b) = self.get(&id.path(), limit).await? {
            return Ok(b);
        }
        if !id.is_full() {
            let full = TileId { width: 256, ..*id };
            if let Some(b) = self.get(&full.path(), limit).await? {
                return Ok(b);
            }
        }
        Err(ClientError::Status {
            url: format!("{}/{}", self.base, id.path()),
            status: 404,
            message: "the log does not serve this tile".into(),
        })
    }

    /// The signed checkpoint's text (unverified).
    pub async fn checkpoint(&self) -> Result<String, ClientError> {
        let url = format!("{}/checkpoint", self.base);
        let bytes = self
            .get("checkpoint", MAX_CHECKPOINT)
            .await?
            .ok_or_else(|| ClientError::Status {
                url: url.clone(),
                status: 404,
                message: "no checkpoint: is this a tiled log?".into(),
            })?;
        String::from_utf8(bytes).map_err(|_| ClientError::Decode {
            url,
            reason: "the checkpoint is not UTF-8".into(),
        })
    }

    /// The checkpoint, verified with `verifiers` (one of them must have signed it).
    pub async fn verified_checkpoint(
        &self,
        verifiers: &[&dyn NoteVerifier],
    ) -> Result<VerifiedCheckpoint, ClientError> {
        let text = self.checkpoint().await?;
        signet_tlog::verify_checkpoint(&text, verifiers).map_err(|e| {
            ClientError::Checkpoint(format!("the log's checkpoint does not verify: {e}"))
        })
    }

    /// Hash tile `id`: exactly `32 × width` bytes (the prefix of the full tile when only that
    /// is served).
    pub async fn hash_tile(&self, id: &TileId) -> Result<Vec<u8>, ClientError> {
        let mut bytes = self.tile_bytes(id, MAX_HASH_TILE).await?;
        let want = usize::from(id.width).saturating_mul(32);
        if bytes.len() == 8192 && want < 8192 {
            bytes.truncate(want);
        }
        if bytes.len() != want {
            return Err(ClientError::Decode {
                url: format!("{}/{}", self.base, id.path()),
                reason: format!("tile of {} bytes, expected {want}", bytes.len()),
            });
        }
        Ok(bytes)
    }

    /// Entry bundle `id` (`id.level` is `None`): its `width` entries.
    pub async fn entry_bundle(&self, id: &TileId) -> Result<Vec<Vec<u8>>, ClientError> {
        let url = format!("{}/{}", self.base, id.path());
        let bytes = self.tile_bytes(id, MAX_ENTRY_BUNDLE).await?;
        let mut entries = parse_entry_bundle(&bytes).map_err(|e| ClientError::Decode {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        let want = usize::from(id.width);
        if entries.len() == 256 && want < 256 {
            entries.truncate(want);
        }
        if entries.len() != want {
            return Err(ClientError::Decode {
                url,
                reason: format!("{} entries, expected {want}", entries.len()),
            });
        }
        Ok(entries)
    }

    /// Runs `f` over the hash tiles of the tree of `size` leaves (fetched in one round).
    pub async fn prove<T>(
        &self,
        size: u64,
        f: impl Fn(&TileProver<'_>) -> Result<T, signet_tlog::tiles::TileError>,
    ) -> Result<T, ClientError> {
        with_tiles(size, |id| async move { self.hash_tile(&id).await }, f).await
    }

    /// Checks that the hash tiles reproduce `cp`'s root.
    pub async fn check_root(&self, cp: &VerifiedCheckpoint) -> Result<(), ClientError> {
        let root = self.prove(cp.size().0, |p| p.root()).await?;
        if &root != cp.root_hash() {
            return Err(ClientError::TilesMismatch(format!(
                "the root computed from the tiles of size {} is {}, the checkpoint's is {}",
                cp.size(),
                root.to_hex(),
                cp.root_hash().to_hex()
            )));
        }
        Ok(())
    }

    /// Entry `index` from its entry bundle, with its inclusion in `cp`'s tree proved from the
    /// hash tiles.
    pub async fn verified_entry(
        &self,
        cp: &VerifiedCheckpoint,
        index: u64,
    ) -> Result<VerifiedTileEntry, ClientError> {
        let size = cp.size().0;
        if index >= size {
            return Err(ClientError::BeyondTree { index, size });
        }
        let bundle = TileId::holding(None, index, size);
        let entries = self.entry_bundle(&bundle).await?;
        let slot = usize::try_from(index % TILE_WIDTH).unwrap_or(usize::MAX);
        let body = entries
            .get(slot)
            .cloned()
            .ok_or_else(|| ClientError::Decode {
                url: format!("{}/{}", self.base, bundle.path()),
                reason: format!("no entry in slot {slot}"),
            })?;
        let leaf_hash = signet_tlog::leaf_hash(&body);
        let proof = self.prove(size, |p| p.inclusion_proof(index)).await?;
        cp.verify_inclusion(LogIndex(index), &leaf_hash, &proof)
            .map_err(|e| {
                ClientError::TilesMismatch(format!(
                    "entry {index}'s inclusion proof from the tiles does not reach the checkpoint's root: {e}"
                ))
            })?;
        Ok(VerifiedTileEntry {
            index,
            body,
            leaf_hash,
            proof,
        })
    }

    /// Proves from the hash tiles of `newer`'s tree that `older`'s tree is a prefix of it.
    pub async fn verify_consistency(
        &self,
        older: &VerifiedCheckpoint,
        newer: &VerifiedCheckpoint,
    ) -> Result<(), ClientError> {
        if older.size() > newer.size() {
            return Err(ClientError::Checkpoint(format!(
                "the earlier checkpoint's tree ({}) is larger than the log's current one ({})",
                older.size(),
                newer.size()
            )));
        }
        let old = older.size().0;
        if old == 0 {
            return Ok(());
        }
        let proof = self
            .prove(newer.size().0, |p| p.consistency_proof(old))
            .await?;
        older.verify_consistency(newer, &proof).map_err(|e| {
            ClientError::Checkpoint(format!(
                "the log's checkpoint of size {} is not consistent with the earlier one of size {}: {e}",
                newer.size(),
                older.size()
            ))
        })
    }
}

/// A tiled log as a monitor reads it: one tree (no tree ID) whose checkpoint is served at
/// `<base>/checkpoint`, consistency proofs computed from the hash tiles of the newer tree, and
/// entries read from whole entry bundles (one request per 256 entries).
impl crate::monitor::LogSource for TileClient {
    fn name(&self) -> &str {
        self.base()
    }

    fn batch(&self) -> usize {
        usize::try_from(TILE_WIDTH).unwrap_or(256)
    }

    async fn trees(&self) -> Result<Vec<crate::monitor::ServedTree>, crate::monitor::MonitorError> {
        Ok(vec![crate::monitor::ServedTree {
            tree_id: None,
            offset: 0,
            signed_head: self.checkpoint().await?,
        }])
    }

    async fn consistency(
        &self,
        _tree: Option<u64>,
        first: u64,
        last: u64,
    ) -> Result<Vec<Sha256Hash>, crate::monitor::MonitorError> {
        Ok(self.prove(last, |p| p.consistency_proof(first)).await?)
    }

    async fn entries(
        &self,
        start: u64,
        count: usize,
    ) -> Result<Vec<Vec<u8>>, crate::monitor::MonitorError> {
        let overflow = || ClientError::Decode {
            url: self.base.clone(),
            reason: "entry index overflow".into(),
        };
        let end = u64::try_from(count)
            .ok()
            .and_then(|c| start.checked_add(c))
            .ok_or_else(overflow)?;
        let mut out = Vec::with_capacity(count);
        let mut at = start;
        while at < end {
            // The bundle holding `at`, as wide as this read needs: the full bundle, or the
            // partial one of the tree that ends at `end`.
            let index = at / TILE_WIDTH;
            let first = index.checked_mul(TILE_WIDTH).ok_or_else(overflow)?;
            let upto = end.min(first.saturating_add(TILE_WIDTH));
            let id = TileId {
                level: None,
                index,
                width: u16::try_from(upto.saturating_sub(first)).map_err(|_| overflow())?,
            };
            let entries = self.entry_bundle(&id).await?;
            let from = usize::try_from(at.saturating_sub(first)).map_err(|_| overflow())?;
            out.extend(entries.into_iter().skip(from));
            at = upto;
        }
        Ok(out)
    }
}
