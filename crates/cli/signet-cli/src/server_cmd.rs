//! `signet server`: runs the services on one data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;

use crate::instance;
use signet_server::witnessing::{CheckpointSource, WitnessSpec, WitnessedTree, Witnessing};

/// `signet server` flags.
#[derive(Args, Debug)]
pub struct ServerArgs {
    /// Read settings from this TOML file: one key per long flag (`addr = "0.0.0.0:443"`,
    /// `dev-oidc = true`, `witness = ["URL VKEY"]`). A flag on the command line wins over its
    /// environment variable, which wins over the file, which wins over the default; an
    /// unknown key is an error.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Check the configuration as a start would (TLS files and that the key matches the
    /// certificate, OIDC configuration, witnesses, the database URL, the instance's keys and
    /// certificates), print the effective settings with secrets masked, and exit without
    /// serving.
    #[arg(long)]
    check_config: bool,
    /// Data directory (created on first start): CA, logs, keys and trust files live here.
    #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
    data_dir: PathBuf,
    /// Listen address for all services (CA, CT log, transparency log, dev issuer). Port 0
    /// picks a free port.
    #[arg(long, alias = "log-addr", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Public base URL written into the trust files (default: http://<listen address>, or
    /// https:// with --tls-cert).
    #[arg(long)]
    public_url: Option<String>,
    /// Host name in checkpoints (origin `<host> - <treeID>`, signature key name). Default: the
    /// host of the public URL, which clients such as sigstore-js require it to be; a different
    /// name is refused.
    #[arg(long)]
    log_host: Option<String>,
    /// Organisation name in a newly created CA's certificates.
    #[arg(long, default_value = "signet")]
    org: String,
    /// Fulcio identity configuration (YAML or JSON, Fulcio's format): the OIDC issuers whose
    /// tokens the CA accepts.
    #[arg(long)]
    oidc_config: Option<PathBuf>,
    /// Also run the DEVELOPMENT OIDC issuer at <url>/oidc (email identities), <url>/oidc/ci
    /// (GitHub workflow identities), <url>/oidc/k8s (Kubernetes service accounts) and
    /// <url>/oidc/spiffe (SPIFFE IDs in trust domain signet.test); tokens from
    /// `signet oidc token`.
    /// Never use it for real releases: it vouches for any identity its key holder names.
    #[arg(long)]
    dev_oidc: bool,
    /// With --dev-oidc: also accept development tokens that claim to come from this issuer URL
    /// (e.g. https://accounts.google.com, repeatable), minted by `signet oidc token --issuer
    /// URL`, to rehearse verifying a real identity (Kubernetes' krel-trust@… images) end to
    /// end. Only this instance's trusted root trusts the certificates; never on a real instance.
    #[arg(long, value_name = "URL", requires = "dev_oidc")]
    dev_oidc_alias: Vec<String>,
    /// Which transparency log the signing config advertises to clients: the Rekor v1 log
    /// (`v1`), or the tile-based Rekor v2 log at <url>/rekor-v2 (`v2`, `majorApiVersion` 2;
    /// clients then need a timestamp authority). Both run and are in the trusted root.
    #[arg(long, value_enum, default_value = "v1")]
    tlog_api: TlogApi,
    /// Timestamps asked for with certificates (`certReq`) carry the TSA's whole chain (TSA
    /// certificate and CA root), not only the TSA certificate (timestamp-authority's
    /// `--include-chain-in-response`).
    #[arg(long)]
    tsa_include_chain_in_response: bool,
    /// A C2SP tlog-witness that cosigns the logs' checkpoints: `"URL VKEY"`, its base URL
    /// (requests go to URL/add-checkpoint), a space, and its verifier key
    /// (`name+hint+base64`, the content of the KEY.vkey `signet witness` writes). Repeatable.
    /// Each new checkpoint of the Rekor v1 log (active tree) and of the Rekor v2 log is sent to
    /// every witness; the cosignatures that verify with VKEY are published after the log's
    /// signature at <url>/api/v1/log/checkpoint and <url>/rekor-v2/checkpoint. Fails open: a
    /// witness that is down or refuses (5 s per request) never stops the log, the checkpoint
    /// is then published with the cosignatures that came.
    #[arg(long = "witness", value_name = "URL VKEY")]
    witnesses: Vec<String>,
    /// Seconds between two rounds of asking the witnesses (a round runs only when a log grew).
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = seconds)]
    witness_interval: std::time::Duration,
    #[command(flatten)]
    database: instance::DatabaseArgs,
    /// This node's name in the logs' sequencer leases when several servers share one
    /// `--database` (stored in `trees.leader`; must differ between nodes). Default: the host
    /// name, the process id and a random suffix.
    #[arg(long, value_name = "NAME", requires = "database")]
    node_id: Option<String>,
    #[command(flatten)]
    limits: ConnectionArgs,
    #[command(flatten)]
    operate: crate::operate::OperateArgs,
    #[command(flatten)]
    keys: crate::hsm_cmd::KeyArgs,
}

