//! The limit on every file the CLI reads whole: each is read through
//! [`signet_crypto::read_capped`], which stops one byte past the limit whatever the file is
//! (`/dev/zero`, a FIFO, a sparse file) and names the file, its kind and the limit. Artifacts are
//! never read whole: they are hashed as a stream (the one exception, an artifact checked against
//! an Ed25519 key, has its own limit). README: "Limits on input: files".

use signet_release::limits as release;
use signet_types::limits::{self, FileLimit, MAX_KEY_FILE};

/// A Sigstore bundle (`--bundle`, `<f>.sigstore.json`): the bundle parser's own limit.
pub const BUNDLE: FileLimit = release::BUNDLE;
/// A `trusted_root.json` (`--trusted-root`): the trusted-root parser's own limit.
pub const TRUSTED_ROOT: FileLimit =
    FileLimit::from_usize("trusted root", limits::MAX_JSON_DOCUMENT);
/// A ClientTrustConfig (`--trust-config`, `$SIGNET_TRUST_CONFIG`, `trust_config.json`): a
/// trusted root and a signing config, from a file or from `signet trust URL` (the public-good
/// trusted root is about 15 KiB).
pub const TRUST_CONFIG: FileLimit = FileLimit::new("trust config", 1024 * 1024);
/// A TUF root given to `signet initialize --root` / `signet trust --root` (python-tuf's cap).
pub const TUF_ROOT: FileLimit = FileLimit::new("TUF root", 512_000);
/// A public key (`--key`, `--public-key`, `--log-public-key`).
pub const PUBLIC_KEY: FileLimit = FileLimit::new("public key", MAX_KEY_FILE);
/// A managed signing key (`sign-blob --key`, `sign-release --key`).
pub const PRIVATE_KEY: FileLimit = FileLimit::PRIVATE_KEY;
/// A detached signature (`--signature`, `<f>.sig`).
pub const SIGNATURE: FileLimit = release::SIGNATURE;
/// A certificate (`--certificate`, `<f>.cert`).
pub const CERTIFICATE: FileLimit = release::CERTIFICATE;
/// An identity token file (`--identity-token FILE`); a token itself is at most 16 KiB.
pub const IDENTITY_TOKEN: FileLimit = FileLimit::new("identity token", 64 * 1024);
/// Fulcio's identity configuration (`signet server --oidc-config`).
pub const OIDC_CONFIG: FileLimit = FileLimit::new("OIDC configuration", 1024 * 1024);
/// The development issuer's URL, `D/oidc/issuer-url`.
pub const ISSUER_URL: FileLimit = FileLimit::new("issuer URL file", 64 * 1024);
/// A release's `SHA256SUMS`: the manifest parser's own limit.
pub const SHA256SUMS: FileLimit = release::SHA256SUMS;
/// A release's SBOM (SPDX or CycloneDX): the SBOM parsers' own limit.
pub const SBOM: FileLimit = release::SBOM_FILE;
/// `sign-release --sbom-packages FILE`: the packages parser's own limit.
pub const SBOM_PACKAGES: FileLimit = release::SBOM_PACKAGES;
/// A release's provenance (`release.intoto.jsonl`): the DSSE envelope its bundle carries, so no
/// larger than a bundle.
pub const PROVENANCE: FileLimit = release::PROVENANCE_FILE;
/// A release's `images.txt` (container image references, one per line).
pub const IMAGE_LIST: FileLimit = FileLimit::new("image list", 1 << 20);
/// A Rego policy (`verify-attestation --policy`).
pub const POLICY: FileLimit = FileLimit::new("policy", 1 << 20);
/// `log monitor --state` (a checkpoint and at most 64 frontier hashes).
pub const MONITOR_STATE: FileLimit =
    FileLimit::new("monitor state", signet_client::monitor::MAX_STATE);
/// `log monitor --config` (rekor-monitor's YAML).
pub const MONITOR_CONFIG: FileLimit = FileLimit::new("monitor config", 1 << 20);
/// An artifact verified against an Ed25519 key: Ed25519 signs the whole message, so the file is
/// read into memory (every other artifact is hashed as a stream, with no limit).
pub const ED25519_ARTIFACT: FileLimit = FileLimit::new("Ed25519-signed artifact", 1 << 30);
/// The CA certificates clients trust besides the system's (`--ca-bundle`, `$SIGNET_CA_BUNDLE`).
pub const CA_BUNDLE: FileLimit = FileLimit::new("CA bundle", 4 * 1024 * 1024);
/// `signet server --config` (TOML).
pub const CONFIG_FILE: FileLimit = FileLimit::new("config file", 1024 * 1024);

/// Every file limit the CLI and the server keep, in the order the README's table lists them
/// (a test keeps the two equal).
#[cfg(test)]
const ALL: [FileLimit; 26] = [
    BUNDLE,
    TRUSTED_ROOT,
    TRUST_CONFIG,
    PUBLIC_KEY,
    PRIVATE_KEY,
    SIGNATURE,
    CERTIFICATE,
    IDENTITY_TOKEN,
    SHA256SUMS,
    SBOM,
    SBOM_PACKAGES,
    PROVENANCE,
    ED25519_ARTIFACT,
    OIDC_CONFIG,
    ISSUER_URL,
    signet_ca::keys::CA_CERTIFICATE_FILE,
    signet_log::CHECKPOINT_FILE_LIMIT,
    IMAGE_LIST,
    POLICY,
    MONITOR_STATE,
    MONITOR_CONFIG,
    signet_server::witness::STATE_FILE_LIMIT,
    signet_server::tls::CERT_FILE,
    signet_server::tls::KEY_FILE,
    CA_BUNDLE,
    CONFIG_FILE,
];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use signet_types::limits::human_bytes;

    /// The README's "Limits on input: files" table has one row per limit, in order, each naming
    /// the kind of file and its limit as the error message does.
    #[test]
    fn the_readme_documents_every_file_limit() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../README.md"))
                .unwrap();
        let section = readme
            .split("### Limits on input: files")
            .nth(1)
            .expect("README has a \"Limits on input: files\" section");
        let end = section.find("\n#").unwrap_or(section.len());
        let rows: Vec<&str> = section
            .get(..end)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| input ") && !l.starts_with("|--"))
            .collect();
        assert_eq!(rows.len(), ALL.len(), "{rows:#?}");
        for (row, limit) in rows.iter().zip(ALL) {
            let cells: Vec<&str> = row
                .split(" | ")
                .map(|c| c.trim_matches([' ', '|']))
                .collect();
            let first = cells.first().unwrap();
            assert!(
                first.starts_with(&format!("{}:", limit.what)),
                "row {row:?} should start with {:?}",
                limit.what
            );
            assert_eq!(
                cells.get(1).copied(),
                Some(human_bytes(limit.max_bytes).as_str()),
                "{row}"
            );
        }
    }
}
