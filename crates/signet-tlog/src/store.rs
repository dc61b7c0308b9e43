//! Proof construction over stored hashes.
//!
//! The log stores, for every complete subtree, its hash at a fixed index (the layout of Go's
//! `golang.org/x/mod/sumdb/tlog`, also used by Trillian-era logs): appending leaf `n` stores its
//! leaf hash and the hash of every subtree that leaf completes. Any root, inclusion proof or
//! consistency proof for any size up to the current one is then computed from O(log n) stored
//! hashes, read in one batch.

use std::collections::HashMap;

use signet_types::{LogIndex, Sha256Hash, TreeSize};

use crate::TlogError;
use crate::merkle::{empty_root, node_hash};

/// Index of a stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoredIndex(pub u64);

impl StoredIndex {
    /// Index of the hash of the subtree at `level` (0 = leaves) and position `n` in that level.
    pub fn of(level: u32, n: u64) -> Self {
        let mut n = n;
        for _ in 0..level {
            n = 2 * n + 1;
        }
        let mut i = 0u64;
        while n > 0 {
            i += n;
            n >>= 1;
        }
        Self(i + u64::from(level))
    }

    /// Number of stored hashes for a tree of `size` leaves (= index of the next one).
    pub fn count(size: TreeSize) -> u64 {
        if size.0 == 0 {
            return 0;
        }
        let mut num = Self::of(0, size.0 - 1).0 + 1;
        let mut i = size.0 - 1;
        while i & 1 != 0 {
            num += 1;
            i >>= 1;
        }
        num
    }
}

/// Read access to a log's stored hashes.
pub trait HashStore {
    /// Returns the hashes at `indexes`, in the same order.
    fn read_hashes(&self, indexes: &[StoredIndex]) -> Result<Vec<Sha256Hash>, TlogError>;
}

/// Stored hashes in memory (tests, and small logs).
#[derive(Clone, Debug, Default)]
pub struct MemoryHashStore {
    hashes: Vec<Sha256Hash>,
}

impl MemoryHashStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends hashes at the next indexes.
    pub fn extend(&mut self, hashes: impl IntoIterator<Item = Sha256Hash>) {
        self.hashes.extend(hashes);
    }

    /// Number of stored hashes.
    pub fn len(&self) -> u64 {
        self.hashes.len() as u64
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

impl HashStore for MemoryHashStore {
    fn read_hashes(&self, indexes: &[StoredIndex]) -> Result<Vec<Sha256Hash>, TlogError> {
        indexes
            .iter()
            .map(|i| {
                usize::try_from(i.0)
                    .ok()
                    .and_then(|u| self.hashes.get(u))
                    .copied()
                    .ok_or(TlogError::MissingHash(i.0))
            })
            .collect()
    }
}

/// The hashes to store when appending leaf number `n` (0-based) with hash `leaf`: the leaf hash
/// first, then each subtree hash the leaf completes. They go at `StoredIndex::count(n)` onwards.
pub fn stored_hashes_for_leaf(
    n: u64,
    leaf: Sha256Hash,
    store: &impl HashStore,
) -> Result<Vec<Sha256Hash>, TlogError> {
    let mut siblings = Vec::new();
    let mut m = n;
    let mut level = 0u32;
    while m & 1 == 1 {
        siblings.push(StoredIndex::of(level, m - 1));
        m >>= 1;
        level += 1;
    }
    let sibling_hashes = store.read_hashes(&siblings)?;
    let mut out = Vec::with_capacity(1 + sibling_hashes.len());
    let mut h = leaf;
    out.push(h);
    for s in &sibling_hashes {
        h = node_hash(s, &h);
        out.push(h);
    }
    Ok(out)
}

/// Largest power of two strictly less than `n` (n >= 2).
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Complete aligned subtrees covering `[lo, hi)`, left to right, as (level, position).
fn cover(lo: u64, hi: u64, out: &mut Vec<(u32, u64)>) {
    let mut lo = lo;
    while lo < hi {
        // Largest aligned power-of-two block starting at lo that fits.
        let mut level = if lo == 0 { 63 } else { lo.trailing_zeros() };
        while level > 0 && (1u64 << level) > hi - lo {
            level -= 1;
        }
        out.push((level, lo >> level));
        lo += 1u64 << level;
    }
}

/// Read-only view of a tree of a given size over a hash store, for roots and proofs.
pub struct Tree<'s, S: HashStore + ?Sized> {
    store: &'s S,
}

impl<'s, S: HashStore + ?Sized> Tree<'s, S> {
    /// A view over `store`.
    pub fn new(store: &'s S) -> Self {
        Self { store }
    }

