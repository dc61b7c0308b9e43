//! `signet tuf`: the key ceremony of an instance's TUF repository, with the root and targets
//! keys off line. Key holders make their keys with `signet generate-key-pair` and give the
//! operator their public keys; the operator writes unsigned metadata into `DATA/tuf/pending/`;
//! each key holder signs the file with `signet tuf sign` (on their own machine if they like);
//! `signet tuf publish` checks the thresholds and publishes. The running server holds only the
//! online snapshot/timestamp key.
//!
//! * `signet tuf init --root-pub A.pub --root-pub B.pub --root-threshold 2 --targets-pub C.pub`
//!   writes the next root (`pending/N.root.json`). A new root must be signed by a threshold of
//!   the current root's keys *and* of its own (a first root: its own).
//! * `signet tuf targets` writes the next targets (`pending/V.targets.json`) listing the
//!   instance's current `trusted_root.json` and signing config.
//! * `signet tuf sign FILE --key K.key` adds one signature.
//! * `signet tuf publish` moves signed pending metadata into the repository (refusing it below
//!   threshold), removes development keys the new root no longer lists, and signs snapshot and
//!   timestamp with the online key.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use signet_crypto::{PublicKey, SigningKey};
use signet_release::write_atomic;
use signet_tuf::repo::{self, RoleKeys, RootKeys};
use signet_tuf::{Root, Signed, Targets};
use time::{Duration, OffsetDateTime};

use crate::tuf_serve::{SIGNING_CONFIG_TARGET, TRUSTED_ROOT_TARGET};

/// `signet tuf` commands.
#[derive(Args, Debug)]
pub struct TufArgs {
    #[command(subcommand)]
    command: TufCommand,
}

#[derive(Subcommand, Debug)]
enum TufCommand {
    /// Write the next root (unsigned) with offline root and targets keys.
    Init(InitArgs),
    /// Write the next targets (unsigned) listing the instance's current trust files.
    Targets(TargetsArgs),
    /// Add a signature to a pending metadata file.
    Sign(SignArgs),
    /// Publish signed pending metadata (thresholds checked), then re-sign snapshot and timestamp.
    Publish(DataArgs),
}

#[derive(Args, Debug)]
struct DataArgs {
    /// The instance's data directory.
    #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
    data_dir: PathBuf,
}

#[derive(Args, Debug)]
struct InitArgs {
    #[command(flatten)]
    data: DataArgs,
    /// A root key holder's public key (PEM; repeat for each).
    #[arg(long = "root-pub", value_name = "FILE", required = true)]
    root_pubs: Vec<PathBuf>,
    /// Root signatures required.
    #[arg(long, default_value_t = 1)]
    root_threshold: u64,
    /// A targets key holder's public key (PEM; repeat for each).
    #[arg(long = "targets-pub", value_name = "FILE", required = true)]
    targets_pubs: Vec<PathBuf>,
    /// Targets signatures required.
    #[arg(long, default_value_t = 1)]
    targets_threshold: u64,
    /// Days until the root expires.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u16).range(1..=3650))]
    expires_days: u16,
}

#[derive(Args, Debug)]
struct TargetsArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Days until the targets expire.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u16).range(1..=3650))]
    expires_days: u16,
}

#[derive(Args, Debug)]
struct SignArgs {
    /// The pending metadata file.
    file: PathBuf,
    /// The signing key (PKCS#8 PEM, as `signet generate-key-pair` writes).
    #[arg(long)]
    key: PathBuf,
}

pub fn run(args: TufArgs) -> Result<()> {
    match args.command {
        TufCommand::Init(a) => init(&a),
        TufCommand::Targets(a) => targets(&a),
        TufCommand::Sign(a) => sign(&a),
        TufCommand::Publish(a) => publish(&a.data_dir),
    }
}

fn pending_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tuf").join("pending")
}

fn read_pub(path: &Path) -> Result<PublicKey> {
    let text = signet_crypto::read_capped_string(path, crate::input::PUBLIC_KEY)?;
    PublicKey::from_pem(&text)
        .with_context(|| format!("{} is not a PEM public key", path.display()))
}

fn expires(days: u16) -> Result<OffsetDateTime> {
    OffsetDateTime::now_utc()
        .checked_add(Duration::days(i64::from(days)))
        .context("expiry out of range")
}

fn latest(data_dir: &Path, role: &str) -> Result<Option<Vec<u8>>> {
    crate::tuf_serve::latest(&crate::tuf_serve::repo_dir(data_dir), role)
}

