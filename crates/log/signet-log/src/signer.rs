//! The log's key, and what a personality signs for each entry once the log has given it an
//! index and an integration time (a Rekor v1 log: the signed entry timestamp; a CT log or a
//! Rekor v2 log: nothing, their promises are made outside the sequencer).

use signet_crypto::SigningKey;
use signet_types::Sha256Hash;

use crate::LogError;

/// The log's signing key, with its log ID (SHA-256 of the DER public key) computed once.
#[derive(Debug)]
pub struct LogKey {
    key: SigningKey,
    id: Sha256Hash,
}

impl LogKey {
    /// Wraps `key`.
    pub fn new(key: SigningKey) -> Self {
        let id = key.public_key().key_id();
        Self { key, id }
    }

    /// The signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// SHA-256 of the DER public key (Rekor's and RFC 6962's log ID).
    pub fn id(&self) -> Sha256Hash {
        self.id
    }
}

/// Signs an entry once its place in the log is known. Called by the sequencer for every entry
/// of a batch before it is committed; the signature is stored with the entry and handed back to
/// its writer. An error refuses that entry only (its writer gets it; the batch goes on).
pub trait EntrySigner: Send + Sync {
    /// The signature over `body` at leaf `index`, integrated at `integrated_time` (Unix
    /// seconds), with the log's `key`; empty when the personality signs nothing per entry.
    fn sign_entry(
        &self,
        key: &LogKey,
        body: &[u8],
        index: u64,
        integrated_time: i64,
    ) -> Result<Vec<u8>, LogError>;
}

/// A personality that signs nothing per entry (a CT log: its SCT is signed before the leaf is
/// appended, since the leaf contains the SCT's timestamp).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEntrySignature;

impl EntrySigner for NoEntrySignature {
    fn sign_entry(&self, _: &LogKey, _: &[u8], _: u64, _: i64) -> Result<Vec<u8>, LogError> {
        Ok(Vec::new())
    }
}
