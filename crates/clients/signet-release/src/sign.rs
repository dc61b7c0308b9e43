//! Signing a whole release: every artifact (`<f>.sig`, `<f>.cert` when keyless,
//! `<f>.sigstore.json`), a signed `SHA256SUMS`, the SBOMs of the chosen formats (SPDX 2.3 JSON
//! and tag-value, CycloneDX 1.6 JSON; each signed; see [`crate::sboms`]) and SLSA v1
//! provenance as a signed DSSE envelope (`release.intoto.jsonl` and its bundle). The signing
//! itself (key, certificate, log, bundle) is a [`ReleaseSigner`]'s; this
//! module decides what to sign and writes the results. Re-runs skip files already signed and
//! unchanged; every file is written to a temporary name and renamed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use signet_types::b64;
use time::OffsetDateTime;

use crate::limits::{BUNDLE, SHA256SUMS};
use crate::sboms::SbomPlan;
use crate::{
    BUNDLE_SUFFIX, MANIFEST, PROVENANCE, Progress, RelPath, ReleaseError, SbomOptions, belongs,
    hash, hash_files, list_artifacts, list_signature_files, manifest, provenance, sha256_files,
    side, write_atomic,
};

/// One file's signature, as the signer made it.
#[derive(Clone, Debug)]
pub struct SignedFile {
    /// DER signature over the file's SHA-256 (written base64 to `<f>.sig`).
    pub signature: Vec<u8>,
    /// The signing certificate, PEM (written base64 to `<f>.cert`); keyless only.
    pub certificate_pem: Option<String>,
    /// The bundle, as written to `<f>.sigstore.json`.
    pub bundle_json: String,
}

/// A signed DSSE envelope.
#[derive(Clone, Debug)]
pub struct SignedEnvelope {
    /// The envelope (one JSON line in `release.intoto.jsonl`).
    pub envelope_json: String,
    /// Its bundle.
    pub bundle_json: String,
}

/// What signs a release's files (a managed key or keyless, logging every signature).
pub trait ReleaseSigner {
    /// Signs each `(path, SHA-256)` of `items` (in any order, concurrently if it likes) and
    /// hands every result to `signed` as soon as it has it (`signed` writes the files and may
    /// be called from several threads at once); `progress.inc()` per file.
    fn sign_files(
        &self,
        items: Vec<(String, [u8; 32])>,
        signed: &(dyn Fn(&str, SignedFile) -> Result<(), ReleaseError> + Sync),
        progress: &dyn Progress,
    ) -> Result<(), ReleaseError>;

    /// Signs `payload` of `payload_type` as a DSSE envelope.
    fn sign_envelope(
        &self,
        payload_type: &str,
        payload: &[u8],
    ) -> Result<SignedEnvelope, ReleaseError>;
}

/// What the release is, for the SBOM and the provenance.
#[derive(Clone, Debug)]
pub struct ReleaseInfo {
    /// Release name (SBOM document and package); default: the directory's name.
    pub name: Option<String>,
    /// Release version.
    pub version: String,
    /// `runDetails.builder.id` of the provenance.
    pub builder_id: String,
    /// Source repository URI (default: `file://<release directory>`).
    pub source_uri: Option<String>,
    /// Source commit (git SHA); without it the source digest is the manifest's SHA-256.
    pub source_commit: Option<String>,
    /// SBOM formats, SPDX namespace base and the packages the release contains.
    pub sbom: SbomOptions,
}

/// The inputs a signing run takes from outside: the time and fresh random identifiers.
pub struct Environment<'a> {
    /// The current time.
    pub now: &'a dyn Fn() -> OffsetDateTime,
    /// 16 fresh random bytes (SBOM identifiers, provenance invocation ID).
    pub nonce: &'a dyn Fn() -> [u8; 16],
}

/// The outcome of [`sign_release`].
#[derive(Clone, Debug, PartialEq)]
pub struct SignReport {
    /// Artifacts in the release.
    pub artifacts: usize,
    /// Artifacts signed by this run (the others were signed and unchanged).
    pub signed: usize,
    /// Bytes hashed.
    pub bytes: u64,
    /// Seconds spent hashing.
    pub hash_seconds: f64,
    /// Nothing needed signing.
    pub up_to_date: bool,
}

