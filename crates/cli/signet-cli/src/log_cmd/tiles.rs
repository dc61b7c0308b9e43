//! `signet log info|get|verify|monitor --tiles URL`: reading a tiled log (Rekor v2, C2SP
//! tlog-tiles) through its checkpoint, hash tiles and entry bundles. The checkpoint is verified
//! with the key from `--log-public-key` or the trusted root's log at that URL; roots, inclusion
//! and consistency proofs are computed from the tiles and checked against it (`monitor` runs
//! the same rounds as over the v1 API, see `monitor_cmd`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use signet_client::tiles::TileClient;
use signet_crypto::{KeyAlgorithm, PublicKey};
use signet_tlog::{NoteVerifier, VerifiedCheckpoint};

use super::{LogArgs, LogCommand, body_object, pinned_keys};
use crate::verify_cmd::Output;

/// Flags for reading a tiled log.
#[derive(Args, Debug)]
pub struct TilesArgs {
    /// Read a tiled log (Rekor v2, C2SP tlog-tiles) at this URL (its `checkpoint` and `tile/`
    /// paths) instead of the Rekor v1 API (`info`, `get --log-index`, `verify`, `monitor`).
    #[arg(long, global = true)]
    tiles: Option<String>,
    /// trusted_root.json holding the tiled log's key (its tlog whose baseUrl is the --tiles
    /// URL); default: --log-public-key, else the trust config `signet trust` or
    /// $SIGNET_TRUST_CONFIG name.
    #[arg(long, global = true, requires = "tiles")]
    trusted_root: Option<PathBuf>,
    /// `verify --tiles`: an earlier checkpoint of the log (saved text); the log's current
    /// checkpoint must be consistent with it.
    #[arg(long, global = true, requires = "tiles")]
    checkpoint: Option<PathBuf>,
}

impl TilesArgs {
    /// The `--tiles` URL, if given.
    pub fn url(&self) -> Option<&str> {
        self.tiles.as_deref()
    }
}

/// A checkpoint key: its verifier and the log ID it stands for.
struct LogKey {
    verifier: Box<dyn NoteVerifier>,
    log_id: String,
}

/// A checkpoint key `key` named `name`, standing for log ID `log_id` (none: computed).
fn key_of(name: &str, key: &PublicKey, log_id: Option<&[u8]>) -> Result<LogKey> {
    let verifier = signet_tlog::checkpoint_verifier(name, key)
        .with_context(|| format!("the log key cannot verify checkpoints named {name:?}"))?;
    let log_id = match (log_id, key.algorithm()) {
        (Some(id), _) => hex::encode(id),
        (None, KeyAlgorithm::Ed25519) => signet_tlog::Ed25519NoteVerifier::new(name, key)?
            .key_id()
            .to_hex(),
        (None, _) => key.key_id().to_hex(),
    };
    Ok(LogKey { verifier, log_id })
}

/// The tiled log's keys: the pinned ones (named by the URL's host, the C2SP origin), else those
/// of the trusted root's logs whose base URL is `url` (the root from `trusted_root`, else the
/// trust config).
fn log_keys(args: &LogArgs, trusted_root: Option<&Path>, url: &str) -> Result<Vec<LogKey>> {
    let pinned = pinned_keys(&args.log_public_key)?;
    if !pinned.is_empty() {
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .with_context(|| format!("--tiles {url:?} is not an http(s) URL"))?;
        return pinned.iter().map(|k| key_of(&host, k, None)).collect();
    }
    let root = match trusted_root {
        Some(p) => {
            let bytes = signet_crypto::read_capped(p, crate::input::TRUSTED_ROOT)?;
            signet_trust::TrustedRoot::from_json(&bytes)
                .with_context(|| format!("invalid trusted root {}", p.display()))?
        }
        None => match crate::trust_cfg::find(None)? {
            Some(t) => t.root,
            None => bail!(
                "no key for the log at {url}: give --log-public-key or --trusted-root (or trust the instance with `signet trust URL`)"
            ),
        },
    };
    root_keys(&root, url)
}

/// The keys of `root`'s transparency logs whose base URL is `url`, each verifying checkpoints
/// as that log signs them (Ed25519 under the log's host as key name, C2SP; ECDSA by key hint).
fn root_keys(root: &signet_trust::TrustedRoot, url: &str) -> Result<Vec<LogKey>> {
    let want = url.trim_end_matches('/');
    let keys: Vec<LogKey> = root
        .tlogs
        .iter()
        .filter(|t| t.base_url.trim_end_matches('/') == want)
        .filter_map(|t| t.key.usable().map(|k| key_of(t.host(), k, Some(&t.log_id))))
        .collect::<Result<_>>()?;
    if keys.is_empty() {
        bail!(
            "the trusted root has no transparency log with baseUrl {want}: give --log-public-key"
        );
    }
    Ok(keys)
}

