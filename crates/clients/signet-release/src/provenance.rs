//! SLSA Provenance v1 in an in-toto Statement v1.
//!
//! [`build`] turns a [`ProvenanceInput`] (builder, source, materials, times: all inputs, nothing
//! read from the environment) and the release's file digests into a [`Statement`];
//! [`to_json`] serializes it compactly. The caller wraps those bytes in a DSSE envelope with
//! payload type [`PAYLOAD_TYPE`] and signs it. [`parse`] reads a statement back (bounded, exact
//! `_type`/`predicateType`), and [`check_subjects`] compares its subjects with files hashed on
//! disk.
//!
//! Layout (<https://slsa.dev/spec/v1.0/provenance>, <https://github.com/in-toto/attestation>):
//!
//! ```json
//! {"_type":"https://in-toto.io/Statement/v1",
//!  "subject":[{"name":"bin/linux/amd64/kubectl","digest":{"sha256":"…","sha512":"…"}}],
//!  "predicateType":"https://slsa.dev/provenance/v1",
//!  "predicate":{
//!    "buildDefinition":{"buildType":"urn:signet:buildtype:release:v1",
//!      "externalParameters":{"source":"git+https://…","ref":"refs/tags/v1.36.0","version":"v1.36.0"},
//!      "internalParameters":{…},
//!      "resolvedDependencies":[{"uri":"git+https://…","digest":{"gitCommit":"…"}}]},
//!    "runDetails":{"builder":{"id":"https://github.com/…/.github/workflows/release.yml@refs/tags/…"},
//!      "metadata":{"invocationId":"…","startedOn":"…Z","finishedOn":"…Z"}}}}
//! ```
//!
//! Subjects are named by their release-relative path and sorted by name. The build type
//! [`DEFAULT_BUILD_TYPE`] is documented in `docs/buildtype-release-v1.md`.
//!
//! Reading provenance (signet's or another builder's: GitHub's
//! `https://actions.github.io/buildtypes/workflow/v1`, the SLSA GitHub generators), the
//! [`Statement`] accessors find the builder, source repository, ref and digest; [`check_policy`]
//! checks them against a [`ProvenancePolicy`] (as slsa-verifier does) and
//! [`check_certificate`] against the signing certificate's Fulcio CI extensions, each failed
//! rule a [`RuleFailure`] with a one-line reason.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::check_limit;
use crate::hash::Digested;
use crate::{RelPath, ReleaseError, Result};

/// in-toto Statement v1 `_type`.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// SLSA Provenance v1 predicate type.
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
/// DSSE payload type for in-toto statements.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// Build type used when the caller does not choose one (`docs/buildtype-release-v1.md`): a
/// `urn:` so that it names no domain signet's users do not control.
pub const DEFAULT_BUILD_TYPE: &str = "urn:signet:buildtype:release:v1";
/// Builder id used when neither the caller, the CI environment nor the signing certificate
/// names one: a release signed on a machine that is no build platform.
pub const LOCAL_BUILDER_ID: &str = "urn:signet:builder:local";
/// Largest statement [`parse`] accepts (32 MiB).
pub const MAX_STATEMENT_BYTES: usize = 32 << 20;
/// Most subjects [`parse`] accepts.
pub const MAX_SUBJECTS: usize = 1_000_000;

/// in-toto Statement v1 carrying a SLSA Provenance v1 predicate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub type_: String,
    /// The artifacts this provenance is about.
    pub subject: Vec<ResourceDescriptor>,
    /// Always [`PREDICATE_TYPE`].
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The SLSA provenance.
    pub predicate: Provenance,
}

/// in-toto ResourceDescriptor (subset: `uri`, `name`, `digest`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDescriptor {
    /// URI of the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Name of the resource (subjects: release-relative path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Algorithm name to lowercase hex digest.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<String, String>,
}

/// SLSA Provenance v1 predicate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// What was built and from what.
    pub build_definition: BuildDefinition,
    /// Who built it and when.
    pub run_details: RunDetails,
}

/// SLSA `buildDefinition`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDefinition {
    /// URI naming the build process template.
    pub build_type: String,
    /// Caller-controlled parameters (`source`, `version`, ...).
    pub external_parameters: serde_json::Map<String, Value>,
    /// Builder-controlled parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_parameters: Option<Value>,
    /// Inputs fetched during the build (the source first, then the materials).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved_dependencies: Vec<ResourceDescriptor>,
}

/// SLSA `runDetails`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetails {
    /// The trusted build platform.
    pub builder: Builder,
    /// Invocation metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BuildMetadata>,
}

/// SLSA `builder`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Builder {
    /// URI identifying the builder.
    pub id: String,
}

/// SLSA `metadata`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildMetadata {
    /// Identifier of this build run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    /// Build start, RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<String>,
    /// Build end, RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<String>,
}

/// An input of the build (becomes a `resolvedDependencies` entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Material {
    /// URI of the material.
    pub uri: String,
    /// Algorithm name to lowercase hex digest (at least one).
    pub digest: BTreeMap<String, String>,
}

/// The source revision a release was built from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Source repository URI, e.g. `git+https://github.com/kubernetes/kubernetes` (never a
    /// local path).
    pub uri: String,
    /// Digest of the revision, e.g. `{"gitCommit": "<40 hex>"}`.
    pub digest: BTreeMap<String, String>,
    /// The git ref built, e.g. `refs/tags/v1.36.0`.
    pub git_ref: Option<String>,
}

