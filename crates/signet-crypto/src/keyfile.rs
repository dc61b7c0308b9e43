//! The one loader for private key files: every private key signet reads from disk goes through
//! [`read_private_key_file`], which refuses a file that group or others can access.

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

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

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
}
