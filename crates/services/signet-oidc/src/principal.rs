//! What a verified token means for a certificate (Fulcio `pkg/identity/*/principal.go`).
//! No I/O.

use std::collections::BTreeMap;

use reqwest::Url;
use serde_json::Value;

use crate::OidcError;
use crate::config::{Issuer, IssuerConfig, IssuerType, is_spiffe_trust_domain, parse_json_path};
use crate::token::Claims;

/// Arc prefix of the Sigstore OIDs (`1.3.6.1.4.1.57264.1.<n>`).
pub const SIGSTORE_OID_PREFIX: &str = "1.3.6.1.4.1.57264.1";

/// The Subject Alternative Name the certificate must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum San {
    /// rfc822Name (email issuers).
    Email(String),
    /// uniformResourceIdentifier (uri, spiffe, kubernetes, ci-provider issuers).
    Uri(String),
    /// otherName with type-id 1.3.6.1.4.1.57264.1.7 and a UTF8String `sub!domain` value
    /// (username issuers); Fulcio marks the SAN extension critical in this case.
    OtherName(String),
}

impl San {
    /// The name as text.
    pub fn value(&self) -> &str {
        match self {
            Self::Email(s) | Self::Uri(s) | Self::OtherName(s) => s,
        }
    }
}

/// The value of a Sigstore extension and how it is encoded in `extnValue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtValue {
    /// OIDs 1.1–1.6: the string's bytes are the OCTET STRING contents, no inner DER tag.
    Raw(String),
    /// OIDs 1.8–1.24: a DER `UTF8String` inside the OCTET STRING.
    Utf8(String),
}

impl ExtValue {
    /// The string value.
    pub fn value(&self) -> &str {
        match self {
            Self::Raw(s) | Self::Utf8(s) => s,
        }
    }
}

/// The identity a verified token proves, ready to be put in a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    name: String,
    san: San,
    cert_issuer: String,
    extensions: Vec<(String, ExtValue)>,
}

impl Principal {
    /// The string the client must sign as proof of possession: the email for email issuers,
    /// `sub` otherwise.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SAN.
    pub fn san(&self) -> &San {
        &self.san
    }

    /// The issuer recorded in OIDs 1.1 and 1.8.
    pub fn cert_issuer(&self) -> &str {
        &self.cert_issuer
    }

    /// Sigstore extensions as (dotted OID, value), in ascending OID order. Always contains
    /// 1.1 and 1.8 (issuer) and 1.24 (token subject); empty values are never included.
    pub fn extensions(&self) -> &[(String, ExtValue)] {
        &self.extensions
    }

