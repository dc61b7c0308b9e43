//! Identity tokens where signing happens: the **ambient** OIDC credentials of CI systems and
//! clouds, found without any flag, in cosign's order and with its environment variables.
//!
//! | order | name (`--oidc-provider`) | enabled when | token from |
//! |---|---|---|---|
//! | 1 | `envvar` | `SIGSTORE_ID_TOKEN` is set (GitLab `id_tokens:`, any CI) | the variable |
//! | 2 | `filesystem` | the token file exists (default [`DEFAULT_TOKEN_FILE`], a Kubernetes projected service-account token; `SIGNET_OIDC_TOKEN_FILE` or `--oidc-token-file` override) | the file, read at use time |
//! | 3 | `github-actions` | `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN` are non-empty | `GET $URL&audience=sigstore`, `Authorization: bearer $TOKEN`, JSON `{"value": …}` |
//! | 4 | `buildkite-agent` | `BUILDKITE` is set | `buildkite-agent oidc request-token --audience sigstore` |
//! | 5 | `google-impersonate` | `GOOGLE_SERVICE_ACCOUNT_NAME` is set (a service account to impersonate) | the metadata server's access token (`…/service-accounts/default/token?scopes=…/cloud-platform`), then IAM Credentials `POST /v1/projects/-/serviceAccounts/$NAME:generateIdToken` (`Authorization: Bearer`, `{"audience":"sigstore","includeEmail":true}`), JSON `{"token": …}`; base URL `SIGNET_IAM_CREDENTIALS_URL` (https, or http to loopback) |
//! | 6 | `google-workload-identity` | `GCE_METADATA_HOST` is set, or the machine's DMI product name is `Google` / `Google Compute Engine` | the metadata server's `…/service-accounts/default/identity?audience=sigstore&format=full`, `Metadata-Flavor: Google` |
//! | 7 | `spiffe` | the Workload API socket exists: `SPIFFE_ENDPOINT_SOCKET` (`unix:///path`, or cosign's plain path), else [`DEFAULT_SPIFFE_SOCKET`] | gRPC `SpiffeWorkloadAPI/FetchJWTSVID` over HTTP/2 on the socket, `workload.spiffe.io: true`, audience `sigstore`; the first JWT-SVID (its `sub` = the SPIFFE ID the agent names) |
//!
//! This is cosign's effective registration order (its providers register in Go package
//! initialisation order: `envvar`, `filesystem`, `github-actions`, `buildkite-agent`, then the
//! Google ones, then `spiffe`), with one deliberate change: cosign registers
//! `google-impersonate` after `google-workload-identity`, but enables the latter only after a
//! trial token fetch succeeds — so in Cloud Build, whose metadata server refuses identity
//! tokens without an extra role, cosign reaches impersonation. signet makes no trial fetches
//! (no network access to decide what is enabled), so it puts the explicit
//! `GOOGLE_SERVICE_ACCOUNT_NAME` first. The first **enabled** provider is used; when it fails,
//! that is the error (no silent fall-through to another identity). Every token is checked
//! before use ([`check_token`]): three parts, an `exp` in the future, `nbf` not in the future,
//! and the audience (`aud`, a string or a list) containing the requested one; a failure names
//! the provider, and nothing is signed. Tokens are held in [`IdentityToken`], whose `Debug`
//! does not show them, and are never written anywhere.
//!
//! Interactive login (browser with PKCE, or the device grant) is in [`login`].

pub mod login;
mod providers;
mod spiffe;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
pub use signet_client::http::HttpOptions;

pub use providers::{
    GOOGLE_SERVICE_ACCOUNT_NAME, IAM_CREDENTIALS_URL, Provider, SIGNET_IAM_CREDENTIALS_URL,
};
pub use spiffe::{
    DEFAULT_SPIFFE_SOCKET, FETCH_JWT_SVID_PATH, SECURITY_HEADER, SPIFFE_ENDPOINT_SOCKET,
};

/// The audience every provider asks for (cosign's constant).
pub const SIGSTORE_AUDIENCE: &str = "sigstore";

/// cosign's token file, where a pod spec mounts a projected service-account token with
/// audience `sigstore`.
pub const DEFAULT_TOKEN_FILE: &str = "/var/run/sigstore/cosign/oidc-token";

/// Where Linux shows the machine's product name (a Google VM says `Google Compute Engine`).
pub const DMI_PRODUCT_NAME: &str = "/sys/class/dmi/id/product_name";

/// Largest answer accepted from a token endpoint, and largest token file or command output.
pub const MAX_TOKEN_ANSWER: u64 = 64 * 1024;

/// Time allowed for one token request or command, unless [`Settings::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Seconds of clock skew tolerated when checking `nbf` (`exp` gets none: an expired token is
/// refused).
pub const NBF_LEEWAY_SECS: i64 = 60;

