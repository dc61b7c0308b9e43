//! The PostgreSQL backend: every log of an instance in one database, each under its own name.
//!
//! Schema (applied on connect by numbered migrations recorded in `signet_schema`; a binary
//! refuses a database whose schema is newer than it knows):
//! * `trees` — one row per log: its name and its committed size. It is the row a multi-node
//!   sequencer will lease and fence (an epoch column checked in every append transaction).
//! * `meta`, `entries`, `hashes`, `search_keys` — as the SQLite store's, keyed by the tree's id.
//!
//! An append is one transaction: entries (one batched `INSERT … SELECT FROM UNNEST`), search
//! keys, stored hashes and the new size. Duplicates are found by the unique constraint on
//! `(tree, uuid)`: `ON CONFLICT DO NOTHING RETURNING uuid` answers which leaves were inserted;
//! if any was not, the transaction is rolled back and every such leaf is reported.
//! `synchronous_commit` is left on, so a commit is durable before `append` returns.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use signet_types::Sha256Hash;
use tokio_postgres::{NoTls, Row};

use crate::LogError;
use crate::store::{LogStore, NewEntry, StoredEntry, as_i64, hash_of, search_key};

/// The schema migrations, in order: migration `n` (1-based) brings the schema to version `n`.
const MIGRATIONS: &[&str] = &["
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
"];

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

/// The connection settings of a PostgreSQL URL.
fn parse_url(url: &str) -> Result<tokio_postgres::Config, LogError> {
    tokio_postgres::Config::from_str(url)
        .map_err(|e| LogError::BadRequest(format!("invalid PostgreSQL URL: {}", pg_error(&e))))
}

impl PgDatabase {
    /// Connects to `url` (`postgres://user:password@host:port/dbname`, or the key=value form),
    /// checks the connection works and applies the schema migrations this binary knows. A
    /// database whose schema is newer is [`LogError::Refused`].
    pub async fn connect(url: &str) -> Result<Self, LogError> {
        let (pool, target) = pool_for(parse_url(url)?)?;
        let db = Self {
            pool,
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
        let cfg = tokio_postgres::Config::from_str(url).map_err(|e| {
            LogError::BadRequest(format!("invalid PostgreSQL replica URL: {}", pg_error(&e)))
        })?;
        let (pool, target) = pool_for(cfg)?;
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

/// A pool of connections to the database `cfg` names, and its `host:port/dbname`.
fn pool_for(mut cfg: tokio_postgres::Config) -> Result<(Pool, String), LogError> {
    {
        if cfg.get_connect_timeout().is_none() {
            cfg.connect_timeout(Duration::from_secs(10));
        }
        let target = describe(&cfg);
        let mgr = Manager::from_config(
            cfg,
            NoTls,
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
        Ok((pool, target))
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
            tree: id,
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
    tree: i64,
    /// The same log in a read replica: entries, stored hashes and search keys are read there
    /// first (see [`PgDatabase::with_replica`]).
    replica: Option<(Pool, i64)>,
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
}

impl LogStore for PgStore {
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

    async fn size(&self) -> Result<u64, LogError> {
        self.primary().size().await
    }

    async fn append(
        &self,
        entries: &[NewEntry],
        hashes: &[(u64, Sha256Hash)],
        new_size: u64,
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
            for k in &e.index_keys {
                keys.push(search_key(k).to_vec());
                key_uuids.push(&e.uuid.0[..]);
            }
        }
        let hash_idx = hashes
            .iter()
            .map(|(i, _)| as_i64(*i))
            .collect::<Result<Vec<_>, _>>()?;
        let hash_vals: Vec<&[u8]> = hashes.iter().map(|(_, h)| &h.0[..]).collect();
        let new_size = as_i64(new_size)?;

        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let ins = tx
            .prepare_cached(
                "INSERT INTO entries (tree, idx, uuid, body, integrated_time, sets) \
                 SELECT $1, i, u, b, t, s \
                 FROM UNNEST($2::bigint[], $3::bytea[], $4::bytea[], $5::bigint[], $6::bytea[]) \
                 AS x(i, u, b, t, s) \
                 ON CONFLICT (tree, uuid) DO NOTHING RETURNING uuid",
            )
            .await?;
        let inserted = tx
            .query(&ins, &[&self.tree, &idx, &uuids, &bodies, &times, &sets])
            .await?;
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
        if !keys.is_empty() {
            let st = tx
                .prepare_cached(
                    "INSERT INTO search_keys (tree, k, uuid) \
                     SELECT $1, k, u FROM UNNEST($2::bytea[], $3::bytea[]) AS x(k, u)",
                )
                .await?;
            tx.execute(&st, &[&self.tree, &keys, &key_uuids]).await?;
        }
        if !hashes.is_empty() {
            let st = tx
                .prepare_cached(
                    "INSERT INTO hashes (tree, idx, h) \
                     SELECT $1, i, h FROM UNNEST($2::bigint[], $3::bytea[]) AS x(i, h)",
                )
                .await?;
            tx.execute(&st, &[&self.tree, &hash_idx, &hash_vals])
                .await?;
        }
        let st = tx
            .prepare_cached("UPDATE trees SET size = $2 WHERE id = $1")
            .await?;
        if tx.execute(&st, &[&self.tree, &new_size]).await? != 1 {
            return Err(LogError::Storage("the log's tree row is missing".into()));
        }
        tx.commit().await?;
        Ok(())
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
        // A search cannot tell what it misses: the replica answers only once it holds the
        // primary's whole tree.
        if let Some(r) = self.replica()
            && let Ok(have) = r.size().await
            && have >= self.size().await?
            && let Ok(found) = r.search(key).await
        {
            return Ok(found);
        }
        self.primary().search(key).await
    }
}
