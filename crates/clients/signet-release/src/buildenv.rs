//! What the build that made a release says about itself: the claims a provenance makes
//! (source repository, commit, ref, builder, invocation), gathered from where they are known.
//!
//! [`BuildClaims::from_env`] reads a CI system's variables (GitHub Actions, GitLab CI, Google
//! Cloud Build); [`BuildClaims::from_git`] turns what `git` says about a checkout into claims;
//! [`BuildClaims::from_certificate`] reads a Fulcio certificate's CI extensions. Layers are
//! combined with [`BuildClaims::or`] (the caller's flags first, then the certificate, then the
//! CI environment, then the checkout) and [`BuildClaims::resolve`] turns the result into the
//! builder id, invocation id and [`Source`] of a provenance. Nothing here reads the
//! environment or runs a process: the caller passes a lookup function and `git`'s answers.
//!
//! A source is never a local path: `file:` URLs and paths are refused, user info (a token in
//! an `https://user:token@host/` remote) is dropped, and scp-style `git@host:o/r` remotes
//! become `git+https://host/o/r`.

use std::collections::BTreeMap;

use crate::provenance::{CertificateClaims, Source, normalize_repository};
use crate::{ReleaseError, Result};

/// Longest value taken from one environment variable or git answer.
pub const MAX_VALUE_LEN: usize = 4096;

/// What one layer (flags, certificate, CI environment, git checkout) claims about the build.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildClaims {
    /// Where the claims come from (`github-actions`, `gitlab-ci`, `cloud-build`, `git`,
    /// `certificate`, `flags`), for messages.
    pub provider: Option<&'static str>,
    /// Source repository URI (`git+https://host/owner/repo`).
    pub source_uri: Option<String>,
    /// Digest of the source revision (`gitCommit` → 40 hex).
    pub source_digest: BTreeMap<String, String>,
    /// Git ref (`refs/tags/v1.2.3`).
    pub source_ref: Option<String>,
    /// Builder id URI.
    pub builder_id: Option<String>,
    /// Build type URI.
    pub build_type: Option<String>,
    /// Invocation id (a URI when the CI system has one for the run).
    pub invocation_id: Option<String>,
}

fn bad(reason: impl Into<String>) -> ReleaseError {
    ReleaseError::invalid("build environment", reason)
}

/// `value` as a git commit: 40 (SHA-1) or 64 (SHA-256 repositories) hex digits, lowercased.
fn commit(what: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if !matches!(v.len(), 40 | 64) || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(format!("{what} {v:?} is not a git commit")));
    }
    Ok(v.to_ascii_lowercase())
}

/// A repository URL as a provenance source URI: `git+https://host/path`, with user info and
/// `.git` removed; `None` for what is no remote repository (a local path or `file:` URL).
pub fn source_uri_from_remote(remote: &str) -> Option<String> {
    let r = remote.trim();
    let lower = r.to_ascii_lowercase();
    if r.is_empty()
        || lower.starts_with("file:")
        || r.starts_with('/')
        || r.starts_with('.')
        || r.starts_with('~')
        || r.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return None;
    }
    let scheme = r
        .strip_prefix("git+")
        .unwrap_or(r)
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        // http(s) and ssh remotes name the same repository over https.
        Some("https" | "http" | "ssh" | "git") | None => {}
        Some(_) => return None,
    }
    if scheme.is_none() && !r.contains(':') {
        // A relative path such as `repo` or `../repo`.
        return None;
    }
    let norm = normalize_repository(r);
    let (host, path) = norm.split_once('/')?;
    if host.is_empty() || path.is_empty() {
        return None;
    }
    let host = match scheme.as_deref() {
        Some("http") => format!("http://{host}"),
        Some("https") => format!("https://{host}"),
        // An ssh or git port is not the https one.
        _ => format!("https://{}", host.split_once(':').map_or(host, |(h, _)| h)),
    };
    Some(format!("git+{host}/{path}"))
}

/// A variable lookup: `Ok(None)` when unset or empty, an error when malformed.
type Var<'a> = &'a dyn Fn(&str) -> Result<Option<String>>;
/// A required variable: an error naming it (and the CI system) when unset.
type Need<'a> = &'a dyn Fn(&str, &str) -> Result<String>;

