//! The log's side of C2SP `tlog-witness`: a log asks the witnesses it is configured with to
//! cosign its checkpoints, and publishes each checkpoint with the cosignatures it collected.
//!
//! A background task ([`Witnessing::spawn`]) runs at most one round per interval, and only when
//! the tree grew (or, with back-off, when a witness is missing from the published checkpoint).
//! A round sends the log's newest checkpoint to every witness that has not cosigned it, all at
//! once: `old <size>` is the size that witness last cosigned (0 at first) with the consistency
//! proof from there; a `409` naming another size is answered again from that size (a witness
//! that lost state, or after a restart of the log). Every request is bounded
//! ([`WITNESS_TIMEOUT`], answers of at most `signet_client::witness::MAX_WITNESS_ANSWER` bytes).
//! A returned cosignature is kept only if it verifies with the witness's configured key
//! ([`signet_tlog::witness_cosignature`]); anything else is logged and dropped.
//!
//! Publication fails open: when the round ends, its checkpoint is published with the
//! cosignatures that arrived (possibly none), so a witness that is down or slow delays the
//! published checkpoint by at most one request timeout and never stops the log. The published
//! checkpoint is always one the log signed for a size it holds; it is kept in the tree's store
//! (metadata `witnessed_checkpoint`) and, after a restart, served again once it is checked
//! against the tree (and its cosignatures against the configured witnesses).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use signet_client::http::{HttpOptions, Redirects};
use signet_client::witness::{WitnessAnswer, WitnessClient};
use signet_log::{AppendLog, Head, LogStore, RekorV2Log, ShardedLog};
use signet_tlog::{AddCheckpoint, CosignatureVerifier, NoteSignature, NoteVerifier, SignedNote};

/// Longest a witness gets to answer one request (connect, and the whole answer).
pub const WITNESS_TIMEOUT: Duration = Duration::from_secs(5);
/// The default time between two rounds.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
/// The shortest time between two rounds.
pub const MIN_INTERVAL: Duration = Duration::from_millis(10);
/// Longest wait before asking a missing witness again when the tree does not grow.
pub const MAX_RETRY: Duration = Duration::from_secs(60);
/// How many `409` answers naming another size one request follows in a round.
const MAX_RESYNCS: usize = 3;
/// Store metadata key of the published checkpoint.
pub const META_WITNESSED: &str = "witnessed_checkpoint";

/// Errors setting up witnessing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessingError {
    /// A `--witness` value is not usable.
    #[error("--witness {spec:?}: {reason}")]
    Spec {
        /// The value given.
        spec: String,
        /// Why.
        reason: String,
    },
}

/// A witness the log asks for cosignatures: where it is, and the key its cosignatures must
/// verify with.
#[derive(Clone, Debug)]
pub struct WitnessSpec {
    /// Its base URL (requests go to `<url>/add-checkpoint`).
    pub url: String,
    /// Its cosignature verifier key (C2SP `tlog-cosignature`, type 0x04).
    pub key: CosignatureVerifier,
}

impl WitnessSpec {
    /// Parses `URL VKEY`: the witness's `http(s)` base URL, one or more spaces, and its verifier
    /// key in C2SP signed-note form (`<name>+<hex hint>+<base64 key>`, as `signet witness`
    /// writes it to `KEY.vkey`). Neither part can hold whitespace, so the split is unambiguous.
    pub fn parse(spec: &str) -> Result<Self, WitnessingError> {
        let bad = |reason: String| WitnessingError::Spec {
            spec: spec.to_string(),
            reason,
        };
        let mut parts = spec.split_whitespace();
        let (Some(url), Some(vkey), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad(
                "expected `URL VKEY`: the witness's URL, a space, and its verifier key".into(),
            ));
        };
        WitnessClient::new(url, &witness_http()).map_err(|e| bad(e.to_string()))?;
        let key = CosignatureVerifier::from_vkey(vkey)
            .map_err(|e| bad(format!("{vkey:?} is not a witness verifier key: {e}")))?;
        Ok(Self {
            url: url.trim_end_matches('/').to_string(),
            key,
        })
    }

    /// Parses every `--witness` value; two of them with the same key name are refused (a
    /// checkpoint can carry one cosignature per name).
    pub fn parse_all(specs: &[String]) -> Result<Vec<Self>, WitnessingError> {
        let mut out: Vec<Self> = Vec::with_capacity(specs.len());
        for s in specs {
            let w = Self::parse(s)?;
            if out
                .iter()
                .any(|o| o.key.cosigner_name() == w.key.cosigner_name())
            {
                return Err(WitnessingError::Spec {
                    spec: s.clone(),
                    reason: format!(
                        "another --witness already has the name {:?}",
                        w.key.cosigner_name()
                    ),
                });
            }
            out.push(w);
        }
        Ok(out)
    }
}

