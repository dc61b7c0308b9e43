//! Logging an entry: verified submission, `409` recovery, bounded retries; through the Rekor v1
//! API ([`LogUploader`]) or the Rekor v2 one ([`LogUploaderV2`]), either one a [`LogUpload`].

use std::future::Future;

use signet_bundle::TlogEntryJson;
use signet_client::{
    ClientError, RekorClient, Submission, V2Submission, VerifiedLogEntry, VerifiedV2Entry,
    bundle_tlog_entry, verify_entry_of, verify_v2_entry_of,
};
use signet_crypto::PublicKey;
use signet_trust::TransparencyLog;
use signet_types::Sha256Hash;
use signet_types::dsse::EnvelopeJson;

use crate::{RetryPolicy, SignError, Signer};

/// Submits entries to one transparency log and checks every answer against the log's key.
#[derive(Clone, Debug)]
pub struct LogUploader {
    client: RekorClient,
    key: PublicKey,
    retry: RetryPolicy,
}

impl LogUploader {
    /// Uploads to `client`'s log, whose answers must verify with `key` (the trusted log key).
    pub fn new(client: RekorClient, key: PublicKey, retry: RetryPolicy) -> Self {
        Self { client, key, retry }
    }

    /// The log's client.
    pub fn client(&self) -> &RekorClient {
        &self.client
    }

    /// Checks the proposed entry `proposed` would be admitted ([`Submission::new`]), then
    /// [`Self::upload`]s it. `what` names the entry in errors.
    pub async fn submit(
        &self,
        proposed: serde_json::Value,
        what: &str,
    ) -> Result<VerifiedLogEntry, SignError> {
        let sub = Submission::new(proposed).map_err(|source| SignError::Log {
            context: format!("logging {what}"),
            source,
        })?;
        self.upload(&sub, what).await
    }

    /// Logs `sub` and returns its verified entry: the log's answer must carry a valid SET and
    /// inclusion proof for exactly the entry submitted ([`verify_entry_of`]). A `409` (the log
    /// already holds this very entry: a re-run after a crash) fetches the stored entry, which
    /// is checked the same way. Connection errors, `429` and `5xx` are retried ([`RetryPolicy`]);
    /// a retried submission the log did store comes back as a `409`. `what` names the entry
    /// in errors.
    pub async fn upload(
        &self,
        sub: &Submission,
        what: &str,
    ) -> Result<VerifiedLogEntry, SignError> {
        let logging = |source| SignError::Log {
            context: format!("logging {what}"),
            source,
        };
        let entry = match self.retry.run(|| self.client.create(sub.proposed())).await {
            Ok((e, _)) => e,
            Err(ClientError::Status { status: 409, .. }) => {
                let q = signet_rekor::api::SearchLogQuery {
                    entries: Some(vec![sub.proposed().clone()]),
                    ..Default::default()
                };
                self.retry
                    .run(|| self.client.retrieve(&q))
                    .await
                    .map_err(logging)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| SignError::DuplicateWithoutEntry(format!("logging {what}")))?
            }
            Err(e) => return Err(logging(e)),
        };
        verify_entry_of(&entry, &self.key, sub).map_err(|source| SignError::Log {
            context: format!("log answer for {what}"),
            source,
        })
    }
}

/// Submits entries to one Rekor v2 (rekor-tiles) log and checks every answer against the
/// trusted root's entry for that log.
#[derive(Clone, Debug)]
pub struct LogUploaderV2 {
    client: RekorClient,
    log: TransparencyLog,
    retry: RetryPolicy,
}

impl LogUploaderV2 {
    /// Uploads to the v2 log at `client`'s base URL, whose answers must verify against `log`
    /// (the trusted root's entry for it: log ID and checkpoint key).
    pub fn new(client: RekorClient, log: TransparencyLog, retry: RetryPolicy) -> Self {
        Self { client, log, retry }
    }

    /// The log's client.
    pub fn client(&self) -> &RekorClient {
        &self.client
    }