/// The online key, created if the instance has none yet.
fn online_key(data_dir: &Path) -> Result<SigningKey> {
    let p = data_dir.join("tuf").join("keys").join("online.key");
    if let Some(k) = crate::tuf_serve::read_key(&p)? {
        return Ok(k);
    }
    std::fs::create_dir_all(p.parent().context("keys directory")?)?;
    crate::tuf_serve::new_key(&p)
}

fn init(a: &InitArgs) -> Result<()> {
    let d = &a.data.data_dir;
    let roots: Vec<PublicKey> = a
        .root_pubs
        .iter()
        .map(|p| read_pub(p))
        .collect::<Result<_>>()?;
    let targets: Vec<PublicKey> = a
        .targets_pubs
        .iter()
        .map(|p| read_pub(p))
        .collect::<Result<_>>()?;
    let online = online_key(d)?;
    let current = latest(d, "root")?;
    let version = match &current {
        Some(b) => Signed::<Root>::from_bytes(b)?
            .signed
            .version
            .checked_add(1)
            .context("root version overflow")?,
        None => 1,
    };
    let role = |keys: Vec<PublicKey>, threshold| RoleKeys { keys, threshold };
    let root = repo::root(
        &RootKeys {
            root: role(roots, a.root_threshold),
            targets: role(targets, a.targets_threshold),
            snapshot: RoleKeys::of(&[&online], 1),
            timestamp: RoleKeys::of(&[&online], 1),
        },
        version,
        expires(a.expires_days)?,
    )?;
    let file = pending_dir(d).join(repo::metadata_path("root", version));
    std::fs::create_dir_all(pending_dir(d))?;
    write_atomic(&file, &repo::sign(&root, &[])?)?;
    let old = match &current {
        Some(b) => {
            let r = Signed::<Root>::from_bytes(b)?;
            format!(
                " and {} of the current root's {} key(s) (root version {})",
                r.signed.role("root")?.threshold,
                r.signed.role("root")?.keyids.len(),
                r.signed.version
            )
        }
        None => String::new(),
    };
    eprintln!(
        "Wrote {}: it needs {} signature(s) of its {} root key(s){old}: `signet tuf sign {} --key KEY`, then `signet tuf publish`",
        file.display(),
        a.root_threshold,
        a.root_pubs.len(),
        file.display()
    );
    Ok(())
}

