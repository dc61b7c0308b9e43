//! `signet admin rotate log-key | ca | ct-key | tsa`: replaces one of the instance's keys
//! without breaking what it signed before.
//!
//! * `log-key` — Rekor's way: the transparency log's tree is frozen as an inactive shard
//!   (still served read-only, global log indexes continue) and a new tree with a new key and
//!   tree ID takes the writes;
//! * `ct-key` — a new CT log (new key, new log ID); the retired one stays on disk;
//! * `ca` — a new intermediate (and with `--new-root` a new root) issues certificates;
//! * `tsa` — the timestamp authority gets a new key and certificate from the CA root.
//!
//! Each writes the retired key into `DATA/rotations.json` with the moment its validity ends,
//! rewrites the trust files (the retired key stays in `trusted_root.json` with `validFor.end`,
//! the new one starts), and publishes them through the instance's TUF repository: clients that
//! refresh pick the change up, and everything signed before still verifies. Like Rekor's
//! sharding it needs the server stopped (a moment of downtime): the data directory is locked.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};
use signet_release::write_atomic;

use crate::instance;

/// `signet admin` flags.
#[derive(Args, Debug)]
pub struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Replace a key of the instance (stop `signet server` first): the old key's validity ends
    /// now in the trusted root, which is published through TUF, and signing switches to the
    /// new key. Everything signed before still verifies.
    Rotate(RotateArgs),
    /// Move the instance's logs between the embedded store and PostgreSQL (stop `signet
    /// server` first): `--from DATA_DIR --to postgres://…`, or `--from DATA_DIR --database
    /// postgres://… --to NEW_DIR`. Every copied tree is verified against its last signed
    /// checkpoint; a failure leaves the target as it was.
    Migrate(crate::migrate_cmd::MigrateArgs),
    /// Keys in a PKCS#11 token (an HSM): create one, show one's public key.
    Hsm(crate::hsm_cmd::HsmArgs),
    /// Back up a data directory into one archive (tar, `.gz` for gzip), online and consistent
    /// while a server appends: every log store (a `VACUUM INTO` snapshot), keys, checkpoints,
    /// CA, TSA, TUF and trust files; mode 0600, written atomically.
    Backup(crate::backup_cmd::BackupArgs),
    /// Restore an archive of `signet admin backup` into a new data directory, checking every
    /// member, then run fsck on it before it is put in place.
    Restore(crate::backup_cmd::RestoreArgs),
    /// Check every log of a (stopped) instance: rebuild each Merkle tree from its stored
    /// leaves, check stored hashes, checkpoints, canonical bodies, leaf hashes and SETs; name
    /// the first divergence and exit non-zero.
    Fsck(crate::backup_cmd::FsckArgs),
}

/// `signet admin rotate` flags.
#[derive(Args, Debug)]
pub struct RotateArgs {
    /// What to rotate.
    #[arg(value_enum)]
    what: What,
    /// Data directory of the instance.
    #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
    data_dir: PathBuf,
    /// With `ca`: a new root too (new self-signed root and key), not only a new intermediate.
    #[arg(long)]
    new_root: bool,
    #[command(flatten)]
    database: instance::DatabaseArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum What {
    /// The transparency log's signing key: a new tree (Rekor shard) with a new key.
    LogKey,
    /// The certificate authority: a new intermediate (`--new-root`: and root).
    Ca,
    /// The CT log's key: a new CT log.
    CtKey,
    /// The timestamp authority's key.
    Tsa,
}

/// The file that records rotations.
pub const ROTATIONS: &str = "rotations.json";

/// What rotations retired, oldest first, and where the active log and CT log live
/// (`DATA/rotations.json`; absent until the first rotation: `log/` and `ct/` are active).
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rotations {
    /// Transparency log trees (shards).
    #[serde(default)]
    pub log: Generations,
    /// CT logs.
    #[serde(default)]
    pub ct: Generations,
    /// CA chains (only `retired`: the active CA is always `ca/`).
    #[serde(default)]
    pub ca: Generations,
    /// Timestamp authority chains (only `retired`: the active TSA is always `tsa/`).
    #[serde(default, skip_serializing_if = "Generations::is_empty")]
    pub tsa: Generations,
}

/// The generations of one service.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Generations {
    /// Directory of the active one (relative to the data directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<String>,
    /// The retired ones, oldest first.
    #[serde(default)]
    pub retired: Vec<Retired>,
}

/// One retired key (and what it signed).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Retired {
    /// Its directory, relative to the data directory.
    pub dir: String,
    /// When its validity ended (Unix seconds).
    pub until: i64,
    /// A retired log tree's final size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

