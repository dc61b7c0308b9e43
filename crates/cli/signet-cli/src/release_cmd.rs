//! `signet sign-release`, `signet verify-release`, `signet serve-release` and
//! `signet sample-release`: a whole release signed and verified in one command. What is signed
//! and checked is `signet_release::{sign, verify}`'s; this module holds the flags, the output,
//! the progress bars, the signer (signet-sign) and the download of a release served over HTTP.
//!
//! Signing writes, for every artifact, `<f>.sig` (base64 DER signature), `<f>.cert` (base64
//! PEM, keyless) and `<f>.sigstore.json` (bundle v0.3); a signed `SHA256SUMS`; SBOMs, each signed:
//! SPDX 2.3 (`release.spdx.json`, `release.spdx`) and/or CycloneDX 1.6 (`release.cdx.json`),
//! `--sbom-format`; and SLSA v1 provenance as a signed
//! DSSE envelope (`release.intoto.jsonl` + `.sigstore.json`). One key (one certificate when
//! keyless) signs the whole run; all entries go to the log concurrently, where the sequencer
//! integrates them in batches. Every file is written to a temporary name and renamed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use signet_client::RekorClient;
use signet_crypto::read_capped;
use signet_release::buildenv::BuildClaims;
use signet_release::packages::SbomPackages;
use signet_release::sign::{Environment, ReleaseInfo, ReleaseSigner, SignedEnvelope, SignedFile};
use signet_release::{
    BUNDLE_SUFFIX, Progress, RELEASE_METADATA, ReadMode, RelPath, ReleaseError, SIGNED_METADATA,
    SbomFormats, SbomOptions, manifest,
};
use signet_sign::{Signer, SigningLog, sign_dsse, sign_message};
use signet_types::Sha256Hash;
use signet_verify::Verifier;

use crate::sign_cmd::log_uploader;
use crate::verify_cmd::{Output, TrustArgs};

/// `signet sign-release` flags.
#[derive(Args, Debug)]
pub struct SignReleaseArgs {
    /// The release directory.
    dir: PathBuf,
    #[command(flatten)]
    signer: crate::sign_cmd::SignerArgs,
    /// Release name (SBOM document and package).
    #[arg(long)]
    name: Option<String>,
    /// Release version.
    #[arg(long, default_value = "unversioned")]
    release_version: String,
    #[command(flatten)]
    build: BuildArgs,
    /// Log uploads in flight at once.
    #[arg(long, default_value_t = 64)]
    jobs: usize,
    /// SBOMs to write, each signed: `spdx` (SPDX 2.3: `release.spdx.json` and tag-value
    /// `release.spdx`), `cyclonedx` (CycloneDX 1.6: `release.cdx.json`) or `both`.
    ///
    /// A format not chosen is removed from the release with its signature files, so a re-run
    /// with another choice leaves no stale SBOM.
    #[arg(long, value_enum, default_value_t = SbomFormatArg::Both, value_name = "FORMAT")]
    sbom_format: SbomFormatArg,
    /// Base URI of the SPDX document namespace, one you control (e.g.
    /// `https://sbom.example.org/myproj`): the namespace is `<base>/<name>/<version>/<uuid>`.
    /// Default: `urn:uuid:<uuid>`. The UUID is random, new on every signing.
    #[arg(long, value_name = "URI")]
    sbom_namespace: Option<String>,
    /// JSON file listing the packages the release contains, for the SBOMs.
    ///
    /// The file is `{"packages": [{"name": "golang.org/x/net", "version": "v0.30.0",
    /// "purl": "pkg:golang/golang.org/x/net@v0.30.0", "license": "BSD-3-Clause",
    /// "downloadLocation": "https://proxy.golang.org/golang.org/x/net/@v/v0.30.0.zip",
    /// "supplier": "The Go Authors", "sha256": "<64 hex digits>"}, …]}`. Only `name` is
    /// required; any other field is an error. `license` is an SPDX license expression over SPDX
    /// License List identifiers; `purl` a package URL; `downloadLocation` a URL (or VCS location
    /// such as `git+https://…`); `supplier` an organization name (no parentheses). A name and
    /// version may appear once; at most 100000 packages, 16 MiB.
    ///
    /// Each package becomes an SPDX package the release package CONTAINS (versionInfo,
    /// supplier, downloadLocation, licenseConcluded/licenseDeclared, SHA256 checksum, purl
    /// external reference) and a CycloneDX component of type library the release dependsOn
    /// (version, supplier, purl, license expression, SHA-256 hash, distribution reference).
    #[arg(long, value_name = "FILE")]
    sbom_packages: Option<PathBuf>,
    /// A container image of the release to sign too, with the same certificate (repeatable;
    /// every line of the release's `images.txt` is signed as well).
    #[arg(long = "image", value_name = "IMAGE")]
    images: Vec<String>,
    /// Images: cosign v3's bundle format (OCI 1.1 referrers); `--new-bundle-format=false`
    /// writes the legacy `sha256-<hex>.sig` tag Kubernetes publishes.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_name = "BOOL")]
    new_bundle_format: bool,
    #[command(flatten)]
    registry: crate::image_cmd::RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

/// What the provenance says about the build. Each flag wins over what signet finds itself:
/// the signing certificate's CI extensions (keyless signing in CI), the CI system's variables
/// (GitHub Actions, GitLab CI, Google Cloud Build), and the git checkout of the current
/// directory. A flag that contradicts the signing certificate is refused.
#[derive(Args, Debug)]
struct BuildArgs {
    /// Builder id (`runDetails.builder.id`); default: the certificate's Build Signer URI (the
    /// workflow), else the CI system's, else `urn:signet:builder:local`.
    #[arg(long, value_name = "URI")]
    builder_id: Option<String>,
    /// Build type (`buildDefinition.buildType`); default `urn:signet:buildtype:release:v1`
    /// (docs/buildtype-release-v1.md).
    #[arg(long, value_name = "URI")]
    build_type: Option<String>,
    /// Source repository, e.g. `git+https://github.com/org/repo` (never a local path).
    #[arg(long, value_name = "URI")]
    source_uri: Option<String>,
    /// The source revision built: `gitCommit:<sha>` (a bare 40-hex commit works too).
    #[arg(long, alias = "source-commit", value_name = "ALG:HEX")]
    source_digest: Option<String>,
    /// The git ref built, e.g. `refs/tags/v1.36.0`.
    #[arg(long, value_name = "REF")]
    source_ref: Option<String>,
    /// Build invocation id (default: the CI run's URI, else a random `urn:uuid:`).
    #[arg(long, value_name = "ID")]
    invocation_id: Option<String>,
    /// Take nothing from the CI environment or the git checkout (only flags and the
    /// certificate).
    #[arg(long)]
    no_build_detection: bool,
}

impl BuildArgs {
    /// The caller's claims.
    fn claims(&self) -> Result<BuildClaims> {
        let mut c = BuildClaims {
            source_uri: self.source_uri.clone(),
            source_ref: self.source_ref.clone(),
            builder_id: self.builder_id.clone(),
            build_type: self.build_type.clone(),
            invocation_id: self.invocation_id.clone(),
            ..BuildClaims::default()
        };
        if let Some(d) = &self.source_digest {
            let (alg, hex) = signet_release::provenance::parse_source_digest(d)?;
            c.source_digest.insert(alg, hex);
        }
        if c != BuildClaims::default() {
            c.provider = Some("flags");
        }
        Ok(c)
    }

