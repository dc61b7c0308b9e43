//! `signet log` against a sharded log (a frozen first tree under its own key, then the active
//! tree under a new key) served in-process on 127.0.0.1: entries of both shards are found and
//! verified with their shard's key, `verify` proves an inactive-shard entry against that
//! shard's signed tree head, `info` checks every shard's signed tree head and adds their sizes,
//! and pinned keys (`--log-public-key`, once per shard) are matched by log ID. And `verify-blob`
//! finds a signature of either shard in the log and verifies the bundle it makes against a
//! trusted root listing both shards' keys (and refuses it without the frozen shard's key).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use signet_crypto::SigningKey;
use signet_log::ShardedLog;
use signet_testkit::log_trees::{filled_tree, open_tree as open, proposal, signed_proposal};
use signet_trust::{TimeRange, TransparencyLog, TrustedKey, TrustedRoot};
use signet_types::UnixSeconds;

/// Runs `signet ARGS` off the runtime; (success, stdout, stderr).
async fn signet(args: Vec<String>) -> (bool, String, String) {
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_signet"))
            .args(&args)
            .env_remove("SIGNET_REKOR_URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signet_log_reads_and_verifies_every_shard() {
    tokio::time::timeout(Duration::from_secs(60), run())
        .await
        .unwrap();
}

async fn run() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let signer = SigningKey::generate_p256().unwrap();
    let (first, added) = filled_tree(dirs[0].path(), 0, &signer, &["a0", "a1", "a2"]).await;
    let (a, sigs): (Vec<String>, Vec<Vec<u8>>) = added.into_iter().unzip();
    let second = open(dirs[1].path(), 3).await;
    let (b0, _) = second.add(&proposal(&signer, "b0")).await.unwrap();
    let keys = [first.public_key().to_pem(), second.public_key().to_pem()];
    let key_files: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, pem)| {
            let p = dirs[0].path().join(format!("shard{i}.pem"));
            std::fs::write(&p, pem).unwrap();
            p.to_str().unwrap().to_string()
        })
        .collect();
    let roots = [
        trusted_root(&[first.public_key(), second.public_key()]),
        trusted_root(&[second.public_key()]),
    ];
    let log = Arc::new(ShardedLog::new(vec![first], second).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = signet_server::rekor_router(log.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let cmd = |extra: &[&str]| -> Vec<String> {
        ["log", "--rekor-url", &url, "--output", "json"]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };

    // get: an inactive-shard entry (by global index, by UUID) and an active one, each
    // verified with its shard's key, fetched from the log.
    for (args, index, id) in [
        (vec!["get", "--log-index", "1"], 1, &a[1]),
        (vec!["get", "--uuid", &a[2][16..]], 2, &a[2]),
        (vec!["get", "--log-index", "3"], 3, &b0),
    ] {
        let (ok, out, err) = signet(cmd(&args)).await;
        assert!(ok, "{args:?}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["LogIndex"], index, "{out}");
        assert_eq!(v["UUID"], id.as_str(), "{out}");
    }

    // verify: an inactive-shard entry against its own shard's signed tree head (grown since the
    // entry was added: a consistency proof by tree ID), and an active-shard entry.
    for (args, index) in [
        (vec!["verify", "--log-index", "0"], 0),
        (vec!["verify", "--uuid", &a[1]], 1),
        (vec!["verify", "--log-index", "3"], 3),
    ] {
        let (ok, out, err) = signet(cmd(&args)).await;
        assert!(ok, "{args:?}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["verified"], true);
        assert_eq!(v["logIndex"], index);
    }
    let text: Vec<String> = ["log", "--rekor-url", &url, "verify", "--log-index", "0"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (ok, out, err) = signet(text).await;
    assert!(ok, "{err}");
    assert!(out.contains("Entry Index in Current Tree: 0"), "{out}");
    assert!(out.contains("Current Tree Size: 3"), "{out}");

    // info: every shard's head verifies; the total counts them all.
    let info: Vec<String> = ["log", "--rekor-url", &url, "info"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (ok, out, err) = signet(info.clone()).await;
    assert!(ok, "{err}");
    assert!(out.contains("Active Tree Size:       1\n"), "{out}");
    assert!(out.contains("Total Tree Size:        4\n"), "{out}");

    // Pinned keys: both shards' keys verify both shards; the active key alone does not verify
    // an inactive-shard entry, nor the log's info.
    let both = [
        "--log-public-key",
        &key_files[0],
        "--log-public-key",
        &key_files[1],
    ];
    for index in ["0", "3"] {
        let mut args = both.to_vec();
        args.extend(["verify", "--log-index", index]);
        let (ok, _, err) = signet(cmd(&args)).await;
        assert!(ok, "{index}: {err}");
    }
    let mut args = both.to_vec();
    args.push("info");
    assert!(signet(cmd(&args)).await.0);
    let (ok, _, err) = signet(cmd(&[
        "--log-public-key",
        &key_files[1],
        "get",
        "--log-index",
        "0",
    ]))
    .await;
    assert!(!ok);
    assert!(
        err.contains("is not the ID of the trusted log key"),
        "{err}"
    );
    let (ok, _, err) = signet(cmd(&["--log-public-key", &key_files[1], "info"])).await;
    assert!(!ok);
    assert!(err.contains("inactive shard"), "{err}");

    // verify-blob: a signature logged in the frozen shard (found by the log lookup, turned into
    // a bundle) verifies against a trusted root with both shards' keys, so does one logged in
    // the active shard; without the frozen shard's key, only the active one does.
    let tmp = dirs[1].path();
    std::fs::write(tmp.join("a1"), "a1").unwrap();
    std::fs::write(tmp.join("a1.sig"), signet_types::b64::encode(&sigs[1])).unwrap();
    let (sig_c, p) = signed_proposal(&signer, "c0");
    let (_, e) = log.add(&p).await.unwrap();
    assert_eq!(e.values().next().unwrap().log_index, 4);
    std::fs::write(tmp.join("c0"), "c0").unwrap();
    std::fs::write(tmp.join("c0.sig"), signet_types::b64::encode(&sig_c)).unwrap();
    std::fs::write(tmp.join("signer.pub"), signer.public_key().to_pem()).unwrap();
    for (i, root) in roots.iter().enumerate() {
        std::fs::write(tmp.join(format!("root{i}.json")), root).unwrap();
    }
    let path = |n: &str| tmp.join(n).to_str().unwrap().to_string();
    for (artifact, root, ok) in [
        ("a1", "root0.json", true),
        ("c0", "root0.json", true),
        ("a1", "root1.json", false),
        ("c0", "root1.json", true),
    ] {
        let (verified, out, err) = signet(vec![
            "verify-blob".into(),
            "--signature".into(),
            path(&format!("{artifact}.sig")),
            "--key".into(),
            path("signer.pub"),
            "--rekor-url".into(),
            url.clone(),
            "--trusted-root".into(),
            path(root),
            path(artifact),
        ])
        .await;
        assert_eq!(verified, ok, "{artifact} {root}: {out}{err}");
        if ok {
            assert!(
                out.contains("Verified OK") || err.contains("Verified OK"),
                "{out}{err}"
            );
        } else {
            assert!(err.contains("is not in the trusted root"), "{err}");
        }
    }
    server.abort();
}

/// A trusted root listing `keys` as the keys of one log's shards.
fn trusted_root(keys: &[&signet_crypto::PublicKey]) -> String {
    TrustedRoot {
        tlogs: keys
            .iter()
            .map(|k| TransparencyLog {
                base_url: "http://shards.test".into(),
                log_id: k.key_id().as_bytes().to_vec(),
                key: TrustedKey::Usable((*k).clone()),
                key_details: "PKIX_ECDSA_P256_SHA_256".into(),
                valid_for: TimeRange {
                    start: Some(UnixSeconds(1_600_000_000)),
                    end: None,
                },
            })
            .collect(),
        ..TrustedRoot::default()
    }
    .to_json()
    .unwrap()
}
