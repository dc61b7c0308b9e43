//! `signet sign-release`, `signet verify-release`, `signet serve-release` and
//! `signet sample-release`: a whole release signed and verified in one command.
//!
//! Signing writes, for every artifact, `<f>.sig` (base64 DER signature), `<f>.cert` (base64
//! PEM, keyless) and `<f>.sigstore.json` (bundle v0.3); a signed `SHA256SUMS`; an SPDX 2.3 SBOM
//! (`release.spdx.json`, `release.spdx`), itself signed; and SLSA v1 provenance as a signed
//! DSSE envelope (`release.intoto.jsonl` + `.sigstore.json`). One key (one certificate when
//! keyless) signs the whole run; all entries go to the log concurrently, where the sequencer
//! integrates them in batches. Every file is written to a temporary name and renamed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use signet_bundle::Bundle;
use signet_client::RekorClient;
use signet_crypto::{ReadFileError, read_capped};
use signet_release::{
    ReadMode, RelPath, hash_files, list_artifacts, manifest, provenance, sbom, sha256_files,
    sha256_files_with, write_atomic,
};
use signet_types::limits::FileLimit;
use signet_types::{Sha256Hash, b64};
use signet_verify::{Artifact, Policy, Verifier};

use signet_sign::{LogUploader, NoTimestamps, Signer, sign_dsse, sign_message};

use crate::sign_cmd::log_uploader;
use crate::verify_cmd::{Output, TrustArgs};

/// Suffix of a bundle beside its file.
const BUNDLE: &str = ".sigstore.json";
/// Release metadata signed like artifacts (each with its own `.sigstore.json`).
const SIGNED_METADATA: [&str; 3] = [
    signet_release::MANIFEST,
    signet_release::SBOM_JSON,
    signet_release::SBOM_TAG_VALUE,
];
/// All release metadata sign-release writes (the provenance is a DSSE envelope with a bundle).
const RELEASE_METADATA: [&str; 4] = [
    signet_release::MANIFEST,
    signet_release::SBOM_JSON,
    signet_release::SBOM_TAG_VALUE,
    signet_release::PROVENANCE,
];

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
    /// Builder id in the provenance (`runDetails.builder.id`).
    #[arg(long, default_value = "https://signet.dev/builders/local")]
    builder_id: String,
    /// Source repository URI in the provenance (default: file://<release directory>).
    #[arg(long)]
    source_uri: Option<String>,
    /// Source commit (git SHA) in the provenance.
    #[arg(long)]
    source_commit: Option<String>,
    /// Log uploads in flight at once.
    #[arg(long, default_value_t = 64)]
    jobs: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

fn progress(len: u64, msg: &str, output: Output) -> ProgressBar {
    use std::io::IsTerminal;
    if output == Output::Json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {elapsed_precise}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(msg.to_string());
    pb
}

fn side(dir: &Path, rel: &str, suffix: &str) -> PathBuf {
    dir.join(format!("{rel}{suffix}"))
}