/// A hosted forge's server URL (`server_var`, default `default`, without a trailing `/`), the
/// project path (`project_var`, required) and the project's source URI.
fn forge(
    var: Var<'_>,
    need: Need<'_>,
    ci: &str,
    (server_var, default): (&str, &str),
    project_var: &str,
) -> Result<(String, String, String)> {
    let server = var(server_var)?.unwrap_or_else(|| default.into());
    let server = server.trim_end_matches('/').to_owned();
    let project = need(project_var, ci)?;
    let uri = source_uri_from_remote(&format!("{server}/{project}"))
        .ok_or_else(|| bad(format!("${project_var} {project:?} is no repository")))?;
    Ok((server, project, uri))
}

/// `refs/tags/<tag>` if there is a tag, else `refs/heads/<branch>`.
fn tag_or_branch(tag: Option<String>, branch: Option<String>) -> Option<String> {
    match (tag, branch) {
        (Some(t), _) => Some(format!("refs/tags/{t}")),
        (None, Some(b)) => Some(format!("refs/heads/{b}")),
        (None, None) => None,
    }
}

impl BuildClaims {
    /// `self` with the git commit in variable `name` (if set) as the source digest.
    fn with_commit(mut self, var: Var<'_>, name: &str) -> Result<Self> {
        if let Some(sha) = var(name)? {
            self.source_digest
                .insert("gitCommit".into(), commit(&format!("${name}"), &sha)?);
        }
        Ok(self)
    }

