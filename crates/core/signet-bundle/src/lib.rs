//! The Sigstore bundle (`dev.sigstore.bundle.v1.Bundle`), media types v0.1 to v0.3.
//!
//! [`Bundle::from_json`] reads the protobuf-JSON wire form strictly (unknown fields, bad base64,
//! negative indices and unknown media types are errors, as in sigstore-go), decodes every base64
//! field once, and applies the per-version rules of `sigstore_bundle.proto`: v0.1 needs an
//! inclusion promise on every log entry, v0.2 and later need an inclusion proof with a checkpoint.
//! The result is plain decoded data; checking signatures is `signet-verify`'s job. No I/O.
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

mod model;
mod wire;

pub use model::{
    Bundle, BundleError, BundleVersion, Content, InclusionProof, KindVersion, MessageSignature,
    TlogEntry, VerificationMaterial,
};
pub use wire::{
    BundleJson, CheckpointJson, HashOutputJson, InclusionPromiseJson, InclusionProofJson,
    KindVersionJson, LogIdJson, MEDIA_TYPE_V01, MEDIA_TYPE_V02, MEDIA_TYPE_V03, MEDIA_TYPE_V03_ALT,
    MessageSignatureJson, PublicKeyIdJson, RawBytesJson, Rfc3161Json,
    TimestampVerificationDataJson, TlogEntryJson, VerificationMaterialJson,
};
