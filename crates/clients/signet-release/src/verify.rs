//! Verifying a signed release directory: every file listed in the signed `SHA256SUMS`, present,
//! unchanged and signed by the expected identity (its bundle, `.sig` and `.cert`); no stray
//! files or signatures; at least one SBOM, each signed and listing exactly the release's files
//! with their checksums; the provenance's subjects are the release's.
//!
//! The result is one [`FileStatus`] per file. Reads the release from disk; verification of
//! each bundle is `signet-verify`'s (no network).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use signet_bundle::Bundle;
use signet_crypto::read_capped;
use signet_types::{Sha256Hash, b64};
use signet_verify::{Artifact, Identity, Policy, VerifiedBundle, Verifier};

use crate::limits::{BUNDLE, CERTIFICATE, PROVENANCE_FILE, SBOM_FILE, SHA256SUMS, SIGNATURE};
use crate::provenance::{CertificateClaims, ProvenancePolicy};
use crate::{
    BUNDLE_SUFFIX, FileSha256, MANIFEST, PROVENANCE, Progress, RELEASE_METADATA, ReadMode, RelPath,
    ReleaseError, SBOM_CYCLONEDX, SBOM_JSON, SbomFormat, belongs, list_artifacts,
    list_signature_files, manifest, provenance, read_optional, sboms, sha256_files_with, side,
};

/// What verification found for one file of a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Listed, unchanged, signed by the expected identity.
    Ok,
    /// Its SHA-256 differs from `SHA256SUMS`, or a published file differs from what was signed.
    Tampered,
    /// Listed (or needed) but not in the release.
    Missing,
    /// In the release but not in `SHA256SUMS`, or a signature file for no file.
    Extra,
    /// No bundle.
    Unsigned,
    /// Its signature, detached signature files, SBOM or provenance check failed.
    Failed,
    /// Its bundle (or provenance) cannot be read or parsed.
    Invalid,
    /// The file could not be checked at all.
    Error,
}

impl Status {
    /// The word `verify-release` prints (`OK`, `TAMPERED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Tampered => "TAMPERED",
            Self::Missing => "MISSING",
            Self::Extra => "EXTRA",
            Self::Unsigned => "UNSIGNED",
            Self::Failed => "FAILED",
            Self::Invalid => "INVALID",
            Self::Error => "ERROR",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One row of a release verification.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileStatus {
    /// Release-relative path.
    pub path: String,
    /// What was found.
    pub status: Status,
    /// Why (log index, warnings, or the problem).
    pub detail: String,
    /// Who signed it, when its bundle verified: the signing certificate's identity (SAN) and
    /// OIDC issuer (keyless), or nothing for a managed key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The signing certificate's OIDC issuer, when its bundle verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The transparency-log entry of its bundle, when its bundle verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_entry: Option<LogEntryRef>,
}

/// Where a verified bundle's signature is recorded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntryRef {
    /// Global log index.
    pub log_index: u64,
    /// Rekor UUID (hex of the leaf hash).
    pub uuid: String,
    /// Base URL of the log, from the trusted root.
    pub log_url: String,
}

impl FileStatus {
    /// A row of the report.
    pub fn new(path: &str, status: Status, detail: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            status,
            detail: detail.into(),
            identity: None,
            issuer: None,
            log_entry: None,
        }
    }

    /// This row with the signer and log entry of the bundle that verified.
    #[must_use]
    pub fn signed_by(mut self, v: &VerifiedBundle) -> Self {
        self.identity = v.sans().first().cloned();
        self.issuer = v.issuer().map(str::to_string);
        self.log_entry = v.entries().first().map(|e| LogEntryRef {
            log_index: e.log_index.0,
            uuid: e.uuid.clone(),
            log_url: e.log_url.clone(),
        });
        self
    }

    fn ok(path: &str, detail: impl Into<String>) -> Self {
        Self::new(path, Status::Ok, detail)
    }
}

