//! `verify` and `verify-attestation`: referrers first, the legacy tag second (cosign v3's order).

use std::collections::BTreeMap;

use signet_oci::manifest::{self, TagKind};
use signet_oci::verify::{
    Expect, VerifiedImageSignature, check_annotations, verify_bundle_referrer, verify_legacy_layer,
};
use signet_oci::{Descriptor, ImageDigest, ImageRef, media};
use signet_registry::RegistryClient;
use signet_verify::{Identity, Verifier};

use crate::ImageError;

/// Where an image's signatures and attestations are (`signet tree`, `signet triangulate`).
#[derive(Clone, Debug)]
pub struct Found {
    /// The image at its digest.
    pub image: ImageRef,
    /// Its descriptor.
    pub descriptor: Descriptor,
    /// Bundle referrers (from the referrers API or the fallback tag).
    pub referrers: Vec<Descriptor>,
    /// Layers of the legacy `.sig` manifest (empty when there is none).
    pub signatures: Vec<Descriptor>,
    /// Layers of the legacy `.att` manifest (empty when there is none).
    pub attestations: Vec<Descriptor>,
}

/// Reads where `image`'s signatures and attestations live, without verifying anything.
pub async fn find(registry: &RegistryClient, image: &ImageRef) -> Result<Found, ImageError> {
    let crate::Target {
        image: at,
        digest,
        descriptor,
    } = crate::resolve(registry, image).await?;
    let referrers = registry
        .referrers(&at)
        .await
        .map_err(ImageError::registry(image))?;
    let signatures = legacy_layers(registry, &at, &digest, TagKind::Signature).await?;
    let attestations = legacy_layers(registry, &at, &digest, TagKind::Attestation).await?;
    Ok(Found {
        image: at,
        descriptor,
        referrers,
        signatures,
        attestations,
    })
}

async fn legacy_layers(
    registry: &RegistryClient,
    at: &ImageRef,
    digest: &ImageDigest,
    kind: TagKind,
) -> Result<Vec<Descriptor>, ImageError> {
    let tag = at.at_tag(&manifest::legacy_tag(digest, kind));
    match registry
        .manifest(&tag, &[media::OCI_MANIFEST, media::DOCKER_MANIFEST])
        .await
    {
        Ok(Some(m)) => manifest::legacy_layers(&m.bytes).map_err(ImageError::format(&tag)),
        Ok(None) => Ok(Vec::new()),
        Err(e) => Err(ImageError::registry(&tag)(e)),
    }
}

/// The verified signatures (or attestations) of one image.
#[derive(Debug)]
pub struct ImageVerification {
    /// The image at the verified digest.
    pub image: ImageRef,
    /// Every signature that verified.
    pub verified: Vec<VerifiedImageSignature>,
    /// Why the others were refused (one line each).
    pub refused: Vec<String>,
}

