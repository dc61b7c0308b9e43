//! Fulcio API v2 (`dev.sigstore.fulcio.v2.CA`, grpc-gateway JSON): request parsing, key
//! policy, proof of possession, the issuance flow, and Fulcio's response and error shapes.

use std::future::Future;

use der::{Decode, Encode};
use serde::Deserialize;
use signet_crypto::{KeyAlgorithm, PublicKey, Scheme};
use signet_types::b64;

use crate::issue::Identity;
use crate::keys::CaChain;

/// Largest request body Fulcio accepts (`maxMsgSize`).
pub const MAX_REQUEST_BYTES: usize = 4 << 20;
/// Largest identity token accepted.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Largest CSR or public key accepted.
pub const MAX_KEY_BYTES: usize = 16 * 1024;

/// gRPC status codes Fulcio's gateway maps to HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// 3 → HTTP 400.
    InvalidArgument,
    /// 13 → HTTP 500.
    Internal,
    /// 14 → HTTP 503.
    Unavailable,
}

/// A Fulcio error: `{"code":N,"message":"…","details":[]}` with the mapped HTTP status.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FulcioError {
    /// gRPC code.
    pub code: Code,
    /// Fulcio's message (the client-facing text).
    pub message: String,
    /// Why, for the server log only (never sent: Fulcio does not leak details).
    pub detail: String,
}

/// Fulcio's messages (`pkg/server/error.go`).
pub mod msg {
    /// Token problems of every kind.
    pub const TOKEN: &str = "There was an error processing the identity token";
    /// CSR could not be parsed.
    pub const CSR: &str = "The certificate signing request could not be parsed";
    /// Public key could not be parsed.
    pub const PUBKEY: &str = "The public key supplied in the request could not be parsed";
    /// Key rejected by policy.
    pub const INSECURE: &str = "The public key supplied in the request is insecure";
    /// Proof of possession failed.
    pub const SIGNATURE: &str = "The signature supplied in the request could not be verified";
    /// CT log failure.
    pub const CTL: &str = "Error entering certificate in CTL";
    /// CA failure.
    pub const CA: &str = "error communicating with CA backend";
    /// Request body unusable.
    pub const BODY: &str = "The request body could not be parsed";
}

impl FulcioError {
    /// A 400 with Fulcio's message `m`.
    pub fn invalid(m: &str, detail: impl Into<String>) -> Self {
        Self {
            code: Code::InvalidArgument,
            message: m.to_string(),
            detail: detail.into(),
        }
    }

    /// A 500 with Fulcio's message `m`.
    pub fn internal(m: &str, detail: impl Into<String>) -> Self {
        Self {
            code: Code::Internal,
            message: m.to_string(),
            detail: detail.into(),
        }
    }

    /// HTTP status.
    pub fn status(&self) -> u16 {
        match self.code {
            Code::InvalidArgument => 400,
            Code::Internal => 500,
            Code::Unavailable => 503,
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> serde_json::Value {
        let code = match self.code {
            Code::InvalidArgument => 3,
            Code::Internal => 13,
            Code::Unavailable => 14,
        };
        serde_json::json!({"code": code, "message": self.message, "details": []})
    }
}

#[derive(Deserialize, Default)]
struct Credentials {
    #[serde(default, alias = "oidc_identity_token")]
    #[serde(rename = "oidcIdentityToken")]
    oidc_identity_token: Option<String>,
}

#[derive(Deserialize)]
struct WirePublicKey {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct WirePublicKeyRequest {
    #[serde(default, rename = "publicKey", alias = "public_key")]
    public_key: Option<WirePublicKey>,
    #[serde(default, rename = "proofOfPossession", alias = "proof_of_possession")]
    proof_of_possession: Option<String>,
}

#[derive(Deserialize)]
struct WireRequest {
    #[serde(default)]
    credentials: Option<Credentials>,
    #[serde(default, rename = "publicKeyRequest", alias = "public_key_request")]
    public_key_request: Option<WirePublicKeyRequest>,
    #[serde(
        default,
        rename = "certificateSigningRequest",
        alias = "certificate_signing_request"
    )]
    certificate_signing_request: Option<String>,
}

/// How the requester proves it holds the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyProof {
    /// A signature over the identity's challenge string (email or `sub`).
    Signature {
        /// The requester's public key.
        key: PublicKey,
        /// DER/raw signature bytes.
        proof: Vec<u8>,
    },
    /// A PKCS#10 CSR whose self-signature verified.
    Csr {
        /// The CSR's public key.
        key: PublicKey,
    },
}

