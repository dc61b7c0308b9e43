use std::path::PathBuf;

/// Everything that can go wrong in this crate. Context is carried as data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// An I/O operation on `path` failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done ("open", "read", "write", ...).
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A release-relative path is not acceptable.
    #[error("invalid release path {path:?}: {reason}")]
    InvalidPath {
        /// The offending path (lossily printed).
        path: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A directory entry's name is not UTF-8.
    #[error("file name is not UTF-8: {}", path.display())]
    NonUtf8Name {
        /// The offending path.
        path: PathBuf,
    },
    /// A symlink points outside the release root (or cannot be resolved).
    #[error("symlink {path:?} escapes the release root (target {})", target.display())]
    SymlinkEscape {
        /// Release-relative path of the link.
        path: String,
        /// Where it resolves to.
        target: PathBuf,
    },
    /// An entry is not something that can be an artifact (directory symlink, FIFO, socket, ...).
    #[error("{path:?} is not a regular file ({kind})")]
    NotRegularFile {
        /// Release-relative path.
        path: String,
        /// What it is instead.
        kind: &'static str,
    },
    /// Input exceeds a size or count limit.
    #[error("{what} too large: {actual} > limit {limit}")]
    TooLarge {
        /// What was measured.
        what: &'static str,
        /// Measured size or count.
        actual: u64,
        /// The limit.
        limit: u64,
    },
    /// The same path appears twice where paths must be unique.
    #[error("duplicate path {path:?}")]
    Duplicate {
        /// The repeated path.
        path: String,
    },
    /// A `SHA256SUMS` manifest line is malformed.
    #[error("manifest line {line}: {reason}")]
    Manifest {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A JSON document could not be encoded or decoded.
    #[error("{what}: invalid JSON: {source}")]
    Json {
        /// Which document.
        what: &'static str,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A document decoded but violates the format's rules.
    #[error("{what}: {reason}")]
    Invalid {
        /// Which document or input.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A file read whole could not be read (or is over its limit).
    #[error(transparent)]
    Read(#[from] signet_crypto::ReadFileError),
    /// The directory holds no `SHA256SUMS`.
    #[error("{} has no SHA256SUMS (was it signed with signet sign-release?)", dir.display())]
    NotSigned {
        /// The release directory.
        dir: PathBuf,
    },
    /// The directory holds nothing to sign.
    #[error("{} contains no artifacts to sign", dir.display())]
    NoArtifacts {
        /// The release directory.
        dir: PathBuf,
    },
    /// The signer failed.
    #[error(transparent)]
    Signer(Box<dyn std::error::Error + Send + Sync>),
    /// A timestamp could not be formatted as RFC 3339.
    #[error("timestamp cannot be formatted as RFC 3339: {0}")]
    Time(#[from] time::error::Format),
}

impl ReleaseError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            what,
            reason: reason.into(),
        }
    }
}

/// [`ReleaseError::TooLarge`] if `actual` exceeds `limit`: the one check behind every fixed
/// bound on untrusted input in this crate.
pub(crate) fn check_limit(
    what: &'static str,
    actual: usize,
    limit: usize,
) -> Result<(), ReleaseError> {
    if actual > limit {
        return Err(ReleaseError::TooLarge {
            what,
            actual: actual as u64,
            limit: limit as u64,
        });
    }
    Ok(())
}