impl Generations {
    /// Whether nothing was rotated (nothing to record).
    pub fn is_empty(&self) -> bool {
        self.active.is_none() && self.retired.is_empty()
    }

    /// The active directory, `default` before any rotation.
    pub fn active_dir(&self, data_dir: &Path, default: &str) -> Result<PathBuf> {
        dir_in(data_dir, self.active.as_deref().unwrap_or(default))
    }

    /// A directory name for the next generation: `<base>-<n>`.
    fn next(&self, base: &str) -> String {
        format!("{base}-{}", self.retired.len().saturating_add(2))
    }
}

/// `data_dir/rel`, where `rel` must stay inside the data directory.
pub fn dir_in(data_dir: &Path, rel: &str) -> Result<PathBuf> {
    let r = signet_release::RelPath::new(rel)
        .map_err(|e| anyhow::anyhow!("{ROTATIONS}: directory {rel:?}: {e}"))?;
    Ok(data_dir.join(r.as_str()))
}

impl Rotations {
    /// Reads `DATA/rotations.json` (none: no rotation yet).
    pub fn read(data_dir: &Path) -> Result<Self> {
        let p = data_dir.join(ROTATIONS);
        match std::fs::read(&p) {
            Ok(b) => serde_json::from_slice(&b).with_context(|| format!("{}", p.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(anyhow::Error::new(e).context(format!("{}", p.display()))),
        }
    }

    fn write(&self, data_dir: &Path) -> Result<()> {
        write_atomic(
            &data_dir.join(ROTATIONS),
            serde_json::to_string_pretty(self)?.as_bytes(),
        )?;
        Ok(())
    }
}

/// `signet admin`.
pub fn run(args: AdminArgs) -> Result<()> {
    match args.command {
        AdminCommand::Rotate(a) => rotate(a),
        AdminCommand::Migrate(a) => crate::migrate_cmd::run(a),
        AdminCommand::Hsm(a) => crate::hsm_cmd::run(a),
        AdminCommand::Backup(a) => crate::backup_cmd::backup(a),
        AdminCommand::Restore(a) => crate::backup_cmd::restore(a),
        AdminCommand::Fsck(a) => crate::backup_cmd::fsck(a),
    }
}

fn rotate(a: RotateArgs) -> Result<()> {
    if a.new_root && a.what != What::Ca {
        bail!("--new-root only goes with `signet admin rotate ca`");
    }
    let d = &a.data_dir;
    let (url, signing) = instance::published_trust(d)?;
    let host = crate::server_cmd::checkpoint_host(&url, None)?;
    let _lock = instance::lock(d)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let backend = a.database.backend(d).await?;
        let mut rot = Rotations::read(d)?;
        let now = time::OffsetDateTime::now_utc();
        let until = validity_end(now);
        let inst = instance::open(d, "signet", &host, &backend, &Default::default()).await?;
        let said = match a.what {
            What::LogKey => {
                // The new tree (key, tree ID) is created in the fresh directory when the
                // instance is opened again below.
                let old = rot.log.active_dir(d, instance::LOG_DIR)?;
                let name = rot.log.next(instance::LOG_DIR);
                fresh_dir(d, &name)?;
                let active = inst.log.active();
                let size = active.head_state().0;
                let said = format!(
                    "tree {} ({size} entries, {}) is frozen and still served; global log indexes \
                     continue at {}",
                    active.tree_id(),
                    old.display(),
                    inst.log.size()
                );
                rot.log.retired.push(Retired {
                    dir: rel(d, &old)?,
                    until,
                    size: Some(size),
                });
                rot.log.active = Some(name);
                said
            }
            What::CtKey => {
                let old = rot.ct.active_dir(d, instance::CT_DIR)?;
                let name = rot.ct.next(instance::CT_DIR);
                let new = fresh_dir(d, &name)?;
                let ct = instance::open_ct(&backend, &new, &inst.ca, None).await?;
                let said = format!(
                    "certificates now get SCTs from a new CT log (log ID {}, {}); the CT log in \
                     {} is retired",
                    ct.log_id().to_hex(),
                    new.display(),
                    old.display()
                );
                rot.ct.retired.push(Retired {
                    dir: rel(d, &old)?,
                    until,
                    size: None,
                });
                rot.ct.active = Some(name);
                said
            }
            What::Ca => {
                let retired = format!("ca/retired/{}", rot.ca.retired.len().saturating_add(1));
                let keep = fresh_dir(d, &retired)?;
                let said = instance::rotate_ca(d, &inst.ca, &keep, a.new_root, now)?;
                rot.ca.retired.push(Retired {
                    dir: retired,
                    until,
                    size: None,
                });
                said
            }
            What::Tsa => {
                let retired = format!("tsa/retired/{}", rot.tsa.retired.len().saturating_add(1));
                let keep = fresh_dir(d, &retired)?;
                let said = instance::rotate_tsa(d, &inst, &keep, now)?;
                rot.tsa.retired.push(Retired {
                    dir: retired,
                    until,
                    size: None,
                });
                said
            }
        };
        drop(inst);
        rot.write(d)?;
        // The trust files and their TUF publication, as the server writes them on start.
        let inst = instance::open(d, "signet", &host, &backend, &Default::default()).await?;
        if a.what == What::LogKey {
            let log = inst.log.active();
            eprintln!(
                "Rotated: the transparency log now signs with a new key (log ID {}) in a new tree \
                 {}; {said}.",
                log.public_key().key_id().to_hex(),
                log.tree_id()
            );
        } else {
            eprintln!("Rotated: {said}.");
        }
        let root = instance::trusted_root(&inst, &url)?;
        instance::write_trust_files(d, &root, &signing)?;
        let (tr, sc) = instance::trust_file_bytes(d)?;
        let warnings = crate::tuf_serve::publish(d, &tr, &sc, now, None)?;
        if warnings.is_empty() {
            eprintln!(
                "Published the new trusted root through TUF ({}): clients that refresh trust \
                 it; start `signet server` again.",
                crate::tuf_serve::repo_dir(d).display()
            );
        } else {
            for w in warnings {
                eprintln!("WARNING: TUF: {w}");
            }
            eprintln!(
                "The new trusted root is in {}; clients get it once the targets are signed and \
                 published (`signet tuf targets`, `signet tuf sign`, `signet tuf publish`).",
                d.join(crate::trust_cfg::TRUSTED_ROOT).display()
            );
        }
        Ok(())
    })
}

