//! A C2SP `tlog-witness` service: `POST /add-checkpoint` cosigns a log's checkpoint when it is
//! signed by that log's key and consistent with the latest checkpoint the witness cosigned for
//! the log's origin (the checks are `signet_tlog::check_add_checkpoint`). The latest cosigned
//! checkpoint of each origin is kept in a JSON file, written (temp file, fsync, rename) before
//! the cosignature is returned, under one lock so that two requests cannot roll it back.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use signet_tlog::{AddCheckpoint, Cosigner, NoteVerifier, WitnessRefusal, Witnessed};
use signet_types::{Sha256Hash, UnixSeconds};

/// The largest `add-checkpoint` body accepted (63 proof lines and a checkpoint with a few
/// signatures fit many times over).
pub const MAX_ADD_CHECKPOINT: usize = 64 * 1024;

/// The largest witness state file read (about 100000 logs).
pub const STATE_FILE_LIMIT: signet_types::limits::FileLimit =
    signet_types::limits::FileLimit::new("witness state", 16 << 20);

/// A log the witness cosigns: its checkpoint verifiers.
pub type LogKeys = Vec<Box<dyn NoteVerifier + Send + Sync>>;

/// Witness errors (setup and state file).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// The state file could not be read, parsed or written.
    #[error("witness state {path}: {reason}")]
    State {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

#[derive(Serialize, Deserialize, Default)]
struct StateFile {
    /// origin → latest cosigned (size, hex root).
    logs: BTreeMap<String, (u64, String)>,
}

/// The witness: its key, the logs it knows, and its state.
pub struct Witness {
    cosigner: Cosigner,
    logs: HashMap<String, LogKeys>,
    state_path: PathBuf,
    state: tokio::sync::Mutex<BTreeMap<String, Witnessed>>,
    now: fn() -> UnixSeconds,
}

impl Witness {
    /// A witness signing with `cosigner` for `logs` (origin → keys), its state in `state_path`
    /// (read now if it exists), the time from `now`.
    pub fn open(
        cosigner: Cosigner,
        logs: HashMap<String, LogKeys>,
        state_path: PathBuf,
        now: fn() -> UnixSeconds,
    ) -> Result<Self, WitnessError> {
        let bad = |reason: String| WitnessError::State {
            path: state_path.clone(),
            reason,
        };
        let mut state = BTreeMap::new();
        if state_path.exists() {
            let bytes = signet_crypto::read_capped(&state_path, STATE_FILE_LIMIT)
                .map_err(|e| bad(e.to_string()))?;
            let file: StateFile = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
            for (origin, (size, root)) in file.logs {
                let root = Sha256Hash::from_hex(&root).map_err(|e| bad(e.to_string()))?;
                state.insert(origin, Witnessed { size, root });
            }
        }
        Ok(Self {
            cosigner,
            logs,
            state_path,
            state: tokio::sync::Mutex::new(state),
            now,
        })
    }

    /// Handles one `add-checkpoint` body: the cosignature lines to answer, or the refusal.
    pub async fn add_checkpoint(&self, body: &[u8]) -> Result<String, Refused> {
        let text = std::str::from_utf8(body)
            .map_err(|_| Refused::Check(WitnessRefusal::Malformed("body is not UTF-8".into())))?;
        let req = AddCheckpoint::parse(text)
            .map_err(|e| Refused::Check(WitnessRefusal::Malformed(e.to_string())))?;
        let origin = req
            .checkpoint
            .split('\n')
            .next()
            .unwrap_or_default()
            .to_string();
        // Check and record under one lock: no rollback between two requests.
        let mut state = self.state.lock().await;
        let verifiers: Option<Vec<&dyn NoteVerifier>> = self.logs.get(&origin).map(|keys| {
            keys.iter()
                .map(|k| k.as_ref() as &dyn NoteVerifier)
                .collect()
        });
        let cp = signet_tlog::check_add_checkpoint(&req, verifiers.as_deref(), state.get(&origin))
            .map_err(Refused::Check)?;
        let mut next = state.clone();
        next.insert(
            origin,
            Witnessed {
                size: cp.size().0,
                root: *cp.root_hash(),
            },
        );
        let file = StateFile {
            logs: next
                .iter()
                .map(|(o, w)| (o.clone(), (w.size, w.root.to_hex())))
                .collect(),
        };
        let json =
            serde_json::to_vec_pretty(&file).map_err(|e| Refused::Internal(e.to_string()))?;
        signet_crypto::write_file_atomically(&self.state_path, &json, 0o644)
            .map_err(|e| Refused::Internal(format!("cannot save the witness state: {e}")))?;
        *state = next;
        drop(state);
        let line = self
            .cosigner
            .cosign(cp.note().text(), (self.now)())
            .map_err(|e| Refused::Internal(e.to_string()))?;
        Ok(format!("{line}\n"))
    }
}

/// Why an `add-checkpoint` was not cosigned.
#[derive(Debug)]
pub enum Refused {
    /// A check of the protocol failed.
    Check(WitnessRefusal),
    /// The witness could not do its part (500).
    Internal(String),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Self::Check(WitnessRefusal::Conflict { current, .. }) => (
                StatusCode::CONFLICT,
                [(header::CONTENT_TYPE, "text/x.tlog.size")],
                format!("{current}\n"),
            )
                .into_response(),
            Self::Check(r) => (
                StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST),
                r.to_string(),
            )
                .into_response(),
            Self::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m).into_response(),
        }
    }
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, body: Bytes) -> Response {
    match w.add_checkpoint(&body).await {
        Ok(lines) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            lines,
        )
            .into_response(),
        Err(r) => r.into_response(),
    }
}

/// `POST /add-checkpoint`.
pub fn witness_router(w: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(DefaultBodyLimit::max(MAX_ADD_CHECKPOINT))
        .with_state(w)
}
