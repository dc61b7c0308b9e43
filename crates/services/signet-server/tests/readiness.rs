//! `/readyz` over HTTP reflects a log's sequencer: ready while it runs (and the log's store
//! takes a write and its key signs), 503 naming the failed checks, with why, once the
//! sequencer has stopped; `/healthz` stays 200.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use signet_server::observe::Readiness;
use signet_testkit::log_trees::open_tree;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_once_a_sequencer_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(open_tree(dir.path(), 0).await);
    let weak = Arc::downgrade(&log);
    let ready = Readiness::new()
        .sequencer("transparency log sequencer", log.sequencer_stopped())
        .check("transparency log store and key", move || {
            let log = weak.upgrade();
            async move {
                match log {
                    Some(l) => l.log().probe().await.map_err(|e| e.to_string()),
                    None => Err("the log is closed".to_string()),
                }
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(signet_server::serve(
        listener,
        ready.router(),
        signet_server::Limits::default(),
        None,
        async {
            let _ = stopped.await;
        },
    ));
    let get = |path: &'static str| {
        let url = url.clone();
        async move {
            let r = reqwest::get(format!("{url}{path}")).await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };

    assert_eq!(
        get("/readyz").await,
        (200, serde_json::json!({"status": "ready"}))
    );

    // The log closes: its sequencer, the only writer, ends.
    drop(log);
    let deadline = Instant::now() + Duration::from_secs(5);
    let body = loop {
        let (status, body) = get("/readyz").await;
        if status == 503 {
            break body;
        }
        assert_eq!(status, 200, "{body}");
        assert!(
            Instant::now() < deadline,
            "still ready after the sequencer stopped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(body["status"], "not ready", "{body}");
    let why = body["failed"]["transparency log sequencer"]
        .as_str()
        .unwrap();
    assert!(why.starts_with("sequencer stopped: "), "{why}");
    assert_eq!(
        body["failed"]["transparency log store and key"], "the log is closed",
        "{body}"
    );
    assert_eq!(get("/healthz").await.0, 200);

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
