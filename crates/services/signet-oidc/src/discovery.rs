//! OpenID discovery and JWKS retrieval: the only I/O in this crate.
//!
//! * [`Provider::discover`] reads `{iss}/.well-known/openid-configuration`; its `issuer` must
//!   equal the URL exactly (as coreos/go-oidc requires).
//! * [`JwksCache`] keeps one key set per issuer URL for a TTL (10 minutes by default) and
//!   refetches early when a token names an unknown `kid`, at most once per 30 seconds per
//!   issuer. The hot path is a read lock and an `Arc` clone.
//! * [`Verifier`] ties [`IssuerConfig`], the cache and a clock together.
//!
//! Not implemented: per-issuer CA certificates (`CACert`) and the in-cluster Kubernetes
//! service-account bearer token Fulcio sends to `https://kubernetes.default.svc`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::Url;
use serde_json::Value;
use signet_client::http::{self, HttpOptions, Redirects};

use crate::OidcError;
use crate::config::{Issuer, IssuerConfig};
use crate::principal::Principal;
use crate::token::{Jwks, MAX_JWKS_LEN, unverified_issuer, verify};

/// Timeout of one discovery or JWKS request.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest discovery document accepted, in bytes.
pub const MAX_DISCOVERY_LEN: usize = 64 * 1024;
/// How long a fetched key set is used before it is fetched again.
pub const DEFAULT_JWKS_TTL: Duration = Duration::from_secs(600);
/// Minimum time between two fetches for the same issuer triggered by an unknown `kid`.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(30);
/// Most issuers kept in a [`JwksCache`] (meta issuers can match many URLs); the entry fetched
/// longest ago is evicted first.
pub const MAX_CACHED_ISSUERS: usize = 1000;
/// Clock skew allowed by [`Verifier`] unless changed with [`Verifier::with_max_skew_secs`].
pub const DEFAULT_MAX_SKEW_SECS: i64 = 60;

fn disc_err(why: impl Into<String>) -> OidcError {
    OidcError::Discovery(why.into())
}

/// The options of discovery and JWKS requests: signet's client defaults
/// ([`signet_client::http`]) with a total of [`HTTP_TIMEOUT`] and no redirects to another host
/// (Fulcio refuses cross-host redirects).
pub fn http_options() -> HttpOptions {
    HttpOptions {
        timeout: HTTP_TIMEOUT,
        ..HttpOptions::default()
    }
    .with_redirects(Redirects::SameHost)
}

/// An HTTP client suited to discovery: [`http_options`].
pub fn http_client() -> Result<reqwest::Client, OidcError> {
    http::client(&http_options()).map_err(|e| disc_err(e.to_string()))
}

/// GET `url`, requiring a 2xx status and at most `limit` bytes of body.
async fn get_limited(
    client: &reqwest::Client,
    url: &str,
    limit: usize,
) -> Result<Vec<u8>, OidcError> {
    let req = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(HTTP_TIMEOUT);
    http::get_limited(req, url, limit as u64, &http_options())
        .await
        .map_err(|e| disc_err(format!("GET {url}: {e}")))
}

/// The parts of an OpenID provider's discovery document this crate uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    issuer: String,
    jwks_uri: String,
}

impl Provider {
    /// Fetches and checks `{issuer_url}/.well-known/openid-configuration`.
    pub async fn discover(issuer_url: &str, client: &reqwest::Client) -> Result<Self, OidcError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer_url.trim_end_matches('/')
        );
        let body = get_limited(client, &url, MAX_DISCOVERY_LEN).await?;
        Self::from_document(issuer_url, &body)
    }

    /// Checks a discovery document for `issuer_url` (no I/O).
    pub fn from_document(issuer_url: &str, body: &[u8]) -> Result<Self, OidcError> {
        let doc: Value = serde_json::from_slice(body)
            .map_err(|e| disc_err(format!("discovery document: {e}")))?;
        let issuer = doc.get("issuer").and_then(Value::as_str).unwrap_or("");
        if issuer != issuer_url {
            return Err(disc_err(format!(
                "discovery issuer {issuer:?} does not match {issuer_url:?}"
            )));
        }
        let jwks_uri = doc
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| disc_err("discovery document has no jwks_uri"))?;
        let parsed = Url::parse(jwks_uri).map_err(|e| disc_err(format!("jwks_uri: {e}")))?;
        let issuer_scheme = Url::parse(issuer_url)
            .map(|u| u.scheme().to_owned())
            .unwrap_or_default();
        // https always; plain http only when the issuer itself is http (local development).
        if parsed.scheme() != "https" && parsed.scheme() != issuer_scheme {
            return Err(disc_err(format!("jwks_uri {jwks_uri:?} must be https")));
        }
        Ok(Self {
            issuer: issuer.to_owned(),
            jwks_uri: jwks_uri.to_owned(),
        })
    }

    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Where the key set is published.
    pub fn jwks_uri(&self) -> &str {
        &self.jwks_uri
    }

    /// Fetches and parses the key set.
    pub async fn fetch_jwks(&self, client: &reqwest::Client) -> Result<Jwks, OidcError> {
        let body = get_limited(client, &self.jwks_uri, MAX_JWKS_LEN).await?;
        Jwks::from_json(&body).map_err(|e| disc_err(format!("{}: {e}", self.jwks_uri)))
    }
}

