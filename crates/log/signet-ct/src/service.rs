//! The CT log service: `add-pre-chain` and the RFC 6962 read endpoints' data.

use std::path::Path;
use std::sync::Arc;

use const_oid::ObjectIdentifier;
use signet_crypto::sha256;
use signet_log::{AppendLog, Backend, Clock, LogConfig, LogError, NoEntrySignature, Store};
use signet_types::{Sha256Hash, b64};
use signet_x509::{Certificate, precert_sct_signed_data, tbs_without_extension};

use crate::sct::{self, HASH_SHA256, SIG_ECDSA, Sct, SctError};

/// RFC 6962 §3.1 precertificate poison extension.
pub const POISON: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");
/// id-kp-codeSigning.
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// Most certificates in a submitted chain.
pub const MAX_CHAIN: usize = 10;
/// Largest certificate accepted in a chain.
pub const MAX_CERT_BYTES: usize = 64 * 1024;

/// What went wrong in the CT log. `status` gives the HTTP status.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CtError {
    /// The submission is not acceptable (400).
    #[error("{0}")]
    BadRequest(String),
    /// Nothing there (404).
    #[error("not found")]
    NotFound,
    /// Storage or log failure (500 / 503).
    #[error(transparent)]
    Log(#[from] LogError),
    /// Encoding failure (500).
    #[error(transparent)]
    Encoding(#[from] SctError),
    /// Signing failure (500).
    #[error("signing failed: {0}")]
    Signing(String),
}

impl CtError {
    /// HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::NotFound => 404,
            Self::Log(LogError::NotFound) => 404,
            Self::Log(e) => e.status(),
            Self::Encoding(_) | Self::Signing(_) => 500,
        }
    }
}

/// A signed tree head (the `get-sth` body).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SignedTreeHead {
    /// Leaves in the tree.
    pub tree_size: u64,
    /// Milliseconds since the epoch.
    pub timestamp: u64,
    /// Base64 root hash.
    pub sha256_root_hash: String,
    /// Base64 TLS `DigitallySigned` over the `TreeHeadSignature`.
    pub tree_head_signature: String,
}

/// A running CT log.
pub struct CtLog {
    log: AppendLog<Store>,
    /// Issuer links already verified (SHA-256 of child DER, of parent DER): CA certificates
    /// repeat in every chain, so each link's signature is checked once.
    verified_links: std::sync::RwLock<std::collections::HashSet<(Sha256Hash, Sha256Hash)>>,
    roots: Vec<Certificate>,
    clock: Arc<dyn Clock>,
    log_id: Sha256Hash,
}

fn bad(m: impl Into<String>) -> CtError {
    CtError::BadRequest(m.into())
}

