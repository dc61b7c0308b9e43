//! Pure data types shared by every signet crate.
//!
//! This crate owns the small vocabulary the rest of the workspace speaks: digest newtypes
//! ([`Sha256Hash`]), transparency-log coordinates ([`LogIndex`], [`TreeSize`]), lenient-but-bounded
//! base64 decoding that matches Go's `encoding/base64.StdEncoding` as used by Sigstore tools, and
//! the [`limits`] every parser applies to untrusted input. It does no I/O and has no crypto.
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

pub mod b64;
pub mod dsse;
pub mod jwt;
pub mod limits;
mod newtypes;

pub use newtypes::{HashParseError, LogIndex, Sha256Hash, TreeSize, UnixSeconds};
