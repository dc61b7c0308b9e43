//! The packages a release contains, as the caller lists them (`sign-release --sbom-packages
//! FILE`), for the SBOMs: each becomes an SPDX package and a CycloneDX component.
//!
//! The file is one JSON object, `{"packages": [ … ]}`, each package an object with these
//! fields (only `name` is required; any other field is an error, so a misspelt one is never
//! silently dropped):
//!
//! | field | meaning | checked |
//! |---|---|---|
//! | `name` | package name, e.g. `golang.org/x/net` | one line, not empty |
//! | `version` | its version | one line, not empty |
//! | `purl` | package URL, `pkg:golang/golang.org/x/net@v0.30.0` | a valid purl, no spaces |
//! | `license` | SPDX license expression, `Apache-2.0 OR MIT` | SPDX License List ids only |
//! | `downloadLocation` | URL or VCS location (`git+https://…`) | absolute URL with a host |
//! | `supplier` | the organization that supplied it | one line, no parentheses |
//! | `sha256` | SHA-256 of what was downloaded | 64 hexadecimal digits |
//!
//! A package may appear once per version (the same `name` and `version` twice is an error). The
//! file is at most [`MAX_PACKAGES_BYTES`] and lists at most [`MAX_PACKAGES`] packages; each
//! field is at most [`MAX_FIELD_BYTES`].

use std::collections::BTreeSet;
use std::str::FromStr;

use serde::Deserialize;

use crate::error::check_limit;
use crate::{ReleaseError, Result};

/// Largest packages file [`SbomPackages::parse`] accepts (16 MiB).
pub const MAX_PACKAGES_BYTES: usize = 16 << 20;
/// Most packages one release's SBOM lists.
pub const MAX_PACKAGES: usize = 100_000;
/// Longest value of one field of a package (8 KiB).
pub const MAX_FIELD_BYTES: usize = 8 << 10;

/// What the error messages call the packages file.
const WHAT: &str = "SBOM packages";

/// One package of the release, as the caller describes it (see the [module](self) docs).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PackageInfo {
    /// Package name.
    pub name: String,
    /// Package version.
    #[serde(default)]
    pub version: Option<String>,
    /// Package URL (`pkg:type/namespace/name@version`).
    #[serde(default)]
    pub purl: Option<String>,
    /// SPDX license expression.
    #[serde(default)]
    pub license: Option<String>,
    /// URL or VCS location it was downloaded from.
    #[serde(default)]
    pub download_location: Option<String>,
    /// The organization that supplied it.
    #[serde(default)]
    pub supplier: Option<String>,
    /// SHA-256 of the downloaded package.
    #[serde(default)]
    pub sha256: Option<Sha256Hex>,
}

/// A SHA-256 written as 64 hexadecimal digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct Sha256Hex(#[serde(with = "crate::hexser")] pub [u8; 32]);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackagesFile {
    packages: Vec<PackageInfo>,
}

/// The checked packages of a release (see the [module](self) docs); empty by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SbomPackages(Vec<PackageInfo>);

impl SbomPackages {
    /// Parses and checks a packages file (`{"packages": [ … ]}`).
    pub fn parse(data: &[u8]) -> Result<Self> {
        check_limit(WHAT, data.len(), MAX_PACKAGES_BYTES)?;
        let file: PackagesFile = serde_json::from_slice(data)
            .map_err(|source| ReleaseError::Json { what: WHAT, source })?;
        Self::new(file.packages)
    }

    /// Checks `packages`: every field (see the [module](self) docs), their number, and that no
    /// name and version appears twice.
    pub fn new(packages: Vec<PackageInfo>) -> Result<Self> {
        check_limit("SBOM packages count", packages.len(), MAX_PACKAGES)?;
        let mut seen = BTreeSet::new();
        for (i, p) in packages.iter().enumerate() {
            let at = |reason: String| {
                ReleaseError::invalid(
                    WHAT,
                    format!("package {} ({:?}): {reason}", i.saturating_add(1), p.name),
                )
            };
            check(p).map_err(at)?;
            if !seen.insert((p.name.as_str(), p.version.as_deref())) {
                return Err(at("the same name and version is listed twice".into()));
            }
        }
        Ok(Self(packages))
    }

