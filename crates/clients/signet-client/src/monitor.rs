//! A log monitor (what `signet log monitor` runs), after sigstore/rekor-monitor: each round
//! fetches the log's signed checkpoint(s), verifies them with the log's keys, proves the log
//! consistent with the last verified state (and, optionally, with a second vantage point),
//! reads every new entry and reports those matching watched identities, OIDC issuers, key
//! fingerprints or artifact digests.
//!
//! The log is read through [`LogSource`]: the Rekor v1 API is [`RekorClient`]'s implementation,
//! a tiled log (C2SP tlog-tiles, Rekor v2) [`TileClient`](crate::tiles::TileClient)'s (its
//! checkpoint, consistency proofs computed from its hash tiles, entries from whole entry
//! bundles); both run the same rounds, state and split-view checks. The entries read are not trusted one by one: their
//! leaf hashes are appended to the saved [`Frontier`] of the tree, whose root must then equal
//! the verified checkpoint's, so a log cannot hide, change or reorder an entry without the
//! round failing. The matching ([`WatchList`]) and the state checks ([`check_extends`]) do no
//! I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use signet_rekor::{EntryBody, Material};
use signet_tlog::{Frontier, NoteVerifier, TlogError, VerifiedCheckpoint};
use signet_types::{Sha256Hash, TreeSize, b64};
use signet_x509::{Certificate, SanIdentity};

use crate::{ClientError, RekorClient};

/// Entries read per request (Rekor's `/api/v1/log/entries/retrieve` takes at most 10).
pub const BATCH: usize = 10;
/// The largest state file accepted (a frontier is at most 64 hashes).
pub const MAX_STATE: u64 = 64 * 1024;

/// Monitor errors. [`MonitorError::is_alarm`] tells log misbehaviour from a failure to read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MonitorError {
    /// The log could not be read.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A checkpoint does not verify with the log's keys.
    #[error("{source_name}: the checkpoint of tree {tree} does not verify: {reason}")]
    BadCheckpoint {
        /// Which vantage point served it.
        source_name: String,
        /// Tree (tree ID or `-`).
        tree: String,
        /// Cause.
        reason: TlogError,
    },
    /// The log went back: its tree is smaller than one it served before.
    #[error(
        "ROLLBACK: {source_name} serves tree {tree} at size {new}, smaller than the verified size {old}"
    )]
    Rollback {
        /// Which vantage point served it.
        source_name: String,
        /// Tree.
        tree: String,
        /// Verified size.
        old: u64,
        /// Served size.
        new: u64,
    },
    /// The log's new checkpoint does not extend the last verified one.
    #[error(
        "FORK: {source_name} serves tree {tree} at size {new_size}, not consistent with the verified size {old_size}: {reason}"
    )]
    Fork {
        /// Which vantage point served it.
        source_name: String,
        /// Tree.
        tree: String,
        /// Verified size.
        old_size: u64,
        /// Served size.
        new_size: u64,
        /// Why, with both roots.
        reason: String,
    },
    /// Two vantage points serve views of the log that cannot both be true.
    #[error(
        "SPLIT VIEW: {a} serves tree {tree} at size {a_size} and {b} at size {b_size}: {reason}"
    )]
    SplitView {
        /// First vantage point.
        a: String,
        /// Second vantage point.
        b: String,
        /// Tree.
        tree: String,
        /// Size at `a`.
        a_size: u64,
        /// Size at `b`.
        b_size: u64,
        /// Why, with both roots.
        reason: String,
    },
    /// The log no longer lists the tree of the saved state.
    #[error("{source_name} no longer serves tree {tree} of the saved state")]
    TreeGone {
        /// Which vantage point.
        source_name: String,
        /// Tree.
        tree: String,
    },
    /// The log answered something that contradicts itself or its checkpoint.
    #[error("{source_name}: {reason}")]
    Misbehaved {
        /// Which vantage point.
        source_name: String,
        /// What.
        reason: String,
    },
    /// The saved state is unusable.
    #[error("monitor state: {0}")]
    State(String),
}

impl MonitorError {
    /// Whether this is evidence of log misbehaviour (fork, rollback, split view, bad
    /// signature), as opposed to a failure to reach or read the log.
    pub fn is_alarm(&self) -> bool {
        !matches!(self, Self::Client(_) | Self::State(_))
    }
}

/// One tree of a (possibly sharded) log, as a source serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedTree {
    /// Tree ID (`None`: a log that names none).
    pub tree_id: Option<u64>,
    /// Global index of the tree's first leaf.
    pub offset: u64,
    /// The tree's signed checkpoint.
    pub signed_head: String,
}

fn tree_name(t: Option<u64>) -> String {
    t.map_or_else(|| "-".to_string(), |t| t.to_string())
}

/// A place to read a log from.
#[allow(async_fn_in_trait)]
pub trait LogSource {
    /// A name for reports (the URL).
    fn name(&self) -> &str;
    /// The log's trees, oldest first (the last one is the active tree).
    async fn trees(&self) -> Result<Vec<ServedTree>, MonitorError>;
    /// A consistency proof from size `first` to `last` of tree `tree`.
    async fn consistency(
        &self,
        tree: Option<u64>,
        first: u64,
        last: u64,
    ) -> Result<Vec<Sha256Hash>, MonitorError>;
    /// The most entries one [`LogSource::entries`] call reads (default [`BATCH`]). Rounds ask
    /// for blocks aligned to it: `start .. start + count` stays within one block of `batch()`
    /// entries and ends at the block's end or at the end of the tree being read.
    fn batch(&self) -> usize {
        BATCH
    }
    /// The bodies of the entries at global indexes `start .. start + count` (`count` ≤
    /// [`LogSource::batch`]), in order.
    async fn entries(&self, start: u64, count: usize) -> Result<Vec<Vec<u8>>, MonitorError>;
}

