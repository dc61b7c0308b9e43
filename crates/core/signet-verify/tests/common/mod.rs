//! Shared by the integration tests: verify a bundle given as JSON.

#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use signet_bundle::Bundle;
use signet_trust::TrustedRoot;
use signet_verify::{Artifact, Identity, Matcher, Policy, VerifiedBundle, Verifier, VerifyError};

/// The repository's testdata folder.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../testdata")
}

/// Reads a JSON file.
pub fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Verifies `bundle` for `artifact` signed by (`san`, `issuer`) against the trusted root JSON
/// `root`.
pub fn verify_keyless(
    root: &[u8],
    artifact: &[u8],
    san: &str,
    issuer: &str,
    bundle: &Value,
) -> Result<VerifiedBundle, VerifyError> {
    let root = TrustedRoot::from_json(root).unwrap();
    let policy = Policy {
        identity: Identity::Certificate {
            san: Matcher::Exact(san.into()),
            issuer: Matcher::Exact(issuer.into()),
        },
        artifact: Artifact::Bytes(artifact),
    };
    let bundle = Bundle::from_json(&serde_json::to_vec(bundle).unwrap()).unwrap();
    Verifier::new(&root).unwrap().verify(&bundle, &policy)
}
