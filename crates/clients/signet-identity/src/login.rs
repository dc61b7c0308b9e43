//! Interactive login at an OIDC issuer, for people signing at their desks: the authorization
//! code flow with PKCE (`S256`) and a loopback redirect listener on 127.0.0.1 (random port,
//! `state` and `nonce` checked, bounded wait), or the device authorization grant (RFC 8628) for
//! machines without a browser. The token is kept in memory only and checked like an ambient one
//! ([`crate::check_token`], audience = the client id).

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use signet_client::http::{self, HttpOptions};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::{IdentityError, IdentityToken, MAX_TOKEN_ANSWER, check_token};

/// The name errors of the browser flow carry.
pub const CODE_FLOW: &str = "interactive login";
/// The name errors of the device flow carry.
pub const DEVICE_FLOW: &str = "device login";
/// Default time to wait for the browser or the device approval (`signet`'s
/// `--oidc-login-timeout` default).
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(120);

/// Where and how to log in.
#[derive(Clone, Debug)]
pub struct LoginSettings {
    /// The issuer URL (its discovery document is `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    /// The OAuth client id, also the token audience required (default `sigstore`).
    pub client_id: String,
    /// Longest wait for the person (browser redirect, device approval).
    pub wait: Duration,
    /// HTTP options for the issuer's endpoints.
    pub http: HttpOptions,
    /// The current time, for the token check.
    pub now: fn() -> i64,
}

fn fail(flow: &'static str, why: impl Into<String>) -> IdentityError {
    IdentityError::Provider {
        provider: flow,
        reason: why.into(),
    }
}

