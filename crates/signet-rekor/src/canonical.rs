use serde_json::json;

use crate::RekorError;

/// RFC 8785 (JCS) serialization, as Rekor canonicalizes bodies.
pub fn canonical_json(value: &serde_json::Value) -> Result<Vec<u8>, RekorError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| RekorError::Malformed {
        kind: "entry".into(),
        reason: e.to_string(),
    })
}

/// The PEM blocks of `text` as (tag, DER) pairs. Errors on anything that is not PEM.
pub fn pem_to_der_blocks(text: &[u8]) -> Result<Vec<(String, Vec<u8>)>, RekorError> {
    let blocks = pem::parse_many(text).map_err(|e| RekorError::Malformed {
        kind: "entry".into(),
        reason: format!("PEM: {e}"),
    })?;
    if blocks.is_empty() {
        return Err(RekorError::Malformed {
            kind: "entry".into(),
            reason: "no PEM block".into(),
        });
    }
    Ok(blocks
        .into_iter()
        .map(|b| (b.tag().to_string(), b.into_contents()))
        .collect())
}

/// Re-encodes PEM as Go's `pem.Encode` does (64-column base64, `\n`), keeping only
/// `PUBLIC KEY` and `CERTIFICATE` blocks, so client formatting never changes a leaf.
pub fn canonical_pem(text: &[u8]) -> Result<Vec<u8>, RekorError> {
    let mut out = String::new();
    for (tag, der) in pem_to_der_blocks(text)? {
        if tag != "PUBLIC KEY" && tag != "CERTIFICATE" {
            return Err(RekorError::Malformed {
                kind: "entry".into(),
                reason: format!("unsupported PEM block {tag:?}"),
            });
        }
        let cfg = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
        out.push_str(&pem::encode_config(&pem::Pem::new(tag, der), cfg));
    }
    Ok(out.into_bytes())
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
    if digest_hex.len() != hex_len || hex::decode(digest_hex).is_err() {
        return Err(bad("hash value has the wrong length or is not hex"));
    }
    let pem = canonical_pem(verifier_pem)?;
    canonical_json(&json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": algorithm, "value": digest_hex}},
            "signature": {
                "content": signet_types::b64::encode(signature),
                "publicKey": {"content": signet_types::b64::encode(pem)},
            },
        },
    }))
}
