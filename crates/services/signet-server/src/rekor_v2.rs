//! HTTP layer of the Rekor v2 personality: rekor-tiles' `POST /api/v2/log/entries` and the
//! C2SP tlog-tiles read API (`/checkpoint`, `/tile/<L>/<N>[.p/<W>]`,
//! `/tile/entries/<N>[.p/<W>]`), served from the store. The router answers at its root; the
//! server nests it under the v2 log's path (its `baseUrl`).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use signet_log::tiles::parse_tile_path;
use signet_log::{LogError, LogStore, RekorV2Log, TileReadError};

/// `Cache-Control` of a full tile or entry bundle: it never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of the checkpoint and partial tiles: they are replaced as the tree grows.
pub const SHORT_LIVED: &str = "public, max-age=1, must-revalidate";

type Shared<S> = Arc<RekorV2Log<S>>;

/// The grpc-gateway error body rekor-tiles answers: `{"code": <gRPC code>, "message", "details"}`.
fn grpc_error(e: &LogError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = match status.as_u16() {
        400 | 422 => 3, // InvalidArgument
        404 => 5,       // NotFound
        409 => 6,       // AlreadyExists
        503 => 14,      // Unavailable
        _ => 2,         // Unknown
    };
    if status.is_server_error() {
        tracing::error!("{e}");
    }
    let body = serde_json::json!({"code": code, "message": e.to_string(), "details": []});
    let mut resp = (status, axum::Json(body)).into_response();
    if let LogError::DuplicateIndex { index } = e
        && let Ok(v) = HeaderValue::from_str(&index.to_string())
    {
        resp.headers_mut().insert("x-log-index", v);
    }
    resp
}

async fn create<S: LogStore>(State(log): State<Shared<S>>, body: Bytes) -> Response {
    match log.create(&body).await {
        Ok(entry) => (StatusCode::CREATED, axum::Json(entry)).into_response(),
        Err(e) => grpc_error(&e),
    }
}

async fn tile<S: LogStore>(State(log): State<Shared<S>>, Path(rest): Path<String>) -> Response {
    let id = match parse_tile_path(&rest) {
        Ok(id) => id,
        Err(e) => return tile_error(&TileReadError::Tile(e)),
    };
    match log.tile(&id).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (
                    header::CACHE_CONTROL,
                    if id.is_full() { IMMUTABLE } else { SHORT_LIVED },
                ),
            ],
            // A cached full tile is shared, not copied, into the answer.
            Bytes::from_owner(SharedTile(bytes)),
        )
            .into_response(),
        Err(e) => tile_error(&e),
    }
}

/// A tile's bytes as an answer body.
struct SharedTile(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedTile {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// A tile error: its status and a one-line text body.
fn tile_error(e: &TileReadError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!("{e}");
    }
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!("{e}\n"),
    )
        .into_response()
}

/// The Rekor v2 write API and the tiles read API of `log`, at the router's root; `/checkpoint`
/// serves the log's newest checkpoint.
pub fn rekor_v2_router<S: LogStore>(log: Shared<S>) -> Router {
    rekor_v2_router_with(log.clone(), log)
}

/// [`rekor_v2_router`], with `/checkpoint` serving what `checkpoints` gives: the witnessed
/// checkpoint with its cosignatures ([`crate::witnessing::Witnessing`]).
pub fn rekor_v2_router_with<S: LogStore>(
    log: Shared<S>,
    checkpoints: Arc<dyn crate::witnessing::CheckpointSource>,
) -> Router {
    Router::new()
        .route(
            "/api/v2/log/entries",
            post(create::<S>).layer(DefaultBodyLimit::max(crate::MAX_BODY)),
        )
        .route("/tile/{*rest}", get(tile::<S>))
        .with_state(log)
        .merge(crate::checkpoint_route("/checkpoint", checkpoints))
}
