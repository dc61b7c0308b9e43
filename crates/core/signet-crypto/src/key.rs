use aws_lc_rs::digest::Digest;
use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use signet_types::Sha256Hash;
use spki::SubjectPublicKeyInfoRef;

use crate::digest::{HashAlgorithm, sha256};

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Errors from key parsing and signature verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The key bytes are not a DER SubjectPublicKeyInfo.
    #[error("malformed public key: {0}")]
    MalformedKey(String),
    /// The key is of an algorithm signet does not accept.
    #[error("unsupported public key algorithm {0}")]
    UnsupportedKey(String),
    /// PEM input had no usable block.
    #[error("malformed PEM: {0}")]
    MalformedPem(String),
    /// The signature scheme does not fit the key (e.g. RSA-PSS with an EC key).
    #[error("signature scheme {scheme:?} cannot be used with a {key:?} key")]
    SchemeMismatch {
        /// Requested scheme.
        scheme: Scheme,
        /// Key algorithm.
        key: KeyAlgorithm,
    },
    /// The digest length does not match the scheme's hash.
    #[error("digest is {actual} bytes, {expected} expected")]
    DigestLength {
        /// Expected length.
        expected: usize,
        /// Supplied length.
        actual: usize,
    },
    /// Ed25519 cannot verify a precomputed digest.
    #[error("Ed25519 signatures cannot be verified against a digest alone; supply the artifact")]
    PrehashUnsupported,
    /// The signature does not verify.
    #[error("signature verification failed")]
    BadSignature,
}

/// The algorithm of a public key, read from its SPKI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// ECDSA on NIST P-521.
    EcdsaP521,
    /// Ed25519.
    Ed25519,
    /// RSA (any size from 2048 to 8192 bits).
    Rsa,
}

/// A signature scheme: key algorithm family plus hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// ECDSA with an ASN.1 DER signature.
    Ecdsa(HashAlgorithm),
    /// Pure Ed25519.
    Ed25519,
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1(HashAlgorithm),
    /// RSASSA-PSS (MGF1 with the same hash, salt length = hash length).
    RsaPss(HashAlgorithm),
}

impl Scheme {
    /// The same scheme over `hash` (e.g. to check a signature against a SHA-256 digest, as
    /// Sigstore clients sign); `None` for Ed25519, which signs the whole message.
    pub fn with_hash(self, hash: HashAlgorithm) -> Option<Self> {
        match self {
            Self::Ecdsa(_) => Some(Self::Ecdsa(hash)),
            Self::RsaPkcs1(_) => Some(Self::RsaPkcs1(hash)),
            Self::RsaPss(_) => Some(Self::RsaPss(hash)),
            Self::Ed25519 => None,
        }
    }
}

/// A parsed public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    algorithm: KeyAlgorithm,
    spki_der: Vec<u8>,
    /// The subjectPublicKey BIT STRING contents (EC point, PKCS#1 RSA key, raw Ed25519 key).
    raw: Vec<u8>,
}

impl core::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id())
            .finish()
    }
}

