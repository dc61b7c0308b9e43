//! Load generator for the transparency log, on loopback only.
//!
//! `signet-logbench append URL [CLIENTS] [ENTRIES]`: pre-signs ENTRIES hashedrekord entries,
//! then CLIENTS concurrent writers POST them; prints durable appends/s and latency percentiles,
//! then GET-by-UUID throughput over the entries just written.
//! `signet-logbench tls CLIENTS ENTRIES CA_PEM HTTP_URL HTTPS_URL`: the same appends (the same
//! pre-signed bodies) and GETs against a fresh plain-HTTP server and a fresh HTTPS one, printed
//! side by side: appends/s and latency, GET/s of 200 hot entries over kept-alive connections,
//! GET/s with a new connection (and TLS handshake) per request, and how many connections the
//! load generator opened in each phase. HTTPS trusts only CA_PEM (the server certificate is
//! verified; there is no insecure mode).
//! `signet-logbench bodies N FILE`: writes N distinct pre-signed proposals, one per line.
//! `signet-logbench proofs DIR SIZE...`: builds trees of each SIZE directly in a SQLite store
//! under DIR and times inclusion proofs (1000 random leaves each); `proofs-pg URL SIZE...` the
//! same in a PostgreSQL database.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context as TaskContext, Poll};
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

/// A connector service that counts the connections it opens (over TLS: the handshakes).
#[derive(Clone)]
struct Counted<S> {
    inner: S,
    opened: Arc<AtomicUsize>,
}

impl<S: tower::Service<R>, R> tower::Service<R> for Counted<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> S::Future {
        self.opened.fetch_add(1, Ordering::Relaxed);
        self.inner.call(req)
    }
}

/// An HTTP/1.1 client for the load (trusting only `ca`, when given, for https), and the count
/// of connections it has opened. `keep_alive`: up to `clients` idle connections are kept for
/// reuse; without, every request opens a new connection.
fn bench_client(
    ca: Option<&reqwest::Certificate>,
    clients: usize,
    keep_alive: bool,
) -> Result<(reqwest::Client, Arc<AtomicUsize>)> {
    let opened = Arc::new(AtomicUsize::new(0));
    let count = opened.clone();
    let mut b = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(if keep_alive { clients } else { 0 })
        .connector_layer(tower::layer::layer_fn(move |inner| Counted {
            inner,
            opened: count.clone(),
        }));
    if let Some(ca) = ca {
        b = b.tls_certs_only([ca.clone()]).https_only(true);
    }
    Ok((b.build()?, opened))
}

/// One phase's result: requests done, errors, seconds, sorted latencies, connections opened.
struct Phase {
    done: usize,
    errors: usize,
    seconds: f64,
    latencies: Vec<Duration>,
    opened: usize,
}

impl Phase {
    fn per_sec(&self) -> f64 {
        self.done as f64 / self.seconds
    }
}

/// What [`measure`] found on one server.
struct Measured {
    appends: Phase,
    get_hot: Phase,
    get_new_conn: Phase,
}

/// Distinct hot entries the GET phases cycle through (the per-head render cache serves them).
const HOT: usize = 200;
/// Length of each GET phase.
const GET_SECS: u64 = 5;
/// Length of the new-connection-per-request GET phase (short: every request leaves a socket
/// in TIME_WAIT on loopback).
const NEW_CONN_SECS: u64 = 3;

/// Appends every one of `bodies` to the log at `url`, then GETs the first [`HOT`] entries
/// written over kept-alive connections, then with a new connection per request.
async fn measure(
    url: &str,
    ca: Option<&reqwest::Certificate>,
    bodies: Arc<Vec<Vec<u8>>>,
    clients: usize,
) -> Result<Measured> {
    loopback(url)?;
    let (http, opened) = bench_client(ca, clients, true)?;
    let endpoint = format!("{url}/api/v1/log/entries");
    let posted = post_all(&http, &endpoint, bodies, clients, 201).await?;
    let appends = Phase {
        done: posted.latencies.len(),
        errors: posted.errors,
        seconds: posted.seconds,
        latencies: posted.latencies,
        opened: opened.swap(0, Ordering::Relaxed),
    };
    let hot: Vec<String> = posted
        .locations
        .iter()
        .take(HOT)
        .map(|loc| {
            let id = loc.rsplit('/').next().unwrap_or("");
            format!("{url}/api/v1/log/entries/{id}")
        })
        .collect();
    if hot.is_empty() {
        bail!("{url}: no entry was appended");
    }
    let hot = Arc::new(hot);
    let get = |http: reqwest::Client, opened: Arc<AtomicUsize>, secs: u64| {
        let hot = hot.clone();
        async move {
            let t = Instant::now();
            let (done, errors) = get_for(&http, hot, clients, Duration::from_secs(secs), |b| {
                !b.is_empty()
            })
            .await?;
            anyhow::Ok(Phase {
                done,
                errors,
                seconds: t.elapsed().as_secs_f64(),
                latencies: Vec::new(),
                opened: opened.swap(0, Ordering::Relaxed),
            })
        }
    };
    let get_hot = get(http, opened, GET_SECS).await?;
    let (fresh, fresh_opened) = bench_client(ca, clients, false)?;
    let get_new_conn = get(fresh, fresh_opened, NEW_CONN_SECS).await?;
    Ok(Measured {
        appends,
        get_hot,
        get_new_conn,
    })
}

