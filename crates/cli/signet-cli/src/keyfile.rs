//! Key files of the CLI: writing the ones it creates (`generate-key-pair`, the development
//! issuer's key, TUF keys) and reading a managed signing key a user names (`--key`).

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

/// A managed signing key a user names (`sign-blob --key`, `tuf sign --key`): PKCS#8 PEM, as
/// `signet generate-key-pair` writes it.
pub(crate) fn read_signing_key(path: &std::path::Path) -> Result<signet_crypto::SigningKey> {
    let pem = signet_crypto::read_capped_string(path, crate::input::PRIVATE_KEY)?;
    signet_crypto::SigningKey::from_pkcs8_pem(&pem)
        .with_context(|| format!("invalid private key {}", path.display()))
}
