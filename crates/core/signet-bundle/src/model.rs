//! Decoded, version-checked bundle.

use signet_types::dsse::Envelope;
use signet_types::{LogIndex, Sha256Hash, TreeSize, b64, limits};

use crate::wire::{self, BundleJson, TlogEntryJson};

/// Why a bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The document is larger than [`limits::MAX_JSON_DOCUMENT`].
    #[error("bundle is {size} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Size supplied.
        size: usize,
        /// Limit.
        max: usize,
    },
    /// Not JSON, or JSON of the wrong shape.
    #[error("malformed bundle JSON: {0}")]
    Json(String),
    /// The media type names no bundle version signet knows.
    #[error("unsupported bundle media type {0:?}")]
    UnknownMediaType(String),
    /// A base64 field did not decode.
    #[error("bundle field {field}: {reason}")]
    Base64 {
        /// JSON path of the field.
        field: &'static str,
        /// Decoder message.
        reason: String,
    },
    /// A required field is absent or empty.
    #[error("bundle is missing {0}")]
    Missing(&'static str),
    /// A field has an impossible value.
    #[error("bundle field {field} is invalid: {reason}")]
    Invalid {
        /// JSON path of the field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A fixed limit on untrusted input was exceeded.
    #[error("bundle has {count} {what}, more than the limit of {max}")]
    Limit {
        /// What was counted.
        what: &'static str,
        /// How many.
        count: usize,
        /// Limit.
        max: usize,
    },
}

/// Bundle format version, from the media type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum BundleVersion {
    /// v0.1: inclusion promise required.
    V01,
    /// v0.2: inclusion proof required.
    V02,
    /// v0.3: inclusion proof required; single `certificate` allowed.
    V03,
}

impl BundleVersion {
    /// Reads the version from a media type string.
    pub fn from_media_type(media_type: &str) -> Result<Self, BundleError> {
        match media_type {
            wire::MEDIA_TYPE_V01 => Ok(Self::V01),
            wire::MEDIA_TYPE_V02 => Ok(Self::V02),
            wire::MEDIA_TYPE_V03 | wire::MEDIA_TYPE_V03_ALT => Ok(Self::V03),
            other => Err(BundleError::UnknownMediaType(other.to_string())),
        }
    }
}

/// Who signed: a certificate (keyless) or a managed key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerificationMaterial {
    /// A managed key, known to the verifier out of band. `hint` is informational.
    PublicKey {
        /// Key hint from the bundle.
        hint: String,
    },
    /// A signing certificate (DER), with any further chain certificates the bundle carried.
    Certificate {
        /// Leaf certificate DER.
        leaf: Vec<u8>,
        /// Further certificates from `x509CertificateChain`, in bundle order.
        chain: Vec<Vec<u8>>,
    },
}

/// Entry kind and version as claimed by the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KindVersion {
    /// e.g. `hashedrekord`.
    pub kind: String,
    /// e.g. `0.0.1`.
    pub version: String,
}

/// An inclusion proof with its checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// Leaf index within the tree (shard-local for Rekor v1).
    pub log_index: LogIndex,
    /// Root the proof leads to.
    pub root_hash: Sha256Hash,
    /// Tree size.
    pub tree_size: TreeSize,
    /// Audit path, leaf to root.
    pub hashes: Vec<Sha256Hash>,
    /// Signed note text of the checkpoint. Required from v0.2 on (checked by the verifier, after
    /// the proof itself, so the error names the more specific failure).
    pub checkpoint: Option<String>,
}

/// A transparency-log entry carried by the bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogEntry {
    /// Global log index.
    pub log_index: LogIndex,
    /// Log ID bytes (SHA-256 of the log key, or the Rekor v2 key ID).
    pub log_id: Vec<u8>,
    /// Claimed kind and version.
    pub kind_version: KindVersion,
    /// Integrated time (Unix seconds); `None` when absent (Rekor v2).
    pub integrated_time: Option<i64>,
    /// Signed entry timestamp, if any.
    pub signed_entry_timestamp: Option<Vec<u8>>,
    /// Inclusion proof, if any.
    pub inclusion_proof: Option<InclusionProof>,
    /// Canonical body bytes.
    pub canonicalized_body: Vec<u8>,
}

/// A signature over an artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageSignature {
    /// Digest hint: algorithm name (`SHA2_256`, ...) and bytes.
    pub digest: Option<(String, Vec<u8>)>,
    /// Signature bytes.
    pub signature: Vec<u8>,
}

