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
