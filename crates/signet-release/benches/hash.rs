//! Hashing throughput on a generated Kubernetes-shaped release (page cache, not cold disk).
//!
//! `cargo bench -p signet-release --bench hash` (size: `SIGNET_BENCH_BYTES`, default 1 GiB;
//! runs: `SIGNET_BENCH_RUNS`, default 3). Prints GB/s (10^9 bytes/s) and the ratio to the
//! SHA-NI limit of ~1.8 GB/s per core measured for aws-lc-rs on this machine class.

use std::error::Error;
use std::time::{Duration, Instant};

use signet_release::sample::{SampleOptions, generate};
use signet_release::{RelPath, hash_files, list_artifacts, sha256_files};

const PER_CORE_LIMIT: f64 = 1.8e9;

fn env_u64(name: &str, default: u64) -> Result<u64, Box<dyn Error>> {
    match std::env::var(name) {
        Ok(v) => Ok(v.parse()?),
        Err(_) => Ok(default),
    }
}

fn gbps(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e9
}

/// Best and median wall time of `runs` calls of `f`.
fn time_runs(
    runs: u64,
    mut f: impl FnMut() -> Result<(), Box<dyn Error>>,
) -> Result<(Duration, Duration), Box<dyn Error>> {
    let mut times = Vec::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed());
    }
    times.sort_unstable();
    Ok((times[0], times[times.len() / 2]))
}

fn main() -> Result<(), Box<dyn Error>> {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing else useful. Under
    // `cargo test` run a tiny smoke configuration so CI stays fast.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let total = env_u64("SIGNET_BENCH_BYTES", if smoke { 8 << 20 } else { 1 << 30 })?;
    let runs = env_u64("SIGNET_BENCH_RUNS", if smoke { 1 } else { 3 })?;
    let threads = rayon::current_num_threads();

    let dir = tempfile::tempdir()?;
    let opts = SampleOptions {
        files: 130,
        total_bytes: total,
        seed: 1,
    };
    let t = Instant::now();
    let sample = generate(dir.path(), &opts)?;
    let gen_time = t.elapsed();
    let files: Vec<RelPath> = list_artifacts(dir.path())?;
    assert_eq!(files.len(), sample.files.len());
    let biggest = sample.files.iter().map(|f| f.size).max().unwrap_or(0);

    // Warm-up: make sure everything is in the page cache.
    sha256_files(dir.path(), &files)?;

    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let buf: Vec<u8> = (0..64u32 << 20).map(|i| (i % 251) as u8).collect();

    let (mem_best, mem_med) = time_runs(runs, || {
        std::hint::black_box(signet_release::hash::sha256(std::hint::black_box(&buf)));
        Ok(())
    })?;
    let bufr = &buf;
    let algo = |alg: &'static aws_lc_rs::digest::Algorithm| {
        time_runs(runs, move || {
            std::hint::black_box(aws_lc_rs::digest::digest(alg, std::hint::black_box(bufr)));
            Ok(())
        })
    };
    let (sha1_best, sha1_med) = algo(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY)?;
    let (sha512_best, sha512_med) = algo(&aws_lc_rs::digest::SHA512)?;
    let (s1_best, s1_med) = time_runs(runs, || {
        one.install(|| sha256_files(dir.path(), &files))?;
        Ok(())
    })?;
    let (sn_best, sn_med) = time_runs(runs, || {
        sha256_files(dir.path(), &files)?;
        Ok(())
    })?;
    let (hn_best, hn_med) = time_runs(runs, || {
        hash_files(dir.path(), &files)?;
        Ok(())
    })?;

    println!(
        "signet-release hash bench: {} files, {} bytes ({:.2} GiB), largest file {:.1} MiB, \
         {threads} rayon threads, {runs} runs",
        files.len(),
        total,
        total as f64 / (1u64 << 30) as f64,
        biggest as f64 / (1u64 << 20) as f64
    );
    println!(
        "sample generation: {:.2} s ({:.2} GB/s written)",
        gen_time.as_secs_f64(),
        gbps(total, gen_time)
    );
    println!();
    println!(
        "{:<44} {:>9} {:>9} {:>14}",
        "workload", "best GB/s", "med GB/s", "vs limit"
    );
    let row = |name: &str, bytes: u64, best: Duration, med: Duration, limit: f64, label: &str| {
        let b = gbps(bytes, best);
        println!(
            "{name:<44} {b:>9.3} {:>9.3} {:>7.1}% of {label}",
            gbps(bytes, med),
            100.0 * b * 1e9 / limit
        );
    };
    let par_limit = PER_CORE_LIMIT * threads as f64;
    let par_label = format!("{threads}x1.8");
    row(
        "sha256 in memory, 64 MiB, 1 thread",
        buf.len() as u64,
        mem_best,
        mem_med,
        PER_CORE_LIMIT,
        "1.8",
    );
    row(
        "sha1 in memory, 64 MiB, 1 thread",
        buf.len() as u64,
        sha1_best,
        sha1_med,
        PER_CORE_LIMIT,
        "1.8",
    );
    row(
        "sha512 in memory, 64 MiB, 1 thread",
        buf.len() as u64,
        sha512_best,
        sha512_med,
        PER_CORE_LIMIT,
        "1.8",
    );
    row(
        "sha256_files, 1 thread",
        total,
        s1_best,
        s1_med,
        PER_CORE_LIMIT,
        "1.8",
    );
    row(
        &format!("sha256_files, {threads} threads"),
        total,
        sn_best,
        sn_med,
        par_limit,
        &par_label,
    );
    row(
        &format!("hash_files (SHA-1+256+512), {threads} threads"),
        total,
        hn_best,
        hn_med,
        par_limit,
        &par_label,
    );
    Ok(())
}
