//! `signet oidc token`: mint a token from this data directory's DEVELOPMENT issuer.

use std::path::PathBuf;

use anyhow::{Context, Result};
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
    /// The identity (`sub`); also the email unless --email is given.
    #[arg(long)]
    subject: String,
    /// Email claim (default: the subject, when it looks like an email address).
    #[arg(long)]
    email: Option<String>,
    /// Audience.
    #[arg(long, default_value = "sigstore")]
    audience: String,
    /// Lifetime in seconds (negative: an already expired token, for tests).
    #[arg(long, default_value_t = 600, allow_negative_numbers = true)]
    ttl: i64,
}

pub fn run(args: OidcArgs) -> Result<()> {
    let OidcCommand::Token(t) = args.command;
    let url_path = t.data_dir.join("oidc").join("issuer-url");
    let url = std::fs::read_to_string(&url_path).with_context(|| {
        format!(
            "no development issuer in {} (start `signet server --dev-oidc` on it first)",
            t.data_dir.display()
        )
    })?;
    let issuer = crate::instance::dev_issuer(&t.data_dir, url.trim())?;
    let email = t
        .email
        .clone()
        .or_else(|| t.subject.contains('@').then(|| t.subject.clone()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let token = issuer.mint(
        &t.subject,
        email.as_deref(),
        &t.audience,
        now,
        t.ttl,
        serde_json::Map::new(),
    )?;
    println!("{token}");
    Ok(())
}
