use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280 as oids;
use der::{Decode, Encode};
use signet_crypto::{HashAlgorithm, PublicKey, Scheme};
use signet_types::{UnixSeconds, limits};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};

use crate::{X509Error, derx};

const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1.";
const OTHERNAME_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// A signer identity from the Subject Alternative Name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SanIdentity {
    /// rfc822Name.
    Email(String),
    /// uniformResourceIdentifier.
    Uri(String),
    /// otherName (Fulcio's username form uses 1.3.6.1.4.1.57264.1.7).
    OtherName {
        /// type-id.
        oid: String,
        /// UTF8String value.
        value: String,
    },
}

impl SanIdentity {
    /// The identity string users match against.
    pub fn value(&self) -> &str {
        match self {
            Self::Email(s) | Self::Uri(s) | Self::OtherName { value: s, .. } => s,
        }
    }
}

/// Fulcio's certificate extensions (`docs/oid-info.md`), as strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct FulcioExtensions {
    /// 1.1 (raw) / 1.8 (UTF8String); 1.8 wins when both exist.
    pub issuer: Option<String>,
    pub github_workflow_trigger: Option<String>,
    pub github_workflow_sha: Option<String>,
    pub github_workflow_name: Option<String>,
    pub github_workflow_repository: Option<String>,
    pub github_workflow_ref: Option<String>,
    pub build_signer_uri: Option<String>,
    pub build_signer_digest: Option<String>,
    pub runner_environment: Option<String>,
    pub source_repository_uri: Option<String>,
    pub source_repository_digest: Option<String>,
    pub source_repository_ref: Option<String>,
    pub source_repository_identifier: Option<String>,
    pub source_repository_owner_uri: Option<String>,
    pub source_repository_owner_identifier: Option<String>,
    pub build_config_uri: Option<String>,
    pub build_config_digest: Option<String>,
    pub build_trigger: Option<String>,
    pub run_invocation_uri: Option<String>,
    pub source_repository_visibility: Option<String>,
    pub deployment_environment: Option<String>,
    pub token_subject: Option<String>,
}

/// A parsed X.509 certificate, keeping its original DER.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    parsed: x509_cert::Certificate,
}

fn unix(t: &x509_cert::time::Time) -> UnixSeconds {
    UnixSeconds(i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX))
}

impl Certificate {
    /// Parses DER. Trailing data, oversized input and non-v3 structure errors are refused.
    pub fn from_der(der: &[u8]) -> Result<Self, X509Error> {
        if der.len() > limits::MAX_CERT_DER {
            return Err(X509Error::Limit(format!(
                "certificate of {} bytes exceeds {}",
                der.len(),
                limits::MAX_CERT_DER
            )));
        }
        // The outer element must span the whole input.
        derx::read_all(der)?;
        let parsed = x509_cert::Certificate::from_der(der)
            .map_err(|e| X509Error::Malformed(e.to_string()))?;
        Ok(Self {
            der: der.to_vec(),
            parsed,
        })
    }

    /// Parses the first `CERTIFICATE` block of PEM text.
    pub fn from_pem(text: &str) -> Result<Self, X509Error> {
        let chain = Self::parse_pem_chain(text)?;
        chain
            .into_iter()
            .next()
            .ok_or_else(|| X509Error::Malformed("no CERTIFICATE block".into()))
    }

    /// Parses every `CERTIFICATE` block of PEM text.
    pub fn parse_pem_chain(text: &str) -> Result<Vec<Self>, X509Error> {
        let blocks =
            pem::parse_many(text).map_err(|e| X509Error::Malformed(format!("PEM: {e}")))?;
        if blocks.len() > limits::MAX_CERTS_PER_CHAIN {
            return Err(X509Error::Limit(format!(
                "{} certificates in one PEM chain",
                blocks.len()
            )));
        }
        blocks
            .iter()
            .filter(|b| b.tag() == "CERTIFICATE")
            .map(|b| Self::from_der(b.contents()))
            .collect()
    }

    /// Original DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM encoding.
    pub fn to_pem(&self) -> String {
        let cfg = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
        pem::encode_config(&pem::Pem::new("CERTIFICATE", self.der.clone()), cfg)
    }

    pub(crate) fn inner(&self) -> &x509_cert::Certificate {
        &self.parsed
    }

    /// The exact TBSCertificate bytes the signature covers.
    pub(crate) fn tbs_der(&self) -> Result<&[u8], X509Error> {
        let outer = derx::read_all(&self.der)?;
        Ok(derx::read(outer.value)?.0.raw)
    }

