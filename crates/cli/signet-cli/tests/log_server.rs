//! The transparency log over real HTTP on 127.0.0.1: the Rekor v1 API, the `signet log`
//! commands, and crash safety under `kill -9`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use signet_client::{ClientError, RekorClient, verify_entry};
use signet_crypto::{PublicKey, SigningKey};
use signet_rekor::api::{SearchIndex, SearchLogQuery};
use signet_rekor::proposed_hashedrekord;
use signet_types::{Sha256Hash, TreeSize};

mod common;

/// A log server on a fresh port.
struct Server(common::Listening);

impl Server {
    fn start(dir: &Path) -> Self {
        Self::start_on(dir, None)
    }

    /// With `database`, the logs' entries are in that PostgreSQL database (`--database`).
    fn start_on(dir: &Path, database: Option<&str>) -> Self {
        let d = dir.to_str().unwrap();
        let mut args = vec!["server", "--log-addr", "127.0.0.1:0", "--data-dir", d];
        if let Some(url) = database {
            args.extend(["--database", url]);
        }
        Self(common::Listening::start(&args, &[]))
    }

    fn kill9(self) {
        self.0.kill9();
    }
}

impl std::ops::Deref for Server {
    type Target = common::Listening;
    fn deref(&self) -> &common::Listening {
        &self.0
    }
}

fn proposed(key: &SigningKey, data: &[u8]) -> serde_json::Value {
    let sig = key.sign(data).unwrap();
    proposed_hashedrekord(
        &sig,
        &key.public_key().to_pem(),
        &signet_crypto::sha256(data).to_hex(),
    )
}

fn signet(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(args)
        .output()
        .unwrap()
}

/// Each test of `$name(database: Option<String>)` on the embedded store and on PostgreSQL.
macro_rules! on_both_backends {
    ($($name:ident),*) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(None).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(Some(signet_testkit::postgres::database())).await
            }
        }
    )*};
}

on_both_backends!(rekor_v1_api_round_trip, kill_9_loses_no_acknowledged_entry);

