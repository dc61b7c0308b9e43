//! PostgreSQL operations on a throwaway cluster: `signet admin migrate` both ways (verified
//! against each log's last signed checkpoint, refusing damaged sources and non-empty targets),
//! `signet server --database-replica` (reads from the replica, falling back to the primary for
//! what a lagging replica lacks), a read-only database at start, and `signet admin fsck
//! --database`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use signet_client::{RekorClient, verify_entry};
use signet_crypto::SigningKey;

mod common;

use common::{output_text as text, signet_in as signet};

fn start(data: &Path, extra: &[&str]) -> common::Listening {
    let d = data.to_str().unwrap();
    let mut args = vec![
        "server",
        "--dev-oidc",
        "--addr",
        "127.0.0.1:0",
        "--data-dir",
        d,
    ];
    args.extend_from_slice(extra);
    common::Listening::start(&args, &[])
}

fn migrate(data: &Path, args: &[&str]) -> std::process::Output {
    let mut a = vec!["admin", "migrate", "--from", data.to_str().unwrap()];
    a.extend_from_slice(args);
    signet(data, &a)
}

/// Appends a hashedrekord of `data` to the Rekor v1 log at `url`.
async fn append_v1(url: &str, data: &[u8]) {
    let c = RekorClient::new(url).unwrap();
    let key = SigningKey::generate_p256().unwrap();
    let proposed = signet_rekor::proposed_hashedrekord(
        &key.sign(data).unwrap(),
        &key.public_key().to_pem(),
        &signet_crypto::sha256(data).to_hex(),
    );
    c.create(&proposed).await.unwrap();
}

