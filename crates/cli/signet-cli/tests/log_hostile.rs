//! `signet log get` / `verify` against a hostile log: a server that answers every entry request
//! with one genuine, verifiable entry, whatever was asked. A `--uuid` that is not hex (even one
//! with multi-byte characters) is a clear error, never a panic, and an entry other than the one
//! requested is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use axum::Router;
use axum::routing::get;
use signet_client::{RekorClient, verify_entry};
use signet_crypto::SigningKey;

mod common;

/// Runs `signet log <args> --rekor-url <url>` off the async runtime.
async fn signet_log(url: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
    cmd.arg("log").args(args).args(["--rekor-url", url]);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_log_cannot_crash_or_fool_log_get() {
    // One genuine entry, from a real server.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let real = common::Listening::start(&["server", "--addr", "127.0.0.1:0", "--data-dir", d], &[]);
    let c = RekorClient::new(&real.url).unwrap();
    let key = SigningKey::generate_p256().unwrap();
    let data = b"hostile test artifact";
    let proposed = signet_rekor::proposed_hashedrekord(
        &key.sign(data).unwrap(),
        &key.public_key().to_pem(),
        &signet_crypto::sha256(data).to_hex(),
    );
    let (entry, _) = c.create(&proposed).await.unwrap();
    let log_key = c.public_key().await.unwrap();
    let id = verify_entry(&entry, &log_key).unwrap().entry_id;
    let info = serde_json::to_string(&c.log_info().await.unwrap()).unwrap();
    let entry = serde_json::to_string(&entry).unwrap();
    let pem = log_key.to_pem();
    drop(real);

    // The hostile log: that entry for any ID.
    let json = |s: String| ([("content-type", "application/json")], s);
    let app = Router::new()
        .route(
            "/api/v1/log/entries/{id}",
            get(move || async move { json(entry) }),
        )
        .route("/api/v1/log", get(move || async move { json(info) }))
        .route("/api/v1/log/publicKey", get(move || async move { pem }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    // The stub serves a valid entry: asking for it by its ID works.
    for cmd in ["get", "verify"] {
        let out = signet_log(&url, &[cmd, "--uuid", &id]).await;
        assert!(out.status.success(), "{cmd}: {out:?}");
    }
    // Not hex (multi-byte characters where a byte offset would cut one): a clear error.
    let mut bad_ids = vec![
        format!("aé{}", "a".repeat(63)),
        format!("{}é{}", "0".repeat(15), "0".repeat(63)),
    ];
    bad_ids.push("../../log".into());
    for bad in &bad_ids {
        for cmd in ["get", "verify"] {
            let out = signet_log(&url, &[cmd, "--uuid", bad]).await;
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{cmd} {bad}: {err}");
            assert!(!err.contains("panicked"), "{err}");
            assert!(err.contains("is not 64 or 80 hexadecimal digits"), "{err}");
        }
    }
    // A well-formed ID of another entry: the answer is not that entry.
    let other = "0".repeat(64);
    let other_80 = format!("{}{}", &id[..16], "0".repeat(64));
    for asked in [&other, &other_80] {
        for cmd in ["get", "verify"] {
            let out = signet_log(&url, &[cmd, "--uuid", asked]).await;
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{cmd} {asked}: {err}");
            assert!(
                err.contains(&format!(
                    "the log returned entry {id} for requested UUID {asked}"
                )),
                "{err}"
            );
        }
    }
    server.abort();
}
