//! RFC 3161 timestamp requests (`TimeStampReq`), as `der` derives: what a client sends to a
//! timestamp authority, and what signet's authority parses.

use const_oid::ObjectIdentifier;
use der::Sequence;
use der::asn1::{Int, OctetString};
use signet_crypto::HashAlgorithm;
use x509_cert::ext::Extensions;
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::X509Error;

/// ```text
/// MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct MessageImprint {
    /// The hash the client used.
    pub hash_algorithm: AlgorithmIdentifierOwned,
    /// The digest to timestamp.
    pub hashed_message: OctetString,
}

/// ```text
/// TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint,
///   reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE,
///   extensions [0] IMPLICIT Extensions OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampReq {
    /// Must be 1.
    pub version: u8,
    /// What to timestamp.
    pub message_imprint: MessageImprint,
    /// The policy the client asks for.
    #[asn1(optional = "true")]
    pub req_policy: Option<ObjectIdentifier>,
    /// Echoed in the TSTInfo.
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    /// Whether the token must carry the TSA certificate.
    #[asn1(default = "Default::default")]
    pub cert_req: bool,
    /// Request extensions (refused).
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// A hash algorithm's OID.
pub fn hash_oid(h: HashAlgorithm) -> ObjectIdentifier {
    match h {
        HashAlgorithm::Sha384 => const_oid::db::rfc5912::ID_SHA_384,
        HashAlgorithm::Sha512 => const_oid::db::rfc5912::ID_SHA_512,
        // SHA-256, and the default for any algorithm added to signet-crypto later.
        _ => const_oid::db::rfc5912::ID_SHA_256,
    }
}

/// The DER `TimeStampReq` for `digest` (made with `hash`): the imprint's hash parameters NULL,
/// `nonce` as a positive INTEGER when given, `certReq` as given, no policy, no extensions.
pub fn timestamp_request_der(
    hash: HashAlgorithm,
    digest: &[u8],
    nonce: Option<u64>,
    cert_req: bool,
) -> Result<Vec<u8>, X509Error> {
    use der::Encode;
    let enc = |e: der::Error| X509Error::Malformed(format!("encoding a TimeStampReq: {e}"));
    let nonce = nonce
        .map(|n| der::asn1::Uint::new(&n.to_be_bytes()).map(Int::from))
        .transpose()
        .map_err(enc)?;
    TimeStampReq {
        version: 1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: hash_oid(hash),
                parameters: Some(der::asn1::Null.into()),
            },
            hashed_message: OctetString::new(digest).map_err(enc)?,
        },
        req_policy: None,
        nonce,
        cert_req,
        extensions: None,
    }
    .to_der()
    .map_err(enc)
}