    /// Checks `request` (a `CreateEntryRequest`) would be admitted ([`V2Submission::new`]),
    /// logs it and returns its verified entry ([`verify_v2_entry_of`]: exactly the body
    /// submitted, included in a tree whose checkpoint the trusted key signed). Connection
    /// errors, `429` and `5xx` are retried ([`RetryPolicy`]). A `409` (the log already holds
    /// this very entry, e.g. a retried submission the log did store) is answered with the entry
    /// at the index the log gave, its proof computed from the log's tiles and checked the same
    /// way ([`RekorClient::existing_v2_entry`]). `what` names the entry in errors.
    pub async fn submit(
        &self,
        request: serde_json::Value,
        what: &str,
    ) -> Result<VerifiedV2Entry, SignError> {
        let logging = |source| SignError::Log {
            context: format!("logging {what}"),
            source,
        };
        let sub = V2Submission::new(request).map_err(logging)?;
        match self
            .retry
            .run(|| self.client.create_v2(sub.request()))
            .await
        {
            Ok(answer) => {
                verify_v2_entry_of(&answer, &self.log, &sub).map_err(|source| SignError::Log {
                    context: format!("log answer for {what}"),
                    source,
                })
            }
            Err(ClientError::AlreadyLogged {
                index: Some(index), ..
            }) => self
                .client
                .existing_v2_entry(&self.log, &sub, index)
                .await
                .map_err(|source| SignError::Log {
                    context: format!(
                        "the log already holds {what} at index {index} (409); reading its proof from the log's tiles"
                    ),
                    source,
                }),
            Err(ClientError::AlreadyLogged { index: None, .. }) => {
                Err(SignError::AlreadyLoggedV2 {
                    context: format!("logging {what}"),
                    url: self.client.base().to_string(),
                })
            }
            Err(e) => Err(logging(e)),
        }
    }
}

/// An entry logged for a signature, by either log API: what a bundle and a report need.
#[derive(Clone, Debug)]
pub struct LoggedEntry {
    /// The body's leaf hash (the Rekor v1 UUID).
    pub uuid: Sha256Hash,
    /// The entry's index in the log.
    pub log_index: i64,
    /// The entry as the bundle carries it.
    pub tlog_entry: TlogEntryJson,
}

/// A log that records signatures for bundles: a Rekor v1 log ([`LogUploader`]), a Rekor v2 log
/// ([`LogUploaderV2`]), or either one chosen at run time ([`SigningLog`]). Every answer is checked
/// before it is used.
pub trait LogUpload: Sync {
    /// Whether the log's entries carry no signed time (Rekor v2), so a bundle needs an RFC 3161
    /// timestamp for the signing time.
    fn needs_timestamps(&self) -> bool;

    /// Logs a message signature: `signature` over the SHA-256 `digest` by `signer`.
    fn log_message(
        &self,
        signer: &Signer,
        digest: &Sha256Hash,
        signature: &[u8],
        what: &str,
    ) -> impl Future<Output = Result<LoggedEntry, SignError>> + Send;

    /// Logs a DSSE envelope (`envelope_json` is its compact JSON, as a v1 entry records it).
    fn log_dsse(
        &self,
        signer: &Signer,
        envelope: &EnvelopeJson,
        envelope_json: &str,
        what: &str,
    ) -> impl Future<Output = Result<LoggedEntry, SignError>> + Send;
}

impl LogUpload for LogUploader {
    fn needs_timestamps(&self) -> bool {
        false
    }

    async fn log_message(
        &self,
        signer: &Signer,
        digest: &Sha256Hash,
        signature: &[u8],
        what: &str,
    ) -> Result<LoggedEntry, SignError> {
        let proposed = signet_rekor::proposed_hashedrekord(
            signature,
            &signer.verifier_pem(),
            &digest.to_hex(),
        );
        v1_logged(&self.submit(proposed, what).await?)
    }