/// Everything [`build`] needs besides the file digests.
#[derive(Clone, Debug, PartialEq)]
pub struct ProvenanceInput {
    /// Build type URI; usually [`DEFAULT_BUILD_TYPE`].
    pub build_type: String,
    /// Builder id URI (`runDetails.builder.id`).
    pub builder_id: String,
    /// The source revision, when known (`externalParameters.source`/`ref` and the first
    /// `resolvedDependencies` entry); without it the provenance names no source.
    pub source: Option<Source>,
    /// Release version, e.g. `v1.36.0`.
    pub version: String,
    /// More external parameters (must not use the keys `source` or `version`).
    pub extra_parameters: BTreeMap<String, Value>,
    /// `internalParameters`, if any.
    pub internal_parameters: Option<Value>,
    /// Other build inputs.
    pub materials: Vec<Material>,
    /// Build invocation id.
    pub invocation_id: String,
    /// Build start.
    pub started_on: OffsetDateTime,
    /// Build end (not before `started_on`).
    pub finished_on: OffsetDateTime,
}

/// External parameters [`build`] writes itself.
const RESERVED_PARAMETERS: [&str; 3] = ["source", "ref", "version"];

/// Formats `t` as RFC 3339 in UTC, in whole seconds (`YYYY-MM-DDThh:mm:ssZ`): the form SPDX
/// 2.3 requires (pyspdxtools refuses a fraction of a second), the CycloneDX timestamp, and the one
/// protobuf's JSON encoding of a `Timestamp` writes back unchanged.
pub(crate) fn rfc3339(t: OffsetDateTime) -> Result<String> {
    let t = t.to_offset(time::UtcOffset::UTC);
    Ok(t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339)?)
}

fn bad(reason: impl Into<String>) -> ReleaseError {
    ReleaseError::invalid("provenance", reason)
}

fn check_uri(what: &str, v: &str) -> Result<()> {
    let scheme_ok = v.split_once(':').is_some_and(|(s, rest)| {
        !s.is_empty()
            && !rest.is_empty()
            && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if !scheme_ok || v.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad(format!("{what} is not a URI: {v:?}")));
    }
    Ok(())
}

fn check_digest_set(what: &str, d: &BTreeMap<String, String>) -> Result<()> {
    if d.is_empty() {
        return Err(bad(format!("{what} has no digest")));
    }
    for (alg, v) in d {
        if alg.is_empty()
            || !alg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad(format!("{what}: bad digest algorithm name {alg:?}")));
        }
        if v.is_empty()
            || v.len() % 2 != 0
            || !v.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
        {
            return Err(bad(format!("{what}: {alg} digest is not lowercase hex")));
        }
    }
    Ok(())
}

/// Builds the statement for `files` (any [`Digested`]: subjects get `sha256`, and `sha512`
/// when known). Validates the input: URIs, digests, times, duplicate or invalid file paths.
pub fn build<D: Digested>(input: &ProvenanceInput, files: &[D]) -> Result<Statement> {
    check_uri("buildType", &input.build_type)?;
    check_uri("builder id", &input.builder_id)?;
    if let Some(src) = &input.source {
        check_uri("source", &src.uri)?;
        check_digest_set("source", &src.digest)?;
        if let Some(r) = &src.git_ref
            && (r.is_empty() || r.chars().any(|c| c.is_control() || c.is_whitespace()))
        {
            return Err(bad(format!("source ref {r:?} is not a git ref")));
        }
    }
    if input.version.is_empty() || input.version.chars().any(char::is_control) {
        return Err(bad("version must be non-empty without control characters"));
    }
    if input.invocation_id.is_empty() {
        return Err(bad("invocation id must be non-empty"));
    }
    if input.finished_on < input.started_on {
        return Err(bad("finishedOn is before startedOn"));
    }
    let mut external = serde_json::Map::new();
    let mut deps = Vec::new();
    if let Some(src) = &input.source {
        external.insert("source".into(), Value::String(src.uri.clone()));
        if let Some(r) = &src.git_ref {
            external.insert("ref".into(), Value::String(r.clone()));
        }
        deps.push(ResourceDescriptor {
            uri: Some(src.uri.clone()),
            name: None,
            digest: src.digest.clone(),
        });
    }
    external.insert("version".into(), Value::String(input.version.clone()));
    for (k, v) in &input.extra_parameters {
        if external.contains_key(k) || RESERVED_PARAMETERS.contains(&k.as_str()) {
            return Err(bad(format!(
                "extra parameter {k:?} collides with a built-in one"
            )));
        }
        external.insert(k.clone(), v.clone());
    }
    for m in &input.materials {
        check_uri("material", &m.uri)?;
        check_digest_set(&format!("material {}", m.uri), &m.digest)?;
        deps.push(ResourceDescriptor {
            uri: Some(m.uri.clone()),
            name: None,
            digest: m.digest.clone(),
        });
    }
    let mut subject = Vec::with_capacity(files.len());
    for f in files {
        let name = RelPath::new(f.path())?.into_string();
        let mut digest = BTreeMap::new();
        digest.insert("sha256".to_owned(), hex::encode(f.sha256()));
        if let Some(s512) = f.sha512() {
            digest.insert("sha512".to_owned(), hex::encode(s512));
        }
        subject.push(ResourceDescriptor {
            uri: None,
            name: Some(name),
            digest,
        });
    }
    subject.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some((a, _)) = subject
        .iter()
        .zip(subject.iter().skip(1))
        .find(|(a, b)| a.name == b.name)
    {
        return Err(ReleaseError::Duplicate {
            path: a.name.clone().unwrap_or_default(),
        });
    }
    Ok(Statement {
        type_: STATEMENT_TYPE.into(),
        subject,
        predicate_type: PREDICATE_TYPE.into(),
        predicate: Provenance {
            build_definition: BuildDefinition {
                build_type: input.build_type.clone(),
                external_parameters: external,
                internal_parameters: input.internal_parameters.clone(),
                resolved_dependencies: deps,
            },
            run_details: RunDetails {
                builder: Builder {
                    id: input.builder_id.clone(),
                },
                metadata: Some(BuildMetadata {
                    invocation_id: Some(input.invocation_id.clone()),
                    started_on: Some(rfc3339(input.started_on)?),
                    finished_on: Some(rfc3339(input.finished_on)?),
                }),
            },
        },
    })
}

