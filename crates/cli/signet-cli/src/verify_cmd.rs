//! `verify-bundle` and `verify-blob`.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use signet_bundle::Bundle;
use signet_crypto::PublicKey;
use signet_trust::TrustedRoot;
use signet_verify::{
    Artifact, ArtifactDigest, Identity, Matcher, Policy, VerifiedBundle, Verifier, VerifyError,
};

use crate::artifact::{ArtifactArg, digest_file};

const PRODUCTION_ROOT: &[u8] = include_bytes!("../assets/production_trusted_root.json");
const STAGING_ROOT: &[u8] = include_bytes!("../assets/staging_trusted_root.json");

/// Identity and trust flags shared by the verify commands.
#[derive(Args, Debug)]
pub struct TrustArgs {
    /// Expected certificate identity (SAN: email, URI).
    #[arg(long)]
    certificate_identity: Option<String>,
    /// Regular expression the certificate identity must match.
    #[arg(long, conflicts_with = "certificate_identity")]
    certificate_identity_regexp: Option<String>,
    /// Expected OIDC issuer of the signing certificate.
    #[arg(long)]
    certificate_oidc_issuer: Option<String>,
    /// Regular expression the OIDC issuer must match.
    #[arg(long, conflicts_with = "certificate_oidc_issuer")]
    certificate_oidc_issuer_regexp: Option<String>,
    /// PEM public key, for bundles signed with a managed key.
    #[arg(long, conflicts_with_all = ["certificate_identity", "certificate_identity_regexp"])]
    pub(crate) key: Option<PathBuf>,
    /// trusted_root.json to verify against (default: $SIGNET_TRUST_CONFIG,
    /// $SIGNET_DATA_DIR/trust_config.json, the instance `signet trust` saved, else the
    /// embedded Sigstore public-good root).
    #[arg(long)]
    trusted_root: Option<PathBuf>,
    /// Use the embedded Sigstore staging root instead of production.
    #[arg(long, conflicts_with = "trusted_root")]
    staging: bool,
    #[command(flatten)]
    pub(crate) witnesses: WitnessArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub(crate) output: Output,
}

/// Witness requirements on a log checkpoint (C2SP tlog-cosignature).
#[derive(Args, Debug)]
pub struct WitnessArgs {
    /// A witness's verifier key file (`name+hint+base64`, as `signet witness` writes to
    /// KEY.vkey). Repeatable.
    #[arg(long)]
    witness_key: Vec<PathBuf>,
    /// How many of the given witnesses must have cosigned the log checkpoint.
    #[arg(long, default_value_t = 0, requires = "witness_key")]
    pub(crate) witness_threshold: usize,
}

impl WitnessArgs {
    /// Whether any `--witness-key` was given.
    pub(crate) fn given(&self) -> bool {
        !self.witness_key.is_empty()
    }

    /// The `--witness-key` verifiers.
    pub(crate) fn keys(&self) -> Result<Vec<signet_tlog::CosignatureVerifier>> {
        let keys = self
            .witness_key
            .iter()
            .map(|p| {
                let text = signet_crypto::read_capped_string(p, crate::input::PUBLIC_KEY)?;
                signet_tlog::CosignatureVerifier::from_vkey(&text)
                    .with_context(|| format!("invalid witness key {}", p.display()))
            })
            .collect::<Result<Vec<_>>>()?;
        if self.witness_threshold > keys.len() {
            anyhow::bail!(
                "--witness-threshold {} is more than the {} --witness-key given",
                self.witness_threshold,
                keys.len()
            );
        }
        Ok(keys)
    }

    /// Checks that `checkpoint` (a signed note) carries cosignatures from at least
    /// `--witness-threshold` of the given witnesses.
    pub(crate) fn check(&self, checkpoint: &str) -> Result<usize> {
        let keys = self.keys()?;
        let found = signet_tlog::count_cosignatures(checkpoint, &keys)
            .context("a witness cosignature on the checkpoint does not verify")?;
        if found < self.witness_threshold {
            anyhow::bail!(
                "the checkpoint is cosigned by {found} of the given witnesses, {} required (--witness-threshold)",
                self.witness_threshold
            );
        }
        Ok(found)
    }
}

/// Output formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Human-readable lines on stderr.
    Text,
    /// One JSON object on stdout.
    Json,
}

/// `signet verify-bundle`.
#[derive(Args, Debug)]
pub struct VerifyBundleArgs {
    /// The Sigstore bundle.
    #[arg(long)]
    bundle: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    /// The artifact: a path, or its digest as sha256:<hex> (also sha384:/sha512: for DSSE
    /// bundles whose in-toto subjects use that algorithm).
    file_or_digest: String,
}