/// The HTTP limits of requests to witnesses.
fn witness_http() -> HttpOptions {
    HttpOptions {
        connect_timeout: WITNESS_TIMEOUT,
        read_timeout: WITNESS_TIMEOUT,
        timeout: WITNESS_TIMEOUT,
        redirects: Redirects::SameHost,
        ..HttpOptions::default()
    }
}

/// What a log's checkpoint endpoint serves.
pub trait CheckpointSource: Send + Sync + 'static {
    /// The signed checkpoint to serve.
    fn checkpoint(&self) -> String;
}

impl<S: LogStore> CheckpointSource for ShardedLog<S> {
    /// The active tree's newest checkpoint.
    fn checkpoint(&self) -> String {
        self.active().log().head().checkpoint.clone()
    }
}

impl<S: LogStore> CheckpointSource for RekorV2Log<S> {
    fn checkpoint(&self) -> String {
        RekorV2Log::checkpoint(self)
    }
}

/// A log whose (active) tree's checkpoints are witnessed.
pub trait WitnessedTree: Send + Sync + 'static {
    /// Its store.
    type Store: LogStore;
    /// The tree whose checkpoints are sent to witnesses.
    fn tree(&self) -> &AppendLog<Self::Store>;
}

impl<S: LogStore> WitnessedTree for ShardedLog<S> {
    type Store = S;
    fn tree(&self) -> &AppendLog<S> {
        self.active().log()
    }
}

impl<S: LogStore> WitnessedTree for RekorV2Log<S> {
    type Store = S;
    fn tree(&self) -> &AppendLog<S> {
        self.log()
    }
}

/// A witness and its client.
struct Target {
    key: CosignatureVerifier,
    client: WitnessClient,
}

/// The published checkpoint: the log's signed note with the cosignatures collected for it.
#[derive(Clone, Debug)]
struct Published {
    size: u64,
    note: SignedNote,
    /// Which witnesses (by index) cosigned it.
    by: Vec<bool>,
}

/// The outcome of one round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    /// The size of the checkpoint published.
    pub size: u64,
    /// How many of the configured witnesses cosigned it.
    pub cosigned: usize,
}

/// Witnessing of one log: its witnesses, its published checkpoint.
pub struct Witnessing<L: WitnessedTree> {
    log: Arc<L>,
    name: String,
    witnesses: Vec<Target>,
    interval: Duration,
    published: RwLock<Option<Arc<Published>>>,
}

impl<L: WitnessedTree> Witnessing<L> {
    /// Witnessing of `log` (named `name` in the server's log lines) by `witnesses`, a round at
    /// most every `interval`. The checkpoint published before a restart is read back from the
    /// tree's store and served again if it still checks out (a checkpoint of this tree, its
    /// cosignatures from configured witnesses); otherwise it is dropped with a warning.
    pub async fn open(
        log: Arc<L>,
        name: &str,
        witnesses: Vec<WitnessSpec>,
        interval: Duration,
    ) -> Result<Self, WitnessingError> {
        Self::open_trusting(log, name, witnesses, interval, &[]).await
    }

