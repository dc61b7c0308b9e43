//! The storage contract (`LogStore`), checked the same way on both backends: an append stores
//! entries, hashes and size together; a batch with leaves already stored (or twice in it) stores
//! nothing and names every such leaf; lookups, search keys, entry bundles, reopening. Then what
//! only PostgreSQL has: the schema version check and connection errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use signet_log::store::NewEntry;
use signet_log::{Backend, LogError, LogStore, PgDatabase, Store};
use signet_types::Sha256Hash;

mod common;

fn entry(i: u64, keys: &[&str]) -> NewEntry {
    NewEntry {
        index: i,
        uuid: signet_crypto::sha256(format!("leaf {i}").as_bytes()),
        body: format!("body {i}").into_bytes(),
        integrated_time: 1_700_000_000 + i as i64,
        set: vec![i as u8; 3],
        index_keys: keys.iter().map(|k| k.to_string()).collect(),
    }
}

fn h(i: u64) -> Sha256Hash {
    signet_crypto::sha256(format!("hash {i}").as_bytes())
}

async fn open(backend: &Backend, dir: &std::path::Path) -> Store {
    backend.open(dir).await.unwrap()
}

async fn contract(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let other_dir = tmp.path().join("other");
    let s = open(&backend, &dir).await;
    assert_eq!(s.size().await.unwrap(), 0);
    assert_eq!(s.meta("tree_id").await.unwrap(), None);
    s.set_meta("tree_id", "7").await.unwrap();
    s.set_meta("tree_id", "8").await.unwrap();
    assert_eq!(s.meta("tree_id").await.unwrap().as_deref(), Some("8"));

    let first: Vec<_> = (0..3)
        .map(|i| entry(i, &["k-all", &format!("k{i}")]))
        .collect();
    s.append(&first, &[(0, h(0)), (1, h(1)), (2, h(2))], 3)
        .await
        .unwrap();
    assert_eq!(s.size().await.unwrap(), 3);

    // Two leaves of the batch already stored, one twice in the batch: all named, nothing kept.
    let mut batch = vec![
        entry(3, &["k3"]),
        entry(1, &[]),
        entry(4, &[]),
        entry(0, &[]),
    ];
    batch[1].index = 4;
    batch[2].index = 5;
    batch[3].index = 6;
    let mut twice = entry(3, &[]);
    twice.index = 7;
    batch.push(twice);
    match s.append(&batch, &[(3, h(3))], 8).await {
        Err(LogError::AlreadyStored(u)) => {
            assert_eq!(
                u,
                vec![entry(1, &[]).uuid, entry(0, &[]).uuid, entry(3, &[]).uuid]
            );
        }
        r => panic!("duplicates not refused: {r:?}"),
    }
    assert_eq!(s.size().await.unwrap(), 3);
    assert!(
        s.entry_by_uuid(&entry(3, &[]).uuid)
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.entry_by_index(3).await.unwrap().is_none());
    assert!(s.search("k3").await.unwrap().is_empty());
    assert!(s.read_hashes(&[3]).await.is_err());

    // Lookups.
    let e1 = s.entry_by_index(1).await.unwrap().unwrap();
    assert_eq!(e1.body, b"body 1");
    assert_eq!(e1.set, vec![1u8; 3]);
    assert_eq!(e1.integrated_time, 1_700_000_001);
    assert_eq!(s.entry_by_uuid(&e1.uuid).await.unwrap(), Some(e1.clone()));
    let unknown = signet_crypto::sha256(b"unknown");
    assert_eq!(
        s.find(&[entry(2, &[]).uuid, unknown, entry(0, &[]).uuid])
            .await
            .unwrap(),
        vec![(entry(2, &[]).uuid, 2), (entry(0, &[]).uuid, 0)]
    );
    assert_eq!(
        s.read_hashes(&[2, 0, 1]).await.unwrap(),
        vec![h(2), h(0), h(1)]
    );
    assert!(s.read_hashes(&[]).await.unwrap().is_empty());
    let mut all = s.search("k-all").await.unwrap();
    all.sort();
    let mut want: Vec<_> = first.iter().map(|e| e.uuid).collect();
    want.sort();
    assert_eq!(all, want);
    assert_eq!(s.search("k2").await.unwrap(), vec![entry(2, &[]).uuid]);
    assert!(s.search("nothing").await.unwrap().is_empty());
    // Entry bundles: a range of bodies, an error past the end.
    assert_eq!(
        s.bodies(1, 3).await.unwrap(),
        vec![b"body 1".to_vec(), b"body 2".to_vec()]
    );
    assert!(s.bodies(0, 0).await.unwrap().is_empty());
    assert!(s.bodies(2, 4).await.is_err());
    // The same index twice is a storage error, and stores nothing.
    let mut clash = entry(9, &[]);
    clash.index = 2;
    assert!(matches!(
        s.append(&[clash.clone()], &[], 4).await,
        Err(LogError::Storage(_))
    ));
    assert!(s.entry_by_uuid(&clash.uuid).await.unwrap().is_none());

    // Another log in the same backend is separate.
    let o = open(&backend, &other_dir).await;
    assert_eq!(o.size().await.unwrap(), 0);
    assert!(o.entry_by_index(0).await.unwrap().is_none());
    assert_eq!(o.meta("tree_id").await.unwrap(), None);
    o.append(&[entry(0, &["k-all"])], &[(0, h(9))], 1)
        .await
        .unwrap();
    assert_eq!(o.search("k-all").await.unwrap().len(), 1);
    assert_eq!(s.search("k-all").await.unwrap().len(), 3);

    // Reopened: everything is still there.
    drop(s);
    let s = open(&backend, &dir).await;
    assert_eq!(s.size().await.unwrap(), 3);
    assert_eq!(s.entry_by_index(1).await.unwrap(), Some(e1));
    assert_eq!(s.meta("tree_id").await.unwrap().as_deref(), Some("8"));
}

