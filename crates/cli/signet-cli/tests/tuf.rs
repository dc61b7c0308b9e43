//! The TUF repository a signet server publishes at `<url>/tuf/`, read by signet-tuf's client as
//! any TUF client reads it: bootstrapped from `DATA/tuf/root.json`, it verifies the timestamp,
//! snapshot and targets, and the targets are the instance's `trusted_root.json` and
//! `signing_config.v0.2.json`. A restart with the same trust signs nothing new; a restart whose
//! trust changed (another public URL) publishes new targets that a client which refreshes picks
//! up, while a client's old versions are never served again under the same name.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

mod common;

use common::Listening;
use signet_tuf::Trusted;

/// A server on `addr` (fixed, so that restarts keep the trust files' URL) for `public`.
fn server(data: &Path, addr: &str, public: &str) -> Listening {
    let mut s = Listening::start(
        &[
            "server",
            "--addr",
            addr,
            "--public-url",
            public,
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &[],
    );
    s.url = format!("http://{addr}");
    s
}

/// A loopback address with a port that was free a moment ago.
fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap()
}

async fn bytes(url: &str) -> Vec<u8> {
    let r = get(url).await;
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.bytes().await.unwrap().to_vec()
}

/// Refreshes `<base>/tuf` from `root` as the TUF client workflow does; returns the trusted set
/// and the two target files.
async fn refresh(base: &str, root: &[u8]) -> (Trusted, Vec<u8>, Vec<u8>) {
    let now = time::OffsetDateTime::now_utc();
    let mut t = Trusted::new(root, now).unwrap();
    loop {
        let next = t.root().signed.version + 1;
        let r = get(&format!("{base}/tuf/{next}.root.json")).await;
        if r.status().as_u16() == 404 {
            break;
        }
        t.update_root(&r.bytes().await.unwrap()).unwrap();
    }
    t.finish_roots().unwrap();
    let ts = get(&format!("{base}/tuf/timestamp.json")).await;
    assert_eq!(
        ts.headers()["cache-control"],
        "no-store",
        "timestamp.json must not be cached"
    );
    t.update_timestamp(&ts.bytes().await.unwrap()).unwrap();
    let sv = t.timestamp().unwrap().signed.meta["snapshot.json"].version;
    t.update_snapshot(&bytes(&format!("{base}/tuf/{sv}.snapshot.json")).await)
        .unwrap();
    let tv = t.snapshot().unwrap().signed.meta["targets.json"].version;
    t.update_targets(&bytes(&format!("{base}/tuf/{tv}.targets.json")).await)
        .unwrap();
    let mut files = Vec::new();
    for name in ["trusted_root.json", "signing_config.v0.2.json"] {
        let info = t.target(name).unwrap();
        let sha = &info.hashes["sha256"];
        let b = bytes(&format!("{base}/tuf/targets/{sha}.{name}")).await;
        signet_tuf::verify_target(name, &info, &b).unwrap();
        files.push(b);
    }
    let cfg = files.pop().unwrap();
    let tr = files.pop().unwrap();
    (t, tr, cfg)
}

#[tokio::test]
async fn the_server_publishes_its_trust_through_tuf_and_keeps_it_current() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let addr = free_addr();
    let public = format!("http://{addr}");
    let s = server(&data, &addr, &public);
    let root = std::fs::read(data.join("tuf/root.json")).unwrap();
    assert_eq!(bytes(&format!("{}/tuf/1.root.json", s.url)).await, root);
    let (t, tr, cfg) = refresh(&s.url, &root).await;
    assert_eq!(tr, std::fs::read(data.join("trusted_root.json")).unwrap());
    assert_eq!(
        cfg,
        std::fs::read(data.join("signing_config.json")).unwrap()
    );
    let (ts1, tv1) = (
        t.timestamp().unwrap().signed.version,
        t.targets("targets").unwrap().signed.version,
    );
    // Paths outside the repository are not served.
    for path in [
        "../keys/online.key",
        "%2e%2e/keys/online.key",
        "99.root.json",
    ] {
        let r = get(&format!("{}/tuf/{path}", s.url)).await;
        assert_eq!(r.status().as_u16() / 100, 4, "{path}");
        assert!(!r.text().await.unwrap().contains("PRIVATE KEY"), "{path}");
    }
    drop(s);

    // The same trust again: nothing new is signed.
    let s = server(&data, &addr, &public);
    let (t, _, _) = refresh(&s.url, &root).await;
    assert_eq!(t.timestamp().unwrap().signed.version, ts1);
    drop(s);

    // Another public URL: the signing config changes; new targets, snapshot and timestamp.
    let s = server(&data, &addr, "http://signet.example:8443");
    let (t, _, cfg) = refresh(&s.url, &root).await;
    assert!(t.targets("targets").unwrap().signed.version > tv1);
    assert!(t.timestamp().unwrap().signed.version > ts1);
    assert!(
        String::from_utf8(cfg)
            .unwrap()
            .contains("http://signet.example:8443")
    );
    // The old targets are still served under their own version (never rewritten).
    assert!(
        get(&format!("{}/tuf/{tv1}.targets.json", s.url))
            .await
            .status()
            .is_success()
    );
}
