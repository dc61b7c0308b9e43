//! `signet log`: rekor-cli-style access to a transparency log.

mod tiles;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use signet_client::{RekorClient, Submission, VerifiedLogEntry, verify_entry, verify_entry_of};
use signet_crypto::PublicKey;
use signet_rekor::EntryRef;
use signet_rekor::api::SearchIndex;

use crate::verify_cmd::Output;

/// `signet log` flags.
#[derive(Args, Debug)]
pub struct LogArgs {
    /// Log URL.
    #[arg(
        long,
        global = true,
        env = "SIGNET_REKOR_URL",
        default_value = "http://127.0.0.1:3000"
    )]
    rekor_url: String,
    /// The log's public key (PEM). Give it once per shard for a sharded log (each entry and
    /// signed tree head is checked with the key whose log ID it names). Without it the key of
    /// each shard is fetched from the log itself, which proves consistency with that key only
    /// (`log monitor` does not do that: it needs this or `--trusted-root`).
    #[arg(long, global = true)]
    log_public_key: Vec<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(flatten)]
    tiles: tiles::TilesArgs,
    #[command(subcommand)]
    command: LogCommand,
}

#[derive(Subcommand, Debug)]
enum LogCommand {
    /// Print an entry (rekor-cli `get` layout), after verifying its SET, inclusion proof and checkpoint.
    Get {
        /// Entry UUID (64 hex) or entry ID (80 hex).
        #[arg(long, conflicts_with = "log_index")]
        uuid: Option<String>,
        /// Global log index.
        #[arg(long)]
        log_index: Option<u64>,
    },
    /// Print the tree size, root and tree ID after verifying the signed checkpoint. With
    /// `--witness-key`, also the log's witnessed checkpoint (`/api/v1/log/checkpoint`, or the
    /// tiles `checkpoint`): its cosignatures are counted and it must be consistent with the
    /// log's tree.
    Info {
        #[command(flatten)]
        witnesses: crate::verify_cmd::WitnessArgs,
    },
    /// Verify an entry's inclusion against a freshly fetched signed checkpoint (with
    /// `--witness-key`, the log's witnessed checkpoint, which must hold the entry).
    Verify {
        /// Entry UUID or entry ID.
        #[arg(long, conflicts_with = "log_index")]
        uuid: Option<String>,
        /// Global log index.
        #[arg(long)]
        log_index: Option<u64>,
        #[command(flatten)]
        witnesses: crate::verify_cmd::WitnessArgs,
    },
    /// Upload a signature over an artifact as a hashedrekord entry (rekor-cli `upload`).
    Upload {
        /// The signed artifact.
        #[arg(long)]
        artifact: PathBuf,
        /// The signature: raw DER or base64 (cosign's `.sig`).
        #[arg(long)]
        signature: PathBuf,
        /// PEM public key or certificate of the signer.
        #[arg(long)]
        public_key: PathBuf,
    },
    /// Follow the log: verify each new checkpoint and its consistency with the last one seen
    /// (state in --state), read every new entry and print the watched ones, as JSON lines;
    /// exits non-zero on a fork, rollback, split view or bad signature.
    Monitor(crate::monitor_cmd::MonitorArgs),
    /// Find entry IDs by artifact digest, public key or identity.
    Search {
        /// `sha256:<hex>` (or bare hex).
        #[arg(long)]
        sha: Option<String>,
        /// Artifact file to hash.
        #[arg(long)]
        artifact: Option<PathBuf>,
        /// PEM public key or certificate.
        #[arg(long)]
        public_key: Option<PathBuf>,
        /// Email identity.
        #[arg(long)]
        email: Option<String>,
    },
}

pub fn run(args: LogArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run_async(args))
}

/// The keys given with `--log-public-key` (none: each shard's key is fetched from the log).
fn pinned_keys(paths: &[PathBuf]) -> Result<Vec<PublicKey>> {
    paths
        .iter()
        .map(|p| {
            let bytes = signet_crypto::read_capped(p, crate::input::PUBLIC_KEY)?;
            PublicKey::from_pem_or_der(&bytes)
                .with_context(|| format!("invalid public key {}", p.display()))
        })
        .collect()
}

/// The key of the log's shard `tree` (`None`: the active shard, or a log that names no trees)
/// that signs as `log_id`: the pinned key with that log ID (or the first pinned key, which then
/// fails verification with a message naming both IDs), else the key the log serves for the tree.
async fn shard_key(
    client: &RekorClient,
    pinned: &[PublicKey],
    tree: Option<u64>,
    log_id: Option<&str>,
) -> Result<PublicKey> {
    if let Some(first) = pinned.first() {
        let named = pinned
            .iter()
            .find(|k| log_id.is_some_and(|id| k.key_id().to_hex() == id));
        return Ok(named.unwrap_or(first).clone());
    }
    Ok(match tree {
        Some(t) => client.shard_public_key(t).await?,
        None => client.public_key().await?,
    })
}

