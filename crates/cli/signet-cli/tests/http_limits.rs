//! Every HTTP client of the CLI against hostile loopback servers (`signet_testkit::hostile_http`):
//! a body that streams far past any limit is refused once the command's per-response limit is
//! reached (the error names it, and the server could send only about that much before the client
//! hung up, so memory stays bounded); a server that accepts and never answers is given up on after
//! the read timeout (`SIGNET_HTTP_READ_TIMEOUT`, short here); and `verify-release URL` leaves no
//! `signet-release-*` directory in `$TMPDIR` whichever way its download fails.
//!
//! Each command runs under a deadline and is killed past it, so a client without limits makes
//! these tests fail, not hang.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use signet_testkit::hostile_http::{HostileServer, Reply};

/// Far above every limit under test; a client without limits reads all of it (and fails later
/// for another reason), so the test stays quick on the old code too.
const STREAM: u64 = 256 << 20;
/// What the kernel's socket buffers (both ends of a loopback connection) and in-flight chunks
/// can hold beyond what the client read.
const SLACK: u64 = 16 << 20;
/// The JSON API limit (`signet_client::http::MAX_API_RESPONSE`).
const API_LIMIT: u64 = 32 << 20;
/// The `.sig` / `.cert` / trust config limit.
const SMALL_LIMIT: u64 = 1 << 20;
/// Longest any command here may take.
const DEADLINE: Duration = Duration::from_secs(20);

struct Run {
    out: Output,
    took: Duration,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    /// Failed, with every one of `needles` in its error.
    fn fails_with(&self, needles: &[&str]) {
        let err = self.stderr();
        assert!(!self.out.status.success(), "succeeded: {err}");
        for n in needles {
            assert!(err.contains(n), "{n:?} not in: {err}");
        }
    }
}

