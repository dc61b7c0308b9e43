//! The writer's repositories, read back by the client: acceptance, root and online-key rotation,
//! and attacks built from validly signed metadata.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use signet_crypto::SigningKey;
use signet_tuf::repo::{self, Publication, RoleKeys, RootKeys};
use signet_tuf::{Trusted, TufError, verify_target};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-12-01 12:00:00 UTC);
const LATER: OffsetDateTime = datetime!(2027-12-01 00:00:00 UTC);
const EARLIER: OffsetDateTime = datetime!(2026-11-01 00:00:00 UTC);
const TRUSTED_ROOT: &[u8] =
    b"{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\"}\n";

fn key() -> SigningKey {
    SigningKey::generate_p256().unwrap()
}

fn role(keys: &[&SigningKey], threshold: u64) -> RoleKeys {
    RoleKeys::of(keys, threshold)
}

/// Offline root keys (2 of 3), targets key, one online key for snapshot and timestamp.
struct Keys {
    root: [SigningKey; 3],
    targets: SigningKey,
    online: SigningKey,
}

impl Keys {
    fn new() -> Self {
        Self {
            root: [key(), key(), key()],
            targets: key(),
            online: key(),
        }
    }
    fn root_keys(&self) -> RootKeys {
        let [a, b, c] = &self.root;
        RootKeys {
            root: role(&[a, b, c], 2),
            targets: role(&[&self.targets], 1),
            snapshot: role(&[&self.online], 1),
            timestamp: role(&[&self.online], 1),
        }
    }
    fn signed_root(&self, version: u64) -> Vec<u8> {
        let r = repo::root(&self.root_keys(), version, LATER).unwrap();
        repo::sign(&r, &[&self.root[0], &self.root[1]]).unwrap()
    }
    fn targets(&self, version: u64, expires: OffsetDateTime) -> Vec<u8> {
        let t = repo::targets(&[("trusted_root.json", TRUSTED_ROOT)], version, expires);
        repo::sign(&t, &[&self.targets]).unwrap()
    }
    fn snapshot(&self, version: u64, targets_version: u64) -> Vec<u8> {
        let meta = BTreeMap::from([(
            "targets.json".to_string(),
            repo::meta_file(targets_version, None),
        )]);
        repo::sign(&repo::snapshot(meta, version, LATER), &[&self.online]).unwrap()
    }
    fn timestamp(&self, version: u64, snapshot: &[u8], snapshot_version: u64) -> Vec<u8> {
        let meta = repo::meta_file(snapshot_version, Some(snapshot));
        repo::sign(&repo::timestamp(meta, version, LATER), &[&self.online]).unwrap()
    }
}

#[test]
fn the_client_accepts_what_the_writer_writes() {
    let k = Keys::new();
    let root = k.signed_root(1);
    let targets = k.targets(1, LATER);
    let snapshot = k.snapshot(1, 1);
    let timestamp = k.timestamp(1, &snapshot, 1);
    let mut t = Trusted::new(&root, NOW).unwrap();
    t.update_timestamp(&timestamp).unwrap();
    t.update_snapshot(&snapshot).unwrap();
    t.update_targets(&targets).unwrap();
    let info = t.target("trusted_root.json").unwrap();
    verify_target("trusted_root.json", &info, TRUSTED_ROOT).unwrap();
    // Key IDs are sha256 of the canonical key.
    for (id, key) in &t.root().signed.keys {
        assert_eq!(&signet_tuf::key_id(key).unwrap(), id);
    }
    // The published names.
    let publication = Publication {
        roots: vec![&root],
        targets: vec![("targets", &targets)],
        snapshot: Some(&snapshot),
        timestamp: Some(&timestamp),
        files: vec![("trusted_root.json", TRUSTED_ROOT)],
    };
    let names: Vec<String> = publication
        .files()
        .unwrap()
        .into_iter()
        .map(|f| f.0)
        .collect();
    let digest = hex::encode(signet_crypto::sha256(TRUSTED_ROOT).as_bytes());
    assert_eq!(
        names,
        [
            format!("targets/{digest}.trusted_root.json"),
            "1.targets.json".into(),
            "1.root.json".into(),
            "1.snapshot.json".into(),
            "timestamp.json".into(),
        ]
    );
    assert_eq!(
        repo::target_path("registry.npmjs.org/keys.json", b"x"),
        format!(
            "targets/registry.npmjs.org/{}.keys.json",
            hex::encode(signet_crypto::sha256(b"x").as_bytes())
        )
    );
}