/// Verifies `image` offline: resolves a tag to a digest once, then every bundle referrer, then
/// every layer of the legacy `.sig` (or `.att`) manifest. Succeeds when at least one signature
/// verifies against `verifier`'s trusted root and `identity` (and carries every one of
/// `annotations`, cosign's `-a`).
pub async fn verify_image(
    registry: &RegistryClient,
    image: &ImageRef,
    verifier: &Verifier<'_>,
    identity: &Identity,
    expect: &Expect,
    annotations: &BTreeMap<String, String>,
) -> Result<ImageVerification, ImageError> {
    let name = image.to_string();
    let what = match expect {
        Expect::Signature => "signatures",
        Expect::Attestation(_) => "attestations",
    };
    // A digest reference is taken as it is (as cosign does: the image itself need not be
    // readable); a tag is resolved once.
    let digest = match image.digest() {
        Some(d) => *d,
        None => crate::resolve(registry, image).await?.digest,
    };
    let at = image.at_digest(digest);
    let mut verified = Vec::new();
    let mut refused = Vec::new();
    let mut tried = 0usize;

    // Bundle referrers (any bundle media type spelling).
    let referrers = registry
        .referrers(&at)
        .await
        .map_err(ImageError::registry(image))?;
    for r in referrers.iter().filter(|r| is_bundle_referrer(r)) {
        tried = tried.saturating_add(1);
        match referrer_bundle(registry, &at, r).await {
            Ok(bytes) => {
                match verify_bundle_referrer(&bytes, &digest, &name, verifier, identity, expect)
                    .and_then(|v| check_annotations(&v, annotations).map(|()| v))
                {
                    Ok(v) => verified.push(v),
                    Err(e) => refused.push(format!("bundle {}: {e}", r.digest())),
                }
            }
            Err(e) => refused.push(format!("bundle {}: {e}", r.digest())),
        }
    }

    // The legacy tag, when no referrer verified.
    if verified.is_empty() {
        let kind = match expect {
            Expect::Signature => TagKind::Signature,
            Expect::Attestation(_) => TagKind::Attestation,
        };
        let tag = at.at_tag(&manifest::legacy_tag(&digest, kind));
        for layer in legacy_layers(registry, &at, &digest, kind).await? {
            tried = tried.saturating_add(1);
            let layer_digest = match ImageDigest::of_descriptor(&layer) {
                Ok(d) => d,
                Err(e) => {
                    refused.push(format!("{tag} layer: {e}"));
                    continue;
                }
            };
            let result = match registry
                .blob(&at, &layer_digest, media::MAX_SIGNATURE_BLOB)
                .await
            {
                Ok(payload) => {
                    verify_legacy_layer(&layer, &payload, &digest, verifier, identity, expect)
                        .and_then(|v| check_annotations(&v, annotations).map(|()| v))
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            match result {
                Ok(v) => verified.push(v),
                Err(e) => refused.push(format!("{tag} layer {layer_digest}: {e}")),
            }
        }
    }

    if verified.is_empty() {
        return Err(if tried == 0 {
            ImageError::NoSignatures {
                image: image.to_string(),
                what,
            }
        } else {
            ImageError::NoneVerified {
                image: image.to_string(),
                what,
                count: tried,
                reasons: refused,
            }
        });
    }
    Ok(ImageVerification {
        image: at,
        verified,
        refused,
    })
}

/// A referrer that holds a Sigstore bundle (by artifact type, else by its config media type).
fn is_bundle_referrer(r: &Descriptor) -> bool {
    r.artifact_type()
        .as_ref()
        .is_some_and(|t| t.to_string().starts_with(media::BUNDLE_PREFIX))
        // Writers that set no artifactType: decide after reading the manifest.
        || r.artifact_type().is_none()
}

/// The bundle blob of a referrer manifest: exactly one layer of a bundle media type.
async fn referrer_bundle(
    registry: &RegistryClient,
    at: &ImageRef,
    r: &Descriptor,
) -> Result<Vec<u8>, String> {
    let d = ImageDigest::of_descriptor(r).map_err(|e| e.to_string())?;
    let m = registry
        .manifest(&at.at_digest(d), &[media::OCI_MANIFEST])
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the referrer manifest is gone".to_string())?;
    let parsed: signet_oci::ImageManifest =
        serde_json::from_slice(&m.bytes).map_err(|e| format!("invalid referrer manifest: {e}"))?;
    let [layer] = parsed.layers().as_slice() else {
        return Err(format!(
            "a bundle referrer has one layer, this one {}",
            parsed.layers().len()
        ));
    };
    if !layer
        .media_type()
        .to_string()
        .starts_with(media::BUNDLE_PREFIX)
    {
        return Err(format!(
            "layer media type {} is not a Sigstore bundle",
            layer.media_type()
        ));
    }
    let ld = ImageDigest::of_descriptor(layer).map_err(|e| e.to_string())?;
    registry
        .blob(at, &ld, media::MAX_SIGNATURE_BLOB)
        .await
        .map_err(|e| e.to_string())
}

/// What `download signature` / `download attestation` prints, one JSON value per signature,
/// unverified: for legacy layers cosign's `SignedPayload` shape (`Base64Signature`, `Payload`
/// (base64), `Cert` and `Chain` (PEM), `Bundle`, `RFC3161Timestamp`), for an attestation layer
/// its DSSE envelope, and for a bundle referrer the bundle.
pub async fn download(
    registry: &RegistryClient,
    image: &ImageRef,
    attestations: bool,
) -> Result<Vec<serde_json::Value>, ImageError> {
    let found = find(registry, image).await?;
    let at = &found.image;
    let mut out = Vec::new();
    for r in found.referrers.iter().filter(|r| is_bundle_referrer(r)) {
        if let Ok(bytes) = referrer_bundle(registry, at, r).await {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
                continue;
            };
            let is_sig = v
                .pointer("/dsseEnvelope/payload")
                .and_then(|p| p.as_str())
                .and_then(|p| signet_types::b64::decode(p).ok())
                .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok())
                .and_then(|s| {
                    s.get("predicateType")
                        .and_then(|t| t.as_str())
                        .map(|t| t == signet_oci::payload::COSIGN_SIGN_PREDICATE)
                })
                .unwrap_or(true);
            if is_sig != attestations {
                out.push(v);
            }
        }
    }
    let layers = if attestations {
        &found.attestations
    } else {
        &found.signatures
    };
    for layer in layers {
        let d = ImageDigest::of_descriptor(layer).map_err(ImageError::format(at))?;
        let blob = registry
            .blob(at, &d, media::MAX_SIGNATURE_BLOB)
            .await
            .map_err(ImageError::registry(at))?;
        let ann = layer.annotations().clone().unwrap_or_default();
        let get = |k: &str| ann.get(k).cloned();
        if attestations {
            out.push(
                serde_json::from_slice(&blob).map_err(|e| ImageError::Format {
                    image: at.to_string(),
                    source: Box::new(signet_oci::OciError::Payload(format!(
                        "attestation layer {d}: {e}"
                    ))),
                })?,
            );
        } else {
            out.push(serde_json::json!({
                "Base64Signature": get("dev.cosignproject.cosign/signature").unwrap_or_default(),
                "Payload": signet_types::b64::encode(&blob),
                "Cert": get("dev.sigstore.cosign/certificate"),
                "Chain": get("dev.sigstore.cosign/chain"),
                "Bundle": get("dev.sigstore.cosign/bundle")
                    .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok()),
                "RFC3161Timestamp": get("dev.sigstore.cosign/rfc3161timestamp")
                    .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok()),
            }));
        }
    }
    Ok(out)
}