/// Compact JSON encoding of the statement: the DSSE payload.
pub fn to_json(statement: &Statement) -> Result<Vec<u8>> {
    serde_json::to_vec(statement).map_err(|source| ReleaseError::Json {
        what: "provenance",
        source,
    })
}

/// Parses a statement (e.g. a DSSE payload), checking size, `_type` and `predicateType`.
/// Unknown fields are ignored, as the in-toto and SLSA specs require of consumers.
pub fn parse(data: &[u8]) -> Result<Statement> {
    check_limit("provenance statement", data.len(), MAX_STATEMENT_BYTES)?;
    let st: Statement = serde_json::from_slice(data).map_err(|source| ReleaseError::Json {
        what: "provenance",
        source,
    })?;
    if st.type_ != STATEMENT_TYPE {
        return Err(bad(format!(
            "_type is {:?}, expected {STATEMENT_TYPE}",
            st.type_
        )));
    }
    if st.predicate_type != PREDICATE_TYPE {
        return Err(bad(format!(
            "predicateType is {:?}, expected {PREDICATE_TYPE}",
            st.predicate_type
        )));
    }
    if st.subject.is_empty() {
        return Err(bad("statement has no subjects"));
    }
    check_limit("provenance subjects", st.subject.len(), MAX_SUBJECTS)?;
    Ok(st)
}

/// One digest that differs between a subject and the file on disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DigestMismatch {
    /// Subject name / file path.
    pub name: String,
    /// `sha256` or `sha512`.
    pub algorithm: &'static str,
    /// Hex digest in the statement.
    pub expected: String,
    /// Hex digest of the file.
    pub actual: String,
}

/// Outcome of comparing a list of expected digests (provenance subjects, `SHA256SUMS`
/// entries) with files hashed on disk.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Expected entries with no matching file (sorted).
    pub missing: Vec<String>,
    /// Files with no expected entry (sorted).
    pub extra: Vec<String>,
    /// Entries whose digest differs from the file's.
    pub mismatched: Vec<DigestMismatch>,
    /// Entries checked and matching.
    pub matched: usize,
}

impl CheckReport {
    /// True if every entry matches a file and every file has an entry.
    pub fn is_ok(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.mismatched.is_empty()
    }
}

fn decode<const N: usize>(name: &str, alg: &str, v: &str) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(v, &mut out).map_err(|_| {
        bad(format!(
            "subject {name:?}: {alg} is not {} hexadecimal digits",
            N.saturating_mul(2)
        ))
    })?;
    Ok(out)
}

/// Compares the statement's subjects with files hashed on disk.
///
/// Every subject must have a name and a well-formed `sha256` (else an error: the statement is
/// unusable, not merely different); `sha512` is compared when both sides have it. Duplicate
/// subject names are an error. Other digest algorithms are ignored.
pub fn check_subjects<D: Digested>(statement: &Statement, files: &[D]) -> Result<CheckReport> {
    let mut on_disk: HashMap<&str, &D> = HashMap::with_capacity(files.len());
    for f in files {
        if on_disk.insert(f.path(), f).is_some() {
            return Err(ReleaseError::Duplicate {
                path: f.path().to_owned(),
            });
        }
    }
    let mut report = CheckReport::default();
    let mut seen = std::collections::HashSet::with_capacity(statement.subject.len());
    for s in &statement.subject {
        let name = s
            .name
            .as_deref()
            .ok_or_else(|| bad("subject without a name"))?;
        if !seen.insert(name) {
            return Err(ReleaseError::Duplicate { path: name.into() });
        }
        let want256 = s
            .digest
            .get("sha256")
            .ok_or_else(|| bad(format!("subject {name:?} has no sha256 digest")))?;
        let want256: [u8; 32] = decode(name, "sha256", want256)?;
        let want512 = match s.digest.get("sha512") {
            Some(v) => Some(decode::<64>(name, "sha512", v)?),
            None => None,
        };
        let Some(file) = on_disk.get(name) else {
            report.missing.push(name.to_owned());
            continue;
        };
        let mut ok = true;
        if &want256 != file.sha256() {
            ok = false;
            report.mismatched.push(DigestMismatch {
                name: name.to_owned(),
                algorithm: "sha256",
                expected: hex::encode(want256),
                actual: hex::encode(file.sha256()),
            });
        }
        if let (Some(w), Some(got)) = (want512, file.sha512())
            && &w != got
        {
            ok = false;
            report.mismatched.push(DigestMismatch {
                name: name.to_owned(),
                algorithm: "sha512",
                expected: hex::encode(w),
                actual: hex::encode(got),
            });
        }
        if ok {
            report.matched = report.matched.saturating_add(1);
        }
    }
    report.extra = files
        .iter()
        .map(|f| f.path())
        .filter(|p| !seen.contains(p))
        .map(str::to_owned)
        .collect();
    report.missing.sort_unstable();
    report.extra.sort_unstable();
    Ok(report)
}

