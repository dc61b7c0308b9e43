/// Errors from entry parsing, matching and canonicalization.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RekorError {
    /// The body is not JSON of a known entry shape.
    #[error("malformed {kind} entry body: {reason}")]
    Malformed {
        /// Entry kind, or "entry" when unknown.
        kind: String,
        /// What is wrong.
        reason: String,
    },
    /// Kind or version not supported.
    #[error("unsupported entry kind {kind} version {version}")]
    Unsupported {
        /// Kind.
        kind: String,
        /// API version.
        version: String,
    },
    /// The entry does not describe the bundle.
    #[error("entry {field} does not match the bundle")]
    Mismatch {
        /// What differs.
        field: &'static str,
    },
    /// The entry kind cannot carry this content.
    #[error("a {kind} entry cannot record {content}")]
    WrongContent {
        /// Entry kind.
        kind: String,
        /// Content offered.
        content: &'static str,
    },
    /// An identifier string is malformed.
    #[error("invalid entry UUID or ID {0:?}: expected 64 or 80 hex characters")]
    BadId(String),
    /// A proposed entry is not JSON of the `ProposedEntry` shape.
    #[error("invalid proposed entry: {0}")]
    InvalidProposal(String),
    /// Admission refused a proposed entry (Rekor's wording).
    #[error("error processing entry: {0}")]
    Refused(String),
    /// The signed entry timestamp does not verify.
    #[error("signed entry timestamp does not verify")]
    BadSet,
}