/// The key for the entry `entry` (one `{entryID: entry}`): its shard's, by the tree its ID
/// names and the log ID it carries.
async fn entry_key(
    client: &RekorClient,
    pinned: &[PublicKey],
    entry: &signet_rekor::api::LogEntry,
) -> Result<PublicKey> {
    let (id, e) = entry
        .iter()
        .next()
        .context("the log answered an empty entry")?;
    let tree = EntryRef::parse(id).ok().and_then(|r| r.tree_id);
    shard_key(client, pinned, tree, Some(&e.log_id)).await
}

/// Verifies a checkpoint signed (as Rekor v1 signs) with one of `keys`.
fn signed_by(text: &str, keys: &[PublicKey]) -> Result<signet_tlog::VerifiedCheckpoint> {
    let verifiers: Vec<signet_tlog::EcdsaNoteVerifier> = keys
        .iter()
        .map(|k| signet_tlog::EcdsaNoteVerifier::any_name(k.clone()))
        .collect();
    let refs: Vec<&dyn signet_tlog::NoteVerifier> = verifiers
        .iter()
        .map(|v| v as &dyn signet_tlog::NoteVerifier)
        .collect();
    Ok(signet_tlog::verify_checkpoint(text, &refs)?)
}

/// Verifies a shard's signed tree head with `keys` and that it names `size` and `root_hex`, as
/// the log reports them.
fn verified_head(
    text: &str,
    size: i64,
    root_hex: &str,
    keys: &[PublicKey],
) -> Result<signet_tlog::VerifiedCheckpoint> {
    let cp = signed_by(text, keys)?;
    if cp.root_hash().to_hex() != root_hex || i64::try_from(cp.size().0).ok() != Some(size) {
        bail!("the log's checkpoint does not match its reported size and root");
    }
    Ok(cp)
}

/// Proves with the log's consistency proof (of shard `tree`, `None`: the active one) that
/// `newer`'s tree extends `older`'s (nothing to fetch when they have one size: their roots must
/// then be equal).
async fn prove_consistent(
    client: &RekorClient,
    tree: Option<u64>,
    older: &signet_tlog::VerifiedCheckpoint,
    newer: &signet_tlog::VerifiedCheckpoint,
) -> Result<()> {
    let (first, last) = (older.size().0, newer.size().0);
    if first > last {
        bail!("the tree of size {first} cannot be a prefix of the tree of size {last}");
    }
    if first == 0 {
        // The empty tree is a prefix of every tree.
        return Ok(());
    }
    let hashes = if first == last {
        Vec::new()
    } else {
        let p = match tree {
            None => client.consistency(first, last).await?,
            Some(t) => client.shard_consistency(first, last, t).await?,
        };
        p.hashes
            .iter()
            .map(|h| signet_types::Sha256Hash::from_hex(h))
            .collect::<Result<Vec<_>, _>>()?
    };
    Ok(older.verify_consistency(newer, &hashes)?)
}

/// Verifies the log's witnessed checkpoint `text` (`GET /api/v1/log/checkpoint`): signed with
/// one of `keys`, of the same log as its signed head `head`, and consistent with it (a prefix
/// of it, or extending it when the log grew in between; consistency proof from the log).
/// Cosignatures are counted by the caller.
async fn witnessed_checkpoint(
    client: &RekorClient,
    text: &str,
    head: &signet_tlog::VerifiedCheckpoint,
    keys: &[PublicKey],
) -> Result<signet_tlog::VerifiedCheckpoint> {
    let cp = signed_by(text, keys)
        .context("the log's witnessed checkpoint does not verify with the log's key")?;
    if cp.origin() != head.origin() {
        bail!(
            "the log's witnessed checkpoint is for {:?}, its signed tree head for {:?}",
            cp.origin(),
            head.origin()
        );
    }
    // The log may have grown (and published a newer witnessed checkpoint) since `head`.
    let (older, newer) = if cp.size() <= head.size() {
        (&cp, head)
    } else {
        (head, &cp)
    };
    prove_consistent(client, None, older, newer)
        .await
        .context("the log's witnessed checkpoint is not consistent with its current tree")?;
    Ok(cp)
}