impl Statement {
    /// `runDetails.builder.id`.
    pub fn builder_id(&self) -> &str {
        &self.predicate.run_details.builder.id
    }

    /// `runDetails.metadata.invocationId`, if any.
    pub fn invocation_id(&self) -> Option<&str> {
        self.predicate
            .run_details
            .metadata
            .as_ref()
            .and_then(|m| m.invocation_id.as_deref())
    }

    fn external_str(&self, pointer: &str) -> Option<&str> {
        self.predicate
            .build_definition
            .external_parameters
            .get(pointer)
            .and_then(Value::as_str)
    }

    fn workflow_str(&self, key: &str) -> Option<&str> {
        self.predicate
            .build_definition
            .external_parameters
            .get("workflow")
            .and_then(|w| w.get(key))
            .and_then(Value::as_str)
    }

    /// The first resolved dependency, split at its `@<ref>` suffix (the SLSA GitHub builders
    /// write `git+https://github.com/o/r@refs/tags/v1`).
    fn first_dependency(&self) -> Option<(&str, Option<&str>, &ResourceDescriptor)> {
        let d = self
            .predicate
            .build_definition
            .resolved_dependencies
            .first()?;
        let uri = d.uri.as_deref()?;
        Some(match split_ref(uri) {
            Some((repo, r)) => (repo, Some(r), d),
            None => (uri, None, d),
        })
    }

    /// The source repository: `externalParameters.source` (signet), else
    /// `externalParameters.workflow.repository` (GitHub's workflow build type), else the first
    /// resolved dependency's URI without its `@ref`.
    pub fn source_uri(&self) -> Option<&str> {
        self.external_str("source")
            .or_else(|| self.workflow_str("repository"))
            .or_else(|| self.first_dependency().map(|(u, _, _)| u))
    }

    /// The git ref built: `externalParameters.ref`, else `workflow.ref`, else the `@ref` of the
    /// first resolved dependency.
    pub fn source_ref(&self) -> Option<&str> {
        self.external_str("ref")
            .or_else(|| self.workflow_str("ref"))
            .or_else(|| self.first_dependency().and_then(|(_, r, _)| r))
    }

    /// The digest of the source revision: that of the resolved dependency naming the source
    /// repository (else of the first dependency).
    pub fn source_digest(&self) -> Option<&BTreeMap<String, String>> {
        let deps = &self.predicate.build_definition.resolved_dependencies;
        let source = self.source_uri().map(normalize_repository);
        deps.iter()
            .find(|d| {
                d.uri.as_deref().is_some_and(|u| {
                    let repo = split_ref(u).map_or(u, |(r, _)| r);
                    source.as_deref() == Some(normalize_repository(repo).as_str())
                })
            })
            .or_else(|| deps.first())
            .map(|d| &d.digest)
            .filter(|d| !d.is_empty())
    }
}

/// `uri` split at a trailing `@refs/...` (the ref must start with `refs/`, so the `@` of a
/// user name is never taken for one).
fn split_ref(uri: &str) -> Option<(&str, &str)> {
    let (repo, r) = uri.rsplit_once('@')?;
    r.starts_with("refs/").then_some((repo, r))
}

/// A repository URI in the one form comparisons use: `host/path`, lowercase host, without
/// `git+`, the scheme, user info, a port-less scp-style `host:` colon, `.git` or a trailing
/// `/`. `github.com/o/r`, `https://github.com/o/r`, `git+https://github.com/o/r.git` and
/// `git@github.com:o/r.git` are all `github.com/o/r`.
pub fn normalize_repository(uri: &str) -> String {
    let u = uri.trim();
    let u = u.strip_prefix("git+").unwrap_or(u);
    let (rest, had_scheme) = match u.split_once("://") {
        Some((_, r)) => (r, true),
        None => (u, false),
    };
    let (host, path) = match rest.split_once('/') {
        Some((h, p)) => (h, p),
        None => (rest, ""),
    };
    // scp-like `user@host:path` (no scheme): the colon separates host and path.
    let (host, path) = match (had_scheme, host.split_once(':')) {
        (false, Some((h, p1))) if !p1.chars().all(|c| c.is_ascii_digit()) => {
            (h, format!("{p1}/{path}"))
        }
        _ => (host, path.to_owned()),
    };
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let path = path.trim_matches('/');
    if path.is_empty() {
        host.to_ascii_lowercase()
    } else {
        format!("{}/{path}", host.to_ascii_lowercase())
    }
}

/// What a verifier requires of a provenance (each `None` is not checked), like slsa-verifier's
/// `--builder-id`, `--source-uri`, `--source-tag`/`--source-branch` and the commit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProvenancePolicy {
    /// Builder id: equal, or equal up to an `@version` when the policy names none.
    pub builder_id: Option<String>,
    /// Source repository, compared after [`normalize_repository`] (`github.com/o/r` works).
    pub source_uri: Option<String>,
    /// Git ref: `refs/...` exactly, or a short name matching `refs/tags/<name>` or
    /// `refs/heads/<name>`.
    pub source_ref: Option<String>,
    /// Digest of the source revision: (algorithm, lowercase hex), e.g. `("gitCommit", …)`.
    pub source_digest: Option<(String, String)>,
}

