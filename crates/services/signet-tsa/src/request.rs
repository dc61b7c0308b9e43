//! Timestamp requests: the DER `TimeStampReq` (`application/timestamp-query`) and
//! timestamp-authority's JSON form, checked as its `verification.VerifyRequest` does.

use base64::Engine;
use const_oid::ObjectIdentifier;
use der::Decode;
use der::asn1::{Int, OctetString};
use serde::Deserialize;
use signet_crypto::HashAlgorithm;
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::TsaError;
use crate::asn1::{MessageImprint, TimeStampReq};

/// The most bytes of a DER request (real ones are under 200 bytes).
pub const MAX_REQUEST_DER: usize = 16 * 1024;
/// The most bytes of a JSON request (timestamp-authority's limit).
pub const MAX_REQUEST_JSON: usize = 1024;

/// id-sha1, refused as weak.
const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");

pub(crate) use signet_x509::tsp::hash_oid;

fn hash_of_oid(oid: &ObjectIdentifier) -> Result<HashAlgorithm, TsaError> {
    [
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ]
    .into_iter()
    .find(|h| hash_oid(*h) == *oid)
    .ok_or_else(|| {
        if *oid == ID_SHA1 {
            TsaError::WeakHash
        } else {
            TsaError::UnsupportedHash(oid.to_string())
        }
    })
}

/// A checked request: what a token is issued for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampRequest {
    pub(crate) hash: HashAlgorithm,
    pub(crate) digest: Vec<u8>,
    pub(crate) policy: Option<ObjectIdentifier>,
    pub(crate) nonce: Option<Int>,
    pub(crate) cert_req: bool,
}

impl TimestampRequest {
    /// From its parts, checking the digest length.
    pub fn new(
        hash: HashAlgorithm,
        digest: Vec<u8>,
        nonce: Option<i128>,
        cert_req: bool,
        policy: Option<ObjectIdentifier>,
    ) -> Result<Self, TsaError> {
        if digest.len() != hash.digest(b"").len() {
            return Err(TsaError::BadRequest(format!(
                "the message imprint has {} bytes, but a {hash:?} digest has {}",
                digest.len(),
                hash.digest(b"").len()
            )));
        }
        let nonce = nonce
            .map(Int::try_from)
            .transpose()
            .map_err(|e| TsaError::BadRequest(format!("nonce: {e}")))?;
        Ok(Self {
            hash,
            digest,
            policy,
            nonce,
            cert_req,
        })
    }

    /// Parses a DER `TimeStampReq`.
    pub fn from_der(der: &[u8]) -> Result<Self, TsaError> {
        if der.is_empty() {
            return Err(TsaError::BadRequest("empty timestamp request".into()));
        }
        if der.len() > MAX_REQUEST_DER {
            return Err(TsaError::TooLarge {
                size: der.len(),
                limit: MAX_REQUEST_DER,
            });
        }
        let req = TimeStampReq::from_der(der)
            .map_err(|e| TsaError::BadRequest(format!("malformed TimeStampReq: {e}")))?;
        if req.version != 1 {
            return Err(TsaError::BadRequest(format!(
                "unsupported TimeStampReq version {}",
                req.version
            )));
        }
        if req.extensions.is_some() {
            return Err(TsaError::BadRequest(
                "request extensions are not accepted".into(),
            ));
        }
        let alg = &req.message_imprint.hash_algorithm;
        let hash = hash_of_oid(&alg.oid)?;
        if alg
            .parameters
            .as_ref()
            .is_some_and(|p| der::Tagged::tag(p) != der::Tag::Null || !p.value().is_empty())
        {
            return Err(TsaError::BadRequest(
                "the hash algorithm has parameters other than NULL".into(),
            ));
        }
        let mut r = Self::new(
            hash,
            req.message_imprint.hashed_message.as_bytes().to_vec(),
            None,
            req.cert_req,
            req.req_policy,
        )?;
        r.nonce = req.nonce;
        Ok(r)
    }

    /// Parses timestamp-authority's JSON request:
    /// `{"artifactHash":"<base64 digest>","hashAlgorithm":"sha256","nonce":123,
    /// "certificates":true,"tsaPolicyOID":"1.3.6.1.4.1.57264.2"}`.
    pub fn from_json(body: &[u8]) -> Result<Self, TsaError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Json {
            artifact_hash: String,
            hash_algorithm: String,
            #[serde(default)]
            nonce: Option<serde_json::Number>,
            #[serde(default)]
            certificates: bool,
            #[serde(default, rename = "tsaPolicyOID")]
            tsa_policy_oid: Option<String>,
        }
        if body.len() > MAX_REQUEST_JSON {
            return Err(TsaError::TooLarge {
                size: body.len(),
                limit: MAX_REQUEST_JSON,
            });
        }
        let j: Json = serde_json::from_slice(body)
            .map_err(|e| TsaError::BadRequest(format!("invalid JSON request: {e}")))?;
        let hash = match j.hash_algorithm.to_ascii_lowercase().as_str() {
            "sha256" => HashAlgorithm::Sha256,
            "sha384" => HashAlgorithm::Sha384,
            "sha512" => HashAlgorithm::Sha512,
            "sha1" => return Err(TsaError::WeakHash),
            other => return Err(TsaError::UnsupportedHash(other.to_string())),
        };
        let digest = base64::engine::general_purpose::STANDARD
            .decode(&j.artifact_hash)
            .map_err(|e| TsaError::BadRequest(format!("artifactHash is not base64: {e}")))?;
        let nonce = j
            .nonce
            .map(|n| {
                n.as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from))
                    .ok_or_else(|| {
                        TsaError::BadRequest(format!("nonce {n} is not a 64-bit integer"))
                    })
            })
            .transpose()?;
        let policy = j
            .tsa_policy_oid
            .map(|p| {
                ObjectIdentifier::new(&p)
                    .map_err(|e| TsaError::BadRequest(format!("tsaPolicyOID {p:?}: {e}")))
            })
            .transpose()?;
        Self::new(hash, digest, nonce, j.certificates, policy)
    }

    /// The DER `TimeStampReq` of this request (what a client sends).
    pub fn to_der(&self) -> Result<Vec<u8>, TsaError> {
        use der::Encode;
        let req = TimeStampReq {
            version: 1,
            message_imprint: self.imprint()?,
            req_policy: self.policy,
            nonce: self.nonce.clone(),
            cert_req: self.cert_req,
            extensions: None,
        };
        req.to_der().map_err(TsaError::encode)
    }

    /// A request like sigstore-python's: a SHA-256 imprint of `data`, a random 64-bit nonce,
    /// certReq true.
    pub fn for_data(data: &[u8]) -> Result<Self, TsaError> {
        let nonce: u64 = rand::random();
        Self::new(
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha256.digest(data),
            Some(i128::from(nonce)),
            true,
            None,
        )
    }

    /// The imprint, with NULL hash parameters (as timestamp-authority writes it).
    pub(crate) fn imprint(&self) -> Result<MessageImprint, TsaError> {
        Ok(MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: hash_oid(self.hash),
                parameters: Some(der::asn1::Null.into()),
            },
            hashed_message: OctetString::new(self.digest.clone()).map_err(TsaError::encode)?,
        })
    }

    /// The nonce's two's-complement big-endian bytes, if any.
    pub fn nonce_bytes(&self) -> Option<&[u8]> {
        self.nonce.as_ref().map(Int::as_bytes)
    }

    /// Whether the token must carry the TSA certificate.
    pub fn cert_req(&self) -> bool {
        self.cert_req
    }
}