/// Most SBOM packages a [`SbomSummary`] lists (it counts them all).
pub const SUMMARY_PACKAGES: usize = 500;

/// What the release's signed SBOM says about its contents.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SbomSummary {
    /// The SBOM file summarized (`release.spdx.json` or `release.cdx.json`).
    pub file: String,
    /// Its format (`SPDX 2.3`, `CycloneDX 1.6`).
    pub format: String,
    /// Packages the release contains (the release itself and its files not counted).
    pub package_count: usize,
    /// The first [`SUMMARY_PACKAGES`] of them.
    pub packages: Vec<crate::sboms::SbomPackage>,
    /// Distinct license expressions of the packages, sorted (`NOASSERTION` left out).
    pub licenses: Vec<String>,
}

/// What the release's signed provenance says about the build.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvenanceSummary {
    /// `runDetails.builder.id`.
    pub builder_id: String,
    /// `buildDefinition.buildType`.
    pub build_type: String,
    /// The source repository, if named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_uri: Option<String>,
    /// The git ref built, if named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    /// The source revision (`algorithm -> hex`).
    pub source_digest: BTreeMap<String, String>,
    /// Number of subjects (artifacts) it covers.
    pub subjects: usize,
}

/// The outcome of [`verify_release`].
#[derive(Clone, Debug)]
pub struct ReleaseReport {
    /// One row per file, sorted by path.
    pub files: Vec<FileStatus>,
    /// Bytes hashed.
    pub bytes: u64,
    /// Seconds spent hashing.
    pub hash_seconds: f64,
    /// The first signed SBOM's summary (SPDX before CycloneDX), when one was signed and read.
    pub sbom: Option<SbomSummary>,
    /// The provenance's summary, when its signed envelope was read.
    pub provenance: Option<ProvenanceSummary>,
}

impl ReleaseReport {
    /// Rows that are not [`Status::Ok`].
    pub fn problems(&self) -> usize {
        self.files.iter().filter(|s| s.status != Status::Ok).count()
    }
}

/// The bundles of a release checked by one verifier for one identity.
struct Check<'a> {
    verifier: &'a Verifier<'a>,
    identity: &'a Identity,
    policy: &'a ProvenancePolicy,
    dir: &'a Path,
}

