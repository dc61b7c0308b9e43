//! Entry admission: Rekor's `createLogEntry` steps 1–3, by the entry kinds of `signet-rekor`.

pub use signet_rekor::Admitted;

use crate::LogError;

/// Validates a proposed entry (JSON) and returns its canonical form ([`signet_rekor::admit`]);
/// a refusal is a 400 with Rekor's message.
pub fn admit(proposed: &[u8]) -> Result<Admitted, LogError> {
    signet_rekor::admit(proposed).map_err(|e| LogError::BadRequest(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    /// A refused entry is a 400 whose message is Rekor's wording, as before admission moved to
    /// `signet-rekor`.
    #[test]
    fn refusals_are_bad_requests_in_rekors_words() {
        let message = |p: &[u8]| match admit(p) {
            Err(LogError::BadRequest(m)) => m,
            other => panic!("not a bad request: {other:?}"),
        };
        assert!(message(b"{").starts_with("invalid proposed entry: "));
        assert_eq!(
            message(br#"{"kind":"rpm","apiVersion":"0.0.1","spec":{}}"#),
            "error processing entry: entry kind \"rpm\" is not supported by this log \
             (hashedrekord, dsse and intoto are)"
        );
        assert_eq!(
            message(br#"{"kind":"intoto","apiVersion":"0.0.1","spec":{}}"#),
            "error processing entry: intoto version 0.0.1 is not supported (0.0.2 is)"
        );
    }
}