struct Entry {
    jwks: Arc<Jwks>,
    fetched_at: Instant,
}

/// Key sets by issuer URL. See the module documentation.
pub struct JwksCache {
    client: reqwest::Client,
    ttl: Duration,
    refresh_interval: Duration,
    entries: RwLock<HashMap<String, Entry>>,
    /// One fetch at a time per issuer, so an expiry does not send a burst of requests.
    fetch_locks: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("ttl", &self.ttl)
            .field("refresh_interval", &self.refresh_interval)
            .finish_non_exhaustive()
    }
}

impl JwksCache {
    /// An empty cache using `client` (see [`http_client`]).
    pub fn new(client: reqwest::Client) -> Self {
        Self {
            client,
            ttl: DEFAULT_JWKS_TTL,
            refresh_interval: DEFAULT_REFRESH_INTERVAL,
            entries: RwLock::new(HashMap::new()),
            fetch_locks: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Changes the TTL and the minimum interval between unknown-`kid` refetches.
    pub fn with_timing(mut self, ttl: Duration, refresh_interval: Duration) -> Self {
        self.ttl = ttl;
        self.refresh_interval = refresh_interval;
        self
    }

    /// Installs a key set without fetching it (e.g. an in-process development issuer). It is
    /// treated as freshly fetched.
    pub fn insert(&self, issuer_url: &str, jwks: Jwks) -> Arc<Jwks> {
        let jwks = Arc::new(jwks);
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_CACHED_ISSUERS && !entries.contains_key(issuer_url) {
            let oldest = entries
                .iter()
                .min_by_key(|(_, e)| e.fetched_at)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                entries.remove(&k);
            }
        }
        entries.insert(
            issuer_url.to_owned(),
            Entry {
                jwks: jwks.clone(),
                fetched_at: Instant::now(),
            },
        );
        jwks
    }

    /// The cached key set if it is younger than `max_age`.
    fn cached(&self, issuer_url: &str, max_age: Duration) -> Option<Arc<Jwks>> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(issuer_url)
            .filter(|e| e.fetched_at.elapsed() < max_age)
            .map(|e| e.jwks.clone())
    }

