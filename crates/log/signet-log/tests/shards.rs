//! A log sharded the way Rekor rotates its key: a frozen first tree (its own key) and an active
//! second one (a new key, a new tree ID) under one global index. Every entry verifies with its
//! own shard's key (SET over the global index, inclusion proof with the leaf index against the
//! shard's checkpoint); lookups by index, UUID, entry ID, retrieve and search span the shards;
//! duplicates are only the active shard's; the constructor refuses shards that do not line up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use signet_crypto::{PublicKey, SigningKey};
use signet_log::api::{LogEntry, LogEntryAnon, SearchIndex, SearchKey, SearchLogQuery};
use std::sync::Arc;

use signet_log::store::{PageStart, SearchCursor};
use signet_log::{Backend, LogConfig, LogError, ShardedLog, Store, SystemClock, TransparencyLog};
use signet_types::{LogIndex, Sha256Hash, b64};

mod common;
use common::{close, proposal};

async fn open(b: &Backend, dir: &Path, offset: u64) -> Result<TransparencyLog<Store>, LogError> {
    common::open_in(
        b,
        dir,
        LogConfig::new("shards.test").with_index_offset(offset),
    )
    .await
}

fn uuid_of(proposal: &[u8]) -> String {
    signet_log::admit::admit(proposal).unwrap().uuid.to_hex()
}

fn only(e: &LogEntry) -> (&String, &LogEntryAnon) {
    assert_eq!(e.len(), 1);
    e.iter().next().unwrap()
}

/// Checks `entry` the way a verifier does, with the shard key `key` only: its log ID, the SET
/// over (body, time, log ID, GLOBAL index `global`), and the inclusion proof of leaf `local`
/// against the shard's signed checkpoint. Also that the SET does not sign the leaf index.
fn verify(entry: &LogEntry, key: &PublicKey, tree_id: u64, global: i64, local: i64) {
    let (id, e) = only(entry);
    assert_eq!(
        &id[..16],
        format!("{tree_id:016x}"),
        "entry ID names the shard"
    );
    assert_eq!(e.log_index, global);
    assert_eq!(e.log_id, key.key_id().to_hex());
    let body = b64::decode(&e.body).unwrap();
    let leaf = signet_tlog::leaf_hash(&body);
    assert_eq!(&id[16..], leaf.to_hex());
    let v = e.verification.as_ref().unwrap();
    let set = b64::decode(v.signed_entry_timestamp.as_ref().unwrap()).unwrap();
    let payload =
        |index| signet_rekor::set_payload(&body, e.integrated_time, key.key_id().as_bytes(), index);
    signet_rekor::verify_set(key, &payload(global), &set).unwrap();
    if global != local {
        assert!(signet_rekor::verify_set(key, &payload(local), &set).is_err());
    }
    let p = v.inclusion_proof.as_ref().unwrap();
    assert_eq!(p.log_index, local);
    let verifier = signet_tlog::EcdsaNoteVerifier::any_name(key.clone());
    let cp = signet_tlog::verify_checkpoint(
        &p.checkpoint,
        &[&verifier as &dyn signet_tlog::NoteVerifier],
    )
    .unwrap();
    assert!(
        cp.origin().ends_with(&format!(" - {tree_id}")),
        "{}",
        cp.origin()
    );
    assert_eq!(cp.root_hash().to_hex(), p.root_hash);
    assert_eq!(i64::try_from(cp.size().0).unwrap(), p.tree_size);
    let hashes: Vec<Sha256Hash> = p
        .hashes
        .iter()
        .map(|h| Sha256Hash::from_hex(h).unwrap())
        .collect();
    cp.verify_inclusion(LogIndex(u64::try_from(local).unwrap()), &leaf, &hashes)
        .unwrap();
}

fn not_found<T: std::fmt::Debug>(r: Result<T, LogError>) {
    assert!(matches!(r, Err(LogError::NotFound)), "{r:?}");
}

struct Setup {
    _dirs: [tempfile::TempDir; 2],
    log: ShardedLog<Store>,
    signer: SigningKey,
    /// The proposals of a0..a2, b0, b1 and c0 (signatures are randomized: made once).
    proposals: std::collections::HashMap<&'static str, Vec<u8>>,
    keys: [PublicKey; 2],
    trees: [u64; 2],
}

impl Setup {
    fn proposal(&self, name: &str) -> &[u8] {
        &self.proposals[name]
    }

