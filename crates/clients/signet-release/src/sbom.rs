//! SPDX 2.3 SBOM of a release, as JSON ([`SBOM_JSON`](crate::SBOM_JSON)) and tag-value
//! ([`SBOM_TAG_VALUE`](crate::SBOM_TAG_VALUE)), plus a bounded JSON reader for verification.
//!
//! The document (hand-written serde structs following the SPDX 2.3 JSON schema) holds:
//!
//! * `SPDXRef-DOCUMENT`, `SPDX-2.3`, data license `CC0-1.0`, the caller's name and unique
//!   `documentNamespace`, and `creationInfo` with the caller-given time and
//!   `Tool: signet-<crate version>`;
//! * one package for the release: name, `versionInfo`, `downloadLocation: NOASSERTION`,
//!   `filesAnalyzed: true` and a `packageVerificationCode` computed per SPDX 2.3 §7.9 (SHA-1 over
//!   the sorted, concatenated lowercase-hex SHA-1s of all files); license and copyright fields
//!   are `NOASSERTION`;
//! * one file per artifact: `SPDXRef-File-<path with every character outside [A-Za-z0-9.-]
//!   replaced by '-'>` (a `-<n>` suffix keeps IDs unique), `fileName: ./<path>`, checksums SHA1,
//!   SHA256 and SHA512, `NOASSERTION` license and copyright;
//! * one package per [`PackageInfo`] the caller lists (`SPDXRef-Package-<name>-<version>`):
//!   `versionInfo`, `supplier: Organization: …`, `downloadLocation` (or `NOASSERTION`),
//!   `filesAnalyzed: false`, `licenseConcluded` and `licenseDeclared` (the given expression, or
//!   `NOASSERTION`), a `SHA256` checksum and a `PACKAGE-MANAGER purl` external reference when
//!   given;
//! * relationships: `DOCUMENT DESCRIBES` the release package, which `CONTAINS` each file and
//!   each listed package (SPDX 2.3 Annex: "SPDXRef-A contains SPDXRef-B"; the packages are
//!   what the release is made of, e.g. the Go modules compiled into its binaries — not
//!   something it needs at run time, which would be `DEPENDS_ON`).
//!
//! **Why SHA-1 is computed:** SPDX 2.x requires a SHA1 checksum on every file (§8.4) and the
//! verification code is defined over SHA-1, and Kubernetes' own SBOMs carry SHA1, SHA256 and
//! SHA512. [`crate::hash_files`] therefore computes SHA-1 in the same read pass. SHA-1 is only
//! written here; verification uses SHA-256 (see [`parse_json`] and [`SbomFile`]).

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;

use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::check_limit;
use crate::hash::Digested;
use crate::packages::{PackageInfo, SbomPackages};
use crate::{FileDigest, RelPath, ReleaseError, Result};

/// `spdxVersion` written.
pub const SPDX_VERSION: &str = "SPDX-2.3";
/// Data license of every SPDX document.
pub const DATA_LICENSE: &str = "CC0-1.0";
/// The document's SPDX identifier.
pub const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
/// Value for unknown license, copyright and download location.
pub const NOASSERTION: &str = "NOASSERTION";
/// Largest SBOM [`parse_json`] accepts (64 MiB).
pub const MAX_SBOM_BYTES: usize = 64 << 20;
/// Most files [`parse_json`] accepts.
pub const MAX_SBOM_FILES: usize = 1_000_000;

/// SPDX 2.3 document (the subset signet writes; unknown fields are ignored when reading).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpdxDocument {
    /// Always `SPDXRef-DOCUMENT`.
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    /// `SPDX-2.3`.
    pub spdx_version: String,
    /// `CC0-1.0`.
    pub data_license: String,
    /// Document name.
    pub name: String,
    /// Unique URI of this document.
    pub document_namespace: String,
    /// Who made it and when.
    pub creation_info: CreationInfo,
    /// Packages (signet writes exactly one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Package>,
    /// Files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<SpdxFile>,
    /// Relationships.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<Relationship>,
}

/// SPDX `creationInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreationInfo {
    /// RFC 3339 UTC creation time.
    pub created: String,
    /// `Tool: ...`, `Organization: ...`, `Person: ...`.
    pub creators: Vec<String>,
}

/// SPDX package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    /// `SPDXRef-Package-...`.
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    /// Package name.
    pub name: String,
    /// Package version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_info: Option<String>,
    /// Download location or `NOASSERTION`.
    pub download_location: String,
    /// Whether files were analyzed (SPDX default: true).
    #[serde(default = "yes")]
    pub files_analyzed: bool,
    /// §7.9 verification code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_verification_code: Option<VerificationCode>,
    /// Concluded license.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_concluded: Option<String>,
    /// Declared license.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_declared: Option<String>,
    /// Copyright text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copyright_text: Option<String>,
    /// Supplier (`Organization: …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// Checksums of the package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checksums: Vec<Checksum>,
    /// External references (a purl).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_refs: Vec<ExternalRef>,
}

