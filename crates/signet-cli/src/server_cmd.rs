//! `signet server`: runs the services on one data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use signet_log::{LogConfig, SqliteStore, SystemClock, TransparencyLog};

/// `signet server` flags.
#[derive(Args, Debug)]
pub struct ServerArgs {
    /// Data directory (created on first start): database and keys live here.
    #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
    data_dir: PathBuf,
    /// Address for the transparency log (Rekor v1 API). Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:3000")]
    log_addr: SocketAddr,
    /// Host name in checkpoints (origin `<host> - <treeID>`, signature key name).
    #[arg(long, default_value = "signet.localhost")]
    log_host: String,
}

pub fn run(args: ServerArgs) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(args))
}

async fn serve(args: ServerArgs) -> Result<()> {
    let log_dir = args.data_dir.join("log");
    let store = SqliteStore::open(&log_dir)
        .await
        .context("opening the log database")?;
    let log = TransparencyLog::open(
        store,
        &log_dir,
        LogConfig::new(&args.log_host),
        Arc::new(SystemClock),
    )
    .await
    .context("starting the transparency log")?;
    let info = log.log_info();
    let app = signet_server::rekor_router(Arc::new(log));
    let listener = tokio::net::TcpListener::bind(args.log_addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.log_addr))?;
    let addr = listener.local_addr()?;
    // One machine-readable line on stdout, so scripts and tests can find the port.
    println!(
        "signet transparency log listening on http://{addr} (tree {} size {})",
        info.tree_id, info.tree_size
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
