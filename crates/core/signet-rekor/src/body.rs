use signet_crypto::sha256;
use signet_types::dsse::Envelope;
use signet_types::{Sha256Hash, b64};

use crate::RekorError;
use crate::canonical::pem_to_der_blocks;
use crate::kinds::{Outer, dsse, hashedrekord, intoto};

/// The signer material a bundle carries, as DER.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Material {
    /// A leaf certificate.
    Certificate {
        /// Certificate DER.
        der: Vec<u8>,
    },
    /// A public key.
    PublicKey {
        /// SubjectPublicKeyInfo DER.
        spki_der: Vec<u8>,
    },
}

impl Material {
    fn der(&self) -> &[u8] {
        match self {
            Self::Certificate { der } => der,
            Self::PublicKey { spki_der } => spki_der,
        }
    }

    /// Whether the first PEM block of `pem` is this material.
    pub(crate) fn matches_pem(&self, pem: &[u8]) -> bool {
        pem_to_der_blocks(pem)
            .ok()
            .and_then(|b| b.into_iter().next())
            .is_some_and(|(_, der)| der == self.der())
    }
}

/// A parsed entry body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryBody {
    /// `hashedrekord` 0.0.1 (Rekor v1).
    HashedRekordV001 {
        /// `sha256`, `sha384` or `sha512`.
        algorithm: String,
        /// Hex digest as stored.
        digest_hex: String,
        /// Signature bytes.
        signature: Vec<u8>,
        /// Verifier PEM (key, certificate or chain).
        verifier_pem: Vec<u8>,
    },
    /// `hashedrekord` 0.0.2 (Rekor v2).
    HashedRekordV002 {
        /// `SHA2_256`, ….
        algorithm: String,
        /// Digest bytes.
        digest: Vec<u8>,
        /// Signature bytes.
        signature: Vec<u8>,
        /// Verifier DER.
        verifier: Material,
    },
    /// `dsse` 0.0.1.
    DsseV001 {
        /// Hex SHA-256 of the decoded payload.
        payload_hash_hex: String,
        /// (signature, verifier PEM) pairs.
        signatures: Vec<(Vec<u8>, Vec<u8>)>,
    },
    /// `dsse` 0.0.2 (Rekor v2 `DSSELogEntryV002`; the public logs accepted it from mid 2025
    /// until DSSE moved to hashedrekord over the PAE).
    DsseV002 {
        /// `SHA2_256`, ….
        payload_hash_algorithm: String,
        /// Digest of the decoded payload.
        payload_hash: Vec<u8>,
        /// (signature, verifier DER) pairs.
        signatures: Vec<(Vec<u8>, Material)>,
    },
    /// `intoto` 0.0.2.
    IntotoV002 {
        /// Hex SHA-256 of the decoded payload.
        payload_hash_hex: String,
        /// Decoded payload, when the body kept it.
        payload: Option<Vec<u8>>,
        /// Payload type.
        payload_type: String,
        /// (signature, verifier PEM) pairs.
        signatures: Vec<(Vec<u8>, Vec<u8>)>,
    },
}

pub(crate) fn malformed(kind: &str, reason: impl ToString) -> RekorError {
    RekorError::Malformed {
        kind: kind.to_string(),
        reason: reason.to_string(),
    }
}

pub(crate) fn dec(kind: &str, s: &str) -> Result<Vec<u8>, RekorError> {
    b64::decode(s).map_err(|e| malformed(kind, e))
}

pub(crate) fn spec<T: serde::de::DeserializeOwned>(
    kind: &str,
    v: serde_json::Value,
) -> Result<T, RekorError> {
    serde_json::from_value(v).map_err(|e| malformed(kind, e))
}

impl EntryBody {
    /// Parses a canonicalized body.
    pub fn parse(body: &[u8]) -> Result<Self, RekorError> {
        let outer: Outer<serde_json::Value> =
            serde_json::from_slice(body).map_err(|e| malformed("entry", e))?;
        let k = outer.kind.as_str();
        match (k, outer.api_version.as_str()) {
            ("hashedrekord", "0.0.1") => hashedrekord::parse_v001(k, outer.spec),
            ("hashedrekord", "0.0.2") => hashedrekord::parse_v002(k, outer.spec),
            ("dsse", "0.0.1") => dsse::parse_v001(k, outer.spec),
            ("dsse", "0.0.2") => dsse::parse_v002(k, outer.spec),
            ("intoto", "0.0.2") => intoto::parse_v002(k, outer.spec),
            (kind, version) => Err(RekorError::Unsupported {
                kind: kind.into(),
                version: version.into(),
            }),
        }
    }