/// Signs the release in `dir`. `keyless` says whether signatures come with certificates
/// (what a complete earlier signature must have); `make_signer` is called only when something
/// needs signing (a keyless signer asks a CA for a certificate).
pub fn sign_release<S: ReleaseSigner>(
    dir: &Path,
    keyless: bool,
    make_signer: impl FnOnce() -> Result<S, ReleaseError>,
    info: &ReleaseInfo,
    env: &Environment<'_>,
    progress: &dyn Progress,
) -> Result<SignReport, ReleaseError> {
    // 0. A run killed midway leaves at most temporary files (every file is renamed into place
    // whole); remove them.
    remove_stale_temps(dir)?;

    // 1. Hash every artifact in parallel (SHA-1 for SPDX, SHA-256, SHA-512), one read each.
    let files = list_artifacts(dir)?;
    if files.is_empty() {
        return Err(ReleaseError::NoArtifacts {
            dir: dir.to_path_buf(),
        });
    }
    remove_orphan_signatures(dir, &files)?;
    let name = release_name(dir, info);
    let hash_started = std::time::Instant::now();
    progress.start("hashing", files.len() as u64);
    let digests = hash_files(dir, &files)?;
    progress.finish();
    let hash_seconds = hash_started.elapsed().as_secs_f64();
    let bytes: u64 = digests.iter().map(|d| d.size).sum();

    // 2. What still needs a signature (re-runs skip signed, unchanged files).
    let todo: Vec<(String, [u8; 32])> = digests
        .iter()
        .filter(|d| !already_signed(dir, d.path.as_str(), &d.sha256, keyless))
        .map(|d| (d.path.as_str().to_string(), d.sha256))
        .collect();
    let meta_present = [MANIFEST, PROVENANCE]
        .iter()
        .all(|m| dir.join(m).is_file() && side(dir, m, BUNDLE_SUFFIX).is_file());
    let sbom_plan = SbomPlan {
        name: &name,
        version: &info.version,
        options: &info.sbom,
        files: &digests,
    };
    // What the SBOMs need is checked before anything is signed.
    sbom_plan.check()?;
    let sboms_current = sbom_plan.current(dir, &|rel, d| already_signed(dir, rel, d, keyless));
    let manifest_text = manifest::write(&digests)?;
    let manifest_unchanged = signet_crypto::read_capped(&dir.join(MANIFEST), SHA256SUMS)
        .is_ok_and(|b| b == manifest_text.as_bytes());
    let mut report = SignReport {
        artifacts: digests.len(),
        signed: 0,
        bytes,
        hash_seconds,
        up_to_date: true,
    };
    if todo.is_empty() && meta_present && manifest_unchanged && sboms_current {
        return Ok(report);
    }
    report.up_to_date = false;
    let signer = make_signer()?;

    // 3. Artifacts.
    report.signed = todo.len();
    progress.start("signing", todo.len() as u64);
    signer.sign_files(todo, &|rel, s| write_signed(dir, rel, &s), progress)?;
    progress.finish();

    // 4. Release metadata: checksums and SBOMs, all signed.
    let created = (env.now)();
    write_atomic(&dir.join(MANIFEST), manifest_text.as_bytes())?;
    let meta = write_sboms(dir, &sbom_plan, env, created)?;
    let meta_items = sha256_files(dir, &meta)?
        .iter()
        .map(|d| (d.path.as_str().to_string(), d.sha256))
        .collect();
    signer.sign_files(
        meta_items,
        &|rel, s| write_signed(dir, rel, &s),
        &crate::NoProgress,
    )?;

    // 5. Provenance: in-toto Statement v1 / SLSA v1, DSSE-signed, logged as a dsse entry.
    let mut source_digest = BTreeMap::new();
    match &info.source_commit {
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
            builder_id: info.builder_id.clone(),
            source_uri: info.source_uri.clone().unwrap_or_else(|| {
                format!(
                    "file://{}",
                    dir.canonicalize()
                        .unwrap_or_else(|_| dir.to_path_buf())
                        .display()
                )
            }),
            source_digest,
            version: info.version.clone(),
            extra_parameters: BTreeMap::new(),
            internal_parameters: None,
            materials: vec![],
            invocation_id: hex::encode((env.nonce)()),
            started_on: created,
            finished_on: (env.now)(),
        },
        &digests,
    )?;
    let payload = provenance::to_json(&statement)?;
    let signed = signer.sign_envelope(provenance::PAYLOAD_TYPE, &payload)?;
    write_atomic(
        &dir.join(PROVENANCE),
        format!("{}\n", signed.envelope_json).as_bytes(),
    )?;
    write_atomic(
        &side(dir, PROVENANCE, BUNDLE_SUFFIX),
        signed.bundle_json.as_bytes(),
    )?;
    Ok(report)
}

