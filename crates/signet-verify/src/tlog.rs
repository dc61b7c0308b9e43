//! Step 4 of verification: one transparency-log entry.

use signet_bundle::{Content, TlogEntry};
use signet_crypto::{KeyAlgorithm, PublicKey};
use signet_rekor::{EntryBody, Material};
use signet_tlog::{EcdsaNoteVerifier, Ed25519NoteVerifier, NoteVerifier, VerifiedCheckpoint};
use signet_trust::{TransparencyLog, TrustedRoot};
use signet_types::{LogIndex, Sha256Hash, UnixSeconds};

use crate::VerifyError;
use crate::memo::{self, Memo};
use crate::verifier::VerifiedEntry;

/// Verifies one entry. Errors are messages; the caller wraps them with the entry's position.
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_entry(
    root: &TrustedRoot,
    checkpoints: &Memo<VerifiedCheckpoint>,
    entry: &TlogEntry,
    content: &Content,
    material: &Material,
    artifact_digest: Option<&Sha256Hash>,
    tsa_times: &[UnixSeconds],
) -> Result<VerifiedEntry, String> {
    let log = root.tlog(&entry.log_id).ok_or_else(|| {
        format!(
            "log ID {} is not in the trusted root",
            hex::encode(&entry.log_id)
        )
    })?;
    let key = log.key.usable().ok_or_else(|| {
        format!(
            "the trusted root's key for {} cannot be used ({})",
            log.base_url, log.key_details
        )
    })?;

    // The body must be the kind the bundle claims, and must describe this bundle's content.
    let body = EntryBody::parse(&entry.canonicalized_body).map_err(|e| e.to_string())?;
    if body.kind() != entry.kind_version.kind || body.api_version() != entry.kind_version.version {
        return Err(format!(
            "bundle says {}/{} but the log entry body is {}/{}",
            entry.kind_version.kind,
            entry.kind_version.version,
            body.kind(),
            body.api_version()
        ));
    }
    match content {
        Content::MessageSignature(m) => body
            .check_message_signature(
                &m.signature,
                material,
                artifact_digest.ok_or("a message signature needs the artifact's SHA-256")?,
            )
            .map_err(|e| format!("log entry does not match the bundle: {e}"))?,
        Content::Dsse(env) => body
            .check_dsse(env, material)
            .map_err(|e| format!("log entry does not match the DSSE envelope: {e}"))?,
        _ => return Err("unsupported bundle content".into()),
    }

    let proofs = check_proofs(
        entry,
        key,
        |it| {
            if log.valid_for.contains(it) {
                Ok(())
            } else {
                Err(format!(
                    "log key of {} is not valid at the integrated time {it}",
                    log.base_url
                ))
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
                return Err(format!(
                    "entry log index {} differs from the log index {} its inclusion proof proves",
                    entry.log_index.0, proof.log_index.0
                ));
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
    key_valid_at: impl Fn(UnixSeconds) -> Result<(), String>,
    checkpoint: impl FnOnce(&str) -> Result<VerifiedCheckpoint, String>,
) -> Result<Proofs, String> {
    // Signed entry timestamp (Rekor v1 inclusion promise).
    let mut set_time = None;
    if let Some(set) = &entry.signed_entry_timestamp {
        let it = entry
            .integrated_time
            .ok_or("signed entry timestamp present but integratedTime is missing")?;
        let it = UnixSeconds(it);
        key_valid_at(it)?;
        let payload = signet_rekor::set_payload(
            &entry.canonicalized_body,
            it.0,
            &entry.log_id,
            i64::try_from(entry.log_index.0).map_err(|_| "log index out of range")?,
        );
        signet_rekor::verify_set(key, &payload, set)
            .map_err(|e| format!("signed entry timestamp: {e}"))?;
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
        .map_err(|e| format!("inclusion proof: {e}"))?;
        // A proof is only worth its signed checkpoint, in every bundle version: the media type
        // is not signed, so a v0.1 exemption would let anyone switch this check off
        // (sigstore-go, sigstore-python and sigstore-js all refuse such a proof).
        let text = proof
            .checkpoint
            .as_ref()
            .ok_or("inclusion proof has no signed checkpoint")?;
        let cp = checkpoint(text)?;
        if cp.size() != proof.tree_size || cp.root_hash() != &proof.root_hash {
            return Err(format!(
                "checkpoint (size {}, root {}) does not match the inclusion proof (size {}, root {})",
                cp.size(),
                cp.root_hash(),
                proof.tree_size,
                proof.root_hash
            ));
        }
        verified_checkpoint = Some(cp);
    } else if set_time.is_none() {
        return Err("entry has neither an inclusion proof nor a signed entry timestamp".into());
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
        return Err(bad(format!(
            "logID {} is not the ID of the trusted log key {}",
            hex::encode(&entry.log_id),
            key.key_id()
        )));
    }
    if entry.signed_entry_timestamp.is_none() {
        return Err(bad("no signed entry timestamp".into()));
    }
    if entry.inclusion_proof.is_none() {
        return Err(bad("no inclusion proof".into()));
    }
    let verifier = EcdsaNoteVerifier::any_name(key.clone());
    let p = check_proofs(
        entry,
        key,
        |_| Ok(()),
        |text| {
            signet_tlog::verify_checkpoint(text, &[&verifier as &dyn NoteVerifier])
                .map_err(|e| format!("checkpoint: {e}"))
        },
    )
    .map_err(bad)?;
    match (p.set_time, p.checkpoint) {
        (Some(integrated_time), Some(checkpoint)) => Ok(VerifiedLogProofs {
            leaf_hash: p.leaf,
            integrated_time,
            checkpoint,
        }),
        _ => Err(bad(
            "signed entry timestamp or inclusion proof missing".into()
        )),
    }
}

fn finish(
    log: &TransparencyLog,
    log_index: LogIndex,
    leaf: Sha256Hash,
    verified_time: Option<UnixSeconds>,
    tsa_times: &[UnixSeconds],
) -> Result<VerifiedEntry, String> {
    // Without a SET (Rekor v2) the log key must be valid at some verified TSA time.
    if verified_time.is_none() {
        let ok = tsa_times.is_empty() || tsa_times.iter().any(|t| log.valid_for.contains(*t));
        if !ok {
            return Err(format!(
                "log key of {} is not valid at any verified time",
                log.base_url
            ));
        }
    }

    Ok(VerifiedEntry {
        log_index,
        uuid: leaf.to_hex(),
        integrated_time: verified_time,
        log_url: log.base_url.clone(),
    })
}

fn verify_checkpoint(log: &TransparencyLog, text: &str) -> Result<VerifiedCheckpoint, String> {
    let key = log.key.usable().ok_or("unusable log key")?;
    let verifier: Box<dyn NoteVerifier> = match key.algorithm() {
        KeyAlgorithm::Ed25519 => Box::new(
            Ed25519NoteVerifier::new(log.host(), key)
                .map_err(|e| format!("checkpoint key: {e}"))?,
        ),
        _ => Box::new(EcdsaNoteVerifier::any_name(key.clone())),
    };
    signet_tlog::verify_checkpoint(text, &[verifier.as_ref()])
        .map_err(|e| format!("checkpoint: {e}"))
}