    /// Claims of a CI system found in the environment (`get` looks a variable up), or `None`
    /// outside CI. GitHub Actions (`GITHUB_ACTIONS=true`), GitLab CI (`GITLAB_CI=true`) and
    /// Google Cloud Build (`BUILD_ID` and `PROJECT_ID`, which a build step has when its
    /// `cloudbuild.yaml` passes them in `env:`) are recognized; a recognized system with a
    /// malformed or missing required variable is an error.
    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let var = |name: &str| -> Result<Option<String>> {
            match get(name) {
                Some(v) if v.len() > MAX_VALUE_LEN => {
                    Err(bad(format!("${name} is longer than {MAX_VALUE_LEN} bytes")))
                }
                Some(v) if v.chars().any(char::is_control) => {
                    Err(bad(format!("${name} holds control characters")))
                }
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => Ok(Some(v.trim().to_owned())),
                None => Ok(None),
            }
        };
        let need = |name: &str, ci: &str| -> Result<String> {
            var(name)?.ok_or_else(|| bad(format!("{ci} without ${name}")))
        };
        if var("GITHUB_ACTIONS")?.as_deref() == Some("true") {
            return Self::github(&var, &need).map(Some);
        }
        if var("GITLAB_CI")?.as_deref() == Some("true") {
            return Self::gitlab(&var, &need).map(Some);
        }
        if var("BUILD_ID")?.is_some() && var("PROJECT_ID")?.is_some() {
            return Self::cloud_build(&var, &need).map(Some);
        }
        Ok(None)
    }

    /// GitHub Actions' default variables: the workflow run is the builder (`GITHUB_WORKFLOW_REF`,
    /// as Fulcio's 1.9 Build Signer URI for a top-level workflow), the run attempt the
    /// invocation (Fulcio's 1.21 Run Invocation URI).
    fn github(var: Var<'_>, need: Need<'_>) -> Result<Self> {
        let (server, repo, uri) = forge(
            var,
            need,
            "GitHub Actions (GITHUB_ACTIONS=true)",
            ("GITHUB_SERVER_URL", "https://github.com"),
            "GITHUB_REPOSITORY",
        )?;
        let attempt = var("GITHUB_RUN_ATTEMPT")?.unwrap_or_else(|| "1".into());
        Self {
            provider: Some("github-actions"),
            source_uri: Some(uri),
            source_ref: var("GITHUB_REF")?,
            builder_id: var("GITHUB_WORKFLOW_REF")?.map(|w| format!("{server}/{w}")),
            invocation_id: var("GITHUB_RUN_ID")?
                .map(|run| format!("{server}/{repo}/actions/runs/{run}/attempts/{attempt}")),
            ..Self::default()
        }
        .with_commit(var, "GITHUB_SHA")
    }

    /// GitLab CI's predefined variables, shaped as Fulcio's `gitlab-pipeline` extensions: the
    /// pipeline configuration at its ref is the builder, the job the invocation.
    fn gitlab(var: Var<'_>, need: Need<'_>) -> Result<Self> {
        let (server, project, uri) = forge(
            var,
            need,
            "GitLab CI (GITLAB_CI=true)",
            ("CI_SERVER_URL", "https://gitlab.com"),
            "CI_PROJECT_PATH",
        )?;
        let git_ref = tag_or_branch(var("CI_COMMIT_TAG")?, var("CI_COMMIT_BRANCH")?);
        Self {
            provider: Some("gitlab-ci"),
            source_uri: Some(uri),
            builder_id: match (&git_ref, var("CI_CONFIG_PATH")?) {
                (Some(r), Some(cfg)) => Some(format!("{server}/{project}//{cfg}@{r}")),
                _ => None,
            },
            invocation_id: var("CI_JOB_ID")?.map(|j| format!("{server}/{project}/-/jobs/{j}")),
            source_ref: git_ref,
            ..Self::default()
        }
        .with_commit(var, "CI_COMMIT_SHA")
    }

    /// Google Cloud Build's substitutions passed to the step as variables: the hosted worker is
    /// the builder (Cloud Build's SLSA builder id), the build's resource name the invocation.
    /// The source repository comes from the checkout or the flags (Cloud Build names only
    /// `REPO_NAME`, without its host).
    fn cloud_build(var: Var<'_>, need: Need<'_>) -> Result<Self> {
        const CI: &str = "Cloud Build (BUILD_ID and PROJECT_ID)";
        let project = need("PROJECT_ID", CI)?;
        let build = need("BUILD_ID", CI)?;
        let location = var("LOCATION")?.unwrap_or_else(|| "global".into());
        let commit_var = if var("COMMIT_SHA")?.is_some() {
            "COMMIT_SHA"
        } else {
            "REVISION_ID"
        };
        Self {
            provider: Some("cloud-build"),
            builder_id: Some("https://cloudbuild.googleapis.com/GoogleHostedWorker".into()),
            invocation_id: Some(format!(
                "https://cloudbuild.googleapis.com/v1/projects/{project}/locations/{location}/builds/{build}"
            )),
            source_ref: tag_or_branch(var("TAG_NAME")?, var("BRANCH_NAME")?),
            ..Self::default()
        }
        .with_commit(var, commit_var)
    }

    /// Claims of a git checkout: `remote` (the URL of `origin`), `head` (`git rev-parse HEAD`)
    /// and `git_ref` (a tag pointing at HEAD as `refs/tags/…`, else the branch as
    /// `refs/heads/…`). A remote that is a local path gives no source at all (its commit
    /// would name nothing anyone else can fetch).
    pub fn from_git(remote: Option<&str>, head: Option<&str>, git_ref: Option<&str>) -> Self {
        let Some(uri) = remote.and_then(source_uri_from_remote) else {
            return Self::default();
        };
        let mut c = Self {
            provider: Some("git"),
            source_uri: Some(uri),
            source_ref: git_ref
                .map(str::trim)
                .filter(|r| r.starts_with("refs/") && !r.chars().any(char::is_whitespace))
                .map(str::to_owned),
            ..Self::default()
        };
        if let Some(h) = head.and_then(|h| commit("HEAD", h).ok()) {
            c.source_digest.insert("gitCommit".into(), h);
        }
        c
    }

    /// The claims a signing certificate's CI extensions make (1.9, 1.12–1.14, 1.21).
    pub fn from_certificate(cert: &CertificateClaims) -> Self {
        let mut c = Self {
            provider: (!cert.is_empty()).then_some("certificate"),
            source_uri: cert
                .source_repository_uri
                .as_deref()
                .and_then(source_uri_from_remote),
            source_ref: cert.source_repository_ref.clone(),
            builder_id: cert.build_signer_uri.clone(),
            invocation_id: cert.run_invocation_uri.clone(),
            ..Self::default()
        };
        if let Some(d) = &cert.source_repository_digest {
            c.source_digest
                .insert("gitCommit".into(), d.to_ascii_lowercase());
        }
        c
    }

    /// `self`, with what it does not say taken from `lower`. The source's digest and ref are
    /// taken from `lower` only when both name the same repository (or `self` names none):
    /// another repository's commit is not this one's.
    pub fn or(self, lower: Self) -> Self {
        let same_repo = match (&self.source_uri, &lower.source_uri) {
            (Some(a), Some(b)) => normalize_repository(a) == normalize_repository(b),
            (None, _) => true,
            (Some(_), None) => false,
        };
        let (source_digest, source_ref) = if same_repo {
            (
                if self.source_digest.is_empty() {
                    lower.source_digest
                } else {
                    self.source_digest
                },
                self.source_ref.or(lower.source_ref),
            )
        } else {
            (self.source_digest, self.source_ref)
        };
        Self {
            provider: self.provider.or(lower.provider),
            source_uri: self.source_uri.or(lower.source_uri),
            source_digest,
            source_ref,
            builder_id: self.builder_id.or(lower.builder_id),
            build_type: self.build_type.or(lower.build_type),
            invocation_id: self.invocation_id.or(lower.invocation_id),
        }
    }

    /// The provenance's source: a repository with a digest. A repository without a commit is
    /// an error (a provenance must say which revision was built); no repository is `None`.
    pub fn source(&self) -> Result<Option<Source>> {
        match (&self.source_uri, self.source_digest.is_empty()) {
            (None, true) => Ok(None),
            (None, false) => Err(bad(
                "a source digest without a source repository (give --source-uri)",
            )),
            (Some(u), true) => Err(bad(format!(
                "source repository {u} without the commit built (give --source-digest)"
            ))),
            (Some(u), false) => {
                if u.to_ascii_lowercase().starts_with("file:") || u.starts_with('/') {
                    return Err(bad(format!(
                        "source {u:?} is a local path; a provenance names a repository others can fetch"
                    )));
                }
                Ok(Some(Source {
                    uri: u.clone(),
                    digest: self.source_digest.clone(),
                    git_ref: self.source_ref.clone(),
                }))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn github_actions_variables_name_repository_commit_workflow_and_run() {
        let e = env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "org/repo"),
            ("GITHUB_SHA", SHA),
            ("GITHUB_REF", "refs/tags/v1.2.3"),
            (
                "GITHUB_WORKFLOW_REF",
                "org/repo/.github/workflows/release.yml@refs/tags/v1.2.3",
            ),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_RUN_ATTEMPT", "2"),
        ]);
        let c = BuildClaims::from_env(&e).unwrap().unwrap();
        assert_eq!(c.provider, Some("github-actions"));
        assert_eq!(
            c.source_uri.as_deref(),
            Some("git+https://github.com/org/repo")
        );
        assert_eq!(c.source_digest["gitCommit"], SHA);
        assert_eq!(c.source_ref.as_deref(), Some("refs/tags/v1.2.3"));
        assert_eq!(
            c.builder_id.as_deref(),
            Some("https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.2.3")
        );
        assert_eq!(
            c.invocation_id.as_deref(),
            Some("https://github.com/org/repo/actions/runs/42/attempts/2")
        );
        // Broken environments are errors, not silently local builds.
        let e = env(&[("GITHUB_ACTIONS", "true")]);
        assert!(
            BuildClaims::from_env(&e)
                .unwrap_err()
                .to_string()
                .contains("GITHUB_REPOSITORY")
        );
        let e = env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "org/repo"),
            ("GITHUB_SHA", "nothex"),
        ]);
        assert!(BuildClaims::from_env(&e).is_err());
        let e = env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "o/r\u{7}"),
        ]);
        assert!(BuildClaims::from_env(&e).is_err());
        assert_eq!(BuildClaims::from_env(&env(&[])).unwrap(), None);
        assert_eq!(
            BuildClaims::from_env(&env(&[("GITHUB_ACTIONS", "false")])).unwrap(),
            None
        );
    }

    #[test]
    fn gitlab_variables_follow_fulcios_gitlab_extensions() {
        let e = env(&[
            ("GITLAB_CI", "true"),
            ("CI_SERVER_URL", "https://gitlab.com"),
            ("CI_PROJECT_PATH", "group/project"),
            ("CI_COMMIT_SHA", SHA),
            ("CI_COMMIT_BRANCH", "main"),
            ("CI_CONFIG_PATH", ".gitlab-ci.yml"),
            ("CI_JOB_ID", "7"),
        ]);
        let c = BuildClaims::from_env(&e).unwrap().unwrap();
        assert_eq!(
            c.source_uri.as_deref(),
            Some("git+https://gitlab.com/group/project")
        );
        assert_eq!(c.source_ref.as_deref(), Some("refs/heads/main"));
        assert_eq!(
            c.builder_id.as_deref(),
            Some("https://gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main")
        );
        assert_eq!(
            c.invocation_id.as_deref(),
            Some("https://gitlab.com/group/project/-/jobs/7")
        );
    }

    #[test]
    fn cloud_build_names_its_worker_and_build() {
        let e = env(&[
            ("BUILD_ID", "b-1"),
            ("PROJECT_ID", "k8s-releng-prod"),
            ("COMMIT_SHA", SHA),
            ("TAG_NAME", "v1.36.0"),
        ]);
        let c = BuildClaims::from_env(&e).unwrap().unwrap();
        assert_eq!(c.provider, Some("cloud-build"));
        assert_eq!(
            c.builder_id.as_deref(),
            Some("https://cloudbuild.googleapis.com/GoogleHostedWorker")
        );
        assert_eq!(
            c.invocation_id.as_deref(),
            Some(
                "https://cloudbuild.googleapis.com/v1/projects/k8s-releng-prod/locations/global/builds/b-1"
            )
        );
        assert_eq!(c.source_ref.as_deref(), Some("refs/tags/v1.36.0"));
        assert_eq!(c.source_uri, None);
    }

    #[test]
    fn remotes_become_https_sources_and_local_paths_none() {
        let s = |r| source_uri_from_remote(r);
        assert_eq!(
            s("git@github.com:org/repo.git").as_deref(),
            Some("git+https://github.com/org/repo")
        );
        assert_eq!(
            s("https://x-access-token:SECRET@github.com/org/repo.git").as_deref(),
            Some("git+https://github.com/org/repo")
        );
        assert_eq!(
            s("ssh://git@gitlab.example.org:2222/g/p").as_deref(),
            Some("git+https://gitlab.example.org/g/p")
        );
        for local in ["/srv/git/repo", "file:///srv/repo", "../repo", "repo", ""] {
            assert_eq!(s(local), None, "{local}");
        }
        let c = BuildClaims::from_git(Some("/srv/repo"), Some(SHA), Some("refs/heads/main"));
        assert_eq!(c, BuildClaims::default());
        let c = BuildClaims::from_git(
            Some("git@github.com:org/repo.git"),
            Some(SHA),
            Some("refs/tags/v1"),
        );
        assert_eq!(c.source().unwrap().unwrap().digest["gitCommit"], SHA);
    }

    #[test]
    fn layers_keep_the_first_sayer_and_never_mix_repositories() {
        let flags = BuildClaims {
            source_uri: Some("git+https://github.com/org/other".into()),
            ..BuildClaims::default()
        };
        let ci = BuildClaims::from_git(
            Some("https://github.com/org/repo"),
            Some(SHA),
            Some("refs/heads/main"),
        );
        // The flag's repository is not the checkout's: its commit is not taken.
        let merged = flags.clone().or(ci.clone());
        assert!(merged.source_digest.is_empty());
        assert!(merged.source().is_err());
        // The same repository in another spelling: the checkout's commit completes it.
        let flags = BuildClaims {
            source_uri: Some("https://github.com/org/repo.git".into()),
            ..BuildClaims::default()
        };
        let merged = flags.or(ci);
        assert_eq!(merged.source_digest["gitCommit"], SHA);
        assert_eq!(merged.source_ref.as_deref(), Some("refs/heads/main"));
        let local = BuildClaims {
            source_uri: Some("file:///tmp/x".into()),
            source_digest: [("gitCommit".to_owned(), SHA.to_owned())].into(),
            ..BuildClaims::default()
        };
        assert!(local.source().is_err());
        assert_eq!(BuildClaims::default().source().unwrap(), None);
    }
}
