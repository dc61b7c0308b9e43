//! Per-client rate limit on writes: a token bucket per client IP address (`governor`'s GCRA)
//! over the routes that write or sign ([`WRITE_ROUTES`], `POST` only). A client over its rate
//! gets `429 Too Many Requests` with `Retry-After` (whole seconds) and the API's JSON error
//! body; reads are never limited. Addresses on the allow-list, and loopback unless asked
//! otherwise, are never limited.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

/// Route patterns (or their suffixes, for nested APIs such as `/rekor-v2/api/v2/log/entries`)
/// whose `POST` is limited: log entries (Rekor v1 and v2), certificates (Fulcio), CT
/// submissions and timestamps.
pub const WRITE_ROUTES: &[&str] = &[
    "/api/v1/log/entries",
    "/api/v2/log/entries",
    "/api/v2/signingCert",
    "/ct/v1/add-pre-chain",
    "/api/v1/timestamp",
];

/// How the limit is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained writes per second per client address.
    pub per_second: NonZeroU32,
    /// Writes a client may make at once after being idle.
    pub burst: NonZeroU32,
    /// Addresses never limited.
    pub allow: Vec<IpNet>,
    /// Limit loopback clients too (by default they are not: the machine's own tools).
    pub limit_loopback: bool,
}

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    /// An allow-list entry that is neither an address nor a CIDR block.
    #[error("{0:?} is not an IP address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)")]
    BadNet(String),
}

/// `s` as a CIDR block (`10.0.0.0/8`) or a single address (`192.0.2.7`, `::1`).
pub fn parse_net(s: &str) -> Result<IpNet, RateLimitError> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| RateLimitError::BadNet(s.to_string()))
}

struct Limiter {
    config: RateLimit,
    buckets: DefaultKeyedRateLimiter<IpAddr>,
}

impl Limiter {
    fn exempt(&self, ip: IpAddr) -> bool {
        (!self.config.limit_loopback && ip.is_loopback())
            || self.config.allow.iter().any(|n| n.contains(&ip))
    }
}

/// Limits `app`'s writes as `config` says. The client address is the connection's peer
/// ([`ConnectInfo`], set by [`crate::serve`]); without it nothing is limited. Buckets of idle
/// clients are dropped every minute, so memory follows the active clients only.
pub fn layer(app: Router, config: RateLimit) -> Router {
    let quota = Quota::per_second(config.per_second).allow_burst(config.burst);
    let limiter = Arc::new(Limiter {
        config,
        buckets: RateLimiter::keyed(quota),
    });
    let weak = Arc::downgrade(&limiter);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let Some(l) = weak.upgrade() else { return };
            l.buckets.retain_recent();
            l.buckets.shrink_to_fit();
        }
    });
    app.layer(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let limiter = limiter.clone();
            async move { limit(&limiter, req, next).await }
        },
    ))
}

fn is_write(method: &Method, route: &str) -> bool {
    method == Method::POST && WRITE_ROUTES.iter().any(|w| route.ends_with(w))
}

async fn limit(limiter: &Limiter, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical());
    let (Some(route), Some(ip)) = (route, peer) else {
        return next.run(req).await;
    };
    if !is_write(req.method(), &route) || limiter.exempt(ip) {
        return next.run(req).await;
    }
    match limiter.buckets.check_key(&ip) {
        Ok(()) => next.run(req).await,
        Err(not_until) => {
            let wait = not_until.wait_time_from(limiter.buckets.clock().now());
            // Whole seconds, rounded up, at least 1.
            let secs = wait
                .as_secs()
                .saturating_add(u64::from(wait.subsec_nanos() > 0));
            let secs = secs.max(1);
            metrics::counter!(crate::observe::RATE_LIMITED, "route" => route).increment(1);
            tracing::info!("rate limited {ip}: retry after {secs} s");
            let mut resp = crate::error_response(
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many requests from {ip}: retry after {secs} s"),
            );
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nets_and_addresses() {
        assert_eq!(parse_net("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_net("192.0.2.7").unwrap().to_string(), "192.0.2.7/32");
        assert_eq!(parse_net("::1").unwrap().to_string(), "::1/128");
        for bad in ["", "10.0.0.0/33", "example.org", "10.0.0"] {
            assert!(parse_net(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn writes_are_the_posts_of_write_routes() {
        assert!(is_write(&Method::POST, "/api/v1/log/entries"));
        assert!(is_write(&Method::POST, "/rekor-v2/api/v2/log/entries"));
        assert!(is_write(&Method::POST, "/api/v2/signingCert"));
        assert!(is_write(&Method::POST, "/api/v1/timestamp"));
        assert!(!is_write(&Method::GET, "/api/v1/log/entries"));
        assert!(!is_write(&Method::POST, "/api/v1/log/entries/retrieve"));
        assert!(!is_write(&Method::POST, "/api/v1/index/retrieve"));
    }
}
