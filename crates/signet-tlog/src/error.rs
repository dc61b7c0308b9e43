use signet_types::{LogIndex, TreeSize};

/// Errors from Merkle proofs and signed notes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlogError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// Leaf index.
        index: LogIndex,
        /// Tree size.
        size: TreeSize,
    },
    /// The proof has the wrong number of hashes.
    #[error("proof has {actual} hashes, {expected} expected")]
    ProofLength {
        /// Expected count.
        expected: usize,
        /// Supplied count.
        actual: usize,
    },
    /// The proof leads to a different root.
    #[error("proof does not lead to the expected root hash")]
    RootMismatch,
    /// Consistency between these sizes is undefined.
    #[error("no consistency proof exists from size {size1} to size {size2}")]
    BadSizes {
        /// Older size.
        size1: TreeSize,
        /// Newer size.
        size2: TreeSize,
    },
    /// A signed note or checkpoint is malformed.
    #[error("malformed note: {0}")]
    MalformedNote(String),
    /// A checkpoint body is malformed.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(String),
    /// No signature by a known key verified.
    #[error("no signature on the note verifies with a known key")]
    NoVerifiedSignature,
    /// A signature by a known key failed.
    #[error("signature by {name} does not verify")]
    BadSignature {
        /// Key name.
        name: String,
    },
    /// A key could not be used.
    #[error("note key: {0}")]
    Key(String),
    /// The hash store lacks a hash it should have.
    #[error("hash store has no hash at stored index {0}")]
    MissingHash(u64),
    /// The hash store failed.
    #[error("hash store: {0}")]
    Store(String),
}
