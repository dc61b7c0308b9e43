//! Several `signet server` processes on one PostgreSQL database (a throwaway cluster), each on
//! its own copy of one `signet init`ed data directory: writes at every node, one fenced
//! sequencer per log, failover after kill -9 of the leader, a leader stopped cleanly (SIGTERM)
//! that hands its lease over at once, the database restarted under load, and a frozen (SIGSTOP)
//! leader that resumes after another node took over.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use signet_testkit::postgres::Cluster;
use signet_types::{LogIndex, Sha256Hash, TreeSize};

mod common;

use common::{copy_dir, output_text as text, signet_in as signet};

/// Held by each test that runs three nodes under load: they run one at a time, so the times
/// they measure (takeovers, service resuming) are not those of a machine shared with another
/// such test.
static UNDER_LOAD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One `signet server` process; its log output goes to `log`.
struct Node {
    name: String,
    proc: common::Listening,
    url: String,
    log: PathBuf,
}

impl Node {
    fn start(name: &str, data: &Path, db: &str) -> Self {
        let log = data.with_extension("stderr");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
        cmd.args([
            "server",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
            "--database",
            db,
            "--node-id",
            name,
        ])
        .env("RUST_LOG", "info")
        .env_remove("SIGNET_DATABASE")
        .stderr(std::fs::File::create(&log).unwrap());
        let proc = common::Listening::spawn(cmd);
        Self {
            name: name.into(),
            url: proc.url.clone(),
            proc,
            log,
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.proc.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig} {}", self.name);
    }

