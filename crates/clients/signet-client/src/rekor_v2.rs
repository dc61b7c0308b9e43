//! The Rekor v2 (rekor-tiles) write API: `POST <log>/api/v2/log/entries` with a
//! `CreateEntryRequest`, answered by a `TransparencyLogEntry`, and the offline check of that
//! answer against the submission and the trusted log ([`verify_v2_entry_of`]).

use signet_bundle::{
    CheckpointJson, InclusionProofJson, KindVersionJson, LogIdJson, TlogEntry, TlogEntryJson,
};
use signet_rekor::AdmittedV2;
use signet_trust::TransparencyLog;
use signet_types::{LogIndex, Sha256Hash, b64};

use crate::tiles::TileClient;
use crate::{ClientError, RekorClient, http};

/// A v2 `CreateEntryRequest` together with the canonical body the log must store for it,
/// computed locally with the log's own admission code ([`signet_rekor::admit_v2`]).
#[derive(Clone, Debug)]
pub struct V2Submission {
    request: serde_json::Value,
    admitted: AdmittedV2,
}

impl V2Submission {
    /// Admits `request` (protojson `CreateEntryRequest`) locally; fails if the log would
    /// refuse it.
    pub fn new(request: serde_json::Value) -> Result<Self, ClientError> {
        let bytes =
            serde_json::to_vec(&request).map_err(|e| ClientError::Proposed(e.to_string()))?;
        let admitted =
            signet_rekor::admit_v2(&bytes).map_err(|e| ClientError::Proposed(e.to_string()))?;
        Ok(Self { request, admitted })
    }

    /// The request, as sent.
    pub fn request(&self) -> &serde_json::Value {
        &self.request
    }

    /// The leaf hash the log's entry for this submission must have.
    pub fn leaf_hash(&self) -> &Sha256Hash {
        &self.admitted.entry.uuid
    }

    /// The canonical body the log's entry for this submission must have.
    pub fn body(&self) -> &[u8] {
        &self.admitted.entry.body
    }

    /// The entry kind (`hashedrekord` or `dsse`).
    pub fn kind(&self) -> &'static str {
        self.admitted.kind
    }
}

/// A v2 log's answer that verified: the submitted entry, included in a tree whose checkpoint
/// the trusted log key signed.
#[derive(Clone, Debug)]
pub struct VerifiedV2Entry {
    /// The entry as a v0.3 bundle carries it (kind version 0.0.2, no inclusion promise, no
    /// integrated time).
    pub entry: TlogEntryJson,
    /// The entry's index (the one its inclusion proof proves).
    pub log_index: LogIndex,
    /// The body's leaf hash.
    pub leaf_hash: Sha256Hash,
    /// The verified checkpoint the inclusion proof leads to.
    pub checkpoint: signet_tlog::VerifiedCheckpoint,
}