impl ProvenancePolicy {
    /// Whether the policy checks anything.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Parses a source digest as given on a command line: `ALG:HEX`, or a bare 40-hex git commit.
pub fn parse_source_digest(text: &str) -> Result<(String, String)> {
    let (alg, hex) = match text.split_once(':') {
        Some((a, h)) => (a.to_owned(), h.to_ascii_lowercase()),
        None if text.len() == 40 => ("gitCommit".to_owned(), text.to_ascii_lowercase()),
        None => {
            return Err(bad(format!(
                "source digest {text:?} is neither ALGORITHM:HEX nor a 40-hex git commit"
            )));
        }
    };
    check_digest_set(
        "source digest",
        &[(alg.clone(), hex.clone())].into_iter().collect(),
    )?;
    Ok((alg, hex))
}

/// One rule a provenance failed, with a one-line reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleFailure {
    /// The rule (`builder-id`, `source-uri`, `source-ref`, `source-digest`, `invocation-id`).
    pub rule: &'static str,
    /// Why it failed.
    pub reason: String,
}

fn failure(rule: &'static str, reason: String) -> RuleFailure {
    RuleFailure { rule, reason }
}

fn shown(v: Option<&str>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| format!("{v:?}"))
}

fn ref_matches(required: &str, actual: &str) -> bool {
    if required == actual {
        return true;
    }
    if required.starts_with("refs/") {
        return false;
    }
    ["refs/tags/", "refs/heads/"]
        .iter()
        .any(|p| actual.strip_prefix(p) == Some(required))
}

fn builder_matches(required: &str, actual: &str) -> bool {
    required == actual
        || (!required.contains('@') && actual.split_once('@').is_some_and(|(b, _)| b == required))
}

/// Checks `st` against `policy`: every failed rule, in the order builder id, source
/// repository, ref, digest (empty: all passed). Pure.
pub fn check_policy(st: &Statement, policy: &ProvenancePolicy) -> Vec<RuleFailure> {
    let mut out = Vec::new();
    if let Some(want) = &policy.builder_id
        && !builder_matches(want, st.builder_id())
    {
        out.push(failure(
            "builder-id",
            format!(
                "built by {:?}, the policy requires {want:?}",
                st.builder_id()
            ),
        ));
    }
    if let Some(want) = &policy.source_uri {
        let have = st.source_uri();
        if have.map(normalize_repository) != Some(normalize_repository(want)) {
            out.push(failure(
                "source-uri",
                format!(
                    "built from source {}, the policy requires {want:?}",
                    shown(have)
                ),
            ));
        }
    }
    if let Some(want) = &policy.source_ref {
        let have = st.source_ref();
        if !have.is_some_and(|h| ref_matches(want, h)) {
            out.push(failure(
                "source-ref",
                format!(
                    "built from ref {}, the policy requires {want:?}",
                    shown(have)
                ),
            ));
        }
    }
    if let Some((alg, want)) = &policy.source_digest {
        let have = st
            .source_digest()
            .and_then(|d| d.get(alg))
            .map(String::as_str);
        if have.map(str::to_ascii_lowercase).as_deref() != Some(want.as_str()) {
            out.push(failure(
                "source-digest",
                format!(
                    "source {alg} is {}, the policy requires {want:?}",
                    shown(have)
                ),
            ));
        }
    }
    out
}

/// What the signing certificate's Fulcio CI extensions say about the build (1.9 build signer
/// URI, 1.12 source repository URI, 1.13 its digest, 1.14 its ref, 1.21 run invocation URI).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateClaims {
    /// 1.9 Build Signer URI: the workflow that signed.
    pub build_signer_uri: Option<String>,
    /// 1.12 Source Repository URI.
    pub source_repository_uri: Option<String>,
    /// 1.13 Source Repository Digest (a git commit).
    pub source_repository_digest: Option<String>,
    /// 1.14 Source Repository Ref.
    pub source_repository_ref: Option<String>,
    /// 1.21 Run Invocation URI.
    pub run_invocation_uri: Option<String>,
}

impl CertificateClaims {
    /// The claims of a certificate's parsed Fulcio extensions.
    pub fn from_extensions(ext: &signet_x509::FulcioExtensions) -> Self {
        Self {
            build_signer_uri: ext.build_signer_uri.clone(),
            source_repository_uri: ext.source_repository_uri.clone(),
            source_repository_digest: ext.source_repository_digest.clone(),
            source_repository_ref: ext.source_repository_ref.clone(),
            run_invocation_uri: ext.run_invocation_uri.clone(),
        }
    }

    /// The claims of a certificate's Fulcio extensions.
    pub fn of(
        cert: &signet_x509::Certificate,
    ) -> std::result::Result<Self, signet_x509::X509Error> {
        Ok(Self::from_extensions(&cert.fulcio_extensions()?))
    }

