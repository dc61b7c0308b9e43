//! `signet log monitor`: follow a log, prove it append-only, report watched entries as JSON
//! lines (logic in `signet_client::monitor`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use signet_client::RekorClient;
use signet_client::monitor::{self, LogSource, MonitorError, MonitorState, WatchList};
use signet_client::tiles::TileClient;
use signet_crypto::PublicKey;
use signet_tlog::{EcdsaNoteVerifier, NoteVerifier};

/// `signet log monitor` flags.
#[derive(Args, Debug)]
pub struct MonitorArgs {
    /// State file: the last verified checkpoint and the tree's frontier (created on the first
    /// round, which reads the log from its first entry).
    #[arg(long)]
    state: PathBuf,
    /// Watch a certificate identity (SAN email, URI or otherName value, exact). Repeatable.
    #[arg(long)]
    identity: Vec<String>,
    /// Watch an OIDC issuer (Fulcio issuer extension, exact). Repeatable.
    #[arg(long)]
    issuer: Vec<String>,
    /// Watch a key or certificate: SHA-256 of the public key's SPKI DER or of the certificate
    /// DER (hex). Repeatable.
    #[arg(long)]
    fingerprint: Vec<String>,
    /// Watch an artifact digest (`sha256:<hex>`, bare hex = SHA-256). Repeatable.
    #[arg(long)]
    digest: Vec<String>,
    /// A rekor-monitor style YAML config: `monitoredValues:` with `certIdentities` (each a
    /// `certSubject` regular expression and optional `issuers` expressions), `fingerprints`
    /// and (signet's) `digests`; added to the flags.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Trusted root whose transparency-log keys verify the checkpoints (instead of
    /// `--log-public-key`); with `--tiles URL`, the key of its log whose baseUrl is URL.
    #[arg(long)]
    trusted_root: Option<PathBuf>,
    /// A second vantage point serving the same log (with `--tiles`, a tiled one, e.g. a
    /// mirror): each round its checkpoint must be consistent with the first's (split-view
    /// detection).
    #[arg(long)]
    compare_url: Option<String>,
    /// One round, then exit.
    #[arg(long, conflicts_with = "interval")]
    once: bool,
    /// Seconds between rounds when following.
    #[arg(long, default_value_t = 300)]
    interval: u64,
}

/// The checkpoint keys: `--log-public-key`, else the trusted root's transparency logs.
fn log_keys(pinned: &[PublicKey], args: &MonitorArgs) -> Result<Vec<PublicKey>> {
    if !pinned.is_empty() {
        return Ok(pinned.to_vec());
    }
    let Some(path) = &args.trusted_root else {
        bail!("give the log's key: --log-public-key FILE (once per shard) or --trusted-root FILE");
    };
    let bytes = signet_crypto::read_capped(path, crate::input::TRUSTED_ROOT)?;
    let root = signet_trust::TrustedRoot::from_json(&bytes)
        .with_context(|| format!("invalid trusted root {}", path.display()))?;
    let keys: Vec<PublicKey> = root
        .tlogs
        .iter()
        .filter_map(|t| t.key.usable().cloned())
        .collect();
    if keys.is_empty() {
        bail!(
            "the trusted root {} lists no usable transparency-log key",
            path.display()
        );
    }
    Ok(keys)
}