impl RekorClient {
    /// `POST /api/v2/log/entries` on the Rekor v2 log at this client's base URL (its
    /// `baseUrl`): returns the `TransparencyLogEntry`, unverified (see
    /// [`verify_v2_entry_of`]). A `409` is [`ClientError::AlreadyLogged`] with the index the
    /// log gives in `x-log-index`.
    pub async fn create_v2(
        &self,
        request: &serde_json::Value,
    ) -> Result<TlogEntryJson, ClientError> {
        let url = format!("{}/api/v2/log/entries", self.base);
        let resp = http::send(self.http.post(&url).json(request), &url, &self.opts).await?;
        let status = resp.status();
        let index = resp
            .headers()
            .get("x-log-index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let bytes = http::read_limited(resp, &url, http::MAX_API_RESPONSE, &self.opts).await?;
        if status == reqwest::StatusCode::CONFLICT {
            return Err(ClientError::AlreadyLogged { url, index });
        }
        crate::answer(&url, status, &bytes)
    }
}

impl RekorClient {
    /// The entry the v2 log at this client's base URL already holds for `sub`, at `index` (a
    /// `409` answer's `x-log-index`), as the log would have answered had it been new: the body
    /// submitted, with its inclusion proof computed from the log's tiles at the log's current
    /// checkpoint. Nothing the log says is taken on trust: the answer put together is checked
    /// like any other ([`verify_v2_entry_of`]: the checkpoint signed by the trusted key, the
    /// proof leading from this very body's leaf at `index` to its root).
    pub async fn existing_v2_entry(
        &self,
        log: &TransparencyLog,
        sub: &V2Submission,
        index: u64,
    ) -> Result<VerifiedV2Entry, ClientError> {
        let tiles = TileClient::new(&self.base, &self.opts)?;
        let envelope = tiles.checkpoint().await?;
        let unverified = signet_tlog::SignedNote::parse(&envelope)
            .and_then(|note| signet_tlog::Checkpoint::parse(&note.text))
            .map_err(|e| ClientError::Checkpoint(format!("the log's checkpoint: {e}")))?;
        let size = unverified.size.0;
        if index >= size {
            return Err(ClientError::BeyondTree { index, size });
        }
        let hashes = tiles.prove(size, |p| p.inclusion_proof(index)).await?;
        let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let answer = TlogEntryJson {
            log_index: to_i64(index),
            log_id: LogIdJson {
                key_id: b64::encode(&log.log_id),
            },
            kind_version: KindVersionJson {
                kind: sub.kind().to_string(),
                version: "0.0.2".into(),
            },
            integrated_time: 0,
            inclusion_promise: None,
            inclusion_proof: Some(InclusionProofJson {
                log_index: to_i64(index),
                root_hash: b64::encode(unverified.root_hash.as_bytes()),
                tree_size: to_i64(size),
                hashes: hashes.iter().map(|h| b64::encode(h.as_bytes())).collect(),
                checkpoint: Some(CheckpointJson { envelope }),
            }),
            canonicalized_body: b64::encode(sub.body()),
        };
        verify_v2_entry_of(&answer, log, sub)
    }
}

/// Checks a v2 log's answer to `sub` offline: its canonical body is exactly the one computed
/// locally from the submission (hence its leaf hash), its kind version is the submission's
/// (0.0.2), and [`signet_verify::verify_rekor_v2_entry`] accepts it against `log` (the trusted
/// root's entry for the log: log ID, inclusion proof of the leaf at the entry's index, and a
/// checkpoint signed by the log's key naming the proof's size and root). Returns the entry as a
/// bundle carries it.
pub fn verify_v2_entry_of(
    answer: &TlogEntryJson,
    log: &TransparencyLog,
    sub: &V2Submission,
) -> Result<VerifiedV2Entry, ClientError> {
    let bad = |m: String| ClientError::Verify(m);
    let entry = TlogEntry::from_wire(answer).map_err(|e| bad(e.to_string()))?;
    if entry.canonicalized_body != sub.body() {
        return Err(bad(format!(
            "the log answered with entry {} (index {}), not the one submitted (leaf hash {})",
            signet_rekor::leaf_hash(&entry.canonicalized_body),
            entry.log_index.0,
            sub.leaf_hash()
        )));
    }
    if entry.kind_version.kind != sub.kind() || entry.kind_version.version != "0.0.2" {
        return Err(bad(format!(
            "the log's answer says {}/{}, but the entry submitted is {}/0.0.2",
            entry.kind_version.kind,
            entry.kind_version.version,
            sub.kind()
        )));
    }
    let proven = signet_verify::verify_rekor_v2_entry(&entry, log).map_err(|e| match e {
        signet_verify::VerifyError::LogEntry(reason) => bad(reason.to_string()),
        other => bad(other.to_string()),
    })?;
    // What a v0.3 bundle carries for a v2 entry: no promise, no time (neither is verifiable).
    let entry_json = TlogEntryJson {
        integrated_time: 0,
        inclusion_promise: None,
        canonicalized_body: b64::encode(&entry.canonicalized_body),
        ..answer.clone()
    };
    Ok(VerifiedV2Entry {
        entry: entry_json,
        log_index: proven.log_index,
        leaf_hash: proven.leaf_hash,
        checkpoint: proven.checkpoint,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::Arc;

    use signet_crypto::SigningKey;
    use signet_log::{RekorV2Log, SystemClock};
    use signet_trust::{TimeRange, TrustedKey};

    use super::*;

    fn request(key: &SigningKey, data: &[u8]) -> serde_json::Value {
        let digest = signet_crypto::sha256(data);
        signet_rekor::request_hashedrekord_v002(
            digest.as_bytes(),
            &key.sign_sha256_digest(&digest).unwrap(),
            &signet_rekor::RequestVerifier::public_key(key.public_key()).unwrap(),
        )
    }

    fn trusted(log: &RekorV2Log, key: &signet_crypto::PublicKey) -> TransparencyLog {
        TransparencyLog {
            base_url: format!("http://{}/rekor-v2", log.host()),
            log_id: key.key_id().as_bytes().to_vec(),
            key: TrustedKey::Usable(key.clone()),
            key_details: "PKIX_ECDSA_P256_SHA_256".into(),
            valid_for: TimeRange::ALWAYS,
        }
    }

    fn err(answer: &TlogEntryJson, log: &TransparencyLog, sub: &V2Submission) -> String {
        verify_v2_entry_of(answer, log, sub)
            .unwrap_err()
            .to_string()
    }

    /// A real v2 log's answer verifies against its trusted key and the submission; a tampered
    /// body, proof, checkpoint signature, another entry, or another key is refused, saying
    /// what is wrong.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_v2_answer_is_checked_against_the_submission_and_the_trusted_key() {
        let dir = tempfile::tempdir().unwrap();
        let log = RekorV2Log::open_dir(dir.path(), "test.local", Arc::new(SystemClock))
            .await
            .unwrap();
        let log_key = log.log().key().signing_key().public_key().clone();
        let trusted = trusted(&log, &log_key);
        let key = SigningKey::generate_p256().unwrap();
        let other = V2Submission::new(request(&key, b"other")).unwrap();
        let other_answer: TlogEntryJson = serde_json::from_value(
            log.create(&serde_json::to_vec(other.request()).unwrap())
                .await
                .unwrap(),
        )
        .unwrap();
        let sub = V2Submission::new(request(&key, b"mine")).unwrap();
        let answer: TlogEntryJson = serde_json::from_value(
            log.create(&serde_json::to_vec(sub.request()).unwrap())
                .await
                .unwrap(),
        )
        .unwrap();

        let v = verify_v2_entry_of(&answer, &trusted, &sub).unwrap();
        assert_eq!(v.log_index, LogIndex(1));
        assert_eq!(v.leaf_hash, *sub.leaf_hash());
        assert_eq!(v.entry.kind_version.version, "0.0.2");
        assert!(v.entry.inclusion_promise.is_none());
        assert_eq!(v.entry.integrated_time, 0);
        assert_eq!(v.checkpoint.size().0, 2);

        // A genuine entry, but of another submission.
        let e = err(&other_answer, &trusted, &sub);
        assert!(e.contains("not the one submitted"), "{e}");
        // The body changed (and nothing else).
        let mut t = answer.clone();
        t.canonicalized_body = other_answer.canonicalized_body.clone();
        assert!(err(&t, &trusted, &sub).contains("not the one submitted"));
        // A proof hash flipped.
        let mut t = answer.clone();
        let proof = t.inclusion_proof.as_mut().unwrap();
        proof.hashes[0] = b64::encode([0u8; 32]);
        let e = err(&t, &trusted, &sub);
        assert!(e.contains("inclusion proof"), "{e}");
        // The checkpoint's signature altered.
        let mut t = answer.clone();
        let cp = &mut t.inclusion_proof.as_mut().unwrap().checkpoint;
        let text = cp.as_ref().unwrap().envelope.clone();
        let (head, sig_line) = text.trim_end().rsplit_once(' ').unwrap();
        let mut sig = b64::decode(sig_line).unwrap();
        let last = sig.len() - 1;
        sig[last] ^= 1;
        cp.as_mut().unwrap().envelope = format!("{head} {}\n", b64::encode(&sig));
        let e = err(&t, &trusted, &sub);
        assert!(e.contains("checkpoint"), "{e}");
        // Another index than the proof's.
        let mut t = answer.clone();
        t.log_index = 0;
        let e = err(&t, &trusted, &sub);
        assert!(e.contains("differs from the log index 1"), "{e}");
        // Another kind version than submitted.
        let mut t = answer.clone();
        t.kind_version.version = "0.0.1".into();
        assert!(err(&t, &trusted, &sub).contains("hashedrekord/0.0.1"));
        // Another log's key (and ID): the log ID is refused; with the ID kept, the checkpoint.
        let stranger = SigningKey::generate_p256().unwrap().public_key().clone();
        let e = err(&answer, &self::trusted(&log, &stranger), &sub);
        assert!(e.contains("is not the ID of the trusted log key"), "{e}");
        let mut same_id = self::trusted(&log, &stranger);
        same_id.log_id = log_key.key_id().as_bytes().to_vec();
        let e = err(&answer, &same_id, &sub);
        assert!(e.contains("checkpoint"), "{e}");
    }
}
