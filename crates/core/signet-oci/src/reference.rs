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
/// distribution reference grammar (oci-spec's `Reference`; `busybox` is
/// `index.docker.io/library/busybox`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<ImageDigest>,
}

impl ImageRef {
    /// Parses a reference. A reference with neither tag nor digest means tag `latest`.
    pub fn parse(s: &str) -> Result<Self, OciError> {
        let r: oci_spec::distribution::Reference =
            s.parse().map_err(|e: oci_spec::distribution::ParseError| {
                OciError::Reference(s.to_string(), e.to_string())
            })?;
        // The distribution grammar's repository path is lowercase; oci-spec lets an uppercase
        // first component through as part of a Docker Hub path (found by fuzzing).
        if !r
            .repository()
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b))
        {
            return Err(OciError::Reference(
                s.to_string(),
                "repository name must be lowercase".to_string(),
            ));
        }
        let digest = r.digest().map(ImageDigest::parse).transpose()?;
        let tag = match (r.tag(), &digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, Some(_)) => None,
            (None, None) => Some("latest".to_string()),
        };
        Ok(Self {
            registry: r.resolve_registry().to_string(),
            repository: r.repository().to_string(),
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
        assert!(ImageRef::parse("logIDbu/yy").is_err());
        for s in [
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
