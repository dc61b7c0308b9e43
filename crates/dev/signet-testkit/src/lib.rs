//! Fixtures for tests and benchmarks: a [`VirtualLog`] (an in-memory Rekor-v1-style log with a
//! P-256 key, signed entry timestamps, inclusion proofs and signed checkpoints) that turns a
//! managed-key signature into a real Sigstore bundle plus the trusted root that verifies it.
//! Unpublished; never used by the product.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use signet_bundle::{
    BundleJson, CheckpointJson, InclusionPromiseJson, InclusionProofJson, KindVersionJson,
    LogIdJson, TlogEntryJson, VerificationMaterialJson,
};
use signet_crypto::{PublicKey, SigningKey};
use signet_tlog::{
    Checkpoint, EcdsaNoteSigner, MemoryHashStore, Tree, sign_note, stored_hashes_for_leaf,
};
use signet_trust::{TimeRange, TransparencyLog, TrustedKey, TrustedRoot};
use signet_types::{LogIndex, Sha256Hash, TreeSize, UnixSeconds, b64};

pub mod hostile_http;
pub mod oidc_double;
pub mod postgres;
pub mod registry;
pub mod spiffe_double;

pub use registry::TestRegistry;

/// Trees of a (sharded) signet transparency log on disk, and entries for them.
pub mod log_trees {
    use std::path::Path;
    use std::sync::Arc;

    use signet_crypto::SigningKey;
    use signet_log::{LogConfig, RekorV2Log, SqliteStore, SystemClock, TransparencyLog};

    /// Opens (or creates) the log tree in `dir` whose leaf 0 is global index `offset` (see
    /// `LogConfig::index_offset`), host `shards.test`.
    pub async fn open_tree(dir: &Path, offset: u64) -> TransparencyLog<SqliteStore> {
        TransparencyLog::open(
            SqliteStore::open(dir).await.unwrap(),
            dir,
            LogConfig::new("shards.test").with_index_offset(offset),
            Arc::new(SystemClock),
        )
        .await
        .unwrap()
    }

    /// A tree in `dir` at `offset` with an entry for each of `names` (the data signed by
    /// `signer`), and for each entry its ID and the signature it logs.
    pub async fn filled_tree(
        dir: &Path,
        offset: u64,
        signer: &SigningKey,
        names: &[&str],
    ) -> (TransparencyLog<SqliteStore>, Vec<(String, Vec<u8>)>) {
        let tree = open_tree(dir, offset).await;
        let mut added = Vec::new();
        for name in names {
            let (sig, p) = signed_proposal(signer, name);
            added.push((tree.add(&p).await.unwrap().0, sig));
        }
        (tree, added)
    }

    /// A forked log: two trees under the same key and tree ID, in `a` and `b`, that share an
    /// entry for each of `shared` and then grow apart (the tree is built in `a`, closed, and
    /// its files copied to `b` by [`copy_closed_log`]).
    pub async fn forked_trees(
        a: &Path,
        b: &Path,
        signer: &SigningKey,
        shared: &[&str],
    ) -> (TransparencyLog<SqliteStore>, TransparencyLog<SqliteStore>) {
        drop(filled_tree(a, 0, signer, shared).await);
        copy_closed_log(a, b).await;
        let (ta, tb) = (open_tree(a, 0).await, open_tree(b, 0).await);
        assert_eq!(ta.tree_id(), tb.tree_id());
        assert_eq!(ta.public_key(), tb.public_key());
        (ta, tb)
    }

    /// Copies the files of the (just closed) log in `from` to `to`, leaving out SQLite's
    /// shared-memory index (rebuilt from the WAL): `to` then holds the same tree, key and
    /// checkpoint, and grows apart from `from` once either takes an entry.
    pub async fn copy_closed_log(from: &Path, to: &Path) {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let name = e.file_name();
            if e.file_type().unwrap().is_file() && !name.to_string_lossy().ends_with("-shm") {
                std::fs::copy(e.path(), to.join(&name)).unwrap();
            }
        }
    }

    /// Opens (or creates) the Rekor v2 log in `dir`, host `v2.test`.
    pub async fn open_v2(dir: &Path) -> RekorV2Log<SqliteStore> {
        RekorV2Log::open_dir(dir, "v2.test", Arc::new(SystemClock))
            .await
            .unwrap()
    }

    /// A forked Rekor v2 log: a v2 log in `dirs[0]` holding `shared` (`CreateEntryRequest`s),
    /// closed, and copied to each of the other `dirs`; all opened again: the same key, origin
    /// and tree, which grow apart from there.
    pub async fn forked_v2_logs(
        dirs: &[&Path],
        shared: &[Vec<u8>],
    ) -> Vec<RekorV2Log<SqliteStore>> {
        let first = dirs.first().unwrap();
        let log = open_v2(first).await;
        for r in shared {
            log.create(r).await.unwrap();
        }
        drop(log);
        for d in dirs.iter().skip(1) {
            copy_closed_log(first, d).await;
        }
        let mut out = Vec::new();
        for d in dirs {
            out.push(open_v2(d).await);
        }
        out
    }

    /// The bytes of a hashedrekord proposal of `data` signed by `key` (ECDSA: a new signature,
    /// so a new entry, each call).
    pub fn proposal(key: &SigningKey, data: &str) -> Vec<u8> {
        signed_proposal(key, data).1
    }

    /// [`proposal`], with the signature it carries.
    pub fn signed_proposal(key: &SigningKey, data: &str) -> (Vec<u8>, Vec<u8>) {
        let sig = key.sign(data.as_bytes()).unwrap();
        let p = signet_rekor::proposed_hashedrekord(
            &sig,
            &key.public_key().to_pem(),
            &signet_crypto::sha256(data.as_bytes()).to_hex(),
        );
        (sig, serde_json::to_vec(&p).unwrap())
    }
}

