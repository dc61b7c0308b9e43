//! The real Sigstore public-good TUF repository (testdata/sigstore-root-signing, see its
//! PROVENANCE.md): walk the root chain, verify the top-level metadata and targets at a fixed time,
//! and refuse edited copies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::Value;
use signet_tuf::{Lookup, Trusted, TufError, key_id, verify_target};
use time::OffsetDateTime;
use time::macros::datetime;

const INSIDE: OffsetDateTime = datetime!(2026-08-22 00:00:00 UTC);
const AFTER: OffsetDateTime = datetime!(2026-08-28 19:25:56 UTC);

fn read(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/sigstore-root-signing")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn root(n: u64) -> Vec<u8> {
    read(&format!("metadata/root_history/{n}.root.json"))
}

fn walk(from: u64, now: OffsetDateTime) -> Trusted {
    let mut t = Trusted::new(&root(from), now).unwrap();
    for n in from + 1..=15 {
        t.update_root(&root(n))
            .unwrap_or_else(|e| panic!("root {n}: {e}"));
    }
    assert_eq!(t.root().signed.version, 15);
    t
}

fn refresh(t: &mut Trusted) {
    t.update_timestamp(&read("metadata/timestamp.json"))
        .unwrap();
    t.update_snapshot(&read("metadata/snapshot.json")).unwrap();
    t.update_targets(&read("metadata/targets.json")).unwrap();
}

/// Edits the JSON of `rel` (signatures left as they are).
fn edited(rel: &str, f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&read(rel)).unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn walks_root_1_to_15_and_verifies_targets_in_the_timestamp_window() {
    let mut t = walk(1, INSIDE);
    refresh(&mut t);
    for name in ["trusted_root.json", "signing_config.v0.2.json"] {
        let info = t.target(name).unwrap();
        verify_target(name, &info, &read(&format!("targets/{name}"))).unwrap();
    }
    // The npm key is in the terminating delegated role.
    let npm = "registry.npmjs.org/keys.json";
    let Lookup::NeedRole { role, parent } = t.find_target(npm).unwrap() else {
        panic!("the npm target is delegated")
    };
    assert_eq!(
        (role.as_str(), parent.as_str()),
        ("registry.npmjs.org", "targets")
    );
    t.update_delegated_targets(&read("metadata/registry.npmjs.org.json"), &role, &parent)
        .unwrap();
    let info = t.target(npm).unwrap();
    verify_target(npm, &info, &read(&format!("targets/{npm}"))).unwrap();
    // Terminating: a name under the delegated path that the role lacks is not searched further.
    assert!(matches!(
        t.find_target("registry.npmjs.org/other.json"),
        Err(TufError::TargetNotFound(_))
    ));
}

#[test]
fn walks_from_root_5() {
    let mut t = walk(5, INSIDE);
    refresh(&mut t);
    let info = t.target("trusted_root.json").unwrap();
    verify_target(
        "trusted_root.json",
        &info,
        &read("targets/trusted_root.json"),
    )
    .unwrap();
}

#[test]
fn after_the_timestamp_expires_the_refresh_is_refused() {
    let mut t = walk(1, AFTER);
    let err = t
        .update_timestamp(&read("metadata/timestamp.json"))
        .unwrap_err();
    assert!(
        matches!(&err, TufError::Expired { role, .. } if role == "timestamp"),
        "{err}"
    );
    // And the snapshot cannot be loaded on an expired timestamp.
    assert!(matches!(
        t.update_snapshot(&read("metadata/snapshot.json")),
        Err(TufError::Expired { .. })
    ));
}

#[test]
fn an_expired_final_root_is_refused() {
    // Root 14 expired before the window; without root 15 the refresh stops there.
    let mut t = Trusted::new(&root(13), INSIDE).unwrap();
    t.update_root(&root(14)).unwrap();
    let err = t
        .update_timestamp(&read("metadata/timestamp.json"))
        .unwrap_err();
    assert!(
        matches!(&err, TufError::Expired { role, .. } if role == "root"),
        "{err}"
    );
}

#[test]
fn keyids_of_root_15_are_sha256_of_canonical_keys() {
    let r: signet_tuf::Signed<signet_tuf::Root> =
        signet_tuf::Signed::from_bytes(&root(15)).unwrap();
    assert!(r.signed.keys.len() >= 6);
    for (id, key) in &r.signed.keys {
        assert_eq!(&key_id(key).unwrap(), id);
    }
    // Root 11's quirk: one key id does not hash to its key, yet the chain walks (opaque ids).
    let r11: signet_tuf::Signed<signet_tuf::Root> =
        signet_tuf::Signed::from_bytes(&root(11)).unwrap();
    assert!(
        r11.signed
            .keys
            .iter()
            .any(|(id, key)| &key_id(key).unwrap() != id)
    );
}