    /// [`Witnessing::open`], with the certificate authorities `extra_roots` (DER) trusted for
    /// `https` witnesses besides the system's roots (`--ca-bundle`: witnesses whose
    /// certificates come from a private CA).
    pub async fn open_trusting(
        log: Arc<L>,
        name: &str,
        witnesses: Vec<WitnessSpec>,
        interval: Duration,
        extra_roots: &[Vec<u8>],
    ) -> Result<Self, WitnessingError> {
        let http = HttpOptions {
            extra_roots: extra_roots.to_vec(),
            ..witness_http()
        };
        let witnesses = witnesses
            .into_iter()
            .map(|w| {
                let client =
                    WitnessClient::new(&w.url, &http).map_err(|e| WitnessingError::Spec {
                        spec: w.url.clone(),
                        reason: e.to_string(),
                    })?;
                Ok(Target { key: w.key, client })
            })
            .collect::<Result<Vec<_>, WitnessingError>>()?;
        let me = Self {
            log,
            name: name.to_string(),
            witnesses,
            interval: interval.max(MIN_INTERVAL),
            published: RwLock::new(None),
        };
        match me.log.tree().store().meta(META_WITNESSED).await {
            Ok(Some(note)) => match me.restore(&note).await {
                Ok(p) => me.set(p),
                Err(why) => tracing::warn!(
                    "{}: not serving the witnessed checkpoint kept from before: {why}",
                    me.name
                ),
            },
            Ok(None) => {}
            Err(e) => tracing::warn!("{}: reading the witnessed checkpoint: {e}", me.name),
        }
        Ok(me)
    }

    /// The kept checkpoint `note`, checked against the tree and the configured witnesses.
    async fn restore(&self, note: &str) -> Result<Published, String> {
        let cp = self
            .log
            .tree()
            .check_own_checkpoint(note)
            .await
            .map_err(|e| e.to_string())?;
        let parsed = SignedNote::parse(note).map_err(|e| e.to_string())?;
        let mut kept = SignedNote {
            text: parsed.text.clone(),
            signatures: cp.note().verified_signatures().to_vec(),
        };
        let mut by = vec![false; self.witnesses.len()];
        for (i, w) in self.witnesses.iter().enumerate() {
            let one: [&dyn NoteVerifier; 1] = [&w.key];
            match signet_tlog::verify_note(&parsed, &one) {
                Ok(v) => {
                    kept.signatures
                        .extend(v.verified_signatures().first().cloned());
                    if let Some(b) = by.get_mut(i) {
                        *b = true;
                    }
                }
                Err(signet_tlog::TlogError::NoVerifiedSignature) => {}
                Err(e) => return Err(format!("{}: {e}", w.key.cosigner_name())),
            }
        }
        Ok(Published {
            size: cp.size().0,
            note: kept,
            by,
        })
    }

    fn set(&self, p: Published) {
        let p = Arc::new(p);
        match self.published.write() {
            Ok(mut g) => *g = Some(p),
            Err(poisoned) => *poisoned.into_inner() = Some(p),
        }
    }

