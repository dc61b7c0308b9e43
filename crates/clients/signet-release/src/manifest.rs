//! `SHA256SUMS` in GNU coreutils format: `<64 hex>  <path>\n` per file, sorted by path (byte
//! order, as `LC_ALL=C sort`), paths relative to the release root.
//!
//! The parser is strict because the file is attacker-supplied when verifying a download:
//!
//! * at most [`MAX_MANIFEST_BYTES`] bytes and [`MAX_ENTRIES`] lines, UTF-8 only;
//! * each line is exactly `<64 hex digits><sep><path>` where `<sep>` is two spaces (text mode)
//!   or space-asterisk (binary mode, `sha256sum -b`); hex may be upper or lower case;
//! * paths must be valid [`RelPath`]s (no absolute paths, no `..`, no control characters); a
//!   leading `./` (as written by `find . | xargs sha256sum`) is stripped;
//! * duplicate paths, blank lines, CR characters, GNU backslash-escaped names and BSD
//!   `SHA256 (file) = ...` lines are rejected with the line number;
//! * the final newline is optional (Kubernetes publishes `SHA256SUMS` without one).
//!
//! Entries are returned sorted by path whatever the input order.

use std::collections::BTreeMap;

use crate::error::check_limit;
use crate::hash::Digested;
pub use crate::provenance::{CheckReport, DigestMismatch};
use crate::{RelPath, ReleaseError, Result};

/// Largest manifest accepted by [`parse`] (16 MiB: ~150k entries of ~110 bytes).
pub const MAX_MANIFEST_BYTES: usize = 16 << 20;
/// Most entries accepted by [`parse`].
pub const MAX_ENTRIES: usize = 1_000_000;

/// A parsed (or to-be-written) `SHA256SUMS`: path to SHA-256, sorted by path, unique.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    entries: BTreeMap<RelPath, [u8; 32]>,
}

impl Manifest {
    /// An empty manifest.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a manifest from hashed files; fails on invalid or duplicate paths.
    pub fn from_digests<D: Digested>(files: &[D]) -> Result<Self> {
        let mut m = Self::new();
        for f in files {
            m.insert(RelPath::new(f.path())?, *f.sha256())?;
        }
        Ok(m)
    }

    /// Adds an entry; fails if the path is already present.
    pub fn insert(&mut self, path: RelPath, sha256: [u8; 32]) -> Result<()> {
        if self.entries.contains_key(&path) {
            return Err(ReleaseError::Duplicate {
                path: path.into_string(),
            });
        }
        self.entries.insert(path, sha256);
        Ok(())
    }

    /// The SHA-256 recorded for `path`.
    pub fn get(&self, path: &str) -> Option<&[u8; 32]> {
        self.entries.get(path)
    }

    /// Entries sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&RelPath, &[u8; 32])> {
        self.entries.iter()
    }

    /// Paths sorted.
    pub fn paths(&self) -> Vec<String> {
        self.entries.keys().map(|p| p.as_str().to_owned()).collect()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Renders in GNU text mode: `<lowercase hex>  <path>\n` per entry, sorted by path.
    pub fn render(&self) -> String {
        // A capacity hint only: none if it would overflow.
        let mut s = String::with_capacity(self.entries.len().checked_mul(110).unwrap_or(0));
        for (path, digest) in &self.entries {
            s.push_str(&hex::encode(digest));
            s.push_str("  ");
            s.push_str(path.as_str());
            s.push('\n');
        }
        s
    }
}

impl Manifest {
    /// Compares the manifest with files hashed on disk: entries without a file are `missing`,
    /// files without an entry are `extra`, differing SHA-256s are `mismatched`. Fails only on
    /// duplicate file paths.
    pub fn check<D: Digested>(&self, files: &[D]) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        let mut seen = std::collections::HashSet::with_capacity(files.len());
        for f in files {
            if !seen.insert(f.path()) {
                return Err(ReleaseError::Duplicate {
                    path: f.path().to_owned(),
                });
            }
            match self.entries.get(f.path()) {
                None => report.extra.push(f.path().to_owned()),
                Some(want) if want == f.sha256() => {
                    report.matched = report.matched.saturating_add(1);
                }
                Some(want) => report.mismatched.push(DigestMismatch {
                    name: f.path().to_owned(),
                    algorithm: "sha256",
                    expected: hex::encode(want),
                    actual: hex::encode(f.sha256()),
                }),
            }
        }
        report.missing = self
            .entries
            .keys()
            .filter(|p| !seen.contains(p.as_str()))
            .map(|p| p.as_str().to_owned())
            .collect();
        report.extra.sort_unstable();
        report.mismatched.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(report)
    }
}

