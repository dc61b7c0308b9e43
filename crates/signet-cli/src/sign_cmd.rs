//! `signet generate-key-pair` and `signet sign-blob` (managed keys; keyless signing needs the CA).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use signet_client::{RekorClient, bundle_tlog_entry, verify_entry};
use signet_crypto::SigningKey;
use signet_types::b64;

/// `signet generate-key-pair` flags.
#[derive(Args, Debug)]
pub struct GenerateKeyPairArgs {
    /// Writes PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub.
    #[arg(long, default_value = "cosign")]
    output_key_prefix: String,
}

/// `signet sign-blob` flags.
#[derive(Args, Debug)]
pub struct SignBlobArgs {
    /// Private key (PKCS#8 PEM `PRIVATE KEY`, as written by `generate-key-pair`).
    #[arg(long)]
    key: PathBuf,
    /// Transparency log to record the signature in.
    #[arg(
        long,
        env = "SIGNET_REKOR_URL",
        default_value = "http://127.0.0.1:3000"
    )]
    rekor_url: String,
    /// Write a Sigstore bundle (v0.3) here.
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// Write the base64 signature here (cosign's `.sig`).
    #[arg(long)]
    output_signature: Option<PathBuf>,
    /// The file to sign.
    blob: PathBuf,
}

fn write_new(path: &std::path::Path, data: &[u8], private: bool) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        o.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = o
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    f.write_all(data)?;
    f.sync_all()?;
    Ok(())
}

pub fn generate_key_pair(args: GenerateKeyPairArgs) -> Result<()> {
    let key = SigningKey::generate_p256()?;
    let (k, p) = (
        PathBuf::from(format!("{}.key", args.output_key_prefix)),
        PathBuf::from(format!("{}.pub", args.output_key_prefix)),
    );
    write_new(&k, key.to_pkcs8_pem()?.as_bytes(), true)?;
    write_new(&p, key.public_key().to_pem().as_bytes(), false)?;
    eprintln!("Private key written to {}", k.display());
    eprintln!("Public key written to {}", p.display());
    Ok(())
}

/// Atomic write: temp file beside the target, then rename.
fn write_atomic(path: &std::path::Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension("signet-tmp");
    std::fs::write(&tmp, data).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

pub fn sign_blob(args: SignBlobArgs) -> Result<()> {
    let pem = std::fs::read_to_string(&args.key)
        .with_context(|| format!("cannot read key {}", args.key.display()))?;
    let key = SigningKey::from_pkcs8_pem(&pem)
        .with_context(|| format!("invalid private key {}", args.key.display()))?;
    let digest = crate::artifact::sha256_file(&args.blob)?;
    let sig = key.sign_sha256_digest(&digest)?;
    eprintln!("Using payload from: {}", args.blob.display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let entry = rt.block_on(async {
        let client = RekorClient::new(&args.rekor_url)?;
        let proposed = signet_log::admit::proposed_hashedrekord(
            &sig,
            &key.public_key().to_pem(),
            &digest.to_hex(),
        );
        let (entry, _) = client.create(&proposed).await?;
        let log_key = client.public_key().await?;
        let v = verify_entry(&entry, &log_key).context("the log's answer does not verify")?;
        if v.body.is_empty() {
            bail!("empty entry");
        }
        anyhow::Ok(v)
    })?;
    eprintln!("tlog entry created with index: {}", entry.entry.log_index);
    if let Some(path) = &args.output_signature {
        write_atomic(path, b64::encode(&sig).as_bytes())?;
        eprintln!("Signature written to {}", path.display());
    }
    if let Some(path) = &args.bundle {
        let bundle = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "publicKey": {"hint": b64::encode(key.public_key().key_id().as_bytes())},
                "tlogEntries": [bundle_tlog_entry(&entry)?],
            },
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": b64::encode(digest.as_bytes())},
                "signature": b64::encode(&sig),
            },
        });
        // Refuse to emit a bundle that our own verifier would not parse.
        signet_bundle::Bundle::from_json(&serde_json::to_vec(&bundle)?)
            .context("internal error: bundle does not parse")?;
        write_atomic(path, serde_json::to_string_pretty(&bundle)?.as_bytes())?;
        eprintln!("Wrote bundle to file {}", path.display());
    }
    if args.bundle.is_none() && args.output_signature.is_none() {
        println!("{}", b64::encode(&sig));
    }
    Ok(())
}