    fn current(&self) -> Option<Arc<Published>> {
        match self.published.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The witnessed checkpoint to serve: the last published one with its cosignature lines
    /// after the log's signature, or the log's newest checkpoint before any was published.
    pub fn checkpoint(&self) -> String {
        match self.current() {
            Some(p) => p.note.encode(),
            None => self.log.tree().head().checkpoint.clone(),
        }
    }

    /// Runs rounds in the background for as long as the runtime runs.
    pub fn spawn(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run().await })
    }

    async fn run(self: Arc<Self>) {
        let mut known = vec![0u64; self.witnesses.len()];
        let mut backoff = self.interval;
        let mut retry_at = tokio::time::Instant::now();
        loop {
            // A round starts at least one interval after the previous one ended.
            tokio::time::sleep(self.interval).await;
            let size = self.log.tree().head().size;
            let current = self.current();
            let grew = current.as_ref().map_or(size > 0, |p| size > p.size);
            let complete = current.as_ref().is_some_and(|p| p.by.iter().all(|b| *b));
            if !grew && (complete || tokio::time::Instant::now() < retry_at) {
                continue;
            }
            let Some(round) = self.round(&mut known).await else {
                continue;
            };
            if round.cosigned == self.witnesses.len() {
                backoff = self.interval;
            } else {
                if grew {
                    backoff = self.interval;
                }
                retry_at = tokio::time::Instant::now()
                    .checked_add(backoff)
                    .unwrap_or_else(tokio::time::Instant::now);
                backoff = backoff.saturating_mul(2).min(MAX_RETRY);
            }
        }
    }

    /// One round: sends the log's newest checkpoint to each witness that has not cosigned it
    /// (`known`: the size each witness last cosigned, updated), publishes it with the
    /// cosignatures collected, and keeps it in the store. `None` when there was nothing to do
    /// (an empty tree, or every witness has cosigned the newest checkpoint).
    pub async fn round(&self, known: &mut [u64]) -> Option<Round> {
        let head = self.log.tree().head();
        if head.size == 0 {
            return None;
        }
        let note = match SignedNote::parse(&head.checkpoint) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(
                    "{}: the log's own checkpoint does not parse: {e}",
                    self.name
                );
                return None;
            }
        };
        let (mut note, mut by) = match self.current() {
            // The same tree: keep the cosignatures it has, ask the others.
            Some(p) if p.size == head.size && p.note.text == note.text => {
                (p.note.clone(), p.by.clone())
            }
            _ => (note, vec![false; self.witnesses.len()]),
        };
        if by.iter().all(|b| *b) {
            return None;
        }
        let head_ref = &head;
        let asks = self
            .witnesses
            .iter()
            .zip(by.iter())
            .zip(known.iter())
            .enumerate()
            .filter(|(_, ((_, done), _))| !**done)
            .map(|(i, ((w, _), old))| async move { (i, self.submit(w, *old, head_ref).await) });
        let answers = futures_util::future::join_all(asks).await;
        let mut sigs: Vec<(usize, NoteSignature)> = Vec::new();
        for (i, (size, answer)) in answers {
            if let Some(k) = known.get_mut(i) {
                *k = size;
            }
            let name = self
                .witnesses
                .get(i)
                .map(|w| w.key.cosigner_name())
                .unwrap_or_default();
            match answer {
                Ok(sig) => sigs.push((i, sig)),
                Err(why) => tracing::warn!(
                    "{}: witness {name} did not cosign the checkpoint of size {}: {why}",
                    self.name,
                    head.size
                ),
            }
        }
        for (i, sig) in sigs {
            note.signatures.push(sig);
            if let Some(b) = by.get_mut(i) {
                *b = true;
            }
        }
        let cosigned = by.iter().filter(|b| **b).count();
        let text = note.encode();
        self.set(Published {
            size: head.size,
            note,
            by,
        });
        if let Err(e) = self
            .log
            .tree()
            .store()
            .set_meta(META_WITNESSED, &text)
            .await
        {
            tracing::warn!("{}: keeping the witnessed checkpoint: {e}", self.name);
        }
        Some(Round {
            size: head.size,
            cosigned,
        })
    }

    /// Asks `w` to cosign `head`, from `old` (the size it last cosigned, as far as the log
    /// knows), following `409` answers that name another size. Returns the size the witness is
    /// now known to have cosigned, and its verified cosignature or why there is none.
    async fn submit(
        &self,
        w: &Target,
        mut old: u64,
        head: &Head,
    ) -> (u64, Result<NoteSignature, String>) {
        let text = match SignedNote::parse(&head.checkpoint) {
            Ok(n) => n.text,
            Err(e) => return (old, Err(e.to_string())),
        };
        for _ in 0..=MAX_RESYNCS {
            if old > head.size {
                return (
                    old,
                    Err(format!(
                        "it has cosigned a tree of {old} entries, larger than the log's {}: \
                         it follows another log under the same name, or this log lost entries",
                        head.size
                    )),
                );
            }
            let proof = if old == 0 || old == head.size {
                Vec::new()
            } else {
                match self.log.tree().consistency_proof(old, head.size).await {
                    Ok((p, _)) => p,
                    Err(e) => return (old, Err(format!("consistency proof from {old}: {e}"))),
                }
            };
            let body = AddCheckpoint {
                old_size: old,
                proof,
                checkpoint: head.checkpoint.clone(),
            }
            .encode();
            match w.client.add_checkpoint(body).await {
                Ok(WitnessAnswer::Cosigned(answer)) => {
                    return match signet_tlog::witness_cosignature(&answer, &text, &w.key) {
                        Ok(sig) => (head.size, Ok(sig)),
                        Err(e) => (
                            old,
                            Err(format!(
                                "its answer holds no valid cosignature by {}: {e}",
                                w.key.vkey()
                            )),
                        ),
                    };
                }
                Ok(WitnessAnswer::Conflict(size)) if size != old => {
                    tracing::info!(
                        "{}: witness {} has cosigned size {size}, not {old}: resending from there",
                        self.name,
                        w.key.cosigner_name()
                    );
                    old = size;
                }
                Ok(WitnessAnswer::Conflict(size)) => {
                    return (old, Err(format!("409 for old size {size}, its own size")));
                }
                Ok(WitnessAnswer::Refused { status, message }) => {
                    return (
                        old,
                        Err(format!("{} answered {status}: {message}", w.client.url())),
                    );
                }
                Err(e) => return (old, Err(e.to_string())),
            }
        }
        (old, Err("its size kept changing".into()))
    }
}

