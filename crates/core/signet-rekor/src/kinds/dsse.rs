//! `dsse`: a DSSE envelope. 0.0.1 is Rekor v1's (admission, canonical body, index keys); 0.0.2
//! is Rekor v2's (parsed for verification only).

use serde::{Deserialize, Serialize};
use signet_types::b64;
use signet_types::dsse::{Envelope, EnvelopeJson, IN_TOTO_PAYLOAD_TYPE};

use super::{
    Admitted, AlgValue, MAX_DSSE_SIGNATURES, Outer, V2HashOutput, V2Signature, Verifier,
    finish_keys, refused,
};
use crate::RekorError;
use crate::body::{
    EntryBody, Material, dec, malformed, payload_hash_matches, signatures_match, spec,
};

/// The `dsse` 0.0.1 spec, as Rekor's `DSSEV001Schema`: a client proposes `proposedContent`;
/// the body stores the envelope and payload hashes and the signatures with their verifiers.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proposed_content: Option<ProposedContent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    envelope_hash: Option<AlgValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payload_hash: Option<AlgValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signatures: Option<Vec<Sig>>,
}
#[derive(Serialize, Deserialize)]
struct ProposedContent {
    /// The envelope JSON, as a string.
    envelope: String,
    /// Base64 verifier PEMs.
    verifiers: Vec<String>,
}
#[derive(Serialize, Deserialize)]
struct Sig {
    /// Base64 signature, as in the envelope.
    signature: String,
    /// Base64 canonical verifier PEM.
    verifier: String,
}

/// The `dsse` 0.0.2 body (Rekor v2 `DSSELogEntryV002`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Outer {
    dsse_v002: V2Spec,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Spec {
    payload_hash: V2HashOutput,
    signatures: Vec<V2Signature>,
}

/// The dsse 0.0.1 proposed entry a client sends: the envelope as a JSON string, and verifiers.
pub fn proposed_dsse(envelope_json: &str, verifier_pems: &[&str]) -> serde_json::Value {
    Outer::new(
        "dsse",
        "0.0.1",
        Spec {
            proposed_content: Some(ProposedContent {
                envelope: envelope_json.into(),
                verifiers: verifier_pems.iter().map(b64::encode).collect(),
            }),
            envelope_hash: None,
            payload_hash: None,
            signatures: None,
        },
    )
    .to_value()
}

/// Rekor's `dsse` 0.0.1: every envelope signature must verify (ECDSA/RSA with SHA-256 over the
/// PAE) under one of the verifiers; the envelope itself is not stored, only its hash, the payload
/// hash and (signature, canonical verifier PEM) pairs sorted by signature.
pub(super) fn admit(spec: &str) -> Result<Admitted, RekorError> {
    let spec: Spec =
        serde_json::from_str(spec).map_err(|e| refused(format!("invalid dsse spec: {e}")))?;
    let p = spec
        .proposed_content
        .ok_or_else(|| refused("invalid dsse spec: missing field `proposedContent`"))?;
    let env_json: EnvelopeJson = serde_json::from_str(&p.envelope)
        .map_err(|e| refused(format!("invalid DSSE envelope: {e}")))?;
    let env = Envelope::try_from(&env_json).map_err(|e| refused(format!("DSSE envelope: {e}")))?;
    if env.signatures.is_empty() || p.verifiers.is_empty() {
        return Err(refused(
            "a DSSE entry needs at least one signature and one verifier",
        ));
    }
    if env.signatures.len() > MAX_DSSE_SIGNATURES || p.verifiers.len() > MAX_DSSE_SIGNATURES {
        return Err(refused("too many DSSE signatures or verifiers"));
    }
    let verifiers = p
        .verifiers
        .iter()
        .map(|v| {
            let pem = b64::decode(v).map_err(|e| refused(format!("verifier: {e}")))?;
            Verifier::parse(&pem)
        })
        .collect::<Result<Vec<_>, RekorError>>()?;
    let pae = env.pae();
    let mut sigs = Vec::new();
    let mut index_keys = Vec::new();
    for (s, raw) in env.signatures.iter().zip(&env_json.signatures) {
        let v = verifiers
            .iter()
            .find(|v| v.verifies_sha256(&pae, &s.sig))
            .ok_or_else(|| refused("a DSSE signature does not verify under any verifier"))?;
        sigs.push(Sig {
            signature: raw.sig.clone(),
            verifier: b64::encode(&v.canonical),
        });
        index_keys.push(signet_crypto::sha256(&v.canonical).to_hex());
        index_keys.extend(v.sans.iter().cloned());
    }
    sigs.sort_by(|a, b| (&a.signature, &a.verifier).cmp(&(&b.signature, &b.verifier)));
    let payload_hash = signet_crypto::sha256(&env.payload).to_hex();
    let envelope_hash = signet_crypto::sha256(p.envelope.as_bytes()).to_hex();
    index_keys.push(format!("sha256:{payload_hash}"));
    index_keys.push(format!("sha256:{envelope_hash}"));
    // In-toto subjects are searchable by their SHA-256 digests, as in Rekor.
    if env.payload_type == IN_TOTO_PAYLOAD_TYPE
        && let Ok(st) = serde_json::from_slice::<serde_json::Value>(&env.payload)
    {
        for sub in st
            .get("subject")
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(d) = sub.pointer("/digest/sha256").and_then(|d| d.as_str()) {
                index_keys.push(format!("sha256:{}", d.to_lowercase()));
            }
        }
    }
    let body = Outer::new(
        "dsse",
        "0.0.1",
        Spec {
            proposed_content: None,
            envelope_hash: Some(AlgValue::sha256_hex(envelope_hash)),
            payload_hash: Some(AlgValue::sha256_hex(payload_hash)),
            signatures: Some(sigs),
        },
    )
    .canonical()?;
    Ok(Admitted::new(body, finish_keys(index_keys)))
}

