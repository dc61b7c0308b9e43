//! A log (or anything between the signer and the log) that answers `POST /api/v1/log/entries`
//! with a genuine, correctly signed entry of ANOTHER artifact: `sign-blob` and `sign-release`
//! must refuse it with a clear error and write no signature, certificate or bundle (and
//! `log upload` must not report that entry as the one it created).
//!
//! The stub "log" proxies every request to a real server, except that submissions of one entry
//! kind (`hashedrekord` for the files, then `dsse` for the release provenance) are answered
//! with an entry the real server logged earlier for another artifact.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use signet_client::{RekorClient, verify_entry};
use signet_crypto::SigningKey;

mod common;

async fn signet(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
    cmd.current_dir(dir).args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// The stub's state: the real server, the forged answer, and which entry kind gets it.
#[derive(Clone)]
struct Stub {
    real: String,
    forged: String,
    location: String,
    forge_kind: Arc<Mutex<&'static str>>,
}

/// Answers a submission of the forged kind with the forged entry; forwards every other request
/// to the real server unchanged.
async fn handle(
    State(stub): State<Stub>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Response {
    let kind = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string));
    let forge = *stub.forge_kind.lock().unwrap();
    if method == Method::POST
        && uri.path() == "/api/v1/log/entries"
        && kind.as_deref() == Some(forge)
    {
        return (
            StatusCode::CREATED,
            [
                ("content-type", "application/json".to_string()),
                ("location", stub.location),
            ],
            stub.forged,
        )
            .into_response();
    }
    let resp = reqwest::Client::new()
        .request(method, format!("{}{uri}", stub.real))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
    let mut out = (status, resp.bytes().await.unwrap()).into_response();
    out.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    out
}

/// Files in `dir` (recursively) that a signer writes: signatures, certificates, bundles.
fn signing_outputs(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            found.extend(signing_outputs(&p));
        } else {
            let name = p.to_string_lossy().to_string();
            if [".sig", ".cert", ".sigstore.json"]
                .iter()
                .any(|s| name.ends_with(s))
            {
                found.push(name);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signers_refuse_a_genuine_entry_of_another_artifact() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let real = common::Listening::start(
        &[
            "server",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &[],
    );

    // A genuine entry of another artifact, by someone else, from the real log.
    let c = RekorClient::new(&real.url).unwrap();
    let other_key = SigningKey::generate_p256().unwrap();
    let other = b"somebody else's artifact";
    let proposed = signet_rekor::proposed_hashedrekord(
        &other_key.sign(other).unwrap(),
        &other_key.public_key().to_pem(),
        &signet_crypto::sha256(other).to_hex(),
    );
    let (forged, location) = c.create(&proposed).await.unwrap();
    verify_entry(&forged, &c.public_key().await.unwrap()).unwrap();
    let forged = serde_json::to_string(&forged).unwrap();

    // The stub: that entry as the answer to every submission of one kind, the rest proxied.
    let forge_kind = Arc::new(Mutex::new("hashedrekord"));
    let app = Router::new().fallback(handle).with_state(Stub {
        real: real.url.clone(),
        forged,
        location,
        forge_kind: forge_kind.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let out = signet(&work, &["generate-key-pair"]).await;
    assert!(out.status.success(), "{out:?}");

    // sign-blob: a clear error, non-zero exit, no .sig and no bundle.
    std::fs::write(work.join("mine.tar.gz"), b"my release tarball").unwrap();
    let out = signet(
        &work,
        &[
            "sign-blob",
            "--rekor-url",
            &url,
            "--key",
            "cosign.key",
            "--bundle",
            "mine.tar.gz.sigstore.json",
            "--output-signature",
            "mine.tar.gz.sig",
            "mine.tar.gz",
        ],
    )
    .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "sign-blob: {err}");
    assert!(err.contains("not the one submitted"), "{err}");
    assert_eq!(signing_outputs(&work), Vec::<String>::new());

    // log upload of a genuine signature: the answer is not its entry, so no entry is reported.
    let mine_key = SigningKey::generate_p256().unwrap();
    std::fs::write(
        work.join("mine.sig"),
        mine_key.sign(b"my release tarball").unwrap(),
    )
    .unwrap();
    std::fs::write(work.join("mine.pub"), mine_key.public_key().to_pem()).unwrap();
    let out = signet(
        &work,
        &[
            "log",
            "upload",
            "--rekor-url",
            &url,
            "--artifact",
            "mine.tar.gz",
            "--signature",
            "mine.sig",
            "--public-key",
            "mine.pub",
        ],
    )
    .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "log upload: {err}");
    assert!(err.contains("not the one submitted"), "{err}");
    assert!(out.stdout.is_empty(), "{out:?}");

    // sign-release: the same, and no file of the release gets a signature or bundle.
    let rel = tmp.path().join("release");
    std::fs::create_dir(&rel).unwrap();
    std::fs::write(rel.join("a.bin"), b"first file").unwrap();
    std::fs::write(rel.join("b.bin"), b"second file").unwrap();
    let key = work.join("cosign.key");
    // Runs sign-release on `rel` through the stub, expects exit 1, returns stderr.
    let sign_release_fails = async |rel: &Path| {
        let out = signet(
            &work,
            &[
                "sign-release",
                rel.to_str().unwrap(),
                "--rekor-url",
                &url,
                "--key",
                key.to_str().unwrap(),
            ],
        )
        .await;
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "sign-release: {err}");
        err
    };
    let err = sign_release_fails(&rel).await;
    assert!(err.contains("not the one submitted"), "{err}");
    assert_eq!(signing_outputs(&rel), Vec::<String>::new());

    // The provenance (a dsse entry, logged after every file is): the files are logged
    // genuinely, the provenance's answer is the other artifact's entry. It is refused, and
    // neither the provenance nor its bundle is written.
    *forge_kind.lock().unwrap() = "dsse";
    let rel = tmp.path().join("release2");
    std::fs::create_dir(&rel).unwrap();
    std::fs::write(rel.join("a.bin"), b"first file").unwrap();
    let err = sign_release_fails(&rel).await;
    assert!(err.contains("provenance"), "{err}");
    assert!(err.contains("not the one submitted"), "{err}");
    assert!(
        rel.join("a.bin.sigstore.json").is_file(),
        "files are signed first"
    );
    assert!(!rel.join(signet_release::PROVENANCE).exists());
    assert!(
        !rel.join(format!("{}.sigstore.json", signet_release::PROVENANCE))
            .exists()
    );

    server.abort();
}
