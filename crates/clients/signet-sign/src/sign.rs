//! Sign, log, bundle: message signatures (hashedrekord) and DSSE envelopes (dsse).

use std::future::Future;

use signet_bundle::{BundleJson, Rfc3161Json, TimestampVerificationDataJson};
use signet_types::dsse::{EnvelopeJson, SignatureJson};
use signet_types::{Sha256Hash, b64};

use crate::{LogUpload, LoggedEntry, SignError, Signer};

/// Where RFC 3161 timestamps over a signature come from (a timestamp authority). The tokens
/// go into the bundle's `timestampVerificationData`.
pub trait Timestamper {
    /// DER timestamp tokens over `signature` (none is a valid answer).
    fn timestamp(
        &self,
        signature: &[u8],
    ) -> impl Future<Output = Result<Vec<Vec<u8>>, SignError>> + Send;
}

/// No timestamp authority: bundles carry no timestamps (the log's integrated time dates them).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTimestamps;

impl Timestamper for NoTimestamps {
    fn timestamp(
        &self,
        _signature: &[u8],
    ) -> impl Future<Output = Result<Vec<Vec<u8>>, SignError>> + Send {
        std::future::ready(Ok(Vec::new()))
    }
}

/// A signed, logged artifact digest.
#[derive(Debug)]
pub struct MessageSigned {
    /// The DER signature over the digest.
    pub signature: Vec<u8>,
    /// The verified log entry.
    pub entry: LoggedEntry,
    /// The v0.3 bundle.
    pub bundle: BundleJson,
}

/// A signed, logged DSSE envelope.
#[derive(Debug)]
pub struct DsseSigned {
    /// The envelope as logged (compact JSON): these exact bytes are what the log hashed.
    pub envelope_json: String,
    /// The verified log entry.
    pub entry: LoggedEntry,
    /// The v0.3 bundle.
    pub bundle: BundleJson,
}

/// Adds `tokens` to `bundle`'s verification material (nothing when there are none).
fn add_timestamps(bundle: &mut BundleJson, tokens: Vec<Vec<u8>>) {
    if tokens.is_empty() {
        return;
    }
    if let Some(vm) = bundle.verification_material.as_mut() {
        vm.timestamp_verification_data = Some(TimestampVerificationDataJson {
            rfc3161_timestamps: tokens
                .iter()
                .map(|t| Rfc3161Json {
                    signed_timestamp: b64::encode(t),
                })
                .collect(),
        });
    }
}

/// Signs the SHA-256 `digest` of an artifact, logs it as a hashedrekord entry and builds its
/// bundle (checked to parse as a bundle before it is returned). `what` names the artifact in
/// errors.
pub async fn sign_message(
    signer: &Signer,
    log: &impl LogUpload,
    timestamper: &impl Timestamper,
    digest: &Sha256Hash,
    what: &str,
) -> Result<MessageSigned, SignError> {
    let signature = signer.sign_digest(digest)?;
    let entry = log.log_message(signer, digest, &signature, what).await?;
    // A Rekor v2 entry has no signed time: the timestamper (the signing config's TSA, chosen
    // by the caller) gives the signing time.
    let tokens = timestamper.timestamp(&signature).await?;
    let mut bundle = BundleJson::message_signature_v03(
        signer.material()?,
        entry.tlog_entry.clone(),
        digest.as_bytes(),
        &signature,
    );
    add_timestamps(&mut bundle, tokens);
    check_parses(&bundle)?;
    Ok(MessageSigned {
        signature,
        entry,
        bundle,
    })
}

/// Signs `payload` as a DSSE envelope of `payload_type` (one signature, empty key ID), logs it
/// as a dsse entry and builds its bundle. `what` names the payload in errors.
pub async fn sign_dsse(
    signer: &Signer,
    log: &impl LogUpload,
    timestamper: &impl Timestamper,
    payload_type: &str,
    payload: &[u8],
    what: &str,
) -> Result<DsseSigned, SignError> {
    let pae = signet_types::dsse::pae(payload_type, payload);
    let signature = signer.key().sign(&pae)?;
    let envelope = EnvelopeJson {
        payload: b64::encode(payload),
        payload_type: payload_type.to_string(),
        signatures: vec![SignatureJson {
            sig: b64::encode(&signature),
            keyid: String::new(),
        }],
    };
    // Compact, keys sorted: the layout signet has always logged and published.
    let envelope_json = serde_json::to_value(&envelope)
        .and_then(|v| serde_json::to_string(&v))
        .map_err(|e| SignError::Bundle(e.to_string()))?;
    let entry = log
        .log_dsse(signer, &envelope, &envelope_json, what)
        .await?;
    let tokens = timestamper.timestamp(&signature).await?;
    let mut bundle = BundleJson::dsse_v03(signer.material()?, entry.tlog_entry.clone(), envelope);
    add_timestamps(&mut bundle, tokens);
    check_parses(&bundle)?;
    Ok(DsseSigned {
        envelope_json,
        entry,
        bundle,
    })
}

/// Refuses to emit a bundle that our own verifier would not parse.
fn check_parses(bundle: &BundleJson) -> Result<(), SignError> {
    let bytes = serde_json::to_vec(bundle).map_err(|e| SignError::Bundle(e.to_string()))?;
    signet_bundle::Bundle::from_json(&bytes)
        .map(|_| ())
        .map_err(|e| SignError::Bundle(format!("does not parse: {e}")))
}
