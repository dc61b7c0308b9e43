//! Load generator for the Rekor v2 log and its tiles, beside the v1 log, on loopback only.
//!
//! `signet-tilebench URL [CLIENTS] [ENTRIES] [SECONDS]`: against a `signet server` at URL (v1
//! at URL, v2 at `URL/rekor-v2`), CLIENTS concurrent writers POST ENTRIES pre-signed
//! hashedrekord entries to the v1 log, then ENTRIES to the v2 log (appends/s and latency
//! percentiles of both, one table); then CLIENTS readers GET the v2 log's full level-0 hash
//! tiles for SECONDS (each answer checked to be 8192 bytes): tile reads/s.
//! `signet-tilebench paths URL FILE`: writes the paths of the v2 log's full hash tiles, one per
//! line, for wrk (bench/tiles.sh).
//! `signet-tilebench fill URL ENTRIES [CLIENTS]`: appends ENTRIES distinct pre-signed entries to
//! the v1 log and ENTRIES to the v2 log, signing in chunks (the next chunk is signed while the
//! current one is posted) so that a million entries need neither a million bodies in memory
//! nor signing time on the clock of the appends (bench/monitor.sh).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use signet_testkit::load::{get_for, loopback, pct, post_all, presigned_v1, presigned_v2};
use signet_tlog::tiles::TileId;

/// The v2 log's tree size, from its checkpoint (second line).
async fn v2_size(http: &reqwest::Client, v2: &str) -> Result<u64> {
    let cp = http
        .get(format!("{v2}/checkpoint"))
        .send()
        .await?
        .text()
        .await?;
    cp.lines()
        .nth(1)
        .context("checkpoint has no size line")?
        .parse()
        .context("checkpoint size")
}

/// The paths (under the v2 prefix) of every full level-0 hash tile of a tree of `size`.
fn full_tiles(size: u64) -> Vec<String> {
    (0..size / 256)
        .map(|index| {
            TileId {
                level: Some(0),
                index,
                width: 256,
            }
            .path()
        })
        .collect()
}

async fn run(url: &str, clients: usize, entries: usize, seconds: u64) -> Result<()> {
    loopback(url)?;
    let v2 = format!("{url}/rekor-v2");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let (b1, b2) = (presigned_v1(entries)?, presigned_v2(entries)?);
    println!(
        "| log | appends | clients | seconds | appends/s | p50 ms | p99 ms | max ms | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, endpoint, bodies) in [
        ("Rekor v1", format!("{url}/api/v1/log/entries"), b1),
        ("Rekor v2", format!("{v2}/api/v2/log/entries"), b2),
    ] {
        let p = post_all(&http, &endpoint, Arc::new(bodies), clients, 201).await?;
        let n = p.latencies.len();
        println!(
            "| {name} | {n} | {clients} | {:.2} | {:.0} | {:.1} | {:.1} | {:.1} | {} |",
            p.seconds,
            n as f64 / p.seconds,
            pct(&p.latencies, 0.5),
            pct(&p.latencies, 0.99),
            pct(&p.latencies, 1.0),
            p.errors
        );
    }
    let tiles = full_tiles(v2_size(&http, &v2).await?);
    if tiles.is_empty() {
        bail!("the v2 log has no full tile: give at least 256 ENTRIES");
    }
    let urls: Vec<String> = tiles.iter().map(|p| format!("{v2}/{p}")).collect();
    let (done, errs) = get_for(
        &http,
        Arc::new(urls),
        clients,
        Duration::from_secs(seconds),
        |b| b.len() == 8192,
    )
    .await?;
    println!();
    println!(
        "| GET full tiles (Rust client) | distinct tiles | clients | seconds | reads/s | errors |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| tile/0/N | {} | {clients} | {seconds} | {:.0} | {errs} |",
        tiles.len(),
        done as f64 / seconds as f64
    );
    Ok(())
}

/// Entries signed and posted at a time by `fill`.
const FILL_CHUNK: usize = 20_000;

/// A chunk of request bodies for the v1 and the v2 log.
type Chunk = (Vec<Vec<u8>>, Vec<Vec<u8>>);

async fn fill(url: &str, entries: usize, clients: usize) -> Result<()> {
    loopback(url)?;
    let v2 = format!("{url}/rekor-v2");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let sign = |n: usize| {
        tokio::task::spawn_blocking(move || -> Result<Chunk> {
            Ok((presigned_v1(n)?, presigned_v2(n)?))
        })
    };
    let start = std::time::Instant::now();
    let (mut done, mut errors) = (0usize, 0usize);
    let mut next = (entries > 0).then(|| sign(entries.min(FILL_CHUNK)));
    while let Some(signing) = next.take() {
        let (b1, b2) = signing.await??;
        let n = b1.len();
        let after = done + n;
        if after < entries {
            next = Some(sign((entries - after).min(FILL_CHUNK)));
        }
        for (endpoint, bodies) in [
            (format!("{url}/api/v1/log/entries"), b1),
            (format!("{v2}/api/v2/log/entries"), b2),
        ] {
            errors += post_all(&http, &endpoint, Arc::new(bodies), clients, 201)
                .await?
                .errors;
        }
        done = after;
        eprintln!("filled {done} of {entries} (v1 and v2)");
    }
    if errors > 0 {
        bail!("{errors} appends failed");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "filled the v1 and the v2 log with {entries} entries each in {secs:.1} s ({:.0} appends/s)",
        (2 * entries) as f64 / secs
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match arg(1) {
        Some("paths") => {
            let url = arg(2).context("URL")?;
            loopback(url)?;
            let v2 = format!("{url}/rekor-v2");
            let size = v2_size(&reqwest::Client::new(), &v2).await?;
            let out = arg(3).context("FILE")?;
            let text: String = full_tiles(size)
                .iter()
                .map(|p| format!("/rekor-v2/{p}\n"))
                .collect();
            std::fs::write(out, text).with_context(|| out.to_string())
        }
        Some("fill") => {
            let url = arg(2).context("URL")?;
            let entries: usize = arg(3).context("ENTRIES")?.parse()?;
            let clients: usize = arg(4).map(str::parse).transpose()?.unwrap_or(64);
            fill(url, entries, clients).await
        }
        Some(url) if url.starts_with("http://") => {
            let num = |i: usize, d: u64| -> Result<u64> {
                Ok(arg(i).map(str::parse).transpose()?.unwrap_or(d))
            };
            run(
                url,
                usize::try_from(num(2, 64)?)?,
                usize::try_from(num(3, 4096)?)?,
                num(4, 5)?,
            )
            .await
        }
        _ => bail!(
            "usage: signet-tilebench URL [CLIENTS] [ENTRIES] [SECONDS] | paths URL FILE | fill URL ENTRIES [CLIENTS]"
        ),
    }
}
