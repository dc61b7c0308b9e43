//! A small OCI distribution-spec client for image signing.
//!
//! Why not the `oci-client` crate: 0.18 reads manifests, referrers indexes and token answers
//! with an unbounded `bytes()`, hides the `PUT` response headers (`OCI-Subject`, `ETag`) and
//! cannot send `If-Match`. signet uses `oci-spec` for the data model (through `signet-oci`,
//! which writes and hashes the exact bytes pushed) and signet-client's one HTTP constructor
//! (connect, read and total timeouts; redirects never from https to http; reqwest drops
//! `Authorization` on a redirect to another host, port or scheme, and signet never attaches
//! credentials to a URL outside the registry) and its capped body reader for every answer.
//!
//! Authentication: anonymous first; on `401`, `WWW-Authenticate: Basic` (the credentials) or
//! `Bearer realm=…,service=…` (a token from the realm, asked with the credentials when there
//! are some; scope `repository:<name>:pull` for reads, `pull,push` for writes), cached per
//! registry and scope. Credentials: [`RegistryOptions::credentials`], else the docker config
//! (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`: `auths.<host>.auth` or
//! `username`/`password`), or Docker's credential helpers (`credHelpers` for the registry, else
//! inline `auths`, else `credsStore`; identity tokens are not exchanged).
//!
//! Writes to a tag (the referrers fallback index, the legacy `.sig`/`.att` manifests) are
//! read-modify-write: signet sends `If-Match` with the `ETag` it read, but registries such as
//! distribution 2.8.2 ignore it, so after each write it waits a short, jittered moment,
//! re-reads the tag and writes again (a bounded number of times) until its entry is there.
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

mod auth;

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use signet_client::http::{HttpOptions, read_limited, send};
use signet_oci::manifest::{
    Artifact, LegacyLayer, TagKind, fallback_index_add, index_manifests, legacy_manifest,
    legacy_tag, referrer_descriptor, referrers_tag,
};
use signet_oci::media::{
    DOCKER_MANIFEST, MANIFEST_TYPES, MAX_MANIFEST, MAX_REFERRERS, OCI_INDEX, OCI_MANIFEST,
};
use signet_oci::{Descriptor, ImageDigest, ImageRef, OciError};

use auth::Challenge;

/// Most reads of one read-modify-write of a tag (fallback index, legacy manifest).
pub const MAX_TAG_UPDATES: u32 = 16;
/// How many re-reads after our last write must show our entry before a tag update is done.
const CONFIRMATIONS: u32 = 2;
/// Most `5xx` answers tolerated during one read-modify-write of a tag (distribution answers
/// 500 now and then when writers race on one tag).
pub const MAX_SERVER_ERRORS: u32 = 4;
/// Most times a manifest is put again after the registry called one of its blobs unknown, or a
/// blob upload is tried again after a `5xx`, while writers raced to upload the same blob (waits
/// of 0.1, 0.2, 0.4, 0.8 and 1.6 s).
pub const MAX_BLOB_RACES: u32 = 5;

/// The wait before the `n`th retry after a blob race (`n` from 1): 0.1 s, doubling.
fn race_backoff(n: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1u64 << n.saturating_sub(1).min(10)))
}
/// Longest wait between a write of a tag and the re-read that checks it.
pub const MAX_SETTLE: Duration = Duration::from_secs(5);
/// Most pages of one referrers listing.
pub const MAX_REFERRER_PAGES: usize = 64;
/// Largest error body read to describe a failed request, in bytes.
const MAX_ERROR_BODY: u64 = 16 << 10;
/// The digest the referrers API is probed with (sigstore-js does the same: ECR sends
/// `OCI-Subject` without serving the API).
const ZERO_DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

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
}

/// How to reach registries.
#[derive(Clone, Debug, Default)]
pub struct RegistryOptions {
    /// Allow plain HTTP (only ever used for loopback registries in tests and demos).
    pub allow_http: bool,
    /// Explicit Basic credentials (username, password) for every registry; otherwise the
    /// docker config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`) is read.
    pub credentials: Option<(String, String)>,
    /// Timeouts and redirect policy (signet-client's defaults unless changed).
    pub http: HttpOptions,
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

/// Read or write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    Pull,
    Push,
}

impl Access {
    fn actions(self) -> &'static str {
        match self {
            Access::Pull => "pull",
            Access::Push => "pull,push",
        }
    }
}

/// One request, re-sendable after an authentication challenge.
struct Req {
    method: Method,
    url: Url,
    headers: Vec<(header::HeaderName, String)>,
    body: Option<Vec<u8>>,
}

