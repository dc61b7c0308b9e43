//! What is signed for an image, and the legacy layer annotations that carry the signature.
//!
//! Byte layouts follow cosign (sigstore/cosign `d6d86c2`): the simple-signing payload is Go
//! `encoding/json` of sigstore's `payload.SimpleContainerImage`; the statements are what
//! `cmd/cosign/cli/sign/sign.go` (`signDigestBundle`) and `pkg/cosign/attestation` build; the
//! annotation keys are `pkg/oci/static/signature.go`'s and the Rekor annotation is
//! `pkg/cosign/bundle/rekor.go`'s `RekorBundle`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use signet_types::b64;

use crate::{ImageDigest, OciError, media};

/// cosign v3's predicate type for an image signature in the bundle format.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";
/// `critical.type` of a simple-signing payload.
pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";
/// The in-toto Statement type of cosign v3's image signature statement.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// The in-toto Statement type cosign writes for attestations (`attestation.GenerateStatement`
/// uses in-toto-golang's `StatementInTotoV01` for every predicate type).
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
/// cosign's predicate type for `--type custom` (the default).
pub const COSIGN_CUSTOM_PREDICATE: &str = "https://cosign.sigstore.dev/attestation/v1";

/// Annotation: base64 signature over the payload (`""` for attestations).
pub const ANNOTATION_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
/// Annotation: PEM of the signing certificate.
pub const ANNOTATION_CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
/// Annotation: PEM of the certificate chain (may be `""`).
pub const ANNOTATION_CHAIN: &str = "dev.sigstore.cosign/chain";
/// Annotation: the Rekor v1 entry ([`RekorBundleAnnotation`]).
pub const ANNOTATION_BUNDLE: &str = "dev.sigstore.cosign/bundle";
/// Annotation: an RFC 3161 timestamp (`{"SignedRFC3161Timestamp":"<b64>"}`).
pub const ANNOTATION_RFC3161: &str = "dev.sigstore.cosign/rfc3161timestamp";
/// Annotation: the predicate type of a `.att` layer.
pub const ANNOTATION_PREDICATE_TYPE: &str = "predicateType";

/// cosign's `--type` names and the predicate type URIs they stand for
/// (`cmd/cosign/cli/options/predicate.go` `PredicateTypeMap`, with in-toto-golang's constants).
pub const PREDICATE_TYPES: &[(&str, &str)] = &[
    ("custom", COSIGN_CUSTOM_PREDICATE),
    ("slsaprovenance", "https://slsa.dev/provenance/v0.2"),
    ("slsaprovenance02", "https://slsa.dev/provenance/v0.2"),
    ("slsaprovenance1", "https://slsa.dev/provenance/v1"),
    ("spdx", "https://spdx.dev/Document"),
    ("spdxjson", "https://spdx.dev/Document"),
    ("cyclonedx", "https://cyclonedx.org/bom"),
    ("link", "https://in-toto.io/Link/v1"),
    ("vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"),
    ("openvex", "https://openvex.dev/ns"),
];

/// `value` as Go's `json.Marshal` writes it: compact, and `<`, `>`, `&`, U+2028 and U+2029
/// escaped (Go's HTML-safe default). These characters only occur inside JSON strings, so
/// replacing them in serde_json's output is exact. Map keys must already be in Go's order
/// (struct field order, maps sorted).
pub(crate) fn go_json<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let s = serde_json::to_string(value)?;
    if !s.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return Ok(s);
    }
    let mut out = String::with_capacity(s.len().saturating_add(16));
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

#[derive(Serialize)]
struct SimpleSigningJson<'a, O: Serialize> {
    critical: CriticalJson<'a>,
    optional: Option<O>,
}

#[derive(Serialize)]
struct CriticalJson<'a> {
    identity: IdentityJson<'a>,
    image: ImageJson<'a>,
    #[serde(rename = "type")]
    kind: &'a str,
}

#[derive(Serialize)]
struct IdentityJson<'a> {
    #[serde(rename = "docker-reference")]
    docker_reference: &'a str,
}

#[derive(Serialize)]
struct ImageJson<'a> {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: &'a str,
}