impl KeyProof {
    /// The key to certify.
    pub fn key(&self) -> &PublicKey {
        match self {
            Self::Signature { key, .. } | Self::Csr { key } => key,
        }
    }
}

/// A parsed `CreateSigningCertificateRequest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningCertRequest {
    /// The identity token (body field, else the `Authorization: Bearer` header).
    pub token: String,
    /// The key and its proof.
    pub proof: KeyProof,
}

fn decode_b64(s: &str, what: &str, m: &str) -> Result<Vec<u8>, FulcioError> {
    if s.len() > MAX_KEY_BYTES * 2 {
        return Err(FulcioError::invalid(m, format!("{what} too large")));
    }
    b64::decode(s).map_err(|e| FulcioError::invalid(m, format!("{what}: {e}")))
}

/// Parses a public key as Fulcio does: PEM, else DER bytes (here: base64 of them, since the
/// JSON field is a string), then applies Fulcio's key policy.
pub fn parse_public_key(content: &str) -> Result<PublicKey, FulcioError> {
    if content.len() > MAX_KEY_BYTES {
        return Err(FulcioError::invalid(msg::PUBKEY, "public key too large"));
    }
    let key = if content.trim_start().starts_with("-----BEGIN") {
        PublicKey::from_pem(content)
            .map_err(|e| FulcioError::invalid(msg::PUBKEY, e.to_string()))?
    } else {
        let der = decode_b64(content, "public key", msg::PUBKEY)?;
        PublicKey::from_spki_der(&der)
            .map_err(|e| FulcioError::invalid(msg::PUBKEY, e.to_string()))?
    };
    check_key_policy(&key)?;
    Ok(key)
}

/// Fulcio's `ValidatePubKey` plus the default client signing algorithms: ECDSA P-256/384/521,
/// RSA 2048/3072/4096, Ed25519.
pub fn check_key_policy(key: &PublicKey) -> Result<(), FulcioError> {
    match key.algorithm() {
        KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 | KeyAlgorithm::EcdsaP521 => Ok(()),
        KeyAlgorithm::Ed25519 => Ok(()),
        KeyAlgorithm::Rsa => {
            let bits = rsa_modulus_bits(key.spki_der()).unwrap_or(0);
            if matches!(bits, 2048 | 3072 | 4096) {
                Ok(())
            } else {
                Err(FulcioError::invalid(
                    msg::INSECURE,
                    format!("RSA key of {bits} bits (2048, 3072 or 4096 required)"),
                ))
            }
        }
        _ => Err(FulcioError::invalid(msg::INSECURE, "unsupported key type")),
    }
}

fn rsa_modulus_bits(spki_der: &[u8]) -> Option<usize> {
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der).ok()?;
    let pkcs1 = spki.subject_public_key.as_bytes()?;
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
    let seq = der::asn1::AnyRef::from_der(pkcs1).ok()?;
    let mut reader = der::SliceReader::new(seq.value()).ok()?;
    let modulus = der::asn1::UintRef::decode(&mut reader).ok()?;
    let bytes = modulus.as_bytes();
    let unused = bytes.first().map_or(0, |b| b.leading_zeros() as usize);
    bytes.len().checked_mul(8)?.checked_sub(unused)
}

