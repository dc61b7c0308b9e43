//! `signet generate-key-pair` and `signet sign-blob` (managed keys; keyless signing needs the CA).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use signet_client::{RekorClient, Submission, bundle_tlog_entry};
use signet_crypto::SigningKey;
use signet_release::write_atomic;
use signet_types::b64;

/// `signet generate-key-pair` flags.
#[derive(Args, Debug)]
pub struct GenerateKeyPairArgs {
    /// Writes PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub.
    #[arg(long, default_value = "cosign")]
    output_key_prefix: String,
}

/// How to sign and where: shared by `sign-blob` and `sign-release`.
#[derive(Args, Debug)]
pub struct SignerArgs {
    /// Managed private key (PKCS#8 PEM `PRIVATE KEY`, as written by `generate-key-pair`).
    /// Without it, signing is keyless: an ephemeral key and a certificate from the CA.
    #[arg(long, conflicts_with = "identity_token")]
    pub(crate) key: Option<PathBuf>,
    /// OIDC identity token for keyless signing: the JWT, or a file containing it.
    #[arg(long, env = "SIGSTORE_ID_TOKEN", hide_env_values = true)]
    pub(crate) identity_token: Option<String>,
    /// The instance to sign with (ClientTrustConfig; default: $SIGNET_TRUST_CONFIG,
    /// $SIGNET_DATA_DIR/trust_config.json, or the one `signet trust` saved).
    #[arg(long)]
    pub(crate) trust_config: Option<PathBuf>,
    /// Certificate authority (default: from the trust config).
    #[arg(long, env = "SIGNET_FULCIO_URL")]
    pub(crate) fulcio_url: Option<String>,
    /// Transparency log to record signatures in (default: from the trust config, else
    /// http://127.0.0.1:3000).
    #[arg(long, env = "SIGNET_REKOR_URL")]
    pub(crate) rekor_url: Option<String>,
}

impl SignerArgs {
    /// The trust config to use (for a managed key it is optional).
    pub(crate) fn trust(&self) -> Result<Option<crate::trust_cfg::ClientTrust>> {
        if self.key.is_some() && self.trust_config.is_none() {
            Ok(crate::trust_cfg::find(None).ok().flatten())
        } else {
            crate::trust_cfg::find(self.trust_config.as_deref())
        }
    }

    /// The log URL: flag, else the trust config's, else the local default.
    pub(crate) fn rekor_url(&self, trust: Option<&crate::trust_cfg::ClientTrust>) -> String {
        self.rekor_url
            .clone()
            .or_else(|| trust.and_then(|t| t.service_url("rekorTlogUrls")))
            .unwrap_or_else(|| "http://127.0.0.1:3000".into())
    }

    /// The signing material (see [`resolve_signer`]).
    pub(crate) fn signer(
        &self,
        rt: &tokio::runtime::Runtime,
        client: &RekorClient,
        trust: Option<&crate::trust_cfg::ClientTrust>,
    ) -> Result<Signer> {
        resolve_signer(
            rt,
            client,
            trust,
            self.key.as_deref(),
            self.identity_token.as_deref(),
            self.fulcio_url.as_deref(),
        )
    }
}

/// `signet sign-blob` flags.
#[derive(Args, Debug)]
pub struct SignBlobArgs {
    #[command(flatten)]
    signer: SignerArgs,
    /// Interactive OIDC login at this issuer (not supported: pass --identity-token).
    #[arg(long)]
    oidc_issuer: Option<String>,
    /// Write a Sigstore bundle (v0.3) here.
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// Write the base64 signature here (cosign's `.sig`).
    #[arg(long)]
    output_signature: Option<PathBuf>,
    /// Write the signing certificate here, base64 of PEM (cosign's `.cert`; keyless only).
    #[arg(long, alias = "output-cert")]
    output_certificate: Option<PathBuf>,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = crate::verify_cmd::Output::Text)]
    output: crate::verify_cmd::Output,
    /// The file to sign.
    blob: PathBuf,
}

pub(crate) fn write_new(path: &std::path::Path, data: &[u8], private: bool) -> Result<()> {
    // Private keys through the one key-file writer (0600 from creation); public files with the
    // default creation mode (0666 less the umask), as before.
    let mode = if private {
        signet_crypto::PRIVATE_KEY_MODE
    } else {
        0o666
    };
    signet_crypto::create_new_file(path, data, mode)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))
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

/// The identity token: the value itself, or the contents of the file it names.
pub(crate) fn read_token(t: &str) -> Result<String> {
    let p = std::path::Path::new(t);
    let tok = if t.matches('.').count() != 2 && p.is_file() {
        signet_crypto::read_capped_string(p, crate::input::IDENTITY_TOKEN)?
    } else {
        t.to_string()
    };
    Ok(tok.trim().to_string())
}