    fn fetch_lock(&self, issuer_url: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.fetch_locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks.len() >= MAX_CACHED_ISSUERS && !locks.contains_key(issuer_url) {
            // Only idle locks (no fetch in progress) can be dropped safely.
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        locks.entry(issuer_url.to_owned()).or_default().clone()
    }

    async fn fetch(&self, issuer_url: &str) -> Result<Arc<Jwks>, OidcError> {
        let provider = Provider::discover(issuer_url, &self.client).await?;
        let jwks = provider.fetch_jwks(&self.client).await?;
        Ok(self.insert(issuer_url, jwks))
    }

    /// The key set for `issuer_url`, fetched (discovery, then JWKS) when absent or older than
    /// the TTL.
    pub async fn get(&self, issuer_url: &str) -> Result<Arc<Jwks>, OidcError> {
        if let Some(j) = self.cached(issuer_url, self.ttl) {
            return Ok(j);
        }
        let lock = self.fetch_lock(issuer_url);
        let _guard = lock.lock().await;
        // Another task may have fetched while this one waited.
        if let Some(j) = self.cached(issuer_url, self.ttl) {
            return Ok(j);
        }
        self.fetch(issuer_url).await
    }

    /// Refetches because a token named an unknown key. Returns `None` without any request when
    /// the last fetch for this issuer is more recent than the refresh interval.
    pub async fn refresh(&self, issuer_url: &str) -> Result<Option<Arc<Jwks>>, OidcError> {
        if self.cached(issuer_url, self.refresh_interval).is_some() {
            return Ok(None);
        }
        let lock = self.fetch_lock(issuer_url);
        let _guard = lock.lock().await;
        if self.cached(issuer_url, self.refresh_interval).is_some() {
            // Refreshed by another task meanwhile: use that result.
            return Ok(self.cached(issuer_url, self.ttl));
        }
        self.fetch(issuer_url).await.map(Some)
    }
}

type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

fn system_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Authenticates ID tokens: issuer lookup, keys from the cache, verification, principal.
pub struct Verifier {
    config: Arc<IssuerConfig>,
    cache: JwksCache,
    clock: Clock,
    max_skew_secs: i64,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("config", &self.config)
            .field("cache", &self.cache)
            .field("max_skew_secs", &self.max_skew_secs)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier using the system clock and [`DEFAULT_MAX_SKEW_SECS`].
    pub fn new(config: Arc<IssuerConfig>, cache: JwksCache) -> Self {
        Self {
            config,
            cache,
            clock: Arc::new(system_clock),
            max_skew_secs: DEFAULT_MAX_SKEW_SECS,
        }
    }

    /// Replaces the clock (seconds since the Unix epoch), e.g. for tests.
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Changes the allowed clock skew.
    pub fn with_max_skew_secs(mut self, secs: i64) -> Self {
        self.max_skew_secs = secs;
        self
    }

    /// The issuer configuration.
    pub fn config(&self) -> &IssuerConfig {
        &self.config
    }

    /// The key cache.
    pub fn cache(&self) -> &JwksCache {
        &self.cache
    }

