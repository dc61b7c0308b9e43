//! signet as a TUF client of a signet instance (or any Sigstore-style TUF repository): trust
//! bootstrapped once from a root obtained out of band (`signet initialize --mirror URL --root
//! root.json`, or `signet trust URL --root root.json`), renewed on every use through the TUF
//! client workflow ([`signet_tuf::Trusted`]: root chain, rollback and freeze protection,
//! thresholds, size caps, target hashes).
//!
//! * `$XDG_CONFIG_HOME/signet/tuf.json` — `{"mirror": URL}`, the repository in use;
//! * `$XDG_CACHE_HOME/signet/tuf/<mirror as a file name>/` — `root.json` (the newest trusted
//!   root), `timestamp.json`, `snapshot.json`, `targets.json` and `targets/<name>`.
//!
//! When the mirror cannot be reached (or answers something that does not verify), the cached
//! trust is used if its targets still match the cached, signed targets metadata, with a
//! warning that says how old it is; without a cache it is an error.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use signet_release::write_atomic;
use signet_tuf::{Trusted, TufError, limits};
use time::OffsetDateTime;

use crate::tuf_serve::{SIGNING_CONFIG_TARGET, TRUSTED_ROOT_TARGET};

/// Sigstore's public-good TUF repository.
pub const PUBLIC_GOOD_MIRROR: &str = "https://tuf-repo-cdn.sigstore.dev";
/// Its root version 15 (`assets/README.md`): where the chain walk starts.
const PUBLIC_GOOD_ROOT: &[u8] = include_bytes!("../assets/sigstore_tuf_root.json");
/// After a failed public-good refresh, the network is not tried again for this long.
const PUBLIC_GOOD_RETRY: std::time::Duration = std::time::Duration::from_secs(3600);
/// How long a public-good refresh may take (verification waits for it).
const PUBLIC_GOOD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Set by `--offline`: trust comes from the cache (or the compiled-in public-good root), never
/// from the network.
static OFFLINE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// No TUF refresh in this process (`--offline`).
pub fn set_offline() {
    OFFLINE.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Why the network must not be used, if it must not: `--offline` or `SIGNET_OFFLINE`.
fn offline_reason() -> Option<&'static str> {
    if OFFLINE.load(std::sync::atomic::Ordering::Relaxed) {
        Some("--offline")
    } else if std::env::var_os("SIGNET_OFFLINE").is_some_and(|v| !v.is_empty() && v != "0") {
        Some("SIGNET_OFFLINE is set")
    } else {
        None
    }
}

/// The largest target file fetched (a trusted root or signing config).
const MAX_TARGET_BYTES: u64 = 4 << 20;

/// Where the mirror in use is recorded.
pub fn config_path() -> Option<PathBuf> {
    crate::trust_cfg::saved_path().map(|p| p.with_file_name("tuf.json"))
}

/// The cache directory of `mirror`.
pub fn cache_dir(mirror: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let name: String = mirror
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(base.join("signet").join("tuf").join(name))
}

/// The mirror `signet initialize` recorded, if any.
pub fn configured_mirror() -> Result<Option<String>> {
    let Some(p) = config_path() else {
        return Ok(None);
    };
    let bytes = match std::fs::read(&p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("{}", p.display())),
    };
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).with_context(|| format!("{} is not JSON", p.display()))?;
    let m = v
        .get("mirror")
        .and_then(|m| m.as_str())
        .with_context(|| format!("{} names no mirror", p.display()))?;
    Ok(Some(m.to_string()))
}