/// SPDX package external reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalRef {
    /// `PACKAGE-MANAGER`, `SECURITY`, `PERSISTENT-ID` or `OTHER`.
    pub reference_category: String,
    /// `purl`, `cpe23Type`, ...
    pub reference_type: String,
    /// The reference itself.
    pub reference_locator: String,
}

fn yes() -> bool {
    true
}

/// SPDX `packageVerificationCode`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationCode {
    /// Lowercase hex SHA-1.
    pub package_verification_code_value: String,
}

/// SPDX file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpdxFile {
    /// `SPDXRef-File-...`.
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    /// `./<release-relative path>`.
    pub file_name: String,
    /// Checksums.
    #[serde(default)]
    pub checksums: Vec<Checksum>,
    /// Concluded license.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_concluded: Option<String>,
    /// Licenses found in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_info_in_files: Option<Vec<String>>,
    /// Copyright text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copyright_text: Option<String>,
}

/// SPDX checksum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checksum {
    /// `SHA1`, `SHA256`, `SHA512`, ...
    pub algorithm: String,
    /// Lowercase hex.
    pub checksum_value: String,
}

/// SPDX relationship.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relationship {
    /// Subject element.
    pub spdx_element_id: String,
    /// `DESCRIBES`, `CONTAINS`, ...
    pub relationship_type: String,
    /// Object element.
    pub related_spdx_element: String,
}

/// Caller-given document metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SbomInput {
    /// Release (document and package) name, e.g. `kubernetes`.
    pub name: String,
    /// Release version, e.g. `v1.36.0`.
    pub version: String,
    /// Unique document namespace: an absolute URI without `#`, e.g.
    /// `https://sbom.example/kubernetes/v1.36.0/<uuid>` or `urn:uuid:<uuid>`.
    pub namespace: String,
    /// Creation time.
    pub created: OffsetDateTime,
}

fn bad(reason: impl Into<String>) -> ReleaseError {
    ReleaseError::invalid("SBOM", reason)
}

/// Replaces every character outside `[A-Za-z0-9.-]` by `-` (SPDX ID idstring rules).
pub fn sanitize_id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// SPDX 2.3 §7.9 package verification code: SHA-1 over the ascending-sorted concatenation of
/// the files' lowercase-hex SHA-1s.
pub fn verification_code(files: &[FileDigest]) -> String {
    let mut sums: Vec<String> = files.iter().map(|f| hex::encode(f.sha1)).collect();
    sums.sort_unstable();
    let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    for s in &sums {
        ctx.update(s.as_bytes());
    }
    hex::encode(ctx.finish().as_ref())
}

pub(crate) fn check_line(what: &str, v: &str) -> Result<()> {
    if v.is_empty() || v.chars().any(char::is_control) {
        return Err(bad(format!(
            "{what} must be non-empty without control characters"
        )));
    }
    Ok(())
}

/// Whether `v` is an absolute URI (`scheme:…`) without a fragment or white space, as an SPDX
/// document namespace must be (`https://…` or `urn:uuid:…`).
pub fn is_namespace_uri(v: &str) -> bool {
    !v.contains('#') && !v.contains(char::is_whitespace) && url::Url::parse(v).is_ok()
}

/// `base`, or `base-<n>` for the first `n` from 2 up that is not in `ids`; added to `ids`.
pub(crate) fn unique_id(ids: &mut HashSet<String>, base: String) -> Result<String> {
    let mut id = base.clone();
    let mut n = 2u64;
    while ids.contains(&id) {
        id = format!("{base}-{n}");
        n = n
            .checked_add(1)
            .ok_or_else(|| bad(format!("{base}: no free identifier")))?;
    }
    ids.insert(id.clone());
    Ok(id)
}

/// `files` sorted by path; an error if a path is listed twice.
pub(crate) fn sorted_unique(files: &[FileDigest]) -> Result<Vec<&FileDigest>> {
    let mut sorted: Vec<&FileDigest> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some((a, _)) = sorted
        .iter()
        .zip(sorted.iter().skip(1))
        .find(|(a, b)| a.path == b.path)
    {
        return Err(ReleaseError::Duplicate {
            path: a.path.clone(),
        });
    }
    Ok(sorted)
}

