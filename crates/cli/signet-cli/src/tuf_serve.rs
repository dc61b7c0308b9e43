//! The instance's TUF repository (`DATA/tuf/`), served at `<url>/tuf/`: its targets are the
//! instance's `trusted_root.json` and `signing_config.v0.2.json`, laid out with consistent
//! snapshots as Sigstore's repository is (`N.root.json`, `timestamp.json`, `V.snapshot.json`,
//! `V.targets.json`, `targets/<sha256>.<name>`).
//!
//! * `DATA/tuf/keys/` — `root.key`, `targets.key` (absent after a key ceremony keeps them off
//!   line) and `online.key` (snapshot and timestamp), each 0600;
//! * `DATA/tuf/repo/` — what is served;
//! * `DATA/tuf/root.json` — the root to hand out to clients (the first one).
//!
//! A first start creates a development root (one key per role, thresholds 1) and says so. On
//! every start and then hourly, [`signet_tuf::publish::refresh`] signs what must change (new
//! trust files, renewals before expiry); the timestamp is renewed about daily.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use signet_crypto::SigningKey;
use signet_release::write_atomic;
use signet_tuf::publish::{Keys, Periods, Published, refresh};
use signet_tuf::repo::{self, RoleKeys, RootKeys};
use time::OffsetDateTime;

/// The target names clients ask for.
pub const TRUSTED_ROOT_TARGET: &str = "trusted_root.json";
/// The signing config target (Sigstore's name for the v0.2 format).
pub const SIGNING_CONFIG_TARGET: &str = "signing_config.v0.2.json";

/// The repository directory of a data directory.
pub fn repo_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tuf").join("repo")
}

fn keys_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tuf").join("keys")
}

/// An instance TUF key (`DATA/tuf/keys/*.key`, checked like every instance key: not readable by
/// group or others); `None` when the file does not exist.
pub(crate) fn read_key(path: &Path) -> Result<Option<SigningKey>> {
    if !path.exists() {
        return Ok(None);
    }
    let pem = signet_ca::keys::read_private_pem(path)?;
    Ok(Some(
        SigningKey::from_pkcs8_pem(&pem).with_context(|| format!("{}", path.display()))?,
    ))
}

/// A new P-256 key written to `path` (0600; the file must not exist yet).
pub(crate) fn new_key(path: &Path) -> Result<SigningKey> {
    let k = SigningKey::generate_p256()?;
    crate::keyfile::write_new(path, k.to_pkcs8_pem()?.as_bytes(), true)?;
    Ok(k)
}

/// Creates the development root (keys and `1.root.json`) when the repository has no root yet.
fn ensure_root(
    data_dir: &Path,
    now: OffsetDateTime,
    hsm_online: Option<&SigningKey>,
) -> Result<()> {
    let repo = repo_dir(data_dir);
    if repo.join("1.root.json").exists() {
        return Ok(());
    }
    let keys = keys_dir(data_dir);
    std::fs::create_dir_all(&keys)?;
    std::fs::create_dir_all(&repo)?;
    let mut made = Vec::new();
    for name in ["root.key", "targets.key"] {
        made.push(new_key(&keys.join(name))?);
    }
    let online_file;
    let online_key = match hsm_online {
        Some(k) => k,
        None => {
            online_file = new_key(&keys.join("online.key"))?;
            &online_file
        }
    };
    let [root_key, targets_key] = made.as_slice() else {
        bail!("two keys were made");
    };
    let root = repo::root(
        &RootKeys {
            root: RoleKeys::of(&[root_key], 1),
            targets: RoleKeys::of(&[targets_key], 1),
            snapshot: RoleKeys::of(&[online_key], 1),
            timestamp: RoleKeys::of(&[online_key], 1),
        },
        1,
        now.checked_add(Periods::default().root)
            .context("root expiry out of range")?,
    )?;
    let bytes = repo::sign(&root, &[root_key])?;
    write_atomic(&repo.join("1.root.json"), &bytes)?;
    write_atomic(&data_dir.join("tuf").join("root.json"), &bytes)?;
    tracing::warn!(
        "created a DEVELOPMENT TUF root in {} (one key per role, all on this machine): hand out {} to clients; for production, hold the root and targets keys off line",
        keys.display(),
        data_dir.join("tuf").join("root.json").display()
    );
    Ok(())
}

