//! Media types, annotation keys and size limits.

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker v2 schema 2 manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The media types asked for when resolving an image (`Accept`).
pub const MANIFEST_TYPES: &[&str] = &[OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST];
/// OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// The empty descriptor's media type (config of artifacts).
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// Legacy signature layer: a simple-signing payload.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// Legacy attestation layer: a DSSE envelope.
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// Sigstore bundle v0.3 (layer and artifact type of bundle referrers).
pub const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Prefix every Sigstore bundle media type starts with (older spellings included).
pub const BUNDLE_PREFIX: &str = "application/vnd.dev.sigstore.bundle";

/// Largest manifest or index read or written (the distribution spec's 4 MiB).
pub const MAX_MANIFEST: u64 = 4 << 20;
/// Largest signature payload, DSSE envelope or bundle blob read.
pub const MAX_SIGNATURE_BLOB: u64 = signet_types::limits::MAX_JSON_DOCUMENT as u64;
/// Most layers of a legacy signature manifest (cosign's limit).
pub const MAX_LEGACY_LAYERS: usize = 1000;
/// Most referrers read for one image.
pub const MAX_REFERRERS: usize = 1000;
