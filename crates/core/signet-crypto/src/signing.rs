use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, KeyPair};

use crate::key::{CryptoError, PublicKey};

/// Errors from creating or loading a signing key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningKeyError {
    /// Key generation or loading failed.
    #[error("signing key: {0}")]
    Key(String),
    /// Signing failed.
    #[error("signing failed")]
    Sign,
    /// The public half could not be read back.
    #[error(transparent)]
    Public(#[from] CryptoError),
}

/// An ECDSA P-256 signing key (the key type Sigstore clients use for ephemeral keys).
pub struct SigningKey {
    pair: EcdsaKeyPair,
    public: PublicKey,
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a fresh P-256 key.
    pub fn generate_p256() -> Result<Self, SigningKeyError> {
        let pair = EcdsaKeyPair::generate(&sig::ECDSA_P256_SHA256_ASN1_SIGNING)
            .map_err(|e| SigningKeyError::Key(e.to_string()))?;
        Self::from_pair(pair)
    }

    /// Loads a P-256 key from PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, SigningKeyError> {
        let pair = EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, der)
            .map_err(|e| SigningKeyError::Key(e.to_string()))?;
        Self::from_pair(pair)
    }

    fn from_pair(pair: EcdsaKeyPair) -> Result<Self, SigningKeyError> {
        let spki = pair
            .public_key()
            .as_der()
            .map_err(|e| SigningKeyError::Key(e.to_string()))?;
        let public = PublicKey::from_spki_der(spki.as_ref())?;
        Ok(Self { pair, public })
    }

    /// PKCS#8 v1 DER of the private key.
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, SigningKeyError> {
        self.pair
            .to_pkcs8v1()
            .map(|d| d.as_ref().to_vec())
            .map_err(|e| SigningKeyError::Key(e.to_string()))
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// ECDSA-SHA256 ASN.1 signature over a precomputed SHA-256 digest (files hashed by streaming).
    pub fn sign_sha256_digest(
        &self,
        digest: &signet_types::Sha256Hash,
    ) -> Result<Vec<u8>, SigningKeyError> {
        let d = aws_lc_rs::digest::Digest::import_less_safe(
            digest.as_bytes(),
            &aws_lc_rs::digest::SHA256,
        )
        .map_err(|_| SigningKeyError::Sign)?;
        self.pair
            .sign_digest(&d)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| SigningKeyError::Sign)
    }

    /// PKCS#8 PEM (`PRIVATE KEY`) of the private key.
    pub fn to_pkcs8_pem(&self) -> Result<String, SigningKeyError> {
        Ok(crate::pem_encode("PRIVATE KEY", &self.to_pkcs8_der()?))
    }

    /// Loads a P-256 key from PKCS#8 PEM (`PRIVATE KEY`).
    pub fn from_pkcs8_pem(text: &str) -> Result<Self, SigningKeyError> {
        let block = pem::parse(text.trim()).map_err(|e| SigningKeyError::Key(e.to_string()))?;
        if block.tag() != "PRIVATE KEY" {
            return Err(SigningKeyError::Key(format!(
                "expected an unencrypted PKCS#8 PRIVATE KEY block, found {}",
                block.tag()
            )));
        }
        Self::from_pkcs8_der(block.contents())
    }

    /// ECDSA-SHA256 ASN.1 signature over `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SigningKeyError> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| SigningKeyError::Sign)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HashAlgorithm, Scheme};

    #[test]
    fn sign_verify_round_trip() {
        let k = SigningKey::generate_p256().unwrap();
        let sig = k.sign(b"hello").unwrap();
        k.public_key().verify(b"hello", &sig).unwrap();
        assert!(k.public_key().verify(b"hellO", &sig).is_err());
        let digest = HashAlgorithm::Sha256.digest(b"hello");
        k.public_key()
            .verify_prehashed(Scheme::Ecdsa(HashAlgorithm::Sha256), &digest, &sig)
            .unwrap();
        let again = SigningKey::from_pkcs8_der(&k.to_pkcs8_der().unwrap()).unwrap();
        let from_pem = SigningKey::from_pkcs8_pem(&k.to_pkcs8_pem().unwrap()).unwrap();
        assert_eq!(from_pem.public_key(), k.public_key());
        let d = crate::sha256(b"hello");
        let sig2 = k.sign_sha256_digest(&d).unwrap();
        k.public_key().verify(b"hello", &sig2).unwrap();
        assert!(
            SigningKey::from_pkcs8_pem(
                "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n"
            )
            .is_err()
        );
        assert_eq!(again.public_key(), k.public_key());
        let pem = k.public_key().to_pem();
        assert_eq!(&PublicKey::from_pem(&pem).unwrap(), k.public_key());
        assert!(PublicKey::from_spki_der(&[0x30, 0x00]).is_err());
    }
}
