//! RFC 3161 timestamps are counted as sigstore-go counts them: one that does not verify is
//! skipped with a warning, a second one from an authority already counted too, and a bundle whose
//! only time evidence was skipped fails. Real staging bundle and test TSA from sigstore-python's
//! assets (testdata/sigstore-python/PROVENANCE.md): its timestamp 0 verifies, its timestamp 1
//! does not cover the signature.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::Value;
use signet_verify::{VerifiedBundle, VerifyError};

mod common;
use common::{json, testdata};

const SAN: &str = "alexis.challande@trailofbits.com";
const ISSUER: &str = "https://accounts.google.com";

fn tsa() -> PathBuf {
    testdata().join("sigstore-python/tsa")
}

fn verify(bundle: &Value) -> Result<VerifiedBundle, VerifyError> {
    // The staging root with its timestamp authorities replaced by the test TSA, as
    // sigstore-python's TestVerifierWithTimestamp sets it up.
    let mut root =
        json(&testdata().join("sigstore-conformance/default-trust/staging_trusted_root.json"));
    root["timestampAuthorities"] = Value::Array(vec![json(&tsa().join("ca.json"))]);
    let artifact = std::fs::read(tsa().join("bundle.txt")).unwrap();
    common::verify_keyless(
        &serde_json::to_vec(&root).unwrap(),
        &artifact,
        SAN,
        ISSUER,
        bundle,
    )
}

fn bundle() -> Value {
    json(&tsa().join("bundle.txt.sigstore"))
}

fn timestamps(b: &mut Value) -> &mut Vec<Value> {
    b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array_mut()
        .unwrap()
}

#[test]
fn an_invalid_timestamp_beside_verified_time_is_skipped_with_a_warning() {
    let v = verify(&bundle()).unwrap();
    // The integrated time (SET) and timestamp 0.
    assert_eq!(v.times().len(), 2);
    let [w] = v.warnings() else {
        panic!("{:?}", v.warnings())
    };
    assert!(w.starts_with("RFC 3161 timestamp 1 skipped:"), "{w}");
    assert!(w.contains("message imprint mismatch"), "{w}");

    // Malformed DER is skipped the same way (sigstore-go's TSA verifier parses, then checks).
    let mut b = bundle();
    timestamps(&mut b)[1]["signedTimestamp"] =
        signet_types::b64::encode(b"\x30\x03\x02\x01").into();
    let v = verify(&b).unwrap();
    assert_eq!(v.times().len(), 2);
    assert!(v.warnings()[0].starts_with("RFC 3161 timestamp 1 skipped:"));
}

#[test]
fn without_the_set_the_valid_timestamp_alone_gives_the_time() {
    let mut b = bundle();
    let entry = &mut b["verificationMaterial"]["tlogEntries"][0];
    entry.as_object_mut().unwrap().remove("inclusionPromise");
    let v = verify(&b).unwrap();
    assert_eq!(v.times().len(), 1);
    assert_eq!(v.entries()[0].integrated_time, None);
    assert_eq!(v.warnings().len(), 1);
}

#[test]
fn a_bundle_whose_only_time_evidence_is_invalid_fails() {
    let mut b = bundle();
    let entry = &mut b["verificationMaterial"]["tlogEntries"][0];
    entry.as_object_mut().unwrap().remove("inclusionPromise");
    timestamps(&mut b).remove(0);
    let err = verify(&b).unwrap_err();
    assert!(matches!(err, VerifyError::Timestamp(_)), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("no timestamp verified"), "{msg}");
    assert!(msg.contains("message imprint mismatch"), "{msg}");
}

#[test]
fn a_second_timestamp_from_the_same_authority_is_not_counted() {
    let mut b = bundle();
    let first = timestamps(&mut b)[0].clone();
    timestamps(&mut b)[1] = first;
    let v = verify(&b).unwrap();
    assert_eq!(v.times().len(), 2);
    let [w] = v.warnings() else {
        panic!("{:?}", v.warnings())
    };
    assert!(
        w.contains("timestamp 1 skipped") && w.contains("already counted"),
        "{w}"
    );
}