/// `signet initialize`: trust `mirror` from `root` (checked against `checksum`, `sha256:<hex>`,
/// when given), wiping any earlier cache of it, and refresh once.
pub fn initialize(mirror: &str, root: &Path, checksum: Option<&str>) -> Result<()> {
    let mirror = mirror.trim_end_matches('/');
    if !(mirror.starts_with("https://") || mirror.starts_with("http://")) {
        bail!("--mirror {mirror:?} is not an http(s) URL");
    }
    let bytes = signet_crypto::read_capped(root, crate::input::TUF_ROOT)?;
    if let Some(sum) = checksum {
        let want = sum
            .strip_prefix("sha256:")
            .unwrap_or(sum)
            .to_ascii_lowercase();
        let got = signet_crypto::sha256(&bytes).to_hex();
        if want != got {
            bail!(
                "{} has SHA-256 {got}, not {want} (--root-checksum)",
                root.display()
            );
        }
    }
    // The root must at least be signed by its own threshold.
    Trusted::new(&bytes, OffsetDateTime::now_utc())
        .with_context(|| format!("{} is not a usable TUF root", root.display()))?;
    let cache = cache_dir(mirror).context("no HOME or XDG_CACHE_HOME for the TUF cache")?;
    if cache.exists() {
        std::fs::remove_dir_all(&cache).with_context(|| format!("{}", cache.display()))?;
    }
    std::fs::create_dir_all(cache.join("targets"))?;
    write_atomic(&cache.join("root.json"), &bytes)?;
    let (trusted_root, _) = refresh_blocking(mirror, &cache)?;
    let cfg = config_path().context("no HOME or XDG_CONFIG_HOME for the TUF configuration")?;
    if let Some(d) = cfg.parent() {
        std::fs::create_dir_all(d)?;
    }
    write_atomic(
        &cfg,
        serde_json::to_string_pretty(&serde_json::json!({ "mirror": mirror }))?.as_bytes(),
    )?;
    // One source of trust at a time: a trust config saved by `signet trust URL` no longer applies.
    if let Some(saved) = crate::trust_cfg::saved_path()
        && saved.exists()
    {
        std::fs::remove_file(&saved)?;
    }
    let root = signet_trust::TrustedRoot::from_json(&trusted_root)?;
    eprintln!(
        "Trusting the TUF repository {mirror}: {} CA(s), {} transparency log(s), {} CT log(s); cache {}",
        root.certificate_authorities.len(),
        root.tlogs.len(),
        root.ctlogs.len(),
        cache.display()
    );
    Ok(())
}

/// Forgets the TUF mirror (`signet trust URL` without a root chose another source).
pub fn forget() -> Result<()> {
    if let Some(p) = config_path()
        && p.exists()
    {
        std::fs::remove_file(&p)?;
    }
    Ok(())
}

fn refresh_blocking(mirror: &str, cache: &Path) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    refresh_with(mirror, cache, crate::net::options()?)
}

fn refresh_with(
    mirror: &str,
    cache: &Path,
    opts: signet_client::http::HttpOptions,
) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(refresh(mirror, cache, OffsetDateTime::now_utc(), opts))
}

/// The public-good trusted root, as cosign gets it: refreshed through Sigstore's TUF repository
/// (`$SIGNET_PUBLIC_GOOD_MIRROR` overrides the URL) from the embedded root, cached; without
/// network (`SIGNET_OFFLINE=1`, a failed refresh, or one that failed less than an hour ago) the
/// cache, then `None` (the caller uses the trusted root compiled in). Says which on stderr.
pub fn public_good_trusted_root() -> Option<Vec<u8>> {
    let mirror = std::env::var("SIGNET_PUBLIC_GOOD_MIRROR")
        .unwrap_or_else(|_| PUBLIC_GOOD_MIRROR.to_string());
    let mirror = mirror.trim_end_matches('/');
    let cache = cache_dir(mirror)?;
    let failed = cache.join("last-failure");
    let offline = offline_reason();
    let backing_off = std::fs::metadata(&failed)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age < PUBLIC_GOOD_RETRY);
    let why = if let Some(why) = offline {
        why.to_string()
    } else if backing_off {
        "a refresh failed less than an hour ago".to_string()
    } else {
        let attempt = || -> Result<Vec<u8>> {
            std::fs::create_dir_all(cache.join("targets"))?;
            if !cache.join("root.json").exists() {
                write_atomic(&cache.join("root.json"), PUBLIC_GOOD_ROOT)?;
            }
            let base = crate::net::options()?;
            let opts = signet_client::http::HttpOptions {
                connect_timeout: base.connect_timeout.min(PUBLIC_GOOD_TIMEOUT),
                timeout: base.timeout.min(PUBLIC_GOOD_TIMEOUT),
                ..base
            };
            Ok(refresh_with(mirror, &cache, opts)?.0)
        };
        match attempt() {
            Ok(root) => {
                let _ = std::fs::remove_file(&failed);
                return Some(root);
            }
            Err(e) => {
                let _ = write_atomic(&failed, format!("{e:#}\n").as_bytes());
                format!("{e:#}")
            }
        }
    };
    match cached(&cache) {
        Ok((root, _)) => {
            eprintln!(
                "WARNING: public-good trust not refreshed from {mirror} ({why}); using the cached trusted root in {}",
                cache.display()
            );
            Some(root)
        }
        Err(_) => {
            eprintln!(
                "WARNING: public-good trust not refreshed from {mirror} ({why}); using the trusted root compiled into signet"
            );
            None
        }
    }
}