impl PublicKey {
    /// Reads a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der_bytes: &[u8]) -> Result<Self, CryptoError> {
        let spki = SubjectPublicKeyInfoRef::from_der(der_bytes)
            .map_err(|e| CryptoError::MalformedKey(e.to_string()))?;
        let oid = spki.algorithm.oid;
        let algorithm = if oid == ID_EC_PUBLIC_KEY {
            let curve: ObjectIdentifier = spki
                .algorithm
                .parameters
                .as_ref()
                .ok_or_else(|| CryptoError::MalformedKey("EC key without curve".into()))?
                .decode_as::<ObjectIdentifier>()
                .map_err(|e: der::Error| CryptoError::MalformedKey(e.to_string()))?;
            match curve {
                c if c == SECP256R1 => KeyAlgorithm::EcdsaP256,
                c if c == SECP384R1 => KeyAlgorithm::EcdsaP384,
                c if c == SECP521R1 => KeyAlgorithm::EcdsaP521,
                c => return Err(CryptoError::UnsupportedKey(format!("EC curve {c}"))),
            }
        } else if oid == ID_ED25519 {
            KeyAlgorithm::Ed25519
        } else if oid == RSA_ENCRYPTION {
            KeyAlgorithm::Rsa
        } else {
            return Err(CryptoError::UnsupportedKey(oid.to_string()));
        };
        let raw = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| CryptoError::MalformedKey("unaligned public key bits".into()))?
            .to_vec();
        let key = Self {
            algorithm,
            spki_der: der_bytes.to_vec(),
            raw,
        };
        // Reject keys AWS-LC cannot load now, rather than at first use.
        UnparsedPublicKey::new(key.lc_alg(key.default_scheme())?, &key.raw)
            .parse()
            .map_err(|e| CryptoError::MalformedKey(e.to_string()))?;
        // Canonical DER only: re-encoding must give back the input (no trailing data).
        let reencoded = spki
            .to_der()
            .map_err(|e| CryptoError::MalformedKey(e.to_string()))?;
        if reencoded != der_bytes {
            return Err(CryptoError::MalformedKey(
                "non-canonical SubjectPublicKeyInfo".into(),
            ));
        }
        Ok(key)
    }

    /// Reads a PKCS#1 `RSAPublicKey` (as some trusted roots carry CT keys) by wrapping it in an
    /// SPKI with the `rsaEncryption` algorithm.
    pub fn from_pkcs1_rsa_der(pkcs1: &[u8]) -> Result<Self, CryptoError> {
        let alg = spki::AlgorithmIdentifierOwned {
            oid: RSA_ENCRYPTION,
            parameters: Some(der::asn1::Null.into()),
        };
        let spki = spki::SubjectPublicKeyInfoOwned {
            algorithm: alg,
            subject_public_key: der::asn1::BitString::from_bytes(pkcs1)
                .map_err(|e| CryptoError::MalformedKey(e.to_string()))?,
        };
        let der_bytes = spki
            .to_der()
            .map_err(|e| CryptoError::MalformedKey(e.to_string()))?;
        Self::from_spki_der(&der_bytes)
    }

    /// Reads a PEM `PUBLIC KEY` block (the first one in `text`).
    pub fn from_pem(text: &str) -> Result<Self, CryptoError> {
        let block =
            pem::parse(text.trim()).map_err(|e| CryptoError::MalformedPem(e.to_string()))?;
        if block.tag() != "PUBLIC KEY" {
            return Err(CryptoError::MalformedPem(format!(
                "expected a PUBLIC KEY block, found {}",
                block.tag()
            )));
        }
        Self::from_spki_der(block.contents())
    }

    /// Reads PEM or raw DER, whichever `bytes` is.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, CryptoError> {
        match core::str::from_utf8(bytes) {
            Ok(text) if text.contains("-----BEGIN") => Self::from_pem(text),
            _ => Self::from_spki_der(bytes),
        }
    }

    /// PEM encoding (`PUBLIC KEY`, LF line endings).
    pub fn to_pem(&self) -> String {
        crate::pem_encode("PUBLIC KEY", &self.spki_der)
    }

    /// The key algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The subjectPublicKey bits: the EC point, the PKCS#1 RSA key, or the raw Ed25519 key.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// SHA-256 of the DER SPKI: Rekor's and CT's log ID, and Sigstore's key ID.
    pub fn key_id(&self) -> Sha256Hash {
        sha256(&self.spki_der)
    }

    /// The scheme Sigstore clients use with this key by default.
    pub fn default_scheme(&self) -> Scheme {
        match self.algorithm {
            KeyAlgorithm::EcdsaP256 => Scheme::Ecdsa(HashAlgorithm::Sha256),
            KeyAlgorithm::EcdsaP384 => Scheme::Ecdsa(HashAlgorithm::Sha384),
            KeyAlgorithm::EcdsaP521 => Scheme::Ecdsa(HashAlgorithm::Sha512),
            KeyAlgorithm::Ed25519 => Scheme::Ed25519,
            KeyAlgorithm::Rsa => Scheme::RsaPkcs1(HashAlgorithm::Sha256),
        }
    }

    fn lc_alg(&self, scheme: Scheme) -> Result<&'static dyn VerificationAlgorithm, CryptoError> {
        use HashAlgorithm::*;
        use KeyAlgorithm::*;
        let alg: &'static dyn VerificationAlgorithm = match (self.algorithm, scheme) {
            (EcdsaP256, Scheme::Ecdsa(Sha256)) => &sig::ECDSA_P256_SHA256_ASN1,
            (EcdsaP256, Scheme::Ecdsa(Sha384)) => &sig::ECDSA_P256_SHA384_ASN1,
            (EcdsaP256, Scheme::Ecdsa(Sha512)) => &sig::ECDSA_P256_SHA512_ASN1,
            (EcdsaP384, Scheme::Ecdsa(Sha256)) => &sig::ECDSA_P384_SHA256_ASN1,
            (EcdsaP384, Scheme::Ecdsa(Sha384)) => &sig::ECDSA_P384_SHA384_ASN1,
            (EcdsaP384, Scheme::Ecdsa(Sha512)) => &sig::ECDSA_P384_SHA512_ASN1,
            (EcdsaP521, Scheme::Ecdsa(Sha256)) => &sig::ECDSA_P521_SHA256_ASN1,
            (EcdsaP521, Scheme::Ecdsa(Sha384)) => &sig::ECDSA_P521_SHA384_ASN1,
            (EcdsaP521, Scheme::Ecdsa(Sha512)) => &sig::ECDSA_P521_SHA512_ASN1,
            (Ed25519, Scheme::Ed25519) => &sig::ED25519,
            (Rsa, Scheme::RsaPkcs1(Sha256)) => &sig::RSA_PKCS1_2048_8192_SHA256,
            (Rsa, Scheme::RsaPkcs1(Sha384)) => &sig::RSA_PKCS1_2048_8192_SHA384,
            (Rsa, Scheme::RsaPkcs1(Sha512)) => &sig::RSA_PKCS1_2048_8192_SHA512,
            (Rsa, Scheme::RsaPss(Sha256)) => &sig::RSA_PSS_2048_8192_SHA256,
            (Rsa, Scheme::RsaPss(Sha384)) => &sig::RSA_PSS_2048_8192_SHA384,
            (Rsa, Scheme::RsaPss(Sha512)) => &sig::RSA_PSS_2048_8192_SHA512,
            (key, scheme) => return Err(CryptoError::SchemeMismatch { scheme, key }),
        };
        Ok(alg)
    }

    /// Verifies `signature` over `message` with the key's default scheme.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        self.verify_with(self.default_scheme(), message, signature)
    }

    /// Verifies `signature` over `message` with an explicit scheme.
    pub fn verify_with(
        &self,
        scheme: Scheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        UnparsedPublicKey::new(self.lc_alg(scheme)?, &self.raw)
            .verify(message, signature)
            .map_err(|_| CryptoError::BadSignature)
    }

    /// Verifies `signature` over a precomputed digest of the message.
    pub fn verify_prehashed(
        &self,
        scheme: Scheme,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let hash = match scheme {
            Scheme::Ecdsa(h) | Scheme::RsaPkcs1(h) | Scheme::RsaPss(h) => h,
            Scheme::Ed25519 => return Err(CryptoError::PrehashUnsupported),
        };
        if digest.len() != hash.output_len() {
            return Err(CryptoError::DigestLength {
                expected: hash.output_len(),
                actual: digest.len(),
            });
        }
        let d =
            Digest::import_less_safe(digest, hash.lc()).map_err(|_| CryptoError::DigestLength {
                expected: hash.output_len(),
                actual: digest.len(),
            })?;
        UnparsedPublicKey::new(self.lc_alg(scheme)?, &self.raw)
            .verify_digest(&d, signature)
            .map_err(|_| CryptoError::BadSignature)
    }
}
