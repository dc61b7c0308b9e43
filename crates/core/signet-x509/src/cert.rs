//! Certificates: strict parsing, exact-byte access, and the Fulcio identity they carry.

use core::fmt;
use core::ops::Range;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280 as oids;
use der::{Decode, Tag, Tagged};
use signet_crypto::{HashAlgorithm, PublicKey, Scheme};
use signet_types::{UnixSeconds, limits};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};

use crate::{X509Error, derx};

/// Parent arc of Fulcio's extensions (`sigstore/fulcio:docs/oid-info.md`).
const FULCIO_ARC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1");
/// RSASSA-PSS; its hash lives in the parameters.
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");

/// A signer identity from the Subject Alternative Name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SanIdentity {
    /// rfc822Name (Fulcio `email` issuers).
    Email(String),
    /// uniformResourceIdentifier (CI workflows, SPIFFE, Kubernetes, URI issuers).
    Uri(String),
    /// otherName with a UTF8String value; Fulcio's `username` issuers use
    /// 1.3.6.1.4.1.57264.1.7 with the value `[0] EXPLICIT UTF8String`.
    OtherName {
        /// type-id, dotted.
        oid: String,
        /// The UTF8String value.
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

/// Fulcio's certificate extensions 1.3.6.1.4.1.57264.1.1–1.24, for identity policy.
///
/// 1.1–1.6 are raw bytes inside the extension's OCTET STRING; 1.8–1.24 are a DER `UTF8String`
/// (trailing bytes refused). 1.7 is not an extension but the otherName SAN ([`SanIdentity`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FulcioExtensions {
    /// OIDC issuer: 1.8 if present, else the deprecated 1.1 (sigstore-go behaviour).
    pub issuer: Option<String>,
    /// 1.2 GitHub workflow trigger (deprecated).
    pub github_workflow_trigger: Option<String>,
    /// 1.3 GitHub workflow SHA (deprecated).
    pub github_workflow_sha: Option<String>,
    /// 1.4 GitHub workflow name (deprecated).
    pub github_workflow_name: Option<String>,
    /// 1.5 GitHub workflow repository (deprecated).
    pub github_workflow_repository: Option<String>,
    /// 1.6 GitHub workflow ref (deprecated).
    pub github_workflow_ref: Option<String>,
    /// 1.9 Build signer URI.
    pub build_signer_uri: Option<String>,
    /// 1.10 Build signer digest.
    pub build_signer_digest: Option<String>,
    /// 1.11 Runner environment.
    pub runner_environment: Option<String>,
    /// 1.12 Source repository URI.
    pub source_repository_uri: Option<String>,
    /// 1.13 Source repository digest.
    pub source_repository_digest: Option<String>,
    /// 1.14 Source repository ref.
    pub source_repository_ref: Option<String>,
    /// 1.15 Source repository identifier.
    pub source_repository_identifier: Option<String>,
    /// 1.16 Source repository owner URI.
    pub source_repository_owner_uri: Option<String>,
    /// 1.17 Source repository owner identifier.
    pub source_repository_owner_identifier: Option<String>,
    /// 1.18 Build config URI.
    pub build_config_uri: Option<String>,
    /// 1.19 Build config digest.
    pub build_config_digest: Option<String>,
    /// 1.20 Build trigger.
    pub build_trigger: Option<String>,
    /// 1.21 Run invocation URI.
    pub run_invocation_uri: Option<String>,
    /// 1.22 Source repository visibility at signing.
    pub source_repository_visibility: Option<String>,
    /// 1.23 Deployment environment.
    pub deployment_environment: Option<String>,
    /// 1.24 Token subject.
    pub token_subject: Option<String>,
}

/// A parsed X.509 v3 certificate that keeps its original DER.
///
/// Names, the SPKI and the TBS are read from the original bytes (never re-encoded), so
/// signatures, name chaining and key hashes see exactly what the issuer signed.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    parsed: x509_cert::Certificate,
    tbs: Range<usize>,
    issuer: Range<usize>,
    subject: Range<usize>,
    spki: Range<usize>,
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject_string())
            .field("issuer", &self.issuer_string())
            .field("serial", &self.serial_hex())
            .finish()
    }
}

