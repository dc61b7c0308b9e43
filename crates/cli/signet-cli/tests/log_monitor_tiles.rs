//! `signet log monitor --tiles URL` (a tiled log: Rekor v2, C2SP tlog-tiles) on 127.0.0.1:
//! against a real `signet server --tlog-api v2 --dev-oidc` it catches up from entry 0, reports
//! exactly the watched identity signed through the v2 log, and on the next run only new
//! entries; against a forked v2 log (copies of one v2 log under the same key that grow apart,
//! each served by the real tiles router) it raises FORK, ROLLBACK and SPLIT VIEW alerts with a
//! non-zero exit; a checkpoint re-signed with an Ed25519 note key (as the public-good v2 logs
//! sign) verifies with that key; and a proxy serving malformed or oversize tiles is refused
//! with a clear error. Entries are read a whole entry bundle per request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use signet_crypto::{PublicKey, SigningKey};
use signet_testkit::log_trees::forked_v2_logs;

mod common;

use common::{events, output_text as text};

/// A v2 `CreateEntryRequest` (hashedrekord 0.0.2) of `data` signed by `key`, as bytes.
fn request(key: &SigningKey, data: &[u8]) -> Vec<u8> {
    common::v2_request(key, data).to_string().into_bytes()
}

/// `signet log monitor --once --tiles URL --state STATE EXTRA…` off the runtime.
async fn monitor(dir: &Path, url: &str, state: &Path, extra: &[&str]) -> Output {
    let mut a = vec![
        "log",
        "monitor",
        "--once",
        "--tiles",
        url,
        "--state",
        state.to_str().unwrap(),
    ];
    a.extend_from_slice(extra);
    common::signet_in_async(dir, &a).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiles_monitor_catches_up_and_reports_the_watched_identity() {
    tokio::time::timeout(Duration::from_secs(120), catch_up())
        .await
        .unwrap();
}

async fn catch_up() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let server = common::v2_server(&d, true);
    let v2 = format!("{}/rekor-v2", server.url);
    let tc = common::trust_config_with_tsa(&d, &server.url);
    let sign = |who: &'static str, name: &'static str| {
        let (d, tc) = (d.clone(), tc.clone());
        async move {
            let o = common::signet_in_async(&d, &["oidc", "token", "--subject", who]).await;
            assert!(o.status.success(), "{}", text(&o));
            let token = String::from_utf8(o.stdout).unwrap().trim().to_string();
            let art = d.join(name);
            std::fs::write(&art, name.as_bytes()).unwrap();
            let bundle = d.join(format!("{name}.sigstore.json"));
            let o = common::signet_in_async(
                &d,
                &[
                    "sign-blob",
                    art.to_str().unwrap(),
                    "--identity-token",
                    &token,
                    "--trust-config",
                    tc.to_str().unwrap(),
                    "--bundle",
                    bundle.to_str().unwrap(),
                ],
            )
            .await;
            assert!(o.status.success(), "{}", text(&o));
            let b: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
            let e = &b["verificationMaterial"]["tlogEntries"][0];
            assert_eq!(e["kindVersion"]["version"], "0.0.2", "{e}");
            e["logIndex"].as_str().unwrap().parse::<u64>().unwrap()
        }
    };
    // bob at 0; 299 entries of managed keys (the tree spans a full entry bundle and a partial
    // one); alice at 300, carol at 301.
    assert_eq!(sign("bob@example.com", "bob.txt").await, 0);
    let http = reqwest::Client::new();
    let key = SigningKey::generate_p256().unwrap();
    let mut posts = Vec::new();
    for i in 0..299u32 {
        let (http, body) = (http.clone(), request(&key, &i.to_be_bytes()));
        let url = format!("{v2}/api/v2/log/entries");
        posts.push(tokio::spawn(async move {
            let r = http.post(url).body(body).send().await.unwrap();
            assert_eq!(r.status(), 201);
        }));
    }
    for p in posts {
        p.await.unwrap();
    }
    let alice = sign("alice@example.com", "alice.txt").await;
    assert_eq!(alice, 300);
    assert_eq!(sign("carol@example.com", "carol.txt").await, 301);

    let root = d.join("trusted_root.json");
    let root = root.to_str().unwrap();
    let issuer = format!("{}/oidc", server.url);
    let state = d.join("tiles.state");
    let o = monitor(
        &d,
        &v2,
        &state,
        &["--trusted-root", root, "--identity", "alice@example.com"],
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    let m = events(&o, "match");
    assert_eq!(m.len(), 1, "{}", text(&o));
    assert_eq!(m[0]["logIndex"], 300);
    assert_eq!(m[0]["matched"][0]["type"], "identity");
    assert_eq!(m[0]["entry"]["kind"], "hashedrekord/0.0.2");
    assert_eq!(m[0]["entry"]["identities"][0], "alice@example.com");
    assert_eq!(m[0]["entry"]["issuers"][0], issuer.as_str());
    let cp = events(&o, "checkpoint");
    assert_eq!(cp.len(), 1, "{}", text(&o));
    assert_eq!(
        (cp[0]["previousSize"].as_u64(), cp[0]["treeSize"].as_u64()),
        (Some(0), Some(302))
    );
    assert_eq!(cp[0]["treeID"], serde_json::Value::Null);

    // Next run: only the two new entries are read; alice's new one is found (by identity and
    // issuer), dave's is not reported.
    let dave = sign("dave@example.com", "dave.txt").await;
    let again = sign("alice@example.com", "alice2.txt").await;
    assert_eq!((dave, again), (302, 303));
    let o = monitor(
        &d,
        &v2,
        &state,
        &[
            "--trusted-root",
            root,
            "--identity",
            "alice@example.com",
            "--issuer",
            "https://issuer.never.example",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    let m = events(&o, "match");
    assert_eq!(m.len(), 1, "{}", text(&o));
    assert_eq!(m[0]["logIndex"], 303);
    let cp = events(&o, "checkpoint");
    assert_eq!(
        (&cp[0]["previousSize"], &cp[0]["entriesRead"]),
        (&302.into(), &2.into()),
        "{}",
        text(&o)
    );
    // Nothing new: nothing read; the log compared with itself (a second vantage point) agrees.
    let o = monitor(
        &d,
        &v2,
        &state,
        &["--trusted-root", root, "--compare-url", &v2],
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(events(&o, "checkpoint")[0]["entriesRead"], 0);
    assert_eq!(events(&o, "compared")[0]["compareTreeSize"], 304);

    // The trusted root's key is the v2 log's (by baseUrl): a root without a log at that URL
    // is refused before anything is read.
    let mut other: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root).unwrap()).unwrap();
    other["tlogs"]
        .as_array_mut()
        .unwrap()
        .retain(|t| t["baseUrl"] != v2.as_str());
    let other_path = d.join("no_v2_root.json");
    std::fs::write(&other_path, other.to_string()).unwrap();
    let fresh = d.join("fresh.state");
    let o = monitor(
        &d,
        &v2,
        &fresh,
        &["--trusted-root", other_path.to_str().unwrap()],
    )
    .await;
    assert!(!o.status.success());
    assert!(
        text(&o).contains("no transparency log with baseUrl"),
        "{}",
        text(&o)
    );
    assert!(!fresh.exists());
}

/// Serves the v2 log `log` (tiles and write API) on 127.0.0.1; its URL.
async fn serve_v2(log: signet_log::RekorV2Log<signet_log::SqliteStore>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = signet_server::rekor_v2_router(Arc::new(log));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// What the proxy in front of a tiled log does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Forward every answer as is.
    Pass,
    /// Re-sign the checkpoint with an Ed25519 note key named `127.0.0.1`.
    Ed25519,
    /// Serve entry bundles cut short (a length prefix with no entry after it).
    TruncatedBundle,
    /// Serve hash tiles of 1 MiB.
    OversizeTile,
    /// Serve entry bundles with one entry less than asked.
    ShortBundle,
}

struct Proxy {
    real: String,
    mode: Mutex<Mode>,
    ed25519: signet_tlog::Ed25519NoteSigner,
    bundle_gets: AtomicUsize,
}

async fn proxy(State(p): State<Arc<Proxy>>, OriginalUri(uri): OriginalUri) -> Response {
    let mode = *p.mode.lock().unwrap();
    let path = uri.path();
    if path.contains("/tile/entries/") {
        p.bundle_gets.fetch_add(1, Ordering::Relaxed);
    }
    let resp = reqwest::get(format!("{}{path}", p.real)).await.unwrap();
    let status = axum::http::StatusCode::from_u16(resp.status().as_u16()).unwrap();
    let mut body = resp.bytes().await.unwrap().to_vec();
    match mode {
        Mode::Ed25519 if path.ends_with("/checkpoint") => {
            let text = String::from_utf8(body).unwrap();
            let cp = signet_tlog::SignedNote::parse(&text).unwrap().text;
            body = signet_tlog::sign_note(&cp, &[&p.ed25519 as &dyn signet_tlog::NoteSigner])
                .unwrap()
                .into_bytes();
        }
        Mode::TruncatedBundle if path.contains("/tile/entries/") => {
            body = vec![0, 9, 1];
        }
        Mode::ShortBundle if path.contains("/tile/entries/") => {
            let mut entries = signet_tlog::tiles::parse_entry_bundle(&body).unwrap();
            entries.pop();
            body = signet_tlog::tiles::encode_entry_bundle(&entries).unwrap();
        }
        Mode::OversizeTile if path.contains("/tile/0/") => {
            body = vec![7; 1 << 20];
        }
        _ => {}
    }
    (status, body).into_response()
}

/// A proxy in front of the tiled log at `real`; its URL and handle.
async fn start_proxy(real: &str) -> (String, Arc<Proxy>) {
    let p = Arc::new(Proxy {
        real: real.to_string(),
        mode: Mutex::new(Mode::Pass),
        ed25519: signet_tlog::Ed25519NoteSigner::generate("127.0.0.1").unwrap(),
        bundle_gets: AtomicUsize::new(0),
    });
    let app = Router::new().fallback(proxy).with_state(p.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, p)
}

/// The PEM of the v2 log key in `dir` (`log.key`, PKCS#8 DER).
fn log_key_pem(dir: &Path, out: &Path) -> String {
    let key = SigningKey::from_pkcs8_der(&std::fs::read(dir.join("log.key")).unwrap()).unwrap();
    std::fs::write(out, key.public_key().to_pem()).unwrap();
    out.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiles_monitor_detects_a_forked_or_rolled_back_log() {
    tokio::time::timeout(Duration::from_secs(60), forked())
        .await
        .unwrap();
}

async fn forked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a_dir, b_dir, c_dir) = (d.join("a"), d.join("b"), d.join("c"));
    let signer = SigningKey::generate_p256().unwrap();
    let shared: Vec<Vec<u8>> = (0..3u8).map(|i| request(&signer, &[b's', i])).collect();
    let mut logs = forked_v2_logs(&[&a_dir, &b_dir, &c_dir], &shared).await;
    let (c, b, a) = (
        logs.pop().unwrap(),
        logs.pop().unwrap(),
        logs.pop().unwrap(),
    );
    for i in 0..2u8 {
        a.create(&request(&signer, &[b'a', i])).await.unwrap();
    }
    for i in 0..3u8 {
        b.create(&request(&signer, &[b'b', i])).await.unwrap();
    }
    let key = log_key_pem(&a_dir, &d.join("log.pub"));
    let (a_url, b_url, c_url) = (serve_v2(a).await, serve_v2(b).await, serve_v2(c).await);
    let state = d.join("state.json");
    let pinned = ["--log-public-key", key.as_str()];

    // A (5 entries) verifies.
    let o = monitor(d, &a_url, &state, &pinned).await;
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(events(&o, "checkpoint")[0]["treeSize"], 5);
    let saved = std::fs::read(&state).unwrap();

    // B: same key and origin, validly signed, 6 entries that do not extend A's 5: FORK.
    let o = monitor(d, &b_url, &state, &pinned).await;
    assert!(!o.status.success(), "{}", text(&o));
    let alerts = events(&o, "alert");
    assert_eq!(alerts.len(), 1, "{}", text(&o));
    let reason = alerts[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("FORK") && reason.contains("size 6") && reason.contains("size 5"),
        "{reason}"
    );
    assert_eq!(std::fs::read(&state).unwrap(), saved);

    // C: the shared 3 entries only, a genuine older checkpoint: ROLLBACK.
    let o = monitor(d, &c_url, &state, &pinned).await;
    assert!(!o.status.success(), "{}", text(&o));
    let alerts = events(&o, "alert");
    assert_eq!(alerts.len(), 1, "{}", text(&o));
    let reason = alerts[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("ROLLBACK") && reason.contains("size 3"),
        "{reason}"
    );
    assert_eq!(std::fs::read(&state).unwrap(), saved);

    // A and B side by side: SPLIT VIEW; A and C (a prefix of A): consistent.
    let o = monitor(
        d,
        &a_url,
        &state,
        &[&pinned[..], &["--compare-url", &b_url]].concat(),
    )
    .await;
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("SPLIT VIEW"), "{}", text(&o));
    let o = monitor(
        d,
        &a_url,
        &state,
        &[&pinned[..], &["--compare-url", &c_url]].concat(),
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(events(&o, "compared")[0]["compareTreeSize"], 3);

    // The same log with its checkpoint signed by an Ed25519 note key (C2SP type 0x01, as the
    // public-good Rekor v2 logs sign): verified with that key, pinned; refused with the ECDSA
    // key, and the Ed25519 key does not verify the ECDSA-signed original.
    let (proxy_url, p) = start_proxy(&a_url).await;
    *p.mode.lock().unwrap() = Mode::Ed25519;
    let mut spki = hex::decode("302a300506032b6570032100").unwrap();
    spki.extend_from_slice(&p.ed25519.public_key());
    let ed_pem = d.join("ed25519.pub");
    std::fs::write(&ed_pem, PublicKey::from_spki_der(&spki).unwrap().to_pem()).unwrap();
    let ed = ["--log-public-key", ed_pem.to_str().unwrap()];
    let o = monitor(d, &proxy_url, &d.join("ed.state"), &ed).await;
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(events(&o, "checkpoint")[0]["treeSize"], 5);
    let o = monitor(d, &proxy_url, &d.join("ed2.state"), &pinned).await;
    assert!(!o.status.success());
    assert!(text(&o).contains("does not verify"), "{}", text(&o));
    let o = monitor(d, &a_url, &d.join("ed3.state"), &ed).await;
    assert!(!o.status.success());
    assert!(text(&o).contains("does not verify"), "{}", text(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiles_monitor_reads_whole_bundles_and_refuses_malformed_tiles() {
    tokio::time::timeout(Duration::from_secs(60), hostile())
        .await
        .unwrap();
}

async fn hostile() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = signet_testkit::log_trees::open_v2(&d.join("log")).await;
    let signer = SigningKey::generate_p256().unwrap();
    for i in 0..600u32 {
        log.create(&request(&signer, &i.to_be_bytes()))
            .await
            .unwrap();
    }
    let key = log_key_pem(&d.join("log"), &d.join("log.pub"));
    let real = serve_v2(log).await;
    let (url, p) = start_proxy(&real).await;
    let pinned = ["--log-public-key", key.as_str()];

    // 600 entries: two full entry bundles and a partial one, one request each.
    let o = monitor(d, &url, &d.join("ok.state"), &pinned).await;
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(events(&o, "checkpoint")[0]["entriesRead"], 600);
    assert_eq!(p.bundle_gets.load(Ordering::Relaxed), 3);

    for (mode, want) in [
        (Mode::TruncatedBundle, "entry bundle"),
        (Mode::ShortBundle, "entries, expected"),
        (Mode::OversizeTile, "larger than the limit of 8192 bytes"),
    ] {
        *p.mode.lock().unwrap() = mode;
        let state = d.join("bad.state");
        // The oversize tile is read for the consistency proof: start from a verified state.
        if mode == Mode::OversizeTile {
            std::fs::copy(d.join("ok.state"), &state).unwrap();
            let log = reqwest::Client::new();
            // Grow the log so a proof is needed.
            let r = log
                .post(format!("{real}/api/v2/log/entries"))
                .body(request(&signer, b"more"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
        let o = monitor(d, &url, &state, &pinned).await;
        assert!(!o.status.success(), "{}", text(&o));
        let errors = events(&o, "error");
        assert_eq!(errors.len(), 1, "{}", text(&o));
        let reason = errors[0]["reason"].as_str().unwrap();
        assert!(reason.contains(want), "{reason}");
        if mode != Mode::OversizeTile {
            assert!(!state.exists());
        }
    }
}
