//! CycloneDX 1.6 JSON SBOM of a release ([`SBOM_CYCLONEDX`](crate::SBOM_CYCLONEDX)), plus a
//! bounded reader for verification.
//!
//! The document (hand-written serde structs; field names and values from the CycloneDX 1.6 JSON
//! schema, `bom-1.6.schema.json`) holds:
//!
//! * `bomFormat: CycloneDX`, `specVersion: 1.6`, a `serialNumber` `urn:uuid:<uuid>` unique to
//!   the signing run, `version: 1`;
//! * `metadata`: the signing time in whole seconds, `tools.components` with signet (type
//!   `application`), and the release itself as `metadata.component` (type `application`, its
//!   name and version, `bom-ref` `release:<name>@<version>`);
//! * one component per release file: type `file`, `name` its release path, `bom-ref`
//!   `file:<path>`, `hashes` SHA-1, SHA-256 and SHA-512 (CycloneDX's names for them);
//! * one component per [`PackageInfo`] the caller lists: type `library`, `bom-ref`
//!   `package:<name>@<version>`, `supplier.name`, `version`, `purl`, `licenses` as one SPDX
//!   `expression`, a `SHA-256` hash and a `distribution` external reference to its download
//!   location, each when given;
//! * `dependencies`, when packages are listed: the release `dependsOn` each of them (the
//!   CycloneDX way to say what an application is built from; without packages the release's
//!   dependencies are unknown and no graph is written).
//!
//! [`parse_json`] reads a document back (bounded size and component count; unknown fields are
//! ignored) and [`file_digests`] gives the files it lists with their digests, which
//! verification compares with the release's files as it does the SPDX SBOM's.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::check_limit;
use crate::packages::{PackageInfo, SbomPackages};
use crate::provenance::rfc3339;
use crate::sbom::{SbomFile, check_line, listed_files, sorted_unique, unique_id};
use crate::{FileDigest, ReleaseError, Result, packages, sbom};

/// `bomFormat` of every CycloneDX document.
pub const BOM_FORMAT: &str = "CycloneDX";
/// `specVersion` written.
pub const SPEC_VERSION: &str = "1.6";
/// `specVersion`s [`parse_json`] reads (the hash algorithm names are the same in all of them).
pub const READ_SPEC_VERSIONS: [&str; 3] = ["1.4", "1.5", "1.6"];
/// Largest document [`parse_json`] accepts (as large as an SPDX SBOM: 64 MiB).
pub const MAX_BOM_BYTES: usize = sbom::MAX_SBOM_BYTES;
/// Most components [`parse_json`] accepts: as many files as an SPDX SBOM, and the packages.
pub const MAX_COMPONENTS: usize = sbom::MAX_SBOM_FILES.saturating_add(packages::MAX_PACKAGES);

/// Component type of a release file.
pub const TYPE_FILE: &str = "file";
/// Hash algorithm names (CycloneDX `hash-alg`) of the digests signet writes.
pub const SHA1: &str = "SHA-1";
/// See [`SHA1`].
pub const SHA256: &str = "SHA-256";
/// See [`SHA1`].
pub const SHA512: &str = "SHA-512";

/// CycloneDX BOM (the subset signet writes; unknown fields are ignored when reading).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    /// `CycloneDX`.
    pub bom_format: String,
    /// `1.6`.
    pub spec_version: String,
    /// `urn:uuid:<uuid>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// Version of this BOM (signet writes 1).
    #[serde(default = "one")]
    pub version: u64,
    /// When, by what, about what.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// Components: the release's files and packages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// Dependency graph.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
}

fn one() -> u64 {
    1
}

/// BOM `metadata`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// Creation time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The tools that made the BOM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Tools>,
    /// What the BOM describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
}

/// `metadata.tools`: the 1.5+ object form, or the legacy array (read only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Tools {
    /// `{"components": [...]}`.
    Components {
        /// Tools as components.
        #[serde(default)]
        components: Vec<Component>,
    },
    /// `[{"vendor": ..., "name": ...}]` (deprecated since 1.5).
    Legacy(Vec<serde_json::Value>),
}

/// A component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// `application`, `library`, `file`, ...
    #[serde(rename = "type")]
    pub component_type: String,
    /// Reference unique within the BOM.
    #[serde(rename = "bom-ref", default, skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    /// Who supplied it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<OrganizationalEntity>,
    /// Name (a file's release path).
    pub name: String,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Digests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
    /// Licenses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<LicenseChoice>,
    /// Package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// External references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
}

/// An organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationalEntity {
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hash {
    /// `SHA-1`, `SHA-256`, `SHA-512`, ...
    pub alg: String,
    /// Hexadecimal digest.
    pub content: String,
}

