//! Signing through a real signet Rekor v2 log (rekor-tiles' write API) behind a flaky front:
//! message signatures and DSSE envelopes are logged as 0.0.2 entries and their answers verified
//! against the trusted v2 log; transient failures are retried (bounded); a duplicate (`409`)
//! is answered with the entry at the index the log gave, proved from its tiles, and a log that
//! gives a wrong index is caught.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use signet_client::RekorClient;
use signet_crypto::SigningKey;
use signet_log::{RekorV2Log, SystemClock};
use signet_sign::{
    LogUpload, LogUploaderV2, NoTimestamps, RetryPolicy, SignError, Signer, sign_dsse, sign_message,
};
use signet_trust::{TimeRange, TransparencyLog, TrustedKey};

/// A v2 log whose first `fail` submissions answer `503`; returns its URL, the trusted root's
/// entry for it and the count of submissions that reached the front.
async fn flaky_v2_log(
    fail: u32,
    dir: &std::path::Path,
) -> (String, TransparencyLog, Arc<AtomicU32>) {
    fronted_v2_log(dir, move |n| {
        (n < fail).then(|| (StatusCode::SERVICE_UNAVAILABLE, "try later").into_response())
    })
    .await
}

/// A v2 log behind a front that answers submission `n` (from 0) itself when `front(n)` gives an
/// answer.
async fn fronted_v2_log(
    dir: &std::path::Path,
    front: impl Fn(u32) -> Option<axum::response::Response> + Clone + Send + Sync + 'static,
) -> (String, TransparencyLog, Arc<AtomicU32>) {
    let log = RekorV2Log::open_dir(dir, "127.0.0.1", Arc::new(SystemClock))
        .await
        .unwrap();
    let key = log.log().key().signing_key().public_key().clone();
    let posts = Arc::new(AtomicU32::new(0));
    let seen = posts.clone();
    let app = signet_server::rekor_v2_router(Arc::new(log)).layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let seen = seen.clone();
            let front = front.clone();
            async move {
                if req.method() == axum::http::Method::POST
                    && req.uri().path() == "/api/v2/log/entries"
                {
                    let n = seen.fetch_add(1, Ordering::SeqCst);
                    if let Some(answer) = front(n) {
                        return answer;
                    }
                }
                next.run(req).await
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let trusted = TransparencyLog {
        base_url: url.clone(),
        log_id: key.key_id().as_bytes().to_vec(),
        key: TrustedKey::Usable(key),
        key_details: "PKIX_ECDSA_P256_SHA_256".into(),
        valid_for: TimeRange::ALWAYS,
    };
    (url, trusted, posts)
}

/// The canonical body of a bundle's (first) log entry.
fn e_body(bundle: &signet_bundle::BundleJson) -> String {
    bundle.verification_material.as_ref().unwrap().tlog_entries[0]
        .canonicalized_body
        .clone()
}

fn fast(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(10),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_and_envelopes_are_logged_through_v2_and_verified() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let dir = tempfile::tempdir().unwrap();
        let (url, trusted, posts) = flaky_v2_log(2, dir.path()).await;
        let log = LogUploaderV2::new(RekorClient::new(&url).unwrap(), trusted, fast(3));
        assert!(log.needs_timestamps());
        let signer = Signer::managed(SigningKey::generate_p256().unwrap());
        let digest = signet_crypto::sha256(b"artifact");
        let signed = sign_message(&signer, &log, &NoTimestamps, &digest, "the artifact")
            .await
            .unwrap();
        assert_eq!(posts.load(Ordering::SeqCst), 3, "two 503s, then the entry");
        assert_eq!(signed.entry.log_index, 0);
        let e = &signed
            .bundle
            .verification_material
            .as_ref()
            .unwrap()
            .tlog_entries[0];
        assert_eq!(
            (
                e.kind_version.kind.as_str(),
                e.kind_version.version.as_str()
            ),
            ("hashedrekord", "0.0.2")
        );
        assert!(e.inclusion_promise.is_none());
        let parsed = signet_bundle::Bundle::from_wire(&signed.bundle).unwrap();
        assert!(parsed.tlog_entries[0].integrated_time.is_none());

        let dsse = sign_dsse(
            &signer,
            &log,
            &NoTimestamps,
            signet_types::dsse::IN_TOTO_PAYLOAD_TYPE,
            br#"{"_type":"https://in-toto.io/Statement/v1"}"#,
            "the provenance",
        )
        .await
        .unwrap();
        assert_eq!(dsse.entry.log_index, 1);
        let e = &dsse
            .bundle
            .verification_material
            .as_ref()
            .unwrap()
            .tlog_entries[0];
        assert_eq!(
            (
                e.kind_version.kind.as_str(),
                e.kind_version.version.as_str()
            ),
            ("dsse", "0.0.2")
        );

        // The same signature again (a re-run, or a retried submission the log stored): the
        // log answers 409 with the index; the signer reads the entry's proof from the log's
        // tiles at its current checkpoint and checks it like an answer.
        let again = log
            .log_message(&signer, &digest, &signed.signature, "the artifact")
            .await
            .unwrap();
        assert_eq!(again.log_index, 0);
        assert_eq!(again.uuid, signed.entry.uuid);
        let proof = again.tlog_entry.inclusion_proof.as_ref().unwrap();
        assert_eq!(
            proof.tree_size, 2,
            "proved against the log's newest checkpoint"
        );
        assert_eq!(again.tlog_entry.canonicalized_body, e_body(&signed.bundle));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_retries_are_bounded_and_a_wrong_trusted_key_is_refused() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let dir = tempfile::tempdir().unwrap();
        let (url, trusted, posts) = flaky_v2_log(5, dir.path()).await;
        let log = LogUploaderV2::new(RekorClient::new(&url).unwrap(), trusted.clone(), fast(3));
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
        assert_eq!(posts.load(Ordering::SeqCst), 3);

        // The log answers (posts 4 and 5 still fail, then it stores), but the trusted root
        // names another key for it: the answer is refused.
        let stranger = SigningKey::generate_p256().unwrap().public_key().clone();
        let wrong = TransparencyLog {
            log_id: stranger.key_id().as_bytes().to_vec(),
            key: TrustedKey::Usable(stranger),
            ..trusted
        };
        let log = LogUploaderV2::new(RekorClient::new(&url).unwrap(), wrong, fast(4));
        let err = sign_message(&signer, &log, &NoTimestamps, &digest, "the artifact")
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("log answer for the artifact"),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("is not the ID of the trusted log key"),
            "{err}"
        );
    })
    .await
    .unwrap();
}

