//! The entry kinds, one module each, as Rekor's `pkg/types/<kind>`: each owns its one serde
//! model, used for the entry a client proposes, its admission checks, the canonical body the log
//! stores, the body's search-index keys, and the parsing of stored bodies for verification.

use serde::{Deserialize, Serialize};
use signet_crypto::{HashAlgorithm, KeyAlgorithm, PublicKey, Scheme};
use signet_types::Sha256Hash;
use signet_x509::Certificate;

use crate::RekorError;
use crate::body::{Material, dec, malformed};

pub mod dsse;
pub mod hashedrekord;
pub mod intoto;
pub mod v2;

/// An entry that passed admission, in canonical form.
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

impl Admitted {
    /// An admitted entry for `body`, its leaf hash as UUID, and `index_keys`.
    fn new(body: Vec<u8>, index_keys: Vec<String>) -> Self {
        Self {
            uuid: crate::leaf_hash(&body),
            body,
            index_keys,
        }
    }
}

/// A Rekor v1 `ProposedEntry` or entry body: kind, API version and the kind's spec.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Outer<S> {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) spec: S,
}

impl<S: Serialize> Outer<S> {
    fn new(kind: &str, api_version: &str, spec: S) -> Self {
        Self {
            api_version: api_version.into(),
            kind: kind.into(),
            spec,
        }
    }

    /// As a JSON value (a proposed entry a client sends).
    fn to_value(&self) -> serde_json::Value {
        // The spec types are plain strings, vectors and options: serialization cannot fail.
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Rekor's canonical body (RFC 8785 JSON).
    fn canonical(&self) -> Result<Vec<u8>, RekorError> {
        let v = serde_json::to_value(self).map_err(|e| refused(e.to_string()))?;
        crate::canonical_json(&v).map_err(|e| refused(e.to_string()))
    }
}

/// `{"algorithm": …, "value": …}` (hex digests in Rekor v1 bodies).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct AlgValue {
    pub(crate) algorithm: String,
    pub(crate) value: String,
}

impl AlgValue {
    fn sha256_hex(hex: String) -> Self {
        Self {
            algorithm: "sha256".into(),
            value: hex,
        }
    }
}

/// Admission refused the entry (Rekor's `error processing entry: …`).
pub(crate) fn refused(m: impl Into<String>) -> RekorError {
    RekorError::Refused(m.into())
}

/// Validates a proposed entry (a Rekor v1 `ProposedEntry`, JSON) as Rekor's `createLogEntry`
/// does, and returns its canonical form: `hashedrekord` 0.0.1, `dsse` 0.0.1 and `intoto` 0.0.2.
pub fn admit(proposed: &[u8]) -> Result<Admitted, RekorError> {
    let p: Outer<Box<serde_json::value::RawValue>> =
        serde_json::from_slice(proposed).map_err(|e| RekorError::InvalidProposal(e.to_string()))?;
    match (p.kind.as_str(), p.api_version.as_str()) {
        ("hashedrekord", "0.0.1") => hashedrekord::admit(p.spec.get()),
        ("dsse", "0.0.1") => dsse::admit(p.spec.get()),
        ("intoto", "0.0.2") => intoto::admit(p.spec.get()),
        ("hashedrekord" | "dsse", v) => Err(refused(format!(
            "{} version {v} is not supported (0.0.1 is)",
            p.kind
        ))),
        ("intoto", v) => Err(refused(format!(
            "intoto version {v} is not supported (0.0.2 is)"
        ))),
        (k, _) => Err(refused(format!(
            "entry kind {k:?} is not supported by this log (hashedrekord, dsse and intoto are)"
        ))),
    }
}

/// Most certificates accepted in a verifier chain (Rekor: 10).
const MAX_VERIFIER_CHAIN: usize = 10;

/// Most signatures (and verifiers) accepted on one DSSE envelope.
const MAX_DSSE_SIGNATURES: usize = 16;

/// A verifier PEM, parsed once.
struct Verifier {
    key: PublicKey,
    /// Lower-cased SAN identities of a certificate's leaf (none for a bare key).
    sans: Vec<String>,
    /// Rekor's canonical form of the PEM (what the body stores and the index hashes).
    canonical: Vec<u8>,
}