    fn uuid(&self, name: &str) -> String {
        uuid_of(self.proposal(name))
    }
}

/// Shard 1 with a0..a2, frozen; shard 2 (new key, offset 3) with b0, b1 added through the
/// sharded log.
async fn setup(b: &Backend) -> Setup {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let signer = SigningKey::generate_p256().unwrap();
    let proposals: std::collections::HashMap<_, _> = ["a0", "a1", "a2", "b0", "b1", "c0"]
        .into_iter()
        .map(|d| (d, proposal(&signer, d)))
        .collect();
    let first = open(b, dirs[0].path(), 0).await.unwrap();
    for d in ["a0", "a1", "a2"] {
        first.add(&proposals[d]).await.unwrap();
    }
    let second = open(b, dirs[1].path(), 3).await.unwrap();
    let keys = [first.public_key().clone(), second.public_key().clone()];
    assert_ne!(keys[0].key_id(), keys[1].key_id(), "a new key per shard");
    let trees = [first.tree_id(), second.tree_id()];
    let log = ShardedLog::new(vec![first], second).unwrap();
    for (n, d) in ["b0", "b1"].into_iter().enumerate() {
        let (id, entry) = log.add(&proposals[d]).await.unwrap();
        // New entries continue the global index, in the active shard, under its key.
        verify(&entry, &keys[1], trees[1], 3 + n as i64, n as i64);
        assert!(id.starts_with(&format!("{:016x}", trees[1])));
    }
    Setup {
        _dirs: dirs,
        log,
        signer,
        proposals,
        keys,
        trees,
    }
}

async fn entries_of_every_shard_verify_with_their_own_key_under_global_indexes(b: Backend) {
    let s = setup(&b).await;
    assert_eq!(s.log.size(), 5);
    for global in 0..5u64 {
        let shard = usize::from(global >= 3);
        let local = if shard == 0 { global } else { global - 3 };
        let e = s.log.get_by_index(global).await.unwrap();
        verify(
            &e,
            &s.keys[shard],
            s.trees[shard],
            global as i64,
            local as i64,
        );
        // The JSON a GET answers is the same entry.
        let json: LogEntry =
            serde_json::from_slice(&s.log.get_by_index_json(global).await.unwrap()).unwrap();
        assert_eq!(json, e);
        // An inactive shard's entry does not verify with the active key.
        if shard == 0 {
            let (_, anon) = only(&e);
            assert_ne!(anon.log_id, s.keys[1].key_id().to_hex());
        }
    }
    not_found(s.log.get_by_index(5).await);
    not_found(s.log.get_by_index_json(u64::MAX).await);
    // A shard on its own serves global indexes too: nothing below its offset.
    not_found(s.log.active().get_by_index(0).await);
    assert_eq!(
        only(&s.log.active().get_by_index(3).await.unwrap())
            .1
            .log_index,
        3
    );
}

async fn uuids_and_entry_ids_are_found_in_their_shard(b: Backend) {
    let s = setup(&b).await;
    let a1 = s.uuid("a1");
    let b0 = s.uuid("b0");
    // A 64-character UUID is found in the inactive shard.
    let e = s.log.get_by_uuid(&a1).await.unwrap();
    verify(&e, &s.keys[0], s.trees[0], 1, 1);
    let json: LogEntry =
        serde_json::from_slice(&s.log.get_by_uuid_json(&a1).await.unwrap()).unwrap();
    assert_eq!(json, e);
    verify(
        &s.log.get_by_uuid(&b0).await.unwrap(),
        &s.keys[1],
        s.trees[1],
        3,
        0,
    );
    // An 80-character ID is looked up in the tree it names only.
    let in_first = signet_rekor::entry_id(s.trees[0], &a1);
    verify(
        &s.log.get_by_uuid(&in_first).await.unwrap(),
        &s.keys[0],
        s.trees[0],
        1,
        1,
    );
    not_found(
        s.log
            .get_by_uuid(&signet_rekor::entry_id(s.trees[1], &a1))
            .await,
    );
    not_found(
        s.log
            .get_by_uuid_json(&signet_rekor::entry_id(s.trees[0], &b0))
            .await,
    );
    let unknown = (s.trees[0] ^ s.trees[1]) | 1;
    not_found(
        s.log
            .get_by_uuid(&signet_rekor::entry_id(unknown, &a1))
            .await,
    );
    not_found(s.log.get_by_uuid(&"ab".repeat(32)).await);
    assert_eq!(
        s.log.get_by_uuid("not-an-id").await.unwrap_err().status(),
        422
    );
}