    /// The packages, in the order given.
    pub fn as_slice(&self) -> &[PackageInfo] {
        &self.0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One line of text: not empty, no control characters, at most [`MAX_FIELD_BYTES`].
fn line(field: &str, v: &str) -> std::result::Result<(), String> {
    if v.trim().is_empty() || v.chars().any(char::is_control) {
        return Err(format!(
            "{field} must be one line of text without control characters"
        ));
    }
    if v.len() > MAX_FIELD_BYTES {
        return Err(format!("{field} is longer than {MAX_FIELD_BYTES} bytes"));
    }
    Ok(())
}

fn check(p: &PackageInfo) -> std::result::Result<(), String> {
    line("name", &p.name)?;
    if let Some(v) = &p.version {
        line("version", v)?;
    }
    if let Some(purl) = &p.purl {
        line("purl", purl)?;
        if purl.contains(char::is_whitespace) {
            return Err(format!("purl {purl:?} contains white space"));
        }
        packageurl::PackageUrl::from_str(purl)
            .map_err(|e| format!("purl {purl:?} is not a package URL: {e}"))?;
    }
    if let Some(l) = &p.license {
        line("license", l)?;
        check_license(l)?;
    }
    if let Some(d) = &p.download_location {
        line("downloadLocation", d)?;
        check_download_location(d)?;
    }
    if let Some(s) = &p.supplier {
        line("supplier", s)?;
        // SPDX writes `Organization: NAME (EMAIL)`: parentheses would be read as an e-mail.
        if s.contains(['(', ')']) {
            return Err(format!("supplier {s:?} contains parentheses"));
        }
    }
    Ok(())
}

/// An SPDX license expression over SPDX License List identifiers (a `LicenseRef-` would need
/// its license text in the SBOM, which the packages file does not carry).
fn check_license(l: &str) -> std::result::Result<(), String> {
    let expr = spdx::Expression::parse(l)
        .map_err(|e| format!("license {l:?} is not an SPDX license expression: {e}"))?;
    for r in expr.requirements() {
        let other_license = matches!(r.req.license, spdx::LicenseItem::Other(_));
        let other_addition = matches!(r.req.addition, Some(spdx::AdditionItem::Other(_)));
        if other_license || other_addition {
            return Err(format!(
                "license {l:?}: only SPDX License List identifiers are supported (no \
                 LicenseRef-/AdditionRef-)"
            ));
        }
    }
    Ok(())
}

/// A URL with a scheme and a host (`https://…`, or a VCS location such as `git+https://…`), as
/// SPDX's `downloadLocation` and CycloneDX's `distribution` reference take.
fn check_download_location(d: &str) -> std::result::Result<(), String> {
    let ok = !d.contains(char::is_whitespace)
        && url::Url::parse(d).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "downloadLocation {d:?} is not an absolute URL with a host (e.g. https://… or \
             git+https://…)"
        ))
    }
}

