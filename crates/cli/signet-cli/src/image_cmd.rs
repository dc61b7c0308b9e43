//! Container images, cosign's commands: `sign`, `attest`, `verify`, `verify-attestation`,
//! `triangulate`, `tree`, `download`, and `sample-image` (test images for demos and tests).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use futures_util::StreamExt;
use signet_image::{Format, ImageSigner, SignOptions, SignedImage};
use signet_oci::ImageRef;
use signet_oci::manifest::{TagKind, legacy_tag, referrers_tag};
use signet_oci::verify::Expect;
use signet_registry::{RegistryClient, RegistryOptions};
use signet_release::provenance::ProvenancePolicy;
use signet_verify::Verifier;

use crate::sign_cmd::SignerArgs;
use crate::verify_cmd::{Output, TrustArgs};

/// Most images signed or pushed at once.
const CONCURRENCY: usize = 16;

/// How to reach registries (cosign's flags).
#[derive(Args, Debug, Clone)]
pub struct RegistryArgs {
    /// Allow plain-HTTP registries (for loopback registries in tests and demos).
    #[arg(long, alias = "allow-insecure-registry")]
    allow_http_registry: bool,
    /// Registry user name (default: the docker config's credentials for the registry).
    #[arg(long, env = "SIGNET_REGISTRY_USERNAME", requires = "registry_password")]
    registry_username: Option<String>,
    /// Registry password or token.
    #[arg(long, env = "SIGNET_REGISTRY_PASSWORD", hide_env_values = true)]
    registry_password: Option<String>,
}

impl RegistryArgs {
    fn client(&self) -> Result<RegistryClient> {
        let credentials = match (&self.registry_username, &self.registry_password) {
            (Some(u), Some(p)) => Some((u.clone(), p.clone())),
            _ => None,
        };
        Ok(RegistryClient::new(RegistryOptions {
            allow_http: self.allow_http_registry,
            credentials,
            http: crate::net::options()?,
        })?)
    }
}

/// `key=value` (cosign's `-a`).
fn annotation(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected key=value, got {s:?}"))
}

fn image_ref(s: &str) -> Result<ImageRef> {
    Ok(ImageRef::parse(s)?)
}

/// Shared by `sign` and `attest`.
#[derive(Args, Debug)]
pub struct ImageSignArgs {
    #[command(flatten)]
    signer: SignerArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Write cosign v3's bundle format (an OCI 1.1 referrer holding a Sigstore bundle);
    /// `--new-bundle-format=false` writes the legacy `sha256-<hex>.sig` / `.att` tag that
    /// Kubernetes publishes.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_name = "BOOL")]
    new_bundle_format: bool,
    /// Accepted for cosign compatibility (signet never asks for confirmation).
    #[arg(short = 'y', long)]
    yes: bool,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

/// `signet sign`.
#[derive(Args, Debug)]
pub struct SignArgs {
    #[command(flatten)]
    common: ImageSignArgs,
    /// Annotation `key=value` to put in the signed payload (repeatable).
    #[arg(short = 'a', long = "annotations", value_parser = annotation)]
    annotations: Vec<(String, String)>,
    /// Sign every manifest of a multi-platform index too, not only the index.
    #[arg(long)]
    recursive: bool,
    /// Images: by tag (resolved to its digest once; that digest is signed) or by digest.
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<String>,
}

/// `signet attest`.
#[derive(Args, Debug)]
pub struct AttestArgs {
    #[command(flatten)]
    common: ImageSignArgs,
    /// The predicate: a JSON file (SLSA provenance, SPDX or CycloneDX SBOM, …).
    #[arg(long)]
    predicate: PathBuf,
    /// Predicate type: slsaprovenance1, slsaprovenance, spdxjson, spdx, cyclonedx, vuln,
    /// openvex, custom, or a URI.
    #[arg(long = "type", default_value = "custom")]
    predicate_type: String,
    /// Attest every manifest of a multi-platform index too, not only the index.
    #[arg(long)]
    recursive: bool,
    /// Images: by tag (resolved once) or by digest.
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<String>,
}

/// The signing context `sign` and `attest` share: one certificate for every image.
struct Signing {
    rt: tokio::runtime::Runtime,
    registry: RegistryClient,
    signer: signet_sign::Signer,
    log: signet_sign::SigningLog,
    tsa: Option<signet_sign::TsaClient>,
    format: Format,
}

impl Signing {
    fn new(args: &ImageSignArgs) -> Result<Self> {
        let _ = args.yes;
        let trust = args.signer.trust()?;
        let rekor_url = args.signer.rekor_url(trust.as_ref())?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let client = signet_client::RekorClient::with_options(&rekor_url, &crate::net::options()?)?;
        let v2 = args.signer.log_api_v2(trust.as_ref())?;
        let signer = args.signer.signer(&rt, &client, trust.as_ref())?;
        let log = rt.block_on(crate::sign_cmd::log_uploader(&client, trust.as_ref(), v2))?;
        Ok(Self {
            rt,
            registry: args.registry.client()?,
            signer,
            log,
            tsa: args.signer.timestamper(trust.as_ref())?,
            format: if args.new_bundle_format {
                Format::Bundle
            } else {
                Format::Legacy
            },
        })
    }