impl Verifier {
    /// The key of a verifier PEM (public key, certificate, or certificate chain), checking that
    /// a chain links up (each certificate signed by the next), as Rekor does.
    fn parse(pem_text: &[u8]) -> Result<Self, RekorError> {
        let blocks = crate::pem_to_der_blocks(pem_text).map_err(|e| refused(e.to_string()))?;
        let (key, sans) = verifier_parts(&blocks)?;
        let canonical = crate::canonical_pem_blocks(&blocks).map_err(|e| refused(e.to_string()))?;
        Ok(Self {
            key,
            sans,
            canonical,
        })
    }

    /// Whether `sig` is this key's signature (SHA-256; PKCS#1 v1.5 for RSA) over `message`, as
    /// DSSE verifiers check envelope signatures over the PAE.
    fn verifies_sha256(&self, message: &[u8], sig: &[u8]) -> bool {
        let scheme = match self.key.algorithm() {
            KeyAlgorithm::Rsa => Scheme::RsaPkcs1(HashAlgorithm::Sha256),
            _ => Scheme::Ecdsa(HashAlgorithm::Sha256),
        };
        self.key.verify_with(scheme, message, sig).is_ok()
    }
}

fn verifier_parts(blocks: &[(String, Vec<u8>)]) -> Result<(PublicKey, Vec<String>), RekorError> {
    match blocks {
        [(t, der)] if t == "PUBLIC KEY" => {
            let key = PublicKey::from_spki_der(der)
                .map_err(|e| refused(format!("invalid public key: {e}")))?;
            Ok((key, Vec::new()))
        }
        [(t, _), ..] if t == "CERTIFICATE" => {
            if blocks.len() > MAX_VERIFIER_CHAIN {
                return Err(refused("certificate chain too long"));
            }
            let certs = blocks
                .iter()
                .map(|(t, der)| {
                    if t != "CERTIFICATE" {
                        return Err(refused(format!(
                            "unexpected PEM block {t} in certificate chain"
                        )));
                    }
                    Certificate::from_der(der)
                        .map_err(|e| refused(format!("invalid certificate: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            for (child, parent) in certs.iter().zip(certs.iter().skip(1)) {
                child
                    .verify_signed_by(parent)
                    .map_err(|e| refused(format!("invalid certificate chain: {e}")))?;
            }
            let leaf = certs
                .first()
                .ok_or_else(|| refused("empty certificate chain"))?;
            let key = leaf.public_key().map_err(|e| refused(e.to_string()))?;
            let sans = leaf
                .san_identities()
                .iter()
                .map(|s| s.value().to_lowercase())
                .collect();
            Ok((key, sans))
        }
        _ => Err(refused(
            "public key must be a PEM PUBLIC KEY or CERTIFICATE",
        )),
    }
}

/// Sorts and de-duplicates search-index keys.
fn finish_keys(mut keys: Vec<String>) -> Vec<String> {
    keys.sort();
    keys.dedup();
    keys
}

/// Rekor v2's `HashOutput` (`algorithm` `SHA2_256`, …; base64 digest).
#[derive(Deserialize)]
pub(crate) struct V2HashOutput {
    pub(crate) algorithm: String,
    pub(crate) digest: String,
}

/// Rekor v2's `Signature`: base64 content and a verifier.
#[derive(Deserialize)]
pub(crate) struct V2Signature {
    content: String,
    verifier: V2Verifier,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Verifier {
    #[serde(default)]
    public_key: Option<V2Raw>,
    #[serde(default)]
    x509_certificate: Option<V2Raw>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Raw {
    raw_bytes: String,
}

impl V2Signature {
    /// The signature bytes and the verifier (exactly one of a key or a certificate, DER).
    pub(crate) fn decode(self, k: &str) -> Result<(Vec<u8>, Material), RekorError> {
        let verifier = match (self.verifier.public_key, self.verifier.x509_certificate) {
            (Some(pk), None) => Material::PublicKey {
                spki_der: dec(k, &pk.raw_bytes)?,
            },
            (None, Some(c)) => Material::Certificate {
                der: dec(k, &c.raw_bytes)?,
            },
            _ => {
                return Err(malformed(
                    k,
                    "verifier must be exactly one of publicKey, x509Certificate",
                ));
            }
        };
        Ok((dec(k, &self.content)?, verifier))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{proposed_dsse, proposed_hashedrekord, proposed_intoto};
    use signet_crypto::SigningKey;

    /// A key, and an in-toto statement with one subject of SHA-256 `digest` in a DSSE envelope
    /// signed by it (as a value and as JSON).
    fn signed_statement(digest: &str) -> (SigningKey, signet_types::dsse::Envelope, String) {
        let k = SigningKey::generate_p256().unwrap();
        let payload = format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a","digest":{{"sha256":"{digest}"}}}}]}}"#
        )
        .into_bytes();
        let pae = signet_types::dsse::pae(signet_types::dsse::IN_TOTO_PAYLOAD_TYPE, &payload);
        let env = signet_types::dsse::Envelope {
            payload,
            payload_type: signet_types::dsse::IN_TOTO_PAYLOAD_TYPE.into(),
            signatures: vec![signet_types::dsse::DsseSignature {
                sig: k.sign(&pae).unwrap(),
                keyid: String::new(),
            }],
        };
        let env_json = serde_json::to_string(&env.to_json()).unwrap();
        (k, env, env_json)
    }

    #[test]
    fn admits_dsse_and_the_verifier_can_match_it() {
        let (k, env, env_json) = signed_statement("00");
        let pem = k.public_key().to_pem();
        let a = admit(proposed_dsse(&env_json, &[&pem]).to_string().as_bytes()).unwrap();
        assert!(a.index_keys.contains(&"sha256:00".to_string()));
        let body = crate::EntryBody::parse(&a.body).unwrap();
        body.check_dsse(
            &env,
            &crate::Material::PublicKey {
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
        let (k, env, env_json) = signed_statement("ab");
        let pem = k.public_key().to_pem();
        let a = admit(
            proposed_intoto(&env_json, &pem)
                .unwrap()
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        assert!(a.index_keys.contains(&"sha256:ab".to_string()));
        let body = crate::EntryBody::parse(&a.body).unwrap();
        assert_eq!(body.kind(), "intoto");
        body.check_dsse(
            &env,
            &crate::Material::PublicKey {
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
        assert_eq!(a.uuid, crate::leaf_hash(&a.body));
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

    /// The proposals are the JSON Rekor clients send (`ProposedEntry`), field for field: built
    /// from the kinds' models, they equal the literal shapes (intoto keeps an empty `keyid`).
    #[test]
    fn proposals_are_rekors_proposed_entries() {
        use signet_types::b64;
        let (k, env, env_json) = signed_statement("cd");
        let pem = k.public_key().to_pem();
        let sig = k.sign(b"artifact").unwrap();
        let hex = signet_crypto::sha256(b"artifact").to_hex();
        assert_eq!(
            proposed_hashedrekord(&sig, &pem, &hex),
            serde_json::json!({
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "data": {"hash": {"algorithm": "sha256", "value": hex}},
                    "signature": {"content": b64::encode(&sig), "publicKey": {"content": b64::encode(&pem)}},
                },
            })
        );
        assert_eq!(
            proposed_dsse(&env_json, &[&pem]),
            serde_json::json!({
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {"proposedContent": {"envelope": env_json, "verifiers": [b64::encode(&pem)]}},
            })
        );
        let sig_b64 = b64::encode(&env.signatures[0].sig);
        assert_eq!(
            proposed_intoto(&env_json, &pem).unwrap(),
            serde_json::json!({
                "apiVersion": "0.0.2",
                "kind": "intoto",
                "spec": {"content": {
                    "envelope": {
                        "payload": b64::encode(b64::encode(&env.payload)),
                        "payloadType": signet_types::dsse::IN_TOTO_PAYLOAD_TYPE,
                        "signatures": [{"keyid": "", "sig": b64::encode(&sig_b64), "publicKey": b64::encode(&pem)}],
                    },
                    "hash": {"algorithm": "sha256", "value": signet_crypto::sha256(env_json.as_bytes()).to_hex()},
                }},
            })
        );
    }
}
