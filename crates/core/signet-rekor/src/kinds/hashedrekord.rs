//! `hashedrekord`: a signature over an artifact digest. 0.0.1 is Rekor v1's (admission, canonical
//! body, index keys); 0.0.2 is Rekor v2's (parsed for verification only).

use serde::{Deserialize, Serialize};
use signet_crypto::{HashAlgorithm, KeyAlgorithm, Scheme, sha256};
use signet_types::b64;
use signet_types::dsse::{Envelope, pae};

use super::{Admitted, AlgValue, Outer, V2HashOutput, V2Signature, Verifier, refused};
use crate::RekorError;
use crate::body::{EntryBody, Material, dec, spec};
use crate::canonical::canonical_pem;

/// The `hashedrekord` 0.0.1 spec: what a client proposes and what the body stores (with the
/// verifier PEM re-encoded).
#[derive(Serialize, Deserialize)]
struct Spec {
    data: Data,
    signature: Sig,
}
#[derive(Serialize, Deserialize)]
struct Data {
    hash: AlgValue,
}
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sig {
    content: String,
    public_key: Content,
}
#[derive(Serialize, Deserialize)]
struct Content {
    content: String,
}

/// The `hashedrekord` 0.0.2 body (Rekor v2).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Outer {
    hashed_rekord_v002: V2Spec,
}
#[derive(Deserialize)]
struct V2Spec {
    data: V2HashOutput,
    signature: V2Signature,
}

/// What a `hashedrekord` entry must record to describe a bundle: a SHA-256 `digest` (named
/// `digest_field` in a mismatch), the `signature`, and the signer `material`.
pub(crate) struct Expected<'a> {
    pub(crate) digest: &'a [u8],
    pub(crate) digest_field: &'static str,
    pub(crate) signature: &'a [u8],
    pub(crate) material: &'a Material,
}

/// A 0.0.1 body (hex digest, verifier PEM) records `want`.
pub(crate) fn check_v001(
    algorithm: &str,
    digest_hex: &str,
    signature: &[u8],
    verifier_pem: &[u8],
    want: &Expected<'_>,
) -> Result<(), RekorError> {
    if algorithm != "sha256" || !digest_hex.eq_ignore_ascii_case(&hex::encode(want.digest)) {
        return Err(RekorError::Mismatch {
            field: want.digest_field,
        });
    }
    if signature != want.signature {
        return Err(RekorError::Mismatch { field: "signature" });
    }
    if !want.material.matches_pem(verifier_pem) {
        return Err(RekorError::Mismatch {
            field: "public key or certificate",
        });
    }
    Ok(())
}

/// A 0.0.2 body (Rekor v2: digest bytes, verifier DER) records `want`.
pub(crate) fn check_v002(
    algorithm: &str,
    digest: &[u8],
    signature: &[u8],
    verifier: &Material,
    want: &Expected<'_>,
) -> Result<(), RekorError> {
    if algorithm != "SHA2_256" || digest != want.digest {
        return Err(RekorError::Mismatch {
            field: want.digest_field,
        });
    }
    if signature != want.signature {
        return Err(RekorError::Mismatch { field: "signature" });
    }
    if verifier != want.material {
        return Err(RekorError::Mismatch {
            field: "public key or certificate",
        });
    }
    Ok(())
}

/// Rekor v2 logs DSSE as hashedrekord 0.0.2 over SHA-256(PAE) with the envelope's one signature.
pub(crate) fn check_v002_dsse(
    algorithm: &str,
    digest: &[u8],
    signature: &[u8],
    verifier: &Material,
    envelope: &Envelope,
    material: &Material,
) -> Result<(), RekorError> {
    let [only] = envelope.signatures.as_slice() else {
        return Err(RekorError::Mismatch {
            field: "signature count",
        });
    };
    let pae_digest = sha256(&pae(&envelope.payload_type, &envelope.payload));
    let want = Expected {
        digest: pae_digest.as_bytes(),
        digest_field: "envelope digest",
        signature: &only.sig,
        material,
    };
    check_v002(algorithm, digest, signature, verifier, &want)
}

