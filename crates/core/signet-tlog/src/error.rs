use signet_crypto::KeyAlgorithm;
use signet_types::{LogIndex, TreeSize};

/// Errors from Merkle proofs, hash stores and signed notes.
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
    /// A tree size beyond the end of the log was asked for.
    #[error("tree size {size} is beyond the log's current size {available}")]
    SizeOutOfRange {
        /// Requested size.
        size: TreeSize,
        /// Size of the log.
        available: TreeSize,
    },
    /// The proof has the wrong number of hashes.
    #[error("proof has {actual} hashes, {expected} expected")]
    ProofLength {
        /// Expected count (for an over-long proof: the most accepted).
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
    /// The log cannot grow any further (2^63 leaves, the limit of the stored-hash index).
    #[error("the log is full")]
    TreeFull,
    /// A signed note is over the size budget.
    #[error("note is {size} bytes, at most {max} accepted")]
    NoteTooLarge {
        /// Note size.
        size: usize,
        /// Limit.
        max: usize,
    },
    /// A signed note has more signature lines than the budget.
    #[error("note has {count} signature lines, at most {max} accepted")]
    TooManySignatures {
        /// Number of lines.
        count: usize,
        /// Limit.
        max: usize,
    },
    /// A signed note is malformed.
    #[error("malformed note: {reason}")]
    MalformedNote {
        /// What is wrong.
        reason: &'static str,
    },
    /// One signature line of a note is malformed.
    #[error("malformed note signature line {line}: {reason}")]
    MalformedSignatureLine {
        /// 1-based line number within the signature block.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A checkpoint body is malformed.
    #[error("malformed checkpoint: {reason}")]
    MalformedCheckpoint {
        /// What is wrong.
        reason: &'static str,
    },
    /// No signature line came from a known key.
    #[error("no signature on the note is from a known key")]
    NoVerifiedSignature,
    /// A signature line from a known key does not verify.
    #[error("signature by {name} (key hint {hint:08x}) does not verify", hint = u32::from_be_bytes(*.key_hint))]
    BadSignature {
        /// Key name on the signature line.
        name: String,
        /// Key hint on the signature line.
        key_hint: [u8; 4],
    },
    /// A note key name is empty or contains whitespace or `+`.
    #[error("invalid note key name {name:?}")]
    InvalidKeyName {
        /// The rejected name.
        name: String,
    },
    /// A key of the wrong algorithm was supplied.
    #[error("expected a {expected:?} key, got {actual:?}")]
    WrongKeyType {
        /// Algorithm required.
        expected: KeyAlgorithm,
        /// Algorithm supplied.
        actual: KeyAlgorithm,
    },
    /// Key material could not be loaded.
    #[error("invalid key: {reason}")]
    InvalidKey {
        /// What is wrong.
        reason: String,
    },
    /// Signing failed.
    #[error("signing the note failed")]
    Signing,
    /// The hash store lacks a hash it should have.
    #[error("hash store has no hash at stored index {0}")]
    MissingHash(u64),
    /// The hash store answered with the wrong number of hashes.
    #[error("hash store returned {actual} hashes for {expected} indexes")]
    StoreLength {
        /// Indexes requested.
        expected: usize,
        /// Hashes returned.
        actual: usize,
    },
    /// The hash store failed.
    #[error("hash store: {0}")]
    Store(String),
}
