//! Image references and manifest digests.

use core::fmt;

use signet_types::Sha256Hash;

use crate::OciError;

/// A manifest (or index) digest: `sha256:<64 lowercase hex>`, the only algorithm signet signs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageDigest(Sha256Hash);

impl ImageDigest {
    /// Parses `sha256:<64 lowercase hex>`.
    pub fn parse(s: &str) -> Result<Self, OciError> {
        let hex = s
            .strip_prefix("sha256:")
            .filter(|h| h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .ok_or_else(|| OciError::Digest(s.to_string()))?;
        Sha256Hash::from_hex(hex)
            .map(Self)
            .map_err(|_| OciError::Digest(s.to_string()))
    }

    /// The digest a descriptor names (refused unless it is `sha256:<64 lowercase hex>`).
    pub fn of_descriptor(d: &crate::Descriptor) -> Result<Self, OciError> {
        Self::parse(d.digest().as_ref())
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
        // SHA-256 output is always 32 bytes.
        Self(Sha256Hash::from_slice(d.as_ref()).unwrap_or(Sha256Hash([0; 32])))
    }

    /// From a SHA-256 value.
    pub fn from_hash(h: Sha256Hash) -> Self {
        Self(h)
    }

    /// The SHA-256 value.
    pub fn hash(&self) -> &Sha256Hash {
        &self.0
    }

    /// The 64 hex digits.
    pub fn hex(&self) -> String {
        self.0.to_hex()
    }
}

impl fmt::Display for ImageDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.0.to_hex())
    }
}

impl fmt::Debug for ImageDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A container image reference: `registry/repository[:tag][@sha256:…]`, parsed with the
/// distribution reference grammar (`busybox` is `index.docker.io/library/busybox:latest`).
///
/// The grammar is checked by hand rather than with oci-spec's `Reference`: that one compiles a
/// large Unicode regular expression on first use, which took about a third of a whole
/// `signet verify` of an image on loopback (measured with perf).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<ImageDigest>,
}

/// Longest `registry/repository` name, as the distribution spec lets clients limit it.
const NAME_MAX: usize = 255;

/// Docker Hub: references without a registry, and its spellings.
const DOCKER_HUB: &str = "index.docker.io";

impl ImageRef {
    /// Parses a reference. A reference with neither tag nor digest means tag `latest`.
    pub fn parse(s: &str) -> Result<Self, OciError> {
        let bad = |why: &str| OciError::Reference(s.to_string(), why.to_string());
        let (rest, digest) = match s.split_once('@') {
            Some((name, d)) => (name, Some(ImageDigest::parse(d)?)),
            None => (s, None),
        };
        // A tag is after the last ':' that follows the last '/' (a registry port comes before).
        let (name, tag) = match rest.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
            _ => (rest, None),
        };
        if tag.is_some_and(|t| !valid_tag(t)) {
            return Err(bad("invalid tag"));
        }
        // The first component is a registry when it has a '.' or a ':', is `localhost`, or has
        // an uppercase letter (which a repository path cannot have): Docker's rule.
        let (registry, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.bytes().any(|b| b.is_ascii_uppercase()) =>
            {
                if !valid_registry(first) {
                    return Err(bad("invalid registry host"));
                }
                (first, path.to_string())
            }
            _ => (DOCKER_HUB, name.to_string()),
        };
        let registry = if registry == "docker.io" || registry == DOCKER_HUB {
            DOCKER_HUB
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        // The limit is on `registry/repository` as normalized (so what parses renders within
        // it: found by fuzzing).
        if registry
            .len()
            .saturating_add(1)
            .saturating_add(repository.len())
            > NAME_MAX
        {
            return Err(bad("repository name is longer than 255 characters"));
        }
        if !repository.split('/').all(valid_path_component) {
            return Err(bad(
                "invalid repository name (lowercase letters, digits and separators . _ __ -)",
            ));
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, Some(_)) => None,
            (None, None) => Some("latest".to_string()),
        };
        Ok(Self {
            registry: registry.to_string(),
            repository,
            tag,
            digest,
        })
    }

    /// The registry host (and port), Docker Hub as `index.docker.io`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path within the registry.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if the reference has one.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if the reference has one.
    pub fn digest(&self) -> Option<&ImageDigest> {
        self.digest.as_ref()
    }

    /// `registry/repository`: cosign's `docker-reference` and the in-toto subject name.
    pub fn repo_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The same repository at `digest` (no tag).
    pub fn at_digest(&self, digest: ImageDigest) -> Self {
        Self {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: None,
            digest: Some(digest),
        }
    }

    /// The same repository at `tag` (no digest).
    pub fn at_tag(&self, tag: &str) -> Self {
        Self {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: Some(tag.to_string()),
            digest: None,
        }
    }

    /// What to ask the registry for: the digest if there is one, else the tag.
    pub fn reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_string(),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn valid_tag(t: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut bytes = t.bytes();
    t.len() <= 128
        && bytes.next().is_some_and(word)
        && bytes.all(|b| word(b) || b == b'.' || b == b'-')
}