/// The trust of the configured mirror as a `ClientTrust` (source: the cache directory).
pub fn client_trust(mirror: &str) -> Result<crate::trust_cfg::ClientTrust> {
    let (root, cfg, cache) = current(mirror)?;
    Ok(crate::trust_cfg::ClientTrust {
        root: signet_trust::TrustedRoot::from_json(&root)
            .with_context(|| format!("{mirror}: invalid trusted_root.json"))?,
        // Read as leniently as a trust config's: a list the CLI cannot use is as good as none.
        signing: cfg.and_then(|c| serde_json::from_slice(&c).ok()),
        source: cache.join("targets").join(TRUSTED_ROOT_TARGET),
    })
}

/// The trusted root and signing config of the configured mirror: refreshed through TUF, else
/// from the cache with a warning.
pub fn current(mirror: &str) -> Result<(Vec<u8>, Option<Vec<u8>>, PathBuf)> {
    let cache = cache_dir(mirror).context("no HOME or XDG_CACHE_HOME for the TUF cache")?;
    if let Some(why) = offline_reason() {
        let (root, cfg) =
            cached(&cache).with_context(|| format!("{why}: no usable cached trust of {mirror}"))?;
        eprintln!(
            "Using the cached trust of {mirror} ({why}, {})",
            cache_age(&cache)
        );
        return Ok((root, cfg, cache));
    }
    match refresh_blocking(mirror, &cache) {
        Ok((root, cfg)) => Ok((root, cfg, cache)),
        Err(e) => {
            let (root, cfg) = cached(&cache).with_context(|| {
                format!(
                    "refreshing trust from {mirror} failed ({e:#}) and there is no usable cache"
                )
            })?;
            let age = cache_age(&cache);
            eprintln!(
                "WARNING: could not refresh trust from {mirror} ({e:#}); using the cached trust ({age}) in {}",
                cache.display()
            );
            Ok((root, cfg, cache))
        }
    }
}

/// How old the cached trust is (when its timestamp was last renewed).
fn cache_age(cache: &Path) -> String {
    std::fs::metadata(cache.join("timestamp.json"))
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map_or_else(
            || "of unknown age".to_string(),
            |d| format!("{} hour(s) old", d.as_secs() / 3600),
        )
}

/// The cached targets, checked against the cached signed targets metadata (its signatures were
/// checked when it was cached; the hashes are checked again now).
fn cached(cache: &Path) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let targets = std::fs::read(cache.join("targets.json"))?;
    let targets = signet_tuf::Signed::<signet_tuf::Targets>::from_bytes(&targets)?;
    let read = |name: &str| -> Result<Option<Vec<u8>>> {
        let Some(info) = targets.signed.targets.get(name) else {
            return Ok(None);
        };
        let bytes = std::fs::read(cache.join("targets").join(name))?;
        signet_tuf::verify_target(name, info, &bytes)?;
        Ok(Some(bytes))
    };
    let root =
        read(TRUSTED_ROOT_TARGET)?.context("the cached targets list no trusted_root.json")?;
    Ok((root, read(SIGNING_CONFIG_TARGET)?))
}

/// GET `url` (at most `limit` bytes); `Ok(None)` on 404 or 403 (an object store's "no such
/// file").
async fn get(
    http: &reqwest::Client,
    url: &str,
    limit: u64,
    opts: &signet_client::http::HttpOptions,
) -> Result<Option<Vec<u8>>> {
    let resp = signet_client::http::send(http.get(url), url, opts).await?;
    let status = resp.status().as_u16();
    if status == 404 || status == 403 {
        return Ok(None);
    }
    if !resp.status().is_success() {
        bail!("{url} answered {status}");
    }
    Ok(Some(
        signet_client::http::read_limited(resp, url, limit, opts).await?,
    ))
}

