//! The Update Framework (TUF 1.0) as Sigstore uses it to distribute `trusted_root.json` and
//! `signing_config.v0.2.json`: metadata types, OLPC canonical JSON, key and signature checks, the
//! client state machine of the specification's §5 "Detailed client workflow" ([`Trusted`], after
//! python-tuf's `TrustedMetadataSet`) and a repository writer ([`repo`]).
//!
//! Everything works on bytes and takes the current time as an input: no network, no files, no
//! clock. The caller fetches `N.root.json`, `timestamp.json`, `V.snapshot.json`, `V.targets.json`
//! and `targets/<sha256>.<name>` and feeds them in order; every size is capped before parsing
//! ([`limits`]).
//!
//! Key IDs are opaque labels when reading (Sigstore's root v11 lists a key under an ID that does
//! not hash to it; recomputing and rejecting would break the chain). The writer always emits
//! `keyid = sha256(canonical(key))` ([`key_id`]).
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

mod canonical;
mod client;
mod error;
mod metadata;
pub mod publish;
pub mod repo;

pub use canonical::canonical_json;
pub use client::{Lookup, Trusted, limits, verify_target};
pub use error::TufError;
pub use metadata::{
    DelegatedRole, Delegations, Expires, Key, KeyVal, MetaFile, Metadata, Role, RoleType, Root,
    Signature, Signed, Snapshot, TargetFile, Targets, Timestamp, Unknown, key_id,
};