async fn rekor_v1_api_round_trip(database: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(dir.path(), database.as_deref());
    let c = RekorClient::new(&server.url).unwrap();
    let log_key: PublicKey = c.public_key().await.unwrap();
    let key = SigningKey::generate_p256().unwrap();

    // Create: 201, Location, and an entry that verifies offline.
    let first = proposed(&key, b"artifact one");
    let (entry, location) = c.create(&first).await.unwrap();
    let v = verify_entry(&entry, &log_key).unwrap();
    assert_eq!(location, format!("/api/v1/log/entries/{}", v.entry_id));
    assert_eq!(v.entry_id.len(), 80);
    assert_eq!(v.entry.log_index, 0);

    // Duplicate (same signature, key and digest): 409 naming the existing entry. A fresh ECDSA
    // signature over the same artifact is a different entry, as in Rekor.
    match c.create(&first).await {
        Err(ClientError::Status {
            status: 409,
            message,
            ..
        }) => assert!(message.contains(&v.entry_id)),
        other => panic!("expected 409, got {other:?}"),
    }
    // Bad signature, bad JSON, unsupported kind: 400.
    let mut bad = proposed(&key, b"artifact two");
    bad["spec"]["data"]["hash"]["value"] = signet_crypto::sha256(b"other").to_hex().into();
    for body in [
        bad,
        serde_json::json!({"kind": "rpm", "apiVersion": "0.0.1", "spec": {}}),
        serde_json::json!([1]),
    ] {
        match c.create(&body).await {
            Err(ClientError::Status { status: 400, .. }) => {}
            other => panic!("expected 400, got {other:?}"),
        }
    }

    // More entries, then reads by index and UUID, retrieve and search.
    let mut ids = vec![v.entry_id.clone()];
    for i in 0..20 {
        let (e, _) = c
            .create(&proposed(&key, format!("artifact {i} again").as_bytes()))
            .await
            .unwrap();
        ids.push(verify_entry(&e, &log_key).unwrap().entry_id);
    }
    let by_index = c.get_by_index(5).await.unwrap();
    assert_eq!(verify_entry(&by_index, &log_key).unwrap().entry_id, ids[5]);
    let by_uuid = c.get_by_uuid(&ids[7][16..]).await.unwrap();
    assert_eq!(verify_entry(&by_uuid, &log_key).unwrap().entry_id, ids[7]);
    match c.get_by_index(1000).await {
        Err(ClientError::Status { status: 404, .. }) => {}
        other => panic!("expected 404, got {other:?}"),
    }
    match c.get_by_uuid("zz").await {
        Err(ClientError::Status { status: 422, .. }) => {}
        other => panic!("expected 422, got {other:?}"),
    }
    let got = c
        .retrieve(&SearchLogQuery {
            entry_uuids: Some(vec![ids[3].clone()]),
            log_indexes: Some(vec![4, 999]),
            entries: None,
        })
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    let found = c
        .search(&SearchIndex {
            hash: Some(format!(
                "sha256:{}",
                signet_crypto::sha256(b"artifact one").to_hex()
            )),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found, vec![ids[0].clone()]);
    let by_key = c
        .search(&SearchIndex {
            public_key: Some(signet_rekor::api::SearchKey {
                format: "x509".into(),
                content: signet_types::b64::encode(key.public_key().to_pem()),
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_key.len(), 21);

    // Consistency between every older size and the head verifies.
    let info = c.log_info().await.unwrap();
    assert_eq!(info.tree_size, 21);
    let head_root = Sha256Hash::from_hex(&info.root_hash).unwrap();
    let mut roots = Vec::new();
    for i in 0..21u64 {
        let e = verify_entry(&c.get_by_index(i).await.unwrap(), &log_key).unwrap();
        roots.push(*e.checkpoint.root_hash());
    }
    for first in 1..=21u64 {
        let p = c.consistency(first, 21).await.unwrap();
        assert_eq!(p.root_hash, info.root_hash);
        let hashes: Vec<Sha256Hash> = p
            .hashes
            .iter()
            .map(|h| Sha256Hash::from_hex(h).unwrap())
            .collect();
        // Roots of older sizes come from the log's own proofs at that size (root of size `first`
        // = computed via an inclusion proof for leaf first-1 in the tree of size `first`).
        let _ = &roots;
        let older = c.consistency(first, first).await.unwrap();
        assert!(older.hashes.is_empty());
        let root1 = Sha256Hash::from_hex(&older.root_hash).unwrap();
        signet_tlog::verify_consistency(TreeSize(first), TreeSize(21), &hashes, &root1, &head_root)
            .unwrap();
    }

    // Reads are cached per head: after the head moves, a re-read proves against the new head.
    let before = verify_entry(&c.get_by_index(3).await.unwrap(), &log_key).unwrap();
    assert_eq!(before.checkpoint.size(), TreeSize(21));
    let (extra, _) = c.create(&proposed(&key, b"one more")).await.unwrap();
    let after = verify_entry(&c.get_by_index(3).await.unwrap(), &log_key).unwrap();
    assert_eq!(after.checkpoint.size(), TreeSize(22));
    assert_eq!(after.entry_id, before.entry_id);
    let extra_id = verify_entry(&extra, &log_key).unwrap().entry_id;

    // The rekor-cli style commands.
    let url = server.url.clone();
    let out = signet(&["log", "--rekor-url", &url, "get", "--log-index", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!(
            "LogID: {}\nIndex: 3\nIntegratedTime: ",
            log_key.key_id()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "UUID: {}\nBody: {{\n  \"HashedRekordObj\": {{",
            ids[3]
        )),
        "{text}"
    );
    let out = signet(&["log", "--rekor-url", &url, "verify", "--uuid", &ids[2]]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!(
        "tlog entry verified with uuid: {} index: 2",
        &ids[2][16..]
    )));
    let out = signet(&[
        "log",
        "--rekor-url",
        &url,
        "--output",
        "json",
        "search",
        "--sha",
        &signet_crypto::sha256(b"artifact one").to_hex(),
    ]);
    assert!(out.status.success());
    assert_eq!(
        serde_json::from_slice::<Vec<String>>(&out.stdout).unwrap(),
        vec![ids[0].clone()]
    );
    let out = signet(&["log", "--rekor-url", &url, "info"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Active Tree Size:       22"));
    assert_eq!(
        verify_entry(&c.get_by_uuid(&extra_id).await.unwrap(), &log_key)
            .unwrap()
            .entry
            .log_index,
        21
    );
    // A wrong pinned key makes every read fail.
    let other = dir.path().join("other.pem");
    std::fs::write(
        &other,
        SigningKey::generate_p256().unwrap().public_key().to_pem(),
    )
    .unwrap();
    let out = signet(&[
        "log",
        "--rekor-url",
        &url,
        "--log-public-key",
        other.to_str().unwrap(),
        "get",
        "--log-index",
        "1",
    ]);
    assert!(!out.status.success());
    let out = signet(&["log", "--rekor-url", &url, "get", "--log-index", "99"]);
    assert!(!out.status.success());
}

async fn kill_9_loses_no_acknowledged_entry(database: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(dir.path(), database.as_deref());
    let c = RekorClient::new(&server.url).unwrap();
    let log_key = c.public_key().await.unwrap();

    // 16 writers add entries as fast as they can; the server is killed mid-load.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut writers = Vec::new();
    for w in 0..16 {
        let c = c.clone();
        let tx = tx.clone();
        let log_key = log_key.clone();
        writers.push(tokio::spawn(async move {
            let key = SigningKey::generate_p256().unwrap();
            for i in 0..400 {
                match c
                    .create(&proposed(&key, format!("w{w} e{i}").as_bytes()))
                    .await
                {
                    Ok((e, _)) => {
                        let v = verify_entry(&e, &log_key).unwrap();
                        let _ =
                            tx.send((v.entry_id, v.checkpoint.size(), *v.checkpoint.root_hash()));
                    }
                    Err(_) => return, // server gone
                }
            }
        }));
    }
    drop(tx);
    let start = Instant::now();
    let mut acked = Vec::new();
    while acked.len() < 1500 && start.elapsed() < Duration::from_secs(60) {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(a)) => acked.push(a),
            _ => break,
        }
    }
    server.kill9();
    while let Ok(Some(a)) = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await {
        acked.push(a);
    }
    for w in writers {
        let _ = w.await;
    }
    assert!(
        acked.len() >= 1000,
        "only {} entries acknowledged before the kill",
        acked.len()
    );

    // Restart on the same data directory: every acknowledged entry is there and verifies, and
    // every checkpoint a writer saw is consistent with the new head.
    let server = Server::start_on(dir.path(), database.as_deref());
    let c = RekorClient::new(&server.url).unwrap();
    assert_eq!(
        c.public_key().await.unwrap(),
        log_key,
        "log key must survive restarts"
    );
    let info = c.log_info().await.unwrap();
    let head = (
        TreeSize(u64::try_from(info.tree_size).unwrap()),
        Sha256Hash::from_hex(&info.root_hash).unwrap(),
    );
    assert!(head.0.0 as usize >= acked.len());
    for (id, _, _) in &acked {
        let e = c
            .get_by_uuid(id)
            .await
            .unwrap_or_else(|e| panic!("acknowledged entry {id} lost: {e}"));
        verify_entry(&e, &log_key).unwrap();
    }
    let mut sizes: Vec<(TreeSize, Sha256Hash)> = acked.iter().map(|(_, s, r)| (*s, *r)).collect();
    sizes.sort_by_key(|s| s.0);
    sizes.dedup();
    for (size, root) in sizes {
        let p = c.consistency(size.0, head.0.0).await.unwrap();
        let hashes: Vec<Sha256Hash> = p
            .hashes
            .iter()
            .map(|h| Sha256Hash::from_hex(h).unwrap())
            .collect();
        signet_tlog::verify_consistency(size, head.0, &hashes, &root, &head.1).unwrap_or_else(
            |e| panic!("checkpoint at size {size} inconsistent with restarted head: {e}"),
        );
    }
    // And the log keeps accepting entries after the crash.
    let key = SigningKey::generate_p256().unwrap();
    let (e, _) = c.create(&proposed(&key, b"after restart")).await.unwrap();
    verify_entry(&e, &log_key).unwrap();
}

/// An intoto 0.0.2 envelope sent again with its key PEM re-wrapped (CRLF instead of LF) is the
/// same entry: 201, then 409 naming it, and the entry stores the key in canonical form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intoto_with_rewrapped_key_is_a_duplicate() {
    use signet_types::dsse;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let c = RekorClient::new(&server.url).unwrap();
    let log_key = c.public_key().await.unwrap();
    let key = SigningKey::generate_p256().unwrap();
    let payload = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"ab"}}]}"#;
    let env = dsse::Envelope {
        payload: payload.to_vec(),
        payload_type: dsse::IN_TOTO_PAYLOAD_TYPE.into(),
        signatures: vec![dsse::DsseSignature {
            sig: key
                .sign(&dsse::pae(dsse::IN_TOTO_PAYLOAD_TYPE, payload))
                .unwrap(),
            keyid: String::new(),
        }],
    };
    let env_json = serde_json::to_string(&env.to_json()).unwrap();
    let lf = key.public_key().to_pem();
    let crlf = lf.replace('\n', "\r\n");
    let proposed = |pem: &str| signet_rekor::proposed_intoto(&env_json, pem).unwrap();
    let (entry, _) = c.create(&proposed(&crlf)).await.unwrap();
    let v = verify_entry(&entry, &log_key).unwrap();
    let body = String::from_utf8(v.body.clone()).unwrap();
    assert!(
        body.contains(&signet_types::b64::encode(&lf)),
        "key not canonical in {body}"
    );
    match c.create(&proposed(&lf)).await {
        Err(ClientError::Status {
            status: 409,
            message,
            ..
        }) => assert!(message.contains(&v.entry_id), "{message}"),
        other => panic!("expected 409, got {:?}", other.map(|(_, l)| l)),
    }
}

