//! TUF metadata: the signed envelope, the four top-level roles, keys and signature thresholds.
//! Unknown fields (`x-tuf-on-ci-*`, `keyid_hash_algorithms`, …) are kept in `unknown` maps: they
//! are signed content. Signatures are checked over the canonical JSON of `signed` exactly as
//! received, never over a re-serialisation of these structs.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use signet_crypto::{HashAlgorithm, KeyAlgorithm, PublicKey, Scheme};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{TufError, canonical_json};

/// Unknown fields of a metadata object, kept because they are signed.
pub type Unknown = BTreeMap<String, Value>;

/// An `expires` time. Read as any RFC 3339 date (root v1 of Sigstore uses
/// `2021-12-18T13:28:12.99008-06:00`); written as the spec's `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expires(pub OffsetDateTime);

impl Expires {
    /// True when the metadata is expired at `now` (`now >= expires`, as python-tuf).
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now >= self.0
    }

    /// The spec's form: UTC, whole seconds, `Z`.
    pub fn to_spec_string(&self) -> String {
        let t = self.0.to_offset(time::UtcOffset::UTC);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

impl Serialize for Expires {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_spec_string())
    }
}

impl<'de> Deserialize<'de> for Expires {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        OffsetDateTime::parse(&text, &Rfc3339)
            .map(Expires)
            .map_err(|e| serde::de::Error::custom(format!("expires {text:?}: {e}")))
    }
}

/// One signature of the envelope: a key ID (an opaque label) and the hex signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Key ID the signer claims.
    pub keyid: String,
    /// Hex signature (DER ECDSA or raw Ed25519).
    pub sig: String,
    /// Other fields.
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// A public key object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// `ecdsa`, `ecdsa-sha2-nistp256` (older securesystemslib name) or `ed25519`.
    pub keytype: String,
    /// `ecdsa-sha2-nistp256` or `ed25519`.
    pub scheme: String,
    /// The key value.
    pub keyval: KeyVal,
    /// Other fields (`keyid_hash_algorithms`, `x-tuf-on-ci-keyowner`, …).
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// `keyval` of a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVal {
    /// PEM SPKI, hex SEC1 point (P-256) or hex raw key (Ed25519).
    pub public: String,
    /// Other fields.
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// DER SPKI prefix of a P-256 key (algorithm id-ecPublicKey, curve prime256v1, BIT STRING of 66).
const P256_SPKI_PREFIX: &str = "3059301306072a8648ce3d020106082a8648ce3d030107034200";
/// DER SPKI prefix of an Ed25519 key.
const ED25519_SPKI_PREFIX: &str = "302a300506032b6570032100";

impl Key {
    /// The public key and the scheme its signatures use. Keys of other types are refused (a
    /// reader skips them: their signatures do not count).
    pub fn public_key(&self) -> Result<(PublicKey, Scheme), TufError> {
        let public = self.keyval.public.trim();
        match (self.keytype.as_str(), self.scheme.as_str()) {
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
                let key = if public.starts_with("-----BEGIN") {
                    PublicKey::from_pem(public).map_err(|e| TufError::Key(e.to_string()))?
                } else {
                    let point = hex::decode(public)
                        .map_err(|e| TufError::Key(format!("hex public key: {e}")))?;
                    if point.len() != 65 {
                        return Err(TufError::Key(format!(
                            "P-256 point of {} bytes (65 expected)",
                            point.len()
                        )));
                    }
                    from_prefixed(P256_SPKI_PREFIX, &point)?
                };
                if key.algorithm() != KeyAlgorithm::EcdsaP256 {
                    return Err(TufError::Key(format!(
                        "{:?} key for scheme ecdsa-sha2-nistp256",
                        key.algorithm()
                    )));
                }
                Ok((key, Scheme::Ecdsa(HashAlgorithm::Sha256)))
            }
            ("ed25519", "ed25519") => {
                let raw = hex::decode(public)
                    .map_err(|e| TufError::Key(format!("hex public key: {e}")))?;
                if raw.len() != 32 {
                    return Err(TufError::Key(format!(
                        "Ed25519 key of {} bytes (32 expected)",
                        raw.len()
                    )));
                }
                Ok((from_prefixed(ED25519_SPKI_PREFIX, &raw)?, Scheme::Ed25519))
            }
            (keytype, scheme) => Err(TufError::Key(format!(
                "unsupported keytype {keytype:?} with scheme {scheme:?}"
            ))),
        }
    }
}

fn from_prefixed(prefix_hex: &str, raw: &[u8]) -> Result<PublicKey, TufError> {
    let mut der = hex::decode(prefix_hex).map_err(|e| TufError::Key(e.to_string()))?;
    der.extend_from_slice(raw);
    PublicKey::from_spki_der(&der).map_err(|e| TufError::Key(e.to_string()))
}

