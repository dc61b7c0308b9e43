//! **DEVELOPMENT ONLY**: interactive login at the development issuer, auto-approving. The
//! authorization code flow with PKCE (RFC 7636, `S256` only) and the device authorization grant
//! (RFC 8628), so that `signet sign-blob --oidc-issuer` can be tested end to end. Nobody is
//! authenticated: every authorization request is approved at once for the development identity
//! (`login_hint` when it is an email address, else [`DEV_LOGIN_EMAIL`]); a device code is
//! approved (or denied) by a request to the approval endpoint. Time is an input.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::DevIssuer;

/// The identity the development issuer logs everyone in as, unless `login_hint` names another.
pub const DEV_LOGIN_EMAIL: &str = "developer@signet.invalid";
/// Seconds an authorization code or device code is valid.
pub const CODE_TTL: i64 = 300;
/// Seconds between device-flow polls the client must keep.
pub const DEVICE_INTERVAL: i64 = 1;
/// Lifetime of the tokens minted by a login, in seconds.
pub const TOKEN_TTL: i64 = 600;
/// Most pending codes kept (older ones are dropped first).
const MAX_PENDING: usize = 1024;

/// An OAuth error answer: `error` code and description (RFC 6749 §5.2 / RFC 8628 §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_grant`, `authorization_pending`, `slow_down`, …
    pub error: &'static str,
    /// One line for people.
    pub description: String,
}

fn oauth(error: &'static str, description: impl Into<String>) -> OAuthError {
    OAuthError {
        error,
        description: description.into(),
    }
}

impl OAuthError {
    /// The JSON body.
    pub fn to_json(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

struct Grant {
    challenge: String,
    redirect_uri: String,
    client_id: String,
    email: String,
    nonce: Option<String>,
    expires: i64,
}

enum DeviceState {
    Pending,
    Approved,
    Denied,
}

struct Device {
    user_code: String,
    client_id: String,
    state: DeviceState,
    expires: i64,
    last_poll: Option<i64>,
}

/// Pending logins of the development issuer.
#[derive(Default)]
pub struct DevLogin {
    codes: Mutex<HashMap<String, Grant>>,
    devices: Mutex<HashMap<String, Device>>,
}

impl std::fmt::Debug for DevLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DevLogin")
    }
}

fn random_token(bytes: usize) -> Result<String, OAuthError> {
    let mut b = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| oauth("server_error", "no randomness"))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

/// Whether `uri` is a loopback redirect (`http://localhost:*`, `http://127.0.0.1:*`,
/// `http://[::1]:*`, any path), the only kind a native client may use here.
fn loopback_redirect(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> Result<&'a str, OAuthError> {
    q.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| oauth("invalid_request", format!("{name} is missing")))
}

fn prune<T>(map: &mut HashMap<String, T>, now: i64, expires: impl Fn(&T) -> i64) {
    map.retain(|_, v| expires(v) > now);
    if map.len() >= MAX_PENDING {
        map.clear();
    }
}

impl DevLogin {
    /// The authorization endpoint: checks the request (code flow, `S256` challenge, loopback
    /// redirect) and approves it at once; returns the redirect location with `code` and `state`.
    pub fn authorize(&self, q: &HashMap<String, String>, now: i64) -> Result<String, OAuthError> {
        if param(q, "response_type")? != "code" {
            return Err(oauth(
                "unsupported_response_type",
                "only response_type=code",
            ));
        }
        let redirect_uri = param(q, "redirect_uri")?;
        if !loopback_redirect(redirect_uri) {
            return Err(oauth(
                "invalid_request",
                "redirect_uri must be http://localhost, 127.0.0.1 or [::1] (any port)",
            ));
        }
        let client_id = param(q, "client_id")?;
        let challenge = param(q, "code_challenge")?;
        if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
            return Err(oauth(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        let email = q
            .get("login_hint")
            .filter(|h| h.contains('@') && h.len() < 256)
            .map_or(DEV_LOGIN_EMAIL.to_owned(), Clone::clone);
        let code = random_token(32)?;
        let mut codes = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
        prune(&mut codes, now, |g| g.expires);
        codes.insert(
            code.clone(),
            Grant {
                challenge: challenge.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                client_id: client_id.to_owned(),
                email,
                nonce: q.get("nonce").cloned(),
                expires: now.saturating_add(CODE_TTL),
            },
        );
        let sep = if redirect_uri.contains('?') { '&' } else { '?' };
        let mut loc = format!("{redirect_uri}{sep}code={code}");
        if let Some(state) = q.get("state") {
            loc.push_str("&state=");
            loc.push_str(&percent_encode(state));
        }
        Ok(loc)
    }

    /// The device authorization endpoint: a device code, a user code and where to approve it.
    pub fn device_code(
        &self,
        q: &HashMap<String, String>,
        issuer_url: &str,
        now: i64,
    ) -> Result<Value, OAuthError> {
        let client_id = param(q, "client_id")?;
        let device_code = random_token(32)?;
        let user_code = random_token(6)?.to_ascii_uppercase();
        let mut devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        prune(&mut devices, now, |d| d.expires);
        devices.insert(
            device_code.clone(),
            Device {
                user_code: user_code.clone(),
                client_id: client_id.to_owned(),
                state: DeviceState::Pending,
                expires: now.saturating_add(CODE_TTL),
                last_poll: None,
            },
        );
        let verify = format!("{issuer_url}/device/approve");
        Ok(json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verify,
            "verification_uri_complete": format!("{verify}?user_code={}", percent_encode(&user_code)),
            "expires_in": CODE_TTL,
            "interval": DEVICE_INTERVAL,
        }))
    }