/// The log's checkpoint text, verified with one of `keys` (whose log ID is returned with it).
async fn checkpoint(
    client: &TileClient,
    keys: &[LogKey],
) -> Result<(String, VerifiedCheckpoint, String)> {
    let text = client.checkpoint().await?;
    let mut last = None;
    for k in keys {
        match signet_tlog::verify_checkpoint(&text, &[k.verifier.as_ref()]) {
            Ok(cp) => return Ok((text, cp, k.log_id.clone())),
            Err(e) => last = Some(e),
        }
    }
    match last {
        Some(e) => Err(anyhow::Error::new(e).context("the log's checkpoint does not verify")),
        None => bail!("no key for the log's checkpoint"),
    }
}

/// An earlier checkpoint from a file, verified with `keys`.
fn saved_checkpoint(path: &std::path::Path, keys: &[LogKey]) -> Result<VerifiedCheckpoint> {
    let text = signet_crypto::read_capped_string(path, signet_log::CHECKPOINT_FILE_LIMIT)?;
    let verifiers: Vec<&dyn NoteVerifier> = keys.iter().map(|k| k.verifier.as_ref()).collect();
    signet_tlog::verify_checkpoint(&text, &verifiers)
        .with_context(|| format!("the checkpoint in {} does not verify", path.display()))
}

/// `signet log … --tiles URL`.
pub async fn run(args: &LogArgs, url: &str) -> Result<()> {
    let only = "--tiles reads a tiled log: `signet log info`, `get --log-index`, `verify` and `monitor` only (a Rekor v2 log takes entries at <url>/api/v2/log/entries)";
    if !matches!(
        args.command,
        LogCommand::Info { .. }
            | LogCommand::Get { .. }
            | LogCommand::Verify { .. }
            | LogCommand::Monitor(_)
    ) {
        bail!("{only}");
    }
    let client = TileClient::new(url, &crate::net::options()?)?;
    if let LogCommand::Monitor(m) = &args.command {
        // `log monitor` has its own --trusted-root.
        let root = crate::monitor_cmd::trusted_root(m).or(args.tiles.trusted_root.as_deref());
        let keys = log_keys(args, root, url)?;
        let verifiers: Vec<&dyn NoteVerifier> = keys.iter().map(|k| k.verifier.as_ref()).collect();
        return crate::monitor_cmd::run_tiles(&client, &verifiers, m).await;
    }
    let keys = log_keys(args, args.tiles.trusted_root.as_deref(), url)?;
    let (text, cp, log_id) = checkpoint(&client, &keys).await?;
    match &args.command {
        LogCommand::Info { witnesses } => {
            client.check_root(&cp).await?;
            // Witness cosignatures required on the log's checkpoint (`--witness-key`).
            let cosigned = if witnesses.given() {
                Some(witnesses.check(&text)?)
            } else {
                None
            };
            match args.output {
                Output::Json => {
                    let mut v = serde_json::json!({"origin": cp.origin(), "treeSize": cp.size().0,
                        "rootHash": cp.root_hash().to_hex(), "logId": log_id, "checkpoint": text});
                    if let (Some(n), Some(o)) = (cosigned, v.as_object_mut()) {
                        o.insert("cosignatures".into(), n.into());
                    }
                    println!("{v}");
                }
                Output::Text => {
                    println!("Verification Successful!");
                    println!("Tree Size:              {}", cp.size());
                    println!("Root Hash:              {}", cp.root_hash().to_hex());
                    println!("Origin:                 {}", cp.origin());
                    println!("LogID:                  {log_id}");
                    if let Some(n) = cosigned {
                        println!("Witness Cosignatures:   {n}");
                    }
                }
            }
        }
        LogCommand::Get { uuid, log_index }
        | LogCommand::Verify {
            uuid, log_index, ..
        } => {
            let verify = matches!(args.command, LogCommand::Verify { .. });
            // Witness cosignatures required on the log's checkpoint (`--witness-key`).
            if let LogCommand::Verify { witnesses, .. } = &args.command {
                witnesses.check(&text)?;
            }
            if uuid.is_some() {
                bail!(
                    "--uuid cannot be used with --tiles (a tiled log has no index by UUID): give --log-index"
                );
            }
            let older = match &args.tiles.checkpoint {
                Some(p) if verify => Some(saved_checkpoint(p, &keys)?),
                Some(_) => bail!("--checkpoint is for `signet log verify --tiles`"),
                None => None,
            };
            if let Some(old) = &older {
                client.verify_consistency(old, &cp).await?;
            }
            let entry = match log_index {
                Some(i) => Some(client.verified_entry(&cp, *i).await?),
                None if verify && older.is_some() => None,
                None => bail!("--log-index is required"),
            };
            match (verify, args.output, entry) {
                (_, _, None) => {
                    if let Some(old) = &older {
                        consistency_line(args.output, old, &cp);
                    }
                }
                (false, Output::Json, Some(e)) => println!(
                    "{}",
                    serde_json::json!({"Body": body_object(&e.body)?, "LogIndex": e.index,
                        "UUID": e.leaf_hash.to_hex(), "LogID": log_id,
                        "TreeSize": cp.size().0, "RootHash": cp.root_hash().to_hex()})
                ),
                (false, Output::Text, Some(e)) => {
                    println!("LogID: {log_id}");
                    println!("Index: {}", e.index);
                    println!("UUID: {}", e.leaf_hash.to_hex());
                    println!(
                        "Body: {}\n",
                        serde_json::to_string_pretty(&body_object(&e.body)?)?
                    );
                }
                (true, Output::Json, Some(e)) => println!(
                    "{}",
                    serde_json::json!({"verified": true, "uuid": e.leaf_hash.to_hex(),
                        "logIndex": e.index, "treeSize": cp.size().0,
                        "rootHash": cp.root_hash().to_hex(),
                        "consistentWith": older.as_ref().map(|o| o.size().0)})
                ),
                (true, Output::Text, Some(e)) => {
                    println!("Current Root Hash: {}", cp.root_hash().to_hex());
                    println!("Entry Hash: {}", e.leaf_hash.to_hex());
                    println!("Entry Index in Current Tree: {}", e.index);
                    println!("Current Tree Size: {}", cp.size());
                    println!("Checkpoint:\n{text}");
                    println!(
                        "Inclusion Proof: computed from the log's tiles, verified against tree size {}",
                        cp.size()
                    );
                    if let Some(old) = &older {
                        consistency_line(Output::Text, old, &cp);
                    }
                    println!(
                        "tlog entry verified with uuid: {} index: {}",
                        e.leaf_hash.to_hex(),
                        e.index
                    );
                }
            }
        }
        _ => bail!("{only}"),
    }
    Ok(())
}

