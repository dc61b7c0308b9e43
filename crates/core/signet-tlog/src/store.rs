//! Proof construction over stored hashes.
//!
//! A log stores, for every complete subtree, its hash at a fixed [`StoredIndex`] (the layout of
//! Go's `golang.org/x/mod/sumdb/tlog`): appending leaf `n` stores its leaf hash and then the hash
//! of every subtree that leaf completes. Any root, inclusion proof or consistency proof for any
//! size up to the current one then needs O(log n) stored hashes, which [`Tree`] reads in a single
//! [`HashStore::read_hashes`] call whose indexes depend only on the requested sizes (so a server
//! can plan a database query before running the computation).
//!
//! The [`Frontier`] (the "compact range" `[0, size)`) keeps the right edge of the tree in memory,
//! so appending costs no reads and the current root needs no store at all. [`MerkleTree`] puts
//! the two together in memory.

use signet_types::{LogIndex, Sha256Hash, TreeSize};

use crate::TlogError;
use crate::merkle::{empty_root, node_hash};

/// Largest tree the stored-hash index can address (`StoredIndex::count` stays within `u64`).
const MAX_SIZE: u64 = 1 << 63;

/// Index of a stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoredIndex(pub u64);

impl StoredIndex {
    /// Index of the hash of the complete subtree at `level` (0 = leaves) and position `n` in that
    /// level, i.e. the subtree over leaves `[n·2^level, (n+1)·2^level)` (Go `StoredHashIndex`).
    /// Defined for subtrees inside the first 2^63 leaves.
    pub fn of(level: u32, n: u64) -> Self {
        // Index of the last leaf of the subtree, then skip everything stored before it.
        // `1 << level` is at least 1, so the mask never saturates.
        let last = n.wrapping_shl(level) | (1u64 << level.min(63)).saturating_sub(1);
        let mut i = 0u64;
        let mut m = last;
        while m > 0 {
            i = i.wrapping_add(m);
            m >>= 1;
        }
        Self(i.wrapping_add(u64::from(level)))
    }

    /// Number of stored hashes for a tree of `size` leaves (= the index of the next one).
    pub fn count(size: TreeSize) -> u64 {
        match size.0.checked_sub(1) {
            None => 0,
            Some(last) => Self::of(0, last)
                .0
                .wrapping_add(1)
                .wrapping_add(u64::from(last.trailing_ones())),
        }
    }
}

/// Read access to a log's stored hashes.
pub trait HashStore {
    /// Returns the hashes at `indexes`, in the same order.
    fn read_hashes(&self, indexes: &[StoredIndex]) -> Result<Vec<Sha256Hash>, TlogError>;
}

/// Stored hashes in memory: index `i` is element `i`.
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

    fn get(&self, i: StoredIndex) -> Option<Sha256Hash> {
        usize::try_from(i.0)
            .ok()
            .and_then(|u| self.hashes.get(u))
            .copied()
    }
}

impl HashStore for MemoryHashStore {
    fn read_hashes(&self, indexes: &[StoredIndex]) -> Result<Vec<Sha256Hash>, TlogError> {
        indexes
            .iter()
            .map(|&i| self.get(i).ok_or(TlogError::MissingHash(i.0)))
            .collect()
    }
}

/// The hashes to store when appending leaf number `n` (0-based) with hash `leaf`: the leaf hash
/// first, then each subtree hash the leaf completes. They go at `StoredIndex::count(n)` onwards.
/// Reads the left siblings from `store`; a [`Frontier`] computes the same without reads.
pub fn stored_hashes_for_leaf(
    n: u64,
    leaf: Sha256Hash,
    store: &(impl HashStore + ?Sized),
) -> Result<Vec<Sha256Hash>, TlogError> {
    if n >= MAX_SIZE {
        return Err(TlogError::TreeFull);
    }
    let siblings: Vec<StoredIndex> = (0..n.trailing_ones())
        // Bit `level` of `n` is set, so `n >> level >= 1`: never saturates.
        .map(|level| StoredIndex::of(level, (n >> level).saturating_sub(1)))
        .collect();
    let sibling_hashes = read_exact(store, &siblings)?;
    let mut out = Vec::with_capacity(sibling_hashes.len().saturating_add(1));
    out.push(leaf);
    let mut h = leaf;
    for s in &sibling_hashes {
        h = node_hash(s, &h);
        out.push(h);
    }
    Ok(out)
}