    /// Signs with this context's registry, signer and log.
    fn image_signer(&self) -> ImageSigner<'_> {
        ImageSigner {
            registry: &self.registry,
            signer: &self.signer,
            log: &self.log,
            tsa: self.tsa.as_ref(),
        }
    }
}

/// Resolves every image (once: the digest printed is the one signed), then runs `each` over
/// all targets, [`CONCURRENCY`] at a time. Every image is tried; the first failure is the
/// error.
pub(crate) async fn sign_targets<'a, F, Fut>(
    signer: ImageSigner<'a>,
    images: &[String],
    recursive: bool,
    each: F,
) -> Result<Vec<SignedImage>>
where
    F: Fn(ImageSigner<'a>, signet_image::Target) -> Fut,
    Fut: std::future::Future<Output = Result<SignedImage, signet_image::ImageError>>,
{
    let refs = images
        .iter()
        .map(|s| image_ref(s))
        .collect::<Result<Vec<_>>>()?;
    let mut targets = Vec::new();
    for r in &refs {
        let t = signet_image::targets(signer.registry, r, recursive).await?;
        if let (None, Some(top)) = (r.digest(), t.first()) {
            eprintln!("Resolved {r} to {}", top.image);
        }
        targets.extend(t);
    }
    let results: Vec<_> = futures_util::stream::iter(targets)
        .map(|t| {
            each(
                ImageSigner {
                    registry: signer.registry,
                    signer: signer.signer,
                    log: signer.log,
                    tsa: signer.tsa,
                },
                t,
            )
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut ok = Vec::new();
    let mut first_err = None;
    for r in results {
        match r {
            Ok(s) => ok.push(s),
            Err(e) => {
                eprintln!("Error: {e}");
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) => Err(anyhow::Error::new(e)),
        None => Ok(ok),
    }
}

fn now() -> signet_types::UnixSeconds {
    signet_types::UnixSeconds(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default(),
    )
}

fn report_signed(signed: &[SignedImage], output: Output, what: &str) -> Result<()> {
    match output {
        Output::Text => {
            for s in signed {
                let place = match s.format {
                    Format::Bundle => "as an OCI referrer (Sigstore bundle)".to_string(),
                    Format::Legacy => "to the legacy signature tag".to_string(),
                };
                eprintln!(
                    "tlog entry created with index: {}\n{what} {} pushed {place}{}",
                    s.log_index,
                    s.image,
                    if s.written { "" } else { " (already there)" }
                );
            }
        }
        Output::Json => {
            let out: Vec<_> = signed
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "image": s.image.to_string(),
                        "digest": s.image.digest().map(|d| d.to_string()),
                        "logIndex": s.log_index,
                        "format": match s.format { Format::Bundle => "bundle", Format::Legacy => "legacy" },
                        "written": s.written,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string(&out)?);
        }
    }
    Ok(())
}

pub fn sign(args: SignArgs) -> Result<()> {
    let ctx = Signing::new(&args.common)?;
    let opts = SignOptions {
        format: ctx.format,
        annotations: args.annotations.into_iter().collect::<BTreeMap<_, _>>(),
        now: now(),
    };
    let signed = ctx.rt.block_on(sign_targets(
        ctx.image_signer(),
        &args.images,
        args.recursive,
        |s, t| {
            let opts = &opts;
            async move { s.sign(&t, opts).await }
        },
    ))?;
    report_signed(&signed, args.common.output, "Signature of")
}

pub fn attest(args: AttestArgs) -> Result<()> {
    let predicate_type = signet_oci::payload::predicate_type(&args.predicate_type)?;
    let bytes = signet_crypto::read_capped(&args.predicate, crate::input::PROVENANCE)?;
    let now = now();
    // cosign wraps a custom predicate's text as {"Data": …, "Timestamp": …}.
    let predicate = if predicate_type == signet_oci::payload::COSIGN_CUSTOM_PREDICATE {
        signet_oci::payload::custom_predicate(&bytes, &signet_image::rfc3339(now))?
    } else {
        serde_json::from_slice(&bytes)
            .with_context(|| format!("predicate {} is not JSON", args.predicate.display()))?
    };
    let ctx = Signing::new(&args.common)?;
    let opts = SignOptions {
        format: ctx.format,
        annotations: BTreeMap::new(),
        now,
    };
    let signed = ctx.rt.block_on(sign_targets(
        ctx.image_signer(),
        &args.images,
        args.recursive,
        |s, t| {
            let (opts, pt, p) = (&opts, &predicate_type, &predicate);
            async move { s.attest(&t, pt, p, opts).await }
        },
    ))?;
    report_signed(&signed, args.common.output, "Attestation of")
}

/// `signet verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Annotation `key=value` the signed payload must carry (repeatable).
    #[arg(short = 'a', long = "annotations", value_parser = annotation)]
    annotations: Vec<(String, String)>,
    /// Images to verify (by tag or digest).
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<String>,
}

/// `signet verify-attestation`.
#[derive(Args, Debug)]
pub struct VerifyAttestationArgs {
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Only attestations of this predicate type (a name as for `attest --type`, or a URI);
    /// default: any.
    #[arg(long = "type")]
    predicate_type: Option<String>,
    /// A Rego policy every verified attestation must satisfy, as for cosign: `package
    /// signature` whose rule `allow` is true with the in-toto statement as `input` (cosign's
    /// CUE policies are not supported).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// SLSA provenance policy (`--type slsaprovenance1`): every SLSA v1 provenance attestation
    /// must name this builder, source, ref or commit, and what its certificate says.
    #[command(flatten)]
    provenance: crate::release_cmd::ProvenancePolicyArgs,
    /// Images to verify (by tag or digest).
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<String>,
}

pub fn verify(args: VerifyArgs) -> Result<()> {
    let output = args.trust.output;
    crate::verify_cmd::json_on_failure(
        output,
        verify_images(
            &args.trust,
            &args.registry,
            &args.images,
            &Expect::Signature,
            &args.annotations.iter().cloned().collect(),
            None,
            None,
        ),
    )
}

pub fn verify_attestation(args: VerifyAttestationArgs) -> Result<()> {
    // Bad flags (an unknown --type, an unreadable --policy) answer in JSON too with --output json.
    crate::verify_cmd::json_on_failure(args.trust.output, verify_attestation_inner(&args))
}

fn verify_attestation_inner(args: &VerifyAttestationArgs) -> Result<()> {
    let policy = args.policy.as_deref().map(read_policy).transpose()?;
    let provenance = args.provenance.policy()?;
    let expect = Expect::Attestation(
        args.predicate_type
            .as_deref()
            .map(signet_oci::payload::predicate_type)
            .transpose()?,
    );
    verify_images(
        &args.trust,
        &args.registry,
        &args.images,
        &expect,
        &BTreeMap::new(),
        policy.as_ref(),
        (!provenance.is_empty()).then_some(&provenance),
    )
}

fn verify_images(
    trust: &TrustArgs,
    registry: &RegistryArgs,
    images: &[String],
    expect: &Expect,
    annotations: &BTreeMap<String, String>,
    policy: Option<&signet_image::RegoPolicy>,
    provenance: Option<&ProvenancePolicy>,
) -> Result<()> {
    let identity = crate::verify_cmd::identity_of(trust)?;
    let root = crate::verify_cmd::root_of(trust)?;
    let verifier = Verifier::new(&root).context("unusable trusted root")?;
    let registry = registry.client()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let checks = signet_oci::verify::Checks::performed(&identity, !annotations.is_empty());
    for image in images {
        let r = image_ref(image)?;
        let v = rt.block_on(signet_image::verify_image(
            &registry,
            &r,
            &verifier,
            &identity,
            expect,
            annotations,
        ))?;
        if let Some(p) = policy {
            p.check_all(image, &v.verified)?;
        }
        if let Some(p) = provenance {
            check_provenance(image, &v.verified, p)?;
        }
        let text = trust.output == Output::Text;
        if text {
            eprint!(
                "{}",
                signet_oci::verify::verification_header(image, &checks)
            );
            for w in v.verified.iter().flat_map(|s| s.bundle.warnings()) {
                eprintln!("WARNING: {w}");
            }
        }
        match expect {
            Expect::Signature => print!("{}", signet_oci::verify::verify_stdout(&v.verified)),
            // cosign prints each verified attestation's certificate lines (stderr) and its
            // envelope (stdout, one line each).
            Expect::Attestation(_) => {
                if text {
                    for l in v.verified.iter().flat_map(|s| &s.certificate_lines) {
                        eprintln!("{l}");
                    }
                }
                print!("{}", signet_oci::verify::attestation_stdout(&v.verified));
            }
        }
    }
    Ok(())
}

/// Every verified SLSA v1 provenance attestation of `image` claims what its certificate says
/// and satisfies `policy`, and there is at least one: else an error naming each failed rule.
fn check_provenance(
    image: &str,
    verified: &[signet_oci::verify::VerifiedImageSignature],
    policy: &ProvenancePolicy,
) -> Result<()> {
    use signet_release::provenance;
    let mut found = 0usize;
    let mut failed = Vec::new();
    for v in verified {
        let Some(payload) = v
            .output
            .get("payload")
            .and_then(|p| p.as_str())
            .and_then(|p| signet_types::b64::decode(p).ok())
        else {
            continue;
        };
        // Attestations of other predicate types are not provenance.
        let Ok(st) = provenance::parse(&payload) else {
            continue;
        };
        found = found.saturating_add(1);
        let cert = v
            .bundle
            .certificate()
            .map(provenance::CertificateClaims::of)
            .transpose()?;
        failed.extend(provenance::check_claims(&st, cert.as_ref(), policy));
    }
    if found == 0 {
        bail!(
            "{image}: no verified SLSA provenance v1 attestation to check the provenance policy against"
        );
    }
    if !failed.is_empty() {
        let lines: Vec<String> = failed.iter().map(|f| format!("  {}", f.reason)).collect();
        bail!(
            "{image}: the SLSA provenance does not satisfy the policy:\n{}",
            lines.join("\n")
        );
    }
    Ok(())
}

/// Reads a Rego policy file (cosign's CUE policies are refused, saying so).
fn read_policy(path: &std::path::Path) -> Result<signet_image::RegoPolicy> {
    if path.extension().is_some_and(|e| e == "cue") {
        bail!(
            "{}: CUE policies are not supported; write the policy in Rego (package signature, rule allow)",
            path.display()
        );
    }
    let text = signet_crypto::read_capped_string(path, crate::input::POLICY)?;
    Ok(signet_image::RegoPolicy::parse(
        &path.display().to_string(),
        &text,
    )?)
}

/// `signet triangulate`.
#[derive(Args, Debug)]
pub struct TriangulateArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// Which reference to print.
    #[arg(long = "type", value_enum, default_value_t = AttachmentType::Signature)]
    kind: AttachmentType,
    /// The image.
    image: String,
}

/// What `triangulate` and `download` look for.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum AttachmentType {
    /// The legacy `.sig` tag.
    Signature,
    /// The legacy `.att` tag.
    Attestation,
    /// The referrers fallback tag (bundle format).
    Referrers,
    /// The image's digest.
    Digest,
}

