//! `verify_entry` (the check every log read runs, `signet-verify`'s check of a bundle's entry) on
//! a real Rekor v1 answer from the public-good log: accepted with the log's key; refused after
//! any change to what the SET, the inclusion proof, the checkpoint or the entry ID cover.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use signet_client::verify_entry;
use signet_crypto::{PublicKey, SigningKey};
use signet_rekor::api::LogEntry;

const TESTDATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../testdata/rekor-vectors"
);

fn real() -> (LogEntry, PublicKey) {
    let entry: LogEntry = serde_json::from_slice(
        &std::fs::read(format!("{TESTDATA}/v1_logentry_reconstructed.json")).unwrap(),
    )
    .unwrap();
    let key =
        PublicKey::from_pem(&std::fs::read_to_string(format!("{TESTDATA}/rekor.pub")).unwrap())
            .unwrap();
    (entry, key)
}

/// `entry` after `f` changed its only value; the refusal's message.
fn refused(f: impl FnOnce(&mut signet_rekor::api::LogEntryAnon)) -> String {
    let (mut entry, key) = real();
    f(entry.values_mut().next().unwrap());
    verify_entry(&entry, &key).unwrap_err().to_string()
}

/// The entry's inclusion proof.
fn proof_of(e: &mut signet_rekor::api::LogEntryAnon) -> &mut signet_rekor::api::InclusionProof {
    e.verification
        .as_mut()
        .unwrap()
        .inclusion_proof
        .as_mut()
        .unwrap()
}

#[test]
fn a_real_public_good_entry_verifies_and_every_change_is_refused() {
    let (entry, key) = real();
    let v = verify_entry(&entry, &key).unwrap();
    let (id, e) = entry.iter().next().unwrap();
    assert_eq!(&v.entry_id, id);
    let proof = e
        .verification
        .as_ref()
        .unwrap()
        .inclusion_proof
        .as_ref()
        .unwrap();
    assert_eq!(
        v.checkpoint.size().0,
        u64::try_from(proof.tree_size).unwrap()
    );

    // Another log's key.
    let other = SigningKey::generate_p256().unwrap();
    let err = verify_entry(&entry, other.public_key())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("is not the ID of the trusted log key"),
        "{err}"
    );
    // What the SET signs.
    let err = refused(|e| e.integrated_time += 1);
    assert!(err.contains("signed entry timestamp"), "{err}");
    // The inclusion proof.
    let err = refused(|e| {
        let p = proof_of(e);
        p.hashes.swap(0, 1);
    });
    assert!(err.contains("inclusion proof"), "{err}");
    // The checkpoint's signature.
    let err = refused(|e| {
        let p = proof_of(e);
        p.checkpoint = p
            .checkpoint
            .replacen("rekor.sigstore.dev", "rekor.sigstore.dew", 1);
    });
    assert!(err.contains("checkpoint"), "{err}");
    // Missing evidence.
    let err = refused(|e| e.verification.as_mut().unwrap().signed_entry_timestamp = None);
    assert!(err.contains("no signed entry timestamp"), "{err}");
    let err = refused(|e| e.verification.as_mut().unwrap().inclusion_proof = None);
    assert!(err.contains("no inclusion proof"), "{err}");
    // An entry ID naming another leaf.
    let (entry, key) = real();
    let (id, e) = entry.into_iter().next().unwrap();
    let mut wrong = id.into_bytes();
    let last = wrong.last_mut().unwrap();
    *last = if *last == b'0' { b'1' } else { b'0' };
    let moved: LogEntry = [(String::from_utf8(wrong).unwrap(), e)]
        .into_iter()
        .collect();
    let err = verify_entry(&moved, &key).unwrap_err().to_string();
    assert!(err.contains("does not match the body's leaf hash"), "{err}");
}
