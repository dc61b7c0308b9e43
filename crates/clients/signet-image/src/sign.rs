//! `sign` and `attest`.

use std::collections::BTreeMap;

use signet_oci::manifest::{self, LegacyLayer, TagKind};
use signet_oci::payload::{self, RekorBundleAnnotation};
use signet_oci::{Descriptor, ImageDigest, ImageRef, media};
use signet_registry::RegistryClient;
use signet_sign::{NoTimestamps, Signer, SigningLog, TsaClient, sign_dsse, sign_message};
use signet_types::UnixSeconds;

use crate::ImageError;

/// The in-toto payload type of attestations and bundle-format signatures.
const IN_TOTO: &str = "application/vnd.in-toto+json";

/// cosign's two storage formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// OCI 1.1 referrer holding a Sigstore bundle v0.3 (cosign v3's default).
    Bundle,
    /// Layer of the `sha256-<hex>.sig` / `.att` manifest (cosign v1–v2, Kubernetes).
    Legacy,
}

/// What to sign with, and how.
#[derive(Clone, Debug)]
pub struct SignOptions {
    /// Storage format.
    pub format: Format,
    /// `-a key=value` annotations: into the payload (`optional`, or the statement subject's
    /// annotations).
    pub annotations: BTreeMap<String, String>,
    /// The signing time, for the referrer's `org.opencontainers.image.created`.
    pub now: UnixSeconds,
}

/// One manifest to sign: the image at a digest and its descriptor (the referrer's `subject`).
#[derive(Clone, Debug)]
pub struct Target {
    /// The image at its digest (no tag).
    pub image: ImageRef,
    /// The digest (what is signed).
    pub digest: ImageDigest,
    /// Its descriptor as the registry serves it.
    pub descriptor: Descriptor,
}

impl Target {
    /// `base`'s repository at the manifest `descriptor` names.
    fn new(base: &ImageRef, descriptor: Descriptor) -> Result<Self, ImageError> {
        let digest = ImageDigest::of_descriptor(&descriptor).map_err(ImageError::format(base))?;
        Ok(Self {
            image: base.at_digest(digest),
            digest,
            descriptor,
        })
    }
}

/// Resolves `image` (a tag or a digest) to the manifest the registry serves for it, once.
pub async fn resolve(registry: &RegistryClient, image: &ImageRef) -> Result<Target, ImageError> {
    let descriptor = registry
        .resolve(image)
        .await
        .map_err(ImageError::registry(image))?;
    Target::new(image, descriptor)
}

/// The manifests to sign for `image`: a tag is resolved to its digest once (that digest is what
/// is signed); with `recursive`, an index's child manifests follow it.
pub async fn targets(
    registry: &RegistryClient,
    image: &ImageRef,
    recursive: bool,
) -> Result<Vec<Target>, ImageError> {
    let top = resolve(registry, image).await?;
    let mut out = Vec::new();
    if recursive && is_index(top.descriptor.media_type()) {
        let fetched = registry
            .manifest(&top.image, media::MANIFEST_TYPES)
            .await
            .map_err(ImageError::registry(&top.image))?
            .ok_or_else(|| ImageError::Registry {
                image: top.image.to_string(),
                source: Box::new(signet_registry::RegistryError::NotFound(
                    top.image.to_string(),
                )),
            })?;
        for child in
            manifest::index_children(&fetched.bytes).map_err(ImageError::format(&top.image))?
        {
            out.push(Target::new(image, child)?);
        }
    }
    out.insert(0, top);
    Ok(out)
}

fn is_index(media_type: &signet_oci::MediaType) -> bool {
    let s = media_type.to_string();
    s == media::OCI_INDEX || s == media::DOCKER_LIST
}

/// A signed (or attested) image.
#[derive(Clone, Debug)]
pub struct SignedImage {
    /// The image at the signed digest.
    pub image: ImageRef,
    /// The log index of the signature's entry.
    pub log_index: i64,
    /// The format written.
    pub format: Format,
    /// False when the registry already held this very signature.
    pub written: bool,
}

