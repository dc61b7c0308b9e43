//! RFC 3161 timestamps, verified as sigstore-go does through sigstore/timestamp-authority's
//! `pkg/verification.VerifyTimestampResponse`:
//!
//! * the input is a DER `TimeStampResp` (what bundles carry) or a bare `TimeStampToken`;
//! * the TSTInfo message imprint must be the hash of the bundle's signature bytes;
//! * the CMS signer signs the DER of its signed attributes (re-tagged as SET OF), whose
//!   `messageDigest` must be the hash of the encapsulated TSTInfo;
//! * the signing certificate is the embedded one (which must then equal the authority's leaf,
//!   if the trusted chain has one) or else the authority's leaf; it must carry exactly one,
//!   critical, EKU timeStamping, and chain to the authority's root **at genTime**;
//! * genTime must lie in the authority's `validFor` window (both ends inclusive).
//!
//! CMS is walked with the small DER reader in `derx` rather than a CMS crate: only five
//! structures matter, and the signature covers exact bytes that must not be re-encoded.

use const_oid::ObjectIdentifier;
use der::DateTime;
use signet_crypto::HashAlgorithm;
use signet_types::{UnixSeconds, limits};

use crate::cert::{hash_for, scheme_for};
use crate::chain::{Purpose, TrustAnchorChain, verify_chain};
use crate::derx::{self, Tlv};
use crate::{Certificate, X509Error};

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_CE_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const ID_CE_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");

/// A trusted timestamp authority from a trusted root's `timestampAuthorities`.
#[derive(Clone, Debug)]
pub struct TsaAuthority {
    /// Certificate chain, leaf-most first, root last. A non-CA first certificate is the TSA's
    /// signing certificate; the last is the trust anchor.
    pub chain: Vec<Certificate>,
    /// `validFor` (start, end), both inclusive; `None` leaves that side open (sigstore-go skips
    /// a zero bound).
    pub valid_for: (Option<UnixSeconds>, Option<UnixSeconds>),
}

/// A timestamp that verified. Only [`verify_rfc3161`] creates one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTimestamp {
    time: UnixSeconds,
    authority_index: usize,
}

impl VerifiedTimestamp {
    /// The TSTInfo genTime, in whole seconds (fractions dropped).
    pub fn time(&self) -> UnixSeconds {
        self.time
    }

    /// Index into the `authorities` passed to [`verify_rfc3161`] of the one that vouched.
    pub fn authority_index(&self) -> usize {
        self.authority_index
    }
}

fn bad(m: impl Into<String>) -> X509Error {
    X509Error::Timestamp(m.into())
}

fn oid_of(t: &Tlv<'_>) -> Result<ObjectIdentifier, X509Error> {
    if t.tag != 0x06 {
        return Err(bad("expected an OBJECT IDENTIFIER"));
    }
    ObjectIdentifier::from_bytes(t.value).map_err(|e| bad(e.to_string()))
}

/// Element `i` of `items`, which must have tag `tag`.
fn expect<'a>(items: &[Tlv<'a>], i: usize, tag: u8, what: &str) -> Result<Tlv<'a>, X509Error> {
    items
        .get(i)
        .filter(|t| t.tag == tag)
        .copied()
        .ok_or_else(|| bad(format!("missing or malformed {what}")))
}

/// An AlgorithmIdentifier's OID and raw parameters.
fn alg_id<'a>(t: &Tlv<'a>) -> Result<(ObjectIdentifier, Option<&'a [u8]>), X509Error> {
    let parts = derx::children(t.value)?;
    let oid = oid_of(
        parts
            .first()
            .ok_or_else(|| bad("empty AlgorithmIdentifier"))?,
    )?;
    Ok((oid, parts.get(1).map(|p| p.raw)))
}