/// GET `url`, which must exist.
async fn need(
    http: &reqwest::Client,
    url: &str,
    limit: u64,
    opts: &signet_client::http::HttpOptions,
) -> Result<Vec<u8>> {
    get(http, url, limit, opts)
        .await?
        .with_context(|| format!("{url} not found"))
}

/// One run of the TUF client workflow against `mirror` with the state in `cache`.
async fn refresh(
    mirror: &str,
    cache: &Path,
    now: OffsetDateTime,
    opts: signet_client::http::HttpOptions,
) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let http = signet_client::http::client(&opts)?;
    let root = std::fs::read(cache.join("root.json")).with_context(|| {
        format!(
            "no trusted root in {} (run `signet initialize`)",
            cache.display()
        )
    })?;
    let mut t = Trusted::new(&root, now)?;
    // What an earlier refresh trusted: the reference for rollback checks.
    if let Ok(prev) = std::fs::read(cache.join("timestamp.json")) {
        let _ = t.load_previous_timestamp(&prev);
    }
    if let Ok(prev) = std::fs::read(cache.join("snapshot.json")) {
        let _ = t.load_previous_snapshot(&prev);
    }
    for _ in 0..limits::MAX_ROOT_ROTATIONS {
        let next = t.root().signed.version.saturating_add(1);
        let url = format!("{mirror}/{next}.root.json");
        let Some(bytes) = get(&http, &url, limits::MAX_ROOT_BYTES, &opts).await? else {
            break;
        };
        t.update_root(&bytes).with_context(|| url.clone())?;
        write_atomic(&cache.join("root.json"), &bytes)?;
    }
    t.finish_roots()?;
    let url = format!("{mirror}/timestamp.json");
    let ts = need(&http, &url, limits::MAX_TIMESTAMP_BYTES, &opts).await?;
    match t.update_timestamp(&ts) {
        Ok(()) => write_atomic(&cache.join("timestamp.json"), &ts)?,
        // Nothing new: the trusted timestamp stays.
        Err(TufError::EqualTimestamp(_)) => {}
        Err(e) => return Err(e).with_context(|| url),
    }
    let v = t
        .timestamp()
        .context("no timestamp")?
        .signed
        .snapshot_meta()?
        .version;
    let url = format!("{mirror}/{v}.snapshot.json");
    let snap = need(&http, &url, limits::MAX_SNAPSHOT_BYTES, &opts).await?;
    t.update_snapshot(&snap).with_context(|| url.clone())?;
    write_atomic(&cache.join("snapshot.json"), &snap)?;
    let v = t
        .snapshot()
        .context("no snapshot")?
        .signed
        .meta
        .get("targets.json")
        .context("the snapshot lists no targets.json")?
        .version;
    let url = format!("{mirror}/{v}.targets.json");
    let targets = need(&http, &url, limits::MAX_TARGETS_BYTES, &opts).await?;
    t.update_targets(&targets).with_context(|| url.clone())?;
    write_atomic(&cache.join("targets.json"), &targets)?;
    let consistent = t.root().signed.consistent_snapshot;
    let mut out = Vec::new();
    for name in [TRUSTED_ROOT_TARGET, SIGNING_CONFIG_TARGET] {
        let info = match t.target(name) {
            Ok(i) => i,
            Err(_) if name == SIGNING_CONFIG_TARGET => {
                out.push(None);
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("{mirror}: {name}")),
        };
        let local = cache.join("targets").join(name);
        if let Ok(b) = std::fs::read(&local)
            && signet_tuf::verify_target(name, &info, &b).is_ok()
        {
            out.push(Some(b));
            continue;
        }
        let url = match (consistent, info.hashes.get("sha256")) {
            (true, Some(h)) => format!("{mirror}/targets/{h}.{name}"),
            _ => format!("{mirror}/targets/{name}"),
        };
        let bytes = need(&http, &url, MAX_TARGET_BYTES.min(info.length), &opts).await?;
        signet_tuf::verify_target(name, &info, &bytes).with_context(|| url.clone())?;
        std::fs::create_dir_all(cache.join("targets"))?;
        write_atomic(&local, &bytes)?;
        out.push(Some(bytes));
    }
    let cfg = out.pop().flatten();
    let root = out
        .pop()
        .flatten()
        .context("the repository has no trusted_root.json")?;
    Ok((root, cfg))
}