/// Hostile entry IDs and query strings get a JSON 4xx answer, never a dropped connection; the
/// server goes on serving. The first path is the one that used to panic the handler (`&s[..16]`
/// on an 80-byte ID whose 16th byte starts a multi-byte character).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_ids_and_queries_get_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let http = reqwest::Client::new();
    let utf8_at_16 = format!("{}é{}", "a".repeat(15), "b".repeat(63)); // 80 bytes
    assert_eq!(utf8_at_16.len(), 80);
    let utf8_at_64 = format!("{}€{}", "c".repeat(63), "d".repeat(14)); // 80 bytes
    let paths = [
        format!("/api/v1/log/entries/{utf8_at_16}"),
        format!("/api/v1/log/entries/{utf8_at_64}"),
        format!("/api/v1/log/entries/{}", "é".repeat(32)),
        format!("/api/v1/log/entries/+{}", "0".repeat(79)),
        "/api/v1/log/entries?logIndex=-1".to_string(),
        "/api/v1/log/entries?logIndex=99999999999999999999999".to_string(),
        "/api/v1/log/entries?logIndex=%E2%82%AC".to_string(),
        "/api/v1/log/proof?firstSize=5&lastSize=2".to_string(),
        "/api/v1/log/proof?firstSize=%FF&lastSize=1".to_string(),
    ];
    for p in &paths {
        let r = http
            .get(format!("{}{p}", server.url))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{p}: no answer: {e}"));
        let status = r.status().as_u16();
        assert!((400..500).contains(&status), "{p}: status {status}");
        let body: serde_json::Value = r
            .json()
            .await
            .unwrap_or_else(|e| panic!("{p}: not JSON: {e}"));
        assert!(body["message"].is_string(), "{p}: {body}");
    }
    let r = http
        .get(format!("{}/api/v1/log", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// Runs `signet server` on `dir`, which must refuse to start: exits non-zero within 30 s with
/// `names` in its error output.
fn server_refuses(dir: &Path, names: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_signet"))
        .args([
            "server",
            "--log-addr",
            "127.0.0.1:0",
            "--data-dir",
            dir.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("signet server started on a damaged data dir");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!status.success(), "{err}");
    for n in names {
        assert!(err.contains(n), "{n} not in: {err}");
    }
}

/// A deleted log database, or a group/world-readable key, stops `signet server` with an error.
#[test]
fn server_refuses_a_lost_database_and_exposed_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = signet(&["init", "--data-dir", d.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    #[cfg(unix)]
    for key in [
        "log/log.key",
        "ct/log.key",
        "ca/root.key",
        "ca/intermediate.key",
    ] {
        use std::os::unix::fs::PermissionsExt;
        let p = d.join(key);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        server_refuses(d, &[&format!("chmod 600 {}", p.display())]);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // The transparency log's database, then (on another instance) the CT log's.
    let ct = tempfile::tempdir().unwrap();
    let out = signet(&["init", "--data-dir", ct.path().to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    for (d, sub, what) in [(d, "log", "transparency log"), (ct.path(), "ct", "CT log")] {
        for f in ["log.sqlite", "log.sqlite-wal", "log.sqlite-shm"] {
            let _ = std::fs::remove_file(d.join(sub).join(f));
        }
        server_refuses(
            d,
            &[
                "log.sqlite",
                "refusing to open the log",
                &d.join(sub).join("checkpoint").display().to_string(),
                what,
            ],
        );
    }
}
