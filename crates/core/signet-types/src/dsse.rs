//! DSSE envelopes (<https://github.com/secure-systems-lab/dsse/blob/master/envelope.md>).
//!
//! Only the data model and the pre-authentication encoding live here; verification needs a key
//! and lives in `signet-verify`.

use serde::{Deserialize, Serialize};

use crate::b64;

/// One signature over the PAE of an envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsseSignature {
    /// Raw signature bytes.
    pub sig: Vec<u8>,
    /// Optional key hint.
    pub keyid: String,
}

/// A DSSE envelope with decoded payload and signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The signed payload bytes.
    pub payload: Vec<u8>,
    /// Payload media type, e.g. `application/vnd.in-toto+json`.
    pub payload_type: String,
    /// Signatures, in envelope order.
    pub signatures: Vec<DsseSignature>,
}

/// Media type of in-toto statements carried in DSSE.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

impl Envelope {
    /// DSSE v1 pre-authentication encoding:
    /// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// The JSON wire form (`{"payload": b64, "payloadType": .., "signatures": [{"sig": b64, "keyid": ..}]}`).
    pub fn to_json(&self) -> EnvelopeJson {
        EnvelopeJson {
            payload: b64::encode(&self.payload),
            payload_type: self.payload_type.clone(),
            signatures: self
                .signatures
                .iter()
                .map(|s| SignatureJson {
                    sig: b64::encode(&s.sig),
                    keyid: s.keyid.clone(),
                })
                .collect(),
        }
    }
}

/// DSSE v1 pre-authentication encoding of `payload_type` and `payload`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    // A capacity hint only: saturating is harmless (two in-memory lengths cannot overflow).
    let mut out = Vec::with_capacity(
        payload
            .len()
            .saturating_add(payload_type.len())
            .saturating_add(32),
    );
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// JSON wire form of an envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopeJson {
    /// Base64 payload.
    pub payload: String,
    /// Payload media type.
    pub payload_type: String,
    /// Signatures.
    #[serde(default)]
    pub signatures: Vec<SignatureJson>,
}

/// JSON wire form of one signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureJson {
    /// Base64 signature.
    pub sig: String,
    /// Key hint (may be empty). Written even when empty: every envelope signet has published
    /// carries `"keyid": ""`, and its bytes are what the log and the provenance file hold.
    #[serde(default)]
    pub keyid: String,
}

impl TryFrom<&EnvelopeJson> for Envelope {
    type Error = b64::Base64Error;

    fn try_from(j: &EnvelopeJson) -> Result<Self, Self::Error> {
        Ok(Self {
            payload: b64::decode(&j.payload)?,
            payload_type: j.payload_type.clone(),
            signatures: j
                .signatures
                .iter()
                .map(|s| {
                    Ok(DsseSignature {
                        sig: b64::decode(&s.sig)?,
                        keyid: s.keyid.clone(),
                    })
                })
                .collect::<Result<_, b64::Base64Error>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_spec_example() {
        // From the DSSE spec's protocol.md test vector.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }
}
