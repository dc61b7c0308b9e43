//! OIDC identity tokens for the signet CA, following Fulcio's behaviour.
//!
//! * [`config`]: Fulcio's identity configuration (`OIDCIssuers`, `MetaIssuers`,
//!   `CIIssuerMetadata`), read from JSON (Go field names) or YAML (kebab-case keys), validated,
//!   and rendered as the `GET /api/v2/configuration` body.
//! * [`token`]: ID-token verification against a JWKS. No I/O; the time is an input.
//! * [`principal`]: what a verified token means for a certificate: the proof-of-possession
//!   challenge, the SAN and the Sigstore extensions (OIDs `1.3.6.1.4.1.57264.1.*`). No I/O.
//! * [`discovery`]: the only I/O: OpenID discovery, a JWKS cache and a [`discovery::Verifier`]
//!   that ties everything together for the CA's hot path.
//! * [`dev`]: a development-only OIDC issuer (ES256) that mints tokens for tests and local use.
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

pub mod config;
pub mod dev;
pub mod dev_login;
pub mod discovery;
mod error;
pub mod principal;
mod template;
pub mod token;

pub use config::{CiIssuerMetadata, Issuer, IssuerConfig, IssuerType, IssuerUrl};
pub use dev::DevIssuer;
pub use discovery::{JwksCache, Provider, Verifier};
pub use error::OidcError;
pub use principal::{ExtValue, Principal, San};
pub use token::{Claims, Jwks, unverified_claims, unverified_issuer, verify};