impl<L: WitnessedTree> CheckpointSource for Witnessing<L> {
    fn checkpoint(&self) -> String {
        Witnessing::checkpoint(self)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const VKEY: &str = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";

    #[test]
    fn witness_specs_parse_url_then_vkey() {
        let w = WitnessSpec::parse(&format!("https://w.example/witness/ {VKEY}")).unwrap();
        assert_eq!(w.url, "https://w.example/witness");
        assert_eq!(w.key.vkey(), VKEY);
        let w = WitnessSpec::parse(&format!("  http://127.0.0.1:3030   {VKEY} ")).unwrap();
        assert_eq!(w.url, "http://127.0.0.1:3030");
        let err = |s: &str| WitnessSpec::parse(s).unwrap_err().to_string();
        // Missing or extra parts.
        assert!(err("").contains("expected `URL VKEY`"));
        assert!(err("http://w.example").contains("expected `URL VKEY`"));
        assert!(err(&format!("http://w.example {VKEY} x")).contains("expected `URL VKEY`"));
        // The order matters: a vkey is not a URL.
        assert!(err(&format!("{VKEY} http://w.example")).contains("witness URL"));
        // Not http(s), no host, a query or fragment.
        for url in [
            "ftp://w.example",
            "w.example",
            "http://w.example/?a=b",
            "http://w.example/#x",
        ] {
            let e = err(&format!("{url} {VKEY}"));
            assert!(e.contains("witness URL"), "{url}: {e}");
        }
        // A bad vkey: wrong hint, a note (type 0x01) key, not base64, no parts.
        for vkey in [
            "remora.n621.de+da77ade8+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
            "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6",
            "remora.n621.de+da77ade7+!!!",
            "remora.n621.de",
        ] {
            let e = err(&format!("http://w.example {vkey}"));
            assert!(e.contains("is not a witness verifier key"), "{vkey}: {e}");
            assert!(e.starts_with("--witness "), "{e}");
        }
    }

    #[test]
    fn two_witnesses_with_one_name_are_refused() {
        let a = format!("http://a.example {VKEY}");
        let b = format!("http://b.example {VKEY}");
        assert_eq!(
            WitnessSpec::parse_all(std::slice::from_ref(&a))
                .unwrap()
                .len(),
            1
        );
        let e = WitnessSpec::parse_all(&[a, b]).unwrap_err().to_string();
        assert!(e.contains("already has the name"), "{e}");
    }
}
