//! `signing_config.json` v0.2: where a signer finds the CA, OIDC issuer, logs and TSAs.

use serde::{Deserialize, Serialize};

use crate::root::TrustError;

/// Media type of signing configs this crate reads and writes.
pub const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

/// One service endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// Base URL.
    pub url: String,
    /// Major API version (1 for Fulcio v2 API and Rekor v1, 2 for Rekor v2).
    #[serde(default)]
    pub major_api_version: u32,
    /// Operator name.
    #[serde(default)]
    pub operator: String,
    /// Validity window (RFC 3339 strings).
    #[serde(default)]
    pub valid_for: serde_json::Value,
}

/// A parsed signing config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningConfig {
    /// Media type.
    pub media_type: String,
    /// Certificate authorities.
    #[serde(default)]
    pub ca_urls: Vec<Service>,
    /// OIDC issuers.
    #[serde(default)]
    pub oidc_urls: Vec<Service>,
    /// Transparency logs.
    #[serde(default)]
    pub rekor_tlog_urls: Vec<Service>,
    /// Timestamp authorities.
    #[serde(default)]
    pub tsa_urls: Vec<Service>,
    /// Log selection (not written when null).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub rekor_tlog_config: serde_json::Value,
    /// TSA selection (not written when null: sigstore-js refuses a selector with no TSA).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub tsa_config: serde_json::Value,
}

impl SigningConfig {
    /// Parses a signing config document.
    pub fn from_json(bytes: &[u8]) -> Result<Self, TrustError> {
        let c: Self = serde_json::from_slice(bytes).map_err(|e| TrustError::Json(e.to_string()))?;
        if c.media_type != SIGNING_CONFIG_MEDIA_TYPE {
            return Err(TrustError::MediaType(c.media_type));
        }
        Ok(c)
    }
}
