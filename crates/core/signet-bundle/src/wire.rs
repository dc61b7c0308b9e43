//! Serde mirror of the protobuf-JSON encoding. Field names are camelCase with protojson's
//! snake_case aliases; 64-bit integers are accepted as JSON strings (protojson) or numbers.

use serde::{Deserialize, Deserializer, Serialize};
use signet_types::b64;
use signet_types::dsse::EnvelopeJson;

/// `application/vnd.dev.sigstore.bundle+json;version=0.1`
pub const MEDIA_TYPE_V01: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";
/// `application/vnd.dev.sigstore.bundle+json;version=0.2`
pub const MEDIA_TYPE_V02: &str = "application/vnd.dev.sigstore.bundle+json;version=0.2";
/// `application/vnd.dev.sigstore.bundle+json;version=0.3`
pub const MEDIA_TYPE_V03: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";
/// The newer spelling of v0.3: `application/vnd.dev.sigstore.bundle.v0.3+json`.
pub const MEDIA_TYPE_V03_ALT: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// Top-level bundle, as on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BundleJson {
    /// Media type, which carries the bundle version.
    #[serde(alias = "media_type")]
    pub media_type: String,
    /// Certificate or key, log entries, timestamps.
    #[serde(alias = "verification_material")]
    pub verification_material: Option<VerificationMaterialJson>,
    /// A signature over an artifact.
    #[serde(alias = "message_signature", skip_serializing_if = "Option::is_none")]
    pub message_signature: Option<MessageSignatureJson>,
    /// A DSSE envelope.
    #[serde(alias = "dsse_envelope", skip_serializing_if = "Option::is_none")]
    pub dsse_envelope: Option<EnvelopeJson>,
}

/// `VerificationMaterial`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerificationMaterialJson {
    /// Managed-key hint.
    #[serde(alias = "public_key", skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyIdJson>,
    /// Certificate chain (v0.1, v0.2).
    #[serde(
        alias = "x509_certificate_chain",
        skip_serializing_if = "Option::is_none"
    )]
    pub x509_certificate_chain: Option<CertificateChainJson>,
    /// Leaf certificate (v0.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<RawBytesJson>,
    /// Transparency log entries.
    #[serde(alias = "tlog_entries", default)]
    pub tlog_entries: Vec<TlogEntryJson>,
    /// RFC 3161 timestamps.
    #[serde(
        alias = "timestamp_verification_data",
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp_verification_data: Option<TimestampVerificationDataJson>,
}

/// `PublicKeyIdentifier`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeyIdJson {
    /// Optional key hint.
    #[serde(default)]
    pub hint: String,
}

/// `X509CertificateChain`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateChainJson {
    /// Leaf first.
    #[serde(default)]
    pub certificates: Vec<RawBytesJson>,
}

/// `{ "rawBytes": base64 }`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawBytesJson {
    /// Base64 DER.
    #[serde(alias = "raw_bytes", default)]
    pub raw_bytes: String,
}

/// `TimestampVerificationData`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimestampVerificationDataJson {
    /// RFC 3161 tokens.
    #[serde(alias = "rfc3161_timestamps", default)]
    pub rfc3161_timestamps: Vec<Rfc3161Json>,
}

/// `RFC3161SignedTimestamp`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rfc3161Json {
    /// Base64 DER timestamp token.
    #[serde(alias = "signed_timestamp")]
    pub signed_timestamp: String,
}

/// `TransparencyLogEntry`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlogEntryJson {
    /// Global log index.
    #[serde(alias = "log_index", with = "int64")]
    pub log_index: i64,
    /// Log ID.
    #[serde(alias = "log_id")]
    pub log_id: LogIdJson,
    /// Entry kind and version.
    #[serde(alias = "kind_version")]
    pub kind_version: KindVersionJson,
    /// Unix seconds; 0 / absent for Rekor v2.
    #[serde(
        alias = "integrated_time",
        with = "int64",
        default,
        skip_serializing_if = "is_zero"
    )]
    pub integrated_time: i64,
    /// Signed entry timestamp.
    #[serde(alias = "inclusion_promise", skip_serializing_if = "Option::is_none")]
    pub inclusion_promise: Option<InclusionPromiseJson>,
    /// Inclusion proof.
    #[serde(alias = "inclusion_proof", skip_serializing_if = "Option::is_none")]
    pub inclusion_proof: Option<InclusionProofJson>,
    /// Base64 canonical body.
    #[serde(alias = "canonicalized_body", default)]
    pub canonicalized_body: String,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// `LogId`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogIdJson {
    /// Base64 key ID.
    #[serde(alias = "key_id")]
    pub key_id: String,
}

