use signet_crypto::sha256;
use signet_types::dsse::{Envelope, pae};
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
    fn matches_pem(&self, pem: &[u8]) -> bool {
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
        match self {
            Self::HashedRekordV001 {
                algorithm,
                digest_hex,
                signature: sig,
                verifier_pem,
            } => {
                if algorithm != "sha256" || !digest_hex.eq_ignore_ascii_case(&digest.to_hex()) {
                    return Err(RekorError::Mismatch {
                        field: "artifact digest",
                    });
                }
                if sig != signature {
                    return Err(RekorError::Mismatch { field: "signature" });
                }
                if !material.matches_pem(verifier_pem) {
                    return Err(RekorError::Mismatch {
                        field: "public key or certificate",
                    });
                }
                Ok(())
            }
            Self::HashedRekordV002 {
                algorithm,
                digest: d,
                signature: sig,
                verifier,
            } => {
                if algorithm != "SHA2_256" || d.as_slice() != digest.as_bytes() {
                    return Err(RekorError::Mismatch {
                        field: "artifact digest",
                    });
                }
                if sig != signature {
                    return Err(RekorError::Mismatch { field: "signature" });
                }
                if verifier != material {
                    return Err(RekorError::Mismatch {
                        field: "public key or certificate",
                    });
                }
                Ok(())
            }
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
        let payload_hash = sha256(&envelope.payload).to_hex();
        let sigs_match = |entry_sigs: &[(Vec<u8>, Vec<u8>)]| {
            signatures_match(envelope, entry_sigs, |pem| material.matches_pem(pem))
        };
        match self {
            Self::DsseV001 {
                payload_hash_hex,
                signatures,
            } => {
                if !payload_hash_hex.eq_ignore_ascii_case(&payload_hash) {
                    return Err(RekorError::Mismatch {
                        field: "payload hash",
                    });
                }
                sigs_match(signatures)
            }
            Self::IntotoV002 {
                payload_hash_hex,
                payload,
                payload_type,
                signatures,
            } => {
                if !payload_hash_hex.eq_ignore_ascii_case(&payload_hash) {
                    return Err(RekorError::Mismatch {
                        field: "payload hash",
                    });
                }
                if payload.as_ref().is_some_and(|p| *p != envelope.payload) {
                    return Err(RekorError::Mismatch { field: "payload" });
                }
                if *payload_type != envelope.payload_type {
                    return Err(RekorError::Mismatch {
                        field: "payload type",
                    });
                }
                sigs_match(signatures)
            }
            // Rekor v2's short-lived dsse type: SHA-256 of the payload and every signature with
            // its verifier, as sigstore-go and sigstore-python checked it before they dropped it.
            Self::DsseV002 {
                payload_hash_algorithm,
                payload_hash: digest,
                signatures,
            } => {
                if payload_hash_algorithm != "SHA2_256"
                    || digest.as_slice() != sha256(&envelope.payload).as_bytes()
                {
                    return Err(RekorError::Mismatch {
                        field: "payload hash",
                    });
                }
                signatures_match(envelope, signatures, |v| v == material)
            }
            // Rekor v2 logs DSSE as hashedrekord over SHA-256(PAE) with the envelope signature.
            Self::HashedRekordV002 {
                algorithm,
                digest,
                signature,
                verifier,
            } => {
                let [only] = envelope.signatures.as_slice() else {
                    return Err(RekorError::Mismatch {
                        field: "signature count",
                    });
                };
                let want = sha256(&pae(&envelope.payload_type, &envelope.payload));
                if algorithm != "SHA2_256" || digest.as_slice() != want.as_bytes() {
                    return Err(RekorError::Mismatch {
                        field: "envelope digest",
                    });
                }
                if *signature != only.sig {
                    return Err(RekorError::Mismatch { field: "signature" });
                }
                if verifier != material {
                    return Err(RekorError::Mismatch {
                        field: "public key or certificate",
                    });
                }
                Ok(())
            }
            Self::HashedRekordV001 { .. } => Err(RekorError::WrongContent {
                kind: self.kind().into(),
                content: "a DSSE envelope",
            }),
        }
    }
}

/// The entry records exactly the envelope's signatures, each with a verifier `is_signer` accepts.
fn signatures_match<V>(
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
