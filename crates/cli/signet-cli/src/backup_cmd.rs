//! `signet admin backup`, `signet admin restore` and `signet admin fsck`.
//!
//! A backup is one tar archive (gzip-compressed when its name ends in `.gz`) of the data
//! directory: every file as it is (keys, recorded checkpoints, CA, TSA, TUF repository, trust
//! files, rotations), then every embedded log store (`log.sqlite`) as a consistent snapshot
//! taken with SQLite's `VACUUM INTO` while a server may go on appending, then a manifest
//! (`SIGNET-BACKUP.json`: every file's size and SHA-256). The checkpoints are read before the
//! stores, so each store holds at least the tree its checkpoint signs. The archive is written
//! under a temporary name, mode 0600, and renamed into place only when complete.
//!
//! A restore checks every member (regular files only, relative paths of normal components, size
//! limits, the manifest's hashes), writes them into a new directory beside the target, runs
//! fsck on it and only then renames it into place.
//!
//! fsck is the verification of `signet admin migrate` (`signet_log::migrate`) run on the
//! instance's own stores, with per-entry checks by log kind (canonical body, SET).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use signet_log::PgDatabase;
use signet_log::migrate::{FsckReport, LogKind, SQLITE_FILE, fsck_embedded, fsck_postgres};

use crate::instance;

/// The manifest's name in the archive (its last member).
const MANIFEST: &str = "SIGNET-BACKUP.json";
/// The manifest's format name.
const FORMAT: &str = "signet-backup/1";
/// Most members an archive may hold.
const MAX_MEMBERS: usize = 100_000;
/// Most bytes one member may hold (a log store).
const MAX_MEMBER_BYTES: u64 = 1 << 40;
/// Most bytes of all members together.
const MAX_TOTAL_BYTES: u64 = 4 << 40;
/// Most bytes of the manifest.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;
/// Deepest directory nesting walked or restored.
const MAX_DEPTH: usize = 16;

/// `signet admin backup` flags.
#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The instance's data directory (a server may be running on it).
    #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
    data_dir: PathBuf,
    /// The archive to write (tar; gzip-compressed when the name ends in `.gz`).
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
    /// Replace FILE if it exists.
    #[arg(long)]
    force: bool,
}

/// `signet admin restore` flags.
#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The archive written by `signet admin backup`.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// The data directory to create (must not exist or be empty).
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
}

/// `--output` of fsck.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Output {
    /// Lines for people.
    #[default]
    Text,
    /// One JSON object on stdout.
    Json,
}

/// `signet admin fsck` flags.
#[derive(Args, Debug)]
pub struct FsckArgs {
    /// The instance's data directory (stopped: it is locked while fsck runs).
    #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
    data_dir: PathBuf,
    /// The PostgreSQL database holding the instance's logs (else the `log.sqlite` files of the
    /// data directory are checked).
    #[arg(long, env = "SIGNET_DATABASE", value_name = "URL")]
    database: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    output: Output,
}

/// The kind of the log named `name` (its directory in the data directory).
fn kind_of(name: &str) -> LogKind {
    let top = name.split('/').next().unwrap_or(name);
    if top.starts_with(instance::LOG_V2_DIR) {
        LogKind::RekorV2
    } else if top.starts_with(instance::CT_DIR) {
        LogKind::Ct
    } else {
        LogKind::RekorV1
    }
}

/// Checks the instance's logs; the report, with progress on a terminal's stderr.
fn check(data_dir: &Path, database: Option<&str>, show_progress: bool) -> Result<FsckReport> {
    let bar = if show_progress && std::io::stderr().is_terminal() {
        let b = ProgressBar::new(0);
        if let Ok(style) =
            ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} entries ({eta})")
        {
            b.set_style(style.progress_chars("=> "));
        }
        b
    } else {
        ProgressBar::hidden()
    };
    let progress = |name: &str, done: u64, total: u64| {
        bar.set_message(name.to_string());
        bar.set_length(total);
        bar.set_position(done);
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(async {
        match database {
            Some(url) => {
                let db = PgDatabase::connect(url)
                    .await
                    .context("opening the database")?;
                fsck_postgres(&db, data_dir, kind_of, &progress)
                    .await
                    .context("fsck")
            }
            None => fsck_embedded(data_dir, kind_of, &progress)
                .await
                .context("fsck"),
        }
    });
    bar.finish_and_clear();
    report
}