/// The `info` lines of a witnessed checkpoint.
fn witnessed_lines(cosignatures: usize, cp: &signet_tlog::VerifiedCheckpoint) {
    println!("Witnessed Tree Size:    {}", cp.size());
    println!("Witnessed Root Hash:    {}", cp.root_hash().to_hex());
    println!("Witness Cosignatures:   {cosignatures}");
}

/// Fetches the entry named by `--uuid` or `--log-index` and verifies it (SET, inclusion proof,
/// checkpoint) with its shard's key, which is returned with it. A `--uuid` must be 64 or 80 hex
/// digits (refused before the entry is fetched), and the log must answer with that entry.
async fn fetch_verified(
    client: &RekorClient,
    pinned: &[PublicKey],
    uuid: &Option<String>,
    index: Option<u64>,
) -> Result<(VerifiedLogEntry, PublicKey)> {
    let (entry, wanted) = match (uuid, index) {
        (Some(u), _) => {
            let wanted = requested_entry(u)?;
            (client.get_by_uuid(u).await?, Some((u, wanted)))
        }
        (None, Some(i)) => (client.get_by_index(i).await?, None),
        (None, None) => bail!("--uuid or --log-index is required"),
    };
    let key = entry_key(client, pinned, &entry).await?;
    let v = verify_entry(&entry, &key)?;
    if let Some((u, wanted)) = wanted {
        // verify_entry checked that the entry ID parses and names the body's leaf hash.
        let got = EntryRef::parse(&v.entry_id)?;
        if got.uuid != wanted.uuid || wanted.tree_id.is_some_and(|t| got.tree_id != Some(t)) {
            bail!(
                "the log returned entry {} for requested UUID {u}",
                v.entry_id
            );
        }
    }
    Ok((v, key))
}

/// A `--uuid` as given: 64 hex digits (UUID) or 80 (tree ID and UUID).
fn requested_entry(u: &str) -> Result<EntryRef> {
    let bad = || anyhow::anyhow!("--uuid {u:?} is not 64 or 80 hexadecimal digits");
    if !u.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    EntryRef::parse(u).map_err(|_| bad())
}

fn rfc3339(t: i64) -> String {
    signet_trust::format_time(signet_types::UnixSeconds(t)).unwrap_or_else(|| t.to_string())
}

/// rekor-cli prints the body under the Go type name of its kind.
fn body_object(body: &[u8]) -> Result<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(body).context("entry body is not JSON")?;
    let name = match v.get("kind").and_then(|k| k.as_str()) {
        Some("hashedrekord") => "HashedRekordObj",
        Some("dsse") => "DSSEObj",
        Some("intoto") => "IntotoObj",
        Some("rekord") => "RekordObj",
        _ => "Body",
    };
    let mut spec = v.get("spec").cloned().unwrap_or(serde_json::Value::Null);
    // Show the verifier as the PEM text rekor-cli prints.
    if let Some(pk) = spec.pointer_mut("/signature/publicKey/content")
        && let Some(s) = pk.as_str()
        && let Ok(pem) = signet_types::b64::decode(s)
    {
        *pk = serde_json::Value::String(signet_types::b64::encode(pem));
    }
    Ok(serde_json::json!({ name: spec }))
}

