//! X.509 for Sigstore verification.
//!
//! Owns: certificate parsing ([`Certificate`]), the Fulcio identity carried by a signing
//! certificate (SAN and the 1.3.6.1.4.1.57264.1.* extensions), RFC 5280 path validation *at a
//! given time* for code signing and time stamping ([`verify_chain`] → [`VerifiedChain`]),
//! the one SCT codec and embedded SCT verification (RFC 6962 §3.2–3.4, [`sct`],
//! [`verify_embedded_scts`]), and RFC 3161 timestamp
//! verification ([`verify_rfc3161`]). Certificates are parsed with `x509-cert`; where the exact
//! encoded bytes matter (signed TBS, precertificate reconstruction, CMS signed attributes) a small
//! DER walker works on the original bytes. No I/O, no clock: every time is an input.
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

mod cert;
mod chain;
mod derx;
mod error;
pub mod sct;
mod tsa;
pub mod tsp;

pub use cert::{Certificate, FulcioExtensions, NameAttribute, SanIdentity, signature_scheme};
pub use chain::{Purpose, TrustAnchorChain, VerifiedChain, verify_chain};
pub use derx::sequence_contains_oid;
pub use error::X509Error;
pub use sct::{
    Sct, SctError, VerifiedSct, parse_sct_list_extension, precert_sct_signed_data,
    sct_list_extension, tbs_without_extension, verify_embedded_scts,
};
pub use tsa::{TsaAuthority, VerifiedTimestamp, verify_rfc3161};
