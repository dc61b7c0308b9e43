//! The one reader for files signet reads whole into memory (bundles, trusted roots, trust
//! configs, keys, certificates, signatures, release metadata): [`read_capped`] reads at most one
//! byte more than the file kind's limit, whatever the file claims to be, so `/dev/zero`, a FIFO or
//! a huge file is refused with an error naming it instead of exhausting memory.

use std::io::Read;
use std::path::{Path, PathBuf};

use signet_types::limits::{FileLimit, human_bytes};

/// A file could not be read, or is larger than its kind's limit.
#[derive(Debug, thiserror::Error)]
pub enum ReadFileError {
    /// Opening or reading the file failed.
    #[error("cannot read {what} {path}: {source}")]
    Io {
        /// The kind of file.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file has more bytes than its kind's limit.
    #[error("{what} {path}: larger than the {what} limit of {}", human_bytes(*.limit))]
    TooLarge {
        /// The kind of file.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
}

impl ReadFileError {
    /// Whether the file does not exist (as opposed to being unreadable or too large).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Reads the whole of `path`, refusing it once it has more than `limit.max_bytes` bytes. The
/// size the file system reports only short-cuts the refusal of a regular file; the read itself
/// stops after `max_bytes + 1` bytes, so devices, FIFOs and files that grow while being read are
/// bounded too.
pub fn read_capped(path: &Path, limit: FileLimit) -> Result<Vec<u8>, ReadFileError> {
    let io = |source| ReadFileError::Io {
        what: limit.what,
        path: path.to_path_buf(),
        source,
    };
    let too_large = || ReadFileError::TooLarge {
        what: limit.what,
        path: path.to_path_buf(),
        limit: limit.max_bytes,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let reported = file.metadata().map_err(io)?.len();
    if reported > limit.max_bytes {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(usize::try_from(reported).unwrap_or(0));
    file.take(limit.max_bytes.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(io)?;
    if u64::try_from(out.len()).map_or(true, |n| n > limit.max_bytes) {
        return Err(too_large());
    }
    Ok(out)
}

/// [`read_capped`] for a text file: the same limit, and the bytes must be UTF-8.
pub fn read_capped_string(path: &Path, limit: FileLimit) -> Result<String, ReadFileError> {
    String::from_utf8(read_capped(path, limit)?).map_err(|e| ReadFileError::Io {
        what: limit.what,
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
    })
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const TEN: FileLimit = FileLimit::new("test file", 10);

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("signet-capped-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn exactly_the_limit_is_read_one_more_byte_is_refused() {
        let d = dir("exact");
        let p = d.join("f");
        std::fs::write(&p, b"0123456789").unwrap();
        assert_eq!(read_capped(&p, TEN).unwrap(), b"0123456789");
        std::fs::write(&p, b"0123456789a").unwrap();
        let e = read_capped(&p, TEN).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "test file {}: larger than the test file limit of 10 bytes",
                p.display()
            )
        );
        assert!(!e.is_not_found());
        std::fs::write(&p, b"").unwrap();
        assert_eq!(read_capped(&p, TEN).unwrap(), b"");
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// A FIFO reports size 0 and ends only when its writer stops: the reader must stop by
    /// itself. The writer offers 64 MiB and notes whether the reader hung up first (EPIPE), so
    /// a reader that lost its cap fails this test instead of exhausting memory.
    #[test]
    fn a_fifo_stops_at_the_limit() {
        let d = dir("fifo");
        let p = d.join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap();
        assert!(made.success());
        let writer = {
            let p = p.clone();
            std::thread::spawn(move || {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
                let chunk = [b'x'; 4096];
                (0..16 * 1024).any(|_| f.write_all(&chunk).is_err())
            })
        };
        let e = read_capped(&p, TEN).unwrap_err();
        assert!(
            matches!(e, ReadFileError::TooLarge { limit: 10, .. }),
            "{e}"
        );
        assert!(writer.join().unwrap(), "the reader read the whole stream");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_missing_file_is_named_and_reported_as_missing() {
        let e = read_capped(Path::new("/nonexistent/signet/x"), TEN).unwrap_err();
        assert!(e.is_not_found());
        assert!(
            e.to_string()
                .starts_with("cannot read test file /nonexistent/signet/x: "),
            "{e}"
        );
    }

    #[test]
    fn text_must_be_utf8() {
        let d = dir("utf8");
        let p = d.join("f");
        std::fs::write(&p, b"ok\n").unwrap();
        assert_eq!(read_capped_string(&p, TEN).unwrap(), "ok\n");
        std::fs::write(&p, [0xff, 0xfe]).unwrap();
        assert!(read_capped_string(&p, TEN).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
