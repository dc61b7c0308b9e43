//! The client side of TUF 1.0 §5 "Detailed client workflow" as a pure state machine, after
//! python-tuf's `TrustedMetadataSet`: the caller fetches bytes, [`Trusted`] decides whether they
//! can be trusted. Order: [`Trusted::new`] with a trusted root, optionally the previously trusted
//! timestamp and snapshot ([`Trusted::load_previous_timestamp`], [`Trusted::load_previous_snapshot`])
//! as rollback references, [`Trusted::update_root`] with `N+1.root.json` until the repository has
//! none, then [`Trusted::update_timestamp`], [`Trusted::update_snapshot`],
//! [`Trusted::update_targets`] (and [`Trusted::update_delegated_targets`] when
//! [`Trusted::find_target`] asks for a delegated role), and [`verify_target`] on the target's bytes.

use std::collections::{BTreeMap, BTreeSet};

use signet_crypto::HashAlgorithm;
use time::OffsetDateTime;

use crate::TufError;
use crate::metadata::{
    DelegatedRole, MetaFile, Metadata, RoleType, Root, Signed, Snapshot, TargetFile, Targets,
    Timestamp,
};

/// Fixed limits on untrusted input (python-tuf 7's defaults).
pub mod limits {
    /// Largest `root.json` accepted.
    pub const MAX_ROOT_BYTES: u64 = 512_000;
    /// Largest `timestamp.json` accepted.
    pub const MAX_TIMESTAMP_BYTES: u64 = 16_384;
    /// Largest `snapshot.json` accepted (when timestamp gives no length).
    pub const MAX_SNAPSHOT_BYTES: u64 = 2_000_000;
    /// Largest targets metadata accepted (when snapshot gives no length).
    pub const MAX_TARGETS_BYTES: u64 = 5_000_000;
    /// Most root versions walked in one refresh.
    pub const MAX_ROOT_ROTATIONS: u32 = 256;
    /// Most targets roles a target lookup visits.
    pub const MAX_DELEGATIONS: usize = 32;
}

/// One piece of trusted metadata with the bytes it was read from (to persist).
#[derive(Clone, Debug)]
struct Held<T> {
    meta: Signed<T>,
    bytes: Vec<u8>,
}

/// Result of a target lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The target, as listed by the first role (pre-order) that lists it.
    Found(TargetFile),
    /// The lookup needs the delegated role `role` (delegated by `parent`): fetch
    /// `<version>.<role>.json` (the version the snapshot lists; percent-encode the role name in
    /// the URL, it is untrusted text), pass it to [`Trusted::update_delegated_targets`], ask
    /// again.
    NeedRole {
        /// Delegated role to load.
        role: String,
        /// The role that delegates it.
        parent: String,
    },
}

/// Trusted metadata at a fixed reference time.
#[derive(Clone, Debug)]
pub struct Trusted {
    now: OffsetDateTime,
    root: Held<Root>,
    root_updates: u32,
    roots_done: bool,
    timestamp: Option<Held<Timestamp>>,
    timestamp_fresh: bool,
    snapshot: Option<Held<Snapshot>>,
    snapshot_fresh: bool,
    targets: BTreeMap<String, Held<Targets>>,
}

fn cap(role: &str, bytes: &[u8], limit: u64) -> Result<(), TufError> {
    let actual = bytes.len() as u64;
    if actual > limit {
        return Err(TufError::TooLarge {
            role: role.to_string(),
            limit,
            actual,
        });
    }
    Ok(())
}

fn expired<T: Metadata>(role: &str, meta: &T, now: OffsetDateTime) -> Result<(), TufError> {
    if meta.expires().is_expired(now) {
        return Err(TufError::Expired {
            role: role.to_string(),
            expires: meta.expires().to_spec_string(),
        });
    }
    Ok(())
}

fn role_keyids(root: &Root, role: &str) -> Option<(BTreeSet<String>, u64)> {
    root.roles
        .get(role)
        .map(|r| (r.keyids.iter().cloned().collect(), r.threshold))
}

impl Trusted {
    /// Starts from a trusted root (obtained out of band or from the cache). The root must be
    /// signed by its own threshold; its expiry is checked only when the root updates end.
    pub fn new(root_bytes: &[u8], now: OffsetDateTime) -> Result<Self, TufError> {
        cap("root", root_bytes, limits::MAX_ROOT_BYTES)?;
        let root = Signed::<Root>::from_bytes(root_bytes)?;
        let role = root.signed.role("root")?;
        root.verify_role("root", &root.signed.keys, &role.keyids, role.threshold)?;
        Ok(Self {
            now,
            root: Held {
                meta: root,
                bytes: root_bytes.to_vec(),
            },
            root_updates: 0,
            roots_done: false,
            timestamp: None,
            timestamp_fresh: false,
            snapshot: None,
            snapshot_fresh: false,
            targets: BTreeMap::new(),
        })
    }