    /// Builds the principal for `claims`, which must come from [`crate::verify`] with the same
    /// `issuer`; `config` supplies CI metadata for `ci-provider` issuers.
    pub fn from_claims(
        issuer: &Issuer,
        config: &IssuerConfig,
        claims: &Claims,
    ) -> Result<Self, OidcError> {
        let iss = claims.issuer()?;
        if !issuer.url().matches(iss) {
            return Err(OidcError::WrongIssuer);
        }
        let sub = claims.subject()?;
        let mut exts: BTreeMap<u32, ExtValue> = BTreeMap::new();
        let mut cert_issuer = iss.to_owned();
        let (name, san) = match issuer.issuer_type() {
            IssuerType::Email => {
                let email = claims.string("email")?;
                if !issuer.skip_email_verification() && !email_verified(claims) {
                    return Err(OidcError::EmailNotVerified);
                }
                if !is_email(email) {
                    return Err(invalid(format!("{email:?} is not an email address")));
                }
                if let Some(path) = issuer.issuer_claim() {
                    cert_issuer = claim_at_path(claims, path)?;
                }
                (email.to_owned(), San::Email(email.to_owned()))
            }
            IssuerType::Uri => {
                let domain = configured(issuer.subject_domain(), "subject domain")?;
                let d = Url::parse(domain).map_err(|e| OidcError::Config(e.to_string()))?;
                let u = Url::parse(sub).map_err(|e| invalid(format!("sub is not a URI: {e}")))?;
                if u.scheme() != d.scheme() || u.host_str() != d.host_str() {
                    return Err(invalid(format!("sub {sub:?} is not under {domain:?}")));
                }
                (sub.to_owned(), San::Uri(sub.to_owned()))
            }
            IssuerType::Username => {
                let domain = configured(issuer.subject_domain(), "subject domain")?;
                if sub.contains('!') || sub.contains('@') {
                    return Err(invalid(
                        "username must not contain '!' or be an email".into(),
                    ));
                }
                (sub.to_owned(), San::OtherName(format!("{sub}!{domain}")))
            }
            IssuerType::Kubernetes => (sub.to_owned(), San::Uri(kubernetes_san(claims)?)),
            IssuerType::Spiffe => {
                let td = configured(issuer.spiffe_trust_domain(), "SPIFFE trust domain")?;
                check_spiffe_id(sub, td)?;
                (sub.to_owned(), San::Uri(sub.to_owned()))
            }
            IssuerType::CiProvider => {
                let provider = configured(issuer.ci_provider(), "ci-provider")?;
                let md = config.ci_metadata(provider).ok_or_else(|| {
                    OidcError::Config(format!("no ci-issuer-metadata for {provider:?}"))
                })?;
                let mut data = md.default_template_values().clone();
                for (k, v) in claims.as_map() {
                    if let Some(s) = claim_text(v) {
                        data.insert(k.clone(), s);
                    }
                }
                let san = md.san_template().render(&data)?;
                match Url::parse(&san) {
                    Ok(u) if !u.scheme().is_empty() => {}
                    _ => return Err(invalid(format!("SAN {san:?} is not a URI"))),
                }
                for (arc, template) in md.extension_templates() {
                    let value = template.render(&data)?;
                    if value.is_empty() {
                        continue;
                    }
                    let v = if *arc <= 6 {
                        ExtValue::Raw(value)
                    } else {
                        ExtValue::Utf8(value)
                    };
                    exts.insert(*arc, v);
                }
                (sub.to_owned(), San::Uri(san))
            }
        };
        if cert_issuer.is_empty() {
            return Err(OidcError::MissingClaim("iss".into()));
        }
        exts.insert(1, ExtValue::Raw(cert_issuer.clone()));
        exts.insert(8, ExtValue::Utf8(cert_issuer.clone()));
        exts.insert(24, ExtValue::Utf8(sub.to_owned()));
        let extensions = exts
            .into_iter()
            .map(|(arc, v)| (format!("{SIGSTORE_OID_PREFIX}.{arc}"), v))
            .collect();
        Ok(Self {
            name,
            san,
            cert_issuer,
            extensions,
        })
    }
}

fn invalid(why: String) -> OidcError {
    OidcError::InvalidIdentity(why)
}

fn configured<'a>(v: Option<&'a str>, what: &str) -> Result<&'a str, OidcError> {
    v.ok_or_else(|| OidcError::Config(format!("issuer has no {what}")))
}

/// `email_verified` as Fulcio reads it: boolean true, or the strings "true"/"True".
fn email_verified(claims: &Claims) -> bool {
    match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == "True",
        _ => false,
    }
}

/// A basic addr-spec check: one `@`, a non-empty local part without spaces or specials, and a
/// dotted host name.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[]\\,;:\"@".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    s.len() <= 254 && local_ok && domain_ok
}

/// A claim as template text: strings as is, integral numbers without a decimal point, other
/// numbers in plain decimal, booleans as `true`/`false`. Objects, arrays and null yield `None`
/// (a template naming them fails with a missing-key error).
fn claim_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i.to_string())
            } else if let Some(u) = n.as_u64() {
                Some(u.to_string())
            } else {
                n.as_f64().filter(|f| f.is_finite()).map(|f| format!("{f}"))
            }
        }
        _ => None,
    }
}

fn claim_at_path(claims: &Claims, path: &str) -> Result<String, OidcError> {
    let parts = parse_json_path(path).map_err(OidcError::Config)?;
    let mut cur: Option<&Value> = None;
    for (i, p) in parts.iter().enumerate() {
        cur = if i == 0 {
            claims.get(p)
        } else {
            cur.and_then(|v| v.get(p))
        };
    }
    match cur {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(OidcError::MissingClaim(path.to_owned())),
    }
}