/// A log that answers `409` naming an index that holds another entry, or one beyond its tree:
/// the proof read from its tiles does not lead from the submitted body at that index to the
/// signed root, and the signer refuses, saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_409_naming_the_wrong_index_is_refused() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let dir = tempfile::tempdir().unwrap();
        let (url, trusted, _) = fronted_v2_log(dir.path(), |n| {
            let index = match n {
                0 => return None,
                1 => "0",
                _ => "7",
            };
            Some((StatusCode::CONFLICT, [("x-log-index", index)], "{}").into_response())
        })
        .await;
        let log = LogUploaderV2::new(RekorClient::new(&url).unwrap(), trusted, fast(1));
        let signer = Signer::managed(SigningKey::generate_p256().unwrap());
        let first = signet_crypto::sha256(b"first");
        sign_message(&signer, &log, &NoTimestamps, &first, "the first")
            .await
            .unwrap();
        let second = signet_crypto::sha256(b"second");
        let err = sign_message(&signer, &log, &NoTimestamps, &second, "the second")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("already holds the second at index 0"), "{err}");
        assert!(err.contains("inclusion proof"), "{err}");
        let err = sign_message(&signer, &log, &NoTimestamps, &second, "the second")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("index 7"), "{err}");
        assert!(err.contains("beyond"), "{err}");
    })
    .await
    .unwrap();
}
