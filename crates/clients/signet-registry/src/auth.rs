//! Registry authentication: `WWW-Authenticate` challenges (Basic and Bearer), the token
//! service, and credentials from the options or the docker config file.

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Largest token-service answer read, in bytes.
pub const MAX_TOKEN_RESPONSE: u64 = 256 << 10;
/// Largest docker config file read, in bytes.
pub const MAX_DOCKER_CONFIG: u64 = 1 << 20;

/// A parsed `WWW-Authenticate` challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// `Basic realm=…`
    Basic,
    /// `Bearer realm=…,service=…[,scope=…]`
    Bearer {
        /// The token service URL.
        realm: String,
        /// `service`, when given.
        service: Option<String>,
    },
}

/// Parses the first challenge of a `WWW-Authenticate` value (RFC 7235 auth-params, quoted
/// strings may hold commas). `Err` says why it is not usable.
pub(crate) fn parse_challenge(value: &str) -> Result<Challenge, String> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let params = parse_params(rest);
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    if scheme.eq_ignore_ascii_case("basic") {
        Ok(Challenge::Basic)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        let realm = get("realm").ok_or("a Bearer challenge without a realm")?;
        Ok(Challenge::Bearer {
            realm,
            service: get("service"),
        })
    } else {
        Err(format!("unsupported authentication scheme {scheme:?}"))
    }
}

/// `k=v, k="v, with commas"` → pairs.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_string();
        if key.is_empty() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
            value = value.trim().to_string();
        }
        out.push((key, value));
    }
}

/// `Authorization: Basic …` for `user:password`.
pub(crate) fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// The token in a token-service answer: `token`, else `access_token`.
pub(crate) fn token_from(body: &[u8]) -> Result<String, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the token answer is not JSON: {e}"))?;
    ["token", "access_token"]
        .iter()
        .find_map(|k| v.get(k).and_then(serde_json::Value::as_str))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or_else(|| "the token answer has neither `token` nor `access_token`".to_string())
}