    /// Whether the certificate says anything about a build.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// What a verifier checks of a verified provenance's build claims: what its signing
/// certificate's CI extensions say (when keyless: [`check_certificate`]), then `policy`
/// ([`check_policy`], each reason prefixed `policy <rule>: `). Every failed rule with a one-line
/// reason; empty when all pass. Pure.
pub fn check_claims(
    st: &Statement,
    cert: Option<&CertificateClaims>,
    policy: &ProvenancePolicy,
) -> Vec<RuleFailure> {
    let mut out = cert.map_or_else(Vec::new, |c| check_certificate(st, c));
    out.extend(check_policy(st, policy).into_iter().map(|f| RuleFailure {
        reason: format!("policy {}: {}", f.rule, f.reason),
        ..f
    }));
    out
}

/// Checks that `st` claims what the signing certificate's CI extensions say: the builder id is
/// the build signer URI, the source repository, commit and ref are the certificate's, and the
/// invocation id (when the provenance has one) is the run invocation URI. Every mismatch is a
/// [`RuleFailure`]; a certificate without CI extensions passes. Pure.
pub fn check_certificate(st: &Statement, cert: &CertificateClaims) -> Vec<RuleFailure> {
    let mut out = Vec::new();
    let says = "the signing certificate says";
    if let Some(c) = &cert.build_signer_uri
        && st.builder_id() != c
    {
        out.push(failure(
            "builder-id",
            format!("builder id is {:?}; {says} {c:?}", st.builder_id()),
        ));
    }
    if let Some(c) = &cert.source_repository_uri {
        let have = st.source_uri();
        if have.map(normalize_repository) != Some(normalize_repository(c)) {
            out.push(failure(
                "source-uri",
                format!("source is {}; {says} {c:?}", shown(have)),
            ));
        }
    }
    if let Some(c) = &cert.source_repository_digest {
        let d = st.source_digest();
        let have = d.and_then(|d| d.get("gitCommit").or_else(|| d.get("sha1")));
        if have.map(|h| h.eq_ignore_ascii_case(c)) != Some(true) {
            out.push(failure(
                "source-digest",
                format!(
                    "source commit is {}; {says} {c:?}",
                    shown(have.map(String::as_str))
                ),
            ));
        }
    }
    if let Some(c) = &cert.source_repository_ref
        && st.source_ref() != Some(c.as_str())
    {
        out.push(failure(
            "source-ref",
            format!("source ref is {}; {says} {c:?}", shown(st.source_ref())),
        ));
    }
    if let (Some(c), Some(have)) = (&cert.run_invocation_uri, st.invocation_id())
        && have != c
    {
        out.push(failure(
            "invocation-id",
            format!("invocation id is {have:?}; {says} {c:?}"),
        ));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::hash::{sha256, sha512};
    use crate::{FileDigest, FileSha256};

    fn fd(path: &str, data: &[u8]) -> FileDigest {
        FileDigest {
            path: path.into(),
            size: data.len() as u64,
            sha1: [0; 20],
            sha256: sha256(data),
            sha512: sha512(data),
        }
    }

    fn input() -> ProvenanceInput {
        ProvenanceInput {
            build_type: DEFAULT_BUILD_TYPE.into(),
            builder_id: "https://builders.example/release@v1".into(),
            source: Some(Source {
                uri: "git+https://github.com/kubernetes/kubernetes".into(),
                digest: [("gitCommit".to_owned(), "a".repeat(40))].into(),
                git_ref: Some("refs/tags/v1.36.0".into()),
            }),
            version: "v1.36.0".into(),
            extra_parameters: [("branch".to_owned(), Value::from("release-1.36"))].into(),
            internal_parameters: Some(serde_json::json!({"nomock": true})),
            materials: vec![Material {
                uri: "pkg:golang/go@1.25.0".into(),
                digest: [("sha256".to_owned(), "b".repeat(64))].into(),
            }],
            invocation_id: "build-123".into(),
            started_on: time::macros::datetime!(2026-01-02 03:04:05 UTC),
            finished_on: time::macros::datetime!(2026-01-02 05:00:00 +01:00),
        }
    }

    #[test]
    fn builds_slsa_v1_statement() {
        let files = [
            fd("kubernetes.tar.gz", b"abc"),
            fd("bin/linux/amd64/kubectl", b""),
        ];
        let st = build(&input(), &files).unwrap();
        let json = to_json(&st).unwrap();
        assert!(!json.contains(&b'\n'));
        let v: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["_type"], STATEMENT_TYPE);
        assert_eq!(v["predicateType"], PREDICATE_TYPE);
        assert_eq!(v["subject"][0]["name"], "bin/linux/amd64/kubectl");
        assert_eq!(
            v["subject"][1]["digest"]["sha256"],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            v["subject"][1]["digest"]["sha512"],
            hex::encode(sha512(b"abc"))
        );
        let bd = &v["predicate"]["buildDefinition"];
        assert_eq!(bd["buildType"], DEFAULT_BUILD_TYPE);
        assert_eq!(
            bd["externalParameters"]["source"],
            "git+https://github.com/kubernetes/kubernetes"
        );
        assert_eq!(bd["externalParameters"]["ref"], "refs/tags/v1.36.0");
        assert_eq!(bd["externalParameters"]["version"], "v1.36.0");
        assert_eq!(bd["externalParameters"]["branch"], "release-1.36");
        assert_eq!(bd["internalParameters"]["nomock"], true);
        assert_eq!(
            bd["resolvedDependencies"][0]["digest"]["gitCommit"],
            "a".repeat(40)
        );
        assert_eq!(bd["resolvedDependencies"][1]["uri"], "pkg:golang/go@1.25.0");
        let rd = &v["predicate"]["runDetails"];
        assert_eq!(rd["builder"]["id"], "https://builders.example/release@v1");
        assert_eq!(rd["metadata"]["invocationId"], "build-123");
        assert_eq!(rd["metadata"]["startedOn"], "2026-01-02T03:04:05Z");
        assert_eq!(rd["metadata"]["finishedOn"], "2026-01-02T04:00:00Z");
        // Round trip.
        assert_eq!(parse(&json).unwrap(), st);
    }

    #[test]
    fn rejects_bad_input() {
        let files = [fd("a", b"")];
        let mut i = input();
        i.finished_on = time::macros::datetime!(2026-01-01 00:00 UTC);
        assert!(
            build(&i, &files)
                .unwrap_err()
                .to_string()
                .contains("before")
        );
        let mut i = input();
        i.builder_id = "not a uri".into();
        assert!(build(&i, &files).is_err());
        let mut i = input();
        if let Some(s) = i.source.as_mut() {
            s.digest = [("gitCommit".to_owned(), "XYZ".into())].into();
        }
        assert!(build(&i, &files).is_err());
        let mut i = input();
        i.extra_parameters = [("version".to_owned(), Value::from("x"))].into();
        assert!(build(&i, &files).is_err());
        assert!(build(&input(), &[fd("a", b""), fd("a", b"x")]).is_err());
        assert!(build(&input(), &[fd("../a", b"")]).is_err());
    }

    #[test]
    fn parse_rejects_wrong_types() {
        let st = build(&input(), &[fd("a", b"")]).unwrap();
        let mut v: Value = serde_json::to_value(&st).unwrap();
        v["predicateType"] = "https://slsa.dev/provenance/v0.2".into();
        assert!(parse(&serde_json::to_vec(&v).unwrap()).is_err());
        let mut v: Value = serde_json::to_value(&st).unwrap();
        v["_type"] = "https://in-toto.io/Statement/v0.1".into();
        assert!(parse(&serde_json::to_vec(&v).unwrap()).is_err());
        let mut v: Value = serde_json::to_value(&st).unwrap();
        v["subject"] = Value::Array(vec![]);
        assert!(parse(&serde_json::to_vec(&v).unwrap()).is_err());
        assert!(parse(b"{").is_err());
        assert!(parse(&vec![b' '; MAX_STATEMENT_BYTES + 1]).is_err());
        // Unknown fields are tolerated.
        let mut v: Value = serde_json::to_value(&st).unwrap();
        v["predicate"]["runDetails"]["byproducts"] = Value::Array(vec![]);
        assert!(parse(&serde_json::to_vec(&v).unwrap()).is_ok());
    }

    #[test]
    fn check_subjects_reports_differences() {
        let built = [fd("a", b"1"), fd("b", b"2"), fd("c", b"3")];
        let st = build(&input(), &built).unwrap();
        let r = check_subjects(&st, &built).unwrap();
        assert!(r.is_ok());
        assert_eq!(r.matched, 3);

        // On disk: "a" intact, "b" changed, "c" gone, "d" new. Checked with SHA-256 only.
        let disk: Vec<FileSha256> = [("a", &b"1"[..]), ("b", b"X"), ("d", b"4")]
            .iter()
            .map(|(p, d)| FileSha256 {
                path: (*p).into(),
                size: d.len() as u64,
                sha256: sha256(d),
            })
            .collect();
        let r = check_subjects(&st, &disk).unwrap();
        assert!(!r.is_ok());
        assert_eq!(r.missing, ["c"]);
        assert_eq!(r.extra, ["d"]);
        assert_eq!(r.matched, 1);
        assert_eq!(r.mismatched.len(), 1);
        assert_eq!(r.mismatched[0].name, "b");
        assert_eq!(r.mismatched[0].algorithm, "sha256");

        // A SHA-512-only difference is caught when both sides have SHA-512.
        let mut st2 = st.clone();
        st2.subject[0]
            .digest
            .insert("sha512".into(), hex::encode(sha512(b"other")));
        let r = check_subjects(&st2, &built).unwrap();
        assert_eq!(r.mismatched.len(), 1);
        assert_eq!(r.mismatched[0].algorithm, "sha512");
    }

    #[test]
    fn check_subjects_rejects_malformed_statements() {
        let files = [fd("a", b"1")];
        let st = build(&input(), &files).unwrap();
        let mut no256 = st.clone();
        no256.subject[0].digest.remove("sha256");
        assert!(check_subjects(&no256, &files).is_err());
        let mut badhex = st.clone();
        badhex.subject[0]
            .digest
            .insert("sha256".into(), "zz".into());
        assert!(check_subjects(&badhex, &files).is_err());
        let mut dup = st.clone();
        dup.subject.push(dup.subject[0].clone());
        assert!(check_subjects(&dup, &files).is_err());
        let mut noname = st;
        noname.subject[0].name = None;
        assert!(check_subjects(&noname, &files).is_err());
    }

    fn github_statement() -> Statement {
        let mut i = input();
        i.builder_id =
            "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.2.3".into();
        i.source = Some(Source {
            uri: "git+https://github.com/org/repo".into(),
            digest: [("gitCommit".to_owned(), "c".repeat(40))].into(),
            git_ref: Some("refs/tags/v1.2.3".into()),
        });
        i.invocation_id = "https://github.com/org/repo/actions/runs/9/attempts/1".into();
        build(&i, &[fd("a", b"")]).unwrap()
    }

    #[test]
    fn repositories_compare_in_every_spelling() {
        for u in [
            "github.com/org/repo",
            "https://github.com/org/repo",
            "git+https://github.com/org/repo.git",
            "git@github.com:org/repo.git",
            "https://GitHub.com/org/repo/",
            "ssh://git@github.com/org/repo",
        ] {
            assert_eq!(normalize_repository(u), "github.com/org/repo", "{u}");
        }
        assert_ne!(
            normalize_repository("github.com/org/repo2"),
            normalize_repository("github.com/org/repo")
        );
    }

    #[test]
    fn policy_accepts_the_build_and_names_every_failed_rule() {
        let st = github_statement();
        let ok = ProvenancePolicy {
            builder_id: Some("https://github.com/org/repo/.github/workflows/release.yml".into()),
            source_uri: Some("github.com/org/repo".into()),
            source_ref: Some("v1.2.3".into()),
            source_digest: Some(parse_source_digest(&"c".repeat(40)).unwrap()),
        };
        assert_eq!(check_policy(&st, &ok), []);
        assert_eq!(
            check_policy(
                &st,
                &ProvenancePolicy {
                    source_ref: Some("refs/tags/v1.2.3".into()),
                    ..ProvenancePolicy::default()
                }
            ),
            []
        );
        let bad = ProvenancePolicy {
            builder_id: Some("https://github.com/org/repo/.github/workflows/other.yml".into()),
            source_uri: Some("github.com/evil/repo".into()),
            source_ref: Some("refs/heads/main".into()),
            source_digest: Some(("gitCommit".into(), "d".repeat(40))),
        };
        let f = check_policy(&st, &bad);
        let rules: Vec<&str> = f.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            ["builder-id", "source-uri", "source-ref", "source-digest"]
        );
        assert!(f.iter().all(|f| !f.reason.contains('\n')));
        assert!(f[1].reason.contains("github.com/evil/repo"));
        // A pinned builder version must match exactly.
        let pinned = ProvenancePolicy {
            builder_id: Some(
                "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v9".into(),
            ),
            ..ProvenancePolicy::default()
        };
        assert_eq!(check_policy(&st, &pinned).len(), 1);
        // A provenance without a source fails every source rule.
        let mut i = input();
        i.source = None;
        let nosrc = build(&i, &[fd("a", b"")]).unwrap();
        assert_eq!(check_policy(&nosrc, &ok).len(), 4);
        assert!(parse_source_digest("nothex").is_err());
        assert_eq!(
            parse_source_digest("sha256:AB").unwrap(),
            ("sha256".to_owned(), "ab".to_owned())
        );
    }