/// The PoP challenge: `email` when the token has one, else `sub` (what cosign and sigstore-go
/// send; the CA checks it against the verified token).
pub(crate) fn token_subject(token: &str) -> Result<String> {
    let claims = signet_oidc::unverified_claims(token).context("invalid identity token")?;
    claims
        .get("email")
        .or_else(|| claims.get("sub"))
        .and_then(|s| s.as_str())
        .map(str::to_string)
        .context("the identity token has neither email nor sub")
}

/// Verification material `vm` (a JSON object) with `entry` as its one transparency-log entry.
pub(crate) fn with_tlog_entry(
    mut vm: serde_json::Value,
    entry: serde_json::Value,
) -> Result<serde_json::Value> {
    vm.as_object_mut()
        .context("verification material is not a JSON object")?
        .insert("tlogEntries".into(), serde_json::json!([entry]));
    Ok(vm)
}

/// Signing material: the key and, keyless, the certificate the CA issued for it (PEM, checked
/// by [`check_issued`]).
pub(crate) struct Signer {
    pub(crate) key: SigningKey,
    pub(crate) cert: Option<String>,
}

impl Signer {
    /// The PEM the log entry names: the leaf certificate, or the public key.
    pub(crate) fn verifier_pem(&self) -> String {
        match &self.cert {
            Some(c) => c.clone(),
            None => self.key.public_key().to_pem(),
        }
    }

    /// A v0.3 message-signature bundle: this signer's material, the verified log entry, the
    /// artifact digest and the signature.
    pub(crate) fn message_bundle(
        &self,
        entry: &signet_client::VerifiedLogEntry,
        digest: &signet_types::Sha256Hash,
        sig: &[u8],
    ) -> Result<serde_json::Value> {
        let vm = with_tlog_entry(self.material()?, bundle_tlog_entry(entry)?)?;
        Ok(serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": vm,
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": b64::encode(digest.as_bytes())},
                "signature": b64::encode(sig),
            },
        }))
    }

    /// The bundle's `verificationMaterial` without entries.
    pub(crate) fn material(&self) -> Result<serde_json::Value> {
        Ok(match &self.cert {
            Some(c) => {
                let der = pem::parse(c).context("certificate PEM")?;
                serde_json::json!({"certificate": {"rawBytes": b64::encode(der.contents())}})
            }
            None => {
                serde_json::json!({"publicKey": {"hint": b64::encode(self.key.public_key().key_id().as_bytes())}})
            }
        })
    }
}

/// Makes the signing material: the managed key, or (keyless) an ephemeral key certified by the
/// CA for the token's identity, checked against the trusted root before use.
pub(crate) fn resolve_signer(
    rt: &tokio::runtime::Runtime,
    client: &RekorClient,
    trust: Option<&crate::trust_cfg::ClientTrust>,
    key: Option<&std::path::Path>,
    token: Option<&str>,
    fulcio_url: Option<&str>,
) -> Result<Signer> {
    match (key, token) {
        (Some(path), _) => {
            let pem = signet_crypto::read_capped_string(path, crate::input::PRIVATE_KEY)?;
            Ok(Signer {
                key: SigningKey::from_pkcs8_pem(&pem)
                    .with_context(|| format!("invalid private key {}", path.display()))?,
                cert: None,
            })
        }
        (None, Some(t)) => {
            let token = read_token(t)?;
            let trust = trust.context(
                "keyless signing needs a trust config (--trust-config, $SIGNET_DATA_DIR or `signet trust URL`) to check the certificate",
            )?;
            let ca_url = fulcio_url
                .map(str::to_string)
                .or_else(|| trust.service_url("caUrls"))
                .context("no certificate authority: pass --fulcio-url")?;
            let key = SigningKey::generate_p256()?;
            let subject = token_subject(&token)?;
            let pop = key.sign(subject.as_bytes())?;
            let chain = rt
                .block_on(client.signing_cert(&ca_url, &token, &key.public_key().to_pem(), &pop))
                .context("the certificate authority refused")?;
            let cert = check_issued(&trust.root, &chain, &key)?;
            Ok(Signer {
                key,
                cert: Some(cert),
            })
        }
        (None, None) => {
            bail!("pass --key for a managed key, or --identity-token for keyless signing")
        }
    }
}

/// The trusted log key (from the trust config), else the one the log serves.
pub(crate) async fn log_key(
    client: &RekorClient,
    trust: Option<&crate::trust_cfg::ClientTrust>,
) -> Result<signet_crypto::PublicKey> {
    Ok(match trust.and_then(|t| t.root.tlogs.first()) {
        Some(l) => l
            .key
            .usable()
            .cloned()
            .context("the trusted log key is unusable")?,
        None => client.public_key().await?,
    })
}

