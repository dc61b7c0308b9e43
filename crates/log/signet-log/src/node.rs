//! Many nodes on one PostgreSQL database: per log, one coordinator task on every node.
//!
//! * The lease: every [`RENEW`] the coordinator renews the lease it holds, or tries to take an
//!   expired one ([`PgStore::acquire_lease`]: a takeover bumps the tree's epoch). The database's
//!   clock is the only clock leases use.
//! * The leader runs a [`Sequencer`](crate::sequencer) started from the tree as stored (size,
//!   frontier, hash cache read at takeover). Every batch it commits is fenced by its epoch and
//!   the size it started from ([`PgStore::append_fenced`]); a refused batch stops it (the node
//!   steps down) and its writers hand their entries to the database's queue. It also drains the
//!   `pending` queue: entries written at other nodes.
//! * A follower serves reads at the head it read from the database (the signed checkpoint
//!   stored with the size, its root checked against the stored hashes before it is served),
//!   refreshed on each NOTIFY of the tree's channel and every [`TICK`]; writes there go through the
//!   node's [`outbox`]: queued in `pending` in batches, and answered once they are
//!   integrated (one query per published head finds every waiting entry it holds).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use signet_tlog::{Checkpoint, Frontier, SignedNote};
use signet_types::{Sha256Hash, TreeSize};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

use crate::LogError;
use crate::log::Parts;
use crate::pg::{LEASE, PgStore, RENEW};
use crate::sequencer::{Committed, Head, Job, LeafEntry, MAX_BATCH, QUEUE, sign_head};
use crate::store::LogStore;
use crate::tree::with_tree;

/// How often a follower reads the published head and the leader drains the queue of entries
/// written at other nodes (also how often a waiting writer looks for its entry without news).
pub const TICK: Duration = Duration::from_millis(25);

/// How long a write queued for another node's sequencer waits to be integrated before it is
/// answered 503 (it stays queued: a later leader may still integrate it). Longer than a
/// takeover (at most [`LEASE`] + [`RENEW`] after a leader dies).
pub const WAIT: Duration = Duration::from_secs(20);

type Reply = oneshot::Receiver<Result<Committed, LogError>>;

/// The coordinator of one log on this node; ends when `stop`'s sender is dropped (the log is
/// closed), giving up the lease if it holds it. Sent to ([`AppendLog::release_lease`]), it
/// steps down for good (a node shutting down): gives up the lease, never takes it again,
/// notifies `retired` and goes on as a follower.
pub(crate) async fn coordinate<S: LogStore>(
    parts: Arc<Parts<S>>,
    mut stop: watch::Receiver<()>,
    retired: Arc<tokio::sync::Notify>,
) {
    let Some(pg) = parts.store.as_pg() else {
        return;
    };
    let mut leading: Option<(i64, tokio::task::JoinHandle<()>)> = None;
    let mut renewed = Instant::now();
    let mut lease_due = Instant::now();
    let mut drained: HashMap<Sha256Hash, Reply> = HashMap::new();
    let mut retiring = false;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Integrations and queued entries are announced on the tree's channel: the coordinator
    // wakes on them at once, and polls every TICK whatever happens to the listening connection.
    // A released lease is announced too: a follower then tries to take it at once.
    let wake = Arc::new(tokio::sync::Notify::new());
    let released = Arc::new(tokio::sync::Notify::new());
    let listener = {
        let (pg, wake, released) = (pg.clone(), wake.clone(), released.clone());
        tokio::spawn(async move {
            loop {
                if let Err(e) = pg.listen(wake.clone(), released.clone()).await {
                    tracing::debug!("listening for log {}: {e}", pg.name());
                }
                tokio::time::sleep(RENEW).await;
            }
        })
    };
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = wake.notified() => {}
            _ = released.notified() => if leading.is_none() { lease_due = Instant::now() },
            r = stop.changed() => {
                if r.is_err() {
                    break;
                }
                retiring = true;
                step_down(&parts, &mut leading, "this node is stopping").await;
                drained.clear();
                retired.notify_one();
            }
        }
        if let Some((_, task)) = &leading
            && task.is_finished()
        {
            step_down(&parts, &mut leading, "its sequencer stopped (fenced)").await;
            drained.clear();
        }
        if Instant::now() >= lease_due {
            lease_due = Instant::now().checked_add(RENEW).unwrap_or(lease_due);
            let frozen = parts.frozen.load(std::sync::atomic::Ordering::SeqCst);
            match &leading {
                // An inactive shard takes no entries: no sequencer to run.
                Some(_) if frozen => {
                    step_down(&parts, &mut leading, "the tree is an inactive shard").await;
                    drained.clear();
                }
                Some((epoch, _)) => match pg.renew_lease(*epoch).await {
                    Ok(true) => renewed = Instant::now(),
                    Ok(false) => {
                        step_down(&parts, &mut leading, "another node took the lease").await;
                        drained.clear();
                    }
                    // The fence keeps a leader that cannot renew harmless; it gives up once
                    // its lease must have expired.
                    Err(e) if renewed.elapsed() >= LEASE => {
                        step_down(
                            &parts,
                            &mut leading,
                            &format!("cannot renew the lease: {e}"),
                        )
                        .await;
                        drained.clear();
                    }
                    Err(e) => tracing::warn!("renewing the lease of {}: {e}", pg.name()),
                },
                None if !frozen && !retiring => match pg.acquire_lease().await {
                    Ok(Some(epoch)) => match take_over(&parts, pg, epoch).await {
                        Ok(task) => {
                            renewed = Instant::now();
                            leading = Some((epoch, task));
                        }
                        Err(e) => {
                            tracing::error!("taking over {} failed: {e}", pg.name());
                            let _ = pg.release_lease(epoch).await;
                        }
                    },
                    Ok(None) => {}
                    Err(e) => tracing::warn!("lease of {}: {e}", pg.name()),
                },
                None => {}
            }
        }
        let r = if leading.is_some() {
            drain(&parts, pg, &mut drained).await
        } else {
            refresh(&parts, pg).await
        };
        if let Err(e) = r {
            tracing::warn!("log {}: {e}", pg.name());
        }
    }
    listener.abort();
    if let Some((epoch, task)) = leading.take() {
        if let Ok(mut q) = parts.queue.write() {
            *q = None;
        }
        let _ = task.await;
        let _ = pg.release_lease(epoch).await;
    }
}