/// Verifies the release in `dir` against `verifier` and `identity`: the signed `SHA256SUMS`
/// says what the release is; every artifact is hashed (`mode`) and its bundle, `.sig` and
/// `.cert` checked (in parallel); then the metadata: `SHA256SUMS` signed; the SBOMs of every
/// format the release has (at least one; each file signed, its file checksums those of the
/// release); the provenance signed, its subjects the release's files, claiming what its signing
/// certificate's CI extensions say and satisfying `policy`. Problems are rows of the report (one
/// per failed provenance rule); an error is returned only when the release cannot be read at all
/// (no `SHA256SUMS`, unreadable directory).
pub fn verify_release(
    dir: &Path,
    verifier: &Verifier<'_>,
    identity: &Identity,
    policy: &ProvenancePolicy,
    mode: ReadMode,
    progress: &dyn Progress,
) -> Result<ReleaseReport, ReleaseError> {
    use rayon::prelude::*;
    let check = Check {
        verifier,
        identity,
        policy,
        dir,
    };
    let manifest_bytes =
        read_optional(&dir.join(MANIFEST), SHA256SUMS)?.ok_or_else(|| ReleaseError::NotSigned {
            dir: dir.to_path_buf(),
        })?;
    let listed = manifest::parse(&manifest_bytes)?;
    let found = list_artifacts(dir)?;
    let meta: Vec<RelPath> = RELEASE_METADATA
        .iter()
        .filter(|m| dir.join(m).is_file())
        .map(|m| RelPath::new(*m))
        .collect::<Result<_, _>>()?;
    let mut all = found.clone();
    all.extend(meta.iter().cloned());
    progress.start("hashing", all.len() as u64);
    let hash_started = std::time::Instant::now();
    let digests = sha256_files_with(dir, &all, mode)?;
    progress.finish();
    let hash_seconds = hash_started.elapsed().as_secs_f64();
    let bytes: u64 = digests.iter().map(|d| d.size).sum();
    let by_path: BTreeMap<&str, &[u8; 32]> = digests
        .iter()
        .map(|d| (d.path.as_str(), &d.sha256))
        .collect();

    // Every artifact: listed, unchanged, and its own signature verifies — in parallel.
    let mut files: Vec<FileStatus> = found
        .par_iter()
        .map(|rel| {
            let p = rel.as_str();
            let Some(d) = by_path.get(p) else {
                return FileStatus::new(p, Status::Error, "not hashed");
            };
            match listed.get(p) {
                None => FileStatus::new(p, Status::Extra, "not in SHA256SUMS"),
                Some(want) if want != *d => {
                    FileStatus::new(p, Status::Tampered, "SHA-256 differs from SHA256SUMS")
                }
                Some(_) => check.file_bundle(p, d),
            }
        })
        .collect();
    let found_set: BTreeSet<&str> = found.iter().map(|r| r.as_str()).collect();
    for p in listed.paths() {
        if !found_set.contains(p.as_str()) {
            files.push(FileStatus::new(
                &p,
                Status::Missing,
                "listed in SHA256SUMS, not in the release",
            ));
        }
    }
    // Signature files that belong to no file of the release.
    files.extend(
        list_signature_files(dir)?
            .iter()
            .filter(|f| !belongs(f.as_str(), &found_set))
            .map(|f| {
                FileStatus::new(
                    f.as_str(),
                    Status::Extra,
                    "signature file for no file of the release",
                )
            }),
    );
    // The metadata: each signed; SBOM checksums and provenance subjects match the files.
    let artifact_digests: Vec<&FileSha256> = digests
        .iter()
        .filter(|d| found_set.contains(d.path.as_str()))
        .collect();
    files.push(match by_path.get(MANIFEST) {
        None => FileStatus::new(MANIFEST, Status::Missing, "release metadata file missing"),
        Some(d) => check.file_bundle(MANIFEST, d),
    });
    let (sbom_rows, sbom) = check.sboms(&by_path, &artifact_digests);
    files.extend(sbom_rows);
    let mut provenance = None;
    files.extend(check.provenance(&artifact_digests, &mut provenance));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(ReleaseReport {
        files,
        bytes,
        hash_seconds,
        sbom,
        provenance,
    })
}

/// `detail` followed by the evidence verification skipped (an RFC 3161 timestamp that did not
/// verify), so a verified row still shows it.
fn with_warnings(detail: String, v: &VerifiedBundle) -> String {
    v.warnings().iter().fold(detail, |mut d, w| {
        if !d.is_empty() {
            d.push_str("; ");
        }
        d.push_str("WARNING: ");
        d.push_str(w);
        d
    })
}