/// sigstore's `payload.SimpleContainerImage` as Go marshals it, `critical.type` given: the
/// simple-signing payload (type [`SIMPLE_SIGNING_TYPE`]) and what `cosign verify` prints.
pub(crate) fn simple_container_image<O: Serialize>(
    docker_reference: &str,
    digest: &str,
    kind: &str,
    optional: Option<O>,
) -> Result<String, serde_json::Error> {
    go_json(&SimpleSigningJson {
        critical: CriticalJson {
            identity: IdentityJson { docker_reference },
            image: ImageJson {
                docker_manifest_digest: digest,
            },
            kind,
        },
        optional,
    })
}

/// The simple-signing payload, byte-exact as cosign writes it (Go `encoding/json`, compact):
/// `{"critical":{"identity":{"docker-reference":R},"image":{"docker-manifest-digest":D},"type":"cosign container image signature"},"optional":null}`
/// with `optional` the annotation map when `annotations` is not empty.
pub fn simple_signing(
    docker_reference: &str,
    digest: &ImageDigest,
    annotations: &BTreeMap<String, String>,
) -> Vec<u8> {
    let optional = (!annotations.is_empty()).then_some(annotations);
    // Strings and a string map always serialize.
    simple_container_image(
        docker_reference,
        &digest.to_string(),
        SIMPLE_SIGNING_TYPE,
        optional,
    )
    .map(String::into_bytes)
    .unwrap_or_default()
}

/// A parsed simple-signing payload.
#[derive(Clone, Debug, PartialEq)]
pub struct SimpleSigning {
    /// `critical.image.docker-manifest-digest`.
    pub digest: ImageDigest,
    /// `critical.identity.docker-reference`.
    pub docker_reference: String,
    /// `optional` (JSON null when absent).
    pub optional: serde_json::Value,
    /// The whole payload as JSON (what `verify` prints).
    pub json: serde_json::Value,
}

fn payload_err(reason: impl Into<String>) -> OciError {
    OciError::Payload(reason.into())
}

/// Parses a simple-signing payload (tolerant like cosign, but `critical.type` must be
/// [`SIMPLE_SIGNING_TYPE`] and the digest well-formed).
///
/// Tolerant: other keys are ignored and a missing `docker-reference` is empty (cosign's
/// `SimpleClaimVerifier` checks only the digest). Refused: a payload over
/// [`media::MAX_SIGNATURE_BLOB`], not a JSON object, without `critical`, with another
/// `critical.type`, a digest that is not `sha256:<64 hex>`, or an `optional` that is neither
/// null nor an object (Go could not decode it into the map).
pub fn parse_simple_signing(payload: &[u8]) -> Result<SimpleSigning, OciError> {
    if payload.len() as u64 > media::MAX_SIGNATURE_BLOB {
        return Err(OciError::TooLarge {
            what: "simple-signing payload",
            limit: media::MAX_SIGNATURE_BLOB,
        });
    }
    let json: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|e| payload_err(format!("simple-signing payload is not JSON: {e}")))?;
    let critical = json
        .get("critical")
        .and_then(|c| c.as_object())
        .ok_or_else(|| payload_err("simple-signing payload has no \"critical\" object"))?;
    match critical.get("type").and_then(|t| t.as_str()) {
        Some(SIMPLE_SIGNING_TYPE) => {}
        other => {
            return Err(payload_err(format!(
                "critical.type is {}, not {SIMPLE_SIGNING_TYPE:?}",
                other.map_or_else(|| "missing".to_string(), |t| format!("{t:?}"))
            )));
        }
    }
    let digest = critical
        .get("image")
        .and_then(|i| i.get("docker-manifest-digest"))
        .and_then(|d| d.as_str())
        .ok_or_else(|| payload_err("critical.image.docker-manifest-digest is missing"))?;
    let digest = ImageDigest::parse(digest)?;
    let docker_reference = match critical.get("identity").map(|i| i.get("docker-reference")) {
        None | Some(None) | Some(Some(serde_json::Value::Null)) => String::new(),
        Some(Some(serde_json::Value::String(s))) => s.clone(),
        Some(Some(_)) => {
            return Err(payload_err(
                "critical.identity.docker-reference is not a string",
            ));
        }
    };
    let optional = match json.get("optional") {
        None => serde_json::Value::Null,
        Some(v @ (serde_json::Value::Null | serde_json::Value::Object(_))) => v.clone(),
        Some(_) => return Err(payload_err("\"optional\" is neither null nor an object")),
    };
    Ok(SimpleSigning {
        digest,
        docker_reference,
        optional,
        json,
    })
}

