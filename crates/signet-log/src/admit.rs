//! Entry admission: Rekor's `createLogEntry` steps 1–3 for `hashedrekord` 0.0.1.

use serde::Deserialize;
use signet_crypto::{HashAlgorithm, KeyAlgorithm, PublicKey, Scheme};
use signet_types::{Sha256Hash, b64};
use signet_x509::Certificate;

use crate::LogError;

/// An entry that passed validation, in canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    /// Canonical body (the Merkle leaf value).
    pub body: Vec<u8>,
    /// Leaf hash = Rekor UUID.
    pub uuid: Sha256Hash,
    /// Search-index keys (lower-case): `sha256:<hex>` of the artifact, hex SHA-256 of the
    /// canonical verifier PEM, and certificate SAN identities.
    pub index_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Proposed {
    kind: String,
    api_version: String,
    /// Kept raw: parsed once, into the kind's own spec type.
    spec: Box<serde_json::value::RawValue>,
}

#[derive(Deserialize)]
struct Spec {
    data: Data,
    signature: Sig,
}
#[derive(Deserialize)]
struct Data {
    hash: Hash,
}
#[derive(Deserialize)]
struct Hash {
    algorithm: String,
    value: String,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sig {
    content: String,
    public_key: Content,
}
#[derive(Deserialize)]
struct Content {
    content: String,
}

fn bad(m: impl Into<String>) -> LogError {
    LogError::BadRequest(format!("error processing entry: {}", m.into()))
}

/// Most certificates accepted in a verifier chain (Rekor: 10).
const MAX_VERIFIER_CHAIN: usize = 10;

/// A verifier PEM, parsed once.
struct Verifier {
    key: PublicKey,
    /// Lower-cased SAN identities of a certificate's leaf (none for a bare key).
    sans: Vec<String>,
    /// Rekor's canonical form of the PEM (what the body stores and the index hashes).
    canonical: Vec<u8>,
}

/// The key of a verifier PEM (public key, certificate, or certificate chain), checking that a
/// chain links up (each certificate signed by the next), as Rekor does.
fn verifier_key(pem_text: &[u8]) -> Result<Verifier, LogError> {
    let blocks = signet_rekor::pem_to_der_blocks(pem_text).map_err(|e| bad(e.to_string()))?;
    let (key, sans) = verifier_parts(&blocks)?;
    let canonical = signet_rekor::canonical_pem_blocks(&blocks).map_err(|e| bad(e.to_string()))?;
    Ok(Verifier {
        key,
        sans,
        canonical,
    })
}

fn verifier_parts(blocks: &[(String, Vec<u8>)]) -> Result<(PublicKey, Vec<String>), LogError> {
    match blocks {
        [(t, der)] if t == "PUBLIC KEY" => {
            let key = PublicKey::from_spki_der(der)
                .map_err(|e| bad(format!("invalid public key: {e}")))?;
            Ok((key, Vec::new()))
        }
        [(t, _), ..] if t == "CERTIFICATE" => {
            if blocks.len() > MAX_VERIFIER_CHAIN {
                return Err(bad("certificate chain too long"));
            }
            let certs = blocks
                .iter()
                .map(|(t, der)| {
                    if t != "CERTIFICATE" {
                        return Err(bad(format!(
                            "unexpected PEM block {t} in certificate chain"
                        )));
                    }
                    Certificate::from_der(der).map_err(|e| bad(format!("invalid certificate: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            for (child, parent) in certs.iter().zip(certs.iter().skip(1)) {
                child
                    .verify_signed_by(parent)
                    .map_err(|e| bad(format!("invalid certificate chain: {e}")))?;
            }
            let leaf = certs
                .first()
                .ok_or_else(|| bad("empty certificate chain"))?;
            let key = leaf.public_key().map_err(|e| bad(e.to_string()))?;
            let sans = leaf
                .san_identities()
                .iter()
                .map(|s| s.value().to_lowercase())
                .collect();
            Ok((key, sans))
        }
        _ => Err(bad("public key must be a PEM PUBLIC KEY or CERTIFICATE")),
    }
}

/// Validates a proposed entry (JSON) and returns its canonical form.
pub fn admit(proposed: &[u8]) -> Result<Admitted, LogError> {
    let p: Proposed = serde_json::from_slice(proposed)
        .map_err(|e| LogError::BadRequest(format!("invalid proposed entry: {e}")))?;
    match (p.kind.as_str(), p.api_version.as_str()) {
        ("hashedrekord", "0.0.1") => admit_hashedrekord(p.spec.get()),
        ("dsse", "0.0.1") => admit_dsse(p.spec.get()),
        ("intoto", "0.0.2") => admit_intoto(p.spec.get()),
        ("hashedrekord" | "dsse", v) => Err(bad(format!(
            "{} version {v} is not supported (0.0.1 is)",
            p.kind
        ))),
        ("intoto", v) => Err(bad(format!(
            "intoto version {v} is not supported (0.0.2 is)"
        ))),
        (k, _) => Err(bad(format!(
            "entry kind {k:?} is not supported by this log (hashedrekord, dsse and intoto are)"
        ))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DsseSpec {
    proposed_content: DsseProposed,
}
#[derive(Deserialize)]
struct DsseProposed {
    envelope: String,
    verifiers: Vec<String>,
}

/// Most signatures (and verifiers) accepted on one DSSE envelope.
const MAX_DSSE_SIGNATURES: usize = 16;

/// Rekor's `dsse` 0.0.1: every envelope signature must verify (ECDSA/RSA with SHA-256 over the
/// PAE) under one of the verifiers; the envelope itself is not stored, only its hash, the payload
/// hash and (signature, canonical verifier PEM) pairs sorted by signature.
fn admit_dsse(spec: &str) -> Result<Admitted, LogError> {
    let spec: DsseSpec =
        serde_json::from_str(spec).map_err(|e| bad(format!("invalid dsse spec: {e}")))?;
    let env_json: signet_types::dsse::EnvelopeJson =
        serde_json::from_str(&spec.proposed_content.envelope)
            .map_err(|e| bad(format!("invalid DSSE envelope: {e}")))?;
    let env = signet_types::dsse::Envelope::try_from(&env_json)
        .map_err(|e| bad(format!("DSSE envelope: {e}")))?;
    let p = &spec.proposed_content;
    if env.signatures.is_empty() || p.verifiers.is_empty() {
        return Err(bad(
            "a DSSE entry needs at least one signature and one verifier",
        ));
    }
    if env.signatures.len() > MAX_DSSE_SIGNATURES || p.verifiers.len() > MAX_DSSE_SIGNATURES {
        return Err(bad("too many DSSE signatures or verifiers"));
    }
    let verifiers = p
        .verifiers
        .iter()
        .map(|v| {
            let pem = b64::decode(v).map_err(|e| bad(format!("verifier: {e}")))?;
            let v = verifier_key(&pem)?;
            Ok((v.key, v.sans, v.canonical))
        })
        .collect::<Result<Vec<_>, LogError>>()?;
    let pae = env.pae();
    let mut sigs = Vec::new();
    let mut index_keys = Vec::new();
    for (s, raw) in env.signatures.iter().zip(&env_json.signatures) {
        let (_, sans, pem) = verifiers
            .iter()
            .find(|(k, _, _)| {
                let scheme = match k.algorithm() {
                    KeyAlgorithm::Rsa => Scheme::RsaPkcs1(HashAlgorithm::Sha256),
                    _ => Scheme::Ecdsa(HashAlgorithm::Sha256),
                };
                k.verify_with(scheme, &pae, &s.sig).is_ok()
            })
            .ok_or_else(|| bad("a DSSE signature does not verify under any verifier"))?;
        sigs.push((raw.sig.clone(), b64::encode(pem)));
        index_keys.push(signet_crypto::sha256(pem).to_hex());
        index_keys.extend(sans.iter().cloned());
    }
    sigs.sort();
    let payload_hash = signet_crypto::sha256(&env.payload).to_hex();
    let envelope_hash = signet_crypto::sha256(p.envelope.as_bytes()).to_hex();
    index_keys.push(format!("sha256:{payload_hash}"));
    index_keys.push(format!("sha256:{envelope_hash}"));
    // In-toto subjects are searchable by their digests, as in Rekor.
    if env.payload_type == signet_types::dsse::IN_TOTO_PAYLOAD_TYPE
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
    let body = signet_rekor::canonical_json(&serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": envelope_hash},
            "payloadHash": {"algorithm": "sha256", "value": payload_hash},
            "signatures": sigs.iter().map(|(s, v)| serde_json::json!({"signature": s, "verifier": v})).collect::<Vec<_>>(),
        },
    }))
    .map_err(|e| bad(e.to_string()))?;
    index_keys.sort();
    index_keys.dedup();
    Ok(Admitted {
        uuid: signet_rekor::leaf_hash(&body),
        body,
        index_keys,
    })
}

#[derive(Deserialize)]
struct IntotoSpec {
    content: IntotoContent,
}
#[derive(Deserialize)]
struct IntotoContent {
    envelope: IntotoEnvelope,
    #[serde(default)]
    hash: Option<Hash>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntotoEnvelope {
    payload: String,
    payload_type: String,
    signatures: Vec<IntotoSig>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntotoSig {
    #[serde(default)]
    keyid: String,
    sig: String,
    public_key: String,
}

/// base64( base64-text ) -> (the inner text's bytes as sent, the decoded inner bytes). Rekor's
/// intoto v0.0.2 stores DSSE's base64 strings as `[]byte`, so they are base64-encoded twice.
fn double_b64(field: &str, v: &str) -> Result<(Vec<u8>, Vec<u8>), LogError> {
    let outer = b64::decode(v).map_err(|e| bad(format!("{field}: {e}")))?;
    let text = std::str::from_utf8(&outer).map_err(|_| bad(format!("{field}: not base64 text")))?;
    let inner = b64::decode(text).map_err(|e| bad(format!("{field}: {e}")))?;
    Ok((outer, inner))
}

/// Rekor's `intoto` 0.0.2: every envelope signature must verify (SHA-256 over the PAE) under one
/// of the entry's keys; the canonical body keeps the payload type, the signatures (double
/// base64, as Rekor stores them) with their keys, the client's envelope hash and the payload hash,
/// and drops the payload.
///
/// Each key (public key or certificate PEM) is stored re-encoded in Go's `pem.Encode` layout, as
/// for `hashedrekord` and `dsse`, so the same envelope sent twice with differently wrapped PEM
/// (CRLF, no trailing newline) is one entry, and a duplicate gets 409. Released Rekor (1.5.x)
/// copies this key as sent instead (sigstore/rekor#1170; the open fix, rekor#2988, re-encodes it
/// as here). Clients that build the entry with Rekor's own code (cosign, rekor-cli) already send
/// the re-encoded form, so for them the body is byte-identical to Rekor's.
fn admit_intoto(spec: &str) -> Result<Admitted, LogError> {
    let spec: IntotoSpec =
        serde_json::from_str(spec).map_err(|e| bad(format!("invalid intoto spec: {e}")))?;
    let c = spec.content;
    let env = c.envelope;
    if env.payload_type.is_empty() {
        return Err(bad("missing payloadType content"));
    }
    if env.signatures.is_empty() {
        return Err(bad("missing signatures content"));
    }
    if env.signatures.len() > MAX_DSSE_SIGNATURES {
        return Err(bad("too many DSSE signatures"));
    }
    let (_, payload) = double_b64("payload", &env.payload)?;
    if payload.is_empty() {
        return Err(bad("missing envelope content"));
    }
    let hash = c.hash.ok_or_else(|| bad("missing envelope digest"))?;
    if hash.algorithm != "sha256" || hash.value.len() != 64 || hex::decode(&hash.value).is_err() {
        return Err(bad("envelope digest must be sha256 with 64 hex characters"));
    }
    let pae = signet_types::dsse::pae(&env.payload_type, &payload);
    let mut keys = Vec::new();
    let mut sigs = Vec::new();
    let mut index_keys = Vec::new();
    for s in &env.signatures {
        let (sig_text, sig) = double_b64("signature", &s.sig)?;
        let pem = b64::decode(&s.public_key).map_err(|e| bad(format!("publicKey: {e}")))?;
        let v = verifier_key(&pem)?;
        index_keys.push(format!(
            "sha256:{}",
            signet_crypto::sha256(&v.canonical).to_hex()
        ));
        index_keys.extend(v.sans);
        keys.push(v.key);
        // The key as the body stores it: re-encoded (see the function's doc).
        sigs.push((s.keyid.clone(), sig_text, v.canonical, sig));
    }
    // As Rekor: each signature must verify under some key of the entry.
    for (_, _, _, sig) in &sigs {
        let ok = keys.iter().any(|k| {
            let scheme = match k.algorithm() {
                KeyAlgorithm::Rsa => Scheme::RsaPkcs1(HashAlgorithm::Sha256),
                _ => Scheme::Ecdsa(HashAlgorithm::Sha256),
            };
            k.verify_with(scheme, &pae, sig).is_ok()
        });
        if !ok {
            return Err(bad("all signatures must have a key that verifies it"));
        }
    }
    let payload_hash = signet_crypto::sha256(&payload).to_hex();
    index_keys.push(format!("sha256:{payload_hash}"));
    if env.payload_type == signet_types::dsse::IN_TOTO_PAYLOAD_TYPE
        && let Ok(st) = serde_json::from_slice::<serde_json::Value>(&payload)
    {
        for sub in st
            .get("subject")
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
        {
            for (alg, d) in sub
                .get("digest")
                .and_then(|d| d.as_object())
                .into_iter()
                .flatten()
            {
                if let Some(d) = d.as_str() {
                    index_keys.push(format!("{alg}:{d}").to_lowercase());
                }
            }
        }
    }
    let signatures: Vec<serde_json::Value> = sigs
        .iter()
        .map(|(keyid, sig_text, pem, _)| {
            let mut o =
                serde_json::json!({"publicKey": b64::encode(pem), "sig": b64::encode(sig_text)});
            if let Some(o) = o.as_object_mut().filter(|_| !keyid.is_empty()) {
                o.insert("keyid".into(), keyid.clone().into());
            }
            o
        })
        .collect();
    let body = signet_rekor::canonical_json(&serde_json::json!({
        "apiVersion": "0.0.2",
        "kind": "intoto",
        "spec": {"content": {
            "envelope": {"payloadType": env.payload_type, "signatures": signatures},
            "hash": {"algorithm": hash.algorithm, "value": hash.value},
            "payloadHash": {"algorithm": "sha256", "value": payload_hash},
        }},
    }))
    .map_err(|e| bad(e.to_string()))?;
    index_keys.sort();
    index_keys.dedup();
    Ok(Admitted {
        uuid: signet_rekor::leaf_hash(&body),
        body,
        index_keys,
    })
}

/// The intoto 0.0.2 proposed entry a client (rekor-cli, cosign) sends for a DSSE envelope JSON:
/// payload and signatures double base64, keys as base64 PEM, envelope hash over the JSON bytes.
pub fn proposed_intoto(
    envelope_json: &str,
    verifier_pem: &str,
) -> Result<serde_json::Value, LogError> {
    let env: signet_types::dsse::EnvelopeJson = serde_json::from_str(envelope_json)
        .map_err(|e| bad(format!("invalid DSSE envelope: {e}")))?;
    Ok(serde_json::json!({
        "apiVersion": "0.0.2",
        "kind": "intoto",
        "spec": {"content": {
            "envelope": {
                "payload": b64::encode(env.payload.as_bytes()),
                "payloadType": env.payload_type,
                "signatures": env.signatures.iter().map(|s| serde_json::json!({
                    "keyid": s.keyid, "sig": b64::encode(s.sig.as_bytes()), "publicKey": b64::encode(verifier_pem),
                })).collect::<Vec<_>>(),
            },
            "hash": {"algorithm": "sha256", "value": signet_crypto::sha256(envelope_json.as_bytes()).to_hex()},
        }},
    }))
}

/// The dsse 0.0.1 proposed entry a client sends: the envelope as a JSON string, and verifiers.
pub fn proposed_dsse(envelope_json: &str, verifier_pems: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {
            "envelope": envelope_json,
            "verifiers": verifier_pems.iter().map(b64::encode).collect::<Vec<_>>(),
        }},
    })
}

fn admit_hashedrekord(spec: &str) -> Result<Admitted, LogError> {
    let spec: Spec =
        serde_json::from_str(spec).map_err(|e| bad(format!("invalid hashedrekord spec: {e}")))?;
    let sig = b64::decode(&spec.signature.content).map_err(|e| bad(format!("signature: {e}")))?;
    if sig.is_empty() {
        return Err(bad("missing signature"));
    }
    let pem = b64::decode(&spec.signature.public_key.content)
        .map_err(|e| bad(format!("public key: {e}")))?;
    let Verifier {
        key,
        sans,
        canonical,
    } = verifier_key(&pem)?;
    let algorithm = spec.data.hash.algorithm.as_str();
    let digest_hex = spec.data.hash.value.as_str();
    let hash = match algorithm {
        "sha256" => HashAlgorithm::Sha256,
        "sha384" => HashAlgorithm::Sha384,
        "sha512" => HashAlgorithm::Sha512,
        other => return Err(bad(format!("unsupported hash algorithm {other:?}"))),
    };
    let digest = hex::decode(digest_hex).map_err(|_| bad("hash value is not hex"))?;
    if digest.len() != hash.output_len() {
        return Err(bad(format!(
            "{algorithm} value must be {} hex characters",
            hash.output_len().saturating_mul(2)
        )));
    }
    // Rekor's default algorithm registry: key type fixes the hash.
    let scheme = match (key.algorithm(), hash) {
        (KeyAlgorithm::EcdsaP256, HashAlgorithm::Sha256) => Scheme::Ecdsa(HashAlgorithm::Sha256),
        (KeyAlgorithm::EcdsaP384, HashAlgorithm::Sha384) => Scheme::Ecdsa(HashAlgorithm::Sha384),
        (KeyAlgorithm::EcdsaP521, HashAlgorithm::Sha512) => Scheme::Ecdsa(HashAlgorithm::Sha512),
        (KeyAlgorithm::Rsa, HashAlgorithm::Sha256) => Scheme::RsaPkcs1(HashAlgorithm::Sha256),
        _ => return Err(bad("entry algorithms are not allowed")),
    };
    key.verify_prehashed(scheme, &digest, &sig).map_err(|_| {
        bad("verifying signature: invalid signature when validating ASN.1 encoded signature")
    })?;
    let body = signet_rekor::hashedrekord_v001_body(&sig, &canonical, algorithm, digest_hex)
        .map_err(|e| bad(e.to_string()))?;
    let uuid = signet_rekor::leaf_hash(&body);
    let mut index_keys = vec![
        format!("{algorithm}:{}", digest_hex.to_lowercase()),
        signet_crypto::sha256(&canonical).to_hex(),
    ];
    index_keys.extend(sans);
    Ok(Admitted {
        body,
        uuid,
        index_keys,
    })
}

/// The hashedrekord 0.0.1 proposed entry a client sends (for our own client and tests).
pub fn proposed_hashedrekord(
    signature: &[u8],
    verifier_pem: &str,
    sha256_hex: &str,
) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": sha256_hex}},
            "signature": {"content": b64::encode(signature), "publicKey": {"content": b64::encode(verifier_pem)}},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_crypto::SigningKey;

    #[test]
    fn admits_dsse_and_the_verifier_can_match_it() {
        let k = SigningKey::generate_p256().unwrap();
        let payload = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}]}"#;
        let pae = signet_types::dsse::pae(signet_types::dsse::IN_TOTO_PAYLOAD_TYPE, payload);
        let env = signet_types::dsse::Envelope {
            payload: payload.to_vec(),
            payload_type: signet_types::dsse::IN_TOTO_PAYLOAD_TYPE.into(),
            signatures: vec![signet_types::dsse::DsseSignature {
                sig: k.sign(&pae).unwrap(),
                keyid: String::new(),
            }],
        };
        let env_json = serde_json::to_string(&env.to_json()).unwrap();
        let pem = k.public_key().to_pem();
        let a = admit(proposed_dsse(&env_json, &[&pem]).to_string().as_bytes()).unwrap();
        assert!(a.index_keys.contains(&"sha256:00".to_string()));
        let body = signet_rekor::EntryBody::parse(&a.body).unwrap();
        body.check_dsse(
            &env,
            &signet_rekor::Material::PublicKey {
                spki_der: k.public_key().spki_der().to_vec(),
            },
        )
        .unwrap();
        // A signature by another key is refused.
        let k2 = SigningKey::generate_p256().unwrap();
        assert!(
            admit(
                proposed_dsse(&env_json, &[&k2.public_key().to_pem()])
                    .to_string()
                    .as_bytes()
            )
            .is_err()
        );
    }