/// Renders `SHA256SUMS` for hashed files (see [`Manifest::render`]).
pub fn write<D: Digested>(files: &[D]) -> Result<String> {
    Ok(Manifest::from_digests(files)?.render())
}

/// Parses a `SHA256SUMS` file strictly (see the module docs).
pub fn parse(data: &[u8]) -> Result<Manifest> {
    check_limit("SHA256SUMS", data.len(), MAX_MANIFEST_BYTES)?;
    let text = std::str::from_utf8(data).map_err(|e| ReleaseError::Manifest {
        line: line_of(data, e.valid_up_to()),
        reason: "not UTF-8",
    })?;
    let mut m = Manifest::new();
    if text.is_empty() {
        return Ok(m);
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    // Counting from 1 stops at MAX_ENTRIES, long before the range could overflow.
    for (n, line) in (1usize..).zip(body.split('\n')) {
        check_limit("SHA256SUMS entries", n, MAX_ENTRIES)?;
        let (digest, path) =
            parse_line(line).map_err(|reason| ReleaseError::Manifest { line: n, reason })?;
        let path = RelPath::new(path).map_err(|e| match e {
            ReleaseError::InvalidPath { reason, .. } => ReleaseError::Manifest { line: n, reason },
            other => other,
        })?;
        if m.entries.contains_key(&path) {
            return Err(ReleaseError::Manifest {
                line: n,
                reason: "duplicate path",
            });
        }
        m.entries.insert(path, digest);
    }
    Ok(m)
}

fn parse_line(line: &str) -> std::result::Result<([u8; 32], &str), &'static str> {
    if line.is_empty() {
        return Err("blank line");
    }
    if line.contains('\r') {
        return Err("carriage return (CRLF line endings are not accepted)");
    }
    if line.starts_with('\\') {
        return Err("backslash-escaped file names are not supported");
    }
    if line.starts_with("SHA256 (") {
        return Err("BSD-style (tagged) lines are not supported");
    }
    let Some(hex_part) = line.get(..64) else {
        return Err(if line.len() < 64 {
            "line too short for a SHA-256 digest"
        } else {
            "digest is not 64 hexadecimal digits"
        });
    };
    let mut digest = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut digest)
        .map_err(|_| "digest is not 64 hexadecimal digits")?;
    let rest = line
        .get(64..)
        .ok_or("digest is not 64 hexadecimal digits")?;
    let path = rest
        .strip_prefix("  ")
        .or_else(|| rest.strip_prefix(" *"))
        .ok_or("expected two spaces or \" *\" after the digest")?;
    let path = path.strip_prefix("./").unwrap_or(path);
    if path.is_empty() {
        return Err("missing file name");
    }
    Ok((digest, path))
}

