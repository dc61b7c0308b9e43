//! `signet server`'s operating flags: log format, `/metrics`, `/healthz` and `/readyz`, and
//! the per-client rate limit on writes.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use signet_server::observe::{self, Readiness};
use signet_server::ratelimit::{self, RateLimit};

/// `--log-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per event (`timestamp`, `level`, `fields`, `target`, and `span` with
    /// the request's `id`, `method` and `route` for events during a request).
    Json,
}

/// Logging, metrics, health and rate-limit flags of `signet server`.
#[derive(Args, Debug)]
pub struct OperateArgs {
    /// Log line format on stderr (level from `RUST_LOG`, default `info`).
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Sustained writes per second each client IP address may make (POST of log entries,
    /// Rekor v2 entries, certificate requests, CT submissions, timestamps); over it a client
    /// gets 429 with Retry-After. 0 turns the limit off.
    #[arg(long, value_name = "PER_SECOND", default_value_t = 100)]
    pub rate_limit: u32,
    /// Writes a client may make at once after being idle (token bucket size).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub rate_limit_burst: u32,
    /// An address or CIDR block never rate limited (repeatable, or comma-separated), e.g. the
    /// reverse proxy's or a CI network's.
    #[arg(long, value_name = "CIDR", value_delimiter = ',')]
    pub rate_limit_allow: Vec<String>,
    /// Rate limit loopback clients too (by default 127.0.0.0/8 and ::1 are not limited: the
    /// machine's own tools, benchmarks and tests).
    #[arg(long)]
    pub rate_limit_loopback: bool,
    /// /readyz fails when any TUF metadata role expires within this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 86_400)]
    pub ready_tuf_margin: u64,
}

/// Starts logging to stderr in `format` (level from `RUST_LOG`, default `info`).
pub fn init_logging(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

impl OperateArgs {
    /// The rate limit these flags set (`None`: off).
    pub fn rate_limit(&self) -> Result<Option<RateLimit>> {
        let allow = self
            .rate_limit_allow
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| ratelimit::parse_net(s).context("--rate-limit-allow"))
            .collect::<Result<Vec<_>>>()?;
        let Some(per_second) = NonZeroU32::new(self.rate_limit) else {
            return Ok(None);
        };
        let burst = NonZeroU32::new(self.rate_limit_burst)
            .context("--rate-limit-burst must be at least 1")?;
        Ok(Some(RateLimit {
            per_second,
            burst,
            allow,
            limit_loopback: self.rate_limit_loopback,
        }))
    }
}

/// TUF roles whose expiry is watched: the newest `N.<role>.json` of each, and `timestamp.json`.
const TUF_ROLES: &[&str] = &["root", "targets", "snapshot", "timestamp"];

/// When each TUF role's newest metadata in `repo` expires.
pub fn tuf_expiries(repo: &Path) -> Result<Vec<(&'static str, time::OffsetDateTime)>> {
    let mut out = Vec::new();
    for role in TUF_ROLES {
        let bytes = if *role == "timestamp" {
            Some(std::fs::read(repo.join("timestamp.json")).context("timestamp.json")?)
        } else {
            crate::tuf_serve::latest(repo, role)?
        };
        let Some(bytes) = bytes else {
            anyhow::bail!("no {role} metadata");
        };
        let doc: serde_json::Value =
            serde_json::from_slice(&bytes).with_context(|| format!("{role} metadata"))?;
        let expires = doc
            .pointer("/signed/expires")
            .and_then(serde_json::Value::as_str)
            .with_context(|| format!("{role} metadata has no signed.expires"))?;
        let at =
            time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
                .with_context(|| format!("{role} expires {expires:?}"))?;
        out.push((*role, at));
    }
    Ok(out)
}

/// `/readyz`'s TUF check: every role of `repo` expires later than `margin` from now.
pub fn tuf_ready(repo: &Path, margin: time::Duration) -> std::result::Result<(), String> {
    let now = time::OffsetDateTime::now_utc();
    let expiries = tuf_expiries(repo).map_err(|e| format!("{e:#}"))?;
    let soon: Vec<String> = expiries
        .iter()
        .filter(|(_, at)| now.checked_add(margin).is_none_or(|limit| *at < limit))
        .map(|(role, at)| format!("{role} expires {at}"))
        .collect();
    if soon.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} (within {} s)",
            soon.join(", "),
            margin.whole_seconds()
        ))
    }
}

/// `/metrics` (rendering `handle`, the process's recorder), `/healthz` and `/readyz` for a
/// server whose TUF repository is `tuf_repo`.
pub fn routes(
    handle: metrics_exporter_prometheus::PrometheusHandle,
    readiness: Readiness,
    tuf_repo: PathBuf,
    margin_secs: u64,
) -> axum::Router {
    let repo = tuf_repo.clone();
    let refresh = Arc::new(move || {
        let now = time::OffsetDateTime::now_utc();
        match tuf_expiries(&repo) {
            Ok(all) => {
                for (role, at) in all {
                    observe::record_tuf_expiry(role, at, now);
                }
            }
            Err(e) => tracing::warn!("TUF expiry for /metrics: {e:#}"),
        }
    });
    let margin = time::Duration::seconds(i64::try_from(margin_secs).unwrap_or(i64::MAX));
    let readiness = readiness.check("tuf metadata", move || {
        let repo = tuf_repo.clone();
        async move {
            tokio::task::spawn_blocking(move || tuf_ready(&repo, margin))
                .await
                .unwrap_or_else(|e| Err(e.to_string()))
        }
    });
    observe::metrics_router(handle, refresh).merge(readiness.router())
}