    #[test]
    fn admits_intoto_and_the_verifier_can_match_it() {
        let k = SigningKey::generate_p256().unwrap();
        let payload = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"ab"}}]}"#;
        let pae = signet_types::dsse::pae(signet_types::dsse::IN_TOTO_PAYLOAD_TYPE, payload);
        let env = signet_types::dsse::Envelope {
            payload: payload.to_vec(),
            payload_type: signet_types::dsse::IN_TOTO_PAYLOAD_TYPE.into(),
            signatures: vec![signet_types::dsse::DsseSignature {
                sig: k.sign(&pae).unwrap(),
                keyid: String::new(),
            }],
        };
        let env_json = serde_json::to_string(&env.to_json()).unwrap();
        let pem = k.public_key().to_pem();
        let a = admit(
            proposed_intoto(&env_json, &pem)
                .unwrap()
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        assert!(a.index_keys.contains(&"sha256:ab".to_string()));
        let body = signet_rekor::EntryBody::parse(&a.body).unwrap();
        assert_eq!(body.kind(), "intoto");
        body.check_dsse(
            &env,
            &signet_rekor::Material::PublicKey {
                spki_der: k.public_key().spki_der().to_vec(),
            },
        )
        .unwrap();
        // The payload is not stored; the envelope hash is the client's.
        let text = String::from_utf8(a.body.clone()).unwrap();
        assert!(!text.contains("\"payload\""));
        // Another key's signature, or a missing envelope hash, is refused.
        let k2 = SigningKey::generate_p256().unwrap();
        assert!(
            admit(
                proposed_intoto(&env_json, &k2.public_key().to_pem())
                    .unwrap()
                    .to_string()
                    .as_bytes()
            )
            .is_err()
        );
        let mut no_hash = proposed_intoto(&env_json, &pem).unwrap();
        no_hash["spec"]["content"]
            .as_object_mut()
            .unwrap()
            .remove("hash");
        assert!(admit(no_hash.to_string().as_bytes()).is_err());
    }

    #[test]
    fn admits_valid_and_refuses_invalid() {
        let k = SigningKey::generate_p256().unwrap();
        let data = b"artifact";
        let sig = k.sign(data).unwrap();
        let hex = signet_crypto::sha256(data).to_hex();
        let p = proposed_hashedrekord(&sig, &k.public_key().to_pem(), &hex);
        let a = admit(p.to_string().as_bytes()).unwrap();
        assert_eq!(a.uuid, signet_rekor::leaf_hash(&a.body));
        assert!(a.index_keys.contains(&format!("sha256:{hex}")));
        // Wrong digest, wrong key, garbage, unsupported kind.
        let other = signet_crypto::sha256(b"other").to_hex();
        assert!(
            admit(
                proposed_hashedrekord(&sig, &k.public_key().to_pem(), &other)
                    .to_string()
                    .as_bytes()
            )
            .is_err()
        );
        let k2 = SigningKey::generate_p256().unwrap();
        assert!(
            admit(
                proposed_hashedrekord(&sig, &k2.public_key().to_pem(), &hex)
                    .to_string()
                    .as_bytes()
            )
            .is_err()
        );
        assert!(admit(b"{").is_err());
        assert!(admit(br#"{"kind":"rpm","apiVersion":"0.0.1","spec":{}}"#).is_err());
        let mut bad_alg = p.clone();
        bad_alg["spec"]["data"]["hash"]["algorithm"] = "md5".into();
        assert!(admit(bad_alg.to_string().as_bytes()).is_err());
    }
}
