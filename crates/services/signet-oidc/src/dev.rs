//! A **development-only** OIDC issuer.
//!
//! It holds one ES256 (P-256) key, serves what an OpenID provider serves (discovery document and
//! JWKS) and mints ID tokens for any subject it is asked to. It performs no authentication at
//! all: anyone who can reach it gets any identity. Use it for tests and local setups only, never
//! register it in a production CA.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};

use crate::OidcError;
use crate::config::{Issuer, IssuerType, IssuerUrl};

const PEM_TAG: &str = "PRIVATE KEY";

/// A development OIDC issuer with an ES256 signing key. See the module documentation.
pub struct DevIssuer {
    issuer_url: String,
    pkcs8: Vec<u8>,
    encoding_key: EncodingKey,
    kid: String,
    x: String,
    y: String,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("issuer_url", &self.issuer_url)
            .field("kid", &self.kid)
            .finish()
    }
}

fn key_err(e: impl std::fmt::Display) -> OidcError {
    OidcError::Config(format!("development issuer key: {e}"))
}

impl DevIssuer {
    /// A new issuer for `issuer_url` with a freshly generated P-256 key.
    pub fn generate(issuer_url: &str) -> Result<Self, OidcError> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(key_err)?;
        let pkcs8 = pair.to_pkcs8v1().map_err(key_err)?;
        Self::from_pkcs8_der(issuer_url, pkcs8.as_ref())
    }

    /// Loads a key saved by [`DevIssuer::to_pkcs8_pem`].
    pub fn from_pkcs8_pem(issuer_url: &str, pem_text: &str) -> Result<Self, OidcError> {
        let block = pem::parse(pem_text).map_err(key_err)?;
        if block.tag() != PEM_TAG {
            return Err(key_err(format!(
                "expected a {PEM_TAG} PEM block, got {}",
                block.tag()
            )));
        }
        Self::from_pkcs8_der(issuer_url, block.contents())
    }

    fn from_pkcs8_der(issuer_url: &str, der: &[u8]) -> Result<Self, OidcError> {
        let issuer_url = issuer_url.trim_end_matches('/').to_owned();
        if issuer_url.is_empty() {
            return Err(key_err("empty issuer URL"));
        }
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(key_err)?;
        let point = pair.public_key().as_ref();
        // Uncompressed SEC1 point: 0x04 || X (32) || Y (32).
        let (x, y) = match point.split_first() {
            Some((&0x04, xy)) if xy.len() == 64 => xy.split_at_checked(32),
            _ => None,
        }
        .ok_or_else(|| key_err("unexpected public key encoding"))?;
        let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
        // RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order.
        let thumb_input = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(digest(&SHA256, thumb_input.as_bytes()));
        let pkcs8 = pair.to_pkcs8v1().map_err(key_err)?.as_ref().to_vec();
        Ok(Self {
            issuer_url,
            encoding_key: EncodingKey::from_ec_der(&pkcs8),
            pkcs8,
            kid,
            x,
            y,
        })
    }

    /// The signing key, for tests that need hand-made headers.
    #[cfg(test)]
    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding_key
    }

    /// The private key as a PKCS#8 PEM block (LF line endings), to persist between runs.
    pub fn to_pkcs8_pem(&self) -> String {
        let lf = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
        pem::encode_config(&pem::Pem::new(PEM_TAG, self.pkcs8.as_slice()), lf)
    }

    /// The issuer URL (`iss`), without a trailing slash.
    pub fn issuer_url(&self) -> &str {
        &self.issuer_url
    }

    /// The key id (RFC 7638 JWK thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Where [`DevIssuer::jwks_json`] should be served: `{issuer}/.well-known/jwks.json`.
    pub fn jwks_uri(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer_url)
    }

    /// The body of `{issuer}/.well-known/openid-configuration`, with the auto-approving login
    /// endpoints of [`crate::dev_login`] (development only).
    pub fn discovery_json(&self) -> Value {
        let u = &self.issuer_url;
        json!({
            "issuer": self.issuer_url,
            "jwks_uri": self.jwks_uri(),
            "authorization_endpoint": format!("{u}/auth"),
            "token_endpoint": format!("{u}/token"),
            "device_authorization_endpoint": format!("{u}/device/code"),
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "urn:ietf:params:oauth:grant-type:device_code"],
            "token_endpoint_auth_methods_supported": ["none"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "response_types_supported": ["code", "id_token"],
            "subject_types_supported": ["public"],
            "claims_supported": ["iss", "sub", "aud", "iat", "nbf", "exp", "email", "email_verified"],
        })
    }

    /// The public key set.
    pub fn jwks_json(&self) -> Value {
        json!({ "keys": [{
            "kty": "EC",
            "crv": "P-256",
            "x": self.x,
            "y": self.y,
            "kid": self.kid,
            "alg": "ES256",
            "use": "sig",
        }]})
    }

    /// Mints a signed ID token with `iss`, `sub`, `aud`, `iat`, `nbf` (= `now_unix`), `exp`
    /// (= `now_unix + ttl_secs`) and, when `email` is given, `email` and `email_verified: true`.
    /// `extra_claims` are added last and may override any of these (tests use that to build
    /// bad tokens).
    pub fn mint(
        &self,
        subject: &str,
        email: Option<&str>,
        audience: &str,
        now_unix: i64,
        ttl_secs: i64,
        extra_claims: Map<String, Value>,
    ) -> Result<String, OidcError> {
        let mut claims = Map::new();
        claims.insert("iss".into(), Value::String(self.issuer_url.clone()));
        claims.insert("sub".into(), Value::String(subject.to_owned()));
        claims.insert("aud".into(), Value::String(audience.to_owned()));
        claims.insert("iat".into(), now_unix.into());
        claims.insert("nbf".into(), now_unix.into());
        claims.insert("exp".into(), now_unix.saturating_add(ttl_secs).into());
        if let Some(email) = email {
            claims.insert("email".into(), Value::String(email.to_owned()));
            claims.insert("email_verified".into(), Value::Bool(true));
        }
        claims.extend(extra_claims);
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &Value::Object(claims), &self.encoding_key)
            .map_err(|e| OidcError::Config(format!("minting token: {e}")))
    }

    /// The same key serving another issuer URL (`iss`). Fulcio gives each issuer URL one type,
    /// so the development issuer mints email identities at one URL and GitHub-workflow
    /// identities at another.
    pub fn at(&self, issuer_url: &str) -> Result<Self, OidcError> {
        Self::from_pkcs8_der(issuer_url, &self.pkcs8)
    }

    /// An issuer entry for this URL of the given type (client id `sigstore`). Tokens minted with
    /// an email map to an email SAN under [`IssuerType::Email`]; other types need the matching
    /// claims (e.g. `kubernetes.io`) or settings (e.g. a subject domain via
    /// [`Issuer::with_subject_domain`]).
    pub fn issuer_config(&self, issuer_type: IssuerType) -> Issuer {
        Issuer::new(IssuerUrl::Exact(self.issuer_url.clone()), issuer_type)
    }
}