/// The hashedrekord 0.0.1 proposed entry a client sends (SHA-256 of the artifact).
pub fn proposed_hashedrekord(
    signature: &[u8],
    verifier_pem: &str,
    sha256_hex: &str,
) -> serde_json::Value {
    Outer::new(
        "hashedrekord",
        "0.0.1",
        Spec {
            data: Data {
                hash: AlgValue::sha256_hex(sha256_hex.into()),
            },
            signature: Sig {
                content: b64::encode(signature),
                public_key: Content {
                    content: b64::encode(verifier_pem),
                },
            },
        },
    )
    .to_value()
}

/// Rekor's `hashedrekord` 0.0.1 admission: the signature must verify over the digest under the
/// verifier's key, with the hash the key type fixes (Rekor's default algorithm registry).
pub(super) fn admit(spec: &str) -> Result<Admitted, RekorError> {
    let spec: Spec = serde_json::from_str(spec)
        .map_err(|e| refused(format!("invalid hashedrekord spec: {e}")))?;
    let sig =
        b64::decode(&spec.signature.content).map_err(|e| refused(format!("signature: {e}")))?;
    if sig.is_empty() {
        return Err(refused("missing signature"));
    }
    let pem = b64::decode(&spec.signature.public_key.content)
        .map_err(|e| refused(format!("public key: {e}")))?;
    let Verifier {
        key,
        sans,
        canonical,
    } = Verifier::parse(&pem)?;
    let algorithm = spec.data.hash.algorithm.as_str();
    let digest_hex = spec.data.hash.value.as_str();
    let hash = match algorithm {
        "sha256" => HashAlgorithm::Sha256,
        "sha384" => HashAlgorithm::Sha384,
        "sha512" => HashAlgorithm::Sha512,
        other => return Err(refused(format!("unsupported hash algorithm {other:?}"))),
    };
    let digest = hex::decode(digest_hex).map_err(|_| refused("hash value is not hex"))?;
    if digest.len() != hash.output_len() {
        return Err(refused(format!(
            "{algorithm} value must be {} hex characters",
            hash.output_len().saturating_mul(2)
        )));
    }
    let scheme = match (key.algorithm(), hash) {
        (KeyAlgorithm::EcdsaP256, HashAlgorithm::Sha256) => Scheme::Ecdsa(HashAlgorithm::Sha256),
        (KeyAlgorithm::EcdsaP384, HashAlgorithm::Sha384) => Scheme::Ecdsa(HashAlgorithm::Sha384),
        (KeyAlgorithm::EcdsaP521, HashAlgorithm::Sha512) => Scheme::Ecdsa(HashAlgorithm::Sha512),
        (KeyAlgorithm::Rsa, HashAlgorithm::Sha256) => Scheme::RsaPkcs1(HashAlgorithm::Sha256),
        _ => return Err(refused("entry algorithms are not allowed")),
    };
    key.verify_prehashed(scheme, &digest, &sig).map_err(|_| {
        refused("verifying signature: invalid signature when validating ASN.1 encoded signature")
    })?;
    let body = hashedrekord_v001_body(&sig, &canonical, algorithm, digest_hex)
        .map_err(|e| refused(e.to_string()))?;
    let mut index_keys = vec![
        format!("{algorithm}:{}", digest_hex.to_lowercase()),
        signet_crypto::sha256(&canonical).to_hex(),
    ];
    index_keys.extend(sans);
    Ok(Admitted::new(body, index_keys))
}

/// A stored `hashedrekord` 0.0.1 body.
pub(crate) fn parse_v001(k: &str, v: serde_json::Value) -> Result<EntryBody, RekorError> {
    let s: Spec = spec(k, v)?;
    Ok(EntryBody::HashedRekordV001 {
        algorithm: s.data.hash.algorithm,
        digest_hex: s.data.hash.value,
        signature: dec(k, &s.signature.content)?,
        verifier_pem: dec(k, &s.signature.public_key.content)?,
    })
}

/// A stored `hashedrekord` 0.0.2 body (Rekor v2).
pub(crate) fn parse_v002(k: &str, v: serde_json::Value) -> Result<EntryBody, RekorError> {
    let s: V2Outer = spec(k, v)?;
    let s = s.hashed_rekord_v002;
    let (signature, verifier) = s.signature.decode(k)?;
    Ok(EntryBody::HashedRekordV002 {
        algorithm: s.data.algorithm,
        digest: dec(k, &s.data.digest)?,
        signature,
        verifier,
    })
}

