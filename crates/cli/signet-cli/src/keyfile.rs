//! Writing key files the CLI creates (`generate-key-pair`, the development issuer's key).

use anyhow::{Context, Result};

/// Creates `path` (it must not exist yet) with `data` and syncs it: private keys through the one
/// key-file writer (0600 from creation); public files with the default creation mode (0666 less
/// the umask).
pub(crate) fn write_new(path: &std::path::Path, data: &[u8], private: bool) -> Result<()> {
    let mode = if private {
        signet_crypto::PRIVATE_KEY_MODE
    } else {
        0o666
    };
    signet_crypto::create_new_file(path, data, mode)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))
}
