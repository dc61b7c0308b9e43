//! Logging an entry: verified submission, `409` recovery, bounded retries.

use signet_client::{ClientError, RekorClient, Submission, VerifiedLogEntry, verify_entry_of};
use signet_crypto::PublicKey;

use crate::{RetryPolicy, SignError};

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
