//! Many nodes on one PostgreSQL database: the sequencer lease and the fence every append is
//! checked against (two stores of one tree standing for two nodes), then two logs of one tree
//! in one process: the follower's writes are integrated by the leader, and the follower serves
//! the leader's head.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use signet_log::store::NewEntry;
use signet_log::{
    LeafEntry, LogConfig, LogError, LogStore, PgDatabase, SystemClock, TransparencyLog,
};
use signet_types::Sha256Hash;

mod common;

fn entry(i: u64) -> NewEntry {
    NewEntry {
        index: i,
        uuid: signet_crypto::sha256(format!("leaf {i}").as_bytes()),
        body: format!("body {i}").into_bytes(),
        integrated_time: 1_700_000_000,
        set: vec![1, 2, 3],
        index_keys: vec![],
    }
}

fn h(i: u64) -> Sha256Hash {
    signet_crypto::sha256(format!("hash {i}").as_bytes())
}

/// Lets the lease of `tree` expire now (as if its holder stopped renewing 3 s ago).
fn expire(url: &str, tree: &str) {
    signet_testkit::postgres::cluster().psql(
        url,
        &format!(
            "UPDATE trees SET lease_until = now() - interval '1 second' WHERE name = '{tree}'"
        ),
    );
}

#[tokio::test]
async fn a_stale_epoch_or_size_is_fenced_and_stores_nothing() {
    let url = signet_testkit::postgres::database();
    let a = PgDatabase::connect(&url)
        .await
        .unwrap()
        .with_node_id("node-a");
    let b = PgDatabase::connect(&url)
        .await
        .unwrap()
        .with_node_id("node-b");
    let (sa, sb) = (a.store("t").await.unwrap(), b.store("t").await.unwrap());

    // A takes the free lease; B cannot while it is valid.
    let ea = sa.acquire_lease().await.unwrap().expect("a free lease");
    assert_eq!(sb.acquire_lease().await.unwrap(), None);
    assert!(sa.renew_lease(ea).await.unwrap());
    sa.append_fenced(&[entry(0)], &[(0, h(0))], 1, ea, "cp1")
        .await
        .unwrap();
    assert_eq!(sb.published().await.unwrap(), (1, Some("cp1".into())));

    // A's lease runs out (A frozen): B takes over under a new epoch.
    expire(&url, "t");
    let eb = sb.acquire_lease().await.unwrap().expect("an expired lease");
    assert!(eb > ea, "{eb} > {ea}");
    // A's next commit is refused whole: nothing of it is stored, the size stays.
    match sa
        .append_fenced(&[entry(1)], &[(1, h(1)), (2, h(2))], 2, ea, "stale")
        .await
    {
        Err(LogError::Fenced(m)) => assert!(m.contains(&format!("epoch {ea}")), "{m}"),
        other => panic!("expected the fence, got {other:?}"),
    }
    assert_eq!(sa.size().await.unwrap(), 1);
    assert_eq!(sa.entry_by_index(1).await.unwrap(), None);
    assert!(sa.read_hashes(&[1]).await.is_err());
    assert_eq!(sa.published().await.unwrap(), (1, Some("cp1".into())));
    // And A cannot renew what is no longer its lease.
    assert!(!sa.renew_lease(ea).await.unwrap());

    // B continues the tree; a batch built on a size that is no longer the tree's is refused
    // too (the same epoch cannot fork the tree either).
    sb.append_fenced(&[entry(1)], &[(1, h(1)), (2, h(2))], 2, eb, "cp2")
        .await
        .unwrap();
    let e = sb
        .append_fenced(&[entry(2)], &[(3, h(3))], 2, eb, "cp-bad")
        .await
        .unwrap_err();
    assert!(matches!(e, LogError::Fenced(_)), "{e:?}");
    assert_eq!(sb.published().await.unwrap(), (2, Some("cp2".into())));

    // A released lease is taken at once, again under a new epoch.
    sb.release_lease(eb).await.unwrap();
    let ea2 = sa.acquire_lease().await.unwrap().expect("a released lease");
    assert!(ea2 > eb);
}

