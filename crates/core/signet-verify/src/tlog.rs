//! Step 4 of verification: one transparency-log entry.

use signet_bundle::{Content, TlogEntry};
use signet_crypto::PublicKey;
use signet_rekor::RekorError;
use signet_rekor::{EntryBody, Material};
use signet_tlog::TlogError;
use signet_tlog::{EcdsaNoteVerifier, NoteVerifier, VerifiedCheckpoint};
use signet_trust::{TransparencyLog, TrustedRoot};
use signet_types::{LogIndex, Sha256Hash, TreeSize, UnixSeconds};

use crate::VerifyError;
use crate::memo::{self, Memo};
use crate::verifier::VerifiedEntry;

/// Why one transparency-log entry of a bundle did not verify (the caller,
/// [`crate::VerifyError::Tlog`], adds the entry's position). Causes from the Rekor and tlog
/// layers are kept as their typed errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// The same entry appears earlier in the bundle.
    #[error("duplicate of entry {first} (same log ID and index, or same body)")]
    Duplicate {
        /// Position of the first copy.
        first: usize,
    },
    /// The entry's log is not in the trusted root.
    #[error("log ID {} is not in the trusted root", hex::encode(.log_id))]
    UnknownLog {
        /// The entry's log ID.
        log_id: Vec<u8>,
    },
    /// The trusted root's key for the log is not one signet can use.
    #[error("the trusted root's key for {log_url} cannot be used ({key_details})")]
    UnusableLogKey {
        /// The log.
        log_url: String,
        /// The key details the trusted root gives.
        key_details: String,
    },
    /// The canonicalized body does not parse.
    #[error(transparent)]
    Body(RekorError),
    /// The body is not the kind and version the bundle claims.
    #[error(
        "bundle says {bundle_kind}/{bundle_version} but the log entry body is {body_kind}/{body_version}"
    )]
    KindMismatch {
        /// Kind the bundle claims.
        bundle_kind: String,
        /// Version the bundle claims.
        bundle_version: String,
        /// Kind of the body.
        body_kind: String,
        /// Version of the body.
        body_version: String,
    },
    /// A message signature's entry needs the artifact digest to be checked.
    #[error("a message signature needs the artifact's SHA-256")]
    NeedArtifactDigest,
    /// The body does not describe this bundle's message signature.
    #[error("log entry does not match the bundle: {0}")]
    BundleMismatch(#[source] RekorError),
    /// The body does not describe this bundle's DSSE envelope.
    #[error("log entry does not match the DSSE envelope: {0}")]
    EnvelopeMismatch(#[source] RekorError),
    /// The bundle content is of a kind no entry can be checked against.
    #[error("unsupported bundle content")]
    UnsupportedContent,
    /// A signed entry timestamp without the time it signs.
    #[error("signed entry timestamp present but integratedTime is missing")]
    MissingIntegratedTime,
    /// The log's key was not valid when the entry was integrated.
    #[error("log key of {log_url} is not valid at the integrated time {time}")]
    KeyNotValidAt {
        /// The log.
        log_url: String,
        /// The integrated time.
        time: UnixSeconds,
    },
    /// The entry's log index does not fit the signed entry timestamp payload.
    #[error("log index out of range")]
    LogIndexOutOfRange,
    /// The signed entry timestamp does not verify.
    #[error("signed entry timestamp: {0}")]
    SignedEntryTimestamp(#[source] RekorError),
    /// The inclusion proof does not verify.
    #[error("inclusion proof: {0}")]
    InclusionProof(#[source] TlogError),
    /// Too few of the required witnesses cosigned the entry's checkpoint.
    #[error(
        "checkpoint cosigned by {found} of the given witnesses, {required} required (--witness-threshold)"
    )]
    Witnesses {
        /// Valid cosignatures from distinct given witnesses.
        found: usize,
        /// The threshold.
        required: usize,
    },
    /// The inclusion proof comes without the checkpoint that would make it worth anything.
    #[error("inclusion proof has no signed checkpoint")]
    NoCheckpoint,
    /// The log key cannot verify a checkpoint.
    #[error("unusable log key")]
    UnusableCheckpointKey,
    /// The checkpoint verifier could not be built from the log key.
    #[error("checkpoint key: {0}")]
    CheckpointKey(#[source] TlogError),
    /// The checkpoint does not verify.
    #[error("checkpoint: {0}")]
    Checkpoint(#[source] TlogError),
    /// The checkpoint is for another tree than the inclusion proof.
    #[error(
        "checkpoint (size {checkpoint_size}, root {checkpoint_root}) does not match the inclusion proof (size {proof_size}, root {proof_root})"
    )]
    CheckpointMismatch {
        /// Tree size the checkpoint signs.
        checkpoint_size: TreeSize,
        /// Root hash the checkpoint signs.
        checkpoint_root: Sha256Hash,
        /// Tree size of the proof.
        proof_size: TreeSize,
        /// Root hash of the proof.
        proof_root: Sha256Hash,
    },
    /// Nothing proves the entry is in the log.
    #[error("entry has neither an inclusion proof nor a signed entry timestamp")]
    Unproven,
    /// A Rekor v2 entry whose index is not the one its inclusion proof proves.
    #[error(
        "entry log index {entry} differs from the log index {proven} its inclusion proof proves"
    )]
    IndexMismatch {
        /// The index the entry states.
        entry: u64,
        /// The index the proof proves.
        proven: u64,
    },
    /// A log's answer names another log than the key it is checked with.
    #[error("logID {} is not the ID of the trusted log key {key_id}", hex::encode(.log_id))]
    LogIdMismatch {
        /// The entry's log ID.
        log_id: Vec<u8>,
        /// The ID of the key.
        key_id: String,
    },
    /// A log's answer without a signed entry timestamp.
    #[error("no signed entry timestamp")]
    NoSignedEntryTimestamp,
    /// A log's answer without an inclusion proof.
    #[error("no inclusion proof")]
    NoInclusionProof,
    /// Without a signed entry timestamp, the log's key must be valid at a verified TSA time.
    #[error("log key of {log_url} is not valid at any verified time")]
    KeyNotValidAtAnyTime {
        /// The log.
        log_url: String,
    },
}

