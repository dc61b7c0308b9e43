//! Fulcio's identity configuration (`pkg/config/config.go`).
//!
//! The file is read as JSON with Go field names (`OIDCIssuers`, `IssuerURL`, …) or as YAML with
//! kebab-case keys (`oidc-issuers`, `issuer-url`, …); [`IssuerConfig::parse`] tries JSON first
//! and then YAML, as Fulcio does. Unknown keys are ignored (Fulcio's YAML files carry a `define:`
//! block for anchors). Both key styles are accepted in both formats, but unlike Go's
//! `encoding/json` the JSON keys are case-sensitive. Everything is validated when loaded, so a loaded configuration never
//! fails later because of a bad template or a missing subject domain.

use std::collections::BTreeMap;

use regex::Regex;
use reqwest::Url;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::OidcError;
use crate::template::Template;

/// Audience (`client-id`) used when an issuer does not set one; `sigstore` everywhere in
/// Sigstore's public deployments.
pub const DEFAULT_CLIENT_ID: &str = "sigstore";

/// How an issuer's tokens become certificate identities (Fulcio `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IssuerType {
    /// SAN = `email` claim (rfc822Name); requires `email_verified`.
    Email,
    /// SAN = `sub`, a URI under the issuer's `SubjectDomain`.
    Uri,
    /// SAN = otherName `sub!SubjectDomain` (OID 1.3.6.1.4.1.57264.1.7).
    Username,
    /// Kubernetes service-account tokens.
    Kubernetes,
    /// SAN = `sub`, a SPIFFE ID in the issuer's trust domain.
    Spiffe,
    /// CI systems described by [`CiIssuerMetadata`] templates.
    CiProvider,
}

impl IssuerType {
    /// Fulcio's name for the type (`email`, `ci-provider`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Uri => "uri",
            Self::Username => "username",
            Self::Kubernetes => "kubernetes",
            Self::Spiffe => "spiffe",
            Self::CiProvider => "ci-provider",
        }
    }

    /// Parses Fulcio's name. Fulcio's legacy per-provider types (`github-workflow`,
    /// `gitlab-pipeline`, `buildkite-job`, `codefresh-workflow`, `chainguard-identity`) are not
    /// supported: use `ci-provider` with the matching metadata instead.
    pub fn parse(s: &str) -> Result<Self, OidcError> {
        Ok(match s {
            "email" => Self::Email,
            "uri" => Self::Uri,
            "username" => Self::Username,
            "kubernetes" => Self::Kubernetes,
            "spiffe" => Self::Spiffe,
            "ci-provider" => Self::CiProvider,
            other => {
                return Err(OidcError::Config(format!(
                    "unsupported issuer type {other:?}"
                )));
            }
        })
    }

    /// The claim whose value the client signs as proof of possession when the issuer does not
    /// configure `ChallengeClaim`: `email` for email issuers, `sub` otherwise.
    pub fn default_challenge_claim(self) -> &'static str {
        match self {
            Self::Email => "email",
            _ => "sub",
        }
    }
}

/// Where an issuer is expected: one exact URL, or a `MetaIssuers` wildcard pattern.
#[derive(Debug, Clone)]
pub enum IssuerUrl {
    /// `OIDCIssuers` entry: the token's `iss` must equal this URL.
    Exact(String),
    /// `MetaIssuers` entry: `*` matches `[-_a-zA-Z0-9]+`, the whole `iss` must match.
    Wildcard {
        /// The configured pattern, e.g. `https://oidc.eks.*.amazonaws.com/id/*`.
        pattern: String,
        /// The compiled, anchored regular expression.
        regex: Regex,
    },
}

impl IssuerUrl {
    /// A wildcard issuer from a pattern (`*` ⇒ `[-_a-zA-Z0-9]+`, anchored at both ends).
    pub fn wildcard(pattern: &str) -> Result<Self, OidcError> {
        let body = regex::escape(pattern).replace(r"\*", "[-_a-zA-Z0-9]+");
        let regex = Regex::new(&format!("^{body}$"))
            .map_err(|e| OidcError::Config(format!("meta issuer {pattern:?}: {e}")))?;
        Ok(Self::Wildcard {
            pattern: pattern.to_owned(),
            regex,
        })
    }

    /// Whether a token's `iss` belongs to this issuer.
    pub fn matches(&self, iss: &str) -> bool {
        match self {
            Self::Exact(url) => url == iss,
            Self::Wildcard { regex, .. } => regex.is_match(iss),
        }
    }

    /// The URL or pattern as configured.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Exact(url) => url,
            Self::Wildcard { pattern, .. } => pattern,
        }
    }
}

/// One configured issuer (a Fulcio `OIDCIssuer`).
#[derive(Debug, Clone)]
pub struct Issuer {
    url: IssuerUrl,
    client_id: String,
    issuer_type: IssuerType,
    ci_provider: Option<String>,
    issuer_claim: Option<String>,
    subject_domain: Option<String>,
    spiffe_trust_domain: Option<String>,
    challenge_claim: Option<String>,
    skip_email_verification: bool,
    description: Option<String>,
    contact: Option<String>,
}

