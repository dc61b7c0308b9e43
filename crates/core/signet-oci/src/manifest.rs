//! Manifests signet writes and reads: the legacy signature manifest (`sha256-<hex>.sig` /
//! `.att`), bundle referrers (OCI 1.1 `subject`), the referrers fallback index, and small sample
//! images for tests and demos.

use std::collections::{BTreeMap, HashMap};

use oci_spec::image::{Arch, Digest, MediaType, Os, Platform};

use crate::media::{
    BUNDLE_V03, DOCKER_LIST, DOCKER_MANIFEST, MAX_LEGACY_LAYERS, MAX_MANIFEST, MAX_REFERRERS,
    OCI_CONFIG, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST,
};
use crate::{Descriptor, ImageDigest, ImageIndex, ImageManifest, OciError};

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

/// Most child manifests read from an image index ([`index_children`]).
pub const MAX_INDEX_CHILDREN: usize = 1000;
/// Most platforms of a [`sample_image`].
pub const MAX_SAMPLE_PLATFORMS: usize = 16;

/// The media type of the gzip'd tar layers of [`sample_image`].
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// `created` of cosign's legacy config and its history entries (Go's zero time).
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

// ---------------------------------------------------------------------------------------------
// Writing: serde mirrors of the OCI types with `BTreeMap` annotations, so that the bytes signet
// writes (and hashes) are the same on every run. Field order = the OCI image-spec's.

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct DescOut<'a> {
    media_type: &'a str,
    digest: String,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    urls: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<BTreeMap<&'a str, &'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<&'a Platform>,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a String>,
}

impl<'a> DescOut<'a> {
    fn plain(media_type: &'a str, digest: &ImageDigest, size: u64) -> Self {
        Self {
            media_type,
            digest: digest.to_string(),
            size,
            urls: None,
            annotations: None,
            platform: None,
            artifact_type: None,
            data: None,
        }
    }

    /// Every field of `d`, annotations sorted.
    fn of(d: &'a Descriptor) -> Self {
        Self {
            media_type: d.media_type().as_ref(),
            digest: d.digest().to_string(),
            size: d.size(),
            urls: d.urls().as_ref(),
            annotations: d.annotations().as_ref().map(sorted),
            platform: d.platform().as_ref(),
            artifact_type: d.artifact_type().as_ref().map(AsRef::as_ref),
            data: d.data().as_ref(),
        }
    }
}

fn sorted(m: &HashMap<String, String>) -> BTreeMap<&str, &str> {
    m.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// An image manifest or an image index.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct DocOut<'a> {
    schema_version: u32,
    media_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact_type: Option<&'a str>,
    #[serde(flatten)]
    content: Content<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<DescOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<BTreeMap<&'a str, &'a str>>,
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum Content<'a> {
    Manifest {
        config: DescOut<'a>,
        layers: Vec<DescOut<'a>>,
    },
    Index {
        manifests: Vec<DescOut<'a>>,
    },
}

impl<'a> DocOut<'a> {
    /// An OCI image manifest.
    fn manifest(config: DescOut<'a>, layers: Vec<DescOut<'a>>) -> Self {
        Self::new(OCI_MANIFEST, Content::Manifest { config, layers })
    }

    /// An OCI image index.
    fn index(manifests: Vec<DescOut<'a>>) -> Self {
        Self::new(OCI_INDEX, Content::Index { manifests })
    }

    fn new(media_type: &'a str, content: Content<'a>) -> Self {
        Self {
            schema_version: 2,
            media_type,
            artifact_type: None,
            content,
            subject: None,
            annotations: None,
        }
    }
}

/// The image config cosign writes for a legacy signature manifest (Go struct order).
#[derive(serde::Serialize)]
struct LegacyConfig<'a> {
    architecture: &'a str,
    created: &'a str,
    history: Vec<History<'a>>,
    os: &'a str,
    rootfs: RootFs,
    config: Empty,
}

#[derive(serde::Serialize)]
struct History<'a> {
    created: &'a str,
}

#[derive(serde::Serialize)]
struct RootFs {
    #[serde(rename = "type")]
    kind: &'static str,
    diff_ids: Vec<String>,
}

#[derive(serde::Serialize)]
struct Empty {}