impl CtLog {
    /// Opens (or creates) the CT log in `dir` (key `dir/log.key`, recorded checkpoint), its
    /// entries in `backend` (embedded: `dir/log.sqlite`), accepting chains that end in one of
    /// `roots`.
    pub async fn open(
        backend: &Backend,
        dir: &Path,
        roots: Vec<Certificate>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, CtError> {
        Self::open_with_key(backend, dir, roots, clock, None).await
    }

    /// [`CtLog::open`] with the log's key held outside `dir` (an HSM) when `key` is given:
    /// `dir/log.key` is then neither read nor created.
    pub async fn open_with_key(
        backend: &Backend,
        dir: &Path,
        roots: Vec<Certificate>,
        clock: Arc<dyn Clock>,
        key: Option<signet_crypto::SigningKey>,
    ) -> Result<Self, CtError> {
        let store = backend.open(dir).await?;
        // The SCT is signed before the leaf is appended (the leaf holds its timestamp), so the
        // log signs nothing per entry.
        let log = AppendLog::open(
            store,
            dir,
            &LogConfig::new("ct").with_key(key),
            clock.clone(),
            Arc::new(NoEntrySignature),
        )
        .await?;
        let log_id = log.key().id();
        Ok(Self {
            log,
            verified_links: Default::default(),
            roots,
            clock,
            log_id,
        })
    }

    /// SHA-256 of the log's DER public key.
    pub fn log_id(&self) -> Sha256Hash {
        self.log_id
    }

    /// The log's public key.
    pub fn public_key(&self) -> &signet_crypto::PublicKey {
        self.log.public_key()
    }

    /// When the log came into service (Unix seconds).
    pub fn created(&self) -> i64 {
        self.log.created()
    }

    /// Resolves once the sequencer of the log underneath has ended, with why: see
    /// [`AppendLog::sequencer_stopped`] (fatal for a server: SCTs can no longer be issued).
    pub fn sequencer_stopped(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        self.log.sequencer_stopped()
    }

    /// See [`signet_log::AppendLog::release_lease`] (a clean shutdown of one of many nodes).
    pub fn release_lease(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.log.release_lease()
    }

    /// See [`signet_log::AppendLog::probe`].
    pub async fn probe(&self) -> Result<(), signet_log::LogError> {
        self.log.probe().await
    }

    /// The accepted roots.
    pub fn roots(&self) -> &[Certificate] {
        &self.roots
    }

    /// Checks a precertificate chain (precert, its issuer, …, a configured root) and returns
    /// the precert TBS without poison and the issuer key hash.
    fn check_pre_chain(&self, chain: &[Vec<u8>]) -> Result<(Vec<u8>, Sha256Hash), CtError> {
        if chain.len() < 2 {
            return Err(bad(
                "a precertificate chain needs the precertificate and its issuer",
            ));
        }
        if chain.len() > MAX_CHAIN {
            return Err(bad(format!("chain longer than {MAX_CHAIN} certificates")));
        }
        if chain.iter().any(|c| c.len() > MAX_CERT_BYTES) {
            return Err(bad(format!(
                "certificate larger than {MAX_CERT_BYTES} bytes"
            )));
        }
        let certs = chain
            .iter()
            .enumerate()
            .map(|(i, der)| Certificate::from_der(der).map_err(|e| bad(format!("chain[{i}]: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let [pre, issuer, ..] = certs.as_slice() else {
            return Err(bad(
                "a precertificate chain needs the precertificate and its issuer",
            ));
        };
        match pre.extension_criticality(&POISON) {
            Some(true) => {}
            Some(false) => return Err(bad("precertificate poison extension is not critical")),
            None => {
                return Err(bad(
                    "chain[0] is not a precertificate (no poison extension)",
                ));
            }
        }
        if pre.extension_value(&POISON) != Some(&[0x05, 0x00][..]) {
            return Err(bad("precertificate poison extension is not ASN.1 NULL"));
        }
        // Sigstore's CT configuration: code-signing leaves only.
        let eku = pre
            .extension_value(&const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE)
            .ok_or_else(|| bad("precertificate has no extended key usage"))?;
        if !signet_x509::sequence_contains_oid(eku, &CODE_SIGNING) {
            return Err(bad("precertificate is not for code signing"));
        }
        for (i, (child, parent)) in certs.iter().zip(certs.iter().skip(1)).enumerate() {
            let link = (sha256(child.der()), sha256(parent.der()));
            let known = i > 0
                && self
                    .verified_links
                    .read()
                    .map(|s| s.contains(&link))
                    .unwrap_or(false);
            if known {
                continue;
            }
            // i < MAX_CHAIN: the sum never saturates.
            let j = i.saturating_add(1);
            child
                .verify_signed_by(parent)
                .map_err(|e| bad(format!("chain[{i}] is not signed by chain[{j}]: {e}")))?;
            // Only CA-to-CA links are remembered (the precertificate changes every time).
            if i > 0
                && let Ok(mut s) = self.verified_links.write()
                && s.len() < 1024
            {
                s.insert(link);
            }
        }
        let last = certs.last().unwrap_or(issuer);
        let anchored = self.roots.iter().any(|r| r.der() == last.der())
            || self
                .roots
                .iter()
                .any(|r| last.verify_signed_by(r).is_ok() && !last.is_self_signed());
        if !anchored {
            return Err(bad("chain does not end in a root this log accepts"));
        }
        let tbs = tbs_without_extension(pre.tbs_der(), &POISON)
            .map_err(|e| bad(e.to_string()))?
            .ok_or_else(|| bad("precertificate has no poison extension"))?;
        Ok((tbs, sha256(issuer.spki_der())))
    }

    /// RFC 6962 `add-pre-chain`: checks the chain, signs an SCT, and appends the entry. The
    /// SCT is returned only once the entry is durable in the log.
    pub async fn add_pre_chain(&self, chain: &[Vec<u8>]) -> Result<Sct, CtError> {
        let (tbs, issuer_key_hash) = self.check_pre_chain(chain)?;
        self.log_precert(tbs, issuer_key_hash).await
    }

    /// Logs a precertificate the CA running in this process just issued (the CA's own chain:
    /// no chain validation needed). `precert_der` must still be a precertificate.
    pub async fn add_own_precert(
        &self,
        precert_der: &[u8],
        issuer_spki_der: &[u8],
    ) -> Result<Sct, CtError> {
        let pre = Certificate::from_der(precert_der).map_err(|e| bad(e.to_string()))?;
        let tbs = tbs_without_extension(pre.tbs_der(), &POISON)
            .map_err(|e| bad(e.to_string()))?
            .ok_or_else(|| bad("not a precertificate (no poison extension)"))?;
        self.log_precert(tbs, sha256(issuer_spki_der)).await
    }

    async fn log_precert(&self, tbs: Vec<u8>, issuer_key_hash: Sha256Hash) -> Result<Sct, CtError> {
        let timestamp_ms = self.clock.now_millis();
        let signed = precert_sct_signed_data(timestamp_ms, &issuer_key_hash, &tbs, &[])
            .map_err(|e| bad(e.to_string()))?;
        let signature = self
            .log
            .signing_key()
            .sign(&signed)
            .map_err(|e| CtError::Signing(e.to_string()))?;
        let leaf = sct::precert_merkle_leaf(timestamp_ms, &issuer_key_hash, &tbs, &[])?;
        self.log.append_leaf(leaf, vec![]).await?;
        Ok(Sct {
            log_id: self.log_id,
            timestamp_ms,
            extensions: vec![],
            hash: HASH_SHA256,
            sig_alg: SIG_ECDSA,
            signature,
        })
    }

    /// `get-sth`: the current tree head, signed now.
    pub fn signed_tree_head(&self) -> Result<SignedTreeHead, CtError> {
        let (size, root, _) = self.log.head_state();
        let timestamp = self.clock.now_millis();
        let sig = self
            .log
            .signing_key()
            .sign(&sct::tree_head_signed_data(timestamp, size, &root))
            .map_err(|e| CtError::Signing(e.to_string()))?;
        Ok(SignedTreeHead {
            tree_size: size,
            timestamp,
            sha256_root_hash: b64::encode(root.as_bytes()),
            tree_head_signature: b64::encode(sct::digitally_signed(HASH_SHA256, SIG_ECDSA, &sig)?),
        })
    }

    /// `get-proof-by-hash`: (leaf index, audit path) for a leaf hash in the tree of `size`.
    pub async fn proof_by_hash(
        &self,
        leaf_hash: &Sha256Hash,
        size: u64,
    ) -> Result<(u64, Vec<Sha256Hash>), CtError> {
        let index = self.log.index_of(leaf_hash).await?;
        if index >= size {
            return Err(bad(format!("leaf is not in a tree of size {size}")));
        }
        Ok((index, self.log.inclusion_proof_at(index, size).await?))
    }

    /// `get-sth-consistency`.
    pub async fn consistency(&self, first: u64, second: u64) -> Result<Vec<String>, CtError> {
        let (hashes, _) = self.log.consistency_proof(first, second).await?;
        Ok(hashes.iter().map(|h| b64::encode(h.as_bytes())).collect())
    }

    /// `get-entries`: raw `MerkleTreeLeaf` bytes of leaves `start..=end` (at most 256).
    pub async fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, CtError> {
        let (size, _, _) = self.log.head_state();
        if start > end || start >= size {
            return Err(bad(format!(
                "no entries {start}..={end} in a tree of {size}"
            )));
        }
        // start < size, so size - 1 does not saturate; start + 255 saturating still bounds it.
        let end = end
            .min(size.saturating_sub(1))
            .min(start.saturating_add(255));
        let mut out = Vec::new();
        for i in start..=end {
            out.push(self.log.raw_entry(i).await?.body);
        }
        Ok(out)
    }
}
