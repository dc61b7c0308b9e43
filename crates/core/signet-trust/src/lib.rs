//! Trusted material: `trusted_root.json` (`dev.sigstore.trustroot.v1.TrustedRoot`) and
//! `signing_config.json` (`dev.sigstore.trustroot.v1.SigningConfig` v0.2).
//!
//! A [`TrustedRoot`] lists the certificate authorities, transparency logs, CT logs and timestamp
//! authorities a verifier accepts, each with a validity window ([`TimeRange`], both ends
//! inclusive). Parsing decodes every key and certificate once, so verification never touches
//! base64 again. Keys this crate cannot load are kept as [`TrustedKey::Unusable`] with the reason,
//! rather than failing the whole root: a root may legitimately list retired keys of exotic types.
//! No I/O: callers read the file.
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

mod root;
mod signing_config;

pub use root::{
    AuthoritySubject, CertificateAuthority, TRUSTED_ROOT_MEDIA_TYPE, TimeRange, TransparencyLog,
    TrustError, TrustedKey, TrustedRoot, format_time,
};
pub use signing_config::{SIGNING_CONFIG_MEDIA_TYPE, Service, SigningConfig};