impl Issuer {
    /// An issuer with the default client id (`sigstore`) and no optional settings. It is only
    /// validated when added to an [`IssuerConfig`].
    pub fn new(url: IssuerUrl, issuer_type: IssuerType) -> Self {
        Self {
            url,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            issuer_type,
            ci_provider: None,
            issuer_claim: None,
            subject_domain: None,
            spiffe_trust_domain: None,
            challenge_claim: None,
            skip_email_verification: false,
            description: None,
            contact: None,
        }
    }

    /// Sets the expected audience (`ClientID`).
    pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }
    /// Sets `CIProvider` (the [`CiIssuerMetadata`] name) for `ci-provider` issuers.
    pub fn with_ci_provider(mut self, name: impl Into<String>) -> Self {
        self.ci_provider = Some(name.into());
        self
    }
    /// Sets `IssuerClaim` (simple JSONPath such as `$.federated_claims.connector_id`).
    pub fn with_issuer_claim(mut self, path: impl Into<String>) -> Self {
        self.issuer_claim = Some(path.into());
        self
    }
    /// Sets `SubjectDomain` (uri and username issuers).
    pub fn with_subject_domain(mut self, domain: impl Into<String>) -> Self {
        self.subject_domain = Some(domain.into());
        self
    }
    /// Sets `SPIFFETrustDomain` (spiffe issuers).
    pub fn with_spiffe_trust_domain(mut self, domain: impl Into<String>) -> Self {
        self.spiffe_trust_domain = Some(domain.into());
        self
    }
    /// Sets `SkipEmailVerification` (email issuers).
    pub fn with_skip_email_verification(mut self, skip: bool) -> Self {
        self.skip_email_verification = skip;
        self
    }

    /// Exact URL or wildcard pattern.
    pub fn url(&self) -> &IssuerUrl {
        &self.url
    }
    /// Expected audience.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// Identity type.
    pub fn issuer_type(&self) -> IssuerType {
        self.issuer_type
    }
    /// CI metadata name (`ci-provider` issuers).
    pub fn ci_provider(&self) -> Option<&str> {
        self.ci_provider.as_deref()
    }
    /// JSONPath of the claim holding the certificate issuer (email issuers).
    pub fn issuer_claim(&self) -> Option<&str> {
        self.issuer_claim.as_deref()
    }
    /// Subject domain (uri and username issuers).
    pub fn subject_domain(&self) -> Option<&str> {
        self.subject_domain.as_deref()
    }
    /// SPIFFE trust domain (spiffe issuers).
    pub fn spiffe_trust_domain(&self) -> Option<&str> {
        self.spiffe_trust_domain.as_deref()
    }
    /// Whether `email_verified` is ignored.
    pub fn skip_email_verification(&self) -> bool {
        self.skip_email_verification
    }
    /// The configured challenge claim, or the type's default.
    pub fn challenge_claim(&self) -> &str {
        self.challenge_claim
            .as_deref()
            .unwrap_or(self.issuer_type.default_challenge_claim())
    }
    /// Free-text description from the configuration.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// Contact from the configuration.
    pub fn contact(&self) -> Option<&str> {
        self.contact.as_deref()
    }

    fn validate(&self, ci: &BTreeMap<String, CiIssuerMetadata>) -> Result<(), OidcError> {
        let name = self.url.as_str();
        let err = |why: String| OidcError::Config(format!("issuer {name:?}: {why}"));
        let issuer_url = Url::parse(name).map_err(|e| err(format!("not a URL: {e}")))?;
        if !matches!(issuer_url.scheme(), "https" | "http") {
            return Err(err("issuer URL must be http(s)".into()));
        }
        if self.client_id.is_empty() {
            return Err(err("empty client id".into()));
        }
        if self.issuer_claim.is_some() && self.issuer_type != IssuerType::Email {
            return Err(err("issuer-claim is only allowed for email issuers".into()));
        }
        if let Some(path) = &self.issuer_claim {
            parse_json_path(path).map_err(err)?;
        }
        match self.issuer_type {
            IssuerType::Uri => {
                let domain = self
                    .subject_domain
                    .as_deref()
                    .ok_or_else(|| err("uri issuers need a subject domain".into()))?;
                let d = Url::parse(domain)
                    .map_err(|e| err(format!("subject domain {domain:?}: {e}")))?;
                if d.scheme() != issuer_url.scheme() {
                    return Err(err("subject domain scheme must match the issuer's".into()));
                }
                let (dh, ih) = (
                    d.host_str().unwrap_or(""),
                    issuer_url.host_str().unwrap_or(""),
                );
                if dh.is_empty() || registrable_domain(dh) != registrable_domain(ih) {
                    return Err(err(format!(
                        "subject domain {domain:?} is not in the issuer's domain"
                    )));
                }
            }
            IssuerType::Username => {
                let domain = self
                    .subject_domain
                    .as_deref()
                    .ok_or_else(|| err("username issuers need a subject domain".into()))?;
                if domain.contains("://") || !is_hostname(domain) {
                    return Err(err(format!(
                        "subject domain {domain:?} must be a bare host name"
                    )));
                }
            }
            IssuerType::Spiffe => {
                if matches!(self.url, IssuerUrl::Wildcard { .. }) {
                    return Err(err("spiffe issuers cannot be meta issuers".into()));
                }
                let td = self.spiffe_trust_domain.as_deref().unwrap_or("");
                if !is_spiffe_trust_domain(td) {
                    return Err(err(format!("invalid SPIFFE trust domain {td:?}")));
                }
            }
            IssuerType::CiProvider => {
                let provider = self
                    .ci_provider
                    .as_deref()
                    .ok_or_else(|| err("ci-provider issuers need ci-provider".into()))?;
                if !ci.contains_key(provider) {
                    return Err(err(format!("no ci-issuer-metadata for {provider:?}")));
                }
            }
            IssuerType::Email | IssuerType::Kubernetes => {}
        }
        Ok(())
    }

    fn to_configuration_json(&self) -> Value {
        let mut o = json!({
            "audience": self.client_id,
            "challengeClaim": self.challenge_claim(),
            "spiffeTrustDomain": self.spiffe_trust_domain.as_deref().unwrap_or(""),
            "issuerType": self.issuer_type.as_str(),
            "subjectDomain": self.subject_domain.as_deref().unwrap_or(""),
            "skipEmailVerification": self.skip_email_verification,
        });
        let (key, url) = match &self.url {
            IssuerUrl::Exact(u) => ("issuerUrl", u),
            IssuerUrl::Wildcard { pattern, .. } => ("wildcardIssuerUrl", pattern),
        };
        if let Value::Object(map) = &mut o {
            map.insert(key.to_owned(), Value::String(url.clone()));
        }
        o
    }
}