/// Stops leading: closes the sequencer's queue and gives up the lease (when it is still this
/// node's), so another node need not wait for it to expire.
async fn step_down<S: LogStore>(
    parts: &Parts<S>,
    leading: &mut Option<(i64, tokio::task::JoinHandle<()>)>,
    why: &str,
) {
    if let Some((epoch, _)) = leading.take() {
        // Closing the queue ends the sequencer once its batches are settled (a batch committed
        // after another node took over is refused by the fence).
        if let Ok(mut q) = parts.queue.write() {
            *q = None;
        }
        if let Some(pg) = parts.store.as_pg() {
            tracing::warn!(
                "stepped down as leader of {} (epoch {epoch}): {why}",
                pg.name()
            );
            // (A batch still in flight is refused by the fence once another node took over.)
            if let Err(e) = pg.release_lease(epoch).await {
                tracing::debug!("releasing the lease of {}: {e}", pg.name());
            }
        }
    }
}

/// Starts a sequencer from the tree as stored, fenced by `epoch`.
async fn take_over<S: LogStore>(
    parts: &Parts<S>,
    pg: &PgStore,
    epoch: i64,
) -> Result<tokio::task::JoinHandle<()>, LogError> {
    // Under the lease nobody else commits: the stored tree is the one to continue.
    let size = pg.size().await?;
    let idx: Vec<u64> = Frontier::stored_indexes(TreeSize(size))
        .iter()
        .map(|i| i.0)
        .collect();
    let frontier = Frontier::from_hashes(TreeSize(size), pg.read_hashes(&idx).await?)?;
    parts.cache.grow_to(size).await?;
    let head = sign_head(
        parts.note_signer.as_ref(),
        &parts.origin,
        size,
        frontier.root(),
    )?;
    parts.publish(Arc::new(head));
    let (tx, rx) = mpsc::channel(QUEUE);
    let task = tokio::spawn(parts.sequencer(size, frontier, Some(epoch)).run(rx));
    if let Ok(mut q) = parts.queue.write() {
        *q = Some(tx);
    }
    tracing::info!(
        "became leader of {} at epoch {epoch} (node {}, tree size {size})",
        pg.name(),
        pg.node_id()
    );
    Ok(task)
}

