//! Moving an instance's logs between the embedded store (`log.sqlite` in each log's directory)
//! and a PostgreSQL database, both ways (`signet admin migrate`).
//!
//! Every log is copied in bounded batches (entries, stored hashes, search keys, metadata —
//! tree ID, key ID, creation time, index offset — and size), never all in memory, and then the
//! copy is verified from the target before it becomes visible: every entry's leaf hash is
//! recomputed from its body, the Merkle tree is rebuilt from the leaf hashes and each stored
//! hash compared with the rebuilt one, and the root at the log's last signed checkpoint (the
//! `checkpoint` file in its directory, its signature verified with the log's `log.key`) is
//! compared with both the root from the leaves and the root from the copied stored hashes.
//!
//! fsck ([`fsck_embedded`], [`fsck_postgres`]; `signet admin fsck`) runs the same verification
//! on an instance's own stores, and per entry also checks what its [`LogKind`] promises: a
//! canonical JSON body and, for Rekor v1, the SET. It reports the first [`Divergence`].
//!
//! Atomicity: into PostgreSQL, every log is copied and verified in one transaction, committed
//! only when all verified (a failure leaves the database as it was); into a directory, the new
//! data directory is built under a temporary name beside it and renamed into place only when
//! every log verified (a failure removes it).

use std::path::{Path, PathBuf};

use signet_crypto::SigningKey;
use signet_tlog::{Frontier, StoredIndex};
use signet_types::{Sha256Hash, TreeSize};

use crate::LogError;
use crate::backend::Backend;
use crate::files::{CHECKPOINT_FILE, KEY_FILE, META_INDEX_OFFSET, META_KEY_ID, read_recorded};
use crate::pg::PgDatabase;
use crate::store::SqliteStore;

/// The embedded store's file in a log's directory.
pub const SQLITE_FILE: &str = "log.sqlite";
/// Rows per copy batch (entries, hashes or search keys): what is held in memory at once.
const BATCH: usize = 500;
/// How deep under the data directory log directories are looked for (`log`, `ct-2`, …).
const MAX_DEPTH: usize = 4;

/// One copied and verified log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migrated {
    /// Its name (directory relative to the data directory).
    pub name: String,
    /// Entries copied.
    pub size: u64,
    /// The size of its last signed checkpoint, whose root the copy reproduced (0: none yet).
    pub checkpoint_size: u64,
}

/// An `entries` row: idx, uuid (leaf hash), body, integrated_time, sets.
type EntryRow = (i64, Vec<u8>, Vec<u8>, i64, Vec<u8>);
/// A `search_keys` row: key (its SHA-256), uuid.
type KeyRow = (Vec<u8>, Vec<u8>);

/// Read access to one log's rows, in bounded batches.
trait Source {
    /// Metadata except the size.
    async fn meta(&self) -> Result<Vec<(String, String)>, LogError>;
    async fn size(&self) -> Result<u64, LogError>;
    /// Entries with `idx >= start`, by index, at most `limit`.
    async fn entries(&self, start: i64, limit: usize) -> Result<Vec<EntryRow>, LogError>;
    /// Stored hashes with `idx >= start`, by index, at most `limit`.
    async fn hashes(&self, start: i64, limit: usize) -> Result<Vec<(i64, Vec<u8>)>, LogError>;
    /// Search keys after `after` in `(k, uuid)` order, at most `limit`.
    async fn keys(&self, after: Option<&KeyRow>, limit: usize) -> Result<Vec<KeyRow>, LogError>;
}

/// Write access to one (new, empty) log.
trait Target {
    async fn meta(&self, k: &str, v: &str) -> Result<(), LogError>;
    async fn size(&self, size: u64) -> Result<(), LogError>;
    async fn entries(&self, rows: &[EntryRow]) -> Result<(), LogError>;
    async fn hashes(&self, rows: &[(i64, Vec<u8>)]) -> Result<(), LogError>;
    async fn keys(&self, rows: &[KeyRow]) -> Result<(), LogError>;
}

