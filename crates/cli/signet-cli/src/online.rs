//! cosign's verify-blob without a bundle: find the signature's entry in the transparency log
//! and turn it into a bundle, which then goes through exactly the same offline verification
//! (log key from the trusted root, SET, inclusion proof, checkpoint, chain, SCT, identity).

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use signet_bundle::{Bundle, BundleJson, VerificationMaterialJson};
use signet_client::{RekorClient, bundle_tlog_entry_unverified};
use signet_crypto::HashAlgorithm;
use signet_rekor::api::SearchLogQuery;
use signet_types::b64;
use signet_types::limits::FileLimit;

use signet_verify::ArtifactDigest;

use crate::artifact::{ArtifactArg, sha256_of};

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
/// matching entry found in the log. Returns it with the artifact's digests (the artifact is
/// read once, here; verification uses the same digests).
pub fn bundle_from_log(
    sig_ref: &str,
    cert_ref: Option<&str>,
    key_path: Option<&Path>,
    rekor_url: &str,
    artifact: &ArtifactArg,
) -> Result<(Bundle, Vec<ArtifactDigest>)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let sig = decode_signature(read_ref(sig_ref, crate::input::SIGNATURE).await?);
        // A message-signature bundle is verified over the SHA-256 alone.
        let digests = artifact.digests(&[HashAlgorithm::Sha256])?;
        let digest = sha256_of(&digests, "looking a signature up in the log")?;
        let (pem, material) = match (cert_ref, key_path) {
            (Some(c), None) => {
                let der = decode_certificate(&read_ref(c, crate::input::CERTIFICATE).await?)?;
                let pem = signet_crypto::certificate_pem(&der);
                (pem, VerificationMaterialJson::certificate(&der))
            }
            (None, Some(k)) => {
                let bytes = signet_crypto::read_capped(k, crate::input::PUBLIC_KEY)?;
                let key = signet_crypto::PublicKey::from_pem_or_der(&bytes).with_context(|| format!("invalid public key {}", k.display()))?;
                (key.to_pem(), VerificationMaterialJson::public_key(""))
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
        let wire = BundleJson::message_signature_v03(
            material,
            bundle_tlog_entry_unverified(entry)?,
            digest.as_bytes(),
            &sig,
        );
        let bundle = Bundle::from_wire(&wire).context("the log's entry does not form a valid bundle")?;
        Ok((bundle, digests))
    })
}