fn to_json<T: serde::Serialize>(what: &'static str, v: &T) -> Result<Vec<u8>, OciError> {
    let bytes = serde_json::to_vec(v).map_err(|e| invalid(what, e.to_string()))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_MANIFEST {
        return Err(OciError::TooLarge {
            what,
            limit: MAX_MANIFEST,
        });
    }
    Ok(bytes)
}

fn invalid(what: &'static str, reason: impl Into<String>) -> OciError {
    OciError::Manifest {
        what,
        reason: reason.into(),
    }
}

fn len64(bytes: &[u8]) -> u64 {
    u64::try_from(bytes.len()).unwrap_or(u64::MAX)
}

fn blob(bytes: Vec<u8>) -> Blob {
    Blob {
        digest: ImageDigest::of(&bytes),
        bytes,
    }
}

/// A manifest artifact over `bytes` (hashed here).
fn artifact(media_type: &str, bytes: Vec<u8>, blobs: Vec<Blob>) -> Artifact {
    Artifact {
        media_type: media_type.to_string(),
        digest: ImageDigest::of(&bytes),
        bytes,
        blobs,
    }
}

// ---------------------------------------------------------------------------------------------
// Reading.

/// Refuses more than [`MAX_MANIFEST`] bytes before parsing.
fn check_size(what: &'static str, bytes: &[u8]) -> Result<(), OciError> {
    if len64(bytes) > MAX_MANIFEST {
        return Err(OciError::TooLarge {
            what,
            limit: MAX_MANIFEST,
        });
    }
    Ok(())
}

fn parse_manifest(what: &'static str, bytes: &[u8]) -> Result<ImageManifest, OciError> {
    check_size(what, bytes)?;
    let m: ImageManifest = serde_json::from_slice(bytes)
        .map_err(|e| invalid(what, format!("not an image manifest: {e}")))?;
    if m.schema_version() != 2 {
        return Err(invalid(
            what,
            format!("schemaVersion {}", m.schema_version()),
        ));
    }
    match m.media_type() {
        None => Ok(m),
        Some(t) if [OCI_MANIFEST, DOCKER_MANIFEST].contains(&t.as_ref()) => Ok(m),
        Some(t) => Err(invalid(
            what,
            format!("media type {t} is not an image manifest"),
        )),
    }
}

/// Parses an index whose `mediaType` is one of `types` (absent is accepted when the document
/// has no `config`/`layers`), refusing more than `max` entries.
fn parse_index(
    what: &'static str,
    bytes: &[u8],
    types: &[&str],
    max: usize,
) -> Result<ImageIndex, OciError> {
    check_size(what, bytes)?;
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| invalid(what, format!("not JSON: {e}")))?;
    match v.get("mediaType").and_then(serde_json::Value::as_str) {
        Some(t) if types.contains(&t) => {}
        Some(t) => {
            return Err(invalid(
                what,
                format!("media type {t} is not an image index"),
            ));
        }
        None if v.get("config").is_some() || v.get("layers").is_some() => {
            return Err(invalid(what, "an image manifest, not an index"));
        }
        None => {}
    }
    let n = v
        .get("manifests")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    if n > max {
        return Err(OciError::TooLarge {
            what,
            limit: u64::try_from(max).unwrap_or(u64::MAX),
        });
    }
    let index: ImageIndex =
        serde_json::from_value(v).map_err(|e| invalid(what, format!("not an image index: {e}")))?;
    if index.schema_version() != 2 {
        return Err(invalid(
            what,
            format!("schemaVersion {}", index.schema_version()),
        ));
    }
    Ok(index)
}

// ---------------------------------------------------------------------------------------------
// Legacy `.sig` / `.att` manifests.

