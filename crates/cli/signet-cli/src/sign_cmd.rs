//! `signet generate-key-pair` and `signet sign-blob` (managed keys; keyless signing needs the CA).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use signet_client::RekorClient;
use signet_crypto::SigningKey;
use signet_release::write_atomic;
use signet_sign::{LogUploader, LogUploaderV2, RetryPolicy, Signer, SigningLog, sign_message};
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
    /// OIDC identity token for keyless signing: the JWT, or a file containing it. Without it
    /// (and without --key) the token comes from the environment: SIGSTORE_ID_TOKEN, a
    /// Kubernetes token file, GitHub Actions, Buildkite, Google Cloud or SPIFFE (README
    /// "Signing in CI").
    #[arg(long)]
    pub(crate) identity_token: Option<String>,
    /// Take the identity token from this provider only: envvar, filesystem (or kubernetes),
    /// github-actions, buildkite-agent, google-impersonate, google-workload-identity, spiffe.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["identity_token", "key"])]
    pub(crate) oidc_provider: Option<String>,
    /// Look for no identity token in the environment.
    #[arg(long, conflicts_with = "oidc_provider")]
    pub(crate) oidc_disable_ambient_providers: bool,
    /// Log in interactively at this OIDC issuer (authorization code flow with PKCE: the URL is
    /// printed, and opened with $BROWSER when set; the redirect comes back to 127.0.0.1).
    #[arg(long, value_name = "URL", conflicts_with_all = ["identity_token", "key", "oidc_provider"])]
    pub(crate) oidc_issuer: Option<String>,
    /// OAuth client id for --oidc-issuer (also the audience the token must have).
    #[arg(long, default_value = "sigstore", requires = "oidc_issuer")]
    pub(crate) oidc_client_id: String,
    /// With --oidc-issuer: the device authorization grant (RFC 8628), for machines without a
    /// browser: approve the printed code elsewhere.
    #[arg(long, requires = "oidc_issuer")]
    pub(crate) oidc_device_flow: bool,
    /// With --oidc-issuer: the longest wait, in seconds, for the browser's redirect or the
    /// device approval.
    #[arg(long, value_name = "SECS", default_value_t = signet_identity::login::DEFAULT_LOGIN_TIMEOUT.as_secs(),
          requires = "oidc_issuer",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) oidc_login_timeout: u64,
    /// The token file of the `filesystem` provider, e.g. a Kubernetes projected service-account
    /// token (default: $SIGNET_OIDC_TOKEN_FILE, else /var/run/sigstore/cosign/oidc-token).
    #[arg(long, value_name = "FILE")]
    pub(crate) oidc_token_file: Option<PathBuf>,
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
    /// RFC 3161 timestamp authority to timestamp every signature with (default: the signing
    /// config's first `tsaUrls` entry; none listed, no timestamps).
    #[arg(long, value_name = "URL")]
    pub(crate) timestamp_server_url: Option<String>,
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

    /// The log URL: flag, else the trust config's, else the local default. A Rekor v2 log
    /// advertised by the trust config (`majorApiVersion` 2) needs a TSA in the signing config
    /// ([`crate::trust_cfg::ClientTrust::signs_through_v2`]), else it is refused with why.
    pub(crate) fn rekor_url(
        &self,
        trust: Option<&crate::trust_cfg::ClientTrust>,
    ) -> Result<String> {
        if let Some(url) = &self.rekor_url {
            return Ok(url.clone());
        }
        if let Some(t) = trust {
            t.signs_through_v2()?;
        }
        Ok(trust
            .and_then(|t| t.rekor_url())
            .unwrap_or_else(|| "http://127.0.0.1:3000".into()))
    }

    /// The timestamp authority signatures are timestamped by: the flag, else the signing
    /// config's; its answers must verify against the trusted root's timestamp authorities.
    pub(crate) fn timestamper(
        &self,
        trust: Option<&crate::trust_cfg::ClientTrust>,
    ) -> Result<Option<signet_sign::TsaClient>> {
        let url = self.timestamp_server_url.clone().or_else(|| {
            trust
                .and_then(|t| t.signing.as_ref())
                .and_then(|s| s.tsa_urls.first())
                .map(|s| s.url.clone())
        });
        let Some(url) = url else { return Ok(None) };
        let trusted = match trust {
            Some(t) => signet_verify::tsa_authorities(&t.root)
                .context("the trusted root's timestamp authorities")?,
            None => Vec::new(),
        };
        Ok(Some(signet_sign::TsaClient::new(
            &url,
            crate::net::options()?,
            trusted,
        )))
    }

    /// Whether signing logs through the Rekor v2 API: the trust config's first log is a v2 log
    /// (and `--rekor-url`, which always names a Rekor v1 log, is not given).
    pub(crate) fn log_api_v2(&self, trust: Option<&crate::trust_cfg::ClientTrust>) -> Result<bool> {
        match (&self.rekor_url, trust) {
            (None, Some(t)) => t.signs_through_v2(),
            _ => Ok(false),
        }
    }

    /// The signing material (see [`resolve_signer`]).
    pub(crate) fn signer(
        &self,
        rt: &tokio::runtime::Runtime,
        client: &RekorClient,
        trust: Option<&crate::trust_cfg::ClientTrust>,
    ) -> Result<Signer> {
        let token = match (&self.key, &self.identity_token) {
            (Some(_), _) => None,
            (None, Some(t)) => Some(read_token(t)?),
            (None, None) if self.oidc_issuer.is_some() => Some(self.login(rt)?),
            (None, None) => self.ambient_token(rt)?,
        };
        resolve_signer(
            rt,
            client,
            trust,
            self.key.as_deref(),
            token.as_deref(),
            self.fulcio_url.as_deref(),
        )
    }

    /// An identity token from an interactive login at `--oidc-issuer` (kept in memory only).
    fn login(&self, rt: &tokio::runtime::Runtime) -> Result<String> {
        let issuer = self.oidc_issuer.clone().context("no --oidc-issuer")?;
        let s = signet_identity::login::LoginSettings {
            issuer,
            client_id: self.oidc_client_id.clone(),
            wait: std::time::Duration::from_secs(self.oidc_login_timeout),
            http: crate::net::options()?,
            now: || now().0,
        };
        let token = if self.oidc_device_flow {
            rt.block_on(signet_identity::login::device_flow(&s, |line| {
                eprintln!("{line}");
            }))?
        } else {
            rt.block_on(signet_identity::login::code_flow(&s, |url| {
                eprintln!("Open this URL to sign in: {url}");
                open_browser(url);
            }))?
        };
        eprintln!("Signed in at {}", s.issuer);
        Ok(token.secret().to_owned())
    }

    /// An identity token from the environment (see `signet_identity`): the provider forced by
    /// `--oidc-provider`, else the first one this environment offers; its name goes to stderr.
    fn ambient_token(&self, rt: &tokio::runtime::Runtime) -> Result<Option<String>> {
        if self.oidc_disable_ambient_providers {
            return Ok(None);
        }
        let forced = self
            .oidc_provider
            .as_deref()
            .map(signet_identity::Provider::from_name)
            .transpose()?;
        let mut settings = signet_identity::Settings::new(now().0);
        settings.http = crate::net::options()?;
        let limit = settings.http.timeout.min(signet_identity::DEFAULT_TIMEOUT);
        settings = settings.timeout(limit);
        settings.token_file.clone_from(&self.oidc_token_file);
        let env = signet_identity::Env::from_process();
        let found = rt.block_on(signet_identity::ambient_token(&env, &settings, forced))?;
        Ok(found.map(|(provider, token)| {
            eprintln!(
                "Using an identity token from the {} OIDC provider",
                provider.name()
            );
            token.secret().to_owned()
        }))
    }
}

