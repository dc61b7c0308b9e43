//! Where an instance keeps its logs: the embedded SQLite store in each log's directory, or one
//! PostgreSQL database for all of them ([`Backend`]); [`Store`] is either, so the services are
//! built once over one store type.

use std::path::{Path, PathBuf};

use signet_types::Sha256Hash;

use crate::LogError;
use crate::pg::{PgDatabase, PgStore};
use crate::store::{LogStore, NewEntry, PageStart, SearchPage, SqliteStore, StoredEntry};

/// The storage backend of an instance's logs.
#[derive(Clone, Debug)]
pub enum Backend {
    /// `log.sqlite` in each log's directory.
    Embedded,
    /// One PostgreSQL database; each log is stored under its directory's path relative to
    /// `root` (the data directory), e.g. `log`, `log-2`, `log-v2`, `ct`. Keys and recorded
    /// checkpoints stay in the directories.
    Postgres {
        /// The database.
        db: PgDatabase,
        /// The data directory the names are relative to.
        root: PathBuf,
    },
}

impl Backend {
    /// The PostgreSQL backend at `url` for the data directory `root` (connects and migrates).
    pub async fn postgres(url: &str, root: &Path) -> Result<Self, LogError> {
        Ok(Self::Postgres {
            db: PgDatabase::connect(url).await?,
            root: root.to_path_buf(),
        })
    }

    /// The name a log kept in `dir` is stored under in a database: its path relative to the
    /// data directory, `/`-separated.
    pub fn name_of(root: &Path, dir: &Path) -> Result<String, LogError> {
        let rel = dir.strip_prefix(root).map_err(|_| {
            LogError::Internal(format!(
                "{} is not inside the data directory {}",
                dir.display(),
                root.display()
            ))
        })?;
        let parts = rel
            .components()
            .map(|c| match c {
                std::path::Component::Normal(s) => s.to_str().map(str::to_string),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| LogError::Internal(format!("{} cannot name a log", rel.display())))?;
        Ok(parts.join("/"))
    }

    /// Opens the store of the log kept in `dir`.
    pub async fn open(&self, dir: &Path) -> Result<Store, LogError> {
        match self {
            Self::Embedded => Ok(Store::Sqlite(SqliteStore::open(dir).await?)),
            Self::Postgres { db, root } => {
                Ok(Store::Postgres(db.store(&Self::name_of(root, dir)?).await?))
            }
        }
    }
}

/// A store of either backend.
#[derive(Clone, Debug)]
pub enum Store {
    /// Embedded.
    Sqlite(SqliteStore),
    /// PostgreSQL.
    Postgres(PgStore),
}

/// Calls the same method on whichever store it is.
macro_rules! either {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Store::Sqlite($s) => $e,
            Store::Postgres($s) => $e,
        }
    };
}

impl LogStore for Store {
    fn as_pg(&self) -> Option<&PgStore> {
        match self {
            Store::Sqlite(_) => None,
            Store::Postgres(s) => Some(s),
        }
    }
    async fn meta(&self, key: &str) -> Result<Option<String>, LogError> {
        either!(self, s => s.meta(key).await)
    }
    async fn set_meta(&self, key: &str, value: &str) -> Result<(), LogError> {
        either!(self, s => s.set_meta(key, value).await)
    }
    async fn create_meta(&self, marker: &str, values: &[(&str, &str)]) -> Result<bool, LogError> {
        either!(self, s => s.create_meta(marker, values).await)
    }
    async fn size(&self) -> Result<u64, LogError> {
        either!(self, s => s.size().await)
    }
    async fn append(
        &self,
        entries: &[NewEntry],
        hashes: &[(u64, Sha256Hash)],
        new_size: u64,
    ) -> Result<(), LogError> {
        either!(self, s => s.append(entries, hashes, new_size).await)
    }
    async fn find(&self, uuids: &[Sha256Hash]) -> Result<Vec<(Sha256Hash, u64)>, LogError> {
        either!(self, s => s.find(uuids).await)
    }
    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, LogError> {
        either!(self, s => s.entry_by_index(index).await)
    }
    async fn entry_by_uuid(&self, uuid: &Sha256Hash) -> Result<Option<StoredEntry>, LogError> {
        either!(self, s => s.entry_by_uuid(uuid).await)
    }
    async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Sha256Hash>, LogError> {
        either!(self, s => s.read_hashes(indexes).await)
    }
    async fn search(&self, key: &str) -> Result<Vec<Sha256Hash>, LogError> {
        either!(self, s => s.search(key).await)
    }
    async fn search_page(
        &self,
        key: &str,
        start: &PageStart,
        limit: u64,
    ) -> Result<SearchPage, LogError> {
        either!(self, s => s.search_page(key, start, limit).await)
    }
    async fn bodies(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, LogError> {
        either!(self, s => s.bodies(start, end).await)
    }
}
