//! Offline verification of image signatures and attestations in both formats.
//!
//! SKELETON: owned by the formats helper; every `Unimplemented` is replaced.

use signet_verify::{Identity, VerifiedBundle, Verifier};

use crate::{Descriptor, ImageDigest, OciError};

/// What a signature must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// An image signature: legacy simple-signing, or a bundle over the cosign sign statement.
    Signature,
    /// An attestation, of this predicate type if given.
    Attestation(Option<String>),
}

/// Which format a verified signature came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Legacy layer at `sha256-<hex>.sig` / `.att`.
    Legacy,
    /// Sigstore bundle referrer.
    Bundle,
}

/// A signature or attestation verified for an image digest. Only built by the functions below.
#[derive(Debug)]
pub struct VerifiedImageSignature {
    /// The verified bundle (identity, log entries, times).
    pub bundle: VerifiedBundle,
    /// The format it was found in.
    pub format: Format,
    /// The predicate type (attestations and bundle-format signatures).
    pub predicate_type: Option<String>,
    /// What `signet verify` prints for it (cosign's JSON: the simple-signing payload with
    /// `optional` carrying `Bundle`, `Issuer`, `Subject`; for attestations the DSSE envelope).
    pub output: serde_json::Value,
}

/// Verifies one layer of a legacy `.sig` / `.att` manifest: `payload` is its blob (already
/// checked against the layer digest by the caller). The layer's annotations become a v0.1
/// bundle (certificate and chain, the Rekor entry with its SET) verified by `verifier` over the
/// payload; then the payload must name `image` (simple-signing digest, or an in-toto subject).
pub fn verify_legacy_layer(
    layer: &Descriptor,
    payload: &[u8],
    image: &ImageDigest,
    verifier: &Verifier<'_>,
    identity: &Identity,
    expect: &Expect,
) -> Result<VerifiedImageSignature, OciError> {
    let _ = (layer, payload, image, verifier, identity, expect);
    Err(OciError::Unimplemented("verify_legacy_layer"))
}

/// Verifies a bundle found as a referrer of `image`: a v0.3+ bundle whose DSSE in-toto
/// statement has a sha256 subject equal to `image` and the expected predicate type.
pub fn verify_bundle_referrer(
    bundle_json: &[u8],
    image: &ImageDigest,
    verifier: &Verifier<'_>,
    identity: &Identity,
    expect: &Expect,
) -> Result<VerifiedImageSignature, OciError> {
    let _ = (bundle_json, image, verifier, identity, expect);
    Err(OciError::Unimplemented("verify_bundle_referrer"))
}

/// TEMPORARY (skeleton): cosign's stderr block for a verified image.
pub fn verification_header(image: &str, verified: &[VerifiedImageSignature], key: bool) -> String {
    let _ = (verified, key);
    format!("\nVerification for {image} --\n")
}