fn limit_i64(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn next_after(last: i64) -> Result<i64, LogError> {
    last.checked_add(1)
        .ok_or_else(|| LogError::Storage("index out of range".into()))
}

/// Copies every row of `src` into `dst`, batch by batch.
async fn copy(src: &impl Source, dst: &impl Target) -> Result<u64, LogError> {
    for (k, v) in src.meta().await? {
        dst.meta(&k, &v).await?;
    }
    let mut next = 0i64;
    loop {
        let rows = src.entries(next, BATCH).await?;
        let Some(last) = rows.last() else { break };
        next = next_after(last.0)?;
        dst.entries(&rows).await?;
    }
    let mut next = 0i64;
    loop {
        let rows = src.hashes(next, BATCH).await?;
        let Some(last) = rows.last() else { break };
        next = next_after(last.0)?;
        dst.hashes(&rows).await?;
    }
    let mut after: Option<KeyRow> = None;
    loop {
        let rows = src.keys(after.as_ref(), BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.clone());
        dst.keys(&rows).await?;
    }
    let size = src.size().await?;
    dst.size(size).await?;
    Ok(size)
}

/// A log's personality: what its entries carry besides the leaf, and so what
/// [`fsck_embedded`] and [`fsck_postgres`] check per entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    /// A Rekor v1 log: canonical JSON bodies, each with a signed entry timestamp (SET) made
    /// with the log's key over the body, integrated time, log ID and global index.
    RekorV1,
    /// A Rekor v2 log: canonical JSON bodies, no per-entry signature.
    RekorV2,
    /// A CT log: RFC 6962 `MerkleTreeLeaf` bodies (binary), no per-entry signature.
    Ct,
}

/// The first place a log's stored data contradicts itself or its signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The log's name (its directory relative to the data directory).
    pub log: String,
    /// The entry (leaf index in this tree) or stored hash index concerned, when there is one.
    pub index: Option<u64>,
    /// What is wrong.
    pub what: String,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            Some(i) => write!(f, "log {}: entry {i}: {}", self.log, self.what),
            None => write!(f, "log {}: {}", self.log, self.what),
        }
    }
}

/// Why [`verify`] stopped: the data diverges, or it could not be read.
enum Fault {
    Diverged(Divergence),
    Failed(LogError),
}

impl From<LogError> for Fault {
    fn from(e: LogError) -> Self {
        Self::Failed(e)
    }
}

impl From<Fault> for LogError {
    fn from(f: Fault) -> Self {
        match f {
            Fault::Diverged(d) => LogError::Refused(d.to_string()),
            Fault::Failed(e) => e,
        }
    }
}

/// Reports the progress of a verification: (log name, entries checked, entries in all).
pub type Progress<'a> = &'a (dyn Fn(&str, u64, u64) + Sync);

/// Checks one stored entry beyond its leaf hash, by the log's kind: the body is in canonical
/// form (JSON kinds: re-canonicalised it is the same bytes) and the SET verifies (Rekor v1).
fn check_entry(
    kind: LogKind,
    key: &signet_crypto::PublicKey,
    offset: u64,
    n: u64,
    body: &[u8],
    integrated_time: i64,
    set: &[u8],
) -> Result<(), String> {
    if kind == LogKind::Ct {
        return Ok(());
    }
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| signet_rekor::canonical_json(&v).ok());
    if canonical.as_deref() != Some(body) {
        return Err("its body is not canonical JSON (damaged body)".into());
    }
    if kind == LogKind::RekorV1 {
        let global = offset
            .checked_add(n)
            .and_then(|g| i64::try_from(g).ok())
            .ok_or("its global index is out of range")?;
        let payload = signet_rekor::set_payload(body, integrated_time, &key.key_id().0, global);
        signet_rekor::verify_set(key, &payload, set).map_err(|_| {
            format!(
                "its signed entry timestamp does not verify with {KEY_FILE} (damaged SET, \
                 body, integrated time or index)"
            )
        })?;
    }
    Ok(())
}

