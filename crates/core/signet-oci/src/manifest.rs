//! Manifests signet writes and reads: the legacy signature manifest (`sha256-<hex>.sig` /
//! `.att`), bundle referrers (OCI 1.1 `subject`), the referrers fallback index, and small sample
//! images for tests and demos.
//!
//! SKELETON: owned by the registry helper; every `Unimplemented` is replaced.

use std::collections::BTreeMap;

use crate::{Descriptor, ImageDigest, OciError};

/// A blob to upload before the manifest that references it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    /// Its digest.
    pub digest: ImageDigest,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A manifest ready to push (exact bytes, hashed once) and the blobs it references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// The manifest's media type (the `Content-Type` of the PUT).
    pub media_type: String,
    /// The manifest's digest.
    pub digest: ImageDigest,
    /// The manifest bytes.
    pub bytes: Vec<u8>,
    /// Blobs to upload first (config, layers); blobs the registry has are skipped.
    pub blobs: Vec<Blob>,
}

/// Which legacy tag: signatures or attestations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagKind {
    /// `sha256-<hex>.sig`
    Signature,
    /// `sha256-<hex>.att`
    Attestation,
}

/// cosign's tag for the signatures or attestations of `digest`: `sha256-<hex>.sig` / `.att`.
pub fn legacy_tag(digest: &ImageDigest, kind: TagKind) -> String {
    let suffix = match kind {
        TagKind::Signature => "sig",
        TagKind::Attestation => "att",
    };
    format!("sha256-{}.{suffix}", digest.hex())
}

/// The referrers fallback tag of `digest` (distribution-spec "Referrers Tag Schema").
pub fn referrers_tag(digest: &ImageDigest) -> String {
    format!("sha256-{}", digest.hex())
}

/// One layer of a legacy signature manifest: the payload blob and its annotations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyLayer {
    /// [`crate::media::SIMPLE_SIGNING`] or [`crate::media::DSSE_ENVELOPE`].
    pub media_type: String,
    /// The signed payload (simple-signing JSON, or the DSSE envelope JSON as logged).
    pub payload: Vec<u8>,
    /// `dev.cosignproject.cosign/signature`, `dev.sigstore.cosign/certificate`, … (see
    /// [`crate::payload::legacy_annotations`]).
    pub annotations: BTreeMap<String, String>,
}

/// The legacy signature manifest with `layer` appended to `existing` (the manifest now at the
/// tag, if any): cosign's layout (§3.2: OCI manifest, config with one `diff_ids` and `history`
/// entry per layer). `Ok(None)` when an identical layer (same payload digest and annotations)
/// is already there. Refuses more than [`crate::media::MAX_LEGACY_LAYERS`] layers.
pub fn legacy_manifest(
    existing: Option<&[u8]>,
    layer: &LegacyLayer,
) -> Result<Option<Artifact>, OciError> {
    let _ = (existing, layer);
    Err(OciError::Unimplemented("legacy_manifest"))
}

/// The layers of a legacy signature manifest (bounded, media types as found).
pub fn legacy_layers(manifest: &[u8]) -> Result<Vec<Descriptor>, OciError> {
    let _ = manifest;
    Err(OciError::Unimplemented("legacy_layers"))
}

/// The OCI 1.1 referrer holding `bundle_json` (one layer of [`crate::media::BUNDLE_V03`],
/// empty config, `artifactType` the bundle type, `subject` the signed image), with
/// `annotations` (`dev.sigstore.bundle.content`, `dev.sigstore.bundle.predicateType`,
/// `org.opencontainers.image.created`).
pub fn referrer_manifest(
    subject: &Descriptor,
    bundle_json: &[u8],
    annotations: &BTreeMap<String, String>,
) -> Result<Artifact, OciError> {
    let _ = (subject, bundle_json, annotations);
    Err(OciError::Unimplemented("referrer_manifest"))
}

/// The descriptor of a referrer manifest as it goes into a referrers index: media type,
/// digest, size, `artifactType` (else the config media type) and all its annotations.
pub fn referrer_descriptor(referrer: &Artifact) -> Result<Descriptor, OciError> {
    let _ = referrer;
    Err(OciError::Unimplemented("referrer_descriptor"))
}

/// The fallback index with `referrer` added: `existing` is the index now at the referrers tag
/// (`None` = 404: start empty). `Ok(None)` when the digest is listed already; a non-index is
/// an error.
pub fn fallback_index_add(
    existing: Option<&[u8]>,
    referrer: &Descriptor,
) -> Result<Option<Vec<u8>>, OciError> {
    let _ = (existing, referrer);
    Err(OciError::Unimplemented("fallback_index_add"))
}

/// The manifests listed by a referrers index (API answer or fallback tag), bounded by
/// [`crate::media::MAX_REFERRERS`].
pub fn index_manifests(index: &[u8]) -> Result<Vec<Descriptor>, OciError> {
    let _ = index;
    Err(OciError::Unimplemented("index_manifests"))
}

/// The child manifests of an image index (for `--recursive`).
pub fn index_children(index: &[u8]) -> Result<Vec<Descriptor>, OciError> {
    let _ = index;
    Err(OciError::Unimplemented("index_children"))
}

/// A small, real OCI image for tests and demos: for each platform an image manifest (a config
/// and one gzip'd tar layer with a file whose content depends on `seed` and the platform);
/// with more than one platform, an index over them. The last artifact is the top one (the
/// index, or the single manifest); push them in order.
pub fn sample_image(seed: u64, platforms: &[String]) -> Result<Vec<Artifact>, OciError> {
    let _ = (seed, platforms);
    Err(OciError::Unimplemented("sample_image"))
}