/// `signet verify-blob`.
#[derive(Args, Debug)]
pub struct VerifyBlobArgs {
    /// The Sigstore bundle (then no network is used).
    #[arg(long, conflicts_with_all = ["signature", "certificate"])]
    bundle: Option<PathBuf>,
    /// Detached signature (`.sig`: base64 or raw DER): a path or an http(s) URL. The entry is
    /// then looked up in the transparency log.
    #[arg(long, required_unless_present = "bundle")]
    signature: Option<String>,
    /// Signing certificate (`.cert`: base64 of PEM, PEM or DER): a path or an http(s) URL.
    #[arg(long)]
    certificate: Option<String>,
    /// Transparency log for the online lookup (without --bundle).
    #[arg(
        long,
        env = "SIGNET_REKOR_URL",
        default_value = "http://127.0.0.1:3000"
    )]
    rekor_url: String,
    /// Refuse any network access (requires --bundle).
    #[arg(long)]
    offline: bool,
    #[command(flatten)]
    trust: TrustArgs,
    /// The artifact: a path, or its digest as sha256:<hex> (also sha384:/sha512: for DSSE
    /// bundles whose in-toto subjects use that algorithm).
    blob: String,
}

pub fn verify_bundle(args: VerifyBundleArgs) -> Result<()> {
    json_on_failure(
        args.trust.output,
        run(&args.bundle, &args.trust, &args.file_or_digest),
    )
}

pub fn verify_blob(args: VerifyBlobArgs) -> Result<()> {
    let output = args.trust.output;
    json_on_failure(output, verify_blob_inner(args))
}

/// With `--output json` a failure is also one JSON object on stdout, as the README promises;
/// the error still goes to stderr and the exit status stays non-zero.
pub(crate) fn json_on_failure(output: Output, result: Result<()>) -> Result<()> {
    if let (Output::Json, Err(e)) = (output, &result) {
        let out = serde_json::json!({ "verified": false, "error": crate::one_line(e) });
        println!("{out}");
    }
    result
}

fn verify_blob_inner(args: VerifyBlobArgs) -> Result<()> {
    if args.offline {
        crate::tuf_client::set_offline();
    }
    if let Some(bundle) = &args.bundle {
        return run(bundle, &args.trust, &args.blob);
    }
    if args.offline {
        bail!(
            "--offline needs --bundle: a signature and certificate alone carry no log entry to check"
        );
    }
    let artifact = ArtifactArg::parse(&args.blob)?;
    let (bundle, digests) = crate::online::bundle_from_log(
        args.signature.as_deref().unwrap_or_default(),
        args.certificate.as_deref(),
        args.trust.key.as_deref(),
        &args.rekor_url,
        &artifact,
    )?;
    run_bundle(&bundle, &args.trust, artifact, Some(digests))
}

pub(crate) fn root_of(trust: &TrustArgs) -> Result<TrustedRoot> {
    let (bytes, name) = match (&trust.trusted_root, trust.staging) {
        (Some(p), _) => (
            signet_crypto::read_capped(p, crate::input::TRUSTED_ROOT)?,
            p.display().to_string(),
        ),
        (None, true) => (STAGING_ROOT.to_vec(), "embedded staging root".into()),
        (None, false) => {
            if let Some(t) = crate::trust_cfg::find(None)? {
                tracing_note(&t.source);
                return Ok(t.root);
            }
            match crate::tuf_client::public_good_trusted_root() {
                Some(root) => (root, "public-good trusted root from TUF".into()),
                None => (PRODUCTION_ROOT.to_vec(), "embedded production root".into()),
            }
        }
    };
    TrustedRoot::from_json(&bytes).with_context(|| format!("invalid trusted root ({name})"))
}

fn tracing_note(source: &std::path::Path) {
    if std::env::var_os("SIGNET_QUIET").is_none() {
        eprintln!("Using trusted root from {}", source.display());
    }
}

fn matcher(exact: &Option<String>, regexp: &Option<String>, what: &str) -> Result<Matcher> {
    match (exact, regexp) {
        (Some(s), None) => Ok(Matcher::Exact(s.clone())),
        (None, Some(r)) => {
            Ok(Matcher::Regex(regex::Regex::new(r).with_context(|| {
                format!("invalid {what} regular expression")
            })?))
        }
        _ => bail!("--{what} or --{what}-regexp is required (or --key for managed-key bundles)"),
    }
}

