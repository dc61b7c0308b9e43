//! `signet log monitor` against real logs on 127.0.0.1: a `signet server --dev-oidc` where two
//! identities sign blobs, of which the monitor reports exactly the watched one's entry (and,
//! on the next round, only a new one); and a forked log — two trees under the same key that
//! share their first entries, then differ — which the monitor, having verified the first,
//! refuses with a FORK alert and a non-zero exit when served the second, and which
//! `--compare-url` reports as a SPLIT VIEW.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use signet_crypto::SigningKey;
use signet_log::ShardedLog;
use signet_testkit::log_trees::{forked_trees, proposal};

mod common;

use common::{events, output_text as text, signet_in as signet};

#[test]
fn monitor_reports_exactly_the_watched_identity() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = common::dev_server(&data);
    let sign = |who: &str, name: &str| {
        let bundle = common::sign_keyless(&data, dir.path(), who, name);
        let b: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
        b["verificationMaterial"]["tlogEntries"][0]["logIndex"]
            .as_str()
            .map(|s| s.parse::<u64>().unwrap())
            .or_else(|| b["verificationMaterial"]["tlogEntries"][0]["logIndex"].as_u64())
            .unwrap()
    };
    let bob = sign("bob@example.com", "bob.txt");
    let alice = sign("alice@example.com", "alice.txt");
    let carol = sign("carol@example.com", "carol.txt");
    assert_eq!([bob, alice, carol], [0, 1, 2]);

    let state = dir.path().join("monitor.state");
    let root = data.join("trusted_root.json");
    let issuer = format!("{}/oidc", server.url);
    // `log monitor --once` with `root` (none: no log key given) and `state`.
    let monitor_with = |root: Option<&Path>, state: &Path, extra: &[&str]| {
        let mut a = vec!["log", "monitor", "--once", "--rekor-url", &server.url];
        let root_s = root.map(|r| r.to_str().unwrap().to_string());
        if let Some(r) = &root_s {
            a.extend(["--trusted-root", r.as_str()]);
        }
        a.extend(["--state", state.to_str().unwrap()]);
        a.extend_from_slice(extra);
        signet(&data, &a)
    };
    let monitor = |extra: &[&str]| monitor_with(Some(&root), &state, extra);
    let o = monitor(&["--identity", "alice@example.com"]);
    assert!(o.status.success(), "{}", text(&o));
    let m = events(&o, "match");
    assert_eq!(m.len(), 1, "{}", text(&o));
    assert_eq!(m[0]["logIndex"], 1);
    assert_eq!(m[0]["matched"][0]["type"], "identity");
    assert_eq!(m[0]["entry"]["identities"][0], "alice@example.com");
    assert_eq!(m[0]["entry"]["issuers"][0], issuer.as_str());
    let cp = events(&o, "checkpoint");
    assert_eq!(cp.len(), 1);
    assert_eq!(
        (cp[0]["previousSize"].as_u64(), cp[0]["treeSize"].as_u64()),
        (Some(0), Some(3))
    );

    // Next round: only the new entry is read; a new entry of alice's is found, by identity or
    // issuer; nothing for a watched identity that never signed.
    let dave = sign("dave@example.com", "dave.txt");
    let again = sign("alice@example.com", "alice2.txt");
    let o = monitor(&[
        "--identity",
        "alice@example.com",
        "--identity",
        "mallory@example.com",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let m = events(&o, "match");
    assert_eq!(m.len(), 1, "{}", text(&o));
    assert_eq!(m[0]["logIndex"], again);
    let cp = events(&o, "checkpoint");
    assert_eq!(cp[0]["previousSize"], 3);
    assert_eq!(cp[0]["entriesRead"], 2);
    assert_eq!(dave, 3);
    // A round with nothing new reads nothing; the issuer matches nothing new either.
    let o = monitor(&["--issuer", &issuer]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(events(&o, "match").is_empty(), "{}", text(&o));
    assert_eq!(events(&o, "checkpoint")[0]["entriesRead"], 0);

    // rekor-monitor's config file, on a fresh state (the whole log): alice's two entries by a
    // SAN regular expression with the issuer; an issuer that never signed matches nothing; a
    // matcher signet does not have (`subjects`, for PGP/SSH keys) is refused.
    let config = dir.path().join("monitor.yaml");
    let with_config = |yaml: String, state: &str| {
        std::fs::write(&config, yaml).unwrap();
        monitor_with(
            Some(&root),
            &dir.path().join(state),
            &["--config", config.to_str().unwrap()],
        )
    };
    let issuer_re = regex::escape(&issuer);
    let o = with_config(
        format!(
            "monitoredValues:\n  certIdentities:\n    - certSubject: alice@example\\.com\n      issuers:\n        - {issuer_re}\n"
        ),
        "c1.state",
    );
    assert!(o.status.success(), "{}", text(&o));
    let found: Vec<u64> = events(&o, "match")
        .iter()
        .map(|m| m["logIndex"].as_u64().unwrap())
        .collect();
    assert_eq!(found, vec![alice, again], "{}", text(&o));
    assert_eq!(events(&o, "match")[0]["matched"][0]["type"], "certIdentity");
    let o = with_config(
        "monitoredValues:\n  certIdentities:\n    - certSubject: alice\n      issuers: [accounts\\.google\\.com]\n".into(),
        "c2.state",
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(events(&o, "match").is_empty(), "{}", text(&o));
    let o = with_config(
        "monitoredValues:\n  subjects: [subject@domain.com]\n".into(),
        "c3.state",
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("subjects"), "{}", text(&o));

    // Without any log key the monitor refuses to start.
    let o = monitor_with(None, &state, &[]);
    assert!(!o.status.success());
    assert!(text(&o).contains("--log-public-key"), "{}", text(&o));
    // A trusted root of another instance: the checkpoint does not verify.
    let other = tempfile::tempdir().unwrap();
    let o = signet(
        other.path(),
        &["init", "--data-dir", other.path().to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    let fresh_state = dir.path().join("fresh.state");
    let o = monitor_with(
        Some(&other.path().join("trusted_root.json")),
        &fresh_state,
        &[],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("does not verify"), "{}", text(&o));
    assert_eq!(events(&o, "alert").len(), 1, "{}", text(&o));
    assert!(!fresh_state.exists());
}

/// Serves `log` (one tree) on 127.0.0.1; the URL.
async fn serve(log: signet_log::TransparencyLog<signet_log::SqliteStore>) -> String {
    let log = Arc::new(ShardedLog::new(vec![], log).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = signet_server::rekor_router(log);
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_detects_a_forked_log() {
    tokio::time::timeout(Duration::from_secs(60), forked())
        .await
        .unwrap();
}

async fn forked() {
    let dir = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    let signer = SigningKey::generate_p256().unwrap();
    let (a, b) = forked_trees(&a_dir, &b_dir, &signer, &["s0", "s1", "s2"]).await;
    for n in ["a3", "a4"] {
        a.add(&proposal(&signer, n)).await.unwrap();
    }
    for n in ["b3", "b4", "b5"] {
        b.add(&proposal(&signer, n)).await.unwrap();
    }
    let key = dir.path().join("log.pub");
    std::fs::write(&key, a.public_key().to_pem()).unwrap();
    let (a_url, b_url) = (serve(a).await, serve(b).await);
    let state = dir.path().join("state.json");
    let monitor = |url: &str, extra: &[&str]| {
        let v: Vec<String> = [
            "log",
            "monitor",
            "--once",
            "--rekor-url",
            url,
            "--log-public-key",
            key.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ]
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect();
        let dir = dir.path().to_path_buf();
        async move {
            let refs: Vec<&str> = v.iter().map(String::as_str).collect();
            common::signet_in_async(&dir, &refs).await
        }
    };

    // The monitor verifies log A (5 entries).
    let o = monitor(&a_url, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(events(&o, "checkpoint")[0]["treeSize"], 5);
    let saved = std::fs::read(&state).unwrap();

    // Served B (same key, same tree ID, validly signed, 6 entries that are not an extension
    // of A's 5): FORK, non-zero exit, state untouched.
    let o = monitor(&b_url, &[]).await;
    assert!(!o.status.success(), "{}", text(&o));
    let alerts = events(&o, "alert");
    assert_eq!(alerts.len(), 1, "{}", text(&o));
    let reason = alerts[0]["reason"].as_str().unwrap();
    assert!(reason.contains("FORK"), "{reason}");
    assert!(
        reason.contains("size 6") && reason.contains("size 5"),
        "{reason}"
    );
    assert_eq!(std::fs::read(&state).unwrap(), saved);

    // Split view: A and B seen side by side.
    let o = monitor(&a_url, &["--compare-url", &b_url]).await;
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("SPLIT VIEW"), "{}", text(&o));
    // A against itself: consistent.
    let o = monitor(&a_url, &["--compare-url", &a_url]).await;
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(events(&o, "compared").len(), 1);

    // Following (no --once): a round every second; an entry added to A shows up in a later
    // round as a checkpoint of size 6 read from 5.
    let mut child = KillOnDrop(
        std::process::Command::new(env!("CARGO_BIN_EXE_signet"))
            .args([
                "log",
                "monitor",
                "--interval",
                "1",
                "--rekor-url",
                &a_url,
                "--log-public-key",
                key.to_str().unwrap(),
                "--state",
                state.to_str().unwrap(),
            ])
            .env_remove("SIGNET_REKOR_URL")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first: serde_json::Value = serde_json::from_str(&rx.recv().await.unwrap()).unwrap();
    assert_eq!(
        (&first["event"], &first["treeSize"]),
        (&"checkpoint".into(), &5.into())
    );
    let r = reqwest::Client::new()
        .post(format!("{a_url}/api/v1/log/entries"))
        .header("content-type", "application/json")
        .body(proposal(&signer, "a5"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    loop {
        let v: serde_json::Value = serde_json::from_str(&rx.recv().await.unwrap()).unwrap();
        assert_eq!(v["event"], "checkpoint", "{v}");
        if v["treeSize"] == 6 {
            assert_eq!(
                (&v["previousSize"], &v["entriesRead"]),
                (&5.into(), &1.into())
            );
            break;
        }
    }
    drop(child);
}

/// A child process killed (and reaped) when dropped, also when a test fails.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
