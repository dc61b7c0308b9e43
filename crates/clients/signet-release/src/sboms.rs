//! The SBOMs of a release: which formats `sign-release` writes (SPDX 2.3 JSON and tag-value,
//! CycloneDX 1.6 JSON), what goes into them (name, version, files, the packages the caller
//! lists, a unique identifier and the time), and whether the SBOMs a release has are still what
//! a signing run would write.
//!
//! Each run gives its SBOMs fresh identifiers from 16 random bytes, as a version 4 UUID: the
//! SPDX `documentNamespace` is `urn:uuid:<uuid>`, or `<base>/<name>/<version>/<uuid>` under a
//! base URI the operator controls ([`SbomOptions::namespace`]); the CycloneDX `serialNumber` is
//! `urn:uuid:<uuid>`.

use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::limits::SBOM_FILE;
use crate::packages::SbomPackages;
use crate::sbom::SbomFile;
use crate::{
    FileDigest, ReleaseError, Result, SBOM_CYCLONEDX, SBOM_JSON, SBOM_TAG_VALUE,
    SIGNATURE_SUFFIXES, cyclonedx, read_optional, sbom, side, write_atomic,
};

/// One SBOM format a release can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SbomFormat {
    /// SPDX 2.3: [`SBOM_JSON`] and [`SBOM_TAG_VALUE`] (the same document twice).
    Spdx,
    /// CycloneDX 1.6: [`SBOM_CYCLONEDX`].
    CycloneDx,
}

impl SbomFormat {
    /// Every format.
    pub const ALL: [Self; 2] = [Self::Spdx, Self::CycloneDx];

    /// The files of this format at the release root, each signed.
    pub fn files(self) -> &'static [&'static str] {
        match self {
            Self::Spdx => &[SBOM_JSON, SBOM_TAG_VALUE],
            Self::CycloneDx => &[SBOM_CYCLONEDX],
        }
    }

    /// The file whose file checksums verification compares with the release's files.
    pub fn checked_file(self) -> &'static str {
        match self {
            Self::Spdx => SBOM_JSON,
            Self::CycloneDx => SBOM_CYCLONEDX,
        }
    }

    /// The format's name and version (`SPDX 2.3`, `CycloneDX 1.6`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Spdx => "SPDX 2.3",
            Self::CycloneDx => "CycloneDX 1.6",
        }
    }

    /// Whether any file of this format, or a signature file of one, is in `dir`.
    pub fn any_file_in(self, dir: &Path) -> bool {
        self.files().iter().any(|f| {
            dir.join(f).exists() || SIGNATURE_SUFFIXES.iter().any(|s| side(dir, f, s).exists())
        })
    }
}

/// The SBOM formats `sign-release` writes (at least one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SbomFormats {
    /// SPDX 2.3 only.
    Spdx,
    /// CycloneDX 1.6 only.
    CycloneDx,
    /// Both (the default).
    #[default]
    Both,
}

impl SbomFormats {
    /// The formats chosen.
    pub fn formats(self) -> &'static [SbomFormat] {
        match self {
            Self::Spdx => &[SbomFormat::Spdx],
            Self::CycloneDx => &[SbomFormat::CycloneDx],
            Self::Both => &SbomFormat::ALL,
        }
    }

    /// Whether `f` is chosen.
    pub fn includes(self, f: SbomFormat) -> bool {
        self.formats().contains(&f)
    }
}

/// What the caller decides about a release's SBOMs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SbomOptions {
    /// The formats to write; the files of the others are removed with their signatures.
    pub formats: SbomFormats,
    /// Base URI of the SPDX document namespace, one the operator controls (e.g.
    /// `https://sbom.example.org/myproj`): the namespace is `<base>/<name>/<version>/<uuid>`.
    /// Without it, `urn:uuid:<uuid>`.
    pub namespace: Option<String>,
    /// The packages the release contains.
    pub packages: SbomPackages,
}

/// What one signing run puts into a release's SBOMs.
#[derive(Clone, Copy, Debug)]
pub struct SbomPlan<'a> {
    /// Release name.
    pub name: &'a str,
    /// Release version.
    pub version: &'a str,
    /// Formats, namespace and packages.
    pub options: &'a SbomOptions,
    /// The release's hashed files.
    pub files: &'a [FileDigest],
}