/// `--tlog-api`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlogApi {
    /// Rekor v1 (`/api/v1/log/entries`).
    V1,
    /// Rekor v2 (`/rekor-v2/api/v2/log/entries`, tiles).
    V2,
}

/// Connection limits and TLS of a server (`signet server`, `signet serve-release`,
/// `signet witness`).
#[derive(Args, Debug)]
pub struct ConnectionArgs {
    /// Serve HTTPS with this PEM certificate chain (leaf first; with --tls-key). Both files are
    /// read again on SIGHUP: new connections get the new certificate, open ones keep theirs; a
    /// file that does not load then is logged and the old certificate stays.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key (PKCS#8, SEC1 or PKCS#1) of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP on an address that is not loopback (without TLS, only 127.0.0.1/::1
    /// are allowed): for a server behind a proxy that terminates TLS.
    #[arg(long)]
    insecure_http: bool,
    /// Most connections open at once; further clients wait to be accepted. Lowered, with a
    /// warning, to what the process's descriptor limit (`ulimit -n`) leaves room for.
    #[arg(long, default_value_t = signet_server::Limits::default().max_connections)]
    max_connections: usize,
    /// Seconds a client has to send a request's whole header, on a new connection and between
    /// requests on a kept-alive one; then it is disconnected.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = seconds)]
    header_timeout: std::time::Duration,
    /// Seconds without a byte read or written (a stalled upload, a client that stops reading)
    /// after which a connection is closed.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = seconds)]
    idle_timeout: std::time::Duration,
}

impl ConnectionArgs {
    /// The transport a server on `addr` uses: TLS with the certificate and key files (read
    /// and checked now), or plain HTTP, which is refused on an address that is not loopback
    /// unless `--insecure-http` is given.
    pub fn transport(&self, addr: SocketAddr) -> Result<Transport> {
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => {
                Some(Arc::new(signet_server::tls::TlsFiles::load(cert, key)?))
            }
            _ => None,
        };
        if tls.is_none() && !self.insecure_http && !addr.ip().is_loopback() {
            anyhow::bail!(
                "refusing to serve plain HTTP on {addr}, which is not a loopback address: give \
                 --tls-cert and --tls-key, or --insecure-http (behind a proxy that terminates TLS)"
            );
        }
        Ok(Transport {
            tls,
            limits: self.limits(),
        })
    }

    /// The limits these flags set.
    pub fn limits(&self) -> signet_server::Limits {
        signet_server::Limits {
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections,
        }
    }
}

/// A positive number of seconds, fractions allowed (`0.5`).
fn seconds(s: &str) -> std::result::Result<std::time::Duration, String> {
    let n: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if n.is_nan() || n <= 0.0 {
        return Err(format!("{s:?}: must be more than 0 seconds"));
    }
    std::time::Duration::try_from_secs_f64(n).map_err(|e| format!("{s:?}: {e}"))
}

