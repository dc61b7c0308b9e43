//! Entry admission: Rekor's `createLogEntry` steps 1–3, by the entry kinds of `signet-rekor`.

pub use signet_rekor::Admitted;

use crate::LogError;

/// Validates a proposed entry (JSON) and returns its canonical form ([`signet_rekor::admit`]);
/// a refusal is a 400 with Rekor's message.
pub fn admit(proposed: &[u8]) -> Result<Admitted, LogError> {
    signet_rekor::admit(proposed).map_err(|e| LogError::BadRequest(e.to_string()))
}
