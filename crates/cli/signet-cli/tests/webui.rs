//! The log explorer at `/ui/` in a real browser: Debian's headless Chromium driven through
//! chromedriver (`chromium-driver`) with `fantoccini`, against a real `signet server` on
//! 127.0.0.1. Entries are appended by keyless `sign-blob` (development issuer) and one by a
//! hostile self-signed certificate; the pages are searched by every key, entries are opened,
//! and the page itself must compute "Inclusion verified in your browser" (WebCrypto). A test
//! double in front of the server (a tiny axum proxy) changes one byte of the proof or of the
//! checkpoint the API serves, and the page must say "Inclusion NOT verified".
//! The release page of `signet serve-release` too: a small signed release (with a hostile file
//! name and SBOM package name) shows every file OK with its signer and log entry, as
//! `verify-release --output json` says; one changed artifact shows TAMPERED after a reload.
//! With `SIGNET_UI_SCREENSHOTS=1` the main pages are saved to `docs/ui/*.png`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use signet_crypto::SigningKey;
use signet_types::b64;

mod common;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const VERIFIED: &str = "Inclusion verified in your browser";
const NOT_VERIFIED: &str = "Inclusion NOT verified";

/// chromedriver on a free loopback port, in a process group of its own with the Chromium it
/// starts: the whole group is killed when dropped, also when a test panics.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Self {
        assert!(
            Path::new(CHROMEDRIVER).exists(),
            "chromedriver is installed (apt-get install chromium-driver; scripts/chromium.sh)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own group (its id is chromedriver's): Chromium and its helpers inherit it.
            .process_group(0)
            .spawn()
            .unwrap();
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGKILL to every process of the group: chromedriver, Chromium and its helpers.
        let group = format!("-{}", self.child.id());
        let killed = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !killed.is_ok_and(|s| s.success()) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1200,1400", format!("--user-data-dir={}", profile.display())],
        }),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&driver.url)
            .await
        {
            Ok(c) => return c,
            Err(e) if Instant::now() < deadline => {
                eprintln!("waiting for chromedriver: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot start a browser session: {e}"),
        }
    }
}

/// The text of `#inclusion-status` once the page decided (verified or not).
async fn inclusion_verdict(c: &Client) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = text_of(c, "#inclusion-status").await;
        if text.starts_with(VERIFIED) || text.starts_with(NOT_VERIFIED) {
            return text;
        }
        assert!(Instant::now() < deadline, "no verdict, status: {text:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Presses and releases each key of `keys` on the keyboard (what has focus gets them).
async fn press(c: &Client, keys: &str) {
    let mut seq = KeyActions::new("keyboard".into());
    for k in keys.chars() {
        seq = seq
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k });
    }
    c.perform_actions(seq).await.unwrap();
}

/// The `id` (or, without one, the class) of the focused element.
async fn focused(c: &Client) -> String {
    c.execute(
        "const e = document.activeElement; return e ? (e.id || e.className || e.tagName) : '';",
        vec![],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_string()
}

async fn el(c: &Client, css: &str) -> Element {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap()
}

async fn text_of(c: &Client, css: &str) -> String {
    el(c, css).await.text().await.unwrap()
}

async fn screenshot(c: &Client, name: &str) {
    if std::env::var_os("SIGNET_UI_SCREENSHOTS").is_none() {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../docs/ui");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{name}.png")),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
}