    /// What the CI environment, then the git checkout of the current directory, say.
    fn detected(&self) -> Result<BuildClaims> {
        if self.no_build_detection {
            return Ok(BuildClaims::default());
        }
        let ci = BuildClaims::from_env(&|k| std::env::var(k).ok())?.unwrap_or_default();
        Ok(ci.or(git_checkout()))
    }
}

/// What `git` says about the checkout of the current directory (nothing when git is missing or
/// this is no checkout).
fn git_checkout() -> BuildClaims {
    let git = |args: &[&str]| -> Option<String> {
        let out = std::process::Command::new("git")
            .args(args)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        let line = text.lines().next()?.trim().to_string();
        (out.status.success() && !line.is_empty()).then_some(line)
    };
    let Some(head) = git(&["rev-parse", "--verify", "-q", "HEAD"]) else {
        return BuildClaims::default();
    };
    let remote = git(&["remote", "get-url", "origin"]);
    let git_ref = git(&["tag", "--points-at", "HEAD"])
        .map(|t| format!("refs/tags/{t}"))
        .or_else(|| git(&["symbolic-ref", "-q", "HEAD"]));
    BuildClaims::from_git(remote.as_deref(), Some(&head), git_ref.as_deref())
}

/// `sign-release --sbom-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum SbomFormatArg {
    /// SPDX 2.3, JSON and tag-value.
    Spdx,
    /// CycloneDX 1.6 JSON.
    #[value(name = "cyclonedx")]
    CycloneDx,
    /// Both.
    Both,
}

impl SbomFormatArg {
    fn formats(self) -> SbomFormats {
        match self {
            Self::Spdx => SbomFormats::Spdx,
            Self::CycloneDx => SbomFormats::CycloneDx,
            Self::Both => SbomFormats::Both,
        }
    }
}

/// The SBOM options of `sign-release`: formats, namespace base, and the packages file read and
/// checked (before anything is signed).
fn sbom_options(args: &SignReleaseArgs) -> Result<SbomOptions> {
    let packages = match &args.sbom_packages {
        None => SbomPackages::default(),
        Some(path) => {
            let bytes = read_capped(path, crate::input::SBOM_PACKAGES)?;
            SbomPackages::parse(&bytes)
                .with_context(|| format!("--sbom-packages {}", path.display()))?
        }
    };
    if let Some(base) = &args.sbom_namespace {
        signet_release::sboms::check_namespace_base(base).context("--sbom-namespace")?;
    }
    Ok(SbomOptions {
        formats: args.sbom_format.formats(),
        namespace: args.sbom_namespace.clone(),
        packages,
    })
}

/// A progress bar on stderr (hidden for JSON output or when stderr is not a terminal).
struct Bar {
    output: Output,
    steady: bool,
    bar: Mutex<ProgressBar>,
}

impl Bar {
    fn new(output: Output, steady: bool) -> Self {
        Self {
            output,
            steady,
            bar: Mutex::new(ProgressBar::hidden()),
        }
    }

    fn with_bar(&self, f: impl FnOnce(&mut ProgressBar)) {
        if let Ok(mut b) = self.bar.lock() {
            f(&mut b);
        }
    }
}