fn decode_err(url: &str, reason: impl ToString) -> MonitorError {
    MonitorError::Client(ClientError::Decode {
        url: url.to_string(),
        reason: reason.to_string(),
    })
}

impl LogSource for RekorClient {
    fn name(&self) -> &str {
        self.base()
    }

    async fn trees(&self) -> Result<Vec<ServedTree>, MonitorError> {
        let info = self.log_info().await?;
        let url = format!("{}/api/v1/log", self.base());
        let parse = |id: &str| {
            id.parse::<u64>()
                .map_err(|_| decode_err(&url, format!("tree ID {id:?} is not a number")))
        };
        let size = |s: i64| u64::try_from(s).map_err(|_| decode_err(&url, "negative tree size"));
        let mut trees = Vec::new();
        let mut offset = 0u64;
        for s in info.inactive_shards.iter().flatten() {
            trees.push(ServedTree {
                tree_id: Some(parse(&s.tree_id)?),
                offset,
                signed_head: s.signed_tree_head.clone(),
            });
            offset = offset
                .checked_add(size(s.tree_size)?)
                .ok_or_else(|| decode_err(&url, "shard sizes overflow"))?;
        }
        trees.push(ServedTree {
            tree_id: Some(parse(&info.tree_id)?),
            offset,
            signed_head: info.signed_tree_head,
        });
        Ok(trees)
    }

    async fn consistency(
        &self,
        tree: Option<u64>,
        first: u64,
        last: u64,
    ) -> Result<Vec<Sha256Hash>, MonitorError> {
        let p = match tree {
            Some(t) => self.shard_consistency(first, last, t).await?,
            None => self.consistency(first, last).await?,
        };
        p.hashes
            .iter()
            .map(|h| Sha256Hash::from_hex(h))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| decode_err(self.base(), format!("consistency proof: {e}")))
    }

    async fn entries(&self, start: u64, count: usize) -> Result<Vec<Vec<u8>>, MonitorError> {
        let url = format!("{}/api/v1/log/entries/retrieve", self.base());
        let count64 = u64::try_from(count).map_err(|_| decode_err(&url, "batch too large"))?;
        let end = start
            .checked_add(count64)
            .ok_or_else(|| decode_err(&url, "index overflow"))?;
        let indexes = (start..end)
            .map(i64::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| decode_err(&url, "index overflow"))?;
        let q = signet_rekor::api::SearchLogQuery {
            log_indexes: Some(indexes),
            ..Default::default()
        };
        let mut by_index = BTreeMap::new();
        for entry in self.retrieve(&q).await? {
            for e in entry.values() {
                let body = b64::decode(&e.body).map_err(|x| decode_err(&url, x))?;
                by_index.insert(e.log_index, body);
            }
        }
        (start..end)
            .map(|i| {
                i64::try_from(i)
                    .ok()
                    .and_then(|i| by_index.remove(&i))
                    .ok_or_else(|| MonitorError::Misbehaved {
                        source_name: self.base().to_string(),
                        reason: format!("the log did not return its entry {i}"),
                    })
            })
            .collect()
    }
}

/// rekor-monitor's `certIdentities` item: a certificate whose SAN matches `subject` and, when
/// `issuers` is not empty, whose OIDC issuer matches one of them (unanchored regular
/// expressions, as rekor-monitor and cosign's `--certificate-identity-regexp` use them).
#[derive(Clone, Debug)]
pub struct CertIdentity {
    /// SAN pattern.
    pub subject: regex::Regex,
    /// Issuer patterns (empty: any issuer).
    pub issuers: Vec<regex::Regex>,
}

impl PartialEq for CertIdentity {
    fn eq(&self, other: &Self) -> bool {
        self.subject.as_str() == other.subject.as_str()
            && self.issuers.len() == other.issuers.len()
            && self
                .issuers
                .iter()
                .zip(&other.issuers)
                .all(|(a, b)| a.as_str() == b.as_str())
    }
}

impl Eq for CertIdentity {}

impl CertIdentity {
    fn matches(&self, facts: &EntryFacts) -> bool {
        facts.identities.iter().any(|s| self.subject.is_match(s))
            && (self.issuers.is_empty()
                || facts
                    .issuers
                    .iter()
                    .any(|i| self.issuers.iter().any(|r| r.is_match(i))))
    }
}

/// What to look for in each entry (rekor-monitor's `monitoredValues`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchList {
    /// rekor-monitor's `certIdentities` (regular expressions).
    pub cert_identities: Vec<CertIdentity>,
    /// Certificate SAN values (email, URI or otherName value), exact.
    pub identities: Vec<String>,
    /// OIDC issuers (Fulcio extension 1.3.6.1.4.1.57264.1.8, or 1.1), exact.
    pub issuers: Vec<String>,
    /// SHA-256 fingerprints (lowercase hex) of signer keys (SPKI) or certificates (DER).
    pub fingerprints: Vec<String>,
    /// Artifact digests, `<algorithm>:<lowercase hex>`.
    pub digests: Vec<String>,
}

/// Why an entry matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Matched {
    /// `certIdentity`, `identity`, `issuer`, `fingerprint` or `digest`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The watched value found.
    pub value: String,
}

/// What an entry says about who signed what.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EntryFacts {
    /// Entry kind and version, e.g. `hashedrekord/0.0.1`.
    pub kind: String,
    /// SAN values of the signing certificates.
    pub identities: Vec<String>,
    /// OIDC issuers of the signing certificates.
    pub issuers: Vec<String>,
    /// SHA-256 of each signer key's SPKI and of each certificate's DER, hex.
    pub fingerprints: Vec<String>,
    /// Artifact (or DSSE payload) digests, `<algorithm>:<hex>`.
    pub digests: Vec<String>,
}

