use signet_crypto::PublicKey;

use crate::RekorError;

/// The bytes a Rekor v1 signed entry timestamp signs: the RFC 8785 form of
/// `{"body":…,"integratedTime":…,"logID":…,"logIndex":…}` (keys already in canonical order).
pub fn set_payload(body: &[u8], integrated_time: i64, log_id: &[u8], log_index: i64) -> Vec<u8> {
    // Base64 and lower-case hex need no JSON escaping; integers print as plain decimals, which is
    // what JCS produces for |n| < 2^53 (Rekor's values are far below that).
    let body_b64 = signet_types::b64::encode(body);
    let log_id_hex = hex::encode(log_id);
    format!(
        r#"{{"body":"{body_b64}","integratedTime":{integrated_time},"logID":"{log_id_hex}","logIndex":{log_index}}}"#
    )
    .into_bytes()
}

/// Verifies a signed entry timestamp with the log's key.
pub fn verify_set(key: &PublicKey, payload: &[u8], signature: &[u8]) -> Result<(), RekorError> {
    key.verify(payload, signature)
        .map_err(|_| RekorError::BadSet)
}