    /// Plans the subtrees a set of ranges needs and reads them in one batch.
    fn read_ranges(
        &self,
        ranges: &[(u64, u64)],
    ) -> Result<HashMap<(u64, u64), Sha256Hash>, TlogError> {
        let mut blocks = Vec::new();
        let mut plan = Vec::with_capacity(ranges.len());
        for &(lo, hi) in ranges {
            let start = blocks.len();
            cover(lo, hi, &mut blocks);
            plan.push((lo, hi, start, blocks.len()));
        }
        let mut uniq: Vec<(u32, u64)> = blocks.clone();
        uniq.sort_unstable();
        uniq.dedup();
        let idx: Vec<StoredIndex> = uniq.iter().map(|&(l, n)| StoredIndex::of(l, n)).collect();
        let hashes = self.store.read_hashes(&idx)?;
        let lookup: HashMap<(u32, u64), Sha256Hash> = uniq.into_iter().zip(hashes).collect();
        let mut out = HashMap::with_capacity(ranges.len());
        for (lo, hi, a, b) in plan {
            let mut h: Option<Sha256Hash> = None;
            for block in blocks[a..b].iter().rev() {
                let bh = lookup
                    .get(block)
                    .copied()
                    .ok_or(TlogError::MissingHash(0))?;
                h = Some(match h {
                    None => bh,
                    Some(right) => node_hash(&bh, &right),
                });
            }
            out.insert((lo, hi), h.unwrap_or_else(empty_root));
        }
        Ok(out)
    }

    /// Hashes of `ranges`, in order, from one batched read.
    fn range_hashes(&self, ranges: &[(u64, u64)]) -> Result<Vec<Sha256Hash>, TlogError> {
        let hashes = self.read_ranges(ranges)?;
        ranges
            .iter()
            .map(|r| hashes.get(r).copied().ok_or(TlogError::MissingHash(0)))
            .collect()
    }

    /// Root hash of the first `size` leaves.
    pub fn root(&self, size: TreeSize) -> Result<Sha256Hash, TlogError> {
        if size.0 == 0 {
            return Ok(empty_root());
        }
        let m = self.read_ranges(&[(0, size.0)])?;
        m.get(&(0, size.0))
            .copied()
            .ok_or(TlogError::MissingHash(0))
    }

    /// RFC 6962 audit path for leaf `index` in the tree of `size` leaves.
    pub fn inclusion_proof(
        &self,
        index: LogIndex,
        size: TreeSize,
    ) -> Result<Vec<Sha256Hash>, TlogError> {
        if index.0 >= size.0 {
            return Err(TlogError::IndexOutOfRange { index, size });
        }
        // PATH(m, D[lo:hi]) collects sibling ranges leaf-to-root.
        let mut ranges = Vec::new();
        let (mut m, mut lo, mut hi) = (index.0, 0u64, size.0);
        while hi - lo > 1 {
            let k = split_point(hi - lo);
            if m < k {
                ranges.push((lo + k, hi));
                hi = lo + k;
            } else {
                ranges.push((lo, lo + k));
                lo += k;
                m -= k;
            }
        }
        ranges.reverse();
        self.range_hashes(&ranges)
    }

    /// RFC 6962 consistency proof from `size1` to `size2`.
    pub fn consistency_proof(
        &self,
        size1: TreeSize,
        size2: TreeSize,
    ) -> Result<Vec<Sha256Hash>, TlogError> {
        let (m0, n) = (size1.0, size2.0);
        if m0 == 0 || m0 > n {
            return Err(TlogError::BadSizes { size1, size2 });
        }
        if m0 == n {
            return Ok(Vec::new());
        }
        // SUBPROOF(m, D[lo:hi], b), iteratively; collected root-to-leaf then reversed.
        let mut ranges = Vec::new();
        let (mut m, mut lo, mut hi) = (m0, 0u64, n);
        let mut b = true;
        loop {
            let len = hi - lo;
            if m == len {
                if !b {
                    ranges.push((lo, hi));
                }
                break;
            }
            let k = split_point(len);
            if m <= k {
                ranges.push((lo + k, hi));
                hi = lo + k;
            } else {
                ranges.push((lo, lo + k));
                lo += k;
                m -= k;
                b = false;
            }
        }
        ranges.reverse();
        self.range_hashes(&ranges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{leaf_hash, verify_consistency, verify_inclusion};

    fn build(n: u64) -> MemoryHashStore {
        let mut s = MemoryHashStore::new();
        for i in 0..n {
            let new = stored_hashes_for_leaf(i, leaf_hash(&i.to_be_bytes()), &s).unwrap();
            assert_eq!(s.len(), StoredIndex::count(TreeSize(i)));
            s.extend(new);
        }
        s
    }

    /// Naive RFC 6962 MTH, the definition itself.
    fn mth(leaves: &[Sha256Hash]) -> Sha256Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn roots_match_definition_and_proofs_verify() {
        let n = 70u64;
        let store = build(n);
        let tree = Tree::new(&store);
        let leaves: Vec<_> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for size in 1..=n {
            let root = tree.root(TreeSize(size)).unwrap();
            assert_eq!(root, mth(&leaves[..size as usize]), "size {size}");
            for i in 0..size {
                let p = tree.inclusion_proof(LogIndex(i), TreeSize(size)).unwrap();
                verify_inclusion(LogIndex(i), TreeSize(size), &leaves[i as usize], &p, &root)
                    .unwrap();
            }
            for s1 in 1..=size {
                let r1 = tree.root(TreeSize(s1)).unwrap();
                let p = tree
                    .consistency_proof(TreeSize(s1), TreeSize(size))
                    .unwrap();
                verify_consistency(TreeSize(s1), TreeSize(size), &p, &r1, &root).unwrap();
            }
        }
        assert_eq!(tree.root(TreeSize(0)).unwrap(), empty_root());
        assert!(tree.inclusion_proof(LogIndex(5), TreeSize(5)).is_err());
        assert!(tree.consistency_proof(TreeSize(0), TreeSize(5)).is_err());
    }
}
