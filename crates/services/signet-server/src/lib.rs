//! HTTP layer: the Rekor v1 REST API over [`signet_log::ShardedLog`]. Handlers only parse
//! requests, call the library and map [`LogError`] to Rekor's status codes and error bodies.
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

pub mod ca;
pub mod observe;
pub mod ratelimit;
pub mod rekor_v2;
mod serve;
pub mod tls;
pub mod tsa;
pub mod witness;
pub mod witnessing;

pub use rekor_v2::{rekor_v2_router, rekor_v2_router_with};
pub use serve::{Limits, MAX_HEADER_BYTES, SHUTDOWN_GRACE, connection_cap, serve};

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use signet_log::{LogError, LogStore, ShardedLog};
use signet_rekor::api::{ErrorBody, SearchIndex, SearchLogQuery};
use tower_http::catch_panic::CatchPanicLayer;

/// Largest request body accepted (Fulcio and rekor-tiles use 4 MiB).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

struct ApiError(LogError);

impl From<LogError> for ApiError {
    fn from(e: LogError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.status();
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if code == 404 {
            // Rekor answers 404 with an empty body.
            return status.into_response();
        }
        if code >= 500 {
            tracing::error!("{}", self.0);
        }
        let mut resp = (
            status,
            Json(ErrorBody {
                code,
                message: self.0.to_string(),
            }),
        )
            .into_response();
        if let LogError::Duplicate { entry_id } = &self.0
            && let Ok(v) = HeaderValue::from_str(&format!("/api/v1/log/entries/{entry_id}"))
        {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        resp
    }
}

type Shared<S> = Arc<ShardedLog<S>>;

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError(LogError::BadRequest(format!("invalid request body: {e}"))))
}

async fn create<S: LogStore>(
    State(log): State<Shared<S>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (id, entry) = log.add(&body).await?;
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/log/entries/{id}")) {
        headers.insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(header::ETAG, v);
    }
    Ok((StatusCode::CREATED, headers, Json(entry)).into_response())
}

/// Query of `GET /api/v1/log/entries` (`?logIndex=N`), as axum's `Query` extracts it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexQuery {
    log_index: Option<String>,
}

impl IndexQuery {
    /// The requested log index (422 when absent or not a non-negative integer).
    pub fn log_index(self) -> Result<u64, LogError> {
        let raw = self
            .log_index
            .ok_or_else(|| LogError::Unprocessable("logIndex in query is required".into()))?;
        raw.parse::<u64>().map_err(|_| {
            LogError::Unprocessable(format!("logIndex {raw:?} is not a non-negative integer"))
        })
    }
}

/// A 200 with JSON the library already serialized (shared, not copied).
fn json_bytes(json: Arc<[u8]>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Bytes::from_owner(json),
    )
        .into_response()
}

async fn by_index<S: LogStore>(
    State(log): State<Shared<S>>,
    Query(q): Query<IndexQuery>,
) -> Result<Response, ApiError> {
    Ok(json_bytes(log.get_by_index_json(q.log_index()?).await?))
}

async fn by_uuid<S: LogStore>(
    State(log): State<Shared<S>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(json_bytes(log.get_by_uuid_json(&id).await?))
}

async fn retrieve<S: LogStore>(
    State(log): State<Shared<S>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let q: SearchLogQuery = json_body(&body)?;
    Ok(Json(log.retrieve(&q).await?).into_response())
}

async fn search<S: LogStore>(
    State(log): State<Shared<S>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let q: SearchIndex = json_body(&body)?;
    Ok(Json(log.search(&q).await?).into_response())
}

async fn info<S: LogStore>(State(log): State<Shared<S>>) -> Response {
    Json(log.log_info()).into_response()
}

/// Query of `GET /api/v1/log/proof` (`?firstSize=N&lastSize=M[&treeID=T]`), as axum's `Query`
/// extracts it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofQuery {
    first_size: Option<String>,
    last_size: Option<String>,
    #[serde(rename = "treeID")]
    tree_id: Option<String>,
}

/// Query of `GET /api/v1/log/publicKey` (`[?treeID=T]`), as axum's `Query` extracts it.
#[derive(Deserialize)]
pub struct TreeQuery {
    #[serde(rename = "treeID")]
    tree_id: Option<String>,
}

impl TreeQuery {
    /// The shard the query names (`None`: the active one); 400 when it is not a decimal tree ID.
    pub fn tree_id(&self) -> Result<Option<u64>, LogError> {
        parse_tree_id(self.tree_id.as_deref())
    }
}

/// A `treeID` query parameter: a decimal tree ID, or none (400 otherwise, as Rekor answers).
fn parse_tree_id(raw: Option<&str>) -> Result<Option<u64>, LogError> {
    raw.map(|t| {
        t.parse::<u64>()
            .map_err(|_| LogError::BadRequest(format!("invalid tree ID specified: {t}")))
    })
    .transpose()
}