#[test]
fn k_of_n_signatures_added_one_at_a_time() {
    let k = Keys::new();
    let r = repo::root(&k.root_keys(), 1, LATER).unwrap();
    let one = repo::sign(&r, &[&k.root[2]]).unwrap();
    assert!(matches!(
        Trusted::new(&one, NOW),
        Err(TufError::Threshold {
            valid: 1,
            threshold: 2,
            ..
        })
    ));
    // The same holder signing again replaces its signature: still one.
    let again = repo::add_signature(&one, &k.root[2]).unwrap();
    assert!(matches!(
        Trusted::new(&again, NOW),
        Err(TufError::Threshold { valid: 1, .. })
    ));
    let two = repo::add_signature(&again, &k.root[0]).unwrap();
    Trusted::new(&two, NOW).unwrap();
}

#[test]
fn root_rotation_needs_old_and_new_thresholds() {
    let old = Keys::new();
    let new = Keys::new();
    let v1 = old.signed_root(1);
    let v2 = repo::root(&new.root_keys(), 2, LATER).unwrap();
    // Signed by the new keys only: refused by the old root's threshold.
    let only_new = repo::sign(&v2, &[&new.root[0], &new.root[1]]).unwrap();
    let mut t = Trusted::new(&v1, NOW).unwrap();
    let err = t.update_root(&only_new).unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Threshold {
                valid: 0,
                threshold: 2,
                ..
            }
        ),
        "{err}"
    );
    // Signed by the old keys only: refused by the new root's own threshold.
    let only_old = repo::sign(&v2, &[&old.root[0], &old.root[1]]).unwrap();
    assert!(matches!(
        t.update_root(&only_old),
        Err(TufError::Threshold { .. })
    ));
    // Old + new threshold: accepted; then metadata by the new keys verifies.
    let both = repo::add_signature(
        &repo::add_signature(&only_old, &new.root[0]).unwrap(),
        &new.root[2],
    )
    .unwrap();
    t.update_root(&both).unwrap();
    assert_eq!(t.root().signed.version, 2);
    let snapshot = new.snapshot(1, 1);
    t.update_timestamp(&new.timestamp(1, &snapshot, 1)).unwrap();
    t.update_snapshot(&snapshot).unwrap();
    t.update_targets(&new.targets(1, LATER)).unwrap();
    // A root version 2 again (replay) is not N+1.
    let mut t = Trusted::new(&both, NOW).unwrap();
    assert!(matches!(
        t.update_root(&both),
        Err(TufError::Version { .. })
    ));
}

