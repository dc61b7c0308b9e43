//! Offline verification of image signatures and attestations in both formats, and what cosign
//! prints for them.
//!
//! A legacy layer's annotations are turned into a v0.1 Sigstore bundle (leaf certificate or
//! managed key, the Rekor v1 entry with its SET and no inclusion proof: intermediates come from
//! the trusted root, as cosign v3 takes them) and verified by `signet-verify`, then the payload
//! must name the image. A bundle referrer (v0.3+) is verified with the image digest as the
//! artifact, so its in-toto subject (or message-signature digest) must be the image.

use std::collections::BTreeMap;

use serde::Serialize;
use signet_bundle::{
    Bundle, BundleJson, BundleVersion, Content, HashOutputJson, InclusionPromiseJson,
    KindVersionJson, LogIdJson, MEDIA_TYPE_V01, MessageSignatureJson, Rfc3161Json,
    TimestampVerificationDataJson, TlogEntryJson, VerificationMaterialJson,
};
use signet_crypto::HashAlgorithm;
use signet_types::b64;
use signet_types::dsse::{Envelope, EnvelopeJson, IN_TOTO_PAYLOAD_TYPE};
use signet_verify::{
    Artifact, ArtifactDigest, Identity, Policy, VerifiedBundle, Verifier, VerifyError,
};

use crate::payload::{
    self, ANNOTATION_BUNDLE, ANNOTATION_CERTIFICATE, ANNOTATION_RFC3161, ANNOTATION_SIGNATURE,
    COSIGN_SIGN_PREDICATE, RekorBundleAnnotation, SIMPLE_SIGNING_TYPE,
};
use crate::{Descriptor, ImageDigest, OciError, media};

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
    /// [`Self::output`] byte for byte as cosign prints it (Go `encoding/json` key order and
    /// escaping; for a legacy attestation the envelope blob as stored). See [`verify_stdout`]
    /// and [`attestation_stdout`].
    pub output_json: String,
    /// The signed annotations cosign's `-a key=value` is checked against
    /// ([`check_annotations`]): a legacy payload's `optional`, or the annotations of the
    /// in-toto subject that names the image.
    pub annotations: serde_json::Map<String, serde_json::Value>,
    /// The lines cosign's text output writes to stderr before this signature when it came with
    /// a certificate (`Certificate subject: …`, `Certificate issuer URL: …`, the GitHub workflow
    /// lines); empty for keys and for bundle-format results (cosign keeps no certificate for
    /// those).
    pub certificate_lines: Vec<String>,
}

/// cosign's `correctAnnotations`: every `wanted` key must be in the signature's signed
/// annotations with this (string) value.
pub fn check_annotations(
    signature: &VerifiedImageSignature,
    wanted: &BTreeMap<String, String>,
) -> Result<(), OciError> {
    for (k, v) in wanted {
        match signature.annotations.get(k) {
            Some(serde_json::Value::String(have)) if have == v => {}
            have => {
                return Err(OciError::Payload(format!(
                    "missing or incorrect annotation: {k}={v:?} required, the signature has {}",
                    have.map_or_else(|| "none".to_string(), |h| h.to_string())
                )));
            }
        }
    }
    Ok(())
}

/// Verifies one layer of a legacy `.sig` / `.att` manifest: `payload` is its blob (already
/// checked against the layer digest by the caller). The layer's annotations become a v0.1
/// bundle (the leaf certificate, or none for a key; the Rekor entry with its SET and no
/// inclusion proof) verified by `verifier` over the payload; then the payload must name `image`
/// (simple-signing digest, or an in-toto subject). The `dev.sigstore.cosign/chain` annotation
/// is not used: intermediates come from the trusted root, as cosign v3 takes them. An
/// `rfc3161timestamp` annotation is passed on as the bundle's timestamp (a token that does not
/// cover the signature is skipped with a warning, as the verifier skips any such token). A
/// layer without `dev.sigstore.cosign/bundle` is refused: signet verifies offline only.
///
/// `.sig` (`Expect::Signature`): a message signature over the payload (the log entry's
/// `hashedrekord` hash must be SHA-256 of the payload); the simple-signing digest must be
/// `image` ([`OciError::WrongDigest`]). `.att` (`Expect::Attestation`): the payload is the DSSE
/// envelope as logged (the `dsse` entry's `envelopeHash` or `intoto` entry's `content.hash`
/// must be SHA-256 of these exact bytes, as cosign checks), its in-toto statement must have a
/// sha256 subject equal to `image` and, if given, the predicate type.
pub fn verify_legacy_layer(
    layer: &Descriptor,
    payload: &[u8],
    image: &ImageDigest,
    verifier: &Verifier<'_>,
    identity: &Identity,
    expect: &Expect,
) -> Result<VerifiedImageSignature, OciError> {
    within_limit(payload, "signature payload")?;
    let media_type = layer.media_type().to_string();
    let (wanted, other) = match expect {
        Expect::Signature => (media::SIMPLE_SIGNING, media::DSSE_ENVELOPE),
        Expect::Attestation(_) => (media::DSSE_ENVELOPE, media::SIMPLE_SIGNING),
    };
    if media_type == other {
        return Err(OciError::Payload(format!(
            "the layer is {media_type}, expected {wanted}"
        )));
    }
    let empty = std::collections::HashMap::new();
    let annotations = layer.annotations().as_ref().unwrap_or(&empty);
    let get = |key: &str| annotations.get(key).map(String::as_str);

    let rekor = RekorBundleAnnotation::parse(get(ANNOTATION_BUNDLE).ok_or_else(|| {
        OciError::Annotation {
            key: ANNOTATION_BUNDLE,
            reason: "missing: signet verifies offline only, from the transparency-log entry \
                     the signer attached, and this signature carries none (signed without \
                     uploading to the log?)"
                .into(),
        }
    })?)?;
    let body = b64::decode(&rekor.body).map_err(|e| OciError::Annotation {
        key: ANNOTATION_BUNDLE,
        reason: format!("body: {e}"),
    })?;
    let body_json: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| OciError::Annotation {
            key: ANNOTATION_BUNDLE,
            reason: format!("body is not JSON: {e}"),
        })?;
    let body_str = |field: &str| body_json.get(field).and_then(|v| v.as_str()).unwrap_or("");
    let kind_version = KindVersionJson {
        kind: body_str("kind").to_string(),
        version: body_str("apiVersion").to_string(),
    };
    let log_id = hex::decode(&rekor.log_id).map_err(|e| OciError::Annotation {
        key: ANNOTATION_BUNDLE,
        reason: format!("logID: {e}"),
    })?;

    let cert_pem = get(ANNOTATION_CERTIFICATE).filter(|c| !c.trim().is_empty());
    let leaf = cert_pem
        .map(|pem| {
            signet_x509::Certificate::from_pem(pem).map_err(|e| OciError::Annotation {
                key: ANNOTATION_CERTIFICATE,
                reason: e.to_string(),
            })
        })
        .transpose()?;
    let material = match &leaf {
        // The chain type is not re-exported by signet-bundle: built through its wire form.
        Some(c) => serde_json::from_value(serde_json::json!({
            "x509CertificateChain": {"certificates": [{"rawBytes": b64::encode(c.der())}]}
        }))
        .map_err(|e| OciError::Bundle(e.to_string()))?,
        None => VerificationMaterialJson::public_key(""),
    };
    let timestamps = get(ANNOTATION_RFC3161)
        .map(parse_rfc3161_annotation)
        .transpose()?;
    let material = VerificationMaterialJson {
        timestamp_verification_data: timestamps.map(|t| TimestampVerificationDataJson {
            rfc3161_timestamps: vec![Rfc3161Json {
                signed_timestamp: b64::encode(t),
            }],
        }),
        ..material
    }
    .with_tlog_entry(TlogEntryJson {
        log_index: rekor.log_index,
        log_id: LogIdJson {
            key_id: b64::encode(&log_id),
        },
        kind_version,
        integrated_time: rekor.integrated_time,
        inclusion_promise: Some(InclusionPromiseJson {
            signed_entry_timestamp: b64::encode(&rekor.signed_entry_timestamp),
        }),
        inclusion_proof: None,
        canonicalized_body: rekor.body.clone(),
    });

    let image_digests = image_digests(image)?;
    let mut wire = BundleJson {
        media_type: MEDIA_TYPE_V01.to_string(),
        verification_material: Some(material),
        message_signature: None,
        dsse_envelope: None,
    };
    match expect {
        Expect::Signature => {
            let signature = get(ANNOTATION_SIGNATURE).unwrap_or_default();
            if signature.is_empty() {
                return Err(OciError::Annotation {
                    key: ANNOTATION_SIGNATURE,
                    reason: "missing or empty".into(),
                });
            }
            b64::decode(signature).map_err(|e| OciError::Annotation {
                key: ANNOTATION_SIGNATURE,
                reason: e.to_string(),
            })?;
            wire.message_signature = Some(MessageSignatureJson {
                message_digest: Some(HashOutputJson {
                    algorithm: "SHA2_256".into(),
                    digest: b64::encode(signet_crypto::sha256(payload).as_bytes()),
                }),
                signature: signature.to_string(),
            });
        }
        Expect::Attestation(_) => {
            let envelope: EnvelopeJson = serde_json::from_slice(payload)
                .map_err(|e| OciError::Payload(format!("not a DSSE envelope: {e}")))?;
            check_logged_envelope_hash(&body_json, payload)?;
            wire.dsse_envelope = Some(envelope);
        }
    }
    let bundle = Bundle::from_wire(&wire).map_err(|e| OciError::Bundle(e.to_string()))?;
    let artifact = match expect {
        Expect::Signature => Artifact::Bytes(payload),
        Expect::Attestation(_) => Artifact::Digests(&image_digests),
    };
    let statement = statement_of(&bundle.content)?;
    let verified = verify_with(verifier, &bundle, identity, artifact, image, &statement)?;
    let cert = leaf.as_ref().map(|c| CertInfo::of(c, &verified));
    let certificate_lines = cert.as_ref().map(CertInfo::lines).unwrap_or_default();

    match expect {
        Expect::Signature => {
            let ss = payload::parse_simple_signing(payload)?;
            if ss.digest != *image {
                return Err(OciError::WrongDigest {
                    signed: ss.digest.to_string(),
                    image: image.to_string(),
                });
            }
            let output_json =
                legacy_signature_output(&ss, cert.as_ref(), &rekor, timestamps_value(get))?;
            let annotations = match ss.optional {
                serde_json::Value::Object(m) => m,
                _ => serde_json::Map::new(),
            };
            finish(
                verified,
                Format::Legacy,
                None,
                output_json,
                (annotations, certificate_lines),
            )
        }
        Expect::Attestation(want) => {
            let statement = statement
                .ok_or_else(|| OciError::Payload("the layer holds no in-toto statement".into()))?;
            check_predicate_type(&statement.predicate_type, want.as_deref())?;
            let text = std::str::from_utf8(payload)
                .map_err(|e| OciError::Payload(format!("envelope is not UTF-8: {e}")))?;
            let annotations = statement.annotations_for(image);
            finish(
                verified,
                Format::Legacy,
                Some(statement.predicate_type),
                text.to_string(),
                (annotations, certificate_lines),
            )
        }
    }
}