/// The version 4 UUID made of 16 random bytes (version and variant bits set).
pub fn uuid_v4(random: [u8; 16]) -> Uuid {
    uuid::Builder::from_random_bytes(random).into_uuid()
}

/// A path segment keeps letters, digits and `-._~`; anything else is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Checks a namespace base: an absolute URI without query, fragment or white space.
pub fn check_namespace_base(base: &str) -> Result<()> {
    if sbom::is_namespace_uri(base) && !base.contains('?') {
        Ok(())
    } else {
        Err(ReleaseError::invalid(
            "SBOM namespace",
            format!(
                "{base:?} is not an absolute URI without query, '#' or spaces (e.g. \
                 https://sbom.example.org/myproj)"
            ),
        ))
    }
}

/// The SPDX document namespace for `id`: `urn:uuid:<id>` without a base, else
/// `<base>/<name>/<version>/<id>` (name and version percent-encoded as path segments).
pub fn namespace(base: Option<&str>, name: &str, version: &str, id: Uuid) -> Result<String> {
    match base {
        None => Ok(id.urn().to_string()),
        Some(base) => {
            check_namespace_base(base)?;
            Ok(format!(
                "{}/{}/{}/{}",
                base.trim_end_matches('/'),
                utf8_percent_encode(name, SEGMENT),
                utf8_percent_encode(version, SEGMENT),
                id.hyphenated()
            ))
        }
    }
}

impl SbomPlan<'_> {
    /// Checks what can be wrong before anything is signed: name, version, namespace base.
    pub fn check(&self) -> Result<()> {
        sbom::check_line("name", self.name)?;
        sbom::check_line("version", self.version)?;
        if let Some(base) = &self.options.namespace {
            check_namespace_base(base)?;
        }
        Ok(())
    }

    /// The files of `format` (name, content) with the identifier `id` and time `created`.
    pub fn render(
        &self,
        format: SbomFormat,
        id: Uuid,
        created: OffsetDateTime,
    ) -> Result<Vec<(&'static str, Vec<u8>)>> {
        let packages = &self.options.packages;
        match format {
            SbomFormat::Spdx => {
                let doc = sbom::build(
                    &sbom::SbomInput {
                        name: self.name.into(),
                        version: self.version.into(),
                        namespace: namespace(
                            self.options.namespace.as_deref(),
                            self.name,
                            self.version,
                            id,
                        )?,
                        created,
                    },
                    self.files,
                    packages,
                )?;
                Ok(vec![
                    (SBOM_JSON, sbom::to_json(&doc)?),
                    (SBOM_TAG_VALUE, sbom::to_tag_value(&doc)?.into_bytes()),
                ])
            }
            SbomFormat::CycloneDx => {
                let bom = cyclonedx::build(
                    &cyclonedx::BomInput {
                        name: self.name.into(),
                        version: self.version.into(),
                        serial: id,
                        created,
                    },
                    self.files,
                    packages,
                )?;
                Ok(vec![(SBOM_CYCLONEDX, cyclonedx::to_json(&bom)?)])
            }
        }
    }

    /// Writes the SBOMs of the chosen formats into `dir` (a fresh identifier from `random`
    /// for each, time `created`) after removing every file of the other formats with its
    /// signature files (a re-run never leaves a stale signed SBOM). Returns the files
    /// written, which the caller signs.
    pub fn write(
        &self,
        dir: &Path,
        random: &dyn Fn() -> [u8; 16],
        created: OffsetDateTime,
    ) -> Result<Vec<&'static str>> {
        for format in SbomFormat::ALL {
            if !self.options.formats.includes(format) {
                remove_with_signatures(dir, format.files())?;
            }
        }
        let mut written = Vec::new();
        for &format in self.options.formats.formats() {
            for (name, bytes) in self.render(format, uuid_v4(random()), created)? {
                write_atomic(&dir.join(name), &bytes)?;
                written.push(name);
            }
        }
        Ok(written)
    }

    /// Whether `dir` holds exactly the SBOMs this plan asks for: each file of a chosen format
    /// is what [`write`](Self::write) would write (up to its identifier and time, read back
    /// from the file) and `signed` says it carries a signature over its SHA-256; no file of
    /// another format is there.
    pub fn current(&self, dir: &Path, signed: &dyn Fn(&str, &[u8; 32]) -> bool) -> bool {
        SbomFormat::ALL.iter().all(|&format| {
            if !self.options.formats.includes(format) {
                return !format.any_file_in(dir);
            }
            let Some((id, created)) = stamp(dir, format) else {
                return false;
            };
            self.render(format, id, created).is_ok_and(|files| {
                files.iter().all(|(name, bytes)| {
                    read_optional(&dir.join(name), SBOM_FILE)
                        .is_ok_and(|b| b.as_deref() == Some(bytes.as_slice()))
                        && signed(name, &signet_crypto::sha256(bytes).0)
                })
            })
        })
    }
}

