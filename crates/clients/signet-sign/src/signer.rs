//! The signing material: a managed key, or an ephemeral key and the certificate a CA issued
//! for it.

use signet_bundle::VerificationMaterialJson;
use signet_client::RekorClient;
use signet_crypto::SigningKey;
use signet_trust::TrustedRoot;
use signet_types::{Sha256Hash, b64};

use crate::{RetryPolicy, SignError, check_issued};

/// Signing material: the key and, keyless, the certificate the CA issued for it (PEM, checked
/// by [`check_issued`]).
pub struct Signer {
    key: SigningKey,
    cert: Option<String>,
}

impl Signer {
    /// A managed key (no certificate; the log entry and the bundle name the key).
    pub fn managed(key: SigningKey) -> Self {
        Self { key, cert: None }
    }

    /// Keyless: a fresh P-256 key, certified by the CA at `ca_url` for the identity of
    /// `token` (proof of possession: a signature over the token's `email`, else `sub`), and
    /// the certificate checked against `root` ([`check_issued`]) before use. Transient CA
    /// failures are retried by `retry`.
    pub async fn keyless(
        client: &RekorClient,
        ca_url: &str,
        token: &str,
        root: &TrustedRoot,
        retry: &RetryPolicy,
    ) -> Result<Self, SignError> {
        let key = SigningKey::generate_p256()?;
        let subject = token_subject(token)?;
        let pop = key.sign(subject.as_bytes())?;
        let pem = key.public_key().to_pem();
        let chain = retry
            .run(|| client.signing_cert(ca_url, token, &pem, &pop))
            .await
            .map_err(SignError::Ca)?;
        let cert = check_issued(root, &chain, &key)?;
        Ok(Self {
            key,
            cert: Some(cert),
        })
    }

    /// The private key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The leaf certificate (PEM, LF line ends), keyless only.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.cert.as_deref()
    }

    /// Whether this is keyless signing (there is a certificate).
    pub fn is_keyless(&self) -> bool {
        self.cert.is_some()
    }

    /// The PEM the log entry names: the leaf certificate, or the public key.
    pub fn verifier_pem(&self) -> String {
        match &self.cert {
            Some(c) => c.clone(),
            None => self.key.public_key().to_pem(),
        }
    }

    /// The verifier a Rekor v2 entry names: the leaf certificate's DER, or the public key's
    /// DER SPKI, with its `keyDetails`.
    pub fn v2_verifier(&self) -> Result<signet_rekor::RequestVerifier, SignError> {
        let bad = |e: signet_rekor::RekorError| SignError::Log {
            context: "naming the signer in a Rekor v2 entry".into(),
            source: signet_client::ClientError::Proposed(e.to_string()),
        };
        match &self.cert {
            Some(c) => {
                let der = pem::parse(c)
                    .map_err(|e| SignError::Bundle(format!("certificate PEM: {e}")))?;
                signet_rekor::RequestVerifier::certificate(der.contents()).map_err(bad)
            }
            None => signet_rekor::RequestVerifier::public_key(self.key.public_key()).map_err(bad),
        }
    }

    /// An ECDSA signature over a SHA-256 digest (hashedrekord).
    pub fn sign_digest(&self, digest: &Sha256Hash) -> Result<Vec<u8>, SignError> {
        Ok(self.key.sign_sha256_digest(digest)?)
    }

    /// The bundle's `verificationMaterial` without entries: the certificate (keyless), else the
    /// key's hint (its key ID).
    pub fn material(&self) -> Result<VerificationMaterialJson, SignError> {
        Ok(match &self.cert {
            Some(c) => {
                let der = pem::parse(c)
                    .map_err(|e| SignError::Bundle(format!("certificate PEM: {e}")))?;
                VerificationMaterialJson::certificate(der.contents())
            }
            None => VerificationMaterialJson::public_key(b64::encode(
                self.key.public_key().key_id().as_bytes(),
            )),
        })
    }
}

/// The PoP challenge: `email` when the token has one, else `sub` (what cosign and sigstore-go
/// send; the CA checks it against the verified token).
pub fn token_subject(token: &str) -> Result<String, SignError> {
    let claims =
        signet_types::jwt::unverified_claims(token).map_err(|e| SignError::Token(e.to_string()))?;
    claims
        .get("email")
        .or_else(|| claims.get("sub"))
        .and_then(|s| s.as_str())
        .map(str::to_string)
        .ok_or_else(|| SignError::Token("the identity token has neither email nor sub".into()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn token(claims: &str) -> String {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims);
        format!("e30.{payload}.c2ln")
    }

    #[test]
    fn the_challenge_is_the_email_else_the_subject() {
        assert_eq!(
            token_subject(&token(r#"{"sub":"s","email":"a@b"}"#)).unwrap(),
            "a@b"
        );
        assert_eq!(token_subject(&token(r#"{"sub":"s"}"#)).unwrap(), "s");
        assert!(token_subject(&token(r#"{"iss":"x"}"#)).is_err());
        assert!(token_subject("not a token").is_err());
    }

    #[test]
    fn managed_material_names_the_key_id() {
        let key = SigningKey::generate_p256().unwrap();
        let hint = b64::encode(key.public_key().key_id().as_bytes());
        let s = Signer::managed(key);
        assert!(!s.is_keyless());
        assert_eq!(
            s.material().unwrap(),
            VerificationMaterialJson::public_key(hint)
        );
        assert_eq!(s.verifier_pem(), s.key().public_key().to_pem());
    }
}