/// What was signed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Content {
    /// A detached signature over an artifact.
    MessageSignature(MessageSignature),
    /// A DSSE envelope.
    Dsse(Envelope),
}

/// A decoded bundle that satisfies its version's structural rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// Format version.
    pub version: BundleVersion,
    /// Media type as written.
    pub media_type: String,
    /// Certificate or key.
    pub material: VerificationMaterial,
    /// Log entries.
    pub tlog_entries: Vec<TlogEntry>,
    /// RFC 3161 timestamp tokens (DER).
    pub rfc3161_timestamps: Vec<Vec<u8>>,
    /// Signed content.
    pub content: Content,
}

fn b64_field(field: &'static str, s: &str) -> Result<Vec<u8>, BundleError> {
    b64::decode(s).map_err(|e| BundleError::Base64 {
        field,
        reason: e.to_string(),
    })
}

fn hash_field(field: &'static str, s: &str) -> Result<Sha256Hash, BundleError> {
    let bytes = b64_field(field, s)?;
    Sha256Hash::from_slice(&bytes).map_err(|e| BundleError::Invalid {
        field,
        reason: e.to_string(),
    })
}

fn non_negative(field: &'static str, v: i64) -> Result<u64, BundleError> {
    u64::try_from(v).map_err(|_| BundleError::Invalid {
        field,
        reason: format!("{v} is negative"),
    })
}

impl Bundle {
    /// Parses and checks a bundle document.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BundleError> {
        if bytes.len() > limits::MAX_JSON_DOCUMENT {
            return Err(BundleError::TooLarge {
                size: bytes.len(),
                max: limits::MAX_JSON_DOCUMENT,
            });
        }
        let wire: BundleJson =
            serde_json::from_slice(bytes).map_err(|e| BundleError::Json(e.to_string()))?;
        Self::from_wire(&wire)
    }

    /// Checks and decodes an already-deserialized bundle.
    pub fn from_wire(wire: &BundleJson) -> Result<Self, BundleError> {
        let version = BundleVersion::from_media_type(&wire.media_type)?;
        let vm = wire
            .verification_material
            .as_ref()
            .ok_or(BundleError::Missing("verificationMaterial"))?;

        let material = match (&vm.public_key, &vm.x509_certificate_chain, &vm.certificate) {
            (Some(pk), None, None) => VerificationMaterial::PublicKey {
                hint: pk.hint.clone(),
            },
            (None, Some(chain), None) => {
                if chain.certificates.len() > limits::MAX_CERTS_PER_CHAIN {
                    return Err(BundleError::Limit {
                        what: "chain certificates",
                        count: chain.certificates.len(),
                        max: limits::MAX_CERTS_PER_CHAIN,
                    });
                }
                let mut certs = chain
                    .certificates
                    .iter()
                    .map(|c| b64_field("x509CertificateChain.certificates.rawBytes", &c.raw_bytes))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter();
                let leaf = certs
                    .next()
                    .ok_or(BundleError::Missing("certificates in x509CertificateChain"))?;
                if leaf.is_empty() {
                    return Err(BundleError::Missing("leaf certificate bytes"));
                }
                VerificationMaterial::Certificate {
                    leaf,
                    chain: certs.collect(),
                }
            }
            (None, None, Some(cert)) => {
                if version < BundleVersion::V03 {
                    return Err(BundleError::Invalid {
                        field: "verificationMaterial.certificate",
                        reason: "a single certificate needs bundle v0.3 or later".into(),
                    });
                }
                let leaf = b64_field("certificate.rawBytes", &cert.raw_bytes)?;
                if leaf.is_empty() {
                    return Err(BundleError::Missing("certificate bytes"));
                }
                VerificationMaterial::Certificate {
                    leaf,
                    chain: Vec::new(),
                }
            }
            (None, None, None) => {
                return Err(BundleError::Missing(
                    "certificate, certificate chain or public key",
                ));
            }
            _ => {
                return Err(BundleError::Invalid {
                    field: "verificationMaterial",
                    reason: "more than one of publicKey, x509CertificateChain, certificate".into(),
                });
            }
        };

        if vm.tlog_entries.len() > limits::MAX_TLOG_ENTRIES {
            return Err(BundleError::Limit {
                what: "tlog entries",
                count: vm.tlog_entries.len(),
                max: limits::MAX_TLOG_ENTRIES,
            });
        }
        let tlog_entries = vm
            .tlog_entries
            .iter()
            .map(|e| decode_entry(e, version))
            .collect::<Result<Vec<_>, _>>()?;

        let stamps = vm
            .timestamp_verification_data
            .as_ref()
            .map(|t| t.rfc3161_timestamps.as_slice())
            .unwrap_or_default();
        if stamps.len() > limits::MAX_TIMESTAMPS {
            return Err(BundleError::Limit {
                what: "RFC 3161 timestamps",
                count: stamps.len(),
                max: limits::MAX_TIMESTAMPS,
            });
        }
        let rfc3161_timestamps = stamps
            .iter()
            .map(|t| b64_field("rfc3161Timestamps.signedTimestamp", &t.signed_timestamp))
            .collect::<Result<Vec<_>, _>>()?;

        let content = match (&wire.message_signature, &wire.dsse_envelope) {
            (Some(ms), None) => {
                let signature = b64_field("messageSignature.signature", &ms.signature)?;
                if signature.is_empty() {
                    return Err(BundleError::Missing("messageSignature.signature"));
                }
                let digest = ms
                    .message_digest
                    .as_ref()
                    .map(|d| {
                        let bytes = b64_field("messageDigest.digest", &d.digest)?;
                        // protobuf-specs HashAlgorithm names; protojson rejects unknown ones.
                        let len = match d.algorithm.as_str() {
                            "SHA2_256" | "SHA3_256" => 32,
                            "SHA2_384" | "SHA3_384" => 48,
                            "SHA2_512" => 64,
                            other => {
                                return Err(BundleError::Invalid {
                                    field: "messageDigest.algorithm",
                                    reason: format!("unknown hash algorithm {other:?}"),
                                });
                            }
                        };
                        if bytes.len() != len {
                            return Err(BundleError::Invalid {
                                field: "messageDigest.digest",
                                reason: format!("{} bytes for {}", bytes.len(), d.algorithm),
                            });
                        }
                        Ok((d.algorithm.clone(), bytes))
                    })
                    .transpose()?;
                Content::MessageSignature(MessageSignature { digest, signature })
            }
            (None, Some(env)) => {
                Content::Dsse(Envelope::try_from(env).map_err(|e| BundleError::Base64 {
                    field: "dsseEnvelope",
                    reason: e.to_string(),
                })?)
            }
            (None, None) => return Err(BundleError::Missing("messageSignature or dsseEnvelope")),
            (Some(_), Some(_)) => {
                return Err(BundleError::Invalid {
                    field: "content",
                    reason: "both messageSignature and dsseEnvelope".into(),
                });
            }
        };

        Ok(Self {
            version,
            media_type: wire.media_type.clone(),
            material,
            tlog_entries,
            rfc3161_timestamps,
            content,
        })
    }
}