/// `signet server`; `effective` is the configuration's description for `--check-config`.
pub fn run(args: ServerArgs, effective: String) -> Result<()> {
    if args.check_config {
        check_config(&args)?;
        print!("{effective}");
        return Ok(());
    }
    crate::operate::init_logging(args.operate.log_format);
    signet_server::log_panics();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(args))
}

/// `signet init` flags.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// Data directory to initialise.
    #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
    data_dir: PathBuf,
    /// Base URL the instance will be served at (written into the trust files).
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// Organisation name in the CA's certificates.
    #[arg(long, default_value = "signet")]
    org: String,
    /// Host name in checkpoints. Default: the host of `--url`; a different name is refused.
    #[arg(long)]
    log_host: Option<String>,
    #[command(flatten)]
    database: instance::DatabaseArgs,
    #[command(flatten)]
    keys: crate::hsm_cmd::KeyArgs,
}

/// `signet init`: creates the CA, CT log and transparency log keys and writes the trust files.
pub fn init(args: InitArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let url = args.url.trim_end_matches('/');
        let host = checkpoint_host(url, args.log_host.as_deref())?;
        let backend = args.database.backend(&args.data_dir).await?;
        let _lock = instance::lock(&args.data_dir)?;
        let keys = args.keys.open()?;
        let inst = instance::open(&args.data_dir, &args.org, &host, &backend, &keys).await?;
        // The Rekor v2 log too, so the directory holds every log's key: the directory to copy
        // to each node of a multi-node instance (`--database`).
        drop(instance::open_v2(&args.data_dir, &host, &backend, keys.log_v2.clone()).await?);
        let root = instance::trusted_root(&inst, url)?;
        let signing = instance::signing_config(url, None, instance::ca_since(&inst));
        let signing = instance::with_tsa(signing, &inst, url);
        let (p, _) = instance::write_trust_files(&args.data_dir, &root, &signing)?;
        println!(
            "initialised {} (trust config: {})",
            args.data_dir.display(),
            p.display()
        );
        Ok(())
    })
}

/// Reads the OIDC issuer configuration (`--oidc-config`), if any.
fn oidc_config(args: &ServerArgs) -> Result<signet_oidc::IssuerConfig> {
    match &args.oidc_config {
        Some(p) => {
            let text = signet_crypto::read_capped(p, crate::input::OIDC_CONFIG)?;
            signet_oidc::IssuerConfig::parse(&text)
                .with_context(|| format!("OIDC configuration {}", p.display()))
        }
        None => Ok(signet_oidc::IssuerConfig::default()),
    }
}

/// `--check-config`: every check a start makes that needs neither the network nor a write.
fn check_config(args: &ServerArgs) -> Result<()> {
    WitnessSpec::parse_all(&args.witnesses)?;
    args.operate.rate_limit()?;
    let transport = args.limits.transport(args.addr)?;
    oidc_config(args)?;
    if let Some(url) = &args.database.database {
        signet_log::PgDatabase::check_url(url).context("--database")?;
    }
    let url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{}://{}", transport.scheme(), args.addr));
    checkpoint_host(url.trim_end_matches('/'), args.log_host.as_deref())?;
    args.keys.check_syntax()?;
    args.keys.open()?;
    if args.data_dir.exists() {
        instance::check_keys(&args.data_dir)?;
    }
    Ok(())
}