/// Verifies one entry; the caller wraps an error with the entry's position.
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_entry(
    root: &TrustedRoot,
    checkpoints: &Memo<VerifiedCheckpoint>,
    entry: &TlogEntry,
    content: &Content,
    material: &Material,
    artifact_digest: Option<&Sha256Hash>,
    tsa_times: &[UnixSeconds],
) -> Result<VerifiedEntry, EntryError> {
    let log = root
        .tlog(&entry.log_id)
        .ok_or_else(|| EntryError::UnknownLog {
            log_id: entry.log_id.clone(),
        })?;
    let key = log.key.usable().ok_or_else(|| EntryError::UnusableLogKey {
        log_url: log.base_url.clone(),
        key_details: log.key_details.to_string(),
    })?;

    // The body must be the kind the bundle claims, and must describe this bundle's content.
    let body = EntryBody::parse(&entry.canonicalized_body).map_err(EntryError::Body)?;
    if body.kind() != entry.kind_version.kind || body.api_version() != entry.kind_version.version {
        return Err(EntryError::KindMismatch {
            bundle_kind: entry.kind_version.kind.to_string(),
            bundle_version: entry.kind_version.version.to_string(),
            body_kind: body.kind().to_string(),
            body_version: body.api_version().to_string(),
        });
    }
    match content {
        Content::MessageSignature(m) => body
            .check_message_signature(
                &m.signature,
                material,
                artifact_digest.ok_or(EntryError::NeedArtifactDigest)?,
            )
            .map_err(EntryError::BundleMismatch)?,
        Content::Dsse(env) => body
            .check_dsse(env, material)
            .map_err(EntryError::EnvelopeMismatch)?,
        _ => return Err(EntryError::UnsupportedContent),
    }

    let proofs = check_proofs(
        entry,
        key,
        |it| {
            if log.valid_for.contains(it) {
                Ok(())
            } else {
                Err(EntryError::KeyNotValidAt {
                    log_url: log.base_url.clone(),
                    time: it,
                })
            }
        },
        |text| {
            checkpoints.get_or_try(
                memo::key("checkpoint", &[&entry.log_id, text.as_bytes()]),
                || verify_checkpoint(log, text),
            )
        },
    )?;
    let (leaf, verified_time) = (proofs.leaf, proofs.set_time);

    // Report only an index something proves: the SET signs the entry's (global) index; without
    // one, only the inclusion proof's index is proven. Rekor v1 shards legitimately differ
    // (global vs. shard index, the SET covers the global one); a Rekor v2 entry (no integrated
    // time) has one index, so an entry index other than the proven one is refused.
    let log_index = match (&entry.inclusion_proof, verified_time) {
        (_, Some(_)) | (None, None) => entry.log_index,
        (Some(proof), None) => {
            if entry.integrated_time.is_none() && proof.log_index != entry.log_index {
                return Err(EntryError::IndexMismatch {
                    entry: entry.log_index.0,
                    proven: proof.log_index.0,
                });
            }
            proof.log_index
        }
    };
    finish(log, log_index, leaf, verified_time, tsa_times)
}

