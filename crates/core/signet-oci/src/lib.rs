//! cosign's on-registry formats for container-image signatures and attestations, and their
//! offline verification (no I/O: the registry client is `signet-registry`, the orchestration
//! `signet-image`).
//!
//! * [`ImageRef`] and [`ImageDigest`]: what is signed is always a manifest digest.
//! * [`media`]: media types and size limits.
//! * [`manifest`]: the legacy signature manifest at tag `sha256-<hex>.sig` / `.att` (one layer
//!   per signature, appended), the OCI 1.1 bundle referrer manifest, and the referrers fallback
//!   index (distribution-spec "Referrers Tag Schema").
//! * [`payload`]: the simple-signing payload (byte-exact as cosign writes it), the in-toto
//!   statements cosign signs for images, and the `dev.sigstore.cosign/*` layer annotations.
//! * [`verify`]: a legacy layer or a bundle referrer checked against an image digest, a trusted
//!   root and an identity policy (through `signet-verify`).
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

mod error;
pub mod manifest;
pub mod media;
pub mod payload;
mod reference;
#[cfg(test)]
mod testutil;
pub mod verify;

pub use error::OciError;
pub use oci_spec::image::{Descriptor, ImageIndex, ImageManifest, MediaType};
pub use reference::{ImageDigest, ImageRef};