/// Most bytes of a workflow reference the development issuer accepts.
const MAX_WORKFLOW_REF: usize = 1024;

/// The claims of a GitHub Actions ID token for a run of the workflow `job_workflow_ref`
/// (`OWNER/REPO/.github/workflows/FILE@REF`, the certificate identity without
/// `https://github.com/`) at commit `sha`, triggered by `event_name`: every claim Fulcio's
/// `github-workflow` template reads ([`crate::CiIssuerMetadata::github_workflow`]), shaped as
/// GitHub issues them (`sub` = `repo:OWNER/REPO:ref:REF`, numeric IDs as strings). The run is
/// its own top-level workflow (`workflow_ref` = `job_workflow_ref`). For [`DevIssuer::mint`]'s
/// `extra_claims`.
pub fn github_workflow_claims(
    job_workflow_ref: &str,
    sha: &str,
    event_name: &str,
    run_id: u64,
) -> Result<Map<String, Value>, OidcError> {
    let bad = |why: &str| {
        OidcError::InvalidIdentity(format!(
            "workflow reference {job_workflow_ref:?} {why} (expected OWNER/REPO/.github/workflows/FILE@REF)"
        ))
    };
    if job_workflow_ref.len() > MAX_WORKFLOW_REF {
        return Err(bad("is too long"));
    }
    let (path, git_ref) = job_workflow_ref
        .rsplit_once('@')
        .ok_or_else(|| bad("has no @REF"))?;
    let (repository, file) = path
        .split_once("/.github/workflows/")
        .ok_or_else(|| bad("has no /.github/workflows/"))?;
    let (owner, repo) = repository
        .split_once('/')
        .ok_or_else(|| bad("has no OWNER/REPO"))?;
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if !part_ok(owner) || !part_ok(repo) || !part_ok(file) {
        return Err(bad("has an invalid owner, repository or file name"));
    }
    let ref_type = if git_ref.starts_with("refs/heads/") {
        "branch"
    } else if git_ref.starts_with("refs/tags/") {
        "tag"
    } else {
        return Err(bad("names neither refs/heads/… nor refs/tags/…"));
    };
    if sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(OidcError::InvalidIdentity(format!(
            "commit {sha:?} is not 40 hex digits"
        )));
    }
    // Stable numeric IDs for the repository and its owner, as GitHub has them.
    let id = |name: &str| {
        let d = digest(&SHA256, name.as_bytes());
        d.as_ref()
            .first_chunk::<4>()
            .map_or(0, |b| u32::from_be_bytes(*b))
            .to_string()
    };
    let workflow = file
        .rsplit_once('.')
        .map_or(file, |(stem, _)| stem)
        .to_owned();
    let claims = json!({
        "sub": format!("repo:{repository}:ref:{git_ref}"),
        "ref": git_ref,
        "ref_type": ref_type,
        "sha": sha,
        "repository": repository,
        "repository_owner": owner,
        "repository_id": id(repository),
        "repository_owner_id": id(owner),
        "repository_visibility": "public",
        "workflow": workflow,
        "workflow_ref": job_workflow_ref,
        "workflow_sha": sha,
        "job_workflow_ref": job_workflow_ref,
        "job_workflow_sha": sha,
        "event_name": event_name,
        "runner_environment": "github-hosted",
        "run_id": run_id.to_string(),
        "run_number": "1",
        "run_attempt": "1",
    });
    match claims {
        Value::Object(m) => Ok(m),
        _ => Err(OidcError::Config(
            "workflow claims are not an object".into(),
        )),
    }
}