    /// Entry kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::HashedRekordV001 { .. } | Self::HashedRekordV002 { .. } => "hashedrekord",
            Self::DsseV001 { .. } | Self::DsseV002 { .. } => "dsse",
            Self::IntotoV002 { .. } => "intoto",
        }
    }

    /// Entry API version.
    pub fn api_version(&self) -> &'static str {
        match self {
            Self::HashedRekordV001 { .. } | Self::DsseV001 { .. } => "0.0.1",
            Self::HashedRekordV002 { .. } | Self::DsseV002 { .. } | Self::IntotoV002 { .. } => {
                "0.0.2"
            }
        }
    }

    /// Checks that this entry records `signature` by `material` over an artifact with SHA-256
    /// `digest`.
    pub fn check_message_signature(
        &self,
        signature: &[u8],
        material: &Material,
        digest: &Sha256Hash,
    ) -> Result<(), RekorError> {
        let want = hashedrekord::Expected {
            digest: digest.as_bytes(),
            digest_field: "artifact digest",
            signature,
            material,
        };
        match self {
            Self::HashedRekordV001 {
                algorithm,
                digest_hex,
                signature,
                verifier_pem,
            } => hashedrekord::check_v001(algorithm, digest_hex, signature, verifier_pem, &want),
            Self::HashedRekordV002 {
                algorithm,
                digest,
                signature,
                verifier,
            } => hashedrekord::check_v002(algorithm, digest, signature, verifier, &want),
            Self::DsseV001 { .. } | Self::DsseV002 { .. } | Self::IntotoV002 { .. } => {
                Err(RekorError::WrongContent {
                    kind: self.kind().into(),
                    content: "a message signature",
                })
            }
        }
    }

    /// Checks that this entry records the DSSE `envelope` signed by `material`.
    pub fn check_dsse(&self, envelope: &Envelope, material: &Material) -> Result<(), RekorError> {
        match self {
            Self::DsseV001 {
                payload_hash_hex,
                signatures,
            } => dsse::check_v001(payload_hash_hex, signatures, envelope, material),
            Self::IntotoV002 {
                payload_hash_hex,
                payload,
                payload_type,
                signatures,
            } => intoto::check_v002(
                payload_hash_hex,
                payload.as_deref(),
                payload_type,
                signatures,
                envelope,
                material,
            ),
            Self::DsseV002 {
                payload_hash_algorithm,
                payload_hash,
                signatures,
            } => dsse::check_v002(
                payload_hash_algorithm,
                payload_hash,
                signatures,
                envelope,
                material,
            ),
            Self::HashedRekordV002 {
                algorithm,
                digest,
                signature,
                verifier,
            } => hashedrekord::check_v002_dsse(
                algorithm, digest, signature, verifier, envelope, material,
            ),
            Self::HashedRekordV001 { .. } => Err(RekorError::WrongContent {
                kind: self.kind().into(),
                content: "a DSSE envelope",
            }),
        }
    }
}

/// The entry's hex SHA-256 of the payload is the envelope's.
pub(crate) fn payload_hash_matches(
    payload_hash_hex: &str,
    envelope: &Envelope,
) -> Result<(), RekorError> {
    if payload_hash_hex.eq_ignore_ascii_case(&sha256(&envelope.payload).to_hex()) {
        Ok(())
    } else {
        Err(RekorError::Mismatch {
            field: "payload hash",
        })
    }
}

/// The entry records exactly the envelope's signatures, each with a verifier `is_signer` accepts.
pub(crate) fn signatures_match<V>(
    envelope: &Envelope,
    entry_sigs: &[(Vec<u8>, V)],
    is_signer: impl Fn(&V) -> bool,
) -> Result<(), RekorError> {
    if entry_sigs.len() != envelope.signatures.len() {
        return Err(RekorError::Mismatch {
            field: "signature count",
        });
    }
    for s in &envelope.signatures {
        let (_, verifier) = entry_sigs
            .iter()
            .find(|(sig, _)| *sig == s.sig)
            .ok_or(RekorError::Mismatch { field: "signature" })?;
        if !is_signer(verifier) {
            return Err(RekorError::Mismatch { field: "verifier" });
        }
    }
    Ok(())
}