fn read_exact(
    store: &(impl HashStore + ?Sized),
    indexes: &[StoredIndex],
) -> Result<Vec<Sha256Hash>, TlogError> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = store.read_hashes(indexes)?;
    if hashes.len() != indexes.len() {
        return Err(TlogError::StoreLength {
            expected: indexes.len(),
            actual: hashes.len(),
        });
    }
    Ok(hashes)
}

/// `MTH` of consecutive complete subtrees given left to right: fold from the right.
fn fold_right(hashes: &[Sha256Hash]) -> Sha256Hash {
    match hashes.split_last() {
        None => empty_root(),
        Some((last, rest)) => rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)),
    }
}

/// Largest power of two strictly less than `n`; `None` when `n < 2`.
fn split_point(n: u64) -> Option<u64> {
    n.checked_sub(1)?.checked_ilog2().map(|e| 1u64 << e)
}

/// Appends the stored indexes of the complete aligned subtrees covering `[lo, hi)`, left to
/// right: at most two per level, so O(log n).
fn cover(mut lo: u64, hi: u64, out: &mut Vec<StoredIndex>) {
    // `fits` is the largest power of two (as an exponent) within `hi - lo`; none once `lo == hi`.
    while let Some(fits) = hi.checked_sub(lo).and_then(u64::checked_ilog2) {
        // The largest aligned block starting at `lo` that fits.
        let level = lo.trailing_zeros().min(fits);
        out.push(StoredIndex::of(level, lo >> level));
        // `1 << level <= hi - lo`: never saturates.
        lo = lo.saturating_add(1u64 << level);
    }
}

/// The RFC 6962 recursion over leaf ranges, root to leaf: the current range `[lo, hi)`, a
/// position `m` relative to `lo`, and the sibling ranges passed so far.
struct Descent {
    lo: u64,
    hi: u64,
    m: u64,
    ranges: Vec<(u64, u64)>,
}

impl Descent {
    fn new(m: u64, size: u64) -> Self {
        Self {
            lo: 0,
            hi: size,
            m,
            ranges: Vec::new(),
        }
    }

    /// `hi - lo` (`lo <= hi` always holds, so this never saturates).
    fn width(&self) -> u64 {
        self.hi.saturating_sub(self.lo)
    }

    /// Splits `[lo, hi)` at `lo + k`, `k` the largest power of two below the width, records the
    /// half not taken and narrows to the other: the right half when `m >= k + tie` (`tie` is 0
    /// for PATH, 1 for SUBPROOF), with `m` then relative to it. Returns whether it went right;
    /// `None` (and no change) when the width is below 2.
    fn step(&mut self, tie: u64) -> Option<bool> {
        let k = split_point(self.width())?;
        // `k < hi - lo`: never saturates.
        let mid = self.lo.saturating_add(k);
        match self.m.checked_sub(k).filter(|&right| right >= tie) {
            None => {
                self.ranges.push((mid, self.hi));
                self.hi = mid;
                Some(false)
            }
            Some(right) => {
                self.ranges.push((self.lo, mid));
                self.lo = mid;
                self.m = right;
                Some(true)
            }
        }
    }
}

/// The right edge of a tree ("compact range" `[0, size)`): the roots of the complete subtrees
/// the size decomposes into, largest (leftmost) first, one per set bit of the size.
///
/// Appending costs O(log n) hashing and no reads; the root is O(log n) hashing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Sha256Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stored indexes of the frontier of a tree of `size` leaves, left to right.
    pub fn stored_indexes(size: TreeSize) -> Vec<StoredIndex> {
        (0..64u32)
            .rev()
            .filter(|l| (size.0 >> l) & 1 == 1)
            // Bit `l` is set, so `size >> l >= 1`: never saturates.
            .map(|l| StoredIndex::of(l, (size.0 >> l).saturating_sub(1)))
            .collect()
    }

    /// Reads the frontier of the tree of `size` leaves from a store (one batched read).
    pub fn load(store: &(impl HashStore + ?Sized), size: TreeSize) -> Result<Self, TlogError> {
        Self::from_hashes(size, read_exact(store, &Self::stored_indexes(size))?)
    }

    /// A frontier from its hashes, left to right (as at [`Frontier::stored_indexes`]).
    pub fn from_hashes(size: TreeSize, hashes: Vec<Sha256Hash>) -> Result<Self, TlogError> {
        if size.0 > MAX_SIZE {
            return Err(TlogError::TreeFull);
        }
        let expected = size.0.count_ones() as usize;
        if hashes.len() != expected {
            return Err(TlogError::StoreLength {
                expected,
                actual: hashes.len(),
            });
        }
        Ok(Self {
            size: size.0,
            hashes,
        })
    }

    /// Number of leaves.
    pub fn size(&self) -> TreeSize {
        TreeSize(self.size)
    }

    /// The subtree roots, left to right.
    pub fn hashes(&self) -> &[Sha256Hash] {
        &self.hashes
    }

    /// The tree's root hash.
    pub fn root(&self) -> Sha256Hash {
        fold_right(&self.hashes)
    }

    /// Appends a leaf hash. Returns the hashes to store, leaf first, which belong at
    /// `StoredIndex::count(size before the append)` onwards (as [`stored_hashes_for_leaf`]).
    pub fn append(&mut self, leaf: Sha256Hash) -> Result<Vec<Sha256Hash>, TlogError> {
        let new_size = self
            .size
            .checked_add(1)
            .filter(|&s| s <= MAX_SIZE)
            .ok_or(TlogError::TreeFull)?;
        let mut out = vec![leaf];
        let mut h = leaf;
        for _ in 0..self.size.trailing_ones() {
            // Invariant: one hash per set bit of `size`, so each trailing one has a hash.
            if let Some(left) = self.hashes.pop() {
                h = node_hash(&left, &h);
                out.push(h);
            }
        }
        self.hashes.push(h);
        self.size = new_size;
        Ok(out)
    }
}