/// Builds the SPDX document for the release's hashed files (any order; written sorted by path)
/// and the packages it contains.
pub fn build(
    input: &SbomInput,
    files: &[FileDigest],
    packages: &SbomPackages,
) -> Result<SpdxDocument> {
    check_line("name", &input.name)?;
    check_line("version", &input.version)?;
    check_line("namespace", &input.namespace)?;
    if !is_namespace_uri(&input.namespace) {
        return Err(bad(
            "namespace must be an absolute URI (scheme:...) without '#' or spaces",
        ));
    }
    let sorted = sorted_unique(files)?;
    let package_id = format!("SPDXRef-Package-{}", sanitize_id(&input.name));
    let mut ids = HashSet::with_capacity(files.len().saturating_add(2));
    ids.insert(DOCUMENT_ID.to_owned());
    ids.insert(package_id.clone());
    let mut spdx_files = Vec::with_capacity(files.len());
    let mut relationships = vec![Relationship {
        spdx_element_id: DOCUMENT_ID.into(),
        relationship_type: "DESCRIBES".into(),
        related_spdx_element: package_id.clone(),
    }];
    let contains = |id: &str| Relationship {
        spdx_element_id: package_id.clone(),
        relationship_type: "CONTAINS".into(),
        related_spdx_element: id.to_owned(),
    };
    for f in sorted {
        let path = RelPath::new(f.path.as_str())?;
        let id = unique_id(
            &mut ids,
            format!("SPDXRef-File-{}", sanitize_id(path.as_str())),
        )?;
        relationships.push(contains(&id));
        spdx_files.push(SpdxFile {
            spdx_id: id,
            file_name: format!("./{path}"),
            checksums: vec![
                checksum("SHA1", &f.sha1),
                checksum("SHA256", &f.sha256),
                checksum("SHA512", &f.sha512),
            ],
            license_concluded: Some(NOASSERTION.into()),
            license_info_in_files: Some(vec![NOASSERTION.into()]),
            copyright_text: Some(NOASSERTION.into()),
        });
    }
    let mut spdx_packages = Vec::with_capacity(packages.as_slice().len().saturating_add(1));
    for p in packages.as_slice() {
        let base = match &p.version {
            Some(v) => format!(
                "SPDXRef-Package-{}-{}",
                sanitize_id(&p.name),
                sanitize_id(v)
            ),
            None => format!("SPDXRef-Package-{}", sanitize_id(&p.name)),
        };
        let id = unique_id(&mut ids, base)?;
        relationships.push(contains(&id));
        spdx_packages.push(listed_package(id, p));
    }
    spdx_packages.insert(
        0,
        Package {
            spdx_id: package_id.clone(),
            name: input.name.clone(),
            version_info: Some(input.version.clone()),
            download_location: NOASSERTION.into(),
            files_analyzed: true,
            package_verification_code: Some(VerificationCode {
                package_verification_code_value: verification_code(files),
            }),
            license_concluded: Some(NOASSERTION.into()),
            license_declared: Some(NOASSERTION.into()),
            copyright_text: Some(NOASSERTION.into()),
            supplier: None,
            checksums: Vec::new(),
            external_refs: Vec::new(),
        },
    );
    Ok(SpdxDocument {
        spdx_id: DOCUMENT_ID.into(),
        spdx_version: SPDX_VERSION.into(),
        data_license: DATA_LICENSE.into(),
        name: input.name.clone(),
        document_namespace: input.namespace.clone(),
        creation_info: CreationInfo {
            // SPDX 2.3 requires `YYYY-MM-DDThh:mm:ssZ`: no fraction of a second (pyspdxtools
            // refuses one).
            created: crate::provenance::rfc3339(input.created)?,
            creators: vec![format!("Tool: signet-{}", env!("CARGO_PKG_VERSION"))],
        },
        packages: spdx_packages,
        files: spdx_files,
        relationships,
    })
}

/// The SPDX package of a package the caller listed (no files analyzed).
fn listed_package(spdx_id: String, p: &PackageInfo) -> Package {
    let license = p.license.clone().unwrap_or_else(|| NOASSERTION.into());
    Package {
        spdx_id,
        name: p.name.clone(),
        version_info: p.version.clone(),
        download_location: p
            .download_location
            .clone()
            .unwrap_or_else(|| NOASSERTION.into()),
        files_analyzed: false,
        package_verification_code: None,
        license_concluded: Some(license.clone()),
        license_declared: Some(license),
        copyright_text: Some(NOASSERTION.into()),
        supplier: p.supplier.as_ref().map(|s| format!("Organization: {s}")),
        checksums: p.sha256.iter().map(|d| checksum("SHA256", &d.0)).collect(),
        external_refs: p
            .purl
            .iter()
            .map(|purl| ExternalRef {
                reference_category: "PACKAGE-MANAGER".into(),
                reference_type: "purl".into(),
                reference_locator: purl.clone(),
            })
            .collect(),
    }
}

fn checksum(alg: &str, v: &[u8]) -> Checksum {
    Checksum {
        algorithm: alg.into(),
        checksum_value: hex::encode(v),
    }
}

/// Pretty JSON with a trailing newline.
pub fn to_json(doc: &SpdxDocument) -> Result<Vec<u8>> {
    pretty_json("SBOM", doc)
}