/// The docker config file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub(crate) fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// Credentials for `registry` in the docker config at `path` (`auths.<host>.auth` = base64
/// `user:password`, or `username`/`password`). `Ok(None)` when the file or the entry is
/// missing. A credential helper named by `credHelpers` for this registry is run instead, and
/// the `credsStore` helper when `auths` has no credentials for it ([`credential_helper`]).
pub(crate) fn docker_config_credentials(
    path: &std::path::Path,
    registry: &str,
) -> Result<Option<(String, String)>, String> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut bytes = Vec::new();
    file.take(MAX_DOCKER_CONFIG.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_DOCKER_CONFIG {
        return Err(format!(
            "{} is larger than {MAX_DOCKER_CONFIG} bytes",
            path.display()
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    // A credential helper for this registry (`credHelpers`) first; then credentials written in
    // `auths`; then the default store (`credsStore`), so that a config copied from a machine
    // whose store is missing here still works with inline credentials.
    if let Some(helper) = v
        .get("credHelpers")
        .and_then(serde_json::Value::as_object)
        .and_then(|h| h.iter().find(|(k, _)| same_registry(k, registry)))
        .and_then(|(_, name)| name.as_str())
        .filter(|h| !h.is_empty())
    {
        return credential_helper(helper, registry);
    }
    let inline = inline_credentials(&v, path, registry)?;
    let store = v
        .get("credsStore")
        .and_then(serde_json::Value::as_str)
        .filter(|h| !h.is_empty());
    match (inline, store) {
        (Some(c), _) => Ok(Some(c)),
        (None, Some(store)) => credential_helper(store, registry),
        (None, None) => Ok(None),
    }
}

/// Credentials written in the config's `auths` entry for `registry`.
fn inline_credentials(
    v: &serde_json::Value,
    path: &std::path::Path,
    registry: &str,
) -> Result<Option<(String, String)>, String> {
    let Some(auths) = v.get("auths").and_then(serde_json::Value::as_object) else {
        return Ok(None);
    };
    let Some(entry) = auths
        .iter()
        .find(|(k, _)| same_registry(k, registry))
        .map(|(_, e)| e)
    else {
        return Ok(None);
    };
    let field = |k: &str| entry.get(k).and_then(serde_json::Value::as_str);
    if let Some(auth) = field("auth").filter(|a| !a.is_empty()) {
        let decoded = STANDARD
            .decode(auth.trim())
            .ok()
            .and_then(|d| String::from_utf8(d).ok())
            .ok_or_else(|| {
                format!(
                    "{}: auths.{registry}.auth is not base64 of user:password",
                    path.display()
                )
            })?;
        let (user, password) = decoded.split_once(':').ok_or_else(|| {
            format!(
                "{}: auths.{registry}.auth is not base64 of user:password",
                path.display()
            )
        })?;
        return Ok(Some((user.to_string(), password.to_string())));
    }
    match (field("username"), field("password")) {
        (Some(u), Some(p)) if !u.is_empty() => Ok(Some((u.to_string(), p.to_string()))),
        _ => Ok(None),
    }
}

/// Longest answer read from a credential helper.
const MAX_HELPER_OUTPUT: u64 = 64 << 10;
/// How long a credential helper may take.
const HELPER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs Docker's credential-helper protocol: `docker-credential-<helper> get` with the server
/// URL on stdin, `{"Username": …, "Secret": …}` on stdout. "credentials not found" is
/// `Ok(None)`; a helper that fails, times out ([`HELPER_TIMEOUT`]) or answers garbage is an
/// error naming it. Identity tokens (`Username` `<token>`) are refused: signet does not do the
/// OAuth2 refresh-token exchange.
pub(crate) fn credential_helper(
    helper: &str,
    registry: &str,
) -> Result<Option<(String, String)>, String> {
    use std::io::{Read, Write};
    if !helper
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(format!("invalid credential helper name {helper:?}"));
    }
    let program = format!("docker-credential-{helper}");
    let hub = matches!(
        registry,
        "index.docker.io" | "docker.io" | "registry-1.docker.io"
    );
    let server = if hub {
        "https://index.docker.io/v1/".to_string()
    } else {
        registry.to_string()
    };
    let mut child = std::process::Command::new(&program)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run the credential helper {program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that does not read its input fails below; the write error adds nothing.
        let _ = stdin.write_all(server.as_bytes());
    }
    let Some(stdout) = child.stdout.take() else {
        return Err(format!("{program}: no output"));
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let r = stdout.take(MAX_HELPER_OUTPUT).read_to_end(&mut out);
        let _ = tx.send(r.map(|_| out));
    });
    let out = match rx.recv_timeout(HELPER_TIMEOUT) {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(format!("{program}: {e}")),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{program} did not answer in {} s",
                HELPER_TIMEOUT.as_secs()
            ));
        }
    };
    let status = child.wait().map_err(|e| format!("{program}: {e}"))?;
    let text = String::from_utf8_lossy(&out);
    if !status.success() {
        if text.to_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        return Err(format!(
            "{program} failed ({status}): {}",
            text.lines().next().unwrap_or("").trim()
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&out)
        .map_err(|e| format!("{program} answered something that is not JSON: {e}"))?;
    let field = |k: &str| v.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
    match (field("Username"), field("Secret")) {
        ("<token>", _) => Err(format!(
            "{program} gave an identity token, which signet cannot exchange: log in with a user name and password or token"
        )),
        ("", _) | (_, "") => Ok(None),
        (u, p) => Ok(Some((u.to_string(), p.to_string()))),
    }
}

/// Whether a docker config `auths` key (`host`, `https://host/v1/`, …) names `registry`;
/// Docker Hub's keys (`https://index.docker.io/v1/`, `docker.io`, `registry-1.docker.io`) all
/// name `index.docker.io`.
fn same_registry(key: &str, registry: &str) -> bool {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or("");
    let hub = |h: &str| matches!(h, "index.docker.io" | "docker.io" | "registry-1.docker.io");
    host.eq_ignore_ascii_case(registry) || (hub(host) && hub(registry))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn challenges() {
        assert_eq!(
            parse_challenge(r#"Basic realm="basic-realm""#).unwrap(),
            Challenge::Basic
        );
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#
            )
            .unwrap(),
            Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            }
        );
        assert_eq!(
            parse_challenge(r#"bearer scope="a,b", realm=http://x/t"#).unwrap(),
            Challenge::Bearer {
                realm: "http://x/t".into(),
                service: None
            }
        );
        assert!(parse_challenge("Bearer service=x").is_err());
        assert!(parse_challenge("Negotiate abc").is_err());
    }

    #[test]
    fn tokens() {
        assert_eq!(token_from(br#"{"token":"t1"}"#).unwrap(), "t1");
        assert_eq!(token_from(br#"{"access_token":"t2"}"#).unwrap(), "t2");
        assert!(token_from(br#"{"token":""}"#).is_err());
        assert!(token_from(b"<html>").is_err());
    }

    #[test]
    fn docker_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"aHViOnB3"},
                "127.0.0.1:5000":{"auth":"dTpwOmlu"},
                "http://reg.example/v2/":{"username":"x","password":"y"}},
                "credsStore":"desktop"}"#,
        )
        .unwrap();
        let get = |r: &str| docker_config_credentials(&path, r).unwrap();
        assert_eq!(get("index.docker.io"), Some(("hub".into(), "pw".into())));
        // Passwords may contain ':'.
        assert_eq!(get("127.0.0.1:5000"), Some(("u".into(), "p:in".into())));
        assert_eq!(get("reg.example"), Some(("x".into(), "y".into())));
        // No inline entry: the `credsStore` helper is asked (here it is not installed).
        let err = docker_config_credentials(&path, "127.0.0.1:5001").unwrap_err();
        assert!(err.contains("docker-credential-desktop"), "{err}");
        assert_eq!(
            docker_config_credentials(&dir.path().join("missing"), "x").unwrap(),
            None
        );
        std::fs::write(&path, r#"{"auths":{"h":{"auth":"!!"}}}"#).unwrap();
        assert!(docker_config_credentials(&path, "h").is_err());
        std::fs::write(&path, "not json").unwrap();
        assert!(docker_config_credentials(&path, "h").is_err());
    }
}
