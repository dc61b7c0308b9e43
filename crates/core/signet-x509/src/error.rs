use signet_types::UnixSeconds;

/// Errors from certificate parsing, path validation, SCTs and timestamps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum X509Error {
    /// Not a well-formed certificate, extension or CMS structure.
    #[error("malformed certificate data: {0}")]
    Malformed(String),
    /// Input exceeds a fixed budget (size, count, depth, signature checks).
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// A certificate is not valid at the time checked.
    #[error("certificate {subject} is not valid at {time} (valid {not_before} to {not_after})")]
    Expired {
        /// Subject of the certificate.
        subject: String,
        /// Time checked.
        time: UnixSeconds,
        /// Start of validity.
        not_before: UnixSeconds,
        /// End of validity (inclusive).
        not_after: UnixSeconds,
    },
    /// A certificate's signature does not verify with its issuer's key.
    #[error("signature on {subject} does not verify with the key of {issuer}")]
    BadSignature {
        /// Subject of the signed certificate.
        subject: String,
        /// Subject of the issuer.
        issuer: String,
    },
    /// A signature or digest algorithm signet does not accept.
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// No path from the certificate to a trust anchor.
    #[error("no chain from {subject} (issued by {issuer}) to a trusted root")]
    NoPath {
        /// Subject of the certificate that could not be chained.
        subject: String,
        /// Its issuer name.
        issuer: String,
    },
    /// A certificate may not be used in its position or for the purpose.
    #[error("certificate {subject} cannot be used here: {reason}")]
    Usage {
        /// Subject.
        subject: String,
        /// Why.
        reason: String,
    },
    /// A critical extension signet does not understand.
    #[error("certificate {subject} has an unhandled critical extension {oid}")]
    UnhandledCriticalExtension {
        /// Subject.
        subject: String,
        /// Extension OID, dotted.
        oid: String,
    },
    /// An embedded SCT is malformed or its signature does not verify.
    #[error("SCT: {0}")]
    Sct(String),
    /// The timestamp's message imprint is not the hash of the signature it should cover.
    #[error("RFC 3161 timestamp does not cover this signature (message imprint mismatch)")]
    ImprintMismatch,
    /// The timestamp is outside every trusted authority's validity window.
    #[error("RFC 3161 timestamp at {time} is outside the trusted authority's validity window")]
    OutsideAuthorityValidity {
        /// The timestamp's genTime.
        time: UnixSeconds,
    },
    /// Any other RFC 3161 timestamp problem.
    #[error("RFC 3161 timestamp: {0}")]
    Timestamp(String),
    /// A key could not be parsed or used.
    #[error("key: {0}")]
    Key(#[from] signet_crypto::CryptoError),
}