/// The claims of a Kubernetes projected service-account token for `system:serviceaccount:NS:SA`
/// (`subject`), shaped as the kube-apiserver issues them: `sub`, an `aud` **list** (the
/// projected volume's audience) and the `kubernetes.io` object (namespace, pod, service account)
/// from which Fulcio's `kubernetes` type makes the SAN
/// `https://kubernetes.io/namespaces/NS/serviceaccounts/SA`. For [`DevIssuer::mint`]'s
/// `extra_claims`.
pub fn kubernetes_claims(subject: &str, audience: &str) -> Result<Map<String, Value>, OidcError> {
    let bad = || {
        OidcError::InvalidIdentity(format!(
            "{subject:?} is not system:serviceaccount:NAMESPACE:NAME"
        ))
    };
    let rest = subject
        .strip_prefix("system:serviceaccount:")
        .ok_or_else(bad)?;
    let (ns, sa) = rest.split_once(':').ok_or_else(bad)?;
    // DNS-1123 labels / subdomains, as Kubernetes names them.
    let name_ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 253
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.'))
    };
    if !name_ok(ns) || !name_ok(sa) {
        return Err(bad());
    }
    let uid = |name: &str| {
        let d = digest(&SHA256, name.as_bytes());
        let h: String = d
            .as_ref()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        h
    };
    match json!({
        "sub": subject,
        "aud": [audience],
        "kubernetes.io": {
            "namespace": ns,
            "pod": {"name": format!("{sa}-0"), "uid": uid(&format!("pod/{ns}/{sa}"))},
            "serviceaccount": {"name": sa, "uid": uid(&format!("sa/{ns}/{sa}"))},
        },
    }) {
        Value::Object(m) => Ok(m),
        _ => Err(OidcError::Config(
            "kubernetes claims are not an object".into(),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::token::{Jwks, verify};

    #[test]
    fn pem_round_trip_keeps_the_key() {
        let a = DevIssuer::generate("http://127.0.0.1:1234/").unwrap();
        assert_eq!(a.issuer_url(), "http://127.0.0.1:1234");
        let pem_text = a.to_pkcs8_pem();
        assert!(pem_text.starts_with("-----BEGIN PRIVATE KEY-----"));
        let b = DevIssuer::from_pkcs8_pem("http://127.0.0.1:1234", &pem_text).unwrap();
        assert_eq!(a.kid(), b.kid());
        assert_eq!(a.jwks_json(), b.jwks_json());
        // A token from the reloaded key verifies against the original JWKS.
        let jwks = Jwks::from_json(a.jwks_json().to_string().as_bytes()).unwrap();
        let token = b
            .mint(
                "me",
                Some("me@example.com"),
                "sigstore",
                1000,
                60,
                Map::new(),
            )
            .unwrap();
        let issuer = a.issuer_config(IssuerType::Email);
        verify(&token, &issuer, &jwks, 1010, 0).unwrap();
    }

    #[test]
    fn rejects_bad_pem() {
        assert!(DevIssuer::from_pkcs8_pem("http://x", "not pem").is_err());
        let wrong_tag = pem::encode(&pem::Pem::new("CERTIFICATE", vec![1, 2, 3]));
        assert!(DevIssuer::from_pkcs8_pem("http://x", &wrong_tag).is_err());
        let garbage = pem::encode(&pem::Pem::new(PEM_TAG, vec![1, 2, 3]));
        assert!(DevIssuer::from_pkcs8_pem("http://x", &garbage).is_err());
    }

    /// A GitHub-workflow token from the development issuer, under the `ci-provider` type with
    /// Fulcio's `github-workflow` template: the SAN is the workflow URI and the certificate gets
    /// GitHub's extensions, as Fulcio issues them for GitHub Actions.
    #[test]
    fn github_workflow_token_makes_a_workflow_identity() {
        use crate::{ExtValue, IssuerConfig, Principal, San};
        let base = DevIssuer::generate("http://127.0.0.1:1234/oidc").unwrap();
        let ci = base.at("http://127.0.0.1:1234/oidc/ci").unwrap();
        assert_eq!(ci.kid(), base.kid());
        let wf = "org/repo/.github/workflows/release.yml@refs/heads/main";
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let extra = github_workflow_claims(wf, sha, "push", 42).unwrap();
        let token = ci
            .mint("ignored", None, "sigstore", 1000, 60, extra)
            .unwrap();
        let issuer = ci
            .issuer_config(IssuerType::CiProvider)
            .with_ci_provider("github-workflow");
        let jwks = Jwks::from_json(ci.jwks_json().to_string().as_bytes()).unwrap();
        let claims = verify(&token, &issuer, &jwks, 1010, 0).unwrap();
        let p = Principal::from_claims(&issuer, &IssuerConfig::default(), &claims).unwrap();
        assert_eq!(p.name(), "repo:org/repo:ref:refs/heads/main");
        assert_eq!(p.san(), &San::Uri(format!("https://github.com/{wf}")));
        let ext = |arc: u32| {
            p.extensions()
                .iter()
                .find(|(o, _)| *o == format!("1.3.6.1.4.1.57264.1.{arc}"))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(ext(5), Some(ExtValue::Raw("org/repo".into())));
        assert_eq!(ext(6), Some(ExtValue::Raw("refs/heads/main".into())));
        assert_eq!(
            ext(9),
            Some(ExtValue::Utf8(format!("https://github.com/{wf}")))
        );
        assert_eq!(
            ext(21),
            Some(ExtValue::Utf8(
                "https://github.com/org/repo/actions/runs/42/attempts/1".into()
            ))
        );
        // The email flavour (same key, the base URL) does not accept it.
        let email = base.issuer_config(IssuerType::Email);
        assert!(verify(&token, &email, &jwks, 1010, 0).is_err());
    }

    /// A Kubernetes-shaped token from the development issuer makes the service-account SAN
    /// under the `kubernetes` type; malformed subjects are refused.
    #[test]
    fn kubernetes_token_makes_a_service_account_identity() {
        use crate::{IssuerConfig, Principal, San};
        let k8s = DevIssuer::generate("http://127.0.0.1:1234/oidc/k8s").unwrap();
        let extra = kubernetes_claims("system:serviceaccount:rel:signer", "sigstore").unwrap();
        assert_eq!(extra["aud"], json!(["sigstore"]));
        let token = k8s
            .mint("ignored", None, "sigstore", 1000, 60, extra)
            .unwrap();
        let issuer = k8s.issuer_config(IssuerType::Kubernetes);
        let jwks = Jwks::from_json(k8s.jwks_json().to_string().as_bytes()).unwrap();
        let claims = verify(&token, &issuer, &jwks, 1010, 0).unwrap();
        let p = Principal::from_claims(&issuer, &IssuerConfig::default(), &claims).unwrap();
        assert_eq!(p.name(), "system:serviceaccount:rel:signer");
        assert_eq!(
            p.san(),
            &San::Uri("https://kubernetes.io/namespaces/rel/serviceaccounts/signer".into())
        );
        for bad in [
            "rel:signer",
            "system:serviceaccount:rel",
            "system:serviceaccount::signer",
            "system:serviceaccount:Rel:signer",
            "system:serviceaccount:a/b:signer",
        ] {
            assert!(kubernetes_claims(bad, "sigstore").is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_workflow_references_are_refused() {
        let sha = "0".repeat(40);
        for bad in [
            "org/repo/.github/workflows/release.yml",
            "org/repo/release.yml@refs/heads/main",
            "org/.github/workflows/release.yml@refs/heads/main",
            "org/repo/.github/workflows/release.yml@main",
            "org/re po/.github/workflows/release.yml@refs/heads/main",
        ] {
            assert!(
                matches!(
                    github_workflow_claims(bad, &sha, "push", 1),
                    Err(OidcError::InvalidIdentity(_))
                ),
                "{bad}"
            );
        }
        let ok = "org/repo/.github/workflows/release.yml@refs/tags/v1.0.0";
        assert!(github_workflow_claims(ok, "abc", "push", 1).is_err());
        let c = github_workflow_claims(ok, &sha, "push", 1).unwrap();
        assert_eq!(c["ref_type"], "tag");
        assert_eq!(c["workflow"], "release");
    }

    #[test]
    fn documents_have_the_expected_shape() {
        let d = DevIssuer::generate("https://dev.example").unwrap();
        let disc = d.discovery_json();
        assert_eq!(disc["issuer"], "https://dev.example");
        assert_eq!(
            disc["jwks_uri"],
            "https://dev.example/.well-known/jwks.json"
        );
        assert_eq!(
            disc["id_token_signing_alg_values_supported"],
            json!(["ES256"])
        );
        let jwks = d.jwks_json();
        assert_eq!(jwks["keys"][0]["kid"], d.kid());
        assert_eq!(jwks["keys"][0]["crv"], "P-256");
        assert_eq!(d.kid().len(), 43); // base64url(SHA-256)
    }
}
