//! Sign, attest and verify container images the way cosign does, in both of its formats:
//!
//! * **bundle** (cosign v3's default): a Sigstore bundle v0.3 over an in-toto statement, pushed
//!   as an OCI 1.1 referrer of the image (with the referrers fallback index for registries
//!   without the referrers API);
//! * **legacy** (what Kubernetes publishes today): a simple-signing payload, one layer of the
//!   manifest at tag `sha256-<hex>.sig` (`.att` for attestations), with the certificate and
//!   the Rekor entry in layer annotations.
//!
//! Signing logs first and writes the registry last, so a failed run leaves nothing half-written
//! in the registry and can simply be run again (the log answers a re-submitted entry with the
//! stored one; the registry writes skip what is already there). Verification is offline against
//! a trusted root: referrers first, the legacy tag second, as `cosign verify` (v3) does.
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

mod policy;
mod sign;
mod verify;

pub use policy::{RegoPolicy, statement_of};
pub use sign::{Format, ImageSigner, SignOptions, SignedImage, Target, resolve, rfc3339, targets};
pub use verify::{Found, ImageVerification, download, find, verify_image};

/// Image signing and verification errors; every message names the image.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The registry failed or refused.
    #[error("{image}: {source}")]
    Registry {
        /// The image.
        image: String,
        /// Cause.
        #[source]
        source: Box<signet_registry::RegistryError>,
    },
    /// Signing or logging failed.
    #[error("{image}: {source}")]
    Sign {
        /// The image.
        image: String,
        /// Cause.
        #[source]
        source: Box<signet_sign::SignError>,
    },
    /// A format error.
    #[error("{image}: {source}")]
    Format {
        /// The image.
        image: String,
        /// Cause.
        #[source]
        source: Box<signet_oci::OciError>,
    },
    /// Nothing to verify: no referrer bundle and no legacy signature manifest.
    #[error("{image}: no {what} found")]
    NoSignatures {
        /// The image.
        image: String,
        /// "signatures" or "attestations".
        what: &'static str,
    },
    /// A policy that does not parse, cannot be evaluated, or does not allow an attestation.
    #[error("policy: {0}")]
    Policy(String),
    /// Signatures were found but none verified; the reasons, one per signature.
    #[error("{image}: none of the {count} {what} verified: {}", reasons.join("; "))]
    NoneVerified {
        /// The image.
        image: String,
        /// "signatures" or "attestations".
        what: &'static str,
        /// How many were tried.
        count: usize,
        /// Why each was refused.
        reasons: Vec<String>,
    },
}

impl ImageError {
    fn registry(
        image: &impl std::fmt::Display,
    ) -> impl FnOnce(signet_registry::RegistryError) -> Self {
        let image = image.to_string();
        move |source| Self::Registry {
            image,
            source: Box::new(source),
        }
    }

    fn sign(image: &impl std::fmt::Display) -> impl FnOnce(signet_sign::SignError) -> Self {
        let image = image.to_string();
        move |source| Self::Sign {
            image,
            source: Box::new(source),
        }
    }

    fn format(image: &impl std::fmt::Display) -> impl FnOnce(signet_oci::OciError) -> Self {
        let image = image.to_string();
        move |source| Self::Format {
            image,
            source: Box::new(source),
        }
    }
}
