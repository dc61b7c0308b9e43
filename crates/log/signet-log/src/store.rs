//! Storage contract and the embedded SQLite backend.
//!
//! Contract (what the sequencer relies on): `append` is atomic and durable when it returns Ok —
//! entries, stored Merkle hashes and the new tree size become visible together after a
//! synchronous commit, or not at all. Readers never see a size whose hashes are missing.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};
use signet_types::Sha256Hash;

use crate::LogError;

/// An entry to store.
#[derive(Clone, Debug)]
pub struct NewEntry {
    /// Leaf index.
    pub index: u64,
    /// Leaf hash.
    pub uuid: Sha256Hash,
    /// Canonical body.
    pub body: Vec<u8>,
    /// Unix seconds.
    pub integrated_time: i64,
    /// Signed entry timestamp.
    pub set: Vec<u8>,
    /// Search-index keys.
    pub index_keys: Vec<String>,
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    /// Leaf index.
    pub index: u64,
    /// Leaf hash.
    pub uuid: Sha256Hash,
    /// Canonical body.
    pub body: Vec<u8>,
    /// Unix seconds.
    pub integrated_time: i64,
    /// Signed entry timestamp.
    pub set: Vec<u8>,
}

pub use crate::paging::{
    MAX_SEARCH_PAGE, PageStart, SEARCH_COUNT_CAP, SearchCursor, SearchPage, count_bound,
};
pub(crate) use crate::paging::{PageQuery, Paged};

