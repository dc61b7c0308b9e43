//! Rekor entry kinds and their byte-exact canonical forms.
//!
//! Owns what a transparency-log entry *is*: parsing canonicalized bodies of `hashedrekord`
//! (0.0.1, and Rekor v2's 0.0.2), `dsse` 0.0.1 and `intoto` 0.0.2; checking that an entry
//! describes a given signature, key or certificate, and artifact digest or DSSE envelope;
//! producing Rekor's canonical body for a proposed entry (RFC 8785 JSON, re-encoded PEM) so a
//! signet log's leaves, UUIDs and entry IDs are byte-identical to Rekor's; and the signed entry
//! timestamp payload. No I/O, no X.509 parsing (certificates are compared as DER bytes).
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

mod body;
mod canonical;
mod error;
mod id;
mod set;

pub use body::{EntryBody, Material};
pub use canonical::{
    canonical_hashedrekord_v001, canonical_json, canonical_pem, canonical_pem_blocks,
    hashedrekord_v001_body, pem_to_der_blocks,
};
pub use error::RekorError;
pub use id::{EntryRef, entry_id, entry_uuid, leaf_hash};
pub use set::{set_payload, verify_set};