async fn serve(args: ServerArgs) -> Result<()> {
    let witnesses = WitnessSpec::parse_all(&args.witnesses)?;
    let transport = args.limits.transport(args.addr)?;
    let rate_limit = args.operate.rate_limit()?;
    // Before the logs open, so their first tree sizes are recorded.
    let metrics = signet_server::observe::install_recorder()?;
    // The database first: an unusable one stops the server before anything is created.
    let backend = match args.database.backend(&args.data_dir).await? {
        signet_log::Backend::Postgres { db, root } => {
            let db = match &args.node_id {
                Some(id) if id.trim().is_empty() => anyhow::bail!("--node-id must not be empty"),
                Some(id) => db.with_node_id(id),
                None => db,
            };
            tracing::info!(
                "logs in PostgreSQL at {} as node {} (one sequencer per log, by lease)",
                db.target(),
                db.node_id()
            );
            signet_log::Backend::Postgres { db, root }
        }
        b => b,
    };
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    let url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{}://{addr}", transport.scheme()))
        .trim_end_matches('/')
        .to_string();
    let host = checkpoint_host(&url, args.log_host.as_deref())?;
    // Held while the server runs.
    let _lock = instance::lock(&args.data_dir)?;
    // The HSM keys first: a wrong PIN or a missing key stops the server before anything is
    // created.
    let keys = args.keys.open()?;
    let mut inst = instance::open(&args.data_dir, &args.org, &host, &backend, &keys).await?;

    // Who may get certificates.
    let mut oidc = oidc_config(&args)?;
    // Discovery and key sets trust the --ca-bundle CAs too (an issuer behind a private CA).
    let oidc_http = signet_client::http::client(&signet_client::http::HttpOptions {
        extra_roots: crate::net::extra_roots(),
        ..signet_oidc::discovery::http_options()
    })?;
    let cache = signet_oidc::JwksCache::new(oidc_http);
    let mut routers = Vec::new();
    let oidc_url = if args.dev_oidc {
        let issuer_url = format!("{url}/oidc");
        let dev = instance::dev_issuer(&args.data_dir, &issuer_url)?;
        // Email identities at <url>/oidc; GitHub-workflow identities (URI SAN and GitHub's
        // certificate extensions, as Fulcio issues them for GitHub Actions) at <url>/oidc/ci.
        let ci_url = instance::dev_ci_issuer_url(&issuer_url);
        let ci = dev.at(&ci_url)?;
        oidc.add_issuer(dev.issuer_config(signet_oidc::IssuerType::Email))?;
        oidc.add_issuer(
            ci.issuer_config(signet_oidc::IssuerType::CiProvider)
                .with_ci_provider("github-workflow"),
        )?;
        // Kubernetes service-account identities at <url>/oidc/k8s.
        let k8s_url = instance::dev_k8s_issuer_url(&issuer_url);
        let k8s = dev.at(&k8s_url)?;
        oidc.add_issuer(k8s.issuer_config(signet_oidc::IssuerType::Kubernetes))?;
        // SPIFFE identities (trust domain signet.test) at <url>/oidc/spiffe.
        let spiffe_url = instance::dev_spiffe_issuer_url(&issuer_url);
        let spiffe = dev.at(&spiffe_url)?;
        oidc.add_issuer(
            spiffe
                .issuer_config(signet_oidc::IssuerType::Spiffe)
                .with_spiffe_trust_domain(instance::DEV_SPIFFE_TRUST_DOMAIN),
        )?;
        let jwks = signet_oidc::Jwks::from_json(dev.jwks_json().to_string().as_bytes())?;
        cache.insert(&issuer_url, jwks.clone());
        cache.insert(&ci_url, jwks.clone());
        cache.insert(&k8s_url, jwks.clone());
        cache.insert(&spiffe_url, jwks.clone());
        tracing::warn!(
            "DEVELOPMENT OIDC issuer enabled at {issuer_url} (email), {ci_url} (GitHub workflows), {k8s_url} (Kubernetes service accounts) and {spiffe_url} (SPIFFE IDs in {}): not for real releases",
            instance::DEV_SPIFFE_TRUST_DOMAIN
        );
        for alias in &args.dev_oidc_alias {
            let aliased = dev.at(alias)?;
            oidc.add_issuer(aliased.issuer_config(signet_oidc::IssuerType::Email))?;
            cache.insert(alias, jwks.clone());
            tracing::warn!(
                "DEVELOPMENT OIDC issuer also signs as {alias}: this instance certifies development tokens claiming that issuer"
            );
        }
        routers.push(signet_server::ca::dev_oidc_router(Arc::new(dev), "/oidc"));
        routers.push(signet_server::ca::dev_oidc_router(Arc::new(ci), "/oidc/ci"));
        routers.push(signet_server::ca::dev_oidc_router(
            Arc::new(k8s),
            "/oidc/k8s",
        ));
        routers.push(signet_server::ca::dev_oidc_router(
            Arc::new(spiffe),
            "/oidc/spiffe",
        ));
        Some(issuer_url)
    } else {
        None
    };
    if oidc.issuers().next().is_none() {
        tracing::warn!(
            "no OIDC issuers configured (--oidc-config or --dev-oidc): the CA will refuse every token"
        );
    }
    let configuration = oidc.configuration_json();
    let verifier = signet_oidc::Verifier::new(Arc::new(oidc), cache);

    let v2 =
        Arc::new(instance::open_v2(&args.data_dir, &host, &backend, keys.log_v2.clone()).await?);
    let mut root = instance::trusted_root(&inst, &url)?;
    let signing = instance::signing_config(&url, oidc_url.as_deref(), instance::ca_since(&inst));
    let mut signing = instance::with_tsa(signing, &inst, &url);
    with_v2(&mut root, &mut signing, &v2, &url, args.tlog_api);
    let v2_checkpoints = witnessed(&v2, "Rekor v2 log", &witnesses, args.witness_interval).await?;
    routers.push(axum::Router::new().nest(
        instance::V2_PATH,
        signet_server::rekor_v2_router_with(v2.clone(), v2_checkpoints),
    ));
    if let Some(tsa) = inst.tsa.take() {
        let tsa = tsa.with_chain_in_response(args.tsa_include_chain_in_response);
        routers.push(signet_server::tsa::tsa_router(Arc::new(tsa)));
    }
    let (_, trust_json) = instance::write_trust_files(&args.data_dir, &root, &signing)?;
    // The same trust, through TUF at <url>/tuf/ (kept current hourly: the timestamp expires
    // after 7 days and is renewed daily).
    let tuf_online = keys.tuf_online.clone();
    let publish = move |dir: &std::path::Path| -> Result<()> {
        let (tr, sc) = instance::trust_file_bytes(dir)?;
        let now = time::OffsetDateTime::now_utc();
        for w in crate::tuf_serve::publish(dir, &tr, &sc, now, tuf_online.as_ref())? {
            tracing::warn!("TUF: {w}");
        }
        Ok(())
    };
    publish(&args.data_dir).context("publishing the TUF repository")?;
    {
        let dir = args.data_dir.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
            tick.tick().await;
            loop {
                tick.tick().await;
                let dir = dir.clone();
                let publish = publish.clone();
                match tokio::task::spawn_blocking(move || publish(&dir)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!("TUF: renewing the repository failed: {e:#}"),
                    Err(e) => tracing::error!("TUF: renewing the repository failed: {e}"),
                }
            }
        });
    }
    let tuf_repo = Arc::new(crate::tuf_serve::repo_dir(&args.data_dir));
    routers.push(axum::Router::new().route(
        "/tuf/{*path}",
        axum::routing::get(move |axum::extract::Path(p): axum::extract::Path<String>| {
            crate::tuf_serve::serve(tuf_repo.clone(), p)
        }),
    ));
    routers.push(axum::Router::new().route(
        "/signet/v1/trust_config.json",
        axum::routing::get(move || async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                trust_json,
            )
        }),
    ));

    let info = inst.log.log_info();
    let sequencers: Vec<(&'static str, Stopped)> = vec![
        (
            "transparency log",
            Box::pin(inst.log.active().sequencer_stopped()),
        ),
        ("CT log", Box::pin(inst.ct.sequencer_stopped())),
        ("Rekor v2 log", Box::pin(v2.log().sequencer_stopped())),
    ];
    // On a clean stop (the signal that also starts the graceful shutdown), each lease this node
    // holds is given up at once (multi-node PostgreSQL): another node leads while the requests
    // in progress here are answered.
    let leases: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> = vec![
        Box::pin(inst.log.active().log().release_lease()),
        Box::pin(inst.ct.release_lease()),
        Box::pin(v2.log().release_lease()),
    ];
    let handover = tokio::spawn(async move {
        shutdown().await;
        futures_util::future::join_all(leases).await;
    });
    let ct = Arc::new(inst.ct);
    let ca_svc = Arc::new(signet_server::ca::CaService {
        ca: inst.ca,
        ct: signet_server::ca::InProcessCt(ct.clone()),
        auth: signet_server::ca::OidcAuthenticator(verifier),
        configuration,
    });
    let log = Arc::new(inst.log);
    let v1_checkpoints =
        witnessed(&log, "transparency log", &witnesses, args.witness_interval).await?;
    let readiness = readiness(&log, &ct, &v2).check("CA key", {
        let svc = ca_svc.clone();
        move || {
            let r = svc.ca.probe().map_err(|e| e.to_string());
            async move { r }
        }
    });
    // The log explorer (issue 22) at /ui/.
    routers.push(signet_ui::explorer_router(log.clone()));
    let mut app = signet_server::rekor_router_with(log, v1_checkpoints)
        .merge(signet_server::ca::fulcio_router(ca_svc))
        .merge(signet_server::ca::ct_router(ct));
    for r in routers {
        app = app.merge(r);
    }
    if let Some(limit) = rate_limit {
        app = signet_server::ratelimit::layer(app, limit);
    }
    app = app.merge(crate::operate::routes(
        metrics,
        readiness,
        crate::tuf_serve::repo_dir(&args.data_dir),
        args.operate.ready_tuf_margin,
    ));
    // One machine-readable line on stdout, so scripts and tests can find the port.
    println!(
        "signet listening on {url} (CA, CT log, transparency log tree {} size {}{})",
        info.tree_id,
        info.tree_size,
        if oidc_url.is_some() {
            ", dev OIDC issuer"
        } else {
            ""
        }
    );
    let server = transport.serve(listener, app);
    unless_a_sequencer_stops(server, sequencers).await?;
    if tokio::time::timeout(std::time::Duration::from_secs(5), handover)
        .await
        .is_err()
    {
        tracing::warn!("the logs' leases were not all released within 5 s; they expire");
    }
    tracing::info!("stopped");
    Ok(())
}