/// The identifier and time of the SBOM of `format` in `dir`, if it has one that parses.
fn stamp(dir: &Path, format: SbomFormat) -> Option<(Uuid, OffsetDateTime)> {
    let bytes = read_optional(&dir.join(format.checked_file()), SBOM_FILE).ok()??;
    let (id, created) = match format {
        SbomFormat::Spdx => {
            let doc = sbom::parse_json(&bytes).ok()?;
            let ns = doc.document_namespace;
            let id = ns.rsplit(['/', ':']).next().map(str::to_owned)?;
            (id, doc.creation_info.created)
        }
        SbomFormat::CycloneDx => {
            let bom = cyclonedx::parse_json(&bytes).ok()?;
            let id = bom.serial_number?.strip_prefix("urn:uuid:")?.to_owned();
            (id, bom.metadata?.timestamp?)
        }
    };
    Some((
        Uuid::parse_str(&id).ok()?,
        OffsetDateTime::parse(&created, &Rfc3339).ok()?,
    ))
}

/// Removes each of `files` in `dir` and its signature files, those that exist.
fn remove_with_signatures(dir: &Path, files: &[&str]) -> Result<()> {
    for f in files {
        let paths =
            std::iter::once(dir.join(f)).chain(SIGNATURE_SUFFIXES.iter().map(|s| side(dir, f, s)));
        for p in paths {
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(ReleaseError::io("remove", &p, e)),
            }
        }
    }
    Ok(())
}

/// A package an SBOM says the release contains.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SbomPackage {
    /// Package name.
    pub name: String,
    /// Version, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// License expression, if given (and not `NOASSERTION`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
}

