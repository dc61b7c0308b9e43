//! Load generator for the transparency log, on loopback only.
//!
//! `signet-logbench append URL [CLIENTS] [ENTRIES]`: pre-signs ENTRIES hashedrekord entries,
//! then CLIENTS concurrent writers POST them; prints durable appends/s and latency percentiles,
//! then GET-by-UUID throughput over the entries just written.
//! `signet-logbench bodies N FILE`: writes N distinct pre-signed proposals, one per line.
//! `signet-logbench proofs DIR SIZE...`: builds trees of each SIZE directly in a SQLite store
//! under DIR and times inclusion proofs (1000 random leaves each); `proofs-pg URL SIZE...` the
//! same in a PostgreSQL database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use signet_log::{LogStore, SqliteStore, inclusion_proof};
use signet_testkit::load::{get_for, loopback, pct, post_all, presigned_v1};
use signet_tlog::{MemoryHashStore, StoredIndex, stored_hashes_for_leaf};
use signet_types::TreeSize;

async fn append(url: &str, clients: usize, entries: usize) -> Result<()> {
    loopback(url)?;
    // Pre-sign so the clients measure the server, not their own signing.
    let bodies = presigned_v1(entries)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let endpoint = format!("{url}/api/v1/log/entries");
    let posted = post_all(&http, &endpoint, Arc::new(bodies), clients, 201).await?;
    let (lat, secs, errors) = (&posted.latencies, posted.seconds, posted.errors);
    let ids: Vec<String> = posted
        .locations
        .iter()
        .map(|loc| loc.rsplit('/').next().unwrap_or("").to_string())
        .collect();
    println!(
        "| appends | clients | seconds | durable appends/s | p50 ms | p99 ms | max ms | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {clients} | {secs:.2} | {:.0} | {:.1} | {:.1} | {:.1} | {errors} |",
        lat.len(),
        lat.len() as f64 / secs,
        pct(lat, 0.5),
        pct(lat, 0.99),
        pct(lat, 1.0)
    );

    // GET by UUID for 5 seconds.
    let urls: Vec<String> = ids
        .iter()
        .map(|id| format!("{url}/api/v1/log/entries/{id}"))
        .collect();
    let (done, errs) = get_for(
        &http,
        Arc::new(urls),
        clients,
        Duration::from_secs(5),
        |b| !b.is_empty(),
    )
    .await?;
    println!();
    println!("| GET /api/v1/log/entries/{{uuid}} | clients | requests/s | errors |");
    println!("|---|---|---|---|");
    println!("| 5 s | {clients} | {:.0} | {errs} |", done as f64 / 5.0);
    Ok(())
}

/// Where `proofs` builds its trees: a SQLite store under a directory, or a PostgreSQL database.
enum ProofStore<'a> {
    Sqlite(&'a str),
    Postgres(signet_log::PgDatabase),
}

async fn proofs(at: ProofStore<'_>, sizes: &[u64]) -> Result<()> {
    println!(
        "| tree size | stored hashes | build s | inclusion proof (avg of 1000, one batched read) | proof length |"
    );
    println!("|---|---|---|---|---|");
    for &size in sizes {
        let (built, per, len) = match &at {
            ProofStore::Sqlite(dir) => {
                let path = std::path::Path::new(dir).join(format!("tree-{size}"));
                let _ = std::fs::remove_dir_all(&path);
                let r = build_and_prove(&SqliteStore::open(&path).await?, size).await?;
                let _ = std::fs::remove_dir_all(&path);
                r
            }
            ProofStore::Postgres(db) => {
                let name = format!("bench-tree-{size}-{}", std::process::id());
                build_and_prove(&db.store(&name).await?, size).await?
            }
        };
        println!(
            "| {size} | {} | {built:.1} | {per:.3} ms | {len} |",
            StoredIndex::count(TreeSize(size))
        );
    }
    Ok(())
}

/// Builds a tree of `size` leaves in `store` (stored hashes only), then times 1000 inclusion
/// proofs at random leaves: (build seconds, ms per proof, proof length).
async fn build_and_prove<S: LogStore>(store: &S, size: u64) -> Result<(f64, f64, usize)> {
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
        len = inclusion_proof(store, x % size, size).await?.len();
    }
    let per = t.elapsed().as_secs_f64() * 1000.0 / 1000.0;
    Ok((built, per, len))
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
            for b in presigned_v1(n)? {
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
            proofs(ProofStore::Sqlite(dir), &sizes).await
        }
        Some("proofs-pg") => {
            let url = args.get(2).context("URL")?;
            let sizes = args[3..]
                .iter()
                .map(|s| s.parse::<u64>())
                .collect::<Result<Vec<_>, _>>()?;
            let db = signet_log::PgDatabase::connect(url).await?;
            proofs(ProofStore::Postgres(db), &sizes).await
        }
        _ => bail!(
            "usage: signet-logbench append URL [CLIENTS] [ENTRIES] | bodies N FILE | proofs DIR SIZE... | proofs-pg URL SIZE..."
        ),
    }
}
