//! Operating `signet server`, on real processes on 127.0.0.1: `/metrics` counts exactly what
//! happened, `/healthz` and `/readyz`, request IDs in answers and JSON log lines, the
//! per-client rate limit on writes, the request header size limit, and a SIGTERM during an
//! append load that loses no acknowledged entry.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use signet_crypto::SigningKey;
use signet_types::b64;

mod common;

use common::proposed;

/// `signet server <extra>` on a fresh port with data in `dir`, its stderr (the log) in
/// `<dir>.log`; killed when dropped.
struct Server {
    proc: common::Listening,
    url: String,
    log: std::path::PathBuf,
}

impl Server {
    fn start(dir: &Path, extra: &[&str]) -> Self {
        let log = dir.with_extension("log");
        let d = dir.to_str().unwrap();
        let mut args = vec!["server", "--addr", "127.0.0.1:0", "--data-dir", d];
        args.extend_from_slice(extra);
        let proc = common::Listening::start_logging_to(&args, &log);
        let url = proc.url.clone();
        Self { proc, url, log }
    }

    fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }
}

/// Every series of a Prometheus text exposition: `name{labels}` to value, with each series'
/// labels in a map. Comment lines must be `# HELP` or `# TYPE`; every other line must parse.
type Series = Vec<(String, BTreeMap<String, String>, f64)>;

fn parse_exposition(text: &str) -> Series {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(c) = line.strip_prefix("# ") {
            assert!(c.starts_with("HELP ") || c.starts_with("TYPE "), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value of {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.strip_suffix('}').unwrap()),
            None => (series, ""),
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        let mut map = BTreeMap::new();
        let mut rest = labels;
        while !rest.is_empty() {
            let (k, after) = rest.split_once("=\"").unwrap();
            let end = after.find('"').unwrap();
            map.insert(k.to_string(), after[..end].to_string());
            rest = after[end + 1..].trim_start_matches(',');
        }
        out.push((name.to_string(), map, value));
    }
    out
}

/// The value of the one series `name` whose labels include `labels` (0 when there is none).
fn value(series: &Series, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = series
        .iter()
        .filter(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, _, v)| *v)
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?}: {found:?}");
    found.first().copied().unwrap_or(0.0)
}

