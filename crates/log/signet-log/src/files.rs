//! The log's files beside its store: its private key and the latest signed checkpoint, which
//! together let a lost, truncated, replaced or forked store be noticed at start-up.

use std::path::Path;

use signet_crypto::SigningKey;
use signet_types::TreeSize;
use signet_types::limits::{self, FileLimit};
use tokio::sync::watch;

use crate::LogError;
use crate::tree::{HashSource, with_tree};

pub(crate) fn load_or_create_key(path: &Path) -> Result<SigningKey, LogError> {
    if path.exists() {
        let der = signet_crypto::read_private_key_file(path)
            .map_err(|e| LogError::Refused(e.to_string()))?;
        return SigningKey::from_pkcs8_der(&der)
            .map_err(|e| LogError::Internal(format!("log key {}: {e}", path.display())));
    }
    let key = SigningKey::generate_p256().map_err(|e| LogError::Internal(e.to_string()))?;
    let der = key
        .to_pkcs8_der()
        .map_err(|e| LogError::Internal(e.to_string()))?;
    write_private(path, &der).map_err(|e| LogError::Storage(format!("{}: {e}", path.display())))?;
    Ok(key)
}

/// The latest signed checkpoint, kept outside the store (written after each durable commit) so
/// that a lost, truncated or replaced database is noticed at the next start.
pub const CHECKPOINT_FILE: &str = "checkpoint";
/// The most bytes read of [`CHECKPOINT_FILE`]: a signed note's own limit.
pub const CHECKPOINT_FILE_LIMIT: FileLimit =
    FileLimit::from_usize("checkpoint", limits::MAX_NOTE_BYTES);
/// The log's private key in its data directory.
pub const KEY_FILE: &str = "log.key";
/// Store metadata: SHA-256 of the DER public key the log was created with.
pub(crate) const META_KEY_ID: &str = "key_id";
/// Store metadata: the global index of the tree's leaf 0 (see `LogConfig::index_offset`).
pub(crate) const META_INDEX_OFFSET: &str = "index_offset";

/// Reads the recorded checkpoint, if there is one.
pub(crate) fn read_recorded(path: &Path) -> Result<Option<String>, LogError> {
    match signet_crypto::read_capped_string(path, CHECKPOINT_FILE_LIMIT) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(LogError::Refused(e.to_string())),
    }
}

/// Writes each new checkpoint to `path` (the latest wins; one small file per batch commit, off
/// the sequencer's path). A value is sent only once its tree is durable, so the file is never
/// ahead of the store.
pub(crate) async fn record_checkpoints(path: std::path::PathBuf, mut rx: watch::Receiver<String>) {
    while rx.changed().await.is_ok() {
        let text = rx.borrow_and_update().clone();
        let p = path.clone();
        match tokio::task::spawn_blocking(move || write_private(&p, text.as_bytes())).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("recording the checkpoint in {}: {e}", path.display()),
            Err(e) => tracing::error!("recording the checkpoint in {}: {e}", path.display()),
        }
    }
}

/// Writes a secret file with mode 0600, atomically (temp file + rename).
pub(crate) fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    signet_crypto::write_private_key_file(path, data)
}

/// Refuses a store that does not hold the tree of the recorded checkpoint: the checkpoint must
/// verify with the log's key, name this tree, and the store must hold at least its size with the
/// same root at that size.
pub(crate) async fn check_recorded<H: HashSource>(
    text: &str,
    cp_path: &Path,
    key: &SigningKey,
    origin_suffix: &str,
    size: u64,
    hashes: &H,
) -> Result<(), LogError> {
    let refuse = |why: String| {
        LogError::Refused(format!(
            "{}: {why}. Restore the log's database (log.sqlite) and log.key from a backup",
            cp_path.display()
        ))
    };
    let verifier = signet_tlog::EcdsaNoteVerifier::any_name(key.public_key().clone());
    let cp = signet_tlog::verify_checkpoint(text, &[&verifier]).map_err(|e| {
        refuse(format!(
            "the recorded checkpoint does not verify with log.key ({e}); it is damaged or \
             log.key was replaced"
        ))
    })?;
    let cp = cp.checkpoint();
    if !cp.origin.ends_with(origin_suffix) {
        return Err(refuse(format!(
            "the recorded checkpoint is for log \"{}\", but the store holds \"...{origin_suffix}\"",
            cp.origin
        )));
    }
    let want = cp.size.0;
    if size < want {
        return Err(refuse(format!(
            "the store holds {size} entries but the recorded checkpoint has {want}: \
             acknowledged entries are missing"
        )));
    }
    let root = with_tree(hashes, |t| t.root(TreeSize(want))).await?;
    if root != cp.root_hash {
        return Err(refuse(format!(
            "the store's root at size {want} differs from the recorded checkpoint's: the \
             store holds a different tree (a fork)"
        )));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_checkpoint_file_is_refused_naming_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(CHECKPOINT_FILE);
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(CHECKPOINT_FILE_LIMIT.max_bytes + 1).unwrap();
        let e = read_recorded(&p).unwrap_err().to_string();
        let expected = format!(
            "checkpoint {}: larger than the checkpoint limit of 1 MiB",
            p.display()
        );
        assert!(e.ends_with(&expected), "{e}");
        f.set_len(CHECKPOINT_FILE_LIMIT.max_bytes).unwrap();
        assert!(read_recorded(&p).unwrap().is_some());
        assert_eq!(read_recorded(&dir.path().join("none")).unwrap(), None);
    }
}