/// The search keys of an entry, each once (an entry whose key appears twice, e.g. one SAN on
/// two signatures, is filed once under it).
pub(crate) fn distinct_keys(keys: &[String]) -> Vec<&String> {
    let mut out: Vec<&String> = Vec::with_capacity(keys.len());
    for k in keys {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// Durable storage for one log.
pub trait LogStore: Send + Sync + 'static {
    /// The PostgreSQL store underneath, if this is one: its logs can be shared by many nodes
    /// (leases, fenced appends, queued entries). None for the embedded store.
    fn as_pg(&self) -> Option<&crate::pg::PgStore> {
        None
    }
    /// Reads a metadata value.
    fn meta(&self, key: &str) -> impl Future<Output = Result<Option<String>, LogError>> + Send;
    /// Writes a metadata value (durably).
    fn set_meta(&self, key: &str, value: &str)
    -> impl Future<Output = Result<(), LogError>> + Send;
    /// Creates the log's identity: writes `values` unless metadata `marker` is already set,
    /// as one step that concurrent callers (nodes starting at once on one database) take one
    /// at a time; true if this call wrote them. (The embedded store is one process's: its
    /// directory is locked.)
    fn create_meta(
        &self,
        marker: &str,
        values: &[(&str, &str)],
    ) -> impl Future<Output = Result<bool, LogError>> + Send {
        async move {
            if self.meta(marker).await?.is_some() {
                return Ok(false);
            }
            for (k, v) in values {
                self.set_meta(k, v).await?;
            }
            Ok(true)
        }
    }
    /// Committed tree size.
    fn size(&self) -> impl Future<Output = Result<u64, LogError>> + Send;
    /// Appends a batch atomically and durably: entries, stored hashes `(index, hash)`, new size.
    /// If any entry's leaf hash is already stored, stores nothing and answers
    /// [`LogError::AlreadyStored`] with every such leaf hash of the batch.
    fn append(
        &self,
        entries: &[NewEntry],
        hashes: &[(u64, Sha256Hash)],
        new_size: u64,
    ) -> impl Future<Output = Result<(), LogError>> + Send;
    /// Indexes of the given leaf hashes that are already stored.
    fn find(
        &self,
        uuids: &[Sha256Hash],
    ) -> impl Future<Output = Result<Vec<(Sha256Hash, u64)>, LogError>> + Send;
    /// Entry by index.
    fn entry_by_index(
        &self,
        index: u64,
    ) -> impl Future<Output = Result<Option<StoredEntry>, LogError>> + Send;
    /// Entry by leaf hash.
    fn entry_by_uuid(
        &self,
        uuid: &Sha256Hash,
    ) -> impl Future<Output = Result<Option<StoredEntry>, LogError>> + Send;
    /// Stored hashes at the given indexes, in order; an error if any is missing.
    fn read_hashes(
        &self,
        indexes: &[u64],
    ) -> impl Future<Output = Result<Vec<Sha256Hash>, LogError>> + Send;
    /// Leaf hashes filed under a search key.
    fn search(&self, key: &str) -> impl Future<Output = Result<Vec<Sha256Hash>, LogError>> + Send;
    /// One page of the leaf hashes filed under a search key: `limit` (at most
    /// [`MAX_SEARCH_PAGE`]) matches from `start` in a fixed order, the cursors of its first and
    /// last match, and how many matches there are, counted up to [`count_bound`] (to
    /// [`SEARCH_COUNT_CAP`] for a cursor page). The backends read an index range, so an offset
    /// page costs the rows it skips and returns and a cursor page only those it returns, never
    /// all matches. The default pages [`LogStore::search`] in memory.
    fn search_page(
        &self,
        key: &str,
        start: &PageStart,
        limit: u64,
    ) -> impl Future<Output = Result<SearchPage, LogError>> + Send {
        async move { SearchPage::of(&self.search(key).await?, start, limit) }
    }
    /// The bodies of the entries at indexes `start..end`, in order (a tlog-tiles entry bundle);
    /// an error if any is missing. The default reads them one by one.
    fn bodies(
        &self,
        start: u64,
        end: u64,
    ) -> impl Future<Output = Result<Vec<Vec<u8>>, LogError>> + Send {
        async move {
            let mut out = Vec::new();
            for i in start..end {
                let e = self
                    .entry_by_index(i)
                    .await?
                    .ok_or_else(|| LogError::Storage(format!("entry {i} missing")))?;
                out.push(e.body);
            }
            Ok(out)
        }
    }
}

/// The embedded backend: one SQLite database (`log.sqlite`) in WAL mode with
/// `synchronous=FULL`, so a commit is on disk (WAL fsync) before `append` returns. One writer
/// connection (only the sequencer writes) and one reader connection per thread; writes run on
/// tokio's blocking pool.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, uuid BLOB NOT NULL UNIQUE, body BLOB NOT NULL, integrated_time INTEGER NOT NULL, sets BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS hashes (idx INTEGER PRIMARY KEY, h BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS search_keys (k BLOB NOT NULL, uuid BLOB NOT NULL);
    CREATE INDEX IF NOT EXISTS search_keys_k ON search_keys (k);
";

/// Search keys are stored as their SHA-256: fixed 32 bytes whatever the key (digest, key hash,
/// email, URI), which keeps the index small.
pub(crate) fn search_key(k: &str) -> [u8; 32] {
    signet_crypto::sha256(k.as_bytes()).0
}

pub(crate) fn hash_of(b: &[u8]) -> Result<Sha256Hash, LogError> {
    Sha256Hash::from_slice(b).map_err(|e| LogError::Storage(format!("corrupt hash in store: {e}")))
}

pub(crate) fn as_i64(v: u64) -> Result<i64, LogError> {
    i64::try_from(v).map_err(|_| LogError::Internal(format!("{v} exceeds the storable range")))
}

fn open_conn(path: &Path) -> Result<Connection, LogError> {
    let c = Connection::open(path)?;
    c.busy_timeout(std::time::Duration::from_secs(30))?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    // 64 MiB page cache per connection; checkpoint the WAL every ~40 MiB instead of every 4 MiB,
    // so the writer stalls on checkpoints ten times less often (durability is unchanged: every
    // commit still fsyncs the WAL).
    c.pragma_update(None, "cache_size", -65536)?;
    c.pragma_update(None, "wal_autocheckpoint", 10000)?;
    Ok(c)
}

/// Raw `entries` row: idx, uuid, body, integrated_time, sets.
type EntryRow = (i64, Vec<u8>, Vec<u8>, i64, Vec<u8>);

fn row_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<EntryRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn to_entry(t: EntryRow) -> Result<StoredEntry, LogError> {
    Ok(StoredEntry {
        index: u64::try_from(t.0).map_err(|_| LogError::Storage("negative index".into()))?,
        uuid: hash_of(&t.1)?,
        body: t.2,
        integrated_time: t.3,
        set: t.4,
    })
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/log.sqlite`.
    pub async fn open(dir: &Path) -> Result<Self, LogError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| LogError::Storage(format!("{}: {e}", dir.display())))?;
        let path = dir.join("log.sqlite");
        let writer = open_conn(&path)?;
        // The writer touches the tails of the tables and one random page per index key: a small
        // cache serves it. A large one costs more than it saves, because SQLite scans the
        // writer's page-cache hash table at every commit (pcache1TruncateUnsafe was 10% of the
        // server's CPU under sustained appends with 64 MiB; gone with 8 MiB).
        writer.pragma_update(None, "cache_size", -8192)?;
        writer.execute_batch(SCHEMA)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
            }),
        })
    }

    /// Runs `f` with a reader connection, inline: reads are short point queries served from the
    /// page cache, cheaper than a hand-off to the blocking pool (measured: two context switches
    /// cost more than the query). Each thread keeps its own reader connection per database, so
    /// concurrent readers never contend on a shared pool.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, LogError> + Send + 'static,
    ) -> Result<T, LogError> {
        thread_local! {
            static READERS: std::cell::RefCell<Vec<(PathBuf, Connection)>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let path = &self.inner.path;
        READERS.with(|cell| {
            let mut conns = cell
                .try_borrow_mut()
                .map_err(|_| LogError::Internal("reentrant read".into()))?;
            let conn = match conns.iter().position(|(p, _)| p == path) {
                Some(pos) => conns.get(pos),
                None => {
                    conns.push((path.clone(), open_conn(path)?));
                    conns.last()
                }
            };
            let (_, conn) =
                conn.ok_or_else(|| LogError::Internal("no reader connection".into()))?;
            f(conn)
        })
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, LogError> + Send + 'static,
    ) -> Result<T, LogError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner
                .writer
                .lock()
                .map_err(|_| LogError::Internal("writer poisoned".into()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| LogError::Internal(e.to_string()))?
    }
}

impl LogStore for SqliteStore {
    async fn meta(&self, key: &str) -> Result<Option<String>, LogError> {
        let key = key.to_string();
        self.read(move |c| {
            Ok(
                c.query_row("SELECT v FROM meta WHERE k = ?1", [key], |r| r.get(0))
                    .optional()?,
            )
        })
        .await
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), LogError> {
        let (k, v) = (key.to_string(), value.to_string());
        self.write(move |c| {
            c.execute("INSERT INTO meta (k, v) VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v", [k, v])?;
            Ok(())
        })
        .await
    }

    async fn size(&self) -> Result<u64, LogError> {
        Ok(self
            .meta("size")
            .await?
            .map(|s| s.parse::<u64>())
            .transpose()
            .map_err(|e| LogError::Storage(e.to_string()))?
            .unwrap_or(0))
    }

    async fn append(
        &self,
        entries: &[NewEntry],
        hashes: &[(u64, Sha256Hash)],
        new_size: u64,
    ) -> Result<(), LogError> {
        let entries = entries.to_vec();
        let hashes = hashes.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            {
                let mut ins = tx.prepare_cached("INSERT INTO entries (idx, uuid, body, integrated_time, sets) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(uuid) DO NOTHING")?;
                let mut key = tx.prepare_cached("INSERT INTO search_keys (k, uuid) VALUES (?1, ?2)")?;
                // The unique index on `uuid` is the duplicate check: a leaf already stored
                // inserts no row. Every such leaf of the batch is reported, then nothing is kept.
                let mut stored = Vec::new();
                for e in &entries {
                    if ins.execute(params![as_i64(e.index)?, &e.uuid.0[..], &e.body, e.integrated_time, &e.set])? == 0 {
                        stored.push(e.uuid);
                        continue;
                    }
                    for k in distinct_keys(&e.index_keys) {
                        key.execute(params![&search_key(k)[..], &e.uuid.0[..]])?;
                    }
                }
                if !stored.is_empty() {
                    return Err(LogError::AlreadyStored(stored));
                }
                let mut h = tx.prepare_cached("INSERT INTO hashes (idx, h) VALUES (?1, ?2)")?;
                for (i, hash) in &hashes {
                    h.execute(params![as_i64(*i)?, &hash.0[..]])?;
                }
                tx.execute(
                    "INSERT INTO meta (k, v) VALUES ('size', ?1) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                    [new_size.to_string()],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn find(&self, uuids: &[Sha256Hash]) -> Result<Vec<(Sha256Hash, u64)>, LogError> {
        let uuids = uuids.to_vec();
        self.read(move |c| {
            let mut st = c.prepare_cached("SELECT idx FROM entries WHERE uuid = ?1")?;
            let mut out = Vec::new();
            for u in uuids {
                if let Some(idx) = st
                    .query_row([&u.0[..]], |r| r.get::<_, i64>(0))
                    .optional()?
                {
                    out.push((u, u64::try_from(idx).unwrap_or(0)));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, LogError> {
        let i = as_i64(index)?;
        self.read(move |c| {
            c.prepare_cached(
                "SELECT idx, uuid, body, integrated_time, sets FROM entries WHERE idx = ?1",
            )?
            .query_row([i], row_entry)
            .optional()?
            .map(to_entry)
            .transpose()
        })
        .await
    }

    async fn entry_by_uuid(&self, uuid: &Sha256Hash) -> Result<Option<StoredEntry>, LogError> {
        let u = uuid.0;
        self.read(move |c| {
            c.prepare_cached(
                "SELECT idx, uuid, body, integrated_time, sets FROM entries WHERE uuid = ?1",
            )?
            .query_row([&u[..]], row_entry)
            .optional()?
            .map(to_entry)
            .transpose()
        })
        .await
    }

    async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Sha256Hash>, LogError> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let indexes = indexes.to_vec();
        self.read(move |c| {
            let mut st = c.prepare_cached("SELECT h FROM hashes WHERE idx = ?1")?;
            indexes
                .iter()
                .map(|i| {
                    let h: Option<Vec<u8>> =
                        st.query_row([as_i64(*i)?], |r| r.get(0)).optional()?;
                    hash_of(
                        &h.ok_or_else(|| LogError::Storage(format!("stored hash {i} missing")))?,
                    )
                })
                .collect()
        })
        .await
    }

    async fn bodies(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, LogError> {
        let (s, e) = (as_i64(start)?, as_i64(end)?);
        let bodies: Vec<(i64, Vec<u8>)> = self
            .read(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT idx, body FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
                )?;
                let rows = st.query_map([s, e], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        // Every index must be there, in order: a gap is a damaged store.
        if bodies.len() as u64 != end.saturating_sub(start)
            || bodies.iter().zip(s..).any(|((i, _), want)| *i != want)
        {
            return Err(LogError::Storage(format!(
                "entries {start}..{end} are not all stored"
            )));
        }
        Ok(bodies.into_iter().map(|(_, b)| b).collect())
    }

    async fn search(&self, key: &str) -> Result<Vec<Sha256Hash>, LogError> {
        let key = key.to_string();
        self.read(move |c| {
            let mut st =
                c.prepare_cached("SELECT DISTINCT uuid FROM search_keys WHERE k = ?1 LIMIT 10000")?;
            let rows = st.query_map([&search_key(&key)[..]], |r| r.get::<_, Vec<u8>>(0))?;
            rows.map(|r| hash_of(&r?)).collect()
        })
        .await
    }

    async fn search_page(
        &self,
        key: &str,
        start: &PageStart,
        limit: u64,
    ) -> Result<SearchPage, LogError> {
        let k = search_key(key);
        let q = PageQuery::new(start, limit)?;
        let at = start.position('r', |s| s.parse::<i64>().ok())?;
        // Index `search_keys_k` holds (k, rowid): rows of one key come out in insertion (log)
        // order, and every query reads only its range of that index. A cursor is a row id.
        let (sql, at) = match start {
            PageStart::Offset(_) => (
                "SELECT rowid, uuid FROM search_keys WHERE k = ?1 ORDER BY rowid LIMIT ?2 OFFSET ?3",
                q.offset,
            ),
            PageStart::After(_) => (
                "SELECT rowid, uuid FROM search_keys WHERE k = ?1 AND rowid > ?3 \
                 ORDER BY rowid LIMIT ?2",
                at.unwrap_or(i64::MIN),
            ),
            PageStart::Before(Some(_)) => (
                "SELECT rowid, uuid FROM search_keys WHERE k = ?1 AND rowid < ?3 \
                 ORDER BY rowid DESC LIMIT ?2",
                at.unwrap_or(i64::MAX),
            ),
            PageStart::Before(None) => (
                "SELECT rowid, uuid FROM search_keys WHERE k = ?1 AND rowid > ?3 \
                 ORDER BY rowid DESC LIMIT ?2",
                i64::MIN,
            ),
        };
        let (rows, counted) = self
            .read(move |c| {
                let mut st = c.prepare_cached(sql)?;
                let rows = st
                    .query_map(params![&k[..], q.limit, at], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
                    })?
                    .map(|r| {
                        let (id, uuid) = r?;
                        Ok((id, hash_of(&uuid)?))
                    })
                    .collect::<Result<Vec<_>, LogError>>()?;
                let counted: i64 = c
                    .prepare_cached(
                        "SELECT COUNT(*) FROM (SELECT 1 FROM search_keys WHERE k = ?1 LIMIT ?2)",
                    )?
                    .query_row(params![&k[..], q.count_limit], |r| r.get(0))?;
                Ok((rows, counted))
            })
            .await?;
        Ok(SearchPage::counted(
            Paged::from_rows(start, 'r', rows),
            u64::try_from(counted).unwrap_or(0),
            q.bound,
        ))
    }
}
