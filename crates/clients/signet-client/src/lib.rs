//! Clients for the Rekor v1 API (ours or any Rekor), plus [`verify_entry`]: the offline check
//! of a returned entry (SET, inclusion proof, signed checkpoint, UUID) that every read runs,
//! which is `signet-verify`'s check of a bundle's entry.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::string_slice,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
#![cfg_attr(
    test,
    allow(
        clippy::string_slice,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

pub mod http;
pub mod monitor;
mod rekor_v2;

pub use rekor_v2::{V2Submission, VerifiedV2Entry, verify_v2_entry_of};
pub mod tiles;
pub mod witness;

use signet_bundle::{
    CheckpointJson, InclusionPromiseJson, InclusionProofJson, KindVersionJson, LogIdJson,
    TlogEntryJson,
};
use signet_bundle::{InclusionProof, KindVersion, TlogEntry};
use signet_crypto::PublicKey;
use signet_rekor::api::{
    ConsistencyProof, LogEntry, LogEntryAnon, LogInfo, SearchIndex, SearchLogQuery,
};
use signet_types::{LogIndex, Sha256Hash, TreeSize, b64};

/// Client errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Transport failure.
    #[error("cannot reach {url}: {source}")]
    Http {
        /// URL.
        url: String,
        /// Cause.
        #[source]
        source: reqwest::Error,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up an HTTP client: {0}")]
    Setup(#[source] reqwest::Error),
    /// No answer, or not the whole answer, in time.
    #[error("no answer from {url} in time ({limits})")]
    Timeout {
        /// URL.
        url: String,
        /// The timeouts that applied.
        limits: String,
    },
    /// The answer is larger than the limit for what was fetched.
    #[error("the answer from {url} is larger than the limit of {limit} bytes{}", mib(*limit))]
    TooLarge {
        /// URL.
        url: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// Non-success status.
    #[error("{url} answered {status}: {message}")]
    Status {
        /// URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// Error message from the body, if any.
        message: String,
    },
    /// Response did not parse.
    #[error("unexpected response from {url}: {reason}")]
    Decode {
        /// URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// A service URL is not usable.
    #[error("{0}")]
    BadUrl(String),
    /// An entry to submit is one the log would refuse.
    #[error("invalid entry to submit: {0}")]
    Proposed(String),
    /// A returned entry failed verification.
    #[error("log entry failed verification: {0}")]
    Verify(String),
    /// A Rekor v2 log answered `409`: it already holds the entry (at `index`, when it said).
    #[error("{url} already holds this entry{}", .index.map(|i| format!(" (index {i})")).unwrap_or_default())]
    AlreadyLogged {
        /// URL.
        url: String,
        /// The index the log gave in its `x-log-index` header.
        index: Option<u64>,
    },
    /// A tiled log's hash tiles do not reproduce its signed checkpoint.
    #[error("the log's tiles do not match its checkpoint: {0}")]
    TilesMismatch(String),
    /// A tiled log's checkpoint failed verification, or is not consistent with an earlier one.
    #[error("{0}")]
    Checkpoint(String),
    /// An index beyond the log's tree.
    #[error("entry {index} is beyond the log's tree of size {size}")]
    BeyondTree {
        /// The index asked for.
        index: u64,
        /// The verified tree size.
        size: u64,
    },
    /// A tile computation failed (a tile the log should have served was missing or malformed).
    #[error(transparent)]
    Tile(#[from] signet_tlog::tiles::TileError),
}

/// ` (N MiB)` for a whole number of MiB, else nothing.
fn mib(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.trailing_zeros() >= 20 {
        format!(" ({} MiB)", bytes >> 20)
    } else {
        String::new()
    }
}

/// A service's answer: the JSON of a success, else [`ClientError::Status`] with the body's
/// `message` (Rekor's and grpc-gateway's error shape) or the status's reason.
pub(crate) fn answer<T: serde::de::DeserializeOwned>(
    url: &str,
    status: reqwest::StatusCode,
    bytes: &[u8],
) -> Result<T, ClientError> {
    if !status.is_success() {
        let message = serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_string());
        return Err(ClientError::Status {
            url: url.into(),
            status: status.as_u16(),
            message,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| ClientError::Decode {
        url: url.into(),
        reason: e.to_string(),
    })
}

/// A Rekor v1 client.
#[derive(Clone, Debug)]
pub struct RekorClient {
    base: String,
    http: reqwest::Client,
    opts: http::HttpOptions,
}

impl RekorClient {
    /// A client for the log at `base` (e.g. `http://127.0.0.1:3000`) with the default
    /// timeouts ([`http::HttpOptions::default`]).
    pub fn new(base: &str) -> Result<Self, ClientError> {
        Self::with_options(base, &http::HttpOptions::default())
    }

    /// A client for the log at `base` with `opts`. Every answer is limited to
    /// [`http::MAX_API_RESPONSE`] bytes.
    pub fn with_options(base: &str, opts: &http::HttpOptions) -> Result<Self, ClientError> {
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            http: http::client_for(base, opts)?,
            opts: opts.clone(),
        })
    }

    /// Base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<(T, reqwest::header::HeaderMap), ClientError> {
        let resp = http::send(req, url, &self.opts).await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = http::read_limited(resp, url, http::MAX_API_RESPONSE, &self.opts).await?;
        Ok((answer(url, status, &bytes)?, headers))
    }

    /// `POST /api/v2/signingCert` on a Fulcio-compatible CA at `ca_base`, public-key form:
    /// returns the PEM chain (leaf first).
    pub async fn signing_cert(
        &self,
        ca_base: &str,
        token: &str,
        public_key_pem: &str,
        proof_of_possession: &[u8],
    ) -> Result<Vec<String>, ClientError> {
        let url = format!("{}/api/v2/signingCert", ca_base.trim_end_matches('/'));
        let body = serde_json::json!({
            "publicKeyRequest": {
                "publicKey": {"algorithm": "ECDSA", "content": public_key_pem},
                "proofOfPossession": signet_types::b64::encode(proof_of_possession),
            }
        });
        let http = if url.starts_with("https://") && self.base.starts_with("http://") {
            http::client(&self.opts)?
        } else {
            self.http.clone()
        };
        let (v, _): (serde_json::Value, _) = self
            .send(http.post(&url).bearer_auth(token).json(&body), &url)
            .await?;
        let certs = v
            .pointer("/signedCertificateEmbeddedSct/chain/certificates")
            .or_else(|| v.pointer("/signedCertificateDetachedSct/chain/certificates"))
            .and_then(|c| c.as_array())
            .ok_or_else(|| ClientError::Decode {
                url: url.clone(),
                reason: "no certificate chain in the response".into(),
            })?;
        certs
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| ClientError::Decode {
                        url: url.clone(),
                        reason: "certificate is not a string".into(),
                    })
            })
            .collect()
    }

    /// `GET /api/v1/log`.
    pub async fn log_info(&self) -> Result<LogInfo, ClientError> {
        let url = format!("{}/api/v1/log", self.base);
        Ok(self.send(self.http.get(&url), &url).await?.0)
    }

    /// `GET /api/v1/log/checkpoint` (signet): the active tree's latest witnessed checkpoint, a
    /// signed note with the witnesses' cosignature lines after the log's signature (unverified).
    pub async fn checkpoint(&self) -> Result<String, ClientError> {
        let url = format!("{}/api/v1/log/checkpoint", self.base);
        let limit = u64::try_from(signet_types::limits::MAX_NOTE_BYTES).unwrap_or(u64::MAX);
        let bytes = http::get_limited(self.http.get(&url), &url, limit, &self.opts).await?;
        String::from_utf8(bytes).map_err(|_| ClientError::Decode {
            url,
            reason: "the checkpoint is not UTF-8".into(),
        })
    }

    /// `GET /api/v1/log/publicKey`: the key of the log (of its active shard, when it is
    /// sharded).
    pub async fn public_key(&self) -> Result<PublicKey, ClientError> {
        self.key_at(format!("{}/api/v1/log/publicKey", self.base))
            .await
    }

    /// `GET /api/v1/log/publicKey?treeID=T`: the key of the log's shard `tree_id` (a sharded
    /// log's inactive shards have keys of their own).
    pub async fn shard_public_key(&self, tree_id: u64) -> Result<PublicKey, ClientError> {
        self.key_at(format!(
            "{}/api/v1/log/publicKey?treeID={tree_id}",
            self.base
        ))
        .await
    }

    async fn key_at(&self, url: String) -> Result<PublicKey, ClientError> {
        let resp = http::send(self.http.get(&url), &url, &self.opts).await?;
        let status = resp.status();
        let body = http::read_limited(resp, &url, http::MAX_API_RESPONSE, &self.opts).await?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if !status.is_success() {
            return Err(ClientError::Status {
                url,
                status: status.as_u16(),
                message: text,
            });
        }
        PublicKey::from_pem(&text).map_err(|e| ClientError::Decode {
            url,
            reason: e.to_string(),
        })
    }

    /// `GET /api/v1/log/entries?logIndex=N`.
    pub async fn get_by_index(&self, index: u64) -> Result<LogEntry, ClientError> {
        let url = format!("{}/api/v1/log/entries?logIndex={index}", self.base);
        Ok(self.send(self.http.get(&url), &url).await?.0)
    }

    /// `GET /api/v1/log/entries/{uuid}`.
    pub async fn get_by_uuid(&self, uuid: &str) -> Result<LogEntry, ClientError> {
        let url = format!("{}/api/v1/log/entries/{uuid}", self.base);
        Ok(self.send(self.http.get(&url), &url).await?.0)
    }

    /// `POST /api/v1/log/entries`; returns the entry and the `Location` header.
    pub async fn create(
        &self,
        proposed: &serde_json::Value,
    ) -> Result<(LogEntry, String), ClientError> {
        let url = format!("{}/api/v1/log/entries", self.base);
        let (entry, headers) = self
            .send::<LogEntry>(self.http.post(&url).json(proposed), &url)
            .await?;
        let loc = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        Ok((entry, loc))
    }

    /// `POST /api/v1/log/entries` for a signer: submits `sub`, then checks the answer with
    /// [`verify_entry_of`] (log key, SET, inclusion proof, checkpoint, and that the entry is
    /// the one submitted). Returns the verified entry and the `Location` header.
    pub async fn create_verified(
        &self,
        sub: &Submission,
        key: &PublicKey,
    ) -> Result<(VerifiedLogEntry, String), ClientError> {
        let (entry, loc) = self.create(sub.proposed()).await?;
        Ok((verify_entry_of(&entry, key, sub)?, loc))
    }

    /// `POST /api/v1/log/entries/retrieve`.
    pub async fn retrieve(&self, q: &SearchLogQuery) -> Result<Vec<LogEntry>, ClientError> {
        let url = format!("{}/api/v1/log/entries/retrieve", self.base);
        Ok(self.send(self.http.post(&url).json(q), &url).await?.0)
    }

    /// `POST /api/v1/index/retrieve`.
    pub async fn search(&self, q: &SearchIndex) -> Result<Vec<String>, ClientError> {
        let url = format!("{}/api/v1/index/retrieve", self.base);
        Ok(self.send(self.http.post(&url).json(q), &url).await?.0)
    }

    /// `GET /api/v1/log/proof`.
    pub async fn consistency(
        &self,
        first: u64,
        last: u64,
    ) -> Result<ConsistencyProof, ClientError> {
        let url = format!(
            "{}/api/v1/log/proof?firstSize={first}&lastSize={last}",
            self.base
        );
        Ok(self.send(self.http.get(&url), &url).await?.0)
    }

    /// `GET /api/v1/log/proof?treeID=T`: a consistency proof in the log's shard `tree_id`
    /// (sizes are that shard's).
    pub async fn shard_consistency(
        &self,
        first: u64,
        last: u64,
        tree_id: u64,
    ) -> Result<ConsistencyProof, ClientError> {
        let url = format!(
            "{}/api/v1/log/proof?firstSize={first}&lastSize={last}&treeID={tree_id}",
            self.base
        );
        Ok(self.send(self.http.get(&url), &url).await?.0)
    }
}