/// Checks a certificate from the CA before using it: our key, chains to a trusted CA for code
/// signing now, and carries an SCT from a trusted CT log. Returns the leaf as PEM, re-encoded
/// (LF line ends) whatever layout the CA used: this is what goes into log entries and `.cert` files.
pub(crate) fn check_issued(
    root: &signet_trust::TrustedRoot,
    chain: &[String],
    key: &SigningKey,
) -> Result<String> {
    use signet_x509::{Certificate, Purpose, TrustAnchorChain, verify_chain, verify_embedded_scts};
    let leaf_pem = chain.first().context("the CA returned no certificate")?;
    let leaf = Certificate::from_pem(leaf_pem).context("the CA returned an invalid certificate")?;
    if leaf.spki_der() != key.public_key().spki_der() {
        bail!("the CA certified a different key");
    }
    let anchors = root
        .certificate_authorities
        .iter()
        .filter_map(|ca| {
            let certs: Option<Vec<Certificate>> = ca
                .chain
                .iter()
                .map(|d| Certificate::from_der(d).ok())
                .collect();
            certs.and_then(|c| TrustAnchorChain::new(c).ok())
        })
        .collect::<Vec<_>>();
    let now = signet_types::UnixSeconds(leaf.not_before().0);
    let verified = verify_chain(&leaf, &[], &anchors, now, Purpose::CodeSigning)
        .context("the CA's certificate does not chain to the trusted root")?;
    let scts = verify_embedded_scts(&leaf, verified.issuer(), &|id, t| {
        root.ctlog(id.as_bytes())
            .filter(|l| l.valid_for.contains(t))
            .and_then(|l| l.key.usable().cloned())
    })
    .context("the certificate's SCT does not verify")?;
    if scts.is_empty() {
        bail!("the certificate carries no SCT from a trusted CT log");
    }
    Ok(leaf.to_pem())
}

pub fn sign_blob(args: SignBlobArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let trust = args.signer.trust()?;
    let rekor_url = args.signer.rekor_url(trust.as_ref());
    let digest = crate::artifact::sha256_file(&args.blob)?;
    if args.output != crate::verify_cmd::Output::Json {
        eprintln!("Using payload from: {}", args.blob.display());
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = RekorClient::with_options(&rekor_url, &crate::net::options()?)?;
    if args.signer.key.is_none()
        && args.signer.identity_token.is_none()
        && args.oidc_issuer.is_some()
    {
        bail!(
            "interactive OIDC login is not supported; pass --identity-token (or set SIGSTORE_ID_TOKEN)"
        );
    }
    let signer = args.signer.signer(&rt, &client, trust.as_ref())?;
    let sig = signer.key.sign_sha256_digest(&digest)?;
    let verifier_pem = signer.verifier_pem();
    let entry = rt.block_on(async {
        let proposed = signet_rekor::proposed_hashedrekord(&sig, &verifier_pem, &digest.to_hex());
        let sub = Submission::new(proposed)?;
        let log_key = log_key(&client, trust.as_ref()).await?;
        let (v, _) = client
            .create_verified(&sub, &log_key)
            .await
            .context("the log's answer does not verify")?;
        if v.body.is_empty() {
            bail!("empty entry");
        }
        anyhow::Ok(v)
    })?;
    let json = args.output == crate::verify_cmd::Output::Json;
    if !json {
        eprintln!("tlog entry created with index: {}", entry.entry.log_index);
    }
    if let Some(path) = &args.output_signature {
        write_atomic(path, b64::encode(&sig).as_bytes())?;
        if !json {
            eprintln!("Signature written to {}", path.display());
        }
    }
    if let Some(path) = &args.output_certificate {
        let Some(cert) = &signer.cert else {
            bail!(
                "--output-certificate needs keyless signing (there is no certificate with --key)"
            );
        };
        write_atomic(path, b64::encode(cert.as_bytes()).as_bytes())?;
        if !json {
            eprintln!("Certificate written to {}", path.display());
        }
    }
    if let Some(path) = &args.bundle {
        let bundle = signer.message_bundle(&entry, &digest, &sig)?;
        // Refuse to emit a bundle that our own verifier would not parse.
        signet_bundle::Bundle::from_json(&serde_json::to_vec(&bundle)?)
            .context("internal error: bundle does not parse")?;
        write_atomic(path, serde_json::to_string_pretty(&bundle)?.as_bytes())?;
        if !json {
            eprintln!("Wrote bundle to file {}", path.display());
        }
    }
    if json {
        println!(
            "{}",
            serde_json::json!({
                "uuid": entry.uuid.to_hex(), "logIndex": entry.entry.log_index,
                "signature": b64::encode(&sig),
                "certificate": signer.cert,
                "elapsedMs": started.elapsed().as_secs_f64() * 1000.0,
            })
        );
    } else if args.bundle.is_none() && args.output_signature.is_none() {
        println!("{}", b64::encode(&sig));
    }
    Ok(())
}