/// The newest `N.<role>.json` in `repo`.
pub(crate) fn latest(repo: &Path, role: &str) -> Result<Option<Vec<u8>>> {
    let suffix = format!(".{role}.json");
    let mut best: Option<(u64, PathBuf)> = None;
    for e in std::fs::read_dir(repo).with_context(|| format!("{}", repo.display()))? {
        let e = e?;
        let name = e.file_name();
        let Some(v) = name
            .to_str()
            .and_then(|n| n.strip_suffix(&suffix))
            .and_then(|v| v.parse::<u64>().ok())
        else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| v > *b) {
            best = Some((v, e.path()));
        }
    }
    best.map(|(_, p)| std::fs::read(&p).with_context(|| format!("{}", p.display())))
        .transpose()
}

/// Brings `DATA/tuf/repo` up to date with the instance's trust files at `now`: creates the
/// development root on first use and signs what changed or is about to expire. The online
/// (snapshot and timestamp) key is `hsm_online` when given (an HSM key, which a new root names
/// and an existing root must name), else `DATA/tuf/keys/online.key`. Returns what
/// needs an operator (the targets key is off line, metadata expires soon).
pub fn publish(
    data_dir: &Path,
    trusted_root: &[u8],
    signing_config: &[u8],
    now: OffsetDateTime,
    hsm_online: Option<&SigningKey>,
) -> Result<Vec<String>> {
    ensure_root(data_dir, now, hsm_online)?;
    let repo = repo_dir(data_dir);
    let keys = keys_dir(data_dir);
    let online = match hsm_online {
        Some(k) => k.clone(),
        None => read_key(&keys.join("online.key"))?.with_context(|| {
            format!(
                "no online TUF key {} (the snapshot and timestamp key; held in an HSM? give \
                 --tuf-online-key)",
                keys.join("online.key").display()
            )
        })?,
    };
    let targets_key = read_key(&keys.join("targets.key"))?;
    let root_key = read_key(&keys.join("root.key"))?;
    let root = latest(&repo, "root")?.context("the TUF repository has no root")?;
    let targets = latest(&repo, "targets")?;
    let snapshot = latest(&repo, "snapshot")?;
    let timestamp = match std::fs::read(repo.join("timestamp.json")) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let out = refresh(
        &Published {
            root: &root,
            targets: targets.as_deref(),
            snapshot: snapshot.as_deref(),
            timestamp: timestamp.as_deref(),
        },
        &[
            (TRUSTED_ROOT_TARGET, trusted_root),
            (SIGNING_CONFIG_TARGET, signing_config),
        ],
        &Keys {
            online: &online,
            targets: targets_key.as_ref(),
            root: root_key.as_ref(),
        },
        &Periods::default(),
        now,
    )?;
    // In order: target files, metadata, the timestamp last (clients start from it).
    for (path, bytes) in &out.files {
        let p = repo.join(path);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
        write_atomic(&p, bytes)?;
    }
    if !out.files.is_empty() {
        tracing::info!(
            "TUF: published {}",
            out.files
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(out.warnings)
}

/// `GET /tuf/<path>`: a file of the repository. `timestamp.json` is never cached; every other
/// file is written once under a versioned or hashed name and may be cached.
pub async fn serve(repo: std::sync::Arc<PathBuf>, path: String) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let Ok(rel) = signet_release::RelPath::new(path.as_str()) else {
        return signet_server::error_response(StatusCode::BAD_REQUEST, "not a repository path");
    };
    let file = repo.join(rel.as_str());
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let cache = if rel.as_str() == "timestamp.json" {
                "no-store"
            } else {
                "public, max-age=300"
            };
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CACHE_CONTROL, cache),
                ],
                bytes,
            )
                .into_response()
        }
        Err(_) => signet_server::error_response(StatusCode::NOT_FOUND, format!("no {rel}")),
    }
}