/// Parses `YYYYMMDDHHMMSS[.f*]Z` into Unix seconds and whether a non-zero fraction followed.
fn generalized_time(v: &[u8]) -> Result<(UnixSeconds, bool), X509Error> {
    let s = std::str::from_utf8(v).map_err(|_| bad("genTime is not ASCII"))?;
    let s = s
        .strip_suffix('Z')
        .ok_or_else(|| bad("genTime is not UTC"))?;
    let (main, frac) = s.split_once('.').unwrap_or((s, ""));
    if main.len() != 14
        || !main.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad(format!("malformed genTime {s:?}")));
    }
    let year = main.get(0..4).and_then(|d| d.parse::<u16>().ok());
    let two = |at: usize| {
        main.get(at..)
            .and_then(|d| d.get(..2))
            .and_then(|d| d.parse::<u8>().ok())
    };
    // `der::DateTime` checks every field, including the days of the month (leap years too).
    let time = (|| DateTime::new(year?, two(4)?, two(6)?, two(8)?, two(10)?, two(12)?).ok())()
        .ok_or_else(|| bad(format!("genTime {s:?} out of range")))?;
    let secs = i64::try_from(time.unix_duration().as_secs())
        .map_err(|_| bad(format!("genTime {s:?} out of range")))?;
    Ok((UnixSeconds(secs), frac.bytes().any(|b| b != b'0')))
}

/// The parts of a TimeStampToken that verification needs, borrowed from the input.
struct Token<'a> {
    tst_info: &'a [u8],
    certs: Vec<Certificate>,
    digest_alg: HashAlgorithm,
    signed_attrs: Option<Tlv<'a>>,
    sig_alg: (ObjectIdentifier, Option<&'a [u8]>),
    signature: &'a [u8],
    sid: Tlv<'a>,
}

/// The elements of a SEQUENCE that must fill `input`.
fn sequence<'a>(input: &'a [u8], what: &str) -> Result<Vec<Tlv<'a>>, X509Error> {
    match derx::read_all(input)? {
        t if t.tag == 0x30 => derx::children(t.value),
        _ => Err(bad(format!("{what} is not a SEQUENCE"))),
    }
}

fn parse_token(input: &[u8]) -> Result<Token<'_>, X509Error> {
    let top = sequence(input, "timestamp")?;
    // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL };
    // a bare token is a ContentInfo ::= SEQUENCE { contentType OID, [0] EXPLICIT content }.
    let content_info = match top.first() {
        Some(status) if status.tag == 0x30 => {
            let code = derx::children(status.value)?;
            match code.first() {
                // granted (0) or grantedWithMods (1)
                Some(c) if c.tag == 0x02 && (c.value == [0] || c.value == [1]) => {}
                _ => return Err(bad("timestamp response status is not granted")),
            }
            let token = expect(&top, 1, 0x30, "timeStampToken")?;
            derx::children(token.value)?
        }
        _ => top,
    };
    if oid_of(&expect(&content_info, 0, 0x06, "contentType")?)? != ID_SIGNED_DATA {
        return Err(bad("token is not CMS SignedData"));
    }
    let sd = sequence(
        expect(&content_info, 1, 0xa0, "content")?.value,
        "SignedData",
    )?;
    // SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo,
    //   certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos SET }
    expect(&sd, 0, 0x02, "SignedData version")?;
    expect(&sd, 1, 0x31, "digestAlgorithms")?;
    let encap = derx::children(expect(&sd, 2, 0x30, "encapContentInfo")?.value)?;
    if oid_of(&expect(&encap, 0, 0x06, "eContentType")?)? != ID_CT_TST_INFO {
        return Err(bad("content is not a TSTInfo"));
    }
    let econtent = derx::read_all(expect(&encap, 1, 0xa0, "eContent")?.value)?;
    if econtent.tag != 0x04 {
        return Err(bad("eContent is not an OCTET STRING"));
    }
    let mut rest = sd.get(3..).unwrap_or_default();
    let mut certs = Vec::new();
    if let Some((t, tail)) = rest.split_first().filter(|(t, _)| t.tag == 0xa0) {
        // CertificateChoices: only plain certificates are expected from a TSA.
        for c in derx::children(t.value)? {
            if c.tag != 0x30 {
                return Err(bad("unsupported certificate choice in SignedData"));
            }
            if certs.len() == limits::MAX_CERTS_PER_CHAIN {
                return Err(X509Error::Limit(format!(
                    "more than {} certificates in a timestamp",
                    limits::MAX_CERTS_PER_CHAIN
                )));
            }
            certs.push(Certificate::from_der(c.raw)?);
        }
        rest = tail;
    }
    if let Some((_, tail)) = rest.split_first().filter(|(t, _)| t.tag == 0xa1) {
        rest = tail;
    }
    let signer_infos = derx::children(expect(rest, 0, 0x31, "signerInfos")?.value)?;
    let si = match signer_infos.as_slice() {
        [si] if si.tag == 0x30 => *si,
        other => {
            return Err(bad(format!(
                "expected one SignerInfo, found {} elements",
                other.len()
            )));
        }
    };
    // SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, signedAttrs [0] IMPLICIT
    //   OPTIONAL, signatureAlgorithm, signature OCTET STRING, unsignedAttrs [1] OPTIONAL }
    let f = derx::children(si.value)?;
    // version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier
    match expect(&f, 0, 0x02, "SignerInfo version")?.value {
        [1] | [3] => {}
        _ => return Err(bad("unsupported SignerInfo version")),
    }
    let sid = *f.get(1).ok_or_else(|| bad("missing signer identifier"))?;
    let digest_alg = hash_for(&alg_id(&expect(&f, 2, 0x30, "digestAlgorithm")?)?.0)?;
    let (signed_attrs, rest) = match f.get(3..).unwrap_or_default() {
        [t, rest @ ..] if t.tag == 0xa0 => (Some(*t), rest),
        rest => (None, rest),
    };
    Ok(Token {
        tst_info: econtent.value,
        certs,
        digest_alg,
        signed_attrs,
        sig_alg: alg_id(&expect(rest, 0, 0x30, "signatureAlgorithm")?)?,
        signature: expect(rest, 1, 0x04, "signature")?.value,
        sid,
    })
}

