//! The providers, one wire protocol each (see the crate documentation for the table).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;
use signet_client::http;
use signet_types::limits::FileLimit;
use tokio::io::AsyncReadExt as _;

use crate::{Env, IdentityError, IdentityToken, MAX_TOKEN_ANSWER, Settings};

/// An ambient token provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Provider {
    /// `SIGSTORE_ID_TOKEN` (GitLab CI's `id_tokens:` and any CI that exports it).
    EnvVar,
    /// A token file: a Kubernetes projected service-account token.
    Filesystem,
    /// GitHub Actions' OIDC token service.
    GithubActions,
    /// `buildkite-agent oidc request-token`.
    BuildkiteAgent,
    /// An identity token for the service account `GOOGLE_SERVICE_ACCOUNT_NAME`, through IAM
    /// Credentials `generateIdToken` with the attached identity's access token.
    GoogleImpersonate,
    /// The Google Cloud metadata server's identity token for the attached service account.
    GoogleWorkloadIdentity,
    /// A JWT-SVID from the SPIFFE Workload API (a SPIRE agent's unix socket).
    Spiffe,
}

const TOKEN_FILE: FileLimit = FileLimit::new("identity token file", MAX_TOKEN_ANSWER);

impl Provider {
    /// Every provider, in detection order.
    pub const ALL: [Provider; 7] = [
        Self::EnvVar,
        Self::Filesystem,
        Self::GithubActions,
        Self::BuildkiteAgent,
        Self::GoogleImpersonate,
        Self::GoogleWorkloadIdentity,
        Self::Spiffe,
    ];

    /// cosign's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::EnvVar => "envvar",
            Self::Filesystem => "filesystem",
            Self::GithubActions => "github-actions",
            Self::BuildkiteAgent => "buildkite-agent",
            Self::GoogleImpersonate => "google-impersonate",
            Self::GoogleWorkloadIdentity => "google-workload-identity",
            Self::Spiffe => "spiffe",
        }
    }

    /// Every name, in detection order.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|p| p.name()).collect()
    }

    /// The provider called `name` (cosign's names; `kubernetes` is also the token file).
    pub fn from_name(name: &str) -> Result<Self, IdentityError> {
        if name == "kubernetes" {
            return Ok(Self::Filesystem);
        }
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| IdentityError::UnknownProvider(name.into()))
    }

    /// Whether this environment offers the provider (no network access).
    pub fn enabled(self, env: &Env, settings: &Settings) -> bool {
        match self {
            Self::EnvVar => env.var("SIGSTORE_ID_TOKEN").is_some(),
            Self::Filesystem => settings.token_file(env).is_file(),
            Self::GithubActions => {
                env.nonempty("ACTIONS_ID_TOKEN_REQUEST_URL").is_some()
                    && env.nonempty("ACTIONS_ID_TOKEN_REQUEST_TOKEN").is_some()
            }
            Self::BuildkiteAgent => env.var("BUILDKITE").is_some(),
            Self::GoogleImpersonate => env.nonempty(GOOGLE_SERVICE_ACCOUNT_NAME).is_some(),
            Self::GoogleWorkloadIdentity => {
                env.nonempty("GCE_METADATA_HOST").is_some() || on_google(&env.dmi_product_name)
            }
            Self::Spiffe => crate::spiffe::enabled(env),
        }
    }

    /// Fetches a token (not yet checked: see [`crate::check_token`]).
    pub async fn fetch(
        self,
        env: &Env,
        settings: &Settings,
    ) -> Result<IdentityToken, IdentityError> {
        let err = |why: String| IdentityError::of(self, why);
        let raw = match self {
            Self::EnvVar => env
                .var("SIGSTORE_ID_TOKEN")
                .ok_or("SIGSTORE_ID_TOKEN is not set")
                .map_err(|e| err(e.into()))?
                .to_owned(),
            Self::Filesystem => {
                let path = settings.token_file(env);
                signet_crypto::read_capped_string(&path, TOKEN_FILE)
                    .map_err(|e| err(e.to_string()))?
            }
            Self::GithubActions => github(env, settings).await.map_err(err)?,
            Self::BuildkiteAgent => buildkite(env, settings).await.map_err(err)?,
            Self::GoogleImpersonate => google_impersonate(env, settings).await.map_err(err)?,
            Self::GoogleWorkloadIdentity => google(env, settings).await.map_err(err)?,
            Self::Spiffe => crate::spiffe::fetch(env, settings).await.map_err(err)?,
        };
        let token = raw.trim();
        if token.is_empty() {
            return Err(err("the token is empty".into()));
        }
        Ok(IdentityToken(token.to_owned()))
    }
}

/// Whether the DMI product name says this is a Google VM (no network probe).
fn on_google(dmi: &Path) -> bool {
    std::fs::read(dmi).is_ok_and(|b| {
        matches!(
            String::from_utf8_lossy(&b).trim(),
            "Google" | "Google Compute Engine"
        )
    })
}