impl Progress for Bar {
    fn start(&self, step: &str, len: u64) {
        use std::io::IsTerminal;
        if self.output == Output::Json || !std::io::stderr().is_terminal() {
            return;
        }
        let pb = ProgressBar::new(len);
        pb.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {elapsed_precise}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(step.to_string());
        if self.steady {
            pb.enable_steady_tick(std::time::Duration::from_millis(200));
        }
        self.with_bar(|b| *b = pb);
    }

    fn inc(&self) {
        self.with_bar(|b| b.inc(1));
    }

    fn finish(&self) {
        self.with_bar(|b| b.finish_and_clear());
    }
}

/// The release signer: one [`Signer`] (one certificate when keyless) for the whole run; every
/// entry goes to the log concurrently (at most `jobs` in flight), where the sequencer
/// integrates them in batches.
struct LoggedSigner {
    rt: tokio::runtime::Runtime,
    signer: Arc<Signer>,
    log: Arc<SigningLog>,
    /// The timestamp authority, when one is configured.
    tsa: Arc<Option<signet_sign::TsaClient>>,
    jobs: usize,
}

fn signer_error(e: impl Into<anyhow::Error>) -> ReleaseError {
    ReleaseError::Signer(e.into().into())
}

impl LoggedSigner {
    /// Signs and logs `items`, `jobs` at a time, sending each result to the writers.
    fn drive(
        &self,
        items: Vec<(String, [u8; 32])>,
        written: &std::sync::mpsc::SyncSender<(String, SignedFile)>,
        progress: &dyn Progress,
    ) -> Result<(), ReleaseError> {
        self.rt.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            let mut pending = items.into_iter();
            loop {
                while set.len() < self.jobs.max(1) {
                    let Some((rel, d)) = pending.next() else {
                        break;
                    };
                    let (signer, log, tsa) =
                        (self.signer.clone(), self.log.clone(), self.tsa.clone());
                    set.spawn(async move {
                        let r = sign_message(&signer, &*log, tsa.as_ref(), &Sha256Hash(d), &rel)
                            .await
                            .and_then(|s| {
                                Ok(SignedFile {
                                    signature: s.signature,
                                    certificate_pem: signer.certificate_pem().map(str::to_string),
                                    bundle_json: s.bundle.to_json_pretty().map_err(|e| {
                                        signet_sign::SignError::Bundle(e.to_string())
                                    })?,
                                })
                            });
                        (rel, r)
                    });
                }
                let Some(joined) = set.join_next().await else {
                    return Ok(());
                };
                let (rel, r) = joined.map_err(signer_error)?;
                let file = r.map_err(signer_error)?;
                // Blocks only while every writer is busy and the queue is full.
                written
                    .send((rel, file))
                    .map_err(|_| signer_error(anyhow::anyhow!("the file writers stopped")))?;
                progress.inc();
            }
        })
    }
}

impl ReleaseSigner for LoggedSigner {
    fn sign_files(
        &self,
        items: Vec<(String, [u8; 32])>,
        signed: &(dyn Fn(&str, SignedFile) -> Result<(), ReleaseError> + Sync),
        progress: &dyn Progress,
    ) -> Result<(), ReleaseError> {
        // Each file's .sig, .cert and bundle are written (and fsynced) by WRITERS threads while
        // the runtime keeps `jobs` signatures in flight: writing on the thread that drives the
        // runtime would make every fsync wait for the one before it.
        const WRITERS: usize = 8;
        let (tx, rx) = std::sync::mpsc::sync_channel::<(String, SignedFile)>(self.jobs.max(1));
        let rx = std::sync::Mutex::new(rx);
        std::thread::scope(|scope| {
            let writers: Vec<_> = (0..WRITERS)
                .map(|_| {
                    scope.spawn(|| -> Result<(), ReleaseError> {
                        // After a failed write a writer still drains the queue (writing
                        // nothing more), so the signing side never waits on a full queue.
                        let mut result = Ok(());
                        loop {
                            let next = match rx.lock() {
                                Ok(r) => r.recv(),
                                Err(_) => {
                                    return Err(signer_error(anyhow::anyhow!("a writer failed")));
                                }
                            };
                            let Ok((rel, file)) = next else {
                                return result;
                            };
                            if result.is_ok() {
                                result = signed(&rel, file);
                            }
                        }
                    })
                })
                .collect();
            let driven = self.drive(items, &tx, progress);
            drop(tx);
            // A writer's error explains a failed send, so it comes first.
            let mut written = Ok(());
            for w in writers {
                let r = w
                    .join()
                    .unwrap_or_else(|_| Err(signer_error(anyhow::anyhow!("a writer panicked"))));
                if written.is_ok() {
                    written = r;
                }
            }
            written.and(driven)
        })
    }

    fn sign_envelope(
        &self,
        payload_type: &str,
        payload: &[u8],
    ) -> Result<SignedEnvelope, ReleaseError> {
        let s = self
            .rt
            .block_on(sign_dsse(
                &self.signer,
                &*self.log,
                self.tsa.as_ref(),
                payload_type,
                payload,
                "the provenance",
            ))
            .map_err(signer_error)?;
        Ok(SignedEnvelope {
            envelope_json: s.envelope_json,
            bundle_json: s.bundle.to_json_pretty().map_err(signer_error)?,
        })
    }

    fn certificate_pem(&self) -> Option<String> {
        self.signer.certificate_pem().map(str::to_string)
    }
}