    /// The subject public key.
    pub fn public_key(&self) -> Result<PublicKey, X509Error> {
        let spki = self
            .parsed
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| X509Error::Malformed(e.to_string()))?;
        Ok(PublicKey::from_spki_der(&spki)?)
    }

    /// DER of the SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Result<Vec<u8>, X509Error> {
        self.parsed
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| X509Error::Malformed(e.to_string()))
    }

    /// Start of validity.
    pub fn not_before(&self) -> UnixSeconds {
        unix(&self.parsed.tbs_certificate().validity().not_before)
    }

    /// End of validity.
    pub fn not_after(&self) -> UnixSeconds {
        unix(&self.parsed.tbs_certificate().validity().not_after)
    }

    /// Serial number, hex.
    pub fn serial_hex(&self) -> String {
        hex::encode(self.parsed.tbs_certificate().serial_number().as_bytes())
    }

    /// Subject DN (RFC 4514 form), or `(empty subject)`.
    pub fn subject_string(&self) -> String {
        let s = self.parsed.tbs_certificate().subject().to_string();
        if s.is_empty() {
            "(empty subject)".into()
        } else {
            s
        }
    }

    /// Issuer DN (RFC 4514 form).
    pub fn issuer_string(&self) -> String {
        self.parsed.tbs_certificate().issuer().to_string()
    }

    pub(crate) fn subject_der(&self) -> Result<Vec<u8>, X509Error> {
        self.parsed
            .tbs_certificate()
            .subject()
            .to_der()
            .map_err(|e| X509Error::Malformed(e.to_string()))
    }

    pub(crate) fn issuer_der(&self) -> Result<Vec<u8>, X509Error> {
        self.parsed
            .tbs_certificate()
            .issuer()
            .to_der()
            .map_err(|e| X509Error::Malformed(e.to_string()))
    }

    /// Whether subject and issuer are the same name and the certificate verifies with its own key.
    pub fn is_self_signed(&self) -> bool {
        let same_name = match (self.subject_der(), self.issuer_der()) {
            (Ok(s), Ok(i)) => s == i,
            _ => false,
        };
        same_name && self.verify_signed_by(self).is_ok()
    }

    /// Basic constraints (cA, pathLen), if present.
    pub(crate) fn basic_constraints(&self) -> Result<Option<BasicConstraints>, X509Error> {
        self.parsed
            .tbs_certificate()
            .get_extension::<BasicConstraints>()
            .map(|o| o.map(|(_, bc)| bc))
            .map_err(|e| X509Error::Malformed(format!("basicConstraints: {e}")))
    }

    /// Whether this is a CA certificate (basicConstraints cA = TRUE).
    pub fn is_ca(&self) -> bool {
        matches!(self.basic_constraints(), Ok(Some(bc)) if bc.ca)
    }

    pub(crate) fn key_usage(&self) -> Result<Option<KeyUsage>, X509Error> {
        self.parsed
            .tbs_certificate()
            .get_extension::<KeyUsage>()
            .map(|o| o.map(|(_, ku)| ku))
            .map_err(|e| X509Error::Malformed(format!("keyUsage: {e}")))
    }

    pub(crate) fn has_key_usage(&self, usage: KeyUsages) -> Result<bool, X509Error> {
        Ok(self.key_usage()?.is_none_or(|ku| ku.0.contains(usage)))
    }

    pub(crate) fn extended_key_usage(&self) -> Result<Option<ExtendedKeyUsage>, X509Error> {
        self.parsed
            .tbs_certificate()
            .get_extension::<ExtendedKeyUsage>()
            .map(|o| o.map(|(_, e)| e))
            .map_err(|e| X509Error::Malformed(format!("extKeyUsage: {e}")))
    }

    pub(crate) fn extensions(&self) -> &[x509_cert::ext::Extension] {
        self.parsed
            .tbs_certificate()
            .extensions()
            .map_or(&[], |e| e.as_slice())
    }

    /// SAN identities, in certificate order.
    pub fn san_identities(&self) -> Vec<SanIdentity> {
        let Ok(Some((_, san))) = self
            .parsed
            .tbs_certificate()
            .get_extension::<SubjectAltName>()
        else {
            return Vec::new();
        };
        san.0
            .iter()
            .filter_map(|n| match n {
                GeneralName::Rfc822Name(s) => Some(SanIdentity::Email(s.to_string())),
                GeneralName::UniformResourceIdentifier(s) => Some(SanIdentity::Uri(s.to_string())),
                GeneralName::OtherName(o) => {
                    // value is [0] EXPLICIT UTF8String.
                    let inner = o.value.value();
                    let v = derx::read_all(inner).ok().filter(|t| t.tag == 0x0c)?;
                    let value = String::from_utf8(v.value.to_vec()).ok()?;
                    let _ = OTHERNAME_SAN;
                    Some(SanIdentity::OtherName {
                        oid: o.type_id.to_string(),
                        value,
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// Raw values of Fulcio extensions by their last arc (1.3.6.1.4.1.57264.1.N).
    fn fulcio_ext(&self, n: u32) -> Option<&[u8]> {
        let oid = format!("{FULCIO_ARC}{n}");
        self.extensions()
            .iter()
            .find(|e| e.extn_id.to_string() == oid)
            .map(|e| e.extn_value.as_bytes())
    }

    fn raw_string(&self, n: u32) -> Option<String> {
        self.fulcio_ext(n)
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
    }

    fn der_string(&self, n: u32) -> Option<String> {
        let b = self.fulcio_ext(n)?;
        let t = derx::read_all(b).ok().filter(|t| t.tag == 0x0c)?;
        String::from_utf8(t.value.to_vec()).ok()
    }

    /// The OIDC issuer: extension 1.8 (UTF8String) if present, else 1.1 (raw bytes).
    pub fn oidc_issuer(&self) -> Option<String> {
        self.der_string(8).or_else(|| self.raw_string(1))
    }

    /// All Fulcio extensions.
    pub fn fulcio_extensions(&self) -> FulcioExtensions {
        FulcioExtensions {
            issuer: self.oidc_issuer(),
            github_workflow_trigger: self.raw_string(2),
            github_workflow_sha: self.raw_string(3),
            github_workflow_name: self.raw_string(4),
            github_workflow_repository: self.raw_string(5),
            github_workflow_ref: self.raw_string(6),
            build_signer_uri: self.der_string(9),
            build_signer_digest: self.der_string(10),
            runner_environment: self.der_string(11),
            source_repository_uri: self.der_string(12),
            source_repository_digest: self.der_string(13),
            source_repository_ref: self.der_string(14),
            source_repository_identifier: self.der_string(15),
            source_repository_owner_uri: self.der_string(16),
            source_repository_owner_identifier: self.der_string(17),
            build_config_uri: self.der_string(18),
            build_config_digest: self.der_string(19),
            build_trigger: self.der_string(20),
            run_invocation_uri: self.der_string(21),
            source_repository_visibility: self.der_string(22),
            deployment_environment: self.der_string(23),
            token_subject: self.der_string(24),
        }
    }

    /// The signature scheme named by the certificate's signatureAlgorithm.
    pub(crate) fn signature_scheme(&self) -> Result<Scheme, X509Error> {
        scheme_for(&self.parsed.signature_algorithm().oid, None)
    }

    /// Verifies that `issuer`'s key signed this certificate.
    pub fn verify_signed_by(&self, issuer: &Certificate) -> Result<(), X509Error> {
        let key = issuer.public_key()?;
        let scheme = self.signature_scheme()?;
        let sig = self
            .parsed
            .signature()
            .as_bytes()
            .ok_or_else(|| X509Error::Malformed("unaligned signature".into()))?;
        key.verify_with(scheme, self.tbs_der()?, sig)
            .map_err(|_| X509Error::BadSignature {
                subject: self.subject_string(),
                issuer: issuer.subject_string(),
            })
    }
}

/// Maps a signature algorithm OID to a scheme. `digest` is used for bare key-algorithm OIDs
/// (as CMS signer infos sometimes carry).
pub(crate) fn scheme_for(
    oid: &ObjectIdentifier,
    digest: Option<HashAlgorithm>,
) -> Result<Scheme, X509Error> {
    use HashAlgorithm::*;
    let s = oid.to_string();
    Ok(match s.as_str() {
        "1.2.840.10045.4.3.2" => Scheme::Ecdsa(Sha256),
        "1.2.840.10045.4.3.3" => Scheme::Ecdsa(Sha384),
        "1.2.840.10045.4.3.4" => Scheme::Ecdsa(Sha512),
        "1.2.840.113549.1.1.11" => Scheme::RsaPkcs1(Sha256),
        "1.2.840.113549.1.1.12" => Scheme::RsaPkcs1(Sha384),
        "1.2.840.113549.1.1.13" => Scheme::RsaPkcs1(Sha512),
        "1.3.101.112" => Scheme::Ed25519,
        "1.2.840.10045.2.1" => {
            Scheme::Ecdsa(digest.ok_or_else(|| X509Error::UnsupportedAlgorithm(s.clone()))?)
        }
        "1.2.840.113549.1.1.1" => {
            Scheme::RsaPkcs1(digest.ok_or_else(|| X509Error::UnsupportedAlgorithm(s.clone()))?)
        }
        _ => return Err(X509Error::UnsupportedAlgorithm(s)),
    })
}

/// Maps a digest algorithm OID.
pub(crate) fn hash_for(oid: &str) -> Result<HashAlgorithm, X509Error> {
    match oid {
        "2.16.840.1.101.3.4.2.1" => Ok(HashAlgorithm::Sha256),
        "2.16.840.1.101.3.4.2.2" => Ok(HashAlgorithm::Sha384),
        "2.16.840.1.101.3.4.2.3" => Ok(HashAlgorithm::Sha512),
        other => Err(X509Error::UnsupportedAlgorithm(other.to_string())),
    }
}

/// Extensions whose semantics signet understands (so they may be critical).
pub(crate) fn known_extension(oid: &ObjectIdentifier) -> bool {
    [
        oids::ID_CE_KEY_USAGE,
        oids::ID_CE_EXT_KEY_USAGE,
        oids::ID_CE_BASIC_CONSTRAINTS,
        oids::ID_CE_SUBJECT_ALT_NAME,
        oids::ID_CE_SUBJECT_KEY_IDENTIFIER,
        oids::ID_CE_AUTHORITY_KEY_IDENTIFIER,
    ]
    .contains(oid)
}