impl TlogEntry {
    /// A `TransparencyLogEntry` (protojson, e.g. a Rekor v2 log's answer) as a v0.3 bundle's
    /// entry: the same decoding and checks a bundle's entries get.
    pub fn from_wire(e: &TlogEntryJson) -> Result<Self, BundleError> {
        decode_entry(e, BundleVersion::V03)
    }
}

fn decode_entry(e: &TlogEntryJson, version: BundleVersion) -> Result<TlogEntry, BundleError> {
    let log_index = LogIndex(non_negative("tlogEntries.logIndex", e.log_index)?);
    if e.integrated_time < 0 {
        return Err(BundleError::Invalid {
            field: "tlogEntries.integratedTime",
            reason: format!("{} is negative", e.integrated_time),
        });
    }
    let log_id = b64_field("tlogEntries.logId.keyId", &e.log_id.key_id)?;
    if log_id.is_empty() {
        return Err(BundleError::Missing("tlogEntries.logId"));
    }
    if e.kind_version.kind.is_empty() || e.kind_version.version.is_empty() {
        return Err(BundleError::Missing("tlogEntries.kindVersion"));
    }
    let canonicalized_body = b64_field("tlogEntries.canonicalizedBody", &e.canonicalized_body)?;
    if canonicalized_body.is_empty() {
        return Err(BundleError::Missing("tlogEntries.canonicalizedBody"));
    }
    let signed_entry_timestamp = e
        .inclusion_promise
        .as_ref()
        .map(|p| {
            b64_field(
                "inclusionPromise.signedEntryTimestamp",
                &p.signed_entry_timestamp,
            )
        })
        .transpose()?;
    let inclusion_proof = e
        .inclusion_proof
        .as_ref()
        .map(|p| -> Result<InclusionProof, BundleError> {
            if p.hashes.len() > limits::MAX_PROOF_HASHES {
                return Err(BundleError::Limit {
                    what: "inclusion proof hashes",
                    count: p.hashes.len(),
                    max: limits::MAX_PROOF_HASHES,
                });
            }
            Ok(InclusionProof {
                log_index: LogIndex(non_negative("inclusionProof.logIndex", p.log_index)?),
                root_hash: hash_field("inclusionProof.rootHash", &p.root_hash)?,
                tree_size: TreeSize(non_negative("inclusionProof.treeSize", p.tree_size)?),
                hashes: p
                    .hashes
                    .iter()
                    .map(|h| hash_field("inclusionProof.hashes", h))
                    .collect::<Result<_, _>>()?,
                checkpoint: p
                    .checkpoint
                    .as_ref()
                    .map(|c| c.envelope.clone())
                    .filter(|c| !c.is_empty()),
            })
        })
        .transpose()?;

    match version {
        BundleVersion::V01 if signed_entry_timestamp.is_none() => {
            return Err(BundleError::Missing(
                "inclusionPromise (required by bundle v0.1)",
            ));
        }
        BundleVersion::V02 | BundleVersion::V03 if inclusion_proof.is_none() => {
            return Err(BundleError::Missing(
                "inclusionProof (required by bundle v0.2 and later)",
            ));
        }
        _ => {}
    }

    Ok(TlogEntry {
        log_index,
        log_id,
        kind_version: KindVersion {
            kind: e.kind_version.kind.clone(),
            version: e.kind_version.version.clone(),
        },
        integrated_time: (e.integrated_time != 0).then_some(e.integrated_time),
        signed_entry_timestamp,
        inclusion_proof,
        canonicalized_body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../testdata/sigstore-conformance/assets/bundle-verify"
    );

    fn load(case: &str) -> Result<Bundle, BundleError> {
        let bytes = std::fs::read(format!("{CASES}/{case}/bundle.sigstore.json")).unwrap();
        Bundle::from_json(&bytes)
    }

    #[test]
    fn happy_paths_parse() {
        let b = load("happy-path-v0.1").unwrap();
        assert_eq!(b.version, BundleVersion::V01);
        assert!(matches!(
            b.material,
            VerificationMaterial::Certificate { .. }
        ));
        assert_eq!(load("happy-path-v0.2").unwrap().version, BundleVersion::V02);
        assert_eq!(load("happy-path-v0.3").unwrap().version, BundleVersion::V03);
        assert_eq!(
            load("happy-path-v0.3-new-mediaType").unwrap().version,
            BundleVersion::V03
        );
        let b = load("happy-path-intoto-in-dsse-v3").unwrap();
        assert!(matches!(b.content, Content::Dsse(_)));
        let b = load("rekor2-happy-path").unwrap();
        assert_eq!(b.tlog_entries[0].integrated_time, None);
        assert_eq!(b.rfc3161_timestamps.len(), 1);
        assert!(matches!(
            load("managed-key-happy-path").unwrap().material,
            VerificationMaterial::PublicKey { .. }
        ));
    }

    #[test]
    fn structural_failures() {
        assert!(matches!(
            load("bundle-malformed-json_fail"),
            Err(BundleError::Json(_))
        ));
        assert!(matches!(
            load("bundle-unknown-version_fail"),
            Err(BundleError::UnknownMediaType(_))
        ));
        assert!(matches!(
            load("bundle-empty-certificate-chain_fail"),
            Err(BundleError::Missing(_))
        ));
        assert!(matches!(
            load("bundle-invalid-base64-signature_fail"),
            Err(BundleError::Base64 { .. })
        ));
        assert!(matches!(
            load("bundle-negative-log-index_fail"),
            Err(BundleError::Invalid { .. })
        ));
        assert!(matches!(
            load("intoto-missing-inclusion-proof_fail"),
            Err(BundleError::Missing(_))
        ));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for input in [
            &b""[..],
            b"{",
            b"[]",
            b"null",
            b"{\"mediaType\":1}",
            b"\xff\xfe",
        ] {
            assert!(Bundle::from_json(input).is_err());
        }
        let big = vec![b' '; limits::MAX_JSON_DOCUMENT + 1];
        assert!(matches!(
            Bundle::from_json(&big),
            Err(BundleError::TooLarge { .. })
        ));
        let unknown =
            br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","surprise":1}"#;
        assert!(matches!(
            Bundle::from_json(unknown),
            Err(BundleError::Json(_))
        ));
    }
}
