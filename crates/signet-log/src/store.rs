//! Storage contract and the embedded SQLite backend.
//!
//! Contract (what the sequencer relies on): `append` is atomic and durable when it returns Ok —
//! entries, stored Merkle hashes and the new tree size become visible together after a
//! synchronous commit, or not at all. Readers never see a size whose hashes are missing.

use std::future::Future;
use std::path::Path;
use std::str::FromStr;

use signet_types::Sha256Hash;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row};

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

/// Durable storage for one log.
pub trait LogStore: Send + Sync + 'static {
    /// Reads a metadata value.
    fn meta(&self, key: &str) -> impl Future<Output = Result<Option<String>, LogError>> + Send;
    /// Writes a metadata value (durably).
    fn set_meta(&self, key: &str, value: &str)
    -> impl Future<Output = Result<(), LogError>> + Send;
    /// Committed tree size.
    fn size(&self) -> impl Future<Output = Result<u64, LogError>> + Send;
    /// Appends a batch atomically and durably: entries, stored hashes `(index, hash)`, new size.
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
}

/// The embedded backend: one SQLite database in WAL mode with `synchronous=FULL`, so a commit
/// is on disk (WAL fsync) before `append` returns.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, uuid BLOB NOT NULL UNIQUE, body BLOB NOT NULL, integrated_time INTEGER NOT NULL, sets BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS hashes (idx INTEGER PRIMARY KEY, h BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS index_keys (k TEXT NOT NULL, uuid BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS index_keys_k ON index_keys (k)",
];

/// SQLite's bound-parameter limit is 32766; stay well below it per statement.
const ROWS_PER_INSERT: usize = 1000;

fn hash_of(b: &[u8]) -> Result<Sha256Hash, LogError> {
    Sha256Hash::from_slice(b).map_err(|e| LogError::Storage(format!("corrupt hash in store: {e}")))
}

fn as_i64(v: u64) -> Result<i64, LogError> {
    i64::try_from(v).map_err(|_| LogError::Internal(format!("{v} exceeds the storable range")))
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/log.sqlite`.
    pub async fn open(dir: &Path) -> Result<Self, LogError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| LogError::Storage(format!("{}: {e}", dir.display())))?;
        let url = format!("sqlite://{}", dir.join("log.sqlite").display());
        let opts = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        for stmt in SCHEMA {
            sqlx::query(*stmt).execute(&pool).await?;
        }
        Ok(Self { pool })
    }

    fn entry(row: &sqlx::sqlite::SqliteRow) -> Result<StoredEntry, LogError> {
        let idx: i64 = row.try_get("idx")?;
        Ok(StoredEntry {
            index: u64::try_from(idx).map_err(|_| LogError::Storage("negative index".into()))?,
            uuid: hash_of(row.try_get::<&[u8], _>("uuid")?)?,
            body: row.try_get("body")?,
            integrated_time: row.try_get("integrated_time")?,
            set: row.try_get("sets")?,
        })
    }
}

impl LogStore for SqliteStore {
    async fn meta(&self, key: &str) -> Result<Option<String>, LogError> {
        let row = sqlx::query("SELECT v FROM meta WHERE k = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("v")).transpose()?)
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), LogError> {
        sqlx::query(
            "INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
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
        let mut tx = self.pool.begin().await?;
        for chunk in entries.chunks(ROWS_PER_INSERT) {
            let mut q =
                QueryBuilder::new("INSERT INTO entries (idx, uuid, body, integrated_time, sets) ");
            let mut bad = None;
            q.push_values(chunk, |mut b, e| {
                match as_i64(e.index) {
                    Ok(i) => b.push_bind(i),
                    Err(err) => {
                        bad = Some(err);
                        b.push_bind(0i64)
                    }
                };
                b.push_bind(e.uuid.0.to_vec())
                    .push_bind(e.body.clone())
                    .push_bind(e.integrated_time)
                    .push_bind(e.set.clone());
            });
            if let Some(err) = bad {
                return Err(err);
            }
            q.build().execute(&mut *tx).await?;
        }
        let keys: Vec<(&str, &Sha256Hash)> = entries
            .iter()
            .flat_map(|e| e.index_keys.iter().map(move |k| (k.as_str(), &e.uuid)))
            .collect();
        for chunk in keys.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::new("INSERT INTO index_keys (k, uuid) ");
            q.push_values(chunk, |mut b, (k, u)| {
                b.push_bind(k.to_string()).push_bind(u.0.to_vec());
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in hashes.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::new("INSERT INTO hashes (idx, h) ");
            let mut bad = None;
            q.push_values(chunk, |mut b, (i, h)| {
                match as_i64(*i) {
                    Ok(i) => b.push_bind(i),
                    Err(err) => {
                        bad = Some(err);
                        b.push_bind(0i64)
                    }
                };
                b.push_bind(h.0.to_vec());
            });
            if let Some(err) = bad {
                return Err(err);
            }
            q.build().execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO meta (k, v) VALUES ('size', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v")
            .bind(new_size.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find(&self, uuids: &[Sha256Hash]) -> Result<Vec<(Sha256Hash, u64)>, LogError> {
        let mut out = Vec::new();
        for chunk in uuids.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::new("SELECT idx, uuid FROM entries WHERE uuid IN (");
            let mut sep = q.separated(", ");
            for u in chunk {
                sep.push_bind(u.0.to_vec());
            }
            q.push(")");
            for row in q.build().fetch_all(&self.pool).await? {
                let idx: i64 = row.try_get("idx")?;
                out.push((
                    hash_of(row.try_get::<&[u8], _>("uuid")?)?,
                    u64::try_from(idx).unwrap_or(0),
                ));
            }
        }
        Ok(out)
    }

    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, LogError> {
        let row =
            sqlx::query("SELECT idx, uuid, body, integrated_time, sets FROM entries WHERE idx = ?")
                .bind(as_i64(index)?)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(Self::entry).transpose()
    }

    async fn entry_by_uuid(&self, uuid: &Sha256Hash) -> Result<Option<StoredEntry>, LogError> {
        let row = sqlx::query(
            "SELECT idx, uuid, body, integrated_time, sets FROM entries WHERE uuid = ?",
        )
        .bind(uuid.0.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(Self::entry).transpose()
    }

    async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Sha256Hash>, LogError> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new("SELECT idx, h FROM hashes WHERE idx IN (");
        let mut sep = q.separated(", ");
        for i in indexes {
            sep.push_bind(as_i64(*i)?);
        }
        q.push(")");
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut map = std::collections::HashMap::with_capacity(rows.len());
        for r in rows {
            let i: i64 = r.try_get("idx")?;
            map.insert(i, hash_of(r.try_get::<&[u8], _>("h")?)?);
        }
        indexes
            .iter()
            .map(|i| {
                map.get(&as_i64(*i)?)
                    .copied()
                    .ok_or_else(|| LogError::Storage(format!("stored hash {i} missing")))
            })
            .collect()
    }

    async fn search(&self, key: &str) -> Result<Vec<Sha256Hash>, LogError> {
        let rows = sqlx::query("SELECT DISTINCT uuid FROM index_keys WHERE k = ? LIMIT 10000")
            .bind(key)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| hash_of(r.try_get::<&[u8], _>("uuid")?))
            .collect()
    }
}