#[derive(Serialize)]
struct StatementJson<'a, S: Serialize, P: Serialize> {
    #[serde(rename = "_type")]
    kind: &'a str,
    subject: [S; 1],
    #[serde(rename = "predicateType")]
    predicate_type: &'a str,
    predicate: P,
}

#[derive(Serialize)]
struct DigestSet {
    sha256: String,
}

#[derive(Serialize)]
struct SignSubject<'a> {
    name: &'a str,
    digest: DigestSet,
    annotations: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct NamedSubject<'a> {
    name: &'a str,
    digest: DigestSet,
}

/// The in-toto Statement v1 signed for an image in the bundle format, as cosign v3 signs it
/// (predicate type [`COSIGN_SIGN_PREDICATE`], `annotations` on the subject) plus the subject's
/// `name` (`repo_name`, as cosign's attestations name it): cosign writes none, and
/// sigstore-python (4.5.1) refuses a statement whose subject has no name, while cosign and
/// sigstore-js ignore it:
/// `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"REPO","digest":{"sha256":"HEX"},"annotations":{}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`.
pub fn sign_statement(
    repo_name: &str,
    digest: &ImageDigest,
    annotations: &BTreeMap<String, String>,
) -> Vec<u8> {
    let statement = StatementJson {
        kind: STATEMENT_V1,
        subject: [SignSubject {
            name: repo_name,
            digest: DigestSet {
                sha256: digest.hex(),
            },
            annotations,
        }],
        predicate_type: COSIGN_SIGN_PREDICATE,
        predicate: serde_json::Map::new(),
    };
    // Strings and string maps always serialize.
    serde_json::to_vec(&statement).unwrap_or_default()
}

/// Which in-toto Statement version an attestation is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementVersion {
    /// [`STATEMENT_V01`]: what cosign's `attestation.GenerateStatement` writes for every type
    /// (the legacy `.att` format keeps it).
    V01,
    /// [`STATEMENT_V1`]: for bundle referrers, which sigstore-python (4.5.1) reads only as v1
    /// (cosign and sigstore-js read both).
    V1,
}

/// The in-toto Statement for an attestation (`cosign attest`): `_type` by `version`, subject
/// `name` = `repo_name`, digest the image's; `predicate` the user's JSON: an object, or a
/// string (cosign's `--type spdx` keeps a non-JSON SPDX document as a string predicate). For
/// `--type custom` build the predicate with [`custom_predicate`].
pub fn attestation_statement(
    version: StatementVersion,
    repo_name: &str,
    digest: &ImageDigest,
    predicate_type: &str,
    predicate: &serde_json::Value,
) -> Result<Vec<u8>, OciError> {
    if predicate_type.is_empty() {
        return Err(payload_err("the predicate type is empty"));
    }
    if !(predicate.is_object() || predicate.is_string()) {
        return Err(payload_err(
            "the predicate must be a JSON object (or, for a legacy SPDX document, a string)",
        ));
    }
    let statement = StatementJson {
        kind: match version {
            StatementVersion::V01 => STATEMENT_V01,
            StatementVersion::V1 => STATEMENT_V1,
        },
        subject: [NamedSubject {
            name: repo_name,
            digest: DigestSet {
                sha256: digest.hex(),
            },
        }],
        predicate_type,
        predicate,
    };
    serde_json::to_vec(&statement).map_err(|e| payload_err(e.to_string()))
}

/// cosign's predicate for `--type custom`: `{"Data":"<the predicate file as text>",
/// "Timestamp":"<RFC 3339 UTC seconds>"}` (`generateCustomPredicate`; the file is wrapped as
/// a string, not parsed). `timestamp_rfc3339` is the signing time, e.g.
/// `2026-12-02T04:00:00Z`.
pub fn custom_predicate(
    raw: &[u8],
    timestamp_rfc3339: &str,
) -> Result<serde_json::Value, OciError> {
    let data = std::str::from_utf8(raw)
        .map_err(|e| payload_err(format!("a custom predicate must be UTF-8 text: {e}")))?;
    Ok(serde_json::json!({ "Data": data, "Timestamp": timestamp_rfc3339 }))
}