/// Roots and proofs for any tree size, computed from a [`HashStore`] with one batched read of
/// O(log n) hashes.
pub struct Tree<'s, S: HashStore + ?Sized> {
    store: &'s S,
}

impl<'s, S: HashStore + ?Sized> Tree<'s, S> {
    /// A view over `store`.
    pub fn new(store: &'s S) -> Self {
        Self { store }
    }

    /// `MTH` of each of the (disjoint) leaf ranges, with one store read.
    fn hash_ranges(&self, ranges: &[(u64, u64)]) -> Result<Vec<Sha256Hash>, TlogError> {
        let mut blocks = Vec::new();
        let mut ends = Vec::with_capacity(ranges.len());
        for &(lo, hi) in ranges {
            cover(lo, hi, &mut blocks);
            ends.push(blocks.len());
        }
        let hashes = read_exact(self.store, &blocks)?;
        let mut start = 0;
        ends.into_iter()
            .map(|end| {
                let h = hashes.get(start..end).map(fold_right);
                start = end;
                h.ok_or(TlogError::StoreLength {
                    expected: blocks.len(),
                    actual: hashes.len(),
                })
            })
            .collect()
    }

    fn check_size(size: TreeSize) -> Result<(), TlogError> {
        if size.0 > MAX_SIZE {
            return Err(TlogError::SizeOutOfRange {
                size,
                available: TreeSize(MAX_SIZE),
            });
        }
        Ok(())
    }

    /// Root hash of the first `size` leaves (RFC 6962 `MTH(D[0:size])`).
    pub fn root(&self, size: TreeSize) -> Result<Sha256Hash, TlogError> {
        Self::check_size(size)?;
        Ok(fold_right(&read_exact(
            self.store,
            &Frontier::stored_indexes(size),
        )?))
    }

    /// RFC 6962 audit path (`PATH(m, D[n])`, leaf to root) for leaf `index` in the tree of `size`
    /// leaves.
    pub fn inclusion_proof(
        &self,
        index: LogIndex,
        size: TreeSize,
    ) -> Result<Vec<Sha256Hash>, TlogError> {
        Self::check_size(size)?;
        if index.0 >= size.0 {
            return Err(TlogError::IndexOutOfRange { index, size });
        }
        // Root to leaf: the sibling range at each split, reversed at the end.
        let mut walk = Descent::new(index.0, size.0);
        while walk.step(0).is_some() {}
        walk.ranges.reverse();
        self.hash_ranges(&walk.ranges)
    }

    /// RFC 6962 consistency proof (`PROOF(m, D[n])`) from `size1` to `size2`; empty when the
    /// sizes are equal.
    pub fn consistency_proof(
        &self,
        size1: TreeSize,
        size2: TreeSize,
    ) -> Result<Vec<Sha256Hash>, TlogError> {
        Self::check_size(size2)?;
        if size1.0 == 0 || size1.0 > size2.0 {
            return Err(TlogError::BadSizes { size1, size2 });
        }
        // SUBPROOF(m, D[lo:hi], b), iteratively, root to leaf; reversed at the end.
        // `0 < m <= hi - lo` throughout, so `hi - lo >= 2` while they differ.
        let mut walk = Descent::new(size1.0, size2.0);
        let mut b = true;
        while walk.m != walk.width() {
            match walk.step(1) {
                None => return Err(TlogError::BadSizes { size1, size2 }),
                Some(right) => b &= !right,
            }
        }
        if !b {
            walk.ranges.push((walk.lo, walk.hi));
        }
        walk.ranges.reverse();
        self.hash_ranges(&walk.ranges)
    }
}

