use signet_types::UnixSeconds;

/// Errors from certificate parsing, path validation, SCTs and timestamps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum X509Error {
    /// Not a well-formed certificate or structure.
    #[error("malformed certificate data: {0}")]
    Malformed(String),
    /// Input exceeds a fixed limit.
    #[error("{0}")]
    Limit(String),
    /// The certificate is not valid at the time checked.
    #[error("certificate {subject} is not valid at {time} (valid {not_before} to {not_after})")]
    Expired {
        /// Subject of the certificate.
        subject: String,
        /// Time checked.
        time: UnixSeconds,
        /// Start of validity.
        not_before: UnixSeconds,
        /// End of validity.
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
    /// A signature algorithm signet does not accept.
    #[error("unsupported signature algorithm {0}")]
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
    /// An SCT problem.
    #[error("SCT: {0}")]
    Sct(String),
    /// An RFC 3161 timestamp problem.
    #[error("RFC 3161 timestamp: {0}")]
    Timestamp(String),
    /// A key could not be used.
    #[error("key: {0}")]
    Key(#[from] signet_crypto::CryptoError),
}
