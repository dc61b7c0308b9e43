//! The PostgreSQL backend: every log of an instance in one database, each under its own name.
//!
//! Schema (applied on connect by numbered migrations recorded in `signet_schema`; a binary
//! refuses a database whose schema is newer than it knows):
//! * `trees` — one row per log: its name, its committed size and the signed checkpoint of that
//!   size (written in the same transaction), and the sequencer's lease: `leader` (a node id),
//!   `epoch` (bumped by every takeover) and `lease_until` (the database's clock, the only clock
//!   leases use). Every append of a multi-node sequencer is fenced by
//!   `UPDATE trees … WHERE epoch = $mine AND size = $old` in its transaction ([`PgStore::append_fenced`]).
//! * `pending` — entries written at a node that is not the sequencer, waiting to be integrated
//!   (unique per tree and leaf hash); the sequencer deletes them in the transaction that
//!   integrates them.
//! * `meta`, `entries`, `hashes`, `search_keys` — as the SQLite store's, keyed by the tree's id.
//!
//! An append is one transaction: entries (one batched `INSERT … SELECT FROM UNNEST`), search
//! keys, stored hashes and the new size. Duplicates are found by the unique constraint on
//! `(tree, uuid)`: `ON CONFLICT DO NOTHING RETURNING uuid` answers which leaves were inserted;
//! if any was not, the transaction is rolled back and every such leaf is reported.
//! `synchronous_commit` is left on, so a commit is durable before `append` returns.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use signet_types::Sha256Hash;
use tokio_postgres::Row;

use crate::pg_tls::Connection;

use crate::LogError;
use crate::sequencer::LeafEntry;
use crate::store::{
    LogStore, NewEntry, PageQuery, PageStart, Paged, SearchPage, StoredEntry, as_i64,
    distinct_keys, hash_of, search_key,
};

/// The schema migrations, in order: migration `n` (1-based) brings the schema to version `n`.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE trees (
        id BIGSERIAL PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        size BIGINT NOT NULL DEFAULT 0 CHECK (size >= 0)
    );
    CREATE TABLE meta (
        tree BIGINT NOT NULL REFERENCES trees (id),
        k TEXT NOT NULL,
        v TEXT NOT NULL,
        PRIMARY KEY (tree, k)
    );
    CREATE TABLE entries (
        tree BIGINT NOT NULL REFERENCES trees (id),
        idx BIGINT NOT NULL,
        uuid BYTEA NOT NULL,
        body BYTEA NOT NULL,
        integrated_time BIGINT NOT NULL,
        sets BYTEA NOT NULL,
        PRIMARY KEY (tree, idx),
        UNIQUE (tree, uuid)
    );
    CREATE TABLE hashes (
        tree BIGINT NOT NULL REFERENCES trees (id),
        idx BIGINT NOT NULL,
        h BYTEA NOT NULL,
        PRIMARY KEY (tree, idx)
    );
    CREATE TABLE search_keys (
        tree BIGINT NOT NULL REFERENCES trees (id),
        k BYTEA NOT NULL,
        uuid BYTEA NOT NULL
    );
    CREATE INDEX search_keys_k ON search_keys (tree, k);
",
    "
    ALTER TABLE trees
        ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0,
        ADD COLUMN leader TEXT,
        ADD COLUMN lease_until TIMESTAMPTZ,
        ADD COLUMN checkpoint TEXT;
    CREATE TABLE pending (
        seq BIGSERIAL PRIMARY KEY,
        tree BIGINT NOT NULL REFERENCES trees (id),
        uuid BYTEA NOT NULL,
        body BYTEA NOT NULL,
        keys TEXT[] NOT NULL,
        UNIQUE (tree, uuid)
    );
",
    // Search pages: the matches of one key in leaf-hash order straight from the index (an
    // index-only range scan with LIMIT/OFFSET); it serves the plain lookup by (tree, k) too.
    "
    CREATE INDEX search_keys_k_uuid ON search_keys (tree, k, uuid);
    DROP INDEX search_keys_k;
",
    // No foreign key from the per-entry tables to `trees`: each checked row locked the tree's
    // row (FOR KEY SHARE), whose every batch and lease renewal leaves a dead version the check
    // walks past; 5 such checks per append cost a third of the 1-node append rate (measured:
    // 256 clients, 4,053 -> 5,865 appends/s). The tree ids are written by signet only, from
    // the row it read by name, and a tree is never deleted. The leader drains the queue of
    // its tree in arrival order, from an index.
    "
    ALTER TABLE entries DROP CONSTRAINT IF EXISTS entries_tree_fkey;
    ALTER TABLE hashes DROP CONSTRAINT IF EXISTS hashes_tree_fkey;
    ALTER TABLE search_keys DROP CONSTRAINT IF EXISTS search_keys_tree_fkey;
    ALTER TABLE pending DROP CONSTRAINT IF EXISTS pending_tree_fkey;
    CREATE INDEX pending_tree_seq ON pending (tree, seq);
",
];

/// How long a sequencer's lease lasts without renewal (the database's clock).
pub const LEASE: Duration = Duration::from_secs(3);
/// How often the holder renews its lease and a follower tries to take an expired one.
pub const RENEW: Duration = Duration::from_secs(1);

/// The payload of the notification on a tree's channel that its leader gave up the lease.
const RELEASED: &str = "released";

