//! The one key-file module. Every private key signet reads from disk goes through
//! [`read_private_key_file`], which refuses a file that group or others can access; every private
//! key (or other secret) it writes goes through [`write_private_key_file`] (replace atomically)
//! or [`create_private_key_file`] (a new file only). Both give the file mode 0600 when it is
//! created, never by a chmod after the secret is in it, and fsync it before they return.

use std::path::{Path, PathBuf};

use signet_types::limits::FileLimit;

use crate::capped::{ReadFileError, read_capped};

/// A private key file could not be read, or is exposed.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading the file (or its metadata) failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Reading the file failed, or it is larger than [`FileLimit::PRIVATE_KEY`] allows.
    #[error(transparent)]
    Read(#[from] ReadFileError),
    /// Group or others have access to the file.
    #[error(
        "{path}: private key file has mode {mode:o}; it must be 0600, with no access for group or others (fix: chmod 600 {path})"
    )]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}

/// Refuses a private key file that group or others can read, write or execute.
pub fn check_private_key_file(path: &Path) -> Result<(), KeyFileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|source| KeyFileError::Io {
                path: path.to_path_buf(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(KeyFileError::Exposed {
                path: path.to_path_buf(),
                mode: mode & 0o777,
            });
        }
    }
    Ok(())
}

/// Reads a private key file after [`check_private_key_file`], at most
/// [`FileLimit::PRIVATE_KEY`] bytes.
pub fn read_private_key_file(path: &Path) -> Result<Vec<u8>, KeyFileError> {
    check_private_key_file(path)?;
    Ok(read_capped(path, FileLimit::PRIVATE_KEY)?)
}

/// Mode of a private key file.
pub const PRIVATE_KEY_MODE: u32 = 0o600;

/// Writes a private key (or other secret) to `path`, replacing any file there, with
/// [`PRIVATE_KEY_MODE`]: see [`write_file_atomically`].
pub fn write_private_key_file(path: &Path, data: &[u8]) -> std::io::Result<()> {
    write_file_atomically(path, data, PRIVATE_KEY_MODE)
}

/// Creates the private key file `path`, which must not exist yet, with [`PRIVATE_KEY_MODE`]:
/// see [`create_new_file`].
pub fn create_private_key_file(path: &Path, data: &[u8]) -> std::io::Result<()> {
    create_new_file(path, data, PRIVATE_KEY_MODE)
}

/// What [`write_file_atomically`] puts between a file's name and 16 hex digits to name its
/// temporary file.
const TEMPORARY_MARK: &str = ".tmp.";

/// Whether `name` is that of a temporary file [`write_file_atomically`] is writing (about to be
/// renamed over the file it replaces, or removed): what a copy of a directory skips.
pub fn is_atomic_temporary(name: &str) -> bool {
    name.rsplit_once(TEMPORARY_MARK)
        .is_some_and(|(_, hex)| hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Writes `data` to `path` atomically: into a new temporary file beside it (created
/// exclusively under a random name, with permission bits `mode` from the start, so no stale file
/// can lend it other permissions), fsynced, renamed over `path`, and the directory fsynced.
/// Readers see the old file or the new one, never a part. On failure the temporary file is
/// removed. (`mode` applies on Unix, reduced by the umask as for any new file.)
pub fn write_file_atomically(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    let mut nonce = [0u8; 8];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| std::io::Error::other("no randomness"))?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(
        "{TEMPORARY_MARK}{:016x}",
        u64::from_be_bytes(nonce)
    ));
    let tmp = path.with_file_name(name);
    let written = create_new_file(&tmp, data, mode).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    sync_parent(path)
}

/// Creates `path`, which must not exist yet, with permission bits `mode` from the start
/// (Unix; reduced by the umask), writes `data` and fsyncs it.
pub fn create_new_file(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

/// Makes a rename in `path`'s directory durable (Unix; elsewhere a no-op).
fn sync_parent(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn temporary_names_are_recognised() {
        assert!(is_atomic_temporary("checkpoint.tmp.5fc308fcdd7bdfda"));
        assert!(!is_atomic_temporary("checkpoint"));
        assert!(!is_atomic_temporary("a.tmp.xyz"));
    }

    #[test]
    fn group_or_world_access_is_refused_with_the_fix() {
        let dir = std::env::temp_dir().join(format!("signet-keyfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("k.key");
        std::fs::write(&p, b"secret").unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660, 0o606, 0o610] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            let e = read_private_key_file(&p).unwrap_err().to_string();
            assert!(e.contains(&format!("chmod 600 {}", p.display())), "{e}");
        }
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_private_key_file(&p).unwrap(), b"secret");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert_eq!(read_private_key_file(&p).unwrap(), b"secret");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(FileLimit::PRIVATE_KEY.max_bytes + 1)
            .unwrap();
        let e = read_private_key_file(&p).unwrap_err().to_string();
        assert!(
            e.ends_with("larger than the private key limit of 64 KiB"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn written_keys_are_private_from_creation_replace_atomically_and_leave_no_temp_file() {
        let dir = std::env::temp_dir().join(format!("signet-keywrite-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("k.key");
        // Replacing a world-readable file: the new file is 0600 (the old one's mode is not kept).
        std::fs::write(&p, b"old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private_key_file(&p, b"new secret").unwrap();
        assert_eq!(mode(&p), 0o600);
        assert_eq!(read_private_key_file(&p).unwrap(), b"new secret");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["k.key"], "a temporary file was left behind");
        // A public file keeps the mode asked for.
        let pem = dir.join("k.pem");
        write_file_atomically(&pem, b"cert", 0o644).unwrap();
        assert_eq!(mode(&pem) & 0o600, 0o600);
        assert_eq!(mode(&pem) & 0o133, 0, "at most 0644");
        // A new-only key file: created 0600, and never over an existing file.
        let fresh = dir.join("fresh.key");
        create_private_key_file(&fresh, b"s").unwrap();
        assert_eq!(mode(&fresh), 0o600);
        let e = create_private_key_file(&fresh, b"other").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&fresh).unwrap(), b"s");
        // A failed write (no such directory) reports the error and leaves nothing.
        let missing = dir.join("missing/k.key");
        assert!(write_private_key_file(&missing, b"s").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
