//! Helpers the log's integration tests share.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use signet_crypto::SigningKey;
use signet_log::{LogConfig, LogError, SqliteStore, SystemClock, TransparencyLog};

/// Opens (or creates) the log in `dir` as `config` says, on the system clock.
pub async fn open_with(
    dir: &Path,
    config: LogConfig,
) -> Result<TransparencyLog<SqliteStore>, LogError> {
    let store = SqliteStore::open(dir).await?;
    TransparencyLog::open(store, dir, config, Arc::new(SystemClock)).await
}

/// Closes the log: its sequencer ends and the store is released.
pub async fn close(log: TransparencyLog<SqliteStore>) {
    let stopped = log.sequencer_stopped();
    drop(log);
    tokio::time::timeout(Duration::from_secs(5), stopped)
        .await
        .unwrap();
}

/// A hashedrekord proposal of `data` signed by `key` (a new signature each call: ECDSA).
pub fn proposal(key: &SigningKey, data: &str) -> Vec<u8> {
    let sig = key.sign(data.as_bytes()).unwrap();
    let p = signet_rekor::proposed_hashedrekord(
        &sig,
        &key.public_key().to_pem(),
        &signet_crypto::sha256(data.as_bytes()).to_hex(),
    );
    serde_json::to_vec(&p).unwrap()
}