/// A follower's head: the checkpoint the leader stored with the tree's size, served once its
/// root is the stored hashes' root at that size.
async fn refresh<S: LogStore>(parts: &Parts<S>, pg: &PgStore) -> Result<(), LogError> {
    let (size, checkpoint) = pg.published().await?;
    if size <= parts.head().size {
        return Ok(());
    }
    let Some(checkpoint) = checkpoint else {
        return Ok(());
    };
    let note = SignedNote::parse(&checkpoint)?;
    let cp = Checkpoint::parse(&note.text)?;
    if cp.size.0 != size {
        return Err(LogError::Storage(format!(
            "the stored checkpoint has {} entries, the tree {size}",
            cp.size.0
        )));
    }
    parts.cache.grow_to(size).await?;
    let root = with_tree(parts.cache.as_ref(), |t| t.root(TreeSize(size))).await?;
    if root != cp.root_hash {
        return Err(LogError::Storage(format!(
            "the stored checkpoint's root at size {size} is not the stored tree's"
        )));
    }
    parts.publish(Arc::new(Head {
        size,
        root,
        checkpoint,
    }));
    Ok(())
}

/// The leader takes entries queued at other nodes into its sequencer (each once while it is
/// in flight; the commit deletes them from the queue).
async fn drain<S: LogStore>(
    parts: &Parts<S>,
    pg: &PgStore,
    drained: &mut HashMap<Sha256Hash, Reply>,
) -> Result<(), LogError> {
    let mut duplicates = false;
    drained.retain(|_, rx| match rx.try_recv() {
        Err(oneshot::error::TryRecvError::Empty) => true,
        Ok(Err(LogError::Duplicate { .. })) => {
            duplicates = true;
            false
        }
        _ => false,
    });
    if duplicates {
        pg.drop_integrated_pending().await?;
    }
    if drained.len() >= MAX_BATCH {
        return Ok(());
    }
    let queue = parts.queue.read().ok().and_then(|q| q.clone());
    let Some(queue) = queue else {
        return Ok(());
    };
    // The queue's leaves first (no bodies), then the bodies of those not yet in flight: the
    // in-flight ones stay queued until their batch commits, and are not read again.
    let fresh: Vec<Sha256Hash> = pg
        .pending_leaves(MAX_BATCH)
        .await?
        .into_iter()
        .filter(|l| !drained.contains_key(l))
        .take(MAX_BATCH.saturating_sub(drained.len()))
        .collect();
    for entry in pg.pending(&fresh).await? {
        let leaf = entry.leaf_hash;
        let (reply, rx) = oneshot::channel();
        if queue.try_send(Job { entry, reply }).is_err() {
            break;
        }
        drained.insert(leaf, rx);
    }
    Ok(())
}

/// A write waiting in this node's outbox for another node's sequencer.
pub(crate) struct Waiter {
    pub(crate) entry: LeafEntry,
    pub(crate) reply: oneshot::Sender<Result<Committed, LogError>>,
}