/// A self-signed certificate whose SAN and Fulcio extensions carry markup and a
/// `javascript:` URI, its key, and the hashedrekord proposal of `artifact` signed with it.
fn hostile_entry(artifact: &[u8]) -> (serde_json::Value, String) {
    let key = SigningKey::generate_p256().unwrap();
    let der = key.to_pkcs8_der().unwrap();
    let kp = rcgen::KeyPair::try_from(der.as_slice()).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.subject_alt_names = vec![
        rcgen::SanType::Rfc822Name("<script>alert(1)</script>@evil.test".try_into().unwrap()),
        rcgen::SanType::URI("javascript:alert(document.domain)".try_into().unwrap()),
    ];
    // 1.3.6.1.4.1.57264.1.8 (OIDC issuer) as a DER UTF8String with an <img onerror>.
    let issuer = b"<img src=x onerror=alert(2)>";
    let mut utf8 = vec![0x0c, u8::try_from(issuer.len()).unwrap()];
    utf8.extend_from_slice(issuer);
    params.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 4, 1, 57264, 1, 8],
        utf8,
    )];
    let cert = params.self_signed(&kp).unwrap();
    let pem = cert.pem();
    let sig = key.sign(artifact).unwrap();
    let proposal = serde_json::json!({
        "apiVersion": "0.0.1", "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": signet_crypto::sha256(artifact).to_hex()}},
            "signature": {"content": b64::encode(&sig), "publicKey": {"content": b64::encode(pem.as_bytes())}}
        }
    });
    (proposal, pem)
}

/// What the test double changes in `GET /api/v1/log/entries/<id>` answers.
const HONEST: u8 = 0;
const TAMPER_PROOF: u8 = 1;
const TAMPER_CHECKPOINT: u8 = 2;

fn tamper(json: &mut serde_json::Value, mode: u8) {
    let Some(entries) = json.as_object_mut() else {
        return;
    };
    for anon in entries.values_mut() {
        let p = &mut anon["verification"]["inclusionProof"];
        match mode {
            TAMPER_PROOF => {
                // One hex digit (half a byte) of the first audit-path hash.
                let h = p["hashes"][0].as_str().unwrap().to_string();
                let (head, last) = h.split_at(h.len() - 1);
                let flipped = if last == "0" { "1" } else { "0" };
                p["hashes"][0] = format!("{head}{flipped}").into();
            }
            TAMPER_CHECKPOINT => {
                // One byte of the checkpoint's origin line: the signature no longer covers it.
                let cp = p["checkpoint"].as_str().unwrap();
                let first = if cp.starts_with('X') { "Y" } else { "X" };
                p["checkpoint"] = format!("{first}{}", &cp[1..]).into();
            }
            _ => {}
        }
    }
}

