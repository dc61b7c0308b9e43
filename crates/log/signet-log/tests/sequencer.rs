//! The pipelined sequencer against a store that can be slowed down and made to fail: duplicates
//! racing through the queue, and a failed commit rewinding the batch prepared on top of it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use signet_crypto::SigningKey;
use signet_log::store::NewEntry;
use signet_log::{
    Backend, LogConfig, LogError, LogStore, Store, StoredEntry, SystemClock, TransparencyLog,
};
use signet_types::Sha256Hash;

mod common;
use common::proposal;

/// A store (either backend) whose commits can be delayed and made to fail (before anything is written).
#[derive(Clone)]
struct FlakyStore {
    inner: Store,
    /// Commits still to fail.
    fail: Arc<AtomicU64>,
    delay_ms: Arc<AtomicU64>,
    /// Commits refused because a leaf was already stored.
    already: Arc<AtomicU64>,
    /// Commits still to panic (a bug in a store, as the sequencer sees it).
    panic: Arc<AtomicU64>,
}

impl LogStore for FlakyStore {
    async fn meta(&self, key: &str) -> Result<Option<String>, LogError> {
        self.inner.meta(key).await
    }
    async fn set_meta(&self, key: &str, value: &str) -> Result<(), LogError> {
        self.inner.set_meta(key, value).await
    }
    async fn size(&self) -> Result<u64, LogError> {
        self.inner.size().await
    }
    async fn append(
        &self,
        entries: &[NewEntry],
        hashes: &[(u64, Sha256Hash)],
        new_size: u64,
    ) -> Result<(), LogError> {
        let d = self.delay_ms.load(Ordering::SeqCst);
        if d > 0 {
            tokio::time::sleep(Duration::from_millis(d)).await;
        }
        if self
            .panic
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            panic!("injected store panic");
        }
        if self
            .fail
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(LogError::Storage("injected commit failure".into()));
        }
        let r = self.inner.append(entries, hashes, new_size).await;
        if matches!(r, Err(LogError::AlreadyStored(_))) {
            self.already.fetch_add(1, Ordering::SeqCst);
        }
        r
    }
    async fn find(&self, uuids: &[Sha256Hash]) -> Result<Vec<(Sha256Hash, u64)>, LogError> {
        self.inner.find(uuids).await
    }
    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, LogError> {
        self.inner.entry_by_index(index).await
    }
    async fn entry_by_uuid(&self, uuid: &Sha256Hash) -> Result<Option<StoredEntry>, LogError> {
        self.inner.entry_by_uuid(uuid).await
    }
    async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Sha256Hash>, LogError> {
        self.inner.read_hashes(indexes).await
    }
    async fn search(&self, key: &str) -> Result<Vec<Sha256Hash>, LogError> {
        self.inner.search(key).await
    }
}

fn index_of(entry: &signet_rekor::api::LogEntry) -> i64 {
    entry.values().next().unwrap().log_index
}