/// cosign's `--type` names to predicate type URIs (`slsaprovenance1`, `spdxjson`, `cyclonedx`,
/// `custom`, …, see [`PREDICATE_TYPES`]); anything else must be a URI, as Go's
/// `url.ParseRequestURI` accepts it (a scheme and `:`, or an absolute path), which is then the
/// type itself.
pub fn predicate_type(name: &str) -> Result<String, OciError> {
    if let Some((_, uri)) = PREDICATE_TYPES.iter().find(|(n, _)| *n == name) {
        return Ok((*uri).to_string());
    }
    let invalid = || payload_err(format!("invalid predicate type: {name}"));
    if name.is_empty() || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid());
    }
    if name.starts_with('/') {
        return Ok(name.to_string());
    }
    let (scheme, rest) = name.split_once(':').ok_or_else(invalid)?;
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() {
        return Err(invalid());
    }
    Ok(name.to_string())
}

/// The `dev.sigstore.cosign/bundle` annotation (cosign's `RekorBundle`): a Rekor v1 entry's
/// SET, canonical body, integrated time, index and (hex) log ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RekorBundleAnnotation {
    /// The signed entry timestamp (DER ECDSA).
    pub signed_entry_timestamp: Vec<u8>,
    /// The canonical body, base64.
    pub body: String,
    /// Integrated time (Unix seconds).
    pub integrated_time: i64,
    /// Log index.
    pub log_index: i64,
    /// Log ID, hex.
    pub log_id: String,
}

/// Wire form: Go field order, no JSON tags on `RekorBundle` (so `SignedEntryTimestamp`,
/// `Payload`), tags on `RekorPayload`.
#[derive(Serialize, Deserialize)]
struct RekorBundleJson {
    #[serde(rename = "SignedEntryTimestamp")]
    signed_entry_timestamp: Option<String>,
    #[serde(rename = "Payload")]
    payload: RekorPayloadJson,
}

#[derive(Serialize, Deserialize)]
struct RekorPayloadJson {
    body: serde_json::Value,
    #[serde(rename = "integratedTime")]
    integrated_time: i64,
    #[serde(rename = "logIndex")]
    log_index: i64,
    #[serde(rename = "logID")]
    log_id: String,
}

fn annotation_err(key: &'static str, reason: impl Into<String>) -> OciError {
    OciError::Annotation {
        key,
        reason: reason.into(),
    }
}

impl RekorBundleAnnotation {
    /// From a bundle's Rekor v1 tlog entry (refused without an inclusion promise).
    pub fn from_tlog_entry(entry: &signet_bundle::TlogEntryJson) -> Result<Self, OciError> {
        let bad = |reason: String| annotation_err(ANNOTATION_BUNDLE, reason);
        let promise =
            entry.inclusion_promise.as_ref().ok_or_else(|| {
                bad("the log entry has no inclusion promise (a Rekor v2 entry cannot be written as \
                 a legacy signature: use the bundle format)"
                .into())
            })?;
        let set = b64::decode(&promise.signed_entry_timestamp)
            .map_err(|e| bad(format!("signed entry timestamp: {e}")))?;
        let log_id = b64::decode(&entry.log_id.key_id).map_err(|e| bad(format!("log ID: {e}")))?;
        b64::decode(&entry.canonicalized_body).map_err(|e| bad(format!("body: {e}")))?;
        if set.is_empty() || log_id.is_empty() || entry.canonicalized_body.is_empty() {
            return Err(bad(
                "the log entry lacks its signed entry timestamp, log ID or body".into(),
            ));
        }
        if entry.integrated_time <= 0 {
            return Err(bad("the log entry has no integrated time".into()));
        }
        Ok(Self {
            signed_entry_timestamp: set,
            body: entry.canonicalized_body.clone(),
            integrated_time: entry.integrated_time,
            log_index: entry.log_index,
            log_id: hex::encode(log_id),
        })
    }

    fn wire(&self) -> RekorBundleJson {
        RekorBundleJson {
            signed_entry_timestamp: Some(b64::encode(&self.signed_entry_timestamp)),
            payload: RekorPayloadJson {
                body: serde_json::Value::String(self.body.clone()),
                integrated_time: self.integrated_time,
                log_index: self.log_index,
                log_id: self.log_id.clone(),
            },
        }
    }

    /// The annotation value, exactly as cosign writes it:
    /// `{"SignedEntryTimestamp":"<b64>","Payload":{"body":"<b64>","integratedTime":N,"logIndex":N,"logID":"<hex>"}}`.
    pub fn to_json(&self) -> String {
        // Strings and integers always serialize.
        go_json(&self.wire()).unwrap_or_default()
    }

