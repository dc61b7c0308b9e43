//! `intoto` 0.0.2: a DSSE envelope as Rekor's in-toto type stores it (admission, canonical body,
//! index keys, and parsing of stored bodies).

use serde::{Deserialize, Serialize};
use signet_types::b64;
use signet_types::dsse::{Envelope, EnvelopeJson, IN_TOTO_PAYLOAD_TYPE, pae};

use super::{Admitted, AlgValue, MAX_DSSE_SIGNATURES, Outer, Verifier, finish_keys, refused};
use crate::RekorError;
use crate::body::{
    EntryBody, Material, dec, malformed, payload_hash_matches, signatures_match, spec,
};

/// The `intoto` 0.0.2 spec, as Rekor's `IntotoV002Schema`: a client proposes the envelope with
/// its payload and the envelope hash; the body drops the payload and adds the payload hash.
/// DSSE's base64 strings are `[]byte` in Rekor's model, so payload and signatures are base64
/// text base64-encoded a second time.
#[derive(Serialize, Deserialize)]
struct Spec {
    content: Content,
}
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Content {
    envelope: IntotoEnvelope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hash: Option<AlgValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payload_hash: Option<AlgValue>,
}
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntotoEnvelope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payload: Option<String>,
    payload_type: String,
    signatures: Vec<IntotoSig>,
}
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntotoSig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keyid: Option<String>,
    sig: String,
    public_key: String,
}

/// The intoto 0.0.2 proposed entry a client (rekor-cli, cosign) sends for a DSSE envelope JSON:
/// payload and signatures double base64, keys as base64 PEM, envelope hash over the JSON bytes.
pub fn proposed_intoto(
    envelope_json: &str,
    verifier_pem: &str,
) -> Result<serde_json::Value, RekorError> {
    let env: EnvelopeJson = serde_json::from_str(envelope_json)
        .map_err(|e| refused(format!("invalid DSSE envelope: {e}")))?;
    Ok(Outer::new(
        "intoto",
        "0.0.2",
        Spec {
            content: Content {
                envelope: IntotoEnvelope {
                    payload: Some(b64::encode(env.payload.as_bytes())),
                    payload_type: env.payload_type,
                    signatures: env
                        .signatures
                        .iter()
                        .map(|s| IntotoSig {
                            keyid: Some(s.keyid.clone()),
                            sig: b64::encode(s.sig.as_bytes()),
                            public_key: b64::encode(verifier_pem),
                        })
                        .collect(),
                },
                hash: Some(AlgValue::sha256_hex(
                    signet_crypto::sha256(envelope_json.as_bytes()).to_hex(),
                )),
                payload_hash: None,
            },
        },
    )
    .to_value())
}