pub fn sign_release(args: SignReleaseArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let dir = args.dir.clone();
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let sbom = sbom_options(&args)?;
    let trust = crate::trust_cfg::find(args.signer.trust_config.as_deref())?;
    let rekor_url = args.signer.rekor_url(trust.as_ref())?;
    let keyless = args.signer.key.is_none();
    let make_signer = || -> Result<LoggedSigner> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let client = RekorClient::with_options(&rekor_url, &crate::net::options()?)?;
        let signer = Arc::new(args.signer.signer(&rt, &client, trust.as_ref())?);
        let v2 = args.signer.log_api_v2(trust.as_ref())?;
        let log = Arc::new(rt.block_on(log_uploader(&client, trust.as_ref(), v2))?);
        Ok(LoggedSigner {
            rt,
            signer,
            log,
            tsa: Arc::new(args.signer.timestamper(trust.as_ref())?),
            jobs: args.jobs,
        })
    };
    let images = crate::image_cmd::release_images(&dir, &args.images)?;
    // One signer (one certificate) for the files and the images, made when first needed.
    let signer_cell = std::cell::OnceCell::new();
    let shared = || -> Result<&LoggedSigner> {
        if let Some(s) = signer_cell.get() {
            return Ok(s);
        }
        let s = make_signer()?;
        Ok(signer_cell.get_or_init(|| s))
    };
    let report = signet_release::sign::sign_release(
        &dir,
        keyless,
        || shared().map_err(signer_error),
        &ReleaseInfo {
            name: args.name.clone(),
            version: args.release_version.clone(),
            claims: args.build.claims()?,
            detected: args.build.detected()?,
            sbom,
        },
        &Environment {
            now: &time::OffsetDateTime::now_utc,
            nonce: &rand::random::<[u8; 16]>,
        },
        &Bar::new(args.output, true),
    )?;
    let signed_images = if images.is_empty() {
        Vec::new()
    } else {
        let s = shared()?;
        let format = if args.new_bundle_format {
            signet_image::Format::Bundle
        } else {
            signet_image::Format::Legacy
        };
        crate::image_cmd::sign_release_images(
            &s.rt,
            &args.registry,
            &s.signer,
            &s.log,
            s.tsa.as_ref().as_ref(),
            &images,
            format,
        )?
    };
    report_sign(&args, &report, &signed_images, started)
}

fn report_sign(
    args: &SignReleaseArgs,
    report: &signet_release::sign::SignReport,
    images: &[signet_image::SignedImage],
    started: std::time::Instant,
) -> Result<()> {
    let image_rows: Vec<_> = images
        .iter()
        .map(|s| serde_json::json!({ "image": s.image.to_string(), "logIndex": s.log_index }))
        .collect();
    let (artifacts, signed, bytes, hash_secs, nothing_to_do) = (
        report.artifacts,
        report.signed,
        report.bytes,
        report.hash_seconds,
        report.up_to_date,
    );
    let total = started.elapsed().as_secs_f64();
    if args.output == Output::Json {
        println!(
            "{}",
            serde_json::json!({
                "artifacts": artifacts, "signed": signed, "skipped": artifacts.saturating_sub(signed),
                "bytes": bytes, "hashSeconds": hash_secs, "totalSeconds": total,
                "upToDate": nothing_to_do, "images": image_rows,
                "provenance": report.provenance,
            })
        );
        return Ok(());
    }
    for s in images {
        eprintln!("Signed image {} (log index {})", s.image, s.log_index);
    }
    if let Some(p) = &report.provenance {
        let source = match (&p.source_uri, p.source_digest.iter().next()) {
            (Some(u), Some((alg, d))) => format!(
                "{u} at {alg}:{d}{}",
                p.source_ref
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            _ => "no source repository (give --source-uri and --source-digest, or sign in a \
                  git checkout or CI)"
                .to_string(),
        };
        eprintln!("Provenance: built by {} from {source}", p.builder_id);
    }
    if nothing_to_do {
        eprintln!(
            "{}: all {artifacts} artifacts already signed and unchanged; nothing to do",
            args.dir.display()
        );
    } else {
        eprintln!(
            "Signed {signed} of {artifacts} artifacts ({} skipped as already signed), SHA256SUMS, SBOMs and provenance in {:.2}s (hashing {:.2}s)",
            artifacts.saturating_sub(signed),
            total,
            hash_secs
        );
    }
    Ok(())
}

/// `signet verify-release` flags.
#[derive(Args, Debug)]
pub struct VerifyReleaseArgs {
    /// The release: a directory, or the http(s) URL it is served at.
    target: String,
    /// Never use the network (bundles carry the log's promises and proofs). A URL target
    /// still downloads the release itself.
    #[arg(long)]
    offline: bool,
    /// Read files with read(2) instead of memory-mapping the large ones. Mapping is about 15%
    /// faster; a file truncated by another process while it is mapped kills the verifier
    /// (SIGBUS, non-zero exit), so use this on shared file systems where that can happen.
    #[arg(long)]
    no_mmap: bool,
    #[command(flatten)]
    download: DownloadArgs,
    /// A container image of the release to verify too (repeatable; every line of the
    /// release's `images.txt` is verified as well), in parallel with the files.
    #[arg(long = "image", value_name = "IMAGE")]
    images: Vec<String>,
    #[command(flatten)]
    registry: crate::image_cmd::RegistryArgs,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    policy: ProvenancePolicyArgs,
}

/// How much a release given as a URL may download (`verify-release`, `serve-release`).
#[derive(Args, Debug)]
pub struct DownloadArgs {
    /// Most data a URL target may download, in MiB, all files together (each metadata file,
    /// bundle, `.sig` and `.cert` also has its own, smaller limit).
    #[arg(long, default_value_t = DEFAULT_MAX_DOWNLOAD_MIB, value_parser = clap::value_parser!(u64).range(1..=MAX_DOWNLOAD_MIB))]
    max_download_mib: u64,
}

impl DownloadArgs {
    fn max_bytes(&self) -> u64 {
        self.max_download_mib << 20
    }
}

/// The release URL `target` names, when it is one (`http://…` or `https://…`), not a
/// directory.
fn release_url(target: &str) -> Option<&str> {
    (target.starts_with("http://") || target.starts_with("https://")).then_some(target)
}

/// A fresh temporary directory for a downloaded release, removed when dropped.
fn download_dir() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("signet-release-")
        .tempdir()
        .context("cannot create a temporary directory for the download")
}

