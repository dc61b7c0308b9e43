//! Observability of a server: Prometheus metrics (`GET /metrics`), a request ID per request,
//! and health (`GET /healthz`) and readiness (`GET /readyz`).
//!
//! Metrics go through the [`metrics`] facade (the logs' sequencers and the CA record theirs the
//! same way) into the recorder [`install_recorder`] installs, rendered by
//! `metrics-exporter-prometheus`. Every label has a bounded set of values: requests are labelled
//! with the matched route pattern (`/api/v1/log/entries/{id}`, never the raw path), the method
//! (`other` for a nonstandard one) and the status.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Instrument;

/// Requests answered (counter; `route`, `method`, `status`).
pub const REQUESTS: &str = "signet_http_requests_total";
/// Seconds from a request's header to its response's header (histogram; `route`, `method`,
/// `status`).
pub const REQUEST_SECONDS: &str = "signet_http_request_duration_seconds";
/// Certificates issued (counter; `issuer`: the OIDC issuer of the verified token).
pub const CERTIFICATES: &str = "signet_ca_certificates_issued_total";
/// Identity tokens refused (counter; `reason`).
pub const TOKEN_FAILURES: &str = "signet_ca_token_failures_total";
/// Seconds until a TUF role's newest metadata expires, negative once expired (gauge; `role`).
pub const TUF_EXPIRY: &str = "signet_tuf_metadata_expiry_seconds";
/// Write requests refused by the per-client rate limit (counter; `route`).
pub const RATE_LIMITED: &str = "signet_rate_limited_total";

/// The request ID header: taken from the request when sane ([`valid_request_id`]), else
/// generated; always echoed in the response.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest incoming request ID kept.
const MAX_REQUEST_ID: usize = 128;

/// Seconds buckets of the latency histograms: 0.5 ms to 10 s.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Buckets of the batch-size histogram, up to the sequencer's largest batch (4096).
const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0,
];

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    /// The metrics recorder could not be built or installed (one per process).
    #[error("cannot install the metrics recorder: {0}")]
    Recorder(String),
}

/// Installs the process's metrics recorder (histograms with fixed buckets) and returns the
/// handle `/metrics` renders; keeps its upkeep running on the current tokio runtime. Once per
/// process.
pub fn install_recorder() -> Result<PrometheusHandle, ObserveError> {
    let err = |e: metrics_exporter_prometheus::BuildError| ObserveError::Recorder(e.to_string());
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
        .map_err(err)?
        .set_buckets_for_metric(
            Matcher::Full(signet_log::metric::BATCH_SIZE.into()),
            BATCH_BUCKETS,
        )
        .map_err(err)?
        .install_recorder()
        .map_err(err)?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// `GET /metrics`: `handle` rendered in the Prometheus text format, after `refresh` (which sets
/// gauges read at scrape time, such as [`TUF_EXPIRY`]).
pub fn metrics_router(handle: PrometheusHandle, refresh: Arc<dyn Fn() + Send + Sync>) -> Router {
    Router::new().route(
        "/metrics",
        get(move || async move {
            refresh();
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                )],
                handle.render(),
            )
        }),
    )
}

/// Records the seconds left before `expires` (at `now`) for TUF `role`.
pub fn record_tuf_expiry(role: &str, expires: time::OffsetDateTime, now: time::OffsetDateTime) {
    let left = expires
        .unix_timestamp_nanos()
        .saturating_sub(now.unix_timestamp_nanos());
    #[allow(clippy::cast_precision_loss)] // nanoseconds to f64 seconds: precision to spare
    let secs = left as f64 / 1e9;
    metrics::gauge!(TUF_EXPIRY, "role" => role.to_string()).set(secs);
}

/// Wraps every route of `app` (and its fallbacks): a request ID for each request (an incoming
/// sane `X-Request-Id`, else a new one) in a `request` tracing span around its handling, so
/// every log line of the request carries it, and in the response's `X-Request-Id`; and the
/// request's count and latency in [`REQUESTS`] and [`REQUEST_SECONDS`].
pub fn layer(app: Router) -> Router {
    app.layer(axum::middleware::from_fn(track))
}

