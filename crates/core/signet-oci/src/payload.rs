//! What is signed for an image, and the legacy layer annotations that carry the signature.
//!
//! SKELETON: owned by the formats helper; every `Unimplemented` is replaced.

use std::collections::BTreeMap;

use crate::{ImageDigest, OciError};

/// cosign v3's predicate type for an image signature in the bundle format.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";
/// `critical.type` of a simple-signing payload.
pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";

/// The simple-signing payload, byte-exact as cosign writes it (Go `encoding/json`, compact):
/// `{"critical":{"identity":{"docker-reference":R},"image":{"docker-manifest-digest":D},"type":"cosign container image signature"},"optional":null}`
/// with `optional` the annotation map when `annotations` is not empty.
pub fn simple_signing(
    docker_reference: &str,
    digest: &ImageDigest,
    annotations: &BTreeMap<String, String>,
) -> Vec<u8> {
    let _ = (docker_reference, digest, annotations);
    Vec::new()
}

/// A parsed simple-signing payload.
#[derive(Clone, Debug, PartialEq)]
pub struct SimpleSigning {
    /// `critical.image.docker-manifest-digest`.
    pub digest: ImageDigest,
    /// `critical.identity.docker-reference`.
    pub docker_reference: String,
    /// `optional` (JSON null when absent).
    pub optional: serde_json::Value,
    /// The whole payload as JSON (what `verify` prints).
    pub json: serde_json::Value,
}

/// Parses a simple-signing payload (tolerant like cosign, but `critical.type` must be
/// [`SIMPLE_SIGNING_TYPE`] and the digest well-formed).
pub fn parse_simple_signing(payload: &[u8]) -> Result<SimpleSigning, OciError> {
    let _ = payload;
    Err(OciError::Unimplemented("parse_simple_signing"))
}

/// The in-toto Statement v1 cosign v3 signs for an image in the bundle format: subject the
/// digest only, predicate type [`COSIGN_SIGN_PREDICATE`], `annotations` on the subject.
pub fn sign_statement(digest: &ImageDigest, annotations: &BTreeMap<String, String>) -> Vec<u8> {
    let _ = (digest, annotations);
    Vec::new()
}

/// The in-toto Statement v1 for an attestation (`cosign attest`): subject `name` =
/// `repo_name`, digest the image's; `predicate` the user's JSON.
pub fn attestation_statement(
    repo_name: &str,
    digest: &ImageDigest,
    predicate_type: &str,
    predicate: &serde_json::Value,
) -> Result<Vec<u8>, OciError> {
    let _ = (repo_name, digest, predicate_type, predicate);
    Err(OciError::Unimplemented("attestation_statement"))
}

/// cosign's `--type` names to predicate type URIs (`slsaprovenance1`, `spdxjson`, `cyclonedx`,
/// `custom`, …); anything containing `://` is taken as the URI itself.
pub fn predicate_type(name: &str) -> Result<String, OciError> {
    let _ = name;
    Err(OciError::Unimplemented("predicate_type"))
}

/// The `dev.sigstore.cosign/bundle` annotation (cosign's `RekorBundle`): a Rekor v1 entry's
/// SET, canonical body, integrated time, index and (hex) log ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RekorBundleAnnotation {
    /// The signed entry timestamp (DER ECDSA).
    pub signed_entry_timestamp: Vec<u8>,
    /// The canonical body, base64.
    pub body: String,
    /// Integrated time (Unix seconds).
    pub integrated_time: i64,
    /// Log index.
    pub log_index: i64,
    /// Log ID, hex.
    pub log_id: String,
}

impl RekorBundleAnnotation {
    /// From a bundle's Rekor v1 tlog entry (refused without an inclusion promise).
    pub fn from_tlog_entry(entry: &signet_bundle::TlogEntryJson) -> Result<Self, OciError> {
        let _ = entry;
        Err(OciError::Unimplemented(
            "RekorBundleAnnotation::from_tlog_entry",
        ))
    }

    /// The annotation value, exactly as cosign writes it.
    pub fn to_json(&self) -> String {
        String::new()
    }

    /// Parses an annotation value (body must be a string).
    pub fn parse(value: &str) -> Result<Self, OciError> {
        let _ = value;
        Err(OciError::Unimplemented("RekorBundleAnnotation::parse"))
    }
}

/// The annotations of a legacy layer: `dev.cosignproject.cosign/signature` (base64 of
/// `signature`; empty for attestations), `dev.sigstore.cosign/certificate` and
/// `dev.sigstore.cosign/chain` (when a certificate is given; the chain may be empty),
/// `dev.sigstore.cosign/bundle` (when logged), `predicateType` (attestations).
pub fn legacy_annotations(
    signature: Option<&[u8]>,
    certificate_pem: Option<&str>,
    chain_pem: Option<&str>,
    rekor: Option<&RekorBundleAnnotation>,
    predicate_type: Option<&str>,
) -> BTreeMap<String, String> {
    let _ = (signature, certificate_pem, chain_pem, rekor, predicate_type);
    BTreeMap::new()
}