/// Reads a release file whole through the capped reader; `Ok(None)` when it does not exist.
fn read_optional(
    path: &Path,
    limit: FileLimit,
) -> std::result::Result<Option<Vec<u8>>, ReadFileError> {
    match read_capped(path, limit) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether `rel` already carries a bundle for exactly `digest` (and its .sig/.cert).
fn already_signed(dir: &Path, rel: &str, digest: &[u8; 32], keyless: bool) -> bool {
    let Ok(bytes) = read_capped(&side(dir, rel, BUNDLE), crate::input::BUNDLE) else {
        return false;
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    let same = v
        .pointer("/messageSignature/messageDigest/digest")
        .and_then(|d| d.as_str())
        .is_some_and(|d| d == b64::encode(digest));
    let has_cert = v.pointer("/verificationMaterial/certificate").is_some();
    same && has_cert == keyless
        && side(dir, rel, ".sig").is_file()
        && (!keyless || side(dir, rel, ".cert").is_file())
}

/// Signs one file's digest, logs it, writes .sig/.cert/.sigstore.json.
async fn sign_one(
    dir: PathBuf,
    rel: String,
    digest: [u8; 32],
    signer: Arc<Signer>,
    log: Arc<LogUploader>,
) -> Result<()> {
    let signed = sign_message(&signer, &log, &NoTimestamps, &Sha256Hash(digest), &rel).await?;
    let bundle = signed.bundle.to_json_pretty()?;
    tokio::task::spawn_blocking(move || -> Result<()> {
        write_atomic(
            &side(&dir, &rel, ".sig"),
            b64::encode(&signed.signature).as_bytes(),
        )?;
        if let Some(c) = signer.certificate_pem() {
            write_atomic(
                &side(&dir, &rel, ".cert"),
                b64::encode(c.as_bytes()).as_bytes(),
            )?;
        }
        write_atomic(&side(&dir, &rel, BUNDLE), bundle.as_bytes())?;
        Ok(())
    })
    .await??;
    Ok(())
}

/// Signs many files concurrently (bounded), with a progress bar.
async fn sign_many(
    dir: &Path,
    items: Vec<(String, [u8; 32])>,
    signer: Arc<Signer>,
    log: Arc<LogUploader>,
    jobs: usize,
    pb: &ProgressBar,
) -> Result<usize> {
    let sem = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (rel, d) in items {
        let permit = sem.clone().acquire_owned().await?;
        let (dir, signer, log) = (dir.to_path_buf(), signer.clone(), log.clone());
        set.spawn(async move {
            let r = sign_one(dir, rel, d, signer, log).await;
            drop(permit);
            r
        });
    }
    let mut n: usize = 0;
    while let Some(r) = set.join_next().await {
        r??;
        // At most one per artifact: never saturates.
        n = n.saturating_add(1);
        pb.inc(1);
    }
    Ok(n)
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

pub fn sign_release(args: SignReleaseArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let dir = args.dir.clone();
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let trust = crate::trust_cfg::find(args.signer.trust_config.as_deref())?;
    let rekor_url = args.signer.rekor_url(trust.as_ref());
    let keyless = args.signer.key.is_none();

    // 0. A run killed midway leaves at most temporary files (every file is renamed into place
    // whole); remove them.
    remove_stale_temps(&dir)?;

    // 1. Hash every artifact in parallel (SHA-1 for SPDX, SHA-256, SHA-512), one read each.
    let files = list_artifacts(&dir)?;
    if files.is_empty() {
        bail!("{} contains no artifacts to sign", dir.display());
    }
    remove_orphan_signatures(&dir, &files)?;
    let hash_started = std::time::Instant::now();
    let pb = progress(files.len() as u64, "hashing", args.output);
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    let digests = hash_files(&dir, &files)?;
    pb.finish_and_clear();
    let hash_secs = hash_started.elapsed().as_secs_f64();
    let total_bytes: u64 = digests.iter().map(|d| d.size).sum();

    // 2. What still needs a signature (re-runs skip signed, unchanged files).
    let todo: Vec<(String, [u8; 32])> = digests
        .iter()
        .filter(|d| !already_signed(&dir, d.path.as_str(), &d.sha256, keyless))
        .map(|d| (d.path.as_str().to_string(), d.sha256))
        .collect();
    let meta_present = RELEASE_METADATA
        .iter()
        .all(|m| dir.join(m).is_file() && side(&dir, m, BUNDLE).is_file());
    let manifest_text = manifest::write(&digests)?;
    let manifest_unchanged = read_capped(
        &dir.join(signet_release::MANIFEST),
        crate::input::SHA256SUMS,
    )
    .is_ok_and(|b| b == manifest_text.as_bytes());
    if todo.is_empty() && meta_present && manifest_unchanged {
        report_sign(
            &args,
            digests.len(),
            0,
            total_bytes,
            hash_secs,
            started,
            true,
        )?;
        return Ok(());
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let client = Arc::new(RekorClient::with_options(
        &rekor_url,
        &crate::net::options()?,
    )?);
    let signer = Arc::new(args.signer.signer(&rt, &client, trust.as_ref())?);
    let log = Arc::new(rt.block_on(log_uploader(&client, trust.as_ref()))?);

    // 3. Artifacts.
    let pb = progress(todo.len() as u64, "signing", args.output);
    let signed_n = todo.len();
    rt.block_on(sign_many(
        &dir,
        todo,
        signer.clone(),
        log.clone(),
        args.jobs,
        &pb,
    ))?;
    pb.finish_and_clear();

    // 4. Release metadata: checksums, SBOM (JSON and tag-value), all signed.
    let name = args.name.clone().unwrap_or_else(|| {
        dir.canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "release".into())
    });
    let created = now();
    let doc = sbom::build(
        &sbom::SbomInput {
            name: name.clone(),
            version: args.release_version.clone(),
            namespace: format!(
                "https://signet.dev/spdx/{name}/{}/{}",
                args.release_version,
                hex::encode(rand_bytes())
            ),
            created,
        },
        &digests,
    )?;
    write_atomic(
        &dir.join(signet_release::MANIFEST),
        manifest_text.as_bytes(),
    )?;
    write_atomic(&dir.join(signet_release::SBOM_JSON), &sbom::to_json(&doc)?)?;
    write_atomic(
        &dir.join(signet_release::SBOM_TAG_VALUE),
        sbom::to_tag_value(&doc)?.as_bytes(),
    )?;
    let meta: Vec<RelPath> = SIGNED_METADATA
        .iter()
        .map(|m| RelPath::new(*m))
        .collect::<Result<_, _>>()?;
    let meta_digests = sha256_files(&dir, &meta)?;
    let meta_items = meta_digests
        .iter()
        .map(|d| (d.path.as_str().to_string(), d.sha256))
        .collect();
    rt.block_on(sign_many(
        &dir,
        meta_items,
        signer.clone(),
        log.clone(),
        args.jobs,
        &ProgressBar::hidden(),
    ))?;

    // 5. Provenance: in-toto Statement v1 / SLSA v1, DSSE-signed, logged as a dsse entry.
    let mut source_digest = BTreeMap::new();
    match &args.source_commit {
        Some(c) => {
            source_digest.insert("gitCommit".to_string(), c.clone());
        }
        // Without a commit, the source is the release directory as its manifest describes it.
        None => {
            source_digest.insert(
                "sha256".to_string(),
                signet_crypto::sha256(manifest_text.as_bytes()).to_hex(),
            );
        }
    }
    let statement = provenance::build(
        &provenance::ProvenanceInput {
            build_type: provenance::DEFAULT_BUILD_TYPE.to_string(),
            builder_id: args.builder_id.clone(),
            source_uri: args.source_uri.clone().unwrap_or_else(|| {
                format!(
                    "file://{}",
                    dir.canonicalize().unwrap_or_else(|_| dir.clone()).display()
                )
            }),
            source_digest,
            version: args.release_version.clone(),
            extra_parameters: BTreeMap::new(),
            internal_parameters: None,
            materials: vec![],
            invocation_id: hex::encode(rand_bytes()),
            started_on: created,
            finished_on: now(),
        },
        &digests,
    )?;
    let payload = provenance::to_json(&statement)?;
    rt.block_on(sign_provenance(&dir, &payload, &signer, &log))?;
    report_sign(
        &args,
        digests.len(),
        signed_n,
        total_bytes,
        hash_secs,
        started,
        false,
    )
}

/// Removes `.signet-tmp-*` files left by an interrupted run (symlinks are not followed).
fn remove_stale_temps(dir: &Path) -> Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let e = e?;
        let t = e.file_type()?;
        if t.is_dir() {
            remove_stale_temps(&e.path())?;
        } else if t.is_file()
            && e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(signet_release::hash::TEMP_PREFIX))
        {
            std::fs::remove_file(e.path())
                .with_context(|| format!("cannot remove {}", e.path().display()))?;
        }
    }
    Ok(())
}