    /// Verifies `token` and returns the issuer entry that accepted it with the principal.
    /// Only tokens whose `iss` matches a configured issuer cause network requests.
    pub async fn authenticate(&self, token: &str) -> Result<(Issuer, Principal), OidcError> {
        let iss = unverified_issuer(token)?;
        let issuer = self
            .config
            .find(&iss)
            .ok_or_else(|| OidcError::UnknownIssuer(iss.clone()))?;
        let now = (self.clock)();
        let jwks = self.cache.get(&iss).await?;
        let claims = match verify(token, issuer, &jwks, now, self.max_skew_secs) {
            Err(OidcError::UnknownKey) => match self.cache.refresh(&iss).await? {
                Some(fresh) => verify(token, issuer, &fresh, now, self.max_skew_secs)?,
                None => return Err(OidcError::UnknownKey),
            },
            other => other?,
        };
        let principal = Principal::from_claims(issuer, &self.config, &claims)?;
        Ok((issuer.clone(), principal))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::config::IssuerType;
    use crate::dev::DevIssuer;
    use crate::principal::San;
    use axum::Router;
    use axum::extract::State;
    use axum::routing::get;
    use serde_json::{Map, json};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Served {
        discovery: Mutex<Value>,
        jwks: Mutex<Value>,
        jwks_hits: AtomicUsize,
    }

    /// A tiny OIDC provider on 127.0.0.1 serving whatever `Served` holds.
    async fn serve() -> (String, Arc<Served>) {
        let served = Arc::new(Served::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let url = format!("http://{addr}");
        // Same server, reached under another host name: must not be followed.
        let cross_host = format!(
            "http://localhost:{}/.well-known/openid-configuration",
            addr.port()
        );
        let same_host = format!("{url}/.well-known/openid-configuration");
        let app = Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(|State(s): State<Arc<Served>>| async move {
                    axum::Json(s.discovery.lock().unwrap().clone())
                }),
            )
            .route(
                "/.well-known/jwks.json",
                get(|State(s): State<Arc<Served>>| async move {
                    s.jwks_hits.fetch_add(1, Ordering::SeqCst);
                    axum::Json(s.jwks.lock().unwrap().clone())
                }),
            )
            .route(
                "/big/.well-known/openid-configuration",
                get(|| async { "x".repeat(100_000) }),
            )
            .route(
                "/redirect/.well-known/openid-configuration",
                get(move || async move { axum::response::Redirect::temporary(&cross_host) }),
            )
            .route(
                "/same",
                get(move || async move { axum::response::Redirect::temporary(&same_host) }),
            )
            .with_state(served.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, served)
    }

    fn publish(served: &Served, dev: &DevIssuer) {
        *served.discovery.lock().unwrap() = dev.discovery_json();
        *served.jwks.lock().unwrap() = dev.jwks_json();
    }

    fn verifier(dev: &DevIssuer, refresh: Duration) -> Verifier {
        let mut cfg = IssuerConfig::default();
        cfg.add_issuer(dev.issuer_config(IssuerType::Email))
            .unwrap();
        let cache = JwksCache::new(http_client().unwrap()).with_timing(DEFAULT_JWKS_TTL, refresh);
        Verifier::new(Arc::new(cfg), cache)
    }

    fn now() -> i64 {
        system_clock()
    }

    #[tokio::test]
    async fn authenticate_over_http() {
        let (url, served) = serve().await;
        let dev = DevIssuer::generate(&url).unwrap();
        publish(&served, &dev);
        let v = verifier(&dev, DEFAULT_REFRESH_INTERVAL);
        let token = dev
            .mint(
                "u1",
                Some("dev@example.com"),
                "sigstore",
                now(),
                300,
                Map::new(),
            )
            .unwrap();
        let (issuer, p) = v.authenticate(&token).await.unwrap();
        assert_eq!(issuer.url().as_str(), url);
        assert_eq!(p.san(), &San::Email("dev@example.com".into()));
        assert_eq!(p.name(), "dev@example.com");
        // Second call: served from the cache.
        v.authenticate(&token).await.unwrap();
        assert_eq!(served.jwks_hits.load(Ordering::SeqCst), 1);
        // Unknown issuer: rejected before any request.
        let other = DevIssuer::generate("https://unknown.example").unwrap();
        let t = other
            .mint(
                "u",
                Some("a@example.com"),
                "sigstore",
                now(),
                300,
                Map::new(),
            )
            .unwrap();
        assert_eq!(
            v.authenticate(&t).await.err(),
            Some(OidcError::UnknownIssuer("https://unknown.example".into()))
        );
        // Expired token is still rejected with keys from the cache.
        let old = dev
            .mint(
                "u1",
                Some("dev@example.com"),
                "sigstore",
                now() - 1000,
                300,
                Map::new(),
            )
            .unwrap();
        assert_eq!(v.authenticate(&old).await.err(), Some(OidcError::Expired));
        // The clock is injectable.
        let v = verifier(&dev, DEFAULT_REFRESH_INTERVAL)
            .with_clock(|| 0)
            .with_max_skew_secs(0);
        let t = dev
            .mint(
                "u1",
                Some("dev@example.com"),
                "sigstore",
                100,
                300,
                Map::new(),
            )
            .unwrap();
        assert_eq!(v.authenticate(&t).await.err(), Some(OidcError::NotYetValid));
    }

    #[tokio::test]
    async fn unknown_kid_refetches_at_most_once_per_interval() {
        let (url, served) = serve().await;
        let dev = DevIssuer::generate(&url).unwrap();
        publish(&served, &dev);
        let v = verifier(&dev, Duration::from_secs(30));
        let t = dev
            .mint(
                "u",
                Some("a@example.com"),
                "sigstore",
                now(),
                300,
                Map::new(),
            )
            .unwrap();
        v.authenticate(&t).await.unwrap();
        // The provider rotates its key.
        let rotated =
            DevIssuer::from_pkcs8_pem(&url, &DevIssuer::generate(&url).unwrap().to_pkcs8_pem())
                .unwrap();
        publish(&served, &rotated);
        let t2 = rotated
            .mint(
                "u",
                Some("a@example.com"),
                "sigstore",
                now(),
                300,
                Map::new(),
            )
            .unwrap();
        // Fetched less than 30 s ago: no refetch, the key stays unknown.
        assert_eq!(v.authenticate(&t2).await.err(), Some(OidcError::UnknownKey));
        assert_eq!(v.authenticate(&t2).await.err(), Some(OidcError::UnknownKey));
        assert_eq!(served.jwks_hits.load(Ordering::SeqCst), 1);

        // With a zero interval the unknown kid triggers exactly one refetch, which finds it.
        let v = verifier(&dev, Duration::ZERO);
        // The old key is no longer published: initial fetch, then one refetch, both without it.
        v.authenticate(&t).await.unwrap_err();
        let hits = served.jwks_hits.load(Ordering::SeqCst);
        assert_eq!(hits, 3); // initial fetch + one refetch for the unknown kid
        v.authenticate(&t2).await.unwrap();
        assert_eq!(served.jwks_hits.load(Ordering::SeqCst), hits);
    }

    #[tokio::test]
    async fn discovery_checks() {
        let (url, served) = serve().await;
        let dev = DevIssuer::generate(&url).unwrap();
        publish(&served, &dev);
        let client = http_client().unwrap();
        let p = Provider::discover(&url, &client).await.unwrap();
        assert_eq!(p.issuer(), url);
        assert_eq!(p.jwks_uri(), format!("{url}/.well-known/jwks.json"));
        assert_eq!(p.fetch_jwks(&client).await.unwrap().len(), 1);
        // Trailing slash on the configured URL: the discovery issuer no longer matches exactly.
        assert!(matches!(
            Provider::discover(&format!("{url}/"), &client).await,
            Err(OidcError::Discovery(_))
        ));
        // Issuer mismatch.
        served.discovery.lock().unwrap()["issuer"] = json!("https://evil.example");
        assert!(matches!(
            Provider::discover(&url, &client).await,
            Err(OidcError::Discovery(_))
        ));
        // Too large, redirect to another host, 404, nothing listening.
        for bad in [
            format!("{url}/big"),
            format!("{url}/redirect"),
            format!("{url}/nope"),
        ] {
            assert!(
                matches!(
                    Provider::discover(&bad, &client).await,
                    Err(OidcError::Discovery(_))
                ),
                "{bad}"
            );
        }
        // Cross-host redirects are refused (a default client would follow this one).
        let cross = format!("{url}/redirect/.well-known/openid-configuration");
        assert!(
            get_limited(&reqwest::Client::new(), &cross, 1000)
                .await
                .is_ok()
        );
        assert!(get_limited(&client, &cross, 1000).await.is_err());
        // Same-host redirects are followed.
        assert!(
            get_limited(&client, &format!("{url}/same"), 1000)
                .await
                .is_ok()
        );
        assert!(matches!(
            Provider::discover("http://127.0.0.1:9", &client).await,
            Err(OidcError::Discovery(_))
        ));
        let v = verifier(&dev, DEFAULT_REFRESH_INTERVAL);
        let t = dev
            .mint(
                "u",
                Some("a@example.com"),
                "sigstore",
                now(),
                300,
                Map::new(),
            )
            .unwrap();
        assert!(matches!(
            v.authenticate(&t).await,
            Err(OidcError::Discovery(_))
        ));
    }

    #[test]
    fn discovery_document_rules() {
        let ok = json!({"issuer": "https://a.example", "jwks_uri": "https://keys.example/jwks"});
        assert!(Provider::from_document("https://a.example", ok.to_string().as_bytes()).is_ok());
        for bad in [
            json!({"issuer": "https://a.example/", "jwks_uri": "https://a.example/k"}),
            json!({"jwks_uri": "https://a.example/k"}),
            json!({"issuer": "https://a.example"}),
            json!({"issuer": "https://a.example", "jwks_uri": "http://a.example/k"}),
            json!({"issuer": "https://a.example", "jwks_uri": "file:///etc/passwd"}),
            json!(["https://a.example"]),
        ] {
            assert!(
                Provider::from_document("https://a.example", bad.to_string().as_bytes()).is_err(),
                "{bad}"
            );
        }
        let local = json!({"issuer": "http://127.0.0.1:5", "jwks_uri": "http://127.0.0.1:5/k"});
        assert!(
            Provider::from_document("http://127.0.0.1:5", local.to_string().as_bytes()).is_ok()
        );
    }

    #[tokio::test]
    async fn preloaded_keys_need_no_network() {
        let dev = DevIssuer::generate("http://127.0.0.1:9").unwrap();
        let v = verifier(&dev, DEFAULT_REFRESH_INTERVAL);
        v.cache().insert(
            dev.issuer_url(),
            Jwks::from_json(dev.jwks_json().to_string().as_bytes()).unwrap(),
        );
        let t = dev
            .mint(
                "u",
                Some("a@example.com"),
                "sigstore",
                now(),
                300,
                Map::new(),
            )
            .unwrap();
        let (_, p) = v.authenticate(&t).await.unwrap();
        assert_eq!(p.cert_issuer(), "http://127.0.0.1:9");
    }
}
