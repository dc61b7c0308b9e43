//! C2SP tlog-tiles: tile paths (`tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`, the index
//! `N` in 3-digit groups, all but the last prefixed by `x`), entry bundles (big-endian `uint16`
//! length-prefixed entries), which stored hashes a tile holds, and a tile-based client
//! ([`TileProver`]) that computes roots and inclusion proofs from tiles alone, by the RFC 6962
//! definitions (independently of the stored-hash layout the server reads tiles from).
//!
//! A tile at level `L` and index `N` holds, at position `i`, the hash of the complete subtree
//! over leaves `[(N·256+i)·256^L, (N·256+i+1)·256^L)`; a full tile has 256 hashes, a partial
//! one `W` (1–255), the tree's last at that level.

use crate::{StoredIndex, node_hash};
use signet_types::Sha256Hash;

/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// The highest tile level C2SP allows.
pub const MAX_TILE_LEVEL: u8 = 63;

/// Why a tile path or tile is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// The path is not a tlog-tiles path (400).
    #[error("malformed tile path {path:?}: {reason}")]
    Malformed {
        /// The path as asked.
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The tile is not (yet) in the tree (404).
    #[error("{what} is not in the tree of size {size}")]
    OutOfRange {
        /// The tile, as a path.
        what: String,
        /// The tree size.
        size: u64,
    },
    /// A tile's bytes are not what was asked for (client side).
    #[error("tile {what}: {reason}")]
    BadTile {
        /// The tile, as a path.
        what: String,
        /// What is wrong.
        reason: String,
    },
}

/// One tile (hash tile at `level`, or entry bundle when `level` is `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Hash-tile level, or `None` for an entry bundle.
    pub level: Option<u8>,
    /// Tile index.
    pub index: u64,
    /// Width: 256 for a full tile, 1–255 for a partial one.
    pub width: u16,
}

impl TileId {
    /// Whether the tile is full (256 wide).
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The path under the log's prefix: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let level = match self.level {
            Some(l) => l.to_string(),
            None => "entries".to_string(),
        };
        let mut p = format!("tile/{level}/{}", encode_index(self.index));
        if !self.is_full() {
            p.push_str(&format!(".p/{}", self.width));
        }
        p
    }

    /// The tile at `level` holding hash (or entry) `n` of that level, in a tree of `size`
    /// leaves: full if the tree has all 256 of its hashes, else as wide as the tree allows.
    pub fn holding(level: Option<u8>, n: u64, size: u64) -> Self {
        let index = n / TILE_WIDTH;
        let available = complete_at(level.unwrap_or(0), size);
        let width = available
            .saturating_sub(index.saturating_mul(TILE_WIDTH))
            .min(TILE_WIDTH);
        Self {
            level,
            index,
            width: u16::try_from(width).unwrap_or(256),
        }
    }

    /// Checks the tile is in a tree of `size` leaves.
    pub fn check_in(&self, size: u64) -> Result<(), TileError> {
        let available = complete_at(self.level.unwrap_or(0), size);
        let end = self
            .index
            .checked_mul(TILE_WIDTH)
            .and_then(|s| s.checked_add(u64::from(self.width)));
        match end {
            Some(end) if end <= available => Ok(()),
            _ => Err(TileError::OutOfRange {
                what: self.path(),
                size,
            }),
        }
    }

    /// The stored-hash indexes of a hash tile's hashes, in order (none for an entry bundle).
    pub fn stored_indexes(&self) -> Vec<u64> {
        let Some(level) = self.level else {
            return Vec::new();
        };
        let first = self.index.saturating_mul(TILE_WIDTH);
        (0..u64::from(self.width))
            .map(|i| StoredIndex::of(u32::from(level) * 8, first.saturating_add(i)).0)
            .collect()
    }

    /// The leaf range `start..end` of an entry bundle.
    pub fn entry_range(&self) -> (u64, u64) {
        let start = self.index.saturating_mul(TILE_WIDTH);
        (start, start.saturating_add(u64::from(self.width)))
    }
}

/// Complete subtrees of `256^level` leaves in a tree of `size` leaves (hashes available at that
/// tile level).
fn complete_at(level: u8, size: u64) -> u64 {
    match 256u64.checked_pow(u32::from(level)) {
        Some(span) => size.checked_div(span).unwrap_or(0),
        None => 0,
    }
}

