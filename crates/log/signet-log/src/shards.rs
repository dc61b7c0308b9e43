//! A sharded Rekor v1 log, the way Rekor rotates or freezes a log: one active tree (its own key,
//! log ID and tree ID) that takes every new entry, after inactive trees that are frozen and
//! still served. Indexes are global ("virtual"): a shard's leaf `i` is entry `offset + i`, the
//! offset being the sum of the sizes of the shards before it, oldest first.
//!
//! What each request sees:
//! * an entry carries its global `logIndex`, its shard's `logID`, an inclusion proof (leaf index
//!   in the shard) against that shard's checkpoint, and a SET signed by that shard's key over the
//!   global index;
//! * an 80-character entry ID is looked up in the tree it names (another tree: not found); a
//!   64-character UUID in the active shard, then each inactive one, oldest first;
//! * `entries/retrieve` finds UUIDs and proposed entries in every shard that holds them, and
//!   global indexes in the shard they fall in; `index/retrieve` answers entry IDs of every shard;
//! * a duplicate is one already in the active shard: an entry only an inactive shard holds is
//!   accepted again, in the active shard;
//! * `/api/v1/log` is the active shard's, with the inactive ones listed (oldest first);
//!   consistency proofs and the public key are the active shard's unless a tree ID names another.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::api::{
    ConsistencyProof, InactiveShardLogInfo, LogEntry, LogInfo, SearchIndex, SearchLogQuery,
};
use crate::backend::{Backend, Store};
use crate::clock::Clock;
use crate::log::LogConfig;
use crate::paging::{Paged, bad_cursor};
use crate::rekor::{IdPage, MAX_RETRIEVE, TransparencyLog, parse_id, search_index_keys};
use crate::store::{LogStore, MAX_SEARCH_PAGE, PageStart, SearchCursor};
use crate::{KEY_FILE, LogError};

/// A Rekor v1 log made of shards: inactive (frozen) trees, oldest first, then the active one.
pub struct ShardedLog<S: LogStore> {
    /// Oldest first; frozen.
    inactive: Vec<TransparencyLog<S>>,
    active: TransparencyLog<S>,
}

impl<S: LogStore> ShardedLog<S> {
    /// A log of one shard (an unsharded log): it answers exactly as the tree alone does.
    pub fn single(log: TransparencyLog<S>) -> Self {
        Self {
            inactive: Vec::new(),
            active: log,
        }
    }

    /// The log whose frozen shards are `inactive` (oldest first) and whose new entries go to
    /// `active`. Each shard must start at the global index where the one before it ends (its
    /// [`crate::LogConfig::index_offset`] is the sum of the sizes of the shards before it, the
    /// first at 0) and tree IDs must be distinct; otherwise [`LogError::Refused`]. The inactive
    /// shards are frozen: from now on they refuse every append.
    pub fn new(
        inactive: Vec<TransparencyLog<S>>,
        active: TransparencyLog<S>,
    ) -> Result<Self, LogError> {
        for shard in &inactive {
            shard.log().freeze();
        }
        let log = Self { inactive, active };
        let mut next = 0u64;
        let mut trees: Vec<u64> = Vec::new();
        for shard in log.shards() {
            let (tree, offset) = (shard.tree_id(), shard.index_offset());
            if trees.contains(&tree) {
                return Err(LogError::Refused(format!(
                    "tree {tree} is given twice as a shard of the log"
                )));
            }
            trees.push(tree);
            if offset != next {
                return Err(LogError::Refused(format!(
                    "shard tree {tree} starts at global index {offset}, but the shards before \
                     it end at {next}: each shard's index offset must be the sum of the sizes \
                     of the shards before it (has an inactive shard grown, or is one missing or \
                     out of order?)"
                )));
            }
            next = offset
                .checked_add(shard.head_state().0)
                .ok_or_else(|| LogError::Refused("the shards' sizes overflow".into()))?;
        }
        Ok(log)
    }

    /// The active shard, where new entries go.
    pub fn active(&self) -> &TransparencyLog<S> {
        &self.active
    }

    /// The inactive (frozen) shards, oldest first.
    pub fn inactive(&self) -> &[TransparencyLog<S>] {
        &self.inactive
    }