impl Req {
    fn new(method: Method, url: Url) -> Self {
        Self {
            method,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    fn header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn body(mut self, body: Vec<u8>) -> Self {
        self.body = Some(body);
        self
    }
}

/// What one read-modify-write of a tag did.
enum Step {
    /// The entry is there: nothing written.
    Present,
    /// Written.
    Wrote,
    /// The `If-Match` ETag was stale: nothing written.
    Stale,
}

/// The result of a manifest `PUT`.
enum Put {
    /// Stored; the answer's headers.
    Stored(HeaderMap),
    /// `412 Precondition Failed`: the `If-Match` ETag is stale.
    Stale,
}

struct Inner {
    opts: RegistryOptions,
    http_opts: HttpOptions,
    http: reqwest::Client,
    /// `Authorization` values per (registry, scope).
    auth: Mutex<HashMap<(String, String), String>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("allow_http", &self.opts.allow_http)
            .field("credentials", &self.opts.credentials.as_ref().map(|_| "…"))
            .finish()
    }
}

/// An OCI registry client (cheap to clone; tokens cached per registry and repository).
#[derive(Clone, Debug)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

impl RegistryClient {
    /// A client with `opts`.
    pub fn new(opts: RegistryOptions) -> Result<Self, RegistryError> {
        let http_opts = opts.http.clone();
        // Plain-HTTP registries (loopback, tests) need no TLS roots: loading the platform's
        // took a third of a whole `signet verify` of an image on loopback.
        let http = if opts.allow_http {
            signet_client::http::client_for("http://", &http_opts)?
        } else {
            signet_client::http::client(&http_opts)?
        };
        Ok(Self {
            inner: Arc::new(Inner {
                opts,
                http_opts,
                http,
                auth: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The descriptor (media type, digest, size) of the manifest `image` names (tag or digest).
    pub async fn resolve(&self, image: &ImageRef) -> Result<Descriptor, RegistryError> {
        let url = self.url(image, &format!("manifests/{}", image.reference()))?;
        let req = Req::new(Method::HEAD, url).header(header::ACCEPT, MANIFEST_TYPES.join(", "));
        let resp = self.send(image, Access::Pull, req).await?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND {
            return Err(RegistryError::NotFound(image.to_string()));
        }
        // Any other failure: the GET below reports it with the answer's body (a HEAD has none).
        let h = resp.headers();
        let digest =
            header_str(h, "docker-content-digest").and_then(|d| ImageDigest::parse(d).ok());
        let size =
            header_str(h, header::CONTENT_LENGTH.as_str()).and_then(|n| n.parse::<u64>().ok());
        let media_type = header_str(h, header::CONTENT_TYPE.as_str()).map(media_type_of);
        match (digest, size, media_type) {
            (Some(d), Some(size), Some(mt))
                if status.is_success()
                    && !mt.is_empty()
                    && size > 0
                    && image.digest().is_none_or(|want| *want == d) =>
            {
                descriptor(image, &mt, size, &d)
            }
            // No usable digest header (or a HEAD that disagrees): GET and hash the bytes.
            _ => {
                let f = self
                    .manifest(image, MANIFEST_TYPES)
                    .await?
                    .ok_or_else(|| RegistryError::NotFound(image.to_string()))?;
                descriptor(image, &f.media_type, len64(&f.bytes), &f.digest)
            }
        }
    }

    /// The manifest at `image` (tag or digest), `None` on 404; capped at
    /// [`signet_oci::media::MAX_MANIFEST`], digest checked when fetched by digest.
    pub async fn manifest(
        &self,
        image: &ImageRef,
        accept: &[&str],
    ) -> Result<Option<Fetched>, RegistryError> {
        let accept = if accept.is_empty() {
            MANIFEST_TYPES
        } else {
            accept
        };
        let url = self.url(image, &format!("manifests/{}", image.reference()))?;
        let req = Req::new(Method::GET, url.clone()).header(header::ACCEPT, accept.join(", "));
        let resp = self.send(image, Access::Pull, req).await?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(status_error(image, resp, &self.inner.http_opts).await);
        }
        let h = resp.headers().clone();
        let bytes = self.read(resp, &url, MAX_MANIFEST, image).await?;
        let digest = ImageDigest::of(&bytes);
        if let Some(want) = image.digest()
            && *want != digest
        {
            return Err(invalid(
                image,
                format!("the registry sent a manifest whose digest is {digest}"),
            ));
        }
        if let Some(said) = header_str(&h, "docker-content-digest")
            && said.starts_with("sha256:")
            && said != digest.to_string()
        {
            return Err(invalid(
                image,
                format!("Docker-Content-Digest {said} but the manifest's digest is {digest}"),
            ));
        }
        let media_type = header_str(&h, header::CONTENT_TYPE.as_str())
            .map(media_type_of)
            .filter(|t| !t.is_empty() && t != "application/json")
            .or_else(|| {
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v.get("mediaType")?.as_str().map(str::to_string))
            })
            .unwrap_or_default();
        Ok(Some(Fetched {
            bytes,
            media_type,
            digest,
            etag: header_str(&h, header::ETAG.as_str()).map(str::to_string),
        }))
    }

    /// The blob `digest` of `image`'s repository, at most `limit` bytes, digest checked.
    pub async fn blob(
        &self,
        image: &ImageRef,
        digest: &ImageDigest,
        limit: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        let what = format!("blob {digest} of {}", image.repo_name());
        let url = self.url(image, &format!("blobs/{digest}"))?;
        let resp = self
            .send(image, Access::Pull, Req::new(Method::GET, url.clone()))
            .await?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND {
            return Err(RegistryError::NotFound(what));
        }
        if !status.is_success() {
            return Err(status_error(&what, resp, &self.inner.http_opts).await);
        }
        let bytes = self.read(resp, &url, limit, &what).await?;
        let got = ImageDigest::of(&bytes);
        if got != *digest {
            return Err(invalid(
                &what,
                format!("the registry sent bytes whose digest is {got}"),
            ));
        }
        Ok(bytes)
    }

    /// Pushes `artifact`'s blobs (skipping those present) then its manifest, to `tag` if given,
    /// else by digest.
    pub async fn push(
        &self,
        repo: &ImageRef,
        artifact: &Artifact,
        tag: Option<&str>,
    ) -> Result<(), RegistryError> {
        match self.push_manifest(repo, artifact, tag, None).await? {
            Put::Stored(_) => Ok(()),
            Put::Stale => Err(invalid(
                repo,
                "the registry answered 412 to a PUT without If-Match",
            )),
        }
    }

    /// The referrers of `image` (a digest reference): the referrers API, else the fallback tag.
    pub async fn referrers(&self, image: &ImageRef) -> Result<Vec<Descriptor>, RegistryError> {
        let digest = need_digest(image, "listing referrers")?;
        let mut next = Some(self.url(image, &format!("referrers/{digest}"))?);
        let mut out: Vec<Descriptor> = Vec::new();
        let mut pages = 0usize;
        while let Some(url) = next.take() {
            pages = pages.saturating_add(1);
            if pages > MAX_REFERRER_PAGES {
                return Err(invalid(
                    image,
                    format!("the referrers listing has more than {MAX_REFERRER_PAGES} pages"),
                ));
            }
            let req = Req::new(Method::GET, url.clone()).header(header::ACCEPT, OCI_INDEX);
            let resp = self.send(image, Access::Pull, req).await?;
            let status = resp.status();
            let is_index = header_str(resp.headers(), header::CONTENT_TYPE.as_str())
                .map(media_type_of)
                .is_some_and(|t| t == OCI_INDEX || t == "application/json");
            // No referrers API (404, 400, or a plain-text answer): the fallback tag.
            if pages == 1
                && (status == StatusCode::NOT_FOUND
                    || status == StatusCode::BAD_REQUEST
                    || (status.is_success() && !is_index))
            {
                return self.fallback_referrers(image, &digest).await;
            }
            if !status.is_success() {
                return Err(status_error(image, resp, &self.inner.http_opts).await);
            }
            next = link_next(resp.headers(), &url);
            let bytes = self.read(resp, &url, MAX_MANIFEST, image).await?;
            out.extend(index_manifests(&bytes).map_err(oci(image))?);
            if out.len() > MAX_REFERRERS {
                return Err(invalid(
                    image,
                    format!("more than {MAX_REFERRERS} referrers"),
                ));
            }
        }
        Ok(out)
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
        let digest = need_digest(subject, "attaching a referrer")?;
        let headers = match self.push_manifest(subject, referrer, None, None).await? {
            Put::Stored(h) => h,
            Put::Stale => {
                return Err(invalid(
                    subject,
                    "the registry answered 412 to a PUT without If-Match",
                ));
            }
        };
        let took_subject = header_str(&headers, "oci-subject") == Some(digest.to_string().as_str());
        if took_subject && self.has_referrers_api(subject).await? {
            return Ok(());
        }
        let entry = referrer_descriptor(referrer).map_err(oci(subject))?;
        let tag = subject.at_tag(&referrers_tag(&digest));
        self.update_tag(&tag, &[OCI_INDEX], |existing| {
            Ok(fallback_index_add(existing, &entry)?.map(|bytes| Artifact {
                media_type: OCI_INDEX.to_string(),
                digest: ImageDigest::of(&bytes),
                bytes,
                blobs: Vec::new(),
            }))
        })
        .await
        .map(|_| ())
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
        let digest = need_digest(image, "appending a signature")?;
        let tag = image.at_tag(&legacy_tag(&digest, kind));
        self.update_tag(&tag, &[OCI_MANIFEST, DOCKER_MANIFEST], |existing| {
            legacy_manifest(existing, layer)
        })
        .await
    }

    // -----------------------------------------------------------------------------------------

    /// Read-modify-write of the manifest at `tag`: `modify` gives the new manifest, or `None`
    /// when what it adds is there. After a write: a short jittered wait, then read again, and
    /// write again if a concurrent writer replaced the tag without our entry. `Ok(true)` when
    /// this call wrote, `Ok(false)` when the entry was there from the start.
    async fn update_tag<F>(
        &self,
        tag: &ImageRef,
        accept: &[&str],
        modify: F,
    ) -> Result<bool, RegistryError>
    where
        F: Fn(Option<&[u8]>) -> Result<Option<Artifact>, OciError>,
    {
        let mut wrote = false;
        let mut server_errors = 0u32;
        let mut seen_after_write = 0u32;
        let mut took = Duration::ZERO;
        for _ in 0..MAX_TAG_UPDATES {
            let started = Instant::now();
            match self.update_tag_once(tag, accept, &modify).await {
                Ok(Step::Wrote) => {
                    wrote = true;
                    seen_after_write = 0;
                    took = started.elapsed();
                }
                Ok(Step::Stale) => seen_after_write = 0,
                Ok(Step::Present) if !wrote => return Ok(false),
                Ok(Step::Present) => {
                    seen_after_write = seen_after_write.saturating_add(1);
                    if seen_after_write >= CONFIRMATIONS {
                        return Ok(true);
                    }
                }
                // distribution answers 500 now and then when writers race on one tag.
                Err(RegistryError::Status { status, .. })
                    if status >= 500 && server_errors < MAX_SERVER_ERRORS =>
                {
                    server_errors = server_errors.saturating_add(1);
                }
                Err(e) => return Err(e),
            }
            // A writer that read before our write may still land its own: give it twice the
            // time a read-modify-write takes here, then check that the entry survived.
            tokio::time::sleep(settle_delay(took)).await;
        }
        Err(invalid(
            tag,
            format!(
                "the entry was still missing after {MAX_TAG_UPDATES} writes (concurrent writers keep replacing the tag)"
            ),
        ))
    }

    /// One read and, when the entry is missing, one write.
    async fn update_tag_once<F>(
        &self,
        tag: &ImageRef,
        accept: &[&str],
        modify: &F,
    ) -> Result<Step, RegistryError>
    where
        F: Fn(Option<&[u8]>) -> Result<Option<Artifact>, OciError>,
    {
        let current = self.manifest(tag, accept).await?;
        let Some(next) = modify(current.as_ref().map(|f| f.bytes.as_slice())).map_err(oci(tag))?
        else {
            return Ok(Step::Present);
        };
        let etag = current.as_ref().and_then(|f| f.etag.as_deref());
        let name = tag.tag().unwrap_or_default();
        Ok(
            match self.push_manifest(tag, &next, Some(name), etag).await? {
                Put::Stored(_) => Step::Wrote,
                // Someone else wrote first: read again.
                Put::Stale => Step::Stale,
            },
        )
    }

    /// Whether `GET /v2/<name>/referrers/<zero digest>` answers 200 with an index.
    async fn has_referrers_api(&self, image: &ImageRef) -> Result<bool, RegistryError> {
        let url = self.url(image, &format!("referrers/{ZERO_DIGEST}"))?;
        let req = Req::new(Method::GET, url).header(header::ACCEPT, OCI_INDEX);
        let resp = self.send(image, Access::Pull, req).await?;
        Ok(resp.status() == StatusCode::OK
            && header_str(resp.headers(), header::CONTENT_TYPE.as_str())
                .map(media_type_of)
                .is_some_and(|t| t == OCI_INDEX))
    }

    /// The referrers listed at the fallback tag (404 or a non-index: none).
    async fn fallback_referrers(
        &self,
        image: &ImageRef,
        digest: &ImageDigest,
    ) -> Result<Vec<Descriptor>, RegistryError> {
        let tag = image.at_tag(&referrers_tag(digest));
        let Some(f) = self.manifest(&tag, &[OCI_INDEX]).await? else {
            return Ok(Vec::new());
        };
        if f.media_type != OCI_INDEX {
            return Ok(Vec::new());
        }
        index_manifests(&f.bytes).map_err(oci(&tag))
    }

    /// Blobs first (skipping those present), then the manifest to `tag` or by digest.
    async fn push_manifest(
        &self,
        repo: &ImageRef,
        artifact: &Artifact,
        tag: Option<&str>,
        if_match: Option<&str>,
    ) -> Result<Put, RegistryError> {
        for b in &artifact.blobs {
            self.push_blob(repo, &b.digest, &b.bytes).await?;
        }
        let reference = tag.map_or_else(|| artifact.digest.to_string(), str::to_string);
        let target = match tag {
            Some(t) => repo.at_tag(t),
            None => repo.at_digest(artifact.digest),
        };
        let url = self.url(repo, &format!("manifests/{reference}"))?;
        let mut races = 0u32;
        let resp = loop {
            let mut req = Req::new(Method::PUT, url.clone())
                .header(header::CONTENT_TYPE, artifact.media_type.clone())
                .body(artifact.bytes.clone());
            if let Some(etag) = if_match {
                req = req.header(header::IF_MATCH, etag);
            }
            let resp = self.send(repo, Access::Push, req).await?;
            let status = resp.status();
            if status == StatusCode::PRECONDITION_FAILED {
                return Ok(Put::Stale);
            }
            if status.is_success() {
                break resp;
            }
            let e = status_error(&target, resp, &self.inner.http_opts).await;
            // distribution 2.8.2 rewrites a blob's link in the repository in place while writers
            // upload the same blob at once, and meanwhile calls the blob unknown: wait, check
            // the blobs again and put the manifest once more.
            let blob_race = matches!(&e, RegistryError::Status { status: 400, body, .. }
                if body.contains("MANIFEST_BLOB_UNKNOWN"));
            if !blob_race || races >= MAX_BLOB_RACES {
                return Err(e);
            }
            races = races.saturating_add(1);
            tokio::time::sleep(race_backoff(races)).await;
            for b in &artifact.blobs {
                self.push_blob(repo, &b.digest, &b.bytes).await?;
            }
        };
        let h = resp.headers().clone();
        if let Some(said) = header_str(&h, "docker-content-digest")
            && said != artifact.digest.to_string()
        {
            return Err(invalid(
                &target,
                format!(
                    "the registry stored the manifest as {said}, not as {}",
                    artifact.digest
                ),
            ));
        }
        Ok(Put::Stored(h))
    }

    /// `HEAD` the blob; when missing, `POST` an upload and `PUT` the bytes to its `Location`.
    async fn push_blob(
        &self,
        repo: &ImageRef,
        digest: &ImageDigest,
        bytes: &[u8],
    ) -> Result<(), RegistryError> {
        let what = format!("blob {digest} of {}", repo.repo_name());
        let mut races = 0u32;
        loop {
            let head = self.head_blob(repo, digest).await?;
            if head.status().is_success() {
                return Ok(());
            }
            let e = if head.status() == StatusCode::NOT_FOUND {
                match self.upload_blob(repo, digest, bytes, &what).await {
                    Ok(()) => return Ok(()),
                    Err(e) => e,
                }
            } else {
                status_error(&what, head, &self.inner.http_opts).await
            };
            // distribution 2.8.2 answers 500 (to the HEAD or the upload) while several writers
            // commit the same blob and rewrite its link in the repository: wait and look again.
            if !matches!(&e, RegistryError::Status { status, .. } if *status >= 500)
                || races >= MAX_BLOB_RACES
            {
                return Err(e);
            }
            races = races.saturating_add(1);
            tokio::time::sleep(race_backoff(races)).await;
        }
    }

    /// `POST` an upload of blob `digest` and `PUT` its bytes to the upload's `Location`.
    async fn upload_blob(
        &self,
        repo: &ImageRef,
        digest: &ImageDigest,
        bytes: &[u8],
        what: &str,
    ) -> Result<(), RegistryError> {
        let url = self.url(repo, "blobs/uploads/")?;
        let req = Req::new(Method::POST, url.clone()).header(header::CONTENT_LENGTH, "0");
        let resp = self.send(repo, Access::Push, req).await?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(status_error(&what, resp, &self.inner.http_opts).await);
        }
        let location = header_str(resp.headers(), header::LOCATION.as_str())
            .ok_or_else(|| invalid(&what, "the upload answer has no Location"))?;
        let mut put = url
            .join(location)
            .map_err(|e| invalid(&what, format!("bad upload Location {location:?}: {e}")))?;
        put.query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        let req = Req::new(Method::PUT, put)
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes.to_vec());
        let resp = self.send(repo, Access::Push, req).await?;
        if !resp.status().is_success() {
            return Err(status_error(&what, resp, &self.inner.http_opts).await);
        }
        Ok(())
    }

    /// `HEAD` of blob `digest` in `repo` (push access).
    async fn head_blob(
        &self,
        repo: &ImageRef,
        digest: &ImageDigest,
    ) -> Result<reqwest::Response, RegistryError> {
        let url = self.url(repo, &format!("blobs/{digest}"))?;
        self.send(repo, Access::Push, Req::new(Method::HEAD, url))
            .await
    }

    /// `<scheme>://<registry>/v2/<repository>/<rest>`.
    fn url(&self, image: &ImageRef, rest: &str) -> Result<Url, RegistryError> {
        let s = format!(
            "{}://{}/v2/{}/{rest}",
            self.scheme(),
            image.registry(),
            image.repository()
        );
        Url::parse(&s).map_err(|e| invalid(image, format!("cannot make a URL of it: {e}")))
    }

    fn scheme(&self) -> &'static str {
        if self.inner.opts.allow_http {
            "http"
        } else {
            "https"
        }
    }

