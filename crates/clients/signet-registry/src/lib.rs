//! A small OCI distribution-spec client for image signing (see the README for why not
//! `oci-client`: it reads manifests and token answers without a size cap, hides the `PUT`
//! response headers (`OCI-Subject`, `ETag`) and cannot send `If-Match`).
//!
//! SKELETON: owned by the registry helper; every `Unimplemented` is replaced.
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

use signet_oci::manifest::{Artifact, LegacyLayer, TagKind};
use signet_oci::{Descriptor, ImageDigest, ImageRef};

/// Registry errors. Every message names the image or repository.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Not found (manifest, tag or blob).
    #[error("{0}: not found")]
    NotFound(String),
    /// Authentication failed or was refused.
    #[error("{what}: authentication failed: {reason}")]
    Auth {
        /// What was being accessed.
        what: String,
        /// Why.
        reason: String,
    },
    /// The registry answered with an unexpected status.
    #[error("{what}: the registry answered {status}: {body}")]
    Status {
        /// What was being accessed.
        what: String,
        /// HTTP status.
        status: u16,
        /// The start of the answer's body.
        body: String,
    },
    /// The registry's answer is malformed, too large, or not the content asked for.
    #[error("{what}: {reason}")]
    Invalid {
        /// What was being read.
        what: String,
        /// Why it was refused.
        reason: String,
    },
    /// Transport failure (connection, timeout, TLS).
    #[error(transparent)]
    Http(#[from] signet_client::ClientError),
    /// A format error from `signet-oci`.
    #[error(transparent)]
    Oci(#[from] signet_oci::OciError),
    /// Not built yet (skeleton).
    #[error("not implemented: {0}")]
    Unimplemented(&'static str),
}

/// How to reach registries.
#[derive(Clone, Debug, Default)]
pub struct RegistryOptions {
    /// Allow plain HTTP (only ever used for loopback registries in tests and demos).
    pub allow_http: bool,
    /// Explicit Basic credentials (username, password) for every registry; otherwise the
    /// docker config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`) is read.
    pub credentials: Option<(String, String)>,
}

/// A manifest as fetched: exact bytes, checked against the digest asked for.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// `Content-Type`.
    pub media_type: String,
    /// SHA-256 of the bytes.
    pub digest: ImageDigest,
    /// `ETag`, when the registry sent one.
    pub etag: Option<String>,
}

/// An OCI registry client (cheap to clone; tokens cached per registry and repository).
#[derive(Clone, Debug)]
pub struct RegistryClient {
    opts: RegistryOptions,
}

impl RegistryClient {
    /// A client with `opts`.
    pub fn new(opts: RegistryOptions) -> Result<Self, RegistryError> {
        Ok(Self { opts })
    }

    /// The descriptor (media type, digest, size) of the manifest `image` names (tag or digest).
    pub async fn resolve(&self, image: &ImageRef) -> Result<Descriptor, RegistryError> {
        let _ = (image, &self.opts);
        Err(RegistryError::Unimplemented("resolve"))
    }

    /// The manifest at `image` (tag or digest), `None` on 404; capped at
    /// [`signet_oci::media::MAX_MANIFEST`], digest checked when fetched by digest.
    pub async fn manifest(
        &self,
        image: &ImageRef,
        accept: &[&str],
    ) -> Result<Option<Fetched>, RegistryError> {
        let _ = (image, accept);
        Err(RegistryError::Unimplemented("manifest"))
    }

    /// The blob `digest` of `image`'s repository, at most `limit` bytes, digest checked.
    pub async fn blob(
        &self,
        image: &ImageRef,
        digest: &ImageDigest,
        limit: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        let _ = (image, digest, limit);
        Err(RegistryError::Unimplemented("blob"))
    }

    /// Pushes `artifact`'s blobs (skipping those present) then its manifest, to `tag` if given,
    /// else by digest.
    pub async fn push(
        &self,
        repo: &ImageRef,
        artifact: &Artifact,
        tag: Option<&str>,
    ) -> Result<(), RegistryError> {
        let _ = (repo, artifact, tag);
        Err(RegistryError::Unimplemented("push"))
    }

    /// The referrers of `image` (a digest reference): the referrers API, else the fallback tag.
    pub async fn referrers(&self, image: &ImageRef) -> Result<Vec<Descriptor>, RegistryError> {
        let _ = image;
        Err(RegistryError::Unimplemented("referrers"))
    }

    /// Pushes `referrer` by digest and, when the registry did not take the subject (no
    /// `OCI-Subject`, or no working referrers API), adds it to the fallback index of
    /// `subject`, with `If-Match` when the registry gave an `ETag`, re-reading after the write
    /// and retrying when a concurrent writer's update lost the entry.
    pub async fn attach_referrer(
        &self,
        subject: &ImageRef,
        referrer: &Artifact,
    ) -> Result<(), RegistryError> {
        let _ = (subject, referrer);
        Err(RegistryError::Unimplemented("attach_referrer"))
    }

    /// Appends `layer` to the legacy `.sig` / `.att` manifest of `image` (a digest reference),
    /// re-reading after the write and retrying when a concurrent writer's update lost it.
    /// `Ok(false)` when an identical layer was there already.
    pub async fn append_legacy(
        &self,
        image: &ImageRef,
        kind: TagKind,
        layer: &LegacyLayer,
    ) -> Result<bool, RegistryError> {
        let _ = (image, kind, layer);
        Err(RegistryError::Unimplemented("append_legacy"))
    }
}