fn random_b64(n: usize) -> String {
    let bytes: Vec<u8> = (0..n).map(|_| rand::random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

struct Endpoints {
    authorization: Option<String>,
    token: String,
    device: Option<String>,
}

async fn discover(s: &LoginSettings, flow: &'static str) -> Result<Endpoints, IdentityError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        s.issuer.trim_end_matches('/')
    );
    let body = http::fetch(&url, MAX_TOKEN_ANSWER, &s.http)
        .await
        .map_err(|e| fail(flow, e.to_string()))?;
    let doc: Value = serde_json::from_slice(&body).map_err(|e| {
        fail(
            flow,
            format!("the discovery document {url} is not JSON: {e}"),
        )
    })?;
    let field = |n: &str| doc.get(n).and_then(Value::as_str).map(str::to_owned);
    Ok(Endpoints {
        authorization: field("authorization_endpoint"),
        token: field("token_endpoint")
            .ok_or_else(|| fail(flow, format!("{url} names no token_endpoint")))?,
        device: field("device_authorization_endpoint"),
    })
}

/// POSTs `form` to `url`; the JSON answer and its status.
async fn post_form(
    s: &LoginSettings,
    url: &str,
    form: &[(&str, &str)],
    flow: &'static str,
) -> Result<(u16, Value), IdentityError> {
    let client = http::client_for(url, &s.http).map_err(|e| fail(flow, e.to_string()))?;
    let resp = http::send(client.post(url).form(form), url, &s.http)
        .await
        .map_err(|e| fail(flow, e.to_string()))?;
    let status = resp.status().as_u16();
    let body = http::read_limited(resp, url, MAX_TOKEN_ANSWER, &s.http)
        .await
        .map_err(|e| fail(flow, e.to_string()))?;
    let v = serde_json::from_slice(&body).map_err(|_| {
        fail(
            flow,
            format!("{url} answered {status} with something that is not JSON"),
        )
    })?;
    Ok((status, v))
}

fn oauth_error(v: &Value) -> String {
    let e = v
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("unknown_error");
    match v.get("error_description").and_then(Value::as_str) {
        Some(d) => format!("{e} ({d})"),
        None => e.to_owned(),
    }
}

/// The checked `id_token` of a token answer.
fn id_token(
    s: &LoginSettings,
    v: &Value,
    nonce: Option<&str>,
    flow: &'static str,
) -> Result<IdentityToken, IdentityError> {
    let tok = v
        .get("id_token")
        .and_then(Value::as_str)
        .ok_or_else(|| fail(flow, "the token answer has no id_token"))?;
    let token = IdentityToken(tok.to_owned());
    check_token(&token, &s.client_id, (s.now)()).map_err(|why| fail(flow, why))?;
    if let Some(n) = nonce {
        let claims = signet_types::jwt::unverified_claims(tok).map_err(|e| fail(flow, e.0))?;
        if claims.get("nonce").and_then(Value::as_str) != Some(n) {
            return Err(fail(
                flow,
                "the token's nonce is not the one this login sent",
            ));
        }
    }
    Ok(token)
}

/// The authorization code flow with PKCE: `show` gets the URL to open (it prints it and starts
/// a browser if it can); the redirect comes back to a listener on 127.0.0.1.
pub async fn code_flow(
    s: &LoginSettings,
    show: impl FnOnce(&str),
) -> Result<IdentityToken, IdentityError> {
    let f = CODE_FLOW;
    let ep = discover(s, f).await?;
    let auth = ep
        .authorization
        .ok_or_else(|| fail(f, "the issuer has no authorization_endpoint"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| fail(f, format!("cannot listen on 127.0.0.1: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| fail(f, e.to_string()))?
        .port();
    let redirect = format!("http://127.0.0.1:{port}/auth/callback");
    let (verifier, state, nonce) = (random_b64(32), random_b64(16), random_b64(16));
    let challenge = URL_SAFE_NO_PAD.encode(signet_crypto::sha256(verifier.as_bytes()).as_bytes());
    let mut url = reqwest::Url::parse(&auth)
        .map_err(|e| fail(f, format!("authorization_endpoint {auth:?}: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &s.client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("scope", "openid email")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    show(url.as_str());
    let code = tokio::time::timeout(s.wait, callback(&listener, &state))
        .await
        .map_err(|_| {
            fail(
                f,
                format!("no redirect to {redirect} within {} s", s.wait.as_secs()),
            )
        })??;
    let (status, v) = post_form(
        s,
        &ep.token,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", &verifier),
            ("client_id", &s.client_id),
        ],
        f,
    )
    .await?;
    if status != 200 {
        return Err(fail(
            f,
            format!("the token endpoint refused the code: {}", oauth_error(&v)),
        ));
    }
    id_token(s, &v, Some(&nonce), f)
}

/// Waits for the redirect to `/auth/callback`; other requests (a browser's `/favicon.ico`) get
/// a 404. The `state` must be ours.
async fn callback(
    listener: &tokio::net::TcpListener,
    state: &str,
) -> Result<String, IdentityError> {
    let f = CODE_FLOW;
    loop {
        let (mut sock, _) = listener
            .accept()
            .await
            .map_err(|e| fail(f, e.to_string()))?;
        let Ok(Ok(head)) =
            tokio::time::timeout(Duration::from_secs(10), read_head(&mut sock)).await
        else {
            continue;
        };
        let target = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("");
        let Ok(url) = reqwest::Url::parse(&format!("http://127.0.0.1{target}")) else {
            continue;
        };
        if url.path() != "/auth/callback" {
            let _ = reply(&mut sock, "404 Not Found", "not here").await;
            continue;
        }
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        let outcome = if q.get("state").map(String::as_str) != Some(state) {
            Err(fail(
                f,
                "the redirect's state does not match this login's (refused)",
            ))
        } else if let Some(e) = q.get("error") {
            Err(fail(f, format!("the issuer refused the login: {e}")))
        } else {
            q.get("code")
                .cloned()
                .ok_or_else(|| fail(f, "the redirect carries no code"))
        };
        let (status, text) = match &outcome {
            Ok(_) => ("200 OK", "Signed in to signet. You can close this window."),
            Err(_) => ("400 Bad Request", "signet: login failed; see the terminal."),
        };
        let _ = reply(&mut sock, status, text).await;
        return outcome;
    }
}

async fn read_head(sock: &mut tokio::net::TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

async fn reply(sock: &mut tokio::net::TcpStream, status: &str, text: &str) -> std::io::Result<()> {
    let body = format!("<!doctype html><html><body><p id=\"signet\">{text}</p></body></html>");
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    sock.write_all(head.as_bytes()).await?;
    sock.write_all(body.as_bytes()).await?;
    sock.shutdown().await
}

/// The device authorization grant: `show` gets the line telling the person where to approve;
/// polls the token endpoint at the issuer's `interval` (5 s more after each `slow_down`) until
/// approval, denial, expiry or [`LoginSettings::wait`].
pub async fn device_flow(
    s: &LoginSettings,
    show: impl FnOnce(&str),
) -> Result<IdentityToken, IdentityError> {
    let f = DEVICE_FLOW;
    let ep = discover(s, f).await?;
    let device = ep
        .device
        .ok_or_else(|| fail(f, "the issuer has no device_authorization_endpoint"))?;
    let (status, v) = post_form(
        s,
        &device,
        &[("client_id", &s.client_id), ("scope", "openid email")],
        f,
    )
    .await?;
    if status != 200 {
        return Err(fail(f, format!("the issuer refused: {}", oauth_error(&v))));
    }
    let str_of = |n: &str| v.get(n).and_then(Value::as_str).map(str::to_owned);
    let device_code = str_of("device_code").ok_or_else(|| fail(f, "no device_code"))?;
    let user_code = str_of("user_code").ok_or_else(|| fail(f, "no user_code"))?;
    let uri = str_of("verification_uri_complete")
        .or_else(|| str_of("verification_uri"))
        .ok_or_else(|| fail(f, "no verification_uri"))?;
    let expires = v
        .get("expires_in")
        .and_then(Value::as_u64)
        .map_or(s.wait, Duration::from_secs)
        .min(s.wait);
    let mut interval = Duration::from_secs(
        v.get("interval")
            .and_then(Value::as_u64)
            .unwrap_or(5)
            .clamp(1, 60),
    );
    show(&format!(
        "To sign in, open {uri} and enter the code {user_code}"
    ));
    let deadline = tokio::time::Instant::now() + expires;
    loop {
        tokio::time::sleep(interval).await;
        if tokio::time::Instant::now() >= deadline {
            return Err(fail(
                f,
                format!("not approved within {} s", expires.as_secs()),
            ));
        }
        let (status, v) = post_form(
            s,
            &ep.token,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", &device_code),
                ("client_id", &s.client_id),
            ],
            f,
        )
        .await?;
        if status == 200 {
            return id_token(s, &v, None, f);
        }
        match v.get("error").and_then(Value::as_str) {
            Some("authorization_pending") => {}
            Some("slow_down") => interval += Duration::from_secs(5),
            Some("expired_token") => {
                return Err(fail(f, "the device code expired before approval"));
            }
            Some("access_denied") => return Err(fail(f, "the login was denied")),
            _ => {
                return Err(fail(
                    f,
                    format!("the token endpoint refused: {}", oauth_error(&v)),
                ));
            }
        }
    }
}
