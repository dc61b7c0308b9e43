/// Every way TUF metadata or a target can be refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TufError {
    /// The input is larger than the cap for its role.
    #[error("{role} is {actual} bytes, more than the {limit}-byte limit")]
    TooLarge {
        /// Role (or `target`).
        role: String,
        /// Limit in bytes.
        limit: u64,
        /// Actual size.
        actual: u64,
    },
    /// Not JSON, or not TUF metadata of the expected shape.
    #[error("malformed {role} metadata: {reason}")]
    Malformed {
        /// Role being parsed.
        role: String,
        /// What is wrong.
        reason: String,
    },
    /// `signed._type` is not the role expected here.
    #[error("expected {expected} metadata, got _type {actual:?}")]
    WrongType {
        /// Expected `_type`.
        expected: String,
        /// `_type` found.
        actual: String,
    },
    /// The metadata's `spec_version` is not 1.x.
    #[error("unsupported spec_version {0:?} (major version must be 1)")]
    SpecVersion(String),
    /// A value cannot be written as canonical JSON (floating-point numbers).
    #[error("canonical JSON: {0}")]
    Canonical(String),
    /// Fewer valid signatures from distinct keys than the role's threshold.
    #[error("{role}: {valid} valid signature(s) from distinct keys, threshold {threshold}")]
    Threshold {
        /// Role whose signatures were counted.
        role: String,
        /// Valid signatures counted.
        valid: u64,
        /// Threshold required.
        threshold: u64,
    },
    /// The delegating metadata does not define the role.
    #[error("role {0} is not delegated")]
    UnknownRole(String),
    /// A version number is not the one required (new root not N+1; snapshot/targets not the
    /// version the referring metadata names).
    #[error("{role}: version {actual}, expected {expected}")]
    Version {
        /// Role.
        role: String,
        /// Version required.
        expected: u64,
        /// Version found.
        actual: u64,
    },
    /// A version is lower than the one already trusted (rollback attack).
    #[error("{role}: rollback from version {trusted} to {new}")]
    Rollback {
        /// Role (or meta file) rolled back.
        role: String,
        /// Version trusted so far.
        trusted: u64,
        /// Version offered.
        new: u64,
    },
    /// The new timestamp has the version already trusted: nothing changed (not an attack).
    #[error("timestamp version {0} is already trusted; no update")]
    EqualTimestamp(u64),
    /// A file listed in the trusted snapshot is missing from the new one.
    #[error("snapshot: {0} is no longer listed")]
    MetaFileRemoved(String),
    /// The referring metadata does not list this role.
    #[error("{referrer} does not list {file}")]
    NotListed {
        /// Metadata that should list it.
        referrer: String,
        /// File looked up.
        file: String,
    },
    /// The metadata expired at the reference time.
    #[error("{role} expired at {expires}")]
    Expired {
        /// Role.
        role: String,
        /// Its `expires`, RFC 3339.
        expires: String,
    },
    /// Length differs from what the referring metadata says.
    #[error("{what}: length {actual}, expected {expected}")]
    Length {
        /// File checked.
        what: String,
        /// Length listed.
        expected: u64,
        /// Length of the bytes.
        actual: u64,
    },
    /// A hash differs from what the referring metadata says.
    #[error("{what}: {algorithm} hash mismatch")]
    Hash {
        /// File checked.
        what: String,
        /// Algorithm.
        algorithm: String,
    },
    /// The hashes of a file cannot be checked (none listed, or an unknown algorithm).
    #[error("{what}: {reason}")]
    UnusableHashes {
        /// File checked.
        what: String,
        /// Why.
        reason: String,
    },
    /// A step was called out of the §5 order (e.g. snapshot before timestamp).
    #[error("out of order: {0}")]
    Order(String),
    /// More than [`limits::MAX_ROOT_ROTATIONS`](crate::limits::MAX_ROOT_ROTATIONS) root updates.
    #[error("more than {0} root updates in one refresh")]
    TooManyRootUpdates(u32),
    /// The target is not listed by any role consulted.
    #[error("target {0} not found")]
    TargetNotFound(String),
    /// The delegation graph has more roles than the lookup visits.
    #[error("more than {0} delegated roles visited")]
    TooManyDelegations(usize),
    /// Signing failed (writer).
    #[error("signing: {0}")]
    Signing(String),
    /// A key cannot be used (writer; the reader skips such keys).
    #[error("key: {0}")]
    Key(String),
}
