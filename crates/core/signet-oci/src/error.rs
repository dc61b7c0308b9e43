/// Errors of the OCI signature formats.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OciError {
    /// An image reference that does not parse.
    #[error("invalid image reference {0:?}: {1}")]
    Reference(String, String),
    /// A digest that is not `sha256:<64 lowercase hex>`.
    #[error("invalid digest {0:?}: expected sha256:<64 hex digits>")]
    Digest(String),
    /// A manifest or index that does not parse or breaks a rule.
    #[error("invalid {what}: {reason}")]
    Manifest {
        /// What was being read ("signature manifest", "referrers index", …).
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// More than the fixed limit.
    #[error("{what} is larger than the limit of {limit}")]
    TooLarge {
        /// What.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A payload or statement that is not what cosign signs.
    #[error("invalid payload: {0}")]
    Payload(String),
    /// An annotation that is missing or malformed.
    #[error("annotation {key}: {reason}")]
    Annotation {
        /// Annotation key.
        key: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// The signature was made over another image.
    #[error("the signature is for {signed}, not for the image's digest {image}")]
    WrongDigest {
        /// The digest the payload names.
        signed: String,
        /// The image's digest.
        image: String,
    },
    /// A verified attestation of another predicate type than the one asked for (or, for an
    /// image signature, not cosign's sign predicate).
    #[error("the predicate type is {found:?}, not {expected:?}")]
    PredicateType {
        /// The statement's predicate type (or what the signature is).
        found: String,
        /// What was asked for.
        expected: String,
    },
    /// Bundle or certificate verification failed.
    #[error(transparent)]
    Verify(#[from] signet_verify::VerifyError),
    /// A bundle that does not parse.
    #[error("invalid bundle: {0}")]
    Bundle(String),
    /// Not built yet (skeleton; replaced by the implementation).
    #[error("not implemented: {0}")]
    Unimplemented(&'static str),
}