/// The legacy signature manifest with `layer` appended to `existing` (the manifest now at the
/// tag, if any): cosign's layout (§3.2: OCI manifest, config with one `diff_ids` and `history`
/// entry per layer). `Ok(None)` when an identical layer (same payload digest and annotations)
/// is already there. Refuses more than [`crate::media::MAX_LEGACY_LAYERS`] layers.
pub fn legacy_manifest(
    existing: Option<&[u8]>,
    layer: &LegacyLayer,
) -> Result<Option<Artifact>, OciError> {
    const WHAT: &str = "signature manifest";
    let old = existing.map(|b| parse_manifest(WHAT, b)).transpose()?;
    let old_layers: &[Descriptor] = old.as_ref().map_or(&[], |m| m.layers().as_slice());
    if old_layers.len() > MAX_LEGACY_LAYERS {
        return Err(OciError::TooLarge {
            what: "signature manifest's layer count",
            limit: MAX_LEGACY_LAYERS as u64,
        });
    }
    let digest = ImageDigest::of(&layer.payload);
    let digest_text = digest.to_string();
    let same = |d: &Descriptor| {
        d.digest().as_ref() == digest_text
            && d.annotations().as_ref().map(sorted).unwrap_or_default()
                == layer
                    .annotations
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<BTreeMap<_, _>>()
    };
    if old_layers.iter().any(same) {
        return Ok(None);
    }
    if old_layers.len() >= MAX_LEGACY_LAYERS {
        return Err(OciError::TooLarge {
            what: "signature manifest's layer count",
            limit: MAX_LEGACY_LAYERS as u64,
        });
    }
    let new_annotations: BTreeMap<&str, &str> = layer
        .annotations
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut new = DescOut::plain(&layer.media_type, &digest, len64(&layer.payload));
    new.annotations = Some(new_annotations);
    let mut layers: Vec<DescOut> = old_layers.iter().map(DescOut::of).collect();
    layers.push(new);
    let config = to_json(
        "signature manifest config",
        &LegacyConfig {
            architecture: "",
            created: ZERO_TIME,
            history: layers
                .iter()
                .map(|_| History { created: ZERO_TIME })
                .collect(),
            os: "",
            rootfs: RootFs {
                kind: "layers",
                diff_ids: layers.iter().map(|l| l.digest.clone()).collect(),
            },
            config: Empty {},
        },
    )?;
    let config = blob(config);
    let manifest = to_json(
        WHAT,
        &DocOut {
            annotations: old
                .as_ref()
                .and_then(|m| m.annotations().as_ref())
                .map(sorted),
            ..DocOut::manifest(
                DescOut::plain(OCI_CONFIG, &config.digest, len64(&config.bytes)),
                layers,
            )
        },
    )?;
    Ok(Some(artifact(
        OCI_MANIFEST,
        manifest,
        vec![config, blob(layer.payload.clone())],
    )))
}

/// The layers of a legacy signature manifest (bounded, media types as found).
pub fn legacy_layers(manifest: &[u8]) -> Result<Vec<Descriptor>, OciError> {
    let m = parse_manifest("signature manifest", manifest)?;
    if m.layers().len() > MAX_LEGACY_LAYERS {
        return Err(OciError::TooLarge {
            what: "signature manifest's layer count",
            limit: MAX_LEGACY_LAYERS as u64,
        });
    }
    Ok(m.layers().clone())
}

// ---------------------------------------------------------------------------------------------
// OCI 1.1 referrers and the fallback index.

/// The OCI 1.1 referrer holding `bundle_json` (one layer of [`crate::media::BUNDLE_V03`],
/// empty config, `artifactType` the bundle type, `subject` the signed image), with
/// `annotations` (`dev.sigstore.bundle.content`, `dev.sigstore.bundle.predicateType`,
/// `org.opencontainers.image.created`).
pub fn referrer_manifest(
    subject: &Descriptor,
    bundle_json: &[u8],
    annotations: &BTreeMap<String, String>,
) -> Result<Artifact, OciError> {
    let subject_digest = ImageDigest::of_descriptor(subject)?;
    let empty = blob(b"{}".to_vec());
    let bundle = blob(bundle_json.to_vec());
    let manifest = to_json(
        "referrer manifest",
        &DocOut {
            artifact_type: Some(BUNDLE_V03),
            subject: Some(DescOut::plain(
                subject.media_type().as_ref(),
                &subject_digest,
                subject.size(),
            )),
            annotations: (!annotations.is_empty()).then(|| {
                annotations
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect()
            }),
            ..DocOut::manifest(
                DescOut::plain(OCI_EMPTY, &empty.digest, len64(&empty.bytes)),
                vec![DescOut::plain(
                    BUNDLE_V03,
                    &bundle.digest,
                    len64(&bundle.bytes),
                )],
            )
        },
    )?;
    Ok(artifact(OCI_MANIFEST, manifest, vec![empty, bundle]))
}

