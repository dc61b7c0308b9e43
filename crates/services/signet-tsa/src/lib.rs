//! signet's RFC 3161 timestamp authority, answering as sigstore/timestamp-authority does.
//!
//! * [`request`]: the DER `TimeStampReq` and the JSON request form, checked (SHA-256/384/512
//!   only, digest length, accepted policy, no extensions, size limits);
//! * [`TimestampAuthority`]: builds the `TimeStampResp` byte for byte like timestamp-authority
//!   (status granted; SignedData v3 with the TSTInfo — policy, imprint with NULL parameters, a
//!   160-bit random serial, whole-second genTime, accuracy 1 s, the nonce echoed, the TSA's
//!   name — and one SignerInfo v1 whose DER-sorted signed attributes are contentType,
//!   signingTime, messageDigest and signingCertificateV2; the leaf certificate when the
//!   request asks for it). The key sits behind the CA's signer trait, [`signet_ca::CaSigner`];
//!   time is an input (never earlier than the previous token's);
//! * [`certificate`]: the TSA certificate, issued directly under the instance's CA root (one
//!   critical EKU timeStamping, critical KU digitalSignature, not a CA), and its files.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::string_slice,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
#![cfg_attr(
    test,
    allow(
        clippy::string_slice,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

pub mod asn1;
mod authority;
pub mod certificate;
pub mod request;

pub use authority::{DEFAULT_POLICY, TimestampAuthority};
pub use request::TimestampRequest;

/// Errors of the timestamp authority. [`TsaError::status`] gives the HTTP status.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TsaError {
    /// The request is malformed or asks for something not offered.
    #[error("{0}")]
    BadRequest(String),
    /// SHA-1 (timestamp-authority's wording).
    #[error("Weak hash algorithm in timestamp request")]
    WeakHash,
    /// A hash other than SHA-256/384/512.
    #[error("unsupported hash algorithm {0} in timestamp request (SHA-256, SHA-384 or SHA-512)")]
    UnsupportedHash(String),
    /// A policy other than the TSA's.
    #[error("unaccepted policy {0} in timestamp request (accepted: {DEFAULT_POLICY})")]
    UnacceptedPolicy(String),
    /// The request is over its size limit.
    #[error("timestamp request of {size} bytes is over the limit of {limit} bytes")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The TSA's key or certificates are unusable.
    #[error("timestamp authority material: {0}")]
    Material(String),
    /// The TSA cannot sign at this time (its certificate is not valid then).
    #[error("timestamp authority cannot sign: {0}")]
    Unavailable(String),
    /// Encoding or signing failed.
    #[error("timestamp authority internal error: {0}")]
    Internal(String),
}

impl TsaError {
    /// The HTTP status timestamp-authority answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_)
            | Self::WeakHash
            | Self::UnsupportedHash(_)
            | Self::UnacceptedPolicy(_) => 400,
            Self::TooLarge { .. } => 413,
            Self::Unavailable(_) => 503,
            Self::Material(_) | Self::Internal(_) => 500,
        }
    }

    pub(crate) fn encode(e: der::Error) -> Self {
        Self::Internal(format!("DER encoding: {e}"))
    }
}

impl From<signet_ca::CaError> for TsaError {
    fn from(e: signet_ca::CaError) -> Self {
        Self::Material(e.to_string())
    }
}