/// Sends `req` to `url`, requires a 200 and reads at most [`MAX_TOKEN_ANSWER`] bytes.
async fn get(
    req: reqwest::RequestBuilder,
    url: &str,
    settings: &Settings,
) -> Result<(reqwest::header::HeaderMap, Vec<u8>), String> {
    let resp = http::send(req, url, &settings.http)
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status();
    if status != reqwest::StatusCode::OK {
        return Err(format!("{url} answered {status}"));
    }
    let headers = resp.headers().clone();
    let body = http::read_limited(resp, url, MAX_TOKEN_ANSWER, &settings.http)
        .await
        .map_err(|e| e.to_string())?;
    Ok((headers, body))
}

fn client(url: &str, settings: &Settings) -> Result<reqwest::Client, String> {
    http::client_for(url, &settings.http).map_err(|e| e.to_string())
}

/// GitHub Actions: `GET $ACTIONS_ID_TOKEN_REQUEST_URL` with `audience` added to its query
/// (the URL already carries `api-version=2.0`), `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`;
/// the answer is JSON whose `value` is the token.
async fn github(env: &Env, settings: &Settings) -> Result<String, String> {
    let need = |name: &str| {
        env.nonempty(name).ok_or_else(|| {
            format!("{name} is not set (the job needs `permissions: id-token: write`)")
        })
    };
    let (base, bearer) = (
        need("ACTIONS_ID_TOKEN_REQUEST_URL")?,
        need("ACTIONS_ID_TOKEN_REQUEST_TOKEN")?,
    );
    let mut url = reqwest::Url::parse(base)
        .map_err(|e| format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {e}"))?;
    url.query_pairs_mut()
        .append_pair("audience", &settings.audience);
    let url = url.to_string();
    let req = client(&url, settings)?
        .get(&url)
        .header(reqwest::header::AUTHORIZATION, format!("bearer {bearer}"))
        .header(reqwest::header::ACCEPT, "application/json");
    let (_, body) = get(req, &url, settings).await?;
    json_string(&body, &url, "value")
}

/// The string member `name` of the JSON object `body` answered by `url`.
fn json_string(body: &[u8], url: &str, name: &str) -> Result<String, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the answer from {url} is not JSON: {e}"))?;
    v.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("the answer from {url} has no {name:?} string"))
}

/// The service account `google-impersonate` asks an identity token for (cosign's variable).
pub const GOOGLE_SERVICE_ACCOUNT_NAME: &str = "GOOGLE_SERVICE_ACCOUNT_NAME";

/// Overrides the IAM Service Account Credentials API's base URL (default
/// [`IAM_CREDENTIALS_URL`]); `https`, or `http` on a loopback address only (tests).
pub const SIGNET_IAM_CREDENTIALS_URL: &str = "SIGNET_IAM_CREDENTIALS_URL";

/// The IAM Service Account Credentials API.
pub const IAM_CREDENTIALS_URL: &str = "https://iamcredentials.googleapis.com";

/// The scope of the access token asked from the metadata server (what Google's libraries ask
/// for to call IAM Credentials).
const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// The metadata server's base URL (`GCE_METADATA_HOST` overrides the host, as Google's client
/// libraries allow).
fn metadata_base(env: &Env) -> String {
    let host = env
        .nonempty("GCE_METADATA_HOST")
        .unwrap_or("metadata.google.internal");
    format!("http://{host}/computeMetadata/v1/instance/service-accounts/default")
}

/// A metadata-server GET (`Metadata-Flavor: Google` both ways) of `path` under the default
/// service account, with `query`.
async fn metadata_get(
    env: &Env,
    settings: &Settings,
    path: &str,
    query: &[(&str, &str)],
) -> Result<(String, Vec<u8>), String> {
    let base = metadata_base(env);
    let mut url = reqwest::Url::parse(&format!("{base}/{path}"))
        .map_err(|e| format!("GCE_METADATA_HOST does not make a URL ({base}): {e}"))?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    let url = url.to_string();
    let req = client(&url, settings)?
        .get(&url)
        .header("Metadata-Flavor", "Google");
    let (headers, body) = get(req, &url, settings).await?;
    if headers.get("Metadata-Flavor").and_then(|v| v.to_str().ok()) != Some("Google") {
        return Err(format!(
            "{url} is not a Google metadata server (no Metadata-Flavor: Google in its answer)"
        ));
    }
    Ok((url, body))
}