fn rand_bytes() -> [u8; 16] {
    rand::random()
}

async fn sign_provenance(
    dir: &Path,
    payload: &[u8],
    signer: &Signer,
    log: &LogUploader,
) -> Result<()> {
    let signed = sign_dsse(
        signer,
        log,
        &NoTimestamps,
        provenance::PAYLOAD_TYPE,
        payload,
        "the provenance",
    )
    .await?;
    write_atomic(
        &dir.join(signet_release::PROVENANCE),
        format!("{}\n", signed.envelope_json).as_bytes(),
    )?;
    write_atomic(
        &side(dir, signet_release::PROVENANCE, BUNDLE),
        signed.bundle.to_json_pretty()?.as_bytes(),
    )?;
    Ok(())
}

fn report_sign(
    args: &SignReleaseArgs,
    artifacts: usize,
    signed: usize,
    bytes: u64,
    hash_secs: f64,
    started: std::time::Instant,
    nothing_to_do: bool,
) -> Result<()> {
    let total = started.elapsed().as_secs_f64();
    if args.output == Output::Json {
        println!(
            "{}",
            serde_json::json!({
                "artifacts": artifacts, "signed": signed, "skipped": artifacts.saturating_sub(signed),
                "bytes": bytes, "hashSeconds": hash_secs, "totalSeconds": total,
                "upToDate": nothing_to_do,
            })
        );
    } else if nothing_to_do {
        eprintln!(
            "{}: all {artifacts} artifacts already signed and unchanged; nothing to do",
            args.dir.display()
        );
    } else {
        eprintln!(
            "Signed {signed} of {artifacts} artifacts ({} skipped as already signed), SHA256SUMS, SBOM and provenance in {:.2}s (hashing {:.2}s)",
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
    /// Most data a URL target may download, in MiB, all files together (each metadata file,
    /// bundle, `.sig` and `.cert` also has its own, smaller limit).
    #[arg(long, default_value_t = DEFAULT_MAX_DOWNLOAD_MIB, value_parser = clap::value_parser!(u64).range(1..=MAX_DOWNLOAD_MIB))]
    max_download_mib: u64,
    #[command(flatten)]
    trust: TrustArgs,
}

#[derive(Clone, Debug, serde::Serialize)]
struct FileStatus {
    path: String,
    status: &'static str,
    detail: String,
}

fn ok(path: &str, detail: impl Into<String>) -> FileStatus {
    FileStatus {
        path: path.to_string(),
        status: "OK",
        detail: detail.into(),
    }
}

/// `detail` followed by the evidence verification skipped (an RFC 3161 timestamp that did not
/// verify), so a verified row still shows it.
fn with_warnings(detail: String, v: &signet_verify::VerifiedBundle) -> String {
    v.warnings().iter().fold(detail, |mut d, w| {
        if !d.is_empty() {
            d.push_str("; ");
        }
        d.push_str("WARNING: ");
        d.push_str(w);
        d
    })
}

fn problem(path: &str, status: &'static str, detail: impl Into<String>) -> FileStatus {
    FileStatus {
        path: path.to_string(),
        status,
        detail: detail.into(),
    }
}

fn verify_file_bundle(
    verifier: &Verifier<'_>,
    identity: &signet_verify::Identity,
    dir: &Path,
    rel: &str,
    digest: &[u8; 32],
) -> FileStatus {
    let bytes = match read_optional(&side(dir, rel, BUNDLE), crate::input::BUNDLE) {
        Ok(Some(b)) => b,
        Ok(None) => return problem(rel, "UNSIGNED", "no .sigstore.json bundle"),
        Err(e) => return problem(rel, "INVALID", e.to_string()),
    };
    let bundle = match Bundle::from_json(&bytes) {
        Ok(b) => b,
        Err(e) => return problem(rel, "INVALID", format!("bundle: {e}")),
    };
    match verifier.verify(
        &bundle,
        &Policy {
            identity: identity.clone(),
            artifact: Artifact::Digest(Sha256Hash(*digest)),
        },
    ) {
        Ok(v) => {
            let read = |suffix: &str, limit| read_optional(&side(dir, rel, suffix), limit);
            let detached = match (
                read(".sig", crate::input::SIGNATURE),
                read(".cert", crate::input::CERTIFICATE),
            ) {
                (Ok(sig), Ok(cert)) => check_detached(&bundle, digest, sig, cert),
                (Err(e), _) | (_, Err(e)) => Err(("FAILED", e.to_string())),
            };
            match detached {
                Ok(()) => ok(
                    rel,
                    with_warnings(
                        v.entries()
                            .first()
                            .map(|e| format!("log index {}", e.log_index))
                            .unwrap_or_default(),
                        &v,
                    ),
                ),
                Err((status, detail)) => problem(rel, status, detail),
            }
        }
        Err(e) => problem(rel, "FAILED", e.to_string()),
    }
}

/// Checks the detached `<f>.sig` / `<f>.cert` published beside a file against its verified
/// bundle: the `.sig` verifies over the file's SHA-256 with the `.cert`'s key, and both are
/// exactly the bundle's signature and signing certificate (a managed-key bundle has no
/// `.cert`). Pure: the caller reads the files.
fn check_detached(
    bundle: &Bundle,
    digest: &[u8; 32],
    sig_file: Option<Vec<u8>>,
    cert_file: Option<Vec<u8>>,
) -> std::result::Result<(), (&'static str, String)> {
    let failed = |d: String| ("FAILED", d);
    let signet_bundle::Content::MessageSignature(ms) = &bundle.content else {
        return Err(failed("the bundle holds no message signature".into()));
    };
    let sig_text = sig_file.ok_or(("MISSING", "no .sig beside the file".to_string()))?;
    let sig = std::str::from_utf8(&sig_text)
        .ok()
        .and_then(|t| b64::decode(t.trim()).ok())
        .ok_or_else(|| failed(".sig is not base64".into()))?;
    if sig != ms.signature {
        return Err(failed(".sig differs from the bundle's signature".into()));
    }
    match (&bundle.material, cert_file) {
        (signet_bundle::VerificationMaterial::Certificate { leaf, .. }, Some(cert_text)) => {
            let cert = std::str::from_utf8(&cert_text)
                .ok()
                .and_then(|t| b64::decode(t.trim()).ok())
                .and_then(|pem| String::from_utf8(pem).ok())
                .and_then(|pem| signet_x509::Certificate::parse_pem_chain(&pem).ok())
                .and_then(|certs| certs.into_iter().next())
                .ok_or_else(|| failed(".cert is not a base64 PEM certificate".into()))?;
            if cert.der() != leaf.as_slice() {
                return Err(failed(".cert differs from the bundle's certificate".into()));
            }
            let key = cert
                .public_key()
                .map_err(|e| failed(format!(".cert: {e}")))?;
            let scheme = key
                .default_scheme()
                .with_hash(signet_crypto::HashAlgorithm::Sha256)
                .ok_or_else(|| {
                    failed(".cert holds a key that signs whole messages, not a digest".into())
                })?;
            key.verify_prehashed(scheme, digest, &sig).map_err(|e| {
                failed(format!(
                    ".sig does not verify over the file with .cert: {e}"
                ))
            })
        }
        (signet_bundle::VerificationMaterial::Certificate { .. }, None) => {
            Err(("MISSING", "no .cert beside the file".to_string()))
        }
        // A managed key: the verifier checked the bundle's (equal) signature with it.
        (_, None) => Ok(()),
        (_, Some(_)) => Err(failed(
            ".cert beside a file signed with a managed key".into(),
        )),
    }
}

pub fn verify_release(args: VerifyReleaseArgs) -> Result<()> {
    let started = std::time::Instant::now();
    // A downloaded release lives in a temporary directory removed on every way out (the guard
    // exists before the first byte is written).
    let (dir, _download) =
        if args.target.starts_with("http://") || args.target.starts_with("https://") {
            let tmp = tempfile::Builder::new()
                .prefix("signet-release-")
                .tempdir()
                .context("cannot create a temporary directory for the download")?;
            download_release(
                &args.target,
                tmp.path(),
                args.max_download_mib << 20,
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
    let root = crate::verify_cmd::root_of(&args.trust)?;
    let verifier = Verifier::new(&root).context("unusable trusted root")?;

    // The signed manifest says what the release is.
    let manifest_bytes = read_optional(
        &dir.join(signet_release::MANIFEST),
        crate::input::SHA256SUMS,
    )?
    .with_context(|| {
        format!(
            "{} has no {} (was it signed with signet sign-release?)",
            dir.display(),
            signet_release::MANIFEST
        )
    })?;
    let listed = manifest::parse(&manifest_bytes)?;
    let found = list_artifacts(&dir)?;
    let meta: Vec<RelPath> = RELEASE_METADATA
        .iter()
        .filter(|m| dir.join(m).is_file())
        .map(|m| RelPath::new(*m))
        .collect::<Result<_, _>>()?;
    let mut all = found.clone();
    all.extend(meta.iter().cloned());
    let pb = progress(all.len() as u64, "hashing", args.trust.output);
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    let hash_started = std::time::Instant::now();
    let mode = if args.no_mmap {
        ReadMode::Buffered
    } else {
        ReadMode::Mapped
    };
    let digests = sha256_files_with(&dir, &all, mode)?;
    pb.finish_and_clear();
    let hash_secs = hash_started.elapsed().as_secs_f64();
    let bytes: u64 = digests.iter().map(|d| d.size).sum();
    let by_path: BTreeMap<&str, &[u8; 32]> = digests
        .iter()
        .map(|d| (d.path.as_str(), &d.sha256))
        .collect();

    // Every artifact: listed, unchanged, and its own signature verifies — in parallel.
    let mut statuses: Vec<FileStatus> = found
        .par_iter()
        .map(|rel| {
            let p = rel.as_str();
            let Some(d) = by_path.get(p) else {
                return problem(p, "ERROR", "not hashed");
            };
            match listed.get(p) {
                None => problem(p, "EXTRA", "not in SHA256SUMS"),
                Some(want) if want != *d => {
                    problem(p, "TAMPERED", "SHA-256 differs from SHA256SUMS")
                }
                Some(_) => verify_file_bundle(&verifier, &identity, &dir, p, d),
            }
        })
        .collect();
    let found_set: std::collections::BTreeSet<&str> = found.iter().map(|r| r.as_str()).collect();
    for p in listed.paths() {
        if !found_set.contains(p.as_str()) {
            statuses.push(problem(
                &p,
                "MISSING",
                "listed in SHA256SUMS, not in the release",
            ));
        }
    }
    // Signature files that belong to no file of the release.
    statuses.extend(stray_signature_files(&dir, &found_set)?);
    // The metadata: each signed; SBOM checksums and provenance subjects match the files.
    let artifact_digests: Vec<&signet_release::FileSha256> = digests
        .iter()
        .filter(|d| found_set.contains(d.path.as_str()))
        .collect();
    for m in SIGNED_METADATA {
        match by_path.get(m) {
            None => statuses.push(problem(m, "MISSING", "release metadata file missing")),
            Some(d) => {
                let mut st = verify_file_bundle(&verifier, &identity, &dir, m, d);
                if st.status == "OK" && m == signet_release::SBOM_JSON {
                    st = check_sbom(&dir, &artifact_digests).unwrap_or_else(|e| {
                        problem(m, "FAILED", format!("SBOM does not match the release: {e}"))
                    });
                }
                statuses.push(st);
            }
        }
    }
    statuses.push(check_provenance(
        &verifier,
        &identity,
        &dir,
        &artifact_digests,
    ));
    statuses.sort_by(|a, b| a.path.cmp(&b.path));
    let bad = statuses.iter().filter(|s| s.status != "OK").count();
    let secs = started.elapsed().as_secs_f64();
    match args.trust.output {
        Output::Json => println!(
            "{}",
            serde_json::json!({
                "verified": bad == 0, "files": statuses, "problems": bad,
                "bytes": bytes, "hashSeconds": hash_secs, "totalSeconds": secs,
            })
        ),
        Output::Text => {
            println!("{:<9} {:<60} DETAIL", "STATUS", "FILE");
            for s in &statuses {
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

/// Whether the signature file `sig` belongs to one of `artifacts` or to signed metadata.
fn belongs(sig: &str, artifacts: &std::collections::BTreeSet<&str>) -> bool {
    signet_release::SIGNATURE_SUFFIXES.iter().any(|suf| {
        sig.strip_suffix(suf).is_some_and(|base| {
            artifacts.contains(base)
                || SIGNED_METADATA.contains(&base)
                || (base == signet_release::PROVENANCE && *suf == BUNDLE)
        })
    })
}

/// Removes the signature files of artifacts no longer in the release (a verifier reports
/// them as `EXTRA`).
fn remove_orphan_signatures(dir: &Path, files: &[RelPath]) -> Result<()> {
    let artifacts = files.iter().map(|f| f.as_str()).collect();
    for f in signet_release::list_signature_files(dir)? {
        if !belongs(f.as_str(), &artifacts) {
            let p = dir.join(f.as_str());
            std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    Ok(())
}

/// `.sig`/`.cert`/`.sigstore.json` files that belong to no artifact or signed metadata file
/// (the provenance has a bundle only), each an `EXTRA` row.
fn stray_signature_files(
    dir: &Path,
    artifacts: &std::collections::BTreeSet<&str>,
) -> Result<Vec<FileStatus>> {
    Ok(signet_release::list_signature_files(dir)?
        .iter()
        .filter(|f| !belongs(f.as_str(), artifacts))
        .map(|f| {
            problem(
                f.as_str(),
                "EXTRA",
                "signature file for no file of the release",
            )
        })
        .collect())
}

fn check_sbom(dir: &Path, files: &[&signet_release::FileSha256]) -> Result<FileStatus> {
    let doc = sbom::parse_json(&read_capped(
        &dir.join(signet_release::SBOM_JSON),
        crate::input::SBOM,
    )?)?;
    let listed = sbom::file_digests(&doc)?;
    let want: BTreeMap<&str, &[u8; 32]> = listed
        .iter()
        .map(|f| (f.path.as_str(), &f.sha256))
        .collect();
    let mut problems = Vec::new();
    for f in files {
        match want.get(f.path.as_str()) {
            Some(d) if *d == &f.sha256 => {}
            Some(_) => problems.push(format!("{}: checksum differs", f.path.as_str())),
            None => problems.push(format!("{}: not in the SBOM", f.path.as_str())),
        }
    }
    if listed.len() != files.len() {
        problems.push(format!(
            "SBOM lists {} files, the release has {}",
            listed.len(),
            files.len()
        ));
    }
    if problems.is_empty() {
        Ok(ok(
            signet_release::SBOM_JSON,
            format!("signed; {} file checksums match", listed.len()),
        ))
    } else {
        bail!(problems.join("; "))
    }
}

fn check_provenance(
    verifier: &Verifier<'_>,
    identity: &signet_verify::Identity,
    dir: &Path,
    files: &[&signet_release::FileSha256],
) -> FileStatus {
    let name = signet_release::PROVENANCE;
    let bytes = match read_optional(&side(dir, name, BUNDLE), crate::input::BUNDLE) {
        Ok(Some(b)) => b,
        Ok(None) => return problem(name, "UNSIGNED", "no provenance bundle"),
        Err(e) => return problem(name, "INVALID", e.to_string()),
    };
    let bundle = match Bundle::from_json(&bytes) {
        Ok(b) => b,
        Err(e) => return problem(name, "INVALID", format!("bundle: {e}")),
    };
    let Some(first) = files.first() else {
        return problem(
            name,
            "FAILED",
            "no artifacts to check the provenance against",
        );
    };
    let verified = match verifier.verify(
        &bundle,
        &Policy {
            identity: identity.clone(),
            artifact: Artifact::Digest(Sha256Hash(first.sha256)),
        },
    ) {
        Ok(v) => v,
        Err(e) => return problem(name, "FAILED", e.to_string()),
    };
    let bundle_json = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
    let envelope = bundle_json
        .as_ref()
        .and_then(|v| v.pointer("/dsseEnvelope"));
    // The published file must be exactly the signed envelope (one JSON line).
    let file = match read_optional(&dir.join(name), crate::input::PROVENANCE) {
        Ok(Some(f)) => f,
        Ok(None) => {
            return problem(
                name,
                "MISSING",
                "provenance file missing (its bundle is here)",
            );
        }
        Err(e) => return problem(name, "FAILED", e.to_string()),
    };
    if let Err(e) = same_envelope(&file, envelope) {
        return problem(name, "TAMPERED", e);
    }
    // The statement inside the verified envelope must name exactly the release's files.
    let payload = envelope.and_then(|v| {
        v.get("payload")
            .and_then(|p| p.as_str())
            .and_then(|p| b64::decode(p).ok())
    });
    let Some(payload) = payload else {
        return problem(name, "INVALID", "no DSSE payload");
    };
    let owned: Vec<signet_release::FileSha256> = files.iter().map(|f| (*f).clone()).collect();
    match provenance::parse(&payload).and_then(|s| provenance::check_subjects(&s, &owned)) {
        Ok(r) if r.is_ok() => ok(
            name,
            with_warnings(
                format!("signed SLSA provenance; {} subjects match", r.matched),
                &verified,
            ),
        ),
        Ok(r) => problem(
            name,
            "FAILED",
            format!(
                "subjects: {} missing, {} extra, {} mismatched",
                r.missing.len(),
                r.extra.len(),
                r.mismatched.len()
            ),
        ),
        Err(e) => problem(name, "INVALID", e.to_string()),
    }
}

/// Whether the provenance file `file` (JSON Lines: one envelope, one line) is the DSSE
/// envelope of its verified bundle. Pure.
fn same_envelope(
    file: &[u8],
    envelope: Option<&serde_json::Value>,
) -> std::result::Result<(), String> {
    let Some(envelope) = envelope else {
        return Err("the bundle holds no DSSE envelope".into());
    };
    let line = file.strip_suffix(b"\n").unwrap_or(file);
    if line.contains(&b'\n') {
        return Err("more than one line; sign-release writes one envelope".into());
    }
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(v) if &v == envelope => Ok(()),
        Ok(_) => Err("differs from the envelope signed in its bundle".into()),
        Err(e) => Err(format!("not a DSSE envelope: {e}")),
    }
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

/// Downloads a release served over HTTP: SHA256SUMS says which files there are; each file
/// comes with its bundle, plus the metadata files. Every file is limited by its kind
/// ([`download_limit`]) and all of them together by `max_total` bytes.
fn download_release(base: &str, dir: &Path, max_total: u64, output: Output) -> Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};

    use signet_client::http::{self, HttpOptions, LimitedBody};
    use tokio::io::AsyncWriteExt;

    let base = base.trim_end_matches('/');
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let base_opts = crate::net::options()?;
    let opts = Arc::new(HttpOptions {
        timeout: base_opts.timeout.max(http::DOWNLOAD_TIMEOUT),
        ..base_opts
    });
    // A full client even for an http:// release: its files may be redirected to https.
    let http = http::client(&opts)?;
    let received = Arc::new(AtomicU64::new(0));
    rt.block_on(async {
        let get = |rel: String, kind: Download| {
            let (http, opts, received) = (http.clone(), opts.clone(), received.clone());
            let (url, base) = (format!("{base}/{rel}"), base.to_string());
            let path = dir.join(&rel);
            async move {
                let resp = http::send(http.get(&url), &url, &opts).await?;
                if resp.status().as_u16() == 404 {
                    return Ok(false);
                }
                if !resp.status().is_success() {
                    bail!("{url} answered {}", resp.status());
                }
                let mut body =
                    LimitedBody::new(resp, &url, download_limit(kind, max_total), &opts)?;
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent).await?;
                }
                let mut f = tokio::fs::File::create(&path).await?;
                while let Some(chunk) = body.chunk().await? {
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
            names.push((format!("{p}{BUNDLE}"), Download::Bundle));
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
            names.push((format!("{m}{BUNDLE}"), Download::Bundle));
            if SIGNED_METADATA.contains(&m) {
                names.push((format!("{m}.sig"), Download::Material));
                names.push((format!("{m}.cert"), Download::Material));
            }
        }
        let pb = progress(names.len() as u64, "download", output);
        let sem = Arc::new(tokio::sync::Semaphore::new(16));
        let mut set = tokio::task::JoinSet::new();
        for (n, kind) in names {
            RelPath::new(n.as_str())?;
            let permit = sem.clone().acquire_owned().await?;
            let fut = get(n, kind);
            set.spawn(async move {
                let r = fut.await;
                drop(permit);
                r
            });
        }
        while let Some(r) = set.join_next().await {
            r??;
            pb.inc(1);
        }
        pb.finish_and_clear();
        anyhow::Ok(())
    })
}

/// `signet serve-release` flags.
#[derive(Args, Debug)]
pub struct ServeReleaseArgs {
    /// The release directory.
    dir: PathBuf,
    /// Listen address (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    #[command(flatten)]
    limits: crate::server_cmd::ConnectionArgs,
}

/// A static file server for a release directory (read-only): `GET /<path>` answers the regular
/// file at `<path>` under the directory, found by the check `verify-release` makes
/// ([`signet_release::hash::resolve`]): a symlink to a regular file inside the directory is
/// followed; one that leaves it is refused (403), as are directories and special files (404)
/// and paths that are not release paths (`..`, absolute, …: 400). Errors are JSON.
pub fn serve_release(args: ServeReleaseArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let root = Arc::new(
        args.dir
            .canonicalize()
            .with_context(|| format!("release directory {}", args.dir.display()))?,
    );
    rt.block_on(async move {
        let app = axum::Router::new().route(
            "/{*path}",
            axum::routing::get(move |axum::extract::Path(p): axum::extract::Path<String>| {
                serve_release_file(root.clone(), p)
            }),
        );
        let listener = tokio::net::TcpListener::bind(args.addr).await?;
        println!(
            "serving {} on http://{}",
            args.dir.display(),
            listener.local_addr()?
        );
        signet_server::serve(
            listener,
            app,
            args.limits.limits(),
            crate::server_cmd::shutdown(),
        )
        .await?;
        anyhow::Ok(())
    })
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