/// The one-line verdict on a report: an error naming the first divergence.
fn verdict(r: &FsckReport) -> Result<()> {
    match &r.divergence {
        Some(d) => Err(anyhow!("fsck found a divergence: {d}")),
        None => Ok(()),
    }
}

/// `signet admin fsck`.
pub fn fsck(a: FsckArgs) -> Result<()> {
    if !a.data_dir.is_dir() {
        bail!("{} is not a data directory", a.data_dir.display());
    }
    let _lock = instance::lock(&a.data_dir)?;
    let r = check(&a.data_dir, a.database.as_deref(), a.output == Output::Text)?;
    match a.output {
        Output::Json => {
            let logs: Vec<_> = r
                .logs
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "log": m.name, "entries": m.size, "checkpointSize": m.checkpoint_size,
                    })
                })
                .collect();
            let div = r
                .divergence
                .as_ref()
                .map(|d| serde_json::json!({"log": d.log, "index": d.index, "what": d.what}));
            let v = serde_json::json!({
                "ok": r.divergence.is_none(), "logs": logs, "divergence": div,
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Output::Text => {
            for m in &r.logs {
                println!(
                    "{}: {} entries, tree, bodies, leaf hashes and signatures verified (last \
                     signed checkpoint: size {})",
                    m.name, m.size, m.checkpoint_size
                );
            }
        }
    }
    verdict(&r)
}

/// One archived file: path in the archive ('/'-separated), size, SHA-256.
#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq, Eq)]
struct Manifest {
    format: String,
    /// Path → (size, SHA-256 hex).
    files: BTreeMap<String, (u64, String)>,
}

/// Every regular file under `dir` (relative paths), skipping the lock and SQLite's side files;
/// log stores separately.
fn walk(root: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    fn go(
        root: &Path,
        rel: &Path,
        depth: usize,
        out: &mut (Vec<PathBuf>, Vec<PathBuf>),
    ) -> Result<()> {
        let dir = root.join(rel);
        let mut ents = std::fs::read_dir(&dir)
            .with_context(|| format!("{}", dir.display()))?
            .collect::<std::io::Result<Vec<_>>>()
            .with_context(|| format!("{}", dir.display()))?;
        ents.sort_by_key(|e| e.file_name());
        for e in ents {
            let name = e.file_name();
            let r = rel.join(&name);
            let ty = e
                .file_type()
                .with_context(|| format!("{}", e.path().display()))?;
            let n = name.to_string_lossy();
            if ty.is_dir() {
                if depth >= MAX_DEPTH {
                    bail!("{}: nested too deep", e.path().display());
                }
                go(root, &r, depth.saturating_add(1), out)?;
            } else if !ty.is_file() {
                eprintln!(
                    "warning: {} is not a regular file; not backed up",
                    e.path().display()
                );
            } else if n == SQLITE_FILE {
                out.1.push(r);
            } else if (depth == 0 && n == "lock")
                || n.starts_with(SQLITE_FILE)
                || signet_crypto::is_atomic_temporary(&n)
            {
                // The lock is the running server's; -wal, -shm, -journal: the snapshot of the
                // store holds what they hold; a temporary file is being renamed over the file
                // it replaces (a checkpoint).
            } else {
                out.0.push(r);
            }
        }
        Ok(())
    }
    let mut out = (Vec::new(), Vec::new());
    go(root, Path::new(""), 0, &mut out)?;
    Ok(out)
}

