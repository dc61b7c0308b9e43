//! Log upload against a real signet log behind a flaky front: transient failures are retried
//! (bounded), a duplicate (`409`) is recovered by fetching the stored entry, and every answer
//! is verified against the submission.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use signet_client::{RekorClient, Submission};
use signet_crypto::SigningKey;
use signet_log::{LogConfig, SqliteStore, SystemClock, TransparencyLog};
use signet_sign::{LogUploader, NoTimestamps, RetryPolicy, SignError, Signer, sign_message};

/// A log whose first `fail` submissions answer `503`; returns its URL, its key and the count
/// of submissions that reached the front.
async fn flaky_log(
    fail: u32,
    dir: &std::path::Path,
) -> (String, signet_crypto::PublicKey, Arc<AtomicU32>) {
    let log = TransparencyLog::open(
        SqliteStore::open(&dir.join("db")).await.unwrap(),
        dir,
        LogConfig::new("test.local"),
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let key = log.public_key().clone();
    let posts = Arc::new(AtomicU32::new(0));
    let seen = posts.clone();
    let app = signet_server::rekor_router(Arc::new(signet_log::ShardedLog::single(log))).layer(
        axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let seen = seen.clone();
                async move {
                    if req.method() == axum::http::Method::POST
                        && req.uri().path() == "/api/v1/log/entries"
                    {
                        let n = seen.fetch_add(1, Ordering::SeqCst);
                        if n < fail {
                            return (StatusCode::SERVICE_UNAVAILABLE, "try later").into_response();
                        }
                    }
                    next.run(req).await
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, key, posts)
}

fn fast(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(10),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_and_a_duplicate_is_recovered() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let dir = tempfile::tempdir().unwrap();
        let (url, key, posts) = flaky_log(2, dir.path()).await;
        let log = LogUploader::new(RekorClient::new(&url).unwrap(), key, fast(3));
        let signer = Signer::managed(SigningKey::generate_p256().unwrap());
        let digest = signet_crypto::sha256(b"artifact");
        let signed = sign_message(&signer, &log, &NoTimestamps, &digest, "the artifact")
            .await
            .unwrap();
        assert_eq!(posts.load(Ordering::SeqCst), 3, "two 503s, then the entry");
        assert!(signet_bundle::Bundle::from_wire(&signed.bundle).is_ok());

        // The same entry again (a re-run after a crash): 409, and the stored entry is fetched
        // and verified against the submission.
        let proposed = signet_rekor::proposed_hashedrekord(
            &signed.signature,
            &signer.verifier_pem(),
            &digest.to_hex(),
        );
        let sub = Submission::new(proposed).unwrap();
        let again = log.upload(&sub, "the artifact").await.unwrap();
        assert_eq!(again.uuid, signed.entry.uuid);
        assert_eq!(posts.load(Ordering::SeqCst), 4);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_are_bounded() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let dir = tempfile::tempdir().unwrap();
        let (url, key, posts) = flaky_log(5, dir.path()).await;
        let log = LogUploader::new(RekorClient::new(&url).unwrap(), key, fast(3));
        let signer = Signer::managed(SigningKey::generate_p256().unwrap());
        let digest = signet_crypto::sha256(b"artifact");
        let err = sign_message(&signer, &log, &NoTimestamps, &digest, "the artifact")
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                SignError::Log {
                    source: signet_client::ClientError::Status { status: 503, .. },
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("logging the artifact"), "{err}");
        assert_eq!(posts.load(Ordering::SeqCst), 3);
    })
    .await
    .unwrap();
}
