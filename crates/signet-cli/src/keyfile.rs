//! Writing key files the CLI creates (`generate-key-pair`, the development issuer's key).

use anyhow::{Context, Result};

/// Creates `path` (it must not exist yet) with `data`, mode 0600 when `private`, and syncs it.
pub(crate) fn write_new(path: &std::path::Path, data: &[u8], private: bool) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        o.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = o
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    f.write_all(data)?;
    f.sync_all()?;
    Ok(())
}