/// Verifies a bundle found as a referrer of `image`: a v0.3+ bundle whose DSSE in-toto
/// statement has a sha256 subject equal to `image` and the expected predicate type.
///
/// `image_name` is the image as `cosign verify` names it in its output (go-containerregistry's
/// `ref.Name()`: `registry/repository:tag` or `@digest` as given, Docker Hub as
/// `index.docker.io/library/…`): cosign v3 prints a bundle-format signature as a
/// simple-signing document with that `docker-reference`.
///
/// `Expect::Signature` accepts a DSSE statement of [`COSIGN_SIGN_PREDICATE`] or a message
/// signature over the image manifest (as Tekton Chains writes); `Expect::Attestation(t)` a DSSE
/// statement of type `t` (any type when `None`). Another type is
/// [`OciError::PredicateType`].
pub fn verify_bundle_referrer(
    bundle_json: &[u8],
    image: &ImageDigest,
    image_name: &str,
    verifier: &Verifier<'_>,
    identity: &Identity,
    expect: &Expect,
) -> Result<VerifiedImageSignature, OciError> {
    within_limit(bundle_json, "bundle")?;
    let bundle = Bundle::from_json(bundle_json).map_err(|e| OciError::Bundle(e.to_string()))?;
    if bundle.version < BundleVersion::V03 {
        return Err(OciError::Bundle(format!(
            "{} is older than v0.3: cosign reads only v0.3 and later bundles as image referrers",
            bundle.media_type
        )));
    }
    if let (Content::MessageSignature(_), Expect::Attestation(want)) = (&bundle.content, expect) {
        return Err(OciError::PredicateType {
            found: "a message signature (no in-toto statement)".into(),
            expected: want.clone().unwrap_or_else(|| "an attestation".into()),
        });
    }
    let statement = statement_of(&bundle.content)?;
    // A message signature is verified over the digest it names, then that digest must be the
    // image's (so a signature for another image is reported as such, once it verified).
    let signed_digest = match &bundle.content {
        Content::MessageSignature(m) => match &m.digest {
            Some((alg, d)) if alg == "SHA2_256" => Some(
                signet_types::Sha256Hash::from_slice(d)
                    .map(ImageDigest::from_hash)
                    .map_err(|e| OciError::Bundle(e.to_string()))?,
            ),
            _ => None,
        },
        _ => None,
    };
    let image_digests = image_digests(signed_digest.as_ref().unwrap_or(image))?;
    let verified = verify_with(
        verifier,
        &bundle,
        identity,
        Artifact::Digests(&image_digests),
        image,
        &statement,
    )?;
    if let Some(signed) = signed_digest
        && signed != *image
    {
        return Err(OciError::WrongDigest {
            signed: signed.to_string(),
            image: image.to_string(),
        });
    }
    let Some(statement) = statement else {
        // A message signature over the image manifest, verified for `image`.
        let output_json = payload::simple_container_image(
            image_name,
            &image.to_string(),
            SIMPLE_SIGNING_TYPE,
            Some(serde_json::Map::new()),
        )
        .map_err(|e| OciError::Payload(e.to_string()))?;
        return finish(
            verified,
            Format::Bundle,
            None,
            output_json,
            Default::default(),
        );
    };
    match expect {
        Expect::Signature => {
            check_predicate_type(&statement.predicate_type, Some(COSIGN_SIGN_PREDICATE))?;
            // cosign's transformOutput: the statement re-shaped as simple signing.
            let output_json = payload::simple_container_image(
                image_name,
                &statement.first_subject_digest,
                &statement.predicate_type,
                Some(&statement.first_subject_annotations),
            )
            .map_err(|e| OciError::Payload(e.to_string()))?;
            let annotations = statement.annotations_for(image);
            finish(
                verified,
                Format::Bundle,
                Some(statement.predicate_type),
                output_json,
                (annotations, Vec::new()),
            )
        }
        Expect::Attestation(want) => {
            check_predicate_type(&statement.predicate_type, want.as_deref())?;
            let Content::Dsse(env) = &bundle.content else {
                return Err(OciError::Payload("not a DSSE bundle".into()));
            };
            let output_json = go_envelope_json(env)?;
            let annotations = statement.annotations_for(image);
            finish(
                verified,
                Format::Bundle,
                Some(statement.predicate_type),
                output_json,
                (annotations, Vec::new()),
            )
        }
    }
}