/// What a release's (or an image's) SLSA provenance must say, as slsa-verifier checks it.
#[derive(Args, Debug)]
pub struct ProvenancePolicyArgs {
    /// The builder the provenance must name (`runDetails.builder.id`); without `@…` any
    /// version of it.
    #[arg(long, value_name = "URI")]
    builder_id: Option<String>,
    /// The source repository it must name (`github.com/org/repo`, `https://…` or `git+https://…`).
    #[arg(long, value_name = "URI")]
    source_uri: Option<String>,
    /// The git ref it must name: `refs/tags/v1.2.3`, or `v1.2.3` for a tag or branch of that name.
    #[arg(long, value_name = "REF")]
    source_ref: Option<String>,
    /// The source revision it must name: `gitCommit:<sha>` or a bare 40-hex commit.
    #[arg(long, value_name = "ALG:HEX")]
    source_digest: Option<String>,
}

impl ProvenancePolicyArgs {
    pub(crate) fn policy(&self) -> Result<signet_release::provenance::ProvenancePolicy> {
        Ok(signet_release::provenance::ProvenancePolicy {
            builder_id: self.builder_id.clone(),
            source_uri: self.source_uri.clone(),
            source_ref: self.source_ref.clone(),
            source_digest: self
                .source_digest
                .as_deref()
                .map(signet_release::provenance::parse_source_digest)
                .transpose()?,
        })
    }
}

pub fn verify_release(args: VerifyReleaseArgs) -> Result<()> {
    let started = std::time::Instant::now();
    if args.offline {
        // Trust too comes from what is here (a TUF cache, the compiled-in public-good root).
        crate::tuf_client::set_offline();
    }
    // A downloaded release lives in a temporary directory removed on every way out (the guard
    // exists before the first byte is written).
    let (dir, _download) = if let Some(url) = release_url(&args.target) {
        let tmp = download_dir()?;
        download_release(
            url,
            tmp.path(),
            args.download.max_bytes(),
            args.trust.output,
        )?;
        (tmp.path().to_path_buf(), Some(tmp))
    } else {
        (PathBuf::from(&args.target), None)
    };
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let identity = crate::verify_cmd::identity_of(&args.trust)?;
    let policy = args.policy.policy()?;
    let root = crate::verify_cmd::root_of(&args.trust)?;
    let verifier = Verifier::new(&root).context("unusable trusted root")?;
    let mode = if args.no_mmap {
        ReadMode::Buffered
    } else {
        ReadMode::Mapped
    };
    let images = crate::image_cmd::release_images(&dir, &args.images)?;
    // The images are verified on their own thread while the files are hashed.
    let (report, image_rows) = std::thread::scope(|scope| {
        let images = scope.spawn(|| {
            crate::image_cmd::verify_release_images(&args.registry, &images, &verifier, &identity)
        });
        let report = signet_release::verify::verify_release(
            &dir,
            &verifier,
            &identity,
            &policy,
            mode,
            &Bar::new(args.trust.output, true),
        );
        let rows = images
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the image verifier panicked")));
        (report, rows)
    });
    let mut report = report?;
    report.files.extend(image_rows?);
    let (statuses, bytes, hash_secs) = (&report.files, report.bytes, report.hash_seconds);
    let bad = report.problems();
    let secs = started.elapsed().as_secs_f64();
    match args.trust.output {
        Output::Json => println!(
            "{}",
            serde_json::json!({
                "verified": bad == 0, "files": statuses, "problems": bad,
                "bytes": bytes, "hashSeconds": hash_secs, "totalSeconds": secs,
                "sbom": report.sbom, "provenance": report.provenance,
            })
        ),
        Output::Text => {
            println!("{:<9} {:<60} DETAIL", "STATUS", "FILE");
            for s in statuses {
                println!("{:<9} {:<60} {}", s.status, s.path, s.detail);
            }
            eprintln!(
                "{} files, {:.1} MB in {:.2}s ({:.2} GB/s hashing): {}",
                statuses.len(),
                bytes as f64 / 1e6,
                secs,
                bytes as f64 / 1e9 / hash_secs.max(1e-9),
                if bad == 0 {
                    "release verified OK".to_string()
                } else {
                    format!("{bad} problem(s)")
                }
            );
        }
    }
    if bad > 0 {
        bail!("release verification failed: {bad} problem(s)");
    }
    Ok(())
}