/// Templates describing how a CI provider's claims become certificate extensions
/// (`ci-issuer-metadata` entry).
#[derive(Debug, Clone)]
pub struct CiIssuerMetadata {
    default_template_values: BTreeMap<String, String>,
    /// (OID arc under 1.3.6.1.4.1.57264.1, template), ascending.
    extension_templates: Vec<(u32, Template)>,
    san_template: Template,
}

impl CiIssuerMetadata {
    /// Builds metadata from default values, extension templates keyed by Fulcio's YAML names
    /// (`build-signer-uri`, …) or Go field names (`BuildSignerURI`, …), and the SAN template.
    pub fn new(
        default_template_values: BTreeMap<String, String>,
        extension_templates: &BTreeMap<String, String>,
        subject_alternative_name_template: &str,
    ) -> Result<Self, OidcError> {
        let mut exts = Vec::new();
        for (name, source) in extension_templates {
            let arc = extension_arc(name)
                .ok_or_else(|| OidcError::Config(format!("unknown extension template {name:?}")))?;
            if exts.iter().any(|(a, _)| *a == arc) {
                return Err(OidcError::Config(format!(
                    "extension template {name:?} given twice"
                )));
            }
            exts.push((arc, Template::parse(source)?));
        }
        exts.sort_by_key(|(a, _)| *a);
        if subject_alternative_name_template.is_empty() {
            return Err(OidcError::Config(
                "empty subject-alternative-name-template".into(),
            ));
        }
        Ok(Self {
            default_template_values,
            extension_templates: exts,
            san_template: Template::parse(subject_alternative_name_template)?,
        })
    }

    /// Fulcio's `github-workflow` metadata (public-good `config/identity/config.yaml`).
    pub fn github_workflow() -> Self {
        builtin(
            &[("url", "https://github.com"), ("environment", "")],
            GITHUB_TEMPLATES,
            "{{ .url }}/{{ .job_workflow_ref }}",
        )
    }

    /// Fulcio's `gitlab-pipeline` metadata (public-good `config/identity/config.yaml`).
    pub fn gitlab_pipeline() -> Self {
        builtin(
            &[("url", "https://gitlab.com"), ("environment", "")],
            GITLAB_TEMPLATES,
            "https://{{ .ci_config_ref_uri }}",
        )
    }

    /// Values used when a template names a key the token does not carry.
    pub fn default_template_values(&self) -> &BTreeMap<String, String> {
        &self.default_template_values
    }

    pub(crate) fn extension_templates(&self) -> &[(u32, Template)] {
        &self.extension_templates
    }

    pub(crate) fn san_template(&self) -> &Template {
        &self.san_template
    }
}

const GITHUB_TEMPLATES: &[(u32, &str)] = &[
    (2, "event_name"),
    (3, "sha"),
    (4, "workflow"),
    (5, "repository"),
    (6, "ref"),
    (9, "{{ .url }}/{{ .job_workflow_ref }}"),
    (10, "job_workflow_sha"),
    (11, "runner_environment"),
    (12, "{{ .url }}/{{ .repository }}"),
    (13, "sha"),
    (14, "ref"),
    (15, "repository_id"),
    (16, "{{ .url }}/{{ .repository_owner }}"),
    (17, "repository_owner_id"),
    (18, "{{ .url }}/{{ .workflow_ref }}"),
    (19, "workflow_sha"),
    (20, "event_name"),
    (
        21,
        "{{ .url }}/{{ .repository }}/actions/runs/{{ .run_id }}/attempts/{{ .run_attempt }}",
    ),
    (22, "repository_visibility"),
    (23, "environment"),
];

