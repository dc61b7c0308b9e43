//! `signet oidc token`: mint a token from this data directory's DEVELOPMENT issuer.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

/// `signet oidc` commands.
#[derive(Args, Debug)]
pub struct OidcArgs {
    #[command(subcommand)]
    command: OidcCommand,
}

#[derive(Subcommand, Debug)]
enum OidcCommand {
    /// Print an identity token from the development issuer (`signet server --dev-oidc`).
    Token(TokenArgs),
}

#[derive(Args, Debug)]
struct TokenArgs {
    /// Data directory of the server running the development issuer.
    #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
    data_dir: PathBuf,
    /// The identity: an email address (`sub` and `email`), a GitHub workflow URI
    /// `https://github.com/OWNER/REPO/.github/workflows/FILE@REF` (a GitHub-Actions-shaped
    /// token from the `<issuer>/ci` issuer; the certificate SAN is this URI), or a Kubernetes
    /// service account `system:serviceaccount:NAMESPACE:NAME` (a projected-token-shaped token
    /// from the `<issuer>/k8s` issuer; SAN `https://kubernetes.io/namespaces/NS/serviceaccounts/NAME`),
    /// or a SPIFFE ID `spiffe://signet.test/PATH` (a JWT-SVID-shaped token from the
    /// `<issuer>/spiffe` issuer; the SAN is the SPIFFE ID).
    #[arg(long)]
    subject: String,
    /// `uri` or `email` (default: uri when the subject is a URL with a scheme, else email).
    #[arg(long, value_enum)]
    subject_type: Option<SubjectType>,
    /// Email claim (default: the subject, when it looks like an email address).
    #[arg(long)]
    email: Option<String>,
    /// URI identities: the commit (`sha`, 40 hex digits; default: random).
    #[arg(long)]
    sha: Option<String>,
    /// URI identities: the workflow run (`run_id`; default: the current Unix time).
    #[arg(long)]
    run_id: Option<u64>,
    /// URI identities: the triggering event (`event_name`).
    #[arg(long, default_value = "push")]
    event_name: String,
    /// Email identities: the issuer the token claims, one the server accepts through
    /// `--dev-oidc-alias` (default: the development issuer's own URL).
    #[arg(long, value_name = "URL", conflicts_with = "sha")]
    issuer: Option<String>,
    /// Audience.
    #[arg(long, default_value = "sigstore")]
    audience: String,
    /// Lifetime in seconds (negative: an already expired token, for tests).
    #[arg(long, default_value_t = 600, allow_negative_numbers = true)]
    ttl: i64,
}

/// Which kind of identity a token carries.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SubjectType {
    /// A URI SAN: a GitHub workflow identity.
    Uri,
    /// An email SAN.
    Email,
}

/// The GitHub workflow a URI identity names: `OWNER/REPO/.github/workflows/FILE@REF`.
fn workflow_ref(subject: &str) -> Result<&str> {
    subject.strip_prefix("https://github.com/").with_context(|| {
        format!(
            "the development issuer mints URI identities for GitHub workflows only: expected https://github.com/OWNER/REPO/.github/workflows/FILE@REF, got {subject:?}"
        )
    })
}

pub fn run(args: OidcArgs) -> Result<()> {
    let OidcCommand::Token(t) = args.command;
    let url_path = t.data_dir.join("oidc").join("issuer-url");
    let url = signet_crypto::read_capped_string(&url_path, crate::input::ISSUER_URL).with_context(
        || {
            format!(
                "no development issuer in {} (start `signet server --dev-oidc` on it first)",
                t.data_dir.display()
            )
        },
    )?;
    let issuer = crate::instance::dev_issuer(&t.data_dir, url.trim())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let kind = t
        .subject_type
        .unwrap_or_else(|| match reqwest::Url::parse(&t.subject) {
            Ok(u) if !u.scheme().is_empty() => SubjectType::Uri,
            _ => SubjectType::Email,
        });
    let token = match kind {
        _ if t.subject.starts_with("system:serviceaccount:") => {
            if t.issuer.is_some() || t.sha.is_some() {
                bail!("--issuer and --sha are not for Kubernetes service accounts");
            }
            let claims = signet_oidc::dev::kubernetes_claims(&t.subject, &t.audience)?;
            issuer
                .at(&crate::instance::dev_k8s_issuer_url(issuer.issuer_url()))?
                .mint(&t.subject, None, &t.audience, now, t.ttl, claims)?
        }
        _ if t.subject.starts_with("spiffe://") => {
            if t.issuer.is_some() || t.sha.is_some() {
                bail!("--issuer and --sha are not for SPIFFE IDs");
            }
            issuer
                .at(&crate::instance::dev_spiffe_issuer_url(issuer.issuer_url()))?
                .mint(
                    &t.subject,
                    None,
                    &t.audience,
                    now,
                    t.ttl,
                    serde_json::Map::new(),
                )?
        }
        SubjectType::Uri => {
            if t.issuer.is_some() {
                bail!("--issuer is for email identities; URI identities come from <issuer>/ci");
            }
            let sha = match &t.sha {
                Some(s) => s.clone(),
                None => hex::encode(rand::random::<[u8; 20]>()),
            };
            let claims = signet_oidc::dev::github_workflow_claims(
                workflow_ref(&t.subject)?,
                &sha,
                &t.event_name,
                t.run_id
                    .unwrap_or_else(|| u64::try_from(now).unwrap_or_default()),
            )?;
            issuer
                .at(&crate::instance::dev_ci_issuer_url(issuer.issuer_url()))?
                .mint(&t.subject, None, &t.audience, now, t.ttl, claims)?
        }
        SubjectType::Email => {
            let issuer = match &t.issuer {
                Some(url) => issuer.at(url)?,
                None => issuer,
            };
            let email = t
                .email
                .clone()
                .or_else(|| t.subject.contains('@').then(|| t.subject.clone()));
            issuer.mint(
                &t.subject,
                email.as_deref(),
                &t.audience,
                now,
                t.ttl,
                serde_json::Map::new(),
            )?
        }
    };
    println!("{token}");
    Ok(())
}
