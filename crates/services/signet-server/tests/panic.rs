//! A panicking handler behind [`signet_server::catch_panics`] gets a JSON 500, the panic is
//! logged once through `tracing` (by [`signet_server::log_panics`]), and the server goes on
//! answering. Its own test binary: it installs a process-wide panic hook and subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;

/// Log lines written by the global subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_gets_a_json_500_and_the_server_keeps_serving() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    signet_server::log_panics();

    let app = Router::new()
        .route(
            "/boom",
            get(|| async {
                #[allow(clippy::panic)]
                if true {
                    panic!("deliberate handler panic 4711");
                }
                "unreachable"
            }),
        )
        .route("/ok", get(|| async { "fine" }));
    let app = signet_server::catch_panics(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for _ in 0..2 {
        let r = client.get(format!("{url}/boom")).send().await.unwrap();
        assert_eq!(r.status(), 500);
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "application/json"
        );
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            body,
            serde_json::json!({"code": 500, "message": "internal error"})
        );
        let r = client.get(format!("{url}/ok")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "fine");
    }
    server.abort();

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("deliberate handler panic 4711"))
        .collect();
    assert_eq!(lines.len(), 2, "one line per panic: {text}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("ERROR") && l.contains("tests/panic.rs:")),
        "{text}"
    );
    assert!(!text.contains("stack backtrace"), "{text}");
}