/// When a key retired at `now` stops being valid, in the whole seconds of `validFor`: the next
/// whole second, so that what it signed earlier in the same second (an SCT's millisecond
/// timestamp, a TSA's genTime) still falls inside its window.
fn validity_end(now: time::OffsetDateTime) -> i64 {
    now.unix_timestamp().saturating_add(1)
}

/// `data_dir/rel`, which must not exist yet (created empty).
fn fresh_dir(data_dir: &Path, rel: &str) -> Result<PathBuf> {
    let p = dir_in(data_dir, rel)?;
    if p.exists() {
        bail!(
            "{} already exists: an earlier rotation did not finish? Move it away (it is not in \
             {ROTATIONS}) and rotate again",
            p.display()
        );
    }
    std::fs::create_dir_all(&p).with_context(|| format!("{}", p.display()))?;
    Ok(p)
}

/// `path` relative to `data_dir`, as `rotations.json` records it.
fn rel(data_dir: &Path, path: &Path) -> Result<String> {
    path.strip_prefix(data_dir)
        .ok()
        .and_then(|p| p.to_str())
        .map(str::to_string)
        .with_context(|| format!("{} is outside {}", path.display(), data_dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retired_key_is_valid_through_the_second_it_was_retired_in() {
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(1_700_000_010_900_000_000).unwrap();
        // An SCT issued at …10.900 is inside a window ending at …11.
        assert_eq!(validity_end(t), 1_700_000_011);
        let whole = time::OffsetDateTime::from_unix_timestamp(1_700_000_010).unwrap();
        assert_eq!(validity_end(whole), 1_700_000_011);
    }

    #[test]
    fn rotations_round_trip_and_refuse_unknown_fields_and_escapes() {
        let r = Rotations {
            log: Generations {
                active: Some("log-2".into()),
                retired: vec![Retired {
                    dir: "log".into(),
                    until: 1_700_000_000,
                    size: Some(7),
                }],
            },
            ..Default::default()
        };
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(Rotations::read(tmp.path()).unwrap(), Rotations::default());
        r.write(tmp.path()).unwrap();
        assert_eq!(Rotations::read(tmp.path()).unwrap(), r);
        assert_eq!(r.log.next("log"), "log-3");
        assert_eq!(
            r.log.active_dir(tmp.path(), "log").unwrap(),
            tmp.path().join("log-2")
        );
        assert_eq!(
            r.ct.active_dir(tmp.path(), "ct").unwrap(),
            tmp.path().join("ct")
        );
        std::fs::write(tmp.path().join(ROTATIONS), r#"{"logs": {}}"#).unwrap();
        assert!(Rotations::read(tmp.path()).is_err());
        let escape = Generations {
            active: Some("../elsewhere".into()),
            retired: vec![],
        };
        assert!(escape.active_dir(tmp.path(), "log").is_err());
    }
}
