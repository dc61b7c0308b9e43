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

use crate::buildenv::BuildClaims;
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

    /// The signing certificate (PEM) when keyless: its CI extensions bind the provenance.
    fn certificate_pem(&self) -> Option<String> {
        None
    }
}

/// What the release is, for the SBOM and the provenance.
#[derive(Clone, Debug)]
pub struct ReleaseInfo {
    /// Release name (SBOM document and package); default: the directory's name.
    pub name: Option<String>,
    /// Release version.
    pub version: String,
    /// What the caller says about the build (flags): wins over everything else, and must
    /// agree with the signing certificate's CI extensions.
    pub claims: BuildClaims,
    /// What the build environment says (CI variables, then the git checkout): used where
    /// neither the caller nor the certificate says anything.
    pub detected: BuildClaims,
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
    /// What the provenance written by this run says about the build (none when up to date).
    pub provenance: Option<ProvenanceSummary>,
}

/// The build a release's provenance names.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvenanceSummary {
    /// `runDetails.builder.id`.
    pub builder_id: String,
    /// The source repository, if any.
    pub source_uri: Option<String>,
    /// The git ref built, if known.
    pub source_ref: Option<String>,
    /// The source revision's digest.
    pub source_digest: BTreeMap<String, String>,
    /// The invocation id.
    pub invocation_id: Option<String>,
}

impl ProvenanceSummary {
    /// The summary of a statement.
    pub fn of(st: &provenance::Statement) -> Self {
        Self {
            builder_id: st.builder_id().to_string(),
            source_uri: st.source_uri().map(str::to_string),
            source_ref: st.source_ref().map(str::to_string),
            source_digest: st.source_digest().cloned().unwrap_or_default(),
            invocation_id: st.invocation_id().map(str::to_string),
        }
    }
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
        provenance: None,
    };
    if todo.is_empty()
        && meta_present
        && manifest_unchanged
        && sboms_current
        && provenance_says(dir, &info.claims.clone().or(info.detected.clone()))
    {
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
    let cert = signer
        .certificate_pem()
        .map(|pem| certificate_claims(&pem))
        .transpose()?;
    let statement = provenance::build(
        &provenance_input(info, cert.as_ref(), env, created)?,
        &digests,
    )?;
    if let Some(cert) = &cert {
        // What the provenance claims must be what the certificate says about the build.
        let failures = provenance::check_certificate(&statement, cert);
        if !failures.is_empty() {
            return Err(ReleaseError::invalid(
                "provenance",
                failures
                    .iter()
                    .map(|f| f.reason.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
    }
    report.provenance = Some(ProvenanceSummary::of(&statement));
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

/// Whether the release's provenance already says everything `claims` says (builder, build type,
/// source, ref, digest, invocation): if not (a new commit, another CI run), the metadata is
/// signed again even though no artifact changed. Unreadable provenance says nothing.
fn provenance_says(dir: &Path, claims: &BuildClaims) -> bool {
    let Ok(line) =
        signet_crypto::read_capped(&dir.join(PROVENANCE), crate::limits::PROVENANCE_FILE)
    else {
        return false;
    };
    let st = serde_json::from_slice::<serde_json::Value>(line.trim_ascii())
        .ok()
        .and_then(|env| {
            env.get("payload")
                .and_then(|p| p.as_str())
                .and_then(|p| b64::decode(p).ok())
        })
        .and_then(|payload| provenance::parse(&payload).ok());
    let Some(st) = st else {
        return false;
    };
    let same =
        |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| Some(w) == have);
    same(&claims.builder_id, Some(st.builder_id()))
        && same(
            &claims.build_type,
            Some(st.predicate.build_definition.build_type.as_str()),
        )
        && same(&claims.invocation_id, st.invocation_id())
        && same(&claims.source_ref, st.source_ref())
        && claims.source_uri.as_deref().is_none_or(|u| {
            st.source_uri().map(provenance::normalize_repository)
                == Some(provenance::normalize_repository(u))
        })
        && claims
            .source_digest
            .iter()
            .all(|(alg, d)| st.source_digest().and_then(|sd| sd.get(alg)) == Some(d))
}

/// The CI claims of a PEM signing certificate's Fulcio extensions.
pub fn certificate_claims(pem: &str) -> Result<provenance::CertificateClaims, ReleaseError> {
    signet_x509::Certificate::from_pem(pem)
        .and_then(|c| provenance::CertificateClaims::of(&c))
        .map_err(|e| ReleaseError::invalid("signing certificate", e.to_string()))
}

/// The provenance's builder, source and invocation: the caller's claims, then the signing
/// certificate's, then the build environment's; defaults where nobody says anything (a local
/// builder, a random invocation id, no source).
fn provenance_input(
    info: &ReleaseInfo,
    cert: Option<&provenance::CertificateClaims>,
    env: &Environment<'_>,
    started_on: OffsetDateTime,
) -> Result<provenance::ProvenanceInput, ReleaseError> {
    let cert = cert.map_or_else(BuildClaims::default, BuildClaims::from_certificate);
    let claims = info.claims.clone().or(cert).or(info.detected.clone());
    Ok(provenance::ProvenanceInput {
        build_type: claims
            .build_type
            .clone()
            .unwrap_or_else(|| provenance::DEFAULT_BUILD_TYPE.to_string()),
        builder_id: claims
            .builder_id
            .clone()
            .unwrap_or_else(|| provenance::LOCAL_BUILDER_ID.to_string()),
        source: claims.source()?,
        version: info.version.clone(),
        extra_parameters: BTreeMap::new(),
        internal_parameters: claims
            .provider
            .map(|p| serde_json::json!({ "buildEnvironment": p })),
        materials: vec![],
        invocation_id: claims
            .invocation_id
            .clone()
            .unwrap_or_else(|| format!("urn:uuid:{}", crate::sboms::uuid_v4((env.nonce)()))),
        started_on,
        finished_on: (env.now)(),
    })
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

    fn certificate_pem(&self) -> Option<String> {
        (**self).certificate_pem()
    }
}
