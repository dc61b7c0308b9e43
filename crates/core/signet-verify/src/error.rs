use signet_crypto::CryptoError;
use signet_types::UnixSeconds;
use signet_x509::X509Error;

use crate::tlog::EntryError;

/// Why verification failed. Each variant names the step that failed; causes from lower layers
/// are kept as their own typed errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Bundle material is unusable.
    #[error("verification material: {0}")]
    Material(String),
    /// Certificate parsing or path validation failed.
    #[error("certificate: {0}")]
    Certificate(#[from] X509Error),
    /// No certificate authority of the trusted root is valid at a verified time.
    #[error(
        "certificate is not issued by a trusted CA valid at {time}: no certificate authority in the trusted root is valid at that time"
    )]
    NoCertificateAuthorityAt {
        /// The verified time tried.
        time: UnixSeconds,
    },
    /// No trusted CA accepted the certificate at a verified time.
    #[error("certificate is not issued by a trusted CA valid at {time}: {reason}")]
    UntrustedCertificate {
        /// The verified time tried.
        time: UnixSeconds,
        /// Why the last CA valid at that time refused the certificate.
        #[source]
        reason: X509Error,
    },
    /// The embedded SCTs are unusable, or the only one from a trusted log does not verify.
    #[error("no embedded SCT from a trusted CT log verified ({0})")]
    Sct(#[source] X509Error),
    /// Fewer SCTs from distinct trusted logs verified than required.
    #[error(
        "no embedded SCT from a trusted CT log verified ({verified} verified, {required} required)"
    )]
    TooFewScts {
        /// Distinct trusted logs whose SCT verified.
        verified: usize,
        /// Threshold.
        required: usize,
    },
    /// An RFC 3161 timestamp failed.
    #[error("timestamp: {0}")]
    Timestamp(String),
    /// A transparency-log entry failed.
    #[error("transparency log entry {index}: {source}")]
    Tlog {
        /// Position of the entry in the bundle.
        index: usize,
        /// What failed.
        source: EntryError,
    },
    /// A log's answer (a Rekor v1 entry checked on its own) failed.
    #[error("log entry: {0}")]
    LogEntry(#[source] EntryError),
    /// Not enough transparency-log entries verified.
    #[error("bundle has no transparency log entry (at least {required} required)")]
    NoTlogEntries {
        /// Threshold.
        required: usize,
    },
    /// No verified time exists to check the certificate against.
    #[error("no verified timestamp: need a signed entry timestamp or an RFC 3161 timestamp")]
    NoVerifiedTime,
    /// The artifact's digest does not match the bundle.
    #[error("artifact digest mismatch: bundle says {expected}, artifact is {actual}")]
    DigestMismatch {
        /// Digest in the bundle.
        expected: String,
        /// Digest of the artifact.
        actual: String,
    },
    /// The artifact was given by a digest this bundle cannot be checked against.
    #[error("artifact digest: {0}")]
    DigestAlgorithm(String),
    /// The signature over the artifact or envelope did not verify.
    #[error("signature does not verify: {0}")]
    Signature(#[source] CryptoError),
    /// The signature over the DSSE envelope did not verify.
    #[error("signature does not verify: DSSE envelope: {0}")]
    EnvelopeSignature(#[source] CryptoError),
    /// The DSSE payload or in-toto statement is not acceptable.
    #[error("DSSE envelope: {0}")]
    Dsse(String),
    /// The signer identity does not match the policy.
    #[error("identity mismatch: {0}")]
    Identity(String),
    /// The artifact is needed in full (not just its digest) for this key type.
    #[error("this signature needs the artifact bytes, not only its digest: {0}")]
    NeedArtifactBytes(String),
}