async fn open(
    b: &Backend,
    dir: &std::path::Path,
) -> (Arc<TransparencyLog<FlakyStore>>, FlakyStore) {
    let store = FlakyStore {
        inner: b.open(&dir.join("db")).await.unwrap(),
        fail: Arc::default(),
        delay_ms: Arc::default(),
        already: Arc::default(),
        panic: Arc::default(),
    };
    let log = TransparencyLog::open(
        store.clone(),
        dir,
        LogConfig::new("test.local"),
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    (Arc::new(log), store)
}

async fn racing_duplicates_get_one_index(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (log, store) = open(&b, dir.path()).await;
    // Slow commits so that copies of the same entry sit in the queue, in the prepared batch and
    // in the in-flight batch at once.
    store.delay_ms.store(20, Ordering::SeqCst);
    let key = SigningKey::generate_p256().unwrap();
    let dup = proposal(&key, "the same artifact");
    let mut tasks = Vec::new();
    for i in 0..48 {
        let (log, body) = (
            log.clone(),
            if i % 2 == 0 {
                dup.clone()
            } else {
                proposal(&key, &format!("artifact {i}"))
            },
        );
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis((i % 6) * 7)).await;
            log.add(&body).await
        }));
    }
    let (mut ok, mut dups, mut indexes) = (0, 0, Vec::new());
    for t in tasks {
        match t.await.unwrap() {
            Ok((_, e)) => {
                ok += 1;
                indexes.push(index_of(&e));
            }
            Err(LogError::Duplicate { .. }) => dups += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(
        (ok, dups),
        (25, 23),
        "24 distinct entries plus one copy of the duplicate"
    );
    indexes.sort();
    assert_eq!(
        indexes,
        (0..25).collect::<Vec<i64>>(),
        "indexes are dense and unique"
    );
    // And once stored, the duplicate is still refused.
    assert!(matches!(
        log.add(&dup).await,
        Err(LogError::Duplicate { .. })
    ));
}

async fn failed_commit_fails_the_batch_built_on_it_and_rewinds(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (log, store) = open(&b, dir.path()).await;
    let key = SigningKey::generate_p256().unwrap();
    let first = log.add(&proposal(&key, "before")).await.unwrap();
    assert_eq!(index_of(&first.1), 0);
    let (size0, root0, _) = log.head_state();

    // A slow commit that will fail (only that one), and a second entry prepared while it is in
    // flight: had it been committed on its own, its commit would succeed.
    store.delay_ms.store(150, Ordering::SeqCst);
    store.fail.store(1, Ordering::SeqCst);
    let a = proposal(&key, "in the failing batch");
    let pb = proposal(&key, "prepared on top of it");
    let ta = {
        let (log, a) = (log.clone(), a.clone());
        tokio::spawn(async move { log.add(&a).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let tb = {
        let (log, pb) = (log.clone(), pb.clone());
        tokio::spawn(async move { log.add(&pb).await })
    };
    let ra = ta.await.unwrap();
    let rb = tb.await.unwrap();
    assert!(matches!(ra, Err(LogError::Storage(_))), "{ra:?}");
    assert!(
        rb.is_err(),
        "the batch prepared on a failed commit must not be acknowledged"
    );
    assert_eq!(log.head_state().0, size0);
    assert_eq!(log.head_state().1, root0);

    // Healthy again: the refused entries are not duplicates, and indexes continue from the
    // durable tree, not from the abandoned speculation.
    store.delay_ms.store(0, Ordering::SeqCst);
    let eb = log.add(&pb).await.unwrap();
    let ea = log.add(&a).await.unwrap();
    assert_eq!((index_of(&eb.1), index_of(&ea.1)), (1, 2));
    drop(log);

    // The durable tree reopens consistent (open recomputes the root from stored hashes).
    let (reopened, _) = open(&b, dir.path()).await;
    assert_eq!(reopened.head_state().0, 3);
}

async fn a_sequencer_that_ends_is_reported(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (log, store) = open(&b, dir.path()).await;
    let key = SigningKey::generate_p256().unwrap();
    log.add(&proposal(&key, "before")).await.unwrap();
    let stopped = tokio::spawn(log.sequencer_stopped());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !stopped.is_finished(),
        "a healthy sequencer is not reported"
    );

    store.panic.store(1, Ordering::SeqCst);
    let r = log.add(&proposal(&key, "the commit panics")).await;
    assert!(matches!(r, Err(LogError::Internal(_))), "{r:?}");
    let why = tokio::time::timeout(Duration::from_secs(5), stopped)
        .await
        .expect("the stopped sequencer is reported")
        .unwrap();
    assert!(why.contains("injected store panic"), "{why}");
    // Every later watcher sees it too, at once, and writes are refused.
    let again = tokio::time::timeout(Duration::from_secs(1), log.sequencer_stopped()).await;
    assert_eq!(again.as_deref(), Ok(why.as_str()));
    let r = log.add(&proposal(&key, "after")).await;
    assert!(matches!(r, Err(LogError::Internal(_))), "{r:?}");
}

/// Adds every proposal at once; returns the sorted indexes given and the number of duplicates.
async fn add_all(
    log: &Arc<TransparencyLog<FlakyStore>>,
    bodies: Vec<Vec<u8>>,
) -> (Vec<i64>, usize) {
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let log = log.clone();
            tokio::spawn(async move { log.add(&body).await })
        })
        .collect();
    let (mut indexes, mut dups) = (Vec::new(), 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok((_, e)) => indexes.push(index_of(&e)),
            Err(LogError::Duplicate { entry_id }) => {
                dups += 1;
                assert_eq!(entry_id.len(), 80, "names the stored entry: {entry_id}");
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    indexes.sort();
    (indexes, dups)
}

async fn duplicates_of_entries_stored_before_a_restart_are_refused(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate_p256().unwrap();
    let old: Vec<Vec<u8>> = (0..10)
        .map(|i| proposal(&key, &format!("old {i}")))
        .collect();
    {
        let (log, _) = open(&b, dir.path()).await;
        for p in &old {
            log.add(p).await.unwrap();
        }
    }
    // A fresh sequencer remembers no leaves: only the store knows the old ones. Slow commits
    // so that old and new entries arrive together and share batches: the store refuses such a
    // batch, the old entries get 409 and the new ones are integrated all the same.
    let (log, store) = open(&b, dir.path()).await;
    store.delay_ms.store(30, Ordering::SeqCst);
    let wave = |from: usize, tag: &str| -> Vec<Vec<u8>> {
        (0..10)
            .map(|i| {
                if i % 2 == 0 {
                    old[from + i / 2].clone()
                } else {
                    proposal(&key, &format!("{tag} {i}"))
                }
            })
            .collect()
    };
    let (indexes, dups) = add_all(&log, wave(0, "first")).await;
    assert_eq!(dups, 5);
    assert_eq!(
        indexes,
        (10..15).collect::<Vec<i64>>(),
        "dense, after the old ones"
    );
    assert_eq!(
        store.already.load(Ordering::SeqCst),
        1,
        "one refused commit"
    );
    // Guarded now: the next replays are refused before commit, without another refused batch.
    let (indexes, dups) = add_all(&log, wave(5, "second")).await;
    assert_eq!(dups, 5);
    assert_eq!(indexes, (15..20).collect::<Vec<i64>>());
    assert_eq!(
        store.already.load(Ordering::SeqCst),
        1,
        "no refused commit while guarded"
    );
    assert_eq!(log.head_state().0, 20);
    drop(log);
    let (reopened, _) = open(&b, dir.path()).await;
    assert_eq!(reopened.head_state().0, 20);
}

on_both_backends!(
    racing_duplicates_get_one_index,
    failed_commit_fails_the_batch_built_on_it_and_rewinds,
    a_sequencer_that_ends_is_reported,
    duplicates_of_entries_stored_before_a_restart_are_refused,
);