/// The schema version this binary writes and reads.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Serialises concurrent migrations (two nodes starting at once): a transaction-scoped advisory
/// lock under this key.
const MIGRATION_LOCK: i64 = 0x7369_676e_6574; // "signet"

/// At most this many rows are read by one call (indexes asked for, entry bodies, search
/// results): a bigger request is refused rather than loaded into memory.
pub const MAX_ROWS_READ: usize = 65_536;
/// Search results are capped as the SQLite store caps them.
const MAX_SEARCH: i64 = 10_000;
/// Connections per database pool.
const POOL_SIZE: usize = 16;

/// One PostgreSQL database holding the logs of an instance (a pool of connections to it).
#[derive(Clone)]
pub struct PgDatabase {
    pool: Pool,
    /// The connection settings, for the LISTEN connections of the logs' coordinators.
    cfg: Arc<Connection>,
    /// This node's name in leases (`trees.leader`).
    node: Arc<str>,
    /// `host:port/dbname` (never the password), for messages.
    target: String,
    /// A read replica (see [`PgDatabase::with_replica`]).
    replica: Option<Pool>,
}

impl std::fmt::Debug for PgDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgDatabase({})", self.target)
    }
}

fn describe(cfg: &tokio_postgres::Config) -> String {
    let host = cfg
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(s) => s.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", cfg.get_dbname().unwrap_or("(default)"))
}

/// A one-line description of a driver error, with the server's message when there is one.
pub(crate) fn pg_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(c) = src {
                let m = c.to_string();
                if !s.contains(&m) {
                    s.push_str(": ");
                    s.push_str(&m);
                }
                src = c.source();
            }
            s
        }
    }
}

impl From<tokio_postgres::Error> for LogError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Storage(pg_error(&e))
    }
}

impl From<deadpool_postgres::PoolError> for LogError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => Self::Storage(pg_error(&e)),
            e => Self::Storage(e.to_string()),
        }
    }
}

/// The connection settings of a PostgreSQL URL (with its TLS: [`crate::pg_tls`]).
fn parse_url(url: &str) -> Result<Connection, LogError> {
    crate::pg_tls::parse(url, "PostgreSQL URL")
}

impl PgDatabase {
    /// Connects to `url` (`postgres://user:password@host:port/dbname`, or the key=value form),
    /// checks the connection works and applies the schema migrations this binary knows. A
    /// database whose schema is newer is [`LogError::Refused`].
    pub async fn connect(url: &str) -> Result<Self, LogError> {
        let (pool, target, cfg) = pool_for(parse_url(url)?)?;
        let db = Self {
            pool,
            cfg,
            node: default_node_id().into(),
            target,
            replica: None,
        };
        db.migrate().await.map_err(|e| match e {
            LogError::Storage(m) => LogError::Storage(format!("PostgreSQL at {}: {m}", db.target)),
            e => e,
        })?;
        Ok(db)
    }

    /// Serves reads of entries, stored hashes and search keys from the database at `url`, a
    /// replica of this one (PostgreSQL streaming replication, or any copy of it), when it has
    /// them: a read the replica cannot answer (it lags behind, or fails) goes to this, the
    /// primary, so no reader waits for the replica nor is served less than the primary holds.
    /// Sizes, metadata and the duplicate checks of appends always come from the primary. The
    /// replica is only read: its schema must be this binary's.
    pub async fn with_replica(mut self, url: &str) -> Result<Self, LogError> {
        let cfg = crate::pg_tls::parse(url, "PostgreSQL replica URL")?;
        let (pool, target, _) = pool_for(cfg)?;
        let version = async {
            let client = pool.get().await?;
            let v: Option<i32> = client
                .query_one("SELECT max(version) FROM signet_schema", &[])
                .await?
                .try_get(0)?;
            Ok::<_, LogError>(v.unwrap_or(0))
        }
        .await
        .map_err(|e| match e {
            LogError::Storage(m) => {
                LogError::Storage(format!("PostgreSQL replica at {target}: {m}"))
            }
            e => e,
        })?;
        if version != SCHEMA_VERSION {
            return Err(LogError::Refused(format!(
                "the replica {target} has schema version {version}, this signet and the \
                 primary {} have {SCHEMA_VERSION}: is it a replica of the primary?",
                self.target
            )));
        }
        self.replica = Some(pool);
        Ok(self)
    }
}

/// A pool of connections to the database `cfg` names, its `host:port/dbname`, and the
/// connection settings (for the LISTEN connections of the logs' coordinators).
type Connections = (Pool, String, Arc<Connection>);

/// The connections to the database `conn` names.
fn pool_for(mut conn: Connection) -> Result<Connections, LogError> {
    {
        let cfg = &mut conn.cfg;
        if cfg.get_connect_timeout().is_none() {
            cfg.connect_timeout(Duration::from_secs(10));
        }
        // A node frozen (SIGSTOP) or cut off inside a transaction must not hold the tree's row
        // lock for ever: the server ends such a session after one lease, so a new leader can
        // take over (and the frozen node's commit then fails).
        let mut opts = cfg.get_options().unwrap_or_default().to_string();
        opts.push_str(&format!(
            " -c idle_in_transaction_session_timeout={}",
            LEASE.as_millis()
        ));
        // Every statement is planned for its parameters: a plan cached while a table was small
        // (a new log) would otherwise stay a sequential scan until the next ANALYZE; measured:
        // the append's duplicate lookup took 3 ms per batch at 20,000 entries, 0.05 ms so.
        opts.push_str(" -c plan_cache_mode=force_custom_plan");
        cfg.options(opts.trim());
        let target = describe(cfg);
        let shared_cfg = Arc::new(conn.clone());
        let mgr = Manager::from_config(
            conn.cfg,
            conn.tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(mgr)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(15)))
            .build()
            .map_err(|e| LogError::Internal(e.to_string()))?;
        Ok((pool, target, shared_cfg))
    }
}