    /// Loads the timestamp trusted in an earlier refresh, as the reference for rollback checks
    /// (signature checked with the current root; expiry not checked). Before root updates.
    pub fn load_previous_timestamp(&mut self, bytes: &[u8]) -> Result<(), TufError> {
        let held = self.load_previous("timestamp", self.timestamp.is_some(), bytes)?;
        self.timestamp = Some(held);
        Ok(())
    }

    /// Loads the snapshot trusted in an earlier refresh (rollback reference). Before root updates.
    pub fn load_previous_snapshot(&mut self, bytes: &[u8]) -> Result<(), TufError> {
        let held = self.load_previous("snapshot", self.snapshot.is_some(), bytes)?;
        self.snapshot = Some(held);
        Ok(())
    }

    fn load_previous<T: Metadata>(
        &self,
        role: &str,
        loaded: bool,
        bytes: &[u8],
    ) -> Result<Held<T>, TufError> {
        if self.roots_done || loaded {
            return Err(TufError::Order(format!(
                "a previous {role} loads only once, before the timestamp update"
            )));
        }
        let limit = match T::TYPE {
            RoleType::Timestamp => limits::MAX_TIMESTAMP_BYTES,
            _ => limits::MAX_SNAPSHOT_BYTES,
        };
        cap(role, bytes, limit)?;
        let meta = Signed::<T>::from_bytes(bytes)?;
        self.verify_top(role, &meta)?;
        Ok(Held {
            meta,
            bytes: bytes.to_vec(),
        })
    }

    fn verify_top<T: Metadata>(&self, role: &str, meta: &Signed<T>) -> Result<(), TufError> {
        let root = &self.root.meta.signed;
        let r = root.role(role)?;
        meta.verify_role(role, &root.keys, &r.keyids, r.threshold)
    }

    /// Verifies `N+1.root.json`: signed by a threshold of the current root's root keys and of its
    /// own, version exactly N+1 (spec 5.3.4–5.3.5). Not checked for expiry (only the final root
    /// is, by [`Trusted::finish_roots`]). If the timestamp or snapshot keys changed, the previous
    /// timestamp and snapshot are dropped (5.3.11).
    pub fn update_root(&mut self, bytes: &[u8]) -> Result<(), TufError> {
        if self.roots_done {
            return Err(TufError::Order(
                "root updates end before the timestamp update".into(),
            ));
        }
        if self.root_updates >= limits::MAX_ROOT_ROTATIONS {
            return Err(TufError::TooManyRootUpdates(limits::MAX_ROOT_ROTATIONS));
        }
        cap("root", bytes, limits::MAX_ROOT_BYTES)?;
        let new = Signed::<Root>::from_bytes(bytes)?;
        self.verify_top("root", &new)?;
        let expected = self.root.meta.signed.version.saturating_add(1);
        if new.signed.version != expected {
            return Err(TufError::Version {
                role: "root".into(),
                expected,
                actual: new.signed.version,
            });
        }
        let own = new.signed.role("root")?;
        new.verify_role("root", &new.signed.keys, &own.keyids, own.threshold)?;
        let old = &self.root.meta.signed;
        let rotated = ["timestamp", "snapshot"]
            .iter()
            .any(|r| role_keyids(old, r) != role_keyids(&new.signed, r));
        if rotated {
            self.timestamp = None;
            self.snapshot = None;
        }
        self.root = Held {
            meta: new,
            bytes: bytes.to_vec(),
        };
        self.root_updates = self.root_updates.saturating_add(1);
        Ok(())
    }

    /// Ends the root updates: the final root must be unexpired at the reference time (5.3.10).
    /// [`Trusted::update_timestamp`] calls it.
    pub fn finish_roots(&mut self) -> Result<(), TufError> {
        expired("root", &self.root.meta.signed, self.now)?;
        self.roots_done = true;
        Ok(())
    }