    /// Every shard, oldest first: the inactive ones, then the active one.
    pub fn shards(&self) -> impl DoubleEndedIterator<Item = &TransparencyLog<S>> + '_ {
        self.inactive.iter().chain(std::iter::once(&self.active))
    }

    /// The shard with tree ID `tree_id`.
    pub fn shard(&self, tree_id: u64) -> Option<&TransparencyLog<S>> {
        self.shards().find(|s| s.tree_id() == tree_id)
    }

    /// The shard `tree_id` names (`None`: the active one); an unknown tree ID is a
    /// [`LogError::BadRequest`], as Rekor answers it.
    pub fn shard_or_active(&self, tree_id: Option<u64>) -> Result<&TransparencyLog<S>, LogError> {
        match tree_id {
            None => Ok(&self.active),
            Some(t) => self
                .shard(t)
                .ok_or_else(|| LogError::BadRequest(format!("no log range found for tree ID {t}"))),
        }
    }

    /// Number of entries in all shards: the global index the next entry gets.
    pub fn size(&self) -> u64 {
        self.active
            .index_offset()
            .saturating_add(self.active.head_state().0)
    }

    /// See [`TransparencyLog::sequencer_stopped`] (the active shard's: the only one written).
    pub fn sequencer_stopped(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        self.active.sequencer_stopped()
    }

    fn all(&self) -> Vec<&TransparencyLog<S>> {
        self.shards().collect()
    }

    /// `POST /api/v1/log/entries`: adds a proposed entry to the active shard (a duplicate is
    /// one the active shard holds).
    pub async fn add(&self, proposed: &[u8]) -> Result<(String, LogEntry), LogError> {
        self.active.add(proposed).await
    }

    /// Entry by global index.
    pub async fn get_by_index(&self, index: u64) -> Result<LogEntry, LogError> {
        shard_of_index(&self.all(), index)?
            .get_by_index(index)
            .await
    }

    /// [`Self::get_by_index`] as the JSON a GET answers.
    pub async fn get_by_index_json(&self, index: u64) -> Result<Arc<[u8]>, LogError> {
        shard_of_index(&self.all(), index)?
            .get_by_index_json(index)
            .await
    }

    /// Entry by 80-character entry ID (in the tree it names) or 64-character UUID (the active
    /// shard first, then each inactive one, oldest first).
    pub async fn get_by_uuid(&self, id: &str) -> Result<LogEntry, LogError> {
        for shard in self.candidates(id)? {
            match shard.get_by_uuid(id).await {
                Err(LogError::NotFound) => {}
                found => return found,
            }
        }
        Err(LogError::NotFound)
    }

    /// [`Self::get_by_uuid`] as the JSON a GET answers.
    pub async fn get_by_uuid_json(&self, id: &str) -> Result<Arc<[u8]>, LogError> {
        for shard in self.candidates(id)? {
            match shard.get_by_uuid_json(id).await {
                Err(LogError::NotFound) => {}
                found => return found,
            }
        }
        Err(LogError::NotFound)
    }

    /// The shards that may hold `id`, in lookup order.
    fn candidates(&self, id: &str) -> Result<Vec<&TransparencyLog<S>>, LogError> {
        Ok(match parse_id(id)?.tree_id {
            Some(t) => self.shard(t).into_iter().collect(),
            None => lookup_order(&self.all()).collect(),
        })
    }

    /// `POST /api/v1/log/entries/retrieve`, across shards.
    pub async fn retrieve(&self, q: &SearchLogQuery) -> Result<Vec<LogEntry>, LogError> {
        retrieve(&self.all(), q).await
    }

    /// `POST /api/v1/index/retrieve`: entry IDs of every shard matching the query.
    pub async fn search(&self, q: &SearchIndex) -> Result<Vec<String>, LogError> {
        search(&self.all(), q).await
    }

    /// One page of the entry IDs matching `q` across shards (oldest shard first), for a query
    /// naming one key: each shard's store reads only the index range of the page (see
    /// [`TransparencyLog::search_page`]); a query of several keys is answered by
    /// [`ShardedLog::search`] and paged in memory.
    pub async fn search_page(
        &self,
        q: &SearchIndex,
        start: &PageStart,
        limit: u64,
    ) -> Result<IdPage, LogError> {
        search_page(&self.all(), q, start, limit).await
    }

    /// `GET /api/v1/log`: the active shard's tree head, with the inactive shards (oldest first;
    /// `null` when there are none).
    pub fn log_info(&self) -> LogInfo {
        let mut info = self.active.log_info();
        if !self.inactive.is_empty() {
            info.inactive_shards = Some(
                self.inactive
                    .iter()
                    .map(|s| {
                        let (size, root, checkpoint) = s.head_state();
                        InactiveShardLogInfo {
                            root_hash: root.to_hex(),
                            signed_tree_head: checkpoint,
                            tree_id: s.tree_id().to_string(),
                            tree_size: i64::try_from(size).unwrap_or(i64::MAX),
                        }
                    })
                    .collect(),
            );
        }
        info
    }

    /// `GET /api/v1/log/proof?firstSize&lastSize[&treeID]`: a consistency proof in the shard
    /// `tree_id` names (sizes are that tree's), the active one by default.
    pub async fn consistency(
        &self,
        first: u64,
        last: u64,
        tree_id: Option<u64>,
    ) -> Result<ConsistencyProof, LogError> {
        self.shard_or_active(tree_id)?
            .consistency(first, last)
            .await
    }

    /// `GET /api/v1/log/publicKey[?treeID]`: PEM of the key of the shard `tree_id` names, the
    /// active one by default.
    pub fn public_key_pem(&self, tree_id: Option<u64>) -> Result<String, LogError> {
        Ok(self.shard_or_active(tree_id)?.public_key_pem())
    }
}