/// What the proofs of one entry established.
struct Proofs {
    /// The body's leaf hash.
    leaf: Sha256Hash,
    /// The integrated time, when a signed entry timestamp verified.
    set_time: Option<UnixSeconds>,
    /// The checkpoint the inclusion proof was checked against, when the entry has a proof.
    checkpoint: Option<VerifiedCheckpoint>,
}

/// The one check of a Rekor entry's proofs, for a bundle's entries and for a log's answers
/// ([`verify_rekor_v1_entry`]): the signed entry timestamp, when present, over the body,
/// integrated time, log ID and index with `key`, at an integrated time `key_valid_at` accepts;
/// the inclusion proof, when present, of the body's leaf hash, with a signed checkpoint
/// (verified by `checkpoint`) of the same size and root; and at least one of the two.
fn check_proofs(
    entry: &TlogEntry,
    key: &PublicKey,
    key_valid_at: impl Fn(UnixSeconds) -> Result<(), EntryError>,
    checkpoint: impl FnOnce(&str) -> Result<VerifiedCheckpoint, EntryError>,
) -> Result<Proofs, EntryError> {
    // Signed entry timestamp (Rekor v1 inclusion promise).
    let mut set_time = None;
    if let Some(set) = &entry.signed_entry_timestamp {
        let it = entry
            .integrated_time
            .ok_or(EntryError::MissingIntegratedTime)?;
        let it = UnixSeconds(it);
        key_valid_at(it)?;
        let payload = signet_rekor::set_payload(
            &entry.canonicalized_body,
            it.0,
            &entry.log_id,
            i64::try_from(entry.log_index.0).map_err(|_| EntryError::LogIndexOutOfRange)?,
        );
        signet_rekor::verify_set(key, &payload, set).map_err(EntryError::SignedEntryTimestamp)?;
        set_time = Some(it);
    }

    // Inclusion proof against a signed checkpoint.
    let leaf = signet_rekor::leaf_hash(&entry.canonicalized_body);
    let mut verified_checkpoint = None;
    if let Some(proof) = &entry.inclusion_proof {
        signet_tlog::verify_inclusion(
            proof.log_index,
            proof.tree_size,
            &leaf,
            &proof.hashes,
            &proof.root_hash,
        )
        .map_err(EntryError::InclusionProof)?;
        // A proof is only worth its signed checkpoint, in every bundle version: the media type
        // is not signed, so a v0.1 exemption would let anyone switch this check off
        // (sigstore-go, sigstore-python and sigstore-js all refuse such a proof).
        let text = proof.checkpoint.as_ref().ok_or(EntryError::NoCheckpoint)?;
        let cp = checkpoint(text)?;
        if cp.size() != proof.tree_size || cp.root_hash() != &proof.root_hash {
            return Err(EntryError::CheckpointMismatch {
                checkpoint_size: cp.size(),
                checkpoint_root: *cp.root_hash(),
                proof_size: proof.tree_size,
                proof_root: proof.root_hash,
            });
        }
        verified_checkpoint = Some(cp);
    } else if set_time.is_none() {
        return Err(EntryError::Unproven);
    }
    Ok(Proofs {
        leaf,
        set_time,
        checkpoint: verified_checkpoint,
    })
}

/// A Rekor v1 entry whose signed entry timestamp, inclusion proof and signed checkpoint verified
/// with the log's key.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifiedLogProofs {
    /// The body's leaf hash (the entry's UUID).
    pub leaf_hash: Sha256Hash,
    /// The integrated time the signed entry timestamp signs.
    pub integrated_time: UnixSeconds,
    /// The signed checkpoint the inclusion proof leads to.
    pub checkpoint: VerifiedCheckpoint,
}

/// Verifies a Rekor v1 entry as a log returns it, with the log's `key`, by the same checks a
/// bundle's entry gets ([`Verifier::verify`](crate::Verifier::verify) step 3): the log ID is the
/// key's ID; the signed entry timestamp and the inclusion proof with its signed checkpoint are
/// both present, and verify. The body is not matched against a signature here: the caller knows
/// which entry it expects.
pub fn verify_rekor_v1_entry(
    entry: &TlogEntry,
    key: &PublicKey,
) -> Result<VerifiedLogProofs, VerifyError> {
    let bad = VerifyError::LogEntry;
    if entry.log_id != key.key_id().as_bytes() {
        return Err(bad(EntryError::LogIdMismatch {
            log_id: entry.log_id.clone(),
            key_id: key.key_id().to_string(),
        }));
    }
    if entry.signed_entry_timestamp.is_none() {
        return Err(bad(EntryError::NoSignedEntryTimestamp));
    }
    if entry.inclusion_proof.is_none() {
        return Err(bad(EntryError::NoInclusionProof));
    }
    let verifier = EcdsaNoteVerifier::any_name(key.clone());
    let p = check_proofs(
        entry,
        key,
        |_| Ok(()),
        |text| {
            signet_tlog::verify_checkpoint(text, &[&verifier as &dyn NoteVerifier])
                .map_err(EntryError::Checkpoint)
        },
    )
    .map_err(bad)?;
    match (p.set_time, p.checkpoint) {
        (Some(integrated_time), Some(checkpoint)) => Ok(VerifiedLogProofs {
            leaf_hash: p.leaf,
            integrated_time,
            checkpoint,
        }),
        (None, _) => Err(bad(EntryError::NoSignedEntryTimestamp)),
        (_, None) => Err(bad(EntryError::NoInclusionProof)),
    }
}