#[tokio::test]
async fn queued_entries_are_unique_and_leave_the_queue_when_integrated() {
    let url = signet_testkit::postgres::database();
    let db = PgDatabase::connect(&url).await.unwrap();
    let s = db.store("q").await.unwrap();
    let leaf = |i: u64| {
        let e = entry(i);
        LeafEntry {
            body: e.body,
            leaf_hash: e.uuid,
            index_keys: vec![format!("k{i}")],
        }
    };
    let (l0, l1, l2) = (leaf(0), leaf(1), leaf(2));
    assert_eq!(s.enqueue(&[&l0]).await.unwrap(), [l0.leaf_hash]);
    // One statement for many; a leaf already queued (or twice in the batch) is left out.
    assert_eq!(
        s.enqueue(&[&l0, &l1, &l1]).await.unwrap(),
        [l1.leaf_hash],
        "queued twice"
    );
    let leaves = s.pending_leaves(10).await.unwrap();
    assert_eq!(leaves, [entry(0).uuid, entry(1).uuid]);
    assert_eq!(s.pending_leaves(1).await.unwrap(), [entry(0).uuid]);
    let q = s.pending(&leaves).await.unwrap();
    assert_eq!(
        q.iter().map(|e| e.leaf_hash).collect::<Vec<_>>(),
        [entry(0).uuid, entry(1).uuid]
    );
    assert_eq!(q[1].index_keys, ["k1"]);
    assert_eq!(q[1].body, entry(1).body);
    let epoch = s.acquire_lease().await.unwrap().unwrap();
    s.append_fenced(&[entry(0)], &[(0, h(0))], 1, epoch, "cp")
        .await
        .unwrap();
    assert_eq!(s.pending_leaves(10).await.unwrap(), [entry(1).uuid]);
    // Only what is asked for, and only what is still queued.
    assert_eq!(s.pending(&[entry(0).uuid]).await.unwrap().len(), 0);
    // A leaf already in the log is not queued again.
    assert!(s.enqueue(&[&l0]).await.unwrap().is_empty());
    assert_eq!(s.drop_integrated_pending().await.unwrap(), 0);
    // Integrated below a size: what a follower answers its waiting writers from.
    let found = s
        .integrated(&[entry(0).uuid, entry(1).uuid, l2.leaf_hash], 1)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].0, found[0].1), (entry(0).uuid, 0));
    assert_eq!(found[0].3, entry(0).set);
    assert!(s.integrated(&[entry(0).uuid], 0).await.unwrap().is_empty());
}

async fn open(db: &PgDatabase, dir: &std::path::Path) -> TransparencyLog<signet_log::PgStore> {
    let store = db.store("shared").await.unwrap();
    TransparencyLog::open(
        store,
        dir,
        LogConfig::new("test.local"),
        Arc::new(SystemClock),
    )
    .await
    .unwrap()
}

