//! `signet-pgcluster [N]`: starts a throwaway PostgreSQL cluster (the tests' one,
//! [`signet_testkit::postgres`]), prints the URL of N (default 1) new empty databases, one per
//! line, then the directory of the PostgreSQL binaries on a line of its own, and keeps the
//! cluster until its standard input closes (then the cluster is stopped and deleted). For the
//! bench scripts (`bench/log_pg.sh`); `SIGNET_PG_FSYNC=on` keeps fsync on. Loopback only.

use std::io::{BufRead, Write};

use anyhow::{Context, Result};

fn main() -> Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()
        .context("N")?
        .unwrap_or(1);
    let cluster = signet_testkit::postgres::cluster();
    let mut out = std::io::stdout().lock();
    for _ in 0..n {
        writeln!(out, "{}", cluster.database())?;
    }
    let bindir = signet_testkit::postgres::bindir().context("PostgreSQL binaries")?;
    writeln!(out, "{}", bindir.display())?;
    out.flush()?;
    drop(out);
    // Until stdin closes.
    let mut line = String::new();
    while std::io::stdin().lock().read_line(&mut line)? > 0 {
        line.clear();
    }
    Ok(())
}