fn unix(t: &x509_cert::time::Time) -> UnixSeconds {
    UnixSeconds(i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX))
}

/// One attribute of a certificate's subject name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameAttribute {
    /// `commonName` (2.5.4.3).
    CommonName(String),
    /// `organizationName` (2.5.4.10).
    Organization(String),
    /// Any other attribute, by dotted OID (its value is not read).
    Other(String),
}

fn malformed(e: impl fmt::Display) -> X509Error {
    X509Error::Malformed(e.to_string())
}

/// Position of `inner` (a sub-slice of `outer`) within `outer`.
fn range_in(outer: &[u8], inner: &[u8]) -> Range<usize> {
    let start = (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize);
    // `inner` lies within `outer`, so the end is at most `outer.len()`: never saturates.
    start..start.saturating_add(inner.len())
}

impl Certificate {
    /// Parses one DER certificate. Refuses oversized input, trailing data, duplicate extensions,
    /// and an outer signatureAlgorithm that differs from the TBS one (as Go's x509 does).
    pub fn from_der(der: &[u8]) -> Result<Self, X509Error> {
        if der.len() > limits::MAX_CERT_DER {
            return Err(X509Error::Limit(format!(
                "certificate of {} bytes exceeds {}",
                der.len(),
                limits::MAX_CERT_DER
            )));
        }
        let outer = derx::read_all(der)?;
        let parsed = x509_cert::Certificate::from_der(der).map_err(malformed)?;

        // Raw fields: Certificate = SEQUENCE { tbs, signatureAlgorithm, signature }.
        let parts = derx::children(outer.value)?;
        let (tbs, outer_alg) = match parts.as_slice() {
            [tbs, alg, _sig] => (*tbs, *alg),
            _ => return Err(malformed("certificate is not a 3-element SEQUENCE")),
        };
        let fields = derx::children(tbs.value)?;
        // TBSCertificate = [0] version?, serial, signature, issuer, validity, subject, spki, ...
        let skip = usize::from(fields.first().is_some_and(|f| f.tag == 0xa0));
        let field = |i: usize| {
            fields
                .get(skip..)
                .and_then(|f| f.get(i))
                .copied()
                .ok_or_else(|| malformed("truncated TBSCertificate"))
        };
        if field(1)?.raw != outer_alg.raw {
            return Err(malformed(
                "inner and outer signature algorithm identifiers differ",
            ));
        }
        let (issuer, subject, spki) = (field(2)?, field(4)?, field(5)?);

        let mut ids: Vec<&[u8]> = parsed
            .tbs_certificate()
            .extensions()
            .map_or(&[][..], |e| e.as_slice())
            .iter()
            .map(|e| e.extn_id.as_bytes())
            .collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
            return Err(malformed("duplicate extension"));
        }