const GITLAB_TEMPLATES: &[(u32, &str)] = &[
    (9, "https://{{ .ci_config_ref_uri }}"),
    (10, "ci_config_sha"),
    (11, "runner_environment"),
    (12, "{{ .url }}/{{ .project_path }}"),
    (13, "sha"),
    (
        14,
        r#"refs/{{if eq .ref_type "branch"}}heads/{{ else }}tags/{{end}}{{ .ref }}"#,
    ),
    (15, "project_id"),
    (16, "{{ .url }}/{{ .namespace_path }}"),
    (17, "namespace_id"),
    (18, "https://{{ .ci_config_ref_uri }}"),
    (19, "ci_config_sha"),
    (20, "pipeline_source"),
    (21, "{{ .url }}/{{ .project_path }}/-/jobs/{{ .job_id }}"),
    (22, "project_visibility"),
    (23, "environment"),
];

fn builtin(defaults: &[(&str, &str)], templates: &[(u32, &str)], san: &str) -> CiIssuerMetadata {
    // The built-in tables are covered by tests; a template that failed to parse would be a bug
    // caught there. Keeping the parse fallible-free here avoids unwrap in library code.
    let parse = |s: &str| match Template::parse(s) {
        Ok(t) => t,
        Err(_) => Template::literal_claim(s),
    };
    CiIssuerMetadata {
        default_template_values: defaults
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        extension_templates: templates.iter().map(|(a, s)| (*a, parse(s))).collect(),
        san_template: parse(san),
    }
}

/// (YAML name, Go field name, OID arc) for every templatable extension.
const EXTENSIONS: &[(&str, &str, u32)] = &[
    ("github-workflow-trigger", "GithubWorkflowTrigger", 2),
    ("github-workflow-sha", "GithubWorkflowSHA", 3),
    ("github-workflow-name", "GithubWorkflowName", 4),
    ("github-workflow-repository", "GithubWorkflowRepository", 5),
    ("github-workflow-ref", "GithubWorkflowRef", 6),
    ("build-signer-uri", "BuildSignerURI", 9),
    ("build-signer-digest", "BuildSignerDigest", 10),
    ("runner-environment", "RunnerEnvironment", 11),
    ("source-repository-uri", "SourceRepositoryURI", 12),
    ("source-repository-digest", "SourceRepositoryDigest", 13),
    ("source-repository-ref", "SourceRepositoryRef", 14),
    (
        "source-repository-identifier",
        "SourceRepositoryIdentifier",
        15,
    ),
    (
        "source-repository-owner-uri",
        "SourceRepositoryOwnerURI",
        16,
    ),
    (
        "source-repository-owner-identifier",
        "SourceRepositoryOwnerIdentifier",
        17,
    ),
    ("build-config-uri", "BuildConfigURI", 18),
    ("build-config-digest", "BuildConfigDigest", 19),
    ("build-trigger", "BuildTrigger", 20),
    ("run-invocation-uri", "RunInvocationURI", 21),
    (
        "source-repository-visibility-at-signing",
        "SourceRepositoryVisibilityAtSigning",
        22,
    ),
    ("deployment-environment", "DeploymentEnvironment", 23),
];

fn extension_arc(name: &str) -> Option<u32> {
    EXTENSIONS
        .iter()
        .find(|(y, g, _)| *y == name || g.eq_ignore_ascii_case(name))
        .map(|(_, _, a)| *a)
}

/// The validated identity configuration.
#[derive(Debug, Clone)]
pub struct IssuerConfig {
    exact: BTreeMap<String, Issuer>,
    meta: Vec<Issuer>,
    ci_metadata: BTreeMap<String, CiIssuerMetadata>,
}

impl Default for IssuerConfig {
    /// No issuers; the built-in `github-workflow` and `gitlab-pipeline` CI metadata.
    fn default() -> Self {
        let mut ci_metadata = BTreeMap::new();
        ci_metadata.insert(
            "github-workflow".to_owned(),
            CiIssuerMetadata::github_workflow(),
        );
        ci_metadata.insert(
            "gitlab-pipeline".to_owned(),
            CiIssuerMetadata::gitlab_pipeline(),
        );
        Self {
            exact: BTreeMap::new(),
            meta: Vec::new(),
            ci_metadata,
        }
    }
}

impl IssuerConfig {
    /// Parses JSON (Go field names) or, when the bytes are not JSON, YAML (kebab-case keys).
    /// A JSON document that parses but fails validation is reported as such.
    pub fn parse(bytes: &[u8]) -> Result<Self, OidcError> {
        match serde_json::from_slice::<RawConfig>(bytes) {
            Ok(raw) => Self::from_raw(raw),
            Err(_) => Self::from_yaml(bytes),
        }
    }

    /// Parses the JSON form (`OIDCIssuers`, `MetaIssuers`, `CIIssuerMetadata`).
    pub fn from_json(bytes: &[u8]) -> Result<Self, OidcError> {
        let raw: RawConfig =
            serde_json::from_slice(bytes).map_err(|e| OidcError::Config(e.to_string()))?;
        Self::from_raw(raw)
    }