fn consistency_line(output: Output, old: &VerifiedCheckpoint, cp: &VerifiedCheckpoint) {
    match output {
        Output::Json => println!(
            "{}",
            serde_json::json!({"consistent": true, "from": old.size().0, "to": cp.size().0,
                "rootHash": cp.root_hash().to_hex()})
        ),
        Output::Text => println!(
            "Consistency: the earlier checkpoint (size {}) is a prefix of the log's tree (size {})",
            old.size(),
            cp.size()
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn checkpoint_of_log2025_1() -> String {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../testdata/rekor-vectors/log2025-1.checkpoint"),
        )
        .unwrap()
    }

    /// A real public-good Rekor v2 checkpoint (Ed25519, key name = origin = the log's host)
    /// verifies with the key the public-good trusted root lists for that log's base URL, as
    /// `log … --tiles URL` (and `log monitor --tiles URL`) pick it; the key of another log, or
    /// the same key under another name, does not verify it.
    #[test]
    fn real_rekor_v2_checkpoint_verifies_with_the_trusted_roots_ed25519_key() {
        let root = signet_trust::TrustedRoot::from_json(include_bytes!(
            "../../assets/production_trusted_root.json"
        ))
        .unwrap();
        let text = checkpoint_of_log2025_1();
        let keys = root_keys(&root, "https://log2025-1.rekor.sigstore.dev/").unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(
            keys[0].log_id,
            hex::encode(
                signet_types::b64::decode("zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A=").unwrap()
            )
        );
        let cp = signet_tlog::verify_checkpoint(&text, &[keys[0].verifier.as_ref()]).unwrap();
        assert_eq!(cp.origin(), "log2025-1.rekor.sigstore.dev");
        assert_eq!(cp.size().0, 34_356_369);
        // The Rekor v1 log's key (ECDSA) does not verify it.
        let v1 = root_keys(&root, "https://rekor.sigstore.dev").unwrap();
        assert!(signet_tlog::verify_checkpoint(&text, &[v1[0].verifier.as_ref()]).is_err());
        // The same Ed25519 key named after another host (a mirror's URL) does not either: the
        // C2SP key ID covers the name.
        let key = root
            .tlogs
            .iter()
            .find(|t| t.base_url.contains("log2025-1"))
            .and_then(|t| t.key.usable())
            .unwrap();
        let renamed = key_of("mirror.example", key, None).unwrap();
        assert!(signet_tlog::verify_checkpoint(&text, &[renamed.verifier.as_ref()]).is_err());
        // No log at that URL: a clear error.
        let e = root_keys(&root, "https://log2099.example").err().unwrap();
        assert!(
            e.to_string().contains("no transparency log with baseUrl"),
            "{e}"
        );
    }
}
