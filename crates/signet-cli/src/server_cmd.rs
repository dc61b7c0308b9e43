//! `signet server`: runs the services on one data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use signet_log::{LogConfig, SqliteStore, SystemClock, TransparencyLog};
use signet_trust::{TimeRange, TransparencyLog as TrustedLog, TrustedKey, TrustedRoot};
use signet_types::UnixSeconds;

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
    let trust = trusted_root(&log, &format!("http://{}", args.log_addr))?;
    let app = signet_server::rekor_router(Arc::new(log));
    let listener = tokio::net::TcpListener::bind(args.log_addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.log_addr))?;
    let addr = listener.local_addr()?;
    // The verifier-side description of this instance, next to its data.
    let trust = if args.log_addr.port() == 0 {
        trusted_root_for(&trust, &format!("http://{addr}"))
    } else {
        trust
    };
    let root_path = args.data_dir.join("trusted_root.json");
    let tmp = root_path.with_extension("json.tmp");
    std::fs::write(&tmp, trust.to_json()?)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &root_path)?;
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

fn trusted_root<S: signet_log::LogStore>(
    log: &TransparencyLog<S>,
    url: &str,
) -> Result<TrustedRoot> {
    Ok(TrustedRoot {
        tlogs: vec![TrustedLog {
            base_url: url.to_string(),
            log_id: log.public_key().key_id().as_bytes().to_vec(),
            key: TrustedKey::Usable(log.public_key().clone()),
            key_details: "PKIX_ECDSA_P256_SHA_256".into(),
            valid_for: TimeRange {
                start: Some(UnixSeconds(log.created())),
                end: None,
            },
        }],
        ..TrustedRoot::default()
    })
}

fn trusted_root_for(root: &TrustedRoot, url: &str) -> TrustedRoot {
    let mut r = root.clone();
    for t in &mut r.tlogs {
        t.base_url = url.to_string();
    }
    r
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
