//! Keeping a served repository current: given what is published (the latest root, targets,
//! snapshot and timestamp) and what the targets should be, [`refresh`] signs what must change,
//! in the order clients need it — new target files and targets, then snapshot, then timestamp —
//! and says what it could not do.
//!
//! * Targets change when a target's bytes change (or to renew them before they expire), signed
//!   by the targets key when the caller has it (a development instance keeps it on line; a
//!   ceremony keeps it off line, and then the change waits for `signet tuf publish`).
//! * The root is renewed (version N+1, same keys and thresholds) before it expires when the
//!   caller has a root key that meets the root threshold alone.
//! * Snapshot and timestamp are signed by the online key whenever what they describe changes,
//!   and renewed before they expire (the timestamp about daily, as Sigstore does).
//!
//! Pure: bytes in, bytes out, time as an input.

use std::collections::BTreeMap;

use signet_crypto::SigningKey;
use time::{Duration, OffsetDateTime};

use crate::TufError;
use crate::metadata::{Root, Signed, Snapshot, Targets, Timestamp};
use crate::repo::{self, metadata_path, target_file, target_path};

/// Expiry periods and how long before expiry each role is signed again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Periods {
    /// Root lifetime.
    pub root: Duration,
    /// Targets lifetime.
    pub targets: Duration,
    /// Snapshot lifetime.
    pub snapshot: Duration,
    /// Timestamp lifetime.
    pub timestamp: Duration,
    /// Root, targets and snapshot are renewed when less than this is left.
    pub renew_before: Duration,
    /// The timestamp is renewed when less than this is left.
    pub timestamp_renew_before: Duration,
}

impl Default for Periods {
    /// Sigstore's practice, shortened for the root: root 1 year, targets 1 year, snapshot 1
    /// year, timestamp 7 days; renewed 30 days (timestamp: 6 days) before expiry.
    fn default() -> Self {
        Self {
            root: Duration::days(365),
            targets: Duration::days(365),
            snapshot: Duration::days(365),
            timestamp: Duration::days(7),
            renew_before: Duration::days(30),
            timestamp_renew_before: Duration::days(6),
        }
    }
}

/// What is published now (signed metadata as served).
#[derive(Clone, Copy, Debug)]
pub struct Published<'a> {
    /// The latest root.
    pub root: &'a [u8],
    /// The latest top-level targets, if any.
    pub targets: Option<&'a [u8]>,
    /// The latest snapshot, if any.
    pub snapshot: Option<&'a [u8]>,
    /// The timestamp, if any.
    pub timestamp: Option<&'a [u8]>,
}

/// The keys the caller holds.
#[derive(Clone, Copy, Debug)]
pub struct Keys<'a> {
    /// The online snapshot and timestamp key (required).
    pub online: &'a SigningKey,
    /// The targets key, when it is on line.
    pub targets: Option<&'a SigningKey>,
    /// A root key that meets the root threshold alone (development roots).
    pub root: Option<&'a SigningKey>,
}

/// The result of [`refresh`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Files to publish, as `(path under the repository, bytes)`, in publication order (target
    /// files, root, targets, snapshot, then `timestamp.json` last). Empty when nothing changed.
    pub files: Vec<(String, Vec<u8>)>,
    /// What needs an operator: targets that differ from what is published without a targets
    /// key, metadata expiring soon that this caller cannot renew.
    pub warnings: Vec<String>,
}

fn days_left(expires: OffsetDateTime, now: OffsetDateTime) -> i64 {
    expires
        .unix_timestamp()
        .saturating_sub(now.unix_timestamp())
        .checked_div(86_400)
        .unwrap_or(0)
}

/// Whether `expires` falls within `within` of `now` (or before it).
fn soon(expires: OffsetDateTime, now: OffsetDateTime, within: Duration) -> bool {
    now.checked_add(within).is_none_or(|limit| expires < limit)
}

/// `now + period`.
fn after(now: OffsetDateTime, period: Duration) -> Result<OffsetDateTime, TufError> {
    now.checked_add(period)
        .ok_or_else(|| TufError::Key("expiry out of range".into()))
}