impl PgDatabase {
    /// Checks that `url` is a PostgreSQL URL [`PgDatabase::connect`] accepts, without
    /// connecting.
    pub fn check_url(url: &str) -> Result<(), LogError> {
        parse_url(url).map(drop)
    }

    /// `host:port/dbname`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The connection pool (for the migration's own transaction).
    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The same database, this node named `node` in the sequencer leases (`signet server
    /// --node-id`; by default the host name, process id and a random suffix).
    pub fn with_node_id(mut self, node: &str) -> Self {
        self.node = node.into();
        self
    }

    /// This node's name in the sequencer leases.
    pub fn node_id(&self) -> &str {
        &self.node
    }

    async fn migrate(&self) -> Result<(), LogError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        // (No NOTICE "already exists" on every start: it would be logged as a line of output.)
        tx.batch_execute(
            "SET LOCAL client_min_messages = warning; \
             CREATE TABLE IF NOT EXISTS signet_schema (version INTEGER NOT NULL)",
        )
        .await?;
        let current: Option<i32> = tx
            .query_one("SELECT max(version) FROM signet_schema", &[])
            .await?
            .try_get(0)?;
        let current = current.unwrap_or(0);
        if current > SCHEMA_VERSION {
            return Err(LogError::Refused(format!(
                "the database {} has schema version {current}, newer than this signet knows \
                 (version {SCHEMA_VERSION}): run a newer signet",
                self.target
            )));
        }
        for (n, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
            let version = i32::try_from(n)
                .ok()
                .and_then(|n| n.checked_add(1))
                .ok_or_else(|| LogError::Internal("too many migrations".into()))?;
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO signet_schema (version) VALUES ($1)",
                &[&version],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The store of the log named `name` (created empty on first use).
    pub async fn store(&self, name: &str) -> Result<PgStore, LogError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO trees (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                &[&name],
            )
            .await?;
        let id: i64 = client
            .query_one("SELECT id FROM trees WHERE name = $1", &[&name])
            .await?
            .try_get(0)?;
        // The same log in the replica, when it has it yet (else every read is the primary's).
        let replica = match &self.replica {
            None => None,
            Some(pool) => {
                let row = match pool.get().await {
                    Ok(c) => c
                        .query_opt("SELECT id FROM trees WHERE name = $1", &[&name])
                        .await
                        .ok()
                        .flatten(),
                    Err(_) => None,
                };
                match row.map(|r| r.try_get::<_, i64>(0)) {
                    Some(Ok(tree)) => Some((pool.clone(), tree)),
                    _ => None,
                }
            }
        };
        Ok(PgStore {
            pool: self.pool.clone(),
            cfg: self.cfg.clone(),
            tree: id,
            name: name.into(),
            node: self.node.clone(),
            replica,
        })
    }

    /// Names of the logs the database holds, sorted.
    pub async fn names(&self) -> Result<Vec<String>, LogError> {
        let client = self.pool.get().await?;
        let rows = client
            .query("SELECT name FROM trees ORDER BY name LIMIT 10000", &[])
            .await?;
        rows.iter()
            .map(|r| r.try_get(0).map_err(LogError::from))
            .collect()
    }
}

/// One log's storage in a [`PgDatabase`].
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    cfg: Arc<Connection>,
    tree: i64,
    name: Arc<str>,
    node: Arc<str>,
    /// The same log in a read replica: entries, stored hashes and search keys are read there
    /// first (see [`PgDatabase::with_replica`]).
    replica: Option<(Pool, i64)>,
}

fn lease_secs() -> f64 {
    LEASE.as_secs_f64()
}

/// `<host>-<pid>-<random>`: unique per process, readable in `trees.leader`.
fn default_node_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    format!(
        "{host}-{}-{:04x}",
        std::process::id(),
        rand::random::<u16>()
    )
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgStore(tree {})", self.tree)
    }
}

fn to_entry(r: &Row) -> Result<StoredEntry, LogError> {
    let idx: i64 = r.try_get(0)?;
    let uuid: &[u8] = r.try_get(1)?;
    Ok(StoredEntry {
        index: u64::try_from(idx).map_err(|_| LogError::Storage("negative index".into()))?,
        uuid: hash_of(uuid)?,
        body: r.try_get(2)?,
        integrated_time: r.try_get(3)?,
        set: r.try_get(4)?,
    })
}

fn check_rows(n: usize) -> Result<(), LogError> {
    if n > MAX_ROWS_READ {
        return Err(LogError::Internal(format!(
            "{n} rows asked for at once; at most {MAX_ROWS_READ} are read"
        )));
    }
    Ok(())
}

impl PgStore {
    fn primary(&self) -> Rows<'_> {
        Rows {
            pool: &self.pool,
            tree: self.tree,
        }
    }

    fn replica(&self) -> Option<Rows<'_>> {
        self.replica
            .as_ref()
            .map(|(pool, tree)| Rows { pool, tree: *tree })
    }

    /// The replica, for a search: a search cannot tell what it misses, so the replica answers
    /// only once it holds the primary's whole tree (`None` without one, or while it lags or
    /// fails).
    async fn caught_up_replica(&self) -> Result<Option<Rows<'_>>, LogError> {
        let Some(r) = self.replica() else {
            return Ok(None);
        };
        let Ok(have) = r.size().await else {
            return Ok(None);
        };
        Ok((have >= self.size().await?).then_some(r))
    }
}