    async fn read(
        &self,
        resp: reqwest::Response,
        url: &Url,
        limit: u64,
        what: &(dyn Display + Sync),
    ) -> Result<Vec<u8>, RegistryError> {
        read_limited(resp, url.as_str(), limit, &self.inner.http_opts)
            .await
            .map_err(|e| invalid(what, e.to_string()))
    }

    /// Sends `req`, answering an authentication challenge once.
    async fn send(
        &self,
        image: &ImageRef,
        access: Access,
        req: Req,
    ) -> Result<reqwest::Response, RegistryError> {
        let scope = format!("repository:{}:{}", image.repository(), access.actions());
        let key = (image.registry().to_string(), scope.clone());
        let cached = self.cached(&key);
        let resp = self.send_once(image, &req, cached.as_deref()).await?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return check_denied(image, resp);
        }
        let challenge = header_str(resp.headers(), header::WWW_AUTHENTICATE.as_str())
            .ok_or_else(|| {
                auth_error(
                    image,
                    "the registry answered 401 without a WWW-Authenticate challenge",
                )
            })
            .and_then(|c| auth::parse_challenge(c).map_err(|e| auth_error(image, e)))?;
        let (authorization, who) = self.authorize(image, &challenge, &scope).await?;
        let resp = self.send_once(image, &req, Some(&authorization)).await?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            self.forget(&key);
            return Err(auth_error(image, format!("the registry refused {who}")));
        }
        if let Ok(mut m) = self.inner.auth.lock() {
            m.insert(key, authorization);
        }
        check_denied(image, resp)
    }

    async fn send_once(
        &self,
        image: &ImageRef,
        req: &Req,
        authorization: Option<&str>,
    ) -> Result<reqwest::Response, RegistryError> {
        let mut b = self.inner.http.request(req.method.clone(), req.url.clone());
        for (k, v) in &req.headers {
            b = b.header(k, v);
        }
        // Credentials only ever go to the registry itself (an upload Location or a next-page
        // link may point elsewhere).
        if let Some(a) = authorization
            && self.same_origin(image, &req.url)
        {
            b = b.header(header::AUTHORIZATION, a);
        }
        if let Some(body) = &req.body {
            b = b.body(body.clone());
        }
        Ok(send(b, req.url.as_str(), &self.inner.http_opts).await?)
    }

    fn same_origin(&self, image: &ImageRef, url: &Url) -> bool {
        Url::parse(&format!("{}://{}/", self.scheme(), image.registry())).is_ok_and(|r| {
            r.scheme() == url.scheme()
                && r.host_str()
                    .zip(url.host_str())
                    .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
                && r.port_or_known_default() == url.port_or_known_default()
        })
    }

    /// The `Authorization` value answering `challenge`, and who it speaks for (for errors).
    async fn authorize(
        &self,
        image: &ImageRef,
        challenge: &Challenge,
        scope: &str,
    ) -> Result<(String, String), RegistryError> {
        let creds = self.credentials(image)?;
        let who = creds.as_ref().map_or_else(
            || "anonymous access".to_string(),
            |(u, _)| format!("the credentials of user {u:?}"),
        );
        match challenge {
            Challenge::Basic => {
                let (u, p) = creds.ok_or_else(|| {
                    auth_error(
                        image,
                        format!(
                            "the registry asks for a user name and password and none is configured for {} (RegistryOptions credentials, or the docker config's auths or credential helpers)",
                            image.registry()
                        ),
                    )
                })?;
                Ok((auth::basic(&u, &p), who))
            }
            Challenge::Bearer { realm, service } => {
                let mut url = Url::parse(realm).map_err(|e| {
                    auth_error(
                        image,
                        format!("the token realm {realm:?} is not a URL: {e}"),
                    )
                })?;
                if url.scheme() != "https"
                    && !(url.scheme() == "http" && self.inner.opts.allow_http)
                {
                    return Err(auth_error(
                        image,
                        format!("the token realm {realm} is not https"),
                    ));
                }
                {
                    let mut q = url.query_pairs_mut();
                    if let Some(s) = service {
                        q.append_pair("service", s);
                    }
                    q.append_pair("scope", scope);
                }
                let mut b = self.inner.http.get(url.clone());
                if let Some((u, p)) = &creds {
                    b = b.header(header::AUTHORIZATION, auth::basic(u, p));
                }
                let resp = send(b, url.as_str(), &self.inner.http_opts).await?;
                let status = resp.status();
                if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                    return Err(auth_error(
                        image,
                        format!("the token service {realm} refused {who} ({status})"),
                    ));
                }
                if !status.is_success() {
                    let e = status_error(
                        &format!("token service {realm}"),
                        resp,
                        &self.inner.http_opts,
                    )
                    .await;
                    return Err(auth_error(image, e.to_string()));
                }
                let body = read_limited(
                    resp,
                    url.as_str(),
                    auth::MAX_TOKEN_RESPONSE,
                    &self.inner.http_opts,
                )
                .await
                .map_err(|e| auth_error(image, e.to_string()))?;
                let token = auth::token_from(&body)
                    .map_err(|e| auth_error(image, format!("token service {realm}: {e}")))?;
                Ok((format!("Bearer {token}"), who))
            }
        }
    }

    fn credentials(&self, image: &ImageRef) -> Result<Option<(String, String)>, RegistryError> {
        if let Some(c) = &self.inner.opts.credentials {
            return Ok(Some(c.clone()));
        }
        let Some(path) = auth::docker_config_path() else {
            return Ok(None);
        };
        auth::docker_config_credentials(&path, image.registry()).map_err(|e| auth_error(image, e))
    }

    fn cached(&self, key: &(String, String)) -> Option<String> {
        self.inner
            .auth
            .lock()
            .ok()
            .and_then(|m| m.get(key).cloned())
    }

    fn forget(&self, key: &(String, String)) {
        if let Ok(mut m) = self.inner.auth.lock() {
            m.remove(key);
        }
    }
}

