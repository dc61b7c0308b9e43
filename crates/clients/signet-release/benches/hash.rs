//! Hashing throughput on a generated Kubernetes-shaped release (page cache, not cold disk).
//!
//! `cargo bench -p signet-release --bench hash` (size: `SIGNET_BENCH_BYTES`, default 1 GiB;
//! runs: `SIGNET_BENCH_RUNS`, default 3; the sample goes to `$TMPDIR`). Prints wall-clock GB/s
//! (10^9 bytes/s) and its ratio to the SHA-NI limit of ~1.8 GB/s per core measured for
//! aws-lc-rs on this machine class (2x1.8 for two threads). On a shared machine wall-clock
//! numbers drop with the load, so it also prints GB per CPU-second (process user+system time
//! from `/proc/self/stat`, Linux only): the per-core efficiency, independent of contention, and
//! CPU/wall, the parallelism actually obtained.

use std::error::Error;
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use signet_release::sample::{SampleOptions, generate};
use signet_release::{
    ReadMode, RelPath, hash_files, list_artifacts, sha256_files, sha256_files_with,
};

const PER_CORE_LIMIT: f64 = 1.8e9;

fn env_u64(name: &str, default: u64) -> Result<u64, Box<dyn Error>> {
    match std::env::var(name) {
        Ok(v) => Ok(v.parse()?),
        Err(_) => Ok(default),
    }
}

/// Process CPU time (user + system, all threads), if `/proc/self/stat` is readable.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux ABI.
    Some(Duration::from_millis(ticks * 10))
}

struct Measure {
    best: Duration,
    median: Duration,
    wall: Duration,
    cpu: Option<Duration>,
}

fn measure(
    runs: u64,
    mut f: impl FnMut() -> Result<(), Box<dyn Error>>,
) -> Result<Measure, Box<dyn Error>> {
    let mut times = Vec::new();
    let cpu0 = cpu_time();
    let t0 = Instant::now();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed());
    }
    let wall = t0.elapsed();
    let cpu = cpu_time().zip(cpu0).map(|(b, a)| b.saturating_sub(a));
    times.sort_unstable();
    Ok(Measure {
        best: times[0],
        median: times[times.len() / 2],
        wall,
        cpu,
    })
}

fn gbps(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e9
}

fn row(name: &str, bytes: u64, runs: u64, m: &Measure, threads: usize) {
    let best = gbps(bytes, m.best);
    let limit = PER_CORE_LIMIT * threads as f64;
    let (per_cpu, par) = match m.cpu {
        Some(c) if !c.is_zero() => (
            format!("{:.3}", gbps(bytes * runs.max(1), c)),
            format!("{:.2}", c.as_secs_f64() / m.wall.as_secs_f64()),
        ),
        _ => ("-".into(), "-".into()),
    };
    println!(
        "{name:<40} {best:>9.3} {:>9.3} {per_cpu:>9} {par:>8} {:>6.1}% of {threads}x1.8",
        gbps(bytes, m.median),
        100.0 * best * 1e9 / limit,
    );
}

fn main() -> Result<(), Box<dyn Error>> {
    // `cargo bench` passes `--bench`; anything else (e.g. `cargo test --benches`) gets a tiny
    // smoke configuration.
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
    if files.len() != sample.files.len() {
        return Err("listing does not match the generated sample".into());
    }
    let biggest = sample.files.iter().map(|f| f.size).max().unwrap_or(0);

    // Warm-up: make sure everything is in the page cache.
    sha256_files(dir.path(), &files)?;

    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let buf: Vec<u8> = (0..64u32 << 20).map(|i| (i % 251) as u8).collect();
    let in_memory = |alg: &'static digest::Algorithm| {
        let buf = &buf;
        measure(runs, move || {
            std::hint::black_box(digest::digest(alg, std::hint::black_box(buf)));
            Ok(())
        })
    };
    let mem256 = in_memory(&digest::SHA256)?;
    let mem1 = in_memory(&digest::SHA1_FOR_LEGACY_USE_ONLY)?;
    let mem512 = in_memory(&digest::SHA512)?;
    let mem256_par = measure(runs, || {
        use rayon::prelude::*;
        (0..threads).into_par_iter().for_each(|_| {
            std::hint::black_box(digest::digest(&digest::SHA256, std::hint::black_box(&buf)));
        });
        Ok(())
    })?;
    let files1 = measure(runs, || {
        one.install(|| sha256_files(dir.path(), &files))?;
        Ok(())
    })?;
    let files_n = measure(runs, || {
        sha256_files(dir.path(), &files)?;
        Ok(())
    })?;
    let mapped_n = measure(runs, || {
        sha256_files_with(dir.path(), &files, ReadMode::Mapped)?;
        Ok(())
    })?;
    let all_n = measure(runs, || {
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
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average: {}", load.trim());
    }
    println!();
    println!(
        "{:<40} {:>9} {:>9} {:>9} {:>8} {:>6}",
        "workload (GB/s = 1e9 B/s)", "best", "median", "per CPU-s", "CPU/wall", "best vs limit"
    );
    let mem = buf.len() as u64;
    row("sha256 in memory, 64 MiB, 1 thread", mem, runs, &mem256, 1);
    row(
        &format!("sha256 in memory, {threads}x64 MiB, {threads} thr"),
        mem * threads as u64,
        runs,
        &mem256_par,
        threads,
    );
    row("sha1 in memory, 64 MiB, 1 thread", mem, runs, &mem1, 1);
    row("sha512 in memory, 64 MiB, 1 thread", mem, runs, &mem512, 1);
    row("sha256_files, 1 thread", total, runs, &files1, 1);
    row(
        &format!("sha256_files, {threads} threads"),
        total,
        runs,
        &files_n,
        threads,
    );
    row(
        &format!("sha256_files mapped, {threads} threads"),
        total,
        runs,
        &mapped_n,
        threads,
    );
    row(
        &format!("hash_files (SHA-1+256+512), {threads} thr"),
        total,
        runs,
        &all_n,
        threads,
    );
    Ok(())
}