/// Default of `verify-release --max-download-mib`: 64 GiB.
const DEFAULT_MAX_DOWNLOAD_MIB: u64 = 64 << 10;
/// Largest `--max-download-mib`: 1 PiB (keeps the byte count far from overflow).
const MAX_DOWNLOAD_MIB: u64 = 1 << 30;

/// The limit for one file of a release download, by what it is (`total` for artifacts).
fn download_limit(kind: Download, total: u64) -> u64 {
    // A downloaded file gets the limit the same file has on disk (README: "Limits on input").
    let limit = match kind {
        Download::Manifest => crate::input::SHA256SUMS.max_bytes,
        Download::Bundle => crate::input::BUNDLE.max_bytes,
        Download::Material => crate::input::SIGNATURE.max_bytes,
        Download::Sbom => crate::input::SBOM.max_bytes,
        Download::Provenance => crate::input::PROVENANCE.max_bytes,
        Download::Artifact => total,
    };
    limit.min(total)
}

/// What a downloaded file is, which decides its size limit.
#[derive(Clone, Copy, Debug)]
enum Download {
    Manifest,
    Bundle,
    Material,
    Sbom,
    Provenance,
    Artifact,
}

/// [`fetch_release`] on a runtime of its own, with a progress bar for `output`.
fn download_release(base: &str, dir: &Path, max_total: u64, output: Output) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(fetch_release(
        base,
        dir,
        max_total,
        &Bar::new(output, false),
    ))
}

/// Downloads a release served over HTTP into `dir`: SHA256SUMS says which files there are;
/// each file comes with its bundle, plus the metadata files. Every file is limited by its kind
/// ([`download_limit`]) and all of them together by `max_total` bytes.
async fn fetch_release(
    base: &str,
    dir: &Path,
    max_total: u64,
    pb: &(dyn Progress + Sync),
) -> Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};

    use signet_client::http::{self, HttpOptions, LimitedBody};
    use tokio::io::AsyncWriteExt;

    let base = base.trim_end_matches('/');
    let base_opts = crate::net::options()?;
    let opts = Arc::new(HttpOptions {
        timeout: base_opts.timeout.max(http::DOWNLOAD_TIMEOUT),
        ..base_opts
    });
    // A full client even for an http:// release: its files may be redirected to https.
    let http = http::client(&opts)?;
    let received = Arc::new(AtomicU64::new(0));
    // Set at the first failure: the other downloads stop at their next network wait, never
    // in the middle of a file-system call (which would go on after them, in a directory the
    // caller may be removing).
    let stop = tokio_util::sync::CancellationToken::new();
    let get = |rel: String, kind: Download| {
        let (http, opts, received) = (http.clone(), opts.clone(), received.clone());
        let (url, base) = (format!("{base}/{rel}"), base.to_string());
        let path = dir.join(&rel);
        let stop = stop.clone();
        async move {
            let resp = tokio::select! {
                r = http::send(http.get(&url), &url, &opts) => r?,
                () = stop.cancelled() => bail!("download of {url} stopped"),
            };
            if resp.status().as_u16() == 404 {
                return Ok(false);
            }
            if !resp.status().is_success() {
                bail!("{url} answered {}", resp.status());
            }
            let mut body = LimitedBody::new(resp, &url, download_limit(kind, max_total), &opts)?;
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            let mut f = tokio::fs::File::create(&path).await?;
            while let Some(chunk) = tokio::select! {
                c = body.chunk() => c?,
                () = stop.cancelled() => bail!("download of {url} stopped"),
            } {
                let chunk = chunk.as_ref();
                let n = u64::try_from(chunk.len())?;
                if received.fetch_add(n, Ordering::Relaxed).saturating_add(n) > max_total {
                    bail!(
                        "the release at {base} is larger than the download limit of \
                         {} MiB (--max-download-mib)",
                        max_total >> 20
                    );
                }
                f.write_all(chunk).await?;
            }
            f.flush().await?;
            anyhow::Ok(true)
        }
    };
    if !get(signet_release::MANIFEST.to_string(), Download::Manifest).await? {
        bail!("{base}/{} not found", signet_release::MANIFEST);
    }
    let listed = manifest::parse(&read_capped(
        &dir.join(signet_release::MANIFEST),
        crate::input::SHA256SUMS,
    )?)?;
    let mut names: Vec<(String, Download)> = Vec::new();
    for p in listed.paths() {
        names.push((format!("{p}{BUNDLE_SUFFIX}"), Download::Bundle));
        names.push((format!("{p}.sig"), Download::Material));
        names.push((format!("{p}.cert"), Download::Material));
        names.push((p, Download::Artifact));
    }
    // SHA256SUMS itself is already here; every metadata file comes with its bundle.
    for m in RELEASE_METADATA {
        let kind = if m == signet_release::PROVENANCE {
            Download::Provenance
        } else {
            Download::Sbom
        };
        if m != signet_release::MANIFEST {
            names.push((m.to_string(), kind));
        }
        names.push((format!("{m}{BUNDLE_SUFFIX}"), Download::Bundle));
        if SIGNED_METADATA.contains(&m) {
            names.push((format!("{m}.sig"), Download::Material));
            names.push((format!("{m}.cert"), Download::Material));
        }
    }
    pb.start("download", names.len() as u64);
    // 16 at a time; after a failure no new one starts, and every running one is waited for
    // (stopped, not aborted), so nothing writes into `dir` once this returns.
    let mut set = tokio::task::JoinSet::new();
    let mut names = names.into_iter();
    let mut failed: Option<anyhow::Error> = None;
    let mut fail = |e: anyhow::Error| {
        stop.cancel();
        failed.get_or_insert(e);
    };
    loop {
        while set.len() < 16 && !stop.is_cancelled() {
            let Some((n, kind)) = names.next() else {
                break;
            };
            match RelPath::new(n.as_str()) {
                Ok(_) => {
                    set.spawn(get(n, kind));
                }
                Err(e) => fail(e.into()),
            }
        }
        let Some(r) = set.join_next().await else {
            break;
        };
        match r.map_err(anyhow::Error::from).and_then(|r| r) {
            Ok(_) => pb.inc(),
            Err(e) => fail(e),
        }
    }
    pb.finish();
    failed.map_or(Ok(()), Err)
}