/// Verifies the log `name` (directory `dir`, holding its key and last checkpoint) by reading
/// it back from `copied`: see the module documentation. With `kind`, every entry is also
/// checked as [`check_entry`] does (fsck). Answers the checkpoint size.
async fn verify(
    copied: &impl Source,
    name: &str,
    dir: &Path,
    kind: Option<LogKind>,
    progress: Progress<'_>,
) -> Result<u64, Fault> {
    let at = |index: Option<u64>, what: String| {
        Fault::Diverged(Divergence {
            log: name.to_string(),
            index,
            what,
        })
    };
    let bad = |what: String| at(None, what);
    let size = copied.size().await?;
    let cp_path = dir.join(CHECKPOINT_FILE);
    let key_path = dir.join(KEY_FILE);
    let recorded = read_recorded(&cp_path)?;
    let key = if recorded.is_some() || (kind.is_some() && size > 0) {
        let der =
            signet_crypto::read_private_key_file(&key_path).map_err(|e| bad(e.to_string()))?;
        let key = SigningKey::from_pkcs8_der(&der)
            .map_err(|e| bad(format!("{}: {e}", key_path.display())))?;
        Some(key.public_key().clone())
    } else {
        None
    };
    let checkpoint = match (&recorded, &key) {
        (Some(text), Some(key)) => {
            let verifier = signet_tlog::EcdsaNoteVerifier::any_name(key.clone());
            let cp = signet_tlog::verify_checkpoint(text, &[&verifier]).map_err(|e| {
                bad(format!(
                    "{} does not verify with {} ({e})",
                    cp_path.display(),
                    KEY_FILE
                ))
            })?;
            let cp = cp.checkpoint();
            if cp.size.0 > size {
                return Err(bad(format!(
                    "the store holds {size} entries but its last signed checkpoint has {}",
                    cp.size.0
                )));
            }
            Some((cp.size.0, cp.root_hash))
        }
        _ if size == 0 => None,
        _ => {
            return Err(bad(format!(
                "{size} entries but no signed checkpoint ({}) to verify them against",
                cp_path.display()
            )));
        }
    };
    let meta = copied.meta().await?;
    let meta_of = |k: &str| meta.iter().find(|(mk, _)| mk == k).map(|(_, v)| v.as_str());
    let offset = match meta_of(META_INDEX_OFFSET) {
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| bad(format!("its stored {META_INDEX_OFFSET} {v:?} is no number")))?,
        None => 0,
    };
    if let (Some(_), Some(key), Some(stored)) = (kind, &key, meta_of(META_KEY_ID))
        && stored != key.key_id().to_hex()
    {
        return Err(bad(format!(
            "its stored key ID {stored} is not the ID of {}",
            key_path.display()
        )));
    }
    // Rebuild the tree from the leaf hashes, checking each against its body and each stored
    // hash against the rebuilt one, batch by batch.
    let mut frontier = Frontier::new();
    let mut leaves_root = None;
    let mut want_hashes: std::collections::VecDeque<(u64, Sha256Hash)> = Default::default();
    let mut next_hash = 0i64;
    let mut n = 0u64;
    if let Some((0, _)) = checkpoint {
        leaves_root = Some(frontier.root());
    }
    while n < size {
        let rows = copied.entries(crate::store::as_i64(n)?, BATCH).await?;
        if rows.is_empty() {
            return Err(at(Some(n), "it is missing".into()));
        }
        for (idx, uuid, body, time, set) in &rows {
            if u64::try_from(*idx).ok() != Some(n) {
                return Err(at(Some(n), "it is missing".into()));
            }
            if n >= size {
                return Err(at(Some(n), format!("it is beyond the tree size {size}")));
            }
            let leaf = signet_tlog::leaf_hash(body);
            if uuid[..] != leaf.0[..] {
                return Err(at(
                    Some(n),
                    "its body does not hash to its stored leaf hash (UUID): damaged body or \
                     leaf hash"
                        .into(),
                ));
            }
            if let (Some(kind), Some(key)) = (kind, &key) {
                check_entry(kind, key, offset, n, body, *time, set)
                    .map_err(|what| at(Some(n), what))?;
            }
            let first = StoredIndex::count(TreeSize(n));
            let stored = frontier.append(leaf).map_err(|e| bad(e.to_string()))?;
            for (i, h) in (first..).zip(stored) {
                want_hashes.push_back((i, h));
            }
            n = n.saturating_add(1);
            if checkpoint.is_some_and(|(s, _)| s == n) {
                leaves_root = Some(frontier.root());
            }
        }
        progress(name, n, size);
        // Compare the stored hashes the leaves so far determine.
        while !want_hashes.is_empty() {
            let got = copied.hashes(next_hash, BATCH).await?;
            if got.is_empty() {
                break;
            }
            for (idx, h) in got {
                let Some((i, want)) = want_hashes.pop_front() else {
                    return Err(bad(format!(
                        "stored hash {idx} is beyond what the entries determine"
                    )));
                };
                if u64::try_from(idx).ok() != Some(i) {
                    return Err(bad(format!("stored hash {i} is missing")));
                }
                if h[..] != want.0[..] {
                    return Err(bad(format!(
                        "stored hash {i} differs from the hash recomputed from the entries \
                         (damaged stored hash)"
                    )));
                }
                next_hash = next_after(idx)?;
                if want_hashes.is_empty() {
                    break;
                }
            }
        }
        if let Some((i, _)) = want_hashes.front() {
            return Err(bad(format!("stored hash {i} is missing")));
        }
    }
    if let Some((idx, _)) = copied.hashes(next_hash, 1).await?.first() {
        return Err(bad(format!(
            "stored hash {idx} is beyond what the {size} entries determine"
        )));
    }
    if let Some((idx, ..)) = copied
        .entries(crate::store::as_i64(size)?, 1)
        .await?
        .first()
    {
        return Err(at(
            u64::try_from(*idx).ok(),
            format!("it is beyond the tree size {size}"),
        ));
    }
    let Some((cp_size, cp_root)) = checkpoint else {
        return Ok(0);
    };
    if leaves_root != Some(cp_root) {
        return Err(bad(format!(
            "the root recomputed from the entries at size {cp_size} differs from the last \
             signed checkpoint's"
        )));
    }
    // The root from the copied stored hashes alone (what proofs are served from).
    let mut frontier_hashes = Vec::new();
    for i in Frontier::stored_indexes(TreeSize(cp_size)) {
        let idx = crate::store::as_i64(i.0)?;
        match copied.hashes(idx, 1).await?.first() {
            Some((j, h)) if *j == idx => frontier_hashes.push(crate::store::hash_of(h)?),
            _ => return Err(bad(format!("stored hash {} is missing", i.0))),
        }
    }
    let stored_root = Frontier::from_hashes(TreeSize(cp_size), frontier_hashes)
        .map_err(|e| bad(e.to_string()))?
        .root();
    if stored_root != cp_root {
        return Err(bad(format!(
            "the root from the stored hashes at size {cp_size} differs from the last signed \
             checkpoint's"
        )));
    }
    Ok(cp_size)
}

