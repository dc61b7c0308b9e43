//! The timestamp authority's HTTP API, as sigstore/timestamp-authority serves it:
//! `POST /api/v1/timestamp` (a DER `TimeStampReq` as `application/timestamp-query`, or the JSON
//! form as `application/json`) answering `application/timestamp-reply`, and
//! `GET /api/v1/timestamp/certchain` (PEM, leaf first). Errors are JSON
//! `{"code": <status>, "message": …}` (never RFC 3161 rejection responses); a request that is
//! not `application/*` gets 415.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use signet_tsa::{TimestampAuthority, TimestampRequest, TsaError};
use signet_types::UnixSeconds;

/// The largest request body read (timestamp-authority's `--max-request-body-size`); the
/// request parsers have their own, smaller limits.
pub const MAX_BODY: usize = 1024 * 1024;

/// The reply's media type.
pub const TIMESTAMP_REPLY: &str = "application/timestamp-reply";

fn error(e: &TsaError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!("timestamp: {e}");
    }
    crate::error_response(status, e.to_string())
}

async fn timestamp(
    State(tsa): State<Arc<TimestampAuthority>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let req = if media == "application/json" {
        TimestampRequest::from_json(&body)
    } else if media.starts_with("application/") {
        TimestampRequest::from_der(&body)
    } else {
        return crate::error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "unsupported content type {media:?}: send application/timestamp-query or \
                 application/json"
            ),
        );
    };
    let now = UnixSeconds(time::OffsetDateTime::now_utc().unix_timestamp());
    match req.and_then(|r| tsa.timestamp(&r, now)) {
        Ok(der) => ([(header::CONTENT_TYPE, TIMESTAMP_REPLY)], der).into_response(),
        Err(e) => error(&e),
    }
}

async fn certchain(State(tsa): State<Arc<TimestampAuthority>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
        tsa.chain_pem(),
    )
        .into_response()
}

/// The timestamp authority's routes.
pub fn tsa_router(tsa: Arc<TimestampAuthority>) -> Router {
    // Plain-text rejections (413 over MAX_BODY) become JSON in `serve` (`json_errors`).
    Router::new()
        .route("/api/v1/timestamp", post(timestamp))
        .route("/api/v1/timestamp/certchain", get(certchain))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(tsa)
}
