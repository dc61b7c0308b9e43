//! Reading the artifact argument: a path, or `sha256:<hex>`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use signet_crypto::Sha256Stream;
use signet_types::Sha256Hash;

/// Digest algorithms recognised (and refused with a clear error) in the artifact argument.
const OTHER_DIGESTS: &[&str] = &[
    "sha1", "sha224", "sha384", "sha512", "sha3-256", "sha3-384", "sha3-512",
];

/// The artifact named on the command line.
pub enum ArtifactArg {
    /// A file on disk.
    File(std::path::PathBuf),
    /// A digest given directly.
    Digest(Sha256Hash),
}

impl ArtifactArg {
    /// `sha256:<64 hex>` is a digest unless a file of that name exists.
    pub fn parse(arg: &str) -> Result<Self> {
        if let Some(hex) = arg.strip_prefix("sha256:")
            && !Path::new(arg).exists()
        {
            let d = Sha256Hash::from_hex(hex)
                .with_context(|| format!("{arg:?} is not a sha256:<64 hex digits> digest"))?;
            return Ok(Self::Digest(d));
        }
        // Other digest forms would otherwise fail as "cannot open artifact sha512:...".
        if let Some((alg, hex)) = arg.split_once(':')
            && OTHER_DIGESTS.contains(&alg.to_ascii_lowercase().as_str())
            && !hex.is_empty()
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
            && !Path::new(arg).exists()
        {
            bail!(
                "{alg} digests are not supported as the artifact argument: give the artifact \
                 file, or its sha256:<64 hex digits> digest"
            );
        }
        Ok(Self::File(arg.into()))
    }
}

/// Streams a file through SHA-256 with a large buffer (no full read into memory).
pub fn sha256_file(path: &Path) -> Result<Sha256Hash> {
    let mut f =
        File::open(path).with_context(|| format!("cannot open artifact {}", path.display()))?;
    let mut hasher = Sha256Stream::new();
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
    Ok(hasher.finish())
}