/// The archive path of a relative path: '/'-separated, UTF-8.
fn archive_name(rel: &Path) -> Result<String> {
    let parts = rel
        .components()
        .map(|c| match c {
            Component::Normal(s) => s
                .to_str()
                .map(str::to_string)
                .ok_or_else(|| anyhow!("{} is not UTF-8", rel.display())),
            _ => Err(anyhow!("{} is not a plain relative path", rel.display())),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(parts.join("/"))
}

/// A writer that hashes and counts what goes through it.
struct Hashing<R> {
    inner: R,
    hash: signet_crypto::Sha256Stream,
    n: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        let got = buf.get(..k).unwrap_or_default();
        self.hash.update(got);
        self.n = self.n.saturating_add(u64::try_from(k).unwrap_or(u64::MAX));
        Ok(k)
    }
}

/// Appends the file `src` as `name` with the permission bits `mode`, recording it.
fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    manifest: &mut Manifest,
    src: &Path,
    name: &str,
    mode: u32,
) -> Result<()> {
    let f = match std::fs::File::open(src) {
        Ok(f) => f,
        // Removed since the directory was listed: a server's temporary file.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("{}", src.display()))),
    };
    let meta = f.metadata().with_context(|| format!("{}", src.display()))?;
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(meta.len());
    h.set_mode(mode & 0o644);
    h.set_mtime(
        meta.modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs()),
    );
    let mut r = Hashing {
        inner: f.take(meta.len()),
        hash: signet_crypto::Sha256Stream::new(),
        n: 0,
    };
    tar.append_data(&mut h, name, &mut r)
        .with_context(|| format!("writing {name} into the archive"))?;
    if r.n != meta.len() {
        bail!("{} changed size while it was backed up", src.display());
    }
    manifest
        .files
        .insert(name.to_string(), (r.n, r.hash.finish().to_hex()));
    Ok(())
}

/// `signet admin backup`.
pub fn backup(a: BackupArgs) -> Result<()> {
    let d = &a.data_dir;
    if !d.join("trust_config.json").is_file() {
        bail!(
            "{} is not a signet data directory (no trust_config.json)",
            d.display()
        );
    }
    if !a.force && std::fs::symlink_metadata(&a.to).is_ok() {
        bail!("{} exists: give --force to replace it", a.to.display());
    }
    let parent =
        a.to.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
    let base =
        a.to.file_name()
            .ok_or_else(|| anyhow!("{} names no file", a.to.display()))?
            .to_string_lossy()
            .into_owned();
    let inside = |p: &Path| std::fs::canonicalize(p).map_err(anyhow::Error::from);
    if inside(parent)
        .with_context(|| format!("{}", parent.display()))?
        .starts_with(inside(d).with_context(|| format!("{}", d.display()))?)
    {
        bail!(
            "{} is inside the data directory {}: write the backup elsewhere",
            a.to.display(),
            d.display()
        );
    }
    let gzip = base.ends_with(".gz");
    // Mode 0600, removed when dropped before it is persisted.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{base}."))
        .tempfile_in(parent)
        .with_context(|| format!("creating a file in {}", parent.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix(&format!(".{base}.stores."))
        .tempdir_in(parent)
        .with_context(|| format!("creating a directory in {}", parent.display()))?;
    let (files, stores) = walk(d)?;
    let out = std::io::BufWriter::new(tmp.as_file());
    let sink: Box<dyn Write> = if gzip {
        Box::new(flate2::write::GzEncoder::new(
            out,
            flate2::Compression::default(),
        ))
    } else {
        Box::new(out)
    };
    let mut tar = tar::Builder::new(sink);
    let mut manifest = Manifest {
        format: FORMAT.into(),
        files: BTreeMap::new(),
    };
    // Files first: each checkpoint is read before its store's snapshot.
    for rel in &files {
        let src = d.join(rel);
        let mode = mode_of(&src)?;
        append_file(&mut tar, &mut manifest, &src, &archive_name(rel)?, mode)?;
    }
    for rel in &stores {
        let src = d.join(rel);
        let snap = scratch.path().join("snapshot.sqlite");
        snapshot(&src, &snap)?;
        append_file(&mut tar, &mut manifest, &snap, &archive_name(rel)?, 0o600)?;
        std::fs::remove_file(&snap).with_context(|| format!("{}", snap.display()))?;
    }
    let body = serde_json::to_vec_pretty(&manifest)?;
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(u64::try_from(body.len())?);
    h.set_mode(0o600);
    tar.append_data(&mut h, MANIFEST, &body[..])
        .context("writing the manifest")?;
    let mut sink = tar.into_inner().context("finishing the archive")?;
    sink.flush().context("writing the archive")?;
    drop(sink);
    tmp.as_file().sync_all().context("writing the archive")?;
    tmp.persist(&a.to)
        .map_err(|e| e.error)
        .with_context(|| format!("renaming the archive to {}", a.to.display()))?;
    if let Ok(dir) = std::fs::File::open(parent) {
        let _ = dir.sync_all();
    }
    eprintln!(
        "backed up {} files and {} log stores of {} into {}",
        files.len(),
        stores.len(),
        d.display(),
        a.to.display()
    );
    if stores.is_empty() {
        eprintln!(
            "note: {} holds no log store: if its logs are in PostgreSQL, back the database up \
             with pg_dump (see the README)",
            d.display()
        );
    }
    Ok(())
}

fn mode_of(p: &Path) -> Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(p)
        .with_context(|| format!("{}", p.display()))?
        .permissions()
        .mode())
}