#[test]
fn an_online_key_rotation_drops_the_previous_timestamp_and_snapshot() {
    let k = Keys::new();
    let v1 = k.signed_root(1);
    // The previous refresh trusted timestamp v50 / snapshot v40 (say, after a fast-forward).
    let old_snapshot = k.snapshot(40, 1);
    let old_timestamp = k.timestamp(50, &old_snapshot, 40);
    // Root v2 rotates the online key; the repository restarts at timestamp v1 / snapshot v1.
    let online2 = key();
    let mut keys = k.root_keys();
    keys.timestamp = role(&[&online2], 1);
    keys.snapshot = role(&[&online2], 1);
    let v2 = repo::root(&keys, 2, LATER).unwrap();
    let v2 = repo::sign(&v2, &[&k.root[0], &k.root[1]]).unwrap();
    let meta = BTreeMap::from([("targets.json".to_string(), repo::meta_file(1, None))]);
    let snapshot = repo::sign(&repo::snapshot(meta, 1, LATER), &[&online2]).unwrap();
    let timestamp = repo::sign(
        &repo::timestamp(repo::meta_file(1, Some(&snapshot)), 1, LATER),
        &[&online2],
    )
    .unwrap();

    let mut t = Trusted::new(&v1, NOW).unwrap();
    t.load_previous_timestamp(&old_timestamp).unwrap();
    t.load_previous_snapshot(&old_snapshot).unwrap();
    t.update_root(&v2).unwrap();
    assert!(t.timestamp().is_none() && t.snapshot().is_none());
    t.update_timestamp(&timestamp).unwrap();
    t.update_snapshot(&snapshot).unwrap();
    t.update_targets(&k.targets(1, LATER)).unwrap();

    // Without a rotation the same lower versions are rollbacks.
    let mut t = Trusted::new(&v1, NOW).unwrap();
    t.load_previous_timestamp(&old_timestamp).unwrap();
    let snapshot = k.snapshot(1, 1);
    let err = t
        .update_timestamp(&k.timestamp(1, &snapshot, 1))
        .unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Rollback {
                trusted: 50,
                new: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn rollbacks_are_refused() {
    let k = Keys::new();
    let root = k.signed_root(1);
    let previous_snapshot = k.snapshot(5, 3);
    let previous_timestamp = k.timestamp(7, &previous_snapshot, 5);
    let start = || {
        let mut t = Trusted::new(&root, NOW).unwrap();
        t.load_previous_timestamp(&previous_timestamp).unwrap();
        t.load_previous_snapshot(&previous_snapshot).unwrap();
        t
    };
    // Timestamp version lower, equal.
    let s6 = k.snapshot(6, 3);
    let err = start()
        .update_timestamp(&k.timestamp(6, &s6, 6))
        .unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Rollback {
                trusted: 7,
                new: 6,
                ..
            }
        ),
        "{err}"
    );
    let err = start().update_timestamp(&previous_timestamp).unwrap_err();
    assert!(matches!(err, TufError::EqualTimestamp(7)), "{err}");
    // Snapshot version in the timestamp lower.
    let s4 = k.snapshot(4, 3);
    let err = start()
        .update_timestamp(&k.timestamp(8, &s4, 4))
        .unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Rollback {
                trusted: 5,
                new: 4,
                ..
            }
        ),
        "{err}"
    );
    // Targets version in the snapshot lower.
    let mut t = start();
    let s6 = k.snapshot(6, 2);
    t.update_timestamp(&k.timestamp(8, &s6, 6)).unwrap();
    let err = t.update_snapshot(&s6).unwrap_err();
    assert!(
        matches!(&err, TufError::Rollback { role, trusted: 3, new: 2 } if role == "targets.json"),
        "{err}"
    );
    // targets.json removed from the snapshot.
    let mut t = start();
    let empty = repo::sign(&repo::snapshot(BTreeMap::new(), 6, LATER), &[&k.online]).unwrap();
    t.update_timestamp(&k.timestamp(8, &empty, 6)).unwrap();
    assert!(matches!(
        t.update_snapshot(&empty),
        Err(TufError::MetaFileRemoved(_))
    ));
    // A forward move is fine.
    let mut t = start();
    let s6 = k.snapshot(6, 4);
    t.update_timestamp(&k.timestamp(8, &s6, 6)).unwrap();
    t.update_snapshot(&s6).unwrap();
    t.update_targets(&k.targets(4, LATER)).unwrap();
}