impl Check<'_> {
    fn verify(&self, bundle: &Bundle, digest: &[u8; 32]) -> Result<VerifiedBundle, String> {
        self.verifier
            .verify(
                bundle,
                &Policy {
                    identity: self.identity.clone(),
                    artifact: Artifact::Digest(Sha256Hash(*digest)),
                },
            )
            .map_err(|e| e.to_string())
    }

    /// The bundle of `rel` (SHA-256 `digest`) and its detached `.sig`/`.cert`.
    fn file_bundle(&self, rel: &str, digest: &[u8; 32]) -> FileStatus {
        let bytes = match read_optional(&side(self.dir, rel, BUNDLE_SUFFIX), BUNDLE) {
            Ok(Some(b)) => b,
            Ok(None) => return FileStatus::new(rel, Status::Unsigned, "no .sigstore.json bundle"),
            Err(e) => return FileStatus::new(rel, Status::Invalid, e.to_string()),
        };
        let bundle = match Bundle::from_json(&bytes) {
            Ok(b) => b,
            Err(e) => return FileStatus::new(rel, Status::Invalid, format!("bundle: {e}")),
        };
        let v = match self.verify(&bundle, digest) {
            Ok(v) => v,
            Err(e) => return FileStatus::new(rel, Status::Failed, e),
        };
        let read = |suffix: &str, limit| read_optional(&side(self.dir, rel, suffix), limit);
        let detached = match (read(".sig", SIGNATURE), read(".cert", CERTIFICATE)) {
            (Ok(sig), Ok(cert)) => check_detached(&bundle, digest, sig, cert),
            (Err(e), _) | (_, Err(e)) => Err((Status::Failed, e.to_string())),
        };
        match detached {
            Ok(()) => FileStatus::ok(
                rel,
                with_warnings(
                    v.entries()
                        .first()
                        .map(|e| format!("log index {}", e.log_index))
                        .unwrap_or_default(),
                    &v,
                ),
            ),
            Err((status, detail)) => FileStatus::new(rel, status, detail),
        }
        .signed_by(&v)
    }

    /// The SBOMs: every format of which the release has a file (or a signature file) must
    /// have all its files, each signed, and the checked one must list exactly the release's
    /// files; a release with no SBOM at all gets one `MISSING` row. Also the summary of the
    /// first checked file that is signed and reads.
    fn sboms(
        &self,
        hashed: &BTreeMap<&str, &[u8; 32]>,
        files: &[&FileSha256],
    ) -> (Vec<FileStatus>, Option<SbomSummary>) {
        let mut rows = Vec::new();
        let mut summary = None;
        for format in SbomFormat::ALL {
            if !format.any_file_in(self.dir) {
                continue;
            }
            for &f in format.files() {
                let Some(d) = hashed.get(f) else {
                    rows.push(FileStatus::new(
                        f,
                        Status::Missing,
                        format!(
                            "{} SBOM file missing (the release has its other files or \
                             signature files)",
                            format.label()
                        ),
                    ));
                    continue;
                };
                let st = self.file_bundle(f, d);
                rows.push(if st.status == Status::Ok && f == format.checked_file() {
                    let (read, checked) = check_sbom(self.dir, format, files);
                    summary = summary.or(read);
                    let (status, detail) = match checked {
                        Ok(detail) => (Status::Ok, detail),
                        Err(e) => (
                            Status::Failed,
                            format!("SBOM does not match the release: {e}"),
                        ),
                    };
                    FileStatus {
                        status,
                        detail,
                        ..st
                    }
                } else {
                    st
                });
            }
        }
        if rows.is_empty() {
            rows.push(FileStatus::new(
                SBOM_JSON,
                Status::Missing,
                format!(
                    "no SBOM: neither {SBOM_JSON} (SPDX 2.3) nor {SBOM_CYCLONEDX} (CycloneDX \
                     1.6) is in the release"
                ),
            ));
        }
        (rows, summary)
    }

    /// The provenance: its bundle verifies, the published file is the signed envelope, the
    /// statement's subjects are exactly the release's files, it claims what its certificate's
    /// CI extensions say, and it satisfies the policy: one row, or one row per failed rule.
    /// `summary` gets what the signed statement says, once it is read.
    fn provenance(
        &self,
        files: &[&FileSha256],
        summary: &mut Option<ProvenanceSummary>,
    ) -> Vec<FileStatus> {
        match self.provenance_checked(files, summary) {
            Ok(row) => vec![row],
            Err(rows) => rows,
        }
    }

    fn provenance_checked(
        &self,
        files: &[&FileSha256],
        summary: &mut Option<ProvenanceSummary>,
    ) -> Result<FileStatus, Vec<FileStatus>> {
        let name = PROVENANCE;
        let problem = |status, detail: String| vec![FileStatus::new(name, status, detail)];
        let bytes = match read_optional(&side(self.dir, name, BUNDLE_SUFFIX), BUNDLE) {
            Ok(Some(b)) => b,
            Ok(None) => return Err(problem(Status::Unsigned, "no provenance bundle".into())),
            Err(e) => return Err(problem(Status::Invalid, e.to_string())),
        };
        let bundle = Bundle::from_json(&bytes)
            .map_err(|e| problem(Status::Invalid, format!("bundle: {e}")))?;
        let first = files.first().ok_or_else(|| {
            problem(
                Status::Failed,
                "no artifacts to check the provenance against".into(),
            )
        })?;
        let verified = self
            .verify(&bundle, &first.sha256)
            .map_err(|e| problem(Status::Failed, e))?;
        let problem = |status, detail: String| {
            vec![FileStatus::new(name, status, detail).signed_by(&verified)]
        };
        let bundle_json = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
        let envelope = bundle_json
            .as_ref()
            .and_then(|v| v.pointer("/dsseEnvelope"));
        // The published file must be exactly the signed envelope (one JSON line).
        let file = match read_optional(&self.dir.join(name), PROVENANCE_FILE) {
            Ok(Some(f)) => f,
            Ok(None) => {
                return Err(problem(
                    Status::Missing,
                    "provenance file missing (its bundle is here)".into(),
                ));
            }
            Err(e) => return Err(problem(Status::Failed, e.to_string())),
        };
        same_envelope(&file, envelope).map_err(|e| problem(Status::Tampered, e))?;
        // The statement inside the verified envelope must name exactly the release's files.
        let payload = envelope
            .and_then(|v| v.get("payload"))
            .and_then(|p| p.as_str())
            .and_then(|p| b64::decode(p).ok())
            .ok_or_else(|| problem(Status::Invalid, "no DSSE payload".into()))?;
        let owned: Vec<FileSha256> = files.iter().map(|f| (*f).clone()).collect();
        let statement =
            provenance::parse(&payload).map_err(|e| problem(Status::Invalid, e.to_string()))?;
        *summary = Some(ProvenanceSummary {
            builder_id: statement.builder_id().to_string(),
            build_type: statement.predicate.build_definition.build_type.clone(),
            source_uri: statement.source_uri().map(str::to_string),
            source_ref: statement.source_ref().map(str::to_string),
            source_digest: statement.source_digest().cloned().unwrap_or_default(),
            subjects: statement.subject.len(),
        });
        let r = provenance::check_subjects(&statement, &owned)
            .map_err(|e| problem(Status::Invalid, e.to_string()))?;
        if !r.is_ok() {
            return Err(problem(
                Status::Failed,
                format!(
                    "subjects: {} missing, {} extra, {} mismatched",
                    r.missing.len(),
                    r.extra.len(),
                    r.mismatched.len()
                ),
            ));
        }
        // What it claims about the build: what the certificate says, and what the policy asks.
        let cert = verified
            .certificate()
            .map(CertificateClaims::of)
            .transpose()
            .map_err(|e| problem(Status::Invalid, format!("certificate: {e}")))?;
        let failures = provenance::check_claims(&statement, cert.as_ref(), self.policy);
        if !failures.is_empty() {
            return Err(failures
                .into_iter()
                .map(|f| FileStatus::new(name, Status::Failed, f.reason).signed_by(&verified))
                .collect());
        }
        let mut detail = format!("signed SLSA provenance; {} subjects match", r.matched);
        if !self.policy.is_empty() {
            detail.push_str("; policy satisfied");
        }
        detail.push_str(&format!("; built by {}", statement.builder_id()));
        Ok(FileStatus::ok(name, with_warnings(detail, &verified)).signed_by(&verified))
    }
}

