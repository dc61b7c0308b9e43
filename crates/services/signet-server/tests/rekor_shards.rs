//! The Rekor v1 API of a sharded log over HTTP, checked with signet's own Rekor client: an entry
//! of the frozen shard and one of the active shard each verify with their shard's key (fetched
//! with `publicKey?treeID=`), under global indexes; `/api/v1/log` lists the inactive shard;
//! `proof` and `publicKey` take a `treeID`, and an unknown or malformed one is a 400.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use signet_client::{RekorClient, verify_entry};
use signet_crypto::SigningKey;
use signet_log::ShardedLog;
use signet_log::api::{SearchIndex, SearchLogQuery};
use signet_testkit::log_trees::{filled_tree, open_tree as open, proposal};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sharded_log_over_http() {
    tokio::time::timeout(Duration::from_secs(30), run())
        .await
        .unwrap();
}

async fn run() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let signer = SigningKey::generate_p256().unwrap();
    let (first, _) = filled_tree(dirs[0].path(), 0, &signer, &["a0", "a1"]).await;
    let second = open(dirs[1].path(), 2).await;
    let trees = [first.tree_id(), second.tree_id()];
    let log = Arc::new(ShardedLog::new(vec![first], second).unwrap());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = signet_server::json_errors(signet_server::rekor_router(log));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let c = RekorClient::new(&url).unwrap();

    // A new entry goes to the active shard, at the next global index.
    let (created, _) = c
        .create(&serde_json::from_slice(&proposal(&signer, "b0")).unwrap())
        .await
        .unwrap();
    let keys = [
        c.shard_public_key(trees[0]).await.unwrap(),
        c.shard_public_key(trees[1]).await.unwrap(),
    ];
    assert_eq!(c.public_key().await.unwrap(), keys[1]);
    assert_ne!(keys[0], keys[1]);
    let v = verify_entry(&created, &keys[1]).unwrap();
    assert_eq!(v.entry.log_index, 2);
    assert!(verify_entry(&created, &keys[0]).is_err());

    // Each entry verifies with its own shard's key only.
    for (global, shard, local) in [(0, 0, 0), (1, 0, 1), (2, 1, 0)] {
        let e = c.get_by_index(global).await.unwrap();
        let v = verify_entry(&e, &keys[shard]).unwrap();
        assert_eq!(v.entry.log_index, global as i64);
        let proof = v.entry.verification.as_ref().unwrap();
        assert_eq!(proof.inclusion_proof.as_ref().unwrap().log_index, local);
        assert!(v.entry_id.starts_with(&format!("{:016x}", trees[shard])));
        assert!(verify_entry(&e, &keys[1 - shard]).is_err());
        // By its 64-character UUID, and by its entry ID.
        assert_eq!(c.get_by_uuid(&v.uuid.to_hex()).await.unwrap(), e);
        assert_eq!(c.get_by_uuid(&v.entry_id).await.unwrap(), e);
    }
    let got = c
        .retrieve(&SearchLogQuery {
            log_indexes: Some(vec![0, 2, 3]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    verify_entry(&got[0], &keys[0]).unwrap();
    verify_entry(&got[1], &keys[1]).unwrap();
    let ids = c
        .search(&SearchIndex {
            public_key: Some(signet_log::api::SearchKey {
                format: "x509".into(),
                content: signet_types::b64::encode(signer.public_key().to_pem()),
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ids.len(), 3);
    assert_eq!(
        ids.iter()
            .filter(|i| i.starts_with(&format!("{:016x}", trees[0])))
            .count(),
        2
    );

    // Log info: the active shard, with the inactive one listed.
    let info = c.log_info().await.unwrap();
    assert_eq!(info.tree_id, trees[1].to_string());
    assert_eq!(info.tree_size, 1);
    let inactive = info.inactive_shards.unwrap();
    assert_eq!(inactive.len(), 1);
    assert_eq!(inactive[0].tree_id, trees[0].to_string());
    assert_eq!(inactive[0].tree_size, 2);
    // Consistency in the inactive shard, by tree ID; its sizes are not the active shard's.
    let p = c.shard_consistency(1, 2, trees[0]).await.unwrap();
    assert_eq!(p.root_hash, inactive[0].root_hash);
    assert_eq!(p.hashes.len(), 1);
    assert!(c.consistency(1, 2).await.is_err());

    // Unknown or malformed tree IDs: 400 with a message naming them.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let unknown = (trees[0] ^ trees[1]) | 1;
    for (path, want) in [
        (
            format!("/api/v1/log/publicKey?treeID={unknown}"),
            format!("no log range found for tree ID {unknown}"),
        ),
        (
            format!("/api/v1/log/proof?firstSize=1&lastSize=1&treeID={unknown}"),
            format!("no log range found for tree ID {unknown}"),
        ),
        (
            "/api/v1/log/publicKey?treeID=x1".to_string(),
            "invalid tree ID specified: x1".to_string(),
        ),
        (
            "/api/v1/log/proof?lastSize=1&treeID=-1".to_string(),
            "invalid tree ID specified: -1".to_string(),
        ),
    ] {
        let r = http.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], 400);
        assert_eq!(body["message"], want.as_str(), "{path}");
    }
    // An entry ID naming the wrong tree: 404.
    let uuid = &v.entry_id[16..];
    let r = http
        .get(format!(
            "{url}/api/v1/log/entries/{}",
            signet_rekor::entry_id(trees[0], uuid)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    server.abort();
}