/// Helpers shared by the load generators (`signet-logbench`, `signet-cabench`,
/// `signet-tsabench`, `signet-tilebench`).
pub mod load {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    /// `entries` distinct artifacts signed by a few P-256 keys, each turned into a request body
    /// by `body(data, signature, key)`.
    fn presign(
        entries: usize,
        body: impl Fn(&[u8], &[u8], &signet_crypto::SigningKey) -> serde_json::Value,
    ) -> anyhow::Result<Vec<Vec<u8>>> {
        let keys: Vec<signet_crypto::SigningKey> = (0..8)
            .map(|_| signet_crypto::SigningKey::generate_p256())
            .collect::<Result<_, _>>()?;
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        (0..entries)
            .map(|i| {
                let k = &keys[i % keys.len()];
                let data = format!("bench {nonce} entry {i}");
                let sig = k.sign(data.as_bytes())?;
                Ok(serde_json::to_vec(&body(data.as_bytes(), &sig, k))?)
            })
            .collect()
    }

    /// `entries` distinct Rekor v1 hashedrekord proposals (pre-signed, so a load generator
    /// measures the server, not its own signing).
    pub fn presigned_v1(entries: usize) -> anyhow::Result<Vec<Vec<u8>>> {
        presign(entries, |data, sig, k| {
            signet_rekor::proposed_hashedrekord(
                sig,
                &k.public_key().to_pem(),
                &signet_crypto::sha256(data).to_hex(),
            )
        })
    }

