//! A **development-only** OIDC issuer.
//!
//! It holds one ES256 (P-256) key, serves what an OpenID provider serves (discovery document and
//! JWKS) and mints ID tokens for any subject it is asked to. It performs no authentication at
//! all: anyone who can reach it gets any identity. Use it for tests and local setups only, never
//! register it in a production CA.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};

use crate::OidcError;
use crate::config::{Issuer, IssuerType, IssuerUrl};

const PEM_TAG: &str = "PRIVATE KEY";

/// A development OIDC issuer with an ES256 signing key. See the module documentation.
pub struct DevIssuer {
    issuer_url: String,
    pkcs8: Vec<u8>,
    encoding_key: EncodingKey,
    kid: String,
    x: String,
    y: String,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("issuer_url", &self.issuer_url)
            .field("kid", &self.kid)
            .finish()
    }
}

fn key_err(e: impl std::fmt::Display) -> OidcError {
    OidcError::Config(format!("development issuer key: {e}"))
}

impl DevIssuer {
    /// A new issuer for `issuer_url` with a freshly generated P-256 key.
    pub fn generate(issuer_url: &str) -> Result<Self, OidcError> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(key_err)?;
        let pkcs8 = pair.to_pkcs8v1().map_err(key_err)?;
        Self::from_pkcs8_der(issuer_url, pkcs8.as_ref())
    }

    /// Loads a key saved by [`DevIssuer::to_pkcs8_pem`].
    pub fn from_pkcs8_pem(issuer_url: &str, pem_text: &str) -> Result<Self, OidcError> {
        let block = pem::parse(pem_text).map_err(key_err)?;
        if block.tag() != PEM_TAG {
            return Err(key_err(format!(
                "expected a {PEM_TAG} PEM block, got {}",
                block.tag()
            )));
        }
        Self::from_pkcs8_der(issuer_url, block.contents())
    }

    fn from_pkcs8_der(issuer_url: &str, der: &[u8]) -> Result<Self, OidcError> {
        let issuer_url = issuer_url.trim_end_matches('/').to_owned();
        if issuer_url.is_empty() {
            return Err(key_err("empty issuer URL"));
        }
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(key_err)?;
        let point = pair.public_key().as_ref();
        // Uncompressed SEC1 point: 0x04 || X (32) || Y (32).
        if point.len() != 65 || point[0] != 0x04 {
            return Err(key_err("unexpected public key encoding"));
        }
        let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
        let y = URL_SAFE_NO_PAD.encode(&point[33..]);
        // RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order.
        let thumb_input = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(digest(&SHA256, thumb_input.as_bytes()));
        let pkcs8 = pair.to_pkcs8v1().map_err(key_err)?.as_ref().to_vec();
        Ok(Self {
            issuer_url,
            encoding_key: EncodingKey::from_ec_der(&pkcs8),
            pkcs8,
            kid,
            x,
            y,
        })
    }

    /// The signing key, for tests that need hand-made headers.
    #[cfg(test)]
    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding_key
    }

    /// The private key as a PKCS#8 PEM block (LF line endings), to persist between runs.
    pub fn to_pkcs8_pem(&self) -> String {
        let lf = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
        pem::encode_config(&pem::Pem::new(PEM_TAG, self.pkcs8.as_slice()), lf)
    }

    /// The issuer URL (`iss`), without a trailing slash.
    pub fn issuer_url(&self) -> &str {
        &self.issuer_url
    }

    /// The key id (RFC 7638 JWK thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Where [`DevIssuer::jwks_json`] should be served: `{issuer}/.well-known/jwks.json`.
    pub fn jwks_uri(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer_url)
    }

    /// The body of `{issuer}/.well-known/openid-configuration`.
    pub fn discovery_json(&self) -> Value {
        json!({
            "issuer": self.issuer_url,
            "jwks_uri": self.jwks_uri(),
            "id_token_signing_alg_values_supported": ["ES256"],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "claims_supported": ["iss", "sub", "aud", "iat", "nbf", "exp", "email", "email_verified"],
        })
    }

    /// The public key set.
    pub fn jwks_json(&self) -> Value {
        json!({ "keys": [{
            "kty": "EC",
            "crv": "P-256",
            "x": self.x,
            "y": self.y,
            "kid": self.kid,
            "alg": "ES256",
            "use": "sig",
        }]})
    }

    /// Mints a signed ID token with `iss`, `sub`, `aud`, `iat`, `nbf` (= `now_unix`), `exp`
    /// (= `now_unix + ttl_secs`) and, when `email` is given, `email` and `email_verified: true`.
    /// `extra_claims` are added last and may override any of these (tests use that to build
    /// bad tokens).
    pub fn mint(
        &self,
        subject: &str,
        email: Option<&str>,
        audience: &str,
        now_unix: i64,
        ttl_secs: i64,
        extra_claims: Map<String, Value>,
    ) -> Result<String, OidcError> {
        let mut claims = Map::new();
        claims.insert("iss".into(), Value::String(self.issuer_url.clone()));
        claims.insert("sub".into(), Value::String(subject.to_owned()));
        claims.insert("aud".into(), Value::String(audience.to_owned()));
        claims.insert("iat".into(), now_unix.into());
        claims.insert("nbf".into(), now_unix.into());
        claims.insert("exp".into(), now_unix.saturating_add(ttl_secs).into());
        if let Some(email) = email {
            claims.insert("email".into(), Value::String(email.to_owned()));
            claims.insert("email_verified".into(), Value::Bool(true));
        }
        claims.extend(extra_claims);
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &Value::Object(claims), &self.encoding_key)
            .map_err(|e| OidcError::Config(format!("minting token: {e}")))
    }

    /// An issuer entry for this URL of the given type (client id `sigstore`). Tokens minted with
    /// an email map to an email SAN under [`IssuerType::Email`]; other types need the matching
    /// claims (e.g. `kubernetes.io`) or settings (e.g. a subject domain via
    /// [`Issuer::with_subject_domain`]).
    pub fn issuer_config(&self, issuer_type: IssuerType) -> Issuer {
        Issuer::new(IssuerUrl::Exact(self.issuer_url.clone()), issuer_type)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::token::{Jwks, verify};

    #[test]
    fn pem_round_trip_keeps_the_key() {
        let a = DevIssuer::generate("http://127.0.0.1:1234/").unwrap();
        assert_eq!(a.issuer_url(), "http://127.0.0.1:1234");
        let pem_text = a.to_pkcs8_pem();
        assert!(pem_text.starts_with("-----BEGIN PRIVATE KEY-----"));
        let b = DevIssuer::from_pkcs8_pem("http://127.0.0.1:1234", &pem_text).unwrap();
        assert_eq!(a.kid(), b.kid());
        assert_eq!(a.jwks_json(), b.jwks_json());
        // A token from the reloaded key verifies against the original JWKS.
        let jwks = Jwks::from_json(a.jwks_json().to_string().as_bytes()).unwrap();
        let token = b
            .mint(
                "me",
                Some("me@example.com"),
                "sigstore",
                1000,
                60,
                Map::new(),
            )
            .unwrap();
        let issuer = a.issuer_config(IssuerType::Email);
        verify(&token, &issuer, &jwks, 1010, 0).unwrap();
    }

    #[test]
    fn rejects_bad_pem() {
        assert!(DevIssuer::from_pkcs8_pem("http://x", "not pem").is_err());
        let wrong_tag = pem::encode(&pem::Pem::new("CERTIFICATE", vec![1, 2, 3]));
        assert!(DevIssuer::from_pkcs8_pem("http://x", &wrong_tag).is_err());
        let garbage = pem::encode(&pem::Pem::new(PEM_TAG, vec![1, 2, 3]));
        assert!(DevIssuer::from_pkcs8_pem("http://x", &garbage).is_err());
    }

    #[test]
    fn documents_have_the_expected_shape() {
        let d = DevIssuer::generate("https://dev.example").unwrap();
        let disc = d.discovery_json();
        assert_eq!(disc["issuer"], "https://dev.example");
        assert_eq!(
            disc["jwks_uri"],
            "https://dev.example/.well-known/jwks.json"
        );
        assert_eq!(
            disc["id_token_signing_alg_values_supported"],
            json!(["ES256"])
        );
        let jwks = d.jwks_json();
        assert_eq!(jwks["keys"][0]["kid"], d.kid());
        assert_eq!(jwks["keys"][0]["crv"], "P-256");
        assert_eq!(d.kid().len(), 43); // base64url(SHA-256)
    }
}
