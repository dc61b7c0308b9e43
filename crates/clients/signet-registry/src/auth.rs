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
/// missing. Credential helpers (`credsStore`, `credHelpers`) are not run.
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
        assert_eq!(get("127.0.0.1:5001"), None);
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
