//! The limit on every release file read whole (the CLI's table of file limits names these; a
//! downloaded release file gets the same limit as the file on disk). Artifacts are never read
//! whole: they are hashed as a stream.

use signet_types::limits::{self, FileLimit, MAX_MATERIAL_FILE};

use crate::{manifest, packages, sbom};

/// A Sigstore bundle (`<f>.sigstore.json`): the bundle parser's own limit.
pub const BUNDLE: FileLimit = FileLimit::from_usize("bundle", limits::MAX_JSON_DOCUMENT);
/// A detached signature (`<f>.sig`).
pub const SIGNATURE: FileLimit = FileLimit::new("signature", MAX_MATERIAL_FILE);
/// A certificate (`<f>.cert`).
pub const CERTIFICATE: FileLimit = FileLimit::new("certificate", MAX_MATERIAL_FILE);
/// A release's `SHA256SUMS`: the manifest parser's own limit.
pub const SHA256SUMS: FileLimit = FileLimit::from_usize("SHA256SUMS", manifest::MAX_MANIFEST_BYTES);
/// A release's SBOM (`release.spdx.json`, `release.spdx`, `release.cdx.json`): the SBOM
/// parsers' own limit (the CycloneDX reader's is the same).
pub const SBOM_FILE: FileLimit = FileLimit::from_usize("SBOM", sbom::MAX_SBOM_BYTES);
/// The packages file of `sign-release --sbom-packages`: its parser's own limit.
pub const SBOM_PACKAGES: FileLimit =
    FileLimit::from_usize("SBOM packages", packages::MAX_PACKAGES_BYTES);
/// A release's provenance (`release.intoto.jsonl`): the DSSE envelope its bundle carries, so no
/// larger than a bundle.
pub const PROVENANCE_FILE: FileLimit =
    FileLimit::from_usize("provenance", limits::MAX_JSON_DOCUMENT);