impl EntryFacts {
    /// Reads the facts of a canonical entry body; `None` for a body of a kind not understood.
    pub fn of(body: &[u8]) -> Option<Self> {
        let parsed = EntryBody::parse(body).ok()?;
        let mut f = Self {
            kind: format!("{}/{}", parsed.kind(), parsed.api_version()),
            ..Self::default()
        };
        match &parsed {
            EntryBody::HashedRekordV001 {
                algorithm,
                digest_hex,
                verifier_pem,
                ..
            } => {
                f.digests
                    .push(format!("{algorithm}:{}", digest_hex.to_ascii_lowercase()));
                f.add_pem(verifier_pem);
            }
            EntryBody::HashedRekordV002 {
                algorithm,
                digest,
                verifier,
                ..
            } => {
                f.digests.push(format!(
                    "{}:{}",
                    v2_algorithm(algorithm),
                    hex::encode(digest)
                ));
                f.add_material(verifier);
            }
            EntryBody::DsseV001 {
                payload_hash_hex,
                signatures,
            }
            | EntryBody::IntotoV002 {
                payload_hash_hex,
                signatures,
                ..
            } => {
                f.digests
                    .push(format!("sha256:{}", payload_hash_hex.to_ascii_lowercase()));
                for (_, pem) in signatures {
                    f.add_pem(pem);
                }
            }
            EntryBody::DsseV002 {
                payload_hash_algorithm,
                payload_hash,
                signatures,
            } => {
                f.digests.push(format!(
                    "{}:{}",
                    v2_algorithm(payload_hash_algorithm),
                    hex::encode(payload_hash)
                ));
                for (_, m) in signatures {
                    f.add_material(m);
                }
            }
            _ => {}
        }
        Some(f)
    }

    fn add_pem(&mut self, pem: &[u8]) {
        let Some((label, der)) = signet_rekor::pem_to_der_blocks(pem)
            .ok()
            .and_then(|b| b.into_iter().next())
        else {
            return;
        };
        if label == "CERTIFICATE" {
            self.add_certificate(&der);
        } else {
            self.fingerprints.push(signet_crypto::sha256(&der).to_hex());
        }
    }

    fn add_material(&mut self, m: &Material) {
        match m {
            Material::Certificate { der } => self.add_certificate(der),
            Material::PublicKey { spki_der } => self
                .fingerprints
                .push(signet_crypto::sha256(spki_der).to_hex()),
            _ => {}
        }
    }

    fn add_certificate(&mut self, der: &[u8]) {
        self.fingerprints.push(signet_crypto::sha256(der).to_hex());
        let Ok(cert) = Certificate::from_der(der) else {
            return;
        };
        self.fingerprints
            .push(signet_crypto::sha256(cert.spki_der()).to_hex());
        for san in cert.san_identities() {
            match san {
                SanIdentity::Email(s) | SanIdentity::Uri(s) => self.identities.push(s),
                SanIdentity::OtherName { value, .. } => self.identities.push(value),
                _ => {}
            }
        }
        if let Some(i) = cert.oidc_issuer() {
            self.issuers.push(i);
        }
    }
}

/// Rekor v2 names hash algorithms `SHA2_256`, …; watched digests use `sha256:`.
fn v2_algorithm(a: &str) -> String {
    match a {
        "SHA2_256" => "sha256".into(),
        "SHA2_384" => "sha384".into(),
        "SHA2_512" => "sha512".into(),
        other => other.to_ascii_lowercase(),
    }
}

impl WatchList {
    /// Whether nothing is watched (every entry is then only counted).
    pub fn is_empty(&self) -> bool {
        self.cert_identities.is_empty()
            && self.identities.is_empty()
            && self.issuers.is_empty()
            && self.fingerprints.is_empty()
            && self.digests.is_empty()
    }

    /// A digest as given on the command line: `<algorithm>:<hex>` or bare hex (SHA-256).
    pub fn normalize_digest(d: &str) -> String {
        match d.split_once(':') {
            Some((alg, hex)) => {
                format!("{}:{}", alg.to_ascii_lowercase(), hex.to_ascii_lowercase())
            }
            None => format!("sha256:{}", d.to_ascii_lowercase()),
        }
    }

    /// A fingerprint as given: hex, optionally prefixed `sha256:` or with `:` separators.
    pub fn normalize_fingerprint(f: &str) -> String {
        let f = f
            .strip_prefix("sha256:")
            .or_else(|| f.strip_prefix("SHA256:"))
            .unwrap_or(f);
        f.chars()
            .filter(|c| *c != ':')
            .collect::<String>()
            .to_ascii_lowercase()
    }

    /// The watched values `facts` contains, in watch-list order.
    pub fn matches(&self, facts: &EntryFacts) -> Vec<Matched> {
        let mut out: Vec<Matched> = self
            .cert_identities
            .iter()
            .filter(|c| c.matches(facts))
            .map(|c| Matched {
                kind: "certIdentity",
                value: c.subject.as_str().to_string(),
            })
            .collect();
        let mut scan = |kind: &'static str, watched: &[String], found: &[String]| {
            for w in watched {
                if found.iter().any(|f| f == w) {
                    out.push(Matched {
                        kind,
                        value: w.clone(),
                    });
                }
            }
        };
        scan("identity", &self.identities, &facts.identities);
        scan("issuer", &self.issuers, &facts.issuers);
        scan("fingerprint", &self.fingerprints, &facts.fingerprints);
        scan("digest", &self.digests, &facts.digests);
        out
    }
}