    /// Verifies a new `timestamp.json` (5.4): signed by the root's timestamp threshold, version
    /// not lower than the trusted one (equal: [`TufError::EqualTimestamp`], keep the trusted
    /// one), snapshot version not lower, then unexpired. A rollback-checked but expired
    /// timestamp is kept (as python-tuf) and the error returned.
    pub fn update_timestamp(&mut self, bytes: &[u8]) -> Result<(), TufError> {
        if self.snapshot_fresh {
            return Err(TufError::Order(
                "timestamp cannot change after the snapshot update".into(),
            ));
        }
        self.finish_roots()?;
        cap("timestamp", bytes, limits::MAX_TIMESTAMP_BYTES)?;
        let new = Signed::<Timestamp>::from_bytes(bytes)?;
        self.verify_top("timestamp", &new)?;
        let new_snapshot = new.signed.snapshot_meta()?.version;
        if let Some(old) = &self.timestamp {
            let old_version = old.meta.signed.version;
            if new.signed.version < old_version {
                return Err(TufError::Rollback {
                    role: "timestamp".into(),
                    trusted: old_version,
                    new: new.signed.version,
                });
            }
            if new.signed.version == old_version {
                return Err(TufError::EqualTimestamp(old_version));
            }
            let old_snapshot = old.meta.signed.snapshot_meta()?.version;
            if new_snapshot < old_snapshot {
                return Err(TufError::Rollback {
                    role: "snapshot.json (in timestamp)".into(),
                    trusted: old_snapshot,
                    new: new_snapshot,
                });
            }
        }
        self.timestamp = Some(Held {
            meta: new,
            bytes: bytes.to_vec(),
        });
        self.timestamp_fresh = true;
        self.check_timestamp().map(|_| ())
    }

    fn check_timestamp(&self) -> Result<&Timestamp, TufError> {
        let ts = &self
            .timestamp
            .as_ref()
            .ok_or_else(|| TufError::Order("no trusted timestamp".into()))?
            .meta
            .signed;
        expired("timestamp", ts, self.now)?;
        Ok(ts)
    }

    /// Verifies `V.snapshot.json` (5.5): length/hashes if the timestamp lists them, signed by the
    /// snapshot threshold, version exactly the timestamp's (mix-and-match), no listed file
    /// removed or rolled back against the trusted snapshot, then unexpired (an expired one is
    /// kept as the rollback reference and the error returned).
    pub fn update_snapshot(&mut self, bytes: &[u8]) -> Result<(), TufError> {
        if !self.targets.is_empty() {
            return Err(TufError::Order(
                "snapshot cannot change after a targets update".into(),
            ));
        }
        let meta = self.check_timestamp()?.snapshot_meta()?.clone();
        cap(
            "snapshot",
            bytes,
            meta.length.unwrap_or(limits::MAX_SNAPSHOT_BYTES),
        )?;
        check_meta_file("snapshot.json", &meta, bytes)?;
        let new = Signed::<Snapshot>::from_bytes(bytes)?;
        self.verify_top("snapshot", &new)?;
        if new.signed.version != meta.version {
            return Err(TufError::Version {
                role: "snapshot".into(),
                expected: meta.version,
                actual: new.signed.version,
            });
        }
        if let Some(old) = &self.snapshot {
            for (name, old_file) in &old.meta.signed.meta {
                let Some(new_file) = new.signed.meta.get(name) else {
                    return Err(TufError::MetaFileRemoved(name.clone()));
                };
                if new_file.version < old_file.version {
                    return Err(TufError::Rollback {
                        role: name.clone(),
                        trusted: old_file.version,
                        new: new_file.version,
                    });
                }
            }
        }
        self.snapshot = Some(Held {
            meta: new,
            bytes: bytes.to_vec(),
        });
        self.snapshot_fresh = true;
        self.check_snapshot().map(|_| ())
    }

    fn check_snapshot(&self) -> Result<&Snapshot, TufError> {
        let ts = self.check_timestamp()?;
        let snapshot = &self
            .snapshot
            .as_ref()
            .ok_or_else(|| TufError::Order("no trusted snapshot".into()))?
            .meta
            .signed;
        expired("snapshot", snapshot, self.now)?;
        let expected = ts.snapshot_meta()?.version;
        if snapshot.version != expected {
            return Err(TufError::Version {
                role: "snapshot".into(),
                expected,
                actual: snapshot.version,
            });
        }
        Ok(snapshot)
    }

    /// Verifies `V.targets.json` (5.6) against the root's targets role.
    pub fn update_targets(&mut self, bytes: &[u8]) -> Result<(), TufError> {
        self.update_delegated_targets(bytes, "targets", "root")
    }