fn line_of(data: &[u8], offset: usize) -> usize {
    data.get(..offset)
        .map_or(0, |d| d.iter().filter(|&&b| b == b'\n').count())
        .saturating_add(1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::FileSha256;
    use crate::hash::sha256;

    const H_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn fs(path: &str, data: &[u8]) -> FileSha256 {
        FileSha256 {
            path: path.into(),
            size: data.len() as u64,
            sha256: sha256(data),
        }
    }

    #[test]
    fn writes_sorted_gnu_format() {
        let out = write(&[
            fs("kubernetes.tar.gz", b"abc"),
            fs("bin/linux/amd64/kubectl", b""),
        ])
        .unwrap();
        assert_eq!(
            out,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  bin/linux/amd64/kubectl\n\
             ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  kubernetes.tar.gz\n"
        );
        let m = parse(out.as_bytes()).unwrap();
        assert_eq!(m.render(), out);
        assert_eq!(m.len(), 2);
        assert_eq!(hex::encode(m.get("kubernetes.tar.gz").unwrap()), H_ABC);
    }

    #[test]
    fn write_rejects_duplicates_and_bad_paths() {
        assert!(write(&[fs("a", b""), fs("a", b"x")]).is_err());
        assert!(write(&[fs("../a", b"")]).is_err());
    }

    #[test]
    fn accepts_variants() {
        let upper = H_ABC.to_uppercase();
        let text = format!("{H_ABC} *b\n{upper}  ./a");
        let m = parse(text.as_bytes()).unwrap();
        assert_eq!(m.paths(), ["a", "b"]);
        assert_eq!(m.get("a"), m.get("b"));
        assert!(parse(b"").unwrap().is_empty());
        assert!(parse(b"\n").is_err());
        // A path may contain spaces and a literal '*' after the separator.
        let m = parse(format!("{H_ABC}  dir/my file *x").as_bytes()).unwrap();
        assert_eq!(m.paths(), ["dir/my file *x"]);
    }

    #[test]
    fn rejects_malicious_manifests() {
        let cases: Vec<(String, &str)> = vec![
            (format!("{H_ABC}  /etc/passwd\n"), "absolute"),
            (format!("{H_ABC}  ../../etc/passwd\n"), "'..'"),
            (format!("{H_ABC}  bin/../../x\n"), "'..'"),
            (format!("{H_ABC}  a\n{H_ABC}  a\n"), "duplicate"),
            (format!("{H_ABC}  a\n{H_ABC}  ./a\n"), "duplicate"),
            (format!("{}  a\n", &H_ABC[..63]), "hexadecimal"),
            (format!("{}g  a\n", &H_ABC[..63]), "hexadecimal"),
            (format!("{H_ABC}0  a\n"), "two spaces"),
            (format!("{H_ABC} a\n"), "two spaces"),
            (format!("{H_ABC}\ta\n"), "two spaces"),
            (format!("{H_ABC}  \n"), "missing"),
            (format!("{H_ABC}  ./\n"), "missing"),
            (format!("{H_ABC}  a\r\n"), "carriage"),
            (format!("{H_ABC}  a\n\n{H_ABC}  b\n"), "blank"),
            (format!("\\{H_ABC}  a\\nb\n"), "backslash"),
            (format!("SHA256 (a) = {H_ABC}\n"), "BSD"),
            (format!("{H_ABC}  a\\b\n"), "backslash"),
            (format!("{H_ABC}  a\u{7}b\n"), "control"),
            (format!("{H_ABC}  a//b\n"), "empty"),
            ("short  a\n".to_owned(), "short"),
            (format!("{}é  a\n", &H_ABC[..63]), "hexadecimal"),
            (format!("{H_ABC}  C:/x\n"), "drive"),
        ];
        for (text, want) in cases {
            let err = parse(text.as_bytes()).expect_err(&text).to_string();
            assert!(err.contains(want), "{text:?}: {err}");
            assert!(err.contains("line"), "{text:?}: {err}");
        }
        let err = parse(b"\xff\xfe").unwrap_err().to_string();
        assert!(err.contains("UTF-8"), "{err}");
        let big = vec![b'a'; MAX_MANIFEST_BYTES + 1];
        assert!(matches!(parse(&big), Err(ReleaseError::TooLarge { .. })));
    }

    #[test]
    fn check_against_disk() {
        let m = Manifest::from_digests(&[fs("a", b"1"), fs("b", b"2"), fs("c", b"3")]).unwrap();
        let r = m
            .check(&[fs("a", b"1"), fs("b", b"X"), fs("d", b"4")])
            .unwrap();
        assert_eq!(r.matched, 1);
        assert_eq!(r.missing, ["c"]);
        assert_eq!(r.extra, ["d"]);
        assert_eq!(r.mismatched.len(), 1);
        assert_eq!(r.mismatched[0].name, "b");
        assert_eq!(r.mismatched[0].expected, hex::encode(sha256(b"2")));
        assert!(!r.is_ok());
        assert!(
            m.check(&[fs("a", b"1"), fs("b", b"2"), fs("c", b"3")])
                .unwrap()
                .is_ok()
        );
        assert!(m.check(&[fs("a", b"1"), fs("a", b"1")]).is_err());
    }

    #[test]
    fn reports_line_numbers() {
        let text = format!("{H_ABC}  a\n{H_ABC}  b\n{H_ABC}  ../c\n");
        assert!(
            parse(text.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("line 3")
        );
    }
}