/// Rekor's canonical body for a `hashedrekord` v0.0.1 entry: signature bytes, verifier PEM
/// (public key, certificate, or certificate chain; re-encoded), and the artifact hash as given
/// (algorithm `sha256`, `sha384` or `sha512`, hex value of the matching length).
pub fn canonical_hashedrekord_v001(
    signature: &[u8],
    verifier_pem: &[u8],
    algorithm: &str,
    digest_hex: &str,
) -> Result<Vec<u8>, RekorError> {
    hashedrekord_v001_body(
        signature,
        &canonical_pem(verifier_pem)?,
        algorithm,
        digest_hex,
    )
}

/// [`canonical_hashedrekord_v001`] for a verifier already in [`canonical_pem`] form.
///
/// Every value is checked to be JSON-safe ASCII (a listed algorithm name, hex, base64), so the
/// fixed template below, with its keys in sorted order and no whitespace, is exactly the RFC 8785
/// serialization; the tests compare it with [`canonical_json`].
pub fn hashedrekord_v001_body(
    signature: &[u8],
    canonical_verifier: &[u8],
    algorithm: &str,
    digest_hex: &str,
) -> Result<Vec<u8>, RekorError> {
    let bad = |reason: &str| RekorError::Malformed {
        kind: "hashedrekord".into(),
        reason: reason.into(),
    };
    if signature.is_empty() {
        return Err(bad("empty signature"));
    }
    let hex_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(bad("hash algorithm must be sha256, sha384 or sha512")),
    };
    if digest_hex.len() != hex_len || !digest_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("hash value has the wrong length or is not hex"));
    }
    let sig = signet_types::b64::encode(signature);
    let key = signet_types::b64::encode(canonical_verifier);
    // A capacity hint only: saturating is harmless.
    let mut out = String::with_capacity(
        digest_hex
            .len()
            .saturating_add(160)
            .saturating_add(sig.len())
            .saturating_add(key.len()),
    );
    out.push_str(
        r#"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":""#,
    );
    out.push_str(algorithm);
    out.push_str(r#"","value":""#);
    out.push_str(digest_hex);
    out.push_str(r#""}},"signature":{"content":""#);
    out.push_str(&sig);
    out.push_str(r#"","publicKey":{"content":""#);
    out.push_str(&key);
    out.push_str(r#""}}}}"#);
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::canonical_json;
    use serde_json::json;

    /// The template is the JCS serialization of the same value, for every algorithm and for
    /// hex in either case (kept as given, as Rekor does).
    #[test]
    fn hashedrekord_template_is_jcs() {
        let cases = [
            ("sha256", "ab".repeat(32)),
            ("sha256", "AB01".repeat(16)),
            ("sha384", "0f".repeat(48)),
            ("sha512", "9".repeat(128)),
        ];
        for (alg, hex) in cases {
            for (sig, key) in [
                (&b"\x30\x45\x02"[..], &b"k"[..]),
                (&[0xff; 97][..], &[0u8; 300][..]),
            ] {
                let jcs = canonical_json(&json!({
                    "apiVersion": "0.0.1",
                    "kind": "hashedrekord",
                    "spec": {
                        "data": {"hash": {"algorithm": alg, "value": hex}},
                        "signature": {
                            "content": signet_types::b64::encode(sig),
                            "publicKey": {"content": signet_types::b64::encode(key)},
                        },
                    },
                }))
                .unwrap();
                assert_eq!(hashedrekord_v001_body(sig, key, alg, &hex).unwrap(), jcs);
            }
        }
    }

    #[test]
    fn hashedrekord_rejects_non_hex_and_odd_lengths() {
        let bad_hex = format!("{}g", "0".repeat(63));
        assert!(hashedrekord_v001_body(b"s", b"k", "sha256", &bad_hex).is_err());
        assert!(hashedrekord_v001_body(b"s", b"k", "sha256", &"0".repeat(62)).is_err());
        assert!(hashedrekord_v001_body(b"s", b"k", "sha256\"", &"0".repeat(64)).is_err());
        assert!(hashedrekord_v001_body(b"", b"k", "sha256", &"0".repeat(64)).is_err());
    }
}