on_both_backends!(contract);

#[tokio::test]
async fn a_newer_schema_is_refused_naming_both_versions() {
    let url = signet_testkit::postgres::database();
    PgDatabase::connect(&url).await.unwrap();
    // Connecting again migrates nothing and works.
    PgDatabase::connect(&url).await.unwrap();
    let known = signet_log::pg::SCHEMA_VERSION;
    let newer = known + 1;
    signet_testkit::postgres::cluster().psql(
        &url,
        &format!("INSERT INTO signet_schema (version) VALUES ({newer})"),
    );
    match PgDatabase::connect(&url).await {
        Err(e @ LogError::Refused(_)) => {
            let m = e.to_string();
            assert!(
                m.contains(&format!("schema version {newer}"))
                    && m.contains(&format!("(version {known})")),
                "{m}"
            );
        }
        r => panic!("a newer schema was accepted: {r:?}"),
    }
}

#[tokio::test]
async fn connection_errors_are_one_line_and_name_the_database() {
    let c = signet_testkit::postgres::cluster();
    let url = c.database();
    let db = url.rsplit('/').next().unwrap();
    let wrong = c.url_wrong_password(db);
    let e = PgDatabase::connect(&wrong).await.unwrap_err().to_string();
    assert!(e.contains("password authentication failed"), "{e}");
    assert!(e.contains(&format!("127.0.0.1:{}/{db}", c.port())), "{e}");
    assert!(!e.contains('\n'), "{e}");
    assert!(
        !wrong
            .split(['@', ':'])
            .any(|p| p.starts_with("not-") && e.contains(p))
    );
    // Nothing listens on a fresh port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = PgDatabase::connect(&format!("postgres://u:p@127.0.0.1:{port}/x"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("127.0.0.1:{port}/x")) && !e.contains('\n'),
        "{e}"
    );
    let e = PgDatabase::connect("postgres://u:p@127.0.0.1:notaport/x")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("invalid PostgreSQL URL"), "{e}");
}