#[test]
fn mix_and_match_is_refused() {
    let k = Keys::new();
    let root = k.signed_root(1);
    let snapshot = k.snapshot(2, 1);
    let timestamp = k.timestamp(2, &snapshot, 2);
    // A validly signed snapshot of another version.
    let mut t = Trusted::new(&root, NOW).unwrap();
    t.update_timestamp(&timestamp).unwrap();
    let err = t.update_snapshot(&k.snapshot(3, 1)).unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Length { .. } | TufError::TooLarge { .. } | TufError::Hash { .. }
        ),
        "{err}"
    );
    // Same version, other content: the timestamp's length and hash pin the snapshot.
    let other = k.snapshot(2, 2);
    let err = t.update_snapshot(&other).unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Hash { .. } | TufError::Length { .. } | TufError::TooLarge { .. }
        ),
        "{err}"
    );
    // Without hashes in the timestamp, the version decides.
    let ts = repo::sign(
        &repo::timestamp(repo::meta_file(2, None), 3, LATER),
        &[&k.online],
    )
    .unwrap();
    let mut t = Trusted::new(&root, NOW).unwrap();
    t.update_timestamp(&ts).unwrap();
    let err = t.update_snapshot(&k.snapshot(3, 1)).unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Version {
                expected: 2,
                actual: 3,
                ..
            }
        ),
        "{err}"
    );
    // Targets of another version than the snapshot lists.
    t.update_snapshot(&snapshot).unwrap();
    let err = t.update_targets(&k.targets(2, LATER)).unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Version {
                expected: 1,
                actual: 2,
                ..
            }
        ),
        "{err}"
    );
    // Targets signed by another repository's targets key.
    let other = Keys::new();
    assert!(matches!(
        t.update_targets(&other.targets(1, LATER)),
        Err(TufError::Threshold { .. })
    ));
}

#[test]
fn expired_metadata_is_refused() {
    let k = Keys::new();
    let root = k.signed_root(1);
    let snapshot = k.snapshot(1, 1);
    let mut t = Trusted::new(&root, NOW).unwrap();
    t.update_timestamp(&k.timestamp(1, &snapshot, 1)).unwrap();
    t.update_snapshot(&snapshot).unwrap();
    let err = t.update_targets(&k.targets(1, EARLIER)).unwrap_err();
    assert!(
        matches!(&err, TufError::Expired { role, .. } if role == "targets"),
        "{err}"
    );
    // An expired root stops before the timestamp.
    let mut t = Trusted::new(&root, LATER).unwrap();
    assert!(matches!(
        t.update_timestamp(&k.timestamp(1, &snapshot, 1)),
        Err(TufError::Expired { .. })
    ));
}