/// A packages file for tests: one package with every field, one with a name only.
#[cfg(test)]
pub(crate) const EXAMPLE: &str = r#"{"packages": [
    {"name": "golang.org/x/net", "version": "v0.30.0",
     "purl": "pkg:golang/golang.org/x/net@v0.30.0", "license": "BSD-3-Clause",
     "downloadLocation": "https://proxy.golang.org/golang.org/x/net/@v/v0.30.0.zip",
     "supplier": "The Go Authors",
     "sha256": "4f2ba1d5c4a2b8e0d5a6f1e2c3b4a59687f0e1d2c3b4a5968778695a4b3c2d1e"},
    {"name": "etcd"}
]}"#;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const FULL: &str = EXAMPLE;

    #[test]
    fn a_full_and_a_minimal_package_parse() {
        let p = SbomPackages::parse(FULL.as_bytes()).unwrap();
        let [a, b] = p.as_slice() else {
            panic!("{p:?}")
        };
        assert_eq!(a.name, "golang.org/x/net");
        assert_eq!(a.version.as_deref(), Some("v0.30.0"));
        assert_eq!(a.license.as_deref(), Some("BSD-3-Clause"));
        assert_eq!(a.supplier.as_deref(), Some("The Go Authors"));
        assert_eq!(
            hex::encode(a.sha256.unwrap().0),
            "4f2ba1d5c4a2b8e0d5a6f1e2c3b4a59687f0e1d2c3b4a5968778695a4b3c2d1e"
        );
        assert_eq!(b.name, "etcd");
        assert_eq!(b.version, None);
        assert!(
            SbomPackages::parse(br#"{"packages": []}"#)
                .unwrap()
                .is_empty()
        );
    }

    /// `FULL` with its first package's `field` set to `value`, parsed: the error message.
    fn error_with(field: &str, value: serde_json::Value) -> String {
        let mut v: serde_json::Value = serde_json::from_str(FULL).unwrap();
        v["packages"][0][field] = value;
        SbomPackages::parse(&serde_json::to_vec(&v).unwrap())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_input_is_refused_with_a_clear_error() {
        for (field, value, says) in [
            ("licence", "MIT".into(), "unknown field `licence`"),
            ("name", "".into(), "package 1 (\"\"): name must be one line"),
            ("name", serde_json::Value::Null, "invalid type: null"),
            ("version", "1\n2".into(), "version must be one line"),
            ("purl", "golang.org/x/net".into(), "is not a package URL"),
            (
                "purl",
                "pkg:golang/x/net@v1 2".into(),
                "contains white space",
            ),
            (
                "license",
                "Apache 2.0".into(),
                "is not an SPDX license expression",
            ),
            (
                "license",
                "MIT OR".into(),
                "is not an SPDX license expression",
            ),
            ("license", "LicenseRef-mine".into(), "no LicenseRef-"),
            (
                "downloadLocation",
                "proxy.golang.org/x".into(),
                "not an absolute URL",
            ),
            ("downloadLocation", "urn:x:y".into(), "not an absolute URL"),
            ("supplier", "Acme (EU)".into(), "contains parentheses"),
            ("sha256", "abcd".into(), "expected 64 hexadecimal digits"),
            (
                "name",
                "x".repeat(MAX_FIELD_BYTES + 1).into(),
                "longer than 8192 bytes",
            ),
        ] {
            let e = error_with(field, value);
            assert!(e.contains(says), "{field}: {e}");
            assert!(e.starts_with("SBOM packages"), "{e}");
        }
        let e = SbomPackages::parse(br#"{"packages": [], "extra": 1}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `extra`"), "{e}");
        let e = SbomPackages::parse(br#"[{"name": "a"}]"#).unwrap_err();
        assert!(e.to_string().contains("invalid type"), "{e}");
        let e =
            SbomPackages::parse(br#"{"packages": [{"name": "a"}, {"name": "a"}]}"#).unwrap_err();
        assert!(
            e.to_string().contains("package 2 (\"a\"): the same name"),
            "{e}"
        );
        // The same name in two versions is two packages.
        SbomPackages::parse(
            br#"{"packages": [{"name": "a", "version": "1"}, {"name": "a", "version": "2"}]}"#,
        )
        .unwrap();
        assert!(SbomPackages::parse(&vec![b' '; MAX_PACKAGES_BYTES + 1]).is_err());
        let many = vec![
            PackageInfo {
                name: "a".into(),
                version: None,
                purl: None,
                license: None,
                download_location: None,
                supplier: None,
                sha256: None,
            };
            MAX_PACKAGES + 1
        ];
        let e = SbomPackages::new(many).unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
    }

    #[test]
    fn license_expressions_and_locations_that_are_fine() {
        for l in [
            "MIT",
            "Apache-2.0 OR MIT",
            "(MIT AND BSD-3-Clause) OR Apache-2.0",
            "GPL-2.0-only WITH Classpath-exception-2.0",
        ] {
            check_license(l).unwrap();
        }
        for d in [
            "https://github.com/etcd-io/etcd/archive/v3.5.0.tar.gz",
            "git+https://github.com/etcd-io/etcd@v3.5.0",
        ] {
            check_download_location(d).unwrap();
        }
    }
}