async fn retrieve_and_search_span_the_shards(b: Backend) {
    let s = setup(&b).await;
    let (a0, b1) = (s.uuid("a0"), s.uuid("b1"));
    let q = SearchLogQuery {
        entry_uuids: Some(vec![
            a0.clone(),
            signet_rekor::entry_id(s.trees[1], &b1),
            // Named in the wrong tree: left out.
            signet_rekor::entry_id(s.trees[1], &a0),
        ]),
        log_indexes: Some(vec![2, 4, 5]),
        entries: Some(vec![serde_json::from_slice(s.proposal("a2")).unwrap()]),
    };
    let got = s.log.retrieve(&q).await.unwrap();
    let indexes: Vec<i64> = got.iter().map(|e| only(e).1.log_index).collect();
    assert_eq!(indexes, [0, 4, 2, 2, 4]);
    verify(&got[0], &s.keys[0], s.trees[0], 0, 0);
    verify(&got[1], &s.keys[1], s.trees[1], 4, 1);
    verify(&got[2], &s.keys[0], s.trees[0], 2, 2);

    // Every entry is signed by one key: the search finds all five, each under its tree.
    let q = SearchIndex {
        public_key: Some(SearchKey {
            format: "x509".into(),
            content: b64::encode(s.signer.public_key().to_pem()),
        }),
        ..Default::default()
    };
    let mut ids = s.log.search(&q).await.unwrap();
    ids.sort();
    let mut want: Vec<String> = ["a0", "a1", "a2"]
        .iter()
        .map(|d| signet_rekor::entry_id(s.trees[0], &s.uuid(d)))
        .chain(
            ["b0", "b1"]
                .iter()
                .map(|d| signet_rekor::entry_id(s.trees[1], &s.uuid(d))),
        )
        .collect();
    want.sort();
    assert_eq!(ids, want);
    // Pages of two across the shards: the oldest shard's matches first, each once, counted.
    let mut paged = Vec::new();
    for offset in [0, 2, 4, 6] {
        let p = s
            .log
            .search_page(&q, &PageStart::Offset(offset), 2)
            .await
            .unwrap();
        assert_eq!((p.total, p.exact), (5, true), "at {offset}");
        assert_eq!(p.ids.len() as u64, 2.min(5u64.saturating_sub(offset)));
        paged.extend(p.ids);
    }
    // The same pages by cursor, forwards (a page running from one shard into the next)...
    let mut walked = Vec::new();
    let mut start = PageStart::FIRST;
    let mut firsts = Vec::new();
    loop {
        let p = s.log.search_page(&q, &start, 2).await.unwrap();
        assert_eq!((p.total, p.exact), (5, true));
        if p.ids.is_empty() {
            assert!(p.first.is_none() && p.last.is_none());
            break;
        }
        firsts.push(p.first.clone().unwrap());
        walked.extend(p.ids);
        start = PageStart::After(p.last.unwrap());
    }
    assert_eq!(walked, paged);
    // ...and backwards from the end: the same pages, from the last.
    let mut back: Vec<Vec<String>> = Vec::new();
    let mut start = PageStart::Before(None);
    for _ in 0..5 {
        let p = s.log.search_page(&q, &start, 2).await.unwrap();
        if p.ids.is_empty() {
            break;
        }
        start = PageStart::Before(p.first.clone());
        back.push(p.ids);
    }
    let back: Vec<String> = back.into_iter().rev().flatten().collect();
    assert_eq!(back, paged);
    // Before a page's first entry is the page before it.
    let p = s
        .log
        .search_page(&q, &PageStart::Before(Some(firsts[2].clone())), 2)
        .await
        .unwrap();
    assert_eq!(p.ids, paged[2..4]);
    // A cursor this log did not make is refused, never read as another position.
    for bad in ["9.r1", "0.x1", "r1", "0.o1"] {
        let c = SearchCursor::parse(bad).unwrap();
        let e = s.log.search_page(&q, &PageStart::After(c), 2).await;
        assert!(matches!(e, Err(LogError::Unprocessable(_))), "{bad}: {e:?}");
    }
    let first_shard = format!("{:016x}", s.trees[0]);
    assert!(
        paged[..3].iter().all(|id| id.starts_with(&first_shard)),
        "{paged:?}"
    );
    paged.sort();
    assert_eq!(paged, want);
    let q = SearchIndex {
        hash: Some(format!("sha256:{}", signet_crypto::sha256(b"a1").to_hex())),
        ..Default::default()
    };
    assert_eq!(
        s.log.search(&q).await.unwrap(),
        [signet_rekor::entry_id(s.trees[0], &s.uuid("a1"))]
    );
}