/// `/readyz`'s checks of the logs: each one's sequencer runs, and its store takes a write and
/// its key signs ([`signet_log::AppendLog::probe`]).
fn readiness(
    log: &Arc<signet_log::ShardedLog<signet_log::Store>>,
    ct: &Arc<signet_ct::CtLog>,
    v2: &Arc<signet_log::RekorV2Log<signet_log::Store>>,
) -> signet_server::observe::Readiness {
    let (l, c, v) = (log.clone(), ct.clone(), v2.clone());
    signet_server::observe::Readiness::new()
        .sequencer("transparency log sequencer", log.sequencer_stopped())
        .sequencer("CT log sequencer", ct.sequencer_stopped())
        .sequencer("Rekor v2 log sequencer", v2.log().sequencer_stopped())
        .check("transparency log store and key", move || {
            let l = l.clone();
            async move { l.active().log().probe().await.map_err(|e| e.to_string()) }
        })
        .check("CT log store and key", move || {
            let c = c.clone();
            async move { c.probe().await.map_err(|e| e.to_string()) }
        })
        .check("Rekor v2 log store and key", move || {
            let v = v.clone();
            async move { v.log().probe().await.map_err(|e| e.to_string()) }
        })
}

/// What the checkpoint endpoint of `log` serves: with witnesses, the witnessed checkpoint
/// (witnessing runs in the background from now on), else the log's newest checkpoint.
async fn witnessed<L>(
    log: &Arc<L>,
    name: &str,
    witnesses: &[WitnessSpec],
    interval: std::time::Duration,
) -> Result<Arc<dyn CheckpointSource>>
where
    L: WitnessedTree + CheckpointSource,
{
    if witnesses.is_empty() {
        return Ok(log.clone());
    }
    let w = Arc::new(
        Witnessing::open_trusting(
            log.clone(),
            name,
            witnesses.to_vec(),
            interval,
            &crate::net::extra_roots(),
        )
        .await?,
    );
    w.clone().spawn();
    Ok(w)
}

