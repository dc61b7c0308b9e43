//! Serde mirror of the protobuf-JSON encoding. Field names are camelCase with protojson's
//! snake_case aliases; 64-bit integers are accepted as JSON strings (protojson) or numbers.

use serde::{Deserialize, Deserializer, Serialize};
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