/// Signs images: the signing material, the log, and the registry to write to.
pub struct ImageSigner<'a> {
    /// Registry client.
    pub registry: &'a RegistryClient,
    /// Signing key (and certificate, keyless).
    pub signer: &'a Signer,
    /// The transparency log.
    pub log: &'a SigningLog,
    /// The RFC 3161 timestamp authority: its timestamp over the signature goes into the bundle
    /// (bundle format) or, as cosign writes it, into the `dev.sigstore.cosign/rfc3161timestamp`
    /// annotation of a legacy `.sig` layer. Legacy `.att` layers get none (cosign timestamps
    /// the envelope there, which a bundle's timestamp cannot express).
    pub tsa: Option<&'a TsaClient>,
}

impl ImageSigner<'_> {
    /// Signs `target` (`cosign sign`): log first, registry last.
    pub async fn sign(
        &self,
        target: &Target,
        opts: &SignOptions,
    ) -> Result<SignedImage, ImageError> {
        let digest = target.digest;
        let what = format!("the signature of {}", target.image);
        let img = &target.image;
        match opts.format {
            Format::Legacy => {
                let payload = payload::simple_signing(&img.repo_name(), &digest, &opts.annotations);
                let payload_digest = ImageDigest::of(&payload);
                let signed = sign_message(
                    self.signer,
                    self.log,
                    &self.tsa,
                    payload_digest.hash(),
                    &what,
                )
                .await
                .map_err(ImageError::sign(img))?;
                self.push_legacy(
                    img,
                    TagKind::Signature,
                    &signed.bundle,
                    Some(&signed.signature),
                    payload,
                    None,
                )
                .await
            }
            Format::Bundle => {
                let statement =
                    payload::sign_statement(&img.repo_name(), &digest, &opts.annotations);
                self.bundle_referrer(
                    target,
                    &statement,
                    payload::COSIGN_SIGN_PREDICATE,
                    opts,
                    &what,
                )
                .await
            }
        }
    }

    /// Attests `target` (`cosign attest`): a DSSE in-toto statement of `predicate_type` over the
    /// image, log first, registry last.
    pub async fn attest(
        &self,
        target: &Target,
        predicate_type: &str,
        predicate: &serde_json::Value,
        opts: &SignOptions,
    ) -> Result<SignedImage, ImageError> {
        let digest = target.digest;
        let img = &target.image;
        let what = format!("the attestation of {}", img);
        let statement = payload::attestation_statement(
            // Bundle referrers: Statement v1, which every bundle verifier reads; the legacy
            // .att tag: cosign's v0.1.
            match opts.format {
                Format::Bundle => payload::StatementVersion::V1,
                Format::Legacy => payload::StatementVersion::V01,
            },
            &img.repo_name(),
            &digest,
            predicate_type,
            predicate,
        )
        .map_err(ImageError::format(img))?;
        match opts.format {
            Format::Bundle => {
                self.bundle_referrer(target, &statement, predicate_type, opts, &what)
                    .await
            }
            Format::Legacy => {
                let signed = sign_dsse(
                    self.signer,
                    self.log,
                    &NoTimestamps,
                    IN_TOTO,
                    &statement,
                    &what,
                )
                .await
                .map_err(ImageError::sign(img))?;
                // The blob must be the envelope exactly as logged: the entry hashes it.
                self.push_legacy(
                    img,
                    TagKind::Attestation,
                    &signed.bundle,
                    None,
                    signed.envelope_json.into_bytes(),
                    Some(predicate_type),
                )
                .await
            }
        }
    }

    /// DSSE-signs `statement`, logs it, and attaches the bundle as a referrer of `target`.
    async fn bundle_referrer(
        &self,
        target: &Target,
        statement: &[u8],
        predicate_type: &str,
        opts: &SignOptions,
        what: &str,
    ) -> Result<SignedImage, ImageError> {
        let img = &target.image;
        let signed = sign_dsse(self.signer, self.log, &self.tsa, IN_TOTO, statement, what)
            .await
            .map_err(ImageError::sign(img))?;
        let bundle_json = serde_json::to_vec(&signed.bundle).map_err(|e| ImageError::Format {
            image: img.to_string(),
            source: Box::new(signet_oci::OciError::Bundle(e.to_string())),
        })?;
        let annotations = BTreeMap::from([
            (
                "dev.sigstore.bundle.content".to_string(),
                "dsse-envelope".to_string(),
            ),
            (
                "dev.sigstore.bundle.predicateType".to_string(),
                predicate_type.to_string(),
            ),
            (
                "org.opencontainers.image.created".to_string(),
                rfc3339(opts.now),
            ),
        ]);
        let referrer = manifest::referrer_manifest(&target.descriptor, &bundle_json, &annotations)
            .map_err(ImageError::format(img))?;
        self.registry
            .attach_referrer(img, &referrer)
            .await
            .map_err(ImageError::registry(img))?;
        Ok(SignedImage {
            image: img.clone(),
            log_index: signed.entry.log_index,
            format: opts.format,
            written: true,
        })
    }

    /// Appends a legacy layer for a logged signature (`signature` for `.sig`; none, and the
    /// `predicate_type`, for `.att`) to the image's legacy tag.
    async fn push_legacy(
        &self,
        img: &ImageRef,
        kind: TagKind,
        bundle: &signet_bundle::BundleJson,
        signature: Option<&[u8]>,
        payload: Vec<u8>,
        predicate_type: Option<&str>,
    ) -> Result<SignedImage, ImageError> {
        let rekor = self.rekor_annotation(img, bundle)?;
        let media_type = match kind {
            TagKind::Signature => media::SIMPLE_SIGNING,
            TagKind::Attestation => media::DSSE_ENVELOPE,
        };
        let certificate = self.signer.certificate_pem();
        let mut annotations = payload::legacy_annotations(
            signature,
            certificate,
            // cosign v3 writes an empty chain: verifiers take it from the trusted root.
            certificate.map(|_| ""),
            Some(&rekor),
            predicate_type,
        );
        // The bundle's timestamp covers the signature bytes, as cosign's annotation does.
        let token = bundle
            .verification_material
            .as_ref()
            .and_then(|vm| vm.timestamp_verification_data.as_ref())
            .and_then(|t| t.rfc3161_timestamps.first());
        if let (TagKind::Signature, Some(t)) = (kind, token) {
            annotations.insert(
                payload::ANNOTATION_RFC3161.to_string(),
                payload::rfc3161_annotation(&t.signed_timestamp),
            );
        }
        let layer = LegacyLayer {
            media_type: media_type.to_string(),
            annotations,
            payload,
        };
        let written = self
            .registry
            .append_legacy(img, kind, &layer)
            .await
            .map_err(ImageError::registry(img))?;
        Ok(SignedImage {
            image: img.clone(),
            log_index: rekor.log_index,
            format: Format::Legacy,
            written,
        })
    }

    fn rekor_annotation(
        &self,
        img: &ImageRef,
        bundle: &signet_bundle::BundleJson,
    ) -> Result<RekorBundleAnnotation, ImageError> {
        let entry = bundle
            .verification_material
            .as_ref()
            .and_then(|vm| vm.tlog_entries.first())
            .ok_or_else(|| ImageError::Format {
                image: img.to_string(),
                source: Box::new(signet_oci::OciError::Bundle(
                    "the signed bundle has no log entry".into(),
                )),
            })?;
        RekorBundleAnnotation::from_tlog_entry(entry).map_err(ImageError::format(img))
    }
}

/// RFC 3339 UTC seconds, as cosign writes `org.opencontainers.image.created`.
pub fn rfc3339(t: UnixSeconds) -> String {
    time::OffsetDateTime::from_unix_timestamp(t.0)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}