/// `v` as pretty JSON with a trailing newline.
pub(crate) fn pretty_json<T: Serialize>(what: &'static str, v: &T) -> Result<Vec<u8>> {
    let mut out =
        serde_json::to_vec_pretty(v).map_err(|source| ReleaseError::Json { what, source })?;
    out.push(b'\n');
    Ok(out)
}

/// Tag-value value: single-line as is, multi-line wrapped in `<text>`.
fn tv(v: &str) -> Result<String> {
    if v.contains("</text>") {
        return Err(bad("value contains </text>"));
    }
    if v.contains('\n') || v.contains('\r') {
        Ok(format!("<text>{v}</text>"))
    } else {
        Ok(v.to_owned())
    }
}

/// One `Tag: value` line.
fn line(s: &mut String, tag: &str, v: &str) -> Result<()> {
    // `write!` into a String cannot fail.
    let _ = writeln!(s, "{tag}: {}", tv(v)?);
    Ok(())
}

/// Renders the document in SPDX 2.3 tag-value syntax (same content as [`to_json`]). In
/// tag-value the files that follow a package belong to it (SPDX 2.3 §5.2.2), so the packages
/// whose files were analyzed (the release) come first, then the files, then the other packages.
pub fn to_tag_value(doc: &SpdxDocument) -> Result<String> {
    // A capacity hint only: none if it would overflow.
    let mut s = String::with_capacity(
        doc.files
            .len()
            .checked_mul(400)
            .and_then(|n| n.checked_add(256))
            .unwrap_or(0),
    );
    line(&mut s, "SPDXVersion", &doc.spdx_version)?;
    line(&mut s, "DataLicense", &doc.data_license)?;
    line(&mut s, "SPDXID", &doc.spdx_id)?;
    line(&mut s, "DocumentName", &doc.name)?;
    line(&mut s, "DocumentNamespace", &doc.document_namespace)?;
    for c in &doc.creation_info.creators {
        line(&mut s, "Creator", c)?;
    }
    line(&mut s, "Created", &doc.creation_info.created)?;
    let (with_files, without_files): (Vec<&Package>, Vec<&Package>) =
        doc.packages.iter().partition(|p| p.files_analyzed);
    for p in with_files {
        tag_value_package(&mut s, p)?;
    }
    for f in &doc.files {
        s.push('\n');
        line(&mut s, "FileName", &f.file_name)?;
        line(&mut s, "SPDXID", &f.spdx_id)?;
        for c in &f.checksums {
            line(
                &mut s,
                "FileChecksum",
                &format!("{}: {}", c.algorithm, c.checksum_value),
            )?;
        }
        if let Some(v) = &f.license_concluded {
            line(&mut s, "LicenseConcluded", v)?;
        }
        for l in f.license_info_in_files.iter().flatten() {
            line(&mut s, "LicenseInfoInFile", l)?;
        }
        if let Some(v) = &f.copyright_text {
            line(&mut s, "FileCopyrightText", v)?;
        }
    }
    for p in without_files {
        tag_value_package(&mut s, p)?;
    }
    if !doc.relationships.is_empty() {
        s.push('\n');
    }
    for r in &doc.relationships {
        let v = format!(
            "{} {} {}",
            r.spdx_element_id, r.relationship_type, r.related_spdx_element
        );
        line(&mut s, "Relationship", &v)?;
    }
    Ok(s)
}

/// One package in tag-value syntax, after a blank line.
fn tag_value_package(s: &mut String, p: &Package) -> Result<()> {
    s.push('\n');
    line(s, "PackageName", &p.name)?;
    line(s, "SPDXID", &p.spdx_id)?;
    if let Some(v) = &p.version_info {
        line(s, "PackageVersion", v)?;
    }
    if let Some(v) = &p.supplier {
        line(s, "PackageSupplier", v)?;
    }
    line(s, "PackageDownloadLocation", &p.download_location)?;
    line(
        s,
        "FilesAnalyzed",
        if p.files_analyzed { "true" } else { "false" },
    )?;
    if let Some(c) = &p.package_verification_code {
        line(
            s,
            "PackageVerificationCode",
            &c.package_verification_code_value,
        )?;
    }
    for c in &p.checksums {
        line(
            s,
            "PackageChecksum",
            &format!("{}: {}", c.algorithm, c.checksum_value),
        )?;
    }
    if let Some(v) = &p.license_concluded {
        line(s, "PackageLicenseConcluded", v)?;
    }
    if let Some(v) = &p.license_declared {
        line(s, "PackageLicenseDeclared", v)?;
    }
    if let Some(v) = &p.copyright_text {
        line(s, "PackageCopyrightText", v)?;
    }
    for r in &p.external_refs {
        line(
            s,
            "ExternalRef",
            &format!(
                "{} {} {}",
                r.reference_category, r.reference_type, r.reference_locator
            ),
        )?;
    }
    Ok(())
}