async fn duplicates_are_the_active_shards_and_inactive_shards_take_nothing(b: Backend) {
    let s = setup(&b).await;
    let a0 = s.uuid("a0");
    // Only in the inactive shard: accepted again, in the active one.
    let (id, e) = s.log.add(s.proposal("a0")).await.unwrap();
    assert_eq!(id, signet_rekor::entry_id(s.trees[1], &a0));
    verify(&e, &s.keys[1], s.trees[1], 5, 2);
    // Now in the active shard: a duplicate naming it there.
    match s.log.add(s.proposal("a0")).await {
        Err(LogError::Duplicate { entry_id }) => assert_eq!(entry_id, id),
        other => panic!("{other:?}"),
    }
    match s.log.add(s.proposal("b0")).await {
        Err(LogError::Duplicate { entry_id }) => {
            assert_eq!(entry_id, signet_rekor::entry_id(s.trees[1], &s.uuid("b0")))
        }
        other => panic!("{other:?}"),
    }
    // The UUID is found in the active shard first; retrieve gives both copies.
    verify(
        &s.log.get_by_uuid(&a0).await.unwrap(),
        &s.keys[1],
        s.trees[1],
        5,
        2,
    );
    let both = s
        .log
        .retrieve(&SearchLogQuery {
            entry_uuids: Some(vec![a0.clone()]),
            ..Default::default()
        })
        .await
        .unwrap();
    let indexes: Vec<i64> = both.iter().map(|e| only(e).1.log_index).collect();
    assert_eq!(indexes, [5, 0]);
    // The frozen shard refuses writes, however they come.
    let frozen = &s.log.inactive()[0];
    assert!(frozen.log().is_frozen() && !s.log.active().log().is_frozen());
    let err = frozen.add(s.proposal("c0")).await.unwrap_err();
    assert!(err.to_string().contains("inactive shard"), "{err}");
    assert!(frozen.append_leaf(b"leaf".to_vec(), vec![]).await.is_err());
    assert_eq!(frozen.head_state().0, 3);
}

async fn log_info_proofs_and_keys_per_shard(b: Backend) {
    let s = setup(&b).await;
    let info = s.log.log_info();
    assert_eq!(info.tree_id, s.trees[1].to_string());
    assert_eq!(info.tree_size, 2);
    let inactive = info.inactive_shards.as_ref().unwrap();
    assert_eq!(inactive.len(), 1);
    let first = &inactive[0];
    assert_eq!(first.tree_id, s.trees[0].to_string());
    assert_eq!(first.tree_size, 3);
    let verifier = signet_tlog::EcdsaNoteVerifier::any_name(s.keys[0].clone());
    let cp = signet_tlog::verify_checkpoint(
        &first.signed_tree_head,
        &[&verifier as &dyn signet_tlog::NoteVerifier],
    )
    .unwrap();
    assert_eq!(cp.size().0, 3);
    assert_eq!(cp.root_hash().to_hex(), first.root_hash);
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["inactiveShards"][0]["treeID"], s.trees[0].to_string());
    assert_eq!(json["inactiveShards"][0]["treeSize"], 3);

    // Consistency in the named shard (sizes are the shard's), the active one by default.
    let p = s.log.consistency(1, 3, Some(s.trees[0])).await.unwrap();
    assert_eq!(p.root_hash, first.root_hash);
    let p1 = s.log.consistency(1, 1, Some(s.trees[0])).await.unwrap();
    signet_tlog::verify_consistency(
        signet_types::TreeSize(1),
        signet_types::TreeSize(3),
        &p.hashes
            .iter()
            .map(|h| Sha256Hash::from_hex(h).unwrap())
            .collect::<Vec<_>>(),
        &Sha256Hash::from_hex(&p1.root_hash).unwrap(),
        cp.root_hash(),
    )
    .unwrap();
    assert_eq!(
        s.log.consistency(1, 2, None).await.unwrap().root_hash,
        info.root_hash
    );
    // Size 3 is the whole log's, not the active shard's.
    assert_eq!(
        s.log.consistency(1, 3, None).await.unwrap_err().status(),
        400
    );
    let unknown = (s.trees[0] ^ s.trees[1]) | 1;
    let err = s.log.consistency(1, 1, Some(unknown)).await.unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.to_string().contains(&unknown.to_string()), "{err}");

    assert_eq!(s.log.public_key_pem(None).unwrap(), s.keys[1].to_pem());
    assert_eq!(
        s.log.public_key_pem(Some(s.trees[1])).unwrap(),
        s.keys[1].to_pem()
    );
    assert_eq!(
        s.log.public_key_pem(Some(s.trees[0])).unwrap(),
        s.keys[0].to_pem()
    );
    assert_eq!(
        s.log.public_key_pem(Some(unknown)).unwrap_err().status(),
        400
    );
}