async fn run_async(args: LogArgs) -> Result<()> {
    if let Some(url) = args.tiles.url() {
        return tiles::run(&args, url).await;
    }
    let client = RekorClient::with_options(&args.rekor_url, &crate::net::options()?)?;
    let pinned = pinned_keys(&args.log_public_key)?;
    match &args.command {
        LogCommand::Monitor(m) => return crate::monitor_cmd::run(&client, &pinned, m).await,
        LogCommand::Get { uuid, log_index } => {
            let (v, _) = fetch_verified(&client, &pinned, uuid, *log_index).await?;
            let body = body_object(&v.body)?;
            match args.output {
                Output::Json => println!(
                    "{}",
                    serde_json::json!({"Attestation": "", "AttestationType": "", "Body": body, "LogIndex": v.entry.log_index,
                        "IntegratedTime": v.entry.integrated_time, "UUID": v.entry_id, "LogID": v.entry.log_id})
                ),
                Output::Text => {
                    println!("LogID: {}", v.entry.log_id);
                    println!("Index: {}", v.entry.log_index);
                    println!("IntegratedTime: {}", rfc3339(v.entry.integrated_time));
                    println!("UUID: {}", v.entry_id);
                    println!("Body: {}\n", serde_json::to_string_pretty(&body)?);
                }
            }
        }
        LogCommand::Info { witnesses } => {
            let info = client.log_info().await?;
            // Every shard's signed tree head verifies with that shard's key (rekor-cli's check).
            let keys = |tree: Option<u64>| {
                let client = &client;
                let pinned = &pinned;
                async move {
                    Ok::<_, anyhow::Error>(if pinned.is_empty() {
                        vec![shard_key(client, pinned, tree, None).await?]
                    } else {
                        pinned.clone()
                    })
                }
            };
            let active_keys = keys(None).await?;
            let head = verified_head(
                &info.signed_tree_head,
                info.tree_size,
                &info.root_hash,
                &active_keys,
            )
            .context("the log's signed checkpoint does not verify")?;
            let witnessed = if witnesses.given() {
                let text = client.checkpoint().await?;
                let cp = witnessed_checkpoint(&client, &text, &head, &active_keys).await?;
                Some((witnesses.check(&text)?, cp))
            } else {
                None
            };
            let mut total = info.tree_size;
            for shard in info.inactive_shards.iter().flatten() {
                let tree = shard.tree_id.parse::<u64>().with_context(|| {
                    format!(
                        "the log lists an inactive shard with tree ID {:?}",
                        shard.tree_id
                    )
                })?;
                verified_head(
                    &shard.signed_tree_head,
                    shard.tree_size,
                    &shard.root_hash,
                    &keys(Some(tree)).await?,
                )
                .with_context(|| {
                    format!(
                        "the signed checkpoint of the log's inactive shard {tree} does not verify"
                    )
                })?;
                total = total.saturating_add(shard.tree_size);
            }
            match args.output {
                Output::Json => {
                    let mut v = serde_json::to_value(&info)?;
                    if let (Some((n, cp)), Some(o)) = (&witnessed, v.as_object_mut()) {
                        o.insert(
                            "witnessed".into(),
                            serde_json::json!({"treeSize": cp.size().0,
                                "rootHash": cp.root_hash().to_hex(), "cosignatures": n}),
                        );
                    }
                    println!("{v}");
                }
                Output::Text => {
                    println!("Verification Successful!");
                    println!("Active Tree Size:       {}", info.tree_size);
                    println!("Total Tree Size:        {total}");
                    println!("Root Hash:              {}", info.root_hash);
                    println!("TreeID:                 {}", info.tree_id);
                    if let Some((n, cp)) = &witnessed {
                        witnessed_lines(*n, cp);
                    }
                }
            }
        }
        LogCommand::Verify {
            uuid,
            log_index,
            witnesses,
        } => {
            let (v, key) = fetch_verified(&client, &pinned, uuid, *log_index).await?;
            // And against the current signed head of the entry's shard (the active one, or the
            // inactive one its entry ID names): the entry's tree must be a prefix of it.
            let info = client.log_info().await?;
            let tree = EntryRef::parse(&v.entry_id)?
                .tree_id
                .filter(|t| info.tree_id != t.to_string());
            let (head_text, size, root) = match tree {
                None => (&info.signed_tree_head, info.tree_size, &info.root_hash),
                Some(t) => info
                    .inactive_shards
                    .iter()
                    .flatten()
                    .find(|s| s.tree_id == t.to_string())
                    .map(|s| (&s.signed_tree_head, s.tree_size, &s.root_hash))
                    .with_context(|| {
                        format!("the log lists no shard with the entry's tree ID {t}")
                    })?,
            };
            let head = verified_head(head_text, size, root, std::slice::from_ref(&key))
                .context("the log's current checkpoint does not verify")?;
            let proof = v
                .entry
                .verification
                .as_ref()
                .and_then(|x| x.inclusion_proof.as_ref());
            // With witnesses: the witnessed checkpoint (of the active tree) must hold the entry.
            let (head_text, head) = if witnesses.given() {
                if let Some(t) = tree {
                    bail!(
                        "the entry is in the log's inactive shard {t}: witnessed checkpoints are published for the active tree only"
                    );
                }
                let text = client.checkpoint().await?;
                let cp =
                    witnessed_checkpoint(&client, &text, &head, std::slice::from_ref(&key)).await?;
                witnesses.check(&text)?;
                let index = proof.map_or(0, |p| p.log_index);
                if u64::try_from(index).map_or(true, |i| i >= cp.size().0) {
                    bail!(
                        "the log's witnessed checkpoint (tree size {}) does not hold the entry yet (index {index} in its tree): witnesses cosign new checkpoints every few seconds, try again",
                        cp.size()
                    );
                }
                (text, cp)
            } else {
                (head_text.clone(), head)
            };
            let head_text = &head_text;
            // The entry's tree and the current (or witnessed) one are one growing tree; an
            // entry of a tree that extends the witnessed one, inside the witnessed size, is in
            // the witnessed tree.
            if head.size() < v.checkpoint.size() {
                if !witnesses.given() {
                    bail!(
                        "the log's current tree ({}) is smaller than the entry's ({})",
                        head.size(),
                        v.checkpoint.size()
                    );
                }
                prove_consistent(&client, tree, &head, &v.checkpoint)
                    .await
                    .context(
                        "the entry's checkpoint is not consistent with the log's witnessed one",
                    )?;
            } else {
                prove_consistent(&client, tree, &v.checkpoint, &head)
                    .await
                    .context("the log is not consistent with the entry's checkpoint")?;
            }
            match args.output {
                Output::Json => println!(
                    "{}",
                    serde_json::json!({"verified": true, "uuid": v.entry_id, "logIndex": v.entry.log_index,
                        "treeSize": head.size().0, "rootHash": head.root_hash().to_hex()})
                ),
                Output::Text => {
                    if let Some(p) = proof {
                        println!("Current Root Hash: {}", head.root_hash().to_hex());
                        println!("Entry Hash: {}", v.uuid);
                        println!("Entry Index in Current Tree: {}", p.log_index);
                        println!("Current Tree Size: {}", head.size());
                        println!("Checkpoint:\n{head_text}\n");
                        println!(
                            "Inclusion Proof: verified against tree size {} (root {})",
                            p.tree_size, p.root_hash
                        );
                    }
                    println!(
                        "tlog entry verified with uuid: {} index: {}",
                        v.uuid, v.entry.log_index
                    );
                }
            }
        }
        LogCommand::Upload {
            artifact,
            signature,
            public_key,
        } => {
            let digest = crate::artifact::sha256_file(artifact)?;
            let raw = signet_crypto::read_capped(signature, crate::input::SIGNATURE)?;
            let sig = match std::str::from_utf8(&raw)
                .ok()
                .and_then(|t| signet_types::b64::decode(t.trim()).ok())
            {
                Some(decoded) if !decoded.is_empty() => decoded,
                _ => raw,
            };
            let pem = signet_crypto::read_capped_string(public_key, crate::input::PUBLIC_KEY)?;
            let sub = Submission::new(signet_rekor::proposed_hashedrekord(
                &sig,
                &pem,
                &digest.to_hex(),
            ))?;
            match client.create(sub.proposed()).await {
                Ok((entry, location)) => {
                    let key = entry_key(&client, &pinned, &entry).await?;
                    let v = verify_entry_of(&entry, &key, &sub)
                        .context("the log's answer does not verify")?;
                    match args.output {
                        Output::Json => println!(
                            "{}",
                            serde_json::json!({"uuid": v.entry_id, "logIndex": v.entry.log_index, "location": format!("{}{location}", client.base())})
                        ),
                        Output::Text => println!(
                            "Created entry at index {}, available at: {}{location}",
                            v.entry.log_index,
                            client.base()
                        ),
                    }
                }
                Err(signet_client::ClientError::Status {
                    status: 409,
                    message,
                    ..
                }) => {
                    let id = message.rsplit(' ').next().unwrap_or_default();
                    println!(
                        "Entry already exists; available at: {}/api/v1/log/entries/{id}",
                        client.base()
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
        LogCommand::Search {
            sha,
            artifact,
            public_key,
            email,
        } => {
            let mut q = SearchIndex::default();
            if let Some(s) = sha {
                q.hash = Some(if s.contains(':') {
                    s.clone()
                } else {
                    format!("sha256:{s}")
                });
            }
            if let Some(a) = artifact {
                q.hash = Some(format!(
                    "sha256:{}",
                    crate::artifact::sha256_file(a)?.to_hex()
                ));
            }
            if let Some(p) = public_key {
                let pem = signet_crypto::read_capped(p, crate::input::PUBLIC_KEY)?;
                q.public_key = Some(signet_rekor::api::SearchKey {
                    format: "x509".into(),
                    content: signet_types::b64::encode(pem),
                });
            }
            q.email.clone_from(email);
            if q.hash.is_none() && q.public_key.is_none() && q.email.is_none() {
                bail!("give --sha, --artifact, --public-key or --email");
            }
            let ids = client.search(&q).await?;
            if ids.is_empty() {
                bail!("no matching entries found");
            }
            match args.output {
                Output::Json => println!("{}", serde_json::to_string(&ids)?),
                Output::Text => {
                    eprintln!("Found matching entries (listed by UUID):");
                    for id in ids {
                        println!("{id}");
                    }
                }
            }
        }
    }
    Ok(())
}