/// A stored `dsse` 0.0.1 body.
pub(crate) fn parse_v001(k: &str, v: serde_json::Value) -> Result<EntryBody, RekorError> {
    let s: Spec = spec(k, v)?;
    let payload_hash = s
        .payload_hash
        .ok_or_else(|| malformed(k, "missing field `payloadHash`"))?;
    let signatures = s
        .signatures
        .ok_or_else(|| malformed(k, "missing field `signatures`"))?;
    Ok(EntryBody::DsseV001 {
        payload_hash_hex: payload_hash.value,
        signatures: signatures
            .iter()
            .map(|x| Ok((dec(k, &x.signature)?, dec(k, &x.verifier)?)))
            .collect::<Result<_, RekorError>>()?,
    })
}

/// A stored `dsse` 0.0.2 body (Rekor v2).
pub(crate) fn parse_v002(k: &str, v: serde_json::Value) -> Result<EntryBody, RekorError> {
    let s: V2Outer = spec(k, v)?;
    let s = s.dsse_v002;
    if s.signatures.is_empty() {
        return Err(malformed(k, "no signatures"));
    }
    Ok(EntryBody::DsseV002 {
        payload_hash_algorithm: s.payload_hash.algorithm,
        payload_hash: dec(k, &s.payload_hash.digest)?,
        signatures: s
            .signatures
            .into_iter()
            .map(|x| x.decode(k))
            .collect::<Result<_, RekorError>>()?,
    })
}

/// A 0.0.1 body records the envelope: its payload's SHA-256 and exactly its signatures, each
/// with a verifier PEM whose first block is `material`.
pub(crate) fn check_v001(
    payload_hash_hex: &str,
    signatures: &[(Vec<u8>, Vec<u8>)],
    envelope: &Envelope,
    material: &Material,
) -> Result<(), RekorError> {
    payload_hash_matches(payload_hash_hex, envelope)?;
    signatures_match(envelope, signatures, |pem| material.matches_pem(pem))
}

/// Rekor v2's short-lived dsse 0.0.2: SHA-256 of the payload and every signature with its
/// verifier, as sigstore-go and sigstore-python checked it before they dropped it.
pub(crate) fn check_v002(
    payload_hash_algorithm: &str,
    payload_hash: &[u8],
    signatures: &[(Vec<u8>, Material)],
    envelope: &Envelope,
    material: &Material,
) -> Result<(), RekorError> {
    if payload_hash_algorithm != "SHA2_256"
        || payload_hash != signet_crypto::sha256(&envelope.payload).as_bytes()
    {
        return Err(RekorError::Mismatch {
            field: "payload hash",
        });
    }
    signatures_match(envelope, signatures, |v| v == material)
}