/// An unsharded log says so: `"inactiveShards":null`, as Rekor's.
async fn a_single_shard_lists_no_inactive_shards(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let log = ShardedLog::single(open(&b, dir.path(), 0).await.unwrap());
    let json = serde_json::to_string(&log.log_info()).unwrap();
    assert!(
        json.starts_with(r#"{"inactiveShards":null,"rootHash":"#),
        "{json}"
    );
    assert_eq!(log.size(), 0);
}

/// A fresh tree in `dir` at `offset` holding `n` entries.
async fn filled(b: &Backend, dir: &Path, offset: u64, n: usize) -> TransparencyLog<Store> {
    let signer = SigningKey::generate_p256().unwrap();
    let log = open(b, dir, offset).await.unwrap();
    for i in 0..n {
        log.add(&proposal(&signer, &format!("e{i}"))).await.unwrap();
    }
    log
}

fn refused(r: Result<ShardedLog<Store>, LogError>, want: &str) {
    match r {
        Err(e @ LogError::Refused(_)) => {
            assert!(e.to_string().contains(want), "{want:?} not in: {e}")
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("accepted"),
    }
}

async fn shards_that_do_not_line_up_are_refused(b: Backend) {
    let d: Vec<_> = (0..9).map(|_| tempfile::tempdir().unwrap()).collect();
    // The active shard must start where the inactive one (2 entries) ends, not before or after.
    for (i, wrong) in [(0, 1), (2, 3)] {
        let first = filled(&b, d[i].path(), 0, 2).await;
        let second = open(&b, d[i + 1].path(), wrong).await.unwrap();
        refused(
            ShardedLog::new(vec![first], second),
            &format!("starts at global index {wrong}, but the shards before it end at 2"),
        );
    }
    // The first shard must start at 0.
    let late = open(&b, d[4].path(), 1).await.unwrap();
    refused(
        ShardedLog::new(vec![], late),
        "starts at global index 1, but the shards before it end at 0",
    );
    // Three shards line up when each starts where the ones before end.
    let first = filled(&b, d[5].path(), 0, 2).await;
    let second = filled(&b, d[6].path(), 2, 1).await;
    let third = open(&b, d[7].path(), 3).await.unwrap();
    let log = ShardedLog::new(vec![first, second], third).unwrap();
    assert_eq!(log.size(), 3);
    assert_eq!(log.log_info().inactive_shards.unwrap().len(), 2);
    // The same tree twice (its directory opened twice).
    let same = d[8].path();
    let a = filled(&b, same, 0, 1).await;
    let again = open(&b, same, 0).await.unwrap();
    assert_eq!(a.tree_id(), again.tree_id());
    refused(ShardedLog::new(vec![a], again), "is given twice as a shard");
}
/// A tree remembers where it starts: reopened with another offset it is refused (its SETs
/// sign global indexes); reopened with its own, it serves the same global indexes.
async fn a_tree_is_reopened_only_at_its_own_offset(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let signer = SigningKey::generate_p256().unwrap();
    let log = open(&b, dir.path(), 7).await.unwrap();
    let (_, e) = log.add(&proposal(&signer, "x")).await.unwrap();
    let key = log.public_key().clone();
    let tree = log.tree_id();
    verify(&e, &key, tree, 7, 0);
    close(log).await;
    for wrong in [0, 6, 8] {
        match open(&b, dir.path(), wrong).await {
            Err(e @ LogError::Refused(_)) => {
                let m = e.to_string();
                assert!(m.contains("starts at global index 7, not"), "{m}");
            }
            Err(e) => panic!("wrong error: {e}"),
            Ok(_) => panic!("opened at offset {wrong}"),
        }
    }
    let log = open(&b, dir.path(), 7).await.unwrap();
    verify(&log.get_by_index(7).await.unwrap(), &key, tree, 7, 0);
    not_found(log.get_by_index(0).await);
}

/// Closes every shard of `log`: their sequencers end and their stores are released.
async fn close_all(log: ShardedLog<Store>) {
    let stopped: Vec<_> = log.shards().map(|s| s.sequencer_stopped()).collect();
    drop(log);
    for s in stopped {
        tokio::time::timeout(std::time::Duration::from_secs(5), s)
            .await
            .unwrap();
    }
}

/// A log kept as one directory per tree reopens with each tree at its offset; rotating is
/// opening a new, empty active directory after the old one; directories missing, out of order
/// or holding no log are refused.
async fn a_sharded_log_reopens_from_its_directories_and_rotates(b: Backend) {
    let root = tempfile::tempdir().unwrap();
    let dir = |n: &str| root.path().join(n);
    let config = LogConfig::new("shards.test");
    let clock = || Arc::new(SystemClock) as Arc<dyn signet_log::Clock>;
    let signer = SigningKey::generate_p256().unwrap();
    // One tree, then rotated twice.
    let log = ShardedLog::open(&[], &dir("t0"), &config, clock(), &b)
        .await
        .unwrap();
    for d in ["a0", "a1"] {
        log.add(&proposal(&signer, d)).await.unwrap();
    }
    close_all(log).await;
    let log = ShardedLog::open(&[dir("t0")], &dir("t1"), &config, clock(), &b)
        .await
        .unwrap();
    let (_, e) = log.add(&proposal(&signer, "b0")).await.unwrap();
    assert_eq!(only(&e).1.log_index, 2);
    close_all(log).await;
    let log = ShardedLog::open(&[dir("t0"), dir("t1")], &dir("t2"), &config, clock(), &b)
        .await
        .unwrap();
    let (_, e) = log.add(&proposal(&signer, "c0")).await.unwrap();
    assert_eq!(only(&e).1.log_index, 3);
    let keys: Vec<PublicKey> = log.shards().map(|s| s.public_key().clone()).collect();
    let trees: Vec<u64> = log.shards().map(|s| s.tree_id()).collect();
    for (global, shard, local) in [(0, 0, 0), (1, 0, 1), (2, 1, 0), (3, 2, 0)] {
        let e = log.get_by_index(global).await.unwrap();
        verify(&e, &keys[shard], trees[shard], global as i64, local);
    }
    assert!(log.inactive().iter().all(|s| s.log().is_frozen()));
    close_all(log).await;

    let refused = |r: Result<ShardedLog<Store>, LogError>, want: &str| match r {
        Err(e @ LogError::Refused(_)) => {
            assert!(e.to_string().contains(want), "{want:?} not in: {e}")
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("accepted"),
    };
    // An inactive tree left out, or out of order: the trees after it are at other offsets.
    refused(
        ShardedLog::open(&[dir("t0")], &dir("t2"), &config, clock(), &b).await,
        "starts at global index 3, not 2",
    );
    refused(
        ShardedLog::open(&[dir("t1"), dir("t0")], &dir("t2"), &config, clock(), &b).await,
        "starts at global index 2, not 0",
    );
    // A listed inactive directory that holds no log (a typo) is not created.
    refused(
        ShardedLog::open(
            &[dir("t0"), dir("nothing")],
            &dir("t2"),
            &config,
            clock(),
            &b,
        )
        .await,
        "holds no log",
    );
    assert!(!dir("nothing").exists());
    // As listed, it still opens.
    let log = ShardedLog::open(&[dir("t0"), dir("t1")], &dir("t2"), &config, clock(), &b)
        .await
        .unwrap();
    assert_eq!(log.size(), 4);
}

on_both_backends!(
    entries_of_every_shard_verify_with_their_own_key_under_global_indexes,
    uuids_and_entry_ids_are_found_in_their_shard,
    retrieve_and_search_span_the_shards,
    duplicates_are_the_active_shards_and_inactive_shards_take_nothing,
    log_info_proofs_and_keys_per_shard,
    a_single_shard_lists_no_inactive_shards,
    shards_that_do_not_line_up_are_refused,
    a_tree_is_reopened_only_at_its_own_offset,
    a_sharded_log_reopens_from_its_directories_and_rotates,
);