    /// Verifies the targets metadata of `role`, delegated by `parent` (`root` for the top-level
    /// `targets`): listed in the snapshot (length/hashes if given, version exactly), signed by the
    /// delegation's threshold, unexpired.
    pub fn update_delegated_targets(
        &mut self,
        bytes: &[u8],
        role: &str,
        parent: &str,
    ) -> Result<(), TufError> {
        let file = format!("{role}.json");
        let meta: MetaFile = self
            .check_snapshot()?
            .meta
            .get(&file)
            .cloned()
            .ok_or_else(|| TufError::NotListed {
                referrer: "snapshot".into(),
                file: file.clone(),
            })?;
        cap(
            role,
            bytes,
            meta.length.unwrap_or(limits::MAX_TARGETS_BYTES),
        )?;
        check_meta_file(&file, &meta, bytes)?;
        let new = Signed::<Targets>::from_bytes(bytes)?;
        if parent == "root" {
            if role != "targets" {
                return Err(TufError::UnknownRole(role.to_string()));
            }
            self.verify_top("targets", &new)?;
        } else {
            let delegator = &self
                .targets
                .get(parent)
                .ok_or_else(|| TufError::Order(format!("{parent} is not loaded")))?
                .meta
                .signed;
            let delegations = delegator
                .delegations
                .as_ref()
                .ok_or_else(|| TufError::UnknownRole(role.to_string()))?;
            let delegated = delegations
                .roles
                .iter()
                .find(|r| r.name == role)
                .ok_or_else(|| TufError::UnknownRole(role.to_string()))?;
            new.verify_role(
                role,
                &delegations.keys,
                &delegated.keyids,
                delegated.threshold,
            )?;
        }
        if new.signed.version != meta.version {
            return Err(TufError::Version {
                role: role.to_string(),
                expected: meta.version,
                actual: new.signed.version,
            });
        }
        expired(role, &new.signed, self.now)?;
        self.targets.insert(
            role.to_string(),
            Held {
                meta: new,
                bytes: bytes.to_vec(),
            },
        );
        Ok(())
    }

    /// Looks `path` up by the pre-order depth-first walk of the delegations (5.6.7), honouring
    /// `terminating`. Asks for a delegated role not loaded yet.
    pub fn find_target(&self, path: &str) -> Result<Lookup, TufError> {
        if !self.targets.contains_key("targets") {
            return Err(TufError::Order("no trusted targets".into()));
        }
        let mut stack: Vec<(String, String)> = vec![("targets".into(), "root".into())];
        let mut visited = BTreeSet::new();
        while let Some((role, parent)) = stack.pop() {
            if visited.contains(&role) {
                continue;
            }
            let Some(held) = self.targets.get(&role) else {
                return Ok(Lookup::NeedRole { role, parent });
            };
            if visited.len() >= limits::MAX_DELEGATIONS {
                return Err(TufError::TooManyDelegations(limits::MAX_DELEGATIONS));
            }
            visited.insert(role.clone());
            let targets = &held.meta.signed;
            if let Some(found) = targets.targets.get(path) {
                return Ok(Lookup::Found(found.clone()));
            }
            let Some(delegations) = &targets.delegations else {
                continue;
            };
            let mut children = Vec::new();
            for child in &delegations.roles {
                if delegates(child, path) {
                    children.push((child.name.clone(), role.clone()));
                    if child.terminating {
                        stack.clear();
                        break;
                    }
                }
            }
            children.reverse();
            stack.extend(children);
        }
        Err(TufError::TargetNotFound(path.to_string()))
    }

    /// The target `path` when every role the lookup needs is loaded.
    pub fn target(&self, path: &str) -> Result<TargetFile, TufError> {
        match self.find_target(path)? {
            Lookup::Found(file) => Ok(file),
            Lookup::NeedRole { role, .. } => Err(TufError::Order(format!(
                "delegated role {role} must be loaded to look up {path}"
            ))),
        }
    }

    /// The trusted root.
    pub fn root(&self) -> &Signed<Root> {
        &self.root.meta
    }
    /// The bytes of the trusted root (to persist).
    pub fn root_bytes(&self) -> &[u8] {
        &self.root.bytes
    }
    /// The trusted timestamp, if any.
    pub fn timestamp(&self) -> Option<&Signed<Timestamp>> {
        self.timestamp.as_ref().map(|h| &h.meta)
    }
    /// Its bytes.
    pub fn timestamp_bytes(&self) -> Option<&[u8]> {
        self.timestamp.as_ref().map(|h| h.bytes.as_slice())
    }
    /// The trusted snapshot, if any.
    pub fn snapshot(&self) -> Option<&Signed<Snapshot>> {
        self.snapshot.as_ref().map(|h| &h.meta)
    }
    /// Its bytes.
    pub fn snapshot_bytes(&self) -> Option<&[u8]> {
        self.snapshot.as_ref().map(|h| h.bytes.as_slice())
    }
    /// Trusted targets metadata of `role` (`targets` or a delegated role).
    pub fn targets(&self, role: &str) -> Option<&Signed<Targets>> {
        self.targets.get(role).map(|h| &h.meta)
    }
    /// Its bytes.
    pub fn targets_bytes(&self, role: &str) -> Option<&[u8]> {
        self.targets.get(role).map(|h| h.bytes.as_slice())
    }
    /// Whether the timestamp was updated in this refresh (not only loaded from a previous one).
    pub fn timestamp_is_fresh(&self) -> bool {
        self.timestamp_fresh
    }
}