/// An append-only Merkle tree in memory: every stored hash plus the [`Frontier`]. For tests,
/// tools and small logs; a server keeps the same layout in its database.
#[derive(Clone, Debug, Default)]
pub struct MerkleTree {
    store: MemoryHashStore,
    frontier: Frontier,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf hash (see [`crate::leaf_hash`]); returns its index.
    pub fn append(&mut self, leaf: Sha256Hash) -> Result<LogIndex, TlogError> {
        let index = LogIndex(self.frontier.size);
        let new = self.frontier.append(leaf)?;
        self.store.extend(new);
        Ok(index)
    }

    /// Number of leaves.
    pub fn size(&self) -> TreeSize {
        self.frontier.size()
    }

    /// Root of the whole tree, from the frontier.
    pub fn current_root(&self) -> Sha256Hash {
        self.frontier.root()
    }

    /// The frontier of the whole tree.
    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// The stored hashes.
    pub fn store(&self) -> &MemoryHashStore {
        &self.store
    }

    /// Leaf hash at `index`, if present.
    pub fn leaf(&self, index: LogIndex) -> Option<Sha256Hash> {
        (index.0 < self.frontier.size)
            .then(|| self.store.get(StoredIndex::of(0, index.0)))
            .flatten()
    }

    fn within(&self, size: TreeSize) -> Result<Tree<'_, MemoryHashStore>, TlogError> {
        if size > self.size() {
            return Err(TlogError::SizeOutOfRange {
                size,
                available: self.size(),
            });
        }
        Ok(Tree::new(&self.store))
    }

    /// Root of the first `size` leaves.
    pub fn root(&self, size: TreeSize) -> Result<Sha256Hash, TlogError> {
        self.within(size)?.root(size)
    }

    /// Inclusion proof for `index` in the tree of `size` leaves.
    pub fn inclusion_proof(
        &self,
        index: LogIndex,
        size: TreeSize,
    ) -> Result<Vec<Sha256Hash>, TlogError> {
        self.within(size)?.inclusion_proof(index, size)
    }

    /// Consistency proof from `size1` to `size2`.
    pub fn consistency_proof(
        &self,
        size1: TreeSize,
        size2: TreeSize,
    ) -> Result<Vec<Sha256Hash>, TlogError> {
        self.within(size2)?.consistency_proof(size1, size2)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::merkle::{leaf_hash, verify_consistency, verify_inclusion};

    fn leaf(i: u64) -> Sha256Hash {
        leaf_hash(&i.to_be_bytes())
    }

    /// Naive RFC 6962 MTH, the definition itself.
    fn mth(leaves: &[Sha256Hash]) -> Sha256Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split_point(n as u64).unwrap() as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn stored_index_layout_matches_go() {
        // golang.org/x/mod/sumdb/tlog: leaves 0,1 at 0,1; their parent at 2; leaf 2 at 3, ...
        let cases = [
            ((0, 0), 0),
            ((0, 1), 1),
            ((1, 0), 2),
            ((0, 2), 3),
            ((0, 3), 4),
            ((1, 1), 5),
            ((2, 0), 6),
            ((0, 4), 7),
            ((3, 0), 14),
        ];
        for ((level, n), want) in cases {
            assert_eq!(
                StoredIndex::of(level, n),
                StoredIndex(want),
                "({level}, {n})"
            );
        }
        assert_eq!(StoredIndex::count(TreeSize(0)), 0);
        assert_eq!(StoredIndex::count(TreeSize(1)), 1);
        assert_eq!(StoredIndex::count(TreeSize(2)), 3);
        assert_eq!(StoredIndex::count(TreeSize(4)), 7);
        assert_eq!(StoredIndex::count(TreeSize(5)), 8);
        // The largest tree still fits the index space.
        assert_eq!(StoredIndex::count(TreeSize(MAX_SIZE)), u64::MAX);
    }

    #[test]
    fn frontier_store_and_definition_agree() {
        let n = 70u64;
        let mut store = MemoryHashStore::new();
        let mut frontier = Frontier::new();
        let leaves: Vec<_> = (0..n).map(leaf).collect();
        for (i, l) in leaves.iter().enumerate() {
            let i = i as u64;
            assert_eq!(store.len(), StoredIndex::count(TreeSize(i)));
            let by_store = stored_hashes_for_leaf(i, *l, &store).unwrap();
            let by_frontier = frontier.append(*l).unwrap();
            assert_eq!(by_store, by_frontier);
            store.extend(by_store);
            assert_eq!(frontier.root(), mth(&leaves[..=i as usize]));
            assert_eq!(Frontier::load(&store, TreeSize(i + 1)).unwrap(), frontier);
        }
        assert_eq!(Frontier::new().root(), empty_root());
        assert!(matches!(
            Frontier::from_hashes(TreeSize(3), vec![leaves[0]]),
            Err(TlogError::StoreLength { .. })
        ));
    }

    #[test]
    fn roots_and_proofs_for_every_size() {
        let n = 70u64;
        let mut tree = MerkleTree::new();
        let leaves: Vec<_> = (0..n).map(leaf).collect();
        for l in &leaves {
            tree.append(*l).unwrap();
        }
        assert_eq!(tree.size(), TreeSize(n));
        assert_eq!(tree.leaf(LogIndex(5)), Some(leaves[5]));
        assert_eq!(tree.leaf(LogIndex(n)), None);
        assert_eq!(tree.current_root(), mth(&leaves));
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
        assert_eq!(
            tree.inclusion_proof(LogIndex(5), TreeSize(5)),
            Err(TlogError::IndexOutOfRange {
                index: LogIndex(5),
                size: TreeSize(5)
            })
        );
        assert!(matches!(
            tree.consistency_proof(TreeSize(0), TreeSize(5)),
            Err(TlogError::BadSizes { .. })
        ));
        assert!(matches!(
            tree.consistency_proof(TreeSize(6), TreeSize(5)),
            Err(TlogError::BadSizes { .. })
        ));
        assert_eq!(
            tree.root(TreeSize(n + 1)),
            Err(TlogError::SizeOutOfRange {
                size: TreeSize(n + 1),
                available: TreeSize(n)
            })
        );
        // A bare store view reports the missing hash instead.
        assert!(matches!(
            Tree::new(tree.store()).root(TreeSize(n + 1)),
            Err(TlogError::MissingHash(_))
        ));
    }

    /// Answers any index with a made-up hash and counts what was read.
    #[derive(Default)]
    struct Counting {
        calls: Cell<usize>,
        reads: Cell<usize>,
    }

    impl HashStore for Counting {
        fn read_hashes(&self, indexes: &[StoredIndex]) -> Result<Vec<Sha256Hash>, TlogError> {
            self.calls.set(self.calls.get() + 1);
            self.reads.set(self.reads.get() + indexes.len());
            Ok(indexes.iter().map(|i| leaf(i.0)).collect())
        }
    }

    #[test]
    fn large_trees_need_logarithmic_reads_in_one_batch() {
        for size in [10_000_000u64, (1 << 40) - 1, 1 << 62, MAX_SIZE] {
            let log2 = 64 - size.leading_zeros() as usize;
            let store = Counting::default();
            let tree = Tree::new(&store);
            let check = |what: &str, max: usize| {
                assert_eq!(store.calls.get(), 1, "{what} at size {size}");
                assert!(store.reads.get() <= max, "{what} at size {size}");
                store.calls.set(0);
                store.reads.set(0);
            };
            tree.root(TreeSize(size)).unwrap();
            check("root", log2);
            for index in [0, 1, size / 3, size / 2, size - 2, size - 1] {
                let p = tree
                    .inclusion_proof(LogIndex(index), TreeSize(size))
                    .unwrap();
                assert!(p.len() <= log2);
                check("inclusion", 2 * log2);
            }
            for size1 in [1, 2, 3, size / 3, size / 2 + 1, size - 1] {
                tree.consistency_proof(TreeSize(size1), TreeSize(size))
                    .unwrap();
                check("consistency", 2 * log2 + 1);
            }
        }
        let store = Counting::default();
        assert!(matches!(
            Tree::new(&store).root(TreeSize(MAX_SIZE + 1)),
            Err(TlogError::SizeOutOfRange { .. })
        ));
    }

    #[test]
    fn full_tree_is_refused_without_overflow() {
        let mut f =
            Frontier::from_hashes(TreeSize(MAX_SIZE - 1), vec![Sha256Hash([0; 32]); 63]).unwrap();
        assert_eq!(f.append(Sha256Hash([1; 32])).unwrap().len(), 64);
        assert_eq!(f.size(), TreeSize(MAX_SIZE));
        assert_eq!(f.append(Sha256Hash([1; 32])), Err(TlogError::TreeFull));
        assert_eq!(
            stored_hashes_for_leaf(MAX_SIZE, Sha256Hash([1; 32]), &MemoryHashStore::new()),
            Err(TlogError::TreeFull)
        );
    }
}
