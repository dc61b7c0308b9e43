//! Helpers the log's integration tests share.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use signet_crypto::SigningKey;
use signet_log::{Backend, LogConfig, LogError, PgDatabase, Store, SystemClock, TransparencyLog};

/// A PostgreSQL backend on a new database of the test binary's throwaway cluster. Logs are
/// named by their directory's full path (each test has its own temporary directory).
pub async fn postgres() -> Backend {
    let url = signet_testkit::postgres::database();
    Backend::Postgres {
        db: PgDatabase::connect(&url).await.unwrap(),
        root: "/".into(),
    }
}

/// Runs each named `async fn(Backend)` as two tests, `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(signet_log::Backend::Embedded).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::common::postgres().await).await
            }
        }
    )*};
}

/// Opens (or creates) the log in `dir` (its store in `backend`) as `config` says, on the
/// system clock.
pub async fn open_in(
    backend: &Backend,
    dir: &Path,
    config: LogConfig,
) -> Result<TransparencyLog<Store>, LogError> {
    let store = backend.open(dir).await?;
    TransparencyLog::open(store, dir, config, Arc::new(SystemClock)).await
}

/// Opens (or creates) the embedded log in `dir` as `config` says, on the system clock.
pub async fn open_with(dir: &Path, config: LogConfig) -> Result<TransparencyLog<Store>, LogError> {
    open_in(&Backend::Embedded, dir, config).await
}

/// Closes the log: its sequencer ends and the store is released.
pub async fn close(log: TransparencyLog<Store>) {
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
