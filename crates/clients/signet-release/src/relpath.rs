use std::fmt;
use std::path::{Path, PathBuf};

use crate::{ReleaseError, Result};

/// Longest accepted release-relative path, in bytes (Linux `PATH_MAX`).
pub const MAX_PATH_LEN: usize = 4096;

/// A validated release-relative path: `/`-separated, relative, non-empty.
///
/// Refused: absolute paths, empty components (`a//b`, trailing `/`), `.` and `..` components,
/// backslashes (a Windows separator, and the GNU checksum escape character), NUL and other
/// control characters (a newline would forge a `SHA256SUMS` line), and paths over
/// [`MAX_PATH_LEN`] bytes. Joining a `RelPath` to a root therefore never leaves the root
/// lexically (symlinks are checked separately where files are opened).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct RelPath(String);

impl RelPath {
    /// Validates `s` as a release-relative path.
    pub fn new(s: impl Into<String>) -> Result<Self> {
        let s = s.into();
        validate(&s)?;
        Ok(Self(s))
    }

    /// The path as a `/`-separated string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the path, returning the string.
    pub fn into_string(self) -> String {
        self.0
    }

    /// `root` joined with this path using the platform separator.
    pub fn to_path(&self, root: &Path) -> PathBuf {
        let mut p = root.to_path_buf();
        for c in self.0.split('/') {
            p.push(c);
        }
        p
    }

    /// The last component (the file name).
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

fn validate(s: &str) -> Result<()> {
    let bad = |reason| {
        Err(ReleaseError::InvalidPath {
            path: s.chars().take(200).collect(),
            reason,
        })
    };
    if s.is_empty() {
        return bad("empty path");
    }
    if s.len() > MAX_PATH_LEN {
        return bad("path longer than 4096 bytes");
    }
    if s.starts_with('/') {
        return bad("absolute path");
    }
    if s.contains('\\') {
        return bad("backslash in path");
    }
    if s.chars().any(char::is_control) {
        return bad("control character in path");
    }
    // A Windows drive prefix ("C:") would make the path absolute on Windows.
    if matches!(s.as_bytes(), [d, b':', ..] if d.is_ascii_alphabetic()) {
        return bad("drive prefix in path");
    }
    for c in s.split('/') {
        match c {
            "" => return bad("empty path component"),
            "." => return bad("'.' path component"),
            ".." => return bad("'..' path component"),
            _ => {}
        }
    }
    Ok(())
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RelPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for RelPath {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for RelPath {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RelPath {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl TryFrom<String> for RelPath {
    type Error = ReleaseError;
    fn try_from(s: String) -> Result<Self> {
        Self::new(s)
    }
}

impl TryFrom<&str> for RelPath {
    type Error = ReleaseError;
    fn try_from(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl From<RelPath> for String {
    fn from(p: RelPath) -> String {
        p.0
    }
}

impl<'de> serde::Deserialize<'de> for RelPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_release_paths() {
        for ok in [
            "kubernetes.tar.gz",
            "bin/linux/amd64/kubectl",
            "bin/windows/amd64/kubectl.exe",
            ".hidden",
            "a/..b/c..",
            "dir with space/ü",
        ] {
            assert!(RelPath::new(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_escapes_and_oddities() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            ".",
            "a//b",
            "a/",
            "a\\b",
            "a\nb",
            "a\0b",
            "C:x",
            "c:/windows",
        ] {
            assert!(RelPath::new(bad).is_err(), "{bad:?}");
        }
        assert!(RelPath::new("a".repeat(MAX_PATH_LEN + 1)).is_err());
    }

    #[test]
    fn joins_and_names() {
        let p = RelPath::new("bin/linux/amd64/kubectl").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.file_name(), "kubectl");
        assert_eq!(
            p.to_path(Path::new("/r")),
            Path::new("/r/bin/linux/amd64/kubectl")
        );
        let j: std::result::Result<RelPath, _> = serde_json::from_str("\"../x\"");
        assert!(j.is_err());
    }
}