/// An entry whose SET, inclusion proof and checkpoint verified with the log key.
#[derive(Clone, Debug)]
pub struct VerifiedLogEntry {
    /// Entry ID (map key).
    pub entry_id: String,
    /// Leaf hash.
    pub uuid: Sha256Hash,
    /// The entry.
    pub entry: LogEntryAnon,
    /// Canonical body bytes.
    pub body: Vec<u8>,
    /// The verified checkpoint's size and root.
    pub checkpoint: signet_tlog::VerifiedCheckpoint,
}

/// Verifies one entry of a `LogEntry` map offline with the log's key: the map key names the
/// body's leaf hash, and then [`signet_verify::verify_rekor_v1_entry`], the check a bundle's
/// entry gets: the key's ID equals `logID`, the SET verifies, the inclusion proof leads to the
/// proof's root, and the checkpoint is signed by the key and names the same size and root.
pub fn verify_entry(entry: &LogEntry, key: &PublicKey) -> Result<VerifiedLogEntry, ClientError> {
    let bad = |m: String| ClientError::Verify(m);
    let (entry_id, e) = entry
        .iter()
        .next()
        .ok_or_else(|| bad("empty response".into()))?;
    if entry.len() != 1 {
        return Err(bad(format!("{} entries in one LogEntry", entry.len())));
    }
    let body = b64::decode(&e.body).map_err(|x| bad(format!("body: {x}")))?;
    let uuid = signet_rekor::leaf_hash(&body);
    let r = signet_rekor::EntryRef::parse(entry_id).map_err(|x| bad(x.to_string()))?;
    if r.uuid != uuid {
        return Err(bad(format!(
            "entry ID {entry_id} does not match the body's leaf hash {uuid}"
        )));
    }
    let tlog_entry = tlog_entry(e, body)?;
    let proven = signet_verify::verify_rekor_v1_entry(&tlog_entry, key).map_err(|x| match x {
        signet_verify::VerifyError::LogEntry(reason) => bad(reason.to_string()),
        other => bad(other.to_string()),
    })?;
    Ok(VerifiedLogEntry {
        entry_id: entry_id.clone(),
        uuid,
        entry: e.clone(),
        body: tlog_entry.canonicalized_body,
        checkpoint: proven.checkpoint,
    })
}