pub fn triangulate(args: TriangulateArgs) -> Result<()> {
    let r = image_ref(&args.image)?;
    let registry = args.registry.client()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let digest = rt.block_on(signet_image::resolve(&registry, &r))?.digest;
    let out = match args.kind {
        AttachmentType::Signature => r
            .at_tag(&legacy_tag(&digest, TagKind::Signature))
            .to_string(),
        AttachmentType::Attestation => r
            .at_tag(&legacy_tag(&digest, TagKind::Attestation))
            .to_string(),
        AttachmentType::Referrers => r.at_tag(&referrers_tag(&digest)).to_string(),
        AttachmentType::Digest => r.at_digest(digest).to_string(),
    };
    println!("{out}");
    Ok(())
}

/// `signet tree`.
#[derive(Args, Debug)]
pub struct TreeArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// The image.
    image: String,
}

pub fn tree(args: TreeArgs) -> Result<()> {
    let r = image_ref(&args.image)?;
    let registry = args.registry.client()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let found = rt.block_on(signet_image::find(&registry, &r))?;
    let digest = found
        .image
        .digest()
        .copied()
        .context("resolved image has no digest")?;
    let describe = |d: &signet_oci::Descriptor| {
        serde_json::json!({
            "digest": d.digest().to_string(), "mediaType": d.media_type().to_string(),
            "artifactType": d.artifact_type().as_ref().map(|t| t.to_string()),
            "annotations": d.annotations(),
        })
    };
    if args.output == Output::Json {
        let out = serde_json::json!({
            "image": found.image.to_string(),
            "referrers": found.referrers.iter().map(describe).collect::<Vec<_>>(),
            "signatures": found.signatures.iter().map(describe).collect::<Vec<_>>(),
            "attestations": found.attestations.iter().map(describe).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string(&out)?);
        return Ok(());
    }
    println!(
        "📦 Supply Chain Security Related artifacts for an image: {}",
        args.image
    );
    if found.referrers.is_empty() && found.signatures.is_empty() && found.attestations.is_empty() {
        println!(
            "No Supply Chain Security Related Artifacts found for image {}",
            args.image
        );
    }
    if !found.referrers.is_empty() {
        println!(
            "└── 🔗 Referrers of {} (tag {})",
            found.image,
            referrers_tag(&digest)
        );
        for d in &found.referrers {
            let t = d
                .artifact_type()
                .as_ref()
                .map(|t| t.to_string())
                .unwrap_or_default();
            println!("   └── 🍒 {} {t}", d.digest());
        }
    }
    for (label, layers, kind) in [
        ("💾 Attestations", &found.attestations, TagKind::Attestation),
        ("🔐 Signatures", &found.signatures, TagKind::Signature),
    ] {
        if !layers.is_empty() {
            println!(
                "└── {label} for an image tag: {}",
                r.at_tag(&legacy_tag(&digest, kind))
            );
            for d in layers {
                println!("   └── 🍒 {}", d.digest());
            }
        }
    }
    Ok(())
}

/// `signet download`.
#[derive(Args, Debug)]
pub struct DownloadArgs {
    #[command(subcommand)]
    what: DownloadWhat,
}

#[derive(Subcommand, Debug)]
enum DownloadWhat {
    /// Print every signature of an image, one JSON object per line.
    Signature(DownloadOne),
    /// Print every attestation of an image (DSSE envelopes), one JSON object per line.
    Attestation(DownloadOne),
}

#[derive(Args, Debug)]
struct DownloadOne {
    #[command(flatten)]
    registry: RegistryArgs,
    /// The image.
    image: String,
}

pub fn download(args: DownloadArgs) -> Result<()> {
    let (one, want_att) = match &args.what {
        DownloadWhat::Signature(o) => (o, false),
        DownloadWhat::Attestation(o) => (o, true),
    };
    let r = image_ref(&one.image)?;
    let registry = one.registry.client()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let lines = rt.block_on(signet_image::download(&registry, &r, want_att))?;
    if lines.is_empty() {
        bail!(
            "{}: no {} found",
            one.image,
            if want_att {
                "attestations"
            } else {
                "signatures"
            }
        );
    }
    for l in lines {
        println!("{}", serde_json::to_string(&l)?);
    }
    Ok(())
}

/// `signet sample-image`.
#[derive(Args, Debug)]
pub struct SampleImageArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// Different seeds give different images (and digests).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Platforms (comma-separated); more than one pushes an index over them.
    #[arg(long, value_delimiter = ',', default_value = "linux/amd64")]
    platforms: Vec<String>,
    /// Where to push it: REGISTRY/REPOSITORY:TAG.
    image: String,
}