#[test]
fn root_skipping_a_version_is_refused() {
    let mut t = Trusted::new(&root(13), INSIDE).unwrap();
    let err = t.update_root(&root(15)).unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Version {
                expected: 14,
                actual: 15,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn edited_metadata_fails_its_threshold() {
    let mut t = walk(1, INSIDE);
    let ts = edited("metadata/timestamp.json", |v| {
        v["signed"]["meta"]["snapshot.json"]["version"] = 166.into();
    });
    assert!(matches!(
        t.update_timestamp(&ts),
        Err(TufError::Threshold { .. })
    ));
    // A root edited after signing fails the old root's threshold.
    let mut t = Trusted::new(&root(14), INSIDE).unwrap();
    let r = edited("metadata/root_history/15.root.json", |v| {
        v["signed"]["expires"] = "2036-01-01T00:00:00Z".into();
    });
    assert!(matches!(t.update_root(&r), Err(TufError::Threshold { .. })));
}

#[test]
fn a_root_with_signatures_dropped_below_threshold_is_refused() {
    let mut t = Trusted::new(&root(14), INSIDE).unwrap();
    let r = edited("metadata/root_history/15.root.json", |v| {
        let sigs = v["signatures"].as_array_mut().unwrap();
        // Keep two signatures: threshold is 3.
        sigs.retain(|s| !s["sig"].as_str().unwrap().is_empty());
        sigs.truncate(2);
    });
    let err = t.update_root(&r).unwrap_err();
    assert!(
        matches!(err, TufError::Threshold { threshold: 3, .. }),
        "{err}"
    );
}

#[test]
fn a_signature_repeated_counts_once() {
    let mut t = Trusted::new(&root(14), INSIDE).unwrap();
    let r = edited("metadata/root_history/15.root.json", |v| {
        let sigs = v["signatures"].as_array_mut().unwrap();
        sigs.retain(|s| !s["sig"].as_str().unwrap().is_empty());
        let first = sigs[0].clone();
        sigs.truncate(1);
        sigs.push(first.clone());
        sigs.push(first);
    });
    let err = t.update_root(&r).unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Threshold {
                valid: 1,
                threshold: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn metadata_of_another_role_is_refused_by_type() {
    let mut t = walk(1, INSIDE);
    t.update_timestamp(&read("metadata/timestamp.json"))
        .unwrap();
    assert!(matches!(
        t.update_snapshot(&root(15)),
        Err(TufError::WrongType { .. })
    ));
}

#[test]
fn a_target_with_another_hash_or_length_is_refused() {
    let mut t = walk(5, INSIDE);
    refresh(&mut t);
    let info = t.target("trusted_root.json").unwrap();
    let mut bytes = read("targets/trusted_root.json");
    let last = bytes.len() - 2;
    bytes[last] ^= 1;
    assert!(matches!(
        verify_target("trusted_root.json", &info, &bytes),
        Err(TufError::Hash { .. })
    ));
    bytes.push(b'\n');
    assert!(matches!(
        verify_target("trusted_root.json", &info, &bytes),
        Err(TufError::Length { .. })
    ));
}

#[test]
fn oversize_inputs_are_refused_before_parsing() {
    let mut t = walk(5, INSIDE);
    let big = vec![b' '; 16_385];
    assert!(matches!(
        t.update_timestamp(&big),
        Err(TufError::TooLarge { limit: 16_384, .. })
    ));
    assert!(matches!(
        Trusted::new(&vec![b' '; 512_001], INSIDE),
        Err(TufError::TooLarge { limit: 512_000, .. })
    ));
    t.update_timestamp(&read("metadata/timestamp.json"))
        .unwrap();
    assert!(matches!(
        t.update_snapshot(&vec![b' '; 2_000_001]),
        Err(TufError::TooLarge { .. })
    ));
}

#[test]
fn targets_before_snapshot_is_out_of_order() {
    let mut t = walk(5, INSIDE);
    assert!(matches!(
        t.update_targets(&read("metadata/targets.json")),
        Err(TufError::Order(_))
    ));
}

#[test]
fn the_same_timestamp_again_is_no_update() {
    let timestamp = read("metadata/timestamp.json");
    let mut t = walk(12, INSIDE);
    let mut fresh = t.clone();
    t.load_previous_timestamp(&timestamp).unwrap();
    assert!(matches!(
        t.update_timestamp(&timestamp),
        Err(TufError::EqualTimestamp(762))
    ));
    // The kept timestamp still leads to the snapshot and targets.
    t.update_snapshot(&read("metadata/snapshot.json")).unwrap();
    t.update_targets(&read("metadata/targets.json")).unwrap();
    // Without a previous timestamp the same file is an update.
    fresh.update_timestamp(&timestamp).unwrap();
    assert!(fresh.timestamp_is_fresh());
}
