//! The core log is personality-agnostic: what is signed per entry comes from the
//! [`EntrySigner`] the personality supplies, called with the index and integration time the
//! sequencer assigned; its signature is stored with the entry and handed back; a refusal
//! refuses that entry only. Consistency proofs come out as typed hashes that verify.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use signet_log::{
    AppendLog, Backend, Clock, EntrySigner, LeafEntry, LogConfig, LogError, LogKey,
    NoEntrySignature, Store,
};

mod common;
use signet_types::TreeSize;

struct FixedClock;

impl Clock for FixedClock {
    fn now_unix(&self) -> i64 {
        1_700_000_000
    }
}

/// Signs `index:time:body` (so the test sees what it was called with) and refuses a body
/// of `refuse`.
struct Echo;

impl EntrySigner for Echo {
    fn sign_entry(
        &self,
        key: &LogKey,
        body: &[u8],
        index: u64,
        integrated_time: i64,
    ) -> Result<Vec<u8>, LogError> {
        if body == b"refuse" {
            return Err(LogError::Internal("refused by the personality".into()));
        }
        let mut s = format!("{index}:{integrated_time}:").into_bytes();
        s.extend_from_slice(body);
        s.extend_from_slice(&key.id().0[..4]);
        Ok(s)
    }
}

fn entry(body: &[u8]) -> LeafEntry {
    LeafEntry {
        body: body.to_vec(),
        leaf_hash: signet_tlog::leaf_hash(body),
        index_keys: vec![],
    }
}

async fn open(
    b: &Backend,
    dir: &std::path::Path,
    signer: Arc<dyn EntrySigner>,
) -> AppendLog<Store> {
    let store = b.open(dir).await.unwrap();
    AppendLog::open(
        store,
        dir,
        &LogConfig::new("core.test"),
        Arc::new(FixedClock),
        signer,
    )
    .await
    .unwrap()
}

async fn the_personality_signs_each_entry_at_its_index_and_time(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let log = open(&b, dir.path(), Arc::new(Echo)).await;
    let key_id = log.key().id();
    assert_eq!(key_id, log.public_key().key_id());
    let a = log.append(entry(b"a")).await.unwrap();
    let refused = log.append(entry(b"refuse")).await.unwrap_err();
    let b = log.append(entry(b"b")).await.unwrap();
    assert_eq!(
        refused,
        LogError::Internal("refused by the personality".into())
    );
    let want = |i: u64, body: &str| {
        let mut s = format!("{i}:1700000000:{body}").into_bytes();
        s.extend_from_slice(&key_id.0[..4]);
        s
    };
    assert_eq!((a.index, a.integrated_time), (0, 1_700_000_000));
    assert_eq!(a.signature, want(0, "a"));
    // The refused entry took no index.
    assert_eq!(b.index, 1);
    assert_eq!(b.signature, want(1, "b"));
    assert_eq!(b.head.size, 2);
    assert_eq!(log.head().as_ref(), b.head.as_ref());
    // Stored with the entry.
    let stored = log.raw_entry(1).await.unwrap();
    assert_eq!((stored.body, stored.set), (b"b".to_vec(), want(1, "b")));
    // The same leaf again is a duplicate, whatever the personality would sign.
    assert!(matches!(
        log.append(entry(b"a")).await,
        Err(LogError::Duplicate { .. })
    ));
}

async fn a_log_without_entry_signatures_stores_none_and_proves_consistency_with_hashes(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let log = open(&b, dir.path(), Arc::new(NoEntrySignature)).await;
    let mut roots = vec![];
    for i in 0..7u32 {
        let c = log.append(entry(&i.to_be_bytes())).await.unwrap();
        assert!(c.signature.is_empty());
        roots.push(c.head.root);
    }
    assert!(log.raw_entry(3).await.unwrap().set.is_empty());
    for first in 1..=7u64 {
        for last in first..=7u64 {
            let (proof, root) = log.consistency_proof(first, last).await.unwrap();
            assert_eq!(root, roots[last as usize - 1]);
            signet_tlog::verify_consistency(
                TreeSize(first),
                TreeSize(last),
                &proof,
                &roots[first as usize - 1],
                &root,
            )
            .unwrap();
        }
    }
    let e = log.consistency_proof(3, 8).await.unwrap_err();
    assert!(matches!(e, LogError::BadRequest(_)), "{e}");
}

on_both_backends!(
    the_personality_signs_each_entry_at_its_index_and_time,
    a_log_without_entry_signatures_stores_none_and_proves_consistency_with_hashes,
);
