//! Small filesystem helpers: crash-safe writes and file-list comparison.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::hash::TEMP_PREFIX;
use crate::{ReleaseError, Result};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is written,
/// fsynced and renamed over `path`, then the directory is fsynced. Readers see either the old
/// file or the complete new one, also after a crash. The temporary file is removed on error.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name =
        path.file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| ReleaseError::NonUtf8Name {
                path: path.to_path_buf(),
            })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let (tmp, mut file) = loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!("{TEMP_PREFIX}{}-{n}-{name}", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(ReleaseError::io("create", tmp, e)),
        }
    };
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| ReleaseError::io("write", &tmp, e))
        .and_then(|()| {
            drop(file);
            fs::rename(&tmp, path).map_err(|e| ReleaseError::io("rename", path, e))
        });
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| ReleaseError::io("fsync directory", dir, e))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    // Directories cannot be opened for fsync on this platform; rename is still atomic.
    Ok(())
}

/// Difference between an expected and a found list of paths.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Diff {
    /// Expected but not found (sorted, unique).
    pub missing: Vec<String>,
    /// Found but not expected (sorted, unique).
    pub extra: Vec<String>,
}

impl Diff {
    /// True if both lists name the same set of paths.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty()
    }
}

/// Compares two path lists as sets (order and repetition are ignored).
pub fn compare<E: AsRef<str>, F: AsRef<str>>(expected: &[E], found: &[F]) -> Diff {
    let e: BTreeSet<&str> = expected.iter().map(AsRef::as_ref).collect();
    let f: BTreeSet<&str> = found.iter().map(AsRef::as_ref).collect();
    Diff {
        missing: e.difference(&f).map(|s| (*s).to_owned()).collect(),
        extra: f.difference(&e).map(|s| (*s).to_owned()).collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_creates_and_replaces() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("SHA256SUMS");
        write_atomic(&p, b"one").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two, longer").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two, longer");
        // No temporary files left behind.
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["SHA256SUMS"]);
    }

    #[test]
    fn atomic_write_errors_cleanly() {
        let d = tempfile::tempdir().unwrap();
        let missing_dir = d.path().join("no/such/dir/file");
        assert!(matches!(
            write_atomic(&missing_dir, b"x"),
            Err(ReleaseError::Io { op: "create", .. })
        ));
        // Renaming onto a non-empty directory fails; the temp file must be removed.
        let target = d.path().join("target");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inner"), b"x").unwrap();
        assert!(write_atomic(&target, b"x").is_err());
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["target"]);
    }

    #[test]
    fn compare_sets() {
        let diff = compare(
            &["a", "b", "c", "c"],
            &["c".to_owned(), "d".to_owned(), "a".to_owned()],
        );
        assert_eq!(diff.missing, ["b"]);
        assert_eq!(diff.extra, ["d"]);
        assert!(!diff.is_empty());
        assert!(compare(&["x", "y"], &["y", "x"]).is_empty());
        assert!(compare::<&str, &str>(&[], &[]).is_empty());
    }
}