/// A log's `LogEntryAnon` (with its decoded `body`) as the entry a bundle carries.
fn tlog_entry(e: &LogEntryAnon, body: Vec<u8>) -> Result<TlogEntry, ClientError> {
    let bad = |m: String| ClientError::Verify(m);
    let log_id = hex::decode(&e.log_id).map_err(|_| bad("logID is not hex".into()))?;
    let v = e
        .verification
        .as_ref()
        .ok_or_else(|| bad("no verification data".into()))?;
    let signed_entry_timestamp = v
        .signed_entry_timestamp
        .as_deref()
        .map(b64::decode)
        .transpose()
        .map_err(|x| bad(format!("SET: {x}")))?;
    let inclusion_proof = v
        .inclusion_proof
        .as_ref()
        .map(|p| {
            Ok::<_, ClientError>(InclusionProof {
                log_index: LogIndex(
                    u64::try_from(p.log_index).map_err(|_| bad("negative index".into()))?,
                ),
                root_hash: Sha256Hash::from_hex(&p.root_hash)
                    .map_err(|x| bad(format!("root hash: {x}")))?,
                tree_size: TreeSize(
                    u64::try_from(p.tree_size).map_err(|_| bad("negative size".into()))?,
                ),
                hashes: p
                    .hashes
                    .iter()
                    .map(|h| Sha256Hash::from_hex(h))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|x| bad(format!("proof hash: {x}")))?,
                checkpoint: Some(p.checkpoint.clone()),
            })
        })
        .transpose()?;
    // The kind the body names (not checked here: no bundle claims one).
    let named: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let field = |k: &str| {
        named
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_string()
    };
    Ok(TlogEntry {
        log_index: LogIndex(u64::try_from(e.log_index).map_err(|_| bad("negative index".into()))?),
        log_id,
        kind_version: KindVersion {
            kind: field("kind"),
            version: field("apiVersion"),
        },
        integrated_time: Some(e.integrated_time),
        signed_entry_timestamp,
        inclusion_proof,
        canonicalized_body: body,
    })
}