/// Whether `role` is trusted for `path`: `paths` patterns (`*`/`?` within one `/` segment, same
/// number of segments, as python-tuf) or `path_hash_prefixes`.
fn delegates(role: &DelegatedRole, path: &str) -> bool {
    if let Some(patterns) = &role.paths {
        return patterns.iter().any(|p| path_matches(p, path));
    }
    if let Some(prefixes) = &role.path_hash_prefixes {
        let digest = hex::encode(signet_crypto::sha256(path.as_bytes()).as_bytes());
        return prefixes.iter().any(|p| digest.starts_with(p.as_str()));
    }
    false
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern_parts: Vec<&str> = pattern.split('/').collect();
    let path_parts: Vec<&str> = path.split('/').collect();
    pattern_parts.len() == path_parts.len()
        && pattern_parts
            .iter()
            .zip(&path_parts)
            .all(|(p, s)| glob_segment(p, s))
}

/// `*` (any run) and `?` (one character) wildcard match, iterative with backtracking.
fn glob_segment(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi = pi.saturating_add(1);
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi = pi.saturating_add(1);
                ti = ti.saturating_add(1);
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp.saturating_add(1);
                    ti = st.saturating_add(1);
                    star = Some((sp, ti));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

fn check_meta_file(what: &str, meta: &MetaFile, bytes: &[u8]) -> Result<(), TufError> {
    check_length_and_hashes(what, meta.length, meta.hashes.as_ref(), bytes, false)
}

/// Checks a target's bytes against its description: exact length, and every listed hash
/// (`sha256`, `sha384`, `sha512`; at least one must be listed, an unknown algorithm is refused).
pub fn verify_target(name: &str, info: &TargetFile, bytes: &[u8]) -> Result<(), TufError> {
    check_length_and_hashes(name, Some(info.length), Some(&info.hashes), bytes, true)
}

fn check_length_and_hashes(
    what: &str,
    length: Option<u64>,
    hashes: Option<&BTreeMap<String, String>>,
    bytes: &[u8],
    hash_required: bool,
) -> Result<(), TufError> {
    if let Some(expected) = length {
        let actual = bytes.len() as u64;
        if actual != expected {
            return Err(TufError::Length {
                what: what.to_string(),
                expected,
                actual,
            });
        }
    }
    let empty = BTreeMap::new();
    let hashes = hashes.unwrap_or(&empty);
    if hash_required && hashes.is_empty() {
        return Err(TufError::UnusableHashes {
            what: what.to_string(),
            reason: "no hashes listed".into(),
        });
    }
    for (algorithm, expected) in hashes {
        let alg = match algorithm.as_str() {
            "sha256" => HashAlgorithm::Sha256,
            "sha384" => HashAlgorithm::Sha384,
            "sha512" => HashAlgorithm::Sha512,
            other => {
                return Err(TufError::UnusableHashes {
                    what: what.to_string(),
                    reason: format!("unsupported hash algorithm {other:?}"),
                });
            }
        };
        let expected = hex::decode(expected).map_err(|e| TufError::UnusableHashes {
            what: what.to_string(),
            reason: format!("{algorithm} is not hex: {e}"),
        })?;
        if alg.digest(bytes) != expected {
            return Err(TufError::Hash {
                what: what.to_string(),
                algorithm: algorithm.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_within_segments() {
        assert!(path_matches(
            "registry.npmjs.org/*",
            "registry.npmjs.org/keys.json"
        ));
        assert!(!path_matches(
            "registry.npmjs.org/*",
            "registry.npmjs.org/a/keys.json"
        ));
        assert!(!path_matches("registry.npmjs.org/*", "trusted_root.json"));
        assert!(path_matches("*.json", "trusted_root.json"));
        assert!(path_matches("a?c*", "abcdef"));
        assert!(!path_matches("a?c", "ac"));
        assert!(path_matches("*a*b", "xxaybb"));
    }
}