/// The bytes the CMS signature covers. With signed attributes (RFC 5652 §5.4): their DER with
/// the `[0] IMPLICIT` tag replaced by SET OF, after checking contentType and messageDigest.
fn signed_content(t: &Token<'_>) -> Result<Vec<u8>, X509Error> {
    let Some(attrs) = t.signed_attrs else {
        return Ok(t.tst_info.to_vec());
    };
    let (mut content_type, mut digest) = (None, None);
    for a in derx::children(attrs.value)? {
        // Attribute ::= SEQUENCE { attrType OID, attrValues SET OF ANY }
        let parts = derx::children(a.value)?;
        let oid = oid_of(parts.first().ok_or_else(|| bad("empty attribute"))?)?;
        let values = derx::children(expect(&parts, 1, 0x31, "attribute values")?.value)?;
        let slot = if oid == ID_CONTENT_TYPE {
            &mut content_type
        } else if oid == ID_MESSAGE_DIGEST {
            &mut digest
        } else {
            continue;
        };
        match (values.as_slice(), slot.is_none()) {
            ([v], true) => *slot = Some(*v),
            _ => return Err(bad(format!("attribute {oid} must have exactly one value"))),
        }
    }
    match content_type {
        Some(v) if oid_of(&v).is_ok_and(|o| o == ID_CT_TST_INFO) => {}
        _ => return Err(bad("contentType attribute is missing or not TSTInfo")),
    }
    match digest {
        Some(v) if v.tag == 0x04 && v.value == t.digest_alg.digest(t.tst_info) => {}
        _ => return Err(bad("messageDigest attribute does not match the TSTInfo")),
    }
    derx::wrap(0x31, attrs.value)
}

/// Whether `cert` is the one named by a SignerIdentifier.
fn is_signer(cert: &Certificate, sid: &Tlv<'_>) -> bool {
    match sid.tag {
        // IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER }
        0x30 => derx::children(sid.value).is_ok_and(|p| {
            matches!(p.as_slice(), [issuer, serial]
                if issuer.raw == cert.issuer_raw()
                    && serial.tag == 0x02
                    && serial.value == cert.serial_bytes())
        }),
        // [0] SubjectKeyIdentifier
        0x80 => cert
            .extension_value(&ID_CE_SUBJECT_KEY_ID)
            .and_then(|v| derx::read_all(v).ok())
            .is_some_and(|k| k.value == sid.value),
        _ => false,
    }
}

/// RFC 3161 §2.3 as timestamp-authority enforces it: exactly one EKU, timeStamping, critical.
fn check_tsa_eku(cert: &Certificate) -> Result<(), X509Error> {
    match cert.extended_key_usage()? {
        Some((true, eku)) if eku.0 == [Purpose::TimeStamping.oid()] => Ok(()),
        _ => Err(X509Error::Usage {
            subject: cert.subject_string(),
            reason: format!(
                "a TSA certificate needs one critical extended key usage ({}), timeStamping",
                ID_CE_EXT_KEY_USAGE
            ),
        }),
    }
}