/// A consistent copy of the SQLite database `src` in `dst` (`VACUUM INTO`: one read
/// transaction, so a writer may go on meanwhile).
fn snapshot(src: &Path, dst: &Path) -> Result<()> {
    let c = rusqlite::Connection::open_with_flags(
        src,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("{}", src.display()))?;
    c.busy_timeout(std::time::Duration::from_secs(30))?;
    let to = dst
        .to_str()
        .ok_or_else(|| anyhow!("{} is not UTF-8", dst.display()))?;
    c.execute("VACUUM INTO ?1", [to])
        .with_context(|| format!("snapshotting {} into {}", src.display(), dst.display()))?;
    Ok(())
}

/// The checked relative path of an archive member: normal components only, bounded depth.
fn member_path(name: &Path) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for c in name.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            _ => bail!(
                "the archive holds {:?}, which is not a plain relative path: refused",
                name.display().to_string()
            ),
        }
    }
    if out.as_os_str().is_empty() || out.components().count() > MAX_DEPTH {
        bail!(
            "the archive holds the path {:?}: refused",
            name.display().to_string()
        );
    }
    Ok(out)
}

/// Writes the members of the archive `from` into `dir` (created), checking them and the
/// manifest. Answers whether it held a log store.
fn unpack(from: &Path, dir: &Path) -> Result<bool> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let mut f = std::fs::File::open(from).with_context(|| format!("{}", from.display()))?;
    let mut magic = [0u8; 2];
    let gz = f.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    drop(f);
    let f = std::fs::File::open(from).with_context(|| format!("{}", from.display()))?;
    let src: Box<dyn Read> = if gz {
        Box::new(flate2::read::GzDecoder::new(std::io::BufReader::new(f)))
    } else {
        Box::new(std::io::BufReader::new(f))
    };
    let mut ar = tar::Archive::new(src);
    let mut seen: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut manifest: Option<Manifest> = None;
    let mut total = 0u64;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(dir)
        .with_context(|| format!("{}", dir.display()))?;
    for (count, ent) in ar.entries().context("reading the archive")?.enumerate() {
        let ent = ent.context("reading the archive")?;
        if count >= MAX_MEMBERS {
            bail!("the archive holds more than {MAX_MEMBERS} members: refused");
        }
        if manifest.is_some() {
            bail!("the archive holds members after its manifest: refused");
        }
        let path = ent.path().context("reading the archive")?.into_owned();
        let ty = ent.header().entry_type();
        if ty.is_dir() {
            member_path(&path)?;
            continue;
        }
        if !ty.is_file() {
            bail!(
                "the archive holds {:?}, which is not a regular file ({ty:?}): refused",
                path.display().to_string()
            );
        }
        let rel = member_path(&path)?;
        let name = archive_name(&rel)?;
        let size = ent.header().size().context("reading the archive")?;
        if name == MANIFEST {
            if size > MAX_MANIFEST_BYTES {
                bail!("the archive's manifest is too large: refused");
            }
            let mut body = Vec::new();
            ent.take(MAX_MANIFEST_BYTES).read_to_end(&mut body)?;
            let m: Manifest = serde_json::from_slice(&body).context("the archive's manifest")?;
            if m.format != FORMAT {
                bail!("the archive's format is {:?}, not {FORMAT:?}", m.format);
            }
            manifest = Some(m);
            continue;
        }
        if size > MAX_MEMBER_BYTES {
            bail!("the archive member {name} is larger than {MAX_MEMBER_BYTES} bytes: refused");
        }
        total = total.saturating_add(size);
        if total > MAX_TOTAL_BYTES {
            bail!("the archive's members exceed {MAX_TOTAL_BYTES} bytes: refused");
        }
        if seen.contains_key(&name) {
            bail!("the archive holds {name} twice: refused");
        }
        let mode = ent.header().mode().unwrap_or(0o600) & 0o644;
        let dst = dir.join(&rel);
        if let Some(p) = dst.parent() {
            std::fs::DirBuilder::new()
                .mode(0o700)
                .recursive(true)
                .create(p)
                .with_context(|| format!("{}", p.display()))?;
        }
        let out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&dst)
            .with_context(|| format!("{}", dst.display()))?;
        let mut r = Hashing {
            inner: ent.take(size),
            hash: signet_crypto::Sha256Stream::new(),
            n: 0,
        };
        let mut w = std::io::BufWriter::new(&out);
        std::io::copy(&mut r, &mut w).with_context(|| format!("writing {}", dst.display()))?;
        w.flush()
            .with_context(|| format!("writing {}", dst.display()))?;
        drop(w);
        out.sync_all()
            .with_context(|| format!("writing {}", dst.display()))?;
        seen.insert(name, (r.n, r.hash.finish().to_hex()));
    }
    let Some(m) = manifest else {
        bail!(
            "{} has no {MANIFEST}: not a complete signet backup (truncated?)",
            from.display()
        );
    };
    if m.files != seen {
        let bad = m
            .files
            .iter()
            .find(|(k, v)| seen.get(*k) != Some(*v))
            .map(|(k, _)| k.clone())
            .or_else(|| seen.keys().find(|k| !m.files.contains_key(*k)).cloned())
            .unwrap_or_default();
        bail!("the archive's member {bad} does not match its manifest (damaged archive)");
    }
    Ok(seen
        .keys()
        .any(|k| k.rsplit('/').next() == Some(SQLITE_FILE)))
}