/// `signet sign-blob` flags.
#[derive(Args, Debug)]
pub struct SignBlobArgs {
    #[command(flatten)]
    signer: SignerArgs,
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

pub fn generate_key_pair(args: GenerateKeyPairArgs) -> Result<()> {
    let key = SigningKey::generate_p256()?;
    let (k, p) = (
        PathBuf::from(format!("{}.key", args.output_key_prefix)),
        PathBuf::from(format!("{}.pub", args.output_key_prefix)),
    );
    crate::keyfile::write_new(&k, key.to_pkcs8_pem()?.as_bytes(), true)?;
    crate::keyfile::write_new(&p, key.public_key().to_pem().as_bytes(), false)?;
    eprintln!("Private key written to {}", k.display());
    eprintln!("Public key written to {}", p.display());
    Ok(())
}

/// Starts `$BROWSER URL` (through `sh`, so BROWSER may hold arguments), else `xdg-open URL` on a
/// graphical session; failures are ignored (the URL is printed anyway).
fn open_browser(url: &str) {
    use std::process::{Command, Stdio};
    let mut cmd = if std::env::var_os("BROWSER").is_some_and(|b| !b.is_empty()) {
        let mut c = Command::new("sh");
        c.args(["-c", "$BROWSER \"$1\"", "sh", url]);
        c
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    {
        let mut c = Command::new("xdg-open");
        c.arg(url);
        c
    } else {
        return;
    };
    let _ = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
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

/// Makes the signing material: the managed key, or (keyless) an ephemeral key certified by the
/// CA for the identity of `token` (the JWT itself), checked against the trusted root before use.
pub(crate) fn resolve_signer(
    rt: &tokio::runtime::Runtime,
    client: &RekorClient,
    trust: Option<&crate::trust_cfg::ClientTrust>,
    key: Option<&std::path::Path>,
    token: Option<&str>,
    fulcio_url: Option<&str>,
) -> Result<Signer> {
    match (key, token) {
        (Some(path), _) => Ok(Signer::managed(crate::keyfile::read_signing_key(path)?)),
        (None, Some(token)) => {
            let trust = trust.context(
                "keyless signing needs a trust config (--trust-config, $SIGNET_DATA_DIR or `signet trust URL`) to check the certificate",
            )?;
            let ca_url = fulcio_url
                .map(str::to_string)
                .or_else(|| trust.ca_url())
                .context("no certificate authority: pass --fulcio-url")?;
            Ok(rt.block_on(Signer::keyless(
                client,
                &ca_url,
                token,
                &trust.root,
                &RetryPolicy::default(),
            ))?)
        }
        (None, None) => {
            bail!(
                "no identity token: pass --key for a managed key, or --identity-token for keyless signing (no OIDC provider found in this environment: {})",
                signet_identity::Provider::names().join(", ")
            )
        }
    }
}

/// The uploader to the log of `client`: a Rekor v1 log checking answers with [`log_key`], or
/// (`v2`) a Rekor v2 log checking answers against the trusted root's entry for its URL.
pub(crate) async fn log_uploader(
    client: &RekorClient,
    trust: Option<&crate::trust_cfg::ClientTrust>,
    v2: bool,
) -> Result<SigningLog> {
    if v2 {
        let log = trust
            .and_then(|t| trusted_log_at(t, client.base()))
            .with_context(|| {
                format!(
                    "the trusted root has no key valid now for the Rekor v2 log {}",
                    client.base()
                )
            })?;
        return Ok(LogUploaderV2::new(client.clone(), log.clone(), RetryPolicy::default()).into());
    }
    Ok(LogUploader::new(
        client.clone(),
        log_key(client, trust).await?,
        RetryPolicy::default(),
    )
    .into())
}

fn now() -> signet_types::UnixSeconds {
    signet_types::UnixSeconds(time::OffsetDateTime::now_utc().unix_timestamp())
}

/// The trusted root's newest entry for the log at `url` whose key is valid now (after a
/// rotation the trusted root also lists retired keys, whose validity ended).
fn trusted_log_at<'t>(
    trust: &'t crate::trust_cfg::ClientTrust,
    url: &str,
) -> Option<&'t signet_trust::TransparencyLog> {
    let (now, url) = (now(), url.trim_end_matches('/'));
    trust
        .root
        .tlogs
        .iter()
        .filter(|l| l.base_url.trim_end_matches('/') == url && l.valid_for.contains(now))
        .max_by_key(|l| l.valid_for.start)
}

/// The trusted key of the log at `client`'s URL that signs new entries now (from the trust
/// config: after a rotation the trusted root also lists retired keys, whose validity ended),
/// else the one the log serves.
pub(crate) async fn log_key(
    client: &RekorClient,
    trust: Option<&crate::trust_cfg::ClientTrust>,
) -> Result<signet_crypto::PublicKey> {
    let now = now();
    let current = trust.and_then(|t| {
        let tlogs = &t.root.tlogs;
        let valid_now = |l: &&signet_trust::TransparencyLog| l.valid_for.contains(now);
        // The newest valid key of this log, else of any log, else the first listed.
        trusted_log_at(t, client.base())
            .or_else(|| {
                tlogs
                    .iter()
                    .filter(valid_now)
                    .max_by_key(|l| l.valid_for.start)
            })
            .or_else(|| tlogs.first())
    });
    Ok(match current {
        Some(l) => l
            .key
            .usable()
            .cloned()
            .context("the trusted log key is unusable")?,
        None => client.public_key().await?,
    })
}

pub fn sign_blob(args: SignBlobArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let trust = args.signer.trust()?;
    let rekor_url = args.signer.rekor_url(trust.as_ref())?;
    let digest = crate::artifact::sha256_file(&args.blob)?;
    if args.output != crate::verify_cmd::Output::Json {
        eprintln!("Using payload from: {}", args.blob.display());
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = RekorClient::with_options(&rekor_url, &crate::net::options()?)?;
    let v2 = args.signer.log_api_v2(trust.as_ref())?;
    let signer = args.signer.signer(&rt, &client, trust.as_ref())?;
    let tsa = args.signer.timestamper(trust.as_ref())?;
    let signed = rt.block_on(async {
        let log = log_uploader(&client, trust.as_ref(), v2).await?;
        anyhow::Ok(sign_message(&signer, &log, &tsa, &digest, "the signature").await?)
    })?;
    let (sig, entry) = (&signed.signature, &signed.entry);
    let json = args.output == crate::verify_cmd::Output::Json;
    if !json {
        eprintln!("tlog entry created with index: {}", entry.log_index);
    }
    if let Some(path) = &args.output_signature {
        write_atomic(path, b64::encode(sig).as_bytes())?;
        if !json {
            eprintln!("Signature written to {}", path.display());
        }
    }
    if let Some(path) = &args.output_certificate {
        let Some(cert) = signer.certificate_pem() else {
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
        write_atomic(path, signed.bundle.to_json_pretty()?.as_bytes())?;
        if !json {
            eprintln!("Wrote bundle to file {}", path.display());
        }
    }
    if json {
        println!(
            "{}",
            serde_json::json!({
                "uuid": entry.uuid.to_hex(), "logIndex": entry.log_index,
                "signature": b64::encode(sig),
                "certificate": signer.certificate_pem(),
                "elapsedMs": started.elapsed().as_secs_f64() * 1000.0,
            })
        );
    } else if args.bundle.is_none() && args.output_signature.is_none() {
        println!("{}", b64::encode(sig));
    }
    Ok(())
}