/// `KindVersion`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindVersionJson {
    /// Entry kind.
    pub kind: String,
    /// Entry API version.
    pub version: String,
}

/// `InclusionPromise`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InclusionPromiseJson {
    /// Base64 SET.
    #[serde(alias = "signed_entry_timestamp")]
    pub signed_entry_timestamp: String,
}

/// `InclusionProof`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InclusionProofJson {
    /// Index within the tree the proof is for.
    #[serde(alias = "log_index", with = "int64")]
    pub log_index: i64,
    /// Base64 root hash.
    #[serde(alias = "root_hash")]
    pub root_hash: String,
    /// Tree size.
    #[serde(alias = "tree_size", with = "int64")]
    pub tree_size: i64,
    /// Base64 hashes, leaf to root.
    #[serde(default)]
    pub hashes: Vec<String>,
    /// Signed checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<CheckpointJson>,
}

/// `Checkpoint`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointJson {
    /// Signed note text.
    pub envelope: String,
}

/// `MessageSignature`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageSignatureJson {
    /// Digest hint.
    #[serde(alias = "message_digest", skip_serializing_if = "Option::is_none")]
    pub message_digest: Option<HashOutputJson>,
    /// Base64 signature.
    pub signature: String,
}

/// `HashOutput`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashOutputJson {
    /// `SHA2_256`, `SHA2_384`, `SHA2_512`.
    pub algorithm: String,
    /// Base64 digest.
    pub digest: String,
}

impl BundleJson {
    /// A v0.3 bundle (`application/vnd.dev.sigstore.bundle.v0.3+json`) over a message
    /// signature: `material` with `entry` as its one log entry, the SHA-256 digest of the
    /// artifact and the signature.
    pub fn message_signature_v03(
        material: VerificationMaterialJson,
        entry: TlogEntryJson,
        sha256: &[u8; 32],
        signature: &[u8],
    ) -> Self {
        Self {
            media_type: MEDIA_TYPE_V03_ALT.to_string(),
            verification_material: Some(material.with_tlog_entry(entry)),
            message_signature: Some(MessageSignatureJson {
                message_digest: Some(HashOutputJson {
                    algorithm: "SHA2_256".to_string(),
                    digest: b64::encode(sha256),
                }),
                signature: b64::encode(signature),
            }),
            dsse_envelope: None,
        }
    }

    /// A v0.3 bundle over a DSSE envelope: `material` with `entry` as its one log entry.
    pub fn dsse_v03(
        material: VerificationMaterialJson,
        entry: TlogEntryJson,
        envelope: EnvelopeJson,
    ) -> Self {
        Self {
            media_type: MEDIA_TYPE_V03_ALT.to_string(),
            verification_material: Some(material.with_tlog_entry(entry)),
            message_signature: None,
            dsse_envelope: Some(envelope),
        }
    }

    /// The bundle as signet writes it to a file: pretty-printed JSON with the keys of every
    /// object in sorted order (the layout every bundle signet has written so far has), so
    /// the bytes do not depend on the order of the fields here.
    pub fn to_json_pretty(&self) -> Result<String, serde_json::Error> {
        sorted_pretty(self)
    }
}

/// `value` as pretty-printed JSON with sorted object keys (serde_json's `Value` keeps its
/// keys sorted).
pub(crate) fn sorted_pretty<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&serde_json::to_value(value)?)
}

impl VerificationMaterialJson {
    /// Keyless material: the leaf certificate (DER), v0.3 style.
    pub fn certificate(der: &[u8]) -> Self {
        Self {
            certificate: Some(RawBytesJson {
                raw_bytes: b64::encode(der),
            }),
            ..Self::default()
        }
    }

    /// Managed-key material: the key's hint (may be empty).
    pub fn public_key(hint: impl Into<String>) -> Self {
        Self {
            public_key: Some(PublicKeyIdJson { hint: hint.into() }),
            ..Self::default()
        }
    }