impl ShardedLog<Store> {
    /// Opens a log kept as one directory per tree (its store in `backend`, key and checkpoint, as
    /// [`TransparencyLog::open`] keeps them): the frozen trees in `inactive_dirs`, oldest first,
    /// then the active tree in `active_dir` (created, with a new key and tree ID, when the
    /// directory holds no log yet: that is how the log is rotated). Each tree is opened at the
    /// index offset the trees before it add up to; `config` gives the rest (its own
    /// `index_offset` is not used). An inactive directory that holds no log, or a tree recorded
    /// at another offset (an inactive tree grown, missing or out of order), is
    /// [`LogError::Refused`].
    pub async fn open(
        inactive_dirs: &[PathBuf],
        active_dir: &Path,
        config: &LogConfig,
        clock: Arc<dyn Clock>,
        backend: &Backend,
    ) -> Result<Self, LogError> {
        let mut offset = 0u64;
        let mut inactive = Vec::with_capacity(inactive_dirs.len());
        for dir in inactive_dirs {
            if !dir.join(KEY_FILE).exists() {
                return Err(LogError::Refused(format!(
                    "{} holds no log (no {KEY_FILE}), but is listed as an inactive shard",
                    dir.display()
                )));
            }
            // A frozen tree signs nothing new, and its key is its own (never the configured one).
            let frozen = config.clone().with_key(None);
            let shard = open_tree(backend, dir, &frozen, offset, clock.clone()).await?;
            offset = offset
                .checked_add(shard.head_state().0)
                .ok_or_else(|| LogError::Refused("the shards' sizes overflow".into()))?;
            inactive.push(shard);
        }
        let active = open_tree(backend, active_dir, config, offset, clock).await?;
        Self::new(inactive, active)
    }
}

async fn open_tree(
    backend: &Backend,
    dir: &Path,
    config: &LogConfig,
    offset: u64,
    clock: Arc<dyn Clock>,
) -> Result<TransparencyLog<Store>, LogError> {
    let store = backend.open(dir).await?;
    let config = config.clone().with_index_offset(offset);
    TransparencyLog::open(store, dir, config, clock).await
}

/// The shard global `index` falls in: the last whose offset is at most `index` (shards are
/// contiguous, oldest first). Not found when there is none.
fn shard_of_index<'a, S: LogStore>(
    shards: &[&'a TransparencyLog<S>],
    index: u64,
) -> Result<&'a TransparencyLog<S>, LogError> {
    shards
        .iter()
        .rev()
        .find(|s| s.index_offset() <= index)
        .copied()
        .ok_or(LogError::NotFound)
}

/// Where a UUID is looked for: the active shard (the last), then the inactive ones, oldest
/// first (Rekor's order).
fn lookup_order<'a, S: LogStore>(
    shards: &[&'a TransparencyLog<S>],
) -> impl Iterator<Item = &'a TransparencyLog<S>> {
    let (active, inactive) = shards.split_last().unzip();
    active
        .into_iter()
        .chain(inactive.unwrap_or_default())
        .copied()
}

/// Adds `found` to `out`; not found adds nothing.
fn keep(found: Result<LogEntry, LogError>, out: &mut Vec<LogEntry>) -> Result<(), LogError> {
    match found {
        Ok(e) => out.push(e),
        Err(LogError::NotFound) => {}
        Err(e) => return Err(e),
    }
    Ok(())
}

/// `POST /api/v1/log/entries/retrieve` over `shards` (oldest first, the active one last): entry
/// IDs in the tree they name, UUIDs and proposed entries in every shard holding them (the
/// active first), then global indexes. Items not found are left out.
pub(crate) async fn retrieve<S: LogStore>(
    shards: &[&TransparencyLog<S>],
    q: &SearchLogQuery,
) -> Result<Vec<LogEntry>, LogError> {
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
        let r = parse_id(id)?;
        for shard in lookup_order(shards) {
            if r.tree_id.is_none_or(|t| t == shard.tree_id()) {
                keep(shard.get_by_leaf(&r.uuid).await, &mut out)?;
            }
        }
    }
    for p in e {
        let uuid = crate::admit::admit(p.to_string().as_bytes())?.uuid;
        for shard in lookup_order(shards) {
            keep(shard.get_by_leaf(&uuid).await, &mut out)?;
        }
    }
    for idx in i {
        let idx = u64::try_from(*idx)
            .map_err(|_| LogError::Unprocessable("negative log index".into()))?;
        if let Ok(shard) = shard_of_index(shards, idx) {
            keep(shard.get_by_index(idx).await, &mut out)?;
        }
    }
    Ok(out)
}