fn kubernetes_san(claims: &Claims) -> Result<String, OidcError> {
    let k8s = claims.get("kubernetes.io");
    let field = |v: Option<&Value>, name: &str| -> Result<String, OidcError> {
        match v {
            Some(Value::String(s)) if !s.is_empty() && !s.contains('/') => Ok(s.clone()),
            _ => Err(OidcError::MissingClaim(name.to_owned())),
        }
    };
    let ns = field(
        k8s.and_then(|k| k.get("namespace")),
        "kubernetes.io.namespace",
    )?;
    let sa = field(
        k8s.and_then(|k| k.get("serviceaccount"))
            .and_then(|s| s.get("name")),
        "kubernetes.io.serviceaccount.name",
    )?;
    Ok(format!(
        "https://kubernetes.io/namespaces/{ns}/serviceaccounts/{sa}"
    ))
}

/// `spiffe://<trust domain>/<path>` with a non-empty path of valid segments, in `td`.
fn check_spiffe_id(sub: &str, td: &str) -> Result<(), OidcError> {
    let rest = sub
        .strip_prefix("spiffe://")
        .ok_or_else(|| invalid(format!("{sub:?} is not a SPIFFE ID")))?;
    let (domain, path) = rest
        .split_once('/')
        .ok_or_else(|| invalid(format!("SPIFFE ID {sub:?} has no path")))?;
    if !is_spiffe_trust_domain(domain) {
        return Err(invalid(format!(
            "SPIFFE ID {sub:?} has an invalid trust domain"
        )));
    }
    if domain != td {
        return Err(invalid(format!(
            "SPIFFE ID {sub:?} is not in trust domain {td:?}"
        )));
    }
    let seg_ok = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    if !path.split('/').all(seg_ok) {
        return Err(invalid(format!("SPIFFE ID {sub:?} has an invalid path")));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::config::IssuerUrl;
    use serde_json::json;

    fn claims(v: Value) -> Claims {
        match v {
            Value::Object(m) => Claims::from_map(m),
            _ => Claims::from_map(serde_json::Map::new()),
        }
    }

    fn exact(url: &str, ty: IssuerType) -> Issuer {
        Issuer::new(IssuerUrl::Exact(url.into()), ty)
    }

    fn ext(p: &Principal, arc: u32) -> Option<&ExtValue> {
        let oid = format!("{SIGSTORE_OID_PREFIX}.{arc}");
        p.extensions()
            .iter()
            .find(|(o, _)| *o == oid)
            .map(|(_, v)| v)
    }

    const GOOGLE: &str = "https://accounts.google.com";

    #[test]
    fn email_principal() {
        let cfg = IssuerConfig::default();
        let issuer = exact(GOOGLE, IssuerType::Email);
        let c = claims(
            json!({"iss": GOOGLE, "sub": "1234", "email": "a@example.com", "email_verified": true}),
        );
        let p = Principal::from_claims(&issuer, &cfg, &c).unwrap();
        assert_eq!(p.name(), "a@example.com");
        assert_eq!(p.san(), &San::Email("a@example.com".into()));
        assert_eq!(p.cert_issuer(), GOOGLE);
        assert_eq!(
            p.extensions(),
            &[
                (
                    "1.3.6.1.4.1.57264.1.1".to_owned(),
                    ExtValue::Raw(GOOGLE.into())
                ),
                (
                    "1.3.6.1.4.1.57264.1.8".to_owned(),
                    ExtValue::Utf8(GOOGLE.into())
                ),
                (
                    "1.3.6.1.4.1.57264.1.24".to_owned(),
                    ExtValue::Utf8("1234".into())
                ),
            ]
        );
        for ok in [json!("true"), json!("True")] {
            let c = claims(
                json!({"iss": GOOGLE, "sub": "1", "email": "a@example.com", "email_verified": ok}),
            );
            assert!(Principal::from_claims(&issuer, &cfg, &c).is_ok());
        }
    }

    #[test]
    fn email_must_be_verified_unless_skipped() {
        let cfg = IssuerConfig::default();
        let issuer = exact(GOOGLE, IssuerType::Email);
        for v in [
            json!(false),
            json!("false"),
            json!("TRUE"),
            json!(1),
            json!(null),
        ] {
            let c = claims(
                json!({"iss": GOOGLE, "sub": "1", "email": "a@example.com", "email_verified": v}),
            );
            assert_eq!(
                Principal::from_claims(&issuer, &cfg, &c),
                Err(OidcError::EmailNotVerified)
            );
        }
        let c = claims(json!({"iss": GOOGLE, "sub": "1", "email": "a@example.com"}));
        assert_eq!(
            Principal::from_claims(&issuer, &cfg, &c),
            Err(OidcError::EmailNotVerified)
        );
        let skip = issuer.clone().with_skip_email_verification(true);
        assert!(Principal::from_claims(&skip, &cfg, &c).is_ok());
        let c = claims(json!({"iss": GOOGLE, "sub": "1", "email_verified": true}));
        assert_eq!(
            Principal::from_claims(&issuer, &cfg, &c),
            Err(OidcError::MissingClaim("email".into()))
        );
    }

    #[test]
    fn email_syntax() {
        let cfg = IssuerConfig::default();
        let issuer = exact(GOOGLE, IssuerType::Email);
        for bad in [
            "plain",
            "a@b",
            "@example.com",
            "a b@example.com",
            "a@exa mple.com",
            "a@-x.com",
            "a@x..com",
            "a<b>@x.com",
        ] {
            let c =
                claims(json!({"iss": GOOGLE, "sub": "1", "email": bad, "email_verified": true}));
            assert!(
                matches!(
                    Principal::from_claims(&issuer, &cfg, &c),
                    Err(OidcError::InvalidIdentity(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn email_issuer_claim_path() {
        let cfg = IssuerConfig::default();
        let dex = "https://oauth2.sigstore.dev/auth";
        let issuer =
            exact(dex, IssuerType::Email).with_issuer_claim("$.federated_claims.connector_id");
        let c = claims(json!({
            "iss": dex, "sub": "Cg1", "email": "a@example.com", "email_verified": true,
            "federated_claims": {"connector_id": "https://github.com/login/oauth", "user_id": "1"}
        }));
        let p = Principal::from_claims(&issuer, &cfg, &c).unwrap();
        assert_eq!(p.cert_issuer(), "https://github.com/login/oauth");
        assert_eq!(
            ext(&p, 1),
            Some(&ExtValue::Raw("https://github.com/login/oauth".into()))
        );
        assert_eq!(
            ext(&p, 8),
            Some(&ExtValue::Utf8("https://github.com/login/oauth".into()))
        );
        let c = claims(
            json!({"iss": dex, "sub": "Cg1", "email": "a@example.com", "email_verified": true}),
        );
        assert_eq!(
            Principal::from_claims(&issuer, &cfg, &c),
            Err(OidcError::MissingClaim(
                "$.federated_claims.connector_id".into()
            ))
        );
    }

    #[test]
    fn kubernetes_principal() {
        let cfg = IssuerConfig::default();
        let iss = "https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB";
        let issuer = Issuer::new(
            IssuerUrl::wildcard("https://oidc.eks.*.amazonaws.com/id/*").unwrap(),
            IssuerType::Kubernetes,
        );
        let c = claims(json!({
            "iss": iss, "sub": "system:serviceaccount:build:signer", "aud": ["sigstore"],
            "kubernetes.io": {
                "namespace": "build",
                "pod": {"name": "signer-7d4", "uid": "0c9f"},
                "serviceaccount": {"name": "signer", "uid": "51b6"}
            }
        }));
        let p = Principal::from_claims(&issuer, &cfg, &c).unwrap();
        assert_eq!(p.name(), "system:serviceaccount:build:signer");
        assert_eq!(
            p.san(),
            &San::Uri("https://kubernetes.io/namespaces/build/serviceaccounts/signer".into())
        );
        assert_eq!(p.cert_issuer(), iss);
        assert_eq!(
            ext(&p, 24),
            Some(&ExtValue::Utf8("system:serviceaccount:build:signer".into()))
        );
        let c = claims(json!({"iss": iss, "sub": "x", "kubernetes.io": {"namespace": "build"}}));
        assert_eq!(
            Principal::from_claims(&issuer, &cfg, &c),
            Err(OidcError::MissingClaim(
                "kubernetes.io.serviceaccount.name".into()
            ))
        );
        let c = claims(
            json!({"iss": iss, "sub": "x", "kubernetes.io": {"namespace": "a/../b", "serviceaccount": {"name": "s"}}}),
        );
        assert!(Principal::from_claims(&issuer, &cfg, &c).is_err());
    }

    #[test]
    fn username_principal() {
        let cfg = IssuerConfig::default();
        let url = "https://auth.example.com";
        let issuer = exact(url, IssuerType::Username).with_subject_domain("example.com");
        let c = claims(json!({"iss": url, "sub": "alice"}));
        let p = Principal::from_claims(&issuer, &cfg, &c).unwrap();
        assert_eq!(p.name(), "alice");
        assert_eq!(p.san(), &San::OtherName("alice!example.com".into()));
        for bad in ["a!b", "a@example.com"] {
            let c = claims(json!({"iss": url, "sub": bad}));
            assert!(matches!(
                Principal::from_claims(&issuer, &cfg, &c),
                Err(OidcError::InvalidIdentity(_))
            ));
        }
    }

    #[test]
    fn uri_principal() {
        let cfg = IssuerConfig::default();
        let url = "https://accounts.example.com";
        let issuer = exact(url, IssuerType::Uri).with_subject_domain("https://example.com");
        let c = claims(json!({"iss": url, "sub": "https://example.com/users/alice"}));
        let p = Principal::from_claims(&issuer, &cfg, &c).unwrap();
        assert_eq!(p.san(), &San::Uri("https://example.com/users/alice".into()));
        for bad in [
            "http://example.com/a",
            "https://evil.com/a",
            "https://sub.example.com/a",
            "alice",
        ] {
            let c = claims(json!({"iss": url, "sub": bad}));
            assert!(
                matches!(
                    Principal::from_claims(&issuer, &cfg, &c),
                    Err(OidcError::InvalidIdentity(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn spiffe_principal() {
        let cfg = IssuerConfig::default();
        let url = "https://spire.example.com";
        let issuer = exact(url, IssuerType::Spiffe).with_spiffe_trust_domain("example.com");
        let c = claims(json!({"iss": url, "sub": "spiffe://example.com/ns/prod/sa/signer"}));
        let p = Principal::from_claims(&issuer, &cfg, &c).unwrap();
        assert_eq!(
            p.san(),
            &San::Uri("spiffe://example.com/ns/prod/sa/signer".into())
        );
        for bad in [
            "spiffe://other.com/x",
            "spiffe://example.com",
            "spiffe://example.com/",
            "spiffe://example.com/a//b",
            "spiffe://example.com/a/../b",
            "spiffe://Example.com/a",
            "https://example.com/a",
            "spiffe://example.com/a?b",
        ] {
            let c = claims(json!({"iss": url, "sub": bad}));
            assert!(
                matches!(
                    Principal::from_claims(&issuer, &cfg, &c),
                    Err(OidcError::InvalidIdentity(_))
                ),
                "{bad}"
            );
        }
    }

    const GHA: &str = "https://token.actions.githubusercontent.com";

    fn github_claims() -> Value {
        json!({
            "jti": "0d5a2b8e-1c55-4f9d-a1c4-0f1f2e3d4c5b",
            "sub": "repo:sigstore/sigstore-js:ref:refs/heads/main",
            "aud": "sigstore",
            "ref": "refs/heads/main",
            "sha": "d3a8b1c9f0e2a4b6c8d0e2f4a6b8c0d2e4f6a8b0",
            "repository": "sigstore/sigstore-js",
            "repository_owner": "sigstore",
            "repository_owner_id": "71096353",
            "repository_visibility": "public",
            "repository_id": "495574555",
            "actor_id": "398027",
            "actor": "bdehamer",
            "workflow": "Release",
            "head_ref": "",
            "base_ref": "",
            "event_name": "push",
            "ref_protected": "true",
            "ref_type": "branch",
            "workflow_ref": "sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
            "workflow_sha": "d3a8b1c9f0e2a4b6c8d0e2f4a6b8c0d2e4f6a8b0",
            "job_workflow_ref": "sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
            "job_workflow_sha": "d3a8b1c9f0e2a4b6c8d0e2f4a6b8c0d2e4f6a8b0",
            "runner_environment": "github-hosted",
            "run_id": "6060235545",
            "run_number": "120",
            "run_attempt": "1",
            "iss": GHA,
            "nbf": 1693518120,
            "exp": 1693519020,
            "iat": 1693518720
        })
    }

    fn gha_issuer() -> Issuer {
        exact(GHA, IssuerType::CiProvider).with_ci_provider("github-workflow")
    }

    #[test]
    fn github_actions_extensions() {
        let cfg = IssuerConfig::default();
        let p = Principal::from_claims(&gha_issuer(), &cfg, &claims(github_claims())).unwrap();
        let sha = "d3a8b1c9f0e2a4b6c8d0e2f4a6b8c0d2e4f6a8b0";
        let wf =
            "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main";
        assert_eq!(p.name(), "repo:sigstore/sigstore-js:ref:refs/heads/main");
        assert_eq!(p.san(), &San::Uri(wf.into()));
        assert_eq!(p.cert_issuer(), GHA);
        let raw = |s: &str| ExtValue::Raw(s.into());
        let utf = |s: &str| ExtValue::Utf8(s.into());
        let expected: Vec<(String, ExtValue)> = [
            (1, raw(GHA)),
            (2, raw("push")),
            (3, raw(sha)),
            (4, raw("Release")),
            (5, raw("sigstore/sigstore-js")),
            (6, raw("refs/heads/main")),
            (8, utf(GHA)),
            (9, utf(wf)),
            (10, utf(sha)),
            (11, utf("github-hosted")),
            (12, utf("https://github.com/sigstore/sigstore-js")),
            (13, utf(sha)),
            (14, utf("refs/heads/main")),
            (15, utf("495574555")),
            (16, utf("https://github.com/sigstore")),
            (17, utf("71096353")),
            (18, utf(wf)),
            (19, utf(sha)),
            (20, utf("push")),
            (
                21,
                utf("https://github.com/sigstore/sigstore-js/actions/runs/6060235545/attempts/1"),
            ),
            (22, utf("public")),
            (24, utf("repo:sigstore/sigstore-js:ref:refs/heads/main")),
        ]
        .into_iter()
        .map(|(a, v)| (format!("1.3.6.1.4.1.57264.1.{a}"), v))
        .collect();
        assert_eq!(p.extensions(), expected.as_slice());
    }

    #[test]
    fn github_optional_environment_and_numeric_claims() {
        let cfg = IssuerConfig::default();
        let mut c = github_claims();
        c["environment"] = json!("production");
        c["run_id"] = json!(6060235545_u64);
        c["run_attempt"] = json!(2.0);
        c["repository_id"] = json!(495574555);
        let p = Principal::from_claims(&gha_issuer(), &cfg, &claims(c)).unwrap();
        assert_eq!(ext(&p, 23), Some(&ExtValue::Utf8("production".into())));
        assert_eq!(ext(&p, 15), Some(&ExtValue::Utf8("495574555".into())));
        assert_eq!(
            ext(&p, 21),
            Some(&ExtValue::Utf8(
                "https://github.com/sigstore/sigstore-js/actions/runs/6060235545/attempts/2".into()
            ))
        );
    }

    #[test]
    fn github_missing_claim_fails() {
        let cfg = IssuerConfig::default();
        for name in ["job_workflow_ref", "run_attempt", "job_workflow_sha", "sha"] {
            let mut c = github_claims();
            c.as_object_mut().unwrap().remove(name);
            assert_eq!(
                Principal::from_claims(&gha_issuer(), &cfg, &claims(c)),
                Err(OidcError::MissingClaim(name.into())),
                "{name}"
            );
        }
        // A claim cannot be an object.
        let mut c = github_claims();
        c["repository_id"] = json!({"id": 1});
        assert_eq!(
            Principal::from_claims(&gha_issuer(), &cfg, &claims(c)),
            Err(OidcError::MissingClaim("repository_id".into()))
        );
    }

    #[test]
    fn gitlab_pipeline_extensions() {
        let cfg = IssuerConfig::default();
        let iss = "https://gitlab.com";
        let issuer = exact(iss, IssuerType::CiProvider).with_ci_provider("gitlab-pipeline");
        let c = json!({
            "iss": iss, "sub": "project_path:group/proj:ref_type:tag:ref:v1.0", "aud": "sigstore",
            "namespace_id": "42", "namespace_path": "group", "project_id": "7",
            "project_path": "group/proj", "pipeline_source": "push", "ref": "v1.0",
            "ref_type": "tag", "job_id": "99", "sha": "abc", "runner_environment": "gitlab-hosted",
            "ci_config_ref_uri": "gitlab.com/group/proj//.gitlab-ci.yml@refs/tags/v1.0",
            "ci_config_sha": "abc", "project_visibility": "private"
        });
        let p = Principal::from_claims(&issuer, &cfg, &claims(c)).unwrap();
        assert_eq!(
            p.san(),
            &San::Uri("https://gitlab.com/group/proj//.gitlab-ci.yml@refs/tags/v1.0".into())
        );
        assert_eq!(ext(&p, 14), Some(&ExtValue::Utf8("refs/tags/v1.0".into())));
        assert_eq!(
            ext(&p, 21),
            Some(&ExtValue::Utf8(
                "https://gitlab.com/group/proj/-/jobs/99".into()
            ))
        );
        assert_eq!(ext(&p, 2), None); // GitHub-only deprecated OIDs
        assert_eq!(ext(&p, 23), None);
    }

    #[test]
    fn custom_ci_metadata_with_index_templates() {
        let yaml = r#"
oidc-issuers:
  https://ci.example.com:
    type: ci-provider
    ci-provider: example-ci
ci-issuer-metadata:
  example-ci:
    default-template-values:
      api: "https://ci.example.com/api"
    extension-templates:
      build-signer-uri: '{{.api}}/defs/{{(index . "ci.example.com/def-id")}}'
      runner-environment: '{{if eq (index . "ci.example.com/hosted") "true"}}hosted{{ else }}self-hosted{{end}}'
      source-repository-ref: 'git_ref'
    subject-alternative-name-template: '{{.api}}/projects/{{index . "ci.example.com/project"}}'
"#;
        let cfg = IssuerConfig::from_yaml(yaml.as_bytes()).unwrap();
        let issuer = cfg.find("https://ci.example.com").unwrap();
        let c = claims(json!({
            "iss": "https://ci.example.com", "sub": "org/1/project/2",
            "ci.example.com/def-id": "d9", "ci.example.com/hosted": true,
            "ci.example.com/project": "p2", "git_ref": "refs/heads/main"
        }));
        let p = Principal::from_claims(issuer, &cfg, &c).unwrap();
        assert_eq!(
            p.san(),
            &San::Uri("https://ci.example.com/api/projects/p2".into())
        );
        assert_eq!(
            ext(&p, 9),
            Some(&ExtValue::Utf8("https://ci.example.com/api/defs/d9".into()))
        );
        assert_eq!(ext(&p, 11), Some(&ExtValue::Utf8("hosted".into())));
        assert_eq!(ext(&p, 14), Some(&ExtValue::Utf8("refs/heads/main".into())));
        assert_eq!(p.extensions().len(), 6); // 1.1, 1.8, 1.9, 1.11, 1.14, 1.24
        // A SAN template that does not render a URI is refused.
        let mut md_cfg = IssuerConfig::default();
        let md = crate::config::CiIssuerMetadata::new(
            Default::default(),
            &Default::default(),
            "{{ .name }}",
        )
        .unwrap();
        md_cfg.add_ci_metadata("plain", md);
        md_cfg
            .add_issuer(
                exact("https://ci.example.com", IssuerType::CiProvider).with_ci_provider("plain"),
            )
            .unwrap();
        let c = claims(json!({"iss": "https://ci.example.com", "sub": "s", "name": "not a uri"}));
        let issuer = md_cfg.find("https://ci.example.com").unwrap();
        assert!(matches!(
            Principal::from_claims(issuer, &md_cfg, &c),
            Err(OidcError::InvalidIdentity(_))
        ));
    }

    #[test]
    fn rejects_claims_from_another_issuer() {
        let cfg = IssuerConfig::default();
        let c = claims(json!({"iss": "https://evil.example", "sub": "x"}));
        assert_eq!(
            Principal::from_claims(&gha_issuer(), &cfg, &c),
            Err(OidcError::WrongIssuer)
        );
        let c = claims(json!({"iss": GHA}));
        assert_eq!(
            Principal::from_claims(&gha_issuer(), &cfg, &c),
            Err(OidcError::MissingClaim("sub".into()))
        );
    }
}
