//! `validFor` semantics of a trusted root, on real conformance bundles: a root whose logs, CT
//! logs, CAs and TSAs have no `validFor` at all trusts them at every time (as sigstore-python and
//! sigstore-js do), so the bundles still verify.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use signet_bundle::Bundle;
use signet_trust::TrustedRoot;
use signet_verify::{Artifact, Identity, Matcher, Policy, Verifier};

const CONFORMANCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../testdata/sigstore-conformance"
);
const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The case's trusted root (or the default production root) with every `validFor` removed.
fn root_without_valid_for(case: &str) -> Vec<u8> {
    let own = format!("{CONFORMANCE}/assets/bundle-verify/{case}/trusted_root.json");
    let path = if std::path::Path::new(&own).exists() {
        own
    } else {
        format!("{CONFORMANCE}/default-trust/production_trusted_root.json")
    };
    let mut j: serde_json::Value = serde_json::from_slice(&read(&path)).unwrap();
    let mut removed = 0;
    for (list, at) in [
        ("tlogs", "/publicKey"),
        ("ctlogs", "/publicKey"),
        ("certificateAuthorities", ""),
        ("timestampAuthorities", ""),
    ] {
        for item in j[list].as_array_mut().into_iter().flatten() {
            let o = item.pointer_mut(at).unwrap().as_object_mut().unwrap();
            removed += usize::from(o.remove("validFor").is_some());
        }
    }
    assert!(removed >= 4, "{case}: only {removed} validFor removed");
    serde_json::to_vec(&j).unwrap()
}

#[test]
fn roots_without_valid_for_verify_real_bundles() {
    // Rekor v1 (SET, integrated time) and Rekor v2 with an RFC 3161 timestamp.
    for case in ["happy-path-v0.3", "rekor2-happy-path"] {
        let root = TrustedRoot::from_json(&root_without_valid_for(case))
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let bundle = Bundle::from_json(&read(&format!(
            "{CONFORMANCE}/assets/bundle-verify/{case}/bundle.sigstore.json"
        )))
        .unwrap();
        let artifact = read(&format!("{CONFORMANCE}/assets/bundle-verify/a.txt"));
        let policy = Policy {
            identity: Identity::Certificate {
                san: Matcher::Exact(IDENTITY.into()),
                issuer: Matcher::Exact(ISSUER.into()),
            },
            artifact: Artifact::Bytes(&artifact),
        };
        let verifier = Verifier::new(&root).unwrap();
        let v = verifier
            .verify(&bundle, &policy)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(!v.times().is_empty(), "{case}");
        // Still the real checks: another artifact is refused.
        let other = Policy {
            artifact: Artifact::Bytes(b"not a.txt"),
            ..policy.clone()
        };
        assert!(verifier.verify(&bundle, &other).is_err(), "{case}");
    }
}