async fn scrape(url: &str) -> Series {
    let r = reqwest::get(format!("{url}/metrics")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    parse_exposition(&r.text().await.unwrap())
}

async fn post(url: &str, body: &serde_json::Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{url}/api/v1/log/entries"))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Traffic of known shape, then one scrape: each request counter moved by exactly the requests
/// made (by route pattern, method and status), the latency histogram counted them, the log's
/// appends, batch sizes, commit latency and tree size follow the 3 entries, a certificate is
/// counted under its issuer and a refused token under its reason, and TUF expiry is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_exactly_what_happened() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let s = Server::start(&dir, &["--dev-oidc"]);
    let http = reqwest::Client::new();
    let key = SigningKey::generate_p256().unwrap();

    let first = proposed(&key, b"one");
    for body in [&first, &proposed(&key, b"two"), &proposed(&key, b"three")] {
        assert_eq!(post(&s.url, body).await.status(), 201);
    }
    assert_eq!(post(&s.url, &first).await.status(), 409);
    let mut info = serde_json::Value::Null;
    for _ in 0..4 {
        info = http
            .get(format!("{}/api/v1/log", s.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    }
    for _ in 0..2 {
        let r = http
            .get(format!("{}/api/v1/log/entries/{}", s.url, "0".repeat(80)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    // A certificate, and a refused token.
    let o = common::signet_in(&dir, &["oidc", "token", "--subject", "alice@example.com"]);
    assert!(o.status.success(), "{}", common::output_text(&o));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let cert_key = SigningKey::generate_p256().unwrap();
    let pop = serde_json::json!({"publicKeyRequest": {
        "publicKey": {"algorithm": "ECDSA", "content": cert_key.public_key().to_pem()},
        "proofOfPossession": b64::encode(cert_key.sign(b"alice@example.com").unwrap()),
    }});
    for (token, status) in [(token.as_str(), 200), ("not-a-token", 400)] {
        let r = http
            .post(format!("{}/api/v2/signingCert", s.url))
            .bearer_auth(token)
            .json(&pop)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status);
    }

    let m = scrape(&s.url).await;
    let req = |route: &str, method: &str, status: &str| {
        value(
            &m,
            "signet_http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    assert_eq!(req("/api/v1/log/entries", "POST", "201"), 3.0);
    assert_eq!(req("/api/v1/log/entries", "POST", "409"), 1.0);
    assert_eq!(req("/api/v1/log", "GET", "200"), 4.0);
    // By route pattern: the raw paths never become labels.
    assert_eq!(req("/api/v1/log/entries/{id}", "GET", "404"), 2.0);
    assert!(
        !m.iter()
            .any(|(_, l, _)| l.get("route").is_some_and(|r| r.contains("0000"))),
        "a raw path became a label"
    );
    assert_eq!(req("/api/v2/signingCert", "POST", "200"), 1.0);
    assert_eq!(req("/api/v2/signingCert", "POST", "400"), 1.0);
    assert_eq!(
        value(
            &m,
            "signet_http_request_duration_seconds_count",
            &[("route", "/api/v1/log"), ("status", "200")]
        ),
        4.0
    );
    assert_eq!(
        value(
            &m,
            "signet_http_request_duration_seconds_bucket",
            &[("route", "/api/v1/log"), ("status", "200"), ("le", "+Inf")]
        ),
        4.0
    );

    // The transparency log: label = its checkpoint origin.
    let origin = format!("127.0.0.1 - {}", info["treeID"].as_str().unwrap());
    let log = [("log", origin.as_str())];
    assert_eq!(value(&m, "signet_log_appends_total", &log), 3.0);
    assert_eq!(value(&m, "signet_log_tree_size", &log), 3.0);
    assert_eq!(value(&m, "signet_log_batch_size_sum", &log), 3.0);
    let batches = value(&m, "signet_log_batch_size_count", &log);
    assert!((1.0..=3.0).contains(&batches), "{batches}");
    assert_eq!(
        value(&m, "signet_log_commit_duration_seconds_count", &log),
        batches
    );

    let issuer = format!("{}/oidc", s.url);
    assert_eq!(
        value(
            &m,
            "signet_ca_certificates_issued_total",
            &[("issuer", &issuer)]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "signet_ca_token_failures_total",
            &[("reason", "malformed")]
        ),
        1.0
    );
    let ts = value(
        &m,
        "signet_tuf_metadata_expiry_seconds",
        &[("role", "timestamp")],
    );
    assert!((6.0 * 86400.0..=7.0 * 86400.0).contains(&ts), "{ts}");
    assert_eq!(value(&m, "signet_rate_limited_total", &[]), 0.0);
}

/// `/healthz` and `/readyz` answer 200 on a healthy instance; `/readyz` is 503 naming the
/// failed check when the TUF metadata expires within `--ready-tuf-margin` (the timestamp
/// expires in 7 days: a margin of 8 days fails it, the other checks still pass).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let get = |url: String| async move {
        let r = reqwest::get(url).await.unwrap();
        let status = r.status().as_u16();
        (status, r.json::<serde_json::Value>().await.unwrap())
    };
    {
        let s = Server::start(&dir, &[]);
        assert_eq!(
            get(format!("{}/healthz", s.url)).await,
            (200, serde_json::json!({"status": "ok"}))
        );
        assert_eq!(
            get(format!("{}/readyz", s.url)).await,
            (200, serde_json::json!({"status": "ready"}))
        );
    }
    let s = Server::start(&dir, &["--ready-tuf-margin", &(8 * 86400).to_string()]);
    assert_eq!(get(format!("{}/healthz", s.url)).await.0, 200);
    let (status, body) = get(format!("{}/readyz", s.url)).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not ready");
    let failed = body["failed"].as_object().unwrap();
    assert_eq!(failed.len(), 1, "{body}");
    let why = failed["tuf metadata"].as_str().unwrap();
    assert!(why.contains("timestamp expires"), "{why}");
}

/// A sane incoming `X-Request-Id` is echoed, anything else is replaced by a fresh one; the ID
/// is in the JSON log lines of its request (`--log-format json`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_echoed_and_logged() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(&tmp.path().join("d"), &["--log-format", "json"]);
    let http = reqwest::Client::new();
    let id_of = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_string();
    let r = http
        .post(format!("{}/api/v2/signingCert", s.url))
        .header("x-request-id", "trace-7f3a:9")
        .bearer_auth("not-a-token")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(id_of(&r), "trace-7f3a:9");
    let mut fresh = Vec::new();
    for bad in ["", "has space", &"x".repeat(129), "quote\"d"] {
        let r = http
            .get(format!("{}/healthz", s.url))
            .header("x-request-id", bad)
            .send()
            .await
            .unwrap();
        let id = id_of(&r);
        assert_ne!(id, bad);
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        fresh.push(id);
    }
    fresh.dedup();
    assert_eq!(fresh.len(), 4, "{fresh:?}");

    // The refusal's log line carries the request's ID in its span.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = s.log_text();
        // (Lines before the logging starts, such as "created a new CA", are plain text.)
        let lines: Vec<serde_json::Value> = log
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        let found = lines.iter().any(|l| {
            l["span"]["id"] == "trace-7f3a:9"
                && l["span"]["route"] == "/api/v2/signingCert"
                && l["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("signingCert refused"))
        });
        if found {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no log line with the ID in:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// With `--rate-limit 1 --rate-limit-burst 3 --rate-limit-loopback`, a client's 4th write in a
/// row is a JSON 429 with `Retry-After`, counted in `/metrics`; reads go on; after the wait it
/// may write again. By default loopback clients are not limited, nor allow-listed ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_over_the_rate_get_429_with_retry_after() {
    let tmp = tempfile::tempdir().unwrap();
    let key = SigningKey::generate_p256().unwrap();
    let limited = ["--rate-limit", "1", "--rate-limit-burst", "3"];
    {
        let mut args = limited.to_vec();
        args.push("--rate-limit-loopback");
        let s = Server::start(&tmp.path().join("a"), &args);
        for i in 0..3 {
            let r = post(&s.url, &proposed(&key, format!("a{i}").as_bytes())).await;
            assert_eq!(r.status(), 201);
        }
        let r = post(&s.url, &proposed(&key, b"a3")).await;
        assert_eq!(r.status(), 429);
        let wait: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&wait), "{wait}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], 429, "{body}");
        let r = reqwest::get(format!("{}/api/v1/log", s.url)).await.unwrap();
        assert_eq!(r.status(), 200);
        let m = scrape(&s.url).await;
        assert_eq!(
            value(
                &m,
                "signet_rate_limited_total",
                &[("route", "/api/v1/log/entries")]
            ),
            1.0
        );
        tokio::time::sleep(Duration::from_secs(wait)).await;
        let r = post(&s.url, &proposed(&key, b"a4")).await;
        assert_eq!(r.status(), 201);
    }
    let burst = ["--rate-limit-burst", "3"];
    for (i, args) in [
        [&limited[..], &[]].concat(),
        [
            &limited[..],
            &[
                "--rate-limit-loopback",
                "--rate-limit-allow",
                "10.0.0.0/8,127.0.0.1",
            ],
        ]
        .concat(),
        [&burst[..], &["--rate-limit-loopback", "--rate-limit", "0"]].concat(),
    ]
    .iter()
    .enumerate()
    {
        let s = Server::start(&tmp.path().join(format!("b{i}")), args);
        for i in 0..6 {
            let r = post(&s.url, &proposed(&key, format!("b{i}").as_bytes())).await;
            assert_eq!(r.status(), 201, "{args:?}");
        }
    }
    let o = common::signet_in(
        &tmp.path().join("c"),
        &[
            "server",
            "--addr",
            "127.0.0.1:0",
            "--rate-limit-allow",
            "10.0.0/8",
        ],
    );
    assert!(!o.status.success());
    assert!(
        common::output_text(&o).contains("\"10.0.0/8\" is not an IP address or CIDR block"),
        "{}",
        common::output_text(&o)
    );
}

/// A request header over 64 KiB is answered 431 and the connection closed; one just under is
/// served.
#[test]
fn oversized_headers_get_431() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(&tmp.path().join("d"), &[]);
    let exchange = |filler: usize| {
        let mut c = TcpStream::connect(s.addr()).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let req = format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: {}\r\nConnection: close\r\n\r\n",
            "a".repeat(filler)
        );
        // The server may close before reading everything: a failed write is an answer too.
        let _ = c.write_all(req.as_bytes());
        let mut answer = Vec::new();
        let _ = c.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    };
    let ok = exchange(60 * 1024);
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    let big = exchange(100 * 1024);
    assert!(big.starts_with("HTTP/1.1 431"), "{big:?}");
}

/// SIGTERM while four clients append as fast as they can: the server stops accepting, finishes
/// the requests in progress and exits 0; after a restart on the same data, every entry that
/// was answered 201 is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_keeps_every_acknowledged_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let mut s = Server::start(&dir, &[]);
    let url = s.url.clone();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let url = url.clone();
            tokio::spawn(async move {
                let key = SigningKey::generate_p256().unwrap();
                let http = reqwest::Client::new();
                let mut acked = Vec::new();
                for i in 0.. {
                    let body = proposed(&key, format!("w{w} e{i}").as_bytes());
                    let r = match http
                        .post(format!("{url}/api/v1/log/entries"))
                        .json(&body)
                        .send()
                        .await
                    {
                        Ok(r) => r,
                        Err(_) => break, // the server stopped accepting
                    };
                    if r.status() != 201 {
                        break;
                    }
                    let location = r.headers()["location"].to_str().unwrap().to_string();
                    // An answer is acknowledged once its body arrived whole.
                    if r.json::<serde_json::Value>().await.is_err() {
                        break;
                    }
                    acked.push(location);
                }
                acked
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let pid = s.proc.child.id().to_string();
    let kill = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(kill.success());
    let started = Instant::now();
    let status = loop {
        if let Some(st) = s.proc.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "still running after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status}: {}", s.log_text());
    let mut acked = Vec::new();
    for w in writers {
        acked.extend(w.await.unwrap());
    }
    assert!(
        acked.len() >= 4,
        "only {} appends before SIGTERM",
        acked.len()
    );
    drop(s);

    let s = Server::start(&dir, &[]);
    let http = reqwest::Client::new();
    for location in &acked {
        let r = http
            .get(format!("{}{location}", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{location} acknowledged but lost");
    }
    let info: serde_json::Value = reqwest::get(format!("{}/api/v1/log", s.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(info["treeSize"].as_u64().unwrap() >= acked.len() as u64);
}