/// rekor-monitor's config file, the parts signet matches (anything else is refused).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigFile {
    monitored_values: MonitoredValues,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MonitoredValues {
    #[serde(default)]
    cert_identities: Vec<ConfigIdentity>,
    #[serde(default)]
    fingerprints: Vec<String>,
    #[serde(default)]
    digests: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigIdentity {
    cert_subject: String,
    #[serde(default)]
    issuers: Vec<String>,
}

fn read_config(path: &Path, watch: &mut WatchList) -> Result<()> {
    let text = signet_crypto::read_capped_string(path, crate::input::MONITOR_CONFIG)?;
    let cfg: ConfigFile = serde_norway::from_str(&text)
        .with_context(|| format!("invalid monitor config {}", path.display()))?;
    let re = |s: &str| {
        regex::Regex::new(s).with_context(|| {
            format!(
                "invalid regular expression {s:?} in monitor config {}",
                path.display()
            )
        })
    };
    for c in cfg.monitored_values.cert_identities {
        watch.cert_identities.push(monitor::CertIdentity {
            subject: re(&c.cert_subject)?,
            issuers: c.issuers.iter().map(|i| re(i)).collect::<Result<_>>()?,
        });
    }
    watch.fingerprints.extend(
        cfg.monitored_values
            .fingerprints
            .iter()
            .map(|f| WatchList::normalize_fingerprint(f)),
    );
    watch.digests.extend(
        cfg.monitored_values
            .digests
            .iter()
            .map(|d| WatchList::normalize_digest(d)),
    );
    Ok(())
}

fn watch_list(args: &MonitorArgs) -> Result<WatchList> {
    let mut watch = WatchList {
        cert_identities: Vec::new(),
        identities: args.identity.clone(),
        issuers: args.issuer.clone(),
        fingerprints: args
            .fingerprint
            .iter()
            .map(|f| WatchList::normalize_fingerprint(f))
            .collect(),
        digests: args
            .digest
            .iter()
            .map(|d| WatchList::normalize_digest(d))
            .collect(),
    };
    if let Some(path) = &args.config {
        read_config(path, &mut watch)?;
    }
    Ok(watch)
}

fn load_state(path: &Path) -> Result<Option<MonitorState>> {
    if !path.exists() {
        return Ok(None);
    }
    let bytes = signet_crypto::read_capped(path, crate::input::MONITOR_STATE)?;
    Ok(Some(MonitorState::from_json(&bytes).with_context(
        || format!("cannot use the monitor state {}", path.display()),
    )?))
}

fn line(v: serde_json::Value) {
    println!("{v}");
}

/// `signet log monitor` over the Rekor v1 API at `client`.
pub async fn run(client: &RekorClient, pinned: &[PublicKey], args: &MonitorArgs) -> Result<()> {
    let keys = log_keys(pinned, args)?;
    let verifiers: Vec<EcdsaNoteVerifier> = keys
        .iter()
        .map(|k| EcdsaNoteVerifier::any_name(k.clone()))
        .collect();
    let refs: Vec<&dyn NoteVerifier> = verifiers.iter().map(|v| v as &dyn NoteVerifier).collect();
    let compare = match args.compare_url.as_deref() {
        Some(u) => Some(RekorClient::with_options(u, &crate::net::options()?)?),
        None => None,
    };
    follow(client, compare.as_ref(), &refs, args).await
}

/// `signet log monitor --tiles URL`: the tiled log at `client`, its checkpoints verified with
/// `verifiers` (the log's keys); `--compare-url` is another tiled vantage point (a mirror).
pub async fn run_tiles(
    client: &TileClient,
    verifiers: &[&dyn NoteVerifier],
    args: &MonitorArgs,
) -> Result<()> {
    let compare = match args.compare_url.as_deref() {
        Some(u) => Some(TileClient::new(u, &crate::net::options()?)?),
        None => None,
    };
    follow(client, compare.as_ref(), verifiers, args).await
}

/// The `--trusted-root` given to `log monitor`.
pub fn trusted_root(args: &MonitorArgs) -> Option<&Path> {
    args.trusted_root.as_deref()
}

/// Runs rounds (one with `--once`) over `client`, printing JSON lines.
async fn follow<S: LogSource>(
    client: &S,
    compare: Option<&S>,
    verifiers: &[&dyn NoteVerifier],
    args: &MonitorArgs,
) -> Result<()> {
    let watch = watch_list(args)?;
    loop {
        match one_round(client, compare, verifiers, &watch, &args.state).await {
            Ok(()) => {}
            Err(e) => {
                let alarm = e
                    .downcast_ref::<MonitorError>()
                    .is_some_and(MonitorError::is_alarm);
                line(serde_json::json!({
                    "event": if alarm { "alert" } else { "error" },
                    "url": client.name(),
                    "reason": crate::one_line(&e),
                }));
                // Log misbehaviour always ends the monitor; a failure to read ends one round.
                if alarm || args.once {
                    return Err(e);
                }
            }
        }
        if args.once {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(args.interval)).await;
    }
}

async fn one_round<S: LogSource>(
    client: &S,
    compare: Option<&S>,
    verifiers: &[&dyn NoteVerifier],
    watch: &WatchList,
    state_path: &Path,
) -> Result<()> {
    let prev = load_state(state_path)?;
    let r = monitor::round(client, verifiers, watch, prev.as_ref()).await?;
    for m in &r.matches {
        let mut v = serde_json::to_value(m)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("event".into(), "match".into());
        }
        line(v);
    }
    if let Some(other) = compare {
        let c = monitor::compare(client, other, verifiers).await?;
        line(
            serde_json::json!({"event": "compared", "url": client.name(),
            "compareUrl": other.name(), "treeID": c.tree_id, "treeSize": c.size_a,
            "compareTreeSize": c.size_b}),
        );
    }
    signet_crypto::write_file_atomically(state_path, r.state.to_json()?.as_bytes(), 0o644)
        .with_context(|| format!("cannot write the monitor state {}", state_path.display()))?;
    for t in &r.trees {
        let mut v = serde_json::to_value(t)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("event".into(), "checkpoint".into());
            o.insert("url".into(), client.name().into());
            o.insert("roundMatches".into(), r.matches.len().into());
        }
        line(v);
    }
    Ok(())
}
