//! Rekor v2 (rekor-tiles) admission: a `CreateEntryRequest` (protojson) in, the canonical entry
//! body rekor-tiles logs out (RFC 8785 JSON of the protojson `Entry`, verifier bytes kept as
//! sent, `keyDetails` kept as sent).
//!
//! * `hashedRekordRequestV002`: the signature must verify over the digest with the verifier's
//!   key, with the hash `keyDetails` names; the digest length must be that hash's; the pair (key
//!   type, hash) must be one rekor-tiles' default algorithm registry permits.
//! * `dsseRequestV002`: every envelope signature must verify over the DSSE PAE with one of the
//!   verifiers; the body records the payload's SHA-256 and each signature with its verifier
//!   (rekor-tiles accepted this kind in 2025 and dropped it since; signet's verifier, like the
//!   public clients, still verifies such entries).
//!
//! Both field spellings protojson accepts (lowerCamelCase and the proto's snake_case) are read.

use serde::Deserialize;
use serde_json::json;
use signet_crypto::{HashAlgorithm, KeyAlgorithm, PublicKey, Scheme};
use signet_types::b64;
use signet_types::dsse::pae;
use signet_x509::Certificate;

use super::{Admitted, refused};
use crate::RekorError;

/// The most bytes of a logged entry: a tlog-tiles entry bundle prefixes each entry with a
/// big-endian `uint16` length (Tessera's `DefaultEntrySizeLimit`).
pub const MAX_V2_ENTRY: usize = 65_535;

/// Most verifiers (and envelope signatures) accepted in one DSSE request.
const MAX_DSSE_VERIFIERS: usize = 16;

/// A v2 entry that passed admission: its canonical body (the leaf) and its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdmittedV2 {
    /// The canonical body and its leaf hash (no search-index keys: Rekor v2 has no search).
    pub entry: Admitted,
    /// `hashedrekord` or `dsse`.
    pub kind: &'static str,
}