/// The Rekor v2 log in the trust files: always in the trusted root; in the signing config
/// instead of the v1 log when `api` is [`TlogApi::V2`].
fn with_v2(
    root: &mut signet_trust::TrustedRoot,
    signing: &mut signet_trust::SigningConfig,
    v2: &signet_log::RekorV2Log<signet_log::Store>,
    url: &str,
    api: TlogApi,
) {
    instance::add_v2_log(root, v2, url);
    if api == TlogApi::V2 {
        instance::advertise_v2(signing, url);
    }
}

/// Completes with why a log's sequencer stopped.
type Stopped = std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>>;

/// Runs `server` to its end, unless one of the logs' sequencers (each its log's only writer:
/// the Rekor v1 log, the CT log, the Rekor v2 log) stops first: from then on every write to
/// that log would be refused while reads go on, so the process fails instead, for a supervisor
/// to restart it.
async fn unless_a_sequencer_stops(
    server: impl std::future::Future<Output = std::io::Result<()>>,
    sequencers: Vec<(&'static str, Stopped)>,
) -> Result<()> {
    if sequencers.is_empty() {
        return Ok(server.await?);
    }
    let any = futures_util::future::select_all(
        sequencers
            .into_iter()
            .map(|(name, stopped)| Box::pin(async move { (name, stopped.await) })),
    );
    let (name, why) = tokio::select! {
        r = server => return Ok(r?),
        ((name, why), _, _) = any => (name, why),
    };
    anyhow::bail!("{name} sequencer stopped: {why}; exiting so a supervisor can restart signet")
}

/// The checkpoint key name and origin host of a log served at `url`: the URL's host, as Rekor
/// does it and as sigstore-js checks it (a checkpoint whose key name is not the host of the log's
/// `baseUrl` in the trusted root fails there with "invalid checkpoint signature"). An explicit
/// `--log-host` must agree with it.
pub(crate) fn checkpoint_host(url: &str, explicit: Option<&str>) -> Result<String> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("public URL {url:?}"))?;
    let host = parsed
        .host_str()
        .with_context(|| format!("public URL {url:?} has no host"))?
        .to_string();
    match explicit {
        Some(given) if given != host => anyhow::bail!(
            "--log-host {given:?} disagrees with the public URL's host {host:?}: clients \
             (sigstore-js) require the checkpoint key name to be the host of the log URL in the \
             trusted root; drop --log-host or set --public-url to a URL on {given:?}"
        ),
        _ => Ok(host),
    }
}