#[test]
fn one_key_under_two_keyids_counts_once() {
    let k = Keys::new();
    let mut r = repo::root(&k.root_keys(), 1, LATER).unwrap();
    let real = repo::ecdsa_key_id(k.root[0].public_key()).unwrap();
    let key = r.keys[&real].clone();
    r.keys.insert("alias".into(), key);
    let root_role = r.roles.get_mut("root").unwrap();
    root_role.keyids = vec![real.clone(), "alias".into()];
    root_role.threshold = 2;
    let mut bytes = repo::sign(&r, &[&k.root[0]]).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let sig = v["signatures"][0].clone();
    let mut alias = sig.clone();
    alias["keyid"] = "alias".into();
    v["signatures"].as_array_mut().unwrap().push(alias);
    bytes = serde_json::to_vec(&v).unwrap();
    let err = Trusted::new(&bytes, NOW).unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Threshold {
                valid: 1,
                threshold: 2,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn too_many_root_updates_stop() {
    let k = Keys::new();
    let mut t = Trusted::new(&k.signed_root(1), NOW).unwrap();
    for v in 2..=257 {
        t.update_root(&k.signed_root(v)).unwrap();
    }
    assert!(matches!(
        t.update_root(&k.signed_root(258)),
        Err(TufError::TooManyRootUpdates(256))
    ));
}

#[test]
fn delegations_are_walked_pre_order_and_terminating_stops() {
    use signet_tuf::{DelegatedRole, Delegations, Lookup};
    let k = Keys::new();
    let (a_key, b_key) = (key(), key());
    let delegated = |name: &str, key: &SigningKey, terminating: bool| DelegatedRole {
        name: name.into(),
        keyids: vec![repo::ecdsa_key_id(key.public_key()).unwrap()],
        threshold: 1,
        terminating,
        paths: Some(vec!["npm/*".into()]),
        path_hash_prefixes: None,
        unknown: BTreeMap::new(),
    };
    let build = |a_terminating: bool| {
        let mut top = repo::targets(&[("trusted_root.json", TRUSTED_ROOT)], 1, LATER);
        top.delegations = Some(Delegations {
            keys: [&a_key, &b_key]
                .iter()
                .map(|k| {
                    let key = repo::ecdsa_key(k.public_key()).unwrap();
                    (signet_tuf::key_id(&key).unwrap(), key)
                })
                .collect(),
            roles: vec![
                delegated("a", &a_key, a_terminating),
                delegated("b", &b_key, false),
            ],
            unknown: BTreeMap::new(),
        });
        let top = repo::sign(&top, &[&k.targets]).unwrap();
        let a = repo::sign(&repo::targets(&[("npm/a.json", b"a")], 1, LATER), &[&a_key]).unwrap();
        let b = repo::sign(
            &repo::targets(&[("npm/b.json", b"b"), ("npm/a.json", b"other")], 1, LATER),
            &[&b_key],
        )
        .unwrap();
        let meta = ["targets.json", "a.json", "b.json"]
            .iter()
            .map(|n| (n.to_string(), repo::meta_file(1, None)))
            .collect();
        let snapshot = repo::sign(&repo::snapshot(meta, 1, LATER), &[&k.online]).unwrap();
        let mut t = Trusted::new(&k.signed_root(1), NOW).unwrap();
        t.update_timestamp(&k.timestamp(1, &snapshot, 1)).unwrap();
        t.update_snapshot(&snapshot).unwrap();
        t.update_targets(&top).unwrap();
        (t, a, b)
    };
    let load_all = |t: &mut Trusted, a: &[u8], b: &[u8], path: &str| loop {
        match t.find_target(path) {
            Ok(Lookup::NeedRole { role, parent }) => {
                let bytes = if role == "a" { a } else { b };
                t.update_delegated_targets(bytes, &role, &parent).unwrap();
            }
            other => break other,
        }
    };
    let (mut t, a, b) = build(false);
    // A role signed by the other delegated key is refused.
    assert!(matches!(
        t.update_delegated_targets(&b, "a", "targets"),
        Err(TufError::Threshold { .. })
    ));
    let found = load_all(&mut t, &a, &b, "npm/b.json").unwrap();
    assert_eq!(found, Lookup::Found(repo::target_file(b"b")));
    // Both roles list npm/a.json: the first delegation wins.
    assert_eq!(
        load_all(&mut t, &a, &b, "npm/a.json").unwrap(),
        Lookup::Found(repo::target_file(b"a"))
    );
    let (mut t, a, b) = build(true);
    assert!(matches!(
        load_all(&mut t, &a, &b, "npm/b.json"),
        Err(TufError::TargetNotFound(_))
    ));
    assert_eq!(
        load_all(&mut t, &a, &b, "npm/a.json").unwrap(),
        Lookup::Found(repo::target_file(b"a"))
    );
}

#[test]
fn steps_out_of_order_are_refused() {
    let k = Keys::new();
    let root = k.signed_root(1);
    let snapshot = k.snapshot(1, 1);
    let mut t = Trusted::new(&root, NOW).unwrap();
    assert!(matches!(
        t.update_snapshot(&snapshot),
        Err(TufError::Order(_))
    ));
    assert!(matches!(
        t.find_target("trusted_root.json"),
        Err(TufError::Order(_))
    ));
    t.update_timestamp(&k.timestamp(1, &snapshot, 1)).unwrap();
    // No root update once the timestamp is in.
    assert!(matches!(
        t.update_root(&k.signed_root(2)),
        Err(TufError::Order(_))
    ));
    t.update_snapshot(&snapshot).unwrap();
    t.update_targets(&k.targets(1, LATER)).unwrap();
    assert!(matches!(
        t.update_snapshot(&snapshot),
        Err(TufError::Order(_))
    ));
    assert!(matches!(
        t.update_timestamp(&k.timestamp(2, &snapshot, 1)),
        Err(TufError::Order(_))
    ));
    assert!(matches!(
        t.target("missing.json"),
        Err(TufError::TargetNotFound(_))
    ));
}
