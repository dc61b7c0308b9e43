//! Offline Sigstore verification.
//!
//! [`Verifier::verify`] takes a decoded [`Bundle`], the artifact (bytes or SHA-256 digest) and a
//! [`Policy`] value, and checks, in the order sigstore-go does:
//!
//! 1. verification material: certificate parse (no root certificates inside the bundle), or the
//!    managed key given by the policy;
//! 2. RFC 3161 timestamps against the trusted timestamp authorities: as sigstore-go does, one
//!    that does not verify (malformed, untrusted, not over this signature, outside validity) or
//!    repeats an authority already counted is skipped and reported in
//!    [`VerifiedBundle::warnings`]; only verified ones count;
//! 3. every transparency-log entry: known log, body kind, body matches the bundle content and
//!    material, signed entry timestamp, inclusion proof and signed checkpoint;
//! 4. at least one verified time (integrated time from a verified SET, or a TSA time); a bundle
//!    whose timestamps were all skipped and that has no other verified time fails;
//! 5. the certificate chain to a trusted Fulcio CA *at each verified time*, and the CA's validity
//!    window; at least one embedded SCT from a trusted CT log;
//! 6. the signature over the artifact (or over the DSSE PAE, with the in-toto subject digest);
//! 7. the identity policy (SAN and OIDC issuer, exact or regular expression).
//!
//! The result, [`VerifiedBundle`], can only be built by a successful run. This crate does no I/O
//! and never reads the clock: the trusted root, bundle and artifact digest are all inputs.
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

mod error;
mod memo;
mod policy;
mod tlog;
mod verifier;

pub use error::VerifyError;
pub use policy::{Artifact, ArtifactDigest, Identity, Matcher, Policy};
pub use tlog::{
    EntryError, VerifiedLogProofs, VerifiedV2Proofs, verify_rekor_v1_entry, verify_rekor_v2_entry,
};
pub use verifier::{
    VerifiedBundle, VerifiedEntry, Verifier, VerifierConfig, artifact_digest_algorithms,
    tsa_authorities,
};