/// Parses an SPDX 2.2/2.3 JSON document (bounded size and file count; unknown fields ignored).
pub fn parse_json(data: &[u8]) -> Result<SpdxDocument> {
    check_limit("SBOM", data.len(), MAX_SBOM_BYTES)?;
    let doc: SpdxDocument = serde_json::from_slice(data).map_err(|source| ReleaseError::Json {
        what: "SBOM",
        source,
    })?;
    if doc.spdx_version != "SPDX-2.3" && doc.spdx_version != "SPDX-2.2" {
        return Err(bad(format!(
            "unsupported spdxVersion {:?}",
            doc.spdx_version
        )));
    }
    if doc.spdx_id != DOCUMENT_ID {
        return Err(bad(format!("document SPDXID is {:?}", doc.spdx_id)));
    }
    check_limit("SBOM files", doc.files.len(), MAX_SBOM_FILES)?;
    Ok(doc)
}

/// A file listed in an SBOM, with the digests verification uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SbomFile {
    /// Release-relative path (`fileName` without `./`).
    pub path: RelPath,
    /// SHA-256 checksum.
    pub sha256: [u8; 32],
    /// SHA-512 checksum, if listed.
    pub sha512: Option<[u8; 64]>,
}

impl Digested for SbomFile {
    fn path(&self) -> &str {
        self.path.as_str()
    }
    fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }
    fn sha512(&self) -> Option<&[u8; 64]> {
        self.sha512.as_ref()
    }
}

fn decode<const N: usize>(what: &'static str, file: &str, alg: &str, v: &str) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(v, &mut out).map_err(|_| {
        ReleaseError::invalid(
            what,
            format!(
                "{file}: {alg} is not {} hexadecimal digits",
                N.saturating_mul(2)
            ),
        )
    })?;
    Ok(out)
}

/// The files of a parsed SBOM with their SHA-256 (required) and SHA-512 (optional), sorted by
/// path. Fails on invalid or duplicate paths, missing or malformed SHA-256, or a checksum
/// algorithm listed twice for one file.
pub fn file_digests(doc: &SpdxDocument) -> Result<Vec<SbomFile>> {
    listed_files(
        "SBOM",
        ["SHA256", "SHA512"],
        doc.files.iter().map(|f| {
            (
                f.file_name.strip_prefix("./").unwrap_or(&f.file_name),
                f.checksums
                    .iter()
                    .map(|c| (c.algorithm.as_str(), c.checksum_value.as_str())),
            )
        }),
    )
}