/// Which of cosign's check lines apply (`PrintVerificationHeader`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checks {
    /// `-a key=value` annotations were given and checked.
    pub annotations: bool,
    /// The claims (digest or in-toto subject) were checked: always, in signet.
    pub claims: bool,
    /// The log entry was verified offline (SET or inclusion proof): always, in signet.
    pub tlog_offline: bool,
    /// Verified with a public key (`--key`); otherwise with the certificate authorities.
    pub key: bool,
}

impl Checks {
    /// What signet checked for `identity`: claims and the log entry always, a key or the CA
    /// chain, and annotations when some were required.
    pub fn performed(identity: &Identity, annotations: bool) -> Self {
        Self {
            annotations,
            claims: true,
            tlog_offline: true,
            key: matches!(identity, Identity::Key(_)),
        }
    }
}

/// The lines cosign writes to stderr before the verified signatures
/// (`cmd/cosign/cli/verify/common.go` `PrintVerificationHeader`, each line ended by `\n`, the
/// first preceded by an empty line). `image` is what cosign names: `ref.Name()` for `verify`,
/// the image argument as given for `verify-attestation`.
pub fn verification_header(image: &str, checks: &Checks) -> String {
    let mut out = format!(
        "\nVerification for {image} --\nThe following checks were performed on each of these signatures:\n"
    );
    if checks.claims {
        if checks.annotations {
            out.push_str("  - The specified annotations were verified.\n");
        }
        out.push_str("  - The cosign claims were validated\n");
    }
    if checks.tlog_offline {
        out.push_str("  - Existence of the claims in the transparency log was verified offline\n");
    }
    if checks.key {
        out.push_str("  - The signatures were verified against the specified public key\n");
    } else {
        out.push_str(
            "  - The code-signing certificate was verified using trusted certificate authority certificates\n",
        );
    }
    out
}

/// What `cosign verify` writes to stdout for verified signatures (default `--output json`):
/// an empty line, then the JSON array of their outputs on one line.
pub fn verify_stdout(signatures: &[VerifiedImageSignature]) -> String {
    let items: Vec<&str> = signatures.iter().map(|s| s.output_json.as_str()).collect();
    format!("\n[{}]\n", items.join(","))
}

/// What `cosign verify-attestation` writes to stdout: each attestation's envelope JSON on its
/// own line (its "text" output).
pub fn attestation_stdout(attestations: &[VerifiedImageSignature]) -> String {
    attestations
        .iter()
        .map(|a| format!("{}\n", a.output_json))
        .collect()
}

/// Refuses `bytes` over [`media::MAX_SIGNATURE_BLOB`].
fn within_limit(bytes: &[u8], what: &'static str) -> Result<(), OciError> {
    if bytes.len() as u64 > media::MAX_SIGNATURE_BLOB {
        return Err(OciError::TooLarge {
            what,
            limit: media::MAX_SIGNATURE_BLOB,
        });
    }
    Ok(())
}

/// Signed annotations and certificate lines of a result.
type Details = (serde_json::Map<String, serde_json::Value>, Vec<String>);

fn finish(
    bundle: VerifiedBundle,
    format: Format,
    predicate_type: Option<String>,
    output_json: String,
    (annotations, certificate_lines): Details,
) -> Result<VerifiedImageSignature, OciError> {
    let output = serde_json::from_str(&output_json)
        .map_err(|e| OciError::Payload(format!("output is not JSON: {e}")))?;
    Ok(VerifiedImageSignature {
        bundle,
        format,
        predicate_type,
        output,
        output_json,
        annotations,
        certificate_lines,
    })
}

fn image_digests(image: &ImageDigest) -> Result<[ArtifactDigest; 1], OciError> {
    ArtifactDigest::new(HashAlgorithm::Sha256, image.hash().as_bytes().to_vec())
        .map(|d| [d])
        .ok_or_else(|| OciError::Digest(image.to_string()))
}

/// Runs the verifier; an in-toto subject or digest that is not the image (found after the
/// signature over the envelope verified) is reported as [`OciError::WrongDigest`].
fn verify_with(
    verifier: &Verifier<'_>,
    bundle: &Bundle,
    identity: &Identity,
    artifact: Artifact<'_>,
    image: &ImageDigest,
    statement: &Option<Statement>,
) -> Result<VerifiedBundle, OciError> {
    let policy = Policy {
        identity: identity.clone(),
        artifact,
    };
    verifier.verify(bundle, &policy).map_err(|e| match e {
        VerifyError::DigestMismatch { expected, .. } => OciError::WrongDigest {
            signed: match statement {
                Some(s) => s.subject_digests.join(", "),
                None => format!("sha256:{expected}"),
            },
            image: image.to_string(),
        },
        e => OciError::Verify(e),
    })
}

/// What signet reads from an in-toto statement.
struct Statement {
    predicate_type: String,
    /// Every subject digest, `alg:hex`.
    subject_digests: Vec<String>,
    /// The first subject's digest as cosign's `transformOutput` takes it (`alg:hex`).
    first_subject_digest: String,
    /// The first subject's annotations (`{}` when absent).
    first_subject_annotations: serde_json::Map<String, serde_json::Value>,
    /// Each subject's sha256 hex and annotations.
    subjects: Vec<(Option<String>, serde_json::Map<String, serde_json::Value>)>,
}

impl Statement {
    /// The annotations of the first subject whose sha256 is `image` (cosign's
    /// `IntotoSubjectClaimVerifier`), `{}` when it has none.
    fn annotations_for(&self, image: &ImageDigest) -> serde_json::Map<String, serde_json::Value> {
        let hex = image.hex();
        self.subjects
            .iter()
            .find(|(d, _)| d.as_deref() == Some(hex.as_str()))
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    }
}

fn annotations_of(subject: &serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    subject
        .get("annotations")
        .and_then(|a| a.as_object())
        .cloned()
        .unwrap_or_default()
}