impl AdmittedV2 {
    /// The entry API version (always `0.0.2`).
    pub fn version(&self) -> &'static str {
        "0.0.2"
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateEntryRequest {
    #[serde(default, alias = "hashed_rekord_request_v002")]
    hashed_rekord_request_v002: Option<HashedRekordRequest>,
    #[serde(default, alias = "dsse_request_v002")]
    dsse_request_v002: Option<DsseRequest>,
}

#[derive(Deserialize)]
struct HashedRekordRequest {
    #[serde(default)]
    digest: String,
    signature: Option<SignatureRequest>,
}

#[derive(Deserialize)]
struct SignatureRequest {
    #[serde(default)]
    content: String,
    verifier: Option<VerifierRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifierRequest {
    #[serde(default, alias = "public_key")]
    public_key: Option<RawBytes>,
    #[serde(default, alias = "x509_certificate")]
    x509_certificate: Option<RawBytes>,
    #[serde(default, alias = "key_details")]
    key_details: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytes {
    #[serde(default, alias = "raw_bytes")]
    raw_bytes: String,
}

#[derive(Deserialize)]
struct DsseRequest {
    envelope: Option<EnvelopeRequest>,
    #[serde(default)]
    verifiers: Vec<VerifierRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnvelopeRequest {
    #[serde(default)]
    payload: String,
    #[serde(default, alias = "payload_type")]
    payload_type: String,
    #[serde(default)]
    signatures: Vec<EnvelopeSignature>,
}

#[derive(Deserialize)]
struct EnvelopeSignature {
    #[serde(default)]
    sig: String,
}

/// A verifier of a request: its key, the hash its `keyDetails` implies, and its JSON as the
/// body records it.
struct V2Verifier {
    key: PublicKey,
    hash: HashAlgorithm,
    json: serde_json::Value,
}

/// The hash a `keyDetails` value signs with, for the ones rekor-tiles' default algorithm
/// registry permits.
fn key_details_hash(details: &str) -> Result<HashAlgorithm, RekorError> {
    Ok(match details {
        "PKIX_ECDSA_P256_SHA_256"
        | "PKIX_RSA_PKCS1V15_2048_SHA256"
        | "PKIX_RSA_PKCS1V15_3072_SHA256"
        | "PKIX_RSA_PKCS1V15_4096_SHA256" => HashAlgorithm::Sha256,
        "PKIX_ECDSA_P384_SHA_384" => HashAlgorithm::Sha384,
        "PKIX_ECDSA_P521_SHA_512" => HashAlgorithm::Sha512,
        "" => return Err(refused("the verifier has no keyDetails")),
        "PKIX_ED25519" | "PKIX_ED25519_PH" => {
            return Err(refused(format!(
                "keyDetails {details} is not supported by this log (ECDSA P-256/P-384/P-521 and \
                 RSA PKCS#1 v1.5 keys are)"
            )));
        }
        other => return Err(refused(format!("unsupported keyDetails {other:?}"))),
    })
}

/// Rekor v2's `HashAlgorithm` name.
fn hash_name(h: HashAlgorithm) -> &'static str {
    match h {
        HashAlgorithm::Sha384 => "SHA2_384",
        HashAlgorithm::Sha512 => "SHA2_512",
        _ => "SHA2_256",
    }
}

/// The signature scheme for `key` with `hash`, if the pair is permitted.
fn scheme_for(key: &PublicKey, hash: HashAlgorithm) -> Result<Scheme, RekorError> {
    match (key.algorithm(), hash) {
        (KeyAlgorithm::EcdsaP256, HashAlgorithm::Sha256)
        | (KeyAlgorithm::EcdsaP384, HashAlgorithm::Sha384)
        | (KeyAlgorithm::EcdsaP521, HashAlgorithm::Sha512) => Ok(Scheme::Ecdsa(hash)),
        (KeyAlgorithm::Rsa, HashAlgorithm::Sha256) => Ok(Scheme::RsaPkcs1(hash)),
        (alg, h) => Err(refused(format!(
            "the verifier's key ({alg:?}) may not be used with {} (keyDetails and key disagree)",
            h.name()
        ))),
    }
}

fn decode(what: &str, s: &str) -> Result<Vec<u8>, RekorError> {
    if s.is_empty() {
        return Err(refused(format!("missing {what}")));
    }
    b64::decode(s).map_err(|e| refused(format!("{what} is not base64: {e}")))
}

impl V2Verifier {
    fn parse(v: Option<VerifierRequest>) -> Result<Self, RekorError> {
        let v = v.ok_or_else(|| refused("missing verifier"))?;
        let hash = key_details_hash(&v.key_details)?;
        let (key, name, der) = match (v.public_key, v.x509_certificate) {
            (Some(pk), None) => {
                let der = decode("publicKey.rawBytes", &pk.raw_bytes)?;
                let key = PublicKey::from_spki_der(&der)
                    .map_err(|e| refused(format!("invalid public key (DER SPKI expected): {e}")))?;
                (key, "publicKey", der)
            }
            (None, Some(c)) => {
                let der = decode("x509Certificate.rawBytes", &c.raw_bytes)?;
                let cert = Certificate::from_der(&der).map_err(|e| {
                    refused(format!("invalid certificate (DER X.509 expected): {e}"))
                })?;
                let key = cert.public_key().map_err(|e| refused(e.to_string()))?;
                (key, "x509Certificate", der)
            }
            _ => {
                return Err(refused(
                    "the verifier must be exactly one of publicKey, x509Certificate",
                ));
            }
        };
        scheme_for(&key, hash)?;
        let json = json!({
            "keyDetails": v.key_details,
            name: {"rawBytes": b64::encode(&der)},
        });
        Ok(Self { key, hash, json })
    }

    fn scheme(&self) -> Result<Scheme, RekorError> {
        scheme_for(&self.key, self.hash)
    }
}

/// The verifier a client names in a v2 request: its key or certificate (DER, as rekor-tiles
/// wants it: no PEM) and the `keyDetails` it signs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestVerifier {
    /// `publicKey` (DER SPKI) when `false`, `x509Certificate` (DER) when `true`.
    certificate: bool,
    der: Vec<u8>,
    key_details: &'static str,
}

impl RequestVerifier {
    /// A managed key's DER SPKI.
    pub fn public_key(key: &PublicKey) -> Result<Self, RekorError> {
        Ok(Self {
            certificate: false,
            der: key.spki_der().to_vec(),
            key_details: request_key_details(key)?,
        })
    }