async fn until(what: &str, f: impl Fn() -> bool) {
    for _ in 0..400 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_queues_writes_for_the_leader_and_serves_its_head() {
    let url = signet_testkit::postgres::database();
    let a = PgDatabase::connect(&url)
        .await
        .unwrap()
        .with_node_id("node-a");
    let b = PgDatabase::connect(&url)
        .await
        .unwrap()
        .with_node_id("node-b");
    let (da, db_) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let la = open(&a, da.path()).await;
    until("node a to lead", || la.log().is_sequencer()).await;
    // The second node: the same keys (a copy of the first one's directory).
    std::fs::copy(
        da.path().join(signet_log::KEY_FILE),
        db_.path().join(signet_log::KEY_FILE),
    )
    .unwrap();
    let lb = open(&b, db_.path()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!lb.log().is_sequencer(), "two leaders");

    let key = signet_crypto::SigningKey::generate_p256().unwrap();
    let via_b = common::proposal(&key, "via b");
    let (id_b, e_b) = lb.add(&via_b).await.unwrap();
    let (_, e_a) = la.add(&common::proposal(&key, "via a")).await.unwrap();
    let (e_b, e_a) = (e_b.values().next().unwrap(), e_a.values().next().unwrap());
    assert_eq!((e_b.log_index, e_a.log_index), (0, 1));
    // The follower answered from the stored entry, with a head that holds it.
    let p = e_b
        .verification
        .as_ref()
        .unwrap()
        .inclusion_proof
        .as_ref()
        .unwrap();
    assert!(p.tree_size >= 1);
    // Resubmitted at either node: a duplicate naming the entry.
    for l in [&la, &lb] {
        match l.add(&via_b).await {
            Err(LogError::Duplicate { entry_id }) => assert_eq!(entry_id, id_b),
            other => panic!("expected a duplicate, got {:?}", other.map(|(id, _)| id)),
        }
    }
    // Many writers at the follower at once (queued in batches, answered from one query per
    // head): each answered once with its own index; the same entry twice at once is stored
    // once and the other writer told it is a duplicate.
    let lb = Arc::new(lb);
    let twice = common::proposal(&key, "twice");
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (lb, p) = (lb.clone(), common::proposal(&key, &format!("many {i}")));
        tasks.push(tokio::spawn(
            async move { lb.add(&p).await.map(|(_, e)| e) },
        ));
    }
    for _ in 0..2 {
        let (lb, p) = (lb.clone(), twice.clone());
        tasks.push(tokio::spawn(
            async move { lb.add(&p).await.map(|(_, e)| e) },
        ));
    }
    let (mut indexes, mut duplicates) = (std::collections::BTreeSet::new(), 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(e) => assert!(indexes.insert(e.values().next().unwrap().log_index)),
            Err(LogError::Duplicate { .. }) => duplicates += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((indexes.len(), duplicates), (201, 1));
    assert_eq!(
        indexes.iter().copied().collect::<Vec<_>>(),
        (2..203).collect::<Vec<i64>>()
    );
    // The follower serves the leader's head once it is published.
    until("the follower's head", || {
        lb.log().head().size == la.log().head().size
    })
    .await;
    assert_eq!(lb.log().head().size, 203);
    assert_eq!(lb.log().head().root, la.log().head().root);
}

/// Nodes started at the same moment on an empty database, each with a new data directory:
/// exactly one creates each log (its tree ID and key are the database's); the others refuse
/// to start, saying why, and keep no key of their own. Several rounds, each on a fresh database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_at_once_on_an_empty_database_create_one_log() {
    for round in 0..5 {
        let url = signet_testkit::postgres::database();
        let mut dbs = Vec::new();
        for n in 0..4 {
            let db = PgDatabase::connect(&url).await.unwrap();
            dbs.push(db.with_node_id(&format!("node-{n}")));
        }
        let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
        let tasks: Vec<_> = dbs
            .iter()
            .zip(&dirs)
            .map(|(db, d)| {
                let (db, d) = (db.clone(), d.path().to_path_buf());
                tokio::spawn(async move {
                    let store = db.store("shared").await.unwrap();
                    TransparencyLog::open(
                        store,
                        &d,
                        LogConfig::new("test.local"),
                        Arc::new(SystemClock),
                    )
                    .await
                })
            })
            .collect();
        let mut opened = Vec::new();
        for t in tasks {
            opened.push(t.await.unwrap());
        }
        let (served, refused): (Vec<_>, Vec<_>) =
            opened.into_iter().zip(&dirs).partition(|(r, _)| r.is_ok());
        assert_eq!(served.len(), 1, "round {round}: logs created");
        for (r, d) in refused {
            let e = r.err().unwrap().to_string();
            // Refused either while creating (it lost the race) or just after (the winner
            // had committed: the log exists, and this node has no key for it).
            assert!(
                e.contains("another node created the log")
                    || e.contains("holds a log, but there is no"),
                "round {round}: {e}"
            );
            assert!(!d.path().join(signet_log::KEY_FILE).exists());
        }
        let served: Vec<_> = served.into_iter().filter_map(|(r, _)| r.ok()).collect();
        let tree = signet_testkit::postgres::cluster().psql(
            &url,
            "SELECT v FROM meta m JOIN trees t ON t.id = m.tree WHERE t.name = 'shared' \
             AND m.k = 'tree_id'",
        );
        assert_eq!(tree, served[0].log().tree_id().to_string(), "round {round}");
        assert_eq!(
            signet_testkit::postgres::cluster()
                .psql(&url, "SELECT count(*) FROM trees WHERE name = 'shared'"),
            "1"
        );
    }
}