/// How a server talks to its clients: [`ConnectionArgs::transport`].
pub struct Transport {
    tls: Option<Arc<signet_server::tls::TlsFiles>>,
    limits: signet_server::Limits,
}

impl Transport {
    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// Serves `app` on `listener` until Ctrl-C or SIGTERM; with TLS, reloads the certificate
    /// and key on SIGHUP.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        app: axum::Router,
    ) -> std::io::Result<()> {
        let config = match &self.tls {
            Some(files) => {
                reload_on_sighup(files.clone());
                Some(files.server_config().map_err(std::io::Error::other)?)
            }
            None => None,
        };
        signet_server::serve(listener, app, self.limits, config, shutdown()).await
    }
}

/// Reads the TLS files again on every SIGHUP, keeping the old certificate if they do not load.
fn reload_on_sighup(files: Arc<signet_server::tls::TlsFiles>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("cannot watch SIGHUP, TLS certificates will not be reloaded: {e}");
                return;
            }
        };
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                match files.reload() {
                    Ok(()) => tracing::info!(
                        "SIGHUP: reloaded TLS certificate {}",
                        files.cert_path().display()
                    ),
                    Err(e) => tracing::error!("SIGHUP: keeping the current TLS certificate: {e}"),
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = files;
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown() {
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

#[cfg(test)]
mod tests {
    use super::{Stopped, checkpoint_host, seconds, unless_a_sequencer_stops};
    use std::time::Duration;

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(seconds("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["0", "-1", "NaN", "inf", "1e30", "", "10s"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_stopped_sequencer_ends_the_server_with_an_error() {
        let never = || -> Stopped { Box::pin(std::future::pending::<String>()) };
        let said = |why: &'static str| -> Stopped { Box::pin(async move { why.to_string() }) };
        let logs = |v1: Stopped, ct: Stopped, v2: Stopped| {
            vec![
                ("transparency log", v1),
                ("CT log", ct),
                ("Rekor v2 log", v2),
            ]
        };
        let e = unless_a_sequencer_stops(
            std::future::pending(),
            logs(
                said("task 7 panicked with message \"boom\""),
                never(),
                never(),
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "transparency log sequencer stopped: task 7 panicked with message \"boom\"; \
             exiting so a supervisor can restart signet"
        );
        let e = unless_a_sequencer_stops(
            std::future::pending(),
            logs(never(), said("it returned"), never()),
        )
        .await
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("CT log sequencer stopped: it returned"),
            "{e}"
        );
        // The Rekor v2 log's sequencer stopping ends the server too.
        let e = unless_a_sequencer_stops(
            std::future::pending(),
            logs(never(), never(), said("its store failed")),
        )
        .await
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Rekor v2 log sequencer stopped: its store failed"),
            "{e}"
        );
        // A server that ends by itself (graceful shutdown) is a clean exit.
        unless_a_sequencer_stops(async { Ok(()) }, logs(never(), never(), never()))
            .await
            .unwrap();
    }

    /// `ConnectionArgs` from command-line words.
    fn connection(words: &[&str]) -> super::ConnectionArgs {
        #[derive(clap::Parser)]
        struct P {
            #[command(flatten)]
            c: super::ConnectionArgs,
        }
        let argv = std::iter::once("x").chain(words.iter().copied());
        <P as clap::Parser>::try_parse_from(argv).unwrap().c
    }

    #[test]
    fn plain_http_is_for_loopback_unless_insecure_http_is_given() {
        let any: std::net::SocketAddr = "0.0.0.0:3000".parse().unwrap();
        let e = connection(&[]).transport(any).err().unwrap();
        assert!(e.to_string().contains("--insecure-http"), "{e}");
        let t = connection(&["--insecure-http"]).transport(any).unwrap();
        assert_eq!(t.scheme(), "http");
        for lo in ["127.0.0.1:0", "[::1]:0"] {
            let t = connection(&[]).transport(lo.parse().unwrap()).unwrap();
            assert_eq!(t.scheme(), "http");
        }
    }

    #[test]
    fn checkpoint_host_is_the_public_urls_host() {
        assert_eq!(
            checkpoint_host("http://127.0.0.1:3000", None).unwrap(),
            "127.0.0.1"
        );
        assert_eq!(
            checkpoint_host("https://rekor.example.org/", None).unwrap(),
            "rekor.example.org"
        );
        // As WHATWG URL's `hostname` gives it (what sigstore-js compares): brackets kept,
        // lower case.
        assert_eq!(checkpoint_host("http://[::1]:8080", None).unwrap(), "[::1]");
        assert_eq!(
            checkpoint_host("https://Rekor.Example.org", None).unwrap(),
            "rekor.example.org"
        );
        assert_eq!(
            checkpoint_host("https://log.example.org", Some("log.example.org")).unwrap(),
            "log.example.org"
        );
    }

    #[test]
    fn a_log_host_that_disagrees_with_the_url_is_refused() {
        let e = checkpoint_host("http://127.0.0.1:3000", Some("signet.localhost")).unwrap_err();
        assert!(e.to_string().contains("disagrees"), "{e}");
        assert!(checkpoint_host("not a url", None).is_err());
    }
}