    /// A signing certificate (DER).
    pub fn certificate(cert_der: &[u8]) -> Result<Self, RekorError> {
        let cert = Certificate::from_der(cert_der)
            .map_err(|e| refused(format!("invalid signing certificate: {e}")))?;
        let key = cert.public_key().map_err(|e| refused(e.to_string()))?;
        Ok(Self {
            certificate: true,
            der: cert_der.to_vec(),
            key_details: request_key_details(&key)?,
        })
    }

    fn json(&self) -> serde_json::Value {
        let name = if self.certificate {
            "x509Certificate"
        } else {
            "publicKey"
        };
        json!({name: {"rawBytes": b64::encode(&self.der)}, "keyDetails": self.key_details})
    }
}

/// The `keyDetails` of a key that signs SHA-256 digests (what signet's signers do), for the key
/// types rekor-tiles' default registry permits with SHA-256.
fn request_key_details(key: &PublicKey) -> Result<&'static str, RekorError> {
    match key.algorithm() {
        KeyAlgorithm::EcdsaP256 => Ok("PKIX_ECDSA_P256_SHA_256"),
        other => Err(refused(format!(
            "a {other:?} key cannot sign through a Rekor v2 log yet (signet logs ECDSA P-256 \
             keys there, with SHA-256)"
        ))),
    }
}

/// The `CreateEntryRequest` for a message signature: `hashedRekordRequestV002` with the
/// artifact's `digest`, the `signature` over it and its `verifier`.
pub fn request_hashedrekord_v002(
    digest: &[u8],
    signature: &[u8],
    verifier: &RequestVerifier,
) -> serde_json::Value {
    json!({"hashedRekordRequestV002": {
        "digest": b64::encode(digest),
        "signature": {"content": b64::encode(signature), "verifier": verifier.json()},
    }})
}

/// The `CreateEntryRequest` for a DSSE envelope: `dsseRequestV002` with the envelope (protojson
/// `Envelope`: base64 payload and signatures) and its `verifiers`.
pub fn request_dsse_v002(
    envelope: &signet_types::dsse::EnvelopeJson,
    verifiers: &[RequestVerifier],
) -> Result<serde_json::Value, RekorError> {
    let envelope =
        serde_json::to_value(envelope).map_err(|e| RekorError::InvalidProposal(e.to_string()))?;
    Ok(json!({"dsseRequestV002": {
        "envelope": envelope,
        "verifiers": verifiers.iter().map(RequestVerifier::json).collect::<Vec<_>>(),
    }}))
}

/// Validates a Rekor v2 `CreateEntryRequest` (protojson) as rekor-tiles does and returns the
/// canonical body it logs.
pub fn admit_v2(request: &[u8]) -> Result<AdmittedV2, RekorError> {
    let r: CreateEntryRequest =
        serde_json::from_slice(request).map_err(|e| RekorError::InvalidProposal(e.to_string()))?;
    let (body, kind) = match (r.hashed_rekord_request_v002, r.dsse_request_v002) {
        (Some(h), None) => (hashedrekord(h)?, "hashedrekord"),
        (None, Some(d)) => (dsse(d)?, "dsse"),
        (Some(_), Some(_)) => {
            return Err(RekorError::InvalidProposal(
                "a request holds exactly one of hashedRekordRequestV002, dsseRequestV002".into(),
            ));
        }
        (None, None) => {
            return Err(RekorError::InvalidProposal(
                "unknown entry kind: the request holds neither hashedRekordRequestV002 nor \
                 dsseRequestV002 (the kinds this log accepts)"
                    .into(),
            ));
        }
    };
    if body.len() > MAX_V2_ENTRY {
        return Err(refused(format!(
            "the entry is {} bytes; a tile-based log holds entries of at most {MAX_V2_ENTRY}",
            body.len()
        )));
    }
    Ok(AdmittedV2 {
        entry: Admitted::new(body, Vec::new()),
        kind,
    })
}

fn hashedrekord(h: HashedRekordRequest) -> Result<Vec<u8>, RekorError> {
    let digest = decode("digest", &h.digest)?;
    let sig = h.signature.ok_or_else(|| refused("missing signature"))?;
    let content = decode("signature content", &sig.content)?;
    let verifier = V2Verifier::parse(sig.verifier)?;
    if digest.len() != verifier.hash.output_len() {
        return Err(refused(format!(
            "the digest is {} bytes but {} (from keyDetails) digests are {}",
            digest.len(),
            verifier.hash.name(),
            verifier.hash.output_len()
        )));
    }
    verifier
        .key
        .verify_prehashed(verifier.scheme()?, &digest, &content)
        .map_err(|_| refused("the signature does not verify over the digest with the verifier"))?;
    let body = json!({
        "apiVersion": "0.0.2",
        "kind": "hashedrekord",
        "spec": {"hashedRekordV002": {
            "data": {"algorithm": hash_name(verifier.hash), "digest": b64::encode(&digest)},
            "signature": {"content": b64::encode(&content), "verifier": verifier.json},
        }},
    });
    crate::canonical_json(&body)
}

fn dsse(d: DsseRequest) -> Result<Vec<u8>, RekorError> {
    let env = d.envelope.ok_or_else(|| refused("missing envelope"))?;
    if env.payload_type.is_empty() {
        return Err(refused("the envelope has no payloadType"));
    }
    let payload = decode("envelope payload", &env.payload)?;
    if env.signatures.is_empty() {
        return Err(refused("the envelope has no signatures"));
    }
    if env.signatures.len() > MAX_DSSE_VERIFIERS || d.verifiers.len() > MAX_DSSE_VERIFIERS {
        return Err(refused(format!(
            "at most {MAX_DSSE_VERIFIERS} signatures and verifiers are accepted"
        )));
    }
    if d.verifiers.is_empty() {
        return Err(refused("missing verifiers"));
    }
    let verifiers = d
        .verifiers
        .into_iter()
        .map(|v| V2Verifier::parse(Some(v)))
        .collect::<Result<Vec<_>, _>>()?;
    let message = pae(&env.payload_type, &payload);
    let mut signatures = Vec::with_capacity(env.signatures.len());
    for (i, s) in env.signatures.iter().enumerate() {
        let sig = decode("envelope signature", &s.sig)?;
        let v = verifiers
            .iter()
            .find(|v| {
                v.scheme()
                    .is_ok_and(|sc| v.key.verify_with(sc, &message, &sig).is_ok())
            })
            .ok_or_else(|| {
                refused(format!(
                    "envelope signature {i} does not verify over the DSSE PAE with any verifier"
                ))
            })?;
        signatures.push(json!({"content": b64::encode(&sig), "verifier": v.json}));
    }
    let body = json!({
        "apiVersion": "0.0.2",
        "kind": "dsse",
        "spec": {"dsseV002": {
            "payloadHash": {
                "algorithm": "SHA2_256",
                "digest": b64::encode(signet_crypto::sha256(&payload).as_bytes()),
            },
            "signatures": signatures,
        }},
    });
    crate::canonical_json(&body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{EntryBody, Material};
    use signet_crypto::SigningKey;

    fn request(k: &SigningKey, digest: &[u8], sig: &[u8]) -> serde_json::Value {
        json!({"hashedRekordRequestV002": {
            "digest": b64::encode(digest),
            "signature": {"content": b64::encode(sig), "verifier": {
                "publicKey": {"rawBytes": b64::encode(k.public_key().spki_der())},
                "keyDetails": "PKIX_ECDSA_P256_SHA_256"}}}})
    }

    /// The body is rekor-tiles' (the shape of the real log2025-1 entry in the research note:
    /// keys sorted, `hashedRekordV002`, algorithm `SHA2_256`, verifier as sent) and signet's
    /// verifier reads it back as this signature over this digest by this key.
    #[test]
    fn hashedrekord_body_is_rekor_tiles_and_verifies() {
        let k = SigningKey::generate_p256().unwrap();
        let digest = signet_crypto::sha256(b"artifact");
        let sig = k.sign(b"artifact").unwrap();
        let a = admit_v2(request(&k, digest.as_bytes(), &sig).to_string().as_bytes()).unwrap();
        assert_eq!(a.kind, "hashedrekord");
        let text = String::from_utf8(a.entry.body.clone()).unwrap();
        let want = format!(
            r#"{{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{{"hashedRekordV002":{{"data":{{"algorithm":"SHA2_256","digest":"{}"}},"signature":{{"content":"{}","verifier":{{"keyDetails":"PKIX_ECDSA_P256_SHA_256","publicKey":{{"rawBytes":"{}"}}}}}}}}}}}}"#,
            b64::encode(digest.as_bytes()),
            b64::encode(&sig),
            b64::encode(k.public_key().spki_der())
        );
        assert_eq!(text, want);
        assert_eq!(a.entry.uuid, crate::leaf_hash(&a.entry.body));
        let body = EntryBody::parse(&a.entry.body).unwrap();
        let material = Material::PublicKey {
            spki_der: k.public_key().spki_der().to_vec(),
        };
        body.check_message_signature(&sig, &material, &digest)
            .unwrap();
        // The snake_case spelling is the same request.
        let snake = json!({"hashed_rekord_request_v002": {
            "digest": b64::encode(digest.as_bytes()),
            "signature": {"content": b64::encode(&sig), "verifier": {
                "public_key": {"raw_bytes": b64::encode(k.public_key().spki_der())},
                "key_details": "PKIX_ECDSA_P256_SHA_256"}}}});
        assert_eq!(admit_v2(snake.to_string().as_bytes()).unwrap(), a);
    }

    #[test]
    fn bad_requests_are_refused_with_reasons() {
        let k = SigningKey::generate_p256().unwrap();
        let digest = signet_crypto::sha256(b"artifact");
        let sig = k.sign(b"artifact").unwrap();
        let err =
            |v: serde_json::Value| admit_v2(v.to_string().as_bytes()).unwrap_err().to_string();
        // Another artifact's digest.
        let other = signet_crypto::sha256(b"other");
        assert!(
            err(request(&k, other.as_bytes(), &sig)).contains("does not verify over the digest"),
        );
        // A digest of the wrong length for keyDetails.
        assert!(err(request(&k, &[1; 48], &sig)).contains("the digest is 48 bytes"));
        // keyDetails that the key cannot use.
        let mut r = request(&k, digest.as_bytes(), &sig);
        r["hashedRekordRequestV002"]["signature"]["verifier"]["keyDetails"] =
            "PKIX_ECDSA_P384_SHA_384".into();
        assert!(err(r).contains("keyDetails and key disagree"));
        let mut r = request(&k, digest.as_bytes(), &sig);
        r["hashedRekordRequestV002"]["signature"]["verifier"]["keyDetails"] = "PKIX_ED25519".into();
        assert!(err(r).contains("not supported"));
        // PEM instead of DER.
        let mut r = request(&k, digest.as_bytes(), &sig);
        r["hashedRekordRequestV002"]["signature"]["verifier"]["publicKey"]["rawBytes"] =
            b64::encode(k.public_key().to_pem()).into();
        assert!(err(r).contains("DER SPKI expected"));
        // Unknown kinds and shapes.
        assert!(err(json!({"intotoRequestV002": {}})).contains("unknown entry kind"));
        assert!(err(json!({})).contains("unknown entry kind"));
        assert!(admit_v2(b"{").is_err());
        // Missing signature.
        assert!(
            err(json!({"hashedRekordRequestV002": {"digest": b64::encode(digest.as_bytes())}}))
                .contains("missing signature")
        );
    }

    #[test]
    fn dsse_is_admitted_and_matches_its_envelope() {
        let k = SigningKey::generate_p256().unwrap();
        let payload = br#"{"_type":"https://in-toto.io/Statement/v1"}"#.to_vec();
        let t = signet_types::dsse::IN_TOTO_PAYLOAD_TYPE;
        let sig = k.sign(&pae(t, &payload)).unwrap();
        let verifier = json!({"publicKey": {"rawBytes": b64::encode(k.public_key().spki_der())},
                              "keyDetails": "PKIX_ECDSA_P256_SHA_256"});
        let req = |sig: &[u8]| {
            json!({"dsseRequestV002": {
                "envelope": {"payload": b64::encode(&payload), "payloadType": t,
                             "signatures": [{"sig": b64::encode(sig), "keyid": ""}]},
                "verifiers": [verifier.clone()]}})
        };
        let a = admit_v2(req(&sig).to_string().as_bytes()).unwrap();
        assert_eq!(a.kind, "dsse");
        let body = EntryBody::parse(&a.entry.body).unwrap();
        let env = signet_types::dsse::Envelope {
            payload: payload.clone(),
            payload_type: t.into(),
            signatures: vec![signet_types::dsse::DsseSignature {
                sig: sig.clone(),
                keyid: String::new(),
            }],
        };
        body.check_dsse(
            &env,
            &Material::PublicKey {
                spki_der: k.public_key().spki_der().to_vec(),
            },
        )
        .unwrap();
        // A signature over something else is refused.
        let bad = k.sign(b"not the PAE").unwrap();
        let e = admit_v2(req(&bad).to_string().as_bytes()).unwrap_err();
        assert!(
            e.to_string().contains("does not verify over the DSSE PAE"),
            "{e}"
        );
    }

    /// The requests a signer builds are ones admission accepts (the log's own code is the
    /// oracle), with the verifier recorded as sent: a DER key or certificate, never PEM.
    #[test]
    fn built_requests_are_admitted() {
        let k = SigningKey::generate_p256().unwrap();
        let digest = signet_crypto::sha256(b"artifact");
        let sig = k.sign_sha256_digest(&digest).unwrap();
        let v = RequestVerifier::public_key(k.public_key()).unwrap();
        let req = request_hashedrekord_v002(digest.as_bytes(), &sig, &v);
        assert_eq!(req, request(&k, digest.as_bytes(), &sig));
        let a = admit_v2(req.to_string().as_bytes()).unwrap();
        assert_eq!(a.kind, "hashedrekord");

        // DSSE: the envelope as signet writes it.
        let payload = b"{}".to_vec();
        let t = signet_types::dsse::IN_TOTO_PAYLOAD_TYPE;
        let dsig = k.sign(&pae(t, &payload)).unwrap();
        let env = signet_types::dsse::EnvelopeJson {
            payload: b64::encode(&payload),
            payload_type: t.into(),
            signatures: vec![signet_types::dsse::SignatureJson {
                sig: b64::encode(&dsig),
                keyid: String::new(),
            }],
        };
        let v = RequestVerifier::public_key(k.public_key()).unwrap();
        let req = request_dsse_v002(&env, &[v]).unwrap();
        assert_eq!(admit_v2(req.to_string().as_bytes()).unwrap().kind, "dsse");

        // A key signet does not log through v2 is refused before anything is sent (an Ed25519
        // key: RFC 8032's first test vector, as DER SPKI).
        let ed = hex::decode(
            "302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        )
        .unwrap();
        let ed = PublicKey::from_spki_der(&ed).unwrap();
        let e = RequestVerifier::public_key(&ed).unwrap_err();
        assert!(
            e.to_string().contains("cannot sign through a Rekor v2 log"),
            "{e}"
        );
    }
}