/// The release's name: the caller's, else the directory's.
fn release_name(dir: &Path, info: &ReleaseInfo) -> String {
    info.name.clone().unwrap_or_else(|| {
        dir.canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "release".into())
    })
}

/// Writes the SBOMs of `plan` (removing those of formats not chosen); returns the metadata to
/// sign: `SHA256SUMS` and the SBOM files.
fn write_sboms(
    dir: &Path,
    plan: &SbomPlan<'_>,
    env: &Environment<'_>,
    created: OffsetDateTime,
) -> Result<Vec<RelPath>, ReleaseError> {
    std::iter::once(MANIFEST)
        .chain(plan.write(dir, env.nonce, created)?)
        .map(RelPath::new)
        .collect()
}

/// Writes a file's `.sig`, `.cert` (keyless) and `.sigstore.json`.
pub fn write_signed(dir: &Path, rel: &str, s: &SignedFile) -> Result<(), ReleaseError> {
    write_atomic(
        &side(dir, rel, ".sig"),
        b64::encode(&s.signature).as_bytes(),
    )?;
    if let Some(c) = &s.certificate_pem {
        write_atomic(
            &side(dir, rel, ".cert"),
            b64::encode(c.as_bytes()).as_bytes(),
        )?;
    }
    write_atomic(&side(dir, rel, BUNDLE_SUFFIX), s.bundle_json.as_bytes())
}

/// Whether `rel` already carries a bundle for exactly `digest` (and its .sig/.cert).
fn already_signed(dir: &Path, rel: &str, digest: &[u8; 32], keyless: bool) -> bool {
    let Ok(bytes) = signet_crypto::read_capped(&side(dir, rel, BUNDLE_SUFFIX), BUNDLE) else {
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

/// Removes `.signet-tmp-*` files left by an interrupted run (symlinks are not followed).
fn remove_stale_temps(dir: &Path) -> Result<(), ReleaseError> {
    let io = |op, path: &Path, e| ReleaseError::io(op, path, e);
    for e in std::fs::read_dir(dir).map_err(|e| io("read", dir, e))? {
        let e = e.map_err(|e| io("read", dir, e))?;
        let path = e.path();
        let t = e.file_type().map_err(|e| io("stat", &path, e))?;
        if t.is_dir() {
            remove_stale_temps(&path)?;
        } else if t.is_file()
            && e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(hash::TEMP_PREFIX))
        {
            std::fs::remove_file(&path).map_err(|e| io("remove", &path, e))?;
        }
    }
    Ok(())
}

/// Removes the signature files of artifacts no longer in the release (a verifier reports
/// them as `EXTRA`).
fn remove_orphan_signatures(dir: &Path, files: &[RelPath]) -> Result<(), ReleaseError> {
    let artifacts: BTreeSet<&str> = files.iter().map(|f| f.as_str()).collect();
    for f in list_signature_files(dir)? {
        if !belongs(f.as_str(), &artifacts) {
            let p = dir.join(f.as_str());
            std::fs::remove_file(&p).map_err(|e| ReleaseError::io("remove", &p, e))?;
        }
    }
    Ok(())
}

/// A borrowed signer signs the same way (a caller can keep one signer, and its certificate,
/// for the release's files and then its images).
impl<T: ReleaseSigner + ?Sized> ReleaseSigner for &T {
    fn sign_files(
        &self,
        items: Vec<(String, [u8; 32])>,
        signed: &(dyn Fn(&str, SignedFile) -> Result<(), ReleaseError> + Sync),
        progress: &dyn Progress,
    ) -> Result<(), ReleaseError> {
        (**self).sign_files(items, signed, progress)
    }

    fn sign_envelope(
        &self,
        payload_type: &str,
        payload: &[u8],
    ) -> Result<SignedEnvelope, ReleaseError> {
        (**self).sign_envelope(payload_type, payload)
    }
}
