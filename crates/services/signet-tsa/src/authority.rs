//! The authority: its key, its chain, and the `TimeStampResp` it builds.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use der::asn1::{Any, GeneralizedTime, OctetString, SetOfVec, Uint, UtcTime};
use der::{Decode, Encode};
use signet_ca::CaSigner;
use signet_crypto::HashAlgorithm;
use signet_types::UnixSeconds;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::TsaError;
use crate::asn1::{
    Accuracy, EssCertIdV2, IssuerSerial, PkiStatusInfo, SigningCertificateV2, TimeStampResp,
    TstInfo,
};
use crate::request::{TimestampRequest, hash_oid};

/// Sigstore's TSA policy, timestamp-authority's default (`--default-policy-oid`).
pub const DEFAULT_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.2");

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");

/// A timestamp authority: the signing key, its certificate chain (leaf first, root last) and
/// the last genTime issued.
pub struct TimestampAuthority {
    signer: Arc<dyn CaSigner>,
    /// The digest and signature algorithm of the key.
    digest: HashAlgorithm,
    signature_oid: ObjectIdentifier,
    leaf: x509_cert::Certificate,
    chain: Vec<signet_x509::Certificate>,
    include_chain: bool,
    last: AtomicI64,
}

/// The message-digest and signature algorithms of a signer (ECDSA P-256 / P-384).
fn algorithms(signer: &dyn CaSigner) -> Result<(HashAlgorithm, ObjectIdentifier), TsaError> {
    let alg = signer.algorithm();
    if alg == &rcgen::PKCS_ECDSA_P256_SHA256 {
        Ok((HashAlgorithm::Sha256, ECDSA_WITH_SHA256))
    } else if alg == &rcgen::PKCS_ECDSA_P384_SHA384 {
        Ok((HashAlgorithm::Sha384, ECDSA_WITH_SHA384))
    } else {
        Err(TsaError::Material(format!(
            "unsupported TSA key algorithm {alg:?} (ECDSA P-256 or P-384)"
        )))
    }
}

fn any<T: der::EncodeValue + der::Tagged>(v: &T) -> Result<Any, TsaError> {
    Any::encode_from(v).map_err(TsaError::encode)
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, TsaError> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(TsaError::encode)?,
    })
}