/// The in-toto statement of a DSSE content (`None` for a message signature).
fn statement_of(content: &Content) -> Result<Option<Statement>, OciError> {
    let env = match content {
        Content::Dsse(env) => env,
        Content::MessageSignature(_) => return Ok(None),
        _ => return Err(OciError::Payload("unsupported bundle content".into())),
    };
    if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(OciError::Payload(format!(
            "the DSSE payload type is {:?}, not {IN_TOTO_PAYLOAD_TYPE:?}",
            env.payload_type
        )));
    }
    let st: serde_json::Value = serde_json::from_slice(&env.payload)
        .map_err(|e| OciError::Payload(format!("the in-toto statement is not JSON: {e}")))?;
    let predicate_type = st
        .get("predicateType")
        .and_then(|t| t.as_str())
        .ok_or_else(|| OciError::Payload("the in-toto statement has no predicateType".into()))?
        .to_string();
    let subjects = st
        .get("subject")
        .and_then(|s| s.as_array())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| OciError::Payload("the in-toto statement has no subject".into()))?;
    let digests_of = |s: &serde_json::Value| -> Vec<String> {
        s.get("digest")
            .and_then(|d| d.as_object())
            .map(|d| {
                d.iter()
                    .filter_map(|(alg, v)| Some(format!("{alg}:{}", v.as_str()?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let first = subjects.first();
    let first_digests = first.map(digests_of).unwrap_or_default();
    let first_subject_digest = first_digests
        .iter()
        .find(|d| d.starts_with("sha256:"))
        .or(first_digests.first())
        .cloned()
        .unwrap_or_default();
    let first_subject_annotations = first.map(annotations_of).unwrap_or_default();
    Ok(Some(Statement {
        predicate_type,
        subject_digests: subjects.iter().flat_map(digests_of).collect(),
        first_subject_digest,
        first_subject_annotations,
        subjects: subjects
            .iter()
            .map(|s| {
                let sha256 = s
                    .get("digest")
                    .and_then(|d| d.get("sha256"))
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
                (sha256, annotations_of(s))
            })
            .collect(),
    }))
}

fn check_predicate_type(found: &str, expected: Option<&str>) -> Result<(), OciError> {
    match expected {
        Some(want) if want != found => Err(OciError::PredicateType {
            found: found.to_string(),
            expected: want.to_string(),
        }),
        _ => Ok(()),
    }
}

/// cosign's `VerifyBundle` for an attestation: the log entry's hash of the whole envelope
/// (`dsse` `envelopeHash`, `intoto` `content.hash`) must be SHA-256 of the layer blob, so the
/// blob is exactly what was logged (the payload and signatures are checked by the verifier).
fn check_logged_envelope_hash(body: &serde_json::Value, blob: &[u8]) -> Result<(), OciError> {
    let spec = body.get("spec");
    let kind = body.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    let hash = match kind {
        "dsse" => spec.and_then(|s| s.get("envelopeHash")),
        "intoto" => spec
            .and_then(|s| s.get("content"))
            .and_then(|c| c.get("hash")),
        other => {
            return Err(OciError::Payload(format!(
                "an attestation's log entry must be dsse or intoto, not {other:?}"
            )));
        }
    };
    let field = |name: &str| hash.and_then(|h| h.get(name)).and_then(|v| v.as_str());
    let want = signet_crypto::sha256(blob).to_hex();
    match (field("algorithm"), field("value")) {
        (Some("sha256"), Some(v)) if v.eq_ignore_ascii_case(&want) => Ok(()),
        (Some("sha256"), Some(v)) => Err(OciError::Payload(format!(
            "the log entry's envelope hash is {v}, but the layer's envelope hashes to {want}: \
             the envelope is not the one that was logged"
        ))),
        _ => Err(OciError::Payload(format!(
            "the {kind} log entry has no sha256 envelope hash"
        ))),
    }
}

fn parse_rfc3161_annotation(value: &str) -> Result<Vec<u8>, OciError> {
    let bad = |reason: String| OciError::Annotation {
        key: ANNOTATION_RFC3161,
        reason,
    };
    let v: serde_json::Value =
        serde_json::from_str(value).map_err(|e| bad(format!("not JSON: {e}")))?;
    let token = v
        .get("SignedRFC3161Timestamp")
        .and_then(|t| t.as_str())
        .ok_or_else(|| bad("no SignedRFC3161Timestamp".into()))?;
    b64::decode(token).map_err(|e| bad(e.to_string()))
}

/// The `RFC3161Timestamp` value cosign adds to `optional` (the annotation as parsed).
fn timestamps_value<'a>(
    get: impl Fn(&str) -> Option<&'a str>,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let v: serde_json::Value = serde_json::from_str(get(ANNOTATION_RFC3161)?).ok()?;
    let token = v.get("SignedRFC3161Timestamp")?.as_str()?;
    let mut m = serde_json::Map::new();
    m.insert("SignedRFC3161Timestamp".into(), token.into());
    Some(m)
}

/// One value of the `optional` map cosign prints.
#[derive(Serialize)]
#[serde(untagged)]
enum OptionalValue {
    Json(serde_json::Value),
    /// The RekorBundle, in Go field order.
    Raw(Box<serde_json::value::RawValue>),
}

/// The Fulcio extensions cosign copies into `optional` (`CertExtensionMap`) and prints in its
/// text output: OID, name, label.
const GITHUB_EXTENSIONS: &[(&str, &str, &str)] = &[
    (
        "1.3.6.1.4.1.57264.1.2",
        "githubWorkflowTrigger",
        "GitHub Workflow Trigger",
    ),
    (
        "1.3.6.1.4.1.57264.1.3",
        "githubWorkflowSha",
        "GitHub Workflow SHA",
    ),
    (
        "1.3.6.1.4.1.57264.1.4",
        "githubWorkflowName",
        "GitHub Workflow Name",
    ),
    (
        "1.3.6.1.4.1.57264.1.5",
        "githubWorkflowRepository",
        "GitHub Workflow Repository",
    ),
    (
        "1.3.6.1.4.1.57264.1.6",
        "githubWorkflowRef",
        "GitHub Workflow Ref",
    ),
];

/// What cosign shows of a signing certificate (`PrintVerification`).
struct CertInfo {
    /// The first SAN.
    subject: String,
    /// The deprecated issuer extension 1.1, as cosign's `GetIssuer` reads it.
    issuer: String,
    /// Present GitHub extensions: (OID, name, label, value).
    github: Vec<(&'static str, &'static str, &'static str, String)>,
}

impl CertInfo {
    fn of(cert: &signet_x509::Certificate, verified: &VerifiedBundle) -> Self {
        Self {
            subject: verified.sans().first().cloned().unwrap_or_default(),
            issuer: raw_extension(cert, OIDC_ISSUER_V1),
            github: GITHUB_EXTENSIONS
                .iter()
                .map(|(oid, name, label)| (*oid, *name, *label, raw_extension(cert, oid)))
                .filter(|(.., v)| !v.is_empty())
                .collect(),
        }
    }

    /// cosign's text-mode lines (stderr).
    fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("Certificate subject: {}", self.subject)];
        if !self.issuer.is_empty() {
            out.push(format!("Certificate issuer URL: {}", self.issuer));
        }
        out.extend(
            self.github
                .iter()
                .map(|(_, _, label, v)| format!("{label}: {v}")),
        );
        out
    }
}
const OIDC_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";

/// A Fulcio extension's raw value as Go's `string(ext.Value)` (`""` when absent).
fn raw_extension(cert: &signet_x509::Certificate, oid: &str) -> String {
    const_oid::ObjectIdentifier::new(oid)
        .ok()
        .and_then(|oid| cert.extension_value(&oid))
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default()
}

/// cosign's `PrintVerification` (json) for a legacy signature: the payload re-marshalled as
/// `SimpleContainerImage`, `optional` extended with `Subject`, `Issuer` and the GitHub
/// extensions (certificates), `Bundle` and `RFC3161Timestamp`.
fn legacy_signature_output(
    ss: &payload::SimpleSigning,
    cert: Option<&CertInfo>,
    rekor: &RekorBundleAnnotation,
    rfc3161: Option<serde_json::Map<String, serde_json::Value>>,
) -> Result<String, OciError> {
    let mut optional: BTreeMap<String, OptionalValue> = match &ss.optional {
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, v)| (k.clone(), OptionalValue::Json(v.clone())))
            .collect(),
        _ => BTreeMap::new(),
    };
    let text = |s: String| OptionalValue::Json(serde_json::Value::String(s));
    if let Some(cert) = cert {
        optional.insert("Subject".into(), text(cert.subject.clone()));
        if !cert.issuer.is_empty() {
            optional.insert("Issuer".into(), text(cert.issuer.clone()));
            optional.insert(OIDC_ISSUER_V1.into(), text(cert.issuer.clone()));
        }
        for (oid, name, _, v) in &cert.github {
            optional.insert((*name).into(), text(v.clone()));
            optional.insert((*oid).into(), text(v.clone()));
        }
    }
    let raw = serde_json::value::RawValue::from_string(rekor.to_json())
        .map_err(|e| OciError::Payload(e.to_string()))?;
    optional.insert("Bundle".into(), OptionalValue::Raw(raw));
    if let Some(ts) = rfc3161 {
        optional.insert(
            "RFC3161Timestamp".into(),
            OptionalValue::Json(serde_json::Value::Object(ts)),
        );
    }
    let kind = ss
        .json
        .get("critical")
        .and_then(|c| c.get("type"))
        .and_then(|t| t.as_str())
        .unwrap_or(SIMPLE_SIGNING_TYPE);
    payload::simple_container_image(
        &ss.docker_reference,
        &ss.digest.to_string(),
        kind,
        Some(optional),
    )
    .map_err(|e| OciError::Payload(e.to_string()))
}

/// The DSSE envelope as cosign v3 prints a bundle attestation: Go `encoding/json` of the
/// protobuf-specs `Envelope` (`payload`, `payloadType`, `signatures` with `sig` and a `keyid`
/// left out when empty).
fn go_envelope_json(env: &Envelope) -> Result<String, OciError> {
    #[derive(Serialize)]
    struct Sig {
        sig: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        keyid: String,
    }
    #[derive(Serialize)]
    struct Env<'a> {
        payload: String,
        #[serde(rename = "payloadType")]
        payload_type: &'a str,
        signatures: Vec<Sig>,
    }
    payload::go_json(&Env {
        payload: b64::encode(&env.payload),
        payload_type: &env.payload_type,
        signatures: env
            .signatures
            .iter()
            .map(|s| Sig {
                sig: b64::encode(&s.sig),
                keyid: s.keyid.clone(),
            })
            .collect(),
    })
    .map_err(|e| OciError::Payload(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::collections::BTreeMap;

    use signet_bundle::BundleJson;
    use signet_trust::TrustedRoot;
    use signet_verify::{EntryError, Matcher};

    use super::*;
    use crate::payload::{legacy_annotations, sign_statement, simple_signing};
    use crate::testutil::{Fixture, ISSUER, Signer, T};

    // The real keyed cosign signature of oci-images.md §2 (testdata/PROVENANCE.md).
    const IMAGE: &str = "sha256:2f0249ebb962c1281b791aafe68ec39caa2751eecad1c6a5042cbdc43548d764";
    const SIGNATURE: &str = "MEYCIQDXkREZ7yk7UEYMoYOhgl8LACNeEoWI3zIkc7EM54TolQIhANYkfFQR7OTWRI0kE3w/T1niR8rfKRc4MVFqOeUgoET7";
    const PUBLIC_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhc7sBROez+HYHd8oPGByXaS6A6xtULjNz8U5nGcCKRCPO/ClLWWJoHzgJiHuFkmlhyALCWCgj78R0nklX9Le2g==";
    const SET: &str = "MEYCIQDbEDDWL1V1g8wFf0Z5FXiz/CW9v21uaINxQdBGOVRGcgIhAI/MzDV/qUx+d96qnhpx6smUQUfvvEhQRUfYlsIwQ3RR";
    const INTEGRATED_TIME: i64 = 1754488662;
    const LOG_INDEX: i64 = 357097618;
    const LOG_ID: &str = "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d";
    const PUBLIC_GOOD: &[u8] = include_bytes!("../testdata/production_trusted_root.json");

    fn image() -> ImageDigest {
        ImageDigest::parse(IMAGE).unwrap()
    }

    /// The public key as Go's `pem.Encode` writes it (64-column lines).
    fn public_key_pem() -> String {
        let lines: Vec<&str> = PUBLIC_KEY
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }

    /// The canonical hashedrekord 0.0.1 body Rekor stored for the §2 signature.
    fn real_body() -> String {
        let hash = "bc59dffae964a8135399a8bc1897d79ac216b01007f52cb8e96a053d04395613";
        let key = b64::encode(public_key_pem());
        format!(
            r#"{{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{{"data":{{"hash":{{"algorithm":"sha256","value":"{hash}"}}}},"signature":{{"content":"{SIGNATURE}","publicKey":{{"content":"{key}"}}}}}}}}"#
        )
    }

    fn real_rekor() -> RekorBundleAnnotation {
        RekorBundleAnnotation {
            signed_entry_timestamp: b64::decode(SET).unwrap(),
            body: b64::encode(real_body()),
            integrated_time: INTEGRATED_TIME,
            log_index: LOG_INDEX,
            log_id: LOG_ID.into(),
        }
    }

    fn layer(
        media_type: &str,
        payload: &[u8],
        annotations: &BTreeMap<String, String>,
    ) -> Descriptor {
        serde_json::from_value(serde_json::json!({
            "mediaType": media_type,
            "size": payload.len(),
            "digest": ImageDigest::of(payload).to_string(),
            "annotations": annotations,
        }))
        .unwrap()
    }

    fn real_payload() -> Vec<u8> {
        simple_signing("localhost:5000/demo", &image(), &BTreeMap::new())
    }

    fn real_annotations(
        rekor: &RekorBundleAnnotation,
        signature: &str,
    ) -> BTreeMap<String, String> {
        let mut a = legacy_annotations(None, None, None, Some(rekor), None);
        a.insert(ANNOTATION_SIGNATURE.into(), signature.into());
        a
    }

    fn key_identity() -> Identity {
        Identity::Key(signet_crypto::PublicKey::from_pem(&public_key_pem()).unwrap())
    }

    fn verify_real(
        payload: &[u8],
        rekor: &RekorBundleAnnotation,
        signature: &str,
        image: &ImageDigest,
    ) -> Result<VerifiedImageSignature, OciError> {
        let root = TrustedRoot::from_json(PUBLIC_GOOD).unwrap();
        let verifier = Verifier::new(&root).unwrap();
        let l = layer(
            media::SIMPLE_SIGNING,
            payload,
            &real_annotations(rekor, signature),
        );
        verify_legacy_layer(
            &l,
            payload,
            image,
            &verifier,
            &key_identity(),
            &Expect::Signature,
        )
    }

    fn tlog_error(r: Result<VerifiedImageSignature, OciError>) -> EntryError {
        match r {
            Err(OciError::Verify(VerifyError::Tlog { source, .. })) => source,
            other => panic!("expected a log entry error, got {other:?}"),
        }
    }

    fn flip(s: &str, at: usize) -> String {
        let mut b = s.as_bytes().to_vec();
        b[at] = if b[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn real_rekor_body_and_set() {
        let body = real_body();
        assert!(
            b64::encode(&body).starts_with(
                "eyJhcGlWZXJzaW9uIjoiMC4wLjEiLCJraW5kIjoiaGFzaGVkcmVrb3JkIiwic3BlYyI6"
            )
        );
        // The SET signs exactly this body, time, index and log ID with rekor.sigstore.dev's key.
        let root = TrustedRoot::from_json(PUBLIC_GOOD).unwrap();
        let log_id = hex::decode(LOG_ID).unwrap();
        let log = root.tlog(&log_id).unwrap();
        assert_eq!(log.base_url, "https://rekor.sigstore.dev");
        let key = log.key.usable().unwrap();
        let set = b64::decode(SET).unwrap();
        let payload =
            |body: &str, t: i64, i: i64| signet_rekor::set_payload(body.as_bytes(), t, &log_id, i);
        signet_rekor::verify_set(key, &payload(&body, INTEGRATED_TIME, LOG_INDEX), &set).unwrap();
        assert!(
            signet_rekor::verify_set(key, &payload(&body, INTEGRATED_TIME + 1, LOG_INDEX), &set)
                .is_err()
        );
        assert!(
            signet_rekor::verify_set(
                key,
                &payload(&format!("{body} "), INTEGRATED_TIME, LOG_INDEX),
                &set
            )
            .is_err()
        );
        // The annotation cosign wrote, byte for byte.
        assert!(real_rekor().to_json().starts_with(&format!(
            r#"{{"SignedEntryTimestamp":"{SET}","Payload":{{"body":"eyJhcGlWZXJzaW9uIjoiMC4wLjEiLCJraW5kIjoiaGFzaGVkcmVrb3JkIiwic3BlYyI6"#
        )));
        assert!(real_rekor().to_json().ends_with(&format!(
            r#"","integratedTime":1754488662,"logIndex":357097618,"logID":"{LOG_ID}"}}}}"#
        )));
    }

    #[test]
    fn real_legacy_signature_verifies() {
        let v = verify_real(&real_payload(), &real_rekor(), SIGNATURE, &image()).unwrap();
        assert_eq!(v.format, Format::Legacy);
        assert_eq!(v.predicate_type, None);
        let [entry] = v.bundle.entries() else {
            panic!("one entry")
        };
        assert_eq!(entry.log_index.0, 357097618);
        assert_eq!(
            entry.integrated_time,
            Some(signet_types::UnixSeconds(INTEGRATED_TIME))
        );
        // cosign verify's JSON: the payload with optional.Bundle (the annotation, Go field
        // order), and no Subject/Issuer for a key.
        assert_eq!(
            v.output_json,
            format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"localhost:5000/demo"}},"image":{{"docker-manifest-digest":"{IMAGE}"}},"type":"cosign container image signature"}},"optional":{{"Bundle":{}}}}}"#,
                real_rekor().to_json()
            )
        );
        assert_eq!(
            v.output["optional"]["Bundle"]["Payload"]["logIndex"],
            LOG_INDEX
        );
        // A key: no certificate lines; no signed annotations to satisfy `-a`.
        assert!(v.certificate_lines.is_empty());
        check_annotations(&v, &BTreeMap::new()).unwrap();
        let mut want = BTreeMap::new();
        want.insert("env".to_string(), "prod".to_string());
        assert!(check_annotations(&v, &want).is_err());
        let line = v.output_json.clone();
        assert_eq!(verify_stdout(&[v]), format!("\n[{line}]\n"));
    }

    #[test]
    fn real_legacy_signature_mutations_are_refused() {
        let good = real_rekor();
        // Payload: another byte (the reference) no longer matches the logged hash.
        let mut p = real_payload();
        p[45] ^= 1;
        assert!(matches!(
            tlog_error(verify_real(&p, &good, SIGNATURE, &image())),
            EntryError::BundleMismatch(_)
        ));
        // Signature annotation: not the logged signature.
        let e = verify_real(&real_payload(), &good, &flip(SIGNATURE, 20), &image());
        assert!(matches!(tlog_error(e), EntryError::BundleMismatch(_)));
        // SET.
        let mut r = good.clone();
        r.signed_entry_timestamp[20] ^= 1;
        assert!(matches!(
            tlog_error(verify_real(&real_payload(), &r, SIGNATURE, &image())),
            EntryError::SignedEntryTimestamp(_)
        ));
        // Body: same content, one more byte (the SET covers the exact bytes).
        let mut r = good.clone();
        r.body = b64::encode(format!("{} ", real_body()));
        assert!(matches!(
            tlog_error(verify_real(&real_payload(), &r, SIGNATURE, &image())),
            EntryError::SignedEntryTimestamp(_)
        ));
        // Body: another digest inside.
        let mut r = good.clone();
        r.body = b64::encode(real_body().replace("bc59", "bc58"));
        assert!(matches!(
            tlog_error(verify_real(&real_payload(), &r, SIGNATURE, &image())),
            EntryError::BundleMismatch(_)
        ));
        // Log ID: no such log in the trusted root.
        let mut r = good.clone();
        r.log_id = flip(LOG_ID, 3);
        assert!(matches!(
            tlog_error(verify_real(&real_payload(), &r, SIGNATURE, &image())),
            EntryError::UnknownLog { .. }
        ));
        // Integrated time and log index are signed too.
        let mut r = good.clone();
        r.integrated_time += 1;
        assert!(matches!(
            tlog_error(verify_real(&real_payload(), &r, SIGNATURE, &image())),
            EntryError::SignedEntryTimestamp(_)
        ));
        let mut r = good.clone();
        r.log_index += 1;
        assert!(matches!(
            tlog_error(verify_real(&real_payload(), &r, SIGNATURE, &image())),
            EntryError::SignedEntryTimestamp(_)
        ));
        // Another image: everything verifies but the payload names another digest.
        let other = ImageDigest::of(b"another manifest");
        match verify_real(&real_payload(), &good, SIGNATURE, &other) {
            Err(OciError::WrongDigest { signed, image: i }) => {
                assert_eq!(signed, IMAGE);
                assert_eq!(i, other.to_string());
            }
            r => panic!("{r:?}"),
        }
        // Another key.
        let root = TrustedRoot::from_json(PUBLIC_GOOD).unwrap();
        let verifier = Verifier::new(&root).unwrap();
        let other_key = signet_crypto::SigningKey::generate_p256().unwrap();
        let l = layer(
            media::SIMPLE_SIGNING,
            &real_payload(),
            &real_annotations(&good, SIGNATURE),
        );
        let e = verify_legacy_layer(
            &l,
            &real_payload(),
            &image(),
            &verifier,
            &Identity::Key(other_key.public_key().clone()),
            &Expect::Signature,
        );
        assert!(matches!(tlog_error(e), EntryError::BundleMismatch(_)));
        // No bundle annotation: signet does not look the entry up online.
        let mut a = real_annotations(&good, SIGNATURE);
        a.remove(ANNOTATION_BUNDLE);
        let l = layer(media::SIMPLE_SIGNING, &real_payload(), &a);
        let e = verify_legacy_layer(
            &l,
            &real_payload(),
            &image(),
            &verifier,
            &key_identity(),
            &Expect::Signature,
        )
        .unwrap_err();
        assert!(
            matches!(
                &e,
                OciError::Annotation {
                    key: ANNOTATION_BUNDLE,
                    ..
                }
            ) && e.to_string().contains("offline"),
            "{e}"
        );
        // A signature layer is not an attestation.
        let l = layer(
            media::SIMPLE_SIGNING,
            &real_payload(),
            &real_annotations(&good, SIGNATURE),
        );
        assert!(matches!(
            verify_legacy_layer(
                &l,
                &real_payload(),
                &image(),
                &verifier,
                &key_identity(),
                &Expect::Attestation(None)
            ),
            Err(OciError::Payload(_))
        ));
    }

    // ---- fixtures: keyless and attestations, real signatures from an in-process CA and log.

    fn keyless_identity(email: &str) -> Identity {
        Identity::Certificate {
            san: Matcher::Exact(email.into()),
            issuer: Matcher::Exact(ISSUER.into()),
        }
    }

    fn cert_pem(s: &Signer) -> String {
        s.pem()
    }

    /// The fixture CA and log, their trusted root, and a keyless signer alice@example.com.
    fn setup() -> (Fixture, TrustedRoot, Signer) {
        let fx = Fixture::new();
        let root = fx.trusted_root();
        let alice = fx.keyless("alice@example.com");
        (fx, root, alice)
    }

    #[test]
    fn bundle_referrer_over_the_sign_statement() {
        let (fx, root, alice) = setup();
        let verifier = Verifier::new(&root).unwrap();
        let d = ImageDigest::of(b"manifest one");
        let mut ann = BTreeMap::new();
        ann.insert("env".to_string(), "prod".to_string());
        let bundle = fx.dsse_bundle(&alice, &sign_statement("reg.example/app", &d, &ann));
        let id = keyless_identity("alice@example.com");
        let name = "reg.test/app:v1";

        let v =
            verify_bundle_referrer(&bundle, &d, name, &verifier, &id, &Expect::Signature).unwrap();
        assert_eq!(v.format, Format::Bundle);
        assert_eq!(v.predicate_type.as_deref(), Some(COSIGN_SIGN_PREDICATE));
        assert_eq!(v.bundle.sans(), ["alice@example.com"]);
        assert_eq!(v.bundle.times(), [signet_types::UnixSeconds(T + 60)]);
        // `-a env=prod` is satisfied by the subject's annotations, `-a env=dev` is not.
        check_annotations(&v, &ann).unwrap();
        let mut wrong = ann.clone();
        wrong.insert("env".into(), "dev".into());
        assert!(check_annotations(&v, &wrong).is_err());
        // cosign keeps no certificate for bundle-format results.
        assert!(v.certificate_lines.is_empty());
        // cosign v3's transformOutput: the statement as simple signing.
        assert_eq!(
            v.output_json,
            format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"{name}"}},"image":{{"docker-manifest-digest":"{d}"}},"type":"https://sigstore.dev/cosign/sign/v1"}},"optional":{{"env":"prod"}}}}"#
            )
        );
        // Any attestation, or one of this type, also verifies.
        for expect in [
            Expect::Attestation(None),
            Expect::Attestation(Some(COSIGN_SIGN_PREDICATE.into())),
        ] {
            let v = verify_bundle_referrer(&bundle, &d, name, &verifier, &id, &expect).unwrap();
            assert_eq!(v.output["payloadType"], IN_TOTO_PAYLOAD_TYPE);
        }

        // Another image.
        let other = ImageDigest::of(b"manifest two");
        match verify_bundle_referrer(&bundle, &other, name, &verifier, &id, &Expect::Signature) {
            Err(OciError::WrongDigest { signed, image }) => {
                assert_eq!(signed, d.to_string());
                assert_eq!(image, other.to_string());
            }
            r => panic!("{r:?}"),
        }
        // Another predicate type asked for.
        let e = verify_bundle_referrer(
            &bundle,
            &d,
            name,
            &verifier,
            &id,
            &Expect::Attestation(Some("https://slsa.dev/provenance/v1".into())),
        );
        assert!(
            matches!(&e, Err(OciError::PredicateType { found, expected })
                if found == COSIGN_SIGN_PREDICATE && expected == "https://slsa.dev/provenance/v1"),
            "{e:?}"
        );
        // Another signer or issuer.
        for wrong in [
            keyless_identity("mallory@example.com"),
            Identity::Certificate {
                san: Matcher::Exact("alice@example.com".into()),
                issuer: Matcher::Exact("https://other.example".into()),
            },
        ] {
            let e =
                verify_bundle_referrer(&bundle, &d, name, &verifier, &wrong, &Expect::Signature);
            assert!(
                matches!(e, Err(OciError::Verify(VerifyError::Identity(_)))),
                "{e:?}"
            );
        }
        // An attestation of another type is not an image signature.
        let att = payload::attestation_statement(
            payload::StatementVersion::V01,
            "reg.test/app",
            &d,
            "https://slsa.dev/provenance/v1",
            &serde_json::json!({"buildType": "x"}),
        )
        .unwrap();
        let att_bundle = fx.dsse_bundle(&alice, &att);
        assert!(matches!(
            verify_bundle_referrer(&att_bundle, &d, name, &verifier, &id, &Expect::Signature),
            Err(OciError::PredicateType { .. })
        ));
        let v = verify_bundle_referrer(
            &att_bundle,
            &d,
            name,
            &verifier,
            &id,
            &Expect::Attestation(Some("https://slsa.dev/provenance/v1".into())),
        )
        .unwrap();
        assert_eq!(
            v.predicate_type.as_deref(),
            Some("https://slsa.dev/provenance/v1")
        );
        // Not a bundle; a bundle older than v0.3.
        assert!(matches!(
            verify_bundle_referrer(b"{}", &d, name, &verifier, &id, &Expect::Signature),
            Err(OciError::Bundle(_))
        ));
        let mut old: serde_json::Value = serde_json::from_slice(&bundle).unwrap();
        let vm = &mut old["verificationMaterial"];
        let cert = vm["certificate"].take();
        vm["x509CertificateChain"] = serde_json::json!({ "certificates": [cert] });
        vm.as_object_mut().unwrap().remove("certificate");
        old["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2".into();
        let e = verify_bundle_referrer(
            &serde_json::to_vec(&old).unwrap(),
            &d,
            name,
            &verifier,
            &id,
            &Expect::Signature,
        )
        .unwrap_err();
        assert!(e.to_string().contains("older than v0.3"), "{e}");
        // The other v0.3 spelling is the same bundle.
        let mut old: serde_json::Value = serde_json::from_slice(&bundle).unwrap();
        old["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.3".into();
        verify_bundle_referrer(
            &serde_json::to_vec(&old).unwrap(),
            &d,
            name,
            &verifier,
            &id,
            &Expect::Signature,
        )
        .unwrap();
    }

    #[test]
    fn bundle_referrer_message_signature() {
        let (fx, root, _) = setup();
        let verifier = Verifier::new(&root).unwrap();
        let signer = Signer {
            key: signet_crypto::SigningKey::generate_p256().unwrap(),
            leaf: None,
        };
        let manifest = b"{\"schemaVersion\":2}";
        let d = ImageDigest::of(manifest);
        let (sig, entry) = fx.log_message(&signer, manifest);
        let bundle = serde_json::to_vec(&BundleJson::message_signature_v03(
            signer.material(),
            entry,
            d.hash().as_bytes(),
            &sig,
        ))
        .unwrap();
        let id = Identity::Key(signer.key.public_key().clone());
        let v = verify_bundle_referrer(
            &bundle,
            &d,
            "r/x@sha256:1",
            &verifier,
            &id,
            &Expect::Signature,
        )
        .unwrap();
        assert_eq!(v.output["critical"]["type"], SIMPLE_SIGNING_TYPE);
        assert_eq!(
            v.output["critical"]["image"]["docker-manifest-digest"],
            d.to_string()
        );
        let other = ImageDigest::of(b"other");
        assert!(matches!(
            verify_bundle_referrer(&bundle, &other, "r", &verifier, &id, &Expect::Signature),
            Err(OciError::WrongDigest { .. })
        ));
        assert!(matches!(
            verify_bundle_referrer(&bundle, &d, "r", &verifier, &id, &Expect::Attestation(None)),
            Err(OciError::PredicateType { .. })
        ));
    }

    #[test]
    fn legacy_keyless_signature() {
        let (fx, root, alice) = setup();
        let verifier = Verifier::new(&root).unwrap();
        let d = ImageDigest::of(b"manifest");
        let mut ann = BTreeMap::new();
        ann.insert("team".to_string(), "a&b".to_string());
        let payload = simple_signing("reg.test/app", &d, &ann);
        let (sig, entry) = fx.log_message(&alice, &payload);
        let rekor = RekorBundleAnnotation::from_tlog_entry(&entry).unwrap();
        let a = legacy_annotations(
            Some(&sig),
            Some(&cert_pem(&alice)),
            None,
            Some(&rekor),
            None,
        );
        let l = layer(media::SIMPLE_SIGNING, &payload, &a);
        let id = keyless_identity("alice@example.com");
        let v = verify_legacy_layer(&l, &payload, &d, &verifier, &id, &Expect::Signature).unwrap();
        // cosign verify adds Subject, Issuer (and its OID) and Bundle to optional.
        let opt = &v.output["optional"];
        assert_eq!(opt["Subject"], "alice@example.com");
        assert_eq!(opt["Issuer"], ISSUER);
        assert_eq!(opt["1.3.6.1.4.1.57264.1.1"], ISSUER);
        assert_eq!(opt["Bundle"]["Payload"]["logID"], rekor.log_id);
        assert_eq!(opt["team"], "a&b");
        assert!(
            v.output_json
                .ends_with(r#","Subject":"alice@example.com","team":"a\u0026b"}}"#)
        );
        check_annotations(&v, &ann).unwrap();
        assert_eq!(
            v.certificate_lines,
            [
                "Certificate subject: alice@example.com",
                "Certificate issuer URL: https://issuer.example"
            ]
        );
        assert!(
            v.output_json.contains(&format!(
                r#","optional":{{"1.3.6.1.4.1.57264.1.1":"{ISSUER}","Bundle":{},"Issuer""#,
                rekor.to_json()
            )),
            "{}",
            v.output_json
        );
        // Another identity; a key where a certificate signed.
        assert!(matches!(
            verify_legacy_layer(
                &l,
                &payload,
                &d,
                &verifier,
                &keyless_identity("bob@example.com"),
                &Expect::Signature
            ),
            Err(OciError::Verify(VerifyError::Identity(_)))
        ));
        let other_key = signet_crypto::SigningKey::generate_p256().unwrap();
        assert!(
            verify_legacy_layer(
                &l,
                &payload,
                &d,
                &verifier,
                &Identity::Key(other_key.public_key().clone()),
                &Expect::Signature
            )
            .is_err()
        );
        // Another image.
        assert!(matches!(
            verify_legacy_layer(
                &l,
                &payload,
                &ImageDigest::of(b"x"),
                &verifier,
                &id,
                &Expect::Signature
            ),
            Err(OciError::WrongDigest { .. })
        ));
    }

    #[test]
    fn legacy_attestation() {
        let (fx, root, alice) = setup();
        let verifier = Verifier::new(&root).unwrap();
        let d = ImageDigest::of(b"manifest");
        let t = "https://cyclonedx.org/bom";
        let statement = payload::attestation_statement(
            payload::StatementVersion::V01,
            "reg.test/app",
            &d,
            t,
            &serde_json::json!({"bomFormat": "CycloneDX"}),
        )
        .unwrap();
        let env = alice.envelope(&statement);
        let (blob, entry) = fx.log_dsse(&alice, &env);
        let rekor = RekorBundleAnnotation::from_tlog_entry(&entry).unwrap();
        let a = legacy_annotations(
            None,
            Some(&cert_pem(&alice)),
            Some(""),
            Some(&rekor),
            Some(t),
        );
        let id = keyless_identity("alice@example.com");
        let check = |blob: &[u8], image: &ImageDigest, expect: &Expect| {
            let l = layer(media::DSSE_ENVELOPE, blob, &a);
            verify_legacy_layer(&l, blob, image, &verifier, &id, expect)
        };
        let v = check(blob.as_bytes(), &d, &Expect::Attestation(Some(t.into()))).unwrap();
        assert_eq!(v.predicate_type.as_deref(), Some(t));
        // verify-attestation prints the envelope as stored.
        assert_eq!(v.output_json, blob);
        assert_eq!(attestation_stdout(&[v]), format!("{blob}\n"));
        check(blob.as_bytes(), &d, &Expect::Attestation(None)).unwrap();

        assert!(matches!(
            check(
                blob.as_bytes(),
                &d,
                &Expect::Attestation(Some("https://spdx.dev/Document".into()))
            ),
            Err(OciError::PredicateType { .. })
        ));
        match check(
            blob.as_bytes(),
            &ImageDigest::of(b"x"),
            &Expect::Attestation(None),
        ) {
            Err(OciError::WrongDigest { signed, .. }) => assert_eq!(signed, d.to_string()),
            r => panic!("{r:?}"),
        }
        // The same envelope re-serialized (same payload and signature) is not the logged blob:
        // the entry's envelopeHash covers the exact bytes.
        let pretty = serde_json::to_string_pretty(&env.to_json()).unwrap();
        let e = check(pretty.as_bytes(), &d, &Expect::Attestation(None)).unwrap_err();
        assert!(e.to_string().contains("not the one that was logged"), "{e}");
        // A DSSE layer is not a signature.
        assert!(matches!(
            check(blob.as_bytes(), &d, &Expect::Signature),
            Err(OciError::Payload(_))
        ));
    }

    /// A key-signed attestation logged as `intoto` 0.0.2 (cosign's `--rekor-entry-type
    /// intoto`): its `content.hash` binds the exact envelope bytes.
    #[test]
    fn legacy_attestation_intoto_entry() {
        let (fx, root, _) = setup();
        let verifier = Verifier::new(&root).unwrap();
        let signer = Signer {
            key: signet_crypto::SigningKey::generate_p256().unwrap(),
            leaf: None,
        };
        let d = ImageDigest::of(b"manifest");
        let t = payload::COSIGN_CUSTOM_PREDICATE;
        let predicate = payload::custom_predicate(b"hello", "2026-12-02T04:00:00Z").unwrap();
        let statement = payload::attestation_statement(
            payload::StatementVersion::V01,
            "reg.test/app",
            &d,
            t,
            &predicate,
        )
        .unwrap();
        let env = signer.envelope(&statement);
        let (blob, entry) = fx.log_envelope(&signer, &env, "intoto");
        assert_eq!(entry.kind_version.kind, "intoto");
        let rekor = RekorBundleAnnotation::from_tlog_entry(&entry).unwrap();
        let a = legacy_annotations(None, None, None, Some(&rekor), Some(t));
        let id = Identity::Key(signer.key.public_key().clone());
        let check = |blob: &[u8]| {
            let l = layer(media::DSSE_ENVELOPE, blob, &a);
            verify_legacy_layer(
                &l,
                blob,
                &d,
                &verifier,
                &id,
                &Expect::Attestation(Some(t.into())),
            )
        };
        let v = check(blob.as_bytes()).unwrap();
        assert!(v.certificate_lines.is_empty());
        let pretty = serde_json::to_string_pretty(&env.to_json()).unwrap();
        let e = check(pretty.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("not the one that was logged"), "{e}");
    }

    #[test]
    fn cosign_header_lines() {
        let key = Checks::performed(&key_identity(), false);
        assert_eq!(
            verification_header("localhost:5000/demo:latest", &key),
            "\nVerification for localhost:5000/demo:latest --\n\
             The following checks were performed on each of these signatures:\n  \
             - The cosign claims were validated\n  \
             - Existence of the claims in the transparency log was verified offline\n  \
             - The signatures were verified against the specified public key\n"
        );
        let keyless = Checks::performed(&keyless_identity("a@b"), true);
        assert_eq!(
            verification_header("r/x", &keyless),
            "\nVerification for r/x --\n\
             The following checks were performed on each of these signatures:\n  \
             - The specified annotations were verified.\n  \
             - The cosign claims were validated\n  \
             - Existence of the claims in the transparency log was verified offline\n  \
             - The code-signing certificate was verified using trusted certificate authority certificates\n"
        );
    }
}