/// The descriptor of a referrer manifest as it goes into a referrers index: media type,
/// digest, size, `artifactType` (else the config media type) and all its annotations.
pub fn referrer_descriptor(referrer: &Artifact) -> Result<Descriptor, OciError> {
    let m = parse_manifest("referrer manifest", &referrer.bytes)?;
    let artifact_type = m
        .artifact_type()
        .clone()
        .unwrap_or_else(|| m.config().media_type().clone());
    let mut d = Descriptor::new(
        MediaType::from(referrer.media_type.as_str()),
        len64(&referrer.bytes),
        oci_digest(&referrer.digest)?,
    );
    d.set_artifact_type(Some(artifact_type));
    d.set_annotations(m.annotations().clone().filter(|a| !a.is_empty()));
    Ok(d)
}

/// A descriptor of `size` bytes of `media_type` at `digest` (e.g. a resolved image, the
/// `subject` of a referrer).
pub fn descriptor(
    media_type: &str,
    size: u64,
    digest: &ImageDigest,
) -> Result<Descriptor, OciError> {
    Ok(Descriptor::new(
        MediaType::from(media_type),
        size,
        oci_digest(digest)?,
    ))
}

fn oci_digest(d: &ImageDigest) -> Result<Digest, OciError> {
    Digest::try_from(d.to_string()).map_err(|_| OciError::Digest(d.to_string()))
}

/// The fallback index with `referrer` added: `existing` is the index now at the referrers tag
/// (`None` = 404: start empty). `Ok(None)` when the digest is listed already; a non-index is
/// an error.
pub fn fallback_index_add(
    existing: Option<&[u8]>,
    referrer: &Descriptor,
) -> Result<Option<Vec<u8>>, OciError> {
    const WHAT: &str = "referrers fallback index";
    let old = existing
        .map(|b| parse_index(WHAT, b, &[OCI_INDEX], MAX_REFERRERS))
        .transpose()?;
    let listed: &[Descriptor] = old.as_ref().map_or(&[], |i| i.manifests().as_slice());
    if listed.iter().any(|d| d.digest() == referrer.digest()) {
        return Ok(None);
    }
    if listed.len() >= MAX_REFERRERS {
        return Err(OciError::TooLarge {
            what: "referrers fallback index's entry count",
            limit: MAX_REFERRERS as u64,
        });
    }
    let mut manifests: Vec<DescOut> = listed.iter().map(DescOut::of).collect();
    manifests.push(DescOut::of(referrer));
    let index = to_json(
        WHAT,
        &DocOut {
            artifact_type: old
                .as_ref()
                .and_then(|i| i.artifact_type().as_ref())
                .map(AsRef::as_ref),
            subject: old
                .as_ref()
                .and_then(|i| i.subject().as_ref())
                .map(DescOut::of),
            annotations: old
                .as_ref()
                .and_then(|i| i.annotations().as_ref())
                .map(sorted),
            ..DocOut::index(manifests)
        },
    )?;
    Ok(Some(index))
}

/// The manifests listed by a referrers index (API answer or fallback tag), bounded by
/// [`crate::media::MAX_REFERRERS`].
pub fn index_manifests(index: &[u8]) -> Result<Vec<Descriptor>, OciError> {
    let i = parse_index("referrers index", index, &[OCI_INDEX], MAX_REFERRERS)?;
    Ok(i.manifests().clone())
}

/// The child manifests of an image index (for `--recursive`): an OCI index or a Docker
/// manifest list, at most [`MAX_INDEX_CHILDREN`].
pub fn index_children(index: &[u8]) -> Result<Vec<Descriptor>, OciError> {
    let i = parse_index(
        "image index",
        index,
        &[OCI_INDEX, DOCKER_LIST],
        MAX_INDEX_CHILDREN,
    )?;
    Ok(i.manifests().clone())
}

// ---------------------------------------------------------------------------------------------
// Sample images.