    async fn log_dsse(
        &self,
        signer: &Signer,
        _envelope: &EnvelopeJson,
        envelope_json: &str,
        what: &str,
    ) -> Result<LoggedEntry, SignError> {
        let verifier = signer.verifier_pem();
        let proposed = signet_rekor::proposed_dsse(envelope_json, &[verifier.as_str()]);
        v1_logged(&self.submit(proposed, what).await?)
    }
}

impl LogUpload for LogUploaderV2 {
    fn needs_timestamps(&self) -> bool {
        true
    }

    async fn log_message(
        &self,
        signer: &Signer,
        digest: &Sha256Hash,
        signature: &[u8],
        what: &str,
    ) -> Result<LoggedEntry, SignError> {
        let request = signet_rekor::request_hashedrekord_v002(
            digest.as_bytes(),
            signature,
            &signer.v2_verifier()?,
        );
        Ok(v2_logged(self.submit(request, what).await?))
    }

    async fn log_dsse(
        &self,
        signer: &Signer,
        envelope: &EnvelopeJson,
        _envelope_json: &str,
        what: &str,
    ) -> Result<LoggedEntry, SignError> {
        let request =
            signet_rekor::request_dsse_v002(envelope, &[signer.v2_verifier()?]).map_err(|e| {
                SignError::Log {
                    context: format!("logging {what}"),
                    source: ClientError::Proposed(e.to_string()),
                }
            })?;
        Ok(v2_logged(self.submit(request, what).await?))
    }
}

/// The log a signing config advertises, by its API version.
#[derive(Clone, Debug)]
pub enum SigningLog {
    /// Rekor v1: `hashedrekord`/`dsse` 0.0.1 entries with a signed entry timestamp.
    V1(LogUploader),
    /// Rekor v2: `hashedrekord`/`dsse` 0.0.2 entries, no signed entry timestamp (the signing
    /// time comes from a timestamp authority).
    V2(LogUploaderV2),
}

impl SigningLog {
    /// The log's client.
    pub fn client(&self) -> &RekorClient {
        match self {
            Self::V1(u) => u.client(),
            Self::V2(u) => u.client(),
        }
    }
}

impl From<LogUploader> for SigningLog {
    fn from(u: LogUploader) -> Self {
        Self::V1(u)
    }
}

impl From<LogUploaderV2> for SigningLog {
    fn from(u: LogUploaderV2) -> Self {
        Self::V2(u)
    }
}

impl LogUpload for SigningLog {
    fn needs_timestamps(&self) -> bool {
        match self {
            Self::V1(u) => u.needs_timestamps(),
            Self::V2(u) => u.needs_timestamps(),
        }
    }

    async fn log_message(
        &self,
        signer: &Signer,
        digest: &Sha256Hash,
        signature: &[u8],
        what: &str,
    ) -> Result<LoggedEntry, SignError> {
        match self {
            Self::V1(u) => u.log_message(signer, digest, signature, what).await,
            Self::V2(u) => u.log_message(signer, digest, signature, what).await,
        }
    }

    async fn log_dsse(
        &self,
        signer: &Signer,
        envelope: &EnvelopeJson,
        envelope_json: &str,
        what: &str,
    ) -> Result<LoggedEntry, SignError> {
        match self {
            Self::V1(u) => u.log_dsse(signer, envelope, envelope_json, what).await,
            Self::V2(u) => u.log_dsse(signer, envelope, envelope_json, what).await,
        }
    }
}

fn v1_logged(e: &VerifiedLogEntry) -> Result<LoggedEntry, SignError> {
    Ok(LoggedEntry {
        uuid: e.uuid,
        log_index: e.entry.log_index,
        tlog_entry: bundle_tlog_entry(e).map_err(|e| SignError::Bundle(e.to_string()))?,
    })
}

fn v2_logged(e: VerifiedV2Entry) -> LoggedEntry {
    LoggedEntry {
        uuid: e.leaf_hash,
        log_index: e.entry.log_index,
        tlog_entry: e.entry,
    }
}