    /// Parses the YAML form (`oidc-issuers`, `meta-issuers`, `ci-issuer-metadata`).
    pub fn from_yaml(bytes: &[u8]) -> Result<Self, OidcError> {
        let raw: RawConfig =
            serde_norway::from_slice(bytes).map_err(|e| OidcError::Config(e.to_string()))?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: RawConfig) -> Result<Self, OidcError> {
        let mut cfg = Self::default();
        for (name, m) in raw.ci_issuer_metadata {
            let md = CiIssuerMetadata::new(
                m.default_template_values,
                &m.extension_templates,
                m.subject_alternative_name_template.as_deref().unwrap_or(""),
            )
            .map_err(|e| OidcError::Config(format!("ci-issuer-metadata {name:?}: {e}")))?;
            cfg.ci_metadata.insert(name, md);
        }
        for (key, r) in raw.oidc_issuers {
            if let Some(u) = r
                .issuer_url
                .as_deref()
                .filter(|u| !u.is_empty() && *u != key)
            {
                return Err(OidcError::Config(format!(
                    "issuer {key:?}: IssuerURL {u:?} differs from its key"
                )));
            }
            cfg.add_issuer(r.into_issuer(IssuerUrl::Exact(key))?)?;
        }
        for (pattern, r) in raw.meta_issuers {
            cfg.add_issuer(r.into_issuer(IssuerUrl::wildcard(&pattern)?)?)?;
        }
        Ok(cfg)
    }

    /// Adds (or replaces, for the same URL/pattern) an issuer after validating it.
    pub fn add_issuer(&mut self, issuer: Issuer) -> Result<(), OidcError> {
        issuer.validate(&self.ci_metadata)?;
        match &issuer.url {
            IssuerUrl::Exact(u) => {
                self.exact.insert(u.clone(), issuer);
            }
            IssuerUrl::Wildcard { pattern, .. } => {
                let pattern = pattern.clone();
                self.meta.retain(|i| i.url.as_str() != pattern);
                self.meta.push(issuer);
                self.meta.sort_by(|a, b| a.url.as_str().cmp(b.url.as_str()));
            }
        }
        Ok(())
    }

    /// Adds (or replaces) CI metadata under `name`.
    pub fn add_ci_metadata(&mut self, name: impl Into<String>, metadata: CiIssuerMetadata) {
        self.ci_metadata.insert(name.into(), metadata);
    }

    /// CI metadata by name.
    pub fn ci_metadata(&self, name: &str) -> Option<&CiIssuerMetadata> {
        self.ci_metadata.get(name)
    }

    /// The issuer for a token's `iss`: an exact `OIDCIssuers` entry first, then the first
    /// `MetaIssuers` pattern (in pattern order) matching the whole string.
    pub fn find(&self, iss: &str) -> Option<&Issuer> {
        self.exact
            .get(iss)
            .or_else(|| self.meta.iter().find(|i| i.url.matches(iss)))
    }

    /// All issuers: exact ones (by URL), then meta issuers (by pattern).
    pub fn issuers(&self) -> impl Iterator<Item = &Issuer> {
        self.exact.values().chain(self.meta.iter())
    }