/// A small, real OCI image for tests and demos: for each platform (`os/arch[/variant]`, e.g.
/// `linux/amd64`; none = `linux/amd64`) an image manifest (a config and one gzip'd tar layer
/// with a file whose content depends on `seed` and the platform); with more than one
/// platform, an index over them. The last artifact is the top one (the index, or the single
/// manifest); push them in order.
pub fn sample_image(seed: u64, platforms: &[String]) -> Result<Vec<Artifact>, OciError> {
    const WHAT: &str = "sample image";
    if platforms.len() > MAX_SAMPLE_PLATFORMS {
        return Err(OciError::TooLarge {
            what: "sample image's platform count",
            limit: MAX_SAMPLE_PLATFORMS as u64,
        });
    }
    let default = ["linux/amd64".to_string()];
    let platforms = if platforms.is_empty() {
        &default[..]
    } else {
        platforms
    };
    let mut out = Vec::new();
    let mut children = Vec::new();
    for p in platforms {
        let platform = parse_platform(p)?;
        let content = format!("signet sample image, seed {seed}, platform {p}\n");
        let tar = tar_one("signet-sample.txt", content.as_bytes())
            .map_err(|e| invalid(WHAT, format!("tar: {e}")))?;
        let diff_id = ImageDigest::of(&tar);
        let layer = blob(gzip(&tar).map_err(|e| invalid(WHAT, format!("gzip: {e}")))?);
        let config = serde_json::json!({
            "architecture": platform.architecture().to_string(),
            "os": platform.os().to_string(),
            "variant": platform.variant(),
            "created": "1970-01-01T00:00:00Z",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
            "history": [{"created": "1970-01-01T00:00:00Z", "created_by": format!("signet sample seed {seed}")}],
        });
        let mut config = config;
        if platform.variant().is_none()
            && let Some(o) = config.as_object_mut()
        {
            o.remove("variant");
        }
        let config = blob(to_json(WHAT, &config)?);
        let manifest = to_json(
            WHAT,
            &DocOut::manifest(
                DescOut::plain(OCI_CONFIG, &config.digest, len64(&config.bytes)),
                vec![DescOut::plain(
                    OCI_LAYER_GZIP,
                    &layer.digest,
                    len64(&layer.bytes),
                )],
            ),
        )?;
        let a = artifact(OCI_MANIFEST, manifest, vec![config, layer]);
        let mut d = Descriptor::new(
            MediaType::ImageManifest,
            len64(&a.bytes),
            oci_digest(&a.digest)?,
        );
        d.set_platform(Some(platform));
        children.push(d);
        out.push(a);
    }
    if let [_] = platforms {
        return Ok(out);
    }
    let index = to_json(
        WHAT,
        &DocOut::index(children.iter().map(DescOut::of).collect()),
    )?;
    out.push(artifact(OCI_INDEX, index, Vec::new()));
    Ok(out)
}

fn parse_platform(p: &str) -> Result<Platform, OciError> {
    let parts: Vec<&str> = p.split('/').collect();
    let bad = || {
        invalid(
            "sample image",
            format!("platform {p:?} is not os/arch[/variant]"),
        )
    };
    let ok = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let (os, arch, variant) = match parts.as_slice() {
        [os, arch] => (*os, *arch, None),
        [os, arch, v] => (*os, *arch, Some(*v)),
        _ => return Err(bad()),
    };
    if !ok(&os) || !ok(&arch) || !variant.as_ref().is_none_or(ok) {
        return Err(bad());
    }
    let mut platform = Platform::default();
    platform.set_os(Os::from(os));
    platform.set_architecture(Arch::from(arch));
    platform.set_variant(variant.map(str::to_string));
    Ok(platform)
}