/// `signet admin restore`.
pub fn restore(a: RestoreArgs) -> Result<()> {
    let to = &a.data_dir;
    let staging = signet_log::migrate::new_dir_staging(to, "restoring")?;
    let result = (|| {
        let stores = unpack(&a.from, &staging)?;
        if stores {
            let r = check(&staging, None, true)?;
            verdict(&r).context("the restored data directory does not pass fsck")?;
            for m in &r.logs {
                eprintln!(
                    "  {}: {} entries verified (last signed checkpoint: size {})",
                    m.name, m.size, m.checkpoint_size
                );
            }
        }
        signet_log::migrate::new_dir_commit(&staging, to)?;
        Ok::<_, anyhow::Error>(stores)
    })();
    let stores = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e.context(format!("restore failed; {} was not written", to.display())));
        }
    };
    if stores {
        eprintln!(
            "restored {} into {} and it passes fsck. Serve it with: signet server --data-dir {}",
            a.from.display(),
            to.display(),
            to.display()
        );
    } else {
        eprintln!(
            "restored {} into {} (no log store in the archive: if the logs are in PostgreSQL, \
             restore the database with pg_restore, then run signet admin fsck --data-dir {} \
             --database URL)",
            a.from.display(),
            to.display(),
            to.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_stay_inside() {
        assert!(member_path(Path::new("../evil")).is_err());
        assert!(member_path(Path::new("log/../../evil")).is_err());
        assert!(member_path(Path::new("/etc/passwd")).is_err());
        assert!(member_path(Path::new("")).is_err());
        assert_eq!(
            member_path(Path::new("./log/log.key")).unwrap(),
            PathBuf::from("log/log.key")
        );
    }

    #[test]
    fn kinds_by_directory() {
        assert_eq!(kind_of("log"), LogKind::RekorV1);
        assert_eq!(kind_of("log-2"), LogKind::RekorV1);
        assert_eq!(kind_of("log-v2"), LogKind::RekorV2);
        assert_eq!(kind_of("ct"), LogKind::Ct);
        assert_eq!(kind_of("ct-3"), LogKind::Ct);
    }
}