/// The read queries of one log in one database (the primary's or a replica's).
struct Rows<'a> {
    pool: &'a Pool,
    tree: i64,
}

impl Rows<'_> {
    async fn entry_where(
        &self,
        sql: &str,
        key: &(dyn tokio_postgres::types::ToSql + Sync),
    ) -> Result<Option<StoredEntry>, LogError> {
        let client = self.pool.get().await?;
        let st = client.prepare_cached(sql).await?;
        client
            .query_opt(&st, &[&self.tree, key])
            .await?
            .as_ref()
            .map(to_entry)
            .transpose()
    }

    async fn size(&self) -> Result<u64, LogError> {
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached("SELECT size FROM trees WHERE id = $1")
            .await?;
        let size: i64 = client.query_one(&st, &[&self.tree]).await?.try_get(0)?;
        u64::try_from(size).map_err(|_| LogError::Storage("negative tree size".into()))
    }

    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, LogError> {
        let i = as_i64(index)?;
        self.entry_where(
            "SELECT idx, uuid, body, integrated_time, sets FROM entries WHERE tree = $1 AND idx = $2",
            &i,
        )
        .await
    }

    async fn entry_by_uuid(&self, uuid: &Sha256Hash) -> Result<Option<StoredEntry>, LogError> {
        let u = &uuid.0[..];
        self.entry_where(
            "SELECT idx, uuid, body, integrated_time, sets FROM entries WHERE tree = $1 AND uuid = $2",
            &u,
        )
        .await
    }

    async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Sha256Hash>, LogError> {
        check_rows(indexes.len())?;
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let want = indexes
            .iter()
            .map(|i| as_i64(*i))
            .collect::<Result<Vec<_>, _>>()?;
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached("SELECT idx, h FROM hashes WHERE tree = $1 AND idx = ANY($2)")
            .await?;
        let mut found = HashMap::new();
        for r in client.query(&st, &[&self.tree, &want]).await? {
            let i: i64 = r.try_get(0)?;
            let h: &[u8] = r.try_get(1)?;
            found.insert(i, hash_of(h)?);
        }
        want.iter()
            .map(|i| {
                found
                    .get(i)
                    .copied()
                    .ok_or_else(|| LogError::Storage(format!("stored hash {i} missing")))
            })
            .collect()
    }

    async fn bodies(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, LogError> {
        let n = end.saturating_sub(start);
        check_rows(usize::try_from(n).unwrap_or(usize::MAX))?;

        let (s, e) = (as_i64(start)?, as_i64(end)?);
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached(
                "SELECT idx, body FROM entries WHERE tree = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
            )
            .await?;
        let rows = client.query(&st, &[&self.tree, &s, &e]).await?;
        // Every index must be there, in order: a gap is a damaged store.
        let mut out = Vec::with_capacity(rows.len());
        for (r, want) in rows.iter().zip(s..) {
            let i: i64 = r.try_get(0)?;
            if i != want {
                break;
            }
            out.push(r.try_get(1)?);
        }
        if out.len() as u64 != n {
            return Err(LogError::Storage(format!(
                "entries {start}..{end} are not all stored"
            )));
        }
        Ok(out)
    }

    async fn search(&self, key: &str) -> Result<Vec<Sha256Hash>, LogError> {
        let k = search_key(key);
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached(
                "SELECT DISTINCT uuid FROM search_keys WHERE tree = $1 AND k = $2 LIMIT $3",
            )
            .await?;
        client
            .query(&st, &[&self.tree, &&k[..], &MAX_SEARCH])
            .await?
            .iter()
            .map(|r| hash_of(r.try_get::<_, &[u8]>(0)?))
            .collect()
    }

    async fn search_page(
        &self,
        key: &str,
        start: &PageStart,
        limit: u64,
    ) -> Result<SearchPage, LogError> {
        let k = search_key(key);
        let q = PageQuery::new(start, limit)?;
        // A cursor is a leaf hash (the order of index `search_keys_k_uuid`).
        let at = start.position('u', |s| Sha256Hash::from_hex(s).ok())?;
        // Every query reads a range of index `search_keys_k_uuid` (tree, k, uuid) in order.
        let sql = match start {
            PageStart::Offset(_) => {
                "SELECT DISTINCT uuid FROM search_keys WHERE tree = $1 AND k = $2 \
                 ORDER BY uuid LIMIT $3 OFFSET $4"
            }
            PageStart::After(_) => {
                "SELECT DISTINCT uuid FROM search_keys WHERE tree = $1 AND k = $2 \
                 AND uuid > $4 ORDER BY uuid LIMIT $3"
            }
            PageStart::Before(Some(_)) => {
                "SELECT DISTINCT uuid FROM search_keys WHERE tree = $1 AND k = $2 \
                 AND uuid < $4 ORDER BY uuid DESC LIMIT $3"
            }
            PageStart::Before(None) => {
                "SELECT DISTINCT uuid FROM search_keys WHERE tree = $1 AND k = $2 \
                 ORDER BY uuid DESC LIMIT $3"
            }
        };
        let client = self.pool.get().await?;
        let page = client.prepare_cached(sql).await?;
        let count = client
            .prepare_cached(
                "SELECT count(*) FROM (SELECT DISTINCT uuid FROM search_keys \
                 WHERE tree = $1 AND k = $2 ORDER BY uuid LIMIT $3) AS m",
            )
            .await?;
        let kb: &[u8] = &k[..];
        let at: Option<&[u8]> = at.as_ref().map(|h| &h.as_bytes()[..]);
        let mut page_args: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
            vec![&self.tree, &kb, &q.limit];
        match (start, &at) {
            (PageStart::Offset(_), _) => page_args.push(&q.offset),
            (_, Some(at)) => page_args.push(at),
            (_, None) => {}
        }
        let count_args: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
            [&self.tree, &kb, &q.count_limit];
        let (rows, counted) = tokio::try_join!(
            client.query(&page, &page_args),
            client.query_one(&count, &count_args),
        )?;
        // A row's position is its leaf hash.
        let rows = rows
            .iter()
            .map(|r| hash_of(r.try_get::<_, &[u8]>(0)?).map(|h| (h, h)))
            .collect::<Result<Vec<_>, LogError>>()?;
        let counted = u64::try_from(counted.try_get::<_, i64>(0)?).unwrap_or(0);
        Ok(SearchPage::counted(
            Paged::from_rows(start, 'u', rows),
            counted,
            q.bound,
        ))
    }
}