/// One entry of `licenses`: an SPDX expression (what signet writes) or a license object (read
/// only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LicenseChoice {
    /// `{"expression": "Apache-2.0 OR MIT"}`.
    Expression {
        /// SPDX license expression.
        expression: String,
    },
    /// `{"license": {...}}`.
    License {
        /// The license object.
        license: serde_json::Value,
    },
}

/// An external reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalReference {
    /// `distribution`, `vcs`, `website`, ...
    #[serde(rename = "type")]
    pub reference_type: String,
    /// Where.
    pub url: String,
}

/// One node of the dependency graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// The component (`bom-ref`).
    #[serde(rename = "ref")]
    pub reference: String,
    /// What it depends on (`bom-ref`s).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// Caller-given document metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BomInput {
    /// Release name.
    pub name: String,
    /// Release version.
    pub version: String,
    /// Serial number of this document (written `urn:uuid:<serial>`).
    pub serial: Uuid,
    /// Creation time (written in whole seconds).
    pub created: OffsetDateTime,
}

fn bad(reason: impl Into<String>) -> ReleaseError {
    ReleaseError::invalid("CycloneDX SBOM", reason)
}

fn hash(alg: &str, v: &[u8]) -> Hash {
    Hash {
        alg: alg.into(),
        content: hex::encode(v),
    }
}

fn component(component_type: &str, bom_ref: String, name: &str) -> Component {
    Component {
        component_type: component_type.into(),
        bom_ref: Some(bom_ref),
        supplier: None,
        name: name.into(),
        version: None,
        hashes: Vec::new(),
        licenses: Vec::new(),
        purl: None,
        external_references: Vec::new(),
    }
}

/// Builds the BOM for the release's hashed files (any order; written sorted by path) and the
/// packages it contains.
pub fn build(input: &BomInput, files: &[FileDigest], packages: &SbomPackages) -> Result<Bom> {
    check_line("name", &input.name)?;
    check_line("version", &input.version)?;
    let sorted = sorted_unique(files)?;
    let release_ref = format!("release:{}@{}", input.name, input.version);
    let mut refs = HashSet::with_capacity(
        files
            .len()
            .saturating_add(packages.as_slice().len())
            .saturating_add(1),
    );
    refs.insert(release_ref.clone());
    let mut components = Vec::with_capacity(refs.capacity());
    for f in sorted {
        let bom_ref = unique_id(&mut refs, format!("file:{}", f.path))?;
        components.push(Component {
            hashes: vec![
                hash(SHA1, &f.sha1),
                hash(SHA256, &f.sha256),
                hash(SHA512, &f.sha512),
            ],
            ..component(TYPE_FILE, bom_ref, &f.path)
        });
    }
    let mut package_refs = Vec::with_capacity(packages.as_slice().len());
    for p in packages.as_slice() {
        let base = match &p.version {
            Some(v) => format!("package:{}@{v}", p.name),
            None => format!("package:{}", p.name),
        };
        let bom_ref = unique_id(&mut refs, base)?;
        package_refs.push(bom_ref.clone());
        components.push(listed_component(bom_ref, p));
    }
    let dependencies = if package_refs.is_empty() {
        Vec::new()
    } else {
        vec![Dependency {
            reference: release_ref.clone(),
            depends_on: package_refs,
        }]
    };
    Ok(Bom {
        bom_format: BOM_FORMAT.into(),
        spec_version: SPEC_VERSION.into(),
        serial_number: Some(input.serial.urn().to_string()),
        version: 1,
        metadata: Some(Metadata {
            timestamp: Some(rfc3339(input.created)?),
            tools: Some(Tools::Components {
                components: vec![Component {
                    version: Some(env!("CARGO_PKG_VERSION").into()),
                    bom_ref: None,
                    ..component("application", String::new(), "signet")
                }],
            }),
            component: Some(Component {
                version: Some(input.version.clone()),
                ..component("application", release_ref, &input.name)
            }),
        }),
        components,
        dependencies,
    })
}

/// The component of a package the caller listed.
fn listed_component(bom_ref: String, p: &PackageInfo) -> Component {
    Component {
        supplier: p.supplier.as_ref().map(|s| OrganizationalEntity {
            name: Some(s.clone()),
        }),
        version: p.version.clone(),
        hashes: p.sha256.iter().map(|d| hash(SHA256, &d.0)).collect(),
        licenses: p
            .license
            .iter()
            .map(|l| LicenseChoice::Expression {
                expression: l.clone(),
            })
            .collect(),
        purl: p.purl.clone(),
        external_references: p
            .download_location
            .iter()
            .map(|u| ExternalReference {
                reference_type: "distribution".into(),
                url: u.clone(),
            })
            .collect(),
        ..component("library", bom_ref, &p.name)
    }
}