    fn output(&self) -> String {
        read(&self.log)
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// A data directory made by `signet init` on `db`, copied for each of `names`.
fn init(tmp: &Path, db: &str, names: &[&str]) -> Vec<PathBuf> {
    let base = tmp.join("base");
    let o = signet(
        &base,
        &[
            "init",
            "--data-dir",
            base.to_str().unwrap(),
            "--database",
            db,
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    names
        .iter()
        .map(|n| {
            let d = tmp.join(n);
            copy_dir(&base, &d);
            d
        })
        .collect()
}

/// The node holding the Rekor v1 log's lease now (by the database).
fn leader(db: &str) -> Option<String> {
    leader_in(signet_testkit::postgres::cluster(), db)
}

/// [`leader`], in database `db` of `cluster`.
fn leader_in(cluster: &Cluster, db: &str) -> Option<String> {
    let out = cluster.psql(
        db,
        "SELECT leader FROM trees WHERE name = 'log' AND lease_until > now()",
    );
    let l = out.trim();
    (!l.is_empty()).then(|| l.to_string())
}

/// Waits until one of `among` holds the lease (`signet init` itself held it for a moment).
fn wait_leader(db: &str, among: &[&str], limit: Duration) -> (String, Duration) {
    wait_leader_in(signet_testkit::postgres::cluster(), db, among, limit)
}

/// [`wait_leader`], in database `db` of `cluster`.
fn wait_leader_in(
    cluster: &Cluster,
    db: &str,
    among: &[&str],
    limit: Duration,
) -> (String, Duration) {
    let t = Instant::now();
    while t.elapsed() < limit {
        if let Some(l) = leader_in(cluster, db)
            && among.contains(&l.as_str())
        {
            return (l, t.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no new leader within {limit:?}");
}

/// What clients saw: acknowledged entries (leaf hash hex -> index) and checkpoints (size ->
/// root).
#[derive(Default)]
struct Seen {
    acked: HashMap<String, u64>,
    heads: BTreeMap<u64, Sha256Hash>,
    failed: usize,
    last_error: String,
    /// Answers that were neither a 201 nor a 5xx (nor a failed connection): a write must never
    /// be refused as the client's fault because a node or the database failed.
    client_errors: Vec<String>,
}

fn hash(hex: &str) -> Sha256Hash {
    Sha256Hash::from_hex(hex).unwrap()
}

/// Uploads one hashedrekord entry; on 201 checks its inclusion proof and records it.
async fn upload(
    http: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    seen: &Mutex<Seen>,
) -> Result<(), String> {
    let r = http
        .post(format!("{url}/api/v1/log/entries"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let text = r.text().await.map_err(|e| e.to_string())?;
    if status != 201 {
        return Err(format!("{status}: {text}"));
    }
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let (id, e) = v.as_object().unwrap().iter().next().unwrap();
    let leaf = &id[id.len() - 64..];
    let index = e["logIndex"].as_u64().unwrap();
    let p = &e["verification"]["inclusionProof"];
    let size = p["treeSize"].as_u64().unwrap();
    let root = hash(p["rootHash"].as_str().unwrap());
    let proof: Vec<Sha256Hash> = p["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hash(h.as_str().unwrap()))
        .collect();
    signet_tlog::verify_inclusion(LogIndex(index), TreeSize(size), &hash(leaf), &proof, &root)
        .unwrap_or_else(|e| panic!("201 from {url}: inclusion proof of {index} in {size}: {e}"));
    let mut s = seen.lock().unwrap();
    assert!(
        s.acked.insert(leaf.to_string(), index).is_none(),
        "{leaf} acknowledged twice"
    );
    let old = s.heads.insert(size, root);
    assert!(old.is_none_or(|o| o == root), "two roots at size {size}");
    Ok(())
}

async fn log_head(http: &reqwest::Client, url: &str) -> Option<(u64, Sha256Hash)> {
    let v: serde_json::Value = http
        .get(format!("{url}/api/v1/log"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    Some((v["treeSize"].as_u64()?, hash(v["rootHash"].as_str()?)))
}

/// Writers spread over the live nodes (a writer whose node fails moves to the next one) and a
/// reader of every node's head, until `stop`.
fn load(
    urls: Arc<Mutex<Vec<String>>>,
    writers: usize,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (http, urls, seen, stop) = (http.clone(), urls.clone(), seen.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let key = signet_crypto::SigningKey::generate_p256().unwrap();
            let mut node = w;
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let url = {
                    let u = urls.lock().unwrap();
                    u[node % u.len()].clone()
                };
                let body = signet_testkit::log_trees::proposal(&key, &format!("w{w} e{n}"));
                n += 1;
                if let Err(e) = upload(&http, &url, body, &seen).await {
                    let mut s = seen.lock().unwrap();
                    if e.split(':')
                        .next()
                        .and_then(|c| c.parse::<u16>().ok())
                        .is_some_and(|c| c < 500)
                    {
                        s.client_errors.push(format!("{url}: {e}"));
                    }
                    s.failed += 1;
                    s.last_error = format!("{url}: {e}");
                    node += 1;
                }
            }
        }));
    }
    let (http, seen) = (http.clone(), seen.clone());
    tasks.push(tokio::spawn(async move {
        while !stop.load(Ordering::SeqCst) {
            let all = urls.lock().unwrap().clone();
            for url in all {
                if let Some((size, root)) = log_head(&http, &url).await {
                    let mut s = seen.lock().unwrap();
                    let old = s.heads.insert(size, root);
                    assert!(old.is_none_or(|o| o == root), "two roots at size {size}");
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }));
    tasks
}

/// Every acknowledged entry is in the final tree exactly once at its index, the tree holds
/// indexes 0..size each once, and every head a client saw is consistent with the final one.
async fn check_final(db: &str, url: &str, seen: &Seen) -> u64 {
    check_final_in(signet_testkit::postgres::cluster(), db, url, seen).await
}

/// [`check_final`], in database `db` of `cluster`.
async fn check_final_in(cluster: &Cluster, db: &str, url: &str, seen: &Seen) -> u64 {
    let http = reqwest::Client::new();
    let (size, root) = log_head(&http, url).await.unwrap();
    let rows = cluster.psql(
        db,
        "SELECT encode(e.uuid, 'hex') || ' ' || e.idx FROM entries e JOIN trees t \
         ON t.id = e.tree WHERE t.name = 'log' ORDER BY e.idx",
    );
    let mut by_uuid: HashMap<String, u64> = HashMap::new();
    let mut indexes = BTreeSet::new();
    for l in rows.lines().filter(|l| !l.trim().is_empty()) {
        let (u, i) = l.trim().split_once(' ').unwrap();
        let i: u64 = i.parse().unwrap();
        assert!(
            by_uuid.insert(u.to_string(), i).is_none(),
            "{u} stored twice"
        );
        assert!(indexes.insert(i), "index {i} stored twice");
    }
    assert_eq!(indexes.len() as u64, size, "stored entries vs the head");
    assert_eq!(
        indexes.iter().copied().collect::<Vec<_>>(),
        (0..size).collect::<Vec<_>>()
    );
    for (u, i) in &seen.acked {
        assert_eq!(by_uuid.get(u), Some(i), "acknowledged {u} at {i}");
    }
    for (s, r) in &seen.heads {
        if *s == 0 {
            continue;
        }
        let proof = common::consistency_proof(url, *s, size).await;
        signet_tlog::verify_consistency(TreeSize(*s), TreeSize(size), &proof, r, &root)
            .unwrap_or_else(|e| panic!("the head of size {s} seen by a client: {e}"));
    }
    size
}

/// Nodes `names` on database `db` of `cluster` (one `signet init`ed directory copied to each),
/// once one of them leads, with `writers` writers spread over them (see [`load`]).
struct Deployment {
    nodes: Vec<Node>,
    first: String,
    urls: Arc<Mutex<Vec<String>>>,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Deployment {
    fn start(cluster: &Cluster, db: &str, tmp: &Path, names: &[&str], writers: usize) -> Self {
        let dirs = init(tmp, db, names);
        let nodes: Vec<Node> = names
            .iter()
            .zip(&dirs)
            .map(|(n, d)| Node::start(n, d, db))
            .collect();
        let (first, _) = wait_leader_in(cluster, db, names, Duration::from_secs(10));
        let urls = Arc::new(Mutex::new(
            nodes.iter().map(|n| n.url.clone()).collect::<Vec<_>>(),
        ));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = load(urls.clone(), writers, seen.clone(), stop.clone());
        Self {
            nodes,
            first,
            urls,
            seen,
            stop,
            tasks,
        }
    }

    /// Ends the load: what the clients saw.
    async fn stop_load(&mut self) -> Seen {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.tasks.drain(..) {
            t.await.unwrap();
        }
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

/// Three nodes, 16 writers spread over them; the leader is killed (-9) under load, then the
/// next one. Every acknowledged entry is in the final tree exactly once, every head any client
/// saw is consistent with the final tree, and the takeover times are measured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_survive_two_leaders_killed_under_load() {
    let _serial = UNDER_LOAD.lock().await;
    let cluster = signet_testkit::postgres::cluster();
    let db = cluster.database();
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Deployment::start(cluster, &db, tmp.path(), &["n0", "n1", "n2"], 16);
    let (nodes, urls, seen) = (&mut d.nodes, d.urls.clone(), d.seen.clone());

    let mut takeovers = Vec::new();
    let mut killed = d.first.clone();
    for round in 0..2 {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let t = Instant::now();
        while seen.lock().unwrap().acked.len() < 16 {
            let s = seen.lock().unwrap();
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "round {round}: {} acknowledged; {} failed, the last: {}",
                s.acked.len(),
                s.failed,
                s.last_error
            );
            drop(s);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let pos = nodes.iter().position(|n| n.name == killed).unwrap();
        let mut dead = nodes.remove(pos);
        dead.proc.child.kill().unwrap();
        let t = Instant::now();
        dead.proc.child.wait().unwrap();
        urls.lock().unwrap().retain(|u| *u != dead.url);
        let live: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
        let (next, _) = wait_leader(&db, &live, Duration::from_secs(10));
        let lease = t.elapsed();
        // Service is back when an entry is acknowledged again.
        let acked = seen.lock().unwrap().acked.len();
        while seen.lock().unwrap().acked.len() == acked {
            assert!(
                t.elapsed() < Duration::from_secs(15),
                "no write acknowledged again"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let service = t.elapsed();
        println!(
            "takeover {}: {killed} killed -9, {next} leads after {lease:?}, writes acknowledged \
             again after {service:?}",
            round + 1
        );
        assert!(lease <= Duration::from_secs(5), "takeover took {lease:?}");
        let out = nodes.iter().find(|n| n.name == next).unwrap().output();
        assert!(out.contains("became leader of log at epoch"), "{out}");
        takeovers.push(lease);
        killed = next;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let seen = d.stop_load().await;
    let size = check_final(&db, &d.nodes[0].url, &seen).await;
    println!(
        "{} entries acknowledged, {} writes failed (node killed or timed out), final tree \
         {size}, {} heads checked; takeovers {takeovers:?}",
        seen.acked.len(),
        seen.failed,
        seen.heads.len()
    );
    assert!(seen.acked.len() as u64 <= size);
}

/// Waits until `n` more entries than `from` are acknowledged, failing after `limit`.
async fn wait_acked(seen: &Mutex<Seen>, from: usize, n: usize, limit: Duration, what: &str) {
    let t = Instant::now();
    loop {
        {
            let s = seen.lock().unwrap();
            if s.acked.len() >= from + n {
                return;
            }
            assert!(
                t.elapsed() < limit,
                "{what}: {} of {n} acknowledged within {limit:?}; {} failed, the last: {}",
                s.acked.len() - from,
                s.failed,
                s.last_error
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Three nodes under load (12 writers spread over them); the leader is stopped cleanly
/// (SIGTERM): it answers the requests in progress, then gives its leases up, so a follower
/// leads and acknowledges writes within 1 s of the signal instead of after the 3 s lease. No
/// acknowledged entry is lost, every head seen is consistent with the final tree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_stopped_cleanly_hands_over_at_once() {
    let _serial = UNDER_LOAD.lock().await;
    let cluster = signet_testkit::postgres::cluster();
    let db = cluster.database();
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Deployment::start(cluster, &db, tmp.path(), &["t0", "t1", "t2"], 12);
    let (first, seen) = (d.first.clone(), d.seen.clone());
    wait_acked(&seen, 0, 24, Duration::from_secs(20), "before the stop").await;

    let pos = d.nodes.iter().position(|n| n.name == first).unwrap();
    let mut old = d.nodes.remove(pos);
    d.urls.lock().unwrap().retain(|u| *u != old.url);
    let t = Instant::now();
    old.signal("-TERM");
    let live: Vec<&str> = d.nodes.iter().map(|n| n.name.as_str()).collect();
    let (next, lease) = wait_leader(&db, &live, Duration::from_secs(10));
    let acked = seen.lock().unwrap().acked.len();
    wait_acked(&seen, acked, 1, Duration::from_secs(10), "after the stop").await;
    let service = t.elapsed();
    let status = old.proc.child.wait().unwrap();
    println!(
        "{first} stopped (SIGTERM, exit {status}); {next} leads after {lease:?}, writes \
         acknowledged again after {service:?}"
    );
    assert!(status.success(), "{}", old.output());
    assert!(
        lease <= Duration::from_secs(1),
        "{next} took over after {lease:?}"
    );
    assert!(
        service <= Duration::from_secs(1),
        "writes acknowledged again after {service:?}"
    );
    let out = d.nodes.iter().find(|n| n.name == next).unwrap().output();
    assert!(out.contains("became leader of log at epoch"), "{out}");
    wait_acked(&seen, acked, 24, Duration::from_secs(20), "after the stop").await;
    let seen = d.stop_load().await;
    assert!(seen.client_errors.is_empty(), "{:?}", seen.client_errors);
    let size = check_final(&db, &d.nodes[0].url, &seen).await;
    println!(
        "{} entries acknowledged, {} writes failed, final tree {size}",
        seen.acked.len(),
        seen.failed
    );
}

/// The database restarted (`pg_ctl restart -m fast`: connections cut, transactions aborted)
/// under three nodes with 12 writers spread over them: writes in flight fail with a 5xx (or a
/// cut connection), never a 201 for an entry that is not durable nor a 4xx; every node
/// reconnects and acknowledges writes again within a bound measured here; afterwards every
/// acknowledged entry is in the tree exactly once and every head seen is consistent with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_survive_a_database_restart_under_load() {
    let _serial = UNDER_LOAD.lock().await;
    let cluster = signet_testkit::postgres::private_cluster();
    let db = cluster.database();
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Deployment::start(&cluster, &db, tmp.path(), &["r0", "r1", "r2"], 12);
    let seen = d.seen.clone();
    wait_acked(&seen, 0, 24, Duration::from_secs(20), "before the restart").await;

    let t = Instant::now();
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.restart();
        cluster
    })
    .await
    .unwrap();
    let down = t.elapsed();
    // Each node acknowledges a write of its own again: the time from the restart's start.
    let probes: Vec<_> = d
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let (url, seen) = (n.url.clone(), seen.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                let key = signet_crypto::SigningKey::generate_p256().unwrap();
                for k in 0.. {
                    let body = signet_testkit::log_trees::proposal(&key, &format!("probe {i} {k}"));
                    match upload(&http, &url, body, &seen).await {
                        Ok(()) => return t.elapsed(),
                        Err(e) => {
                            let code = e.split(':').next().and_then(|c| c.parse::<u16>().ok());
                            assert!(code.is_none_or(|c| c >= 500), "{url}: {e}");
                            assert!(
                                t.elapsed() < Duration::from_secs(15),
                                "{url}: no write acknowledged within 15 s of the restart: {e}"
                            );
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
                unreachable!()
            })
        })
        .collect();
    let mut resumed = Vec::new();
    for (n, p) in d.nodes.iter().zip(probes) {
        resumed.push((n.name.clone(), p.await.unwrap()));
    }
    let slowest = resumed.iter().map(|(_, d)| *d).max().unwrap();
    println!(
        "database restarted in {down:?}; writes acknowledged again (from the restart's start) \
         {resumed:?}"
    );
    assert!(
        slowest <= Duration::from_secs(10),
        "service resumed after {slowest:?}"
    );
    let acked = seen.lock().unwrap().acked.len();
    wait_acked(
        &seen,
        acked,
        24,
        Duration::from_secs(20),
        "after the restart",
    )
    .await;
    let seen = d.stop_load().await;
    assert!(seen.client_errors.is_empty(), "{:?}", seen.client_errors);
    let size = check_final_in(&cluster, &db, &d.nodes[0].url, &seen).await;
    println!(
        "{} entries acknowledged, {} writes failed around the restart, final tree {size}, {} \
         heads checked",
        seen.acked.len(),
        seen.failed,
        seen.heads.len()
    );
    drop(d);
    drop(cluster);
}

/// A leader frozen (SIGSTOP) past its lease: another node takes over and appends; resumed
/// (SIGCONT), the old leader's batches are refused by the fence or never committed, it steps
/// down, and writes through it still succeed through the new leader. No fork.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_leader_is_fenced_and_steps_down() {
    let cluster = signet_testkit::postgres::cluster();
    let db = cluster.database();
    let tmp = tempfile::tempdir().unwrap();
    let dirs = init(tmp.path(), &db, &["a", "b"]);
    let a = Node::start("a", &dirs[0], &db);
    wait_leader(&db, &["a"], Duration::from_secs(10));
    let b = Node::start("b", &dirs[1], &db);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let seen = Mutex::new(Seen::default());
    let key = signet_crypto::SigningKey::generate_p256().unwrap();
    let p = |s: &str| signet_testkit::log_trees::proposal(&key, s);
    upload(&http, &a.url, p("before"), &seen).await.unwrap();

    a.signal("-STOP");
    let t = Instant::now();
    wait_leader(&db, &["b"], Duration::from_secs(10));
    println!("frozen leader replaced after {:?}", t.elapsed());
    upload(&http, &b.url, p("while a is frozen"), &seen)
        .await
        .unwrap();
    // Writes sent to the frozen node wait in its socket; it handles them on resuming, with its
    // stale epoch.
    let pending: Vec<_> = (0..8)
        .map(|i| {
            let (http, url, body) = (http.clone(), a.url.clone(), p(&format!("to a {i}")));
            tokio::spawn(async move {
                http.post(format!("{url}/api/v1/log/entries"))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.signal("-CONT");
    for w in pending {
        assert_eq!(w.await.unwrap().unwrap(), 201);
    }
    upload(&http, &a.url, p("after"), &seen).await.unwrap();
    assert_eq!(leader(&db).as_deref(), Some("b"));
    let out = a.output();
    assert!(out.contains("stepped down as leader of log"), "{out}");
    let fenced = out.contains("refused by the fence");
    println!("the resumed leader's batch refused by the fence: {fenced}");
    for url in [&a.url, &b.url] {
        if let Some((size, root)) = log_head(&http, url).await {
            seen.lock().unwrap().heads.insert(size, root);
        }
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let size = check_final(&db, &b.url, &seen).await;
    assert_eq!(size, 11);
}