/// Parses a base64(PEM) PKCS#10 CSR and verifies its self-signature (the proof of possession
/// on the CSR path). Only its public key is used; names in the CSR are ignored, as in Fulcio.
pub fn parse_csr(b64_pem: &str) -> Result<PublicKey, FulcioError> {
    let bad = |d: String| FulcioError::invalid(msg::CSR, d);
    let pem_bytes = decode_b64(b64_pem, "CSR", msg::CSR)?;
    let text = std::str::from_utf8(&pem_bytes).map_err(|_| bad("CSR is not PEM text".into()))?;
    let block = pem::parse(text).map_err(|e| bad(format!("CSR PEM: {e}")))?;
    if !matches!(
        block.tag(),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST"
    ) {
        return Err(bad(format!("unexpected PEM block {:?}", block.tag())));
    }
    let req = x509_cert::request::CertReq::from_der(block.contents())
        .map_err(|e| bad(format!("CSR: {e}")))?;
    let info = req.info.to_der().map_err(|e| bad(e.to_string()))?;
    let spki = req
        .info
        .public_key
        .to_der()
        .map_err(|e| bad(e.to_string()))?;
    let key = PublicKey::from_spki_der(&spki)
        .map_err(|e| FulcioError::invalid(msg::PUBKEY, e.to_string()))?;
    let sig = req
        .signature
        .as_bytes()
        .ok_or_else(|| bad("CSR signature has unused bits".into()))?;
    let scheme = csr_scheme(&req.algorithm.oid, &key)?;
    key.verify_with(scheme, &info, sig)
        .map_err(|_| FulcioError::invalid(msg::SIGNATURE, "CSR self-signature does not verify"))?;
    check_key_policy(&key)?;
    Ok(key)
}

fn csr_scheme(oid: &const_oid::ObjectIdentifier, key: &PublicKey) -> Result<Scheme, FulcioError> {
    let s = signet_x509::signature_scheme(oid).map_err(|_| {
        FulcioError::invalid(
            msg::CSR,
            format!("unsupported CSR signature algorithm {oid}"),
        )
    })?;
    let fits = matches!(
        (key.algorithm(), s),
        (
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 | KeyAlgorithm::EcdsaP521,
            Scheme::Ecdsa(_)
        ) | (KeyAlgorithm::Rsa, Scheme::RsaPkcs1(_))
            | (KeyAlgorithm::Ed25519, Scheme::Ed25519)
    );
    if !fits {
        return Err(FulcioError::invalid(
            msg::CSR,
            "CSR signature algorithm does not match its key",
        ));
    }
    Ok(s)
}

/// Parses a `CreateSigningCertificateRequest` body. `bearer` is the token from the
/// `Authorization` header, used when the body carries none.
pub fn parse_request(body: &[u8], bearer: Option<&str>) -> Result<SigningCertRequest, FulcioError> {
    if body.len() > MAX_REQUEST_BYTES {
        return Err(FulcioError::invalid(msg::BODY, "request too large"));
    }
    let w: WireRequest =
        serde_json::from_slice(body).map_err(|e| FulcioError::invalid(msg::BODY, e.to_string()))?;
    let token = w
        .credentials
        .and_then(|c| c.oidc_identity_token)
        .filter(|t| !t.is_empty())
        .or_else(|| bearer.map(str::to_string))
        .ok_or_else(|| FulcioError::invalid(msg::TOKEN, "no identity token"))?;
    if token.len() > MAX_TOKEN_BYTES {
        return Err(FulcioError::invalid(msg::TOKEN, "identity token too large"));
    }
    let proof = match (w.public_key_request, w.certificate_signing_request) {
        (Some(_), Some(_)) => {
            return Err(FulcioError::invalid(
                msg::BODY,
                "publicKeyRequest and certificateSigningRequest are mutually exclusive",
            ));
        }
        (Some(pkr), None) => {
            let content = pkr
                .public_key
                .and_then(|k| k.content)
                .ok_or_else(|| FulcioError::invalid(msg::PUBKEY, "no public key"))?;
            let key = parse_public_key(&content)?;
            let proof = decode_b64(
                pkr.proof_of_possession.as_deref().unwrap_or(""),
                "proof of possession",
                msg::SIGNATURE,
            )?;
            if proof.is_empty() {
                return Err(FulcioError::invalid(
                    msg::SIGNATURE,
                    "no proof of possession",
                ));
            }
            KeyProof::Signature { key, proof }
        }
        (None, Some(csr)) => KeyProof::Csr {
            key: parse_csr(&csr)?,
        },
        (None, None) => {
            return Err(FulcioError::invalid(
                msg::PUBKEY,
                "either publicKeyRequest or certificateSigningRequest is required",
            ));
        }
    };
    Ok(SigningCertRequest { token, proof })
}