/// What an SBOM lists: its files (with the digests verification compares) and the packages
/// the release contains — in SPDX every package but the one the document DESCRIBES (the
/// release), in CycloneDX every component that is not a file (nor the release, which is the
/// metadata's component). Parses `bytes` once.
pub fn read(format: SbomFormat, bytes: &[u8]) -> Result<(Vec<SbomFile>, Vec<SbomPackage>)> {
    let known = |l: Option<&str>| {
        l.filter(|l| !l.is_empty() && *l != sbom::NOASSERTION && *l != "NONE")
            .map(str::to_string)
    };
    match format {
        SbomFormat::Spdx => {
            let doc = sbom::parse_json(bytes)?;
            let described: std::collections::BTreeSet<&str> = doc
                .relationships
                .iter()
                .filter(|r| r.relationship_type == "DESCRIBES")
                .map(|r| r.related_spdx_element.as_str())
                .collect();
            let packages = doc
                .packages
                .iter()
                .filter(|p| !described.contains(p.spdx_id.as_str()))
                .map(|p| SbomPackage {
                    name: p.name.clone(),
                    version: p.version_info.clone(),
                    license: known(
                        p.license_concluded
                            .as_deref()
                            .or(p.license_declared.as_deref()),
                    ),
                })
                .collect();
            Ok((sbom::file_digests(&doc)?, packages))
        }
        SbomFormat::CycloneDx => {
            let bom = cyclonedx::parse_json(bytes)?;
            let packages = bom
                .components
                .iter()
                .filter(|c| c.component_type != cyclonedx::TYPE_FILE)
                .map(|c| SbomPackage {
                    name: c.name.clone(),
                    version: c.version.clone(),
                    license: known(c.licenses.iter().find_map(|l| {
                        match l {
                            cyclonedx::LicenseChoice::Expression { expression } => {
                                Some(expression.as_str())
                            }
                            cyclonedx::LicenseChoice::License { license } => license
                                .get("id")
                                .or_else(|| license.get("name"))
                                .and_then(|v| v.as_str()),
                        }
                    })),
                })
                .collect();
            Ok((cyclonedx::file_digests(&bom)?, packages))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_v4_uuid_from_random_bytes() {
        let id = uuid_v4([0xff; 16]);
        assert_eq!(id.to_string(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(id.get_version_num(), 4);
        assert_eq!(
            uuid_v4([0; 16]).urn().to_string(),
            "urn:uuid:00000000-0000-4000-8000-000000000000"
        );
    }

    #[test]
    fn the_namespace_is_a_urn_or_under_the_operators_base() {
        let id = uuid_v4([1; 16]);
        assert_eq!(
            namespace(None, "k8s", "v1", id).unwrap(),
            "urn:uuid:01010101-0101-4101-8101-010101010101"
        );
        assert_eq!(
            namespace(
                Some("https://sbom.example.org/myproj/"),
                "my release",
                "v1.0+b/1",
                id
            )
            .unwrap(),
            "https://sbom.example.org/myproj/my%20release/v1.0%2Bb%2F1/\
             01010101-0101-4101-8101-010101010101"
        );
        for base in [
            "sbom.example.org/x",
            "https://x/#f",
            "https://x/?q=1",
            "https://x/ y",
            "",
        ] {
            let e = namespace(Some(base), "n", "v", id).unwrap_err();
            assert!(e.to_string().contains("not an absolute URI"), "{base}: {e}");
        }
        assert!(sbom::is_namespace_uri(
            &namespace(Some("urn:example:sbom"), "n", "v", id).unwrap()
        ));
    }

    fn plan_in(dir: &Path, options: &SbomOptions, f: impl FnOnce(&SbomPlan<'_>)) {
        let files = crate::list_artifacts(dir).unwrap();
        let digests = crate::hash_files(dir, &files).unwrap();
        f(&SbomPlan {
            name: "r",
            version: "v1",
            options,
            files: &digests,
        });
    }

    #[test]
    fn written_sboms_are_current_until_anything_in_them_would_change() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("a"), "a").unwrap();
        let at = time::macros::datetime!(2026-05-01 12:00:01.25 UTC);
        let random = || [9u8; 16];
        let yes = |_: &str, _: &[u8; 32]| true;
        let both = SbomOptions::default();
        plan_in(dir, &both, |p| {
            assert!(!p.current(dir, &yes));
            let written = p.write(dir, &random, at).unwrap();
            assert_eq!(written, [SBOM_JSON, SBOM_TAG_VALUE, SBOM_CYCLONEDX]);
            assert!(p.current(dir, &yes));
            // Not signed over these bytes: not current.
            assert!(!p.current(dir, &|n, _| n != SBOM_CYCLONEDX));
        });
        // Another base, other packages, another version: not current.
        let based = SbomOptions {
            namespace: Some("https://sbom.example.org/p".into()),
            ..SbomOptions::default()
        };
        plan_in(dir, &based, |p| assert!(!p.current(dir, &yes)));
        let with_packages = SbomOptions {
            packages: SbomPackages::parse(br#"{"packages": [{"name": "x"}]}"#).unwrap(),
            ..SbomOptions::default()
        };
        plan_in(dir, &with_packages, |p| assert!(!p.current(dir, &yes)));
        plan_in(dir, &both, |p| {
            let v2 = SbomPlan {
                version: "v2",
                ..*p
            };
            assert!(!v2.current(dir, &yes));
        });
        // SPDX only: the CycloneDX file (and its signatures) make it stale, and are removed.
        std::fs::write(dir.join("release.cdx.json.sigstore.json"), "{}").unwrap();
        let spdx = SbomOptions {
            formats: SbomFormats::Spdx,
            ..SbomOptions::default()
        };
        plan_in(dir, &spdx, |p| {
            assert!(!p.current(dir, &yes));
            std::fs::remove_file(dir.join(SBOM_CYCLONEDX)).unwrap();
            // Its signature file alone is still a stale SBOM.
            assert!(!p.current(dir, &yes));
            assert!(SbomFormat::CycloneDx.any_file_in(dir));
            assert_eq!(
                p.write(dir, &random, at).unwrap(),
                [SBOM_JSON, SBOM_TAG_VALUE]
            );
            assert!(!SbomFormat::CycloneDx.any_file_in(dir));
            assert!(p.current(dir, &yes));
        });
        // The files written have the stamp read back.
        let (id, created) = stamp(dir, SbomFormat::Spdx).unwrap();
        assert_eq!(id, uuid_v4([9; 16]));
        assert_eq!(created, time::macros::datetime!(2026-05-01 12:00:01 UTC));
    }
}