/// The outbox of one log on this node: writes at a node that is not (or no longer) the
/// sequencer are queued in the database, a batch of them in one statement, and each is
/// answered once the leader integrated it, from a head that holds it: one query per head this
/// node publishes finds every waiting entry that head holds. A leaf already in the log, or
/// already queued by another writer, is a [`LogError::Duplicate`]; one not integrated within
/// [`WAIT`] is answered [`LogError::Unavailable`] (it stays queued). Ends when every sender is
/// dropped (the log is closed).
pub(crate) async fn outbox<S: LogStore>(parts: Arc<Parts<S>>, mut rx: mpsc::Receiver<Waiter>) {
    let Some(pg) = parts.store.as_pg() else {
        return;
    };
    let duplicate = |leaf: &Sha256Hash| LogError::Duplicate {
        entry_id: signet_rekor::entry_id(parts.tree_id, &leaf.to_hex()),
    };
    let mut heads = parts.recorder.subscribe();
    let mut waiting = Waiting::new();
    let mut tick = tokio::time::interval(TICK.saturating_mul(4));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut open = true;
    // Batches being queued, a few at once: writers arriving meanwhile form the next batch, and
    // waiting writers are answered meanwhile.
    let mut sending: JoinSet<Sent> = JoinSet::new();
    while open || !waiting.is_empty() || !sending.is_empty() {
        tokio::select! {
            w = rx.recv(), if open && sending.len() < MAX_SENDING && waiting.len() < MAX_WAITING => {
                let Some(first) = w else {
                    open = false;
                    continue;
                };
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(w) => batch.push(w),
                        Err(_) => break,
                    }
                }
                // A leaf waiting here, or twice in the batch, is a duplicate; one in a batch
                // still being queued is found so by the database's unique constraint.
                let mut fresh = Vec::with_capacity(batch.len());
                let mut seen = std::collections::HashSet::with_capacity(batch.len());
                for w in batch {
                    let leaf = w.entry.leaf_hash;
                    if waiting.contains_key(&leaf) || !seen.insert(leaf) {
                        let _ = w.reply.send(Err(duplicate(&leaf)));
                    } else {
                        fresh.push(w);
                    }
                }
                let pg = pg.clone();
                sending.spawn(async move {
                    let entries: Vec<&LeafEntry> = fresh.iter().map(|w| &w.entry).collect();
                    let queued = pg.enqueue(&entries).await;
                    drop(entries);
                    (fresh, queued)
                });
                continue;
            }
            Some(sent) = sending.join_next(), if !sending.is_empty() => {
                match sent {
                    Ok((fresh, Ok(queued))) => {
                        let queued: std::collections::HashSet<Sha256Hash> =
                            queued.into_iter().collect();
                        let now = Instant::now();
                        for w in fresh {
                            let leaf = w.entry.leaf_hash;
                            if queued.contains(&leaf) {
                                waiting.insert(leaf, (w.reply, now));
                            } else {
                                let _ = w.reply.send(Err(duplicate(&leaf)));
                            }
                        }
                    }
                    Ok((fresh, Err(e))) => {
                        for w in fresh {
                            let _ = w.reply.send(Err(e.clone()));
                        }
                    }
                    // Its writers' answers are dropped with it: each is told the request was
                    // dropped.
                    Err(e) => tracing::error!("log {}: queueing entries: {e}", pg.name()),
                }
                continue;
            }
            r = heads.changed(), if !waiting.is_empty() => if r.is_err() {
                break;
            },
            _ = tick.tick() => {}
        }
        heads.mark_unchanged();
        if let Err(e) = answer(&parts, pg, &mut waiting).await {
            tracing::warn!("log {}: looking for queued entries: {e}", pg.name());
        }
    }
    for (_, (reply, _)) in waiting.drain() {
        let _ = reply.send(Err(LogError::Unavailable("the log was closed".into())));
    }
}

/// Writers waiting in the outbox: where to answer each, and since when.
type Waiting = HashMap<Sha256Hash, (oneshot::Sender<Result<Committed, LogError>>, Instant)>;

/// A batch the outbox queued: its writers, and the leaves queued (or why none was).
type Sent = (Vec<Waiter>, Result<Vec<Sha256Hash>, LogError>);

/// Batches of one outbox being queued at once.
const MAX_SENDING: usize = 4;

/// Entries waiting in one node's outbox at most (a full outbox pushes back on its writers).
const MAX_WAITING: usize = crate::sequencer::QUEUE;

/// Answers the waiting writers whose entry the served head holds; gives up on those that
/// waited [`WAIT`].
async fn answer<S: LogStore>(
    parts: &Parts<S>,
    pg: &PgStore,
    waiting: &mut Waiting,
) -> Result<(), LogError> {
    waiting.retain(|_, (reply, _)| !reply.is_closed());
    let head = parts.head();
    let leaves: Vec<Sha256Hash> = waiting.keys().copied().collect();
    for chunk in leaves.chunks(MAX_BATCH) {
        for (leaf, index, integrated_time, signature) in pg.integrated(chunk, head.size).await? {
            if let Some((reply, _)) = waiting.remove(&leaf) {
                let _ = reply.send(Ok(Committed {
                    index,
                    integrated_time,
                    signature,
                    head: head.clone(),
                }));
            }
        }
    }
    let late: Vec<Sha256Hash> = waiting
        .iter()
        .filter(|(_, (_, since))| since.elapsed() >= WAIT)
        .map(|(l, _)| *l)
        .collect();
    for leaf in late {
        if let Some((reply, _)) = waiting.remove(&leaf) {
            let _ = reply.send(Err(LogError::Unavailable(format!(
                "the entry was queued for the log's sequencer (log {}) but not integrated within \
                 {} s; no node may hold the log's lease. It stays queued: retry later (a retry \
                 answers 409 once it is in the log)",
                pg.name(),
                WAIT.as_secs()
            ))));
        }
    }
    Ok(())
}