/// The key ID the writer emits: hex SHA-256 of the canonical JSON of the whole key object
/// (including its extra fields). Readers never recompute key IDs.
pub fn key_id(key: &Key) -> Result<String, TufError> {
    let value = serde_json::to_value(key).map_err(|e| TufError::Key(e.to_string()))?;
    Ok(hex::encode(
        signet_crypto::sha256(&canonical_json(&value)?).as_bytes(),
    ))
}

/// A role's keys and threshold (`roles.<name>` of root).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Key IDs allowed to sign.
    pub keyids: Vec<String>,
    /// Distinct keys whose signatures are required (at least 1).
    pub threshold: u64,
    /// Other fields.
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// The kinds of top-level metadata, by `_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleType {
    /// `root`
    Root,
    /// `timestamp`
    Timestamp,
    /// `snapshot`
    Snapshot,
    /// `targets` (also delegated targets roles)
    Targets,
}

impl RoleType {
    /// The `_type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Root => "root",
            Self::Timestamp => "timestamp",
            Self::Snapshot => "snapshot",
            Self::Targets => "targets",
        }
    }
}

/// What every metadata body has.
pub trait Metadata: DeserializeOwned + Serialize {
    /// The `_type` value.
    const TYPE: RoleType;
    /// `_type` as read.
    fn type_field(&self) -> &str;
    /// `spec_version`.
    fn spec_version(&self) -> &str;
    /// `version`.
    fn version(&self) -> u64;
    /// `expires`.
    fn expires(&self) -> Expires;
}

macro_rules! metadata_impl {
    ($t:ty, $kind:expr) => {
        impl Metadata for $t {
            const TYPE: RoleType = $kind;
            fn type_field(&self) -> &str {
                &self.type_
            }
            fn spec_version(&self) -> &str {
                &self.spec_version
            }
            fn version(&self) -> u64 {
                self.version
            }
            fn expires(&self) -> Expires {
                self.expires
            }
        }
    };
}

/// `root.json`'s `signed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    /// `root`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// `1.0`, `1.0.x`.
    pub spec_version: String,
    /// Version, from 1.
    pub version: u64,
    /// Expiry.
    pub expires: Expires,
    /// Whether files are published under version/hash-prefixed names.
    pub consistent_snapshot: bool,
    /// Keys by key ID (opaque labels).
    pub keys: BTreeMap<String, Key>,
    /// `root`, `targets`, `snapshot`, `timestamp`.
    pub roles: BTreeMap<String, Role>,
    /// Other fields.
    #[serde(flatten)]
    pub unknown: Unknown,
}
metadata_impl!(Root, RoleType::Root);

impl Root {
    /// The role `name` (`root`, `timestamp`, `snapshot`, `targets`).
    pub fn role(&self, name: &str) -> Result<&Role, TufError> {
        self.roles
            .get(name)
            .ok_or_else(|| TufError::UnknownRole(name.to_string()))
    }
}

/// A `meta` entry of timestamp or snapshot; `length` and `hashes` are optional (Sigstore omits
/// them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaFile {
    /// Version of the listed metadata.
    pub version: u64,
    /// Its length in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// Its hashes (hex), by algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<BTreeMap<String, String>>,
    /// Other fields.
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// `timestamp.json`'s `signed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    /// `timestamp`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// Spec version.
    pub spec_version: String,
    /// Version.
    pub version: u64,
    /// Expiry.
    pub expires: Expires,
    /// Exactly `snapshot.json`.
    pub meta: BTreeMap<String, MetaFile>,
    /// Other fields.
    #[serde(flatten)]
    pub unknown: Unknown,
}
metadata_impl!(Timestamp, RoleType::Timestamp);

impl Timestamp {
    /// The `snapshot.json` entry.
    pub fn snapshot_meta(&self) -> Result<&MetaFile, TufError> {
        self.meta
            .get("snapshot.json")
            .ok_or_else(|| TufError::NotListed {
                referrer: "timestamp".into(),
                file: "snapshot.json".into(),
            })
    }
}

/// `snapshot.json`'s `signed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// `snapshot`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// Spec version.
    pub spec_version: String,
    /// Version.
    pub version: u64,
    /// Expiry.
    pub expires: Expires,
    /// `targets.json` and every delegated role, `<role>.json`.
    pub meta: BTreeMap<String, MetaFile>,
    /// Other fields.
    #[serde(flatten)]
    pub unknown: Unknown,
}
metadata_impl!(Snapshot, RoleType::Snapshot);