/// Brings the repository up to date with `desired` targets (name, bytes) at `now`.
pub fn refresh(
    published: &Published<'_>,
    desired: &[(&str, &[u8])],
    keys: &Keys<'_>,
    periods: &Periods,
    now: OffsetDateTime,
) -> Result<Refreshed, TufError> {
    let mut out = Refreshed::default();
    let root = Signed::<Root>::from_bytes(published.root)?;
    let role_has = |role: &str, key: &SigningKey| -> Result<bool, TufError> {
        let id = repo::ecdsa_key_id(key.public_key())?;
        Ok(root
            .signed
            .roles
            .get(role)
            .is_some_and(|r| r.keyids.contains(&id)))
    };
    for role in ["snapshot", "timestamp"] {
        if !role_has(role, keys.online)? {
            return Err(TufError::Key(format!(
                "the online key is not the root's {role} key"
            )));
        }
    }

    // The root: renewed with the same keys when it is about to expire and a root key can.
    let root_expires = root.signed.expires.0;
    if soon(root_expires, now, periods.renew_before) {
        let single = root
            .signed
            .roles
            .get("root")
            .is_some_and(|r| r.threshold == 1);
        match keys.root {
            Some(k) if single && role_has("root", k)? => {
                let mut next = root.signed.clone();
                next.version = next
                    .version
                    .checked_add(1)
                    .ok_or_else(|| TufError::Key("root version overflow".into()))?;
                next.expires = crate::Expires(after(now, periods.root)?);
                out.files.push((
                    metadata_path("root", next.version),
                    repo::sign(&next, &[k])?,
                ));
            }
            _ => out.warnings.push(format!(
                "root version {} expires {} ({} days): sign a new root with the root keys",
                root.signed.version,
                root_expires,
                days_left(root_expires, now)
            )),
        }
    }

    // Targets: what they list must be `desired`.
    let current = published
        .targets
        .map(Signed::<Targets>::from_bytes)
        .transpose()?;
    let wanted: BTreeMap<String, crate::TargetFile> = desired
        .iter()
        .map(|(name, bytes)| ((*name).to_string(), target_file(bytes)))
        .collect();
    let same = current.as_ref().is_some_and(|t| {
        t.signed.targets.len() == wanted.len()
            && wanted.iter().all(|(n, w)| {
                t.signed
                    .targets
                    .get(n)
                    .is_some_and(|h| h.length == w.length && h.hashes == w.hashes)
            })
    });
    let expiring = current
        .as_ref()
        .is_none_or(|t| soon(t.signed.expires.0, now, periods.renew_before));
    let mut targets_bytes = published.targets.map(<[u8]>::to_vec);
    let mut targets_version = current.as_ref().map_or(0, |t| t.signed.version);
    if !same || expiring {
        match keys.targets {
            Some(k) if role_has("targets", k)? => {
                targets_version = targets_version
                    .checked_add(1)
                    .ok_or_else(|| TufError::Key("targets version overflow".into()))?;
                let t = repo::targets(desired, targets_version, after(now, periods.targets)?);
                let bytes = repo::sign(&t, &[k])?;
                for (name, file) in desired {
                    out.files.push((target_path(name, file), file.to_vec()));
                }
                out.files
                    .push((metadata_path("targets", targets_version), bytes.clone()));
                targets_bytes = Some(bytes);
            }
            _ if !same => out.warnings.push(
                "the trust files changed but the targets key is not here: the repository still \
                 serves the previous ones (sign and publish new targets with `signet tuf`)"
                    .to_string(),
            ),
            _ => {
                if let Some(t) = &current {
                    out.warnings.push(format!(
                        "targets version {} expires {} ({} days): sign new targets",
                        t.signed.version,
                        t.signed.expires.0,
                        days_left(t.signed.expires.0, now)
                    ));
                }
            }
        }
    }
    let Some(targets_bytes) = targets_bytes else {
        return Err(TufError::Key(
            "no targets published and no targets key to sign them".into(),
        ));
    };

    // Snapshot: new when targets changed, missing, or about to expire.
    let snapshot = published
        .snapshot
        .map(Signed::<Snapshot>::from_bytes)
        .transpose()?;
    let names_targets = snapshot.as_ref().and_then(|s| {
        s.signed
            .meta
            .get("targets.json")
            .map(|m| m.version == targets_version)
    }) == Some(true);
    let mut snapshot_bytes = published.snapshot.map(<[u8]>::to_vec);
    let mut snapshot_version = snapshot.as_ref().map_or(0, |s| s.signed.version);
    if !names_targets
        || snapshot
            .as_ref()
            .is_none_or(|s| soon(s.signed.expires.0, now, periods.renew_before))
    {
        snapshot_version = snapshot_version
            .checked_add(1)
            .ok_or_else(|| TufError::Key("snapshot version overflow".into()))?;
        let meta = BTreeMap::from([(
            "targets.json".to_string(),
            repo::meta_file(targets_version, Some(&targets_bytes)),
        )]);
        let s = repo::snapshot(meta, snapshot_version, after(now, periods.snapshot)?);
        let bytes = repo::sign(&s, &[keys.online])?;
        out.files
            .push((metadata_path("snapshot", snapshot_version), bytes.clone()));
        snapshot_bytes = Some(bytes);
    }
    let snapshot_bytes = snapshot_bytes.unwrap_or_default();

    // Timestamp: new when the snapshot changed, missing, or about to expire.
    let timestamp = published
        .timestamp
        .map(Signed::<Timestamp>::from_bytes)
        .transpose()?;
    let names_snapshot = timestamp.as_ref().and_then(|t| {
        t.signed
            .meta
            .get("snapshot.json")
            .map(|m| m.version == snapshot_version)
    }) == Some(true);
    if !names_snapshot
        || timestamp
            .as_ref()
            .is_none_or(|t| soon(t.signed.expires.0, now, periods.timestamp_renew_before))
    {
        let version = timestamp
            .as_ref()
            .map_or(0, |t| t.signed.version)
            .checked_add(1)
            .ok_or_else(|| TufError::Key("timestamp version overflow".into()))?;
        let t = repo::timestamp(
            repo::meta_file(snapshot_version, Some(&snapshot_bytes)),
            version,
            after(now, periods.timestamp)?,
        );
        out.files.push((
            "timestamp.json".to_string(),
            repo::sign(&t, &[keys.online])?,
        ));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::Trusted;
    use crate::repo::{RoleKeys, RootKeys};

    fn key() -> SigningKey {
        SigningKey::generate_p256().unwrap()
    }

    fn t0() -> OffsetDateTime {
        time::macros::datetime!(2026-12-01 00:00 UTC)
    }

    struct Repo {
        files: BTreeMap<String, Vec<u8>>,
        root_version: u64,
    }

    impl Repo {
        fn latest(&self, role: &str) -> Option<&[u8]> {
            self.files
                .iter()
                .filter_map(|(p, b)| {
                    let (v, rest) = p.split_once('.')?;
                    (rest == format!("{role}.json"))
                        .then(|| v.parse::<u64>().ok())
                        .flatten()
                        .map(|v| (v, b))
                })
                .max_by_key(|(v, _)| *v)
                .map(|(_, b)| b.as_slice())
        }

        fn published(&self) -> Published<'_> {
            Published {
                root: self.latest("root").unwrap(),
                targets: self.latest("targets"),
                snapshot: self.latest("snapshot"),
                timestamp: self.files.get("timestamp.json").map(Vec::as_slice),
            }
        }

        fn apply(&mut self, r: Refreshed) {
            for (p, b) in r.files {
                if p.ends_with(".root.json") {
                    self.root_version += 1;
                }
                self.files.insert(p, b);
            }
        }

        /// A client from root 1 refreshes the whole repository at `now` and checks `name`.
        fn client_sees(&self, now: OffsetDateTime, name: &str, bytes: &[u8]) {
            let mut t = Trusted::new(&self.files["1.root.json"], now).unwrap();
            for v in 2..=self.root_version {
                t.update_root(&self.files[&format!("{v}.root.json")])
                    .unwrap();
            }
            t.finish_roots().unwrap();
            t.update_timestamp(&self.files["timestamp.json"]).unwrap();
            let sv = t.timestamp().unwrap().signed.meta["snapshot.json"].version;
            t.update_snapshot(&self.files[&format!("{sv}.snapshot.json")])
                .unwrap();
            let tv = t.snapshot().unwrap().signed.meta["targets.json"].version;
            t.update_targets(&self.files[&format!("{tv}.targets.json")])
                .unwrap();
            let info = t.target(name).unwrap();
            crate::verify_target(name, &info, bytes).unwrap();
            let path = target_path(name, bytes);
            assert_eq!(self.files[&path], bytes);
        }
    }

    #[test]
    fn a_development_repository_follows_its_trust_files_and_renews_itself() {
        let (rk, tk, ok) = (key(), key(), key());
        let root = repo::root(
            &RootKeys {
                root: RoleKeys::of(&[&rk], 1),
                targets: RoleKeys::of(&[&tk], 1),
                snapshot: RoleKeys::of(&[&ok], 1),
                timestamp: RoleKeys::of(&[&ok], 1),
            },
            1,
            t0() + Duration::days(365),
        )
        .unwrap();
        let mut r = Repo {
            files: BTreeMap::from([(
                "1.root.json".to_string(),
                repo::sign(&root, &[&rk]).unwrap(),
            )]),
            root_version: 1,
        };
        let keys = Keys {
            online: &ok,
            targets: Some(&tk),
            root: Some(&rk),
        };
        let p = Periods::default();
        let v1: &[(&str, &[u8])] = &[
            ("trusted_root.json", b"one"),
            ("signing_config.v0.2.json", b"cfg"),
        ];
        let out = refresh(&r.published(), v1, &keys, &p, t0()).unwrap();
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        assert_eq!(out.files.last().unwrap().0, "timestamp.json");
        r.apply(out);
        r.client_sees(t0(), "trusted_root.json", b"one");
        // Nothing changed: nothing to sign.
        assert_eq!(
            refresh(&r.published(), v1, &keys, &p, t0()).unwrap(),
            Refreshed::default()
        );
        // A day later the timestamp is renewed, nothing else.
        let day = t0() + Duration::days(1) + Duration::minutes(1);
        let out = refresh(&r.published(), v1, &keys, &p, day).unwrap();
        let paths: Vec<&str> = out.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["timestamp.json"]);
        r.apply(out);
        r.client_sees(day, "trusted_root.json", b"one");
        // A changed trust file: new targets, snapshot and timestamp.
        let v2: &[(&str, &[u8])] = &[
            ("trusted_root.json", b"two"),
            ("signing_config.v0.2.json", b"cfg"),
        ];
        let out = refresh(&r.published(), v2, &keys, &p, day).unwrap();
        let paths: Vec<&str> = out.files.iter().map(|(p, _)| p.as_str()).collect();
        assert!(paths.contains(&"2.targets.json") && paths.contains(&"2.snapshot.json"));
        r.apply(out);
        r.client_sees(day, "trusted_root.json", b"two");
        // Near the root's expiry, a new root with the same keys.
        let late = t0() + Duration::days(340);
        let out = refresh(&r.published(), v2, &keys, &p, late).unwrap();
        assert!(out.files.iter().any(|(p, _)| p == "2.root.json"));
        r.apply(out);
        r.client_sees(late, "trusted_root.json", b"two");
        // Without the targets key a change waits, and says so; the old targets stay served.
        let offline = Keys {
            targets: None,
            root: None,
            ..keys
        };
        let v3: &[(&str, &[u8])] = &[
            ("trusted_root.json", b"three"),
            ("signing_config.v0.2.json", b"cfg"),
        ];
        let out = refresh(&r.published(), v3, &offline, &p, late).unwrap();
        assert!(out.files.is_empty());
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        // A key that is not the root's online key is refused.
        let stranger = key();
        let bad = Keys {
            online: &stranger,
            ..keys
        };
        assert!(refresh(&r.published(), v3, &bad, &p, late).is_err());
    }
}