/// What the monitor keeps between rounds: the last verified checkpoint of the tree it
/// follows, with the tree's frontier at that size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MonitorState {
    /// Format version (1).
    pub version: u32,
    /// The tree followed.
    #[serde(rename = "treeID")]
    pub tree_id: Option<u64>,
    /// Global index of its first leaf.
    pub offset: u64,
    /// Verified size.
    pub tree_size: u64,
    /// Verified root (hex).
    pub root_hash: String,
    /// The tree's frontier at that size (hex hashes, left to right).
    pub frontier: Vec<String>,
    /// The verified signed checkpoint.
    pub checkpoint: String,
}

impl MonitorState {
    /// Parses a saved state and checks that its frontier gives its root.
    pub fn from_json(bytes: &[u8]) -> Result<Self, MonitorError> {
        let s: Self =
            serde_json::from_slice(bytes).map_err(|e| MonitorError::State(e.to_string()))?;
        if s.version != 1 {
            return Err(MonitorError::State(format!(
                "unknown state version {}",
                s.version
            )));
        }
        let f = s.frontier_()?;
        if f.root().to_hex() != s.root_hash {
            return Err(MonitorError::State(
                "the saved frontier does not give the saved root".into(),
            ));
        }
        Ok(s)
    }

    /// The state as JSON.
    pub fn to_json(&self) -> Result<String, MonitorError> {
        serde_json::to_string_pretty(self).map_err(|e| MonitorError::State(e.to_string()))
    }

    fn root(&self) -> Result<Sha256Hash, MonitorError> {
        Sha256Hash::from_hex(&self.root_hash).map_err(|e| MonitorError::State(e.to_string()))
    }

    fn frontier_(&self) -> Result<Frontier, MonitorError> {
        let hashes = self
            .frontier
            .iter()
            .map(|h| Sha256Hash::from_hex(h))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| MonitorError::State(e.to_string()))?;
        Frontier::from_hashes(TreeSize(self.tree_size), hashes)
            .map_err(|e| MonitorError::State(e.to_string()))
    }

    fn new(tree: &ServedTree, frontier: &Frontier, head: &VerifiedCheckpoint) -> Self {
        Self {
            version: 1,
            tree_id: tree.tree_id,
            offset: tree.offset,
            tree_size: frontier.size().0,
            root_hash: frontier.root().to_hex(),
            frontier: frontier.hashes().iter().map(Sha256Hash::to_hex).collect(),
            checkpoint: head.note().text().to_string(),
        }
    }
}

/// How a newer tree head fails to extend an older one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Divergence {
    /// The newer tree is smaller.
    Smaller,
    /// Same size, another root.
    OtherRoot,
    /// The consistency proof does not verify.
    NotConsistent(String),
}

/// Whether the tree `(new_size, new_root)` extends `(old_size, old_root)`, by `proof` (ignored
/// when the sizes are equal or the old tree is empty). No I/O.
pub fn check_extends(
    (old_size, old_root): (u64, &Sha256Hash),
    (new_size, new_root): (u64, &Sha256Hash),
    proof: &[Sha256Hash],
) -> Result<(), Divergence> {
    if new_size < old_size {
        return Err(Divergence::Smaller);
    }
    if new_size == old_size {
        return if new_root == old_root {
            Ok(())
        } else {
            Err(Divergence::OtherRoot)
        };
    }
    signet_tlog::verify_consistency(
        TreeSize(old_size),
        TreeSize(new_size),
        proof,
        old_root,
        new_root,
    )
    .map_err(|e| Divergence::NotConsistent(e.to_string()))
}

/// Whether a consistency proof is needed to go from `old` to `new` leaves.
fn needs_proof(old: u64, new: u64) -> bool {
    old > 0 && new > old
}

/// A watched entry found in a round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryMatch {
    /// Global log index.
    pub log_index: u64,
    /// Leaf hash (the Rekor UUID).
    pub uuid: String,
    /// What matched.
    pub matched: Vec<Matched>,
    /// The entry's facts.
    pub entry: EntryFacts,
}

/// One tree's verified progress in a round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeProgress {
    /// Tree ID.
    #[serde(rename = "treeID")]
    pub tree_id: Option<u64>,
    /// Checkpoint origin.
    pub origin: String,
    /// Size verified before this round (0: new).
    pub previous_size: u64,
    /// Verified size now.
    pub tree_size: u64,
    /// Verified root now (hex).
    pub root_hash: String,
    /// Entries read and checked this round.
    pub entries_read: u64,
}

/// The outcome of a round.
#[derive(Clone, Debug)]
pub struct Round {
    /// The state to save.
    pub state: MonitorState,
    /// Trees verified, oldest first.
    pub trees: Vec<TreeProgress>,
    /// Watched entries found, in log order.
    pub matches: Vec<EntryMatch>,
}

fn verify_head(
    name: &str,
    tree: &ServedTree,
    verifiers: &[&dyn NoteVerifier],
) -> Result<VerifiedCheckpoint, MonitorError> {
    let bad = |reason| MonitorError::BadCheckpoint {
        source_name: name.to_string(),
        tree: tree_name(tree.tree_id),
        reason,
    };
    let head = signet_tlog::verify_checkpoint(&tree.signed_head, verifiers).map_err(bad)?;
    // Rekor v1 origins are `<host> - <tree ID>`: a checkpoint of another tree under the same
    // key must not stand in for this one.
    if let Some(t) = tree.tree_id
        && head.origin().rsplit_once(" - ").map(|(_, id)| id) != Some(t.to_string().as_str())
    {
        return Err(MonitorError::Misbehaved {
            source_name: name.to_string(),
            reason: format!(
                "the checkpoint of tree {t} names origin {:?}",
                head.origin()
            ),
        });
    }
    Ok(head)
}