/// A target file's description.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetFile {
    /// Length in bytes.
    pub length: u64,
    /// Hex hashes by algorithm (`sha256`, `sha512`).
    pub hashes: BTreeMap<String, String>,
    /// Application data (Sigstore: `{"sigstore": {"status", "usage", "uri"}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Value>,
    /// Other fields.
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// A delegated targets role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegatedRole {
    /// Role name (its metadata is `<name>.json`).
    pub name: String,
    /// Keys allowed to sign.
    pub keyids: Vec<String>,
    /// Threshold.
    pub threshold: u64,
    /// When true, a lookup that matches this role stops here.
    #[serde(default)]
    pub terminating: bool,
    /// Path patterns (`*` and `?` within one `/`-separated segment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// Hex prefixes of sha256(target path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_hash_prefixes: Option<Vec<String>>,
    /// Other fields.
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// `delegations` of a targets role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegations {
    /// Keys of the delegated roles.
    pub keys: BTreeMap<String, Key>,
    /// Roles in priority order.
    #[serde(default)]
    pub roles: Vec<DelegatedRole>,
    /// Other fields.
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// `targets.json` (or a delegated role's) `signed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    /// `targets`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// Spec version.
    pub spec_version: String,
    /// Version.
    pub version: u64,
    /// Expiry.
    pub expires: Expires,
    /// Target files by path.
    pub targets: BTreeMap<String, TargetFile>,
    /// Delegated roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegations: Option<Delegations>,
    /// Other fields.
    #[serde(flatten)]
    pub unknown: Unknown,
}
metadata_impl!(Targets, RoleType::Targets);

/// A parsed envelope: the signatures, the typed body, and the canonical bytes of `signed` as
/// received (what the signatures cover).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed<T> {
    /// The envelope's signatures.
    pub signatures: Vec<Signature>,
    /// The body.
    pub signed: T,
    canonical: Vec<u8>,
}

#[derive(Deserialize)]
struct RawEnvelope {
    signatures: Vec<Signature>,
    signed: Value,
}

impl<T: Metadata> Signed<T> {
    /// Parses an envelope and checks `_type` and `spec_version` (no signature check).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TufError> {
        let role = T::TYPE.as_str();
        let malformed = |reason: String| TufError::Malformed {
            role: role.to_string(),
            reason,
        };
        let raw: RawEnvelope =
            serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        let found = raw
            .signed
            .get("_type")
            .and_then(Value::as_str)
            .unwrap_or("");
        if found != role {
            return Err(TufError::WrongType {
                expected: role.to_string(),
                actual: found.to_string(),
            });
        }
        let canonical = canonical_json(&raw.signed)?;
        let signed: T = serde_json::from_value(raw.signed).map_err(|e| malformed(e.to_string()))?;
        let spec = signed.spec_version();
        if spec.split('.').next() != Some("1") || !(2..=3).contains(&spec.split('.').count()) {
            return Err(TufError::SpecVersion(spec.to_string()));
        }
        Ok(Self {
            signatures: raw.signatures,
            signed,
            canonical,
        })
    }

    /// The canonical JSON of `signed` as received: the bytes signatures cover.
    pub fn canonical_signed(&self) -> &[u8] {
        &self.canonical
    }

    /// Checks that at least `threshold` distinct keys among `keyids` signed. Each key ID counts
    /// once, and so does each key (the same public key under two IDs counts once); signatures by
    /// unknown or unusable keys are ignored.
    pub fn verify_role(
        &self,
        role: &str,
        keys: &BTreeMap<String, Key>,
        keyids: &[String],
        threshold: u64,
    ) -> Result<(), TufError> {
        let allowed: BTreeSet<&str> = keyids.iter().map(String::as_str).collect();
        let mut counted_ids = BTreeSet::new();
        let mut counted_keys = BTreeSet::new();
        for signature in &self.signatures {
            let id = signature.keyid.as_str();
            if !allowed.contains(id) || counted_ids.contains(id) {
                continue;
            }
            let Some(key) = keys.get(id) else { continue };
            let Ok((public, scheme)) = key.public_key() else {
                continue;
            };
            if counted_keys.contains(public.spki_der()) {
                continue;
            }
            let Ok(sig) = hex::decode(&signature.sig) else {
                continue;
            };
            if public.verify_with(scheme, &self.canonical, &sig).is_ok() {
                counted_ids.insert(id);
                counted_keys.insert(public.spki_der().to_vec());
            }
        }
        let valid = counted_ids.len() as u64;
        if threshold == 0 || valid < threshold {
            return Err(TufError::Threshold {
                role: role.to_string(),
                valid,
                threshold,
            });
        }
        Ok(())
    }
}
