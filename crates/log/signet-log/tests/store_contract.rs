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

/// Search pages: a range of one key's matches in a fixed order (log order in SQLite), every
/// match on exactly one page, the count exact up to the cap and "more than" past it; an entry
/// with a key twice is filed once.
async fn search_pages(backend: Backend) {
    use signet_log::store::{PageStart, SEARCH_COUNT_CAP, SearchCursor, SearchPage};
    let at = PageStart::Offset;
    let tmp = tempfile::tempdir().unwrap();
    let s = open(&backend, &tmp.path().join("log")).await;
    let n = SEARCH_COUNT_CAP + 5;
    let mut all = Vec::new();
    for start in (0..n).step_by(2000) {
        let batch: Vec<_> = (start..n.min(start + 2000))
            .map(|i| {
                if i == 7 {
                    entry(i, &["many", "twice", "twice", "Many"])
                } else {
                    entry(i, &["many"])
                }
            })
            .collect();
        all.extend(batch.iter().map(|e| e.uuid));
        s.append(&batch, &[], start + batch.len() as u64)
            .await
            .unwrap();
    }
    // Filed once under a key it lists twice.
    let twice = s.search_page("twice", &at(0), 10).await.unwrap();
    assert_eq!(
        twice,
        SearchPage {
            hashes: vec![entry(7, &[]).uuid],
            total: 1,
            exact: true,
            first: twice.first.clone(),
            last: twice.first.clone(),
        }
    );
    assert!(twice.first.is_some());
    assert_eq!(s.search("twice").await.unwrap().len(), 1);
    let none = s.search_page("nothing", &at(0), 10).await.unwrap();
    assert_eq!((none.hashes.len(), none.total, none.exact), (0, 0, true));

    // First page: past the cap the count is a lower bound.
    let p1 = s.search_page("many", &at(0), 50).await.unwrap();
    assert_eq!(p1.hashes.len(), 50);
    assert_eq!((p1.total, p1.exact), (SEARCH_COUNT_CAP, false));
    // A page reaching past the cap counts to its end: exact again here.
    let last = s
        .search_page("many", &at(SEARCH_COUNT_CAP), 50)
        .await
        .unwrap();
    assert_eq!(last.hashes.len(), 5);
    assert_eq!((last.total, last.exact), (n, true));
    assert!(
        s.search_page("many", &at(n), 50)
            .await
            .unwrap()
            .hashes
            .is_empty()
    );
    // A count-only page.
    let count = s.search_page("many", &at(0), 0).await.unwrap();
    assert!(count.hashes.is_empty() && count.total == SEARCH_COUNT_CAP && !count.exact);

    // Pages of 1000 (the most one call returns) cover every match once, in a stable order.
    let mut seen = Vec::new();
    for off in (0..n).step_by(1000) {
        let p = s.search_page("many", &at(off), 5000).await.unwrap();
        assert_eq!(p.hashes.len() as u64, 1000.min(n - off), "page at {off}");
        seen.extend(p.hashes);
    }
    assert_eq!(&seen[..50], &p1.hashes[..]);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len() as u64, n);
    let mut want = all.clone();
    want.sort();
    assert_eq!(sorted, want);
    match backend {
        // SQLite: log order.
        Backend::Embedded => assert_eq!(seen, all),
        // PostgreSQL: leaf-hash order.
        Backend::Postgres { .. } => assert_eq!(seen, want),
    }

    // By cursor: the same pages forwards, each after the last match of the one before, the
    // count capped as for a first page (a cursor page's offset is unknown).
    let mut walked = Vec::new();
    let mut start = at(0);
    let mut firsts = Vec::new();
    loop {
        let p = s.search_page("many", &start, 1000).await.unwrap();
        if p.hashes.is_empty() {
            assert!(p.first.is_none() && p.last.is_none());
            break;
        }
        if start != at(0) {
            assert_eq!((p.total, p.exact), (SEARCH_COUNT_CAP, false));
        }
        firsts.push(p.first.clone().unwrap());
        walked.extend(p.hashes);
        start = PageStart::After(p.last.unwrap());
    }
    assert_eq!(walked, seen);
    // Backwards from the end: the last page is the tail, and the page before a page's first
    // match is the page before it.
    let tail = s
        .search_page("many", &PageStart::Before(None), 50)
        .await
        .unwrap();
    assert_eq!(tail.hashes, seen[seen.len() - 50..]);
    let p = s
        .search_page("many", &PageStart::Before(Some(firsts[3].clone())), 1000)
        .await
        .unwrap();
    assert_eq!(p.hashes, seen[2000..3000]);
    assert_eq!(p.first, Some(firsts[2].clone()));
    let none_before = s
        .search_page("many", &PageStart::Before(Some(firsts[0].clone())), 10)
        .await
        .unwrap();
    assert!(none_before.hashes.is_empty());
    // Another key's cursor just bounds the range: never an error, never another key's match.
    let other = s
        .search_page("twice", &PageStart::After(firsts[0].clone()), 10)
        .await
        .unwrap();
    assert!(other.hashes.iter().all(|h| *h == entry(7, &[]).uuid));
    // A cursor of the other backend, or of none, is refused.
    for bad in ["o5", "r5x", "u00", "rr", "x"] {
        let c = SearchCursor::parse(bad).unwrap();
        assert!(
            s.search_page("many", &PageStart::After(c), 10)
                .await
                .is_err(),
            "{bad}"
        );
    }
    let foreign = match backend {
        Backend::Embedded => format!("u{}", entry(1, &[]).uuid.to_hex()),
        Backend::Postgres { .. } => "r5".to_string(),
    };
    let c = SearchCursor::parse(&foreign).unwrap();
    assert!(
        s.search_page("many", &PageStart::Before(Some(c)), 10)
            .await
            .is_err()
    );
}

on_both_backends!(contract, search_pages);

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
