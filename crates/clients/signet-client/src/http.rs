//! The one way signet talks HTTP as a client: [`client`] builds a `reqwest::Client` with a
//! connect timeout, a read (idle) timeout, a total timeout and a redirect policy, and
//! [`LimitedBody`] reads a response while refusing more than a fixed number of bytes (the
//! `Content-Length` is checked first, but the count of bytes actually received decides).
//!
//! Every HTTP client in signet (the Rekor and Fulcio client, `signet trust URL`, `verify-blob`
//! with a `--signature`/`--certificate` URL, `verify-release URL`, OIDC discovery and JWKS)
//! is built here, so a server that streams forever or accepts and never answers costs a bounded
//! amount of memory and time.

use std::time::Duration;

use crate::ClientError;

/// Time allowed to open a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the next bytes of an answer (headers or body), reset by every read.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest time for one API request, from sending it to the last byte of the answer.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest time for downloading one file of a release (`verify-release URL`); the read
/// timeout still stops a transfer that stalls.
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(3600);
/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;
/// Largest answer of a JSON API (Rekor, Fulcio, a trust config), in bytes: the project's limit
/// for one JSON document.
pub const MAX_API_RESPONSE: u64 = signet_types::limits::MAX_JSON_DOCUMENT as u64;
/// Largest detached signature or certificate (`.sig`, `.cert`, or any key/cert material fetched
/// by URL), in bytes.
pub const MAX_MATERIAL: u64 = signet_types::limits::MAX_MATERIAL_FILE;

/// Which redirects a client follows (at most [`MAX_REDIRECTS`] in a row in both cases).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Redirects {
    /// To any host, but never from `https` to `http` (release downloads are often redirected
    /// to a storage host).
    NoDowngrade,
    /// Only to the same host (Fulcio refuses cross-host redirects for OIDC discovery).
    SameHost,
}

/// Timeouts, redirect policy and extra TLS roots of a client. [`Default`] gives
/// [`CONNECT_TIMEOUT`], [`READ_TIMEOUT`], [`TOTAL_TIMEOUT`], [`Redirects::NoDowngrade`] and the
/// system's roots only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpOptions {
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Read (idle) timeout.
    pub read_timeout: Duration,
    /// Total timeout of one request (a request can set a longer one, e.g. a large download).
    pub timeout: Duration,
    /// Redirect policy.
    pub redirects: Redirects,
    /// Certificate authorities (DER) trusted for `https` besides the system's roots (an
    /// instance's private CA: `--ca-bundle`).
    pub extra_roots: Vec<Vec<u8>>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: CONNECT_TIMEOUT,
            read_timeout: READ_TIMEOUT,
            timeout: TOTAL_TIMEOUT,
            redirects: Redirects::NoDowngrade,
            extra_roots: Vec::new(),
        }
    }
}

impl HttpOptions {
    /// The same options with another redirect policy.
    pub fn with_redirects(mut self, redirects: Redirects) -> Self {
        self.redirects = redirects;
        self
    }

    /// One line naming the limits, for error messages.
    fn describe(&self) -> String {
        format!(
            "connect {}, read {} idle, total {}",
            secs(self.connect_timeout),
            secs(self.read_timeout),
            secs(self.timeout)
        )
    }
}

fn secs(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Whether a redirect to `next`, after visiting `previous` (the first URL included), is
/// followed: `Err` says why not.
fn redirect_allowed(
    redirects: Redirects,
    previous: &[reqwest::Url],
    next: &reqwest::Url,
) -> Result<(), String> {
    if previous.len() > MAX_REDIRECTS {
        return Err(format!("more than {MAX_REDIRECTS} redirects"));
    }
    let allowed = match redirects {
        Redirects::SameHost => previous
            .first()
            .is_some_and(|f| f.host_str() == next.host_str()),
        Redirects::NoDowngrade => {
            !(next.scheme() == "http" && previous.iter().any(|u| u.scheme() == "https"))
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(format!("redirect to {next} refused"))
    }
}

fn policy(redirects: Redirects) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        match redirect_allowed(redirects, attempt.previous(), attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(why) => attempt.error(why),
        }
    })
}

/// A client with `opts`'s timeouts and redirect policy. Every signet HTTP client comes from
/// here (or [`client_for`]).
pub fn client(opts: &HttpOptions) -> Result<reqwest::Client, ClientError> {
    build(opts, true)
}

/// [`client`] for requests to `url` only: for a plain `http://` URL (loopback and development
/// instances) the platform's TLS roots are not loaded, which saves tens of milliseconds per
/// process; such a client cannot follow a redirect to `https`.
pub fn client_for(url: &str, opts: &HttpOptions) -> Result<reqwest::Client, ClientError> {
    build(opts, !url.starts_with("http://"))
}

fn build(opts: &HttpOptions, tls_roots: bool) -> Result<reqwest::Client, ClientError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(opts.connect_timeout)
        .read_timeout(opts.read_timeout)
        .timeout(opts.timeout)
        .redirect(policy(opts.redirects));
    if !tls_roots {
        builder = builder.tls_certs_only(Vec::new());
    } else if !opts.extra_roots.is_empty() {
        let extra = opts
            .extra_roots
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ClientError::Setup)?;
        builder = builder.tls_certs_merge(extra);
    }
    builder.build().map_err(ClientError::Setup)
}