/// Verifies an RFC 3161 timestamp over `signed_bytes` (the bundle's signature bytes) against
/// the trusted `authorities`, trying each in order; see the module docs for the checks.
pub fn verify_rfc3161(
    token: &[u8],
    signed_bytes: &[u8],
    authorities: &[TsaAuthority],
) -> Result<VerifiedTimestamp, X509Error> {
    let t = parse_token(token)?;

    // TSTInfo ::= SEQUENCE { version INTEGER, policy OID, messageImprint, serialNumber,
    //   genTime GeneralizedTime, ... }; MessageImprint ::= SEQUENCE { hashAlgorithm, hashedMessage }
    let tst = sequence(t.tst_info, "TSTInfo")?;
    if expect(&tst, 0, 0x02, "TSTInfo version")?.value != [1] {
        return Err(bad("unsupported TSTInfo version"));
    }
    let imprint = derx::children(expect(&tst, 2, 0x30, "messageImprint")?.value)?;
    let imprint_alg = hash_for(&alg_id(&expect(&imprint, 0, 0x30, "hashAlgorithm")?)?.0)?;
    if imprint_alg.digest(signed_bytes) != expect(&imprint, 1, 0x04, "hashedMessage")?.value {
        return Err(X509Error::ImprintMismatch);
    }
    let (time, fraction) = generalized_time(expect(&tst, 4, 0x18, "genTime")?.value)?;

    let content = signed_content(&t)?;
    let scheme = scheme_for(&t.sig_alg.0, t.sig_alg.1, Some(t.digest_alg))?;
    let embedded = if t.certs.is_empty() {
        None
    } else {
        Some(
            t.certs
                .iter()
                .find(|c| is_signer(c, &t.sid))
                .ok_or_else(|| bad("no embedded certificate matches the signer"))?,
        )
    };

    let mut last = bad("no trusted timestamp authority");
    for (authority_index, auth) in authorities.iter().enumerate() {
        let Some((_root, below)) = auth.chain.split_last() else {
            continue;
        };
        let trusted_leaf = below.first().filter(|c| !c.is_ca());
        let signer = match (embedded, trusted_leaf) {
            (Some(e), Some(l)) if e != l => {
                last = bad("the embedded certificate is not the authority's TSA certificate");
                continue;
            }
            (Some(c), _) | (None, Some(c)) => c,
            (None, None) => {
                last = bad("no embedded certificate and the authority has no TSA certificate");
                continue;
            }
        };
        if !is_signer(signer, &t.sid) {
            last = bad("the authority's TSA certificate is not the timestamp's signer");
            continue;
        }
        let checked = check_tsa_eku(signer)
            .and_then(|()| {
                signer
                    .public_key()?
                    .verify_with(scheme, &content, t.signature)
                    .map_err(|_| bad("signature does not verify with the TSA certificate"))
            })
            .and_then(|()| {
                let anchor = TrustAnchorChain::new(auth.chain.clone())?;
                verify_chain(signer, &t.certs, &[anchor], time, Purpose::TimeStamping)
            });
        if let Err(e) = checked {
            last = e;
            continue;
        }
        let (start, end) = auth.valid_for;
        let after_end = end.is_some_and(|e| time > e || (time == e && fraction));
        if start.is_some_and(|s| time < s) || after_end {
            last = X509Error::OutsideAuthorityValidity { time };
            continue;
        }
        return Ok(VerifiedTimestamp {
            time,
            authority_index,
        });
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_time_parses() {
        let t = |s: &[u8]| generalized_time(s).unwrap();
        assert_eq!(t(b"19700101000000Z"), (UnixSeconds(0), false));
        assert_eq!(t(b"20240319172626Z"), (UnixSeconds(1_710_869_186), false));
        assert_eq!(
            t(b"20240319172626.120Z"),
            (UnixSeconds(1_710_869_186), true)
        );
        assert_eq!(
            t(b"20240319172626.000Z"),
            (UnixSeconds(1_710_869_186), false)
        );
        assert_eq!(t(b"20000229235959Z"), (UnixSeconds(951_868_799), false));
        for bad in [
            &b"2024031917262Z"[..],
            b"20241319172626Z",
            b"20240319172626",
            b"2024031917262aZ",
            b"20240319172626.1x Z",
            // Days that do not exist, and times before 1970.
            b"20230229000000Z",
            b"20240431000000Z",
            b"20240230120000Z",
            b"19691231235959Z",
            b"20240319246000Z",
        ] {
            assert!(generalized_time(bad).is_err(), "{bad:?}");
        }
    }
}
