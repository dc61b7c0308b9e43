//! `signet_client::http` against hostile loopback servers: the per-response limit (declared
//! `Content-Length` and bytes actually received, at the exact boundary), the read timeout,
//! and the redirect limit; and [`RekorClient`] keeps to the API limit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use signet_client::http::{self, HttpOptions, MAX_API_RESPONSE};
use signet_client::{ClientError, RekorClient};
use signet_testkit::hostile_http::{HostileServer, Reply};

/// Socket buffers and in-flight chunks beyond what the client read.
const SLACK: u64 = 16 << 20;

fn quick() -> HttpOptions {
    HttpOptions {
        read_timeout: Duration::from_millis(300),
        ..HttpOptions::default()
    }
}

#[tokio::test]
async fn the_limit_is_exact_and_checked_on_bytes_received() {
    const LIMIT: u64 = 100_000;
    let body = |n: u64| Reply::Body(vec![b'x'; usize::try_from(n).unwrap()]);
    let server = HostileServer::start(vec![
        ("/at", body(LIMIT)),
        ("/over", body(LIMIT + 1)),
        (
            "/endless",
            Reply::Endless {
                stop_after: 1 << 30,
            },
        ),
        ("/claims", Reply::Claims(1 << 40)),
    ])
    .await
    .unwrap();
    let u = |p: &str| format!("{}{p}", server.url);
    let opts = quick();
    assert_eq!(
        http::fetch(&u("/at"), LIMIT, &opts).await.unwrap().len() as u64,
        LIMIT
    );
    for path in ["/over", "/endless", "/claims"] {
        let started = Instant::now();
        match http::fetch(&u(path), LIMIT, &opts).await {
            Err(ClientError::TooLarge { url, limit }) => {
                assert_eq!((url, limit), (u(path), LIMIT));
            }
            other => panic!("{path}: {other:?}"),
        }
        // `/claims` sends only a few bytes after its Content-Length: refused without waiting.
        assert!(started.elapsed() < Duration::from_secs(2), "{path}");
    }
    assert!(server.sent() <= LIMIT + SLACK, "{}", server.sent());
}

#[tokio::test]
async fn a_silent_server_times_out_with_the_limits_named() {
    let server = HostileServer::start(vec![
        ("/silent", Reply::Silent),
        ("/stalls", Reply::Claims(10)),
    ])
    .await
    .unwrap();
    for path in ["/silent", "/stalls"] {
        let started = Instant::now();
        let err = http::fetch(&format!("{}{path}", server.url), 1000, &quick())
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
        assert!(err.to_string().contains("read 0.3 s idle"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3), "{path}");
    }
}

#[tokio::test]
async fn redirects_are_limited() {
    let server = HostileServer::start(vec![("/loop", Reply::Redirect("/loop".into()))])
        .await
        .unwrap();
    let err = http::fetch(&format!("{}/loop", server.url), 1000, &quick())
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("redirects"), "{err:?}");
}

/// Every RekorClient answer is read with the API limit.
#[tokio::test]
async fn the_rekor_client_stops_at_the_api_limit() {
    let server = HostileServer::start(vec![
        (
            "/api/v1/log",
            Reply::Endless {
                stop_after: 1 << 30,
            },
        ),
        (
            "/api/v1/log/publicKey",
            Reply::Endless {
                stop_after: 1 << 30,
            },
        ),
    ])
    .await
    .unwrap();
    let c = RekorClient::new(&server.url).unwrap();
    let info = c.log_info().await.unwrap_err();
    let key = c.public_key().await.unwrap_err();
    for err in [info, key] {
        assert!(
            err.to_string()
                .contains(&format!("limit of {MAX_API_RESPONSE} bytes")),
            "{err}"
        );
    }
    assert!(
        server.sent() <= 2 * (MAX_API_RESPONSE + SLACK),
        "{}",
        server.sent()
    );
}