/// One round: verifies the log's checkpoints, proves them consistent with `prev` (none: the
/// first round, which reads the log from its first entry), reads every new entry and matches
/// it against `watch`. On any error nothing of the round is to be saved.
pub async fn round<S: LogSource>(
    src: &S,
    verifiers: &[&dyn NoteVerifier],
    watch: &WatchList,
    prev: Option<&MonitorState>,
) -> Result<Round, MonitorError> {
    let name = src.name().to_string();
    let trees = src.trees().await?;
    let start = match prev {
        None => 0,
        Some(s) => trees
            .iter()
            .position(|t| t.tree_id == s.tree_id)
            .ok_or_else(|| MonitorError::TreeGone {
                source_name: name.clone(),
                tree: tree_name(s.tree_id),
            })?,
    };
    let mut progress = Vec::new();
    let mut matches = Vec::new();
    let mut state = None;
    for (i, tree) in trees.iter().enumerate().skip(start) {
        let head = verify_head(&name, tree, verifiers)?;
        let mut frontier = Frontier::new();
        if let Some(s) = prev.filter(|_| i == start) {
            if s.offset != tree.offset {
                return Err(MonitorError::Misbehaved {
                    source_name: name,
                    reason: format!(
                        "tree {} now starts at global index {}, not {}",
                        tree_name(tree.tree_id),
                        tree.offset,
                        s.offset
                    ),
                });
            }
            let old_root = s.root()?;
            let new_size = head.size().0;
            let proof = if needs_proof(s.tree_size, new_size) {
                src.consistency(tree.tree_id, s.tree_size, new_size).await?
            } else {
                Vec::new()
            };
            check_extends(
                (s.tree_size, &old_root),
                (new_size, head.root_hash()),
                &proof,
            )
            .map_err(|d| match d {
                Divergence::Smaller => MonitorError::Rollback {
                    source_name: name.clone(),
                    tree: tree_name(tree.tree_id),
                    old: s.tree_size,
                    new: new_size,
                },
                Divergence::OtherRoot | Divergence::NotConsistent(_) => MonitorError::Fork {
                    source_name: name.clone(),
                    tree: tree_name(tree.tree_id),
                    old_size: s.tree_size,
                    new_size,
                    reason: format!(
                        "{} (verified root {old_root}, served root {})",
                        match d {
                            Divergence::NotConsistent(r) =>
                                format!("the consistency proof does not verify: {r}"),
                            _ => "same size, another root".into(),
                        },
                        head.root_hash()
                    ),
                },
            })?;
            frontier = s.frontier_()?;
        }
        let previous_size = frontier.size().0;
        read_tree(src, tree, &head, &mut frontier, watch, &mut matches).await?;
        progress.push(TreeProgress {
            tree_id: tree.tree_id,
            origin: head.origin().to_string(),
            previous_size,
            tree_size: head.size().0,
            root_hash: head.root_hash().to_hex(),
            entries_read: head.size().0.saturating_sub(previous_size),
        });
        state = Some(MonitorState::new(tree, &frontier, &head));
    }
    let state = state.ok_or_else(|| MonitorError::Misbehaved {
        source_name: name,
        reason: "the log serves no tree".into(),
    })?;
    Ok(Round {
        state,
        trees: progress,
        matches,
    })
}

/// Reads the entries of `tree` from `frontier`'s size to `head`'s, matching each, and checks
/// that they give `head`'s root.
async fn read_tree<S: LogSource>(
    src: &S,
    tree: &ServedTree,
    head: &VerifiedCheckpoint,
    frontier: &mut Frontier,
    watch: &WatchList,
    matches: &mut Vec<EntryMatch>,
) -> Result<(), MonitorError> {
    let misbehaved = |reason: String| MonitorError::Misbehaved {
        source_name: src.name().to_string(),
        reason,
    };
    let end = head.size().0;
    while frontier.size().0 < end {
        let at = frontier.size().0;
        let global = tree
            .offset
            .checked_add(at)
            .ok_or_else(|| misbehaved("index overflow".into()))?;
        // Up to the end of the source's block holding `global` (whole entry bundles for a
        // tiled log), or of the tree.
        let batch = u64::try_from(src.batch().max(1)).unwrap_or(1);
        let to_block_end = batch.saturating_sub(global.checked_rem(batch).unwrap_or(0));
        let count = usize::try_from(end.saturating_sub(at).min(to_block_end))
            .map_err(|_| misbehaved("batch too large".into()))?;
        let bodies = src.entries(global, count).await?;
        if bodies.len() != count {
            return Err(misbehaved(format!(
                "asked for {count} entries from {global}, got {}",
                bodies.len()
            )));
        }
        for (body, log_index) in bodies.iter().zip(global..) {
            let leaf = signet_rekor::leaf_hash(body);
            if !watch.is_empty()
                && let Some(facts) = EntryFacts::of(body)
            {
                let matched = watch.matches(&facts);
                if !matched.is_empty() {
                    matches.push(EntryMatch {
                        log_index,
                        uuid: leaf.to_hex(),
                        matched,
                        entry: facts,
                    });
                }
            }
            frontier
                .append(leaf)
                .map_err(|e| misbehaved(e.to_string()))?;
        }
    }
    if frontier.root() != *head.root_hash() {
        return Err(MonitorError::Fork {
            source_name: src.name().to_string(),
            tree: tree_name(tree.tree_id),
            old_size: end,
            new_size: end,
            reason: format!(
                "the entries the log serves do not form the tree its checkpoint signs (their root {}, signed root {})",
                frontier.root(),
                head.root_hash()
            ),
        });
    }
    Ok(())
}

/// A second vantage point's view compared with the first's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// Tree compared.
    #[serde(rename = "treeID")]
    pub tree_id: Option<u64>,
    /// Size at the first vantage point.
    pub size_a: u64,
    /// Size at the second.
    pub size_b: u64,
}

