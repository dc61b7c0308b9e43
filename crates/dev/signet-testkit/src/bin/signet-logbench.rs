//! Load generator for the transparency log, on loopback only.
//!
//! `signet-logbench append URL [CLIENTS] [ENTRIES]`: pre-signs ENTRIES hashedrekord entries,
//! then CLIENTS concurrent writers POST them; prints durable appends/s and latency percentiles,
//! then GET-by-UUID throughput over the entries just written.
//! `signet-logbench bodies N FILE`: writes N distinct pre-signed proposals, one per line.
//! `signet-logbench proofs DIR SIZE...`: builds trees of each SIZE directly in a SQLite store
//! under DIR and times inclusion proofs (1000 random leaves each).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use signet_crypto::SigningKey;
use signet_log::{LogStore, SqliteStore, inclusion_proof};
use signet_testkit::load::{loopback, pct};
use signet_tlog::{MemoryHashStore, StoredIndex, stored_hashes_for_leaf};
use signet_types::TreeSize;

/// `entries` distinct hashedrekord proposals, signed by a few P-256 keys.
fn presign(entries: usize) -> Result<Vec<Vec<u8>>> {
    let keys: Vec<SigningKey> = (0..8)
        .map(|_| SigningKey::generate_p256())
        .collect::<Result<_, _>>()?;
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    (0..entries)
        .map(|i| {
            let k = &keys[i % keys.len()];
            let data = format!("bench {nonce} entry {i}");
            let sig = k.sign(data.as_bytes())?;
            let p = signet_rekor::proposed_hashedrekord(
                &sig,
                &k.public_key().to_pem(),
                &signet_crypto::sha256(data.as_bytes()).to_hex(),
            );
            Ok(serde_json::to_vec(&p)?)
        })
        .collect()
}

async fn append(url: &str, clients: usize, entries: usize) -> Result<()> {
    loopback(url)?;
    // Pre-sign so the clients measure the server, not their own signing.
    let bodies = presign(entries)?;
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let endpoint = format!("{url}/api/v1/log/entries");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (bodies, next, http, endpoint) =
            (bodies.clone(), next.clone(), http.clone(), endpoint.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut ids = Vec::new();
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= bodies.len() {
                    break;
                }
                let t = Instant::now();
                let r = http
                    .post(&endpoint)
                    .header("content-type", "application/json")
                    .body(bodies[i].clone())
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status().as_u16() == 201 => {
                        if let Some(loc) =
                            resp.headers().get("location").and_then(|v| v.to_str().ok())
                        {
                            ids.push(loc.rsplit('/').next().unwrap_or("").to_string());
                        }
                        let _ = resp.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, ids, errors)
        }));
    }
    let mut lat = Vec::new();
    let mut ids = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, i, e) = t.await?;
        lat.extend(l);
        ids.extend(i);
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "| appends | clients | seconds | durable appends/s | p50 ms | p99 ms | max ms | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {clients} | {secs:.2} | {:.0} | {:.1} | {:.1} | {:.1} | {errors} |",
        lat.len(),
        lat.len() as f64 / secs,
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );

    // GET by UUID for 5 seconds.
    let ids = Arc::new(ids);
    let done = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (ids, http, done, url) = (ids.clone(), http.clone(), done.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let mut i = c;
            let mut errs = 0usize;
            while Instant::now() < deadline && !ids.is_empty() {
                let id = &ids[i % ids.len()];
                match http
                    .get(format!("{url}/api/v1/log/entries/{id}"))
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => errs += 1,
                }
                i += clients;
            }
            errs
        }));
    }
    let mut errs = 0;
    for t in tasks {
        errs += t.await?;
    }
    println!();
    println!("| GET /api/v1/log/entries/{{uuid}} | clients | requests/s | errors |");
    println!("|---|---|---|---|");
    println!(
        "| 5 s | {clients} | {:.0} | {errs} |",
        done.load(Ordering::Relaxed) as f64 / 5.0
    );
    Ok(())
}

async fn proofs(dir: &str, sizes: &[u64]) -> Result<()> {
    println!(
        "| tree size | stored hashes | build s | inclusion proof (avg of 1000, one batched read) | proof length |"
    );
    println!("|---|---|---|---|---|");
    for &size in sizes {
        let path = std::path::Path::new(dir).join(format!("tree-{size}"));
        let _ = std::fs::remove_dir_all(&path);
        let store = SqliteStore::open(&path).await?;
        let t = Instant::now();
        let mut mem = MemoryHashStore::new();
        let mut pending = Vec::new();
        for n in 0..size {
            let leaf = signet_tlog::leaf_hash(&n.to_be_bytes());
            let start = StoredIndex::count(TreeSize(n));
            let new = stored_hashes_for_leaf(n, leaf, &mem)?;
            for (k, h) in new.iter().enumerate() {
                pending.push((start + k as u64, *h));
            }
            mem.extend(new);
            if pending.len() >= 200_000 {
                store.append(&[], &pending, n + 1).await?;
                pending.clear();
            }
        }
        store.append(&[], &pending, size).await?;
        let built = t.elapsed().as_secs_f64();
        drop(mem);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let t = Instant::now();
        let mut len = 0;
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            len = inclusion_proof(&store, x % size, size).await?.len();
        }
        let per = t.elapsed().as_secs_f64() * 1000.0 / 1000.0;
        println!(
            "| {size} | {} | {built:.1} | {per:.3} ms | {len} |",
            StoredIndex::count(TreeSize(size))
        );
        let _ = std::fs::remove_dir_all(&path);
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("append") => {
            let url = args.get(2).context("URL")?;
            let clients = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(64);
            let entries = args
                .get(4)
                .map(|s| s.parse())
                .transpose()?
                .unwrap_or(40_000);
            append(url, clients, entries).await
        }
        Some("bodies") => {
            // One proposal per line, for a load generator in another language (bench/log.sh
            // feeds them to wrk).
            let n: usize = args.get(2).context("N")?.parse()?;
            let out = args.get(3).context("FILE")?;
            let mut text = Vec::new();
            for b in presign(n)? {
                text.extend_from_slice(&b);
                text.push(b'\n');
            }
            std::fs::write(out, text).with_context(|| out.clone())
        }
        Some("proofs") => {
            let dir = args.get(2).context("DIR")?;
            let sizes = args[3..]
                .iter()
                .map(|s| s.parse::<u64>())
                .collect::<Result<Vec<_>, _>>()?;
            proofs(dir, &sizes).await
        }
        _ => bail!(
            "usage: signet-logbench append URL [CLIENTS] [ENTRIES] | bodies N FILE | proofs DIR SIZE..."
        ),
    }
}