    /// `entries` distinct Rekor v2 `CreateEntryRequest`s (hashedrekord 0.0.2).
    pub fn presigned_v2(entries: usize) -> anyhow::Result<Vec<Vec<u8>>> {
        use signet_types::b64;
        presign(entries, |data, sig, k| {
            serde_json::json!({"hashedRekordRequestV002": {
                "digest": b64::encode(signet_crypto::sha256(data).as_bytes()),
                "signature": {"content": b64::encode(sig), "verifier": {
                    "publicKey": {"rawBytes": b64::encode(k.public_key().spki_der())},
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256"}}}})
        })
    }

    /// GETs `urls` in turn from `clients` concurrent tasks for `time`; an answer counts when
    /// its status is 2xx and `ok` accepts its body. Returns (answers counted, other answers).
    pub async fn get_for(
        http: &reqwest::Client,
        urls: Arc<Vec<String>>,
        clients: usize,
        time: Duration,
        ok: fn(&[u8]) -> bool,
    ) -> anyhow::Result<(usize, usize)> {
        let deadline = Instant::now() + time;
        let mut tasks = Vec::new();
        for c in 0..clients {
            let (urls, http) = (urls.clone(), http.clone());
            tasks.push(tokio::spawn(async move {
                let (mut i, mut done, mut errs) = (c, 0usize, 0usize);
                while Instant::now() < deadline && !urls.is_empty() {
                    let url = &urls[i % urls.len()];
                    match http.get(url).send().await {
                        Ok(r) if r.status().is_success() => match r.bytes().await {
                            Ok(b) if ok(&b) => done += 1,
                            _ => errs += 1,
                        },
                        _ => errs += 1,
                    }
                    i += clients;
                }
                (done, errs)
            }));
        }
        let (mut done, mut errs) = (0, 0);
        for t in tasks {
            let (d, e) = t.await?;
            done += d;
            errs += e;
        }
        Ok((done, errs))
    }

    /// What [`post_all`] measured.
    pub struct Posted {
        /// Latencies of the accepted requests, sorted.
        pub latencies: Vec<Duration>,
        /// Their `Location` headers (in no particular order).
        pub locations: Vec<String>,
        /// Requests answered with another status, or not at all.
        pub errors: usize,
        /// Wall-clock seconds for all of them.
        pub seconds: f64,
    }

    /// POSTs every one of `bodies` (JSON) to `endpoint` from `clients` concurrent tasks, each
    /// taking the next body not yet sent; an answer with status `accepted` counts as success.
    pub async fn post_all(
        http: &reqwest::Client,
        endpoint: &str,
        bodies: Arc<Vec<Vec<u8>>>,
        clients: usize,
        accepted: u16,
    ) -> anyhow::Result<Posted> {
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (bodies, next, http, endpoint) = (
                bodies.clone(),
                next.clone(),
                http.clone(),
                endpoint.to_string(),
            );
            tasks.push(tokio::spawn(async move {
                let (mut lat, mut locations, mut errors) = (Vec::new(), Vec::new(), 0usize);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    let t = Instant::now();
                    let r = http
                        .post(&endpoint)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    match r {
                        Ok(resp) if resp.status().as_u16() == accepted => {
                            if let Some(loc) =
                                resp.headers().get("location").and_then(|v| v.to_str().ok())
                            {
                                locations.push(loc.to_string());
                            }
                            let _ = resp.bytes().await;
                            lat.push(t.elapsed());
                        }
                        _ => errors += 1,
                    }
                }
                (lat, locations, errors)
            }));
        }
        let mut out = Posted {
            latencies: Vec::new(),
            locations: Vec::new(),
            errors: 0,
            seconds: 0.0,
        };
        for t in tasks {
            let (l, loc, e) = t.await?;
            out.latencies.extend(l);
            out.locations.extend(loc);
            out.errors += e;
        }
        out.seconds = start.elapsed().as_secs_f64();
        out.latencies.sort();
        Ok(out)
    }

    /// The `p` quantile (0..=1) of sorted latencies, in milliseconds (0 when empty).
    pub fn pct(sorted: &[Duration], p: f64) -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[i].as_secs_f64() * 1000.0
    }

    /// Runs `each(i)` for every `i` in `0..n`, from `clients` concurrent tasks taking the next
    /// index in turn; `each` tells whether the request succeeded. Prints the table
    /// `| <what> | clients | seconds | <what>/s | p50 ms | p99 ms | max ms | errors |` and fails
    /// when any request failed.
    pub async fn drive<F, Fut>(what: &str, clients: usize, n: usize, each: F) -> anyhow::Result<()>
    where
        F: Fn(usize) -> Fut + Clone + Send + 'static,
        Fut: std::future::Future<Output = bool> + Send,
    {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let next = Arc::new(AtomicUsize::new(0));
        let start = std::time::Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (next, each) = (next.clone(), each.clone());
            tasks.push(tokio::spawn(async move {
                let (mut lat, mut errors) = (Vec::new(), 0usize);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let t = std::time::Instant::now();
                    if each(i).await {
                        lat.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (lat, errors)
            }));
        }
        let (mut lat, mut errors) = (Vec::new(), 0);
        for t in tasks {
            let (l, e) = t.await?;
            lat.extend(l);
            errors += e;
        }
        let secs = start.elapsed().as_secs_f64();
        lat.sort();
        println!("| {what} | clients | seconds | {what}/s | p50 ms | p99 ms | max ms | errors |");
        println!("|---|---|---|---|---|---|---|---|");
        println!(
            "| {} | {clients} | {secs:.2} | {:.0} | {:.1} | {:.1} | {:.1} | {errors} |",
            lat.len(),
            lat.len() as f64 / secs,
            pct(&lat, 0.5),
            pct(&lat, 0.99),
            pct(&lat, 1.0)
        );
        if errors > 0 {
            anyhow::bail!("{errors} requests failed");
        }
        Ok(())
    }

    /// Refuses any target that is not loopback (`http://` or `https://`): load tests never
    /// leave the machine.
    pub fn loopback(url: &str) -> anyhow::Result<()> {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or(url);
        let host = rest.split(['/', ':']).next().unwrap_or("");
        if !(host == "127.0.0.1" || host == "localhost" || host == "[::1]") {
            anyhow::bail!("load tests only target loopback, not {host}");
        }
        Ok(())
    }
}

/// An in-memory transparency log.
pub struct VirtualLog {
    key: SigningKey,
    host: String,
    tree_id: u64,
    store: MemoryHashStore,
    size: u64,
}

impl VirtualLog {
    /// A new, empty log with a fresh key.
    pub fn new(host: &str) -> Result<Self> {
        Ok(Self {
            key: SigningKey::generate_p256()?,
            host: host.into(),
            tree_id: 1,
            store: MemoryHashStore::new(),
            size: 0,
        })
    }

    /// The log's public key.
    pub fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    /// A trusted root that trusts this log (and nothing else).
    pub fn trusted_root(&self) -> TrustedRoot {
        TrustedRoot {
            tlogs: vec![TransparencyLog {
                base_url: format!("https://{}", self.host),
                log_id: self.public_key().key_id().as_bytes().to_vec(),
                key: TrustedKey::Usable(self.public_key().clone()),
                key_details: "PKIX_ECDSA_P256_SHA_256".into(),
                valid_for: TimeRange {
                    start: Some(UnixSeconds(1_600_000_000)),
                    end: None,
                },
            }],
            ..TrustedRoot::default()
        }
    }

    /// Appends a canonical body; returns the bundle `tlogEntries[]` entry for it.
    pub fn append(
        &mut self,
        body: &[u8],
        kind: &str,
        version: &str,
        integrated_time: i64,
    ) -> Result<TlogEntryJson> {
        let index = self.size;
        let leaf = signet_tlog::leaf_hash(body);
        let new = stored_hashes_for_leaf(index, leaf, &self.store)?;
        self.store.extend(new);
        self.size += 1;
        let tree = Tree::new(&self.store);
        let size = TreeSize(self.size);
        let root: Sha256Hash = tree.root(size)?;
        let proof = tree.inclusion_proof(LogIndex(index), size)?;
        let log_id = self.public_key().key_id();
        let set = self.key.sign(&signet_rekor::set_payload(
            body,
            integrated_time,
            log_id.as_bytes(),
            index as i64,
        ))?;
        let cp = Checkpoint {
            origin: format!("{} - {}", self.host, self.tree_id),
            size,
            root_hash: root,
            extensions: vec![],
        };
        let signer = EcdsaNoteSigner::new(
            &self.host,
            SigningKey::from_pkcs8_der(&self.key.to_pkcs8_der()?)?,
        )?;
        let note = sign_note(&cp.to_text(), &[&signer])?;
        Ok(TlogEntryJson {
            log_index: i64::try_from(index)?,
            log_id: LogIdJson {
                key_id: b64::encode(log_id.as_bytes()),
            },
            kind_version: KindVersionJson {
                kind: kind.to_string(),
                version: version.to_string(),
            },
            integrated_time,
            inclusion_promise: Some(InclusionPromiseJson {
                signed_entry_timestamp: b64::encode(&set),
            }),
            inclusion_proof: Some(InclusionProofJson {
                log_index: i64::try_from(index)?,
                root_hash: b64::encode(root.as_bytes()),
                tree_size: i64::try_from(self.size)?,
                hashes: proof.iter().map(|h| b64::encode(h.as_bytes())).collect(),
                checkpoint: Some(CheckpointJson { envelope: note }),
            }),
            canonicalized_body: b64::encode(body),
        })
    }

    /// Signs `artifact` with `signer` (a managed key), logs it, and returns the v0.3 bundle.
    pub fn managed_key_bundle(
        &mut self,
        signer: &SigningKey,
        artifact: &[u8],
        integrated_time: i64,
    ) -> Result<serde_json::Value> {
        let (_, bundle) = self.managed_key_digest_bundle(
            signer,
            &signet_crypto::sha256(artifact),
            integrated_time,
        )?;
        Ok(serde_json::to_value(bundle)?)
    }

    /// Signs the artifact with SHA-256 `digest` with `signer` (a managed key), logs it, and
    /// returns the signature and the v0.3 bundle.
    pub fn managed_key_digest_bundle(
        &mut self,
        signer: &SigningKey,
        digest: &Sha256Hash,
        integrated_time: i64,
    ) -> Result<(Vec<u8>, BundleJson)> {
        let sig = signer.sign_sha256_digest(digest)?;
        let body = signet_rekor::canonical_hashedrekord_v001(
            &sig,
            signer.public_key().to_pem().as_bytes(),
            "sha256",
            &digest.to_hex(),
        )?;
        let entry = self.append(&body, "hashedrekord", "0.0.1", integrated_time)?;
        let bundle = BundleJson::message_signature_v03(
            VerificationMaterialJson::public_key(""),
            entry,
            digest.as_bytes(),
            &sig,
        );
        Ok((sig, bundle))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_bundle::Bundle;

    #[test]
    fn fixture_bundles_parse() {
        let mut log = VirtualLog::new("log.test").unwrap();
        let key = SigningKey::generate_p256().unwrap();
        for i in 0..5 {
            let b = log
                .managed_key_bundle(&key, format!("artifact {i}").as_bytes(), 1_700_000_000)
                .unwrap();
            Bundle::from_json(b.to_string().as_bytes()).unwrap();
        }
        TrustedRoot::from_json(log.trusted_root().to_json().unwrap().as_bytes()).unwrap();
    }
}