/// Google service-account impersonation, as cosign's `google-impersonate` (Google's
/// `impersonate.IDTokenSource` with `IncludeEmail`): the attached identity's access token from
/// the metadata server (`…/default/token?scopes=cloud-platform`), then
/// `POST {IAM}/v1/projects/-/serviceAccounts/{SA}:generateIdToken` with
/// `Authorization: Bearer <access token>` and `{"audience": "sigstore", "includeEmail": true}`;
/// the answer's `token`.
async fn google_impersonate(env: &Env, settings: &Settings) -> Result<String, String> {
    let sa = env
        .nonempty(GOOGLE_SERVICE_ACCOUNT_NAME)
        .ok_or_else(|| format!("{GOOGLE_SERVICE_ACCOUNT_NAME} is not set"))?;
    if sa.contains(['/', '?', '#', ' ']) || sa.chars().any(char::is_control) {
        return Err(format!(
            "{GOOGLE_SERVICE_ACCOUNT_NAME} {sa:?} is not a service account (NAME@PROJECT.iam.gserviceaccount.com)"
        ));
    }
    let (url, body) =
        metadata_get(env, settings, "token", &[("scopes", CLOUD_PLATFORM_SCOPE)]).await?;
    let access = json_string(&body, &url, "access_token")?;
    if access.is_empty() || access.chars().any(|c| c.is_control() || c == ' ') {
        return Err(format!("the access token from {url} is not a bearer token"));
    }
    let base = iam_base(env)?;
    let url = format!("{base}/v1/projects/-/serviceAccounts/{sa}:generateIdToken");
    let req = client(&url, settings)?
        .post(&url)
        .header(reqwest::header::AUTHORIZATION, format!("Bearer {access}"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(serde_json::json!({"audience": settings.audience, "includeEmail": true}).to_string());
    let (_, body) = get(req, &url, settings).await?;
    json_string(&body, &url, "token")
}

/// The IAM Credentials base URL: [`SIGNET_IAM_CREDENTIALS_URL`] (https, or http to a loopback
/// address) or [`IAM_CREDENTIALS_URL`].
fn iam_base(env: &Env) -> Result<String, String> {
    let Some(v) = env.nonempty(SIGNET_IAM_CREDENTIALS_URL) else {
        return Ok(IAM_CREDENTIALS_URL.to_owned());
    };
    let url = reqwest::Url::parse(v)
        .map_err(|e| format!("{SIGNET_IAM_CREDENTIALS_URL} {v:?} is not a URL: {e}"))?;
    let host = url.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback());
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        return Err(format!(
            "{SIGNET_IAM_CREDENTIALS_URL} {v:?} must be https (http only to a loopback address): the access token is sent to it"
        ));
    }
    Ok(v.trim_end_matches('/').to_owned())
}

/// Google Cloud: the metadata server's identity token for the default service account
/// (`format=full`, which carries the `email` claim), `Metadata-Flavor: Google` both ways.
/// `GCE_METADATA_HOST` overrides the host, as Google's client libraries allow.
async fn google(env: &Env, settings: &Settings) -> Result<String, String> {
    let query = [("audience", settings.audience.as_str()), ("format", "full")];
    let (url, body) = metadata_get(env, settings, "identity", &query).await?;
    String::from_utf8(body).map_err(|_| format!("the answer from {url} is not text"))
}

/// Buildkite: `buildkite-agent oidc request-token --audience A` (found on `PATH`), its stdout.
async fn buildkite(env: &Env, settings: &Settings) -> Result<String, String> {
    const AGENT: &str = "buildkite-agent";
    let program = on_path(env, AGENT)
        .ok_or_else(|| format!("{AGENT} is not on PATH in this Buildkite environment"))?;
    let mut child = tokio::process::Command::new(&program)
        .args(["oidc", "request-token", "--audience", &settings.audience])
        .env_clear()
        .envs(env.vars())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(format!("cannot read the output of {AGENT}"));
    };
    let run = async {
        let (mut out, mut errs) = (Vec::new(), Vec::new());
        let (mut so, mut se) = (stdout.take(MAX_TOKEN_ANSWER + 1), stderr.take(4096));
        let (a, b) = tokio::join!(so.read_to_end(&mut out), se.read_to_end(&mut errs));
        a.and(b)?;
        let status = child.wait().await?;
        std::io::Result::Ok((status, out, errs))
    };
    let (status, out, errs) = tokio::time::timeout(settings.http.timeout, run)
        .await
        .map_err(|_| {
            format!(
                "{AGENT} did not answer within {} s",
                settings.http.timeout.as_secs_f64()
            )
        })?
        .map_err(|e| format!("running {AGENT}: {e}"))?;
    if !status.success() {
        let msg = String::from_utf8_lossy(&errs);
        let first = msg.lines().next().unwrap_or("").trim();
        return Err(format!("{AGENT} failed ({status}): {first}"));
    }
    if u64::try_from(out.len()).unwrap_or(u64::MAX) > MAX_TOKEN_ANSWER {
        return Err(format!(
            "{AGENT} printed more than {MAX_TOKEN_ANSWER} bytes"
        ));
    }
    String::from_utf8(out).map_err(|_| format!("{AGENT} printed something that is not text"))
}

/// The first executable file called `name` in the environment's `PATH`.
fn on_path(env: &Env, name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    std::env::split_paths(env.var("PATH")?)
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}
