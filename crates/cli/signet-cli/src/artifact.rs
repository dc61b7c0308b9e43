//! Reading the artifact argument: a path, or `sha256:` / `sha384:` / `sha512:<hex>`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use signet_crypto::{DigestStream, HashAlgorithm};
use signet_types::Sha256Hash;
use signet_verify::ArtifactDigest;

/// Digest algorithms recognised in the artifact argument but refused with a clear error.
const OTHER_DIGESTS: &[&str] = &["sha1", "sha224", "sha3-256", "sha3-384", "sha3-512"];

/// The artifact named on the command line.
pub enum ArtifactArg {
    /// A file on disk.
    File(std::path::PathBuf),
    /// A digest given directly.
    Digest(ArtifactDigest),
}

impl ArtifactArg {
    /// `<alg>:<hex>` (sha256, sha384, sha512) is a digest unless a file of that name exists.
    pub fn parse(arg: &str) -> Result<Self> {
        let Some((alg, hex)) = arg.split_once(':') else {
            return Ok(Self::File(arg.into()));
        };
        if Path::new(arg).exists() {
            return Ok(Self::File(arg.into()));
        }
        if HashAlgorithm::from_name(alg).is_some() {
            return ArtifactDigest::parse(arg)
                .map(Self::Digest)
                .map_err(|e| anyhow!(e));
        }
        // Other digest forms would otherwise fail as "cannot open artifact sha1:...".
        if OTHER_DIGESTS.contains(&alg.to_ascii_lowercase().as_str())
            && !hex.is_empty()
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            bail!(
                "{alg} digests are not supported as the artifact argument: give the artifact \
                 file, or its sha256:, sha384: or sha512:<hex> digest"
            );
        }
        Ok(Self::File(arg.into()))
    }

    /// The digests of the artifact: a file is read once through every algorithm in
    /// `algorithms`; a digest given directly is the one digest there is.
    pub fn digests(&self, algorithms: &[HashAlgorithm]) -> Result<Vec<ArtifactDigest>> {
        match self {
            Self::File(p) => digest_file(p, algorithms),
            Self::Digest(d) => Ok(vec![d.clone()]),
        }
    }
}

/// The SHA-256 among `digests` of the artifact (`why` says what needs it).
pub fn sha256_of(digests: &[ArtifactDigest], why: &str) -> Result<Sha256Hash> {
    digests
        .iter()
        .find_map(ArtifactDigest::sha256)
        .ok_or_else(|| {
            anyhow!(
                "{why} needs the artifact's SHA-256: give the artifact file or its \
             sha256:<hex> digest, not {}",
                digests
                    .first()
                    .map(|d| d.algorithm().name())
                    .unwrap_or("no digest")
            )
        })
}

/// Streams a file through SHA-256 with a large buffer (no full read into memory).
pub fn sha256_file(path: &Path) -> Result<Sha256Hash> {
    let digests = digest_file(path, &[HashAlgorithm::Sha256])?;
    digests
        .iter()
        .find_map(ArtifactDigest::sha256)
        .context("SHA-256 missing from the computed digests")
}

/// Streams a file once, with a large buffer, through every algorithm in `algorithms`.
pub fn digest_file(path: &Path, algorithms: &[HashAlgorithm]) -> Result<Vec<ArtifactDigest>> {
    let mut f =
        File::open(path).with_context(|| format!("cannot open artifact {}", path.display()))?;
    let mut hasher = DigestStream::new(algorithms);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(
            buf.get(..n)
                .context("read more bytes than the buffer holds")?,
        );
    }
    hasher
        .finish()
        .into_iter()
        .map(|(a, v)| ArtifactDigest::new(a, v).context("digest of the wrong length"))
        .collect()
}