/// A tar archive holding one regular file (mode 0644, owner 0, time 0).
fn tar_one(name: &str, content: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_path(name)?;
    h.set_size(len64(content));
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    b.append(&h, content)?;
    b.into_inner()
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut z = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::default());
    z.write_all(data)?;
    z.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const PAYLOAD: &[u8] = br#"{"critical":{"identity":{"docker-reference":"localhost:5000/demo"},"image":{"docker-manifest-digest":"sha256:2f0249ebb962c1281b791aafe68ec39caa2751eecad1c6a5042cbdc43548d764"},"type":"cosign container image signature"},"optional":null}"#;
    const EMPTY: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    fn layer(payload: &[u8], sig: &str) -> LegacyLayer {
        LegacyLayer {
            media_type: crate::media::SIMPLE_SIGNING.into(),
            payload: payload.to_vec(),
            annotations: [(
                "dev.cosignproject.cosign/signature".to_string(),
                sig.to_string(),
            )]
            .into(),
        }
    }

    fn json(b: &[u8]) -> serde_json::Value {
        serde_json::from_slice(b).unwrap()
    }

    #[test]
    fn legacy_manifest_is_cosigns_layout() {
        let a = legacy_manifest(None, &layer(PAYLOAD, "MEYC"))
            .unwrap()
            .unwrap();
        let pd = ImageDigest::of(PAYLOAD);
        assert_eq!(PAYLOAD.len(), 235);
        // The config blob, byte for byte (§3.2): 233 bytes for one layer.
        let config = &a.blobs[0];
        let want = format!(
            r#"{{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{{"created":"0001-01-01T00:00:00Z"}}],"os":"","rootfs":{{"type":"layers","diff_ids":["{pd}"]}},"config":{{}}}}"#
        );
        assert_eq!(String::from_utf8(config.bytes.clone()).unwrap(), want);
        assert_eq!(config.bytes.len(), 233);
        assert_eq!(config.digest, ImageDigest::of(&config.bytes));
        assert_eq!(a.blobs[1].bytes, PAYLOAD);
        assert_eq!(a.blobs[1].digest, pd);
        let want = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":233}},"layers":[{{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"{pd}","size":235,"annotations":{{"dev.cosignproject.cosign/signature":"MEYC"}}}}]}}"#,
            config.digest
        );
        assert_eq!(String::from_utf8(a.bytes.clone()).unwrap(), want);
        assert_eq!(a.digest, ImageDigest::of(&a.bytes));
        assert_eq!(a.media_type, OCI_MANIFEST);
    }

    #[test]
    fn legacy_manifest_appends_and_dedupes() {
        let one = legacy_manifest(None, &layer(PAYLOAD, "A"))
            .unwrap()
            .unwrap();
        // Identical payload and annotations: nothing to do.
        assert!(
            legacy_manifest(Some(&one.bytes), &layer(PAYLOAD, "A"))
                .unwrap()
                .is_none()
        );
        // Same payload, another signature: a second layer; the first one is kept as it was.
        let two = legacy_manifest(Some(&one.bytes), &layer(PAYLOAD, "B"))
            .unwrap()
            .unwrap();
        let layers = legacy_layers(&two.bytes).unwrap();
        assert_eq!(layers.len(), 2);
        assert_eq!(
            layers,
            [
                legacy_layers(&one.bytes).unwrap(),
                legacy_layers(&two.bytes).unwrap()[1..].to_vec()
            ]
            .concat()
        );
        let sigs: Vec<_> = layers
            .iter()
            .map(|l| {
                l.annotations().as_ref().unwrap()["dev.cosignproject.cosign/signature"].clone()
            })
            .collect();
        assert_eq!(sigs, ["A", "B"]);
        // The config has one diff_id and one history entry per layer.
        let config = json(&two.blobs[0].bytes);
        assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
        assert_eq!(config["history"].as_array().unwrap().len(), 2);
        assert_eq!(
            json(&two.bytes)["config"]["digest"],
            two.blobs[0].digest.to_string()
        );
        assert!(
            legacy_manifest(Some(&two.bytes), &layer(PAYLOAD, "B"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn legacy_manifest_limits_and_garbage() {
        // 999 layers appended one by one would take seconds in debug builds: write them.
        let mut m = legacy_manifest(None, &layer(b"0", "s")).unwrap().unwrap();
        let mut v = json(&m.bytes);
        let first = v["layers"][0].clone();
        let layers: Vec<_> = (0..MAX_LEGACY_LAYERS)
            .map(|i| {
                let mut l = first.clone();
                l["digest"] = ImageDigest::of(i.to_string().as_bytes()).to_string().into();
                l
            })
            .collect();
        v["layers"] = layers.into();
        m.bytes = serde_json::to_vec(&v).unwrap();
        assert_eq!(legacy_layers(&m.bytes).unwrap().len(), MAX_LEGACY_LAYERS);
        let below = {
            let mut b = v.clone();
            b["layers"].as_array_mut().unwrap().pop();
            serde_json::to_vec(&b).unwrap()
        };
        let full = legacy_manifest(Some(&below), &layer(b"one more", "s"))
            .unwrap()
            .unwrap();
        assert_eq!(legacy_layers(&full.bytes).unwrap().len(), MAX_LEGACY_LAYERS);
        let err = legacy_manifest(Some(&m.bytes), &layer(b"one more", "s")).unwrap_err();
        assert!(
            matches!(err, OciError::TooLarge { limit: 1000, .. }),
            "{err}"
        );
        // A duplicate is still recognised at the cap.
        assert!(
            legacy_manifest(Some(&m.bytes), &layer(b"7", "s"))
                .unwrap()
                .is_none()
        );
        // Over the cap on read.
        let mut v = json(&m.bytes);
        let extra = v["layers"][0].clone();
        v["layers"].as_array_mut().unwrap().push(extra);
        let over = serde_json::to_vec(&v).unwrap();
        assert!(matches!(
            legacy_layers(&over),
            Err(OciError::TooLarge { .. })
        ));
        // Not a manifest, too large, an index.
        assert!(legacy_layers(b"not json").is_err());
        let huge = vec![b' '; (MAX_MANIFEST + 1) as usize];
        assert!(matches!(
            legacy_layers(&huge),
            Err(OciError::TooLarge { .. })
        ));
        let index = fallback_index_add(
            None,
            &Descriptor::new(
                MediaType::ImageManifest,
                1,
                Digest::try_from(EMPTY).unwrap(),
            ),
        )
        .unwrap()
        .unwrap();
        let err = legacy_manifest(Some(&index), &layer(PAYLOAD, "s")).unwrap_err();
        assert!(err.to_string().contains("signature manifest"), "{err}");
    }

    fn subject() -> Descriptor {
        Descriptor::new(
            MediaType::ImageIndex,
            1234,
            Digest::try_from(
                "sha256:2f0249ebb962c1281b791aafe68ec39caa2751eecad1c6a5042cbdc43548d764",
            )
            .unwrap(),
        )
    }

    fn bundle_annotations() -> BTreeMap<String, String> {
        [
            ("dev.sigstore.bundle.content", "dsse-envelope"),
            (
                "dev.sigstore.bundle.predicateType",
                "https://sigstore.dev/cosign/sign/v1",
            ),
            ("org.opencontainers.image.created", "2026-12-01T21:16:30Z"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn referrer_manifest_is_the_bundle_spec_layout() {
        let bundle = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#;
        let a = referrer_manifest(&subject(), bundle, &bundle_annotations()).unwrap();
        let bd = ImageDigest::of(bundle);
        let want = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{EMPTY}","size":2}},"layers":[{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"{bd}","size":{}}}],"subject":{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:2f0249ebb962c1281b791aafe68ec39caa2751eecad1c6a5042cbdc43548d764","size":1234}},"annotations":{{"dev.sigstore.bundle.content":"dsse-envelope","dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1","org.opencontainers.image.created":"2026-12-01T21:16:30Z"}}}}"#,
            bundle.len()
        );
        assert_eq!(String::from_utf8(a.bytes.clone()).unwrap(), want);
        assert_eq!(a.blobs[0].bytes, b"{}");
        assert_eq!(a.blobs[0].digest.to_string(), EMPTY);
        assert_eq!(a.blobs[1].bytes, bundle);
        // No annotations: no `annotations` key.
        let bare = referrer_manifest(&subject(), bundle, &BTreeMap::new()).unwrap();
        assert!(json(&bare.bytes).get("annotations").is_none());
        // Same input, same bytes (annotation order does not depend on a hash map).
        for _ in 0..5 {
            assert_eq!(
                referrer_manifest(&subject(), bundle, &bundle_annotations()).unwrap(),
                a
            );
        }
    }

    #[test]
    fn referrer_descriptor_and_fallback_index() {
        let a = referrer_manifest(&subject(), b"{}", &bundle_annotations()).unwrap();
        let d = referrer_descriptor(&a).unwrap();
        assert_eq!(d.digest().to_string(), a.digest.to_string());
        assert_eq!(d.size(), a.bytes.len() as u64);
        assert_eq!(d.media_type().as_ref(), OCI_MANIFEST);
        assert_eq!(d.artifact_type().as_ref().unwrap().as_ref(), BUNDLE_V03);
        let ann = d.annotations().as_ref().unwrap();
        assert_eq!(
            sorted(ann),
            bundle_annotations()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect()
        );
        // Without artifactType: the config media type.
        let legacy = legacy_manifest(None, &layer(PAYLOAD, "s"))
            .unwrap()
            .unwrap();
        let ld = referrer_descriptor(&legacy).unwrap();
        assert_eq!(ld.artifact_type().as_ref().unwrap().as_ref(), OCI_CONFIG);
        assert!(ld.annotations().is_none());

        let one = fallback_index_add(None, &d).unwrap().unwrap();
        let want = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{},"annotations":{{"dev.sigstore.bundle.content":"dsse-envelope","dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1","org.opencontainers.image.created":"2026-12-01T21:16:30Z"}},"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}}]}}"#,
            a.digest,
            a.bytes.len()
        );
        assert_eq!(String::from_utf8(one.clone()).unwrap(), want);
        assert!(fallback_index_add(Some(&one), &d).unwrap().is_none());
        let two = fallback_index_add(Some(&one), &ld).unwrap().unwrap();
        let listed = index_manifests(&two).unwrap();
        assert_eq!(listed, vec![d.clone(), ld.clone()]);
        // Non-index documents are refused.
        let err = fallback_index_add(Some(&legacy.bytes), &d).unwrap_err();
        assert!(err.to_string().contains("not an image index"), "{err}");
        let list = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}"#;
        assert!(fallback_index_add(Some(list), &d).is_err());
        assert!(fallback_index_add(Some(b"<html>"), &d).is_err());
        // An index without mediaType is read (the field is optional).
        let bare = br#"{"schemaVersion":2,"manifests":[]}"#;
        assert!(fallback_index_add(Some(bare), &d).unwrap().is_some());
        // Entry cap.
        let mut v = json(&one);
        let e = v["manifests"][0].clone();
        *v["manifests"].as_array_mut().unwrap() = vec![e; MAX_REFERRERS + 1];
        let over = serde_json::to_vec(&v).unwrap();
        assert!(matches!(
            index_manifests(&over),
            Err(OciError::TooLarge { .. })
        ));
        assert!(matches!(
            fallback_index_add(Some(&over), &ld),
            Err(OciError::TooLarge { .. })
        ));
    }

    #[test]
    fn sample_images_are_real_images() {
        use std::io::Read;
        let single = sample_image(7, &[]).unwrap();
        assert_eq!(single.len(), 1);
        let m = json(&single[0].bytes);
        assert_eq!(m["mediaType"], OCI_MANIFEST);
        let config = &single[0].blobs[0];
        let layer = &single[0].blobs[1];
        assert_eq!(m["config"]["digest"], config.digest.to_string());
        assert_eq!(m["layers"][0]["digest"], layer.digest.to_string());
        assert_eq!(m["layers"][0]["size"], layer.bytes.len());
        // The layer is a gzip'd tar whose sha256 is the config's diff_id.
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(&layer.bytes[..])
            .read_to_end(&mut tar)
            .unwrap();
        let c = json(&config.bytes);
        assert_eq!(
            c["rootfs"]["diff_ids"][0],
            ImageDigest::of(&tar).to_string()
        );
        assert_eq!(
            (c["os"].as_str(), c["architecture"].as_str()),
            (Some("linux"), Some("amd64"))
        );
        let mut archive = tar::Archive::new(&tar[..]);
        let mut entry = archive.entries().unwrap().next().unwrap().unwrap();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        assert_eq!(text, "signet sample image, seed 7, platform linux/amd64\n");
        // Deterministic, and the seed changes the digest.
        assert_eq!(sample_image(7, &[]).unwrap(), single);
        assert_ne!(sample_image(8, &[]).unwrap()[0].digest, single[0].digest);

        let p = ["linux/amd64".to_string(), "linux/arm64/v8".to_string()];
        let multi = sample_image(7, &p).unwrap();
        assert_eq!(multi.len(), 3);
        assert_eq!(multi[2].media_type, OCI_INDEX);
        let children = index_children(&multi[2].bytes).unwrap();
        assert_eq!(children.len(), 2);
        for (c, a) in children.iter().zip(&multi) {
            assert_eq!(c.digest().to_string(), a.digest.to_string());
            assert_eq!(c.size(), a.bytes.len() as u64);
        }
        let plat = children[1].platform().as_ref().unwrap();
        assert_eq!(plat.architecture().to_string(), "arm64");
        assert_eq!(plat.variant().as_deref(), Some("v8"));
        assert_eq!(json(&multi[1].blobs[0].bytes)["variant"], "v8");
        assert_ne!(multi[0].digest, multi[1].digest);
        assert!(sample_image(1, &["linux".to_string()]).is_err());
        assert!(sample_image(1, &["linux/a b".to_string()]).is_err());
        // A manifest is not an index.
        assert!(index_children(&multi[0].bytes).is_err());
    }
}