/// The error for a failed request or read: a timeout names the limits that apply.
pub fn transport_error(url: &str, source: reqwest::Error, opts: &HttpOptions) -> ClientError {
    if source.is_timeout() {
        ClientError::Timeout {
            url: url.into(),
            limits: opts.describe(),
        }
    } else {
        ClientError::Http {
            url: url.into(),
            source,
        }
    }
}

/// Sends `req` (for `url`) and maps a transport failure with [`transport_error`].
pub async fn send(
    req: reqwest::RequestBuilder,
    url: &str,
    opts: &HttpOptions,
) -> Result<reqwest::Response, ClientError> {
    req.send().await.map_err(|e| transport_error(url, e, opts))
}

/// A response body read with a size limit.
#[derive(Debug)]
pub struct LimitedBody<'a> {
    resp: reqwest::Response,
    url: String,
    limit: u64,
    read: u64,
    opts: &'a HttpOptions,
}

impl<'a> LimitedBody<'a> {
    /// Starts reading `resp` (an answer from `url`); fails at once when its `Content-Length`
    /// is above `limit` bytes.
    pub fn new(
        resp: reqwest::Response,
        url: &str,
        limit: u64,
        opts: &'a HttpOptions,
    ) -> Result<Self, ClientError> {
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(ClientError::TooLarge {
                url: url.into(),
                limit,
            });
        }
        Ok(Self {
            resp,
            url: url.into(),
            limit,
            read: 0,
            opts,
        })
    }

    /// The next chunk, or `None` at the end; fails as soon as more than the limit has arrived.
    pub async fn chunk(&mut self) -> Result<Option<impl AsRef<[u8]> + use<>>, ClientError> {
        let Some(chunk) = self
            .resp
            .chunk()
            .await
            .map_err(|e| transport_error(&self.url, e, self.opts))?
        else {
            return Ok(None);
        };
        self.read = self
            .read
            .saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        if self.read > self.limit {
            return Err(ClientError::TooLarge {
                url: self.url.clone(),
                limit: self.limit,
            });
        }
        Ok(Some(chunk))
    }

    /// The whole body (at most the limit).
    pub async fn collect(mut self) -> Result<Vec<u8>, ClientError> {
        let mut body = Vec::new();
        while let Some(c) = self.chunk().await? {
            body.extend_from_slice(c.as_ref());
        }
        Ok(body)
    }
}

/// Reads all of `resp` (an answer from `url`), refusing more than `limit` bytes.
pub async fn read_limited(
    resp: reqwest::Response,
    url: &str,
    limit: u64,
    opts: &HttpOptions,
) -> Result<Vec<u8>, ClientError> {
    LimitedBody::new(resp, url, limit, opts)?.collect().await
}

/// Sends `req` (a GET of `url` by a client built from `opts`), requires a 2xx status, and
/// returns at most `limit` bytes of body.
pub async fn get_limited(
    req: reqwest::RequestBuilder,
    url: &str,
    limit: u64,
    opts: &HttpOptions,
) -> Result<Vec<u8>, ClientError> {
    let resp = send(req, url, opts).await?;
    let status = resp.status();
    if !status.is_success() {
        return Err(ClientError::Status {
            url: url.into(),
            status: status.as_u16(),
            message: status.canonical_reason().unwrap_or("").to_string(),
        });
    }
    read_limited(resp, url, limit, opts).await
}

/// GET `url` with a fresh [`client`], requiring a 2xx status and at most `limit` bytes.
pub async fn fetch(url: &str, limit: u64, opts: &HttpOptions) -> Result<Vec<u8>, ClientError> {
    let http = client(opts)?;
    get_limited(http.get(url), url, limit, opts).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn urls(v: &[&str]) -> Vec<reqwest::Url> {
        v.iter().map(|u| reqwest::Url::parse(u).unwrap()).collect()
    }

    #[test]
    fn redirect_policies() {
        let next = |u: &str| reqwest::Url::parse(u).unwrap();
        let https = urls(&["https://a.example/x"]);
        let http = urls(&["http://a.example/x"]);
        use Redirects::{NoDowngrade, SameHost};
        // Any host, any upgrade; never back to http once on https.
        assert!(redirect_allowed(NoDowngrade, &https, &next("https://cdn.example/y")).is_ok());
        assert!(redirect_allowed(NoDowngrade, &http, &next("https://cdn.example/y")).is_ok());
        assert!(redirect_allowed(NoDowngrade, &http, &next("http://cdn.example/y")).is_ok());
        assert!(redirect_allowed(NoDowngrade, &https, &next("http://a.example/y")).is_err());
        let up = urls(&["http://a.example/x", "https://a.example/x"]);
        assert!(redirect_allowed(NoDowngrade, &up, &next("http://a.example/z")).is_err());
        // Same host only.
        assert!(redirect_allowed(SameHost, &https, &next("https://a.example/y")).is_ok());
        assert!(redirect_allowed(SameHost, &https, &next("https://b.example/y")).is_err());
        // At most MAX_REDIRECTS in a row.
        let mut chain = urls(&["https://a.example/0"]);
        for i in 1..MAX_REDIRECTS {
            chain.push(next(&format!("https://a.example/{i}")));
        }
        assert_eq!(chain.len(), MAX_REDIRECTS);
        assert!(redirect_allowed(NoDowngrade, &chain, &next("https://a.example/n")).is_ok());
        chain.push(next("https://a.example/last"));
        let err = redirect_allowed(NoDowngrade, &chain, &next("https://a.example/n"));
        assert!(err.unwrap_err().contains("more than 5 redirects"));
    }
}