/// 403 is an authentication error (the credentials do not allow this); anything else passes.
fn check_denied(
    image: &ImageRef,
    resp: reqwest::Response,
) -> Result<reqwest::Response, RegistryError> {
    if resp.status() == StatusCode::FORBIDDEN {
        return Err(auth_error(image, "access denied (403)"));
    }
    Ok(resp)
}

/// How long to wait after a write of a tag that took `took` (read to write): twice that, plus
/// 50–150 ms of jitter so that concurrent writers drift apart; at most [`MAX_SETTLE`].
fn settle_delay(took: Duration) -> Duration {
    use rand::Rng as _;
    let jitter = Duration::from_millis(rand::rng().random_range(50..=150));
    took.saturating_mul(2)
        .saturating_add(jitter)
        .min(MAX_SETTLE)
}

fn need_digest(image: &ImageRef, doing: &str) -> Result<ImageDigest, RegistryError> {
    image.digest().copied().ok_or_else(|| {
        invalid(
            image,
            format!("{doing} needs a digest reference (…@sha256:…)"),
        )
    })
}

fn descriptor(
    image: &ImageRef,
    media_type: &str,
    size: u64,
    digest: &ImageDigest,
) -> Result<Descriptor, RegistryError> {
    if media_type.is_empty() {
        return Err(invalid(
            image,
            "the registry did not say the manifest's media type",
        ));
    }
    let d = signet_oci::manifest::descriptor(media_type, size, digest).map_err(oci(image))?;
    Ok(d)
}