// ---- SQLite side ----

struct SqliteSide<'c> {
    conn: &'c rusqlite::Connection,
}

impl Source for SqliteSide<'_> {
    async fn meta(&self) -> Result<Vec<(String, String)>, LogError> {
        let mut st = self
            .conn
            .prepare("SELECT k, v FROM meta WHERE k <> 'size' ORDER BY k LIMIT 10000")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    async fn size(&self) -> Result<u64, LogError> {
        use rusqlite::OptionalExtension;
        let v: Option<String> = self
            .conn
            .query_row("SELECT v FROM meta WHERE k = 'size'", [], |r| r.get(0))
            .optional()?;
        v.map(|s| s.parse::<u64>())
            .transpose()
            .map_err(|e| LogError::Storage(format!("size: {e}")))
            .map(Option::unwrap_or_default)
    }
    async fn entries(&self, start: i64, limit: usize) -> Result<Vec<EntryRow>, LogError> {
        let mut st = self.conn.prepare_cached(
            "SELECT idx, uuid, body, integrated_time, sets FROM entries WHERE idx >= ?1 \
             ORDER BY idx LIMIT ?2",
        )?;
        let rows = st.query_map(rusqlite::params![start, limit_i64(limit)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    async fn hashes(&self, start: i64, limit: usize) -> Result<Vec<(i64, Vec<u8>)>, LogError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT idx, h FROM hashes WHERE idx >= ?1 ORDER BY idx LIMIT ?2")?;
        let rows = st.query_map(rusqlite::params![start, limit_i64(limit)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    async fn keys(&self, after: Option<&KeyRow>, limit: usize) -> Result<Vec<KeyRow>, LogError> {
        let (k, u) = after.cloned().unwrap_or_default();
        let mut st = self.conn.prepare_cached(
            "SELECT k, uuid FROM search_keys WHERE ?1 = 0 OR k > ?2 OR (k = ?2 AND uuid > ?3) \
             ORDER BY k, uuid LIMIT ?4",
        )?;
        let rows = st.query_map(
            rusqlite::params![i64::from(after.is_some()), k, u, limit_i64(limit)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Target for SqliteSide<'_> {
    async fn meta(&self, k: &str, v: &str) -> Result<(), LogError> {
        self.conn.execute(
            "INSERT INTO meta (k, v) VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
            [k, v],
        )?;
        Ok(())
    }
    async fn size(&self, size: u64) -> Result<(), LogError> {
        Target::meta(self, "size", &size.to_string()).await
    }
    async fn entries(&self, rows: &[EntryRow]) -> Result<(), LogError> {
        let mut st = self.conn.prepare_cached(
            "INSERT INTO entries (idx, uuid, body, integrated_time, sets) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (i, u, b, t, s) in rows {
            st.execute(rusqlite::params![i, u, b, t, s])?;
        }
        Ok(())
    }
    async fn hashes(&self, rows: &[(i64, Vec<u8>)]) -> Result<(), LogError> {
        let mut st = self
            .conn
            .prepare_cached("INSERT INTO hashes (idx, h) VALUES (?1, ?2)")?;
        for (i, h) in rows {
            st.execute(rusqlite::params![i, h])?;
        }
        Ok(())
    }
    async fn keys(&self, rows: &[KeyRow]) -> Result<(), LogError> {
        let mut st = self
            .conn
            .prepare_cached("INSERT INTO search_keys (k, uuid) VALUES (?1, ?2)")?;
        for (k, u) in rows {
            st.execute(rusqlite::params![k, u])?;
        }
        Ok(())
    }
}

// ---- PostgreSQL side ----

struct PgSide<'t> {
    tx: &'t deadpool_postgres::Transaction<'t>,
    tree: i64,
}

impl Source for PgSide<'_> {
    async fn meta(&self) -> Result<Vec<(String, String)>, LogError> {
        let rows = self
            .tx
            .query(
                "SELECT k, v FROM meta WHERE tree = $1 ORDER BY k LIMIT 10000",
                &[&self.tree],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
    async fn size(&self) -> Result<u64, LogError> {
        let s: i64 = self
            .tx
            .query_one("SELECT size FROM trees WHERE id = $1", &[&self.tree])
            .await?
            .try_get(0)?;
        u64::try_from(s).map_err(|_| LogError::Storage("negative tree size".into()))
    }
    async fn entries(&self, start: i64, limit: usize) -> Result<Vec<EntryRow>, LogError> {
        let rows = self
            .tx
            .query(
                "SELECT idx, uuid, body, integrated_time, sets FROM entries \
                 WHERE tree = $1 AND idx >= $2 ORDER BY idx LIMIT $3",
                &[&self.tree, &start, &limit_i64(limit)],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                ))
            })
            .collect()
    }
    async fn hashes(&self, start: i64, limit: usize) -> Result<Vec<(i64, Vec<u8>)>, LogError> {
        let rows = self
            .tx
            .query(
                "SELECT idx, h FROM hashes WHERE tree = $1 AND idx >= $2 ORDER BY idx LIMIT $3",
                &[&self.tree, &start, &limit_i64(limit)],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
    async fn keys(&self, after: Option<&KeyRow>, limit: usize) -> Result<Vec<KeyRow>, LogError> {
        let (k, u) = after.cloned().unwrap_or_default();
        let rows = self
            .tx
            .query(
                "SELECT k, uuid FROM search_keys WHERE tree = $1 \
                 AND (NOT $2 OR (k, uuid) > ($3, $4)) ORDER BY k, uuid LIMIT $5",
                &[&self.tree, &after.is_some(), &k, &u, &limit_i64(limit)],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
}

impl Target for PgSide<'_> {
    async fn meta(&self, k: &str, v: &str) -> Result<(), LogError> {
        self.tx
            .execute(
                "INSERT INTO meta (tree, k, v) VALUES ($1, $2, $3)",
                &[&self.tree, &k, &v],
            )
            .await?;
        Ok(())
    }
    async fn size(&self, size: u64) -> Result<(), LogError> {
        let s = crate::store::as_i64(size)?;
        self.tx
            .execute(
                "UPDATE trees SET size = $2 WHERE id = $1",
                &[&self.tree, &s],
            )
            .await?;
        Ok(())
    }
    async fn entries(&self, rows: &[EntryRow]) -> Result<(), LogError> {
        let idx: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let uuids: Vec<&[u8]> = rows.iter().map(|r| &r.1[..]).collect();
        let bodies: Vec<&[u8]> = rows.iter().map(|r| &r.2[..]).collect();
        let times: Vec<i64> = rows.iter().map(|r| r.3).collect();
        let sets: Vec<&[u8]> = rows.iter().map(|r| &r.4[..]).collect();
        self.tx
            .execute(
                "INSERT INTO entries (tree, idx, uuid, body, integrated_time, sets) \
                 SELECT $1, i, u, b, t, s \
                 FROM UNNEST($2::bigint[], $3::bytea[], $4::bytea[], $5::bigint[], $6::bytea[]) \
                 AS x(i, u, b, t, s)",
                &[&self.tree, &idx, &uuids, &bodies, &times, &sets],
            )
            .await?;
        Ok(())
    }
    async fn hashes(&self, rows: &[(i64, Vec<u8>)]) -> Result<(), LogError> {
        let idx: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let hs: Vec<&[u8]> = rows.iter().map(|r| &r.1[..]).collect();
        crate::pg::insert_hashes(self.tx, self.tree, &idx, &hs).await
    }
    async fn keys(&self, rows: &[KeyRow]) -> Result<(), LogError> {
        let ks: Vec<&[u8]> = rows.iter().map(|r| &r.0[..]).collect();
        let us: Vec<&[u8]> = rows.iter().map(|r| &r.1[..]).collect();
        crate::pg::insert_search_keys(self.tx, self.tree, &ks, &us).await
    }
}

/// Every log directory (holding a `log.sqlite`) under `data_dir`, with its name, sorted.
pub fn embedded_logs(data_dir: &Path) -> Result<Vec<(String, PathBuf)>, LogError> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), LogError> {
        let io = |e: std::io::Error| LogError::Storage(format!("{}: {e}", dir.display()));
        for ent in std::fs::read_dir(dir).map_err(io)? {
            let ent = ent.map_err(io)?;
            let ty = ent.file_type().map_err(io)?;
            if ty.is_file() && ent.file_name() == SQLITE_FILE {
                out.push(dir.to_path_buf());
            } else if ty.is_dir() && depth < MAX_DEPTH {
                walk(&ent.path(), depth.saturating_add(1), out)?;
            }
        }
        Ok(())
    }
    let mut dirs = Vec::new();
    walk(data_dir, 0, &mut dirs)?;
    let mut out = dirs
        .into_iter()
        .map(|d| Ok((Backend::name_of(data_dir, &d)?, d)))
        .collect::<Result<Vec<_>, LogError>>()?;
    out.sort();
    Ok(out)
}

fn open_sqlite_read_only(dir: &Path) -> Result<rusqlite::Connection, LogError> {
    let path = dir.join(SQLITE_FILE);
    let c = rusqlite::Connection::open_with_flags(
        &path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| LogError::Storage(format!("{}: {e}", path.display())))?;
    c.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(c)
}

/// Copies every log of the embedded instance in `data_dir` into `db`, which must hold no log
/// yet, and verifies each copy (see the module documentation): all in one transaction, so a
/// failure leaves the database as it was. `progress` is told of each log verified.
pub async fn embedded_to_postgres(
    data_dir: &Path,
    db: &PgDatabase,
    progress: impl Fn(&Migrated),
) -> Result<Vec<Migrated>, LogError> {
    let logs = embedded_logs(data_dir)?;
    if logs.is_empty() {
        return Err(LogError::BadRequest(format!(
            "{} holds no log ({SQLITE_FILE}): nothing to migrate",
            data_dir.display()
        )));
    }
    let mut client = db.pool().get().await?;
    let tx = client.transaction().await?;
    // No server may create a log while the copy runs; then the target must be empty.
    tx.batch_execute("LOCK TABLE trees IN EXCLUSIVE MODE")
        .await?;
    let held: Vec<String> = tx
        .query("SELECT name FROM trees ORDER BY name LIMIT 20", &[])
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    if !held.is_empty() {
        return Err(LogError::Refused(format!(
            "the database {} already holds logs ({}): migration copies only into a database \
             that holds none (it never merges)",
            db.target(),
            held.join(", ")
        )));
    }
    let mut done = Vec::new();
    for (name, dir) in &logs {
        let conn = open_sqlite_read_only(dir)?;
        // One read transaction: a consistent snapshot of the source.
        conn.execute_batch("BEGIN")?;
        let tree: i64 = tx
            .query_one("INSERT INTO trees (name) VALUES ($1) RETURNING id", &[name])
            .await?
            .try_get(0)?;
        let side = PgSide { tx: &tx, tree };
        let size = copy(&SqliteSide { conn: &conn }, &side).await?;
        let checkpoint_size = verify(&side, name, dir, None, &|_, _, _| {}).await?;
        let m = Migrated {
            name: name.clone(),
            size,
            checkpoint_size,
        };
        progress(&m);
        done.push(m);
    }
    tx.commit().await?;
    Ok(done)
}

/// Copies every log in `db` into a new data directory `to`, which must not exist or be empty:
/// the other files of the instance (keys, checkpoints, CA, TUF, trust files) are copied from
/// `from` (the data directory the database was used with), each log's `log.sqlite` written
/// from the database and verified. Built under a temporary name and renamed into place when
/// every log verified; a failure removes it.
pub async fn postgres_to_embedded(
    db: &PgDatabase,
    from: &Path,
    to: &Path,
    progress: impl Fn(&Migrated),
) -> Result<Vec<Migrated>, LogError> {
    let staging = new_dir_staging(to, "migrating")?;
    let result = async {
        copy_files(from, &staging)?;
        let done = pg_logs_into(db, &staging, &progress).await?;
        new_dir_commit(&staging, to)?;
        Ok(done)
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// Where a new data directory `to` (which must not exist or be empty) is built before
/// [`new_dir_commit`] renames it into place: `.NAME.{what}-PID` beside it (removed first if a
/// crashed run left it). The caller removes it on failure.
pub fn new_dir_staging(to: &Path, what: &str) -> Result<PathBuf, LogError> {
    let io = |p: &Path, e: std::io::Error| LogError::Storage(format!("{}: {e}", p.display()));
    match std::fs::read_dir(to) {
        Ok(mut d) => {
            if d.next().is_some() {
                return Err(LogError::Refused(format!(
                    "{} is not empty: only a new data directory is written",
                    to.display()
                )));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(to, e)),
    }
    let parent = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = to
        .file_name()
        .ok_or_else(|| LogError::BadRequest(format!("{} names no directory", to.display())))?;
    let staging = parent.join(format!(
        ".{}.{what}-{}",
        base.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    Ok(staging)
}

/// Renames the directory built at `staging` ([`new_dir_staging`]) to `to`.
pub fn new_dir_commit(staging: &Path, to: &Path) -> Result<(), LogError> {
    let io = |p: &Path, e: std::io::Error| LogError::Storage(format!("{}: {e}", p.display()));
    if to.exists() {
        std::fs::remove_dir(to).map_err(|e| io(to, e))?;
    }
    std::fs::rename(staging, to).map_err(|e| io(to, e))
}

async fn pg_logs_into(
    db: &PgDatabase,
    staging: &Path,
    progress: &impl Fn(&Migrated),
) -> Result<Vec<Migrated>, LogError> {
    let mut client = db.pool().get().await?;
    let tx = snapshot(&mut client).await?;
    let trees = pg_trees(&tx, db).await?;
    let mut done = Vec::new();
    for (tree, name) in trees {
        let rel = signet_types_rel(&name)?;
        let dir = staging.join(rel);
        if !dir.join(KEY_FILE).exists() {
            return Err(LogError::Refused(format!(
                "the database holds log {name}, but the data directory has no {name}/{KEY_FILE}: \
                 give the data directory the database was used with"
            )));
        }
        // Creates the file with the embedded schema.
        drop(SqliteStore::open(&dir).await?);
        let mut conn = rusqlite::Connection::open(dir.join(SQLITE_FILE))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let wtx = conn.transaction()?;
        let size = copy(&PgSide { tx: &tx, tree }, &SqliteSide { conn: &wtx }).await?;
        let checkpoint_size =
            verify(&SqliteSide { conn: &wtx }, &name, &dir, None, &|_, _, _| {}).await?;
        wtx.commit()?;
        let m = Migrated {
            name,
            size,
            checkpoint_size,
        };
        progress(&m);
        done.push(m);
    }
    tx.commit().await?;
    Ok(done)
}

/// What [`fsck_embedded`] or [`fsck_postgres`] found: the logs that verified, in order, and
/// the first divergence (checking stops there).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FsckReport {
    /// Logs fully verified (`size`: entries checked).
    pub logs: Vec<Migrated>,
    /// The first divergence, if any.
    pub divergence: Option<Divergence>,
}

impl FsckReport {
    /// Runs [`verify`] for one more log unless one already diverged.
    async fn check(
        &mut self,
        side: &impl Source,
        name: &str,
        dir: &Path,
        kind: LogKind,
        progress: Progress<'_>,
    ) -> Result<(), LogError> {
        if self.divergence.is_some() {
            return Ok(());
        }
        match verify(side, name, dir, Some(kind), progress).await {
            Ok(checkpoint_size) => {
                let size = side.size().await?;
                self.logs.push(Migrated {
                    name: name.to_string(),
                    size,
                    checkpoint_size,
                });
                Ok(())
            }
            Err(Fault::Diverged(d)) => {
                self.divergence = Some(d);
                Ok(())
            }
            Err(Fault::Failed(e)) => Err(e),
        }
    }
}

/// Checks every log (`log.sqlite`) under `data_dir` (stopped: nothing may append meanwhile),
/// with the same verification as a migration's copy plus, per entry, the checks of its
/// `kind_of(name)`: see [`check_entry`]. Each log is read in one transaction.
pub async fn fsck_embedded(
    data_dir: &Path,
    kind_of: impl Fn(&str) -> LogKind,
    progress: Progress<'_>,
) -> Result<FsckReport, LogError> {
    let logs = embedded_logs(data_dir)?;
    if logs.is_empty() {
        return Err(LogError::BadRequest(format!(
            "{} holds no log ({SQLITE_FILE}): is it a signet data directory (or are its logs \
             in PostgreSQL: --database)?",
            data_dir.display()
        )));
    }
    let mut report = FsckReport::default();
    for (name, dir) in &logs {
        let conn = open_sqlite_read_only(dir)?;
        conn.execute_batch("BEGIN")?;
        report
            .check(
                &SqliteSide { conn: &conn },
                name,
                dir,
                kind_of(name),
                progress,
            )
            .await?;
    }
    Ok(report)
}

/// Checks every log in `db` as [`fsck_embedded`] does, in one read-only snapshot of the
/// database; keys and checkpoints come from `data_dir` (the instance's data directory).
pub async fn fsck_postgres(
    db: &PgDatabase,
    data_dir: &Path,
    kind_of: impl Fn(&str) -> LogKind,
    progress: Progress<'_>,
) -> Result<FsckReport, LogError> {
    let mut client = db.pool().get().await?;
    let tx = snapshot(&mut client).await?;
    let trees = pg_trees(&tx, db).await?;
    let mut report = FsckReport::default();
    for (tree, name) in trees {
        let dir = data_dir.join(signet_types_rel(&name)?);
        report
            .check(
                &PgSide { tx: &tx, tree },
                &name,
                &dir,
                kind_of(&name),
                progress,
            )
            .await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// A read-only transaction on one snapshot of the whole database.
async fn snapshot(
    client: &mut deadpool_postgres::Client,
) -> Result<deadpool_postgres::Transaction<'_>, LogError> {
    Ok(client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
}

/// Every log in the database: (tree ID, name), by name. Errors when there is none.
async fn pg_trees(
    tx: &deadpool_postgres::Transaction<'_>,
    db: &PgDatabase,
) -> Result<Vec<(i64, String)>, LogError> {
    let trees: Vec<(i64, String)> = tx
        .query("SELECT id, name FROM trees ORDER BY name LIMIT 10000", &[])
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, LogError>>()?;
    if trees.is_empty() {
        return Err(LogError::BadRequest(format!(
            "the database {} holds no log",
            db.target()
        )));
    }
    Ok(trees)
}

/// A log name as a relative path: `/`-separated normal components only.
fn signet_types_rel(name: &str) -> Result<PathBuf, LogError> {
    let mut p = PathBuf::new();
    for part in name.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains('\\') {
            return Err(LogError::Refused(format!(
                "the database holds a log named {name:?}, which is no directory name"
            )));
        }
        p.push(part);
    }
    Ok(p)
}

/// Copies the files of data directory `from` into `to` (created), except the embedded stores
/// and the lock file: keys, recorded checkpoints, CA, TSA, TUF and trust files.
fn copy_files(from: &Path, to: &Path) -> Result<(), LogError> {
    fn walk(from: &Path, to: &Path, depth: usize) -> Result<(), LogError> {
        let err = |p: &Path, e: std::io::Error| LogError::Storage(format!("{}: {e}", p.display()));
        std::fs::create_dir_all(to).map_err(|e| err(to, e))?;
        for ent in std::fs::read_dir(from).map_err(|e| err(from, e))? {
            let ent = ent.map_err(|e| err(from, e))?;
            let ty = ent.file_type().map_err(|e| err(&ent.path(), e))?;
            let name = ent.file_name();
            let skip = name
                .to_str()
                .is_some_and(|n| (depth == 0 && n == "lock") || n.starts_with(SQLITE_FILE));
            if skip {
                continue;
            }
            let (src, dst) = (ent.path(), to.join(&name));
            if ty.is_dir() {
                if depth >= 16 {
                    return Err(LogError::Storage(format!("{}: too deep", src.display())));
                }
                walk(&src, &dst, depth.saturating_add(1))?;
            } else if ty.is_file() {
                // `std::fs::copy` keeps the permission bits (private keys stay 0600).
                std::fs::copy(&src, &dst).map_err(|e| err(&src, e))?;
            }
        }
        Ok(())
    }
    walk(from, to, 0)
}