impl PgStore {
    /// The log's name in the database.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name of this node in leases.
    pub fn node_id(&self) -> &str {
        &self.node
    }

    /// The LISTEN/NOTIFY channel on which every integration of this tree is announced.
    pub fn channel(&self) -> String {
        format!("signet_tree_{}", self.tree)
    }

    /// Listens on the tree's channel on a connection of its own: `wake` is notified on every
    /// integration and every entry queued for the sequencer, `released` when the leader gave up
    /// its lease. Returns when the connection ends (the caller polls anyway, and listens again).
    pub async fn listen(
        &self,
        wake: Arc<tokio::sync::Notify>,
        released: Arc<tokio::sync::Notify>,
    ) -> Result<(), LogError> {
        let (client, mut conn) = self.cfg.cfg.connect(self.cfg.tls.clone()).await?;
        let channel = self.channel();
        let drive = async {
            loop {
                match std::future::poll_fn(|cx| conn.poll_message(cx)).await {
                    Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                        if n.payload() == RELEASED {
                            released.notify_one();
                        }
                        wake.notify_one();
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(LogError::from(e)),
                    None => return Ok(()),
                }
            }
        };
        let subscribe = async {
            client.batch_execute(&format!("LISTEN {channel}")).await?;
            std::future::pending::<Result<(), LogError>>().await
        };
        tokio::select! {
            r = drive => r,
            r = subscribe => r,
        }
    }

    /// Appends a batch as [`LogStore::append`] does, fenced: the tree's size moves from
    /// `new_size - entries.len()` to `new_size` (with `checkpoint`, the signed checkpoint of the
    /// new tree) only while `epoch` is the lease's epoch, in the same transaction; otherwise
    /// nothing is stored and the answer is [`LogError::Fenced`]. Integrated entries leave
    /// `pending`, and the tree's channel is notified on commit.
    pub async fn append_fenced(
        &self,
        entries: &[NewEntry],
        hashes: &[(u64, Sha256Hash)],
        new_size: u64,
        epoch: i64,
        checkpoint: &str,
    ) -> Result<(), LogError> {
        self.write_batch(entries, hashes, new_size, Some((epoch, checkpoint)))
            .await
    }

    /// Takes the sequencer's lease if it is free or expired (by the database's clock): this
    /// node becomes the leader under a new epoch, returned. `None` while another node holds it.
    pub async fn acquire_lease(&self) -> Result<Option<i64>, LogError> {
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached(
                "UPDATE trees SET leader = $2, epoch = epoch + 1, \
                 lease_until = now() + make_interval(secs => $3) \
                 WHERE id = $1 AND (lease_until IS NULL OR lease_until < now()) \
                 RETURNING epoch",
            )
            .await?;
        let ms = lease_secs();
        Ok(
            match client
                .query_opt(&st, &[&self.tree, &&*self.node, &ms])
                .await?
            {
                Some(r) => Some(r.try_get(0)?),
                None => None,
            },
        )
    }

    /// Renews this node's lease of `epoch`; false if it is no longer this node's (another node
    /// took over: the caller must step down).
    pub async fn renew_lease(&self, epoch: i64) -> Result<bool, LogError> {
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached(
                "UPDATE trees SET lease_until = now() + make_interval(secs => $4) \
                 WHERE id = $1 AND leader = $2 AND epoch = $3",
            )
            .await?;
        let ms = lease_secs();
        Ok(client
            .execute(&st, &[&self.tree, &&*self.node, &epoch, &ms])
            .await?
            == 1)
    }