/// Compares the active trees two sources serve (each checkpoint verified with `verifiers`):
/// the same size must have the same root, and the smaller tree must be consistent with the
/// larger (proof asked of the source serving the larger).
pub async fn compare<A: LogSource, B: LogSource>(
    a: &A,
    b: &B,
    verifiers: &[&dyn NoteVerifier],
) -> Result<Comparison, MonitorError> {
    let ta = a.trees().await?;
    let tb = b.trees().await?;
    let (Some(last_a), Some(last_b)) = (ta.last(), tb.last()) else {
        return Err(MonitorError::Misbehaved {
            source_name: format!("{} / {}", a.name(), b.name()),
            reason: "a vantage point serves no tree".into(),
        });
    };
    let ha = verify_head(a.name(), last_a, verifiers)?;
    let hb = verify_head(b.name(), last_b, verifiers)?;
    let split = |reason: String| MonitorError::SplitView {
        a: a.name().to_string(),
        b: b.name().to_string(),
        tree: tree_name(last_a.tree_id),
        a_size: ha.size().0,
        b_size: hb.size().0,
        reason: format!("{reason} (roots {} and {})", ha.root_hash(), hb.root_hash()),
    };
    if last_a.tree_id != last_b.tree_id {
        return Err(split(format!(
            "they serve different active trees ({} and {})",
            tree_name(last_a.tree_id),
            tree_name(last_b.tree_id)
        )));
    }
    let (sa, sb) = (ha.size().0, hb.size().0);
    let proof = if needs_proof(sa.min(sb), sa.max(sb)) {
        if sa < sb {
            b.consistency(last_b.tree_id, sa, sb).await?
        } else {
            a.consistency(last_a.tree_id, sb, sa).await?
        }
    } else {
        Vec::new()
    };
    let (small, large) = if sa <= sb { (&ha, &hb) } else { (&hb, &ha) };
    check_extends(
        (small.size().0, small.root_hash()),
        (large.size().0, large.root_hash()),
        &proof,
    )
    .map_err(|d| {
        split(match d {
            Divergence::NotConsistent(r) => format!("the trees are not consistent ({r})"),
            _ => "same size, different roots".into(),
        })
    })?;
    Ok(Comparison {
        tree_id: last_a.tree_id,
        size_a: sa,
        size_b: sb,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::cell::RefCell;

    use signet_crypto::SigningKey;
    use signet_tlog::{Checkpoint, EcdsaNoteSigner, MerkleTree, NoteSigner};

    use super::*;

    /// An in-memory log (one tree, ID 7) serving bodies and signed checkpoints.
    struct FakeLog {
        signer: EcdsaNoteSigner,
        tree: RefCell<MerkleTree>,
        bodies: RefCell<Vec<Vec<u8>>>,
        tree_id: u64,
    }

    fn copy(key: &SigningKey) -> SigningKey {
        SigningKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap()
    }

    impl FakeLog {
        fn new(key: SigningKey) -> Self {
            Self::tree(key, 7)
        }
        fn tree(key: SigningKey, tree_id: u64) -> Self {
            Self {
                signer: EcdsaNoteSigner::new("log.test", key).unwrap(),
                tree: RefCell::new(MerkleTree::new()),
                bodies: RefCell::new(Vec::new()),
                tree_id,
            }
        }
        fn add(&self, body: Vec<u8>) {
            self.tree
                .borrow_mut()
                .append(signet_rekor::leaf_hash(&body))
                .unwrap();
            self.bodies.borrow_mut().push(body);
        }
        fn head(&self) -> String {
            let t = self.tree.borrow();
            let cp = Checkpoint {
                origin: format!("log.test - {}", self.tree_id),
                size: t.size(),
                root_hash: t.current_root(),
                extensions: Vec::new(),
            };
            signet_tlog::sign_note(&cp.to_text(), &[&self.signer as &dyn NoteSigner]).unwrap()
        }
    }

    impl LogSource for FakeLog {
        fn name(&self) -> &str {
            "fake"
        }
        async fn trees(&self) -> Result<Vec<ServedTree>, MonitorError> {
            Ok(vec![ServedTree {
                tree_id: Some(self.tree_id),
                offset: 0,
                signed_head: self.head(),
            }])
        }
        async fn consistency(
            &self,
            _: Option<u64>,
            first: u64,
            last: u64,
        ) -> Result<Vec<Sha256Hash>, MonitorError> {
            let t = self.tree.borrow();
            Ok(signet_tlog::Tree::new(t.store())
                .consistency_proof(TreeSize(first), TreeSize(last))
                .unwrap())
        }
        async fn entries(&self, start: u64, count: usize) -> Result<Vec<Vec<u8>>, MonitorError> {
            let b = self.bodies.borrow();
            Ok(b[start as usize..start as usize + count].to_vec())
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn body(key: &SigningKey, data: &[u8]) -> Vec<u8> {
        let p = signet_rekor::proposed_hashedrekord(
            &key.sign(data).unwrap(),
            &key.public_key().to_pem(),
            &signet_crypto::sha256(data).to_hex(),
        );
        signet_rekor::admit(&serde_json::to_vec(&p).unwrap())
            .unwrap()
            .body
    }

    #[test]
    fn matching_by_fingerprint_and_digest_only_the_watched_entry() {
        let watched = SigningKey::generate_p256().unwrap();
        let other = SigningKey::generate_p256().unwrap();
        let fp = signet_crypto::sha256(watched.public_key().spki_der()).to_hex();
        let w = WatchList {
            fingerprints: vec![WatchList::normalize_fingerprint(&format!(
                "SHA256:{}",
                fp.to_uppercase()
            ))],
            digests: vec![WatchList::normalize_digest(
                &signet_crypto::sha256(b"x").to_hex().to_uppercase(),
            )],
            ..WatchList::default()
        };
        let m = w.matches(&EntryFacts::of(&body(&watched, b"a")).unwrap());
        assert_eq!(
            m,
            vec![Matched {
                kind: "fingerprint",
                value: fp
            }]
        );
        assert!(
            w.matches(&EntryFacts::of(&body(&other, b"a")).unwrap())
                .is_empty()
        );
        let m = w.matches(&EntryFacts::of(&body(&other, b"x")).unwrap());
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].kind, "digest");
        assert!(EntryFacts::of(b"{\"kind\":\"rekord\"}").is_none());
    }

    /// rekor-monitor's certIdentities: the SAN pattern, and an issuer pattern when given.
    #[test]
    fn cert_identities_need_subject_and_issuer() {
        let facts = EntryFacts {
            identities: vec![
                "https://github.com/org/repo/.github/workflows/rel.yml@refs/tags/v1".into(),
            ],
            issuers: vec!["https://token.actions.githubusercontent.com".into()],
            ..EntryFacts::default()
        };
        let re = |s: &str| regex::Regex::new(s).unwrap();
        let watch = |subject: &str, issuers: &[&str]| WatchList {
            cert_identities: vec![CertIdentity {
                subject: re(subject),
                issuers: issuers.iter().map(|i| re(i)).collect(),
            }],
            ..WatchList::default()
        };
        let hit = |w: WatchList| !w.matches(&facts).is_empty();
        assert!(hit(watch(r"github\.com/org/repo/", &[])));
        assert!(hit(watch(
            r"rel\.yml@refs/tags/.*",
            &[r"https://accounts\.google\.com", r"token\.actions"]
        )));
        assert!(!hit(watch(r"rel\.yml", &[r"accounts\.google\.com"])));
        assert!(!hit(watch(r"other/repo", &[])));
    }

    #[test]
    fn check_extends_refuses_rollback_other_root_and_bad_proof() {
        let mut t = MerkleTree::new();
        for i in 0..5u8 {
            t.append(signet_tlog::leaf_hash(&[i])).unwrap();
        }
        let store = t.store();
        let tree = signet_tlog::Tree::new(store);
        let r3 = tree.root(TreeSize(3)).unwrap();
        let r5 = tree.root(TreeSize(5)).unwrap();
        let p = tree.consistency_proof(TreeSize(3), TreeSize(5)).unwrap();
        assert_eq!(check_extends((3, &r3), (5, &r5), &p), Ok(()));
        assert_eq!(check_extends((5, &r5), (5, &r5), &[]), Ok(()));
        assert_eq!(
            check_extends((5, &r5), (3, &r3), &p),
            Err(Divergence::Smaller)
        );
        assert_eq!(
            check_extends((5, &r5), (5, &r3), &[]),
            Err(Divergence::OtherRoot)
        );
        assert!(matches!(
            check_extends((3, &r5), (5, &r5), &p),
            Err(Divergence::NotConsistent(_))
        ));
    }

    #[test]
    fn rounds_follow_growth_and_catch_a_fork_and_a_rollback() {
        let key = SigningKey::generate_p256().unwrap();
        let log = FakeLog::new(copy(&key));
        let signer = SigningKey::generate_p256().unwrap();
        let watched = SigningKey::generate_p256().unwrap();
        for i in 0..13u8 {
            log.add(body(&signer, &[i]));
        }
        log.add(body(&watched, b"w"));
        let v = log.signer.verifier();
        let verifiers: [&dyn NoteVerifier; 1] = [&v];
        let watch = WatchList {
            fingerprints: vec![signet_crypto::sha256(watched.public_key().spki_der()).to_hex()],
            ..WatchList::default()
        };
        let r = block_on(round(&log, &verifiers, &watch, None)).unwrap();
        assert_eq!(r.matches.len(), 1);
        assert_eq!(r.matches[0].log_index, 13);
        assert_eq!(r.state.tree_size, 14);
        // The state survives a save.
        let saved = MonitorState::from_json(r.state.to_json().unwrap().as_bytes()).unwrap();
        assert_eq!(saved, r.state);

        // Growth: only the new entries are read.
        log.add(body(&watched, b"w2"));
        log.add(body(&signer, b"s"));
        let r2 = block_on(round(&log, &verifiers, &watch, Some(&saved))).unwrap();
        assert_eq!(r2.matches.len(), 1);
        assert_eq!(r2.matches[0].log_index, 14);
        assert_eq!(r2.trees[0].entries_read, 2);
        assert_eq!(r2.trees[0].previous_size, 14);

        // A fork: another log, same key, same first 10 entries, then different ones.
        let fork = FakeLog::new(copy(&key));
        for b in log.bodies.borrow().iter().take(10) {
            fork.add(b.clone());
        }
        for i in 0..8u8 {
            fork.add(body(&signer, &[100 + i]));
        }
        let e = block_on(round(&fork, &verifiers, &watch, Some(&r2.state))).unwrap_err();
        assert!(matches!(e, MonitorError::Fork { .. }), "{e}");
        assert!(e.is_alarm());
        assert!(e.to_string().contains("FORK"), "{e}");

        // A rollback: the log serves an older (genuinely signed) head.
        let small = FakeLog::new(copy(&key));
        for b in log.bodies.borrow().iter().take(3) {
            small.add(b.clone());
        }
        let e = block_on(round(&small, &verifiers, &watch, Some(&r2.state))).unwrap_err();
        assert!(
            matches!(
                e,
                MonitorError::Rollback {
                    old: 16,
                    new: 3,
                    ..
                }
            ),
            "{e}"
        );

        // A checkpoint signed by another key.
        let stranger = FakeLog::new(SigningKey::generate_p256().unwrap());
        stranger.add(body(&signer, b"z"));
        let e = block_on(round(&stranger, &verifiers, &watch, None)).unwrap_err();
        assert!(matches!(e, MonitorError::BadCheckpoint { .. }), "{e}");

        // Entries that do not form the signed tree (a log hiding an entry by serving another
        // body in its place).
        let liar = FakeLog::new(key);
        for b in log.bodies.borrow().iter() {
            liar.add(b.clone());
        }
        liar.bodies.borrow_mut()[14] = body(&signer, b"innocent");
        let e = block_on(round(&liar, &verifiers, &watch, Some(&saved))).unwrap_err();
        assert!(e.to_string().contains("do not form the tree"), "{e}");
    }

    /// A sharded log: frozen trees then the active one, under one global index.
    struct Shards(Vec<FakeLog>);

    impl Shards {
        /// The tree holding global index `i`, and `i` in it.
        fn locate(&self, mut i: u64) -> (&FakeLog, u64) {
            for t in &self.0 {
                let size = t.tree.borrow().size().0;
                if i < size {
                    return (t, i);
                }
                i -= size;
            }
            panic!("index beyond the log");
        }
    }

    impl LogSource for Shards {
        fn name(&self) -> &str {
            "shards"
        }
        async fn trees(&self) -> Result<Vec<ServedTree>, MonitorError> {
            let mut offset = 0;
            let mut out = Vec::new();
            for t in &self.0 {
                out.push(ServedTree {
                    tree_id: Some(t.tree_id),
                    offset,
                    signed_head: t.head(),
                });
                offset += t.tree.borrow().size().0;
            }
            Ok(out)
        }
        async fn consistency(
            &self,
            tree: Option<u64>,
            first: u64,
            last: u64,
        ) -> Result<Vec<Sha256Hash>, MonitorError> {
            let t = self.0.iter().find(|t| Some(t.tree_id) == tree).unwrap();
            t.consistency(tree, first, last).await
        }
        async fn entries(&self, start: u64, count: usize) -> Result<Vec<Vec<u8>>, MonitorError> {
            let (t, i) = self.locate(start);
            t.entries(i, count).await
        }
    }

    /// The followed tree is frozen by a key rotation: the monitor proves and reads it to its
    /// end, then reads the new active tree from its first leaf, with global indexes; a log
    /// that no longer lists the followed tree is refused.
    #[test]
    fn rounds_follow_a_rotation_to_the_next_shard() {
        let (k1, k2) = (
            SigningKey::generate_p256().unwrap(),
            SigningKey::generate_p256().unwrap(),
        );
        let signer = SigningKey::generate_p256().unwrap();
        let watched = SigningKey::generate_p256().unwrap();
        let first = FakeLog::tree(copy(&k1), 7);
        for i in 0..3u8 {
            first.add(body(&signer, &[i]));
        }
        let (v1, v2) = (first.signer.verifier(), {
            EcdsaNoteSigner::new("log.test", copy(&k2))
                .unwrap()
                .verifier()
        });
        let verifiers: [&dyn NoteVerifier; 2] = [&v1, &v2];
        let watch = WatchList {
            fingerprints: vec![signet_crypto::sha256(watched.public_key().spki_der()).to_hex()],
            ..WatchList::default()
        };
        let log = Shards(vec![first]);
        let r = block_on(round(&log, &verifiers, &watch, None)).unwrap();
        assert_eq!((r.state.tree_id, r.state.tree_size), (Some(7), 3));

        // Tree 7 grows to 5 (a watched entry at 4), is frozen; tree 8 starts at global 5.
        log.0[0].add(body(&signer, b"x"));
        log.0[0].add(body(&watched, b"w7"));
        let second = FakeLog::tree(k2, 8);
        second.add(body(&signer, b"y"));
        second.add(body(&watched, b"w8"));
        let log = Shards(vec![log.0.into_iter().next().unwrap(), second]);
        let r2 = block_on(round(&log, &verifiers, &watch, Some(&r.state))).unwrap();
        let found: Vec<u64> = r2.matches.iter().map(|m| m.log_index).collect();
        assert_eq!(found, vec![4, 6]);
        assert_eq!(r2.trees.len(), 2);
        assert_eq!((r2.trees[0].previous_size, r2.trees[0].tree_size), (3, 5));
        assert_eq!((r2.trees[1].previous_size, r2.trees[1].tree_size), (0, 2));
        assert_eq!(
            (r2.state.tree_id, r2.state.offset, r2.state.tree_size),
            (Some(8), 5, 2)
        );

        // A log serving only tree 7 now: the followed tree 8 is gone.
        let only7 = Shards(log.0.into_iter().take(1).collect());
        let e = block_on(round(&only7, &verifiers, &watch, Some(&r2.state))).unwrap_err();
        assert!(matches!(e, MonitorError::TreeGone { .. }), "{e}");
    }

    #[test]
    fn compare_finds_a_split_view() {
        let key = SigningKey::generate_p256().unwrap();
        let signer = SigningKey::generate_p256().unwrap();
        let a = FakeLog::new(copy(&key));
        let b = FakeLog::new(key);
        for i in 0..4u8 {
            // ECDSA signatures are randomized: the same body for both.
            let e = body(&signer, &[i]);
            a.add(e.clone());
            b.add(e);
        }
        a.add(body(&signer, b"a"));
        let v = a.signer.verifier();
        let verifiers: [&dyn NoteVerifier; 1] = [&v];
        // b is a prefix of a: consistent.
        let c = block_on(compare(&a, &b, &verifiers)).unwrap();
        assert_eq!((c.size_a, c.size_b), (5, 4));
        // Same size, different entries.
        b.add(body(&signer, b"b"));
        let e = block_on(compare(&a, &b, &verifiers)).unwrap_err();
        assert!(matches!(e, MonitorError::SplitView { .. }), "{e}");
        // Different sizes, not consistent.
        b.add(body(&signer, b"c"));
        let e = block_on(compare(&a, &b, &verifiers)).unwrap_err();
        assert!(e.to_string().contains("not consistent"), "{e}");
    }
}