/// The SBOM of `format` lists exactly `files` with their checksums: its summary (when it
/// reads), and the row's detail or the problem.
fn check_sbom(
    dir: &Path,
    format: SbomFormat,
    files: &[&FileSha256],
) -> (Option<SbomSummary>, Result<String, String>) {
    let name = format.checked_file();
    let read = read_capped(&dir.join(name), SBOM_FILE)
        .map_err(|e| e.to_string())
        .and_then(|bytes| sboms::read(format, &bytes).map_err(|e| e.to_string()));
    let (listed, packages) = match read {
        Ok(r) => r,
        Err(e) => return (None, Err(e)),
    };
    let licenses: BTreeSet<&str> = packages
        .iter()
        .filter_map(|p| p.license.as_deref())
        .collect();
    let summary = SbomSummary {
        file: name.to_string(),
        format: format.label().to_string(),
        package_count: packages.len(),
        licenses: licenses.into_iter().map(str::to_string).collect(),
        packages: packages.iter().take(SUMMARY_PACKAGES).cloned().collect(),
    };
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
    let checked = if problems.is_empty() {
        Ok(format!(
            "signed {}; {} file checksums match",
            format.label(),
            listed.len()
        ))
    } else {
        Err(problems.join("; "))
    };
    (Some(summary), checked)
}