fn len64(b: &[u8]) -> u64 {
    u64::try_from(b.len()).unwrap_or(u64::MAX)
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v: &HeaderValue| v.to_str().ok())
}

/// `application/x; charset=…` → `application/x`.
fn media_type_of(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The `rel="next"` target of a `Link` header, resolved against `base`.
fn link_next(h: &HeaderMap, base: &Url) -> Option<Url> {
    h.get_all(header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|part| {
            let (target, params) = part.split_once(';')?;
            let is_next = params.split(';').any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            });
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_next.then(|| base.join(target).ok()).flatten()
        })
}

fn invalid(what: &(dyn Display + Sync), reason: impl Into<String>) -> RegistryError {
    RegistryError::Invalid {
        what: what.to_string(),
        reason: reason.into(),
    }
}

fn auth_error(what: &(dyn Display + Sync), reason: impl Into<String>) -> RegistryError {
    RegistryError::Auth {
        what: what.to_string(),
        reason: reason.into(),
    }
}

/// A format error, naming `what` (the image or tag it came from).
fn oci(what: &(dyn Display + Sync)) -> impl Fn(OciError) -> RegistryError + '_ {
    move |e| invalid(what, e.to_string())
}

/// The error for a non-success answer: its status and the start of its body, on one line
/// (the distribution spec's `errors[].message` when the body has them).
async fn status_error(
    what: &(dyn Display + Sync),
    resp: reqwest::Response,
    opts: &HttpOptions,
) -> RegistryError {
    let status = resp.status().as_u16();
    let url = resp.url().to_string();
    let body = read_limited(resp, &url, MAX_ERROR_BODY, opts)
        .await
        .unwrap_or_default();
    RegistryError::Status {
        what: what.to_string(),
        status,
        body: describe_body(&body),
    }
}

