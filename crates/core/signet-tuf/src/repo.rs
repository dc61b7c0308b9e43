//! The repository writer: builds root, targets, snapshot and timestamp metadata, signs them with
//! P-256 keys (keytype `ecdsa`, scheme `ecdsa-sha2-nistp256`, PEM SPKI public keys, key ID =
//! sha256 of the canonical key), adds signatures one key holder at a time (k-of-n offline
//! signing), and names the files as a consistent-snapshot repository serves them.
//!
//! Versions and expiry times are inputs; nothing here reads a clock or a file.

use std::collections::BTreeMap;

use serde_json::Value;
use signet_crypto::{KeyAlgorithm, PublicKey, SigningKey};
use time::OffsetDateTime;

use crate::metadata::{
    Expires, Key, KeyVal, MetaFile, Metadata, Role, Root, Signed, Snapshot, TargetFile, Targets,
    Timestamp,
};
use crate::{TufError, canonical_json, key_id};

/// The `spec_version` written.
pub const SPEC_VERSION: &str = "1.0";

/// The TUF key object of a P-256 public key.
pub fn ecdsa_key(public: &PublicKey) -> Result<Key, TufError> {
    if public.algorithm() != KeyAlgorithm::EcdsaP256 {
        return Err(TufError::Key(format!(
            "only P-256 keys are written, not {:?}",
            public.algorithm()
        )));
    }
    Ok(Key {
        keytype: "ecdsa".into(),
        scheme: "ecdsa-sha2-nistp256".into(),
        keyval: KeyVal {
            public: public.to_pem(),
            unknown: BTreeMap::new(),
        },
        unknown: BTreeMap::new(),
    })
}

/// The key ID the writer gives a P-256 public key.
pub fn ecdsa_key_id(public: &PublicKey) -> Result<String, TufError> {
    key_id(&ecdsa_key(public)?)
}

/// Keys and threshold of one role.
#[derive(Clone, Debug)]
pub struct RoleKeys {
    /// Public keys allowed to sign.
    pub keys: Vec<PublicKey>,
    /// How many of them must sign.
    pub threshold: u64,
}

impl RoleKeys {
    /// The public halves of `keys`, `threshold` of which must sign.
    pub fn of(keys: &[&SigningKey], threshold: u64) -> Self {
        Self {
            keys: keys.iter().map(|k| k.public_key().clone()).collect(),
            threshold,
        }
    }
}

/// The four top-level roles' keys.
#[derive(Clone, Debug)]
pub struct RootKeys {
    /// Root role (offline).
    pub root: RoleKeys,
    /// Targets role (offline).
    pub targets: RoleKeys,
    /// Snapshot role (online).
    pub snapshot: RoleKeys,
    /// Timestamp role (online).
    pub timestamp: RoleKeys,
}

/// Root metadata with `consistent_snapshot: true`.
pub fn root(keys: &RootKeys, version: u64, expires: OffsetDateTime) -> Result<Root, TufError> {
    let mut all = BTreeMap::new();
    let mut roles = BTreeMap::new();
    for (name, role) in [
        ("root", &keys.root),
        ("targets", &keys.targets),
        ("snapshot", &keys.snapshot),
        ("timestamp", &keys.timestamp),
    ] {
        let count = role.keys.len() as u64;
        if role.threshold == 0 || role.threshold > count {
            return Err(TufError::Key(format!(
                "{name}: threshold {} with {count} key(s)",
                role.threshold
            )));
        }
        let mut keyids = Vec::new();
        for public in &role.keys {
            let key = ecdsa_key(public)?;
            let id = key_id(&key)?;
            all.insert(id.clone(), key);
            keyids.push(id);
        }
        roles.insert(
            name.to_string(),
            Role {
                keyids,
                threshold: role.threshold,
                unknown: BTreeMap::new(),
            },
        );
    }
    Ok(Root {
        type_: "root".into(),
        spec_version: SPEC_VERSION.into(),
        version,
        expires: Expires(expires),
        consistent_snapshot: true,
        keys: all,
        roles,
        unknown: BTreeMap::new(),
    })
}

/// A target's description: length and sha256.
pub fn target_file(bytes: &[u8]) -> TargetFile {
    let mut hashes = BTreeMap::new();
    hashes.insert(
        "sha256".to_string(),
        hex::encode(signet_crypto::sha256(bytes).as_bytes()),
    );
    TargetFile {
        length: bytes.len() as u64,
        hashes,
        custom: None,
        unknown: BTreeMap::new(),
    }
}

/// Targets metadata listing `files` (path, contents).
pub fn targets(files: &[(&str, &[u8])], version: u64, expires: OffsetDateTime) -> Targets {
    Targets {
        type_: "targets".into(),
        spec_version: SPEC_VERSION.into(),
        version,
        expires: Expires(expires),
        targets: files
            .iter()
            .map(|(name, bytes)| (name.to_string(), target_file(bytes)))
            .collect(),
        delegations: None,
        unknown: BTreeMap::new(),
    }
}

/// A `meta` entry: the version, and length plus sha256 when the signed bytes are given (Sigstore
/// gives only the version; python-tuf writes all three).
pub fn meta_file(version: u64, bytes: Option<&[u8]>) -> MetaFile {
    MetaFile {
        version,
        length: bytes.map(|b| b.len() as u64),
        hashes: bytes.map(|b| {
            BTreeMap::from([(
                "sha256".to_string(),
                hex::encode(signet_crypto::sha256(b).as_bytes()),
            )])
        }),
        unknown: BTreeMap::new(),
    }
}