impl ProofQuery {
    /// The shard the query names (`None`: the active one); 400 when it is not a decimal tree ID.
    pub fn tree_id(&self) -> Result<Option<u64>, LogError> {
        parse_tree_id(self.tree_id.as_deref())
    }

    /// `(firstSize, lastSize)`; `firstSize` defaults to 1, `lastSize` is required (422 when
    /// absent or not an integer). Their order and range are the log's business.
    pub fn sizes(self) -> Result<(u64, u64), LogError> {
        let parse = |v: Option<String>, name: &str, default: Option<u64>| match (v, default) {
            (Some(s), _) => s
                .parse::<u64>()
                .map_err(|_| LogError::Unprocessable(format!("{name} must be an integer"))),
            (None, Some(d)) => Ok(d),
            (None, None) => Err(LogError::Unprocessable(format!(
                "{name} in query is required"
            ))),
        };
        Ok((
            parse(self.first_size, "firstSize", Some(1))?,
            parse(self.last_size, "lastSize", None)?,
        ))
    }
}

async fn proof<S: LogStore>(
    State(log): State<Shared<S>>,
    Query(q): Query<ProofQuery>,
) -> Result<Response, ApiError> {
    let tree_id = q.tree_id()?;
    let (first, last) = q.sizes()?;
    Ok(Json(log.consistency(first, last, tree_id).await?).into_response())
}

async fn public_key<S: LogStore>(
    State(log): State<Shared<S>>,
    Query(q): Query<TreeQuery>,
) -> Result<Response, ApiError> {
    Ok((
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        log.public_key_pem(q.tree_id()?)?,
    )
        .into_response())
}

/// Wraps the whole app a server serves: a panicking handler is answered with a JSON 500
/// (`{"code":500,"message":"internal error"}`, the shape of the other error bodies) instead of a
/// dropped connection, and the server goes on serving. The panic itself is logged by the hook
/// [`log_panics`] installs (one line, where and why), not here: the payload has no location.
pub fn catch_panics(app: Router) -> Router {
    app.layer(CatchPanicLayer::custom(
        |_: Box<dyn std::any::Any + Send + 'static>| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(ErrorBody {
                    code: 500,
                    message: "internal error".into(),
                }),
            )
                .into_response()
        },
    ))
}

/// Largest error text turned into a JSON error body by [`json_errors`] (axum's rejection
/// messages are a line); a longer one is replaced by the status's reason phrase.
const MAX_ERROR_TEXT: usize = 4096;

/// Makes every error answer of `app` a JSON body in the API's error shape,
/// `{"code": <HTTP status>, "message": "..."}` ([`ErrorBody`], as Rekor's, and the `code` and
/// `message` of Fulcio's): an unknown route (404), a known route with another method (405, with
/// its `Allow` header), and every plain-text error, which are axum's extractor rejections (413
/// for a body over the route's limit, 400/415/422 for a bad JSON body or query) and the CT log's
/// messages. Error answers that already are JSON, and the empty-bodied 404 Rekor gives for an
/// entry it does not hold, are left as they are.
pub fn json_errors(app: Router) -> Router {
    let app = app
        .fallback(|| async { error_response(StatusCode::NOT_FOUND, "no such route") })
        .method_not_allowed_fallback(|| async {
            error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        });
    text_errors_as(app, error_response)
}

/// Makes every plain-text error answer of `app` (axum's extractor rejections) the body
/// `shape(status, text)` gives, with its status and other headers kept. For APIs whose error
/// shape is not [`error_response`]'s (Fulcio's).
pub(crate) fn text_errors_as(app: Router, shape: fn(StatusCode, String) -> Response) -> Router {
    app.layer(axum::middleware::map_response(move |r: Response| {
        text_error_as(r, shape)
    }))
}

/// An error answer in the API's error shape: `{"code": <status>, "message": message}`.
pub fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    let message = message.into();
    (
        status,
        Json(ErrorBody {
            code: status.as_u16(),
            message,
        }),
    )
        .into_response()
}

async fn text_error_as(resp: Response, shape: fn(StatusCode, String) -> Response) -> Response {
    let status = resp.status();
    let is_text = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !is_text {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let message = match axum::body::to_bytes(body, MAX_ERROR_TEXT).await {
        Ok(text) => String::from_utf8_lossy(&text).trim_end().to_string(),
        Err(_) => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let json = shape(status, message);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    let (json_parts, body) = json.into_parts();
    parts.headers.extend(json_parts.headers);
    Response::from_parts(parts, body)
}

/// Replaces the default panic hook (two lines on stderr, a backtrace with `RUST_BACKTRACE`)
/// with one `tracing` error line: the thread, the location and the panic message. For server
/// processes, where panics are caught ([`catch_panics`]) or fatal (a stopped sequencer), and
/// each should show up once in the log.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload_as_str().unwrap_or("(no message)");
        let thread = std::thread::current();
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_else(|| "unknown location".into());
        tracing::error!(
            "panic in thread {} at {location}: {message}",
            thread.name().unwrap_or("unnamed")
        );
    }));
}

