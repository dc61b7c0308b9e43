//! Base64 as Sigstore's Go tools read it.
//!
//! Go's `StdEncoding.DecodeString` (used for bundle and Rekor fields) silently drops `\r` and `\n`
//! and requires padding. We match that, and additionally accept unpadded input (protojson emitters
//! differ) while refusing any other stray byte.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

const STD_LENIENT_PADDING: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Error for malformed base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64: {0}")]
pub struct Base64Error(String);

/// Decodes standard base64, ignoring CR/LF like Go's `StdEncoding.DecodeString`.
pub fn decode(input: &str) -> Result<Vec<u8>, Base64Error> {
    if input.contains(['\r', '\n']) {
        let cleaned: String = input.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        return STD_LENIENT_PADDING
            .decode(cleaned.trim())
            .map_err(|e| Base64Error(e.to_string()));
    }
    STD_LENIENT_PADDING
        .decode(input.trim())
        .map_err(|e| Base64Error(e.to_string()))
}

/// Encodes with the standard alphabet and padding.
pub fn encode(input: impl AsRef<[u8]>) -> String {
    STANDARD.encode(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_go() {
        assert_eq!(decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode("aGVs\r\nbG8=").unwrap(), b"hello");
        assert_eq!(decode("aGVsbG8").unwrap(), b"hello");
        assert!(decode("aGVs*bG8=").is_err());
        assert!(decode("a").is_err());
        assert_eq!(encode(b"hello"), "aGVsbG8=");
    }
}