/// base64( base64-text ) -> (the inner text's bytes as sent, the decoded inner bytes).
fn double_b64(field: &str, v: &str) -> Result<(Vec<u8>, Vec<u8>), RekorError> {
    let outer = b64::decode(v).map_err(|e| refused(format!("{field}: {e}")))?;
    let text =
        std::str::from_utf8(&outer).map_err(|_| refused(format!("{field}: not base64 text")))?;
    let inner = b64::decode(text).map_err(|e| refused(format!("{field}: {e}")))?;
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
pub(super) fn admit(spec: &str) -> Result<Admitted, RekorError> {
    let spec: Spec =
        serde_json::from_str(spec).map_err(|e| refused(format!("invalid intoto spec: {e}")))?;
    let c = spec.content;
    let env = c.envelope;
    if env.payload_type.is_empty() {
        return Err(refused("missing payloadType content"));
    }
    if env.signatures.is_empty() {
        return Err(refused("missing signatures content"));
    }
    if env.signatures.len() > MAX_DSSE_SIGNATURES {
        return Err(refused("too many DSSE signatures"));
    }
    let payload_b64 = env
        .payload
        .ok_or_else(|| refused("invalid intoto spec: missing field `payload`"))?;
    let (_, payload) = double_b64("payload", &payload_b64)?;
    if payload.is_empty() {
        return Err(refused("missing envelope content"));
    }
    let hash = c.hash.ok_or_else(|| refused("missing envelope digest"))?;
    if hash.algorithm != "sha256" || hash.value.len() != 64 || hex::decode(&hash.value).is_err() {
        return Err(refused(
            "envelope digest must be sha256 with 64 hex characters",
        ));
    }
    let pae = pae(&env.payload_type, &payload);
    let mut verifiers = Vec::new();
    let mut signed = Vec::new();
    let mut index_keys = Vec::new();
    for s in env.signatures {
        let (sig_text, sig) = double_b64("signature", &s.sig)?;
        let pem = b64::decode(&s.public_key).map_err(|e| refused(format!("publicKey: {e}")))?;
        let v = Verifier::parse(&pem)?;
        index_keys.push(format!(
            "sha256:{}",
            signet_crypto::sha256(&v.canonical).to_hex()
        ));
        index_keys.extend(v.sans.iter().cloned());
        // The key as the body stores it: re-encoded (see the function's doc).
        signed.push((
            IntotoSig {
                keyid: s.keyid.filter(|k| !k.is_empty()),
                sig: b64::encode(&sig_text),
                public_key: b64::encode(&v.canonical),
            },
            sig,
        ));
        verifiers.push(v);
    }
    // As Rekor: each signature must verify under some key of the entry.
    for (_, sig) in &signed {
        if !verifiers.iter().any(|v| v.verifies_sha256(&pae, sig)) {
            return Err(refused("all signatures must have a key that verifies it"));
        }
    }
    let payload_hash = signet_crypto::sha256(&payload).to_hex();
    index_keys.push(format!("sha256:{payload_hash}"));
    if env.payload_type == IN_TOTO_PAYLOAD_TYPE
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
    let body = Outer::new(
        "intoto",
        "0.0.2",
        Spec {
            content: Content {
                envelope: IntotoEnvelope {
                    payload: None,
                    payload_type: env.payload_type,
                    signatures: signed.into_iter().map(|(s, _)| s).collect(),
                },
                hash: Some(hash),
                payload_hash: Some(AlgValue::sha256_hex(payload_hash)),
            },
        },
    )
    .canonical()?;
    Ok(Admitted::new(body, finish_keys(index_keys)))
}

/// A stored `intoto` 0.0.2 body.
pub(crate) fn parse_v002(k: &str, v: serde_json::Value) -> Result<EntryBody, RekorError> {
    let s: Spec = spec(k, v)?;
    let env = s.content.envelope;
    let payload_hash = s
        .content
        .payload_hash
        .ok_or_else(|| malformed(k, "missing field `payloadHash`"))?;
    // Rekor stores these []byte fields base64-encoded a second time. Hand-made entries
    // sometimes encode once; decoded bytes that are not base64 text are taken as they are
    // (comparison with the bundle stays exact either way).
    let twice = |v: &str| -> Result<Vec<u8>, RekorError> {
        let once = dec(k, v)?;
        Ok(
            match std::str::from_utf8(&once)
                .ok()
                .and_then(|t| b64::decode(t).ok())
            {
                Some(inner) => inner,
                None => once,
            },
        )
    };
    Ok(EntryBody::IntotoV002 {
        payload_hash_hex: payload_hash.value,
        payload: env.payload.as_deref().map(twice).transpose()?,
        payload_type: env.payload_type,
        signatures: env
            .signatures
            .iter()
            .map(|x| Ok((twice(&x.sig)?, dec(k, &x.public_key)?)))
            .collect::<Result<_, RekorError>>()?,
    })
}

/// A 0.0.2 body records the envelope: its payload's SHA-256 (and the payload itself when the
/// body kept it), its payload type, and exactly its signatures, each with a verifier PEM whose
/// first block is `material`.
pub(crate) fn check_v002(
    payload_hash_hex: &str,
    payload: Option<&[u8]>,
    payload_type: &str,
    signatures: &[(Vec<u8>, Vec<u8>)],
    envelope: &Envelope,
    material: &Material,
) -> Result<(), RekorError> {
    payload_hash_matches(payload_hash_hex, envelope)?;
    if payload.is_some_and(|p| p != envelope.payload.as_slice()) {
        return Err(RekorError::Mismatch { field: "payload" });
    }
    if payload_type != envelope.payload_type {
        return Err(RekorError::Mismatch {
            field: "payload type",
        });
    }
    signatures_match(envelope, signatures, |pem| material.matches_pem(pem))
}