/// Runs `signet <args>` (plus `env`) off the runtime, killing it past [`DEADLINE`].
async fn signet(args: Vec<String>, env: Vec<(&'static str, String)>) -> Run {
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
        cmd.args(&args)
            .env_remove("SIGNET_HTTP_READ_TIMEOUT")
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = cmd.spawn().unwrap();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > DEADLINE {
                child.kill().unwrap();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "signet {args:?} still running after {DEADLINE:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let took = start.elapsed();
        Run {
            out: child.wait_with_output().unwrap(),
            took,
        }
    })
    .await
    .unwrap()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The server never sent much more than `limit` before the client stopped reading.
fn bounded(server: &HostileServer, limit: u64) {
    let sent = server.sent();
    assert!(
        sent <= limit + SLACK,
        "the client read on: {sent} bytes sent for a limit of {limit}"
    );
}

/// `signet trust URL` with `XDG_CONFIG_HOME` in a fresh directory.
async fn trust(url: &str, env: Vec<(&'static str, String)>) -> Run {
    let home = tempfile::tempdir().unwrap();
    let mut env = env;
    env.push(("XDG_CONFIG_HOME", home.path().to_str().unwrap().into()));
    signet(s(&["trust", url]), env).await
}

/// `signet verify-blob --signature <url>/a.sig --key <fresh key> <file>`.
async fn verify_blob(url: &str, env: Vec<(&'static str, String)>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.pub");
    let pem = signet_crypto::SigningKey::generate_p256()
        .unwrap()
        .public_key()
        .to_pem();
    std::fs::write(&key, pem).unwrap();
    let blob = dir.path().join("blob");
    std::fs::write(&blob, b"blob").unwrap();
    let args = vec![
        "verify-blob".into(),
        "--signature".into(),
        format!("{url}/a.sig"),
        "--key".into(),
        key.to_str().unwrap().into(),
        "--rekor-url".into(),
        url.into(),
        blob.to_str().unwrap().into(),
    ];
    signet(args, env).await
}

/// `signet log info --rekor-url <url>`.
async fn log_info(url: &str, env: Vec<(&'static str, String)>) -> Run {
    signet(s(&["log", "info", "--rekor-url", url]), env).await
}

/// `signet verify-release <url> [extra]` with `TMPDIR` set to a fresh directory; also checks
/// that directory is empty afterwards.
async fn verify_release(url: &str, extra: &[&str], env: Vec<(&'static str, String)>) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let mut env = env;
    env.push(("TMPDIR", tmp.path().to_str().unwrap().into()));
    let mut args = vec!["verify-release".to_string(), url.to_string()];
    args.extend(extra.iter().map(|a| a.to_string()));
    let run = signet(args, env).await;
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.is_empty(),
        "verify-release left {left:?} behind ({})",
        run.stderr()
    );
    run
}

fn endless() -> Reply {
    Reply::Endless { stop_after: STREAM }
}

/// A `SHA256SUMS` naming one file, `a.txt`.
fn manifest() -> Reply {
    Reply::Body(format!("{}  a.txt\n", "ab".repeat(32)).into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_url_stops_at_its_limit() {
    let server = HostileServer::start(vec![("/signet/v1/trust_config.json", endless())])
        .await
        .unwrap();
    let run = trust(&server.url, vec![]).await;
    bounded(&server, SMALL_LIMIT);
    run.fails_with(&[
        "trust_config.json",
        &format!("limit of {SMALL_LIMIT} bytes"),
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_blob_signature_url_stops_at_its_limit() {
    let server = HostileServer::start(vec![("/a.sig", endless())])
        .await
        .unwrap();
    let run = verify_blob(&server.url, vec![]).await;
    bounded(&server, SMALL_LIMIT);
    run.fails_with(&["a.sig", &format!("limit of {SMALL_LIMIT} bytes")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_info_stops_at_the_api_limit() {
    let server = HostileServer::start(vec![("/api/v1/log", endless())])
        .await
        .unwrap();
    let run = log_info(&server.url, vec![]).await;
    bounded(&server, API_LIMIT);
    run.fails_with(&["/api/v1/log", &format!("limit of {API_LIMIT} bytes")]);
}

/// A bundle of a listed file that never ends (the 1.4 GB `.sigstore.json`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_release_stops_an_endless_bundle_and_cleans_up() {
    let server = HostileServer::start(vec![
        ("/SHA256SUMS", manifest()),
        ("/a.txt.sigstore.json", endless()),
    ])
    .await
    .unwrap();
    let run = verify_release(&server.url, &[], vec![]).await;
    bounded(&server, API_LIMIT);
    run.fails_with(&[
        "a.txt.sigstore.json",
        &format!("limit of {API_LIMIT} bytes"),
    ]);
}

/// An artifact that never ends stops at `--max-download-mib` (all files together).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_release_stops_at_the_download_limit_and_cleans_up() {
    let server = HostileServer::start(vec![("/SHA256SUMS", manifest()), ("/a.txt", endless())])
        .await
        .unwrap();
    let run = verify_release(&server.url, &["--max-download-mib", "2"], vec![]).await;
    bounded(&server, 2 << 20);
    run.fails_with(&["2 MiB", "--max-download-mib"]);
    // A Content-Length above the limit is refused before any of the body is read.
    let server = HostileServer::start(vec![("/SHA256SUMS", Reply::Claims(1 << 40))])
        .await
        .unwrap();
    let run = verify_release(&server.url, &[], vec![]).await;
    run.fails_with(&["SHA256SUMS", "limit of 16777216 bytes"]);
    assert!(run.took < Duration::from_secs(5), "{:?}", run.took);
}

/// A failed download of any kind (here: no SHA256SUMS) removes the temporary directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_release_cleans_up_after_a_missing_manifest() {
    let server = HostileServer::start(vec![]).await.unwrap();
    let run = verify_release(&server.url, &[], vec![]).await;
    run.fails_with(&["SHA256SUMS not found"]);
}

/// Every client gives up on a server that accepts and never answers after the read timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_gives_up_on_a_silent_server() {
    let server = HostileServer::start(vec![
        ("/signet/v1/trust_config.json", Reply::Silent),
        ("/a.sig", Reply::Silent),
        ("/api/v1/log", Reply::Silent),
        ("/SHA256SUMS", Reply::Silent),
    ])
    .await
    .unwrap();
    let env = || vec![("SIGNET_HTTP_READ_TIMEOUT", "0.5".to_string())];
    let url = server.url.as_str();
    let (a, b, c, d) = tokio::join!(
        trust(url, env()),
        verify_blob(url, env()),
        log_info(url, env()),
        verify_release(url, &[], env()),
    );
    for run in [a, b, c, d] {
        run.fails_with(&["no answer from", "in time", "read 0.5 s idle"]);
        assert!(
            run.took < Duration::from_secs(5),
            "took {:?}: {}",
            run.took,
            run.stderr()
        );
    }
}

/// A timeout from the environment that is not a positive number of seconds is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_timeout_setting_is_refused() {
    let server = HostileServer::start(vec![]).await.unwrap();
    let run = log_info(&server.url, vec![("SIGNET_HTTP_READ_TIMEOUT", "0".into())]).await;
    run.fails_with(&["SIGNET_HTTP_READ_TIMEOUT"]);
}