/// A Rekor v2 entry whose inclusion proof verified against a checkpoint signed by the log's key.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifiedV2Proofs {
    /// The body's leaf hash.
    pub leaf_hash: Sha256Hash,
    /// The index the inclusion proof proves (the entry's own index, checked equal).
    pub log_index: LogIndex,
    /// The signed checkpoint the inclusion proof leads to.
    pub checkpoint: VerifiedCheckpoint,
}

/// Verifies a Rekor v2 entry as the log `log` (from a trusted root) returns it, by the checks a
/// bundle's v2 entry gets ([`Verifier::verify`](crate::Verifier::verify) step 3): the log ID is
/// `log`'s; there is an inclusion proof of the body's leaf hash, for the entry's own index,
/// leading to a checkpoint signed by `log`'s key (an Ed25519 key under the log's host name)
/// that names the same size and root. A v2 entry has no signed entry timestamp, and none is
/// checked (the signing time comes from a timestamp authority). The body is not matched
/// against a signature here: the caller knows which entry it expects.
pub fn verify_rekor_v2_entry(
    entry: &TlogEntry,
    log: &TransparencyLog,
) -> Result<VerifiedV2Proofs, VerifyError> {
    let bad = VerifyError::LogEntry;
    let key = log.key.usable().ok_or_else(|| {
        bad(EntryError::UnusableLogKey {
            log_url: log.base_url.clone(),
            key_details: log.key_details.to_string(),
        })
    })?;
    if entry.log_id != log.log_id {
        return Err(bad(EntryError::LogIdMismatch {
            log_id: entry.log_id.clone(),
            key_id: hex::encode(&log.log_id),
        }));
    }
    let proof = entry
        .inclusion_proof
        .as_ref()
        .ok_or(bad(EntryError::NoInclusionProof))?;
    if proof.log_index != entry.log_index {
        return Err(bad(EntryError::IndexMismatch {
            entry: entry.log_index.0,
            proven: proof.log_index.0,
        }));
    }
    let unsigned = TlogEntry {
        signed_entry_timestamp: None,
        ..entry.clone()
    };
    let p = check_proofs(
        &unsigned,
        key,
        |_| Ok(()),
        |text| verify_checkpoint(log, text),
    )
    .map_err(bad)?;
    let checkpoint = p.checkpoint.ok_or(bad(EntryError::NoInclusionProof))?;
    Ok(VerifiedV2Proofs {
        leaf_hash: p.leaf,
        log_index: proof.log_index,
        checkpoint,
    })
}

fn finish(
    log: &TransparencyLog,
    log_index: LogIndex,
    leaf: Sha256Hash,
    verified_time: Option<UnixSeconds>,
    tsa_times: &[UnixSeconds],
) -> Result<VerifiedEntry, EntryError> {
    // Without a SET (Rekor v2) the log key must be valid at some verified TSA time.
    if verified_time.is_none() {
        let ok = tsa_times.is_empty() || tsa_times.iter().any(|t| log.valid_for.contains(*t));
        if !ok {
            return Err(EntryError::KeyNotValidAtAnyTime {
                log_url: log.base_url.clone(),
            });
        }
    }

    Ok(VerifiedEntry {
        log_index,
        uuid: leaf.to_hex(),
        integrated_time: verified_time,
        log_url: log.base_url.clone(),
    })
}

fn verify_checkpoint(log: &TransparencyLog, text: &str) -> Result<VerifiedCheckpoint, EntryError> {
    let key = log.key.usable().ok_or(EntryError::UnusableCheckpointKey)?;
    let verifier =
        signet_tlog::checkpoint_verifier(log.host(), key).map_err(EntryError::CheckpointKey)?;
    signet_tlog::verify_checkpoint(text, &[verifier.as_ref()]).map_err(EntryError::Checkpoint)
}