/// The instance's current trust files, as targets.
fn trust_files(d: &Path) -> Result<[(&'static str, Vec<u8>); 2]> {
    let read = |name: &str| {
        std::fs::read(d.join(name)).with_context(|| {
            format!(
                "{} (start the server once to write it)",
                d.join(name).display()
            )
        })
    };
    Ok([
        (TRUSTED_ROOT_TARGET, read(crate::trust_cfg::TRUSTED_ROOT)?),
        (
            SIGNING_CONFIG_TARGET,
            read(crate::trust_cfg::SIGNING_CONFIG)?,
        ),
    ])
}

fn targets(a: &TargetsArgs) -> Result<()> {
    let d = &a.data.data_dir;
    let files = trust_files(d)?;
    let version = match latest(d, "targets")? {
        Some(b) => Signed::<Targets>::from_bytes(&b)?
            .signed
            .version
            .checked_add(1)
            .context("targets version overflow")?,
        None => 1,
    };
    let list: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let t = repo::targets(&list, version, expires(a.expires_days)?);
    let file = pending_dir(d).join(repo::metadata_path("targets", version));
    std::fs::create_dir_all(pending_dir(d))?;
    write_atomic(&file, &repo::sign(&t, &[])?)?;
    eprintln!(
        "Wrote {} listing {} and {}: sign it with the targets keys (`signet tuf sign`), then `signet tuf publish`",
        file.display(),
        TRUSTED_ROOT_TARGET,
        SIGNING_CONFIG_TARGET
    );
    Ok(())
}

fn sign(a: &SignArgs) -> Result<()> {
    let bytes = signet_crypto::read_capped(&a.file, crate::input::TUF_ROOT)?;
    let key = crate::keyfile::read_signing_key(&a.key)?;
    let signed = repo::add_signature(&bytes, &key)?;
    write_atomic(&a.file, &signed)?;
    eprintln!(
        "Signed {} with key {}",
        a.file.display(),
        repo::ecdsa_key_id(key.public_key())?
    );
    Ok(())
}

/// The pending file of `role` with the highest version, if any.
fn pending(d: &Path, role: &str) -> Result<Option<(PathBuf, Vec<u8>)>> {
    let dir = pending_dir(d);
    if !dir.exists() {
        return Ok(None);
    }
    let Some(bytes) = crate::tuf_serve::latest(&dir, role)? else {
        return Ok(None);
    };
    let version = match role {
        "root" => Signed::<Root>::from_bytes(&bytes)?.signed.version,
        _ => Signed::<Targets>::from_bytes(&bytes)?.signed.version,
    };
    Ok(Some((dir.join(repo::metadata_path(role, version)), bytes)))
}

fn publish(d: &Path) -> Result<()> {
    let repo_dir = crate::tuf_serve::repo_dir(d);
    std::fs::create_dir_all(&repo_dir)?;
    let now = OffsetDateTime::now_utc();
    let mut did = Vec::new();
    if let Some((path, bytes)) = pending(d, "root")? {
        // A first root: signed by its own threshold; a next one: by the current root's and its
        // own, version exactly one more (the client's own check).
        match latest(d, "root")? {
            Some(current) => {
                let mut t = signet_tuf::Trusted::new(&current, now)?;
                t.update_root(&bytes)
                    .with_context(|| format!("{} cannot be published", path.display()))?;
            }
            None => {
                signet_tuf::Trusted::new(&bytes, now)
                    .with_context(|| format!("{} cannot be published", path.display()))?;
            }
        }
        let root = Signed::<Root>::from_bytes(&bytes)?;
        write_atomic(
            &repo_dir.join(repo::metadata_path("root", root.signed.version)),
            &bytes,
        )?;
        write_atomic(&d.join("tuf").join("root.json"), &bytes)?;
        std::fs::remove_file(&path)?;
        // Development keys the new root no longer lists are of no use and must not linger.
        for (name, role) in [("root.key", "root"), ("targets.key", "targets")] {
            let p = d.join("tuf").join("keys").join(name);
            if let Some(k) = crate::tuf_serve::read_key(&p)? {
                let id = repo::ecdsa_key_id(k.public_key())?;
                if !root.signed.role(role)?.keyids.contains(&id) {
                    std::fs::remove_file(&p)?;
                    eprintln!("Removed {} (not a {role} key of the new root)", p.display());
                }
            }
        }
        did.push(format!("root version {}", root.signed.version));
        // Targets signed by keys the new root no longer trusts stop verifying for clients.
        if pending(d, "targets")?.is_none()
            && let Some(cur) = latest(d, "targets")?
        {
            let role = root.signed.role("targets")?;
            if Signed::<Targets>::from_bytes(&cur)?
                .verify_role("targets", &root.signed.keys, &role.keyids, role.threshold)
                .is_err()
            {
                eprintln!(
                    "WARNING: the published targets are not signed by the new root's targets keys: clients will refuse them until you publish new targets (`signet tuf targets`, sign, publish)"
                );
            }
        }
    }
    if let Some((path, bytes)) = pending(d, "targets")? {
        let root_bytes = latest(d, "root")?.context("no root published")?;
        let root = Signed::<Root>::from_bytes(&root_bytes)?;
        let role = root.signed.role("targets")?;
        let t = Signed::<Targets>::from_bytes(&bytes)?;
        t.verify_role("targets", &root.signed.keys, &role.keyids, role.threshold)
            .with_context(|| format!("{} cannot be published", path.display()))?;
        if let Some(cur) = latest(d, "targets")? {
            let cur = Signed::<Targets>::from_bytes(&cur)?.signed.version;
            if t.signed.version <= cur {
                bail!(
                    "{} is version {}, but version {cur} is published",
                    path.display(),
                    t.signed.version
                );
            }
        }
        // The files it lists, under their hash-prefixed names, before the metadata.
        for (name, file) in trust_files(d)? {
            let info = t
                .signed
                .targets
                .get(name)
                .with_context(|| format!("{} does not list {name}", path.display()))?;
            signet_tuf::verify_target(name, info, &file).with_context(|| {
                format!(
                    "{name} changed since {} was written; write new targets",
                    path.display()
                )
            })?;
            let p = repo_dir.join(repo::target_path(name, &file));
            std::fs::create_dir_all(p.parent().context("targets directory")?)?;
            write_atomic(&p, &file)?;
        }
        write_atomic(
            &repo_dir.join(repo::metadata_path("targets", t.signed.version)),
            &bytes,
        )?;
        std::fs::remove_file(&path)?;
        did.push(format!("targets version {}", t.signed.version));
    }
    if did.is_empty() {
        bail!("nothing pending in {}", pending_dir(d).display());
    }
    // Snapshot and timestamp for what changed (and anything else due).
    let [(_, tr), (_, sc)] = trust_files(d)?;
    let warnings = crate::tuf_serve::publish(d, &tr, &sc, now, None)?;
    eprintln!("Published {}", did.join(" and "));
    for w in warnings {
        eprintln!("WARNING: TUF: {w}");
    }
    Ok(())
}
