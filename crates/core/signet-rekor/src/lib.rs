//! Rekor entry kinds and their byte-exact canonical forms.
//!
//! The one home of the Rekor format. Owns what a transparency-log entry *is*, one module per
//! kind ([`kinds`]: `hashedrekord` 0.0.1 and Rekor v2's 0.0.2, `dsse` 0.0.1 and 0.0.2, `intoto`
//! 0.0.2), each with its one serde model: the entry a client proposes (`proposed_*`), its
//! admission checks ([`admit`], which a signet log runs and a client runs to know the body to
//! expect), Rekor's canonical body (RFC 8785 JSON, re-encoded PEM) so a signet log's leaves,
//! UUIDs and entry IDs are byte-identical to Rekor's, its search-index keys, and the parsing of
//! stored bodies ([`EntryBody`]) to check them against a bundle's signature, key or
//! certificate, and artifact digest or DSSE envelope. Also the Rekor v1 API wire types
//! ([`api`]), entry IDs and the signed entry timestamp payload. No I/O; certificates are
//! parsed only to admit a certificate chain (verification compares them as DER bytes).
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

pub mod api;
mod body;
mod canonical;
mod error;
mod id;
pub mod kinds;
mod set;

pub use body::{EntryBody, Material};
pub use canonical::{canonical_json, canonical_pem, canonical_pem_blocks, pem_to_der_blocks};
pub use error::RekorError;
pub use id::{EntryRef, entry_id, entry_uuid, leaf_hash};
pub use kinds::dsse::proposed_dsse;
pub use kinds::hashedrekord::{
    canonical_hashedrekord_v001, hashedrekord_v001_body, proposed_hashedrekord,
};
pub use kinds::intoto::proposed_intoto;
pub use kinds::v2::{
    AdmittedV2, MAX_V2_ENTRY, RequestVerifier, admit_v2, request_dsse_v002,
    request_hashedrekord_v002,
};
pub use kinds::{Admitted, admit};
pub use set::{set_payload, verify_set};
