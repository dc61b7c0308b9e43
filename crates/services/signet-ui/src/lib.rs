//! signet's web UI: the log explorer at `/ui/` — server-rendered HTML ([`maud`], escaped by
//! default) over a [`ShardedLog`], with a small hand-written script that hashes dropped files
//! and verifies an entry's inclusion proof and checkpoint in the browser (WebCrypto), against
//! the log key of the instance's trusted root (`/signet/v1/trust_config.json`).
//!
//! Pages: `/ui/` (search form, log overview, entries-over-time chart, paginated results) and
//! `/ui/entries/<uuid or entry ID>` (decoded body, certificate, SET, inclusion proof). Every
//! answer carries a strict Content-Security-Policy (scripts and styles from `/ui/static/` only,
//! no inline script or style), `X-Content-Type-Options: nosniff` and `frame-ancestors 'none'`.
//! The page module is free of I/O: [`Explorer`] reads the log, [`pages`] renders.
//!
//! [`release`] renders what `signet verify-release` found about a release directory (served by
//! `signet serve-release` at `/`), with the same look and headers.
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

pub mod chart;
pub mod decode;
pub mod pages;
pub mod release;
pub mod search;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use signet_log::{LogError, LogStore, ShardedLog};

pub use search::{PAGE_SIZE, SearchBy, SearchForm};

/// The page script (in-browser hashing and inclusion verification).
pub const APP_JS: &str = include_str!("../assets/app.js");
/// The style sheet.
pub const STYLE_CSS: &str = include_str!("../assets/style.css");

/// The Content-Security-Policy of every UI answer: nothing but same-origin scripts, styles,
/// fetches and form posts; no framing, no plugins, no base-URI changes.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Points of the entries-over-time chart (log lookups per overview page).
pub const CHART_POINTS: u64 = 24;

type Shared<S> = Arc<ShardedLog<S>>;

/// The explorer router, mounted at `/ui/` (and `/ui` redirecting there).
pub fn explorer_router<S: LogStore>(log: Shared<S>) -> Router {
    Router::new()
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route("/ui/", get(overview::<S>))
        .route("/ui/entries/{id}", get(entry::<S>))
        .route(
            "/ui/static/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/ui/static/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .layer(axum::middleware::map_response(security_headers))
        .with_state(log)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

fn html(status: StatusCode, markup: maud::Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

/// What `/ui/` shows about the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overview {
    /// Entries in all shards.
    pub size: u64,
    /// Active tree's ID.
    pub tree_id: String,
    /// Active tree's root (hex).
    pub root_hash: String,
    /// Latest signed checkpoint (text).
    pub checkpoint: String,
    /// `(integrated time, entries up to then)` samples for the chart, oldest first.
    pub growth: Vec<(i64, u64)>,
}

/// Reads what the pages show from the log (the only I/O of the UI).
pub struct Explorer<'a, S: LogStore>(pub &'a ShardedLog<S>);

impl<S: LogStore> Explorer<'_, S> {
    /// Tree size, checkpoint, and [`CHART_POINTS`] growth samples (entries at evenly spaced
    /// indexes, with their integrated times).
    pub async fn overview(&self) -> Result<Overview, LogError> {
        let info = self.0.log_info();
        let size = self.0.size();
        let mut growth = Vec::new();
        if size > 0 {
            let last = size.saturating_sub(1);
            let n = CHART_POINTS.min(size);
            let mut prev = None;
            for k in 0..=n {
                let index = last.saturating_mul(k).checked_div(n).unwrap_or(last);
                if prev == Some(index) {
                    continue;
                }
                prev = Some(index);
                match self.0.get_by_index(index).await {
                    Ok(e) => {
                        if let Some(anon) = e.values().next() {
                            growth.push((anon.integrated_time, index.saturating_add(1)));
                        }
                    }
                    // Below an inactive shard's range or not yet served: skip the sample.
                    Err(LogError::NotFound) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(Overview {
            size,
            tree_id: info.tree_id,
            root_hash: info.root_hash,
            checkpoint: info.signed_tree_head,
            growth,
        })
    }
}

async fn overview<S: LogStore>(
    State(log): State<Shared<S>>,
    Query(form): Query<SearchForm>,
) -> Response {
    let explorer = Explorer(&log);
    let results = match form.query() {
        None => None,
        Some(Err(e)) => Some(Err(e)),
        Some(Ok(q)) => Some(match form.start() {
            Ok(start) => search::run(&explorer, &q, form.page(), &start).await,
            Err(e) => Err(e),
        }),
    };
    // A search for one index or UUID that found it goes straight to the entry.
    if let Some(Ok(r)) = &results
        && r.total == 1
        && matches!(r.by, SearchBy::Index | SearchBy::Uuid)
        && let Some(hit) = r.hits.first()
    {
        return Redirect::to(&format!("/ui/entries/{}", hit.uuid)).into_response();
    }
    match explorer.overview().await {
        Ok(o) => html(StatusCode::OK, pages::overview(&o, &form, results.as_ref())),
        Err(e) => html(
            StatusCode::INTERNAL_SERVER_ERROR,
            pages::error("The log could not be read", &e.to_string()),
        ),
    }
}

async fn entry<S: LogStore>(State(log): State<Shared<S>>, Path(id): Path<String>) -> Response {
    match log.get_by_uuid(&id).await {
        Ok(entry) => match entry.into_iter().next() {
            Some((entry_id, anon)) => {
                let view = decode::EntryView::new(&entry_id, &anon);
                html(StatusCode::OK, pages::entry(&view))
            }
            None => not_found(&id),
        },
        Err(LogError::NotFound) => not_found(&id),
        Err(e) if e.status() < 500 => html(
            StatusCode::BAD_REQUEST,
            pages::error("Not an entry ID", &e.to_string()),
        ),
        Err(e) => html(
            StatusCode::INTERNAL_SERVER_ERROR,
            pages::error("The log could not be read", &e.to_string()),
        ),
    }
}

fn not_found(id: &str) -> Response {
    html(
        StatusCode::NOT_FOUND,
        pages::error(
            "No such entry",
            &format!("The log holds no entry with ID {id}."),
        ),
    )
}