pub fn sample_image(args: SampleImageArgs) -> Result<()> {
    let r = image_ref(&args.image)?;
    let Some(tag) = r.tag().map(str::to_string) else {
        bail!("sample-image needs a tag to push to, got {}", args.image);
    };
    let artifacts = signet_oci::manifest::sample_image(args.seed, &args.platforms)?;
    let registry = args.registry.client()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let Some((top, children)) = artifacts.split_last() else {
        bail!("no sample image was built");
    };
    rt.block_on(async {
        for a in children {
            registry.push(&r, a, None).await?;
        }
        registry.push(&r, top, Some(&tag)).await
    })?;
    println!("{}", r.at_digest(top.digest));
    Ok(())
}

/// Name of the file listing a release's container images (one reference per line; blank lines
/// and `#` comments ignored). It is an artifact of the release too, so it is signed and checked
/// like every other file.
pub(crate) const RELEASE_IMAGES: &str = "images.txt";

/// The images of the release in `dir`: its [`RELEASE_IMAGES`] file, then `extra`.
pub(crate) fn release_images(dir: &std::path::Path, extra: &[String]) -> Result<Vec<String>> {
    let path = dir.join(RELEASE_IMAGES);
    let mut out = Vec::new();
    if path.is_file() {
        let text = signet_crypto::read_capped_string(&path, crate::input::IMAGE_LIST)?;
        for line in text.lines().map(str::trim) {
            if !line.is_empty() && !line.starts_with('#') {
                image_ref(line).with_context(|| format!("{}", path.display()))?;
                out.push(line.to_string());
            }
        }
    }
    for e in extra {
        image_ref(e)?;
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    Ok(out)
}

/// Signs `images` for a release with the release's signer (and certificate).
pub(crate) fn sign_release_images(
    rt: &tokio::runtime::Runtime,
    registry: &RegistryArgs,
    signer: &signet_sign::Signer,
    log: &signet_sign::SigningLog,
    tsa: Option<&signet_sign::TsaClient>,
    images: &[String],
    format: Format,
) -> Result<Vec<SignedImage>> {
    let registry = registry.client()?;
    let opts = SignOptions {
        format,
        annotations: BTreeMap::new(),
        now: now(),
    };
    let signer = ImageSigner {
        registry: &registry,
        signer,
        log,
        tsa,
    };
    rt.block_on(sign_targets(signer, images, false, |s, t| {
        let opts = &opts;
        async move { s.sign(&t, opts).await }
    }))
}

/// One report row per image of a release, verified concurrently: `OK` with who signed which
/// digest, `UNSIGNED` (no signature at all), `MISSING` (no such image), `FAILED` (signatures
/// that do not verify), `ERROR` (the registry could not be read).
pub(crate) fn verify_release_images(
    registry: &RegistryArgs,
    images: &[String],
    verifier: &Verifier<'_>,
    identity: &signet_verify::Identity,
) -> Result<Vec<signet_release::verify::FileStatus>> {
    use signet_image::ImageError;
    use signet_release::verify::{FileStatus, Status};
    let registry = registry.client()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let rows = rt.block_on(
        futures_util::stream::iter(images)
            .map(|image| {
                let registry = &registry;
                async move {
                    let path = format!("image {image}");
                    let r = match image_ref(image) {
                        Ok(r) => r,
                        Err(e) => return FileStatus::new(&path, Status::Error, e.to_string()),
                    };
                    match signet_image::verify_image(
                        registry,
                        &r,
                        verifier,
                        identity,
                        &Expect::Signature,
                        &BTreeMap::new(),
                    )
                    .await
                    {
                        Ok(v) => {
                            let who = v
                                .verified
                                .first()
                                .map(|s| s.bundle.sans().join(", "))
                                .unwrap_or_default();
                            let idx = v
                                .verified
                                .first()
                                .and_then(|s| s.bundle.entries().first())
                                .map(|e| format!(", log index {}", e.log_index))
                                .unwrap_or_default();
                            let digest =
                                v.image.digest().map(|d| d.to_string()).unwrap_or_default();
                            FileStatus::new(
                                &path,
                                Status::Ok,
                                format!("{digest} signed by {who}{idx}"),
                            )
                        }
                        Err(e) => {
                            let status = match &e {
                                ImageError::NoSignatures { .. } => Status::Unsigned,
                                ImageError::NoneVerified { .. } => Status::Failed,
                                ImageError::Registry { source, .. }
                                    if matches!(
                                        **source,
                                        signet_registry::RegistryError::NotFound(_)
                                    ) =>
                                {
                                    Status::Missing
                                }
                                _ => Status::Error,
                            };
                            FileStatus::new(&path, status, e.to_string())
                        }
                    }
                }
            })
            .buffered(CONCURRENCY)
            .collect::<Vec<_>>(),
    );
    Ok(rows)
}
