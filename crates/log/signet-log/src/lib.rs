//! The signet transparency log: a generic append-only Merkle log (the tessera pattern) and its
//! Rekor v1 personality.
//!
//! The core, one job per module:
//! * [`store`]: the storage contract ([`LogStore`]) and the embedded SQLite backend. A PostgreSQL
//!   backend ([`pg`]) implements the same trait; [`Backend`] opens a log's store in either and
//!   [`Store`] is either, so the services are built once.
//! * The sequencer: one task integrates queued entries in batches; each batch (entries, Merkle
//!   stored hashes and new size) is committed durably in one transaction *before* any writer in
//!   it is answered, and only then is a new checkpoint signed. What a personality signs per
//!   entry comes in through [`EntrySigner`].
//! * [`AppendLog`]: entries in; index, integration time, the entry's signature, proofs and
//!   signed checkpoints out. Proofs read the stored hashes through a memory cache; the log's key
//!   and its latest checkpoint live in files beside the store, checked against it at start-up.
//!
//! The Rekor v1 personality:
//! * [`admit`]: turns a proposed entry into Rekor's canonical body after checking its signatures,
//!   with the search-index keys Rekor would write (the entry kinds are `signet-rekor`'s);
//!   [`api`]: the v1 wire types (`signet-rekor`'s).
//! * [`TransparencyLog`]: one tree of the log (add, get, search, proofs, log info), signing a
//!   SET for every entry ([`RekorSet`]) over its global index.
//! * [`ShardedLog`]: the service the HTTP layer calls: the active tree and the frozen ones
//!   before it, under one global ("virtual") index, as Rekor shards a log to rotate its key.
//!
//! The Rekor v2 personality: [`RekorV2Log`] (rekor-tiles' `CreateEntry`, no SET, C2SP
//! checkpoints) and the C2SP tlog-tiles read API ([`tiles`]), over the same core.
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
mod backend;
mod cache;
mod clock;
mod error;
mod files;
mod log;
pub mod metric;
pub mod migrate;
mod node;
mod paging;
pub mod pg;
mod pg_tls;
mod rekor;
mod rekor_v2;
mod sequencer;
mod shards;
mod signer;
pub mod store;
pub use signet_tlog::tiles;
mod tree;

pub use backend::{Backend, Store};
pub use clock::{Clock, SystemClock};
pub use error::LogError;
pub use files::{CHECKPOINT_FILE, CHECKPOINT_FILE_LIMIT, KEY_FILE};
pub use log::{AppendLog, AppendedLeaf, LogConfig, OriginStyle};
pub use pg::{PgDatabase, PgStore};
pub use rekor::{IdPage, MAX_RETRIEVE, RekorSet, TransparencyLog};
pub use rekor_v2::{RekorV2Log, TileReadError};
pub use sequencer::{Committed, Head, LeafEntry};
pub use shards::ShardedLog;
pub use signer::{EntrySigner, LogKey, NoEntrySignature};
/// The Rekor v1 wire types the log serves (`signet-rekor`'s).
pub use signet_rekor::api;
pub use store::{LogStore, SqliteStore, StoredEntry};
pub use tree::inclusion_proof;
