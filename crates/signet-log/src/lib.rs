//! The signet transparency log, Rekor v1 compatible.
//!
//! * [`admit`]: turns a proposed entry into Rekor's canonical body after checking its signatures,
//!   with the search-index keys Rekor would write (the entry kinds are `signet-rekor`'s).
//! * [`store`]: the storage contract ([`LogStore`]) and the embedded SQLite backend. A PostgreSQL
//!   backend implements the same trait; nothing above it changes.
//! * The sequencer: one task integrates queued entries in batches; each batch (entries, Merkle
//!   stored hashes and new size) is committed durably in one transaction *before* any writer in
//!   it is answered, and only then is a new checkpoint signed.
//! * [`TransparencyLog`]: the service the HTTP layer calls (add, get, search, proofs, log info).
//!
//! Time comes from a [`Clock`]; the Merkle math is `signet-tlog`'s, shared with the verifier.
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

pub mod admit;
mod error;
mod sequencer;
mod service;
pub mod store;

pub use error::LogError;
pub use service::{
    AppendedLeaf, CHECKPOINT_FILE_LIMIT, Clock, LogConfig, SystemClock, TransparencyLog,
    inclusion_proof,
};
/// The Rekor v1 wire types the log serves (`signet-rekor`'s).
pub use signet_rekor::api;
pub use store::{LogStore, SqliteStore, StoredEntry};
