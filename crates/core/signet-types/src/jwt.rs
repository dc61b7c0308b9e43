//! The compact form of a JWT (`header.payload.signature`), read **without verifying anything**:
//! a signer picks its proof-of-possession subject from it, a CA picks the issuer whose keys will
//! verify it (`signet-oidc` verifies). Bounded; never panics.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// Largest token accepted, in bytes (Fulcio fixed an OOM on huge tokens, GHSA-f83f-xpx7-ffpw).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Why a token is not a well-formed compact JWS with JSON-object header and payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MalformedToken(pub String);

fn malformed(why: impl Into<String>) -> MalformedToken {
    MalformedToken(why.into())
}

/// The three parts of a compact JWS, after size and shape checks.
#[derive(Debug, Clone, Copy)]
pub struct Parts<'a> {
    /// `header.payload`: what the signature covers.
    pub signed: &'a str,
    /// The base64url header.
    pub header: &'a str,
    /// The base64url payload.
    pub payload: &'a str,
    /// The base64url signature.
    pub signature: &'a str,
}

/// Splits a token into its three parts (at most [`MAX_TOKEN_LEN`] bytes, exactly three parts).
pub fn split(token: &str) -> Result<Parts<'_>, MalformedToken> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed(format!(
            "token longer than {MAX_TOKEN_LEN} bytes"
        )));
    }
    let mut it = token.split('.');
    match (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        token.rsplit_once('.'),
    ) {
        (Some(header), Some(payload), Some(signature), None, Some((signed, _))) => Ok(Parts {
            signed,
            header,
            payload,
            signature,
        }),
        _ => Err(malformed("token must have exactly three parts")),
    }
}

/// Decodes one base64url part (`what` names it in errors) as a JSON object.
pub fn decode_json_object(part: &str, what: &str) -> Result<Map<String, Value>, MalformedToken> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| malformed(format!("{what} is not base64url: {e}")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(malformed(format!("{what} is not a JSON object"))),
        Err(e) => Err(malformed(format!("{what} is not JSON: {e}"))),
    }
}

/// The payload claims of a token **without verifying anything**.
pub fn unverified_claims(token: &str) -> Result<Map<String, Value>, MalformedToken> {
    let parts = split(token)?;
    decode_json_object(parts.payload, "payload")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn claims_of_a_compact_token() {
        let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"s"}"#);
        let claims = unverified_claims(&format!("e30.{payload}.c2ln")).unwrap();
        assert_eq!(claims["sub"], "s");
        for bad in ["", "a.b", "a.b.c.d", "e30.!!.c2ln", "e30.WzFd.c2ln"] {
            assert!(unverified_claims(bad).is_err(), "{bad}");
        }
        let long = format!("e30.{payload}.{}", "A".repeat(MAX_TOKEN_LEN));
        assert!(split(&long).unwrap_err().0.contains("longer than"));
    }
}