/// The Rekor v1 router for `log` (a [`ShardedLog::single`] for an unsharded log);
/// `GET /api/v1/log/checkpoint` serves the active tree's newest checkpoint.
pub fn rekor_router<S: LogStore>(log: Shared<S>) -> Router {
    rekor_router_with(log.clone(), log)
}

/// The Rekor v1 router for `log`, with `GET /api/v1/log/checkpoint` (signet's: a signed note,
/// `text/plain`) serving what `checkpoints` gives: the witnessed checkpoint with its
/// cosignatures ([`witnessing::Witnessing`]). `GET /api/v1/log` stays Rekor's.
pub fn rekor_router_with<S: LogStore>(
    log: Shared<S>,
    checkpoints: Arc<dyn witnessing::CheckpointSource>,
) -> Router {
    Router::new()
        .route("/api/v1/log/entries", post(create::<S>).get(by_index::<S>))
        .route("/api/v1/log/entries/retrieve", post(retrieve::<S>))
        .route("/api/v1/log/entries/{id}", get(by_uuid::<S>))
        .route("/api/v1/index/retrieve", post(search::<S>))
        .route("/api/v1/log", get(info::<S>))
        .route("/api/v1/log/proof", get(proof::<S>))
        .route("/api/v1/log/publicKey", get(public_key::<S>))
        .route("/ping", get(|| async { "." }))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(log)
        .merge(checkpoint_route("/api/v1/log/checkpoint", checkpoints))
}

/// `GET path`: the signed checkpoint `checkpoints` gives, as `text/plain`, cacheable for a
/// second (it is replaced as the tree grows).
pub(crate) fn checkpoint_route(
    path: &str,
    checkpoints: Arc<dyn witnessing::CheckpointSource>,
) -> Router {
    Router::new().route(
        path,
        get(move || async move {
            (
                [
                    (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                    (header::CACHE_CONTROL, rekor_v2::SHORT_LIVED),
                ],
                checkpoints.checkpoint(),
            )
                .into_response()
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query<T: serde::de::DeserializeOwned>(q: &str) -> T {
        let uri: axum::http::Uri = format!("/x?{q}").parse().unwrap_or_default();
        Query::<T>::try_from_uri(&uri).map_or_else(|e| unreachable!("{e}"), |Query(t)| t)
    }

    fn status<T>(r: Result<T, LogError>) -> Option<u16> {
        r.err().map(|e| e.status())
    }

    #[test]
    fn log_index_query() {
        assert_eq!(
            query::<IndexQuery>("logIndex=42").log_index().ok(),
            Some(42)
        );
        assert_eq!(status(query::<IndexQuery>("").log_index()), Some(422));
        assert_eq!(
            status(query::<IndexQuery>("logIndex=-1").log_index()),
            Some(422)
        );
        assert_eq!(
            status(query::<IndexQuery>("logIndex=1x").log_index()),
            Some(422)
        );
    }

    #[test]
    fn proof_query() {
        assert_eq!(query::<ProofQuery>("lastSize=9").sizes().ok(), Some((1, 9)));
        assert_eq!(
            query::<ProofQuery>("firstSize=3&lastSize=9").sizes().ok(),
            Some((3, 9))
        );
        assert_eq!(
            status(query::<ProofQuery>("firstSize=3").sizes()),
            Some(422)
        );
        assert_eq!(
            status(query::<ProofQuery>("firstSize=x&lastSize=9").sizes()),
            Some(422)
        );
    }

    #[test]
    fn tree_id_query() {
        assert_eq!(query::<TreeQuery>("").tree_id().ok(), Some(None));
        assert_eq!(
            query::<TreeQuery>("treeID=42").tree_id().ok(),
            Some(Some(42))
        );
        assert_eq!(
            query::<ProofQuery>("lastSize=9&treeID=7").tree_id().ok(),
            Some(Some(7))
        );
        for bad in [
            "treeID=",
            "treeID=-1",
            "treeID=0x1",
            "treeID=18446744073709551616",
        ] {
            assert_eq!(
                status(query::<TreeQuery>(bad).tree_id()),
                Some(400),
                "{bad}"
            );
        }
        assert_eq!(
            status(query::<ProofQuery>("lastSize=9&treeID=a").tree_id()),
            Some(400)
        );
    }
}
