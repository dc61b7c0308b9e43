use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, KeyPair};

use std::sync::Arc;

use crate::key::{CryptoError, KeyAlgorithm, PublicKey};

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
    /// The external key holder refused or failed.
    #[error("signing with the external key failed: {0}")]
    External(String),
    /// The public half could not be read back.
    #[error(transparent)]
    Public(#[from] CryptoError),
}

/// A P-256 private key held outside this process (a PKCS#11 token, a KMS): what it must do for
/// a [`SigningKey`] to sign with it. The key never leaves its holder; signet hands it digests.
pub trait ExternalSigner: Send + Sync {
    /// The ECDSA signature, ASN.1 DER (`SEQUENCE { r, s }`), over the SHA-256 `digest`.
    fn sign_sha256_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, String>;
}

enum Inner {
    /// A key in memory (generated, or loaded from a PKCS#8 file).
    Local(EcdsaKeyPair),
    /// A key held elsewhere.
    External(Arc<dyn ExternalSigner>),
}

/// An ECDSA P-256 signing key (the key type Sigstore clients use for ephemeral keys), held in
/// memory or by an [`ExternalSigner`]. Cloning shares the key.
#[derive(Clone)]
pub struct SigningKey {
    inner: Arc<Inner>,
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
        Ok(Self {
            inner: Arc::new(Inner::Local(pair)),
            public,
        })
    }

    /// A key held by `signer`, whose public key is `public` (P-256 only). The caller should
    /// check the pair with [`SigningKey::check`] before putting it in service.
    pub fn external(
        public: PublicKey,
        signer: Arc<dyn ExternalSigner>,
    ) -> Result<Self, SigningKeyError> {
        if public.algorithm() != KeyAlgorithm::EcdsaP256 {
            return Err(SigningKeyError::Key(format!(
                "an external key must be ECDSA P-256, not {:?}",
                public.algorithm()
            )));
        }
        Ok(Self {
            inner: Arc::new(Inner::External(signer)),
            public,
        })
    }

    /// Whether the private key is held outside this process.
    pub fn is_external(&self) -> bool {
        matches!(*self.inner, Inner::External(_))
    }

    /// Signs a probe message and verifies it with the public key: catches an external signer
    /// whose private key is not the public key's pair.
    pub fn check(&self) -> Result<(), SigningKeyError> {
        let msg = b"signet key check";
        let sig = self.sign(msg)?;
        self.public.verify(msg, &sig).map_err(|e| {
            SigningKeyError::Key(format!(
                "the signature does not verify with the key's public key: {e}"
            ))
        })
    }

    /// PKCS#8 v1 DER of the private key (an error for an external key, which never leaves its
    /// holder).
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, SigningKeyError> {
        match &*self.inner {
            Inner::Local(pair) => pair
                .to_pkcs8v1()
                .map(|d| d.as_ref().to_vec())
                .map_err(|e| SigningKeyError::Key(e.to_string())),
            Inner::External(_) => Err(SigningKeyError::Key(
                "the private key is held outside signet and cannot be exported".into(),
            )),
        }
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
        match &*self.inner {
            Inner::Local(pair) => {
                let d = aws_lc_rs::digest::Digest::import_less_safe(
                    digest.as_bytes(),
                    &aws_lc_rs::digest::SHA256,
                )
                .map_err(|_| SigningKeyError::Sign)?;
                pair.sign_digest(&d)
                    .map(|s| s.as_ref().to_vec())
                    .map_err(|_| SigningKeyError::Sign)
            }
            Inner::External(signer) => signer
                .sign_sha256_digest(digest.as_bytes())
                .map_err(SigningKeyError::External),
        }
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
        match &*self.inner {
            Inner::Local(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SigningKeyError::Sign),
            Inner::External(_) => self.sign_sha256_digest(&crate::sha256(message)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HashAlgorithm, Scheme};

    /// An "external" holder backed by an in-memory key.
    struct Held(SigningKey);

    impl ExternalSigner for Held {
        fn sign_sha256_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, String> {
            self.0
                .sign_sha256_digest(&signet_types::Sha256Hash(*digest))
                .map_err(|e| e.to_string())
        }
    }

    #[test]
    fn external_keys_sign_like_local_ones_and_are_checked() {
        let inner = SigningKey::generate_p256().unwrap();
        let k = SigningKey::external(inner.public_key().clone(), Arc::new(Held(inner))).unwrap();
        assert!(k.is_external());
        k.check().unwrap();
        let sig = k.sign(b"message").unwrap();
        k.public_key().verify(b"message", &sig).unwrap();
        let sig = k.sign_sha256_digest(&crate::sha256(b"other")).unwrap();
        k.public_key().verify(b"other", &sig).unwrap();
        assert!(
            k.to_pkcs8_der().is_err(),
            "an external key never leaves its holder"
        );
        // A holder whose key is not the public key's pair is caught by check().
        let stranger = SigningKey::generate_p256().unwrap();
        let wrong = SigningKey::external(
            SigningKey::generate_p256().unwrap().public_key().clone(),
            Arc::new(Held(stranger)),
        )
        .unwrap();
        assert!(wrong.check().is_err());
        // Only P-256.
        let p384 = EcdsaKeyPair::generate(&sig::ECDSA_P384_SHA384_ASN1_SIGNING).unwrap();
        let p384 = PublicKey::from_spki_der(p384.public_key().as_der().unwrap().as_ref()).unwrap();
        let inner = SigningKey::generate_p256().unwrap();
        assert!(SigningKey::external(p384, Arc::new(Held(inner))).is_err());
    }

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