    /// Parses an annotation value (body must be a string).
    pub fn parse(value: &str) -> Result<Self, OciError> {
        let bad = |reason: String| annotation_err(ANNOTATION_BUNDLE, reason);
        if value.len() as u64 > media::MAX_SIGNATURE_BLOB {
            return Err(OciError::TooLarge {
                what: "the dev.sigstore.cosign/bundle annotation",
                limit: media::MAX_SIGNATURE_BLOB,
            });
        }
        let wire: RekorBundleJson =
            serde_json::from_str(value).map_err(|e| bad(format!("not a RekorBundle: {e}")))?;
        let body = match wire.payload.body {
            serde_json::Value::String(s) => s,
            _ => return Err(bad("bundle payload body is not a string".into())),
        };
        let set = wire
            .signed_entry_timestamp
            .ok_or_else(|| bad("no SignedEntryTimestamp".into()))
            .and_then(|s| b64::decode(&s).map_err(|e| bad(format!("SignedEntryTimestamp: {e}"))))?;
        if set.is_empty() {
            return Err(bad("SignedEntryTimestamp is empty".into()));
        }
        let log_id = wire.payload.log_id;
        if log_id.is_empty() || hex::decode(&log_id).is_err() {
            return Err(bad(format!("logID {log_id:?} is not hex")));
        }
        Ok(Self {
            signed_entry_timestamp: set,
            body,
            integrated_time: wire.payload.integrated_time,
            log_index: wire.payload.log_index,
            log_id,
        })
    }
}

/// The annotations of a legacy layer: `dev.cosignproject.cosign/signature` (base64 of
/// `signature`; empty for attestations), `dev.sigstore.cosign/certificate` and
/// `dev.sigstore.cosign/chain` (when a certificate is given; the chain may be empty),
/// `dev.sigstore.cosign/bundle` (when logged), `predicateType` (attestations).
pub fn legacy_annotations(
    signature: Option<&[u8]>,
    certificate_pem: Option<&str>,
    chain_pem: Option<&str>,
    rekor: Option<&RekorBundleAnnotation>,
    predicate_type: Option<&str>,
) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    a.insert(
        ANNOTATION_SIGNATURE.to_string(),
        signature.map(b64::encode).unwrap_or_default(),
    );
    if let Some(cert) = certificate_pem {
        a.insert(ANNOTATION_CERTIFICATE.to_string(), cert.to_string());
        a.insert(
            ANNOTATION_CHAIN.to_string(),
            chain_pem.unwrap_or_default().to_string(),
        );
    }
    if let Some(r) = rekor {
        a.insert(ANNOTATION_BUNDLE.to_string(), r.to_json());
    }
    if let Some(t) = predicate_type {
        a.insert(ANNOTATION_PREDICATE_TYPE.to_string(), t.to_string());
    }
    a
}

