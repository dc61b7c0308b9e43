//! An RFC 3161 timestamp authority over HTTP (sigstore/timestamp-authority's API), as a
//! [`Timestamper`].

use std::future::Future;

use signet_client::http::{self, HttpOptions};
use signet_crypto::HashAlgorithm;
use signet_x509::TsaAuthority;

use crate::{SignError, Timestamper};

/// The most bytes read of a timestamp response (real ones are about 1 KiB; with a chain, a
/// few).
pub const MAX_RESPONSE: u64 = 64 * 1024;

/// A timestamp authority at `url` (the full `…/api/v1/timestamp` endpoint, as signing configs
/// list it). Requests are made as sigstore-python makes them: a SHA-256 imprint of the
/// signature, a random nonce, certReq true. Each answer is verified against the `trusted`
/// authorities (the trusted root's) before it goes into a bundle, so a misconfigured TSA fails
/// the signing instead of producing a bundle that does not verify.
#[derive(Clone, Debug)]
pub struct TsaClient {
    url: String,
    opts: HttpOptions,
    trusted: Vec<TsaAuthority>,
}

impl TsaClient {
    /// The authority at `url`, whose answers must verify against one of `trusted`.
    pub fn new(url: &str, opts: HttpOptions, trusted: Vec<TsaAuthority>) -> Self {
        Self {
            url: url.to_string(),
            opts,
            trusted,
        }
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn request(&self, signature: &[u8]) -> Result<Vec<u8>, SignError> {
        let fail = |m: String| SignError::Timestamp(format!("{}: {m}", self.url));
        let req = signet_x509::tsp::timestamp_request_der(
            HashAlgorithm::Sha256,
            &HashAlgorithm::Sha256.digest(signature),
            Some(rand::random()),
            true,
        )
        .map_err(|e| fail(e.to_string()))?;
        let client = http::client_for(&self.url, &self.opts).map_err(|e| fail(e.to_string()))?;
        let resp = http::send(
            client
                .post(&self.url)
                .header("content-type", "application/timestamp-query")
                .body(req),
            &self.url,
            &self.opts,
        )
        .await
        .map_err(|e| SignError::Timestamp(e.to_string()))?;
        let status = resp.status();
        let body = http::read_limited(resp, &self.url, MAX_RESPONSE, &self.opts)
            .await
            .map_err(|e| SignError::Timestamp(e.to_string()))?;
        if !status.is_success() {
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(fail(format!("answered {status}: {message}")));
        }
        if !self.trusted.is_empty() {
            signet_x509::verify_rfc3161(&body, signature, &self.trusted).map_err(|e| {
                fail(format!(
                    "its timestamp does not verify against the trusted timestamp authorities: {e}"
                ))
            })?;
        }
        Ok(body)
    }
}

impl Timestamper for TsaClient {
    async fn timestamp(&self, signature: &[u8]) -> Result<Vec<Vec<u8>>, SignError> {
        Ok(vec![self.request(signature).await?])
    }
}

/// An optional timestamper: none adds no timestamps.
impl<T: Timestamper + Sync> Timestamper for Option<T> {
    async fn timestamp(&self, signature: &[u8]) -> Result<Vec<Vec<u8>>, SignError> {
        match self {
            Some(t) => t.timestamp(signature).await,
            None => Ok(Vec::new()),
        }
    }
}

/// A borrowed timestamper.
impl<T: Timestamper + Sync> Timestamper for &T {
    fn timestamp(
        &self,
        signature: &[u8],
    ) -> impl Future<Output = Result<Vec<Vec<u8>>, SignError>> + Send {
        (**self).timestamp(signature)
    }
}