/// `host[:port]`: dot-separated labels `[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?`, or a bracketed
/// IPv6 address; a port of digits.
fn valid_registry(r: &str) -> bool {
    let (host, port) = match r.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') && !r.ends_with(']') => (h, Some(p)),
        _ => (r, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !v6.is_empty()
            && v6
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
    };
    port_ok && host_ok
}

/// A path component: `[a-z0-9]+` runs joined by one separator (`.`, `_`, `__` or any number of
/// `-`).
fn valid_path_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = c.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    // Between two alphanumeric runs: ".", "_", "__" or "-"+.
    let mut sep = String::new();
    for &b in bytes {
        if alnum(b) {
            if !(sep.is_empty()
                || sep == "."
                || sep == "_"
                || sep == "__"
                || sep.bytes().all(|s| s == b'-'))
            {
                return false;
            }
            sep.clear();
        } else if matches!(b, b'.' | b'_' | b'-') {
            sep.push(char::from(b));
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let r = ImageRef::parse("127.0.0.1:5056/k8s/kube-apiserver-amd64:v1.31.0").unwrap();
        assert_eq!(r.registry(), "127.0.0.1:5056");
        assert_eq!(r.repository(), "k8s/kube-apiserver-amd64");
        assert_eq!(r.tag(), Some("v1.31.0"));
        assert_eq!(r.repo_name(), "127.0.0.1:5056/k8s/kube-apiserver-amd64");
        let hub = ImageRef::parse("busybox").unwrap();
        assert_eq!(hub.repo_name(), "index.docker.io/library/busybox");
        assert_eq!(hub.tag(), Some("latest"));
        let d = "sha256:2f0249ebb962c1281b791aafe68ec39caa2751eecad1c6a5042cbdc43548d764";
        let r = ImageRef::parse(&format!("localhost:5000/demo@{d}")).unwrap();
        assert_eq!(r.digest().unwrap().to_string(), d);
        assert_eq!(r.reference(), d);
        assert_eq!(r.to_string(), format!("localhost:5000/demo@{d}"));
        assert!(ImageRef::parse("no spaces/allowed").is_err());
        // Round trips: what parses renders to a reference that parses to the same value.
        // Within 255 characters once Docker Hub's name is written out.
        let fits = "a/".repeat(119) + "b"; // index.docker.io/ + 239 = 255
        assert_eq!(ImageRef::parse(&fits).unwrap().repo_name().len(), 255);
        assert!(ImageRef::parse(&("a/".repeat(120) + "b")).is_err());
        // An uppercase first component is a registry host (Docker's rule), and renders back.
        assert_eq!(ImageRef::parse("logIDbu/yy").unwrap().registry(), "logIDbu");
        for bad in [
            "",
            ":tag",
            "repo:",
            "repo:-x",
            "Repo",
            "a//b",
            "a/-b",
            "a/b-",
            "a..b",
            "a___b",
            "reg.example:/x",
            "reg.example:99999999/x",
            "-reg.example/x",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} parsed");
        }
        for (input, registry, repository, tag) in [
            (
                "docker.io/busybox",
                "index.docker.io",
                "library/busybox",
                "latest",
            ),
            (
                "index.docker.io/org/app:1.0",
                "index.docker.io",
                "org/app",
                "1.0",
            ),
            ("localhost/app", "localhost", "app", "latest"),
            (
                "localhost:5000/a/b_c__d-e--f.g:V1_x.y-z",
                "localhost:5000",
                "a/b_c__d-e--f.g",
                "V1_x.y-z",
            ),
            ("[::1]:5000/app:t", "[::1]:5000", "app", "t"),
            (
                "registry.k8s.io/kube-apiserver-amd64:v1.36.0",
                "registry.k8s.io",
                "kube-apiserver-amd64",
                "v1.36.0",
            ),
        ] {
            let r = ImageRef::parse(input).unwrap();
            assert_eq!(
                (r.registry(), r.repository(), r.tag()),
                (registry, repository, Some(tag)),
                "{input}"
            );
        }
        for s in [
            "logIDbu/yy",
            "busybox",
            "library/busybox:1",
            "a.b:5000/x/y@sha256:2f0249ebb962c1281b791aafe68ec39caa2751eecad1c6a5042cbdc43548d764",
        ] {
            let r = ImageRef::parse(s).unwrap();
            assert_eq!(ImageRef::parse(&r.to_string()).unwrap(), r);
        }
        assert!(ImageRef::parse("repo@sha256:abc").is_err());
        assert!(ImageDigest::parse("sha256:ABC").is_err());
        assert!(ImageDigest::parse(&d.to_uppercase()).is_err());
        assert_eq!(
            ImageDigest::of(b"{}").to_string(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }
}
