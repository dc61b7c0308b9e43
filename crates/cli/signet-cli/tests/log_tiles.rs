//! `signet log info|get|verify --tiles URL` against a real `signet server --tlog-api v2` on
//! 127.0.0.1: the checkpoint verified with the trusted root's key for that URL (or a pinned
//! key), entries read from entry bundles with inclusion proved from the tiles, consistency with
//! an earlier checkpoint; and refusals: an index beyond the tree, the wrong key, an unreachable
//! URL, and a log (a proxy in front of the real one) serving a modified tile.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use signet_crypto::SigningKey;
use signet_types::b64;

mod common;

async fn signet(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("SIGNET_TRUST_CONFIG")
        .env("HOME", dir);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Forwards every GET to the real log, flipping one bit of the level-0 tiles.
async fn tamper(State(real): State<String>, OriginalUri(uri): OriginalUri) -> Response {
    let resp = reqwest::get(format!("{real}{}", uri.path())).await.unwrap();
    let status = axum::http::StatusCode::from_u16(resp.status().as_u16()).unwrap();
    let mut body = resp.bytes().await.unwrap().to_vec();
    if uri.path().contains("/tile/0/")
        && let Some(b) = body.get_mut(40)
    {
        *b ^= 1;
    }
    (status, body).into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiled_log_is_read_and_verified_through_its_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = common::v2_server(d, false);
    let v2 = format!("{}/rekor-v2", server.url);
    let http = reqwest::Client::new();
    let key = SigningKey::generate_p256().unwrap();
    let mut bodies = Vec::new();
    let mut first_checkpoint = String::new();
    for i in 0..3u8 {
        let r = http
            .post(format!("{v2}/api/v2/log/entries"))
            .json(&common::v2_request(&key, &[b'a', i]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let e: serde_json::Value = r.json().await.unwrap();
        bodies.push(b64::decode(e["canonicalizedBody"].as_str().unwrap()).unwrap());
        if i == 0 {
            first_checkpoint = http
                .get(format!("{v2}/checkpoint"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
        }
    }
    let cp = http
        .get(format!("{v2}/checkpoint"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let root_hex = hex_of(&b64::decode(cp.lines().nth(2).unwrap()).unwrap());
    let tr = d.join("trusted_root.json");
    let tr = tr.to_str().unwrap();
    let saved = d.join("cp1.txt");
    std::fs::write(&saved, &first_checkpoint).unwrap();

    // info: the checkpoint verifies with the trusted root's key for this URL, and the tiles
    // reproduce its root.
    let (ok, out, err) = signet(d, &["log", "info", "--tiles", &v2, "--trusted-root", tr]).await;
    assert!(ok, "{err}");
    assert!(out.contains("Tree Size:              3"), "{out}");
    assert!(out.contains(&root_hex), "{out}");

    // get: the entry from its bundle, its leaf hash as UUID, the body under its kind.
    let (ok, out, err) = signet(
        d,
        &[
            "log",
            "get",
            "--tiles",
            &v2,
            "--trusted-root",
            tr,
            "--log-index",
            "1",
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("Index: 1"), "{out}");
    let leaf = signet_tlog::leaf_hash(&bodies[1]).to_hex();
    assert!(out.contains(&format!("UUID: {leaf}")), "{out}");
    assert!(out.contains("HashedRekordObj"), "{out}");

    // verify: inclusion, and consistency with the checkpoint saved at size 1.
    let (ok, out, err) = signet(
        d,
        &[
            "log",
            "verify",
            "--tiles",
            &v2,
            "--trusted-root",
            tr,
            "--log-index",
            "2",
            "--checkpoint",
            saved.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert!(
        out.contains("earlier checkpoint (size 1) is a prefix"),
        "{out}"
    );
    assert!(out.contains("tlog entry verified with uuid"), "{out}");

    // A checkpoint signed with the log's key for another tree of size 2 (a split view): the
    // log's tree is not consistent with it.
    let log_key =
        SigningKey::from_pkcs8_der(&std::fs::read(d.join("log-v2").join("log.key")).unwrap())
            .unwrap();
    let origin = cp.lines().next().unwrap();
    let forged = signet_tlog::Checkpoint {
        origin: origin.into(),
        size: signet_types::TreeSize(2),
        root_hash: signet_tlog::leaf_hash(b"another tree"),
        extensions: vec![],
    };
    let signer = signet_tlog::EcdsaNoteSigner::new(origin, log_key).unwrap();
    let forged_path = d.join("forged.txt");
    std::fs::write(
        &forged_path,
        signet_tlog::sign_note(&forged.to_text(), &[&signer]).unwrap(),
    )
    .unwrap();
    let (ok, _, err) = signet(
        d,
        &[
            "log",
            "verify",
            "--tiles",
            &v2,
            "--trusted-root",
            tr,
            "--checkpoint",
            forged_path.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!ok);
    assert!(
        err.contains("is not consistent with the earlier one of size 2"),
        "{err}"
    );

    // An index beyond the tree.
    let (ok, _, err) = signet(
        d,
        &[
            "log",
            "get",
            "--tiles",
            &v2,
            "--trusted-root",
            tr,
            "--log-index",
            "3",
        ],
    )
    .await;
    assert!(!ok);
    assert!(
        err.contains("entry 3 is beyond the log's tree of size 3"),
        "{err}"
    );

    // Another key: the checkpoint does not verify.
    let other = d.join("other.pub");
    std::fs::write(
        &other,
        SigningKey::generate_p256().unwrap().public_key().to_pem(),
    )
    .unwrap();
    let (ok, _, err) = signet(
        d,
        &[
            "log",
            "info",
            "--tiles",
            &v2,
            "--log-public-key",
            other.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!ok);
    assert!(err.contains("checkpoint does not verify"), "{err}");

    // The log's own key, pinned (from the trusted root), for the tampering proxy below.
    let root: serde_json::Value = serde_json::from_slice(&std::fs::read(tr).unwrap()).unwrap();
    let v2log = root["tlogs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["baseUrl"] == v2.as_str())
        .unwrap();
    let pinned = d.join("v2.der");
    std::fs::write(
        &pinned,
        b64::decode(v2log["publicKey"]["rawBytes"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let pinned = pinned.to_str().unwrap();

    // Unreachable.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/rekor-v2", listener.local_addr().unwrap());
    drop(listener);
    let (ok, _, err) = signet(
        d,
        &["log", "info", "--tiles", &dead, "--log-public-key", pinned],
    )
    .await;
    assert!(!ok);
    assert!(err.contains("cannot reach"), "{err}");

    // A proxy serving the real checkpoint but a modified level-0 tile: refused.
    let app = Router::new()
        .fallback(tamper)
        .with_state(server.url.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}/rekor-v2", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    for args in [
        vec!["log", "info"],
        vec!["log", "get", "--log-index", "0"],
        vec!["log", "verify", "--log-index", "2"],
    ] {
        let mut a = args.clone();
        a.extend(["--tiles", &proxy, "--log-public-key", pinned]);
        let (ok, _, err) = signet(d, &a).await;
        assert!(!ok, "{args:?}");
        assert!(
            err.contains("the log's tiles do not match its checkpoint"),
            "{args:?}: {err}"
        );
    }
    // The pinned key reads the real log (the refusals above are the tampering, not the key).
    let (ok, _, err) = signet(
        d,
        &[
            "log",
            "get",
            "--tiles",
            &v2,
            "--log-public-key",
            pinned,
            "--log-index",
            "0",
        ],
    )
    .await;
    assert!(ok, "{err}");
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