/// One page of the matches of `q` over `shards` (oldest first). A cursor names the shard its
/// match is in (`<position>.<the shard store's cursor>`); the page goes on into the next shard
/// (or, backwards, the previous one) when that one runs out, and every shard's matches are
/// counted.
pub(crate) async fn search_page<S: LogStore>(
    shards: &[&TransparencyLog<S>],
    q: &SearchIndex,
    start: &PageStart,
    limit: u64,
) -> Result<IdPage, LogError> {
    let (keys, _) = search_index_keys(q)?;
    let [key] = keys.as_slice() else {
        // Several keys: matched in memory, and paged there by position.
        let all = search(shards, q).await?;
        let page = Paged::in_memory(&all, start, limit)?;
        return Ok(IdPage {
            ids: page.items,
            total: all.len() as u64,
            exact: true,
            first: page.first,
            last: page.last,
        });
    };
    let n = shards.len();
    let shard_of = |c: &SearchCursor| -> Result<(usize, SearchCursor), LogError> {
        let (at, inner) = c.unwrap_prefix()?;
        match at.parse::<usize>() {
            Ok(i) if i < n => Ok((i, inner)),
            _ => Err(bad_cursor()),
        }
    };
    // The shard the page starts in, and where in it.
    let (from, at) = match start {
        PageStart::Offset(_) => (0, start.clone()),
        PageStart::After(c) => {
            let (i, inner) = shard_of(c)?;
            (i, PageStart::After(inner))
        }
        PageStart::Before(Some(c)) => {
            let (i, inner) = shard_of(c)?;
            (i, PageStart::Before(Some(inner)))
        }
        PageStart::Before(None) => (n.saturating_sub(1), PageStart::Before(None)),
    };
    let backwards = start.backwards();
    let mut order: Vec<(usize, &&TransparencyLog<S>)> = shards.iter().enumerate().collect();
    if backwards {
        order.reverse();
    }
    let mut page = IdPage {
        exact: true,
        ..IdPage::default()
    };
    let mut parts = Vec::new();
    let mut want = limit.min(MAX_SEARCH_PAGE);
    let mut skip = match start {
        PageStart::Offset(o) => *o,
        _ => 0,
    };
    for (i, shard) in order {
        let passed = if backwards { i > from } else { i < from };
        let (shard_start, shard_limit) = if let PageStart::Offset(_) = start {
            (PageStart::Offset(skip), want)
        } else if passed {
            // Before the page: counted only.
            (PageStart::FIRST, 0)
        } else if i == from {
            (at.clone(), want)
        } else if backwards {
            (PageStart::Before(None), want)
        } else {
            (PageStart::FIRST, want)
        };
        let (ids, p) = shard
            .search_key_page(key, &shard_start, shard_limit)
            .await?;
        want = want.saturating_sub(ids.len() as u64);
        page.total = page.total.saturating_add(p.total);
        page.exact &= p.exact;
        // An exact count tells how many of the offset this shard took; an inexact one means
        // the shard holds more than the whole page, which it then filled.
        skip = if p.exact {
            skip.saturating_sub(p.total)
        } else {
            0
        };
        if !ids.is_empty() {
            let wrap = |c: Option<SearchCursor>| c.map(|c| SearchCursor::wrap(&i.to_string(), &c));
            parts.push((ids, wrap(p.first), wrap(p.last)));
        }
    }
    if backwards {
        parts.reverse();
    }
    page.first = parts.first().and_then(|(_, f, _)| f.clone());
    page.last = parts.last().and_then(|(_, _, l)| l.clone());
    page.ids = parts.into_iter().flat_map(|(ids, _, _)| ids).collect();
    Ok(page)
}

/// `POST /api/v1/index/retrieve` over `shards`: the matching entry IDs of each shard, oldest
/// shard first.
pub(crate) async fn search<S: LogStore>(
    shards: &[&TransparencyLog<S>],
    q: &SearchIndex,
) -> Result<Vec<String>, LogError> {
    let (keys, and) = search_index_keys(q)?;
    let mut out = Vec::new();
    for shard in shards {
        out.extend(shard.search_keys(&keys, and).await?);
    }
    Ok(out)
}