/// Whether the provenance file `file` (JSON Lines: one envelope, one line) is the DSSE
/// envelope of its verified bundle. Pure.
fn same_envelope(file: &[u8], envelope: Option<&serde_json::Value>) -> Result<(), String> {
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

/// Checks the detached `<f>.sig` / `<f>.cert` published beside a file against its verified
/// bundle: the `.sig` verifies over the file's SHA-256 with the `.cert`'s key, and both are
/// exactly the bundle's signature and signing certificate (a managed-key bundle has no
/// `.cert`). Pure: the caller reads the files.
fn check_detached(
    bundle: &Bundle,
    digest: &[u8; 32],
    sig_file: Option<Vec<u8>>,
    cert_file: Option<Vec<u8>>,
) -> Result<(), (Status, String)> {
    let failed = |d: String| (Status::Failed, d);
    let signet_bundle::Content::MessageSignature(ms) = &bundle.content else {
        return Err(failed("the bundle holds no message signature".into()));
    };
    let sig_text = sig_file.ok_or((Status::Missing, "no .sig beside the file".to_string()))?;
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
            Err((Status::Missing, "no .cert beside the file".to_string()))
        }
        // A managed key: the verifier checked the bundle's (equal) signature with it.
        (_, None) => Ok(()),
        (_, Some(_)) => Err(failed(
            ".cert beside a file signed with a managed key".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn statuses_print_as_verify_release_always_printed_them() {
        let words: Vec<&str> = [
            Status::Ok,
            Status::Tampered,
            Status::Missing,
            Status::Extra,
            Status::Unsigned,
            Status::Failed,
            Status::Invalid,
            Status::Error,
        ]
        .iter()
        .map(|s| s.as_str())
        .collect();
        assert_eq!(
            words,
            [
                "OK", "TAMPERED", "MISSING", "EXTRA", "UNSIGNED", "FAILED", "INVALID", "ERROR"
            ]
        );
        let row = FileStatus::new("a", Status::Tampered, "d");
        assert_eq!(
            serde_json::to_string(&row).unwrap(),
            r#"{"path":"a","status":"TAMPERED","detail":"d"}"#
        );
        assert_eq!(format!("{:<9}|", Status::Ok), "OK       |");
    }

    #[test]
    fn the_provenance_file_must_be_the_signed_envelope_on_one_line() {
        let env = serde_json::json!({"payload": "cA==", "payloadType": "t", "signatures": []});
        let line = serde_json::to_string(&env).unwrap();
        assert!(same_envelope(format!("{line}\n").as_bytes(), Some(&env)).is_ok());
        assert!(same_envelope(line.as_bytes(), Some(&env)).is_ok());
        assert!(same_envelope(format!("{line}\n{line}\n").as_bytes(), Some(&env)).is_err());
        let other = serde_json::json!({"payload": "cQ==", "payloadType": "t", "signatures": []});
        assert!(same_envelope(line.as_bytes(), Some(&other)).is_err());
        assert!(same_envelope(line.as_bytes(), None).is_err());
        assert!(same_envelope(b"not json", Some(&env)).is_err());
    }
}