/// What the identity flags require, as `(what, value)` lines for a page.
pub(crate) fn identity_description(trust: &TrustArgs) -> Vec<(String, String)> {
    let mut v = Vec::new();
    let mut push = |what: &str, value: &Option<String>| {
        if let Some(value) = value {
            v.push((what.to_string(), value.clone()));
        }
    };
    push("Certificate identity", &trust.certificate_identity);
    push(
        "Certificate identity (regular expression)",
        &trust.certificate_identity_regexp,
    );
    push("OIDC issuer", &trust.certificate_oidc_issuer);
    push(
        "OIDC issuer (regular expression)",
        &trust.certificate_oidc_issuer_regexp,
    );
    push(
        "Public key",
        &trust.key.as_ref().map(|p| p.display().to_string()),
    );
    v
}

pub(crate) fn identity_of(trust: &TrustArgs) -> Result<Identity> {
    if let Some(path) = &trust.key {
        let pem = signet_crypto::read_capped(path, crate::input::PUBLIC_KEY)?;
        let key = PublicKey::from_pem_or_der(&pem)
            .with_context(|| format!("invalid public key {}", path.display()))?;
        return Ok(Identity::Key(key));
    }
    Ok(Identity::Certificate {
        san: matcher(
            &trust.certificate_identity,
            &trust.certificate_identity_regexp,
            "certificate-identity",
        )?,
        issuer: matcher(
            &trust.certificate_oidc_issuer,
            &trust.certificate_oidc_issuer_regexp,
            "certificate-oidc-issuer",
        )?,
    })
}

fn run(bundle_path: &std::path::Path, trust: &TrustArgs, artifact: &str) -> Result<()> {
    let bundle_bytes = signet_crypto::read_capped(bundle_path, crate::input::BUNDLE)?;
    let bundle = Bundle::from_json(&bundle_bytes).context("invalid bundle")?;
    run_bundle(&bundle, trust, ArtifactArg::parse(artifact)?, None)
}

/// Verifies `bundle` over `artifact`, whose `digests` the caller may already have computed
/// (else the file is read here, once).
fn run_bundle(
    bundle: &Bundle,
    trust: &TrustArgs,
    artifact: ArtifactArg,
    digests: Option<Vec<ArtifactDigest>>,
) -> Result<()> {
    let identity = identity_of(trust)?;
    let root = root_of(trust)?;
    let verifier = Verifier::with_config(
        &root,
        signet_verify::VerifierConfig {
            witnesses: trust.witnesses.keys()?,
            witness_threshold: trust.witnesses.witness_threshold,
            ..Default::default()
        },
    )
    .context("unusable trusted root")?;

    let verified = match (artifact, digests) {
        (ArtifactArg::Digest(d), _) => verifier.verify(
            bundle,
            &Policy {
                identity,
                artifact: Artifact::Digests(std::slice::from_ref(&d)),
            },
        )?,
        (ArtifactArg::File(path), digests) => {
            // One pass over the file for SHA-256 and every algorithm the in-toto subjects use.
            let digests = match digests {
                Some(d) => d,
                None => digest_file(&path, &signet_verify::artifact_digest_algorithms(bundle))?,
            };
            match verifier.verify(
                bundle,
                &Policy {
                    identity: identity.clone(),
                    artifact: Artifact::Digests(&digests),
                },
            ) {
                Err(VerifyError::NeedArtifactBytes(_)) => {
                    let bytes = signet_crypto::read_capped(&path, crate::input::ED25519_ARTIFACT)?;
                    verifier.verify(
                        bundle,
                        &Policy {
                            identity,
                            artifact: Artifact::Bytes(&bytes),
                        },
                    )?
                }
                other => other?,
            }
        }
    };
    report(&verified, trust.output)
}

fn report(v: &VerifiedBundle, output: Output) -> Result<()> {
    match output {
        Output::Text => {
            for w in v.warnings() {
                eprintln!("WARNING: {w}");
            }
            for e in v.entries() {
                eprintln!(
                    "tlog entry verified with uuid: {} index: {}",
                    e.uuid, e.log_index
                );
            }
            eprintln!("Verified OK");
        }
        Output::Json => {
            let entries: Vec<_> = v
                .entries()
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "uuid": e.uuid, "logIndex": e.log_index.0, "logUrl": e.log_url,
                        "integratedTime": e.integrated_time.map(|t| t.0),
                    })
                })
                .collect();
            let out = serde_json::json!({
                "verified": true,
                "identity": v.sans(),
                "issuer": v.issuer(),
                "tlogEntries": entries,
                "verifiedTimes": v.times().iter().map(|t| t.0).collect::<Vec<_>>(),
                "warnings": v.warnings(),
            });
            println!("{}", serde_json::to_string(&out).map_err(|e| anyhow!(e))?);
        }
    }
    Ok(())
}