/// A tiny axum server that serves what `upstream` serves, except that entry answers are
/// changed as `mode` says.
async fn test_double(upstream: String, mode: Arc<AtomicU8>) -> String {
    use axum::body::Bytes;
    use axum::http::{Method, StatusCode, Uri};
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let http = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
        let (http, upstream, mode) = (http.clone(), upstream.clone(), mode.clone());
        async move {
            let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
            let r = http
                .request(method.clone(), format!("{upstream}{path}"))
                .body(body)
                .send()
                .await
                .unwrap();
            let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
            let mut headers = axum::http::HeaderMap::new();
            for (k, v) in r.headers() {
                if k != "content-length" && k != "transfer-encoding" {
                    headers.insert(k.clone(), v.clone());
                }
            }
            let mut bytes = r.bytes().await.unwrap().to_vec();
            if method == Method::GET
                && uri.path().starts_with("/api/v1/log/entries/")
                && status.is_success()
            {
                let mut json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                tamper(&mut json, mode.load(Ordering::SeqCst));
                bytes = serde_json::to_vec(&json).unwrap();
            }
            (status, headers, bytes).into_response()
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[test]
fn explorer_in_a_real_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let server = common::dev_server(&data);
    let url = server.url.clone();
    // Two keyless entries (alice, bob) through the development issuer.
    common::sign_keyless(&data, &work, "alice@example.com", "alice.txt");
    common::sign_keyless(&data, &work, "bob@example.com", "bob.txt");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let http = reqwest::Client::new();
        // A third, by a hostile certificate.
        let (proposal, hostile_pem) = hostile_entry(b"hostile artifact");
        let r = http
            .post(format!("{url}/api/v1/log/entries"))
            .json(&proposal)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
        let hostile_id = r.headers()["etag"].to_str().unwrap().to_string();
        let json = |r: reqwest::RequestBuilder| async move {
            r.send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        };
        let alice = json(
            http.post(format!("{url}/api/v1/index/retrieve"))
                .json(&serde_json::json!({"email": "alice@example.com"})),
        )
        .await;
        assert_eq!(alice.as_array().unwrap().len(), 1);
        let alice_id = alice[0].as_str().unwrap().to_string();
        let alice_uuid = alice_id[alice_id.len() - 64..].to_string();
        let alice_entry = json(http.get(format!("{url}/api/v1/log/entries/{alice_id}"))).await;
        let alice_index = alice_entry[&alice_id]["logIndex"].as_i64().unwrap();

        let driver = Driver::start();
        let c = browser(&driver, &tmp.path().join("profile")).await;

        // Overview: size, checkpoint, chart; the security headers are the server's.
        c.goto(&format!("{url}/ui/")).await.unwrap();
        assert_eq!(text_of(&c, "#tree-size").await, "3");
        assert!(text_of(&c, "#checkpoint").await.contains("\n3\n"));
        c.find(Locator::Css("svg.chart polyline")).await.unwrap();
        screenshot(&c, "overview").await;

        // Search by email through the form.
        el(&c, "#q").await.send_keys("alice@example.com").await.unwrap();
        el(&c, "#by").await.select_by_value("email").await.unwrap();
        el(&c, "form.search button").await.click().await.unwrap();
        let count = text_of(&c, "#result-count").await;
        assert!(count.starts_with("1 entry found by Email"), "{count}");
        let link = text_of(&c, "a.hit").await;
        assert_eq!(link, alice_id);
        screenshot(&c, "search").await;

        // Accessibility: a language, the landmarks, every form control labelled, header cells
        // with a scope.
        c.goto(&format!("{url}/ui/")).await.unwrap();
        let page = c
            .execute(
                "return { lang: document.documentElement.lang, \
                   landmarks: ['header', 'nav', 'main', 'footer'].filter(t => document.querySelector(t)), \
                   controls: document.querySelectorAll('input, select, textarea').length, \
                   unlabelled: Array.from(document.querySelectorAll('input, select, textarea')) \
                     .filter(e => !(e.labels && e.labels.length > 0 && e.labels[0].textContent.trim())) \
                     .map(e => e.outerHTML) };",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(page["lang"], "en", "{page}");
        assert_eq!(page["landmarks"], serde_json::json!(["header", "nav", "main", "footer"]));
        assert_eq!(page["controls"], 3, "{page}");
        assert_eq!(page["unlabelled"], serde_json::json!([]), "{page}");
        // Keyboard only: the first Tab reaches the skip link, shown when focused; Tab on to
        // the search field, type, Enter.
        press(&c, &Key::Tab).await;
        assert_eq!(focused(&c).await, "skip");
        let left = c
            .execute("return document.activeElement.getBoundingClientRect().left;", vec![])
            .await
            .unwrap();
        assert!(left.as_f64().unwrap() >= 0.0, "skip link off screen when focused: {left}");
        let mut tabs = 1;
        while focused(&c).await != "q" {
            assert!(tabs < 4, "Tab does not reach the search field: at {}", focused(&c).await);
            press(&c, &Key::Tab).await;
            tabs += 1;
        }
        press(&c, "bob@example.com").await;
        press(&c, &Key::Enter).await;
        let count = text_of(&c, "#result-count").await;
        assert!(count.starts_with("1 entry found by Email"), "{count}");
        assert_eq!(
            c.find_all(Locator::Css("table th[scope=col]")).await.unwrap().len(),
            3
        );

        // By SHA-256 of the artifact, by public key (the hostile certificate), by subject.
        let digest = signet_crypto::sha256(b"alice.txt").to_hex();
        for (q, by, want) in [
            (format!("sha256:{digest}"), "hash", alice_id.clone()),
            (digest.clone(), "auto", alice_id.clone()),
            (hostile_pem.clone(), "key", hostile_id.clone()),
            ("javascript:alert(document.domain)".into(), "subject", hostile_id.clone()),
        ] {
            let u = reqwest::Url::parse_with_params(&format!("{url}/ui/"), [("q", q.as_str()), ("by", by)])
                .unwrap();
            c.goto(u.as_str()).await.unwrap();
            let count = text_of(&c, "#result-count").await;
            assert!(count.starts_with("1 entry"), "{by} {q}: {count}");
            assert_eq!(text_of(&c, "a.hit").await, want, "{by}");
        }
        // By UUID and by index: straight to the entry page.
        for q in [alice_uuid.clone(), alice_index.to_string()] {
            c.goto(&format!("{url}/ui/?q={q}")).await.unwrap();
            assert_eq!(text_of(&c, "#uuid").await, alice_uuid, "{q}");
        }

        // Drop a file: hashed in the page, then searched by hash.
        c.goto(&format!("{url}/ui/")).await.unwrap();
        el(&c, "#file")
            .await
            .send_keys(work.join("bob.txt").to_str().unwrap())
            .await
            .unwrap();
        let count = text_of(&c, "#result-count").await;
        assert!(count.starts_with("1 entry found by Artifact SHA-256"), "{count}");
        assert!(count.contains(&signet_crypto::sha256(b"bob.txt").to_hex()), "{count}");

        // Open alice's entry from the results: the page verifies inclusion itself.
        el(&c, "a.hit").await.click().await.unwrap();
        assert_eq!(inclusion_verdict(&c).await, VERIFIED);
        let checks = text_of(&c, "#inclusion-checks").await;
        assert!(checks.contains("signed by the log key"), "{checks}");
        assert!(checks.contains("signed entry timestamp"), "{checks}");
        let body = c.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
        assert!(body.contains("bob@example.com"), "SAN shown");
        assert!(body.contains("hashedrekord 0.0.1"));
        screenshot(&c, "entry").await;

        // The hostile certificate: shown as text, no script runs, inclusion still verified.
        c.goto(&format!("{url}/ui/entries/{hostile_id}")).await.unwrap();
        assert_eq!(inclusion_verdict(&c).await, VERIFIED);
        assert!(c.get_alert_text().await.is_err(), "an alert opened");
        let sans = text_of(&c, "main").await;
        assert!(sans.contains("<script>alert(1)</script>@evil.test"), "{sans}");
        assert!(sans.contains("javascript:alert(document.domain)"));
        assert!(sans.contains("<img src=x onerror=alert(2)>"));
        let scripts = c
            .execute("return [document.scripts.length, document.images.length, document.querySelectorAll('main a[href^=\"javascript\"]').length];", vec![])
            .await
            .unwrap();
        assert_eq!(scripts, serde_json::json!([1, 0, 0]));

        // The test double: one changed byte in the proof, then in the checkpoint.
        let mode = Arc::new(AtomicU8::new(HONEST));
        let double = test_double(url.clone(), mode.clone()).await;
        for (m, want) in [
            (HONEST, VERIFIED),
            (TAMPER_PROOF, "Inclusion NOT verified: the inclusion proof leads to root"),
            (
                TAMPER_CHECKPOINT,
                "Inclusion NOT verified: no checkpoint signature verifies",
            ),
        ] {
            mode.store(m, Ordering::SeqCst);
            c.goto(&format!("{double}/ui/entries/{alice_id}")).await.unwrap();
            let v = inclusion_verdict(&c).await;
            assert!(v.starts_with(want), "mode {m}: {v}");
            if m == TAMPER_PROOF {
                screenshot(&c, "tampered").await;
            }
        }

        c.close().await.unwrap();
    });
    drop(server);
}

