//! Release-directory tooling for signet: everything a release signer needs *before* it signs.
//!
//! A release is a directory of artifacts laid out like `https://dl.k8s.io/release/<version>/`
//! (`bin/<os>/<arch>/<binary>`, `kubernetes-*.tar.gz`, ...). This crate:
//!
//! * lists the artifacts of a release directory ([`hash::list_artifacts`]), skipping signet's own
//!   outputs (`*.sig`, `*.cert`, `*.sigstore.json` and the metadata files named by the consts
//!   below) and refusing symlinks that leave the directory;
//! * hashes them in parallel, one read pass per file ([`hash::hash_files`] for SHA-1/256/512,
//!   [`hash::sha256_files`] for the SHA-256-only verification hot path);
//! * writes and strictly parses `SHA256SUMS` in GNU coreutils format ([`manifest`]);
//! * writes an SPDX 2.3 SBOM as JSON and tag-value, and reads the JSON back ([`sbom`]); writes
//!   and reads a CycloneDX 1.6 JSON SBOM ([`cyclonedx`]); both can list the packages the release
//!   contains, as the caller describes them ([`packages`]); [`sboms`] decides which SBOM files a
//!   release gets and whether the ones it has are current;
//! * builds and checks an in-toto Statement v1 with a SLSA Provenance v1 predicate
//!   ([`provenance`]); the caller wraps the bytes in DSSE and signs them;
//! * writes files atomically and diffs file lists ([`fsutil`]);
//! * generates deterministic Kubernetes-shaped sample releases for tests and benchmarks
//!   ([`sample`]).
//!
//! [`sign`] and [`verify`] run the signing and the verification of a whole release: signing
//! through a [`sign::ReleaseSigner`] the caller provides, verification with `signet-verify`.
//!
//! It does no signing itself and no network I/O. Time is always an input (never `now()`).
//! Every path inside a release is a [`RelPath`]: `/`-separated, relative, without `.`/`..`
//! components, backslashes or control characters, so it can be written into `SHA256SUMS`, SPDX
//! and provenance without escaping and can never name a file outside the release root.
//!
//! `unsafe` is denied except in one place: the read-only memory map behind
//! [`ReadMode::Mapped`], whose safety argument is written there.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::string_slice,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
#![cfg_attr(
    test,
    allow(
        clippy::string_slice,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

pub mod buildenv;
pub mod cyclonedx;
mod error;
pub mod fsutil;
pub mod hash;
mod hexser;
pub mod limits;
pub mod manifest;
pub mod packages;
pub mod provenance;
mod relpath;
pub mod sample;
pub mod sbom;
pub mod sboms;
pub mod sign;
pub mod verify;

pub use error::ReleaseError;
pub use fsutil::{Diff, compare, write_atomic};
pub use hash::{
    FileDigest, FileSha256, MAP_MIN, ReadMode, hash_files, list_artifacts, list_signature_files,
    sha256_files, sha256_files_with,
};
pub use relpath::{MAX_PATH_LEN, RelPath};
pub use sboms::{SbomFormat, SbomFormats, SbomOptions};

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, ReleaseError>;

/// File name of the SPDX 2.3 JSON SBOM signet writes at the release root.
pub const SBOM_JSON: &str = "release.spdx.json";
/// File name of the SPDX 2.3 tag-value SBOM signet writes at the release root.
pub const SBOM_TAG_VALUE: &str = "release.spdx";
/// File name of the CycloneDX 1.6 JSON SBOM signet writes at the release root.
pub const SBOM_CYCLONEDX: &str = "release.cdx.json";
/// File name of the provenance (DSSE-wrapped in-toto statement, one JSON object per line).
pub const PROVENANCE: &str = "release.intoto.jsonl";
/// File name of the GNU coreutils-style SHA-256 manifest at the release root.
pub const MANIFEST: &str = "SHA256SUMS";
/// Reserved file name for signet's release index at the release root (written by the signing
/// layer, not by this crate); never listed as an artifact.
pub const INDEX: &str = "signet-release.json";

/// Release metadata files signet writes at the release root; never listed as artifacts.
pub const METADATA_FILES: [&str; 6] = [
    SBOM_JSON,
    SBOM_TAG_VALUE,
    SBOM_CYCLONEDX,
    PROVENANCE,
    MANIFEST,
    INDEX,
];

/// File-name suffixes of per-artifact signing outputs; never listed as artifacts (any depth).
pub const SIGNATURE_SUFFIXES: [&str; 3] = [".sig", ".cert", ".sigstore.json"];

/// Suffix of a file's bundle beside it.
pub const BUNDLE_SUFFIX: &str = ".sigstore.json";
/// Release metadata signed like artifacts (each with its own `.sigstore.json`, `.sig`, `.cert`)
/// when the release has it. A signed release always has [`MANIFEST`] and the SBOM files of at
/// least one [`SbomFormat`] (the ones `sign-release` was asked for).
pub const SIGNED_METADATA: [&str; 4] = [MANIFEST, SBOM_JSON, SBOM_TAG_VALUE, SBOM_CYCLONEDX];
/// All release metadata a signed release can have (the provenance is a DSSE envelope with a
/// bundle); which SBOM files it has depends on the formats it was signed with.
pub const RELEASE_METADATA: [&str; 5] = [
    MANIFEST,
    SBOM_JSON,
    SBOM_TAG_VALUE,
    SBOM_CYCLONEDX,
    PROVENANCE,
];

/// Progress of a long step (hashing, signing), for a progress bar. All methods do nothing by
/// default.
pub trait Progress: Sync {
    /// A step of `len` units starts.
    fn start(&self, _step: &str, _len: u64) {}
    /// One unit is done.
    fn inc(&self) {}
    /// The step is over.
    fn finish(&self) {}
}

/// No progress display.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// The file `rel` + `suffix` under `dir` (a signature file beside a release file).
pub fn side(dir: &std::path::Path, rel: &str, suffix: &str) -> std::path::PathBuf {
    dir.join(format!("{rel}{suffix}"))
}

/// Reads a release file whole through the capped reader; `Ok(None)` when it does not exist.
pub fn read_optional(
    path: &std::path::Path,
    limit: signet_types::limits::FileLimit,
) -> std::result::Result<Option<Vec<u8>>, signet_crypto::ReadFileError> {
    match signet_crypto::read_capped(path, limit) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether the signature file `sig` belongs to one of `artifacts` or to signed metadata (the
/// provenance has a bundle only).
pub fn belongs(sig: &str, artifacts: &std::collections::BTreeSet<&str>) -> bool {
    SIGNATURE_SUFFIXES.iter().any(|suf| {
        sig.strip_suffix(suf).is_some_and(|base| {
            artifacts.contains(base)
                || SIGNED_METADATA.contains(&base)
                || (base == PROVENANCE && *suf == BUNDLE_SUFFIX)
        })
    })
}