    /// The approval endpoint: approves (or, with `deny`, denies) the device code shown as
    /// `user_code`.
    pub fn approve(&self, user_code: &str, deny: bool) -> Result<(), OAuthError> {
        let mut devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        let d = devices
            .values_mut()
            .find(|d| d.user_code == user_code)
            .ok_or_else(|| oauth("invalid_request", "unknown user_code"))?;
        d.state = if deny {
            DeviceState::Denied
        } else {
            DeviceState::Approved
        };
        Ok(())
    }

    /// The token endpoint (`authorization_code` with `code_verifier`, or the device grant):
    /// the token answer with `id_token` and an `access_token` that is the same JWT.
    pub fn token(
        &self,
        issuer: &DevIssuer,
        form: &HashMap<String, String>,
        now: i64,
    ) -> Result<Value, OAuthError> {
        let (client_id, email, nonce) = match param(form, "grant_type")? {
            "authorization_code" => self.redeem_code(form, now)?,
            "urn:ietf:params:oauth:grant-type:device_code" => self.poll_device(form, now)?,
            other => {
                return Err(oauth(
                    "unsupported_grant_type",
                    format!("grant_type {other} is not supported"),
                ));
            }
        };
        let mut extra = Map::new();
        if let Some(n) = nonce {
            extra.insert("nonce".into(), Value::String(n));
        }
        let jwt = issuer
            .mint(&email, Some(&email), &client_id, now, TOKEN_TTL, extra)
            .map_err(|e| oauth("server_error", e.to_string()))?;
        Ok(json!({
            "access_token": jwt,
            "id_token": jwt,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
        }))
    }