/// The files an SBOM lists — `(path, [(algorithm, hex digest)])`, the SHA-256 and SHA-512
/// algorithms named `algs` in the SBOM's format — as [`SbomFile`]s sorted by path. Fails on
/// invalid or duplicate paths, missing or malformed SHA-256, a malformed SHA-512, or an
/// algorithm listed twice for one file.
pub(crate) fn listed_files<'a, H>(
    what: &'static str,
    algs: [&str; 2],
    files: impl Iterator<Item = (&'a str, H)>,
) -> Result<Vec<SbomFile>>
where
    H: Iterator<Item = (&'a str, &'a str)>,
{
    let bad = |reason: String| ReleaseError::invalid(what, reason);
    let [alg256, alg512] = algs;
    let mut out = Vec::with_capacity(files.size_hint().0);
    let mut seen = BTreeSet::new();
    for (name, hashes) in files {
        let path = RelPath::new(name)?;
        let mut listed = HashSet::new();
        let mut sha256 = None;
        let mut sha512 = None;
        for (alg, value) in hashes {
            if !listed.insert(alg) {
                return Err(bad(format!("{name}: checksum {alg} listed twice")));
            }
            if alg == alg256 {
                sha256 = Some(decode::<32>(what, name, alg, value)?);
            } else if alg == alg512 {
                sha512 = Some(decode::<64>(what, name, alg, value)?);
            }
        }
        let sha256 = sha256.ok_or_else(|| bad(format!("{name}: no {alg256} checksum")))?;
        if !seen.insert(path.clone()) {
            return Err(ReleaseError::Duplicate {
                path: path.into_string(),
            });
        }
        out.push(SbomFile {
            path,
            sha256,
            sha512,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::hash::hash_files;
    use serde_json::Value;

    fn digests() -> Vec<FileDigest> {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("bin/linux/amd64")).unwrap();
        std::fs::write(d.path().join("kubernetes.tar.gz"), b"abc").unwrap();
        std::fs::write(d.path().join("bin/linux/amd64/kubectl"), b"").unwrap();
        std::fs::write(d.path().join("bin/linux/amd64/kube_ctl"), b"x").unwrap();
        std::fs::write(d.path().join("bin/linux/amd64/kube-ctl"), b"y").unwrap();
        let files = crate::list_artifacts(d.path()).unwrap();
        hash_files(d.path(), &files).unwrap()
    }

    fn input() -> SbomInput {
        SbomInput {
            name: "kubernetes".into(),
            version: "v1.36.0".into(),
            namespace: "https://sbom.example/kubernetes/v1.36.0/0d8c".into(),
            created: time::macros::datetime!(2026-05-01 12:00 UTC),
        }
    }

    #[test]
    fn verification_code_matches_spec_vector() {
        // SHA-1("abc") and SHA-1(""), sorted and concatenated, then SHA-1 (computed with Python).
        let mk = |sha1: &str| FileDigest {
            path: "x".into(),
            size: 0,
            sha1: hex::decode(sha1).unwrap().try_into().unwrap(),
            sha256: [0; 32],
            sha512: [0; 64],
        };
        let files = [
            mk("da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            mk("a9993e364706816aba3e25717850c26c9cd0d89d"),
        ];
        assert_eq!(
            verification_code(&files),
            "29d0dbdfff975c93e2d75e5024fe8b650ec847af"
        );
    }

    #[test]
    fn json_has_required_fields_and_round_trips() {
        let files = digests();
        let doc = build(&input(), &files, &SbomPackages::default()).unwrap();
        let json = to_json(&doc).unwrap();
        let v: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["SPDXID"], "SPDXRef-DOCUMENT");
        assert_eq!(v["spdxVersion"], "SPDX-2.3");
        assert_eq!(v["dataLicense"], "CC0-1.0");
        assert_eq!(v["name"], "kubernetes");
        assert_eq!(v["documentNamespace"], input().namespace);
        assert_eq!(v["creationInfo"]["created"], "2026-05-01T12:00:00Z");
        // A signing time with a fraction of a second is written in whole seconds.
        let mut at = input();
        at.created = time::macros::datetime!(2026-05-01 12:00:01.847544236 UTC);
        let v: Value = serde_json::from_slice(
            &to_json(&build(&at, &files, &SbomPackages::default()).unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(v["creationInfo"]["created"], "2026-05-01T12:00:01Z");
        assert_eq!(
            v["creationInfo"]["creators"][0],
            format!("Tool: signet-{}", env!("CARGO_PKG_VERSION"))
        );
        let p = &v["packages"][0];
        assert_eq!(p["SPDXID"], "SPDXRef-Package-kubernetes");
        assert_eq!(p["versionInfo"], "v1.36.0");
        assert_eq!(p["downloadLocation"], "NOASSERTION");
        assert_eq!(p["filesAnalyzed"], true);
        assert_eq!(
            p["packageVerificationCode"]["packageVerificationCodeValue"],
            verification_code(&files)
        );
        let fs = v["files"].as_array().unwrap();
        assert_eq!(fs.len(), 4);
        // Sorted by path, IDs sanitized and unique even when sanitization collides.
        let ids: Vec<&str> = fs.iter().map(|f| f["SPDXID"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            [
                "SPDXRef-File-bin-linux-amd64-kube-ctl",
                "SPDXRef-File-bin-linux-amd64-kube-ctl-2",
                "SPDXRef-File-bin-linux-amd64-kubectl",
                "SPDXRef-File-kubernetes.tar.gz",
            ]
        );
        let tgz = &fs[3];
        assert_eq!(tgz["fileName"], "./kubernetes.tar.gz");
        assert_eq!(tgz["licenseConcluded"], "NOASSERTION");
        assert_eq!(tgz["copyrightText"], "NOASSERTION");
        let algs: Vec<&str> = tgz["checksums"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["algorithm"].as_str().unwrap())
            .collect();
        assert_eq!(algs, ["SHA1", "SHA256", "SHA512"]);
        assert_eq!(
            tgz["checksums"][1]["checksumValue"],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let rels = v["relationships"].as_array().unwrap();
        assert_eq!(rels.len(), 5);
        assert_eq!(rels[0]["relationshipType"], "DESCRIBES");
        assert_eq!(rels[0]["spdxElementId"], "SPDXRef-DOCUMENT");
        assert!(rels[1..].iter().all(|r| r["relationshipType"] == "CONTAINS"
            && r["spdxElementId"] == "SPDXRef-Package-kubernetes"));
        // Every element ID is unique and every relationship points at a defined element.
        let mut all: BTreeSet<&str> = ids.iter().copied().collect();
        all.insert("SPDXRef-DOCUMENT");
        all.insert("SPDXRef-Package-kubernetes");
        assert_eq!(all.len(), 6);
        for r in rels {
            assert!(all.contains(r["relatedSpdxElement"].as_str().unwrap()));
        }

        let back = parse_json(&json).unwrap();
        assert_eq!(back, doc);
        let listed = files_of(&back);
        assert_eq!(listed.len(), 4);
        let tar = listed
            .iter()
            .find(|f| f.path == "kubernetes.tar.gz")
            .unwrap();
        let orig = files
            .iter()
            .find(|f| f.path == "kubernetes.tar.gz")
            .unwrap();
        assert_eq!(tar.sha256, orig.sha256);
        assert_eq!(tar.sha512, Some(orig.sha512));
        // The parsed SBOM can be checked against files on disk like provenance subjects.
        let st = crate::provenance::build(&prov_input(), &listed).unwrap();
        assert!(
            crate::provenance::check_subjects(&st, &files)
                .unwrap()
                .is_ok()
        );
    }

    fn files_of(doc: &SpdxDocument) -> Vec<SbomFile> {
        file_digests(doc).unwrap()
    }

    fn prov_input() -> crate::provenance::ProvenanceInput {
        crate::provenance::ProvenanceInput {
            build_type: crate::provenance::DEFAULT_BUILD_TYPE.into(),
            builder_id: "https://b".into(),
            source: Some(crate::provenance::Source {
                uri: "git+https://s".into(),
                digest: [("gitCommit".to_owned(), "ab".into())].into(),
                git_ref: None,
            }),
            version: "v1".into(),
            extra_parameters: Default::default(),
            internal_parameters: None,
            materials: vec![],
            invocation_id: "i".into(),
            started_on: time::macros::datetime!(2026-05-01 12:00 UTC),
            finished_on: time::macros::datetime!(2026-05-01 12:00 UTC),
        }
    }

    #[test]
    fn tag_value_lists_every_file_and_checksum() {
        let files = digests();
        let doc = build(&input(), &files, &SbomPackages::default()).unwrap();
        let tv = to_tag_value(&doc).unwrap();
        assert!(tv.starts_with(
            "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n"
        ));
        assert!(tv.contains("DocumentNamespace: https://sbom.example/kubernetes/v1.36.0/0d8c\n"));
        assert!(tv.contains("Created: 2026-05-01T12:00:00Z\n"));
        assert!(tv.contains("FilesAnalyzed: true\n"));
        assert!(tv.contains(&format!(
            "PackageVerificationCode: {}\n",
            verification_code(&files)
        )));
        for f in &files {
            assert!(
                tv.contains(&format!("FileName: ./{}\n", f.path)),
                "{}",
                f.path
            );
            assert!(tv.contains(&format!("FileChecksum: SHA1: {}\n", hex::encode(f.sha1))));
            assert!(tv.contains(&format!(
                "FileChecksum: SHA256: {}\n",
                hex::encode(f.sha256)
            )));
            assert!(tv.contains(&format!(
                "FileChecksum: SHA512: {}\n",
                hex::encode(f.sha512)
            )));
        }
        assert!(
            tv.contains("Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-Package-kubernetes\n")
        );
        assert_eq!(
            tv.matches("Relationship: SPDXRef-Package-kubernetes CONTAINS ")
                .count(),
            4
        );
        assert_eq!(tv.matches("\nFileName: ").count(), 4);
        // Every line is "Tag: value" (no multi-line values were needed).
        assert!(
            tv.lines()
                .all(|l| l.is_empty() || l.split_once(": ").is_some())
        );
    }

    /// The example packages, and one named like the release.
    fn packages() -> SbomPackages {
        let mut v: Value = serde_json::from_str(crate::packages::EXAMPLE).unwrap();
        v["packages"][0]["license"] = "BSD-3-Clause OR MIT".into();
        v["packages"][1]["name"] = "kubernetes".into();
        SbomPackages::parse(&serde_json::to_vec(&v).unwrap()).unwrap()
    }

    #[test]
    fn listed_packages_are_packages_the_release_contains() {
        let files = digests();
        let doc = build(&input(), &files, &packages()).unwrap();
        let v: Value = serde_json::from_slice(&to_json(&doc).unwrap()).unwrap();
        let p = v["packages"].as_array().unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[0]["SPDXID"], "SPDXRef-Package-kubernetes");
        assert_eq!(
            p[1],
            serde_json::json!({
                "SPDXID": "SPDXRef-Package-golang.org-x-net-v0.30.0",
                "name": "golang.org/x/net",
                "versionInfo": "v0.30.0",
                "downloadLocation":
                    "https://proxy.golang.org/golang.org/x/net/@v/v0.30.0.zip",
                "filesAnalyzed": false,
                "licenseConcluded": "BSD-3-Clause OR MIT",
                "licenseDeclared": "BSD-3-Clause OR MIT",
                "copyrightText": "NOASSERTION",
                "supplier": "Organization: The Go Authors",
                "checksums": [{"algorithm": "SHA256", "checksumValue":
                    "4f2ba1d5c4a2b8e0d5a6f1e2c3b4a59687f0e1d2c3b4a5968778695a4b3c2d1e"}],
                "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": "pkg:golang/golang.org/x/net@v0.30.0"}],
            })
        );
        // A package named like the release gets its own identifier; nothing is asserted.
        assert_eq!(p[2]["SPDXID"], "SPDXRef-Package-kubernetes-2");
        assert_eq!(p[2]["downloadLocation"], "NOASSERTION");
        assert_eq!(p[2]["licenseConcluded"], "NOASSERTION");
        assert!(p[2].get("versionInfo").is_none() && p[2].get("externalRefs").is_none());
        let rels: Vec<String> = v["relationships"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{} {} {}",
                    r["spdxElementId"].as_str().unwrap(),
                    r["relationshipType"].as_str().unwrap(),
                    r["relatedSpdxElement"].as_str().unwrap()
                )
            })
            .collect();
        for id in [
            "SPDXRef-Package-golang.org-x-net-v0.30.0",
            "SPDXRef-Package-kubernetes-2",
        ] {
            assert!(
                rels.contains(&format!("SPDXRef-Package-kubernetes CONTAINS {id}")),
                "{rels:?}"
            );
        }
        assert_eq!(rels.len(), 1 + files.len() + 2);
        // Packages are no files: the release's files are still exactly the SBOM's.
        assert_eq!(file_digests(&doc).unwrap().len(), files.len());

        // Tag-value: the release package, its files, then the listed packages (a file after a
        // package belongs to it).
        let tv = to_tag_value(&doc).unwrap();
        let at = |needle: &str| tv.find(needle).unwrap_or_else(|| panic!("{needle}: {tv}"));
        let last_file = tv.rfind("\nFileName: ").unwrap();
        assert!(at("PackageName: kubernetes\n") < at("\nFileName: "));
        assert!(last_file < at("PackageName: golang.org/x/net\n"));
        for l in [
            "PackageSupplier: Organization: The Go Authors\n",
            "PackageChecksum: SHA256: 4f2ba1d5c4a2b8e0d5a6f1e2c3b4a59687f0e1d2c3b4a5968778695a4b3c2d1e\n",
            "PackageLicenseConcluded: BSD-3-Clause OR MIT\n",
            "ExternalRef: PACKAGE-MANAGER purl pkg:golang/golang.org/x/net@v0.30.0\n",
            "FilesAnalyzed: false\n",
            "Relationship: SPDXRef-Package-kubernetes CONTAINS SPDXRef-Package-kubernetes-2\n",
        ] {
            assert!(tv.contains(l), "{l}");
        }
    }

    #[test]
    fn a_urn_namespace_is_an_absolute_uri() {
        let mut i = input();
        i.namespace = "urn:uuid:0d8c6b1e-4f7e-4a0b-9c1d-2e3f4a5b6c7d".into();
        let doc = build(&i, &digests(), &SbomPackages::default()).unwrap();
        assert_eq!(doc.document_namespace, i.namespace);
        for bad_ns in ["not-a-uri", "https://x/#frag", "urn:uuid:a b", ""] {
            i.namespace = bad_ns.into();
            assert!(
                build(&i, &digests(), &SbomPackages::default()).is_err(),
                "{bad_ns}"
            );
        }
    }

    #[test]
    fn rejects_bad_input_and_documents() {
        let files = digests();
        let mut i = input();
        i.namespace = "https://x/#frag".into();
        assert!(build(&i, &files, &SbomPackages::default()).is_err());
        let mut i = input();
        i.namespace = "not-a-uri".into();
        assert!(build(&i, &files, &SbomPackages::default()).is_err());
        let mut i = input();
        i.name = "a\nb".into();
        assert!(build(&i, &files, &SbomPackages::default()).is_err());
        let mut dup = files.clone();
        dup.push(files[0].clone());
        assert!(build(&input(), &dup, &SbomPackages::default()).is_err());

        let doc = build(&input(), &files, &SbomPackages::default()).unwrap();
        let mut v: Value = serde_json::to_value(&doc).unwrap();
        v["spdxVersion"] = "SPDX-3.0".into();
        assert!(parse_json(&serde_json::to_vec(&v).unwrap()).is_err());
        assert!(parse_json(b"[]").is_err());
        assert!(parse_json(&vec![b' '; MAX_SBOM_BYTES + 1]).is_err());

        let mut evil = doc.clone();
        evil.files[0].file_name = "./../../etc/passwd".into();
        assert!(file_digests(&evil).is_err());
        let mut evil = doc.clone();
        evil.files[0].checksums.retain(|c| c.algorithm != "SHA256");
        assert!(file_digests(&evil).is_err());
        let mut evil = doc.clone();
        evil.files[0].checksums[1].checksum_value = "00".into();
        assert!(file_digests(&evil).is_err());
        let mut evil = doc.clone();
        let c = evil.files[0].checksums[1].clone();
        evil.files[0].checksums.push(c);
        assert!(file_digests(&evil).is_err());
        let mut evil = doc;
        let f = evil.files[0].clone();
        evil.files.push(f);
        assert!(file_digests(&evil).is_err());
    }
}
