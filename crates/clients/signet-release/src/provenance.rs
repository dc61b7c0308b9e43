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
//!    "buildDefinition":{"buildType":"https://signet.dev/release/v1",
//!      "externalParameters":{"source":"git+https://…","version":"v1.36.0"},
//!      "internalParameters":{…},
//!      "resolvedDependencies":[{"uri":"git+https://…","digest":{"gitCommit":"…"}}]},
//!    "runDetails":{"builder":{"id":"https://…"},
//!      "metadata":{"invocationId":"…","startedOn":"…Z","finishedOn":"…Z"}}}}
//! ```
//!
//! Subjects are named by their release-relative path and sorted by name.

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
/// Build type used when the caller does not choose one.
pub const DEFAULT_BUILD_TYPE: &str = "https://signet.dev/release/v1";
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

/// Everything [`build`] needs besides the file digests.
#[derive(Clone, Debug, PartialEq)]
pub struct ProvenanceInput {
    /// Build type URI; usually [`DEFAULT_BUILD_TYPE`].
    pub build_type: String,
    /// Builder id URI (`runDetails.builder.id`).
    pub builder_id: String,
    /// Source repository URI, e.g. `git+https://github.com/kubernetes/kubernetes`.
    pub source_uri: String,
    /// Digest of the source revision, e.g. `{"gitCommit": "<40 hex>"}`.
    pub source_digest: BTreeMap<String, String>,
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

/// Formats `t` as RFC 3339 in UTC.
pub(crate) fn rfc3339(t: OffsetDateTime) -> Result<String> {
    Ok(t.to_offset(time::UtcOffset::UTC).format(&Rfc3339)?)
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
    check_uri("source", &input.source_uri)?;
    check_digest_set("source", &input.source_digest)?;
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
    external.insert("source".into(), Value::String(input.source_uri.clone()));
    external.insert("version".into(), Value::String(input.version.clone()));
    for (k, v) in &input.extra_parameters {
        if external.contains_key(k) {
            return Err(bad(format!(
                "extra parameter {k:?} collides with a built-in one"
            )));
        }
        external.insert(k.clone(), v.clone());
    }
    let mut deps = vec![ResourceDescriptor {
        uri: Some(input.source_uri.clone()),
        name: None,
        digest: input.source_digest.clone(),
    }];
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
            builder_id: "https://signet.dev/builders/release@v1".into(),
            source_uri: "git+https://github.com/kubernetes/kubernetes".into(),
            source_digest: [("gitCommit".to_owned(), "a".repeat(40))].into(),
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
        assert_eq!(bd["externalParameters"]["source"], input().source_uri);
        assert_eq!(bd["externalParameters"]["version"], "v1.36.0");
        assert_eq!(bd["externalParameters"]["branch"], "release-1.36");
        assert_eq!(bd["internalParameters"]["nomock"], true);
        assert_eq!(
            bd["resolvedDependencies"][0]["digest"]["gitCommit"],
            "a".repeat(40)
        );
        assert_eq!(bd["resolvedDependencies"][1]["uri"], "pkg:golang/go@1.25.0");
        let rd = &v["predicate"]["runDetails"];
        assert_eq!(
            rd["builder"]["id"],
            "https://signet.dev/builders/release@v1"
        );
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
        i.source_digest = [("gitCommit".to_owned(), "XYZ".into())].into();
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
}