/// Pretty JSON with a trailing newline.
pub fn to_json(bom: &Bom) -> Result<Vec<u8>> {
    sbom::pretty_json("CycloneDX SBOM", bom)
}

/// Parses a CycloneDX 1.4–1.6 JSON document (bounded size and component count; unknown fields
/// ignored).
pub fn parse_json(data: &[u8]) -> Result<Bom> {
    check_limit("CycloneDX SBOM", data.len(), MAX_BOM_BYTES)?;
    let bom: Bom = serde_json::from_slice(data).map_err(|source| ReleaseError::Json {
        what: "CycloneDX SBOM",
        source,
    })?;
    if bom.bom_format != BOM_FORMAT {
        return Err(bad(format!("bomFormat is {:?}", bom.bom_format)));
    }
    if !READ_SPEC_VERSIONS.contains(&bom.spec_version.as_str()) {
        return Err(bad(format!(
            "unsupported specVersion {:?}",
            bom.spec_version
        )));
    }
    check_limit("CycloneDX components", bom.components.len(), MAX_COMPONENTS)?;
    Ok(bom)
}

/// The release files a parsed BOM lists (its components of type `file`, named by release path)
/// with their SHA-256 (required) and SHA-512 (optional), sorted by path. Fails on invalid or
/// duplicate paths, a missing or malformed SHA-256, or an algorithm listed twice for one file.
pub fn file_digests(bom: &Bom) -> Result<Vec<SbomFile>> {
    listed_files(
        "CycloneDX SBOM",
        [SHA256, SHA512],
        bom.components
            .iter()
            .filter(|c| c.component_type == TYPE_FILE)
            .map(|c| {
                (
                    c.name.as_str(),
                    c.hashes
                        .iter()
                        .map(|h| (h.alg.as_str(), h.content.as_str())),
                )
            }),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn digests() -> Vec<FileDigest> {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("bin/linux/amd64")).unwrap();
        std::fs::write(d.path().join("kubernetes.tar.gz"), b"abc").unwrap();
        std::fs::write(d.path().join("bin/linux/amd64/kubectl"), b"").unwrap();
        let files = crate::list_artifacts(d.path()).unwrap();
        crate::hash_files(d.path(), &files).unwrap()
    }

    fn input() -> BomInput {
        BomInput {
            name: "kubernetes".into(),
            version: "v1.36.0".into(),
            serial: crate::sboms::uuid_v4([7; 16]),
            created: time::macros::datetime!(2026-05-01 12:00:01.5 UTC),
        }
    }

    fn packages() -> SbomPackages {
        SbomPackages::parse(crate::packages::EXAMPLE.as_bytes()).unwrap()
    }

    #[test]
    fn the_bom_has_the_schema_fields_and_round_trips() {
        let files = digests();
        let bom = build(&input(), &files, &SbomPackages::default()).unwrap();
        let json = to_json(&bom).unwrap();
        let v: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["bomFormat"], "CycloneDX");
        assert_eq!(v["specVersion"], "1.6");
        assert_eq!(
            v["serialNumber"],
            "urn:uuid:07070707-0707-4707-8707-070707070707"
        );
        assert_eq!(v["version"], 1);
        let m = &v["metadata"];
        assert_eq!(m["timestamp"], "2026-05-01T12:00:01Z");
        assert_eq!(
            m["tools"],
            json!({"components": [{"type": "application", "name": "signet",
                                   "version": env!("CARGO_PKG_VERSION")}]})
        );
        assert_eq!(
            m["component"],
            json!({"type": "application", "bom-ref": "release:kubernetes@v1.36.0",
                   "name": "kubernetes", "version": "v1.36.0"})
        );
        let c = v["components"].as_array().unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0]["type"], "file");
        assert_eq!(c[0]["name"], "bin/linux/amd64/kubectl");
        assert_eq!(c[0]["bom-ref"], "file:bin/linux/amd64/kubectl");
        assert_eq!(
            c[1]["hashes"],
            json!([
                {"alg": "SHA-1", "content": "a9993e364706816aba3e25717850c26c9cd0d89d"},
                {"alg": "SHA-256",
                 "content": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
                {"alg": "SHA-512", "content": hex::encode(files.iter()
                    .find(|f| f.path == "kubernetes.tar.gz").unwrap().sha512)},
            ])
        );
        // No packages: no dependency graph (the release's dependencies are unknown).
        assert!(v.get("dependencies").is_none());

        let back = parse_json(&json).unwrap();
        assert_eq!(back, bom);
        let listed = file_digests(&back).unwrap();
        assert_eq!(listed.len(), 2);
        for (l, f) in listed.iter().zip(sorted_unique(&files).unwrap()) {
            assert_eq!(l.path.as_str(), f.path);
            assert_eq!(l.sha256, f.sha256);
            assert_eq!(l.sha512, Some(f.sha512));
        }
    }

    #[test]
    fn packages_become_library_components_the_release_depends_on() {
        let bom = build(&input(), &digests(), &packages()).unwrap();
        let v: Value = serde_json::from_slice(&to_json(&bom).unwrap()).unwrap();
        let c = v["components"].as_array().unwrap();
        assert_eq!(c.len(), 4);
        assert_eq!(
            c[2],
            json!({
                "type": "library",
                "bom-ref": "package:golang.org/x/net@v0.30.0",
                "supplier": {"name": "The Go Authors"},
                "name": "golang.org/x/net",
                "version": "v0.30.0",
                "hashes": [{"alg": "SHA-256", "content":
                    "4f2ba1d5c4a2b8e0d5a6f1e2c3b4a59687f0e1d2c3b4a5968778695a4b3c2d1e"}],
                "licenses": [{"expression": "BSD-3-Clause"}],
                "purl": "pkg:golang/golang.org/x/net@v0.30.0",
                "externalReferences": [{"type": "distribution",
                    "url": "https://proxy.golang.org/golang.org/x/net/@v/v0.30.0.zip"}],
            })
        );
        assert_eq!(
            c[3],
            json!({"type": "library", "bom-ref": "package:etcd", "name": "etcd"})
        );
        assert_eq!(
            v["dependencies"],
            json!([{"ref": "release:kubernetes@v1.36.0",
                    "dependsOn": ["package:golang.org/x/net@v0.30.0", "package:etcd"]}])
        );
        // Packages are not files: verification sees the two release files only.
        assert_eq!(file_digests(&bom).unwrap().len(), 2);
        // Every bom-ref is unique even when two packages' references would be the same.
        let clash = SbomPackages::parse(
            br#"{"packages": [{"name": "x", "version": "y"}, {"name": "x@y"}]}"#,
        )
        .unwrap();
        let b = build(&input(), &digests(), &clash).unwrap();
        let refs: Vec<_> = b
            .components
            .iter()
            .filter_map(|c| c.bom_ref.clone())
            .collect();
        assert_eq!(&refs[2..], ["package:x@y", "package:x@y-2"]);
    }

    #[test]
    fn bad_documents_are_refused() {
        let bom = build(&input(), &digests(), &SbomPackages::default()).unwrap();
        let v = serde_json::to_value(&bom).unwrap();
        let with = |edit: &dyn Fn(&mut Value)| {
            let mut v = v.clone();
            edit(&mut v);
            parse_json(&serde_json::to_vec(&v).unwrap()).and_then(|b| file_digests(&b))
        };
        assert!(with(&|_| {}).is_ok());
        assert!(with(&|v| v["bomFormat"] = "SPDX".into()).is_err());
        assert!(with(&|v| v["specVersion"] = "2.0".into()).is_err());
        assert!(with(&|v| v["components"][0]["name"] = "../../etc/passwd".into()).is_err());
        assert!(with(&|v| v["components"][0]["hashes"][1]["content"] = "00".into()).is_err());
        assert!(
            with(&|v| {
                v["components"][0]["hashes"]
                    .as_array_mut()
                    .unwrap()
                    .remove(1);
            })
            .unwrap_err()
            .to_string()
            .contains("no SHA-256 checksum")
        );
        assert!(
            with(&|v| {
                let h = v["components"][0]["hashes"][1].clone();
                v["components"][0]["hashes"].as_array_mut().unwrap().push(h);
            })
            .is_err()
        );
        assert!(
            with(&|v| {
                let c = v["components"][0].clone();
                v["components"].as_array_mut().unwrap().push(c);
            })
            .is_err()
        );
        // A legacy tools array and license objects are read (and ignored).
        assert!(
            with(&|v| {
                v["metadata"]["tools"] = json!([{"vendor": "x", "name": "y"}]);
                v["components"][0]["licenses"] = json!([{"license": {"id": "MIT"}}]);
            })
            .is_ok()
        );
        assert!(parse_json(b"[]").is_err());
        assert!(parse_json(&vec![b' '; MAX_BOM_BYTES + 1]).is_err());
        let mut i = input();
        i.name = "a\nb".into();
        assert!(build(&i, &digests(), &SbomPackages::default()).is_err());
        let files = digests();
        let mut dup = files.clone();
        dup.push(files[0].clone());
        assert!(build(&input(), &dup, &SbomPackages::default()).is_err());
    }
}