    fn redeem_code(
        &self,
        form: &HashMap<String, String>,
        now: i64,
    ) -> Result<(String, String, Option<String>), OAuthError> {
        let code = param(form, "code")?;
        let verifier = param(form, "code_verifier")?;
        let grant = self
            .codes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(code)
            .ok_or_else(|| oauth("invalid_grant", "unknown or used authorization code"))?;
        if grant.expires <= now {
            return Err(oauth("invalid_grant", "the authorization code expired"));
        }
        if form.get("redirect_uri") != Some(&grant.redirect_uri) {
            return Err(oauth(
                "invalid_grant",
                "redirect_uri differs from the authorization request",
            ));
        }
        if form.get("client_id").is_some_and(|c| *c != grant.client_id) {
            return Err(oauth(
                "invalid_grant",
                "client_id differs from the authorization request",
            ));
        }
        if !(43..=128).contains(&verifier.len())
            || URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes())) != grant.challenge
        {
            return Err(oauth(
                "invalid_grant",
                "code_verifier does not match the code_challenge",
            ));
        }
        Ok((grant.client_id, grant.email, grant.nonce))
    }

    fn poll_device(
        &self,
        form: &HashMap<String, String>,
        now: i64,
    ) -> Result<(String, String, Option<String>), OAuthError> {
        let code = param(form, "device_code")?;
        let mut devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        let d = devices
            .get_mut(code)
            .ok_or_else(|| oauth("invalid_grant", "unknown device_code"))?;
        if d.expires <= now {
            devices.remove(code);
            return Err(oauth("expired_token", "the device code expired"));
        }
        let too_soon = d
            .last_poll
            .is_some_and(|t| now.saturating_sub(t) < DEVICE_INTERVAL);
        d.last_poll = Some(now);
        match d.state {
            DeviceState::Denied => {
                devices.remove(code);
                Err(oauth("access_denied", "the login was denied"))
            }
            _ if too_soon => Err(oauth("slow_down", "polling faster than the interval")),
            DeviceState::Pending => Err(oauth("authorization_pending", "not approved yet")),
            DeviceState::Approved => {
                let client = d.client_id.clone();
                devices.remove(code);
                Ok((client, DEV_LOGIN_EMAIL.to_owned(), None))
            }
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn code_of(location: &str) -> &str {
        let after = location.split("code=").nth(1).unwrap();
        after.split('&').next().unwrap()
    }

    #[test]
    fn code_flow_checks_pkce_redirect_and_single_use() {
        let issuer = DevIssuer::generate("http://127.0.0.1:1/oidc").unwrap();
        let login = DevLogin::default();
        let verifier = "v".repeat(43);
        let challenge = URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()));
        let redirect = "http://127.0.0.1:5555/auth/callback";
        let auth = |redirect: &str, method: &str| {
            login.authorize(
                &q(&[
                    ("response_type", "code"),
                    ("client_id", "sigstore"),
                    ("redirect_uri", redirect),
                    ("code_challenge", &challenge),
                    ("code_challenge_method", method),
                    ("state", "s t"),
                    ("nonce", "n1"),
                ]),
                1000,
            )
        };
        assert!(auth("https://evil.example/cb", "S256").is_err());
        assert!(auth("http://127.0.0.1.evil.example/cb", "S256").is_err());
        assert!(auth(redirect, "plain").is_err());
        let loc = auth(redirect, "S256").unwrap();
        assert!(loc.starts_with(&format!("{redirect}?code=")) && loc.ends_with("&state=s%20t"));
        let code = code_of(&loc);
        let form = |verifier: &str| {
            q(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect),
                ("code_verifier", verifier),
                ("client_id", "sigstore"),
            ])
        };
        let wrong = "w".repeat(43);
        assert_eq!(
            login.token(&issuer, &form(&wrong), 1001).unwrap_err().error,
            "invalid_grant"
        );
        // The code was used up by the failed attempt.
        let loc = auth(redirect, "S256").unwrap();
        let code = code_of(&loc);
        let mut f = form(&verifier);
        f.insert("code".into(), code.into());
        let t = login.token(&issuer, &f, 1001).unwrap();
        let claims = crate::unverified_claims(t["id_token"].as_str().unwrap()).unwrap();
        assert_eq!(claims.get("email").unwrap(), DEV_LOGIN_EMAIL);
        assert_eq!(claims.get("nonce").unwrap(), "n1");
        assert_eq!(t["access_token"], t["id_token"]);
        assert!(login.token(&issuer, &f, 1002).is_err());
    }

    #[test]
    fn device_flow_pending_slow_down_approved_denied_expired() {
        let issuer = DevIssuer::generate("http://127.0.0.1:1/oidc").unwrap();
        let login = DevLogin::default();
        let start = |now| {
            login
                .device_code(&q(&[("client_id", "sigstore")]), "http://x/oidc", now)
                .unwrap()
        };
        let d = start(1000);
        let poll = |d: &Value, now| {
            let f = q(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", d["device_code"].as_str().unwrap()),
            ]);
            login.token(&issuer, &f, now)
        };
        assert_eq!(poll(&d, 1000).unwrap_err().error, "authorization_pending");
        assert_eq!(poll(&d, 1000).unwrap_err().error, "slow_down");
        login
            .approve(d["user_code"].as_str().unwrap(), false)
            .unwrap();
        assert!(poll(&d, 1002).unwrap()["id_token"].is_string());
        let d = start(1000);
        login
            .approve(d["user_code"].as_str().unwrap(), true)
            .unwrap();
        assert_eq!(poll(&d, 1001).unwrap_err().error, "access_denied");
        let d = start(1000);
        assert_eq!(
            poll(&d, 1000 + CODE_TTL).unwrap_err().error,
            "expired_token"
        );
    }
}