    #[test]
    fn the_certificate_binds_builder_source_and_run() {
        let st = github_statement();
        let cert = CertificateClaims {
            build_signer_uri: Some(st.builder_id().to_owned()),
            source_repository_uri: Some("https://github.com/org/repo".into()),
            source_repository_digest: Some("c".repeat(40)),
            source_repository_ref: Some("refs/tags/v1.2.3".into()),
            run_invocation_uri: Some(
                "https://github.com/org/repo/actions/runs/9/attempts/1".into(),
            ),
        };
        assert_eq!(check_certificate(&st, &cert), []);
        assert_eq!(check_certificate(&st, &CertificateClaims::default()), []);
        let other = CertificateClaims {
            build_signer_uri: Some(
                "https://github.com/org/repo/.github/workflows/x.yml@refs/heads/main".into(),
            ),
            source_repository_uri: Some("https://github.com/org/fork".into()),
            source_repository_digest: Some("d".repeat(40)),
            source_repository_ref: Some("refs/heads/main".into()),
            run_invocation_uri: Some(
                "https://github.com/org/repo/actions/runs/1/attempts/1".into(),
            ),
        };
        let rules: Vec<&str> = check_certificate(&st, &other)
            .iter()
            .map(|f| f.rule)
            .collect();
        assert_eq!(
            rules,
            [
                "builder-id",
                "source-uri",
                "source-digest",
                "source-ref",
                "invocation-id"
            ]
        );
    }