/// Appends to the Rekor v2 log of the server at `url`.
async fn append_v2(url: &str, data: &[u8]) {
    let key = SigningKey::generate_p256().unwrap();
    let r = reqwest::Client::new()
        .post(format!("{url}/rekor-v2/api/v2/log/entries"))
        .json(&common::v2_request(&key, data))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

/// Signs a file keylessly (a Rekor v1 entry and a precertificate in the CT log).
fn sign_keyless(data: &Path, work: &Path, name: &str) {
    common::sign_keyless(data, work, "alice@example.com", name);
}

/// What a reader sees of an instance: the Rekor v1 head, every entry (each verified with its
/// SET and inclusion proof against the log's signed checkpoint), and the v2 log's checkpoint
/// body (size and root).
async fn snapshot(url: &str) -> (i64, String, Vec<String>, String) {
    let c = RekorClient::new(url).unwrap();
    let key = c.public_key().await.unwrap();
    let info = c.log_info().await.unwrap();
    let mut entries = Vec::new();
    for i in 0..u64::try_from(info.tree_size).unwrap() {
        let e = c.get_by_index(i).await.unwrap();
        let v = verify_entry(&e, &key).unwrap();
        assert_eq!(
            v.checkpoint.size().0,
            u64::try_from(info.tree_size).unwrap()
        );
        entries.push(format!(
            "{} {}",
            v.entry_id,
            String::from_utf8(v.body).unwrap()
        ));
    }
    let cp = reqwest::get(format!("{url}/rekor-v2/checkpoint"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v2: String = cp.lines().take(3).collect::<Vec<_>>().join("\n");
    (info.tree_size, info.root_hash, entries, v2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_to_postgres_and_back_serves_the_same_verified_logs() {
    let cluster = signet_testkit::postgres::cluster();
    let db = cluster.database();
    let tmp = tempfile::tempdir().unwrap();
    let (data, work) = (tmp.path().join("data"), tmp.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();

    // An embedded instance with entries in every log: v1, v2 and the CT log.
    let server = start(&data, &[]);
    let url = server.url.clone();
    sign_keyless(&data, &work, "a");
    append_v1(&url, b"one").await;
    append_v1(&url, b"two").await;
    append_v2(&url, b"v2 one").await;
    append_v2(&url, b"v2 two").await;
    let before = snapshot(&url).await;
    assert_eq!(before.0, 3);
    assert!(before.3.contains("\n2\n"), "{}", before.3);

    // Not while the server holds the data directory.
    let o = migrate(&data, &["--to", &db]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("in use by another signet process"),
        "{}",
        text(&o)
    );
    drop(server);

    let o = migrate(&data, &["--to", &db]);
    assert!(o.status.success(), "{}", text(&o));
    for l in ["log: 3 entries", "log-v2: 2 entries", "ct: 1 entries"] {
        assert!(text(&o).contains(l), "{l}: {}", text(&o));
    }
    let sizes = cluster.psql(&db, "SELECT name || '=' || size FROM trees ORDER BY name");
    assert_eq!(sizes, "ct=1\nlog=3\nlog-v2=2", "{sizes}");
    // Never into a database that holds logs.
    let o = migrate(&data, &["--to", &db]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("already holds logs (ct, log, log-v2)"),
        "{}",
        text(&o)
    );

    // Served from PostgreSQL: the same heads and entries, every proof verifies; appends
    // continue the same trees.
    std::fs::rename(data.join("log/log.sqlite"), work.join("moved-away.sqlite")).unwrap();
    let server = start(&data, &["--database", &db]);
    let url = server.url.clone();
    assert_eq!(snapshot(&url).await, before);
    append_v1(&url, b"three").await;
    append_v2(&url, b"v2 three").await;
    sign_keyless(&data, &work, "b");
    let c = RekorClient::new(&url).unwrap();
    let after = snapshot(&url).await;
    assert_eq!(after.0, 5);
    assert_eq!(after.2[..3], before.2[..]);
    let proof = c.consistency(3, 5).await.unwrap();
    let hashes: Vec<signet_types::Sha256Hash> = proof
        .hashes
        .iter()
        .map(|h| signet_types::Sha256Hash::from_hex(h).unwrap())
        .collect();
    signet_tlog::verify_consistency(
        signet_types::TreeSize(3),
        signet_types::TreeSize(5),
        &hashes,
        &signet_types::Sha256Hash::from_hex(&before.1).unwrap(),
        &signet_types::Sha256Hash::from_hex(&after.1).unwrap(),
    )
    .unwrap();
    drop(server);

    // And back: a new data directory with log.sqlite files, served without the database.
    let back = tmp.path().join("back");
    let o = migrate(&data, &["--database", &db, "--to", back.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("log: 5 entries"), "{}", text(&o));
    assert!(back.join("log/log.sqlite").exists() && back.join("ct/log.sqlite").exists());
    assert!(!back.join("lock").exists());
    let server = start(&back, &[]);
    assert_eq!(snapshot(&server.url).await, after);
    drop(server);
    // A directory that is not empty is refused.
    let o = migrate(&data, &["--database", &db, "--to", back.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("is not empty"), "{}", text(&o));
}

/// Runs `sql` on the embedded store of `data/log`.
fn sqlite(data: &Path, sql: &str) {
    let c = rusqlite::Connection::open(data.join("log/log.sqlite")).unwrap();
    c.execute_batch(sql).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_refuses_a_damaged_source_and_copies_nothing() {
    let cluster = signet_testkit::postgres::cluster();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = start(&data, &[]);
    for d in [&b"one"[..], b"two", b"three"] {
        append_v1(&server.url, d).await;
    }
    drop(server);
    // Everything into the main file (the server was killed with its WAL in place).
    sqlite(&data, "PRAGMA wal_checkpoint(TRUNCATE)");
    let pristine = std::fs::read(data.join("log/log.sqlite")).unwrap();
    let cases = [
        (
            "UPDATE hashes SET h = zeroblob(32) WHERE idx = 2",
            "log log: stored hash 2 differs from the hash recomputed from the entries",
        ),
        (
            "UPDATE entries SET body = CAST('{}' AS BLOB) WHERE idx = 1",
            "log log: entry 1: its body does not hash to its stored leaf hash",
        ),
        (
            "DELETE FROM entries WHERE idx = 2",
            "log log: entry 2: it is missing",
        ),
    ];
    for (sql, want) in cases {
        std::fs::write(data.join("log/log.sqlite"), &pristine).unwrap();
        sqlite(&data, sql);
        let db = cluster.database();
        let o = migrate(&data, &["--to", &db]);
        assert!(!o.status.success(), "{sql}: {}", text(&o));
        assert!(text(&o).contains(want), "{sql}: {}", text(&o));
        assert!(
            text(&o).contains("the database was left unchanged"),
            "{}",
            text(&o)
        );
        assert_eq!(cluster.psql(&db, "SELECT count(*) FROM trees"), "0");
        assert_eq!(cluster.psql(&db, "SELECT count(*) FROM entries"), "0");
    }
    // The undamaged store migrates.
    std::fs::write(data.join("log/log.sqlite"), &pristine).unwrap();
    let o = migrate(&data, &["--to", &cluster.database()]);
    assert!(o.status.success(), "{}", text(&o));
}

/// The name of the database in `url`.
fn db_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_go_to_the_replica_and_what_it_lacks_to_the_primary() {
    let cluster = signet_testkit::postgres::cluster();
    let primary = cluster.database();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = start(&data, &["--database", &primary]);
    append_v1(&server.url, b"one").await;
    append_v1(&server.url, b"two").await;
    drop(server);

    // The replica: a copy of the primary at 2 entries, which then falls behind. Its entry 0
    // carries a marker (another integrated time) that shows which database answered.
    let replica = cluster.url(&format!("{}r", db_name(&primary)));
    cluster.psql(
        &cluster.url("postgres"),
        &format!(
            "CREATE DATABASE {} TEMPLATE {}",
            db_name(&replica),
            db_name(&primary)
        ),
    );
    cluster.psql(
        &replica,
        "UPDATE entries SET integrated_time = 12345 WHERE idx = 0",
    );
    let both = ["--database", &primary, "--database-replica", &replica];
    let server = start(&data, &both);
    let c = RekorClient::new(&server.url).unwrap();
    let key = c.public_key().await.unwrap();
    let e0 = c.get_by_index(0).await.unwrap();
    assert_eq!(
        e0.values().next().unwrap().integrated_time,
        12345,
        "entry 0 was not read from the replica"
    );
    // Written to the primary only: the replica lags two entries behind.
    append_v1(&server.url, b"three").await;
    append_v1(&server.url, b"four").await;
    drop(server);
    // A fresh server (nothing cached): entries and proofs the replica cannot give come from
    // the primary, and every proof is against the primary's head.
    let server = start(&data, &both);
    let c = RekorClient::new(&server.url).unwrap();
    assert_eq!(c.log_info().await.unwrap().tree_size, 4);
    for i in 1..4 {
        let e = c.get_by_index(i).await.unwrap();
        let v = verify_entry(&e, &key).unwrap();
        assert_eq!(v.checkpoint.size().0, 4);
        let by_uuid = c.get_by_uuid(&v.entry_id).await.unwrap();
        verify_entry(&by_uuid, &key).unwrap();
    }
    // A search the lagging replica would miss is answered by the primary.
    let q = signet_rekor::api::SearchIndex {
        hash: Some(format!(
            "sha256:{}",
            signet_crypto::sha256(b"four").to_hex()
        )),
        ..Default::default()
    };
    assert_eq!(c.search(&q).await.unwrap().len(), 1);
    assert_eq!(
        cluster.psql(&replica, "SELECT size FROM trees WHERE name = 'log'"),
        "2"
    );
    drop(server);

    // An unusable replica stops the server with one line naming it.
    let replica = cluster.url_wrong_password(db_name(&replica));
    let err = common::server_refuses_to_start(
        &data,
        &["--database", &primary, "--database-replica", &replica],
    );
    assert!(err.contains("replica"), "{err}");
    assert!(err.contains("password authentication failed"), "{err}");
}

/// A read-only database at start: one line naming the cause, non-zero exit, nothing started.
#[test]
fn a_read_only_database_stops_the_server_at_start() {
    let cluster = signet_testkit::postgres::cluster();
    let db = cluster.database();
    cluster.psql(
        &cluster.url("postgres"),
        &format!(
            "ALTER DATABASE {} SET default_transaction_read_only = on",
            db_name(&db)
        ),
    );
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let err = common::server_refuses_to_start(&data, &["--database", &db]);
    assert!(err.contains("read-only transaction"), "{err}");
    assert!(err.contains(db_name(&db)), "{err}");
    assert!(!data.exists(), "the data directory was created");
}

/// The database restarted (fast: connections cut, transactions aborted) while 8 writers
/// append: writes in flight fail with a 5xx, never a 201 for an entry that is not durable; the
/// server reconnects and appends succeed again; every 201'd entry is there and verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_mid_load_loses_no_acknowledged_entry() {
    let cluster = signet_testkit::postgres::private_cluster();
    let db = cluster.database();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = start(&data, &["--database", &db]);
    let url = server.url.clone();
    let phase = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(0));
    let mut writers = Vec::new();
    for w in 0..8u8 {
        let (url, phase) = (url.clone(), phase.clone());
        writers.push(tokio::spawn(async move {
            let c = RekorClient::new(&url).unwrap();
            let key = SigningKey::generate_p256().unwrap();
            let (mut acked, mut failed, mut after) = (Vec::new(), 0u32, 0u32);
            let mut resumed = None;
            for n in 0u32.. {
                let p = phase.load(std::sync::atomic::Ordering::SeqCst);
                if p == 2 && after >= 3 {
                    break;
                }
                let data = format!("writer {w} entry {n}");
                let proposed = signet_rekor::proposed_hashedrekord(
                    &key.sign(data.as_bytes()).unwrap(),
                    &key.public_key().to_pem(),
                    &signet_crypto::sha256(data.as_bytes()).to_hex(),
                );
                match c.create(&proposed).await {
                    Ok((entry, _)) => {
                        acked.push(entry.keys().next().unwrap().clone());
                        if p == 2 {
                            after += 1;
                        }
                    }
                    Err(e) => {
                        let m = e.to_string();
                        assert!(m.contains("50"), "not a 5xx: {m}");
                        failed += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                }
                if p == 2 {
                    let t = *resumed.get_or_insert_with(std::time::Instant::now);
                    assert!(
                        t.elapsed() < std::time::Duration::from_secs(10),
                        "writer {w}: the service did not resume within 10 s of the restart"
                    );
                }
                assert!(n < 100_000);
            }
            (acked, failed)
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.restart();
        cluster
    })
    .await
    .unwrap();
    phase.store(2, std::sync::atomic::Ordering::SeqCst);
    let (mut acked, mut failed) = (Vec::new(), 0u32);
    for w in writers {
        let (a, f) = w.await.unwrap();
        acked.extend(a);
        failed += f;
    }
    let c = RekorClient::new(&url).unwrap();
    let key = c.public_key().await.unwrap();
    for id in &acked {
        let e = c
            .get_by_uuid(id)
            .await
            .unwrap_or_else(|e| panic!("acknowledged entry {id} missing: {e}"));
        verify_entry(&e, &key).unwrap();
    }
    // Every durable entry was acknowledged, or answered with a 5xx (whose entry may or may not
    // have been committed when the connection was cut).
    let size = usize::try_from(c.log_info().await.unwrap().tree_size).unwrap();
    assert!(size >= acked.len(), "{size} < {}", acked.len());
    assert!(size <= acked.len() + failed as usize);
    eprintln!(
        "{} acknowledged, {failed} failed around the restart",
        acked.len()
    );
    drop(server);
    drop(cluster);
}

/// The database's disk fills while writers append (its tablespace is a small tmpfs, filled up
/// by a file beside it): the writes that cannot be stored get a 5xx naming no success, never a
/// 201; reads go on; every acknowledged entry is there and verifies; once space is freed,
/// appends succeed again on the same tree. Needs root (to mount the tmpfs): skipped, saying
/// so, otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_cleanly_and_they_resume_when_space_returns() {
    use std::os::unix::fs::MetadataExt;
    let tmp = tempfile::tempdir().unwrap();
    let small = tmp.path().join("small");
    let Some(_mount) = common::Mounted::tmpfs(&small, "16m") else {
        return;
    };
    let cluster = signet_testkit::postgres::private_cluster();
    // The tablespace directory belongs to the user PostgreSQL runs as.
    let owner = std::fs::metadata(cluster.dir()).unwrap();
    std::os::unix::fs::chown(&small, Some(owner.uid()), Some(owner.gid())).unwrap();
    let space = small.join("space");
    std::fs::create_dir(&space).unwrap();
    std::os::unix::fs::chown(&space, Some(owner.uid()), Some(owner.gid())).unwrap();
    let admin = cluster.url("postgres");
    cluster.psql(
        &admin,
        &format!("CREATE TABLESPACE small LOCATION '{}'", space.display()),
    );
    cluster.psql(&admin, "CREATE DATABASE onsmall TABLESPACE small");
    let db = cluster.url("onsmall");
    let data = tmp.path().join("data");
    let server = start(&data, &["--database", &db]);
    let url = server.url.clone();
    let c = RekorClient::new(&url).unwrap();
    let key = SigningKey::generate_p256().unwrap();
    let append = |n: u32| {
        let data = format!("entry {n}");
        signet_rekor::proposed_hashedrekord(
            &key.sign(data.as_bytes()).unwrap(),
            &key.public_key().to_pem(),
            &signet_crypto::sha256(data.as_bytes()).to_hex(),
        )
    };
    let mut acked = Vec::new();
    for n in 0..5 {
        let (e, _) = c.create(&append(n)).await.unwrap();
        acked.push(e.keys().next().unwrap().clone());
    }
    // Fill the disk: a file takes every free byte.
    let filler = small.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.flush();
    }
    // Appends go on until the tables' free pages are used up, then fail with a 5xx.
    let mut failed = 0u32;
    let mut n = 5;
    let mut why = String::new();
    while failed < 5 {
        match c.create(&append(n)).await {
            Ok((e, _)) => acked.push(e.keys().next().unwrap().clone()),
            Err(e) => {
                why = e.to_string();
                assert!(why.contains("50"), "not a 5xx: {why}");
                failed += 1;
            }
        }
        n += 1;
        assert!(n < 20_000, "the disk never filled up");
    }
    // Reads go on while the disk is full.
    let log_key = c.public_key().await.unwrap();
    for id in &acked {
        verify_entry(&c.get_by_uuid(id).await.unwrap(), &log_key).unwrap();
    }
    // Space returns: appends succeed again, on the same tree.
    std::fs::remove_file(&filler).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut resumed = 0;
    while resumed < 3 {
        match c.create(&append(n)).await {
            Ok((e, _)) => {
                acked.push(e.keys().next().unwrap().clone());
                resumed += 1;
            }
            Err(e) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "appends did not resume within 15 s of freeing space: {e}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        n += 1;
    }
    let size = usize::try_from(c.log_info().await.unwrap().tree_size).unwrap();
    assert!(size >= acked.len(), "{size} < {}", acked.len());
    for id in &acked {
        verify_entry(&c.get_by_uuid(id).await.unwrap(), &log_key).unwrap();
    }
    eprintln!(
        "{} acknowledged, {failed} refused while the disk was full ({why}), tree size {size}",
        acked.len()
    );
    drop(server);
    drop(cluster);
}

/// TLS to PostgreSQL takes one path for the server's database, its read replica and `signet
/// admin migrate`: each connects with `sslmode=verify-full` and the right root (a cluster
/// started with `ssl=on`), and each fails with one line naming TLS under a wrong root.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_replica_and_migration_connect_over_verified_tls() {
    let (ca, cert, key) = signet_testkit::postgres::tls_certificates();
    let cluster =
        signet_testkit::postgres::private_cluster_with_tls(&signet_testkit::postgres::ServerTls {
            cert_pem: &cert,
            key_pem: &key,
        });
    let db = cluster.database();
    let tmp = tempfile::tempdir().unwrap();
    let (root, wrong) = (tmp.path().join("root.pem"), tmp.path().join("wrong.pem"));
    std::fs::write(&root, ca).unwrap();
    std::fs::write(&wrong, signet_testkit::postgres::tls_certificates().0).unwrap();
    // The certificate names `localhost`: reach 127.0.0.1 under that name.
    let tls = |root: &Path| {
        format!(
            "{}?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={}",
            db.replacen("@127.0.0.1:", "@localhost:", 1),
            root.display()
        )
    };
    let data = tmp.path().join("data");
    let server = start(&data, &[]);
    append_v1(&server.url, b"one").await;
    drop(server);

    let o = migrate(&data, &["--to", &tls(&wrong)]);
    assert!(!o.status.success());
    assert!(text(&o).contains("TLS"), "{}", text(&o));
    let o = migrate(&data, &["--to", &tls(&root)]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("log: 1 entries"), "{}", text(&o));

    let both = ["--database", &tls(&root), "--database-replica", &tls(&root)];
    let server = start(&data, &both);
    append_v1(&server.url, b"two").await;
    let c = RekorClient::new(&server.url).unwrap();
    assert_eq!(c.log_info().await.unwrap().tree_size, 2);
    drop(server);
    assert_eq!(
        cluster.psql(&db, "SELECT size FROM trees WHERE name = 'log'"),
        "2"
    );

    let err = common::server_refuses_to_start(
        &data,
        &[
            "--database",
            &tls(&root),
            "--database-replica",
            &tls(&wrong),
        ],
    );
    assert!(err.contains("replica") && err.contains("TLS"), "{err}");
    let err = common::server_refuses_to_start(&data, &["--database", &tls(&wrong)]);
    assert!(err.contains("TLS"), "{err}");
    drop(cluster);
}

/// `signet admin fsck --database`: the logs of an instance on PostgreSQL (Rekor v1 and v2
/// entries, the CT log empty) pass, checked against the data directory's keys and checkpoints;
/// one byte of one stored body changed in the database is named by log and index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fsck_checks_the_logs_in_postgres_and_names_a_damaged_body() {
    let cluster = signet_testkit::postgres::cluster();
    let db = cluster.database();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = start(&data, &["--database", &db]);
    for d in [&b"one"[..], b"two", b"three"] {
        append_v1(&server.url, d).await;
        append_v2(&server.url, d).await;
    }
    drop(server);
    let fsck = || {
        let d = data.to_str().unwrap();
        let args = ["admin", "fsck", "--data-dir", d, "--database", &db];
        let o = signet(&data, &[&args[..], &["--output", "json"]].concat());
        let v: serde_json::Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
        (o, v)
    };
    let (o, v) = fsck();
    assert!(o.status.success(), "{}", text(&o));
    let sizes: Vec<(String, u64)> = v["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["log"].as_str().unwrap().to_string(),
                l["entries"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sizes,
        [("ct".into(), 0), ("log".into(), 3), ("log-v2".into(), 3)]
    );
    cluster.psql(
        &db,
        "UPDATE entries SET body = overlay(body placing '\\x00'::bytea from 10 for 1) \
         WHERE idx = 1 AND tree = (SELECT id FROM trees WHERE name = 'log-v2')",
    );
    let (o, v) = fsck();
    assert!(!o.status.success(), "{}", text(&o));
    assert_eq!(v["divergence"]["log"], "log-v2", "{v}");
    assert_eq!(v["divergence"]["index"], 1, "{v}");
    assert!(text(&o).contains("log log-v2: entry 1:"), "{}", text(&o));
}