/// The `dev.sigstore.cosign/rfc3161timestamp` annotation value cosign writes for a legacy
/// `.sig` layer: `{"SignedRFC3161Timestamp":"<base64 DER TimeStampResp>"}` (the timestamp covers
/// the raw signature bytes), from the token's base64 as a bundle carries it.
pub fn rfc3161_annotation(token_b64: &str) -> String {
    serde_json::json!({ "SignedRFC3161Timestamp": token_b64 }).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const DIGEST: &str = "sha256:2f0249ebb962c1281b791aafe68ec39caa2751eecad1c6a5042cbdc43548d764";

    fn digest() -> ImageDigest {
        ImageDigest::parse(DIGEST).unwrap()
    }

    /// The real cosign payload of oci-images.md §2, reproduced byte for byte.
    #[test]
    fn simple_signing_is_cosigns_bytes() {
        let p = simple_signing("localhost:5000/demo", &digest(), &BTreeMap::new());
        assert_eq!(
            std::str::from_utf8(&p).unwrap(),
            r#"{"critical":{"identity":{"docker-reference":"localhost:5000/demo"},"image":{"docker-manifest-digest":"sha256:2f0249ebb962c1281b791aafe68ec39caa2751eecad1c6a5042cbdc43548d764"},"type":"cosign container image signature"},"optional":null}"#
        );
        assert_eq!(p.len(), 235);
        assert_eq!(
            signet_crypto::sha256(&p).to_hex(),
            "bc59dffae964a8135399a8bc1897d79ac216b01007f52cb8e96a053d04395613"
        );
        // Annotations: a map in sorted key order; Go escapes <, > and & in strings.
        let mut a = BTreeMap::new();
        a.insert("z".to_string(), "1".to_string());
        a.insert("a".to_string(), "<b>&".to_string());
        let p = simple_signing("r/x", &digest(), &a);
        assert!(
            std::str::from_utf8(&p)
                .unwrap()
                .ends_with(r#""type":"cosign container image signature"},"optional":{"a":"\u003cb\u003e\u0026","z":"1"}}"#),
            "{}",
            String::from_utf8_lossy(&p)
        );
        let parsed = parse_simple_signing(&p).unwrap();
        assert_eq!(parsed.optional["a"], "<b>&");
        assert_eq!(parsed.docker_reference, "r/x");
    }

    #[test]
    fn parse_simple_signing_is_tolerant_but_checks_type_and_digest() {
        let ok = parse_simple_signing(&simple_signing("r", &digest(), &BTreeMap::new())).unwrap();
        assert_eq!(ok.digest, digest());
        assert_eq!(ok.optional, serde_json::Value::Null);
        // Extra keys and a missing identity are accepted (cosign checks only the digest).
        let extra = format!(
            r#"{{"critical":{{"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image signature","x":1}},"optional":{{"creator":"c","timestamp":1}},"more":true}}"#
        );
        let p = parse_simple_signing(extra.as_bytes()).unwrap();
        assert_eq!(p.docker_reference, "");
        assert_eq!(p.optional["timestamp"], 1);
        for (bad, why) in [
            (
                format!(r#"{{"critical":{{"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"atomic container signature"}}}}"#),
                "critical.type",
            ),
            (
                r#"{"critical":{"image":{"docker-manifest-digest":"sha256:abc"},"type":"cosign container image signature"}}"#.to_string(),
                "invalid digest",
            ),
            (
                r#"{"critical":{"type":"cosign container image signature"}}"#.to_string(),
                "docker-manifest-digest is missing",
            ),
            (
                format!(r#"{{"critical":{{"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image signature"}},"optional":"x"}}"#),
                "optional",
            ),
            ("[]".to_string(), "no \"critical\""),
            ("{".to_string(), "not JSON"),
        ] {
            let e = parse_simple_signing(bad.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let big = vec![b' '; media::MAX_SIGNATURE_BLOB as usize + 1];
        assert!(matches!(
            parse_simple_signing(&big),
            Err(OciError::TooLarge { .. })
        ));
    }

    #[test]
    fn statements_are_cosigns() {
        let d = digest();
        assert_eq!(
            String::from_utf8(sign_statement("reg.example/app", &d, &BTreeMap::new())).unwrap(),
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"reg.example/app","digest":{{"sha256":"{}"}},"annotations":{{}}}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{{}}}}"#,
                d.hex()
            )
        );
        let mut a = BTreeMap::new();
        a.insert("env".to_string(), "prod".to_string());
        let s: serde_json::Value =
            serde_json::from_slice(&sign_statement("reg.example/app", &d, &a)).unwrap();
        assert_eq!(s["subject"][0]["annotations"]["env"], "prod");

        let pred = serde_json::json!({"b": 1, "a": {"y": 2, "x": 3}});
        let st = attestation_statement(
            StatementVersion::V01,
            "reg.example/app",
            &d,
            "https://slsa.dev/provenance/v1",
            &pred,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(st).unwrap(),
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v0.1","subject":[{{"name":"reg.example/app","digest":{{"sha256":"{}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{{"a":{{"x":3,"y":2}},"b":1}}}}"#,
                d.hex()
            )
        );
        let v1 = attestation_statement(StatementVersion::V1, "r", &d, "t", &pred).unwrap();
        let v1: serde_json::Value = serde_json::from_slice(&v1).unwrap();
        assert_eq!(v1["_type"], "https://in-toto.io/Statement/v1");
        assert!(
            attestation_statement(StatementVersion::V01, "r", &d, "t", &serde_json::json!([1]))
                .is_err()
        );
        assert!(attestation_statement(StatementVersion::V01, "r", &d, "", &pred).is_err());
        assert!(
            attestation_statement(
                StatementVersion::V01,
                "r",
                &d,
                "t",
                &serde_json::json!("SPDXVersion: SPDX-2.2")
            )
            .is_ok()
        );
        assert_eq!(
            custom_predicate(b"hello", "2026-12-02T04:00:00Z").unwrap(),
            serde_json::json!({"Data": "hello", "Timestamp": "2026-12-02T04:00:00Z"})
        );
        assert!(custom_predicate(b"\xff", "t").is_err());
    }

    #[test]
    fn predicate_type_names_and_uris() {
        // Spot checks against cosign's table (options/predicate.go + in-toto-golang).
        for (name, uri) in [
            ("custom", "https://cosign.sigstore.dev/attestation/v1"),
            ("slsaprovenance1", "https://slsa.dev/provenance/v1"),
            ("spdxjson", "https://spdx.dev/Document"),
            ("cyclonedx", "https://cyclonedx.org/bom"),
            (
                "https://example.com/my/type/v1",
                "https://example.com/my/type/v1",
            ),
            ("urn:example:type", "urn:example:type"),
        ] {
            assert_eq!(predicate_type(name).unwrap(), uri, "{name}");
        }
        assert_eq!(PREDICATE_TYPES.len(), 10);
        for bad in ["", "slsa", "sbom", "1http://x", "http://a b", "x:"] {
            assert!(predicate_type(bad).is_err(), "{bad:?}");
        }
    }

    fn entry(promise: bool) -> signet_bundle::TlogEntryJson {
        serde_json::from_value(serde_json::json!({
            "logIndex": "357097618",
            "logId": {"keyId": "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0="},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
            "integratedTime": "1754488662",
            "inclusionPromise": if promise {
                serde_json::json!({"signedEntryTimestamp": "MEYCIQDbEDDWL1V1g8wFf0Z5FXiz/CW9v21uaINxQdBGOVRGcgIhAI/MzDV/qUx+d96qnhpx6smUQUfvvEhQRUfYlsIwQ3RR"})
            } else {
                serde_json::Value::Null
            },
            "canonicalizedBody": "eyJhIjoxfQ==",
        }))
        .unwrap()
    }

    #[test]
    fn rekor_bundle_annotation_exact_and_round_trip() {
        let a = RekorBundleAnnotation::from_tlog_entry(&entry(true)).unwrap();
        let text = a.to_json();
        assert_eq!(
            text,
            r#"{"SignedEntryTimestamp":"MEYCIQDbEDDWL1V1g8wFf0Z5FXiz/CW9v21uaINxQdBGOVRGcgIhAI/MzDV/qUx+d96qnhpx6smUQUfvvEhQRUfYlsIwQ3RR","Payload":{"body":"eyJhIjoxfQ==","integratedTime":1754488662,"logIndex":357097618,"logID":"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"}}"#
        );
        assert_eq!(RekorBundleAnnotation::parse(&text).unwrap(), a);
        // Rekor v2 entries (no inclusion promise) cannot be written as a legacy annotation.
        let e = RekorBundleAnnotation::from_tlog_entry(&entry(false)).unwrap_err();
        assert!(e.to_string().contains("no inclusion promise"), "{e}");
        // A body that is not a string is refused, as cosign does.
        let obj = text.replace(r#""body":"eyJhIjoxfQ==""#, r#""body":{"a":1}"#);
        assert!(
            RekorBundleAnnotation::parse(&obj)
                .unwrap_err()
                .to_string()
                .contains("not a string")
        );
        assert!(RekorBundleAnnotation::parse("{}").is_err());
        assert!(RekorBundleAnnotation::parse(&text.replace("c0d2", "zz")).is_err());
    }

    #[test]
    fn legacy_annotation_keys() {
        let r = RekorBundleAnnotation::from_tlog_entry(&entry(true)).unwrap();
        let sig = legacy_annotations(Some(b"sig"), None, None, Some(&r), None);
        assert_eq!(
            sig.keys().collect::<Vec<_>>(),
            [ANNOTATION_SIGNATURE, ANNOTATION_BUNDLE]
        );
        assert_eq!(sig[ANNOTATION_SIGNATURE], "c2ln");
        let att = legacy_annotations(None, Some("PEM"), None, Some(&r), Some("https://t"));
        assert_eq!(att[ANNOTATION_SIGNATURE], "");
        assert_eq!(att[ANNOTATION_CERTIFICATE], "PEM");
        // The chain key is always there with a certificate, possibly empty (cosign v3).
        assert_eq!(att[ANNOTATION_CHAIN], "");
        assert_eq!(att[ANNOTATION_PREDICATE_TYPE], "https://t");
        assert_eq!(att[ANNOTATION_BUNDLE], r.to_json());
    }
}