        Ok(Self {
            tbs: range_in(der, tbs.raw),
            issuer: range_in(der, issuer.raw),
            subject: range_in(der, subject.raw),
            spki: range_in(der, spki.raw),
            der: der.to_vec(),
            parsed,
        })
    }

    /// Parses the first `CERTIFICATE` block of PEM text.
    pub fn from_pem(text: &str) -> Result<Self, X509Error> {
        Self::parse_pem_chain(text)?
            .into_iter()
            .next()
            .ok_or_else(|| malformed("no CERTIFICATE block"))
    }

    /// Parses every `CERTIFICATE` block of PEM text, in order (other block types are ignored).
    pub fn parse_pem_chain(text: &str) -> Result<Vec<Self>, X509Error> {
        let blocks = pem::parse_many(text).map_err(|e| malformed(format!("PEM: {e}")))?;
        if blocks.len() > limits::MAX_CERTS_PER_CHAIN {
            return Err(X509Error::Limit(format!(
                "{} PEM blocks exceed {}",
                blocks.len(),
                limits::MAX_CERTS_PER_CHAIN
            )));
        }
        blocks
            .iter()
            .filter(|b| b.tag() == "CERTIFICATE")
            .map(|b| Self::from_der(b.contents()))
            .collect()
    }

    /// The original DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM encoding (`CERTIFICATE`, LF line endings).
    pub fn to_pem(&self) -> String {
        signet_crypto::certificate_pem(&self.der)
    }

    fn slice(&self, r: &Range<usize>) -> &[u8] {
        self.der.get(r.clone()).unwrap_or_default()
    }

    /// The exact TBSCertificate bytes the signature covers.
    pub fn tbs_der(&self) -> &[u8] {
        self.slice(&self.tbs)
    }

    /// The exact DER of the issuer Name.
    pub(crate) fn issuer_raw(&self) -> &[u8] {
        self.slice(&self.issuer)
    }

    /// The exact DER of the subject Name.
    pub(crate) fn subject_raw(&self) -> &[u8] {
        self.slice(&self.subject)
    }

    /// The exact DER SubjectPublicKeyInfo (what CT's `issuer_key_hash` covers).
    pub fn spki_der(&self) -> &[u8] {
        self.slice(&self.spki)
    }

    /// The subject public key. Errors if its algorithm is one signet does not support.
    pub fn public_key(&self) -> Result<PublicKey, X509Error> {
        Ok(PublicKey::from_spki_der(self.spki_der())?)
    }

    /// Start of validity.
    pub fn not_before(&self) -> UnixSeconds {
        unix(&self.parsed.tbs_certificate().validity().not_before)
    }

    /// End of validity (inclusive).
    pub fn not_after(&self) -> UnixSeconds {
        unix(&self.parsed.tbs_certificate().validity().not_after)
    }

    /// Serial number, lowercase hex of its DER contents.
    pub fn serial_hex(&self) -> String {
        hex::encode(self.serial_bytes())
    }

    pub(crate) fn serial_bytes(&self) -> &[u8] {
        self.parsed.tbs_certificate().serial_number().as_bytes()
    }

    /// Subject DN (RFC 4514 form) for messages, or `(empty subject)` (Fulcio leaves).
    pub fn subject_string(&self) -> String {
        let s = self.parsed.tbs_certificate().subject().to_string();
        if s.is_empty() {
            "(empty subject)".into()
        } else {
            s
        }
    }

    /// The subject's attributes in DER order. Read from the encoded name, so values may contain
    /// any character (an RFC 4514 string would need unescaping to be split).
    pub fn subject_attributes(&self) -> Result<Vec<NameAttribute>, X509Error> {
        use const_oid::db::rfc4519;
        self.parsed
            .tbs_certificate()
            .subject()
            .iter()
            .map(|atv| {
                let text = || {
                    x509_cert::ext::pkix::name::DirectoryString::try_from(&atv.value)
                        .map(|d| d.value().into_owned())
                        .map_err(|e| malformed(format!("subject attribute {}: {e}", atv.oid)))
                };
                Ok(match atv.oid {
                    rfc4519::COMMON_NAME => NameAttribute::CommonName(text()?),
                    rfc4519::ORGANIZATION_NAME => NameAttribute::Organization(text()?),
                    other => NameAttribute::Other(other.to_string()),
                })
            })
            .collect()
    }

    /// Issuer DN (RFC 4514 form) for messages.
    pub fn issuer_string(&self) -> String {
        self.parsed.tbs_certificate().issuer().to_string()
    }

    /// Whether subject and issuer are the same name and the certificate verifies with its own key.
    pub fn is_self_signed(&self) -> bool {
        self.subject_raw() == self.issuer_raw() && self.verify_signed_by(self).is_ok()
    }

    pub(crate) fn basic_constraints(&self) -> Result<Option<BasicConstraints>, X509Error> {
        self.parsed
            .tbs_certificate()
            .get_extension::<BasicConstraints>()
            .map(|o| o.map(|(_, bc)| bc))
            .map_err(|e| malformed(format!("basicConstraints: {e}")))
    }

    /// Whether this is a CA certificate (basicConstraints cA = TRUE).
    pub fn is_ca(&self) -> bool {
        matches!(self.basic_constraints(), Ok(Some(bc)) if bc.ca)
    }

    /// Whether keyUsage allows `usage` (an absent extension allows everything).
    pub(crate) fn allows_key_usage(&self, usage: KeyUsages) -> Result<bool, X509Error> {
        let ku = self
            .parsed
            .tbs_certificate()
            .get_extension::<KeyUsage>()
            .map_err(|e| malformed(format!("keyUsage: {e}")))?;
        Ok(ku.is_none_or(|(_, ku)| ku.0.contains(usage)))
    }

    /// The extended key usage extension: criticality and purposes.
    pub(crate) fn extended_key_usage(&self) -> Result<Option<(bool, ExtendedKeyUsage)>, X509Error> {
        self.parsed
            .tbs_certificate()
            .get_extension::<ExtendedKeyUsage>()
            .map_err(|e| malformed(format!("extKeyUsage: {e}")))
    }

    pub(crate) fn extensions(&self) -> &[x509_cert::ext::Extension] {
        self.parsed
            .tbs_certificate()
            .extensions()
            .map_or(&[], |e| e.as_slice())
    }

    /// Whether the extension `oid` is present, and if so whether it is marked critical.
    pub fn extension_criticality(&self, oid: &ObjectIdentifier) -> Option<bool> {
        self.extensions()
            .iter()
            .find(|e| e.extn_id == *oid)
            .map(|e| e.critical)
    }

    /// The value (OCTET STRING contents) of the extension `oid`, if present.
    pub fn extension_value(&self, oid: &ObjectIdentifier) -> Option<&[u8]> {
        self.extensions()
            .iter()
            .find(|e| e.extn_id == *oid)
            .map(|e| e.extn_value.as_bytes())
    }

    /// SAN identities (email, URI, UTF8String otherName), in certificate order. Other name
    /// types are skipped; a malformed SAN yields no identities.
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
                // The derive has already removed the `[0] EXPLICIT` wrapper.
                GeneralName::OtherName(o) if o.value.tag() == Tag::Utf8String => {
                    Some(SanIdentity::OtherName {
                        oid: o.type_id.to_string(),
                        value: String::from_utf8(o.value.value().to_vec()).ok()?,
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// Value of Fulcio extension 1.3.6.1.4.1.57264.1.`n`.
    fn fulcio_raw(&self, n: u8) -> Option<&[u8]> {
        self.extensions()
            .iter()
            .find(|e| e.extn_id.as_bytes().strip_prefix(FULCIO_ARC.as_bytes()) == Some(&[n]))
            .map(|e| e.extn_value.as_bytes())
    }

    /// 1.1–1.6: the raw bytes are the string.
    fn fulcio_raw_string(&self, n: u8) -> Result<Option<String>, X509Error> {
        self.fulcio_raw(n)
            .map(|b| {
                String::from_utf8(b.to_vec())
                    .map_err(|_| malformed(format!("Fulcio extension 1.{n} is not UTF-8")))
            })
            .transpose()
    }

    /// 1.8–1.24: exactly one DER UTF8String.
    fn fulcio_der_string(&self, n: u8) -> Result<Option<String>, X509Error> {
        self.fulcio_raw(n)
            .map(|b| {
                derx::read_all(b)
                    .ok()
                    .filter(|t| t.tag == 0x0c)
                    .and_then(|t| String::from_utf8(t.value.to_vec()).ok())
                    .ok_or_else(|| {
                        malformed(format!("Fulcio extension 1.{n} is not a DER UTF8String"))
                    })
            })
            .transpose()
    }

    /// The OIDC issuer: 1.3.6.1.4.1.57264.1.8 (DER UTF8String) if present, else 1.1 (raw
    /// bytes). A malformed 1.8 yields `None` rather than falling back to 1.1.
    pub fn oidc_issuer(&self) -> Option<String> {
        match self.fulcio_raw(8) {
            Some(_) => self.fulcio_der_string(8).ok().flatten(),
            None => self.fulcio_raw_string(1).ok().flatten(),
        }
    }

    /// All Fulcio extensions. Errors if any present one is malformed (as sigstore-go's
    /// `certificate.ParseExtensions` does).
    pub fn fulcio_extensions(&self) -> Result<FulcioExtensions, X509Error> {
        let raw = |n| self.fulcio_raw_string(n);
        let der = |n| self.fulcio_der_string(n);
        let issuer = match der(8)? {
            Some(v2) => Some(v2),
            None => raw(1)?,
        };
        Ok(FulcioExtensions {
            issuer,
            github_workflow_trigger: raw(2)?,
            github_workflow_sha: raw(3)?,
            github_workflow_name: raw(4)?,
            github_workflow_repository: raw(5)?,
            github_workflow_ref: raw(6)?,
            build_signer_uri: der(9)?,
            build_signer_digest: der(10)?,
            runner_environment: der(11)?,
            source_repository_uri: der(12)?,
            source_repository_digest: der(13)?,
            source_repository_ref: der(14)?,
            source_repository_identifier: der(15)?,
            source_repository_owner_uri: der(16)?,
            source_repository_owner_identifier: der(17)?,
            build_config_uri: der(18)?,
            build_config_digest: der(19)?,
            build_trigger: der(20)?,
            run_invocation_uri: der(21)?,
            source_repository_visibility: der(22)?,
            deployment_environment: der(23)?,
            token_subject: der(24)?,
        })
    }

    /// Verifies that `issuer`'s key signed this certificate.
    pub fn verify_signed_by(&self, issuer: &Certificate) -> Result<(), X509Error> {
        let alg = self.parsed.signature_algorithm();
        let params = match &alg.parameters {
            Some(p) => Some(der::Encode::to_der(p).map_err(malformed)?),
            None => None,
        };
        let scheme = scheme_for(&alg.oid, params.as_deref(), None)?;
        let sig = self
            .parsed
            .signature()
            .as_bytes()
            .ok_or_else(|| malformed("unaligned signature"))?;
        issuer
            .public_key()?
            .verify_with(scheme, self.tbs_der(), sig)
            .map_err(|_| X509Error::BadSignature {
                subject: self.subject_string(),
                issuer: issuer.subject_string(),
            })
    }
}

/// The scheme of a parameterless signature algorithm OID (ECDSA or RSA PKCS#1 v1.5 with
/// SHA-256/384/512, Ed25519): what certificates and PKCS#10 requests from Sigstore clients use.
pub fn signature_scheme(oid: &ObjectIdentifier) -> Result<Scheme, X509Error> {
    scheme_for(oid, None, None)
}

/// Maps a signature AlgorithmIdentifier (OID plus DER parameters) to a scheme. `digest` is used
/// for bare key-algorithm OIDs, which CMS signer infos may carry.
pub(crate) fn scheme_for(
    oid: &ObjectIdentifier,
    params: Option<&[u8]>,
    digest: Option<HashAlgorithm>,
) -> Result<Scheme, X509Error> {
    use HashAlgorithm::*;
    let unsupported = || X509Error::UnsupportedAlgorithm(oid.to_string());
    Ok(match oid.to_string().as_str() {
        "1.2.840.10045.4.3.2" => Scheme::Ecdsa(Sha256),
        "1.2.840.10045.4.3.3" => Scheme::Ecdsa(Sha384),
        "1.2.840.10045.4.3.4" => Scheme::Ecdsa(Sha512),
        "1.2.840.113549.1.1.11" => Scheme::RsaPkcs1(Sha256),
        "1.2.840.113549.1.1.12" => Scheme::RsaPkcs1(Sha384),
        "1.2.840.113549.1.1.13" => Scheme::RsaPkcs1(Sha512),
        "1.3.101.112" => Scheme::Ed25519,
        "1.2.840.10045.2.1" => Scheme::Ecdsa(digest.ok_or_else(unsupported)?),
        "1.2.840.113549.1.1.1" => Scheme::RsaPkcs1(digest.ok_or_else(unsupported)?),
        _ if *oid == RSASSA_PSS => Scheme::RsaPss(pss_hash(params.ok_or_else(unsupported)?)?),
        _ => return Err(unsupported()),
    })
}

/// The hash of RSASSA-PSS-params, accepted only in the form signet_crypto verifies: explicit
/// hash, MGF1 with the same hash, salt length equal to the hash length, trailer 1.
fn pss_hash(params: &[u8]) -> Result<HashAlgorithm, X509Error> {
    let bad = || X509Error::UnsupportedAlgorithm("RSASSA-PSS with these parameters".into());
    let alg_oid = |alg: &derx::Tlv<'_>| -> Result<ObjectIdentifier, X509Error> {
        let first = derx::children(alg.value)?
            .first()
            .copied()
            .ok_or_else(bad)?;
        ObjectIdentifier::from_bytes(first.value).map_err(|_| bad())
    };
    let mut hash = None;
    let mut mgf_hash = None;
    let mut salt = None;
    for f in derx::children(derx::read_all(params)?.value)? {
        let inner = derx::read_all(f.value)?;
        match f.tag {
            0xa0 => hash = Some(hash_for(&alg_oid(&inner)?)?),
            0xa1 => {
                let parts = derx::children(inner.value)?;
                let (m, h) = match parts.as_slice() {
                    [m, h] => (m, h),
                    _ => return Err(bad()),
                };
                if ObjectIdentifier::from_bytes(m.value).map_err(|_| bad())? != MGF1 {
                    return Err(bad());
                }
                mgf_hash = Some(hash_for(&alg_oid(h)?)?);
            }
            0xa2 => salt = Some(inner.value),
            0xa3 if inner.value == [1] => {}
            _ => return Err(bad()),
        }
    }
    let hash = hash.ok_or_else(bad)?;
    let salt_ok = salt.is_some_and(|s| matches!(s, [n] if usize::from(*n) == hash.output_len()));
    if mgf_hash != Some(hash) || !salt_ok {
        return Err(bad());
    }
    Ok(hash)
}

/// Maps a digest AlgorithmIdentifier OID.
pub(crate) fn hash_for(oid: &ObjectIdentifier) -> Result<HashAlgorithm, X509Error> {
    match oid.to_string().as_str() {
        "2.16.840.1.101.3.4.2.1" => Ok(HashAlgorithm::Sha256),
        "2.16.840.1.101.3.4.2.2" => Ok(HashAlgorithm::Sha384),
        "2.16.840.1.101.3.4.2.3" => Ok(HashAlgorithm::Sha512),
        other => Err(X509Error::UnsupportedAlgorithm(other.to_string())),
    }
}

/// Extensions whose semantics signet handles, so they may be marked critical.
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

#[cfg(test)]
mod tests {
    use super::*;

    const PSS_SHA256: &str = "3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120";

    #[test]
    fn signature_algorithms_map_to_schemes() {
        let oid = |s| ObjectIdentifier::new(s).unwrap();
        assert_eq!(
            scheme_for(&oid("1.2.840.10045.4.3.3"), None, None).unwrap(),
            Scheme::Ecdsa(HashAlgorithm::Sha384)
        );
        assert_eq!(
            scheme_for(&oid("1.2.840.10045.2.1"), None, Some(HashAlgorithm::Sha256)).unwrap(),
            Scheme::Ecdsa(HashAlgorithm::Sha256)
        );
        assert!(scheme_for(&oid("1.2.840.10045.2.1"), None, None).is_err());
        // sha1WithRSAEncryption is refused.
        assert!(scheme_for(&oid("1.2.840.113549.1.1.5"), None, None).is_err());
        let pss = hex::decode(PSS_SHA256).unwrap();
        assert_eq!(
            scheme_for(&RSASSA_PSS, Some(&pss), None).unwrap(),
            Scheme::RsaPss(HashAlgorithm::Sha256)
        );
        assert!(scheme_for(&RSASSA_PSS, None, None).is_err());
        // Salt length 20 (the SHA-1 default) with SHA-256 is not what signet_crypto verifies.
        let mut short_salt = pss.clone();
        *short_salt.last_mut().unwrap() = 20;
        assert!(pss_hash(&short_salt).is_err());
        // Absent hash means SHA-1.
        assert!(pss_hash(&[0x30, 0x00]).is_err());
    }
}
