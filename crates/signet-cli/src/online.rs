//! cosign's verify-blob without a bundle: find the signature's entry in the transparency log
//! and turn it into a bundle, which then goes through exactly the same offline verification
//! (log key from the trusted root, SET, inclusion proof, checkpoint, chain, SCT, identity).

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use signet_bundle::Bundle;
use signet_client::{RekorClient, bundle_tlog_entry_unverified};
use signet_rekor::api::SearchLogQuery;
use signet_types::b64;
use signet_types::limits::FileLimit;

use crate::artifact::ArtifactArg;

async fn read_ref(r: &str, limit: FileLimit) -> Result<Vec<u8>> {
    if r.starts_with("https://") || r.starts_with("http://") {
        // Every error names the URL.
        return Ok(signet_client::http::fetch(r, limit.max_bytes, &crate::net::options()?).await?);
    }
    Ok(signet_crypto::read_capped(Path::new(r), limit)?)
}

/// `.sig`: base64 text (cosign) or raw DER.
fn decode_signature(raw: Vec<u8>) -> Vec<u8> {
    match std::str::from_utf8(&raw)
        .ok()
        .and_then(|t| b64::decode(t.trim()).ok())
    {
        Some(d) if !d.is_empty() => d,
        _ => raw,
    }
}

/// `.cert`: base64 of PEM (cosign), PEM, or DER. Returns DER.
fn decode_certificate(raw: &[u8]) -> Result<Vec<u8>> {
    let text = std::str::from_utf8(raw).ok().map(str::trim);
    let pem_text = match text {
        Some(t) if t.contains("-----BEGIN") => Some(t.to_string()),
        Some(t) => b64::decode(t)
            .ok()
            .and_then(|d| String::from_utf8(d).ok())
            .filter(|p| p.contains("-----BEGIN")),
        None => None,
    };
    match pem_text {
        Some(p) => Ok(pem::parse(p.trim())
            .map_err(|e| anyhow!("certificate PEM: {e}"))?
            .into_contents()),
        None => Ok(raw.to_vec()),
    }
}

/// Builds a v0.3 bundle from a detached signature, the signer's certificate or key, and the
/// matching entry found in the log.
pub fn bundle_from_log(
    sig_ref: &str,
    cert_ref: Option<&str>,
    key_path: Option<&Path>,
    rekor_url: &str,
    artifact: &str,
) -> Result<Bundle> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let sig = decode_signature(read_ref(sig_ref, crate::input::SIGNATURE).await?);
        let digest = ArtifactArg::parse(artifact)?.sha256("looking a signature up in the log")?;
        let (pem, material) = match (cert_ref, key_path) {
            (Some(c), None) => {
                let der = decode_certificate(&read_ref(c, crate::input::CERTIFICATE).await?)?;
                let pem = signet_crypto::certificate_pem(&der);
                (pem, serde_json::json!({"certificate": {"rawBytes": b64::encode(&der)}}))
            }
            (None, Some(k)) => {
                let bytes = signet_crypto::read_capped(k, crate::input::PUBLIC_KEY)?;
                let key = signet_crypto::PublicKey::from_pem_or_der(&bytes).with_context(|| format!("invalid public key {}", k.display()))?;
                (key.to_pem(), serde_json::json!({"publicKey": {"hint": ""}}))
            }
            _ => bail!("give --certificate (keyless) or --key (managed key) with --signature"),
        };
        let proposed = signet_rekor::proposed_hashedrekord(&sig, &pem, &digest.to_hex());
        let client = RekorClient::with_options(rekor_url, &crate::net::options()?)?;
        let found = client
            .retrieve(&SearchLogQuery { entries: Some(vec![proposed]), ..Default::default() })
            .await
            .with_context(|| format!("searching the transparency log at {rekor_url}"))?;
        let entry = found
            .first()
            .and_then(|m| m.values().next())
            .ok_or_else(|| anyhow!("no entry for this signature, key and artifact in the transparency log at {rekor_url}"))?;
        let vm =
            crate::sign_cmd::with_tlog_entry(material, bundle_tlog_entry_unverified(entry)?)?;
        let bundle = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": vm,
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": b64::encode(digest.as_bytes())},
                "signature": b64::encode(&sig),
            },
        });
        Bundle::from_json(&serde_json::to_vec(&bundle)?).context("the log's entry does not form a valid bundle")
    })
}