fn describe_body(body: &[u8]) -> String {
    let messages: Option<Vec<String>> = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("errors")?.as_array().map(|errs| {
                errs.iter()
                    .filter_map(|e| {
                        let code = e
                            .get("code")
                            .and_then(serde_json::Value::as_str)
                            .unwrap_or("");
                        let msg = e
                            .get("message")
                            .and_then(serde_json::Value::as_str)
                            .unwrap_or("");
                        (!code.is_empty() || !msg.is_empty())
                            .then(|| format!("{code} {msg}").trim().to_string())
                    })
                    .collect()
            })
        });
    let text = match messages {
        Some(m) if !m.is_empty() => m.join("; "),
        _ => String::from_utf8_lossy(body).into_owned(),
    };
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut out: String = one_line.chars().take(200).collect();
    if one_line.chars().count() > 200 {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("(empty body)");
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn credentials_stay_on_the_registry() {
        let c = RegistryClient::new(RegistryOptions::default()).unwrap();
        let img = |r: &str| ImageRef::parse(&format!("{r}/app:v1")).unwrap();
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(c.same_origin(&img("reg.example"), &url("https://reg.example/v2/app/x")));
        assert!(c.same_origin(&img("reg.example:443"), &url("https://REG.example/v2/")));
        assert!(c.same_origin(&img("reg.example"), &url("https://reg.example:443/v2/")));
        assert!(!c.same_origin(&img("reg.example"), &url("https://reg.example:5000/v2/")));
        assert!(!c.same_origin(&img("reg.example"), &url("https://s3.example/blob")));
        assert!(!c.same_origin(&img("reg.example"), &url("http://reg.example/v2/")));
        assert!(!c.same_origin(&img("reg.example"), &url("https://reg.example.evil/v2/")));
    }

    #[test]
    fn links_and_bodies() {
        let base = Url::parse("http://r.example:5000/v2/a/referrers/sha256:x").unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            header::LINK,
            HeaderValue::from_static("</v2/a/referrers/sha256:x?n=2&last=b>; rel=\"next\""),
        );
        assert_eq!(
            link_next(&h, &base).unwrap().as_str(),
            "http://r.example:5000/v2/a/referrers/sha256:x?n=2&last=b"
        );
        h.insert(header::LINK, HeaderValue::from_static("</x>; rel=\"prev\""));
        assert!(link_next(&h, &base).is_none());
        assert_eq!(
            describe_body(br#"{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid","detail":{}}]}"#),
            "MANIFEST_INVALID manifest invalid"
        );
        assert_eq!(describe_body(b"404 page not found\n"), "404 page not found");
        assert_eq!(describe_body(b""), "(empty body)");
        assert_eq!(describe_body(&[b'x'; 500]).chars().count(), 201);
        assert_eq!(
            media_type_of("Application/JSON; charset=utf-8"),
            "application/json"
        );
    }
}
