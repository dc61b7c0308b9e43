//! The tile client against a loopback server serving a tree's tiles: a partial tile the log no
//! longer serves is read from the full tile that replaced it (the tree grew past the client's
//! checkpoint), and an answer larger than a hash tile is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use signet_client::ClientError;
use signet_client::http::HttpOptions;
use signet_client::tiles::TileClient;
use signet_crypto::SigningKey;
use signet_testkit::hostile_http::{HostileServer, Reply};
use signet_tlog::tiles::{TileId, encode_entry_bundle};
use signet_tlog::{Checkpoint, EcdsaNoteSigner, HashStore, MerkleTree, StoredIndex};
use signet_types::TreeSize;

fn tile(tree: &MerkleTree, level: u8, index: u64) -> Vec<u8> {
    let id = TileId {
        level: Some(level),
        index,
        width: 256,
    };
    let idx: Vec<StoredIndex> = id.stored_indexes().into_iter().map(StoredIndex).collect();
    let hashes = tree.store().read_hashes(&idx).unwrap();
    hashes.iter().flat_map(|h| h.0).collect()
}

#[tokio::test]
async fn partial_tiles_come_from_the_full_tile_and_answers_are_limited() {
    // A log that has grown to 512 entries; the client holds its checkpoint at 300.
    let bodies: Vec<Vec<u8>> = (0..512u32)
        .map(|i| format!("entry {i}").into_bytes())
        .collect();
    let mut tree = MerkleTree::new();
    for b in &bodies {
        tree.append(signet_tlog::leaf_hash(b)).unwrap();
    }
    let key = SigningKey::generate_p256().unwrap();
    let signer = EcdsaNoteSigner::new("log.example", key).unwrap();
    let verifier = signer.verifier();
    let cp = Checkpoint {
        origin: "log.example".into(),
        size: TreeSize(300),
        root_hash: tree.root(TreeSize(300)).unwrap(),
        extensions: vec![],
    };
    let note = signet_tlog::sign_note(&cp.to_text(), &[&signer]).unwrap();
    // Level 0 only as full tiles: tile/0/001.p/44 and tile/entries/001.p/44 are 404s.
    let server = HostileServer::start(vec![
        ("/log/checkpoint", Reply::Body(note.into_bytes())),
        (
            "/log/tile/1/000.p/1",
            Reply::Body(tree.root(TreeSize(256)).unwrap().0.to_vec()),
        ),
        ("/log/tile/0/000", Reply::Body(tile(&tree, 0, 0))),
        ("/log/tile/0/001", Reply::Body(tile(&tree, 0, 1))),
        (
            "/log/tile/entries/001",
            Reply::Body(encode_entry_bundle(&bodies[256..512]).unwrap()),
        ),
    ])
    .await
    .unwrap();
    let client = TileClient::new(&format!("{}/log", server.url), &HttpOptions::default()).unwrap();
    let cp = client.verified_checkpoint(&[&verifier]).await.unwrap();
    client.check_root(&cp).await.unwrap();
    let e = client.verified_entry(&cp, 299).await.unwrap();
    assert_eq!(e.body, bodies[299]);
    assert!(matches!(
        client.verified_entry(&cp, 300).await,
        Err(ClientError::BeyondTree {
            index: 300,
            size: 300
        })
    ));

    // A "tile" that never ends is cut off at the hash-tile limit.
    let hostile = HostileServer::start(vec![(
        "/log/tile/0/000",
        Reply::Endless {
            stop_after: 1 << 20,
        },
    )])
    .await
    .unwrap();
    let client = TileClient::new(&format!("{}/log", hostile.url), &HttpOptions::default()).unwrap();
    let id = TileId {
        level: Some(0),
        index: 0,
        width: 256,
    };
    assert!(matches!(
        client.hash_tile(&id).await,
        Err(ClientError::TooLarge { limit: 8192, .. })
    ));
}
