//! A client of a C2SP `tlog-witness`: `POST <witness>/add-checkpoint`, answered with the
//! witness's cosignature lines (200), its latest cosigned size (409 `text/x.tlog.size`), or a
//! refusal. Each request is bounded in time (the [`HttpOptions`] given) and in answer size
//! ([`MAX_WITNESS_ANSWER`]); what the answer means is checked by `signet_tlog`
//! ([`signet_tlog::witness_cosignature`], [`signet_tlog::parse_tlog_size`]).

use crate::ClientError;
use crate::http::{self, HttpOptions};

/// The largest answer read from a witness (a few signature lines, or an error line).
pub const MAX_WITNESS_ANSWER: u64 = 16 * 1024;

/// What a witness answered to `add-checkpoint`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WitnessAnswer {
    /// 200: the body, its cosignature lines (unverified).
    Cosigned(String),
    /// 409 `text/x.tlog.size`: the old size was not the witness's latest cosigned size, which
    /// is this one.
    Conflict(u64),
    /// Any other answer: its status and (the first line of) its body.
    Refused {
        /// HTTP status.
        status: u16,
        /// What the witness said.
        message: String,
    },
}

/// A client of one witness.
#[derive(Clone, Debug)]
pub struct WitnessClient {
    url: String,
    http: reqwest::Client,
    opts: HttpOptions,
}

impl WitnessClient {
    /// A client of the witness at `base` (an `http` or `https` URL without query or fragment;
    /// requests go to `<base>/add-checkpoint`), with `opts`'s timeouts.
    pub fn new(base: &str, opts: &HttpOptions) -> Result<Self, ClientError> {
        let bad = |reason: &str| ClientError::BadUrl(format!("witness URL {base:?}: {reason}"));
        let parsed = reqwest::Url::parse(base).map_err(|e| bad(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("not an http or https URL"));
        }
        if parsed.host_str().is_none() {
            return Err(bad("no host"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad("a witness URL has no query or fragment"));
        }
        Ok(Self {
            url: format!("{}/add-checkpoint", base.trim_end_matches('/')),
            http: http::client_for(base, opts)?,
            opts: opts.clone(),
        })
    }

    /// The `add-checkpoint` URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends an `add-checkpoint` body (see `signet_tlog::AddCheckpoint::encode`).
    pub async fn add_checkpoint(&self, body: String) -> Result<WitnessAnswer, ClientError> {
        let req = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(body);
        let resp = http::send(req, &self.url, &self.opts).await?;
        let status = resp.status().as_u16();
        let size_body = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.trim().starts_with("text/x.tlog.size"));
        let bytes = http::read_limited(resp, &self.url, MAX_WITNESS_ANSWER, &self.opts).await?;
        let text = String::from_utf8(bytes).map_err(|_| ClientError::Decode {
            url: self.url.clone(),
            reason: "the witness's answer is not UTF-8".into(),
        })?;
        Ok(match status {
            200 => WitnessAnswer::Cosigned(text),
            409 if size_body => {
                WitnessAnswer::Conflict(signet_tlog::parse_tlog_size(&text).map_err(|e| {
                    ClientError::Decode {
                        url: self.url.clone(),
                        reason: e.to_string(),
                    }
                })?)
            }
            _ => WitnessAnswer::Refused {
                status,
                message: text
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect(),
            },
        })
    }
}
