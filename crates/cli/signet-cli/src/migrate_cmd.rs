//! `signet admin migrate`: moves an instance's logs between the embedded store and PostgreSQL
//! (`signet_log::migrate`), either way, verifying every copied tree against its last signed
//! checkpoint.
//!
//! * `--from DATA_DIR --to postgres://…` copies every `log.sqlite` under the data directory
//!   into the (empty) database; then `signet server --data-dir DATA_DIR --database postgres://…`
//!   serves it (keys, checkpoints, CA and trust files stay in the data directory).
//! * `--from DATA_DIR --database postgres://… --to NEW_DIR` writes a new data directory: the
//!   files of DATA_DIR (the one the database was used with) and a `log.sqlite` per log from the
//!   database; `signet server --data-dir NEW_DIR` serves it.
//!
//! The server must be stopped: the data directory is locked while the copy runs.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use signet_log::PgDatabase;
use signet_log::migrate::{Migrated, embedded_to_postgres, postgres_to_embedded};

use crate::instance;

/// `signet admin migrate` flags.
#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The data directory of the instance (stopped: it is locked while the copy runs).
    #[arg(long, value_name = "DATA_DIR")]
    from: PathBuf,
    /// Where to: a PostgreSQL URL (`postgres://user:password@host:port/dbname`, a database
    /// holding no log yet) copies the embedded logs of `--from` into it; a directory (new or
    /// empty) receives a copy of `--from` with every log of `--database` as `log.sqlite` files.
    #[arg(long, value_name = "URL|DIR")]
    to: String,
    /// With `--to DIR`: the database the instance's logs are in.
    #[arg(long, env = "SIGNET_DATABASE", value_name = "URL")]
    database: Option<String>,
}

fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

fn say(m: &Migrated) {
    eprintln!(
        "  {}: {} entries copied, root at its last signed checkpoint (size {}) verified",
        m.name, m.size, m.checkpoint_size
    );
}

/// `signet admin migrate`.
pub fn run(a: MigrateArgs) -> Result<()> {
    if !a.from.is_dir() {
        bail!("{} is not a data directory", a.from.display());
    }
    let _lock = instance::lock(&a.from)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        if is_url(&a.to) {
            let db = PgDatabase::connect(&a.to)
                .await
                .context("opening the database")?;
            eprintln!("Copying the logs of {} into {}:", a.from.display(), db.target());
            let done = embedded_to_postgres(&a.from, &db, say)
                .await
                .context("migration failed; the database was left unchanged")?;
            eprintln!(
                "Migrated {} logs into {}. Serve them with: signet server --data-dir {} --database <URL>",
                done.len(),
                db.target(),
                a.from.display()
            );
        } else {
            let to = PathBuf::from(&a.to);
            let Some(url) = &a.database else {
                bail!(
                    "--to {} is a directory: give the database to copy from with --database \
                     postgres://… (or SIGNET_DATABASE)",
                    to.display()
                );
            };
            let db = PgDatabase::connect(url)
                .await
                .context("opening the database")?;
            eprintln!("Copying the logs in {} into {}:", db.target(), to.display());
            let done = postgres_to_embedded(&db, &a.from, &to, say)
                .await
                .with_context(|| format!("migration failed; {} was not written", to.display()))?;
            eprintln!(
                "Migrated {} logs into {}. Serve them with: signet server --data-dir {}",
                done.len(),
                to.display(),
                to.display()
            );
        }
        Ok(())
    })
}