    #[test]
    fn accessors_read_githubs_workflow_build_type() {
        // The shape of actions/attest-build-provenance's predicate.
        let v = serde_json::json!({
            "_type": STATEMENT_TYPE,
            "subject": [{"name": "a", "digest": {"sha256": "00"}}],
            "predicateType": PREDICATE_TYPE,
            "predicate": {
                "buildDefinition": {
                    "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                    "externalParameters": {"workflow": {
                        "ref": "refs/heads/main",
                        "repository": "https://github.com/org/repo",
                        "path": ".github/workflows/build.yml"}},
                    "resolvedDependencies": [{
                        "uri": "git+https://github.com/org/repo@refs/heads/main",
                        "digest": {"gitCommit": "e".repeat(40)}}]},
                "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}}
            }
        });
        let st = parse(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(st.source_uri(), Some("https://github.com/org/repo"));
        assert_eq!(st.source_ref(), Some("refs/heads/main"));
        assert_eq!(st.source_digest().unwrap()["gitCommit"], "e".repeat(40));
        // Only the dependency: its @ref is the ref.
        let mut v2 = v.clone();
        v2["predicate"]["buildDefinition"]["externalParameters"] = serde_json::json!({});
        let st = parse(&serde_json::to_vec(&v2).unwrap()).unwrap();
        assert_eq!(st.source_uri(), Some("git+https://github.com/org/repo"));
        assert_eq!(st.source_ref(), Some("refs/heads/main"));
    }
}
