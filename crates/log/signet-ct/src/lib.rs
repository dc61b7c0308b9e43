//! signet's certificate transparency log (RFC 6962), for the precertificates our CA issues.
//!
//! The wire structures ([`sct`]: SCTs, the SCT-list extension, `MerkleTreeLeaf`, the tree head
//! signature) are pure functions. [`CtLog`] is the service: it checks a submitted precertificate
//! chain against its configured roots, signs an SCT, and appends the `MerkleTreeLeaf` to a Merkle
//! log built on the same core as the transparency log (`signet-log`: batching sequencer, durable
//! commit before the SCT is returned, stored hashes, proofs).
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

pub mod sct;
mod service;

pub use sct::{AddChainResponse, Sct, SctError};
pub use service::{CtError, CtLog, MAX_CERT_BYTES, MAX_CHAIN, POISON, SignedTreeHead};
