//! `signet witness`: a C2SP tlog-witness (`POST /add-checkpoint`) with its own Ed25519
//! cosigning key (logic in `signet_tlog::witness`, HTTP in `signet_server::witness`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;
use signet_server::witness::{LogKeys, Witness, witness_router};
use signet_tlog::{Cosigner, EcdsaNoteVerifier, Ed25519NoteVerifier, NoteVerifier};
use signet_types::UnixSeconds;

/// `signet witness` flags.
#[derive(Args, Debug)]
pub struct WitnessArgs {
    /// The witness's name (its cosignature key name), a schema-less URL such as
    /// `witness.example/w1`.
    #[arg(long)]
    name: String,
    /// The cosigning key: an Ed25519 PKCS#8 DER file, mode 0600, created when missing. Its
    /// verifier key (`name+hint+base64`, for `--witness-key`) is written to FILE.vkey.
    #[arg(long)]
    key: PathBuf,
    /// The state file: the latest cosigned checkpoint of each log.
    #[arg(long)]
    state: PathBuf,
    /// A log to witness: `ORIGIN=KEY`, KEY being a note verifier key (`name+hint+base64`,
    /// Ed25519) or a PEM public key file (Rekor v1 checkpoints, e.g. origin
    /// `host - <tree ID>`). Repeatable; a log may be given several keys.
    #[arg(long = "log", required = true, value_name = "ORIGIN=KEY")]
    logs: Vec<String>,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:3030")]
    addr: SocketAddr,
    #[command(flatten)]
    limits: crate::server_cmd::ConnectionArgs,
}

fn now() -> UnixSeconds {
    UnixSeconds(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0),
    )
}

/// The cosigner of `key` (created, 0600, when missing), and its vkey written to `key.vkey`.
fn cosigner(name: &str, key: &Path) -> Result<Cosigner> {
    if !key.exists() {
        let der = Cosigner::generate_pkcs8()?;
        crate::keyfile::write_new(key, &der, true)?;
    }
    let der = signet_crypto::read_private_key_file(key)?;
    let c = Cosigner::from_pkcs8_der(name, &der)
        .with_context(|| format!("{}: not an Ed25519 PKCS#8 key", key.display()))?;
    let mut vkey_path = key.as_os_str().to_owned();
    vkey_path.push(".vkey");
    signet_crypto::write_file_atomically(
        Path::new(&vkey_path),
        format!("{}\n", c.verifier().vkey()).as_bytes(),
        0o644,
    )
    .with_context(|| format!("cannot write {}", Path::new(&vkey_path).display()))?;
    Ok(c)
}

/// `--log ORIGIN=KEY` values, by origin.
fn logs(specs: &[String]) -> Result<HashMap<String, LogKeys>> {
    let mut out: HashMap<String, LogKeys> = HashMap::new();
    for spec in specs {
        let Some((origin, key)) = spec.split_once('=') else {
            bail!("--log {spec:?} is not ORIGIN=KEY");
        };
        if origin.is_empty() {
            bail!("--log {spec:?} has an empty origin");
        }
        let v: Box<dyn NoteVerifier + Send + Sync> = match Ed25519NoteVerifier::from_vkey(key) {
            Ok(v) => Box::new(v),
            Err(_) => {
                let bytes =
                    signet_crypto::read_capped(Path::new(key), crate::input::PUBLIC_KEY)
                        .with_context(|| {
                            format!("--log {origin}: {key:?} is neither a verifier key nor a readable key file")
                        })?;
                let pk = signet_crypto::PublicKey::from_pem_or_der(&bytes)
                    .with_context(|| format!("--log {origin}: invalid public key {key}"))?;
                Box::new(EcdsaNoteVerifier::any_name(pk))
            }
        };
        out.entry(origin.to_string()).or_default().push(v);
    }
    Ok(out)
}

pub fn run(args: WitnessArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let c = cosigner(&args.name, &args.key)?;
        let vkey = c.verifier().vkey();
        let w = Witness::open(c, logs(&args.logs)?, args.state.clone(), now)?;
        let transport = args.limits.transport(args.addr)?;
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let url = format!("{}://{}", transport.scheme(), listener.local_addr()?);
        // One machine-readable line on stdout, as `signet server` prints.
        println!("signet witness listening on {url} (key {vkey})");
        let app = witness_router(Arc::new(w));
        Ok(transport.serve(listener, app).await?)
    })
}
