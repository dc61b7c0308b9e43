//! In-toto subjects identified by SHA-512 only (npm provenance): the real `sigstore@2.0.0`
//! provenance bundle (testdata/rekor-vectors/PROVENANCE.md) verifies given the SHA-512 digest.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use signet_bundle::Bundle;
use signet_crypto::HashAlgorithm;
use signet_trust::TrustedRoot;
use signet_verify::{
    Artifact, ArtifactDigest, Identity, Matcher, Policy, Verifier, VerifyError,
    artifact_digest_algorithms,
};

mod common;
use common::testdata;

const SHA512: &str = "46d4e2f74c4877316640000a6fdf8a8b59f1e0847667973e9859f774dd31b8f1e0937813b777fb66a2ac67d50540fe34640966eee9fc2ccca387082b4c85cd3c";

fn verify(digests: &[ArtifactDigest]) -> Result<(), VerifyError> {
    let root = std::fs::read(
        testdata().join("sigstore-conformance/default-trust/production_trusted_root.json"),
    )
    .unwrap();
    let root = TrustedRoot::from_json(&root).unwrap();
    let bundle = Bundle::from_json(
        &std::fs::read(testdata().join("rekor-vectors/sigstore-js-2.0.0-provenance.sigstore.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        artifact_digest_algorithms(&bundle),
        vec![HashAlgorithm::Sha256, HashAlgorithm::Sha512]
    );
    let policy = Policy {
        identity: Identity::Certificate {
            san: Matcher::Exact(
                "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"
                    .into(),
            ),
            issuer: Matcher::Exact("https://token.actions.githubusercontent.com".into()),
        },
        artifact: Artifact::Digests(digests),
    };
    Verifier::new(&root)
        .unwrap()
        .verify(&bundle, &policy)
        .map(|_| ())
}

#[test]
fn npm_provenance_verifies_by_sha512() {
    let good = ArtifactDigest::parse(&format!("sha512:{SHA512}")).unwrap();
    verify(std::slice::from_ref(&good)).unwrap();
    // With a SHA-256 beside it (as a file hashed by both gives): still matched on SHA-512.
    let sha256 = ArtifactDigest::parse(&format!("sha256:{}", "00".repeat(32))).unwrap();
    verify(&[sha256.clone(), good]).unwrap();

    let mut other = SHA512.to_string();
    other.replace_range(..2, "00");
    let bad = ArtifactDigest::parse(&format!("sha512:{other}")).unwrap();
    assert!(matches!(
        verify(&[bad]),
        Err(VerifyError::DigestMismatch { .. })
    ));
    assert!(matches!(
        verify(&[sha256]),
        Err(VerifyError::DigestAlgorithm(_))
    ));
}

#[test]
fn artifact_digest_parse_checks_algorithm_and_length() {
    assert!(ArtifactDigest::parse(&format!("sha384:{}", "ab".repeat(48))).is_ok());
    assert!(ArtifactDigest::parse(&format!("sha384:{}", "ab".repeat(32))).is_err());
    assert!(ArtifactDigest::parse(&format!("sha1:{}", "ab".repeat(20))).is_err());
    assert!(ArtifactDigest::parse("sha256:zz").is_err());
}