/// An authenticated identity: what the token proved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticated {
    /// The string the proof of possession signs (email for email issuers, else `sub`).
    pub challenge: String,
    /// SAN and extensions for the certificate.
    pub identity: Identity,
}

/// Turns an identity token into an identity (OIDC verification lives behind this).
pub trait Authenticator: Send + Sync {
    /// Verifies `token`; any failure is Fulcio's token error.
    fn authenticate(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Authenticated, FulcioError>> + Send;
}

/// Submits a precertificate chain to a CT log and returns the extnValue of the SCT-list
/// extension to embed. The CA knows only this trait; the server wires a CT log in behind it.
pub trait CtSubmitter: Send + Sync {
    /// `add-pre-chain`: `chain` is the precertificate, its issuer, …, the root (DER); the
    /// answer is the DER `SignedCertificateTimestampList` extension value.
    fn add_pre_chain(
        &self,
        chain: Vec<Vec<u8>>,
    ) -> impl Future<Output = Result<Vec<u8>, FulcioError>> + Send;
}

/// `POST /api/v2/signingCert`: authenticate, check the proof of possession, issue the
/// precertificate, log it, and return the final certificate chain (leaf, intermediate, root)
/// as PEM strings.
pub async fn create_signing_certificate<A: Authenticator, C: CtSubmitter>(
    ca: &CaChain,
    auth: &A,
    ct: &C,
    req: &SigningCertRequest,
    now: time::OffsetDateTime,
) -> Result<Vec<String>, FulcioError> {
    let who = auth.authenticate(&req.token).await?;
    if let KeyProof::Signature { key, proof } = &req.proof {
        key.verify(who.challenge.as_bytes(), proof).map_err(|_| {
            FulcioError::invalid(
                msg::SIGNATURE,
                "proof of possession does not verify over the identity",
            )
        })?;
    }
    let pending = ca
        .precertificate(req.proof.key().spki_der(), &who.identity, now)
        .map_err(|e| FulcioError::internal(msg::CA, e.to_string()))?;
    let sct_list = ct.add_pre_chain(ca.ct_chain(&pending)).await?;
    let leaf = ca
        .finish(pending, &sct_list)
        .map_err(|e| FulcioError::internal(msg::CA, e.to_string()))?;
    let leaf_pem = signet_crypto::certificate_pem(&leaf);
    let mut chain = vec![leaf_pem];
    chain.extend(ca.chain_pem());
    Ok(chain)
}

/// The `SigningCertificate` response with an embedded SCT.
pub fn signing_certificate_json(chain: &[String]) -> serde_json::Value {
    serde_json::json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}})
}