/// Snapshot metadata listing `targets.json` (and delegated roles) by `meta` entries.
pub fn snapshot(
    meta: BTreeMap<String, MetaFile>,
    version: u64,
    expires: OffsetDateTime,
) -> Snapshot {
    Snapshot {
        type_: "snapshot".into(),
        spec_version: SPEC_VERSION.into(),
        version,
        expires: Expires(expires),
        meta,
        unknown: BTreeMap::new(),
    }
}

/// Timestamp metadata naming the snapshot.
pub fn timestamp(snapshot: MetaFile, version: u64, expires: OffsetDateTime) -> Timestamp {
    Timestamp {
        type_: "timestamp".into(),
        spec_version: SPEC_VERSION.into(),
        version,
        expires: Expires(expires),
        meta: BTreeMap::from([("snapshot.json".to_string(), snapshot)]),
        unknown: BTreeMap::new(),
    }
}

/// The signed envelope of `signed`, signed by each of `keys` (pretty JSON bytes).
pub fn sign<T: Metadata>(signed: &T, keys: &[&SigningKey]) -> Result<Vec<u8>, TufError> {
    let value = serde_json::to_value(signed).map_err(json_err)?;
    let envelope = serde_json::json!({"signatures": [], "signed": value});
    let mut bytes = serde_json::to_vec_pretty(&envelope).map_err(json_err)?;
    for key in keys {
        bytes = add_signature(&bytes, key)?;
    }
    Ok(bytes)
}

/// Adds `key`'s signature to an envelope (replacing an earlier signature of the same key), over
/// the canonical JSON of `signed` as it stands in the envelope: how k-of-n key holders sign a
/// pending root or targets one after another.
pub fn add_signature(envelope: &[u8], key: &SigningKey) -> Result<Vec<u8>, TufError> {
    let mut value: Value = serde_json::from_slice(envelope).map_err(json_err)?;
    let signed = value
        .get("signed")
        .ok_or_else(|| json_err("envelope has no signed"))?;
    let canonical = canonical_json(signed)?;
    let keyid = ecdsa_key_id(key.public_key())?;
    let sig = key
        .sign(&canonical)
        .map_err(|e| TufError::Signing(e.to_string()))?;
    let signatures = value
        .get_mut("signatures")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| json_err("envelope has no signatures array"))?;
    signatures.retain(|s| s.get("keyid").and_then(Value::as_str) != Some(keyid.as_str()));
    signatures.push(serde_json::json!({"keyid": keyid, "sig": hex::encode(sig)}));
    serde_json::to_vec_pretty(&value).map_err(json_err)
}

fn json_err(e: impl std::fmt::Display) -> TufError {
    TufError::Malformed {
        role: "envelope".into(),
        reason: e.to_string(),
    }
}

/// The path a consistent-snapshot repository serves metadata at: `timestamp.json`, or
/// `<version>.<role>.json`.
pub fn metadata_path(role: &str, version: u64) -> String {
    if role == "timestamp" {
        "timestamp.json".into()
    } else {
        format!("{version}.{role}.json")
    }
}

/// The path a consistent-snapshot repository serves a target at:
/// `targets/<dir>/<sha256>.<basename>` (the hash prefixes the file name; directories stay).
pub fn target_path(name: &str, bytes: &[u8]) -> String {
    let digest = hex::encode(signet_crypto::sha256(bytes).as_bytes());
    match name.rsplit_once('/') {
        Some((dir, base)) => format!("targets/{dir}/{digest}.{base}"),
        None => format!("targets/{digest}.{name}"),
    }
}

/// Signed metadata and target files to publish.
#[derive(Clone, Debug, Default)]
pub struct Publication<'a> {
    /// Every root version ever signed, in any order.
    pub roots: Vec<&'a [u8]>,
    /// Signed targets metadata (top-level, and delegated roles by name).
    pub targets: Vec<(&'a str, &'a [u8])>,
    /// Signed snapshot.
    pub snapshot: Option<&'a [u8]>,
    /// Signed timestamp.
    pub timestamp: Option<&'a [u8]>,
    /// Target files (path as listed in targets metadata, contents).
    pub files: Vec<(&'a str, &'a [u8])>,
}

impl Publication<'_> {
    /// Every file with its path, the timestamp last (upload it last). Versions are read from the
    /// signed metadata.
    pub fn files(&self) -> Result<Vec<(String, Vec<u8>)>, TufError> {
        let mut out = Vec::new();
        for (name, bytes) in &self.files {
            out.push((target_path(name, bytes), bytes.to_vec()));
        }
        for (role, bytes) in &self.targets {
            let version = Signed::<Targets>::from_bytes(bytes)?.signed.version;
            out.push((metadata_path(role, version), bytes.to_vec()));
        }
        for bytes in &self.roots {
            let version = Signed::<Root>::from_bytes(bytes)?.signed.version;
            out.push((metadata_path("root", version), bytes.to_vec()));
        }
        if let Some(bytes) = self.snapshot {
            let version = Signed::<Snapshot>::from_bytes(bytes)?.signed.version;
            out.push((metadata_path("snapshot", version), bytes.to_vec()));
        }
        if let Some(bytes) = self.timestamp {
            Signed::<Timestamp>::from_bytes(bytes)?;
            out.push((metadata_path("timestamp", 0), bytes.to_vec()));
        }
        Ok(out)
    }
}