/// `signet serve-release` flags.
#[derive(Args, Debug)]
pub struct ServeReleaseArgs {
    /// The release directory, or the http(s) URL a release is served at (downloaded and
    /// verified at each page load; nothing is served but the page).
    #[arg(value_name = "DIR|URL")]
    dir: PathBuf,
    /// Listen address (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    #[command(flatten)]
    limits: crate::server_cmd::ConnectionArgs,
    /// Serve the files only, without the verification page (no identity needed).
    #[arg(long, conflicts_with_all = ["certificate_identity", "certificate_identity_regexp", "key"])]
    files_only: bool,
    /// Never use the network to find the trusted root (as `verify-release --offline`).
    #[arg(long)]
    offline: bool,
    #[command(flatten)]
    download: DownloadArgs,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    policy: ProvenancePolicyArgs,
}

/// What the release page states was required, as `(what, value)`.
fn required(args: &ServeReleaseArgs) -> Vec<(String, String)> {
    let mut v = crate::verify_cmd::identity_description(&args.trust);
    let p = &args.policy;
    for (what, value) in [
        ("Builder", &p.builder_id),
        ("Source repository", &p.source_uri),
        ("Source ref", &p.source_ref),
        ("Source revision", &p.source_digest),
    ] {
        if let Some(value) = value {
            v.push((what.to_string(), value.clone()));
        }
    }
    v
}

/// Serves a release directory: its files (read-only), and — unless `--files-only` — the
/// release page at `/` and `/ui/release`: the directory verified at each load by
/// [`signet_release::verify::verify_release`], the function `verify-release` runs, with the
/// same identity, trusted root and provenance policy flags (refused at start without an
/// identity, as `verify-release` refuses). One verification runs at a time.
///
/// `GET /<path>` answers the regular file at `<path>` under the directory, found by the check
/// `verify-release` makes ([`signet_release::hash::resolve`]): a symlink to a regular file
/// inside the directory is followed; one that leaves it is refused (403), as are directories
/// and special files (404) and paths that are not release paths (`..`, absolute, …: 400).
/// Errors are JSON.
///
/// A release URL (as `verify-release` takes) is served as its page only: each load downloads
/// the release as `verify-release` does ([`fetch_release`], `--max-download-mib`) into a fresh
/// temporary directory and verifies that; a failed download is the page's error. There are
/// no files to serve, so `--files-only` is refused.
pub fn serve_release(args: ServeReleaseArgs) -> Result<()> {
    let url = args.dir.to_str().and_then(release_url).map(str::to_string);
    let source = match &url {
        Some(url) if args.files_only => bail!(
            "--files-only serves the files of a release directory; {url} is a URL, with no \
             files here to serve (serve the page of the release at a URL without --files-only)"
        ),
        Some(url) => Source::Url {
            url: url.clone(),
            max_bytes: args.download.max_bytes(),
        },
        None => {
            Source::Dir(Arc::new(args.dir.canonicalize().with_context(|| {
                format!("release directory {}", args.dir.display())
            })?))
        }
    };
    let page = if args.files_only {
        None
    } else {
        if args.offline {
            crate::tuf_client::set_offline();
        }
        let identity = crate::verify_cmd::identity_of(&args.trust)
            .context("the release page verifies the release: give the identity verify-release needs, or --files-only")?;
        let policy = args.policy.policy()?;
        let trusted = crate::verify_cmd::root_of(&args.trust)?;
        // Fails now, not at the first page load, on an unusable root.
        Verifier::new(&trusted).context("unusable trusted root")?;
        let name = match &source {
            Source::Url { url, .. } => url.clone(),
            Source::Dir(root) => root.file_name().map_or_else(
                || root.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
        };
        Some(Arc::new(ReleasePage {
            source: source.clone(),
            name,
            expected: required(&args),
            identity,
            policy,
            trusted,
            one_at_a_time: tokio::sync::Mutex::new(()),
        }))
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        // A URL release has no files here: no file route (404).
        let files = match &source {
            Source::Dir(root) => {
                let root = root.clone();
                axum::Router::new().route(
                    "/{*path}",
                    axum::routing::get(
                        move |axum::extract::Path(p): axum::extract::Path<String>| {
                            serve_release_file(root.clone(), p)
                        },
                    ),
                )
            }
            Source::Url { .. } => axum::Router::new(),
        };
        let app = match page {
            None => files,
            Some(page) => signet_ui::release::release_router(move || {
                let page = page.clone();
                async move { page.verify().await }
            })
            .merge(files),
        };
        let transport = args.limits.transport(args.addr)?;
        let listener = tokio::net::TcpListener::bind(args.addr).await?;
        let at = format!("{}://{}", transport.scheme(), listener.local_addr()?);
        match &source {
            Source::Dir(_) => println!("serving {} on {at}", args.dir.display()),
            // The address first: it is the first URL of the line.
            Source::Url { url, .. } => println!("serving on {at} the release page of {url}"),
        }
        Ok(transport.serve(listener, app).await?)
    })
}

