/// Errors of the log service; each maps to one HTTP status, as Rekor answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// Malformed or invalid request (400).
    #[error("{0}")]
    BadRequest(String),
    /// Schema-level validation failure (422).
    #[error("{0}")]
    Unprocessable(String),
    /// The entry is already in the log (409); carries the existing entry ID.
    #[error("an equivalent entry already exists in the transparency log with UUID {entry_id}")]
    Duplicate {
        /// 80-character entry ID of the existing entry.
        entry_id: String,
    },
    /// The entry is already in a Rekor v2 log (409, with the `x-log-index` header).
    #[error("an equivalent entry already exists in the transparency log with index {index}")]
    DuplicateIndex {
        /// Index of the existing entry.
        index: u64,
    },
    /// A store refused a batch because these leaves are already stored (409 if it ever reaches
    /// a client; the sequencer turns it into [`LogError::Duplicate`] for their writers and
    /// integrates the rest).
    #[error("{} of the batch's leaves are already stored", .0.len())]
    AlreadyStored(Vec<signet_types::Sha256Hash>),
    /// Nothing there (404).
    #[error("not found")]
    NotFound,
    /// Too much load; retry later (503).
    #[error("the log is overloaded; retry later")]
    Overloaded,
    /// Storage failed (500). Nothing acknowledged is lost: a failed batch is answered with this.
    #[error("storage error: {0}")]
    Storage(String),
    /// The log's files contradict each other (a lost or replaced database, a swapped key, a
    /// damaged recorded checkpoint): opening it would silently forget entries or fork it.
    #[error("refusing to open the log: {0}")]
    Refused(String),
    /// Any other internal failure (500).
    #[error("internal error: {0}")]
    Internal(String),
    /// A multi-node sequencer's batch was refused by the fence in the database: another node
    /// took the log's lease (a newer epoch) or the tree grew under it. Nothing of the batch was
    /// stored; the node steps down (503 if it ever reaches a client).
    #[error("fenced: {0}")]
    Fenced(String),
    /// The log cannot answer now (a write queued for another node's sequencer was not
    /// integrated in time); retry later (503).
    #[error("{0}")]
    Unavailable(String),
}

impl LogError {
    /// HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unprocessable(_) => 422,
            Self::Duplicate { .. } | Self::DuplicateIndex { .. } | Self::AlreadyStored(_) => 409,
            Self::NotFound => 404,
            Self::Overloaded | Self::Fenced(_) | Self::Unavailable(_) => 503,
            Self::Storage(_) | Self::Refused(_) | Self::Internal(_) => 500,
        }
    }
}

impl From<rusqlite::Error> for LogError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

impl From<signet_tlog::TlogError> for LogError {
    fn from(e: signet_tlog::TlogError) -> Self {
        Self::Internal(e.to_string())
    }
}
