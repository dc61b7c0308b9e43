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

    /// The `extnValue` OCTET STRING contents.
    pub fn to_der_contents(&self) -> Vec<u8> {
        match self {
            Self::Raw(s) => s.as_bytes().to_vec(),
            Self::Utf8(s) => {
                let len = s.len();
                let mut out = vec![0x0c];
                if len < 0x80 {
                    out.push(len as u8);
                } else {
                    let bytes = len.to_be_bytes();
                    let skip = bytes.iter().take_while(|b| **b == 0).count();
                    out.push(0x80 | (bytes.len() - skip) as u8);
                    out.extend_from_slice(&bytes[skip..]);
                }
                out.extend_from_slice(s.as_bytes());
                out
            }
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