/// Where `serve-release` finds the release.
#[derive(Clone, Debug)]
enum Source {
    /// A directory (canonical).
    Dir(Arc<PathBuf>),
    /// An http(s) URL, downloaded at each page load, at most `max_bytes` in all.
    Url { url: String, max_bytes: u64 },
}

/// What the release page verifies, and how.
struct ReleasePage {
    source: Source,
    name: String,
    expected: Vec<(String, String)>,
    identity: signet_verify::Identity,
    policy: signet_release::provenance::ProvenancePolicy,
    trusted: signet_trust::TrustedRoot,
    one_at_a_time: tokio::sync::Mutex<()>,
}

impl ReleasePage {
    /// Verifies the release now, as `verify-release` does (its files; images are not part of
    /// the page); a release at a URL is downloaded first, into a temporary directory removed
    /// afterwards.
    async fn verify(self: Arc<Self>) -> Result<signet_ui::release::ReleaseView, String> {
        // A task of its own: a request dropped midway (the browser went away) does not cancel
        // a download, which would leave its directory behind.
        tokio::spawn(self.verify_now())
            .await
            .map_err(|_| "verification stopped".to_string())?
    }

    async fn verify_now(self: Arc<Self>) -> Result<signet_ui::release::ReleaseView, String> {
        let _turn = self.one_at_a_time.lock().await;
        let (dir, download) = match &self.source {
            Source::Dir(root) => (root.to_path_buf(), None),
            Source::Url { url, max_bytes } => {
                let tmp = download_dir().map_err(|e| crate::one_line(&e))?;
                fetch_release(url, tmp.path(), *max_bytes, &signet_release::NoProgress)
                    .await
                    .map_err(|e| format!("cannot download the release: {}", crate::one_line(&e)))?;
                (tmp.path().to_path_buf(), Some(tmp))
            }
        };
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            // Removed when verification is over, whatever its outcome.
            let _download = download;
            let verifier = Verifier::new(&this.trusted).map_err(|e| e.to_string())?;
            let report = signet_release::verify::verify_release(
                &dir,
                &verifier,
                &this.identity,
                &this.policy,
                // read(2), not mmap: a file truncated while the server maps it would kill the
                // server (SIGBUS), and a served release may be changed under it.
                ReadMode::Buffered,
                &signet_release::NoProgress,
            )
            .map_err(|e| e.to_string())?;
            Ok(signet_ui::release::ReleaseView {
                name: this.name.clone(),
                expected: this.expected.clone(),
                report,
                files_here: matches!(this.source, Source::Dir(_)),
            })
        })
        .await
        .map_err(|_| "verification stopped".to_string())?
    }
}

/// One `GET` of `serve-release`: the file at `rel` under `root` (canonical), or a JSON error.
async fn serve_release_file(root: Arc<PathBuf>, rel: String) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use signet_release::ReleaseError;
    use signet_server::error_response as error;
    let Ok(rel) = RelPath::new(rel.as_str()) else {
        return error(StatusCode::BAD_REQUEST, "not a release path");
    };
    let resolved = tokio::task::spawn_blocking(move || {
        signet_release::hash::resolve(&root, &rel).map_err(|e| (rel, e))
    })
    .await;
    let path = match resolved {
        Ok(Ok((path, _))) => path,
        Ok(Err((rel, ReleaseError::SymlinkEscape { .. }))) => {
            return error(
                StatusCode::FORBIDDEN,
                format!("{rel} is a symlink that leaves the release directory"),
            );
        }
        Ok(Err((rel, _))) => {
            return error(StatusCode::NOT_FOUND, format!("no file {rel}"));
        }
        Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    };
    match tokio::fs::File::open(&path).await {
        Ok(f) => {
            let stream = tokio_util::io::ReaderStream::with_capacity(f, 1 << 20);
            axum::body::Body::from_stream(stream).into_response()
        }
        Err(_) => error(StatusCode::NOT_FOUND, "no such file"),
    }
}

/// `signet sample-release` flags.
#[derive(Args, Debug)]
pub struct SampleReleaseArgs {
    /// Directory to create (must not exist or be empty).
    dir: PathBuf,
    /// Number of files.
    #[arg(long, default_value_t = 130)]
    files: usize,
    /// Total size, in MiB.
    #[arg(long, default_value_t = 64)]
    size_mib: u64,
    /// Seed for the deterministic content.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Writes a Kubernetes-shaped sample release.
pub fn sample_release(args: SampleReleaseArgs) -> Result<()> {
    let r = signet_release::sample::generate(
        &args.dir,
        &signet_release::sample::SampleOptions {
            files: args.files,
            total_bytes: args.size_mib << 20,
            seed: args.seed,
        },
    )?;
    eprintln!(
        "wrote {} files, {} bytes, to {}",
        r.paths().len(),
        r.total_bytes(),
        args.dir.display()
    );
    Ok(())
}