/// `tls`: the same load against `plain` (http) and `tls` (https, trusting only `ca_pem`),
/// one table side by side.
async fn tls_compare(
    clients: usize,
    entries: usize,
    ca_pem: &str,
    plain: &str,
    tls: &str,
) -> Result<()> {
    if !plain.starts_with("http://") || !tls.starts_with("https://") {
        bail!("tls: give the plain server's http:// URL, then the TLS server's https:// URL");
    }
    let pem = std::fs::read(ca_pem).with_context(|| ca_pem.to_string())?;
    let ca = reqwest::Certificate::from_pem(&pem)
        .with_context(|| format!("{ca_pem}: not a PEM certificate"))?;
    // The same pre-signed bodies for both (each server is a fresh log, so both accept them all).
    let bodies = Arc::new(presigned_v1(entries)?);
    let a = measure(plain, None, bodies.clone(), clients).await?;
    let b = measure(tls, Some(&ca), bodies, clients).await?;
    let ratio = |x: f64, y: f64| {
        if x > 0.0 {
            format!("{:.2}", y / x)
        } else {
            "-".into()
        }
    };
    println!(
        "| {clients} clients, {entries} entries | HTTP | HTTPS (certificate verified) | HTTPS / HTTP |"
    );
    println!("|---|---|---|---|");
    let (ap, at) = (a.appends.per_sec(), b.appends.per_sec());
    println!(
        "| durable appends/s | {ap:.0} | {at:.0} | {} |",
        ratio(ap, at)
    );
    for (name, q) in [("append p50 ms", 0.5), ("append p99 ms", 0.99)] {
        let (x, y) = (pct(&a.appends.latencies, q), pct(&b.appends.latencies, q));
        println!("| {name} | {x:.1} | {y:.1} | {} |", ratio(x, y));
    }
    let (gp, gt) = (a.get_hot.per_sec(), b.get_hot.per_sec());
    println!(
        "| GET by UUID/s, {HOT} hot entries, kept-alive connections ({GET_SECS} s) | {gp:.0} | {gt:.0} | {} |",
        ratio(gp, gt)
    );
    let (np, nt) = (a.get_new_conn.per_sec(), b.get_new_conn.per_sec());
    println!(
        "| GET by UUID/s, new connection per request ({NEW_CONN_SECS} s) | {np:.0} | {nt:.0} | {} |",
        ratio(np, nt)
    );
    let opened = |m: &Measured| {
        format!(
            "{} / {} / {}",
            m.appends.opened, m.get_hot.opened, m.get_new_conn.opened
        )
    };
    println!(
        "| connections opened = TLS handshakes for HTTPS (appends / GET kept-alive / GET new connection) | {} | {} | |",
        opened(&a),
        opened(&b)
    );
    let errors = |m: &Measured| m.appends.errors + m.get_hot.errors + m.get_new_conn.errors;
    println!("| failed requests | {} | {} | |", errors(&a), errors(&b));
    if errors(&a) + errors(&b) > 0 {
        bail!("some requests failed");
    }
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
        Some("tls") => {
            let num = |i: usize, what: &str| -> Result<usize> {
                args.get(i)
                    .context(what.to_string())?
                    .parse()
                    .with_context(|| what.to_string())
            };
            let (clients, entries) = (num(2, "CLIENTS")?, num(3, "ENTRIES")?);
            let ca = args.get(4).context("CA_PEM")?;
            let plain = args.get(5).context("HTTP_URL")?;
            let tls = args.get(6).context("HTTPS_URL")?;
            tls_compare(clients, entries, ca, plain, tls).await
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
            "usage: signet-logbench append URL [CLIENTS] [ENTRIES] | tls CLIENTS ENTRIES CA_PEM HTTP_URL HTTPS_URL | bodies N FILE | proofs DIR SIZE... | proofs-pg URL SIZE..."
        ),
    }
}
