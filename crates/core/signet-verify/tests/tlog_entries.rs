//! Transparency-log entry rules checked against real sigstore-conformance bundles
//! (testdata/sigstore-conformance, see its PROVENANCE): a proof needs a checkpoint in every
//! bundle version, an entry may not appear twice, and only proven log indexes are reported.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use signet_verify::{VerifiedBundle, VerifyError};

mod common;

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../testdata/sigstore-conformance/assets/bundle-verify")
}

fn load(case: &str) -> Value {
    let bytes = std::fs::read(cases().join(case).join("bundle.sigstore.json")).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn verify(case: &str, bundle: &Value) -> Result<VerifiedBundle, VerifyError> {
    let dir = cases().join(case);
    let root_path = if dir.join("trusted_root.json").exists() {
        dir.join("trusted_root.json")
    } else {
        cases().join("../../default-trust/production_trusted_root.json")
    };
    let artifact = std::fs::read(cases().join("a.txt")).unwrap();
    common::verify_keyless(
        &std::fs::read(root_path).unwrap(),
        &artifact,
        IDENTITY,
        ISSUER,
        bundle,
    )
}

fn entry(bundle: &mut Value) -> &mut Value {
    &mut bundle["verificationMaterial"]["tlogEntries"][0]
}

#[test]
fn inclusion_proof_without_checkpoint_is_refused_in_every_version() {
    for case in ["happy-path-v0.1", "happy-path-v0.2"] {
        let good = load(case);
        verify(case, &good).unwrap();
        for media_type in [
            "application/vnd.dev.sigstore.bundle+json;version=0.1",
            "application/vnd.dev.sigstore.bundle+json;version=0.2",
        ] {
            let mut b = good.clone();
            b["mediaType"] = media_type.into();
            entry(&mut b)["inclusionProof"]
                .as_object_mut()
                .unwrap()
                .remove("checkpoint")
                .unwrap();
            let err = verify(case, &b).expect_err("a proof without checkpoint verified");
            assert!(
                err.to_string().contains("checkpoint"),
                "{case} {media_type}: {err}"
            );
        }
    }
}

#[test]
fn duplicate_log_entries_are_refused() {
    for case in ["happy-path-v0.3", "rekor2-happy-path"] {
        let good = load(case);
        assert_eq!(verify(case, &good).unwrap().entries().len(), 1);
        let mut b = good.clone();
        let copy = entry(&mut b).clone();
        b["verificationMaterial"]["tlogEntries"]
            .as_array_mut()
            .unwrap()
            .push(copy);
        let err = verify(case, &b).expect_err("a duplicated entry verified");
        assert!(err.to_string().contains("duplicate"), "{case}: {err}");
    }
}

#[test]
fn rekor_v2_entry_index_must_be_the_proven_one() {
    for case in ["rekor2-happy-path", "rekor2-dsse-happy-path"] {
        let good = load(case);
        let proven = entry(&mut good.clone())["inclusionProof"]["logIndex"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap();
        let verified = verify(case, &good).unwrap();
        assert_eq!(verified.entries()[0].log_index.0, proven, "{case}");

        let mut b = good.clone();
        entry(&mut b)["logIndex"] = (proven + 1000).to_string().into();
        let err = verify(case, &b).expect_err("an unproven log index verified");
        assert!(err.to_string().contains("log index"), "{case}: {err}");
    }
}

#[test]
fn rekor_v1_entry_reports_the_index_its_set_signs() {
    // Rekor v1 shards: the SET signs the global index, the proof uses the shard's index.
    let good = load("happy-path-v0.3");
    let e = entry(&mut good.clone()).clone();
    let verified = verify("happy-path-v0.3", &good).unwrap();
    assert_eq!(
        verified.entries()[0].log_index.0.to_string(),
        e["logIndex"].as_str().unwrap()
    );
}

/// A failing entry keeps its cause typed (the tlog and Rekor errors, reachable through
/// `Error::source`), while its message is still the one line users and the CLI's expected
/// failure table see.
#[test]
fn entry_failures_keep_typed_sources_and_their_messages() {
    use signet_verify::EntryError;
    use std::error::Error as _;
    let case = "happy-path-v0.3";
    let good = load(case);
    verify(case, &good).unwrap();

    // A corrupted inclusion-proof hash: the tlog layer's error is the source.
    let mut b = good.clone();
    let h = &mut entry(&mut b)["inclusionProof"]["hashes"][0];
    let flipped = h.as_str().unwrap().replacen(|c: char| c != 'A', "A", 1);
    *h = flipped.into();
    let err = verify(case, &b).unwrap_err();
    assert_eq!(
        err.to_string(),
        "transparency log entry 0: inclusion proof: proof does not lead to the expected root hash"
    );
    let VerifyError::Tlog { index: 0, source } = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(source, EntryError::InclusionProof(_)),
        "{source:?}"
    );
    let tlog = err
        .source()
        .and_then(|s| s.source())
        .and_then(|s| s.downcast_ref::<signet_tlog::TlogError>());
    assert_eq!(tlog, Some(&signet_tlog::TlogError::RootMismatch));

    // A corrupted signed entry timestamp: the Rekor layer's error is the source.
    let mut b = good.clone();
    let set = &mut entry(&mut b)["inclusionPromise"]["signedEntryTimestamp"];
    let flipped = set.as_str().unwrap().replacen(|c: char| c != 'A', "A", 1);
    *set = flipped.into();
    let err = verify(case, &b).unwrap_err();
    assert_eq!(
        err.to_string(),
        "transparency log entry 0: signed entry timestamp: signed entry timestamp does not verify"
    );
    let rekor = err
        .source()
        .and_then(|s| s.source())
        .and_then(|s| s.downcast_ref::<signet_rekor::RekorError>());
    assert!(rekor.is_some(), "{err:?}");
}