/// `[[path, status], ...]` of the release page's file table, as the browser shows it.
async fn page_rows(c: &Client) -> Vec<(String, String)> {
    let v = c
        .execute(
            "return Array.from(document.querySelectorAll('#files tbody tr')).map(r => \
             [r.querySelector('th').textContent, r.querySelector('td.status').textContent]);",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

/// `[[path, status], ...]` that `signet verify-release --output json` prints, and its JSON.
fn json_rows(
    data: &Path,
    rel: &Path,
    identity: &[&str],
) -> (Vec<(String, String)>, serde_json::Value) {
    let mut args = vec!["verify-release", rel.to_str().unwrap(), "--output", "json"];
    args.extend_from_slice(identity);
    let o = common::signet_in(data, &args);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", common::output_text(&o)));
    let rows = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (rows, json)
}

const HOSTILE_FILE: &str = "<script>alert(1)</script>.tar.gz";
const HOSTILE_PACKAGE: &str = "<img src=x onerror=alert(2)>";

#[test]
fn release_page_in_a_real_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let server = common::dev_server(&data);
    let url = server.url.clone();
    let who = "release-managers@example.com";
    let issuer = format!("{url}/oidc");
    let run = |args: &[&str]| {
        let o = common::signet_in(&data, args);
        assert!(o.status.success(), "{args:?}: {}", common::output_text(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let token = run(&["oidc", "token", "--subject", who]).trim().to_string();
    let rel = work.join("v1.0.0");
    run(&[
        "sample-release",
        rel.to_str().unwrap(),
        "--files",
        "3",
        "--size-mib",
        "1",
    ]);
    // A hostile release: a file whose path is markup, an SBOM package whose name is.
    let hostile = rel.join(HOSTILE_FILE);
    std::fs::create_dir_all(hostile.parent().unwrap()).unwrap();
    std::fs::write(&hostile, b"hostile").unwrap();
    let packages = work.join("packages.json");
    std::fs::write(
        &packages,
        serde_json::to_vec(&serde_json::json!({"packages": [
            {"name": HOSTILE_PACKAGE, "version": "1.0", "license": "MIT"},
            {"name": "zlib", "version": "1.3.1", "license": "Zlib"}]}))
        .unwrap(),
    )
    .unwrap();
    run(&[
        "sign-release",
        rel.to_str().unwrap(),
        "--identity-token",
        &token,
        "--release-version",
        "v1.0.0",
        "--sbom-packages",
        packages.to_str().unwrap(),
        "--source-uri",
        "git+https://github.com/example/project",
        "--source-ref",
        "refs/tags/v1.0.0",
        "--source-digest",
        "gitCommit:0123456789abcdef0123456789abcdef01234567",
        "--builder-id",
        "https://ci.example/builders/release@v1",
        "--no-build-detection",
    ]);
    let identity = [
        "--certificate-identity",
        who,
        "--certificate-oidc-issuer",
        issuer.as_str(),
    ];
    let (want, json) = json_rows(&data, &rel, &identity);
    assert_eq!(json["verified"], true, "{json}");
    assert!(want.iter().any(|(p, _)| p == HOSTILE_FILE), "{want:?}");
    assert_eq!(json["sbom"]["packageCount"], 2, "{json}");
    assert_eq!(json["sbom"]["licenses"], serde_json::json!(["MIT", "Zlib"]));
    assert_eq!(
        json["provenance"]["builderId"],
        "https://ci.example/builders/release@v1"
    );
    assert_eq!(json["provenance"]["subjects"], 4);
    for f in json["files"].as_array().unwrap() {
        assert_eq!(f["identity"], who, "{f}");
        assert_eq!(f["issuer"], issuer.as_str(), "{f}");
        assert!(f["logEntry"]["uuid"].as_str().unwrap().len() == 64, "{f}");
    }

    // Without an identity the page cannot verify: serve-release refuses to start.
    let o = common::signet_in(
        &data,
        &[
            "serve-release",
            rel.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
        ],
    );
    assert!(!o.status.success());
    assert!(o.stdout.is_empty());
    assert!(
        common::output_text(&o).contains("--certificate-identity"),
        "{}",
        common::output_text(&o)
    );

    let mut args = vec![
        "serve-release",
        rel.to_str().unwrap(),
        "--addr",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(&identity);
    args.extend_from_slice(&["--source-uri", "github.com/example/project"]);
    let no_config = tmp.path().join("no-config");
    let env = [
        ("SIGNET_DATA_DIR", data.as_os_str()),
        ("XDG_CONFIG_HOME", no_config.as_os_str()),
    ];
    let served = common::Listening::start(&args, &env);
    let page = served.url.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let driver = Driver::start();
        let c = browser(&driver, &tmp.path().join("profile")).await;
        c.goto(&format!("{page}/")).await.unwrap();
        let verdict = text_of(&c, "#verdict").await;
        assert_eq!(verdict, format!("All {} files verified", want.len()));
        // Same rows, same verdicts as verify-release --output json.
        assert_eq!(page_rows(&c).await, want);
        // Every row names its signer and links to its entry in the log explorer.
        let identities = c
            .execute("return Array.from(document.querySelectorAll('#files .identity')).map(e => e.textContent);", vec![])
            .await
            .unwrap();
        assert!(identities.as_array().unwrap().iter().all(|i| i == who), "{identities}");
        let main = text_of(&c, "main").await;
        assert!(main.contains(HOSTILE_FILE) && main.contains(HOSTILE_PACKAGE), "{main}");
        assert!(main.contains("git+https://github.com/example/project"), "{main}");
        assert_eq!(text_of(&c, "#sbom-packages").await, "2");
        assert_eq!(text_of(&c, "#subjects").await, "4");
        // Nothing from the release ran or loaded: no script, no image, no alert.
        assert!(c.get_alert_text().await.is_err(), "an alert opened");
        let counts = c
            .execute("return [document.scripts.length, document.images.length];", vec![])
            .await
            .unwrap();
        assert_eq!(counts, serde_json::json!([0, 0]));
        screenshot(&c, "release").await;

        // The log entry of SHA256SUMS, opened from the page: the explorer verifies it.
        let row = 1 + want.iter().position(|(p, _)| p == "SHA256SUMS").unwrap();
        let link = el(&c, &format!("#files tbody tr:nth-child({row}) a.entry")).await;
        let href = link.attr("href").await.unwrap().unwrap();
        assert!(href.starts_with(&format!("{url}/ui/entries/")), "{href}");
        link.click().await.unwrap();
        assert_eq!(inclusion_verdict(&c).await, VERIFIED);
        assert_eq!(text_of(&c, "#uuid").await, href.rsplit('/').next().unwrap());

        // One changed byte in an artifact: after a reload the page says TAMPERED, as
        // verify-release does.
        let artifact = want
            .iter()
            .map(|(p, _)| p.clone())
            .find(|p| p.ends_with(".tar.gz") && p != HOSTILE_FILE)
            .unwrap();
        let mut bytes = std::fs::read(rel.join(&artifact)).unwrap();
        bytes[0] ^= 1;
        std::fs::write(rel.join(&artifact), bytes).unwrap();
        c.goto(&format!("{page}/ui/release")).await.unwrap();
        let rows = page_rows(&c).await;
        let row = rows.iter().find(|(p, _)| *p == artifact).unwrap();
        assert_eq!(row.1, "TAMPERED");
        let verdict = text_of(&c, "#verdict").await;
        assert!(verdict.ends_with("release NOT verified"), "{verdict}");
        let class = el(&c, "#verdict").await.attr("class").await.unwrap();
        assert_eq!(class.as_deref(), Some("bad"));
        let data2 = data.clone();
        let rel2 = rel.clone();
        let identity2: Vec<String> = identity.iter().map(|s| s.to_string()).collect();
        let (after, json) = tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = identity2.iter().map(String::as_str).collect();
            json_rows(&data2, &rel2, &refs)
        })
        .await
        .unwrap();
        assert_eq!(json["verified"], false);
        assert_eq!(rows, after);
        let problems = json["problems"].as_u64().unwrap();
        assert_eq!(verdict, format!("{problems} problems in {} files: release NOT verified", after.len()));
        screenshot(&c, "release-tampered").await;
        c.close().await.unwrap();
    });
    drop(served);
    drop(server);
}