    /// This material with `entry` as its one transparency-log entry.
    pub fn with_tlog_entry(self, entry: TlogEntryJson) -> Self {
        Self {
            tlog_entries: vec![entry],
            ..self
        }
    }
}

/// protojson int64: a decimal string, or a JSON number.
pub(crate) mod int64 {
    use super::*;

    pub(crate) fn serialize<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum StrOrNum {
            S(String),
            N(i64),
        }
        match StrOrNum::deserialize(d)? {
            StrOrNum::N(n) => Ok(n),
            StrOrNum::S(s) => s
                .parse::<i64>()
                .map_err(|_| serde::de::Error::custom(format!("invalid int64 {s:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use serde_json::json;

    fn entry() -> TlogEntryJson {
        TlogEntryJson {
            log_index: 7,
            log_id: LogIdJson {
                key_id: "a2V5".into(),
            },
            kind_version: KindVersionJson {
                kind: "hashedrekord".into(),
                version: "0.0.1".into(),
            },
            integrated_time: 1_700_000_000,
            inclusion_promise: Some(InclusionPromiseJson {
                signed_entry_timestamp: "c2V0".into(),
            }),
            inclusion_proof: Some(InclusionProofJson {
                log_index: 7,
                root_hash: "cm9vdA==".into(),
                tree_size: 8,
                hashes: vec!["aDE=".into(), "aDI=".into()],
                checkpoint: Some(CheckpointJson {
                    envelope: "log - 1\n8\nroot\n".into(),
                }),
            }),
            canonicalized_body: "Ym9keQ==".into(),
        }
    }

    /// The log entry exactly as signet wrote it with `json!` before the typed writer.
    fn entry_value() -> serde_json::Value {
        json!({
            "logIndex": "7",
            "logId": {"keyId": "a2V5"},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
            "integratedTime": "1700000000",
            "inclusionPromise": {"signedEntryTimestamp": "c2V0"},
            "inclusionProof": {
                "logIndex": "7",
                "rootHash": "cm9vdA==",
                "treeSize": "8",
                "hashes": ["aDE=", "aDI="],
                "checkpoint": {"envelope": "log - 1\n8\nroot\n"},
            },
            "canonicalizedBody": "Ym9keQ==",
        })
    }

    #[test]
    fn message_signature_bundles_are_written_byte_for_byte_as_before() {
        let digest = [7u8; 32];
        for (material, old_material) in [
            (
                VerificationMaterialJson::certificate(b"leaf"),
                json!({"certificate": {"rawBytes": b64::encode(b"leaf")}}),
            ),
            (
                VerificationMaterialJson::public_key("aGludA=="),
                json!({"publicKey": {"hint": "aGludA=="}}),
            ),
            (
                VerificationMaterialJson::public_key(""),
                json!({"publicKey": {"hint": ""}}),
            ),
        ] {
            let mut vm = old_material;
            vm.as_object_mut()
                .unwrap()
                .insert("tlogEntries".into(), json!([entry_value()]));
            let old = json!({
                "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                "verificationMaterial": vm,
                "messageSignature": {
                    "messageDigest": {"algorithm": "SHA2_256", "digest": b64::encode(digest)},
                    "signature": b64::encode(b"sig"),
                },
            });
            let new = BundleJson::message_signature_v03(material, entry(), &digest, b"sig");
            assert_eq!(
                new.to_json_pretty().unwrap(),
                serde_json::to_string_pretty(&old).unwrap()
            );
        }
    }

    #[test]
    fn dsse_bundles_are_written_byte_for_byte_as_before() {
        let old_envelope = json!({
            "payload": "cGF5bG9hZA==",
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": "c2ln", "keyid": ""}],
        });
        let old = json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"publicKey": {"hint": "aA=="}, "tlogEntries": [entry_value()]},
            "dsseEnvelope": old_envelope,
        });
        let envelope: EnvelopeJson = serde_json::from_value(old_envelope.clone()).unwrap();
        assert_eq!(
            serde_json::to_string(&serde_json::to_value(&envelope).unwrap()).unwrap(),
            serde_json::to_string(&old_envelope).unwrap(),
            "an empty keyid is written"
        );
        let new = BundleJson::dsse_v03(
            VerificationMaterialJson::public_key("aA=="),
            entry(),
            envelope,
        );
        assert_eq!(
            new.to_json_pretty().unwrap(),
            serde_json::to_string_pretty(&old).unwrap()
        );
    }
}