/// `N` in 3-digit groups, all but the last prefixed by `x`: 1234067 → `x001/x234/067`.
pub fn encode_index(n: u64) -> String {
    let mut groups = Vec::new();
    let mut rest = n;
    loop {
        groups.push(rest % 1000);
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    let last = groups.len().saturating_sub(1);
    groups
        .iter()
        .rev()
        .enumerate()
        .map(|(i, g)| {
            if i == last {
                format!("{g:03}")
            } else {
                format!("x{g:03}")
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Parses the part of a path after `tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`. The
/// path must be in the one canonical spelling (what [`TileId::path`] writes).
pub fn parse_tile_path(rest: &str) -> Result<TileId, TileError> {
    let bad = |reason| TileError::Malformed {
        path: format!("tile/{rest}"),
        reason,
    };
    let (level_part, index_part) = rest.split_once('/').ok_or(bad("no tile index"))?;
    let level = if level_part == "entries" {
        None
    } else {
        let l: u8 = level_part
            .parse()
            .map_err(|_| bad("the level must be a number from 0 to 63 or \"entries\""))?;
        if l > MAX_TILE_LEVEL || l.to_string() != level_part {
            return Err(bad(
                "the level must be a number from 0 to 63 or \"entries\"",
            ));
        }
        Some(l)
    };
    let (index_part, width) = match index_part.split_once(".p/") {
        Some((i, w)) => {
            let width: u16 = w
                .parse()
                .map_err(|_| bad("the partial width must be a number from 1 to 255"))?;
            if !(1..=255).contains(&width) || width.to_string() != w {
                return Err(bad("the partial width must be a number from 1 to 255"));
            }
            (i, width)
        }
        None => (index_part, 256),
    };
    let mut index: u64 = 0;
    let groups: Vec<&str> = index_part.split('/').collect();
    let last = groups.len().saturating_sub(1);
    if groups.len() > 7 {
        return Err(bad("the tile index has too many groups"));
    }
    for (i, g) in groups.iter().enumerate() {
        let digits = if i == last {
            *g
        } else {
            g.strip_prefix('x')
                .ok_or(bad("every index group but the last starts with 'x'"))?
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("index groups are 3 digits"));
        }
        let v: u64 = digits
            .parse()
            .map_err(|_| bad("index groups are 3 digits"))?;
        index = index
            .checked_mul(1000)
            .and_then(|x| x.checked_add(v))
            .ok_or(bad("the tile index is too large"))?;
    }
    let id = TileId {
        level,
        index,
        width,
    };
    if encode_index(index) != index_part {
        return Err(bad(
            "the tile index is not in canonical form (no leading x000 groups)",
        ));
    }
    Ok(id)
}

/// An entry bundle: each entry as a big-endian `uint16` length and its bytes. Entries longer
/// than 65535 bytes cannot be bundled (admission refuses them).
pub fn encode_entry_bundle(entries: &[Vec<u8>]) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.len().saturating_add(2)).sum());
    for (i, e) in entries.iter().enumerate() {
        let len = u16::try_from(e.len()).map_err(|_| TileError::BadTile {
            what: format!("entry bundle slot {i}"),
            reason: format!("entry of {} bytes exceeds 65535", e.len()),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Splits an entry bundle into its entries.
pub fn parse_entry_bundle(mut data: &[u8]) -> Result<Vec<Vec<u8>>, TileError> {
    let bad = |reason: &str| TileError::BadTile {
        what: "entry bundle".into(),
        reason: reason.into(),
    };
    let mut out = Vec::new();
    while !data.is_empty() {
        let (len, rest) = data
            .split_first_chunk::<2>()
            .ok_or_else(|| bad("truncated length prefix"))?;
        let len = usize::from(u16::from_be_bytes(*len));
        let (entry, rest) = rest
            .split_at_checked(len)
            .ok_or_else(|| bad("entry runs past the end"))?;
        out.push(entry.to_vec());
        data = rest;
        if out.len() > 256 {
            return Err(bad("more than 256 entries"));
        }
    }
    Ok(out)
}

/// Where a [`TileProver`] reads hash tiles from.
pub trait TileSource {
    /// The bytes of hash tile `id` (`32 × width` bytes).
    fn tile(&self, id: &TileId) -> Result<Vec<u8>, TileError>;
}

/// Records the tiles a computation asks for (first pass), answering zeros.
#[derive(Default)]
pub struct TileRecorder(std::sync::Mutex<std::collections::BTreeSet<TileId>>);

impl TileRecorder {
    /// The tiles asked for.
    pub fn tiles(&self) -> Vec<TileId> {
        self.0
            .lock()
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }
}

impl TileSource for TileRecorder {
    fn tile(&self, id: &TileId) -> Result<Vec<u8>, TileError> {
        if let Ok(mut s) = self.0.lock() {
            s.insert(*id);
        }
        Ok(vec![0; usize::from(id.width).saturating_mul(32)])
    }
}

/// Fetched tiles (second pass).
#[derive(Default)]
pub struct FetchedTiles(pub std::collections::HashMap<TileId, Vec<u8>>);

impl TileSource for FetchedTiles {
    fn tile(&self, id: &TileId) -> Result<Vec<u8>, TileError> {
        self.0.get(id).cloned().ok_or_else(|| TileError::BadTile {
            what: id.path(),
            reason: "not fetched".into(),
        })
    }
}

/// A tile-based client's view of a tree of `size` leaves: roots and inclusion proofs by the
/// RFC 6962 definitions (MTH and PATH), from hash tiles.
pub struct TileProver<'a> {
    src: &'a dyn TileSource,
    size: u64,
}

impl<'a> TileProver<'a> {
    /// The tree of `size` leaves whose tiles `src` serves.
    pub fn new(src: &'a dyn TileSource, size: u64) -> Self {
        Self { src, size }
    }

    /// The hash of the complete subtree at `level` (bits), position `n`.
    fn hash_at(&self, level: u32, n: u64) -> Result<Sha256Hash, TileError> {
        if level.is_multiple_of(8) {
            let tl = u8::try_from(level / 8).unwrap_or(u8::MAX);
            let id = TileId::holding(Some(tl), n, self.size);
            let bytes = self.src.tile(&id)?;
            if bytes.len() != usize::from(id.width).saturating_mul(32) {
                return Err(TileError::BadTile {
                    what: id.path(),
                    reason: format!(
                        "{} bytes, expected {}",
                        bytes.len(),
                        u32::from(id.width).saturating_mul(32)
                    ),
                });
            }
            let at = usize::try_from(n % TILE_WIDTH)
                .unwrap_or(0)
                .saturating_mul(32);
            let h = bytes
                .get(at..at.saturating_add(32))
                .ok_or_else(|| TileError::BadTile {
                    what: id.path(),
                    reason: "hash outside the tile".into(),
                })?;
            return Sha256Hash::from_slice(h).map_err(|e| TileError::BadTile {
                what: id.path(),
                reason: e.to_string(),
            });
        }
        let l = self.hash_at(level.saturating_sub(1), n.saturating_mul(2))?;
        let r = self.hash_at(
            level.saturating_sub(1),
            n.saturating_mul(2).saturating_add(1),
        )?;
        Ok(node_hash(&l, &r))
    }

    /// MTH of leaves `[start, start + len)` (`len ≥ 1`).
    fn mth(&self, start: u64, len: u64) -> Result<Sha256Hash, TileError> {
        if len.is_power_of_two() && start.is_multiple_of(len) {
            return self.hash_at(len.trailing_zeros(), start.checked_div(len).unwrap_or(0));
        }
        let k = split(len);
        let l = self.mth(start, k)?;
        let r = self.mth(start.saturating_add(k), len.saturating_sub(k))?;
        Ok(node_hash(&l, &r))
    }

    /// The root of the tree.
    pub fn root(&self) -> Result<Sha256Hash, TileError> {
        if self.size == 0 {
            return Ok(crate::empty_root());
        }
        self.mth(0, self.size)
    }

    /// The leaf hash at `index`.
    pub fn leaf_hash(&self, index: u64) -> Result<Sha256Hash, TileError> {
        self.hash_at(0, index)
    }

    /// RFC 6962 PATH(index, D[0:size]), leaf to root.
    pub fn inclusion_proof(&self, index: u64) -> Result<Vec<Sha256Hash>, TileError> {
        if index >= self.size {
            return Err(TileError::OutOfRange {
                what: format!("leaf {index}"),
                size: self.size,
            });
        }
        let mut out = Vec::new();
        self.path(index, 0, self.size, &mut out)?;
        Ok(out)
    }

    /// RFC 6962 PROOF(old_size, D[0:size]): the consistency proof from the tree of `old_size`
    /// leaves to this one (empty when the sizes are equal or `old_size` is 0).
    pub fn consistency_proof(&self, old_size: u64) -> Result<Vec<Sha256Hash>, TileError> {
        if old_size > self.size {
            return Err(TileError::OutOfRange {
                what: format!("tree size {old_size}"),
                size: self.size,
            });
        }
        let mut out = Vec::new();
        if old_size > 0 && old_size < self.size {
            self.subproof(old_size, 0, self.size, true, &mut out)?;
        }
        Ok(out)
    }

    /// RFC 6962 SUBPROOF(m, D[start:start + len], b).
    fn subproof(
        &self,
        m: u64,
        start: u64,
        len: u64,
        whole: bool,
        out: &mut Vec<Sha256Hash>,
    ) -> Result<(), TileError> {
        if m == len {
            if !whole {
                out.push(self.mth(start, len)?);
            }
            return Ok(());
        }
        let k = split(len);
        if m <= k {
            self.subproof(m, start, k, whole, out)?;
            out.push(self.mth(start.saturating_add(k), len.saturating_sub(k))?);
        } else {
            self.subproof(
                m.saturating_sub(k),
                start.saturating_add(k),
                len.saturating_sub(k),
                false,
                out,
            )?;
            out.push(self.mth(start, k)?);
        }
        Ok(())
    }

    fn path(
        &self,
        m: u64,
        start: u64,
        len: u64,
        out: &mut Vec<Sha256Hash>,
    ) -> Result<(), TileError> {
        if len <= 1 {
            return Ok(());
        }
        let k = split(len);
        if m < k {
            self.path(m, start, k, out)?;
            out.push(self.mth(start.saturating_add(k), len.saturating_sub(k))?);
        } else {
            self.path(
                m.saturating_sub(k),
                start.saturating_add(k),
                len.saturating_sub(k),
                out,
            )?;
            out.push(self.mth(start, k)?);
        }
        Ok(())
    }
}

/// The largest power of two below `n` (`n ≥ 2`).
fn split(n: u64) -> u64 {
    let p = n.saturating_sub(1).checked_ilog2().unwrap_or(0);
    1u64 << p
}

/// Runs a tile computation twice: once to learn which tiles it reads, then over the tiles
/// `fetch` returns for them (one round of fetches; `fetch` fails with the caller's error).
pub async fn with_tiles<T, E, F, Fut>(
    size: u64,
    mut fetch: F,
    f: impl Fn(&TileProver<'_>) -> Result<T, TileError>,
) -> Result<T, E>
where
    E: From<TileError>,
    F: FnMut(TileId) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<u8>, E>>,
{
    let rec = TileRecorder::default();
    f(&TileProver::new(&rec, size))?;
    let mut fetched = FetchedTiles::default();
    for id in rec.tiles() {
        let bytes = fetch(id).await?;
        fetched.0.insert(id, bytes);
    }
    Ok(f(&TileProver::new(&fetched, size))?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn index_encoding_round_trips() {
        for (n, s) in [
            (0, "000"),
            (5, "005"),
            (999, "999"),
            (1000, "x001/000"),
            (1_234_067, "x001/x234/067"),
            (u64::MAX, "x018/x446/x744/x073/x709/x551/615"),
        ] {
            assert_eq!(encode_index(n), s);
            let id = parse_tile_path(&format!("0/{s}")).unwrap();
            assert_eq!(id.index, n);
            assert_eq!(id.width, 256);
        }
        let p = parse_tile_path("entries/x001/234.p/17").unwrap();
        assert_eq!(
            p,
            TileId {
                level: None,
                index: 1234,
                width: 17
            }
        );
        assert_eq!(p.path(), "tile/entries/x001/234.p/17");
        assert_eq!(parse_tile_path("3/067").unwrap().level, Some(3));
    }

    #[test]
    fn malformed_paths_are_refused() {
        for bad in [
            "",
            "0",
            "0/",
            "0/5",
            "0/0005",
            "0/x000/005",
            "0/001/002",
            "64/000",
            "01/000",
            "-1/000",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/07",
            "0/000.p/",
            "x/000",
            "entries/abc",
            "0/x1000/000",
            "0/x018/x446/x744/x073/x709/x551/616",
            "0/x001/x001/x001/x001/x001/x001/x001/001",
        ] {
            assert!(
                matches!(parse_tile_path(bad), Err(TileError::Malformed { .. })),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn entry_bundles_round_trip_and_refuse_garbage() {
        let entries = vec![b"a".to_vec(), Vec::new(), vec![7; 300]];
        let b = encode_entry_bundle(&entries).unwrap();
        assert_eq!(&b[..3], &[0, 1, b'a']);
        assert_eq!(&b[3..5], &[0, 0]);
        assert_eq!(&b[5..7], &[1, 44]);
        assert_eq!(parse_entry_bundle(&b).unwrap(), entries);
        assert!(parse_entry_bundle(&[0]).is_err());
        assert!(parse_entry_bundle(&[0, 5, 1]).is_err());
        assert!(encode_entry_bundle(&[vec![0; 65_536]]).is_err());
    }

    /// Hash tiles cut from a tree's stored hashes (what the server serves), read at a
    /// historical size.
    struct StoredTiles<'a> {
        tree: &'a crate::MerkleTree,
        size: u64,
    }

    impl TileSource for StoredTiles<'_> {
        fn tile(&self, id: &TileId) -> Result<Vec<u8>, TileError> {
            use crate::HashStore;
            id.check_in(self.size)?;
            let idx: Vec<StoredIndex> = id.stored_indexes().into_iter().map(StoredIndex).collect();
            let hashes = self.tree.store().read_hashes(&idx).unwrap();
            Ok(hashes.iter().flat_map(|h| h.0).collect())
        }
    }

    /// A tile-based client (RFC 6962 MTH/PATH over tiles) computes from the served tiles the
    /// same roots and inclusion proofs as the sequencer's Merkle math, at sizes around every
    /// tile boundary up to a second-level tile, and the proofs verify.
    #[test]
    fn tiles_reproduce_roots_and_proofs() {
        let mut tree = crate::MerkleTree::new();
        let sizes = [
            0u64, 1, 2, 3, 255, 256, 257, 511, 512, 513, 65_535, 65_536, 65_537,
        ];
        let max = *sizes.last().unwrap();
        let mut leaves = Vec::new();
        for i in 0..max {
            let l = crate::leaf_hash(&i.to_be_bytes());
            leaves.push(l);
            tree.append(l).unwrap();
        }
        for size in sizes {
            let src = StoredTiles { tree: &tree, size };
            let p = TileProver::new(&src, size);
            let root = p.root().unwrap();
            if size == 0 {
                assert_eq!(root, crate::empty_root());
                continue;
            }
            assert_eq!(
                root,
                tree.root(signet_types::TreeSize(size)).unwrap(),
                "size {size}"
            );
            for index in [0, size / 2, size.saturating_sub(256), size - 1] {
                let proof = p.inclusion_proof(index).unwrap();
                let want = tree
                    .inclusion_proof(signet_types::LogIndex(index), signet_types::TreeSize(size))
                    .unwrap();
                assert_eq!(proof, want, "index {index} size {size}");
                assert_eq!(p.leaf_hash(index).unwrap(), leaves[index as usize]);
                crate::verify_inclusion(
                    signet_types::LogIndex(index),
                    signet_types::TreeSize(size),
                    &leaves[index as usize],
                    &proof,
                    &root,
                )
                .unwrap();
            }
            assert!(p.inclusion_proof(size).is_err());
            for old in [1, (size / 3).max(1), size.saturating_sub(1).max(1), size] {
                let proof = p.consistency_proof(old).unwrap();
                let want = tree
                    .consistency_proof(signet_types::TreeSize(old), signet_types::TreeSize(size))
                    .unwrap();
                assert_eq!(proof, want, "old {old} size {size}");
                crate::verify_consistency(
                    signet_types::TreeSize(old),
                    signet_types::TreeSize(size),
                    &proof,
                    &tree.root(signet_types::TreeSize(old)).unwrap(),
                    &root,
                )
                .unwrap();
            }
            assert!(p.consistency_proof(size + 1).is_err());
        }
    }

    #[test]
    fn tile_ranges() {
        // 257 leaves: level-0 tile 0 full, tile 1 partial of width 1; level 1 has none.
        assert!(TileId::holding(Some(0), 0, 257).is_full());
        assert_eq!(TileId::holding(Some(0), 256, 257).width, 1);
        let full1 = TileId {
            level: Some(0),
            index: 1,
            width: 256,
        };
        assert!(full1.check_in(257).is_err());
        let part = TileId {
            level: Some(0),
            index: 1,
            width: 1,
        };
        part.check_in(257).unwrap();
        let l1 = TileId {
            level: Some(1),
            index: 0,
            width: 1,
        };
        assert!(l1.check_in(255).is_err());
        l1.check_in(256).unwrap();
        assert!(
            TileId {
                level: Some(1),
                index: 0,
                width: 256
            }
            .check_in(65_535)
            .is_err()
        );
        TileId {
            level: Some(1),
            index: 0,
            width: 256,
        }
        .check_in(65_536)
        .unwrap();
        let high = TileId {
            level: Some(63),
            index: 0,
            width: 1,
        };
        assert!(high.check_in(u64::MAX).is_err());
    }
}