/// The `TrustBundle` response.
pub fn trust_bundle_json(ca: &CaChain) -> serde_json::Value {
    serde_json::json!({"chains": [{"certificates": ca.chain_pem()}]})
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn request_forms() {
        let k = signet_crypto::SigningKey::generate_p256().unwrap();
        let pem = k.public_key().to_pem();
        let body = serde_json::json!({
            "publicKeyRequest": {"publicKey": {"algorithm": "RSA", "content": pem},
                                 "proofOfPossession": b64::encode(k.sign(b"alice").unwrap())},
            "unknownField": 1
        });
        let r = parse_request(body.to_string().as_bytes(), Some("tok")).unwrap();
        assert_eq!(r.token, "tok");
        assert_eq!(r.proof.key(), k.public_key());
        // Body token wins; snake_case accepted.
        let body = serde_json::json!({
            "credentials": {"oidc_identity_token": "bodytok"},
            "public_key_request": {"public_key": {"content": b64::encode(k.public_key().spki_der())},
                                   "proof_of_possession": "AAAA"}
        });
        let r = parse_request(body.to_string().as_bytes(), Some("tok")).unwrap();
        assert_eq!(r.token, "bodytok");
        // No token, no key, garbage key, both forms.
        let e = parse_request(b"{}", None).unwrap_err();
        assert_eq!(e.message, msg::TOKEN);
        let e = parse_request(b"{}", Some("t")).unwrap_err();
        assert_eq!(e.status(), 400);
        let body = serde_json::json!({"publicKeyRequest": {"publicKey": {"content": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}, "proofOfPossession": "AAAA"}});
        let e = parse_request(body.to_string().as_bytes(), Some("t")).unwrap_err();
        assert_eq!(e.message, msg::PUBKEY);
        let e = parse_request(b"not json", Some("t")).unwrap_err();
        assert_eq!(e.to_json()["code"], 3);
        assert_eq!(e.to_json()["details"], serde_json::json!([]));
    }

    #[test]
    fn csr_is_verified() {
        let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let csr = rcgen::CertificateParams::new(vec!["ignored.example".to_string()])
            .unwrap()
            .serialize_request(&kp)
            .unwrap();
        let pem = csr.pem().unwrap();
        let key = parse_csr(&b64::encode(pem.as_bytes())).unwrap();
        assert_eq!(
            key.spki_der(),
            rcgen::PublicKeyData::subject_public_key_info(&kp).as_slice()
        );
        // Flip a byte in the signature: refused.
        let mut der = csr.der().to_vec();
        let n = der.len();
        der[n - 3] ^= 1;
        let bad = pem::encode(&pem::Pem::new("CERTIFICATE REQUEST", der));
        let e = parse_csr(&b64::encode(bad.as_bytes())).unwrap_err();
        assert!(
            e.message == msg::SIGNATURE || e.message == msg::CSR,
            "{e:?}"
        );
        // Not PEM / wrong block.
        assert!(parse_csr("!!!").is_err());
        let wrong = pem::encode(&pem::Pem::new("CERTIFICATE", csr.der().to_vec()));
        assert!(parse_csr(&b64::encode(wrong.as_bytes())).is_err());
    }

    /// A bounded fuzz run in CI (the libFuzzer target `fulcio_request` goes further): thousands
    /// of mutations of valid CSR and public-key requests never panic, and a mutated CSR is never
    /// accepted with a different key.
    #[test]
    fn mutated_requests_never_panic() {
        let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let csr = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .serialize_request(&kp)
            .unwrap();
        let der = csr.der().to_vec();
        let good_spki = rcgen::PublicKeyData::subject_public_key_info(&kp);
        let k = signet_crypto::SigningKey::generate_p256().unwrap();
        let pk_body = serde_json::json!({"publicKeyRequest": {
            "publicKey": {"content": k.public_key().to_pem()},
            "proofOfPossession": b64::encode(k.sign(b"x").unwrap())}})
        .to_string()
        .into_bytes();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for i in 0..3000 {
            let mut d = der.clone();
            for _ in 0..(1 + rnd() % 4) {
                let pos = (rnd() as usize) % d.len();
                match rnd() % 3 {
                    0 => d[pos] ^= 1 << (rnd() % 8),
                    1 => d.truncate(pos.max(1)),
                    _ => d.insert(pos, rnd() as u8),
                }
            }
            let pem = pem::encode(&pem::Pem::new("CERTIFICATE REQUEST", d.clone()));
            if let Ok(key) = parse_csr(&b64::encode(pem.as_bytes())) {
                // Only harmless changes survive (e.g. in ignored fields): the key must be the
                // signer's, since the self-signature verified.
                assert_eq!(key.spki_der(), good_spki.as_slice(), "mutation {i}");
            }
            let mut body = pk_body.clone();
            let pos = (rnd() as usize) % body.len();
            body[pos] = rnd() as u8;
            let _ = parse_request(&body, Some("t"));
            body.truncate(pos);
            let _ = parse_request(&body, None);
        }
    }

    #[test]
    fn rsa_sizes() {
        // A 1024-bit RSA SPKI is refused as insecure (generated with openssl, fixed here).
        let k = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        use aws_lc_rs::signature::KeyPair as _;
        let pkcs1 = k.public_key().as_ref().to_vec();
        let key = PublicKey::from_pkcs1_rsa_der(&pkcs1).unwrap();
        assert_eq!(rsa_modulus_bits(key.spki_der()), Some(2048));
        check_key_policy(&key).unwrap();
    }
}
