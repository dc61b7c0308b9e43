//! Signing: everything between "here is a digest (or a DSSE payload)" and "here is a verified
//! Sigstore bundle", the way sigstore-go's `pkg/sign` does it.
//!
//! * [`Signer`]: a managed key, or keyless — an ephemeral key, a certificate from a
//!   Fulcio-compatible CA requested with proof of possession, and [`check_issued`] on it
//!   (our key, chains to a trusted CA for code signing, an SCT from a trusted CT log).
//! * [`LogUploader`]: submits an entry through signet-client's verified submission (the log's
//!   answer must be the entry submitted, with a valid SET and inclusion proof), recovers a
//!   `409` (the entry is already there) by fetching it, and retries transient failures
//!   ([`RetryPolicy`]: connection errors, `429`, `5xx`) with bounded backoff.
//! * [`LogUploaderV2`]: the same for a Rekor v2 log (`POST /api/v2/log/entries`): the answer
//!   must be the entry submitted, included in a tree whose checkpoint the trusted v2 log key
//!   signed. [`LogUpload`] is either one ([`SigningLog`] picks at run time).
//! * [`sign_message`] and [`sign_dsse`]: sign, log and build the bundle through
//!   `signet-bundle`'s typed model (the one bundle writer).
//! * [`Timestamper`]: the hook for RFC 3161 timestamps; [`TsaClient`] asks a timestamp
//!   authority over HTTP (and checks the answer against the trusted root); [`NoTimestamps`]
//!   adds none.
//!
//! Network I/O goes through `signet-client`; no file I/O here.
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

mod issued;
mod retry;
mod sign;
mod signer;
mod tsa;
mod upload;

pub use issued::check_issued;
pub use retry::{RetryPolicy, is_transient};
pub use sign::{DsseSigned, MessageSigned, NoTimestamps, Timestamper, sign_dsse, sign_message};
pub use signer::{Signer, token_subject};
pub use tsa::TsaClient;
pub use upload::{LogUpload, LogUploader, LogUploaderV2, LoggedEntry, SigningLog};

/// Signing errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// A signing-key operation failed.
    #[error(transparent)]
    Key(#[from] signet_crypto::SigningKeyError),
    /// The identity token is unusable.
    #[error("invalid identity token: {0}")]
    Token(String),
    /// The certificate authority refused, or could not be reached.
    #[error("the certificate authority refused: {0}")]
    Ca(#[source] signet_client::ClientError),
    /// The certificate the CA issued does not pass [`check_issued`].
    #[error("{0}")]
    Issued(String),
    /// The entry to log is one the log would refuse, or the log failed or refused it.
    #[error("{context}: {source}")]
    Log {
        /// What was being logged.
        context: String,
        /// Cause.
        #[source]
        source: signet_client::ClientError,
    },
    /// The log reported a duplicate but returned no entry.
    #[error("{0}: the log reported a duplicate but returned no entry")]
    DuplicateWithoutEntry(String),
    /// A Rekor v2 log answered `409` (it holds the entry) without saying where (`x-log-index`).
    #[error(
        "{context}: the Rekor v2 log {url} says it already holds this entry but gives no index \
         (x-log-index), so its inclusion proof cannot be read from the log's tiles"
    )]
    AlreadyLoggedV2 {
        /// What was being logged.
        context: String,
        /// The log.
        url: String,
    },
    /// The timestamp authority failed.
    #[error("timestamping: {0}")]
    Timestamp(String),
    /// The bundle could not be written or does not parse back.
    #[error("internal error: bundle: {0}")]
    Bundle(String),
}