impl TimestampAuthority {
    /// The authority for `chain` (DER, the TSA certificate first, the root last) and the
    /// certificate's key. Checks the whole profile the way verifiers will, by timestamping a
    /// probe at `now` and verifying it with signet's own RFC 3161 verifier against the chain:
    /// one critical EKU timeStamping, not a CA, the key matching, the chain valid at `now`.
    pub fn new(
        chain: &[Vec<u8>],
        signer: Arc<dyn CaSigner>,
        now: UnixSeconds,
    ) -> Result<Self, TsaError> {
        let (digest, signature_oid) = algorithms(signer.as_ref())?;
        let leaf_der = chain
            .first()
            .ok_or_else(|| TsaError::Material("empty TSA certificate chain".into()))?;
        let leaf = x509_cert::Certificate::from_der(leaf_der)
            .map_err(|e| TsaError::Material(format!("TSA certificate: {e}")))?;
        let chain = chain
            .iter()
            .map(|c| signet_x509::Certificate::from_der(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TsaError::Material(format!("TSA chain: {e}")))?;
        if chain.len() < 2 {
            return Err(TsaError::Material(
                "the TSA chain needs the TSA certificate and its root (sigstore-python skips \
                 shorter chains)"
                    .into(),
            ));
        }
        let tsa = Self {
            signer,
            digest,
            signature_oid,
            leaf,
            chain,
            include_chain: false,
            last: AtomicI64::new(i64::MIN),
        };
        tsa.self_test(now)?;
        // The probe does not count as issued.
        tsa.last.store(i64::MIN, Ordering::SeqCst);
        Ok(tsa)
    }

    fn self_test(&self, now: UnixSeconds) -> Result<(), TsaError> {
        let probe = b"signet timestamp authority self-test";
        let req = TimestampRequest::for_data(probe)?;
        let resp = self.timestamp(&req, now)?;
        signet_x509::verify_rfc3161(&resp, probe, &[self.trust()])
            .map(|_| ())
            .map_err(|e| TsaError::Material(format!("the TSA's own timestamp fails: {e}")))
    }

    /// With `true`, tokens that carry certificates carry the whole chain (DER-sorted, as a
    /// DER SET OF must be), not only the TSA certificate (timestamp-authority's
    /// `--include-chain-in-response`).
    pub fn with_chain_in_response(mut self, include: bool) -> Self {
        self.include_chain = include;
        self
    }

    /// The chain, leaf first, root last.
    pub fn chain(&self) -> &[signet_x509::Certificate] {
        &self.chain
    }

    /// The chain as PEM, leaf first (`GET /api/v1/timestamp/certchain`).
    pub fn chain_pem(&self) -> String {
        self.chain.iter().map(|c| c.to_pem()).collect()
    }

    /// This authority as a verifier trusts it, with an open `validFor`.
    pub fn trust(&self) -> signet_x509::TsaAuthority {
        signet_x509::TsaAuthority {
            chain: self.chain.clone(),
            valid_for: (None, None),
        }
    }

    /// Issues a timestamp for `req` at `now` (whole seconds, never earlier than the previous
    /// token's genTime): the DER `TimeStampResp`.
    pub fn timestamp(&self, req: &TimestampRequest, now: UnixSeconds) -> Result<Vec<u8>, TsaError> {
        let policy = match req.policy {
            Some(p) if p != DEFAULT_POLICY => {
                return Err(TsaError::UnacceptedPolicy(p.to_string()));
            }
            _ => DEFAULT_POLICY,
        };
        let leaf = &self
            .chain
            .first()
            .ok_or_else(|| TsaError::Material("empty TSA certificate chain".into()))?;
        // Checked before it is recorded: a time the TSA refuses never holds later ones back.
        let t = self.last.load(Ordering::SeqCst).max(now.0);
        if t < leaf.not_before().0 || t > leaf.not_after().0 {
            return Err(TsaError::Unavailable(format!(
                "the TSA certificate is not valid at {t} (valid {} to {})",
                leaf.not_before().0,
                leaf.not_after().0
            )));
        }
        let t = self.last.fetch_max(t, Ordering::SeqCst).max(t);
        let secs = u64::try_from(t)
            .map_err(|_| TsaError::Unavailable(format!("time {t} is before 1970")))?;
        let unix = std::time::Duration::from_secs(secs);
        let gen_time = GeneralizedTime::from_unix_duration(unix).map_err(TsaError::encode)?;
        let tbs = self.leaf.tbs_certificate();
        let serial: [u8; 20] = rand::random();
        let tst = TstInfo {
            version: 1,
            policy,
            message_imprint: req.imprint()?,
            serial_number: Uint::new(&serial).map_err(TsaError::encode)?,
            gen_time,
            accuracy: Some(Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            }),
            ordering: false,
            nonce: req.nonce.clone(),
            tsa: Some(GeneralName::DirectoryName(tbs.subject().clone())),
            extensions: None,
        }
        .to_der()
        .map_err(TsaError::encode)?;

        // ESSCertIDv2 over the leaf with the request's hash (as timestamp-authority does);
        // the algorithm is omitted when it is the DEFAULT, SHA-256.
        let ess = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                hash_algorithm: (req.hash != HashAlgorithm::Sha256).then(|| {
                    AlgorithmIdentifierOwned {
                        oid: hash_oid(req.hash),
                        parameters: Some(der::asn1::Null.into()),
                    }
                }),
                cert_hash: OctetString::new(req.hash.digest(self.chain_leaf_der()?))
                    .map_err(TsaError::encode)?,
                issuer_serial: Some(IssuerSerial {
                    issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
                    serial_number: tbs.serial_number().clone(),
                }),
            }],
        };
        let signing_time = UtcTime::from_unix_duration(unix).map_err(TsaError::encode)?;
        let attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
            attribute(ID_CONTENT_TYPE, any(&ID_CT_TST_INFO)?)?,
            attribute(ID_SIGNING_TIME, any(&signing_time)?)?,
            attribute(
                ID_MESSAGE_DIGEST,
                any(&OctetString::new(self.digest.digest(&tst)).map_err(TsaError::encode)?)?,
            )?,
            attribute(ID_SIGNING_CERTIFICATE_V2, any(&ess)?)?,
        ])
        .map_err(TsaError::encode)?;
        // RFC 5652 §5.4: the signature covers the attributes' DER as a SET OF.
        let signature = self
            .signer
            .sign(&attrs.to_der().map_err(TsaError::encode)?)
            .map_err(|e| TsaError::Internal(format!("signing: {e}")))?;
        let digest_alg = AlgorithmIdentifierOwned {
            oid: hash_oid(self.digest),
            parameters: None,
        };
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer().clone(),
                serial_number: tbs.serial_number().clone(),
            }),
            digest_alg: digest_alg.clone(),
            signed_attrs: Some(attrs),
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: self.signature_oid,
                parameters: None,
            },
            signature: OctetString::new(signature).map_err(TsaError::encode)?,
            unsigned_attrs: None,
        };
        let certificates = if req.cert_req {
            let certs = if self.include_chain {
                self.chain
                    .iter()
                    .map(|c| x509_cert::Certificate::from_der(c.der()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(TsaError::encode)?
            } else {
                vec![self.leaf.clone()]
            };
            // SetOfVec sorts by DER encoding, as strict parsers (rfc3161-client) require.
            Some(
                CertificateSet::try_from(
                    certs
                        .into_iter()
                        .map(CertificateChoices::Certificate)
                        .collect::<Vec<_>>(),
                )
                .map_err(TsaError::encode)?,
            )
        } else {
            None
        };
        let signed_data = SignedData {
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![digest_alg]).map_err(TsaError::encode)?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ID_CT_TST_INFO,
                econtent: Some(any(&OctetString::new(tst).map_err(TsaError::encode)?)?),
            },
            certificates,
            crls: None,
            signer_infos: SignerInfos::try_from(vec![signer_info]).map_err(TsaError::encode)?,
        };
        TimeStampResp {
            status: PkiStatusInfo { status: 0 },
            time_stamp_token: Some(ContentInfo {
                content_type: ID_SIGNED_DATA,
                content: any(&signed_data)?,
            }),
        }
        .to_der()
        .map_err(TsaError::encode)
    }

    fn chain_leaf_der(&self) -> Result<&[u8], TsaError> {
        self.chain
            .first()
            .map(signet_x509::Certificate::der)
            .ok_or_else(|| TsaError::Material("empty TSA certificate chain".into()))
    }
}