    /// The body of Fulcio's `GET /api/v2/configuration`.
    pub fn configuration_json(&self) -> Value {
        json!({ "issuers": self.issuers().map(Issuer::to_configuration_json).collect::<Vec<_>>() })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawConfig {
    #[serde(rename = "OIDCIssuers", alias = "oidc-issuers")]
    oidc_issuers: BTreeMap<String, RawIssuer>,
    #[serde(rename = "MetaIssuers", alias = "meta-issuers")]
    meta_issuers: BTreeMap<String, RawIssuer>,
    #[serde(rename = "CIIssuerMetadata", alias = "ci-issuer-metadata")]
    ci_issuer_metadata: BTreeMap<String, RawCiMetadata>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawIssuer {
    #[serde(rename = "IssuerURL", alias = "issuer-url")]
    issuer_url: Option<String>,
    #[serde(rename = "ClientID", alias = "client-id")]
    client_id: Option<String>,
    #[serde(rename = "Type", alias = "type")]
    issuer_type: Option<String>,
    #[serde(rename = "CIProvider", alias = "ci-provider")]
    ci_provider: Option<String>,
    #[serde(rename = "IssuerClaim", alias = "issuer-claim")]
    issuer_claim: Option<String>,
    #[serde(rename = "SubjectDomain", alias = "subject-domain")]
    subject_domain: Option<String>,
    #[serde(rename = "SPIFFETrustDomain", alias = "spiffe-trust-domain")]
    spiffe_trust_domain: Option<String>,
    #[serde(rename = "ChallengeClaim", alias = "challenge-claim")]
    challenge_claim: Option<String>,
    #[serde(rename = "SkipEmailVerification", alias = "skip-email-verification")]
    skip_email_verification: Option<bool>,
    #[serde(rename = "Description", alias = "description")]
    description: Option<String>,
    #[serde(rename = "Contact", alias = "contact")]
    contact: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

impl RawIssuer {
    fn into_issuer(self, url: IssuerUrl) -> Result<Issuer, OidcError> {
        let ty = self
            .issuer_type
            .ok_or_else(|| OidcError::Config(format!("issuer {:?}: missing type", url.as_str())))?;
        let mut i = Issuer::new(url, IssuerType::parse(&ty)?);
        if let Some(c) = non_empty(self.client_id) {
            i.client_id = c;
        }
        i.ci_provider = non_empty(self.ci_provider);
        i.issuer_claim = non_empty(self.issuer_claim);
        i.subject_domain = non_empty(self.subject_domain);
        i.spiffe_trust_domain = non_empty(self.spiffe_trust_domain);
        i.challenge_claim = non_empty(self.challenge_claim);
        i.skip_email_verification = self.skip_email_verification.unwrap_or(false);
        i.description = non_empty(self.description);
        i.contact = non_empty(self.contact);
        Ok(i)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawCiMetadata {
    #[serde(rename = "DefaultTemplateValues", alias = "default-template-values")]
    default_template_values: BTreeMap<String, String>,
    #[serde(rename = "ExtensionTemplates", alias = "extension-templates")]
    extension_templates: BTreeMap<String, String>,
    #[serde(
        rename = "SubjectAlternativeNameTemplate",
        alias = "subject-alternative-name-template"
    )]
    subject_alternative_name_template: Option<String>,
}

/// `$.a.b.c` ⇒ `["a", "b", "c"]`. Only dotted member access is supported.
pub(crate) fn parse_json_path(path: &str) -> Result<Vec<&str>, String> {
    let rest = path
        .strip_prefix("$.")
        .ok_or_else(|| format!("unsupported JSONPath {path:?}"))?;
    let parts: Vec<&str> = rest.split('.').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || p.contains(['[', ']', '*', '\'', '"', ' ']))
    {
        return Err(format!("unsupported JSONPath {path:?}"));
    }
    Ok(parts)
}

/// The last two labels of a host name (the "registrable domain" as Fulcio approximates it).
fn registrable_domain(host: &str) -> String {
    let mut labels: Vec<&str> = host.trim_end_matches('.').rsplit('.').take(2).collect();
    labels.reverse();
    labels.join(".").to_ascii_lowercase()
}

fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// SPIFFE trust domain: lowercase letters, digits, `.`, `-`, `_`.
pub(crate) fn is_spiffe_trust_domain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const YAML: &str = r#"
define:
  - &github-type "github-workflow"
oidc-issuers:
  https://oauth2.sigstore.dev/auth:
    issuer-url: https://oauth2.sigstore.dev/auth
    client-id: sigstore
    type: email
    issuer-claim: $.federated_claims.connector_id   # cert issuer = upstream IdP
  https://token.actions.githubusercontent.com:
    issuer-url: https://token.actions.githubusercontent.com
    client-id: sigstore
    type: ci-provider
    ci-provider: *github-type
    contact: tac@sigstore.dev
    description: "GitHub Actions OIDC auth"
meta-issuers:
  https://oidc.eks.*.amazonaws.com/id/*:
    client-id: sigstore
    type: kubernetes
  https://container.googleapis.com/v1/projects/*/locations/*/clusters/*:
    client-id: sigstore
    type: kubernetes
  https://token.actions.githubusercontent.com/*:
    client-id: sigstore
    type: ci-provider
    ci-provider: *github-type
ci-issuer-metadata:
  *github-type:
    default-template-values: { url: "https://github.com", environment: "" }
    extension-templates:
      build-signer-uri: "{{ .url }}/{{ .job_workflow_ref }}"
      build-signer-digest: "job_workflow_sha"
      runner-environment: "runner_environment"
      source-repository-uri: "{{ .url }}/{{ .repository }}"
    subject-alternative-name-template: "{{ .url }}/{{ .job_workflow_ref }}"
"#;

    const JSON: &str = r#"{
      "OIDCIssuers": {
        "https://oauth2.sigstore.dev/auth": {
          "IssuerURL": "https://oauth2.sigstore.dev/auth", "ClientID": "sigstore",
          "Type": "email", "IssuerClaim": "$.federated_claims.connector_id"
        },
        "https://token.actions.githubusercontent.com": {
          "IssuerURL": "https://token.actions.githubusercontent.com", "ClientID": "sigstore",
          "Type": "ci-provider", "CIProvider": "github-workflow",
          "Contact": "tac@sigstore.dev", "Description": "GitHub Actions OIDC auth"
        }
      },
      "MetaIssuers": {
        "https://oidc.eks.*.amazonaws.com/id/*": { "ClientID": "sigstore", "Type": "kubernetes" },
        "https://container.googleapis.com/v1/projects/*/locations/*/clusters/*": { "ClientID": "sigstore", "Type": "kubernetes" },
        "https://token.actions.githubusercontent.com/*": { "ClientID": "sigstore", "Type": "ci-provider", "CIProvider": "github-workflow" }
      },
      "CIIssuerMetadata": {
        "github-workflow": {
          "DefaultTemplateValues": { "url": "https://github.com", "environment": "" },
          "ExtensionTemplates": {
            "BuildSignerURI": "{{ .url }}/{{ .job_workflow_ref }}",
            "BuildSignerDigest": "job_workflow_sha",
            "RunnerEnvironment": "runner_environment",
            "SourceRepositoryURI": "{{ .url }}/{{ .repository }}"
          },
          "SubjectAlternativeNameTemplate": "{{ .url }}/{{ .job_workflow_ref }}"
        }
      }
    }"#;

    fn check_example(cfg: &IssuerConfig) {
        let dex = cfg.find("https://oauth2.sigstore.dev/auth").unwrap();
        assert_eq!(dex.issuer_type(), IssuerType::Email);
        assert_eq!(dex.issuer_claim(), Some("$.federated_claims.connector_id"));
        assert_eq!(dex.client_id(), "sigstore");
        let gha = cfg
            .find("https://token.actions.githubusercontent.com")
            .unwrap();
        assert_eq!(gha.issuer_type(), IssuerType::CiProvider);
        assert_eq!(gha.ci_provider(), Some("github-workflow"));
        assert_eq!(gha.contact(), Some("tac@sigstore.dev"));
        assert_eq!(gha.description(), Some("GitHub Actions OIDC auth"));
        assert!(matches!(gha.url(), IssuerUrl::Exact(_)));
        let ghes = cfg
            .find("https://token.actions.githubusercontent.com/acme")
            .unwrap();
        assert_eq!(
            ghes.url().as_str(),
            "https://token.actions.githubusercontent.com/*"
        );
        let eks = cfg
            .find("https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF")
            .unwrap();
        assert_eq!(eks.issuer_type(), IssuerType::Kubernetes);
        // The configured metadata replaces the built-in one: only four extension templates.
        let md = cfg.ci_metadata("github-workflow").unwrap();
        let arcs: Vec<u32> = md.extension_templates().iter().map(|(a, _)| *a).collect();
        assert_eq!(arcs, [9, 10, 11, 12]);
        assert_eq!(md.default_template_values()["url"], "https://github.com");
        assert!(cfg.ci_metadata("gitlab-pipeline").is_some());
        assert_eq!(cfg.issuers().count(), 5);
    }

    #[test]
    fn parses_the_yaml_example() {
        let cfg = IssuerConfig::from_yaml(YAML.as_bytes()).unwrap();
        check_example(&cfg);
        check_example(&IssuerConfig::parse(YAML.as_bytes()).unwrap());
    }

    #[test]
    fn parses_the_json_example() {
        let cfg = IssuerConfig::from_json(JSON.as_bytes()).unwrap();
        check_example(&cfg);
        check_example(&IssuerConfig::parse(JSON.as_bytes()).unwrap());
        assert_eq!(
            cfg.configuration_json(),
            IssuerConfig::from_yaml(YAML.as_bytes())
                .unwrap()
                .configuration_json()
        );
    }

    #[test]
    fn meta_issuer_matching_is_anchored() {
        let cfg = IssuerConfig::from_yaml(YAML.as_bytes()).unwrap();
        for bad in [
            "https://oidc.eks.x.amazonaws.com/id/y/extra",
            "https://evil.com/?https://oidc.eks.x.amazonaws.com/id/y",
            "https://oidc.eks.x.amazonaws.com/id/",
            "https://oidc.eks..amazonaws.com/id/y",
            "https://oidc.eks.a.b.amazonaws.com/id/y",
            "https://oidc.eksXx.amazonaws.com/id/y",
            "https://oidc.eks.x.amazonaws.com/id/y?x=1",
            "https://oidc.eks.x.amazonaws.com/id/y\n",
            "http://oidc.eks.x.amazonaws.com/id/y",
            "https://token.actions.githubusercontent.com/a/b",
            "https://token.actions.githubusercontent.com/",
        ] {
            assert!(cfg.find(bad).is_none(), "{bad:?}");
        }
        assert!(
            cfg.find("https://oidc.eks.us-east-1.amazonaws.com/id/a_B-9")
                .is_some()
        );
        // Exact entries win over patterns.
        let gha = cfg
            .find("https://token.actions.githubusercontent.com")
            .unwrap();
        assert!(matches!(gha.url(), IssuerUrl::Exact(_)));
        // `.` in the pattern is literal.
        let w = IssuerUrl::wildcard("https://a.example/*").unwrap();
        assert!(!w.matches("https://aXexample/x"));
    }

    #[test]
    fn configuration_json_shape() {
        let cfg = IssuerConfig::from_yaml(YAML.as_bytes()).unwrap();
        let v = cfg.configuration_json();
        let issuers = v["issuers"].as_array().unwrap();
        assert_eq!(issuers.len(), 5);
        assert_eq!(
            issuers[0],
            json!({
                "issuerUrl": "https://oauth2.sigstore.dev/auth",
                "audience": "sigstore",
                "challengeClaim": "email",
                "spiffeTrustDomain": "",
                "issuerType": "email",
                "subjectDomain": "",
                "skipEmailVerification": false
            })
        );
        let eks = issuers
            .iter()
            .find(|i| i["wildcardIssuerUrl"] == "https://oidc.eks.*.amazonaws.com/id/*")
            .unwrap();
        assert_eq!(
            eks,
            &json!({
                "wildcardIssuerUrl": "https://oidc.eks.*.amazonaws.com/id/*",
                "audience": "sigstore",
                "challengeClaim": "sub",
                "spiffeTrustDomain": "",
                "issuerType": "kubernetes",
                "subjectDomain": "",
                "skipEmailVerification": false
            })
        );
    }

    fn yaml_err(doc: &str) -> String {
        match IssuerConfig::from_yaml(doc.as_bytes()) {
            Err(OidcError::Config(why)) => why,
            other => panic!("expected a config error for {doc}, got {other:?}"),
        }
    }

    #[test]
    fn validation() {
        let one = |body: &str| format!("oidc-issuers:\n  https://id.example.com:\n{body}");
        // Defaults: client id `sigstore`.
        let cfg = IssuerConfig::from_yaml(one("    type: kubernetes\n").as_bytes()).unwrap();
        assert_eq!(
            cfg.find("https://id.example.com").unwrap().client_id(),
            "sigstore"
        );
        // Unknown and legacy types.
        assert!(yaml_err(&one("    type: github-workflow\n")).contains("unsupported issuer type"));
        assert!(yaml_err(&one("    type: nonsense\n")).contains("unsupported issuer type"));
        assert!(yaml_err(&one("    client-id: x\n")).contains("missing type"));
        // IssuerURL must agree with the key.
        yaml_err(&one(
            "    issuer-url: https://other.example.com\n    type: email\n",
        ));
        // issuer-claim only for email.
        yaml_err(&one("    type: kubernetes\n    issuer-claim: $.a\n"));
        yaml_err(&one(
            "    type: email\n    issuer-claim: federated_claims\n",
        ));
        // uri: subject domain with same scheme and registrable domain.
        yaml_err(&one("    type: uri\n"));
        yaml_err(&one(
            "    type: uri\n    subject-domain: http://example.com\n",
        ));
        yaml_err(&one(
            "    type: uri\n    subject-domain: https://evil.com\n",
        ));
        yaml_err(&one("    type: uri\n    subject-domain: example.com\n"));
        IssuerConfig::from_yaml(
            one("    type: uri\n    subject-domain: https://users.example.com\n").as_bytes(),
        )
        .unwrap();
        // username: scheme-less subject domain.
        yaml_err(&one("    type: username\n"));
        yaml_err(&one(
            "    type: username\n    subject-domain: https://example.com\n",
        ));
        IssuerConfig::from_yaml(
            one("    type: username\n    subject-domain: example.com\n").as_bytes(),
        )
        .unwrap();
        // spiffe: trust domain required and valid, not as a meta issuer.
        yaml_err(&one("    type: spiffe\n"));
        yaml_err(&one(
            "    type: spiffe\n    spiffe-trust-domain: Bad.Domain\n",
        ));
        IssuerConfig::from_yaml(
            one("    type: spiffe\n    spiffe-trust-domain: example.com\n").as_bytes(),
        )
        .unwrap();
        yaml_err(
            "meta-issuers:\n  https://*.example.com:\n    type: spiffe\n    spiffe-trust-domain: example.com\n",
        );
        // ci-provider needs known metadata; templates must parse.
        yaml_err(&one("    type: ci-provider\n"));
        yaml_err(&one("    type: ci-provider\n    ci-provider: nope\n"));
        IssuerConfig::from_yaml(
            one("    type: ci-provider\n    ci-provider: gitlab-pipeline\n").as_bytes(),
        )
        .unwrap();
        let md = |tmpl: &str, ext: &str| {
            format!(
                "ci-issuer-metadata:\n  x:\n    extension-templates:\n      {ext}: '{tmpl}'\n    subject-alternative-name-template: 'https://{{{{ .a }}}}'\n"
            )
        };
        yaml_err(&md("{{ .a", "build-signer-uri"));
        yaml_err(&md("{{ printf \"%s\" .a }}", "build-signer-uri"));
        yaml_err(&md("a", "no-such-extension"));
        IssuerConfig::from_yaml(md("a", "build-signer-uri").as_bytes()).unwrap();
        yaml_err("ci-issuer-metadata:\n  x:\n    extension-templates: {}\n");
        // Not a URL.
        yaml_err("oidc-issuers:\n  not a url:\n    type: email\n");
        yaml_err("oidc-issuers:\n  ftp://x.example:\n    type: email\n");
        // Neither JSON nor YAML.
        assert!(IssuerConfig::parse(b"{ [").is_err());
        // Valid JSON, invalid config: the validation error, not a YAML one.
        let e = IssuerConfig::parse(br#"{"OIDCIssuers": {"https://a.example": {"Type": "x"}}}"#);
        assert_eq!(
            e.err(),
            Some(OidcError::Config("unsupported issuer type \"x\"".into()))
        );
    }

    #[test]
    fn builtin_metadata_templates_parse() {
        for (_, src) in GITHUB_TEMPLATES.iter().chain(GITLAB_TEMPLATES) {
            Template::parse(src).unwrap();
        }
        let gh = CiIssuerMetadata::github_workflow();
        assert_eq!(gh.extension_templates().len(), GITHUB_TEMPLATES.len());
    }

    #[test]
    fn registrable_domain_is_last_two_labels() {
        assert_eq!(registrable_domain("a.b.Example.com"), "example.com");
        assert_eq!(registrable_domain("localhost"), "localhost");
    }
}