    /// Gives up this node's lease of `epoch` (a clean shutdown or a step-down: the next node
    /// need not wait for it to expire), announcing it on the tree's channel ([`RELEASED`]).
    pub async fn release_lease(&self, epoch: i64) -> Result<(), LogError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "WITH u AS (UPDATE trees SET lease_until = NULL \
                 WHERE id = $1 AND leader = $2 AND epoch = $3 RETURNING id) \
                 SELECT pg_notify($4, $5) FROM u",
                &[&self.tree, &&*self.node, &epoch, &self.channel(), &RELEASED],
            )
            .await?;
        Ok(())
    }

    /// The committed size and the signed checkpoint stored with it (none before the first
    /// fenced append).
    pub async fn published(&self) -> Result<(u64, Option<String>), LogError> {
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached("SELECT size, checkpoint FROM trees WHERE id = $1")
            .await?;
        let r = client.query_one(&st, &[&self.tree]).await?;
        let size: i64 = r.try_get(0)?;
        let size =
            u64::try_from(size).map_err(|_| LogError::Storage("negative tree size".into()))?;
        Ok((size, r.try_get(1)?))
    }

    /// Queues entries for the leader's sequencer in one statement (one notification of the
    /// tree's channel); answers the leaves queued. A leaf not among them is already in the log
    /// or already queued (by another writer, here or at another node).
    pub async fn enqueue(&self, entries: &[&LeafEntry]) -> Result<Vec<Sha256Hash>, LogError> {
        check_rows(entries.len())?;
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let leaves: Vec<&[u8]> = entries.iter().map(|e| &e.leaf_hash.0[..]).collect();
        let bodies: Vec<&[u8]> = entries.iter().map(|e| &e.body[..]).collect();
        // One text per entry (a JSON array of its keys): UNNEST cannot pair rows with arrays
        // of different lengths.
        let keys = entries
            .iter()
            .map(|e| serde_json::to_string(&e.index_keys))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| LogError::Internal(format!("search keys: {e}")))?;
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached(
                "WITH i AS (INSERT INTO pending (tree, uuid, body, keys) \
                   SELECT $1, u, b, ARRAY(SELECT jsonb_array_elements_text(k::jsonb)) \
                   FROM UNNEST($2::bytea[], $3::bytea[], $4::text[]) AS x(u, b, k) \
                   WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.tree = $1 AND e.uuid = x.u) \
                   ON CONFLICT (tree, uuid) DO NOTHING RETURNING uuid) \
                 SELECT uuid, pg_notify($5, 'queued') FROM i",
            )
            .await?;
        client
            .query(&st, &[&self.tree, &leaves, &bodies, &keys, &self.channel()])
            .await?
            .iter()
            .map(|r| hash_of(r.try_get::<_, &[u8]>(0)?))
            .collect()
    }

    /// Of `leaves`, those integrated below index `below`: (leaf, index, integrated time, SET).
    pub async fn integrated(
        &self,
        leaves: &[Sha256Hash],
        below: u64,
    ) -> Result<Vec<(Sha256Hash, u64, i64, Vec<u8>)>, LogError> {
        check_rows(leaves.len())?;
        if leaves.is_empty() {
            return Ok(Vec::new());
        }
        let want: Vec<&[u8]> = leaves.iter().map(|u| &u.0[..]).collect();
        let below = as_i64(below)?;
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached(
                "SELECT uuid, idx, integrated_time, sets FROM entries \
                 WHERE tree = $1 AND uuid = ANY($2) AND idx < $3",
            )
            .await?;
        client
            .query(&st, &[&self.tree, &want, &below])
            .await?
            .iter()
            .map(|r| {
                let idx: i64 = r.try_get(1)?;
                Ok((
                    hash_of(r.try_get::<_, &[u8]>(0)?)?,
                    u64::try_from(idx).map_err(|_| LogError::Storage("negative index".into()))?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                ))
            })
            .collect()
    }

    /// The leaves of the oldest `limit` queued entries, in queue order (cheap: no bodies).
    pub async fn pending_leaves(&self, limit: usize) -> Result<Vec<Sha256Hash>, LogError> {
        let limit = i64::try_from(limit.min(MAX_ROWS_READ)).unwrap_or(0);
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached("SELECT uuid FROM pending WHERE tree = $1 ORDER BY seq LIMIT $2")
            .await?;
        client
            .query(&st, &[&self.tree, &limit])
            .await?
            .iter()
            .map(|r| hash_of(r.try_get::<_, &[u8]>(0)?))
            .collect()
    }

    /// The queued entries of `leaves`, in queue order (a leaf no longer queued is left out).
    pub async fn pending(&self, leaves: &[Sha256Hash]) -> Result<Vec<LeafEntry>, LogError> {
        check_rows(leaves.len())?;
        if leaves.is_empty() {
            return Ok(Vec::new());
        }
        let want: Vec<&[u8]> = leaves.iter().map(|u| &u.0[..]).collect();
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached(
                "SELECT uuid, body, keys FROM pending WHERE tree = $1 AND uuid = ANY($2) \
                 ORDER BY seq",
            )
            .await?;
        client
            .query(&st, &[&self.tree, &want])
            .await?
            .iter()
            .map(|r| {
                Ok(LeafEntry {
                    leaf_hash: hash_of(r.try_get::<_, &[u8]>(0)?)?,
                    body: r.try_get(1)?,
                    index_keys: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// Deletes queued entries whose leaf is already integrated (a duplicate queued at a node
    /// while the same leaf was integrated elsewhere); how many.
    pub async fn drop_integrated_pending(&self) -> Result<u64, LogError> {
        let client = self.pool.get().await?;
        Ok(client
            .execute(
                "DELETE FROM pending p USING entries e \
                 WHERE p.tree = $1 AND e.tree = $1 AND e.uuid = p.uuid",
                &[&self.tree],
            )
            .await?)
    }
    /// The append transaction; with a fence `(epoch, checkpoint)` it first moves the tree's size
    /// (and checkpoint) only if the epoch and the size are still the ones the sequencer holds,
    /// deletes the integrated entries from `pending` and notifies the tree's channel.
    async fn write_batch(
        &self,
        entries: &[NewEntry],
        hashes: &[(u64, Sha256Hash)],
        new_size: u64,
        fence: Option<(i64, &str)>,
    ) -> Result<(), LogError> {
        let mut idx = Vec::with_capacity(entries.len());
        let mut uuids = Vec::with_capacity(entries.len());
        let mut bodies = Vec::with_capacity(entries.len());
        let mut times = Vec::with_capacity(entries.len());
        let mut sets = Vec::with_capacity(entries.len());
        let (mut keys, mut key_uuids) = (Vec::new(), Vec::new());
        for e in entries {
            idx.push(as_i64(e.index)?);
            uuids.push(&e.uuid.0[..]);
            bodies.push(&e.body[..]);
            times.push(e.integrated_time);
            sets.push(&e.set[..]);
            for k in distinct_keys(&e.index_keys) {
                keys.push(search_key(k));
                key_uuids.push(&e.uuid.0[..]);
            }
        }
        let hash_idx = hashes
            .iter()
            .map(|(i, _)| as_i64(*i))
            .collect::<Result<Vec<_>, _>>()?;
        let hash_vals: Vec<&[u8]> = hashes.iter().map(|(_, h)| &h.0[..]).collect();
        let old_size = as_i64(new_size.saturating_sub(entries.len() as u64))?;
        let new_size = as_i64(new_size)?;

        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if let Some((epoch, checkpoint)) = fence {
            // First, so the tree's row is locked for the whole transaction and a stale leader
            // stores nothing.
            let st = tx
                .prepare_cached(
                    "UPDATE trees SET size = $2, checkpoint = $5 \
                     WHERE id = $1 AND epoch = $3 AND size = $4",
                )
                .await?;
            let n = tx
                .execute(
                    &st,
                    &[&self.tree, &new_size, &epoch, &old_size, &checkpoint],
                )
                .await?;
            if n != 1 {
                return Err(LogError::Fenced(format!(
                    "log {}: epoch {epoch} at size {old_size} is no longer the leader's",
                    self.name
                )));
            }
        }
        // The rest is pipelined on the connection (sent together, answered in order): the
        // transaction commits only if every statement succeeded and nothing was a duplicate.
        let ins = tx
            .prepare_cached(
                "INSERT INTO entries (tree, idx, uuid, body, integrated_time, sets) \
                 SELECT $1, i, u, b, t, s \
                 FROM UNNEST($2::bigint[], $3::bytea[], $4::bytea[], $5::bigint[], $6::bytea[]) \
                 AS x(i, u, b, t, s) \
                 ON CONFLICT (tree, uuid) DO NOTHING RETURNING uuid",
            )
            .await?;
        let key_refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        let channel = self.channel();
        let (inserted, (), (), ()) = tokio::try_join!(
            biased;
            async {
                tx.query(&ins, &[&self.tree, &idx, &uuids, &bodies, &times, &sets])
                    .await
                    .map_err(LogError::from)
            },
            insert_search_keys(&tx, self.tree, &key_refs, &key_uuids),
            insert_hashes(&tx, self.tree, &hash_idx, &hash_vals),
            async {
                if fence.is_some() {
                    let st = tx
                        .prepare_cached(
                            "WITH d AS (DELETE FROM pending WHERE tree = $1 AND uuid = ANY($2)) \
                             SELECT pg_notify($3, $4::bigint::text)",
                        )
                        .await?;
                    tx.execute(&st, &[&self.tree, &uuids, &channel, &new_size])
                        .await?;
                } else {
                    let st = tx
                        .prepare_cached("UPDATE trees SET size = $2 WHERE id = $1")
                        .await?;
                    if tx.execute(&st, &[&self.tree, &new_size]).await? != 1 {
                        return Err(LogError::Storage("the log's tree row is missing".into()));
                    }
                }
                Ok(())
            },
        )?;
        // The unique constraint on (tree, uuid) is the duplicate check: a leaf already stored
        // (or twice in the batch) inserts no row. Every such leaf is reported, nothing is kept
        // (the transaction is dropped, so rolled back).
        if inserted.len() != entries.len() {
            let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
            for r in &inserted {
                let u: Vec<u8> = r.try_get(0)?;
                let n = counts.entry(u).or_default();
                *n = n.saturating_add(1);
            }
            let mut stored = Vec::new();
            for e in entries {
                match counts.get_mut(&e.uuid.0[..]) {
                    Some(n) if *n > 0 => *n = n.saturating_sub(1),
                    _ => stored.push(e.uuid),
                }
            }
            return Err(LogError::AlreadyStored(stored));
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Stores search keys of `tree` (`keys[i]` finds `uuids[i]`) in one statement, in transaction
/// `tx`: the append's and the migration's.
pub(crate) async fn insert_search_keys(
    tx: &deadpool_postgres::Transaction<'_>,
    tree: i64,
    keys: &[&[u8]],
    uuids: &[&[u8]],
) -> Result<(), LogError> {
    if keys.is_empty() {
        return Ok(());
    }
    let st = tx
        .prepare_cached(
            "INSERT INTO search_keys (tree, k, uuid) \
             SELECT $1, k, u FROM UNNEST($2::bytea[], $3::bytea[]) AS x(k, u)",
        )
        .await?;
    tx.execute(&st, &[&tree, &keys, &uuids]).await?;
    Ok(())
}

/// Stores Merkle hashes of `tree` (`hashes[i]` at stored index `idx[i]`) in one statement, in
/// transaction `tx`: the append's and the migration's.
pub(crate) async fn insert_hashes(
    tx: &deadpool_postgres::Transaction<'_>,
    tree: i64,
    idx: &[i64],
    hashes: &[&[u8]],
) -> Result<(), LogError> {
    if idx.is_empty() {
        return Ok(());
    }
    let st = tx
        .prepare_cached(
            "INSERT INTO hashes (tree, idx, h) \
             SELECT $1, i, h FROM UNNEST($2::bigint[], $3::bytea[]) AS x(i, h)",
        )
        .await?;
    tx.execute(&st, &[&tree, &idx, &hashes]).await?;
    Ok(())
}

impl LogStore for PgStore {
    fn as_pg(&self) -> Option<&PgStore> {
        Some(self)
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, LogError> {
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached("SELECT v FROM meta WHERE tree = $1 AND k = $2")
            .await?;
        Ok(match client.query_opt(&st, &[&self.tree, &key]).await? {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), LogError> {
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached(
                "INSERT INTO meta (tree, k, v) VALUES ($1, $2, $3) \
                 ON CONFLICT (tree, k) DO UPDATE SET v = excluded.v",
            )
            .await?;
        client.execute(&st, &[&self.tree, &key, &value]).await?;
        Ok(())
    }

    async fn create_meta(&self, marker: &str, values: &[(&str, &str)]) -> Result<bool, LogError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // The tree's row lock: a second node creating the same log waits here, then finds it.
        tx.execute(
            "SELECT 1 FROM trees WHERE id = $1 FOR UPDATE",
            &[&self.tree],
        )
        .await?;
        if tx
            .query_opt(
                "SELECT 1 FROM meta WHERE tree = $1 AND k = $2",
                &[&self.tree, &marker],
            )
            .await?
            .is_some()
        {
            return Ok(false);
        }
        for (k, v) in values {
            tx.execute(
                "INSERT INTO meta (tree, k, v) VALUES ($1, $2, $3) \
                 ON CONFLICT (tree, k) DO UPDATE SET v = excluded.v",
                &[&self.tree, k, v],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn size(&self) -> Result<u64, LogError> {
        self.primary().size().await
    }

    async fn append(
        &self,
        entries: &[NewEntry],
        hashes: &[(u64, Sha256Hash)],
        new_size: u64,
    ) -> Result<(), LogError> {
        self.write_batch(entries, hashes, new_size, None).await
    }

    async fn find(&self, uuids: &[Sha256Hash]) -> Result<Vec<(Sha256Hash, u64)>, LogError> {
        check_rows(uuids.len())?;
        if uuids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<&[u8]> = uuids.iter().map(|u| &u.0[..]).collect();
        let client = self.pool.get().await?;
        let st = client
            .prepare_cached("SELECT uuid, idx FROM entries WHERE tree = $1 AND uuid = ANY($2)")
            .await?;
        let mut found = HashMap::new();
        for r in client.query(&st, &[&self.tree, &keys]).await? {
            let u: &[u8] = r.try_get(0)?;
            let i: i64 = r.try_get(1)?;
            found.insert(hash_of(u)?, u64::try_from(i).unwrap_or(0));
        }
        Ok(uuids
            .iter()
            .filter_map(|u| found.get(u).map(|i| (*u, *i)))
            .collect())
    }

    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, LogError> {
        if let Some(r) = self.replica()
            && let Ok(Some(e)) = r.entry_by_index(index).await
        {
            return Ok(Some(e));
        }
        self.primary().entry_by_index(index).await
    }

    async fn entry_by_uuid(&self, uuid: &Sha256Hash) -> Result<Option<StoredEntry>, LogError> {
        if let Some(r) = self.replica()
            && let Ok(Some(e)) = r.entry_by_uuid(uuid).await
        {
            return Ok(Some(e));
        }
        self.primary().entry_by_uuid(uuid).await
    }

    async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Sha256Hash>, LogError> {
        // A stored hash never changes: any the replica has is the primary's. One it lacks (a
        // proof for a size it has not reached) is an error there, and read here.
        if let Some(r) = self.replica()
            && let Ok(h) = r.read_hashes(indexes).await
        {
            return Ok(h);
        }
        self.primary().read_hashes(indexes).await
    }

    async fn bodies(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, LogError> {
        if let Some(r) = self.replica()
            && let Ok(b) = r.bodies(start, end).await
        {
            return Ok(b);
        }
        self.primary().bodies(start, end).await
    }

    async fn search(&self, key: &str) -> Result<Vec<Sha256Hash>, LogError> {
        if let Some(r) = self.caught_up_replica().await?
            && let Ok(found) = r.search(key).await
        {
            return Ok(found);
        }
        self.primary().search(key).await
    }

    async fn search_page(
        &self,
        key: &str,
        start: &PageStart,
        limit: u64,
    ) -> Result<SearchPage, LogError> {
        if let Some(r) = self.caught_up_replica().await?
            && let Ok(found) = r.search_page(key, start, limit).await
        {
            return Ok(found);
        }
        self.primary().search_page(key, start, limit).await
    }
}
