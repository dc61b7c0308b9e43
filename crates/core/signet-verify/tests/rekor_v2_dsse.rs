//! A real Rekor v2 `dsse` 0.0.2 entry (Sigstore staging, `log2025-alpha1.rekor.sigstage.dev`,
//! from sigstore-python's test assets: testdata/sigstore-python/PROVENANCE.md) verifies, and its
//! body is checked against the bundle's envelope.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use signet_verify::{VerifiedBundle, VerifyError};

mod common;
use common::testdata;

const IDENTITY: &str =
    "insecure-cloudtop-shared-user@cloudtop-prod-us-east.iam.gserviceaccount.com";
const ISSUER: &str = "https://accounts.google.com";

fn load() -> Value {
    common::json(&testdata().join("sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json"))
}

fn verify(bundle: &Value) -> Result<VerifiedBundle, VerifyError> {
    let root = testdata().join("sigstore-conformance/default-trust/staging_trusted_root.json");
    let artifact =
        std::fs::read(testdata().join("sigstore-python/a.dsse.staging-rekor-v2.txt")).unwrap();
    common::verify_keyless(
        &std::fs::read(root).unwrap(),
        &artifact,
        IDENTITY,
        ISSUER,
        bundle,
    )
}

#[test]
fn real_dsse_v002_entry_verifies() {
    let b = load();
    assert_eq!(
        b["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"],
        "dsse"
    );
    let v = verify(&b).unwrap();
    let [entry] = v.entries() else {
        panic!("one entry expected")
    };
    assert_eq!(entry.log_index.0, 689);
    assert_eq!(entry.log_url, "https://log2025-alpha1.rekor.sigstage.dev");
    // No SET in Rekor v2: the only verified time is the TSA's.
    assert_eq!(entry.integrated_time, None);
    assert_eq!(v.times().len(), 1);
}

#[test]
fn dsse_v002_entry_must_record_this_envelope() {
    // Another payload (a changed signature is caught first by the timestamp, which covers it;
    // signet-rekor's tests check the signature and verifier comparison on this same body).
    let mut b = load();
    b["dsseEnvelope"]["payload"] = signet_types::b64::encode(b"{}").into();
    let err = verify(&b).unwrap_err().to_string();
    assert!(err.contains("entry payload hash does not match"), "{err}");
}