async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_request_id(v))
        .map_or_else(new_request_id, str::to_string);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_string();
    let method = method_label(req.method());
    let span = tracing::info_span!("request", id = %id, method, route = %route);
    let mut resp = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = resp.status();
    span.in_scope(|| {
        tracing::debug!(
            status = status.as_u16(),
            ms = elapsed.as_millis(),
            "answered"
        );
    });
    let labels = [
        ("route", route),
        ("method", method.to_string()),
        ("status", status.as_str().to_string()),
    ];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(REQUEST_SECONDS, &labels).record(elapsed.as_secs_f64());
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID.clone(), v);
    }
    resp
}

/// A request ID worth keeping: 1 to 128 characters of `A-Z a-z 0-9 - _ . : /`, nothing that
/// could forge a log line or a header.
pub fn valid_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/'))
}

/// 128 random bits in hex.
fn new_request_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// A readiness check's outcome: `Err(why)` when not ready.
pub type CheckResult = Result<(), String>;
type CheckFuture = Pin<Box<dyn Future<Output = CheckResult> + Send>>;
type Check = Arc<dyn Fn() -> CheckFuture + Send + Sync>;

/// How long one readiness check may take before it counts as failed.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The checks behind `GET /readyz`, each named; all run at every request, at once.
#[derive(Default, Clone)]
pub struct Readiness {
    checks: Vec<(String, Check)>,
}

impl Readiness {
    /// No checks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the check `name`: `f()` resolves to `Err(why)` when not ready.
    #[must_use]
    pub fn check<F, Fut>(mut self, name: impl Into<String>, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CheckResult> + Send + 'static,
    {
        let check: Check = Arc::new(move || Box::pin(f()));
        self.checks.push((name.into(), check));
        self
    }

    /// Adds the check `name`: failed from when `stopped` (a log's
    /// [`signet_log::AppendLog::sequencer_stopped`]) resolves, with its reason. Watches it on
    /// the current tokio runtime.
    #[must_use]
    pub fn sequencer(
        self,
        name: impl Into<String>,
        stopped: impl Future<Output = String> + Send + 'static,
    ) -> Self {
        let why: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
        let set = why.clone();
        tokio::spawn(async move {
            let _ = set.set(stopped.await);
        });
        self.check(name, move || {
            let why = why.clone();
            async move {
                match why.get() {
                    Some(w) => Err(format!("sequencer stopped: {w}")),
                    None => Ok(()),
                }
            }
        })
    }

    /// Runs every check (each within [`CHECK_TIMEOUT`]): the failed ones, by name, with why.
    pub async fn failures(&self) -> Vec<(String, String)> {
        let runs = self.checks.iter().map(|(name, check)| {
            let run = check();
            async move {
                let r = tokio::time::timeout(CHECK_TIMEOUT, run)
                    .await
                    .unwrap_or_else(|_| Err(format!("no answer within {CHECK_TIMEOUT:?}")));
                r.err().map(|why| (name.clone(), why))
            }
        });
        futures_util::future::join_all(runs)
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    /// `GET /healthz`: 200 `{"status":"ok"}` while the process serves. `GET /readyz`: 200
    /// `{"status":"ready"}` when every check passes, else 503
    /// `{"status":"not ready","failed":{"<check>":"<why>",...}}`.
    pub fn router(self) -> Router {
        let ready = Arc::new(self);
        Router::new()
            .route(
                "/healthz",
                get(|| async { Json(serde_json::json!({"status": "ok"})) }),
            )
            .route(
                "/readyz",
                get(move || {
                    let ready = ready.clone();
                    async move { readyz(&ready).await }
                }),
            )
    }
}

async fn readyz(ready: &Readiness) -> Response {
    let failed = ready.failures().await;
    if failed.is_empty() {
        return Json(serde_json::json!({"status": "ready"})).into_response();
    }
    for (name, why) in &failed {
        tracing::warn!("not ready: {name}: {why}");
    }
    let failed: serde_json::Map<String, serde_json::Value> = failed
        .into_iter()
        .map(|(n, w)| (n, serde_json::Value::String(w)))
        .collect();
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({"status": "not ready", "failed": failed})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        assert!(valid_request_id("abc-123_X.y:z/9"));
        assert!(valid_request_id(&"a".repeat(128)));
        for bad in ["", "a b", "a\nb", "é", "a\"b", "a,b", &"a".repeat(129)] {
            assert!(!valid_request_id(bad), "{bad:?}");
        }
        let id = new_request_id();
        assert!(valid_request_id(&id) && id.len() == 32, "{id}");
        assert_ne!(id, new_request_id());
    }
}