/// Why no usable token came from a provider.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The provider was enabled (or forced) and failed, or its token failed the checks.
    #[error("OIDC provider {provider}: {reason}")]
    Provider {
        /// The provider's name.
        provider: &'static str,
        /// What went wrong, one line.
        reason: String,
    },
    /// `--oidc-provider` named no known provider.
    #[error("unknown OIDC provider {0:?} (known: {known})", known = Provider::names().join(", "))]
    UnknownProvider(String),
}

impl IdentityError {
    fn of(provider: Provider, reason: impl Into<String>) -> Self {
        Self::Provider {
            provider: provider.name(),
            reason: reason.into(),
        }
    }
}

/// An OIDC identity token: a bearer secret. `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityToken(String);

impl IdentityToken {
    /// The compact JWT, to send to the CA.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for IdentityToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdentityToken({} bytes)", self.0.len())
    }
}

/// The environment the providers look at: variables and the two files they read (injectable,
/// so tests never touch the process environment).
#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: HashMap<String, String>,
    /// The DMI product-name file (default [`DMI_PRODUCT_NAME`]).
    pub dmi_product_name: PathBuf,
}

impl Env {
    /// The process's environment variables and the real DMI file.
    pub fn from_process() -> Self {
        Self::from_vars(std::env::vars())
    }

    /// These variables (and the real DMI file path).
    pub fn from_vars<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            dmi_product_name: PathBuf::from(DMI_PRODUCT_NAME),
        }
    }

    /// A variable's value, if set (possibly empty).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// A variable's value, if set and not empty.
    fn nonempty(&self, name: &str) -> Option<&str> {
        self.var(name).filter(|v| !v.is_empty())
    }

    fn vars(&self) -> impl Iterator<Item = (&String, &String)> {
        self.vars.iter()
    }
}

/// What to ask for and how long to wait.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The audience requested and required (default [`SIGSTORE_AUDIENCE`]).
    pub audience: String,
    /// The token file of the `filesystem` provider (default: `SIGNET_OIDC_TOKEN_FILE`, else
    /// [`DEFAULT_TOKEN_FILE`]).
    pub token_file: Option<PathBuf>,
    /// HTTP options for token endpoints (timeouts); its total timeout also bounds commands.
    pub http: HttpOptions,
    /// The current time (Unix seconds), for the expiry check.
    pub now: i64,
}

impl Settings {
    /// Audience `sigstore`, the default token file, [`DEFAULT_TIMEOUT`] in total, at `now`.
    pub fn new(now: i64) -> Self {
        let http = HttpOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: DEFAULT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            ..HttpOptions::default()
        };
        Self {
            audience: SIGSTORE_AUDIENCE.into(),
            token_file: None,
            http,
            now,
        }
    }

    /// The same settings with every timeout at most `t`.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.http.connect_timeout = self.http.connect_timeout.min(t);
        self.http.read_timeout = self.http.read_timeout.min(t);
        self.http.timeout = t;
        self
    }

    fn token_file(&self, env: &Env) -> PathBuf {
        self.token_file
            .clone()
            .or_else(|| env.nonempty("SIGNET_OIDC_TOKEN_FILE").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_TOKEN_FILE))
    }
}

/// The first enabled provider's token (or `forced`'s), checked with [`check_token`]; `None`
/// when no provider is enabled here (and none was forced).
pub async fn ambient_token(
    env: &Env,
    settings: &Settings,
    forced: Option<Provider>,
) -> Result<Option<(Provider, IdentityToken)>, IdentityError> {
    let provider = match forced {
        Some(p) => p,
        None => match Provider::ALL.into_iter().find(|p| p.enabled(env, settings)) {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let token = provider.fetch(env, settings).await?;
    check_token(&token, &settings.audience, settings.now)
        .map_err(|why| IdentityError::of(provider, why))?;
    Ok(Some((provider, token)))
}

/// Checks a token before use, without its signature (the CA verifies that): a compact JWT with
/// an `iss`, an `exp` after `now`, no `nbf` more than [`NBF_LEEWAY_SECS`] after `now`, and an
/// `aud` (string, or list of strings) that is or contains `audience`.
pub fn check_token(token: &IdentityToken, audience: &str, now: i64) -> Result<(), String> {
    let claims = signet_types::jwt::unverified_claims(token.secret())
        .map_err(|e| format!("the token is not a JWT: {e}"))?;
    if !claims.get("iss").is_some_and(Value::is_string) {
        return Err("the token has no issuer (iss)".into());
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or("the token has no expiry (exp)")?;
    if exp <= now {
        return Err(format!(
            "the token expired {} s ago (exp {exp})",
            now.saturating_sub(exp)
        ));
    }
    if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64)
        && nbf > now.saturating_add(NBF_LEEWAY_SECS)
    {
        return Err(format!("the token is not valid before {nbf} (now {now})"));
    }
    let ok = match claims.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    if !ok {
        let got = claims.get("aud").map_or("none".into(), Value::to_string);
        return Err(format!("the token's audience is {got}, not {audience:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
