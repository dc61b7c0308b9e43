//! The Rekor v2 personality on a real store: entries in through `create`, read back through the
//! tiles it serves.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use serde_json::json;
use signet_crypto::SigningKey;
use signet_log::tiles::{TileError, TileId, parse_entry_bundle, with_tiles};
use signet_log::{Backend, LogError, RekorV2Log, SystemClock};

mod common;
use signet_types::{LogIndex, Sha256Hash, TreeSize, b64};

fn request(key: &SigningKey, data: &[u8]) -> Vec<u8> {
    let sig = key.sign(data).unwrap();
    json!({"hashedRekordRequestV002": {
        "digest": b64::encode(signet_crypto::sha256(data).as_bytes()),
        "signature": {"content": b64::encode(&sig), "verifier": {
            "publicKey": {"rawBytes": b64::encode(key.public_key().spki_der())},
            "keyDetails": "PKIX_ECDSA_P256_SHA_256"}}}})
    .to_string()
    .into_bytes()
}

fn int(v: &serde_json::Value) -> u64 {
    v.as_str().unwrap().parse().unwrap()
}

async fn entries_are_logged_and_tiles_reproduce_the_checkpoint(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(
        RekorV2Log::open_in(&b, dir.path(), "log.example:8080", Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    // The empty tree: a checkpoint, no tiles.
    let verifier =
        signet_tlog::EcdsaNoteVerifier::new("log.example:8080", log.log().public_key().clone());
    let cp = signet_tlog::verify_checkpoint(&log.checkpoint(), &[&verifier]).unwrap();
    assert_eq!(cp.origin(), "log.example:8080");
    assert_eq!(cp.size(), TreeSize(0));
    let t0 = TileId {
        level: Some(0),
        index: 0,
        width: 1,
    };
    assert_eq!(log.tile(&t0).await.unwrap_err().status(), 404);

    // 257 entries: one full level-0 tile and a partial one of width 1.
    let key = SigningKey::generate_p256().unwrap();
    let mut tasks = Vec::new();
    for i in 0..257u32 {
        let (log, req) = (
            log.clone(),
            request(&key, format!("artifact {i}").as_bytes()),
        );
        tasks.push(tokio::spawn(async move { log.create(&req).await }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap().unwrap());
    }
    let e = &answers[3];
    assert_eq!(
        e["kindVersion"],
        json!({"kind": "hashedrekord", "version": "0.0.2"})
    );
    assert_eq!(e["integratedTime"], "0");
    assert!(e["inclusionPromise"].is_null());
    assert_eq!(e["logId"]["keyId"], b64::encode(log.log_id().as_bytes()));
    assert_eq!(log.log_id(), log.log().public_key().key_id());
    // Each answer's proof verifies against its own signed checkpoint.
    for e in &answers {
        let p = &e["inclusionProof"];
        let cp = signet_tlog::verify_checkpoint(
            p["checkpoint"]["envelope"].as_str().unwrap(),
            &[&verifier],
        )
        .unwrap();
        assert_eq!(cp.size().0, int(&p["treeSize"]));
        assert_eq!(b64::encode(cp.root_hash().as_bytes()), p["rootHash"]);
        let body = b64::decode(e["canonicalizedBody"].as_str().unwrap()).unwrap();
        let hashes: Vec<Sha256Hash> = p["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| Sha256Hash::from_slice(&b64::decode(h.as_str().unwrap()).unwrap()).unwrap())
            .collect();
        cp.verify_inclusion(
            LogIndex(int(&e["logIndex"])),
            &signet_tlog::leaf_hash(&body),
            &hashes,
        )
        .unwrap();
    }

    // The tiles reproduce the latest checkpoint's root, and the entry bundles hold the bodies.
    let cp = signet_tlog::verify_checkpoint(&log.checkpoint(), &[&verifier]).unwrap();
    assert_eq!(cp.size(), TreeSize(257));
    let l2 = log.clone();
    let root = with_tiles(
        257,
        |id| {
            let l = l2.clone();
            async move { Ok::<_, TileError>(l.tile(&id).await.unwrap().to_vec()) }
        },
        |p| p.root(),
    )
    .await
    .unwrap();
    assert_eq!(&root, cp.root_hash());
    let full = log
        .tile(&TileId {
            level: Some(0),
            index: 0,
            width: 256,
        })
        .await
        .unwrap();
    assert_eq!(full.len(), 8192);
    let again = log
        .tile(&TileId {
            level: Some(0),
            index: 0,
            width: 256,
        })
        .await
        .unwrap();
    assert_eq!(again, full);
    assert_eq!(
        log.tile(&TileId {
            level: Some(0),
            index: 1,
            width: 1
        })
        .await
        .unwrap()
        .len(),
        32
    );
    assert_eq!(
        log.tile(&TileId {
            level: Some(0),
            index: 1,
            width: 2
        })
        .await
        .unwrap_err()
        .status(),
        404
    );
    assert_eq!(
        log.tile(&TileId {
            level: Some(1),
            index: 0,
            width: 2
        })
        .await
        .unwrap_err()
        .status(),
        404
    );
    // The level-1 hash 0 is the root of the first 256 leaves (the full level-0 tile).
    let mut first = signet_tlog::MerkleTree::new();
    for h in full.chunks(32) {
        first.append(Sha256Hash::from_slice(h).unwrap()).unwrap();
    }
    let l1 = log
        .tile(&TileId {
            level: Some(1),
            index: 0,
            width: 1,
        })
        .await
        .unwrap();
    assert_eq!(*l1, first.current_root().0.to_vec());
    let mut bodies = parse_entry_bundle(
        &log.tile(&TileId {
            level: None,
            index: 0,
            width: 256,
        })
        .await
        .unwrap(),
    )
    .unwrap();
    bodies.extend(
        parse_entry_bundle(
            &log.tile(&TileId {
                level: None,
                index: 1,
                width: 1,
            })
            .await
            .unwrap(),
        )
        .unwrap(),
    );
    assert_eq!(bodies.len(), 257);
    for e in &answers {
        let i = int(&e["logIndex"]) as usize;
        assert_eq!(b64::encode(&bodies[i]), e["canonicalizedBody"]);
        assert_eq!(
            &full.get(i * 32..i * 32 + 32).unwrap_or(&[]),
            &if i < 256 {
                signet_tlog::leaf_hash(&bodies[i]).0.to_vec()
            } else {
                Vec::new()
            }
            .as_slice()
        );
    }

    // The same request again: 409 naming the earlier index; nothing new stored.
    let first = &answers[0];
    let body = b64::decode(first["canonicalizedBody"].as_str().unwrap()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let again = json!({"hashedRekordRequestV002": {
        "digest": v["spec"]["hashedRekordV002"]["data"]["digest"],
        "signature": v["spec"]["hashedRekordV002"]["signature"]}});
    match log.create(again.to_string().as_bytes()).await {
        Err(LogError::DuplicateIndex { index }) => assert_eq!(index, int(&first["logIndex"])),
        other => panic!("not a duplicate: {other:?}"),
    }
    // Refused requests store nothing.
    let mut bad = serde_json::from_slice::<serde_json::Value>(&request(&key, b"x")).unwrap();
    bad["hashedRekordRequestV002"]["digest"] = b64::encode([0u8; 32]).into();
    assert_eq!(
        log.create(bad.to_string().as_bytes())
            .await
            .unwrap_err()
            .status(),
        400
    );
    assert_eq!(log.create(b"{\"rpm\":{}}").await.unwrap_err().status(), 400);
    assert_eq!(log.log().head().size, 257);
}

on_both_backends!(entries_are_logged_and_tiles_reproduce_the_checkpoint,);