/// A proposed entry together with the canonical body the log must store for it, computed
/// locally with the log's own admission code ([`signet_rekor::admit`]).
#[derive(Clone, Debug)]
pub struct Submission {
    proposed: serde_json::Value,
    admitted: signet_rekor::Admitted,
}

impl Submission {
    /// Canonicalizes `proposed` (a Rekor v1 `ProposedEntry`); fails if the log would refuse it.
    pub fn new(proposed: serde_json::Value) -> Result<Self, ClientError> {
        let bytes =
            serde_json::to_vec(&proposed).map_err(|e| ClientError::Proposed(e.to_string()))?;
        let admitted =
            signet_rekor::admit(&bytes).map_err(|e| ClientError::Proposed(e.to_string()))?;
        Ok(Self { proposed, admitted })
    }

    /// The proposed entry, as sent.
    pub fn proposed(&self) -> &serde_json::Value {
        &self.proposed
    }

    /// The leaf hash (UUID) the log's entry for this submission must have.
    pub fn uuid(&self) -> &Sha256Hash {
        &self.admitted.uuid
    }

    /// The canonical body the log's entry for this submission must have.
    pub fn body(&self) -> &[u8] {
        &self.admitted.body
    }
}

/// [`verify_entry`], and the entry is the one `sub` submitted: its canonical body (hence its
/// leaf hash, which the SET and the inclusion proof were checked over) equals the one computed
/// locally from the submission. A log (or anything on the way) answering with a genuine entry
/// of another artifact is refused.
pub fn verify_entry_of(
    entry: &LogEntry,
    key: &PublicKey,
    sub: &Submission,
) -> Result<VerifiedLogEntry, ClientError> {
    let v = verify_entry(entry, key)?;
    if v.uuid != *sub.uuid() || v.body != sub.body() {
        return Err(ClientError::Verify(format!(
            "the log answered with entry {} (index {}), not the one submitted (leaf hash {})",
            v.uuid,
            v.entry.log_index,
            sub.uuid()
        )));
    }
    Ok(v)
}

