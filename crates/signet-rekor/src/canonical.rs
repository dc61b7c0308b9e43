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
    canonical_pem_blocks(&pem_to_der_blocks(text)?)
}

/// [`canonical_pem`] of blocks already parsed by [`pem_to_der_blocks`] (one parse serves both
/// the key and the canonical form).
pub fn canonical_pem_blocks(blocks: &[(String, Vec<u8>)]) -> Result<Vec<u8>, RekorError> {
    let mut out = String::new();
    for (tag, der) in blocks {
        if tag != "PUBLIC KEY" && tag != "CERTIFICATE" {
            return Err(RekorError::Malformed {
                kind: "entry".into(),
                reason: format!("unsupported PEM block {tag:?}"),
            });
        }
        out.push_str(&signet_crypto::pem_encode(tag, der));
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