/// The Sigstore bundle `TransparencyLogEntry` (protojson) for a verified Rekor v1 entry.
pub fn bundle_tlog_entry(v: &VerifiedLogEntry) -> Result<TlogEntryJson, ClientError> {
    bundle_tlog_entry_unverified(&v.entry)
}

/// The same conversion for an entry that has not been checked yet; a bundle verifier checks it
/// against its own trusted root afterwards (cosign's online lookup works this way).
pub fn bundle_tlog_entry_unverified(e: &LogEntryAnon) -> Result<TlogEntryJson, ClientError> {
    let bad = |m: &str| ClientError::Verify(m.to_string());
    let body_bytes = b64::decode(&e.body).map_err(|_| bad("entry body is not base64"))?;
    let body: serde_json::Value =
        serde_json::from_slice(&body_bytes).map_err(|_| bad("entry body is not JSON"))?;
    let (kind, version) = (
        body.get("kind")
            .and_then(|k| k.as_str())
            .ok_or_else(|| bad("entry body has no kind"))?,
        body.get("apiVersion")
            .and_then(|k| k.as_str())
            .ok_or_else(|| bad("entry body has no apiVersion"))?,
    );
    let hex_to_b64 = |h: &str| -> Result<String, ClientError> {
        Ok(b64::encode(
            hex::decode(h).map_err(|_| bad("hash is not hex"))?,
        ))
    };
    let ver = e
        .verification
        .as_ref()
        .ok_or_else(|| bad("no verification data"))?;
    let proof = ver
        .inclusion_proof
        .as_ref()
        .ok_or_else(|| bad("no inclusion proof"))?;
    Ok(TlogEntryJson {
        log_index: e.log_index,
        log_id: LogIdJson {
            key_id: hex_to_b64(&e.log_id)?,
        },
        kind_version: KindVersionJson {
            kind: kind.to_string(),
            version: version.to_string(),
        },
        integrated_time: e.integrated_time,
        inclusion_promise: Some(InclusionPromiseJson {
            signed_entry_timestamp: ver.signed_entry_timestamp.clone().unwrap_or_default(),
        }),
        inclusion_proof: Some(InclusionProofJson {
            log_index: proof.log_index,
            root_hash: hex_to_b64(&proof.root_hash)?,
            tree_size: proof.tree_size,
            hashes: proof
                .hashes
                .iter()
                .map(|h| hex_to_b64(h))
                .collect::<Result<Vec<_>, _>>()?,
            checkpoint: Some(CheckpointJson {
                envelope: proof.checkpoint.clone(),
            }),
        }),
        canonicalized_body: b64::encode(&body_bytes),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::Arc;

    use signet_crypto::SigningKey;
    use signet_log::{LogConfig, SqliteStore, SystemClock, TransparencyLog};

    use super::*;

    fn proposed(key: &SigningKey, data: &[u8]) -> serde_json::Value {
        signet_rekor::proposed_hashedrekord(
            &key.sign(data).unwrap(),
            &key.public_key().to_pem(),
            &signet_crypto::sha256(data).to_hex(),
        )
    }

    /// A genuine, fully verifiable entry of another artifact is refused as the answer to a
    /// submission; the entry of the submission itself is accepted.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_entry_of_another_submission_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let log = TransparencyLog::open(
            SqliteStore::open(&dir.path().join("db")).await.unwrap(),
            dir.path(),
            LogConfig::new("test.local"),
            Arc::new(SystemClock),
        )
        .await
        .unwrap();
        let key = SigningKey::generate_p256().unwrap();
        let mine = Submission::new(proposed(&key, b"mine")).unwrap();
        let other = Submission::new(proposed(&key, b"other")).unwrap();
        let log_key = log.public_key().clone();
        let (_, other_entry) = log
            .add(&serde_json::to_vec(other.proposed()).unwrap())
            .await
            .unwrap();
        let (_, mine_entry) = log
            .add(&serde_json::to_vec(mine.proposed()).unwrap())
            .await
            .unwrap();

        // Both entries are genuine: each verifies on its own.
        verify_entry(&other_entry, &log_key).unwrap();
        let v = verify_entry_of(&mine_entry, &log_key, &mine).unwrap();
        assert_eq!(v.uuid, *mine.uuid());
        // But the other one is not the answer to this submission.
        let err = verify_entry_of(&other_entry, &log_key, &mine).unwrap_err();
        assert!(err.to_string().contains("not the one submitted"), "{err}");
        // A submission the log would refuse (signature over other data) is refused locally.
        let mut forged = proposed(&key, b"mine");
        forged["spec"]["data"]["hash"]["value"] = signet_crypto::sha256(b"else").to_hex().into();
        assert!(matches!(
            Submission::new(forged),
            Err(ClientError::Proposed(_))
        ));
    }
}
